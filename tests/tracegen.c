/*
 * tracegen.c - deterministic test traces for the metering and the Skype
 * signature (NGNI-SKYPE-06b, as consolidated in SIGNATURE.md).
 *
 *   tracegen --list                      scenario names
 *   tracegen SCENARIO OUT.pcap           write one scenario
 *   tracegen --all DIR                   write DIR/SCENARIO.pcap for all
 *   tracegen --describe SCENARIO         what the scenario holds, in words
 *   tracegen --expect SCENARIO [--idle S] [--active S]
 *                                        the flow records and sessions the
 *                                        probe must report (see TRACES.md)
 *
 * Owns the scenarios: their packets, and the expected results computed
 * from exactly what was written (never hand-counted).  Every scenario
 * builds its packets on per-actor clocks; the packets are then sorted by
 * time, so concurrent clients interleave as they would on a wire.  All
 * "random" bytes come from a PRNG seeded with the scenario name.
 */
#include "pcapw.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define SEC        1000000ull
#define MSEC       1000ull
#define T0_US      (1153821600ull * SEC)  /* 2006-07-25 10:00:00 UTC */
#define STEP_US    (15 * MSEC)            /* default gap after a packet */
#define MAX_CONNS  512
#define MAX_SESS   64
#define MAX_PAYLOAD 4096

/* Skype login servers etc. (paper, section 5.2.3) */
#define LS_ADDR        "195.215.8.141"
#define SKYPEOUT_ADDR  "195.215.8.140"
#define CONTACTS_ADDR  "195.215.8.142"

struct tg_pkt {
	uint64_t ts;
	uint32_t order;          /* generation order: makes the sort stable */
	int      conn;
	uint8_t  dir;            /* 0: conn initiator -> responder */
	uint8_t  flags;          /* TCP flags */
	uint32_t ip_len;
	size_t   off;            /* frame bytes in tg.frames */
	uint32_t len;
};

struct tg_conn {
	struct pcapw_pkt tmpl;   /* initiator's view: src = initiator */
	uint32_t seq[2];         /* next sequence number per direction */
	const char *role;
};

struct tg_sess {
	const char *client;
	const char *sn;
	uint16_t sn_port;
	int      connected;
	uint32_t sn_changes;
	uint32_t refused;
	const char *login;
	const char *mode;
	const char *version;
	const char *end;
	uint64_t start_ts;
	uint64_t connected_ts;
	uint64_t end_ts;         /* 0: not determined by the trace */
};

struct tg {
	uint64_t now;
	uint64_t rng;
	uint16_t ip_id;
	struct tg_pkt *pkts;
	size_t   npkts, cap_pkts;
	uint8_t *frames;
	size_t   nframes, cap_frames;
	int      nconns;
	struct tg_conn conns[MAX_CONNS];
	int      nsess;
	struct tg_sess sess[MAX_SESS];
	const char *seqid_note;  /* text for --expect, or NULL */
};

/* A Skype client: its address, the UDP port it probes from, and the
 * section 5.1 request counter (grows by 2 per initiated UDP request). */
struct sc {
	const char *ip;
	uint16_t udp_port;
	uint16_t tcp_port;       /* next TCP source port */
	uint16_t next_id;
};

static void die(const char *msg)
{
	fprintf(stderr, "tracegen: %s\n", msg);
	exit(2);
}

/* ---- PRNG (xorshift64*) --------------------------------------------- */

static uint32_t rnd(struct tg *tg)
{
	tg->rng ^= tg->rng >> 12;
	tg->rng ^= tg->rng << 25;
	tg->rng ^= tg->rng >> 27;
	return (uint32_t)((tg->rng * 0x2545f4914f6cdd1dull) >> 32);
}

static uint32_t rnd_range(struct tg *tg, uint32_t lo, uint32_t hi)
{
	return lo + rnd(tg) % (hi - lo + 1);
}

static void rnd_fill(struct tg *tg, uint8_t *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		p[i] = (uint8_t)rnd(tg);
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

/* ---- connections and packets ---------------------------------------- */

static int conn_new(struct tg *tg, uint8_t proto, const char *a, uint16_t ap,
		    const char *b, uint16_t bp, uint16_t vlan)
{
	struct tg_conn *c;
	int va, vb;

	if (tg->nconns >= MAX_CONNS)
		die("too many connections");
	c = &tg->conns[tg->nconns];
	memset(c, 0, sizeof(*c));
	va = pcapw_addr(c->tmpl.src, a);
	vb = pcapw_addr(c->tmpl.dst, b);
	if (va == 0 || va != vb)
		die("bad address pair");
	c->tmpl.ip_version = (uint8_t)va;
	c->tmpl.proto = proto;
	c->tmpl.sport = ap;
	c->tmpl.dport = bp;
	c->tmpl.vlan_id = vlan;
	c->tmpl.ttl = (uint8_t)(va == 4 ? 128 : 64);
	c->seq[0] = rnd(tg);
	c->seq[1] = rnd(tg);
	c->role = "none";
	return tg->nconns++;
}

static void store(struct tg *tg, int ci, int dir, const struct pcapw_pkt *p)
{
	uint32_t len, need = PCAPW_MAX_FRAME;
	struct tg_pkt *k;

	if (tg->nframes + need > tg->cap_frames) {
		tg->cap_frames = (tg->cap_frames + need) * 2;
		tg->frames = realloc(tg->frames, tg->cap_frames);
		if (tg->frames == NULL)
			die("out of memory");
	}
	if (tg->npkts == tg->cap_pkts) {
		tg->cap_pkts = tg->cap_pkts ? tg->cap_pkts * 2 : 1024;
		tg->pkts = realloc(tg->pkts, tg->cap_pkts * sizeof(*tg->pkts));
		if (tg->pkts == NULL)
			die("out of memory");
	}
	len = pcapw_build(p, tg->frames + tg->nframes, need);
	if (len == 0)
		die("cannot build packet");
	k = &tg->pkts[tg->npkts];
	k->ts = tg->now;
	k->order = (uint32_t)tg->npkts;
	k->conn = ci;
	k->dir = (uint8_t)dir;
	k->flags = p->proto == PCAPW_PROTO_TCP ? p->tcp_flags : 0;
	k->ip_len = pcapw_ip_len(p);
	k->off = tg->nframes;
	k->len = len;
	tg->nframes += len;
	tg->npkts++;
}

/* The template seen from direction dir. */
static struct pcapw_pkt view(struct tg *tg, int ci, int dir)
{
	struct pcapw_pkt p = tg->conns[ci].tmpl;

	if (dir) {
		memcpy(p.src, tg->conns[ci].tmpl.dst, 16);
		memcpy(p.dst, tg->conns[ci].tmpl.src, 16);
		p.sport = tg->conns[ci].tmpl.dport;
		p.dport = tg->conns[ci].tmpl.sport;
	}
	p.ip_id = tg->ip_id++;
	return p;
}

/* Send one packet at tg->now, then step the clock.  Returns its time. */
static uint64_t emit(struct tg *tg, int ci, int dir, uint8_t flags,
		     const uint8_t *data, uint32_t len)
{
	struct tg_conn *c = &tg->conns[ci];
	struct pcapw_pkt p = view(tg, ci, dir);
	uint64_t ts = tg->now;

	p.payload = data;
	p.payload_len = len;
	if (p.proto == PCAPW_PROTO_TCP) {
		p.tcp_flags = flags;
		p.seq = c->seq[dir];
		p.ack = c->seq[!dir];
		if (flags & PCAPW_SYN)
			p.tcp_mss = 1460;
		c->seq[dir] += len + !!(flags & PCAPW_SYN) +
			!!(flags & PCAPW_FIN);
	}
	store(tg, ci, dir, &p);
	tg->now += STEP_US;
	return ts;
}

static void wait_ms(struct tg *tg, uint64_t ms)
{
	tg->now += ms * MSEC;
}

static uint64_t udp_send(struct tg *tg, int ci, int dir, const uint8_t *d,
			 uint32_t len)
{
	return emit(tg, ci, dir, 0, d, len);
}

static uint64_t tcp_data(struct tg *tg, int ci, int dir, const uint8_t *d,
			 uint32_t len)
{
	return emit(tg, ci, dir, PCAPW_PSH | PCAPW_ACK, d, len);
}

static uint64_t tcp_ack(struct tg *tg, int ci, int dir)
{
	return emit(tg, ci, dir, PCAPW_ACK, NULL, 0);
}

static uint64_t tcp_rand(struct tg *tg, int ci, int dir, uint32_t len)
{
	uint8_t buf[MAX_PAYLOAD];

	if (len > sizeof(buf))
		die("payload too large");
	rnd_fill(tg, buf, len);
	return tcp_data(tg, ci, dir, buf, len);
}

static void tcp_open(struct tg *tg, int ci)
{
	emit(tg, ci, 0, PCAPW_SYN, NULL, 0);
	emit(tg, ci, 1, PCAPW_SYN | PCAPW_ACK, NULL, 0);
	emit(tg, ci, 0, PCAPW_ACK, NULL, 0);
}

/* FIN from dir, FIN from the peer, last ACK from dir.  Returns the time of
 * the packet that completes the FIN pair (where the probe ends the flow). */
static uint64_t tcp_fin(struct tg *tg, int ci, int dir)
{
	uint64_t ts;

	emit(tg, ci, dir, PCAPW_FIN | PCAPW_ACK, NULL, 0);
	ts = emit(tg, ci, !dir, PCAPW_FIN | PCAPW_ACK, NULL, 0);
	emit(tg, ci, dir, PCAPW_ACK, NULL, 0);
	return ts;
}

static uint64_t tcp_rst(struct tg *tg, int ci, int dir)
{
	return emit(tg, ci, dir, PCAPW_RST | PCAPW_ACK, NULL, 0);
}

static uint64_t icmp_echo(struct tg *tg, int ci, int dir, uint8_t type,
			  uint16_t id, uint16_t seq, uint32_t len)
{
	uint8_t buf[MAX_PAYLOAD];
	struct pcapw_pkt p = view(tg, ci, dir);
	uint64_t ts = tg->now;

	for (uint32_t i = 0; i < len && i < sizeof(buf); i++)
		buf[i] = (uint8_t)(0x10 + i);
	p.icmp_type = type;
	p.icmp_id = id;
	p.icmp_seq = seq;
	p.payload = buf;
	p.payload_len = len;
	store(tg, ci, dir, &p);
	tg->now += STEP_US;
	return ts;
}

/* One UDP datagram of len payload bytes as two IPv4 fragments. */
static void udp_fragmented(struct tg *tg, int ci, int dir, uint32_t len)
{
	uint8_t data[MAX_PAYLOAD], seg[MAX_PAYLOAD + 8];
	struct pcapw_pkt p = view(tg, ci, dir);
	uint32_t seglen, first = 1480;

	rnd_fill(tg, data, len);
	p.payload = data;
	p.payload_len = len;
	seglen = pcapw_build_l4(&p, seg, sizeof(seg));
	if (seglen <= first)
		die("datagram too small to fragment");
	p.raw = 1;
	p.more_frags = 1;
	p.payload = seg;
	p.payload_len = first;
	store(tg, ci, dir, &p);
	tg->now += MSEC;
	p.more_frags = 0;
	p.frag_offset = (uint16_t)first;
	p.payload = seg + first;
	p.payload_len = seglen - first;
	store(tg, ci, dir, &p);
	tg->now += STEP_US;
}

static struct tg_sess *sess_new(struct tg *tg, const char *client,
				const char *sn, uint16_t sn_port)
{
	struct tg_sess *s;

	if (tg->nsess >= MAX_SESS)
		die("too many sessions");
	s = &tg->sess[tg->nsess++];
	memset(s, 0, sizeof(*s));
	s->client = client;
	s->sn = sn;
	s->sn_port = sn_port;
	s->login = "none";
	s->mode = "udp-tcp";
	s->version = "1.4";
	s->end = "shutdown";
	return s;
}
