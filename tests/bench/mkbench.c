/*
 * mkbench.c - builds the benchmark traces.
 *
 *   mkbench real OUT.pcap SHARED_PCAP_DIR TARGET_PACKETS
 *	A "real mix": every usable capture in the directory (sorted by
 *	name) is read with libpcap and laid end to end; that template is
 *	then written again and again, each copy with its addresses remapped
 *	(a per-copy value XORed into octets 2-3 of IPv4 addresses and octets
 *	13-14 of IPv6 addresses, checksums fixed incrementally) and its time
 *	shifted after the previous copy, until TARGET_PACKETS packets.  When
 *	the directory is missing or holds no usable capture, a synthetic mix
 *	of TCP and UDP flows of realistic sizes is written instead.
 *   mkbench stress OUT.pcap NFLOWS
 *	The flow-table stress trace: NFLOWS concurrent UDP flows of 4 small
 *	packets each (packet 1 of every flow, then packet 2 of every flow,
 *	...), all within 20 seconds so that no idle timeout hits.
 *
 * Owns only the trace layouts; output is deterministic.  Non-Ethernet
 * captures (raw IP, Linux cooked, BSD loopback) get an Ethernet header;
 * other link types are skipped.
 */
#include "../tools/pcapw.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SEC          ((uint64_t)1000000)
#define T0_US        ((uint64_t)1153821600 * SEC)  /* 2006-07-25 10:00 UTC */
#define MAX_GAP_US   (1 * SEC)       /* long silences are shortened */
#define FILE_GAP_US  ((uint64_t)1000)
#define ETH_HLEN     14
#define STRESS_SPAN  (20 * SEC)
#define SYN_WINDOW   2000            /* synthetic mix: concurrent flows */

struct tpl_pkt {
	uint64_t rel_us;         /* time since the template start */
	size_t   off;            /* frame bytes in the pool */
	uint32_t caplen;
	uint32_t origlen;
};

struct tpl {
	struct tpl_pkt *pkts;
	size_t   n, cap;
	uint8_t *pool;
	size_t   used, pool_cap;
	uint64_t now;            /* running template time */
};

static void die(const char *what)
{
	fprintf(stderr, "mkbench: %s\n", what);
	exit(1);
}

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* ---- template ------------------------------------------------------- */

static uint8_t *tpl_add(struct tpl *t, uint64_t rel, uint32_t caplen,
			uint32_t origlen)
{
	struct tpl_pkt *k;

	if (t->n == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 4096;
		t->pkts = realloc(t->pkts, t->cap * sizeof(*t->pkts));
		if (t->pkts == NULL)
			die("out of memory");
	}
	if (t->used + caplen > t->pool_cap) {
		t->pool_cap = (t->used + caplen) * 2;
		t->pool = realloc(t->pool, t->pool_cap);
		if (t->pool == NULL)
			die("out of memory");
	}
	k = &t->pkts[t->n++];
	k->rel_us = rel;
	k->off = t->used;
	k->caplen = caplen;
	k->origlen = origlen;
	t->used += caplen;
	return t->pool + k->off;
}

/* The ethertype of a link header that is not Ethernet, and its length;
 * 0 when the frame cannot be converted. */
static uint16_t foreign_ethertype(int dlt, const uint8_t *d, uint32_t len,
				  uint32_t *hlen)
{
	uint32_t af;

	switch (dlt) {
	case DLT_RAW:
#ifdef DLT_IPV4
	case DLT_IPV4:
	case DLT_IPV6:
#endif
		*hlen = 0;
		if (len < 1)
			return 0;
		return (d[0] >> 4) == 6 ? 0x86dd : 0x0800;
	case DLT_LINUX_SLL:
		*hlen = 16;
		return len >= 16 ? rd16(d + 14) : 0;
	case DLT_NULL:
	case DLT_LOOP:
		*hlen = 4;
		if (len < 4)
			return 0;
		/* DLT_LOOP: network order; DLT_NULL: the writer's order,
		 * little-endian in practice (only small values matter) */
		if (dlt == DLT_LOOP)
			af = d[3];
		else
			af = d[0] ? d[0] : d[3];
		if (af == 2)
			return 0x0800;
		if (af == 10 || af == 24 || af == 28 || af == 30)
			return 0x86dd;
		return 0;
	default:
		return 0;
	}
}

static void add_frame(struct tpl *t, int dlt, const struct pcap_pkthdr *h,
		      const uint8_t *d, uint64_t rel)
{
	static const uint8_t macs[12] = {
		0x02, 0, 0, 0, 0, 0x01, 0x02, 0, 0, 0, 0, 0x02,
	};
	uint32_t hlen;
	uint16_t type;
	uint8_t *out;

	if (dlt == DLT_EN10MB) {
		memcpy(tpl_add(t, rel, h->caplen, h->len), d, h->caplen);
		return;
	}
	type = foreign_ethertype(dlt, d, h->caplen, &hlen);
	if (type == 0 || h->caplen < hlen || h->len < hlen)
		return;
	out = tpl_add(t, rel, h->caplen - hlen + ETH_HLEN,
		      h->len - hlen + ETH_HLEN);
	memcpy(out, macs, sizeof(macs));
	wr16(out + 12, type);
	memcpy(out + ETH_HLEN, d + hlen, h->caplen - hlen);
}

static int supported_dlt(int dlt)
{
	switch (dlt) {
	case DLT_EN10MB:
	case DLT_RAW:
#ifdef DLT_IPV4
	case DLT_IPV4:
	case DLT_IPV6:
#endif
	case DLT_LINUX_SLL:
	case DLT_NULL:
	case DLT_LOOP:
		return 1;
	default:
		return 0;
	}
}

static void load_file(struct tpl *t, const char *path)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *d;
	uint64_t prev = 0, ts;
	int first = 1, dlt;
	pcap_t *p = pcap_open_offline(path, errbuf);

	if (p == NULL) {
		fprintf(stderr, "mkbench: skipping %s: %s\n", path, errbuf);
		return;
	}
	dlt = pcap_datalink(p);
	if (!supported_dlt(dlt)) {
		fprintf(stderr, "mkbench: skipping %s: link type %d\n", path,
			dlt);
		pcap_close(p);
		return;
	}
	while (pcap_next_ex(p, &h, &d) == 1) {
		ts = (uint64_t)h->ts.tv_sec * SEC + (uint64_t)h->ts.tv_usec;
		/* Out-of-order packets keep the clock; long silences are
		 * cut so that copies stay short. */
		if (!first && ts > prev)
			t->now += ts - prev > MAX_GAP_US ? MAX_GAP_US :
				ts - prev;
		if (first || ts > prev)
			prev = ts;
		first = 0;
		add_frame(t, dlt, h, d, t->now);
	}
	t->now += FILE_GAP_US;
	pcap_close(p);
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void load_dir(struct tpl *t, const char *dir)
{
	char **names = NULL, path[4096];
	size_t n = 0, cap = 0, l;
	struct dirent *e;
	DIR *dp = opendir(dir);

	if (dp == NULL)
		return;
	while ((e = readdir(dp)) != NULL) {
		l = strlen(e->d_name);
		if (l < 6 || strcmp(e->d_name + l - 5, ".pcap") != 0)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 128;
			names = realloc(names, cap * sizeof(*names));
			if (names == NULL)
				die("out of memory");
		}
		names[n] = strdup(e->d_name);
		if (names[n++] == NULL)
			die("out of memory");
	}
	closedir(dp);
	if (n)
		qsort(names, n, sizeof(*names), by_name);
	for (size_t i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		load_file(t, path);
		free(names[i]);
	}
	free(names);
}

/* ---- address remapping ---------------------------------------------- */

/* RFC 1624 eqn. 3 for each 16-bit word that changed. */
static void csum_adjust(uint8_t *ck, const uint8_t *old, const uint8_t *new,
			uint32_t len)
{
	uint32_t sum = (uint16_t)~rd16(ck);

	for (uint32_t i = 0; i + 1 < len; i += 2) {
		sum += (uint16_t)~rd16(old + i);
		sum += rd16(new + i);
	}
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	wr16(ck, (uint16_t)~sum);
}

/* Fix the TCP/UDP/ICMPv6 checksum at l4 after the pseudo-header addresses
 * changed from old to new (alen bytes each of source and destination). */
static void fix_l4(uint8_t proto, uint8_t *l4, uint32_t l4cap,
		   const uint8_t *old, const uint8_t *new, uint32_t alen)
{
	uint8_t *ck;

	if (proto == 6 && l4cap >= 18)
		ck = l4 + 16;
	else if (proto == 17 && l4cap >= 8)
		ck = l4 + 6;
	else if (proto == 58 && l4cap >= 4)
		ck = l4 + 2;
	else
		return;
	if (proto == 17 && rd16(ck) == 0)
		return;         /* no UDP checksum: keep none */
	csum_adjust(ck, old, new, alen);
	if (proto == 17 && rd16(ck) == 0)
		wr16(ck, 0xffff);
}

static void remap_ip4(uint8_t *ip, uint32_t cap, uint16_t x)
{
	uint8_t old[8];
	uint32_t ihl;

	if (cap < 20 || (ip[0] >> 4) != 4)
		return;
	ihl = (uint32_t)(ip[0] & 0x0f) * 4;
	if (ihl < 20 || cap < ihl)
		return;
	memcpy(old, ip + 12, 8);
	ip[13] ^= (uint8_t)(x >> 8);
	ip[14] ^= (uint8_t)x;
	ip[17] ^= (uint8_t)(x >> 8);
	ip[18] ^= (uint8_t)x;
	csum_adjust(ip + 10, old, ip + 12, 8);
	if ((rd16(ip + 6) & 0x1fff) == 0)
		fix_l4(ip[9], ip + ihl, cap - ihl, old, ip + 12, 8);
}

static void remap_ip6(uint8_t *ip, uint32_t cap, uint16_t x)
{
	uint8_t old[32];

	if (cap < 40 || (ip[0] >> 4) != 6)
		return;
	memcpy(old, ip + 8, 32);
	ip[20] ^= (uint8_t)(x >> 8);
	ip[21] ^= (uint8_t)x;
	ip[36] ^= (uint8_t)(x >> 8);
	ip[37] ^= (uint8_t)x;
	fix_l4(ip[6], ip + 40, cap - 40, old, ip + 8, 32);
}

static void remap(uint8_t *f, uint32_t cap, uint16_t x)
{
	uint32_t off = ETH_HLEN;
	uint16_t type;

	if (x == 0 || cap < ETH_HLEN)
		return;
	type = rd16(f + 12);
	while (type == 0x8100 || type == 0x88a8) {
		if (cap < off + 4)
			return;
		type = rd16(f + off + 2);
		off += 4;
	}
	if (type == 0x0800)
		remap_ip4(f + off, cap - off, x);
	else if (type == 0x86dd)
		remap_ip6(f + off, cap - off, x);
}

static int write_copies(const struct tpl *t, const char *out, uint64_t target)
{
	uint64_t span = t->now + FILE_GAP_US, written = 0;
	uint8_t *buf = malloc(PCAPW_MAX_FRAME);
	struct pcapw w;

	if (buf == NULL)
		die("out of memory");
	if (pcapw_open(&w, out, PCAPW_LINK_EN10MB, PCAPW_SNAPLEN) != 0) {
		perror(out);
		return 1;
	}
	for (uint64_t copy = 0; written < target; copy++) {
		for (size_t i = 0; i < t->n && written < target; i++) {
			const struct tpl_pkt *k = &t->pkts[i];
			uint32_t len = k->caplen < PCAPW_MAX_FRAME ?
				k->caplen : PCAPW_MAX_FRAME;

			memcpy(buf, t->pool + k->off, len);
			remap(buf, len, (uint16_t)copy);
			pcapw_write(&w, T0_US + copy * span + k->rel_us, buf,
				    len, k->origlen);
			written++;
		}
	}
	free(buf);
	fprintf(stderr, "mkbench: %" PRIu64 " packets from a template of %zu\n",
		written, t->n);
	return pcapw_close(&w) == 0 ? 0 : 1;
}

/* ---- synthetic mix -------------------------------------------------- */

struct syn_flow {
	struct pcapw_pkt p;      /* client's view */
	uint32_t seq[2];
	int      left;           /* packets still to send */
	int      step;
};

static uint64_t syn_rng(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dull;
}

static void syn_new(struct syn_flow *f, uint64_t *rng, uint32_t id)
{
	uint64_t r = syn_rng(rng);

	memset(f, 0, sizeof(*f));
	f->p.ip_version = 4;
	/* clients in 198.18.0.0/15 (RFC 2544 benchmarking) */
	pcapw_v4(f->p.src, 198, (uint8_t)(18 + ((id >> 16) & 1)),
		 (uint8_t)(id >> 8), (uint8_t)id);
	pcapw_v4(f->p.dst, 198, 51, 100, (uint8_t)(r >> 8));
	f->p.sport = (uint16_t)(32768 + (id >> 17) % 28000);
	if (r % 10 < 6) {
		f->p.proto = PCAPW_PROTO_TCP;
		f->p.dport = (r >> 16) & 1 ? 443 : 80;
		f->left = 6 + (int)((r >> 20) % 40);
	} else {
		f->p.proto = PCAPW_PROTO_UDP;
		f->p.dport = (r >> 16) & 1 ? 33001 : 40002;
		f->left = 2 + (int)((r >> 20) % 10);
	}
	f->seq[0] = (uint32_t)(r >> 32);
	f->seq[1] = (uint32_t)r;
}

/* The next packet of f into p: TCP is SYN, SYN-ACK, ACK, then client
 * requests, server MSS-sized data and client ACKs, then FIN/FIN. */
static void syn_next(struct syn_flow *f, uint64_t *rng, struct pcapw_pkt *p,
		     uint8_t *payload)
{
	uint64_t r = syn_rng(rng);
	int dir = f->step % 2;
	int tcp = f->p.proto == PCAPW_PROTO_TCP;

	*p = f->p;
	p->payload = payload;
	if (tcp) {
		if (f->step == 0) {
			p->tcp_flags = PCAPW_SYN;
		} else if (f->step == 1) {
			p->tcp_flags = PCAPW_SYN | PCAPW_ACK;
		} else if (f->left <= 2) {
			p->tcp_flags = PCAPW_FIN | PCAPW_ACK;
		} else {
			p->tcp_flags = PCAPW_ACK | (dir ? PCAPW_PSH : 0);
			p->payload_len = dir ? 1460 : (f->step == 2 ? 0 :
				(uint32_t)(40 + r % 500));
		}
	} else {
		p->payload_len = dir ? (uint32_t)(100 + r % 1100) :
			(uint32_t)(40 + r % 200);
	}
	if (dir) {
		memcpy(p->src, f->p.dst, 16);
		memcpy(p->dst, f->p.src, 16);
		p->sport = f->p.dport;
		p->dport = f->p.sport;
	}
	p->seq = f->seq[dir];
	p->ack = f->seq[!dir];
	f->seq[dir] += p->payload_len + !!(p->tcp_flags & PCAPW_SYN) +
		!!(p->tcp_flags & PCAPW_FIN);
	f->step++;
	f->left--;
}

static int write_synthetic(const char *out, uint64_t target)
{
	uint8_t payload[1500];
	struct syn_flow *flows = calloc(SYN_WINDOW, sizeof(*flows));
	uint8_t *buf = malloc(PCAPW_MAX_FRAME);
	uint64_t rng = 0x5eed5eed5eedull, ts = T0_US;
	uint32_t next_id = 0, len;
	struct pcapw_pkt p;
	struct pcapw w;

	if (flows == NULL || buf == NULL)
		die("out of memory");
	memset(payload, 0xa5, sizeof(payload));
	for (uint32_t i = 0; i < SYN_WINDOW; i++)
		syn_new(&flows[i], &rng, next_id++);
	if (pcapw_open(&w, out, PCAPW_LINK_EN10MB, PCAPW_SNAPLEN) != 0) {
		perror(out);
		return 1;
	}
	for (uint64_t n = 0; n < target; n++) {
		struct syn_flow *f = &flows[syn_rng(&rng) % SYN_WINDOW];

		syn_next(f, &rng, &p, payload);
		len = pcapw_build(&p, buf, PCAPW_MAX_FRAME);
		pcapw_write(&w, ts, buf, len, len);
		ts += 5 + syn_rng(&rng) % 20;
		if (f->left <= 0)
			syn_new(f, &rng, next_id++);
	}
	free(buf);
	free(flows);
	fprintf(stderr, "mkbench: %" PRIu64 " synthetic packets\n", target);
	return pcapw_close(&w) == 0 ? 0 : 1;
}

/* ---- stress --------------------------------------------------------- */

static int write_stress(const char *out, uint64_t nflows)
{
	static const uint8_t payload[32] = "skyprobe flow-table stress trace";
	uint8_t *buf = malloc(PCAPW_MAX_FRAME);
	uint64_t total = 4 * nflows;
	struct pcapw_pkt p;
	struct pcapw w;
	uint32_t len;

	if (buf == NULL)
		die("out of memory");
	if (nflows == 0 || nflows > (uint64_t)65536 * 60000)
		die("NFLOWS must be between 1 and 3932160000");
	if (pcapw_open(&w, out, PCAPW_LINK_EN10MB, PCAPW_SNAPLEN) != 0) {
		perror(out);
		return 1;
	}
	memset(&p, 0, sizeof(p));
	p.ip_version = 4;
	p.proto = PCAPW_PROTO_UDP;
	p.payload = payload;
	p.payload_len = sizeof(payload);
	/* Flow i: 198.18.x.y:(1024 + i / 65536) <-> 198.19.0.z:5000
	 * (RFC 2544 benchmarking range); round r goes forward when even. */
	for (uint64_t r = 0; r < 4; r++) {
		for (uint64_t i = 0; i < nflows; i++) {
			uint64_t n = r * nflows + i;
			uint8_t *c = r & 1 ? p.dst : p.src;
			uint8_t *s = r & 1 ? p.src : p.dst;
			uint16_t cport = (uint16_t)(1024 + i / 65536);

			pcapw_v4(c, 198, 18, (uint8_t)(i >> 8), (uint8_t)i);
			pcapw_v4(s, 198, 19, 0, (uint8_t)(1 + i % 200));
			p.sport = r & 1 ? 5000 : cport;
			p.dport = r & 1 ? cport : 5000;
			p.ip_id = (uint16_t)n;
			len = pcapw_build(&p, buf, PCAPW_MAX_FRAME);
			pcapw_write(&w, T0_US + n * STRESS_SPAN / total, buf,
				    len, len);
		}
	}
	free(buf);
	return pcapw_close(&w) == 0 ? 0 : 1;
}

/* ---- command line --------------------------------------------------- */

static uint64_t parse_count(const char *s)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || *end != '\0' || v == 0)
		die("bad count (expected a positive integer)");
	return v;
}

int main(int argc, char **argv)
{
	struct tpl t;
	int rc;

	if (argc == 5 && strcmp(argv[1], "real") == 0) {
		uint64_t target = parse_count(argv[4]);

		memset(&t, 0, sizeof(t));
		load_dir(&t, argv[3]);
		if (t.n == 0) {
			fprintf(stderr, "mkbench: no usable capture in %s, "
				"writing a synthetic mix\n", argv[3]);
			return write_synthetic(argv[2], target);
		}
		rc = write_copies(&t, argv[2], target);
		free(t.pkts);
		free(t.pool);
		return rc;
	}
	if (argc == 4 && strcmp(argv[1], "stress") == 0)
		return write_stress(argv[2], parse_count(argv[3]));
	fprintf(stderr, "usage: mkbench real OUT.pcap SHARED_PCAP_DIR "
		"TARGET_PACKETS\n"
		"       mkbench stress OUT.pcap NFLOWS\n");
	return 2;
}
