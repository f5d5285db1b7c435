/*
 * test_linktypes.c - the link types besides Ethernet (probe/decode.c) and
 * the pcapng reader (probe/pcapng.c through probe/capture.c).
 *
 * Frames are built by tests/tools/pcapw (Ethernet, then re-framed) or by
 * hand where a test needs a header the writer does not make; captures are
 * written to a temporary directory and read back through capture_open(),
 * each packet decoded with the link type it carries.  Truncated frames
 * are decoded from heap copies of exactly the cut length.
 */
#include "capture.h"
#include "decode.h"
#include "pcapw.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static uint8_t eth[PCAPW_MAX_FRAME];
static uint8_t frm[PCAPW_MAX_FRAME + 128];
static uint8_t payload[256];

/* A UDP datagram 10.0.0.1:1111 -> 192.0.2.2:2222 (or IPv6) as Ethernet. */
static uint32_t udp_eth(int v6, uint32_t plen)
{
	struct pcapw_pkt p;

	memset(&p, 0, sizeof(p));
	p.ip_version = v6 ? 6 : 4;
	p.proto = PCAPW_PROTO_UDP;
	pcapw_addr(p.src, v6 ? "2001:db8::1" : "10.0.0.1");
	pcapw_addr(p.dst, v6 ? "2001:db8::2" : "192.0.2.2");
	p.sport = 1111;
	p.dport = 2222;
	p.payload = payload;
	p.payload_len = plen;
	return pcapw_build(&p, eth, sizeof(eth));
}

static uint32_t framed(enum pcapw_framing fr, int v6, uint32_t plen)
{
	uint32_t n = udp_eth(v6, plen);

	ck_assert_uint_gt(n, 0);
	n = pcapw_relink(fr, eth, n, frm, sizeof(frm));
	ck_assert_uint_gt(n, 0);
	return n;
}

/* Decode a heap copy of exactly len bytes. */
static enum decode_status dec(int lt, const uint8_t *d, uint32_t len,
			      struct pkt_view *pv)
{
	uint8_t *copy = malloc(len ? len : 1);
	enum decode_status st;

	ck_assert_ptr_nonnull(copy);
	memcpy(copy, d, len);
	memset(pv, 0, sizeof(*pv));
	st = decode_packet(lt, copy, len, pv);
	free(copy);
	return st;
}

static void assert_udp(const struct pkt_view *pv, int v6, uint32_t plen)
{
	ck_assert_uint_eq(pv->ip_version, v6 ? 6 : 4);
	ck_assert_uint_eq(pv->proto, 17);
	ck_assert_uint_eq(pv->sport, 1111);
	ck_assert_uint_eq(pv->dport, 2222);
	ck_assert_uint_eq(pv->payload_size, plen);
	ck_assert_uint_eq(pv->ip_len, (v6 ? 40 : 20) + 8 + plen);
	if (!v6) {
		ck_assert(pkt_is_v4(pv->src));
		ck_assert_uint_eq(pv->src[15], 1);
		ck_assert_uint_eq(pv->dst[12], 192);
	} else {
		ck_assert_uint_eq(pv->src[0], 0x20);
		ck_assert_uint_eq(pv->dst[15], 2);
	}
}

/* A frame cut inside its link header is not decoded; cut inside the IP
 * header, it is truncated there.  Never a read past the cut. */
static void assert_cuts(int lt, uint32_t l2len, uint32_t iphlen)
{
	struct pkt_view pv;

	for (uint32_t cut = 0; cut < l2len; cut++)
		ck_assert_int_ne(dec(lt, frm, cut, &pv), DECODE_OK);
	for (uint32_t cut = l2len; cut < l2len + iphlen; cut++)
		ck_assert_int_eq(dec(lt, frm, cut, &pv), DECODE_TRUNC_IP);
}

START_TEST(test_ppp)
{
	struct pkt_view pv;
	uint32_t n;

	ck_assert(decode_linktype_supported(LINK_PPP));
	for (int v6 = 0; v6 <= 1; v6++) {
		n = framed(PCAPW_FRAME_PPP, v6, 33);
		ck_assert_uint_eq(frm[0], 0xff);
		ck_assert_int_eq(dec(LINK_PPP, frm, n, &pv), DECODE_OK);
		assert_udp(&pv, v6, 33);
		assert_cuts(LINK_PPP, 4, v6 ? 40 : 20);
		n = framed(PCAPW_FRAME_PPP_BARE, v6, 34);
		ck_assert_uint_eq(frm[0], v6 ? 0x57 : 0x21);
		ck_assert_int_eq(dec(LINK_PPP, frm, n, &pv), DECODE_OK);
		assert_udp(&pv, v6, 34);
	}
	/* ff 03 then a compressed protocol field. */
	n = udp_eth(0, 5);
	frm[0] = 0xff;
	frm[1] = 0x03;
	frm[2] = 0x21;
	memcpy(frm + 3, eth + 14, n - 14);
	ck_assert_int_eq(dec(LINK_PPP, frm, n - 14 + 3, &pv), DECODE_OK);
	assert_udp(&pv, 0, 5);
	/* LCP is not IP; a lone address/control pair is truncated. */
	frm[2] = 0xc0;
	frm[3] = 0x21;
	ck_assert_int_eq(dec(LINK_PPP, frm, 20, &pv), DECODE_NOT_IP);
	ck_assert_int_eq(dec(LINK_PPP, frm, 2, &pv), DECODE_TRUNC_L2);
	ck_assert_int_eq(dec(LINK_PPP, frm, 3, &pv), DECODE_TRUNC_L2);
}
END_TEST

START_TEST(test_c_hdlc)
{
	struct pkt_view pv;
	uint32_t n;

	ck_assert(decode_linktype_supported(LINK_C_HDLC));
	for (int v6 = 0; v6 <= 1; v6++) {
		n = framed(PCAPW_FRAME_C_HDLC, v6, 100);
		ck_assert_int_eq(dec(LINK_C_HDLC, frm, n, &pv), DECODE_OK);
		assert_udp(&pv, v6, 100);
		assert_cuts(LINK_C_HDLC, 4, v6 ? 40 : 20);
	}
	ck_assert_int_eq(dec(LINK_C_HDLC, frm, 3, &pv), DECODE_TRUNC_L2);
	frm[2] = 0x80;          /* SLARP */
	frm[3] = 0x35;
	ck_assert_int_eq(dec(LINK_C_HDLC, frm, n, &pv), DECODE_NOT_IP);
}
END_TEST

START_TEST(test_ipv4_ipv6_only)
{
	struct pkt_view pv;
	uint32_t n4, n6;

	ck_assert(decode_linktype_supported(LINK_IPV4));
	ck_assert(decode_linktype_supported(LINK_IPV6));
	n4 = framed(PCAPW_FRAME_IP, 0, 12);
	ck_assert_int_eq(dec(LINK_IPV4, frm, n4, &pv), DECODE_OK);
	assert_udp(&pv, 0, 12);
	/* LINKTYPE_IPV6 says IPv6: an IPv4 header is bad. */
	ck_assert_int_eq(dec(LINK_IPV6, frm, n4, &pv), DECODE_BAD_IP);
	ck_assert_int_eq(dec(LINK_IPV4, frm, 0, &pv), DECODE_TRUNC_IP);
	n6 = framed(PCAPW_FRAME_IP, 1, 12);
	ck_assert_int_eq(dec(LINK_IPV6, frm, n6, &pv), DECODE_OK);
	assert_udp(&pv, 1, 12);
	ck_assert_int_eq(dec(LINK_IPV4, frm, n6, &pv), DECODE_BAD_IP);
	ck_assert_int_eq(dec(LINK_IPV6, frm, 39, &pv), DECODE_TRUNC_IP);
}
END_TEST

START_TEST(test_80211)
{
	struct pkt_view pv;
	uint8_t f[256];
	uint32_t n, ipl;

	ck_assert(decode_linktype_supported(LINK_IEEE802_11));
	n = framed(PCAPW_FRAME_80211, 0, 40);
	ck_assert_int_eq(dec(LINK_IEEE802_11, frm, n, &pv), DECODE_OK);
	assert_udp(&pv, 0, 40);
	/* 26-octet QoS header and 8 of LLC/SNAP: anything shorter is cut. */
	for (uint32_t cut = 0; cut < 34; cut++)
		ck_assert_int_eq(dec(LINK_IEEE802_11, frm, cut, &pv),
				 DECODE_TRUNC_L2);
	/* A trailing frame check sequence is left out by the IP length. */
	memset(frm + n, 0xee, 4);
	ck_assert_int_eq(dec(LINK_IEEE802_11, frm, n + 4, &pv), DECODE_OK);
	assert_udp(&pv, 0, 40);

	/* Four addresses, QoS and HT control: 36 octets of header. */
	ipl = udp_eth(1, 7) - 14;
	memset(f, 0, sizeof(f));
	f[0] = 0x88;
	f[1] = 0x03 | 0x80;
	memcpy(f + 36, "\xaa\xaa\x03\x00\x00\xf8\x86\xdd", 8);
	memcpy(f + 44, eth + 14, ipl);
	ck_assert_int_eq(dec(LINK_IEEE802_11, f, 44 + ipl, &pv), DECODE_OK);
	assert_udp(&pv, 1, 7);
	/* A-MSDU (QoS control bit 7): refused. */
	f[30] = 0x80;
	ck_assert_int_eq(dec(LINK_IEEE802_11, f, 44 + ipl, &pv), DECODE_NOT_IP);
	f[30] = 0;
	/* Protected: encrypted. */
	f[1] |= 0x40;
	ck_assert_int_eq(dec(LINK_IEEE802_11, f, 44 + ipl, &pv), DECODE_NOT_IP);
	f[1] &= (uint8_t)~0x40;
	/* QoS Null (no body), a beacon, version 1. */
	f[0] = 0xc8;
	ck_assert_int_eq(dec(LINK_IEEE802_11, f, 44 + ipl, &pv), DECODE_NOT_IP);
	f[0] = 0x80;
	ck_assert_int_eq(dec(LINK_IEEE802_11, f, 44 + ipl, &pv), DECODE_NOT_IP);
	f[0] = 0x89;
	ck_assert_int_eq(dec(LINK_IEEE802_11, f, 44 + ipl, &pv), DECODE_NOT_IP);
	f[0] = 0x88;
	/* LLC that is not SNAP. */
	f[36] = 0x42;
	ck_assert_int_eq(dec(LINK_IEEE802_11, f, 44 + ipl, &pv), DECODE_NOT_IP);
}
END_TEST

START_TEST(test_ppi)
{
	struct pkt_view pv;
	uint32_t n;

	ck_assert(decode_linktype_supported(LINK_PPI));
	n = framed(PCAPW_FRAME_PPI_ETH, 0, 60);
	ck_assert_int_eq(decode_inner_linktype(LINK_PPI, frm, n), 1);
	ck_assert_int_eq(dec(LINK_PPI, frm, n, &pv), DECODE_OK);
	assert_udp(&pv, 0, 60);
	n = framed(PCAPW_FRAME_PPI_80211, 1, 61);
	ck_assert_uint_eq(frm[2], 32);          /* header with its field */
	ck_assert_int_eq(decode_inner_linktype(LINK_PPI, frm, n), 105);
	ck_assert_int_eq(dec(LINK_PPI, frm, n, &pv), DECODE_OK);
	assert_udp(&pv, 1, 61);
	for (uint32_t cut = 0; cut < 32; cut++) {
		ck_assert_int_eq(dec(LINK_PPI, frm, cut, &pv), DECODE_TRUNC_L2);
		ck_assert_int_eq(decode_inner_linktype(LINK_PPI, frm, cut), -1);
	}
	/* Frame Relay inside: not decoded, and said which. */
	n = framed(PCAPW_FRAME_PPI_OTHER, 0, 10);
	ck_assert_int_eq(decode_inner_linktype(LINK_PPI, frm, n), 107);
	ck_assert_int_eq(dec(LINK_PPI, frm, n, &pv), DECODE_NOT_IP);
	/* PPI inside PPI, an unknown version. */
	frm[4] = 192;
	ck_assert_int_eq(dec(LINK_PPI, frm, n, &pv), DECODE_NOT_IP);
	frm[0] = 1;
	ck_assert_int_eq(dec(LINK_PPI, frm, n, &pv), DECODE_TRUNC_L2);
	ck_assert_int_eq(decode_inner_linktype(LINK_PPI, frm, n), -1);
	/* Other link types are their own inner type. */
	ck_assert_int_eq(decode_inner_linktype(LINK_PPP, frm, n), LINK_PPP);
	ck_assert_int_eq(decode_inner_linktype(LINK_PPI, NULL, 0), -1);
}
END_TEST

/* --- captures ---------------------------------------------------------- */

static char tmpdir[64];

static void mk_tmp(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_linktypes.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void rm_tmp(const char *file)
{
	char p[128];

	snprintf(p, sizeof(p), "%s/%s", tmpdir, file);
	unlink(p);
	rmdir(tmpdir);
}

/* Read a capture through capture_open; count packets decoded OK. */
static unsigned read_all(const char *path, const char *filter, int *lts,
			 unsigned max_lts, enum capture_status *end)
{
	struct capture_opts o = { .file = path, .filter = filter,
				  .snaplen = 65535 };
	char err[512];
	struct capture *c = capture_open(&o, err, sizeof(err));
	struct capture_pkt pk[32];
	struct pkt_view pv;
	unsigned n, ok = 0, seen = 0;
	enum capture_status st;

	ck_assert_msg(c != NULL, "%s", err);
	while ((st = capture_next_batch(c, pk, 32, &n)) == CAPTURE_PACKET) {
		for (unsigned k = 0; k < n; k++) {
			if (lts && seen < max_lts)
				lts[seen] = pk[k].linktype;
			seen++;
			memset(&pv, 0, sizeof(pv));
			if (decode_packet(pk[k].linktype, pk[k].data,
					  pk[k].caplen, &pv) == DECODE_OK)
				ok++;
		}
	}
	*end = st;
	capture_close(c);
	return ok;
}

START_TEST(test_pcap_files)
{
	/* libpcap's filters for PPI read an 802.11 frame only: PPI with
	 * Ethernet inside is decoded, but no filter matches it. */
	static const struct {
		uint32_t dlt;
		enum pcapw_framing fr;
		unsigned filtered;
	} t[] = {
		{PCAPW_LINK_PPP, PCAPW_FRAME_PPP, 10},
		{PCAPW_LINK_C_HDLC, PCAPW_FRAME_C_HDLC, 10},
		{PCAPW_LINK_IPV4, PCAPW_FRAME_IP, 10},
		{PCAPW_LINK_IEEE802_11, PCAPW_FRAME_80211, 10},
		{PCAPW_LINK_PPI, PCAPW_FRAME_PPI_80211, 10},
		{PCAPW_LINK_PPI, PCAPW_FRAME_PPI_ETH, 0},
	};
	char path[128];
	enum capture_status end;

	mk_tmp();
	snprintf(path, sizeof(path), "%s/t.pcap", tmpdir);
	for (unsigned i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct pcapw w;
		int lts[1];

		ck_assert_int_eq(pcapw_open(&w, path, t[i].dlt, 65535), 0);
		for (unsigned k = 0; k < 10; k++) {
			uint32_t n = framed(t[i].fr, 0, 10 + k);

			ck_assert_int_eq(pcapw_write(&w, 1000000u * k, frm, n,
						     n), 0);
		}
		ck_assert_int_eq(pcapw_close(&w), 0);
		ck_assert_uint_eq(read_all(path, NULL, lts, 1, &end), 10);
		ck_assert_int_eq(end, CAPTURE_EOF);
		ck_assert_int_eq(lts[0], (int)t[i].dlt);
		/* The filter is compiled for the file's link type. */
		ck_assert_uint_eq(read_all(path, "udp port 2222", NULL, 0,
					   &end), t[i].filtered);
		ck_assert_uint_eq(read_all(path, "tcp", NULL, 0, &end), 0);
	}
	rm_tmp("t.pcap");
}
END_TEST

START_TEST(test_pcapng_mixed)
{
	static const uint16_t dlt[] = {1, 9, 228, 104, 192, 229, 105};
	static const enum pcapw_framing fr[] = {
		0, PCAPW_FRAME_PPP, PCAPW_FRAME_IP, PCAPW_FRAME_C_HDLC,
		PCAPW_FRAME_PPI_80211, PCAPW_FRAME_IP, PCAPW_FRAME_80211,
	};
	char path[128];
	struct pcapw w;
	int lts[14];
	enum capture_status end;

	mk_tmp();
	snprintf(path, sizeof(path), "%s/m.pcapng", tmpdir);
	ck_assert_int_eq(pcapw_ng_open(&w, path), 0);
	for (unsigned i = 0; i < 7; i++)
		ck_assert_int_eq(pcapw_ng_interface(&w, dlt[i], 65535), 0);
	for (unsigned k = 0; k < 14; k++) {
		unsigned i = k % 7;
		int v6 = dlt[i] == 229;
		uint32_t n = udp_eth(v6, 20);

		if (i)
			n = pcapw_relink(fr[i], eth, n, frm, sizeof(frm));
		else
			memcpy(frm, eth, n);
		ck_assert_int_eq(pcapw_ng_write(&w, i, 1000000u * k, frm, n, n),
				 0);
	}
	ck_assert_int_eq(pcapw_close(&w), 0);
	ck_assert_uint_eq(read_all(path, NULL, lts, 14, &end), 14);
	ck_assert_int_eq(end, CAPTURE_EOF);
	for (unsigned k = 0; k < 14; k++)
		ck_assert_int_eq(lts[k], dlt[k % 7]);
	ck_assert_uint_eq(read_all(path, "udp and dst port 2222", NULL, 0,
				   &end), 14);
	/* "ip6" matches nothing on LINKTYPE_IPV4, "ip" nothing on
	 * LINKTYPE_IPV6: libpcap refuses them there, the interface's
	 * packets are filtered out. */
	ck_assert_uint_eq(read_all(path, "ip6", NULL, 0, &end), 2);
	ck_assert_uint_eq(read_all(path, "ip", NULL, 0, &end), 12);
	rm_tmp("m.pcapng");
}
END_TEST

/* --- hand-made pcapng: byte order, resolution, errors ------------------ */

struct ng {
	uint8_t b[4096];
	size_t len;
	int be;
};

static void ng16(struct ng *g, uint16_t v)
{
	uint8_t *p = g->b + g->len;

	p[g->be ? 0 : 1] = (uint8_t)(v >> 8);
	p[g->be ? 1 : 0] = (uint8_t)v;
	g->len += 2;
}

static void ng32(struct ng *g, uint32_t v)
{
	if (g->be) {
		ng16(g, (uint16_t)(v >> 16));
		ng16(g, (uint16_t)v);
	} else {
		ng16(g, (uint16_t)v);
		ng16(g, (uint16_t)(v >> 16));
	}
}

static size_t ng_start(struct ng *g, uint32_t type)
{
	size_t at = g->len;

	ng32(g, type);
	ng32(g, 0);             /* patched by ng_end */
	return at;
}

static void ng_end(struct ng *g, size_t at)
{
	size_t save;
	uint32_t total = (uint32_t)(g->len - at + 4);

	save = g->len;
	g->len = at + 4;
	ng32(g, total);
	g->len = save;
	ng32(g, total);
}

static void ng_shb(struct ng *g)
{
	size_t at = ng_start(g, 0x0a0d0d0a);

	ng32(g, 0x1a2b3c4d);
	ng16(g, 1);
	ng16(g, 0);
	ng32(g, 0xffffffff);
	ng32(g, 0xffffffff);
	ng_end(g, at);
}

static void ng_idb(struct ng *g, uint16_t lt, int tsresol)
{
	size_t at = ng_start(g, 1);

	ng16(g, lt);
	ng16(g, 0);
	ng32(g, 0);             /* no snapshot length */
	if (tsresol >= 0) {
		ng16(g, 9);
		ng16(g, 1);
		g->b[g->len] = (uint8_t)tsresol;
		memset(g->b + g->len + 1, 0, 3);
		g->len += 4;
		ng16(g, 0);
		ng16(g, 0);
	}
	ng_end(g, at);
}

static void ng_epb(struct ng *g, uint32_t ifid, uint64_t ts,
		   const uint8_t *d, uint32_t n)
{
	size_t at = ng_start(g, 6);

	ng32(g, ifid);
	ng32(g, (uint32_t)(ts >> 32));
	ng32(g, (uint32_t)ts);
	ng32(g, n);
	ng32(g, n + 100);       /* was longer on the wire */
	memcpy(g->b + g->len, d, n);
	g->len += n;
	while (g->len % 4)
		g->b[g->len++] = 0;
	ng_end(g, at);
}

static void ng_spb(struct ng *g, const uint8_t *d, uint32_t n)
{
	size_t at = ng_start(g, 3);

	ng32(g, n);
	memcpy(g->b + g->len, d, n);
	g->len += n;
	while (g->len % 4)
		g->b[g->len++] = 0;
	ng_end(g, at);
}

static struct capture *ng_capture(const struct ng *g, size_t len,
				  char *err, size_t errlen)
{
	char path[128];
	FILE *fp;
	struct capture_opts o = { .snaplen = 65535 };

	snprintf(path, sizeof(path), "%s/h.pcapng", tmpdir);
	fp = fopen(path, "wb");
	ck_assert_ptr_nonnull(fp);
	ck_assert_uint_eq(fwrite(g->b, 1, len, fp), len);
	fclose(fp);
	o.file = path;
	return capture_open(&o, err, errlen);
}

START_TEST(test_pcapng_handmade)
{
	struct ng g;
	struct capture *c;
	char err[512];
	const uint8_t *d;
	uint32_t cl, wl, n;
	uint64_t ts;
	struct capture_pkt pk;
	unsigned got;

	mk_tmp();
	for (int be = 0; be <= 1; be++) {
		memset(&g, 0, sizeof(g));
		g.be = be;
		n = framed(PCAPW_FRAME_IP, 0, 8);
		ng_shb(&g);
		ng_idb(&g, 101, 9);             /* nanoseconds */
		ng_idb(&g, 228, 0x80 | 10);     /* 2^-10 s */
		ng_epb(&g, 0, 1500000000123456789ull, frm, n);
		ng_epb(&g, 1, (uint64_t)7 << 10 | 512, frm, n);
		ng_spb(&g, frm, n);
		c = ng_capture(&g, g.len, err, sizeof(err));
		ck_assert_msg(c != NULL, "%s", err);
		ck_assert_int_eq(capture_linktype(c), 101);
		ck_assert_int_eq(capture_next(c, &d, &cl, &wl, &ts),
				 CAPTURE_PACKET);
		ck_assert_uint_eq(ts, 1500000000123456ull);
		ck_assert_uint_eq(cl, n);
		ck_assert_uint_eq(wl, n + 100);
		ck_assert_int_eq(capture_next_batch(c, &pk, 1, &got),
				 CAPTURE_PACKET);
		ck_assert_uint_eq(pk.ts_us, 7500000u);
		ck_assert_int_eq(pk.linktype, 228);
		ck_assert_int_eq(capture_next_batch(c, &pk, 1, &got),
				 CAPTURE_PACKET);
		ck_assert_int_eq(pk.linktype, 101);     /* interface 0 */
		ck_assert_uint_eq(pk.caplen, n);
		ck_assert_int_eq(capture_next_batch(c, &pk, 1, &got),
				 CAPTURE_EOF);
		capture_close(c);

		/* Cut anywhere after the first packet: an error that says
		 * so, never a read past the block. */
		for (size_t cut = g.len - 1; cut > g.len - 40; cut--) {
			enum capture_status st;

			c = ng_capture(&g, cut, err, sizeof(err));
			ck_assert_msg(c != NULL, "%s", err);
			while ((st = capture_next(c, &d, &cl, &wl, &ts)) ==
			       CAPTURE_PACKET)
				;
			ck_assert_int_eq(st, CAPTURE_ERROR);
			ck_assert_msg(strstr(capture_error(c), "truncated"),
				      "%s", capture_error(c));
			capture_close(c);
		}
	}

	/* A packet of an interface never described. */
	memset(&g, 0, sizeof(g));
	ng_shb(&g);
	ng_idb(&g, 1, -1);
	ng_epb(&g, 3, 0, frm, 20);
	c = ng_capture(&g, g.len, err, sizeof(err));
	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(capture_next(c, &d, &cl, &wl, &ts), CAPTURE_ERROR);
	ck_assert_ptr_nonnull(strstr(capture_error(c), "interface 3"));
	capture_close(c);

	/* A packet before any interface; no interface at all. */
	memset(&g, 0, sizeof(g));
	ng_shb(&g);
	ng_spb(&g, frm, 20);
	ck_assert_ptr_null(ng_capture(&g, g.len, err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "before any interface"));
	ck_assert_ptr_null(ng_capture(&g, 28, err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "no interface"));

	/* A block length that is not a multiple of 4. */
	memset(&g, 0, sizeof(g));
	ng_shb(&g);
	ng_idb(&g, 1, -1);
	g.b[28 + 4] = 21;
	ck_assert_ptr_null(ng_capture(&g, g.len, err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "bad length"));
	rm_tmp("h.pcapng");
}
END_TEST

static Suite *linktypes_suite(void)
{
	Suite *s = suite_create("linktypes");
	TCase *tc = tcase_create("core");

	for (unsigned i = 0; i < sizeof(payload); i++)
		payload[i] = (uint8_t)(i * 13 + 1);
	tcase_add_test(tc, test_ppp);
	tcase_add_test(tc, test_c_hdlc);
	tcase_add_test(tc, test_ipv4_ipv6_only);
	tcase_add_test(tc, test_80211);
	tcase_add_test(tc, test_ppi);
	tcase_add_test(tc, test_pcap_files);
	tcase_add_test(tc, test_pcapng_mixed);
	tcase_add_test(tc, test_pcapng_handmade);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(linktypes_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
