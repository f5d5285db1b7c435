/*
 * test_fanout.c - the worker key: the classic BPF program fanout.c builds,
 * run by libpcap's userspace bpf_filter(), returns fanout_hash() of what
 * decode_packet() reads from the same frame (IPv4, IPv6, VLAN-tagged,
 * raw IP; inside source, inside destination, both, neither, no prefixes;
 * not IP and cut short), the same both ways, and one inside client's
 * packets to any peer or port go to one worker; and a site from
 * fanout_site_init() gives the key a plain byte-wise reference computes.
 */
#include "decode.h"
#include "fanout.h"
#include "values.h"

#include <check.h>
#include <linux/filter.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <string.h>

/* bpf_filter() takes libpcap's struct bpf_insn: the same layout. */
_Static_assert(sizeof(struct bpf_insn) == sizeof(struct sock_filter),
	       "bpf_insn and sock_filter differ");

struct frame {
	uint8_t b[256];
	uint32_t len;
};

struct pkt_spec {
	int raw;                /* no Ethernet header */
	int tags;               /* in-band VLAN tags */
	int mpls;               /* MPLS labels after the tags */
	int pppoe;              /* a PPPoE session header after the tags */
	uint16_t ethertype;     /* 0: from the addresses */
	uint8_t src[16], dst[16];
	uint8_t proto;
	uint16_t sport, dport;
};

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void build(struct frame *f, const struct pkt_spec *s)
{
	static const uint16_t tpid[3] = { 0x88a8, 0x8100, 0x9100 };
	int v4 = addr_is_v4_mapped(s->src) && addr_is_v4_mapped(s->dst);
	uint32_t o = 0, ip;

	memset(f, 0, sizeof(*f));
	if (!s->raw) {
		memcpy(f->b, "\x02\0\0\0\0\x01\x02\0\0\0\0\x02", 12);
		o = 12;
		for (int t = 0; t < s->tags; t++) {
			put16(f->b + o, tpid[t % 3]);
			put16(f->b + o + 2, (uint16_t)(100 + t));
			o += 4;
		}
		put16(f->b + o, s->ethertype ? s->ethertype :
				s->pppoe ? 0x8864 : s->mpls ? 0x8847 :
				v4 ? 0x0800 : 0x86dd);
		o += 2;
		for (int l = 0; l < s->mpls; l++) {     /* label 16 + l */
			put16(f->b + o, (uint16_t)((16 + l) >> 4));
			f->b[o + 2] = (uint8_t)(((16 + l) & 15) << 4 |
					      (l == s->mpls - 1));
			f->b[o + 3] = 64;
			o += 4;
		}
		if (s->pppoe) {
			f->b[o] = 0x11;                 /* version 1, type 1 */
			put16(f->b + o + 2, 0x1234);    /* session */
			put16(f->b + o + 6, v4 ? 0x0021 : 0x0057);
			o += 8;
		}
	}
	ip = o;
	if (v4) {
		f->b[o] = 0x45;
		put16(f->b + o + 2, 28);
		f->b[o + 8] = 64;
		f->b[o + 9] = s->proto;
		memcpy(f->b + o + 12, s->src + 12, 4);
		memcpy(f->b + o + 16, s->dst + 12, 4);
		o += 20;
	} else {
		f->b[o] = 0x60;
		put16(f->b + o + 4, 8);
		f->b[o + 6] = s->proto;
		f->b[o + 7] = 64;
		memcpy(f->b + o + 8, s->src, 16);
		memcpy(f->b + o + 24, s->dst, 16);
		o += 40;
	}
	put16(f->b + o, s->sport);
	put16(f->b + o + 2, s->dport);
	put16(f->b + o + 4, 8);
	o += 8;
	(void)ip;
	f->len = o;
}

static struct sock_filter prog_eth[FANOUT_MAX_INSNS];
static struct sock_filter prog_raw[FANOUT_MAX_INSNS];
static unsigned len_eth, len_raw;

static void compile(const struct fanout_site *s)
{
	ck_assert_int_eq(fanout_cbpf_build(s, 14, prog_eth, FANOUT_MAX_INSNS,
					   &len_eth), 0);
	ck_assert_int_eq(fanout_cbpf_build(s, 0, prog_raw, FANOUT_MAX_INSNS,
					   &len_raw), 0);
	ck_assert_uint_gt(len_eth, 0);
	ck_assert_uint_le(len_eth, FANOUT_MAX_INSNS);
}

static uint32_t run_bpf(int raw, const uint8_t *b, uint32_t len)
{
	return bpf_filter((const struct bpf_insn *)(raw ? prog_raw : prog_eth),
			  b, len, len);
}

/* What the probe computes in C for this frame (0 when not decoded). */
static uint32_t c_hash(const struct fanout_site *s, int raw,
		       const uint8_t *b, uint32_t len)
{
	struct pkt_view pv;

	decode_packet(raw ? LINK_RAW : LINK_EN10MB, b, len, &pv);
	return fanout_hash(s, &pv);
}

/* The program and fanout_hash() agree on the frame; returns the value. */
static uint32_t agree(const struct fanout_site *s, const struct pkt_spec *ps)
{
	struct frame f;
	uint32_t want, got;
	char a[64], d[64];

	build(&f, ps);
	want = c_hash(s, ps->raw, f.b, f.len);
	got = run_bpf(ps->raw, f.b, f.len);
	addr_format(ps->src, a, sizeof(a));
	addr_format(ps->dst, d, sizeof(d));
	ck_assert_msg(got == want, "%s -> %s raw=%d tags=%d mpls=%d pppoe=%d: "
		      "bpf %08x, C %08x", a, d, ps->raw, ps->tags, ps->mpls,
		      ps->pppoe, got, want);
	return got;
}

/* Neither the program nor fanout_hash() hashes f: 0 from both. */
static void expect_zero(const struct fanout_site *s, int raw,
			const struct frame *f)
{
	ck_assert_uint_eq(run_bpf(raw, f->b, f->len), 0);
	ck_assert_uint_eq(c_hash(s, raw, f->b, f->len), 0);
}

/* Every cut of f: before its addresses end (addr_end), 0 from both;
 * from there on, h from both. */
static void expect_cuts(const struct fanout_site *s, int raw,
			const struct frame *f, uint32_t addr_end, uint32_t h)
{
	for (uint32_t cut = 0; cut < f->len; cut++) {
		uint32_t want = cut >= addr_end ? h : 0;

		ck_assert_uint_eq(run_bpf(raw, f->b, cut), want);
		ck_assert_uint_eq(c_hash(s, raw, f->b, cut), want);
	}
}

/* A site of these prefixes (at least one), built as the probe builds
 * it: fanout_hash() reads what fanout_site_init() prepares. */
static void site_of(struct fanout_site *s, const char *const *pfx, size_t n)
{
	struct prefix p[FANOUT_MAX_PREFIXES];

	ck_assert_uint_gt(n, 0);
	ck_assert_uint_le(n, FANOUT_MAX_PREFIXES);
	for (size_t i = 0; i < n; i++)
		ck_assert_int_eq(prefix_parse(pfx[i], &p[i]), PFX_OK);
	fanout_site_init(s, p, (uint32_t)n);
	ck_assert_uint_eq(s->n_internal, n);
}

static void addr(uint8_t out[16], const char *s)
{
	ck_assert_int_ne(addr_parse(s, out), 0);
}

static struct fanout_site site;

static void mixed_site(void)
{
	static const char *const pfx[] = {
		"10.0.0.0/8", "192.168.1.0/24", "172.16.0.0/12",
		"198.51.100.7", "2001:db8::/32", "2001:db8:ffff:ff80::/57",
		"fd00:1:2:3:4:5:6:0/113", "2a02::1",
	};

	site_of(&site, pfx, sizeof(pfx) / sizeof(pfx[0]));
}

/* Addresses inside and outside the mixed site, both families. */
static const char *const inside4[] = {
	"10.1.2.3", "10.255.255.255", "192.168.1.200", "172.31.0.1",
	"198.51.100.7",
};
static const char *const outside4[] = {
	"8.8.8.8", "192.168.2.1", "172.32.0.1", "198.51.100.8", "11.0.0.1",
};
static const char *const inside6[] = {
	"2001:db8::1", "2001:db8:ffff:ffff::9", "fd00:1:2:3:4:5:6:7fff",
	"2a02::1",
};
static const char *const outside6[] = {
	"2001:db9::1", "fd00:1:2:3:4:5:6:8000", "2a02::2", "::1",
	"::ffff:8.8.4.4",
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* Every pair of a family, every framing, both ways. */
static void all_pairs(const struct fanout_site *s, const char *const *in,
		      size_t nin, const char *const *out, size_t nout)
{
	const char *all[16];
	size_t n = 0;

	for (size_t i = 0; i < nin; i++)
		all[n++] = in[i];
	for (size_t i = 0; i < nout; i++)
		all[n++] = out[i];
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < n; j++)
			for (int framing = 0; framing < 9; framing++) {
				struct pkt_spec ps = {
					.raw = framing == 4,
					.tags = framing < 4 ? framing :
						framing >= 7 ? 1 : 0,
					.mpls = framing == 5 ? 1 :
						framing == 6 ? 3 :
						framing == 8 ? 16 : 0,
					.pppoe = framing == 7,
					.proto = (i + j) % 2 ? 6 : 17,
					.sport = (uint16_t)(1000 + i),
					.dport = (uint16_t)(2000 + j),
				};
				uint32_t ab, ba;

				addr(ps.src, all[i]);
				addr(ps.dst, all[j]);
				ab = agree(s, &ps);
				memcpy(ps.src, ps.dst, 16);
				addr(ps.dst, all[i]);
				ps.sport = (uint16_t)(2000 + j);
				ps.dport = (uint16_t)(1000 + i);
				ba = agree(s, &ps);
				ck_assert_uint_eq(ab, ba);
			}
}

START_TEST(t_pairs_v4)
{
	mixed_site();
	compile(&site);
	all_pairs(&site, inside4, N(inside4), outside4, N(outside4));
}
END_TEST

START_TEST(t_pairs_v6)
{
	mixed_site();
	compile(&site);
	all_pairs(&site, inside6, N(inside6), outside6, N(outside6));
}
END_TEST

START_TEST(t_no_prefixes)
{
	/* a zeroed site: no prefixes at all (fanout_site_init() would put
	 * the private ranges in) */
	memset(&site, 0, sizeof(site));
	compile(&site);
	all_pairs(&site, inside4, N(inside4), outside4, N(outside4));
	all_pairs(&site, inside6, N(inside6), outside6, N(outside6));
	/* NULL site: the same as no prefixes */
	{
		struct pkt_spec ps = { .proto = 17, .sport = 1, .dport = 2 };
		struct frame f;
		struct pkt_view pv;

		addr(ps.src, "10.1.2.3");
		addr(ps.dst, "8.8.8.8");
		build(&f, &ps);
		decode_packet(LINK_EN10MB, f.b, f.len, &pv);
		ck_assert_uint_eq(fanout_hash(NULL, &pv),
				  fanout_hash(&site, &pv));
	}
}
END_TEST

/* Prefixes that hold everything, every IPv4 address, or IPv4 only in
 * an IPv6 form: decided when building, as prefix_contains() decides. */
START_TEST(t_wide_prefixes)
{
	static const char *const sites[][2] = {
		{ "::/0", NULL },
		{ "0.0.0.0/0", NULL },
		{ "::ffff:0.0.0.0/96", NULL },
		{ "::/80", "2001:db8::/32" },
		{ "::/64", "10.0.0.0/8" },
		{ "::fffe:0:0/95", NULL },
		{ "::fffe:0:0/96", "fd00::/8" },
	};

	for (size_t k = 0; k < N(sites); k++) {
		site_of(&site, sites[k], sites[k][1] ? 2 : 1);
		compile(&site);
		all_pairs(&site, inside4, N(inside4), outside4,
			  N(outside4));
		all_pairs(&site, inside6, N(inside6), outside6,
			  N(outside6));
	}
}
END_TEST

/* An inside client's packets to many peers and ports: one worker. */
START_TEST(t_client_one_worker)
{
	static const char *const clients[] = { "10.1.2.3", "192.168.1.9",
					       "2001:db8::42" };

	mixed_site();
	compile(&site);
	for (size_t c = 0; c < N(clients); c++) {
		uint32_t first = 0;

		for (unsigned i = 0; i < 200; i++) {
			struct pkt_spec ps = {
				.tags = i % 3,
				.raw = i % 7 == 0,
				.proto = i % 2 ? 6 : 17,
				.sport = (uint16_t)(1024 + i * 37),
				.dport = (uint16_t)(i * 101),
			};
			uint8_t peer[16];
			char buf[64];
			uint32_t h;

			if (strchr(clients[c], ':'))
				snprintf(buf, sizeof(buf), "2003:%x::%x",
					 i * 7, i + 1);
			else
				snprintf(buf, sizeof(buf), "%u.%u.%u.%u",
					 20 + i % 200, i % 13, i, i * 3 % 250);
			addr(peer, buf);
			addr(ps.src, clients[c]);
			memcpy(ps.dst, peer, 16);
			if (i % 2) {            /* from the peer */
				memcpy(ps.dst, ps.src, 16);
				memcpy(ps.src, peer, 16);
			}
			h = agree(&site, &ps);
			if (i == 0)
				first = h;
			ck_assert_uint_eq(h, first);
			for (uint32_t n = 1; n <= 16; n++)
				ck_assert_uint_eq(h % n, first % n);
		}
	}
}
END_TEST

/* Not IP, cut short, bad versions: 0 from both; cut in the transport
 * header: the addresses are there, both hash them. */
START_TEST(t_not_ip_and_truncated)
{
	struct pkt_spec ps = { .proto = 17, .sport = 5, .dport = 6 };
	struct frame f;
	uint32_t h;

	mixed_site();
	compile(&site);
	addr(ps.src, "10.1.2.3");
	addr(ps.dst, "8.8.8.8");

	ps.ethertype = 0x0806;                  /* ARP */
	build(&f, &ps);
	expect_zero(&site, 0, &f);
	ps.ethertype = 0x86dd;                  /* says IPv6, holds IPv4 */
	build(&f, &ps);
	expect_zero(&site, 0, &f);
	ps.ethertype = 0;

	for (int raw = 0; raw < 2; raw++) {
		uint32_t ipoff = raw ? 0 : 14;

		ps.raw = raw;
		build(&f, &ps);
		h = run_bpf(raw, f.b, f.len);
		ck_assert_uint_ne(h, 0);
		expect_cuts(&site, raw, &f, ipoff + 20, h);
		f.b[ipoff] = 0x44;                      /* IHL 4 */
		expect_zero(&site, raw, &f);
		f.b[ipoff] = 0x55;                      /* version 5 */
		expect_zero(&site, raw, &f);
	}

	addr(ps.src, "2001:db8::1");
	addr(ps.dst, "2001:db9::1");
	for (int raw = 0; raw < 2; raw++) {
		uint32_t ipoff = raw ? 0 : 14;

		ps.raw = raw;
		build(&f, &ps);
		h = run_bpf(raw, f.b, f.len);
		ck_assert_uint_ne(h, 0);
		expect_cuts(&site, raw, &f, ipoff + 40, h);
	}
	/* more tags than decode.c reads: not IP for both */
	addr(ps.src, "10.1.2.3");
	addr(ps.dst, "8.8.8.8");
	ps.raw = 0;
	ps.tags = 9;
	build(&f, &ps);
	expect_zero(&site, 0, &f);
	ps.tags = 8;
	build(&f, &ps);
	ck_assert_uint_ne(run_bpf(0, f.b, f.len), 0);
	agree(&site, &ps);
}
END_TEST

/* PPPoE and MPLS: what decode.c takes is hashed as it hashes it; what it
 * does not take, and every cut before the addresses end, is 0. */
START_TEST(t_tunnels)
{
	struct pkt_spec ps = { .proto = 17, .sport = 5, .dport = 6 };
	struct frame f;
	uint32_t h, ipoff;

	mixed_site();
	compile(&site);
	addr(ps.src, "10.1.2.3");
	addr(ps.dst, "8.8.8.8");
	for (int kind = 0; kind < 3; kind++) {
		ps.pppoe = kind == 0;
		ps.mpls = kind == 1 ? 2 : kind == 2 ? 16 : 0;
		ps.tags = 1;
		build(&f, &ps);
		ipoff = 18 + (ps.pppoe ? 8 : 4 * (uint32_t)ps.mpls);
		h = agree(&site, &ps);
		ck_assert_uint_ne(h, 0);
		expect_cuts(&site, 0, &f, ipoff + 20, h);
	}
	/* PPP's LCP, not IP */
	ps.mpls = 0;
	ps.pppoe = 1;
	build(&f, &ps);
	put16(f.b + 18 + 6, 0xc021);
	expect_zero(&site, 0, &f);
	/* an MPLS stack deeper than decode.c reads: not IP for both */
	ps.pppoe = 0;
	ps.mpls = 17;
	build(&f, &ps);
	expect_zero(&site, 0, &f);
	/* a pseudowire's control word (first nibble 0) after the stack */
	ps.mpls = 1;
	build(&f, &ps);
	f.b[22] = 0x00;
	expect_zero(&site, 0, &f);
	/* IPv6 behind both */
	addr(ps.src, "2001:db8::1");
	addr(ps.dst, "2001:db9::1");
	ps.mpls = 3;
	ck_assert_uint_ne(agree(&site, &ps), 0);
	ps.mpls = 0;
	ps.pppoe = 1;
	ck_assert_uint_ne(agree(&site, &ps), 0);
}
END_TEST

/*
 * The comparisons above mean something: the value depends on the inside
 * host (distinct hosts spread over workers), and a program built for
 * another site disagrees with this site's fanout_hash().
 */
START_TEST(t_can_fail)
{
	struct fanout_site other;
	struct pkt_spec ps = { .proto = 17, .sport = 5, .dport = 6 };
	struct frame f;
	unsigned per_worker[4] = {0};
	int differ = 0;

	mixed_site();
	memset(&other, 0, sizeof(other));
	compile(&other);
	for (unsigned i = 0; i < 256; i++) {
		char buf[32];

		snprintf(buf, sizeof(buf), "10.0.%u.%u", i / 16, i * 7 % 256);
		addr(ps.src, buf);
		addr(ps.dst, "8.8.8.8");
		build(&f, &ps);
		if (run_bpf(0, f.b, f.len) != c_hash(&site, 0, f.b, f.len))
			differ++;
		per_worker[c_hash(&site, 0, f.b, f.len) % 4]++;
	}
	ck_assert_int_gt(differ, 200);
	for (int w = 0; w < 4; w++)
		ck_assert_uint_gt(per_worker[w], 32);
}
END_TEST

START_TEST(t_fits)
{
	static struct sock_filter prog[FANOUT_MAX_INSNS];
	unsigned len;

	/* 64 prefixes of four words each: the worst case fits */
	{
		static char buf[FANOUT_MAX_PREFIXES][64];
		const char *pfx[FANOUT_MAX_PREFIXES];

		for (int i = 0; i < FANOUT_MAX_PREFIXES; i++) {
			snprintf(buf[i], sizeof(buf[i]),
				 "2001:db8:%x:1:2:3:4:%x/127", i, 2 * i);
			pfx[i] = buf[i];
		}
		site_of(&site, pfx, FANOUT_MAX_PREFIXES);
	}
	ck_assert_int_eq(fanout_cbpf_build(&site, 14, prog, FANOUT_MAX_INSNS,
					   &len), 0);
	ck_assert_uint_le(len, FANOUT_MAX_INSNS);
	ck_assert_int_eq(fanout_cbpf_build(&site, FANOUT_LINK_SKB, prog,
					   FANOUT_MAX_INSNS, &len), 0);
	compile(&site);
	all_pairs(&site, inside6, N(inside6), outside6, N(outside6));
	{
		struct pkt_spec ps = { .proto = 17, .sport = 5, .dport = 6 };

		addr(ps.src, "2001:db8:3f:1:2:3:4:7f");
		addr(ps.dst, "2001:db8:3f:1:2:3:4:80");
		agree(&site, &ps);
	}
	/* too small a buffer, too many prefixes, a bad offset: -1 */
	ck_assert_int_eq(fanout_cbpf_build(&site, 14, prog, 100, &len), -1);
	ck_assert_uint_eq(len, 0);
	/* fanout_site_init() keeps FANOUT_MAX_PREFIXES at most; a count
	 * above it can only be written over one, and is refused */
	site.n_internal = FANOUT_MAX_PREFIXES + 1;
	ck_assert_int_eq(fanout_cbpf_build(&site, 14, prog, FANOUT_MAX_INSNS,
					   &len), -1);
	site.n_internal = 0;
	ck_assert_int_eq(fanout_cbpf_build(&site, -5, prog, FANOUT_MAX_INSNS,
					   &len), -1);
	ck_assert_int_eq(fanout_cbpf_build(&site, 1, prog, FANOUT_MAX_INSNS,
					   &len), -1);
}
END_TEST

/*
 * The key as fanout.h defines it, written again here without fanout.c's
 * shortcuts (masked words, first-byte candidates): each prefix compared
 * byte by byte, the hash folded from the address's four big-endian
 * words.  fanout_hash() of a prepared site must give the same values.
 */
static int ref_inside(const struct prefix *p, uint32_t n, const uint8_t a[16])
{
	for (uint32_t i = 0; i < n; i++) {
		unsigned len = p[i].len, b;
		int in = 1;

		for (b = 0; b < 16 && 8 * b < len; b++) {
			unsigned bits = len - 8 * b >= 8 ? 8 : len - 8 * b;
			uint8_t m = (uint8_t)(0xff00u >> bits);

			if ((a[b] ^ p[i].addr[b]) & m)
				in = 0;
		}
		if (in)
			return 1;
	}
	return 0;
}

static uint32_t ref_addr_hash(const uint8_t a[16])
{
	uint32_t h = 0;

	for (unsigned b = 0; b < 16; b += 4) {
		uint32_t w = (uint32_t)a[b] << 24 | (uint32_t)a[b + 1] << 16 |
			     (uint32_t)a[b + 2] << 8 | a[b + 3];

		h = (h ^ w) * 0x9E3779B1u;
	}
	return h ^ h >> 16;
}

static uint32_t ref_hash(const struct prefix *p, uint32_t n,
			 const struct pkt_view *pv)
{
	int in_src = ref_inside(p, n, pv->src);
	int in_dst = ref_inside(p, n, pv->dst);

	if (in_src && !in_dst)
		return ref_addr_hash(pv->src);
	if (in_dst && !in_src)
		return ref_addr_hash(pv->dst);
	return ref_addr_hash(pv->src) ^ ref_addr_hash(pv->dst);
}

/*
 * fanout_site_init() prepares the prefixes as masked words: the same
 * answers as the byte-wise reference above, for every prefix length and
 * addresses on both sides of each boundary, either end inside; with no
 * prefixes the private ranges stand in.
 */
START_TEST(t_prepared_site)
{
	struct fanout_site prepared;
	struct prefix p[3];
	struct pkt_view pv;
	uint64_t x = 88172645463325252ULL;
	int inside_seen = 0, outside_seen = 0;

	for (unsigned len = 0; len <= 128; len++) {
		memset(&p[0], 0, sizeof(p[0]));
		memcpy(p[0].addr, "\x20\x01\x0d\xb8\xa5\x5a\x0f\xf0"
		       "\x12\x34\x56\x78\x9a\xbc\xde\xf0", 16);
		p[0].len = (uint8_t)len;
		for (unsigned b = len; b < 128; b++)    /* no host bits */
			p[0].addr[b / 8] &= (uint8_t)~(0x80u >> (b % 8));
		fanout_site_init(&prepared, p, 1);
		for (int k = 0; k < 64; k++) {
			uint32_t want;

			memset(&pv, 0, sizeof(pv));
			pv.ip_version = 6;
			memcpy(pv.src, p[0].addr, 16);
			x ^= x << 13; x ^= x >> 7; x ^= x << 17;
			/* flip one bit: before, at or after the boundary */
			if (k)
				pv.src[(x % 128) / 8] ^= (uint8_t)(0x80u >> (x % 8));
			memset(pv.dst, 0xee, 16);
			if (ref_inside(p, 1, pv.src) &&
			    !ref_inside(p, 1, pv.dst))
				inside_seen++;
			else
				outside_seen++;
			want = ref_hash(p, 1, &pv);
			ck_assert_uint_eq(fanout_hash(&prepared, &pv), want);
			/* the other way: the same key */
			memcpy(pv.dst, pv.src, 16);
			memset(pv.src, 0xee, 16);
			ck_assert_uint_eq(fanout_hash(&prepared, &pv), want);
		}
	}
	/* both cases met, so a wrong inside answer changes the key */
	ck_assert_int_gt(inside_seen, 128);
	ck_assert_int_gt(outside_seen, 128);
	/* no prefixes: 192.168.1.2 is the key, whichever end it is */
	fanout_site_init(&prepared, p, 0);
	ck_assert_uint_eq(prepared.n_internal, 7);
	memset(&pv, 0, sizeof(pv));
	pv.ip_version = 4;
	addr_map_v4(pv.src, (const uint8_t *)"\xc0\xa8\x01\x02");
	addr_map_v4(pv.dst, (const uint8_t *)"\x08\x08\x08\x08");
	{
		uint32_t a = fanout_hash(&prepared, &pv);

		ck_assert_uint_eq(a, ref_addr_hash(pv.src));
		addr_map_v4(pv.dst, (const uint8_t *)"\x01\x01\x01\x01");
		ck_assert_uint_eq(fanout_hash(&prepared, &pv), a);
		memcpy(pv.dst, pv.src, 16);
		addr_map_v4(pv.src, (const uint8_t *)"\x09\x09\x09\x09");
		ck_assert_uint_eq(fanout_hash(&prepared, &pv), a);
	}
}
END_TEST

static Suite *fanout_suite(void)
{
	Suite *s = suite_create("fanout");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, t_pairs_v4);
	tcase_add_test(tc, t_pairs_v6);
	tcase_add_test(tc, t_no_prefixes);
	tcase_add_test(tc, t_wide_prefixes);
	tcase_add_test(tc, t_client_one_worker);
	tcase_add_test(tc, t_not_ip_and_truncated);
	tcase_add_test(tc, t_can_fail);
	tcase_add_test(tc, t_fits);
	tcase_add_test(tc, t_prepared_site);
	tcase_add_test(tc, t_tunnels);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(fanout_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
