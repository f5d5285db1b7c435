/*
 * tracegen.c - deterministic test traces for the metering and the Skype
 * signature (NGNI-SKYPE-06b, as consolidated in SIGNATURE.md).
 *
 *   tracegen --list                      scenario names
 *   tracegen --list-floods               the flood scenarios (issue 9):
 *                                        not in --list or --all
 *   tracegen SCENARIO OUT.pcap           write one scenario
 *   tracegen --all DIR                   write DIR/SCENARIO.pcap for all
 *   tracegen --describe SCENARIO         what the scenario holds, in words
 *   tracegen --expect SCENARIO           one line per flow, all its records
 *                                        summed: "proto src sport dst dport
 *                                        pkts_fwd octets_fwd pkts_rev
 *                                        octets_rev" (proto as a number)
 *   tracegen --records SCENARIO [--idle S] [--active S]
 *                                        each flow record the probe must
 *                                        export (end reason, Skype role) and
 *                                        the sessions (see TRACES.md)
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

#define SEC        ((uint64_t)1000000)
#define MSEC       ((uint64_t)1000)
#define T0_US      ((uint64_t)1153821600 * SEC)  /* 2006-07-25 10:00:00 UTC */
#define STEP_US    (15 * MSEC)            /* default gap after a packet */
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
	int      sess;           /* index in tg.sess of its session, -1 none
				    (a conn whose role is "none" has none) */
	uint32_t flood;          /* flood probe: its flood session + 1 */
};

struct tg_sess {
	char     client[48];
	char     sn[48];
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
	int      end_conn;       /* SN connection whose end ends it, or -1 */
	uint32_t id;             /* skypeSessionId: rank by start time */
};

struct tg {
	uint64_t now;
	uint64_t rng;
	uint16_t ip_id;
	struct tg_pkt *pkts;
	size_t   npkts, cap_pkts;
	uint8_t *frames;
	size_t   nframes, cap_frames;
	int      nconns, cap_conns;
	struct tg_conn *conns;
	int      nsess;
	struct tg_sess sess[MAX_SESS];
	/* flood scenarios (issue 9): each spoofed probe starts a session of
	 * its own; only their number and start times are kept (ascending) */
	uint32_t nflood, cap_flood;
	uint64_t *flood_start;
	uint32_t *flood_id;
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

/* No CR or LF in filler: tshark's HTTP dissector, which owns port 80,
 * would otherwise take random bytes for header lines and call them
 * malformed. */
static void rnd_fill(struct tg *tg, uint8_t *p, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		p[i] = (uint8_t)rnd(tg);
		if (p[i] == '\r' || p[i] == '\n')
			p[i] |= 0x80;
	}
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

	if (tg->nconns == tg->cap_conns) {
		tg->cap_conns = tg->cap_conns ? tg->cap_conns * 2 : 256;
		tg->conns = realloc(tg->conns,
				    (size_t)tg->cap_conns * sizeof(*tg->conns));
		if (tg->conns == NULL)
			die("out of memory");
	}
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
	/* A Skype connection belongs to its client's session: by default the
	 * latest one the scenario opened for this address (scenarios with
	 * several clients behind one address set it themselves). */
	c->sess = -1;
	for (int i = tg->nsess - 1; i >= 0; i--)
		if (strcmp(tg->sess[i].client, a) == 0) {
			c->sess = i;
			break;
		}
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
	snprintf(s->client, sizeof(s->client), "%s", client);
	snprintf(s->sn, sizeof(s->sn), "%s", sn);
	s->sn_port = sn_port;
	s->login = "none";
	s->mode = "udp-tcp";
	s->version = "1.4";
	s->end = "shutdown";
	s->end_conn = -1;
	return s;
}

/* ---- Skype messages (SIGNATURE.md; M[x-y] there is 1-based) --------- */

static const uint8_t r1_443[56] = {
	0x80, 0x46, 0x01, 0x03, 0x01, 0x00, 0x2d, 0x00,
	0x00, 0x00, 0x10, 0x00, 0x00, 0x05, 0x00, 0x00,
	0x04, 0x00, 0x00, 0x0a, 0x00, 0x00, 0x09, 0x00,
	0x00, 0x64, 0x00, 0x00, 0x62, 0x00, 0x00, 0x08,
	0x00, 0x00, 0x03, 0x00, 0x00, 0x06, 0x01, 0x00,
	0x80, 0x07, 0x00, 0xc0, 0x03, 0x00, 0x80, 0x06,
	0x00, 0x40, 0x02, 0x00, 0x80, 0x04, 0x00, 0x80,
};

static const uint8_t r2_443[79] = {
	0x16, 0x03, 0x01, 0x00, 0x4a, 0x02, 0x00, 0x00,
	0x46, 0x03, 0x01, 0x40, 0x1b, 0xe4, 0x86, 0x02,
	0xad, 0xe0, 0x29, 0xe1, 0x77, 0x74, 0xe5, 0x44,
	0xb9, 0xc9, 0x9c, 0xb4, 0x31, 0x31, 0x5e, 0x02,
	0xdd, 0x77, 0x9d, 0x15, 0x4a, 0x96, 0x09, 0xba,
	0x5d, 0xa8, 0x70, 0x20, 0x1c, 0xa0, 0xe4, 0xf6,
	0x4c, 0x63, 0x51, 0xae, 0x2f, 0x8e, 0x4e, 0xe1,
	0xe6, 0x76, 0x6a, 0x0a, 0x88, 0xd5, 0xd8, 0xc5,
	0x5c, 0xae, 0x98, 0xc5, 0xe4, 0x81, 0xf2, 0x2a,
	0x69, 0xbf, 0x90, 0x58, 0x00, 0x05, 0x00,
};

static const uint8_t l1_msg[5] = { 0x16, 0x03, 0x01, 0x00, 0x00 };
static const uint8_t l2_msg[5] = { 0x17, 0x03, 0x01, 0x00, 0x00 };
static const uint8_t l3_start[15] = {
	0x16, 0x03, 0x01, 0x00, 0xcd, 0x41, 0x03, 0x00,
	0x09, 0x80, 0x40, 0x04, 0x08, 0xc0, 0x01,
};
static const uint8_t l3_inner[7] = { 0x00, 0x0c, 0x01, 0x17, 0x03, 0x01, 0x00 };
static const uint8_t l4_start[4] = { 0x17, 0x03, 0x01, 0x00 };

#define L3_LEN      210   /* record length 0xcd + 5 */
#define L3_INNER_AT 120
#define L4_LEN      85

static int v14_nibbles_match(const uint8_t *r, uint32_t len)
{
	return len == 16 && (r[4] >> 4) == (r[14] >> 4) &&
	       (r[5] >> 4) == (r[15] >> 4);
}

/* High nibbles of R1[6-14] against R1[16-24] (1-based), over the bytes
 * that exist. */
static int v20_nibbles_match(const uint8_t *r, uint32_t len)
{
	uint32_t i, n = 0;

	for (i = 0; i < 9 && 15 + i < len; i++, n++)
		if ((r[5 + i] >> 4) != (r[15 + i] >> 4))
			return 0;
	return n > 0;
}

static void check_not_r1_80(const uint8_t *r, uint32_t len, const char *what)
{
	if (v14_nibbles_match(r, len) || v20_nibbles_match(r, len)) {
		fprintf(stderr, "tracegen: %s matches the port-80 R1 rule\n",
			what);
		exit(3);
	}
}

/* Random bytes that no port-80 R1 rule matches and that do not start
 * with an upper-case token (HTTP methods). */
static void binary_not_r1(struct tg *tg, uint8_t *r, uint32_t len)
{
	do {
		rnd_fill(tg, r, len);
		r[0] |= 0x80;
	} while (v14_nibbles_match(r, len) || v20_nibbles_match(r, len));
}

static uint64_t udp_msg_u1(struct tg *tg, int ci, uint16_t id, uint8_t *u1,
			   uint32_t len)
{
	rnd_fill(tg, u1, len);
	put16(u1, id);
	u1[2] = 0x02;
	return udp_send(tg, ci, 0, u1, len);
}

/*
 * A UDP probe from sc to sn:port.  u1len is s(U1) (18 for v1.4); full
 * sends U2 and U3; u4len is 18 (positive), 51 or 53 (negative) or 0 (no
 * answer).  *pos_ts receives the time of a positive U4.
 */
static int udp_probe(struct tg *tg, struct sc *sc, const char *sn,
		     uint16_t port, uint32_t u1len, int full, uint32_t u4len,
		     uint64_t *pos_ts)
{
	uint8_t u1[64], u2[11], u3[64], u4[64], sc_ip[16], sn_ip[16];
	uint16_t id = sc->next_id;
	int ci = conn_new(tg, PCAPW_PROTO_UDP, sc->ip, sc->udp_port, sn,
			  port, 0);

	sc->next_id = (uint16_t)(sc->next_id + 2);
	pcapw_addr(sc_ip, sc->ip);
	pcapw_addr(sn_ip, sn);
	udp_msg_u1(tg, ci, id, u1, u1len);
	wait_ms(tg, 40);
	if (full) {
		rnd_fill(tg, u2, sizeof(u2));
		put16(u2, id);
		u2[2] = (uint8_t)((u2[2] & 0xf0) | 0x07);
		memcpy(u2 + 3, sc_ip, 4);
		udp_send(tg, ci, 1, u2, sizeof(u2));
		wait_ms(tg, 2);
		rnd_fill(tg, u3, u1len + 5);
		put16(u3, id);
		u3[2] = (uint8_t)((u3[2] & 0xf0) | 0x03);
		u3[3] = 0x01;
		memcpy(u3 + 4, u2 + 7, 4);
		memcpy(u3 + 8, sn_ip, 4);
		memcpy(u3 + 12, u1 + 7, 4);
		udp_send(tg, ci, 0, u3, u1len + 5);
		wait_ms(tg, 40);
	}
	if (u4len == 0)
		return ci;
	rnd_fill(tg, u4, u4len);
	if (u4len == 53)
		u4[2] = (uint8_t)((u4[2] & 0xf0) | 0x0d);
	else
		u4[2] = 0x02;
	if (u4[0] == (id >> 8) && u4[1] == (id & 0xff))
		u4[1] ^= 0x55;  /* the paper: U4 does not repeat the id */
	tg->conns[ci].role = u4len == 18 ? "udp-probe-pos" : "udp-probe-neg";
	if (pos_ts != NULL && u4len == 18)
		*pos_ts = tg->now;
	udp_send(tg, ci, 1, u4, u4len);
	return ci;
}

/* Super-node handshake sizes; t1 = 0 for the restricted modes. */
struct hs {
	uint32_t t1;
	uint32_t extra;          /* v2.0: one more SC message before T2 */
	uint32_t t2;
	uint32_t t3;
	uint32_t t4;
};

/* T2..T4 on an open connection: returns the time of T4 (0 when T3 = 339,
 * after which the SN closes the connection). */
static uint64_t hs_t2_t4(struct tg *tg, int ci, const struct hs *h)
{
	uint64_t ts;

	tcp_rand(tg, ci, 0, h->t2);
	wait_ms(tg, 30);
	tcp_rand(tg, ci, 1, h->t3);
	if (h->t3 == 339) {
		tg->conns[ci].role = "sn-refused";
		wait_ms(tg, 20);
		tcp_fin(tg, ci, 1);
		return 0;
	}
	ts = tcp_rand(tg, ci, 0, h->t4);
	tcp_ack(tg, ci, 1);
	return ts;
}

static int sn_connect(struct tg *tg, struct sc *sc, const char *sn,
		      uint16_t port, const struct hs *h, uint64_t *t4_ts)
{
	int ci = conn_new(tg, PCAPW_PROTO_TCP, sc->ip, sc->tcp_port++, sn,
			  port, 0);
	uint64_t ts;

	tcp_open(tg, ci);
	tcp_rand(tg, ci, 0, h->t1);
	tcp_rand(tg, ci, 1, rnd_range(tg, 30, 90));
	if (h->extra) {
		tcp_rand(tg, ci, 0, h->extra);
		tcp_ack(tg, ci, 1);
	}
	ts = hs_t2_t4(tg, ci, h);
	if (ts)
		tg->conns[ci].role = "sn-connection";
	if (t4_ts != NULL)
		*t4_ts = ts;
	return ci;
}

/* Keep-alive-like traffic on an SN connection: n exchanges gap_ms apart,
 * sizes outside every handshake range. */
static void sn_traffic(struct tg *tg, int ci, int n, uint64_t gap_ms)
{
	for (int i = 0; i < n; i++) {
		wait_ms(tg, gap_ms);
		tcp_rand(tg, ci, 0, rnd_range(tg, 40, 300));
		tcp_rand(tg, ci, 1, rnd_range(tg, 40, 300));
		tcp_ack(tg, ci, 0);
	}
}

enum r_kind { R_443, R_80_V14, R_80_V20, R_80_V25 };

/* Restricted mode: R1, R2, R3 then T2..T4.  *r1_ts gets the time of R1. */
static int restricted_connect(struct tg *tg, struct sc *sc, const char *sn,
			      uint16_t port, enum r_kind kind,
			      const struct hs *h, uint64_t *r1_ts,
			      uint64_t *t4_ts)
{
	uint8_t r1[72], r2[93];
	uint32_t r1len, r2len, r3len;
	int ci = conn_new(tg, PCAPW_PROTO_TCP, sc->ip, sc->tcp_port++, sn,
			  port, 0);

	if (kind == R_443) {
		r1len = 72;
		memcpy(r1, r1_443, sizeof(r1_443));
		rnd_fill(tg, r1 + 56, 16);
		r2len = 93;
		memcpy(r2, r2_443, sizeof(r2_443));
		rnd_fill(tg, r2 + 79, r2len - 79);
		r3len = 14;
	} else if (kind == R_80_V14) {
		r1len = 16;
		rnd_fill(tg, r1, r1len);
		r1[14] = (uint8_t)((r1[4] & 0xf0) | (r1[14] & 0x0f));
		r1[15] = (uint8_t)((r1[5] & 0xf0) | (r1[15] & 0x0f));
		r2len = 36;
		rnd_fill(tg, r2, r2len);
		r3len = 14;
	} else if (kind == R_80_V20) {
		r1len = 30;
		rnd_fill(tg, r1, r1len);
		for (int i = 0; i < 9; i++)
			r1[15 + i] = (uint8_t)((r1[5 + i] & 0xf0) |
					       (r1[15 + i] & 0x0f));
		r2len = 52;
		rnd_fill(tg, r2, r2len);
		r3len = 19;
	} else {
		/* v2.5: R1 changed (section 6.2); binary, matching neither
		 * nibble rule, not starting like an HTTP method */
		r1len = 24;
		binary_not_r1(tg, r1, r1len);
		r2len = 60;
		rnd_fill(tg, r2, r2len);
		r3len = 19;
	}
	tcp_open(tg, ci);
	*r1_ts = tcp_data(tg, ci, 0, r1, r1len);
	wait_ms(tg, 30);
	tcp_data(tg, ci, 1, r2, r2len);
	tcp_rand(tg, ci, 0, r3len);
	tcp_ack(tg, ci, 1);
	*t4_ts = hs_t2_t4(tg, ci, h);
	tg->conns[ci].role = *t4_ts == 0 ? "sn-refused" :
		kind == R_443 ? "restricted-443" : "restricted-80";
	return ci;
}

/* The login pattern of section 5.2.3 (L1..L4), wrong_pw adding one more
 * L3/L4 round; relayed sends only L3/L4 on the existing connection ci. */
static void login_l3(struct tg *tg, int ci, int dir)
{
	uint8_t l3[L3_LEN];

	rnd_fill(tg, l3, sizeof(l3));
	memcpy(l3, l3_start, sizeof(l3_start));
	memcpy(l3 + L3_INNER_AT, l3_inner, sizeof(l3_inner));
	tcp_data(tg, ci, dir, l3, sizeof(l3));
}

static void login_l4(struct tg *tg, int ci, int dir)
{
	uint8_t l4[L4_LEN];

	rnd_fill(tg, l4, sizeof(l4));
	memcpy(l4, l4_start, sizeof(l4_start));
	l4[4] = L4_LEN - 5;
	tcp_data(tg, ci, dir, l4, sizeof(l4));
}

static int login_exchange(struct tg *tg, struct sc *sc, const char *server,
			  uint16_t port, int wrong_pw, const char *role)
{
	int ci = conn_new(tg, PCAPW_PROTO_TCP, sc->ip, sc->tcp_port++,
			  server, port, 0);

	tcp_open(tg, ci);
	tcp_data(tg, ci, 0, l1_msg, sizeof(l1_msg));
	tcp_data(tg, ci, 1, l2_msg, sizeof(l2_msg));
	login_l3(tg, ci, 0);
	wait_ms(tg, 50);
	login_l4(tg, ci, 1);
	if (wrong_pw) {
		wait_ms(tg, 3000);      /* the user types the password again */
		login_l3(tg, ci, 0);
		wait_ms(tg, 50);
		login_l4(tg, ci, 1);
	}
	tcp_ack(tg, ci, 0);
	wait_ms(tg, 100);
	tcp_fin(tg, ci, 0);
	tg->conns[ci].role = role;
	return ci;
}

/* ---- ordinary protocols (background and look-alikes) ---------------- */

static uint32_t dns_msg(uint8_t *b, uint16_t id, const char *name,
			int response, const uint8_t addr[4])
{
	uint32_t n = 12;
	const char *p = name;

	put16(b, id);
	put16(b + 2, response ? 0x8180 : 0x0100);
	put16(b + 4, 1);
	put16(b + 6, response ? 1 : 0);
	put16(b + 8, 0);
	put16(b + 10, 0);
	while (*p) {
		const char *dot = strchr(p, '.');
		size_t l = dot ? (size_t)(dot - p) : strlen(p);

		b[n++] = (uint8_t)l;
		memcpy(b + n, p, l);
		n += (uint32_t)l;
		p += l + (dot != NULL);
	}
	b[n++] = 0;
	put16(b + n, 1);        /* A */
	put16(b + n + 2, 1);    /* IN */
	n += 4;
	if (response) {
		put16(b + n, 0xc00c);
		put16(b + n + 2, 1);
		put16(b + n + 4, 1);
		put32(b + n + 6, 300);
		put16(b + n + 10, 4);
		memcpy(b + n + 12, addr, 4);
		n += 16;
	}
	return n;
}

static int dns_lookup(struct tg *tg, const char *client, uint16_t sport,
		      const char *server, const char *name, uint16_t vlan)
{
	static const uint8_t answer[4] = { 203, 0, 113, 80 };
	uint8_t b[512];
	uint16_t id = (uint16_t)rnd(tg);
	int ci = conn_new(tg, PCAPW_PROTO_UDP, client, sport, server, 53,
			  vlan);

	udp_send(tg, ci, 0, b, dns_msg(b, id, name, 0, answer));
	wait_ms(tg, 20);
	udp_send(tg, ci, 1, b, dns_msg(b, id, name, 1, answer));
	return ci;
}

static const char lorem[] =
	"Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do "
	"eiusmod tempor incididunt ut labore et dolore magna aliqua. ";

/* HTTP GET and a body_len response (split over two segments when
 * large), acknowledged by the client. */
static void http_exchange(struct tg *tg, int ci, const char *path,
			  uint32_t body_len)
{
	char req[256], resp[MAX_PAYLOAD];
	int hl, rl;
	uint32_t i, total, first;

	rl = snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: "
		      "www.example.com\r\nUser-Agent: tracegen/1.0\r\n"
		      "Accept: */*\r\n\r\n", path);
	check_not_r1_80((const uint8_t *)req, (uint32_t)rl, "HTTP request");
	tcp_data(tg, ci, 0, (const uint8_t *)req, (uint32_t)rl);
	wait_ms(tg, 30);
	hl = snprintf(resp, sizeof(resp), "HTTP/1.1 200 OK\r\nContent-Type: "
		      "text/plain\r\nContent-Length: %u\r\n\r\n", body_len);
	total = (uint32_t)hl + body_len;
	if (total > sizeof(resp))
		die("HTTP body too large");
	for (i = 0; i < body_len; i++)
		resp[hl + i] = lorem[i % (sizeof(lorem) - 1)];
	first = total > 1400 ? 1400 : total;
	tcp_data(tg, ci, 1, (const uint8_t *)resp, first);
	if (total > first)
		tcp_data(tg, ci, 1, (const uint8_t *)resp + first,
			 total - first);
	tcp_ack(tg, ci, 0);
}

static int http_flow(struct tg *tg, const char *client, uint16_t sport,
		     const char *server, uint16_t vlan, uint32_t body_len)
{
	int ci = conn_new(tg, PCAPW_PROTO_TCP, client, sport, server, 80,
			  vlan);

	tcp_open(tg, ci);
	http_exchange(tg, ci, "/index.html", body_len);
	wait_ms(tg, 200);
	tcp_fin(tg, ci, 0);
	return ci;
}

static int udp_flow(struct tg *tg, const char *a, uint16_t ap, const char *b,
		    uint16_t bp, uint16_t vlan, int nfwd, int nrev,
		    uint32_t len)
{
	uint8_t buf[MAX_PAYLOAD];
	int ci = conn_new(tg, PCAPW_PROTO_UDP, a, ap, b, bp, vlan);

	for (int i = 0; i < nfwd || i < nrev; i++) {
		if (i < nfwd) {
			rnd_fill(tg, buf, len);
			buf[2] = 0x00;  /* never U1-like */
			udp_send(tg, ci, 0, buf, len);
		}
		if (i < nrev) {
			rnd_fill(tg, buf, len);
			buf[2] = 0x00;
			udp_send(tg, ci, 1, buf, len);
		}
	}
	return ci;
}

/* ---- scenarios: metering -------------------------------------------- */

static void scn_metering_basic(struct tg *tg)
{
	uint8_t buf[128];
	int ci;

	/* IPv4 TCP: handshake, data both ways, FIN close */
	tg->now = T0_US;
	http_flow(tg, "192.0.2.10", 40000, "198.51.100.10", 0, 1900);

	/* UDP DNS exchange */
	tg->now = T0_US + 2 * SEC;
	dns_lookup(tg, "192.0.2.10", 53000, "198.51.100.53", "www.example.com",
		   0);

	/* ICMP echo request/reply, three times */
	tg->now = T0_US + 3 * SEC;
	ci = conn_new(tg, PCAPW_PROTO_ICMP, "192.0.2.10", 0, "198.51.100.1",
		      0, 0);
	for (uint16_t s = 1; s <= 3; s++) {
		icmp_echo(tg, ci, 0, 8, 0x0b0b, s, 56);
		wait_ms(tg, 5);
		icmp_echo(tg, ci, 1, 0, 0x0b0b, s, 56);
		wait_ms(tg, 1000);
	}

	/* IPv6 UDP: 3 packets forward, 1 back */
	tg->now = T0_US + 7 * SEC;
	udp_flow(tg, "2001:db8::10", 45000, "2001:db8:1::20", 45001, 0, 3, 1,
		 100);

	/* TCP ended by RST from the server */
	tg->now = T0_US + 8 * SEC;
	ci = conn_new(tg, PCAPW_PROTO_TCP, "192.0.2.11", 40001,
		      "198.51.100.11", 45555, 0);
	tcp_open(tg, ci);
	tcp_rand(tg, ci, 0, 100);
	tcp_ack(tg, ci, 1);
	tcp_rst(tg, ci, 1);

	/* VLAN 42, UDP 2+2 */
	tg->now = T0_US + 9 * SEC;
	udp_flow(tg, "192.0.2.12", 41010, "198.51.100.12", 41011, 42, 2, 2,
		 200);

	/* one fragmented UDP datagram (2000 payload bytes) */
	tg->now = T0_US + 10 * SEC;
	ci = conn_new(tg, PCAPW_PROTO_UDP, "192.0.2.15", 41000,
		      "198.51.100.15", 41001, 0);
	udp_fragmented(tg, ci, 0, 2000);

	/* two packets 120 s apart: split by an idle timeout <= 120 s */
	ci = conn_new(tg, PCAPW_PROTO_UDP, "192.0.2.13", 42000,
		      "198.51.100.13", 42001, 0);
	memset(buf, 0x5a, sizeof(buf));
	tg->now = T0_US + 11 * SEC;
	udp_send(tg, ci, 0, buf, 50);
	tg->now = T0_US + 131 * SEC;
	udp_send(tg, ci, 0, buf, 50);

	/* a 10-minute flow, one exchange every 10 s (active timeout) */
	ci = conn_new(tg, PCAPW_PROTO_UDP, "192.0.2.14", 43000,
		      "198.51.100.14", 43001, 0);
	for (int i = 0; i <= 60; i++) {
		tg->now = T0_US + 20 * SEC + (uint64_t)i * 10 * SEC;
		memset(buf, i, sizeof(buf));
		udp_send(tg, ci, 0, buf, 64);
		udp_send(tg, ci, 1, buf, 64);
	}
}

/* ---- scenarios: UDP probes ------------------------------------------ */

static struct sc client(const char *ip, uint16_t udp_port, uint16_t id)
{
	struct sc s = { ip, udp_port, 1030, id };

	return s;
}

static void scn_udp_probe_v14_full(struct tg *tg)
{
	struct sc sc = client("192.0.2.20", 21001, 0x5c3a);
	struct tg_sess *s = sess_new(tg, sc.ip, "198.51.100.20", 40020);

	s->version = "unknown";         /* an 18-byte U1 fits v2.0 too */
	tg->now = T0_US;
	udp_probe(tg, &sc, s->sn, s->sn_port, 18, 1, 18, &s->start_ts);
}

static void scn_udp_probe_partial(struct tg *tg)
{
	struct sc sc = client("192.0.2.21", 21002, 0x1200);
	struct tg_sess *s = sess_new(tg, sc.ip, "198.51.100.21", 40021);

	s->version = "unknown";
	tg->now = T0_US;
	udp_probe(tg, &sc, s->sn, s->sn_port, 18, 0, 18, &s->start_ts);
}

static void scn_udp_probe_negative(struct tg *tg)
{
	struct sc sc = client("192.0.2.22", 21003, 0x2468);

	tg->now = T0_US;
	udp_probe(tg, &sc, "198.51.100.22", 40022, 18, 1, 51, NULL);
	wait_ms(tg, 500);
	udp_probe(tg, &sc, "198.51.100.23", 40023, 18, 0, 53, NULL);
}

static void scn_udp_probe_bootstrap(struct tg *tg)
{
	struct sc sc = client("192.0.2.23", 21004, 0x7000);

	tg->now = T0_US;
	udp_probe(tg, &sc, "203.0.113.33", 33033, 18, 0, 51, NULL);
	wait_ms(tg, 300);
	udp_probe(tg, &sc, "203.0.113.34", 33033, 18, 0, 53, NULL);
}

static void scn_udp_probe_v20(struct tg *tg)
{
	struct sc sc = client("192.0.2.24", 21005, 0x0a10);
	struct tg_sess *s = sess_new(tg, sc.ip, "198.51.100.24", 40024);

	s->version = "2.0";
	tg->now = T0_US;
	udp_probe(tg, &sc, s->sn, s->sn_port, 27, 1, 18, &s->start_ts);
	wait_ms(tg, 500);
	udp_probe(tg, &sc, "198.51.100.25", 40025, 40, 0, 53, NULL);
}

/* ---- scenarios: sessions -------------------------------------------- */

static const struct hs hs_v14 = { 14, 0, 24, 120, 16 };

/* Positive full probe, then the v1.4 handshake to that SN. */
static int session_connect(struct tg *tg, struct sc *sc, struct tg_sess *s,
			   const struct hs *h)
{
	uint64_t t4;
	int ci;

	udp_probe(tg, sc, s->sn, s->sn_port, h->t1 == 14 ? 18 : 27, 1, 18,
		  s->start_ts ? NULL : &s->start_ts);
	wait_ms(tg, 100);
	ci = sn_connect(tg, sc, s->sn, s->sn_port, h, &t4);
	if (t4 && !s->connected) {
		s->connected = 1;
		s->connected_ts = t4;   /* the first step 9 of the session */
	}
	return ci;
}

/* The session ends when the flow record of SN connection ci ends (RST,
 * or the last ACK after the FIN pair); --expect finds that time. */
static void sess_closed(struct tg_sess *s, int ci)
{
	s->end = "sn-closed";
	s->end_conn = ci;
}

static void scn_session_v14(struct tg *tg)
{
	struct sc sc = client("192.0.2.30", 21010, 0x3a00);
	struct tg_sess *s = sess_new(tg, sc.ip, "198.51.100.30", 40030);
	int ci;

	tg->now = T0_US;
	ci = session_connect(tg, &sc, s, &hs_v14);
	sn_traffic(tg, ci, 5, 2000);
	wait_ms(tg, 1000);
	tcp_fin(tg, ci, 0);
	sess_closed(s, ci);
}

static void scn_session_refused(struct tg *tg)
{
	struct sc sc = client("192.0.2.31", 21011, 0x4b02);
	struct tg_sess *s = sess_new(tg, sc.ip, "198.51.100.32", 40032);
	static const struct hs refuse = { 14, 0, 23, 339, 16 };
	uint64_t t4;
	int ci;

	tg->now = T0_US;
	udp_probe(tg, &sc, "198.51.100.31", 40031, 18, 1, 18, &s->start_ts);
	wait_ms(tg, 200);
	udp_probe(tg, &sc, s->sn, s->sn_port, 18, 0, 18, NULL);
	wait_ms(tg, 100);
	sn_connect(tg, &sc, "198.51.100.31", 40031, &refuse, NULL);
	s->refused = 1;
	wait_ms(tg, 300);
	ci = sn_connect(tg, &sc, s->sn, s->sn_port, &hs_v14, &t4);
	s->connected = 1;
	s->connected_ts = t4;
	sn_traffic(tg, ci, 3, 3000);
	wait_ms(tg, 1000);
	tcp_fin(tg, ci, 0);
	sess_closed(s, ci);
}

static void scn_session_sn_change(struct tg *tg)
{
	struct sc sc = client("192.0.2.32", 21012, 0x6100);
	struct tg_sess *s = sess_new(tg, sc.ip, "198.51.100.33", 40033);
	int a, b;

	tg->now = T0_US;
	a = session_connect(tg, &sc, s, &hs_v14);
	sn_traffic(tg, a, 2, 5000);
	/* the client moves to SN B ... */
	snprintf(s->sn, sizeof(s->sn), "%s", "198.51.100.34");
	s->sn_port = 40034;
	wait_ms(tg, 2000);
	b = session_connect(tg, &sc, s, &hs_v14);
	s->sn_changes = 1;
	/* ... then A closes: the session goes on with B */
	wait_ms(tg, 1000);
	tcp_fin(tg, a, 1);
	sn_traffic(tg, b, 3, 5000);
	wait_ms(tg, 1000);
	tcp_fin(tg, b, 0);
	sess_closed(s, b);
}

static void scn_session_end_rst(struct tg *tg)
{
	struct sc sc = client("192.0.2.33", 21013, 0x0ff0);
	struct tg_sess *s = sess_new(tg, sc.ip, "198.51.100.35", 40035);
	int ci;

	tg->now = T0_US;
	ci = session_connect(tg, &sc, s, &hs_v14);
	sn_traffic(tg, ci, 3, 2000);
	wait_ms(tg, 500);
	tcp_rst(tg, ci, 1);
	sess_closed(s, ci);
}

static void scn_session_end_timeout(struct tg *tg)
{
	struct sc sc = client("192.0.2.34", 21014, 0x2222);
	struct tg_sess *s = sess_new(tg, sc.ip, "198.51.100.36", 40036);
	int ci;

	tg->now = T0_US;
	ci = session_connect(tg, &sc, s, &hs_v14);
	sn_traffic(tg, ci, 2, 2000);
	s->end = "timeout";
	s->end_conn = ci;       /* its last evidence */
	/* The SN connection falls silent.  Another host keeps the trace
	 * going for two hours, so that timeouts fire before end of file. */
	for (int i = 1; i <= 60; i++) {
		tg->now = T0_US + (uint64_t)i * 120 * SEC;
		dns_lookup(tg, "192.0.2.99", (uint16_t)(50000 + i),
			   "198.51.100.53", "www.example.org", 0);
	}
}

static void scn_session_v20(struct tg *tg)
{
	struct sc sc = client("192.0.2.35", 21015, 0x9000);
	struct tg_sess *s = sess_new(tg, sc.ip, "198.51.100.37", 40037);
	static const struct hs v20 = { 19, 38, 25, 230, 17 };
	int ci;

	s->version = "2.0";
	tg->now = T0_US;
	ci = session_connect(tg, &sc, s, &v20);
	sn_traffic(tg, ci, 3, 2000);
	wait_ms(tg, 1000);
	tcp_fin(tg, ci, 0);
	sess_closed(s, ci);
}

/* ---- scenarios: restricted mode ------------------------------------- */

static void restricted(struct tg *tg, const char *ip, const char *sn,
		       uint16_t port, enum r_kind kind, const struct hs *h)
{
	struct sc sc = client(ip, 21020, 0x1000);
	struct tg_sess *s = sess_new(tg, sc.ip, sn, port);
	uint64_t t4;
	int ci;

	s->mode = kind == R_443 ? "restricted-443" : "restricted-80";
	s->version = kind == R_80_V20 ? "2.0" : "1.4";
	tg->now = T0_US;
	ci = restricted_connect(tg, &sc, sn, port, kind, h, &s->start_ts,
				&t4);
	s->connected = 1;
	s->connected_ts = t4;
	/* R1 on port 443 is strong evidence; the port-80 nibble rule alone is
	 * not, so that session starts when the handshake completes. */
	if (kind != R_443)
		s->start_ts = t4;
	sn_traffic(tg, ci, 3, 2000);
	wait_ms(tg, 1000);
	tcp_fin(tg, ci, 0);
	sess_closed(s, ci);
}

static void scn_restricted_443(struct tg *tg)
{
	static const struct hs h = { 0, 0, 25, 150, 16 };

	restricted(tg, "192.0.2.40", "203.0.113.40", 443, R_443, &h);
}

static void scn_restricted_80_v14(struct tg *tg)
{
	static const struct hs h = { 0, 0, 24, 180, 15 };

	restricted(tg, "192.0.2.41", "203.0.113.41", 80, R_80_V14, &h);
}

static void scn_restricted_80_v20(struct tg *tg)
{
	static const struct hs h = { 0, 0, 27, 95, 4 };

	restricted(tg, "192.0.2.42", "203.0.113.42", 80, R_80_V20, &h);
}

/* ---- scenarios: login ----------------------------------------------- */

/* A v1.4 session whose SN connection stays open while fn runs. */
static void login_session(struct tg *tg, const char *ip, const char *sn,
			  uint16_t port, const char *login,
			  void (*fn)(struct tg *, struct sc *, int))
{
	struct sc sc = client(ip, 21030, 0x3300);
	struct tg_sess *s = sess_new(tg, sc.ip, sn, port);
	int ci;

	s->login = login;
	tg->now = T0_US;
	ci = session_connect(tg, &sc, s, &hs_v14);
	wait_ms(tg, 500);
	fn(tg, &sc, ci);
	sn_traffic(tg, ci, 2, 2000);
	wait_ms(tg, 1000);
	tcp_fin(tg, ci, 0);
	sess_closed(s, ci);
}

static void do_login(struct tg *tg, struct sc *sc, int ci)
{
	(void)ci;
	login_exchange(tg, sc, LS_ADDR, 33033, 0, "login");
}

static void do_login_wrong(struct tg *tg, struct sc *sc, int ci)
{
	(void)ci;
	login_exchange(tg, sc, LS_ADDR, 33033, 1, "login");
}

static void do_login_relayed(struct tg *tg, struct sc *sc, int ci)
{
	(void)sc;
	login_l3(tg, ci, 0);
	wait_ms(tg, 80);
	login_l4(tg, ci, 1);
	tcp_ack(tg, ci, 0);
}

static void do_skypeout(struct tg *tg, struct sc *sc, int ci)
{
	do_login(tg, sc, ci);
	wait_ms(tg, 2000);
	login_exchange(tg, sc, SKYPEOUT_ADDR, 33033, 0, "skypeout");
}

static void do_contacts(struct tg *tg, struct sc *sc, int ci)
{
	do_login(tg, sc, ci);
	wait_ms(tg, 2000);
	login_exchange(tg, sc, CONTACTS_ADDR, 33033, 0, "contact-list");
}

static void do_nothing(struct tg *tg, struct sc *sc, int ci)
{
	(void)ci;
	/* automatic login: no L1..L4; the client keeps probing (5.2.1) */
	udp_probe(tg, sc, "203.0.113.33", 33033, 18, 0, 51, NULL);
}

static void scn_login_full(struct tg *tg)
{
	login_session(tg, "192.0.2.50", "198.51.100.50", 40050, "complete",
		      do_login);
}

static void scn_login_wrong(struct tg *tg)
{
	login_session(tg, "192.0.2.51", "198.51.100.51", 40051, "failed",
		      do_login_wrong);
}

static void scn_login_relayed(struct tg *tg)
{
	login_session(tg, "192.0.2.52", "198.51.100.52", 40052, "relayed",
		      do_login_relayed);
}

static void scn_login_skypeout(struct tg *tg)
{
	login_session(tg, "192.0.2.53", "198.51.100.53", 40053, "complete",
		      do_skypeout);
}

static void scn_login_contacts(struct tg *tg)
{
	login_session(tg, "192.0.2.54", "198.51.100.54", 40054, "complete",
		      do_contacts);
}

static void scn_automatic_login(struct tg *tg)
{
	login_session(tg, "192.0.2.55", "198.51.100.55", 40055, "none",
		      do_nothing);
}

/* ---- scenarios: mixes ----------------------------------------------- */

static void scn_many_clients(struct tg *tg)
{
	for (int i = 0; i < 20; i++) {
		char ip[32], sn[32];
		struct sc sc;
		struct tg_sess *s;
		int ci;

		snprintf(ip, sizeof(ip), "192.0.2.%d", 100 + i);
		snprintf(sn, sizeof(sn), "198.51.100.%d", 100 + i);
		sc = client(ip, (uint16_t)(22000 + i),
			    (uint16_t)(0x1000 * (i % 15) + 2 * i));
		s = sess_new(tg, ip, sn, (uint16_t)(41000 + i));
		tg->now = T0_US + (uint64_t)i * 700 * MSEC;
		ci = session_connect(tg, &sc, s, &hs_v14);
		sn_traffic(tg, ci, 3, 1500);
		wait_ms(tg, 500);
		tcp_fin(tg, ci, i & 1);
		sess_closed(s, ci);
	}
	for (int i = 0; i < 10; i++) {
		tg->now = T0_US + (uint64_t)i * 2 * SEC + 300 * MSEC;
		dns_lookup(tg, "192.0.2.200", (uint16_t)(53000 + i),
			   "198.51.100.53", "www.example.net", 0);
		tg->now += 50 * MSEC;
		http_flow(tg, "192.0.2.200", (uint16_t)(44000 + i),
			  "198.51.100.80", 0, 600 + 100 * (uint32_t)i);
	}
}

static void scn_background_mixed(struct tg *tg)
{
	struct sc sc = client("192.0.2.70", 21070, 0x7070);
	struct tg_sess *s = sess_new(tg, sc.ip, "203.0.113.70", 40070);
	int ci;

	for (int i = 0; i < 4; i++) {
		tg->now = T0_US + (uint64_t)i * 3 * SEC;
		http_flow(tg, "192.0.2.71", (uint16_t)(44100 + i),
			  "198.51.100.80", 100, 800 + 300 * (uint32_t)i);
		tg->now = T0_US + (uint64_t)i * 3 * SEC + 500 * MSEC;
		http_flow(tg, "2001:db8::71", (uint16_t)(44200 + i),
			  "2001:db8:80::80", 0, 1200);
		tg->now = T0_US + (uint64_t)i * 3 * SEC + 900 * MSEC;
		dns_lookup(tg, "2001:db8::72", (uint16_t)(54000 + i),
			   "2001:db8:53::53", "www.example.com", 0);
		tg->now = T0_US + (uint64_t)i * 3 * SEC + 1200 * MSEC;
		udp_flow(tg, "192.0.2.73", (uint16_t)(46000 + i),
			 "198.51.100.73", 46100, 200, 3, 2, 120);
	}
	tg->now = T0_US + 1 * SEC;
	ci = session_connect(tg, &sc, s, &hs_v14);
	sn_traffic(tg, ci, 4, 1000);
	wait_ms(tg, 500);
	tcp_fin(tg, ci, 0);
	sess_closed(s, ci);
}

static void scn_seqid(struct tg *tg)
{
	char dst[32];
	uint8_t buf[128];
	uint16_t id = 0x4a10;

	tg->now = T0_US;
	for (int i = 0; i < 6; i++) {
		uint32_t len = 30 + 12 * (uint32_t)i;
		int ci;

		snprintf(dst, sizeof(dst), "203.0.113.%d", 1 + i);
		ci = conn_new(tg, PCAPW_PROTO_UDP, "192.0.2.80", 3000, dst,
			      (uint16_t)(4000 + i), 0);
		rnd_fill(tg, buf, len);
		put16(buf, id);
		buf[2] = 0x05;
		id = (uint16_t)(id + 2);
		udp_send(tg, ci, 0, buf, len);
		wait_ms(tg, 40);
		rnd_fill(tg, buf, 44);
		buf[2] = 0x05;
		udp_send(tg, ci, 1, buf, 44);
		wait_ms(tg, 400);
	}
	tg->seqid_note = "seqid host=192.0.2.80 requests=6 first=0x4a10 step=2";
}

/* ---- scenarios: floods (issue 9) ------------------------------------ */

/*
 * One spoofed partial probe at ts: U1 (18 bytes, [3] = 0x02) and an
 * 18-byte answer ([3] = 0x02) 2 us later: a positive probe, so a session
 * of its own.  ts is odd: real traffic runs on whole milliseconds, so no
 * flood packet shares a microsecond with it (session ids stay exact).
 */
static void flood_pair(struct tg *tg, const char *src, uint16_t sport,
		       const char *dst, uint16_t dport, uint64_t ts)
{
	uint8_t b[18];
	int ci = conn_new(tg, PCAPW_PROTO_UDP, src, sport, dst, dport, 0);

	if (tg->nflood == tg->cap_flood) {
		tg->cap_flood = tg->cap_flood ? tg->cap_flood * 2 : 1024;
		tg->flood_start = realloc(tg->flood_start, tg->cap_flood *
					  sizeof(*tg->flood_start));
		tg->flood_id = realloc(tg->flood_id, tg->cap_flood *
				       sizeof(*tg->flood_id));
		if (!tg->flood_start || !tg->flood_id)
			die("out of memory");
	}
	tg->conns[ci].role = "udp-probe-pos";
	tg->conns[ci].sess = -1;
	tg->conns[ci].flood = ++tg->nflood;
	tg->now = ts;
	rnd_fill(tg, b, sizeof(b));
	b[2] = 0x02;
	udp_send(tg, ci, 0, b, sizeof(b));
	tg->now = ts + 2;
	rnd_fill(tg, b, sizeof(b));
	b[2] = 0x02;
	tg->flood_start[tg->nflood - 1] = tg->now;
	udp_send(tg, ci, 1, b, sizeof(b));
}

#define FLOOD_SPAN_US (24 * SEC)    /* many-clients' real traffic */

/* pairs spoofed probes over FLOOD_SPAN_US, on top of many-clients.
 * one_source: all from 172.16.0.1, UDP ports 1024-65535 in turn (then
 * the next destination, so that every pair is a new flow); else each
 * from its own address, 172.16.0.1 upwards, port 7777. */
static void flood(struct tg *tg, uint32_t pairs, int one_source)
{
	uint64_t gap = (FLOOD_SPAN_US / pairs) & ~(uint64_t)1;
	char src[32], dst[32];

	scn_many_clients(tg);
	if (gap < 4)
		die("flood too dense");
	for (uint32_t k = 0; k < pairs; k++) {
		uint32_t a = k + 1;
		uint16_t sport = 7777;

		if (one_source) {
			snprintf(src, sizeof(src), "172.16.0.1");
			sport = (uint16_t)(1024 + k % 64512);
			snprintf(dst, sizeof(dst), "203.0.113.%u",
				 200 + k / 64512);
		} else {
			snprintf(src, sizeof(src), "172.%u.%u.%u",
				 16 + (a >> 16), (a >> 8) & 0xff, a & 0xff);
			snprintf(dst, sizeof(dst), "203.0.113.200");
		}
		flood_pair(tg, src, sport, dst, 33033,
			   T0_US + (uint64_t)k * gap + 1);
	}
}

static void scn_flood_many_sources(struct tg *tg)
{
	flood(tg, 70000, 0);
}

static void scn_flood_one_source(struct tg *tg)
{
	flood(tg, 100000, 1);
}

static void scn_flood_many_sources_1m(struct tg *tg)
{
	flood(tg, 500000, 0);
}

static void scn_flood_one_source_1m(struct tg *tg)
{
	flood(tg, 500000, 1);
}

/* ---- scenarios: look-alikes (must stay "not Skype") ----------------- */

/* A TLS 1.2 ClientHello with SNI, in a TLS 1.0 record. */
static uint32_t tls_client_hello(struct tg *tg, uint8_t *b)
{
	static const char sni[] = "www.example.com";
	static const uint8_t suites[] = {
		0xc0, 0x2b, 0xc0, 0x2f, 0xc0, 0x2c, 0xc0, 0x30,
		0x00, 0x9e, 0x00, 0x9f, 0x00, 0x2f, 0x00, 0x35,
	};
	uint32_t n = 9, ext, sl = sizeof(sni) - 1;

	b[0] = 0x16;
	put16(b + 1, 0x0301);
	b[5] = 0x01;            /* client_hello */
	put16(b + n, 0x0303);
	rnd_fill(tg, b + n + 2, 32);
	n += 34;
	b[n++] = 32;
	rnd_fill(tg, b + n, 32);
	n += 32;
	put16(b + n, sizeof(suites));
	memcpy(b + n + 2, suites, sizeof(suites));
	n += 2 + sizeof(suites);
	b[n++] = 1;
	b[n++] = 0;             /* null compression */
	ext = n;
	n += 2;
	put16(b + n, 0x0000);   /* server_name */
	put16(b + n + 2, (uint16_t)(sl + 5));
	put16(b + n + 4, (uint16_t)(sl + 3));
	b[n + 6] = 0;
	put16(b + n + 7, (uint16_t)sl);
	memcpy(b + n + 9, sni, sl);
	n += 9 + sl;
	put16(b + n, 0x000a);   /* supported_groups: x25519, secp256r1 */
	put16(b + n + 2, 6);
	put16(b + n + 4, 4);
	put16(b + n + 6, 0x001d);
	put16(b + n + 8, 0x0017);
	n += 10;
	put16(b + ext, (uint16_t)(n - ext - 2));
	put16(b + 3, (uint16_t)(n - 5));
	b[6] = 0;
	put16(b + 7, (uint16_t)(n - 9));
	return n;
}

static uint32_t tls_server_hello(struct tg *tg, uint8_t *b)
{
	uint32_t n = 9;

	b[0] = 0x16;
	put16(b + 1, 0x0303);
	b[5] = 0x02;            /* server_hello */
	put16(b + n, 0x0303);
	rnd_fill(tg, b + n + 2, 32);
	n += 34;
	b[n++] = 32;
	rnd_fill(tg, b + n, 32);
	n += 32;
	put16(b + n, 0xc02f);
	b[n + 2] = 0;
	put16(b + n + 3, 0);    /* no extensions */
	n += 5;
	put16(b + 3, (uint16_t)(n - 5));
	b[6] = 0;
	put16(b + 7, (uint16_t)(n - 9));
	/* ServerHelloDone */
	memcpy(b + n, "\x16\x03\x03\x00\x04\x0e\x00\x00\x00", 9);
	return n + 9;
}

static uint32_t tls_record(struct tg *tg, uint8_t *b, uint8_t type,
			   uint32_t len)
{
	b[0] = type;
	put16(b + 1, 0x0303);
	put16(b + 3, (uint16_t)len);
	rnd_fill(tg, b + 5, len);
	return len + 5;
}

static void scn_lookalike_tls443(struct tg *tg)
{
	uint8_t b[MAX_PAYLOAD];
	int ci = conn_new(tg, PCAPW_PROTO_TCP, "192.0.2.90", 49152,
			  "198.51.100.90", 443, 0);
	uint32_t n;

	tg->now = T0_US;
	tcp_open(tg, ci);
	tcp_data(tg, ci, 0, b, tls_client_hello(tg, b));
	wait_ms(tg, 30);
	tcp_data(tg, ci, 1, b, tls_server_hello(tg, b));
	/* ClientKeyExchange + ChangeCipherSpec + Finished */
	n = 0;
	b[n++] = 0x16;
	put16(b + n, 0x0303);
	put16(b + n + 2, 37);
	n += 4;
	b[n++] = 0x10;          /* client_key_exchange */
	b[n++] = 0;
	put16(b + n, 33);
	b[n + 2] = 32;
	rnd_fill(tg, b + n + 3, 32);
	n += 35;
	memcpy(b + n, "\x14\x03\x03\x00\x01\x01", 6);
	n += 6;
	n += tls_record(tg, b + n, 0x16, 40);
	tcp_data(tg, ci, 0, b, n);
	wait_ms(tg, 30);
	n = 0;
	memcpy(b, "\x14\x03\x03\x00\x01\x01", 6);
	n = 6 + tls_record(tg, b + 6, 0x16, 40);
	tcp_data(tg, ci, 1, b, n);
	for (int i = 0; i < 4; i++) {
		tcp_data(tg, ci, 0, b, tls_record(tg, b, 0x17,
						  rnd_range(tg, 60, 400)));
		wait_ms(tg, 30);
		tcp_data(tg, ci, 1, b, tls_record(tg, b, 0x17,
						  rnd_range(tg, 200, 1300)));
		tcp_ack(tg, ci, 0);
		wait_ms(tg, 500);
	}
	tcp_fin(tg, ci, 0);
}

static void scn_lookalike_http80(struct tg *tg)
{
	int ci = conn_new(tg, PCAPW_PROTO_TCP, "192.0.2.91", 49153,
			  "198.51.100.91", 80, 0);

	tg->now = T0_US;
	tcp_open(tg, ci);
	http_exchange(tg, ci, "/index.html", 2400);
	wait_ms(tg, 500);
	http_exchange(tg, ci, "/a.png", 300);
	wait_ms(tg, 500);
	tcp_fin(tg, ci, 0);
}

static void scn_lookalike_dns(struct tg *tg)
{
	static const char *names[] = {
		"a.example.com", "skype.example.net", "www.example.org",
		"mail.example.com", "ns1.example.net",
	};

	for (int i = 0; i < 5; i++) {
		tg->now = T0_US + (uint64_t)i * 300 * MSEC;
		dns_lookup(tg, "192.0.2.92", (uint16_t)(33000 + 7 * i),
			   "198.51.100.53", names[i], 0);
	}
}

static void scn_lookalike_stun(struct tg *tg)
{
	uint8_t b[64];
	uint8_t cl[4] = { 192, 0, 2, 93 };
	int ci = conn_new(tg, PCAPW_PROTO_UDP, "192.0.2.93", 50000,
			  "198.51.100.93", 3478, 0);

	tg->now = T0_US;
	for (int i = 0; i < 3; i++) {
		put16(b, 0x0001);               /* Binding Request */
		put16(b + 2, 0);
		put32(b + 4, 0x2112a442);
		rnd_fill(tg, b + 8, 12);
		udp_send(tg, ci, 0, b, 20);
		wait_ms(tg, 30);
		put16(b, 0x0101);               /* Binding Success */
		put16(b + 2, 12);
		put16(b + 20, 0x0020);          /* XOR-MAPPED-ADDRESS */
		put16(b + 22, 8);
		put16(b + 24, 0x0001);
		put16(b + 26, 50000 ^ 0x2112);
		for (int k = 0; k < 4; k++)
			b[28 + k] = cl[k] ^ b[4 + k];
		udp_send(tg, ci, 1, b, 32);
		wait_ms(tg, 1000);
	}
}

static void sip_send(struct tg *tg, int ci, int dir, const char *first,
		     const char *cseq, int sdp)
{
	static const char body[] =
		"v=0\r\no=alice 2890844526 2890844526 IN IP4 192.0.2.94\r\n"
		"s=-\r\nc=IN IP4 192.0.2.94\r\nt=0 0\r\n"
		"m=audio 49170 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n";
	char b[2048];
	int n;

	n = snprintf(b, sizeof(b),
		     "%s\r\n"
		     "Via: SIP/2.0/UDP 192.0.2.94:5060;branch=z9hG4bK776asdhds\r\n"
		     "Max-Forwards: 70\r\n"
		     "To: <sip:bob@example.com>%s\r\n"
		     "From: <sip:alice@example.com>;tag=1928301774\r\n"
		     "Call-ID: a84b4c76e66710@192.0.2.94\r\n"
		     "CSeq: %s\r\n"
		     "Contact: <sip:alice@192.0.2.94:5060>\r\n"
		     "%s"
		     "Content-Length: %u\r\n\r\n%s",
		     first, dir ? ";tag=a6c85cf" : "", cseq,
		     sdp ? "Content-Type: application/sdp\r\n" : "",
		     sdp ? (unsigned)(sizeof(body) - 1) : 0u,
		     sdp ? body : "");
	udp_send(tg, ci, dir, (const uint8_t *)b, (uint32_t)n);
}

static void scn_lookalike_sip(struct tg *tg)
{
	int ci = conn_new(tg, PCAPW_PROTO_UDP, "192.0.2.94", 5060,
			  "198.51.100.94", 5060, 0);

	tg->now = T0_US;
	sip_send(tg, ci, 0, "INVITE sip:bob@example.com SIP/2.0",
		 "314159 INVITE", 1);
	sip_send(tg, ci, 1, "SIP/2.0 100 Trying", "314159 INVITE", 0);
	wait_ms(tg, 500);
	sip_send(tg, ci, 1, "SIP/2.0 180 Ringing", "314159 INVITE", 0);
	wait_ms(tg, 2000);
	sip_send(tg, ci, 1, "SIP/2.0 200 OK", "314159 INVITE", 1);
	sip_send(tg, ci, 0, "ACK sip:bob@example.com SIP/2.0", "314159 ACK",
		 0);
	wait_ms(tg, 5000);
	sip_send(tg, ci, 0, "BYE sip:bob@example.com SIP/2.0", "314160 BYE",
		 0);
	sip_send(tg, ci, 1, "SIP/2.0 200 OK", "314160 BYE", 0);
}

static void scn_lookalike_rtp(struct tg *tg)
{
	uint8_t b[172];
	int ci = conn_new(tg, PCAPW_PROTO_UDP, "192.0.2.95", 16384,
			  "198.51.100.95", 20000, 0);
	uint16_t seq[2] = { 0x1234, 0x8a00 };
	uint32_t ts[2] = { 0x10000000, 0x20000000 };

	for (int i = 0; i < 100; i++) {
		for (int d = 0; d < 2; d++) {
			tg->now = T0_US + (uint64_t)i * 20 * MSEC +
				(uint64_t)d * 7 * MSEC;
			b[0] = 0x80;
			b[1] = i == 0 ? 0x80 : 0x00;    /* marker, PCMU */
			put16(b + 2, seq[d]++);
			put32(b + 4, ts[d]);
			ts[d] += 160;
			put32(b + 8, d ? 0xdeadbeef : 0x5eed1234);
			rnd_fill(tg, b + 12, 160);
			udp_send(tg, ci, d, b, sizeof(b));
		}
	}
}

static void scn_lookalike_udp18(struct tg *tg)
{
	uint8_t u1[18], r[18];
	int ci;

	tg->now = T0_US;
	/* 18 bytes, [3] = 0x02, answered by 11 bytes with another id */
	ci = conn_new(tg, PCAPW_PROTO_UDP, "192.0.2.96", 21096,
		      "198.51.100.96", 40096, 0);
	udp_msg_u1(tg, ci, 0x3300, u1, sizeof(u1));
	wait_ms(tg, 40);
	rnd_fill(tg, r, 11);
	put16(r, 0x3301);
	r[2] = 0x47;
	memcpy(r + 3, "\xc0\x00\x02\x60", 4);
	udp_send(tg, ci, 1, r, 11);
	/* answered by 18 bytes whose [3] is not 0x02 */
	wait_ms(tg, 500);
	ci = conn_new(tg, PCAPW_PROTO_UDP, "192.0.2.96", 21096,
		      "198.51.100.97", 40097, 0);
	udp_msg_u1(tg, ci, 0x3302, u1, sizeof(u1));
	wait_ms(tg, 40);
	rnd_fill(tg, r, 18);
	r[2] = 0x03;
	udp_send(tg, ci, 1, r, 18);
}

static void scn_lookalike_tcp_unprobed(struct tg *tg)
{
	struct sc sc = client("192.0.2.97", 21097, 0x0100);
	int ci;

	tg->now = T0_US;
	ci = sn_connect(tg, &sc, "198.51.100.98", 40098, &hs_v14, NULL);
	tg->conns[ci].role = "none";    /* never probed: step 6 fails */
	sn_traffic(tg, ci, 3, 2000);
	wait_ms(tg, 1000);
	tcp_fin(tg, ci, 0);
}

/* ---- scenarios: issue 12 (continuity, sessions, NAT, v2.5) ----------- */

/* One exchange on an open connection after gap_ms of silence, the side
 * first speaking first (the first packet after a gap may come from either
 * end: the new record's key is then reversed). */
static void keepalive(struct tg *tg, int ci, int first, uint64_t gap_ms)
{
	wait_ms(tg, gap_ms);
	tcp_rand(tg, ci, first, rnd_range(tg, 40, 300));
	tcp_rand(tg, ci, !first, rnd_range(tg, 40, 300));
	tcp_ack(tg, ci, first);
}

/* The 2006 close: FIN from the client, the SN still sends data, the
 * client answers RST (the flow record ends at the RST). */
static void close_2006(struct tg *tg, int ci)
{
	emit(tg, ci, 0, PCAPW_FIN | PCAPW_ACK, NULL, 0);
	wait_ms(tg, 40);
	tcp_rand(tg, ci, 1, 120);
	tcp_rst(tg, ci, 0);
}

/* TCP to server:port and L1..L4; the connection stays open. */
static int login_open(struct tg *tg, struct sc *sc, const char *server,
		      uint16_t port, const char *role)
{
	int ci = conn_new(tg, PCAPW_PROTO_TCP, sc->ip, sc->tcp_port++,
			  server, port, 0);

	tcp_open(tg, ci);
	tcp_data(tg, ci, 0, l1_msg, sizeof(l1_msg));
	tcp_data(tg, ci, 1, l2_msg, sizeof(l2_msg));
	login_l3(tg, ci, 0);
	wait_ms(tg, 50);
	login_l4(tg, ci, 1);
	tcp_ack(tg, ci, 0);
	tg->conns[ci].role = role;
	return ci;
}

/* What a real 2006 client sent after a successful L4: one exchange, SC
 * 18 bytes, server 67, both starting 17 03 01 00 (not a wrong password). */
static void exchange_2006(struct tg *tg, int ci, int first)
{
	uint8_t b[67];

	rnd_fill(tg, b, sizeof(b));
	memcpy(b, l4_start, sizeof(l4_start));
	b[4] = 13;
	tcp_data(tg, ci, first, b, first ? 67 : 18);
	wait_ms(tg, 60);
	rnd_fill(tg, b, sizeof(b));
	memcpy(b, l4_start, sizeof(l4_start));
	b[4] = 62;
	tcp_data(tg, ci, !first, b, first ? 18 : 67);
	tcp_ack(tg, ci, first);
}

static void scn_gap_sn_2006(struct tg *tg)
{
	struct sc sc = client("192.0.2.140", 23140, 0x2140);
	struct tg_sess *s = sess_new(tg, sc.ip, "198.51.100.140", 40140);
	int ci;

	tg->now = T0_US;
	ci = session_connect(tg, &sc, s, &hs_v14);
	sn_traffic(tg, ci, 2, 3000);
	keepalive(tg, ci, 1, 45000);    /* the 2006 gaps: SN speaks first */
	keepalive(tg, ci, 0, 60000);    /* the client first */
	keepalive(tg, ci, 1, 32000);
	keepalive(tg, ci, 1, 90000);    /* longer than any test's timeout */
	sn_traffic(tg, ci, 2, 3000);
	wait_ms(tg, 1000);
	close_2006(tg, ci);
	sess_closed(s, ci);
}

/* Restricted mode with silences longer than the idle timeout. */
static void gap_restricted(struct tg *tg, const char *ip, const char *sn,
			   uint16_t port, enum r_kind kind,
			   const struct hs *h, int rst)
{
	struct sc sc = client(ip, 21020, 0x1000);
	struct tg_sess *s = sess_new(tg, sc.ip, sn, port);
	uint64_t r1, t4;
	int ci;

	s->mode = kind == R_443 ? "restricted-443" : "restricted-80";
	tg->now = T0_US;
	ci = restricted_connect(tg, &sc, sn, port, kind, h, &r1, &t4);
	s->start_ts = kind == R_443 ? r1 : t4;
	s->connected = 1;
	s->connected_ts = t4;
	sn_traffic(tg, ci, 2, 2000);
	keepalive(tg, ci, 1, 70000);    /* SN first */
	keepalive(tg, ci, 0, 40000);    /* client first */
	keepalive(tg, ci, 0, 65000);
	wait_ms(tg, 1000);
	if (rst)
		tcp_rst(tg, ci, 1);
	else
		tcp_fin(tg, ci, 1);
	sess_closed(s, ci);
}

static void scn_gap_restricted_443(struct tg *tg)
{
	static const struct hs h = { 0, 0, 25, 150, 16 };

	gap_restricted(tg, "192.0.2.141", "203.0.113.141", 443, R_443, &h, 0);
}

static void scn_gap_restricted_80(struct tg *tg)
{
	static const struct hs h = { 0, 0, 24, 180, 15 };

	gap_restricted(tg, "192.0.2.142", "203.0.113.142", 80, R_80_V14, &h,
		       1);
}

/* Login, SkypeOut and contact-list connections that fall silent for
 * longer than the idle timeout and go on; the SN connection keeps
 * talking every 25 s. */
static void scn_gap_login_servers(struct tg *tg)
{
	struct sc sc = client("192.0.2.143", 23143, 0x2143);
	struct tg_sess *s = sess_new(tg, sc.ip, "198.51.100.143", 40143);
	int sn, lg, so, cl;

	s->login = "complete";
	tg->now = T0_US;
	sn = session_connect(tg, &sc, s, &hs_v14);
	wait_ms(tg, 500);
	lg = login_open(tg, &sc, LS_ADDR, 33033, "login");
	wait_ms(tg, 1000);
	so = login_open(tg, &sc, SKYPEOUT_ADDR, 33033, "skypeout");
	wait_ms(tg, 1000);
	cl = login_open(tg, &sc, CONTACTS_ADDR, 33033, "contact-list");
	/* the login connection: 75 s later the client's 18/67 exchange,
	 * then its FIN */
	tg->now = T0_US + 76 * SEC;
	exchange_2006(tg, lg, 0);
	wait_ms(tg, 100);
	tcp_fin(tg, lg, 0);
	/* SkypeOut: 80 s later the gateway speaks first */
	tg->now = T0_US + 83 * SEC;
	tcp_rand(tg, so, 1, 100);
	tcp_rand(tg, so, 0, 60);
	tcp_ack(tg, so, 1);
	wait_ms(tg, 200);
	tcp_fin(tg, so, 0);
	/* contact list: 70 s later the server closes (its FIN first) */
	tg->now = T0_US + 75 * SEC;
	tcp_fin(tg, cl, 1);
	/* the SN connection all along */
	tg->now = T0_US + 2 * SEC;
	sn_traffic(tg, sn, 4, 25000);
	wait_ms(tg, 1000);
	tcp_fin(tg, sn, 0);
	sess_closed(s, sn);
}

/*
 * The facts of SIGNATURE.md's "What real 2006 traffic adds", end to end.
 * Session 1: probe, SN connection, login L1..L4 plus one 18/67 exchange,
 * contact list (with a silence), keep-alives 45, 60, 32 s apart, then the
 * client closes its SN connection (FIN, the SN still sends, RST).  60 s
 * later session 2: probe, another SN, login to the other login server.
 */
static void scn_real_2006_like(struct tg *tg)
{
	struct sc sc = client("192.0.2.150", 23150, 0x6a20);
	struct tg_sess *s1, *s2;
	int sn, lg, cl;

	s1 = sess_new(tg, sc.ip, "198.51.100.151", 40151);
	s1->login = "complete";
	tg->now = T0_US;
	sn = session_connect(tg, &sc, s1, &hs_v14);
	wait_ms(tg, 300);
	lg = login_open(tg, &sc, LS_ADDR, 33033, "login");
	exchange_2006(tg, lg, 0);
	wait_ms(tg, 100);
	tcp_fin(tg, lg, 0);
	wait_ms(tg, 500);
	cl = login_open(tg, &sc, CONTACTS_ADDR, 33033, "contact-list");
	wait_ms(tg, 1000);
	tcp_rand(tg, cl, 0, 90);
	tcp_rand(tg, cl, 1, 400);
	tcp_ack(tg, cl, 0);
	keepalive(tg, sn, 0, 5000);
	keepalive(tg, sn, 1, 45000);
	keepalive(tg, cl, 1, 10000);    /* 55 s after its last packet */
	wait_ms(tg, 200);
	tcp_fin(tg, cl, 0);
	keepalive(tg, sn, 1, 60000);
	keepalive(tg, sn, 0, 32000);
	wait_ms(tg, 5000);
	close_2006(tg, sn);
	sess_closed(s1, sn);

	wait_ms(tg, 60000);
	s2 = sess_new(tg, sc.ip, "198.51.100.152", 40152);
	s2->login = "complete";
	s2->end = "shutdown";
	sn = session_connect(tg, &sc, s2, &hs_v14);
	wait_ms(tg, 300);
	lg = login_open(tg, &sc, "212.72.49.141", 33033, "login");
	exchange_2006(tg, lg, 0);
	wait_ms(tg, 100);
	tcp_fin(tg, lg, 0);
	keepalive(tg, sn, 0, 20000);
}

/* Step 10 and 11: SN change while A is open; B closes first, the session
 * goes on; A's close is the close of the last SN connection. */
static void scn_sn_change_last_close(struct tg *tg)
{
	struct sc sc = client("192.0.2.144", 23144, 0x3144);
	struct tg_sess *s = sess_new(tg, sc.ip, "198.51.100.144", 40144);
	int a, b;

	tg->now = T0_US;
	a = session_connect(tg, &sc, s, &hs_v14);
	sn_traffic(tg, a, 2, 3000);
	snprintf(s->sn, sizeof(s->sn), "%s", "198.51.100.145");
	s->sn_port = 40145;
	wait_ms(tg, 1000);
	b = session_connect(tg, &sc, s, &hs_v14);
	s->sn_changes = 1;
	sn_traffic(tg, b, 2, 3000);
	wait_ms(tg, 500);
	tcp_fin(tg, b, 1);
	sn_traffic(tg, a, 3, 3000);
	wait_ms(tg, 500);
	tcp_fin(tg, a, 0);
	sess_closed(s, a);
}

/* Five clients behind one NAT address 192.0.2.160: two in UDP+TCP mode
 * (UDP ports 23161, 23162), one restricted to 443, two to 80; each
 * handshake happens while the SN connections of the earlier ones are
 * open.  Five sessions, no SN change. */
static void scn_nat_mixed_clients(struct tg *tg)
{
	static const char nat[] = "192.0.2.160";
	static const struct hs v20 = { 19, 38, 25, 230, 17 };
	static const struct hs h443 = { 0, 0, 25, 150, 16 };
	static const struct hs h80a = { 0, 0, 24, 180, 15 };
	static const struct hs h80b = { 0, 0, 27, 95, 4 };
	struct sc sc[5];
	struct tg_sess *s[5];
	int ci[5];
	uint64_t r1, t4;

	for (int i = 0; i < 5; i++) {
		sc[i] = client(nat, (uint16_t)(23161 + i),
			       (uint16_t)(0x1000 * (i + 1)));
		sc[i].tcp_port = (uint16_t)(1100 + 100 * i);
	}
	s[0] = sess_new(tg, nat, "198.51.100.161", 41161);
	tg->now = T0_US;
	ci[0] = session_connect(tg, &sc[0], s[0], &hs_v14);
	s[1] = sess_new(tg, nat, "198.51.100.162", 41162);
	s[1]->version = "2.0";
	tg->now = T0_US + 2 * SEC;
	ci[1] = session_connect(tg, &sc[1], s[1], &v20);
	s[2] = sess_new(tg, nat, "203.0.113.163", 443);
	s[2]->mode = "restricted-443";
	tg->now = T0_US + 4 * SEC;
	ci[2] = restricted_connect(tg, &sc[2], s[2]->sn, 443, R_443, &h443,
				   &r1, &t4);
	s[2]->start_ts = r1;
	s[2]->connected_ts = t4;
	s[3] = sess_new(tg, nat, "203.0.113.164", 80);
	s[3]->mode = "restricted-80";
	tg->now = T0_US + 6 * SEC;
	ci[3] = restricted_connect(tg, &sc[3], s[3]->sn, 80, R_80_V14, &h80a,
				   &r1, &t4);
	s[3]->start_ts = s[3]->connected_ts = t4;
	s[4] = sess_new(tg, nat, "203.0.113.165", 80);
	s[4]->mode = "restricted-80";
	s[4]->version = "2.0";
	tg->now = T0_US + 8 * SEC;
	ci[4] = restricted_connect(tg, &sc[4], s[4]->sn, 80, R_80_V20, &h80b,
				   &r1, &t4);
	s[4]->start_ts = s[4]->connected_ts = t4;
	for (int i = 0; i < 5; i++) {
		s[i]->connected = 1;
		tg->conns[ci[i]].sess = i;      /* one address, five clients */
		tg->now = T0_US + 10 * SEC + (uint64_t)i * 300 * MSEC;
		sn_traffic(tg, ci[i], 4, 3000);
		tg->now = T0_US + (uint64_t)(30 + 2 * i) * SEC;
		tcp_fin(tg, ci[i], i & 1);
		sess_closed(s[i], ci[i]);
	}
	/* the probes' flows are each client's too */
	for (int k = 0; k < tg->nconns; k++)
		if (tg->conns[k].tmpl.proto == PCAPW_PROTO_UDP)
			tg->conns[k].sess = tg->conns[k].tmpl.sport - 23161;
}

/* v2.5 in restricted mode over port 80 (section 6.2): the client logs in
 * over port 80 first (the login runs on 80 and 443 too; on 443 tshark
 * calls L1's empty TLS record malformed) (Skype evidence: it is a known client), then a port-80
 * handshake whose R1 matches no nibble rule, followed by T2..T4. */
static void scn_restricted_80_v25(struct tg *tg)
{
	struct sc sc = client("192.0.2.170", 21020, 0x1000);
	struct tg_sess *s = sess_new(tg, sc.ip, "203.0.113.170", 80);
	static const struct hs h = { 0, 0, 25, 140, 16 };
	uint64_t r1;
	int lg, ci;

	s->mode = "restricted-80";
	s->version = "2.5";
	s->login = "complete";
	tg->now = T0_US;
	lg = login_open(tg, &sc, LS_ADDR, 80, "login");
	tg->conns[lg].sess = -1;        /* a login alone starts no session */
	exchange_2006(tg, lg, 0);
	wait_ms(tg, 100);
	tcp_fin(tg, lg, 0);
	wait_ms(tg, 500);
	ci = restricted_connect(tg, &sc, s->sn, 80, R_80_V25, &h, &r1,
				&s->connected_ts);
	s->start_ts = s->connected_ts;
	s->connected = 1;
	sn_traffic(tg, ci, 3, 2000);
	wait_ms(tg, 1000);
	tcp_fin(tg, ci, 0);
	sess_closed(s, ci);
}

static void http_text(struct tg *tg, int ci, int dir, const char *txt)
{
	tcp_data(tg, ci, dir, (const uint8_t *)txt, (uint32_t)strlen(txt));
}

static void http_reply(struct tg *tg, int ci, const char *status,
		       uint32_t body)
{
	char b[1024];
	int n = snprintf(b, sizeof(b), "HTTP/1.0 %s\r\nContent-Length: %u"
			 "\r\n\r\n", status, body);

	for (uint32_t i = 0; i < body && n < (int)sizeof(b); i++)
		b[n++] = lorem[i % (sizeof(lorem) - 1)];
	tcp_data(tg, ci, 1, (const uint8_t *)b, (uint32_t)n);
}

/* After its Skype session connected, a client talks HTTP on port 80 with
 * the sizes of R1, R2, R3, T2 (25), T3, T4 (16): the requests start with a
 * method.  And a binary first message answered by an HTTP server ("HTTP/"
 * status line), then T-like sizes.  Neither is the v2.5 handshake. */
static void scn_lookalike_http80_tsizes(struct tg *tg)
{
	struct sc sc = client("192.0.2.171", 23171, 0x7171);
	struct tg_sess *s = sess_new(tg, sc.ip, "198.51.100.171", 40171);
	uint8_t b[24];
	int sn, ci;

	tg->now = T0_US;
	sn = session_connect(tg, &sc, s, &hs_v14);
	wait_ms(tg, 500);
	ci = conn_new(tg, PCAPW_PROTO_TCP, sc.ip, 44171, "198.51.100.80", 80,
		      0);
	tcp_open(tg, ci);
	http_text(tg, ci, 0, "GET / HTTP/1.0\r\n\r\n");           /* 18 */
	http_reply(tg, ci, "200 OK", 120);
	http_text(tg, ci, 0, "GET /abcdefg HTTP/1.0\r\n\r\n");    /* 25 */
	http_reply(tg, ci, "200 OK", 80);
	http_text(tg, ci, 0, "GET /abcdefh HTTP/1.0\r\n\r\n");    /* 25 */
	http_reply(tg, ci, "200 OK", 100);
	http_text(tg, ci, 0, "GET / HTTP/1.0\r\n");               /* 16 */
	http_text(tg, ci, 0, "\r\n");
	http_reply(tg, ci, "200 OK", 60);
	tcp_ack(tg, ci, 0);
	wait_ms(tg, 200);
	tcp_fin(tg, ci, 0);

	wait_ms(tg, 500);
	ci = conn_new(tg, PCAPW_PROTO_TCP, sc.ip, 44172, "198.51.100.80", 80,
		      0);
	tcp_open(tg, ci);
	binary_not_r1(tg, b, sizeof(b));
	tcp_data(tg, ci, 0, b, sizeof(b));
	http_reply(tg, ci, "400 Bad Request", 40);
	tcp_rand(tg, ci, 0, 19);
	tcp_rand(tg, ci, 0, 25);
	http_reply(tg, ci, "400 Bad Request", 90);
	tcp_rand(tg, ci, 0, 16);
	tcp_ack(tg, ci, 1);
	wait_ms(tg, 200);
	tcp_fin(tg, ci, 1);

	sn_traffic(tg, sn, 2, 2000);
	wait_ms(tg, 500);
	tcp_fin(tg, sn, 0);
	sess_closed(s, sn);
}

/* A binary protocol on port 80 with the v2.5 shape (a first message of no
 * R1 rule, reply, then 19, 25, reply of 140, 16) from a host with no
 * Skype evidence at all. */
static void scn_lookalike_binary80(struct tg *tg)
{
	uint8_t b[24];
	int ci = conn_new(tg, PCAPW_PROTO_TCP, "192.0.2.172", 45172,
			  "198.51.100.172", 80, 0);

	tg->now = T0_US;
	tcp_open(tg, ci);
	binary_not_r1(tg, b, sizeof(b));
	tcp_data(tg, ci, 0, b, sizeof(b));
	wait_ms(tg, 30);
	tcp_rand(tg, ci, 1, 60);
	tcp_rand(tg, ci, 0, 19);
	tcp_ack(tg, ci, 1);
	tcp_rand(tg, ci, 0, 25);
	wait_ms(tg, 30);
	tcp_rand(tg, ci, 1, 140);
	tcp_rand(tg, ci, 0, 16);
	tcp_ack(tg, ci, 1);
	sn_traffic(tg, ci, 3, 2000);
	wait_ms(tg, 1000);
	tcp_fin(tg, ci, 0);
}

/* ---- the scenario table --------------------------------------------- */

struct scenario {
	const char *name;
	void (*fn)(struct tg *);
	const char *what;
};

static const struct scenario scenarios[] = {
	{ "metering-basic", scn_metering_basic,
	  "Plain flows for metering: IPv4 TCP (HTTP, FIN close), UDP DNS, ICMP "
	  "echo x3, IPv6 UDP (3 fwd/1 rev), TCP reset by the server, UDP on "
	  "VLAN 42, one UDP datagram in two IPv4 fragments (one flow), two "
	  "UDP packets 120 s apart (two records under any idle timeout <= "
	  "120 s), and a 600 s UDP flow with one exchange every 10 s (split "
	  "by the active timeout).  No Skype." },
	{ "udp-probe-v14-full", scn_udp_probe_v14_full,
	  "Full v1.4 UDP probe U1..U4 (18/11/23/18 bytes), positive.  "
	  "1 session, never connected (ends at shutdown)." },
	{ "udp-probe-partial", scn_udp_probe_partial,
	  "Partial probe: U1 (18) then U4 (18), positive.  1 session, never "
	  "connected." },
	{ "udp-probe-negative", scn_udp_probe_negative,
	  "Two negative probes: a full one answered with U4 = 51 ([3] = 0x02) "
	  "and a partial one answered with 53 (low nibble of [3] = 0xd).  "
	  "No session." },
	{ "udp-probe-bootstrap", scn_udp_probe_bootstrap,
	  "Partial probes to two bootstrap super nodes on UDP 33033, answered "
	  "51 and 53: negative.  No session." },
	{ "udp-probe-v20", scn_udp_probe_v20,
	  "v2.0 probes: a full one with U1 = 27, U3 = 32 bytes, positive; a "
	  "partial one with U1 = 40 answered 53, negative.  1 session (v2.0), "
	  "never connected." },
	{ "session-v14", scn_session_v14,
	  "Full v1.4 session: positive probe, TCP to the probed SN address "
	  "and port, T1 = 14, SN reply, T2 = 24, T3 = 120, T4 = 16: "
	  "connected; 5 exchanges; FIN close: session ended (sn-closed)." },
	{ "session-refused-then-accepted", scn_session_refused,
	  "Two positive probes (SN A full, SN B partial); TCP to A gets "
	  "T3 = 339 and A closes it (sn-refused); TCP to B is accepted; "
	  "session connected to B with 1 refused SN, ends with B's FIN." },
	{ "session-sn-change", scn_session_sn_change,
	  "Connected to SN A, then a new probe and handshake to SN B; then A "
	  "closes (session goes on), later B closes: 1 session, SN = B, 1 SN "
	  "change, ended by B's close." },
	{ "session-end-rst", scn_session_end_rst,
	  "Connected session whose SN connection ends with RST from the SN: "
	  "session ended (sn-closed) at the RST." },
	{ "session-end-timeout", scn_session_end_timeout,
	  "Connected session whose SN connection falls silent (no FIN/RST); "
	  "another host's DNS lookups every 120 s keep the trace running "
	  "for two hours: the session ends by timeout (when the session "
	  "timeout is shorter than ~2 h, else at shutdown)." },
	{ "session-v20", scn_session_v20,
	  "v2.0 session: probe with U1 = 27/U3 = 32, T1 = 19, SN reply, one "
	  "extra client message (38) before T2 = 25, T3 = 230, T4 = 17: "
	  "connected, FIN close." },
	{ "restricted-443", scn_restricted_443,
	  "Restricted mode on TCP 443 (no UDP): R1 (72: the 56 fixed bytes + "
	  "16 random), R2 (93: the 79 fixed bytes first), R3 (14), T2 = 25, "
	  "T3 = 150, T4 = 16: connected, FIN close." },
	{ "restricted-80-v14", scn_restricted_80_v14,
	  "Restricted mode on TCP 80, v1.4: R1 (16 bytes, high nibbles of "
	  "R1[5-6] = R1[15-16]), R2 (36), R3 (14), T2 = 24, T3 = 180, "
	  "T4 = 15: connected, FIN close." },
	{ "restricted-80-v20", scn_restricted_80_v20,
	  "Restricted mode on TCP 80, v2.0: R1 (30 bytes, high nibbles of "
	  "R1[6-14] = R1[16-24]), R2 (52), R3 (19), T2 = 27, T3 = 95, T4 = 4: "
	  "connected, FIN close." },
	{ "login-full", scn_login_full,
	  "v1.4 session plus a login to 195.215.8.141:33033: L1, L2, L3 (210 "
	  "bytes), L4 (85), closed by the client: login complete." },
	{ "login-wrong-password", scn_login_wrong,
	  "As login-full, but after L4 one more L3/L4 round (wrong "
	  "password typed again): login phase failed (more than L1..L4)." },
	{ "login-relayed", scn_login_relayed,
	  "v1.4 session where only L3 and L4 appear, inside the established "
	  "SN connection: login relayed." },
	{ "login-skypeout", scn_login_skypeout,
	  "v1.4 session, login to 195.215.8.141 (complete), then the same "
	  "L1..L4 pattern to the SkypeOut gateway 195.215.8.140." },
	{ "login-contacts", scn_login_contacts,
	  "v1.4 session, login to 195.215.8.141 (complete), then the same "
	  "L1..L4 pattern to the contact-list server 195.215.8.142." },
	{ "automatic-login", scn_automatic_login,
	  "v1.4 session with no L1..L4 anywhere (automatic login); the "
	  "client keeps probing (a partial probe to a bootstrap SN on 33033 "
	  "answered 51): login phase none." },
	{ "many-clients", scn_many_clients,
	  "20 clients 192.0.2.100-119 starting 0.7 s apart, each with a full "
	  "probe, a v1.4 handshake to its own SN, 3 exchanges and a FIN close "
	  "(even clients close first, odd ones are closed by the SN); plus "
	  "DNS and HTTP background from 192.0.2.200.  20 sessions." },
	{ "background-mixed", scn_background_mixed,
	  "HTTP on VLAN 100, IPv6 HTTP and DNS, UDP on VLAN 200, and one "
	  "untagged v1.4 Skype session (192.0.2.70 to 203.0.113.70:40070).  "
	  "1 session." },
	{ "seqid", scn_seqid,
	  "One host (192.0.2.80:3000) sends UDP requests to 6 destinations "
	  "whose first two bytes grow by 2 (0x4a10, 0x4a12, ...), sizes "
	  "30..90, [3] = 0x05; each gets a 44-byte reply.  Section 5.1 "
	  "evidence only: no flow role, no session." },
	{ "lookalike-tls443", scn_lookalike_tls443,
	  "Ordinary TLS 1.2 on TCP 443: ClientHello (TLS record, not SSLv2), "
	  "ServerHello, key exchange, application data.  Not Skype." },
	{ "lookalike-http80", scn_lookalike_http80,
	  "HTTP/1.1 GET and responses on TCP 80 (no R1 nibble match).  "
	  "Not Skype." },
	{ "lookalike-dns", scn_lookalike_dns,
	  "Five DNS lookups from one host.  Not Skype." },
	{ "lookalike-stun", scn_lookalike_stun,
	  "Three STUN binding requests/responses on UDP 3478.  Not Skype." },
	{ "lookalike-sip", scn_lookalike_sip,
	  "A SIP call over UDP 5060: INVITE, 100, 180, 200, ACK, BYE, 200.  "
	  "Not Skype." },
	{ "lookalike-rtp", scn_lookalike_rtp,
	  "An RTP (PCMU) stream, 100 packets each way, 20 ms apart.  "
	  "Not Skype." },
	{ "lookalike-udp18", scn_lookalike_udp18,
	  "18-byte UDP requests with [3] = 0x02 but wrong replies: 11 bytes "
	  "with another id, and 18 bytes whose [3] is 0x03.  Not Skype." },
	{ "lookalike-tcp-unprobed", scn_lookalike_tcp_unprobed,
	  "The T1..T4 sizes (14, reply, 24, 120, 16) to a host never probed "
	  "over UDP: step 6 fails.  Not Skype." },
	{ "gap-sn-2006", scn_gap_sn_2006,
	  "v1.4 session whose SN connection falls silent as the 2006 client's "
	  "did: keep-alives 45 s (SN speaks first), 60 s (client first), 32 s "
	  "(SN first) and 90 s (SN first) apart, then the 2006 close: FIN "
	  "from the client, the SN still sends, the client answers RST.  "
	  "Every record of the connection is sn-connection in session 1; the "
	  "session ends at the RST (sn-closed)." },
	{ "gap-restricted-443", scn_gap_restricted_443,
	  "Restricted mode on 443 (R1..T4), then silences of 70 s (SN speaks "
	  "first), 40 s and 65 s (client first), FIN from the SN: every record "
	  "restricted-443 in session 1, ended at the close." },
	{ "gap-restricted-80", scn_gap_restricted_80,
	  "Restricted mode on 80 (v1.4 R1..T4), then the silences of "
	  "gap-restricted-443, RST from the SN: every record restricted-80 "
	  "in session 1, ended at the RST." },
	{ "gap-login-servers", scn_gap_login_servers,
	  "v1.4 session (SN traffic every 25 s) with a login, a SkypeOut and "
	  "a contact-list connection (L1..L4 each) that fall silent: the "
	  "login goes on 75 s later with the client's 18/67 exchange and FIN, "
	  "SkypeOut 80 s later with the gateway speaking first, the contact "
	  "list 70 s later with the server's FIN.  Each record keeps its role "
	  "and session; login complete." },
	{ "real-2006-like", scn_real_2006_like,
	  "SIGNATURE.md's real 2006 facts end to end.  Session 1: probe, SN "
	  "connection, login L1..L4 plus one 18/67 exchange, contact list "
	  "(silent 55 s), keep-alives 45, 60 and 32 s apart, the client "
	  "closes its SN connection (FIN, SN data, RST).  60 s later session "
	  "2: probe, another SN, login to the other login server "
	  "212.72.49.141 (L1..L4 + 18/67).  Two sessions, each login "
	  "complete, no SN change." },
	{ "sn-change-last-close", scn_sn_change_last_close,
	  "Connected to SN A, then an SN change to B while A is open; B "
	  "closes first (the session goes on: A is open), A closes last: 1 "
	  "session, SN = B, 1 change, ended by A's close." },
	{ "nat-mixed-clients", scn_nat_mixed_clients,
	  "Five clients behind 192.0.2.160: UDP+TCP v1.4 (UDP port 23161), "
	  "UDP+TCP v2.0 (23162), restricted 443, restricted 80 v1.4 and v2.0, "
	  "each handshake while the earlier clients' SN connections are "
	  "open.  Five sessions, no SN change, each ended by its own close." },
	{ "restricted-80-v25", scn_restricted_80_v25,
	  "Skype 2.5 in restricted mode: a login over port 80 (L1..L4 + 18/67) "
	  "makes the host a known client, then a port-80 handshake whose R1 "
	  "(24 binary bytes) matches no nibble rule, R2 (60), R3 (19), "
	  "T2 = 25, T3 = 140, T4 = 16: restricted-80, version 2.5, login "
	  "complete." },
	{ "lookalike-http80-tsizes", scn_lookalike_http80_tsizes,
	  "A connected Skype client talks HTTP on 80 with the message sizes "
	  "of R1..T4 (18, reply, 25, reply, 25, reply, 16 + 2): requests "
	  "start with a method.  Then a binary first message answered by an "
	  "HTTP server's 400 (\"HTTP/\"), then 19, 25, reply, 16.  Neither is "
	  "marked; 1 session (the client's own)." },
	{ "lookalike-binary80", scn_lookalike_binary80,
	  "A binary protocol on 80 with the v2.5 handshake's shape (first "
	  "message of no R1 rule, 60, 19, 25, 140, 16) from a host with no "
	  "Skype evidence.  Not Skype." },
};

#define N_SCENARIOS (sizeof(scenarios) / sizeof(scenarios[0]))

/* Floods: not in --list (their spoofed sessions end as the probe's
 * eviction policy decides, so --records gives the real sessions exactly
 * and only the number of spoofed ones); --list-floods names them. */
static const struct scenario floods[] = {
	{ "flood-many-sources", scn_flood_many_sources,
	  "many-clients (20 real sessions) with 70,000 spoofed sources "
	  "172.16.0.1 upwards interleaved over 24 s, each one partial "
	  "probe (U1 18 bytes, answer 18 bytes, [3] = 0x02) to "
	  "203.0.113.200:33033: 70,000 more sessions, never connected; "
	  "140,000 flood packets." },
	{ "flood-one-source", scn_flood_one_source,
	  "many-clients with 100,000 spoofed partial probes from one "
	  "address, 172.16.0.1, UDP ports 1024-65535 in turn (then the next "
	  "super node, 203.0.113.200, .201): each a new client and session; "
	  "200,000 flood packets." },
	{ "flood-many-sources-1m", scn_flood_many_sources_1m,
	  "As flood-many-sources with 500,000 sources (1,000,000 flood "
	  "packets): the benchmark's." },
	{ "flood-one-source-1m", scn_flood_one_source_1m,
	  "As flood-one-source with 500,000 probes (1,000,000 flood "
	  "packets): the benchmark's." },
};

#define N_FLOODS (sizeof(floods) / sizeof(floods[0]))

static const struct scenario *find_scenario(const char *name)
{
	for (size_t i = 0; i < N_SCENARIOS; i++)
		if (strcmp(scenarios[i].name, name) == 0)
			return &scenarios[i];
	for (size_t i = 0; i < N_FLOODS; i++)
		if (strcmp(floods[i].name, name) == 0)
			return &floods[i];
	return NULL;
}

static int pkt_cmp(const void *a, const void *b)
{
	const struct tg_pkt *x = a, *y = b;

	if (x->ts != y->ts)
		return x->ts < y->ts ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

static struct tg *generate(const struct scenario *s)
{
	struct tg *tg = calloc(1, sizeof(*tg));
	uint64_t h = 0xcbf29ce484222325ull;

	if (tg == NULL)
		die("out of memory");
	for (const char *p = s->name; *p; p++)
		h = (h ^ (uint8_t)*p) * 0x100000001b3ull;
	tg->rng = h ? h : 1;
	tg->ip_id = (uint16_t)h;
	tg->now = T0_US;
	s->fn(tg);
	qsort(tg->pkts, tg->npkts, sizeof(*tg->pkts), pkt_cmp);
	return tg;
}

static void tg_free(struct tg *tg)
{
	free(tg->conns);
	free(tg->flood_start);
	free(tg->flood_id);
	free(tg->pkts);
	free(tg->frames);
	free(tg);
}

static int write_trace(const struct tg *tg, const char *path)
{
	struct pcapw w;

	if (pcapw_open(&w, path, PCAPW_LINK_EN10MB, PCAPW_SNAPLEN) != 0) {
		fprintf(stderr, "tracegen: %s: %s\n", path, strerror(errno));
		return -1;
	}
	for (size_t i = 0; i < tg->npkts; i++)
		pcapw_write(&w, tg->pkts[i].ts, tg->frames + tg->pkts[i].off,
			    tg->pkts[i].len, tg->pkts[i].len);
	if (pcapw_close(&w) != 0) {
		fprintf(stderr, "tracegen: %s: write failed\n", path);
		return -1;
	}
	return 0;
}

/* ---- expected results ----------------------------------------------- */

/* One flow record as the probe's flow table makes it (flow_table.c:
 * idle ends after exactly idle_us of silence; a packet at start +
 * active_us or later starts a continuation record; RST, or FIN in both
 * directions, ends the record at that packet). */
struct rec {
	int      conn;
	int      fwd;            /* conn direction of the record initiator */
	uint64_t start, last;
	uint32_t pk[2];
	uint64_t oc[2];
	const char *role;
	int      sess;           /* index in tg.sess, -1 none */
	const char *end;
};

struct conn_sim {
	int     cur;             /* open record, -1 when none */
	int     ended;           /* a record of this conn already ended */
	int     idle_ended;      /* ... and the last one by idle timeout */
	uint8_t fin;             /* FIN seen, bit per conn direction */
};

/*
 * Continuity (issue 12): a TCP connection marked super-node, restricted
 * 443/80, login, SkypeOut or contact list whose record ended by idle
 * timeout goes on: the next record (no SYN; its first packet from either
 * end) carries the same role and session.  Any other later record (a UDP
 * flow after a silence, a connection after its close) is not Skype.
 */
static int continues(const struct tg_conn *c)
{
	static const char *const kinds[] = {
		"sn-connection", "restricted-443", "restricted-80", "login",
		"skypeout", "contact-list",
	};

	if (c->tmpl.proto != PCAPW_PROTO_TCP)
		return 0;
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (strcmp(c->role, kinds[i]) == 0)
			return 1;
	return 0;
}

static const char *proto_name(uint8_t proto)
{
	switch (proto) {
	case PCAPW_PROTO_TCP:
		return "tcp";
	case PCAPW_PROTO_UDP:
		return "udp";
	case PCAPW_PROTO_ICMP:
		return "icmp";
	case PCAPW_PROTO_ICMPV6:
		return "icmp6";
	default:
		return "ip";
	}
}

static void addr_str(const struct pcapw_pkt *t, const uint8_t *a, char *out,
		     size_t len)
{
	inet_ntop(t->ip_version == 6 ? AF_INET6 : AF_INET, a, out,
		  (socklen_t)len);
}

static void print_rec(const struct tg *tg, const struct rec *r, FILE *out)
{
	const struct pcapw_pkt *t = &tg->conns[r->conn].tmpl;
	char a[64], b[64];

	addr_str(t, r->fwd ? t->dst : t->src, a, sizeof(a));
	addr_str(t, r->fwd ? t->src : t->dst, b, sizeof(b));
	fprintf(out, "%s %s %u %s %u %u %" PRIu64 " %u %" PRIu64
		" role=%s session=%u vlan=%u end=%s start_ms=%" PRIu64 "\n",
		proto_name(t->proto), a, r->fwd ? t->dport : t->sport,
		b, r->fwd ? t->sport : t->dport, r->pk[0], r->oc[0],
		r->pk[1], r->oc[1], r->role,
		strcmp(r->role, "none") == 0 ? 0 :
		tg->conns[r->conn].flood ?
		tg->flood_id[tg->conns[r->conn].flood - 1] :
		r->sess >= 0 ? tg->sess[r->sess].id : 0, t->vlan_id, r->end,
		r->start / MSEC);
}

static struct rec *rec_open(struct rec *recs, size_t *n, struct conn_sim *cs,
			    int ci, int fwd, const char *role, int sess)
{
	struct rec *r = &recs[*n];

	memset(r, 0, sizeof(*r));
	r->conn = ci;
	r->fwd = fwd;
	r->role = role;
	r->sess = sess;
	r->end = "forced";
	cs->cur = (int)(*n)++;
	return r;
}

static size_t simulate(const struct tg *tg, uint64_t idle, uint64_t active,
		       struct rec *recs)
{
	struct conn_sim *cs = calloc((size_t)tg->nconns + 1, sizeof(*cs));
	size_t n = 0;
	uint64_t last_ts = tg->npkts ? tg->pkts[tg->npkts - 1].ts : 0;

	if (cs == NULL)
		die("out of memory");

	for (int i = 0; i < tg->nconns; i++)
		cs[i] = (struct conn_sim){ -1, 0, 0, 0 };
	for (size_t i = 0; i < tg->npkts; i++) {
		const struct tg_pkt *k = &tg->pkts[i];
		const struct tg_conn *tc = &tg->conns[k->conn];
		struct conn_sim *c = &cs[k->conn];
		struct rec *r = c->cur >= 0 ? &recs[c->cur] : NULL;

		if (r && idle && k->ts - r->last >= idle) {
			r->end = c->fin == 3 ? "eof" : "idle";
			c->cur = -1;
			c->ended = 1;
			c->idle_ended = c->fin != 3;
			c->fin = 0;
			r = NULL;
		}
		if (r && active && k->ts - r->start >= active) {
			r->end = "active";
			r = rec_open(recs, &n, c, k->conn, r->fwd, r->role,
				     r->sess);
		}
		if (r == NULL) {
			int same = !c->ended ||
				   (c->idle_ended && continues(tc) &&
				    !(k->flags & PCAPW_SYN));

			r = rec_open(recs, &n, c, k->conn, k->dir,
				     same ? tc->role : "none",
				     same ? tc->sess : -1);
		}
		if (r->pk[0] + r->pk[1] == 0)
			r->start = k->ts;
		r->last = k->ts;
		r->pk[k->dir != r->fwd]++;
		r->oc[k->dir != r->fwd] += k->ip_len;
		if (k->flags & PCAPW_FIN)
			c->fin |= (uint8_t)(1u << k->dir);
		/* RST ends the record; after FIN both ways the next packet
		 * without FIN (the last ACK) is counted and ends it. */
		if ((k->flags & PCAPW_RST) ||
		    (c->fin == 3 && !(k->flags & PCAPW_FIN))) {
			r->end = "eof";
			c->cur = -1;
			c->ended = 1;
			c->idle_ended = 0;
			c->fin = 0;
		}
	}
	for (int i = 0; i < tg->nconns; i++) {
		struct rec *r = cs[i].cur >= 0 ? &recs[cs[i].cur] : NULL;

		if (r && cs[i].fin == 3)
			r->end = "eof";  /* closed, last ACK never seen */
		else if (r && idle && last_ts - r->last >= idle)
			r->end = "idle";
	}
	free(cs);
	return n;
}

static void print_sessions(const struct tg *tg, FILE *out)
{
	fprintf(out, "sessions %d\n", tg->nsess);
	for (int i = 0; i < tg->nsess; i++) {
		const struct tg_sess *s = &tg->sess[i];

		fprintf(out, "session id=%u client=%s sn=%s:%u connected=%s "
			"sn_changes=%u refused=%u login=%s mode=%s version=%s "
			"end=%s start_ms=%" PRIu64 " connected_ms=%" PRIu64
			" end_ms=%" PRIu64 "\n", s->id, s->client,
			s->connected ? s->sn : "0.0.0.0",
			s->connected ? s->sn_port : 0,
			s->connected ? "yes" : "no", s->sn_changes,
			s->refused, s->login, s->mode, s->version, s->end,
			s->start_ts / MSEC, s->connected_ts / MSEC,
			s->end_ts / MSEC);
	}
	if (tg->nflood)
		fprintf(out, "flood-sessions %u\n", tg->nflood);
}

/*
 * When a session ends: at the last packet of its SN connection when that
 * connection closes (step 11) or falls silent (the session times out from
 * its last evidence); at the trace's last packet when the probe stops.
 */
static void session_end_time(const struct tg *tg, struct tg_sess *s,
			     const struct rec *recs, size_t n)
{
	if (strcmp(s->end, "shutdown") == 0) {
		for (size_t j = 0; j < tg->npkts; j++)
			if (tg->pkts[j].ts > s->end_ts)
				s->end_ts = tg->pkts[j].ts;
		return;
	}
	for (size_t j = 0; j < n; j++)
		if (recs[j].conn == s->end_conn &&
		    (strcmp(s->end, "timeout") == 0 ||
		     strcmp(recs[j].end, "eof") == 0))
			s->end_ts = recs[j].last;
}

/* The probe numbers sessions from 1 in the order they start (step 4, R1
 * on 443, T4 on 80); sessions starting in the same microsecond keep the
 * scenario's order. */
static uint32_t floods_before(const struct tg *tg, uint64_t ts)
{
	uint32_t lo = 0, hi = tg->nflood;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (tg->flood_start[mid] < ts)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Flood sessions never start in the same microsecond as another. */
static void session_ids(struct tg *tg)
{
	for (int i = 0; i < tg->nsess; i++) {
		struct tg_sess *s = &tg->sess[i];

		s->id = 1 + floods_before(tg, s->start_ts);
		for (int j = 0; j < tg->nsess; j++)
			if (tg->sess[j].start_ts < s->start_ts ||
			    (tg->sess[j].start_ts == s->start_ts && j < i))
				s->id++;
	}
	for (uint32_t k = 0; k < tg->nflood; k++) {
		tg->flood_id[k] = 1 + k;
		for (int j = 0; j < tg->nsess; j++)
			if (tg->sess[j].start_ts < tg->flood_start[k])
				tg->flood_id[k]++;
	}
}

static int records(const struct scenario *s, uint64_t idle_s,
		  uint64_t active_s, FILE *out)
{
	struct tg *tg = generate(s);
	struct rec *recs = calloc(tg->npkts + 1, sizeof(*recs));
	size_t n;

	if (recs == NULL)
		die("out of memory");
	n = simulate(tg, idle_s * SEC, active_s * SEC, recs);
	for (int i = 0; i < tg->nsess; i++)
		session_end_time(tg, &tg->sess[i], recs, n);
	session_ids(tg);
	fprintf(out, "# scenario %s packets %zu idle %" PRIu64 " active %"
		PRIu64 "\n", s->name, tg->npkts, idle_s, active_s);
	fprintf(out, "flows %zu\n", n);
	for (size_t i = 0; i < n; i++)
		print_rec(tg, &recs[i], out);
	print_sessions(tg, out);
	if (tg->seqid_note)
		fprintf(out, "%s\n", tg->seqid_note);
	free(recs);
	tg_free(tg);
	return 0;
}

/* Per flow, every packet counted (what records.py sums from the records
 * and reads with tshark): the flow's initiator sends its first packet. */
static void expect_totals(const struct scenario *s, FILE *out)
{
	struct tg *tg = generate(s);
	uint32_t (*pk)[2] = calloc((size_t)tg->nconns + 1, sizeof(*pk));
	uint64_t (*oc)[2] = calloc((size_t)tg->nconns + 1, sizeof(*oc));
	int *first = calloc((size_t)tg->nconns + 1, sizeof(*first));
	char a[64], b[64];

	if (!pk || !oc || !first)
		die("out of memory");
	for (int i = 0; i < tg->nconns; i++)
		first[i] = -1;
	for (size_t i = 0; i < tg->npkts; i++) {
		const struct tg_pkt *k = &tg->pkts[i];

		if (first[k->conn] < 0)
			first[k->conn] = k->dir;
		pk[k->conn][k->dir != first[k->conn]]++;
		oc[k->conn][k->dir != first[k->conn]] += k->ip_len;
	}
	for (int i = 0; i < tg->nconns; i++) {
		const struct pcapw_pkt *t = &tg->conns[i].tmpl;
		int r = first[i] == 1;

		if (first[i] < 0)
			continue;
		addr_str(t, r ? t->dst : t->src, a, sizeof(a));
		addr_str(t, r ? t->src : t->dst, b, sizeof(b));
		fprintf(out, "%u %s %u %s %u %u %" PRIu64 " %u %" PRIu64 "\n",
			t->proto, a, r ? t->dport : t->sport, b,
			r ? t->sport : t->dport, pk[i][0], oc[i][0], pk[i][1],
			oc[i][1]);
	}
	free(pk);
	free(oc);
	free(first);
	tg_free(tg);
}

/* ---- command line --------------------------------------------------- */

static void usage(void)
{
	fprintf(stderr,
		"usage: tracegen --list | --list-floods\n"
		"       tracegen SCENARIO OUT.pcap\n"
		"       tracegen --all DIR\n"
		"       tracegen --describe SCENARIO\n"
		"       tracegen --expect SCENARIO\n"
		"       tracegen --records SCENARIO [--idle SEC] [--active SEC]\n"
		"         (defaults: --idle 60 --active 1800; 0 disables)\n");
	exit(2);
}

static const struct scenario *need_scenario(const char *name)
{
	const struct scenario *s = find_scenario(name);

	if (s == NULL) {
		fprintf(stderr, "tracegen: unknown scenario '%s' "
			"(see --list)\n", name);
		exit(2);
	}
	return s;
}

static int write_one(const struct scenario *s, const char *path)
{
	struct tg *tg = generate(s);
	int rc = write_trace(tg, path);

	tg_free(tg);
	return rc;
}

static int write_all(const char *dir)
{
	char path[4096];
	int rc = 0;

	if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
		fprintf(stderr, "tracegen: %s: %s\n", dir, strerror(errno));
		return 1;
	}
	for (size_t i = 0; i < N_SCENARIOS; i++) {
		snprintf(path, sizeof(path), "%s/%s.pcap", dir,
			 scenarios[i].name);
		if (write_one(&scenarios[i], path) != 0)
			rc = 1;
	}
	return rc;
}

static uint64_t parse_seconds(const char *s)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || *end != '\0')
		usage();
	return v;
}

static int cmd_records(int argc, char **argv)
{
	uint64_t idle = 60, active = 1800;
	const struct scenario *s;

	if (argc < 3)
		usage();
	s = need_scenario(argv[2]);
	for (int i = 3; i < argc; i++) {
		if (i + 1 >= argc)
			usage();
		if (strcmp(argv[i], "--idle") == 0)
			idle = parse_seconds(argv[++i]);
		else if (strcmp(argv[i], "--active") == 0)
			active = parse_seconds(argv[++i]);
		else
			usage();
	}
	return records(s, idle, active, stdout);
}

int main(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "--list") == 0) {
		for (size_t i = 0; i < N_SCENARIOS; i++)
			printf("%s\n", scenarios[i].name);
		return 0;
	}
	if (argc == 2 && strcmp(argv[1], "--list-floods") == 0) {
		for (size_t i = 0; i < N_FLOODS; i++)
			printf("%s\n", floods[i].name);
		return 0;
	}
	if (argc == 3 && strcmp(argv[1], "--all") == 0)
		return write_all(argv[2]);
	if (argc == 3 && strcmp(argv[1], "--describe") == 0) {
		printf("%s\n", need_scenario(argv[2])->what);
		return 0;
	}
	if (argc == 3 && strcmp(argv[1], "--expect") == 0) {
		expect_totals(need_scenario(argv[2]), stdout);
		return 0;
	}
	if (argc >= 3 && strcmp(argv[1], "--records") == 0)
		return cmd_records(argc, argv);
	if (argc == 3 && argv[1][0] != '-')
		return write_one(need_scenario(argv[1]), argv[2]) ? 1 : 0;
	usage();
	return 2;
}
