/*
 * test_sig.c - unit tests of the Skype signature engine and the session
 * tracker: hand-built flows and packets, one test per state-machine step
 * and per path, exact emitted session records.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "flow_table.h"
#include "session.h"
#include "module_config.h"
#include "sig.h"
#include "sig_client.h"

#define T0 1700000000000000ULL  /* microseconds */
#define MS(us) ((us) / 1000)
#define SEC 1000000ULL
#define TH_FIN 0x01
#define TH_SYN 0x02
#define TH_PSH 0x08
#define TH_ACK 0x10

#define MAX_RECS 8

struct env {
	struct skyprobe_config cfg;
	struct sig_engine *se;
	struct session_rec recs[MAX_RECS];
	int n;
	/* floods: count every record, keep only those of client keep */
	int count_only;
	uint8_t keep[16];
	uint64_t n_all;
	uint64_t n_evicted;
};

struct tflow {
	struct flow f;
	uint32_t seq[2];
};

/* addresses used throughout */
struct net {
	uint8_t c[16];          /* client, behind NAT: 10.0.0.5 */
	uint8_t c2[16];         /* another client: 10.0.0.6 */
	uint8_t sn1[16];        /* 203.0.113.10 */
	uint8_t sn2[16];        /* 203.0.113.20 */
	uint8_t boot[16];       /* 203.0.113.30 */
	uint8_t web[16];        /* 192.0.2.80 */
	uint8_t ls[16];         /* 195.215.8.141 login server */
	uint8_t so[16];         /* 195.215.8.140 SkypeOut */
	uint8_t cl[16];         /* 212.72.49.142 contact list */
};

static void v4(uint8_t a[16], int b0, int b1, int b2, int b3)
{
	memset(a, 0, 16);
	a[10] = a[11] = 0xff;
	a[12] = (uint8_t)b0;
	a[13] = (uint8_t)b1;
	a[14] = (uint8_t)b2;
	a[15] = (uint8_t)b3;
}

static void net_init(struct net *n)
{
	v4(n->c, 10, 0, 0, 5);
	v4(n->c2, 10, 0, 0, 6);
	v4(n->sn1, 203, 0, 113, 10);
	v4(n->sn2, 203, 0, 113, 20);
	v4(n->boot, 203, 0, 113, 30);
	v4(n->web, 192, 0, 2, 80);
	v4(n->ls, 195, 215, 8, 141);
	v4(n->so, 195, 215, 8, 140);
	v4(n->cl, 212, 72, 49, 142);
}

static void emit_cb(void *ctx, const struct session_rec *s)
{
	struct env *e = ctx;

	if (e->count_only) {
		e->n_all++;
		e->n_evicted += s->end_reason == SESS_END_EVICTED;
		if (memcmp(s->client, e->keep, 16) != 0)
			return;
	}
	ck_assert_int_lt(e->n, MAX_RECS);
	e->recs[e->n++] = *s;
}

/* The tests set the probe's configuration; the engine reads its part of
 * it, as main.c gives it. */
static struct sig_config sig_cfg(const struct skyprobe_config *cfg)
{
	struct sig_config sc;

	sig_config_from(&sc, cfg);
	return sc;
}

static void env_start(struct env *e)
{
	struct sig_config sc = sig_cfg(&e->cfg);

	e->n = 0;
	e->se = sig_engine_new(&sc, emit_cb, e);
	ck_assert_ptr_nonnull(e->se);
}

static void env_init(struct env *e)
{
	memset(e, 0, sizeof(*e));
	config_defaults(&e->cfg);
	env_start(e);
}

static void env_done(struct env *e)
{
	sig_engine_free(e->se);
}

static struct sig_counters counters(const struct env *e)
{
	struct sig_counters c;

	sig_get_counters(e->se, &c);
	return c;
}

static void tf_init(struct tflow *t, int proto, const uint8_t src[16],
		    uint16_t sport, const uint8_t dst[16], uint16_t dport)
{
	memset(t, 0, sizeof(*t));
	memcpy(t->f.key.src, src, 16);
	memcpy(t->f.key.dst, dst, 16);
	t->f.key.sport = sport;
	t->f.key.dport = dport;
	t->f.key.proto = (uint8_t)proto;
	t->f.key.ip_version = 4;
	t->f.in_use = 1;
	t->seq[0] = 1000;
	t->seq[1] = 500000;
}

/* One packet at sequence number seq (TCP), as the flow table hands it. */
static void pkt_send_seq(struct env *e, struct tflow *t, int dir, uint64_t ts,
		     const uint8_t *p, uint32_t n, uint8_t flags, uint32_t seq)
{
	struct pkt_view pv;
	const struct flow_key *k = &t->f.key;

	memset(&pv, 0, sizeof(pv));
	pv.ts_us = ts;
	memcpy(pv.src, dir ? k->dst : k->src, 16);
	memcpy(pv.dst, dir ? k->src : k->dst, 16);
	pv.sport = dir ? k->dport : k->sport;
	pv.dport = dir ? k->sport : k->dport;
	pv.ip_version = 4;
	pv.proto = k->proto;
	pv.tcp_flags = flags;
	pv.tcp_seq = seq;
	pv.payload = p;
	pv.payload_len = n;
	pv.payload_size = n;
	pv.ip_len = n + 40;
	if (t->f.packets[0] + t->f.packets[1] == 0)
		t->f.start_us = ts;
	t->f.packets[dir]++;
	if (ts > t->f.last_us)
		t->f.last_us = ts;
	sig_packet(e->se, &t->f, &pv, dir);
}

static void pkt_send(struct env *e, struct tflow *t, int dir, uint64_t ts,
		 const uint8_t *p, uint32_t n, uint8_t flags)
{
	uint32_t seq = t->seq[dir];

	t->seq[dir] += n + ((flags & (TH_SYN | TH_FIN)) ? 1 : 0);
	pkt_send_seq(e, t, dir, ts, p, n, flags, seq);
}

/* A TCP message of n bytes filled with fill. */
static void msg(struct env *e, struct tflow *t, int dir, uint64_t ts,
		uint32_t n, uint8_t fill)
{
	uint8_t buf[1500];

	ck_assert_uint_le(n, sizeof(buf));
	memset(buf, fill, n);
	pkt_send(e, t, dir, ts, buf, n, TH_PSH | TH_ACK);
}

static void tcp_open(struct env *e, struct tflow *t, uint64_t ts)
{
	pkt_send(e, t, 0, ts, NULL, 0, TH_SYN);
	pkt_send(e, t, 1, ts + 100, NULL, 0, TH_SYN | TH_ACK);
	pkt_send(e, t, 0, ts + 200, NULL, 0, TH_ACK);
}

/*
 * A UDP probe of u1 bytes with id; full = U1..U4, else U1, U4.  U4 has
 * u4 bytes and type byte u4_type.  Packets 1 ms apart from ts.
 */
static void probe(struct env *e, struct tflow *t, uint64_t ts, uint16_t id,
		  uint32_t u1, int full, uint32_t u4, uint8_t u4_type)
{
	uint8_t b[128];

	memset(b, 0x11, sizeof(b));
	b[0] = (uint8_t)(id >> 8);
	b[1] = (uint8_t)id;
	b[2] = 0x02;
	pkt_send(e, t, 0, ts, b, u1, 0);
	if (full) {
		uint8_t u2[11] = { b[0], b[1], 0x47, 198, 51, 100, 7,
				   0xaa, 0xbb, 0xcc, 0xdd };
		uint8_t u3[128];

		pkt_send(e, t, 1, ts + 1000, u2, sizeof(u2), 0);
		memset(u3, 0x22, sizeof(u3));
		u3[0] = b[0];
		u3[1] = b[1];
		u3[2] = 0x53;
		u3[3] = 0x01;
		memcpy(u3 + 4, u2 + 7, 4);
		memcpy(u3 + 8, t->f.key.dst + 12, 4);
		memcpy(u3 + 12, b + 7, 4);
		pkt_send(e, t, 0, ts + 2000, u3, u1 + 5, 0);
	}
	memset(b, 0x33, sizeof(b));
	b[2] = u4_type;
	pkt_send(e, t, 1, ts + 3000, b, u4, 0);
}

/* T1 .. T4 after tcp_open: T1, SN reply, T2, T3, T4, 1 ms apart. */
static void handshake(struct env *e, struct tflow *t, uint64_t ts,
		      uint32_t t1, uint32_t t3, uint32_t t4)
{
	msg(e, t, 0, ts, t1, 0x41);
	msg(e, t, 1, ts + 1000, 60, 0x42);
	msg(e, t, 0, ts + 2000, 25, 0x43);
	msg(e, t, 1, ts + 3000, t3, 0x44);
	msg(e, t, 0, ts + 4000, t4, 0x45);
}

static void expect_rec(const struct session_rec *got,
		       const struct session_rec *want)
{
	ck_assert_uint_eq(got->session_id, want->session_id);
	ck_assert_mem_eq(got->client, want->client, 16);
	ck_assert_uint_eq(got->client_port, want->client_port);
	ck_assert_mem_eq(got->supernode, want->supernode, 16);
	ck_assert_uint_eq(got->supernode_port, want->supernode_port);
	ck_assert_uint_eq(got->start_ms, want->start_ms);
	ck_assert_uint_eq(got->connected_ms, want->connected_ms);
	ck_assert_uint_eq(got->end_ms, want->end_ms);
	ck_assert_uint_eq(got->supernode_changes, want->supernode_changes);
	ck_assert_uint_eq(got->refused_supernodes, want->refused_supernodes);
	ck_assert_uint_eq(got->end_reason, want->end_reason);
	ck_assert_uint_eq(got->transport_mode, want->transport_mode);
	ck_assert_uint_eq(got->login_phase, want->login_phase);
	ck_assert_uint_eq(got->version, want->version);
}

static void want_init(struct session_rec *w, uint32_t id, const uint8_t c[16],
		      uint16_t cport)
{
	memset(w, 0, sizeof(*w));
	w->session_id = id;
	memcpy(w->client, c, 16);
	w->client_port = cport;
}

/* ---- UDP probe ---------------------------------------------------------- */

START_TEST(test_probe_full_v14)
{
	struct env e;
	struct net n;
	struct tflow u;
	struct session_rec w;

	net_init(&n);
	env_init(&e);
	tf_init(&u, 17, n.c, 5555, n.sn1, 40001);
	probe(&e, &u, T0, 0x1234, 18, 1, 18, 0x02);
	ck_assert_uint_eq(u.f.role, ROLE_UDP_PROBE_POS);
	ck_assert_uint_eq(u.f.session_id, 1);
	ck_assert_uint_eq(counters(&e).probes_positive, 1);
	ck_assert_uint_eq(counters(&e).sessions_started, 1);
	ck_assert_uint_eq(counters(&e).clients, 1);
	ck_assert_int_eq(e.n, 0);
	sig_shutdown(e.se, T0 + 10 * SEC);
	ck_assert_int_eq(e.n, 1);
	want_init(&w, 1, n.c, 5555);    /* never connected: SN all zero */
	w.start_ms = MS(T0 + 3000);     /* step 4: U4 */
	w.end_ms = MS(T0 + 10 * SEC);
	w.end_reason = SESS_END_SHUTDOWN;
	w.transport_mode = MODE_UDP_TCP;
	w.version = SKYPE_VER_UNKNOWN;  /* U1 = 18 alone decides nothing */
	expect_rec(&e.recs[0], &w);
	ck_assert_uint_eq(counters(&e).sessions_ended, 1);
	env_done(&e);
}
END_TEST

START_TEST(test_probe_partial)
{
	struct env e;
	struct net n;
	struct tflow u;

	net_init(&n);
	env_init(&e);
	tf_init(&u, 17, n.c, 5555, n.sn1, 40001);
	probe(&e, &u, T0, 0x0100, 18, 0, 18, 0x02);
	ck_assert_uint_eq(u.f.role, ROLE_UDP_PROBE_POS);
	ck_assert_uint_eq(counters(&e).sessions_started, 1);
	/* step 5: the next partial probe on the same flow stays positive */
	probe(&e, &u, T0 + SEC, 0x0102, 18, 0, 53, 0x02);
	ck_assert_uint_eq(u.f.role, ROLE_UDP_PROBE_POS);
	ck_assert_uint_eq(counters(&e).probes_negative, 1);
	ck_assert_uint_eq(counters(&e).sessions_started, 1);
	env_done(&e);
}
END_TEST

/* With the site's internal prefixes set, only hosts inside them are
 * clients: an outside host probing an inside one is not detected. */
START_TEST(test_internal_prefixes)
{
	struct env e;
	struct net n;
	struct tflow in, out;

	net_init(&n);
	memset(&e, 0, sizeof(e));
	config_defaults(&e.cfg);
	e.cfg.n_internal = 1;
	v4(e.cfg.internal[0].addr, 10, 0, 0, 0);
	e.cfg.internal[0].len = 96 + 8;         /* 10.0.0.0/8 */
	env_start(&e);
	tf_init(&in, 17, n.c, 5555, n.sn1, 40001);
	probe(&e, &in, T0, 0x0100, 18, 0, 18, 0x02);
	ck_assert_uint_eq(in.f.role, ROLE_UDP_PROBE_POS);
	tf_init(&out, 17, n.sn2, 5555, n.c2, 40001);
	probe(&e, &out, T0 + SEC, 0x0200, 18, 0, 18, 0x02);
	ck_assert_uint_eq(out.f.role, ROLE_NONE);
	ck_assert_uint_eq(counters(&e).sessions_started, 1);
	env_done(&e);
}
END_TEST

START_TEST(test_probe_v20_u3_size)
{
	struct env e;
	struct net n;
	struct tflow u, bad;

	net_init(&n);
	env_init(&e);
	tf_init(&u, 17, n.c, 5555, n.sn1, 40001);
	probe(&e, &u, T0, 0x2000, 25, 1, 18, 0x02);    /* U3 = 30 */
	ck_assert_uint_eq(u.f.role, ROLE_UDP_PROBE_POS);
	sig_shutdown(e.se, T0 + SEC);
	ck_assert_int_eq(e.n, 1);
	ck_assert_uint_eq(e.recs[0].version, SKYPE_VER_2);
	env_done(&e);

	/* U3 of s(U1) + 4 breaks the full probe; U4 then is not a reply */
	env_init(&e);
	tf_init(&bad, 17, n.c, 5555, n.sn1, 40001);
	{
		uint8_t b[40] = { 0x20, 0x00, 0x02 };
		uint8_t u2[11] = { 0x20, 0x00, 0x47, 198, 51, 100, 7 };
		uint8_t u3[40] = { 0x20, 0x00, 0x53, 0x01 };
		uint8_t u4[18] = { 0, 0, 0x02 };

		memcpy(u3 + 8, n.sn1 + 12, 4);
		pkt_send(&e, &bad, 0, T0, b, 25, 0);
		pkt_send(&e, &bad, 1, T0 + 1, u2, 11, 0);
		pkt_send(&e, &bad, 0, T0 + 2, u3, 29, 0);
		pkt_send(&e, &bad, 1, T0 + 3, u4, 18, 0);
	}
	ck_assert_uint_eq(bad.f.role, ROLE_NONE);
	ck_assert_uint_eq(counters(&e).sessions_started, 0);
	env_done(&e);
}
END_TEST

START_TEST(test_probe_u3_wrong_sn_addr)
{
	struct env e;
	struct net n;
	struct tflow u;
	uint8_t b[18] = { 0x20, 0x00, 0x02 };
	uint8_t u2[11] = { 0x20, 0x00, 0x47, 198, 51, 100, 7 };
	uint8_t u3[23] = { 0x20, 0x00, 0x53, 0x01, 0, 0, 0, 0, 1, 2, 3, 4 };
	uint8_t u4[18] = { 0, 0, 0x02 };

	net_init(&n);
	env_init(&e);
	tf_init(&u, 17, n.c, 5555, n.sn1, 40001);
	pkt_send(&e, &u, 0, T0, b, 18, 0);
	pkt_send(&e, &u, 1, T0 + 1, u2, 11, 0);
	pkt_send(&e, &u, 0, T0 + 2, u3, 23, 0);     /* [9-12] = 1.2.3.4 */
	pkt_send(&e, &u, 1, T0 + 3, u4, 18, 0);
	ck_assert_uint_eq(u.f.role, ROLE_NONE);
	/* right SN address, but U3[4] = 0x02 */
	memcpy(u3 + 8, n.sn1 + 12, 4);
	u3[3] = 0x02;
	tf_init(&u, 17, n.c, 5556, n.sn1, 40001);
	pkt_send(&e, &u, 0, T0, b, 18, 0);
	pkt_send(&e, &u, 1, T0 + 1, u2, 11, 0);
	pkt_send(&e, &u, 0, T0 + 2, u3, 23, 0);
	pkt_send(&e, &u, 1, T0 + 3, u4, 18, 0);
	ck_assert_uint_eq(u.f.role, ROLE_NONE);
	ck_assert_uint_eq(counters(&e).sessions_started, 0);
	env_done(&e);
}
END_TEST

START_TEST(test_probe_negative_51_53)
{
	struct env e;
	struct net n;
	struct tflow a, b, c;

	net_init(&n);
	env_init(&e);
	tf_init(&a, 17, n.c, 5555, n.sn1, 40001);
	probe(&e, &a, T0, 0x0010, 18, 1, 51, 0x02);
	ck_assert_uint_eq(a.f.role, ROLE_UDP_PROBE_NEG);
	tf_init(&b, 17, n.c, 5555, n.sn2, 40002);
	probe(&e, &b, T0 + SEC, 0x0012, 18, 0, 53, 0x4d);  /* low nibble d */
	ck_assert_uint_eq(b.f.role, ROLE_UDP_PROBE_NEG);
	/* 53 bytes with a type that is neither 0x02 nor 0x?d */
	tf_init(&c, 17, n.c, 5555, n.boot, 40003);
	probe(&e, &c, T0 + 2 * SEC, 0x0014, 18, 0, 53, 0x41);
	ck_assert_uint_eq(c.f.role, ROLE_NONE);
	ck_assert_uint_eq(counters(&e).probes_negative, 2);
	ck_assert_uint_eq(counters(&e).probes_positive, 0);
	ck_assert_uint_eq(counters(&e).sessions_started, 0);
	ck_assert_uint_eq(a.f.session_id, 0);
	env_done(&e);
}
END_TEST

START_TEST(test_probe_bootstrap_negative)
{
	struct env e;
	struct net n;
	struct tflow u, t;

	net_init(&n);
	env_init(&e);
	tf_init(&u, 17, n.c, 5555, n.boot, 33033);
	probe(&e, &u, T0, 0x0400, 18, 0, 51, 0x02);
	ck_assert_uint_eq(u.f.role, ROLE_UDP_PROBE_NEG);
	ck_assert_uint_eq(counters(&e).probes_bootstrap, 1);
	ck_assert_uint_eq(counters(&e).sessions_started, 0);
	/* a TCP handshake to it is not step 6 */
	tf_init(&t, 6, n.c, 3001, n.boot, 33033);
	tcp_open(&e, &t, T0 + SEC);
	handshake(&e, &t, T0 + 2 * SEC, 14, 200, 16);
	ck_assert_uint_eq(t.f.role, ROLE_NONE);
	ck_assert_uint_eq(counters(&e).sessions_started, 0);
	env_done(&e);
}
END_TEST

START_TEST(test_probe_u2_wrong_id)
{
	struct env e;
	struct net n;
	struct tflow u;
	uint8_t b[18] = { 0x12, 0x34, 0x02 };
	uint8_t u2[11] = { 0x12, 0x35, 0x47, 198, 51, 100, 7 };
	uint8_t u3[23] = { 0x12, 0x34, 0x53, 0x01 };
	uint8_t u4[18] = { 0, 0, 0x02 };

	net_init(&n);
	env_init(&e);
	memcpy(u3 + 8, n.sn1 + 12, 4);
	tf_init(&u, 17, n.c, 5555, n.sn1, 40001);
	pkt_send(&e, &u, 0, T0, b, 18, 0);
	pkt_send(&e, &u, 1, T0 + 1, u2, 11, 0);
	pkt_send(&e, &u, 0, T0 + 2, u3, 23, 0);
	pkt_send(&e, &u, 1, T0 + 3, u4, 18, 0);
	ck_assert_uint_eq(u.f.role, ROLE_NONE);
	ck_assert_uint_eq(counters(&e).probes_positive, 0);
	ck_assert_uint_eq(counters(&e).sessions_started, 0);
	env_done(&e);
}
END_TEST

START_TEST(test_probe_u2_address)
{
	struct env e;
	struct net n;
	struct tflow u, pub;
	uint8_t pub_c[16];
	uint8_t b[18] = { 0x12, 0x34, 0x02 };
	uint8_t u2[11] = { 0x12, 0x34, 0x47, 192, 168, 1, 1 };  /* private */
	uint8_t u4[18] = { 0, 0, 0x02 };
	uint8_t u2b[11] = { 0x12, 0x34, 0x47, 198, 51, 100, 99 };
	uint8_t u3[23] = { 0x12, 0x34, 0x53, 0x01 };

	net_init(&n);
	env_init(&e);
	tf_init(&u, 17, n.c, 5555, n.sn1, 40001);
	pkt_send(&e, &u, 0, T0, b, 18, 0);
	pkt_send(&e, &u, 1, T0 + 1, u2, 11, 0);     /* not U2, not U4 */
	pkt_send(&e, &u, 1, T0 + 3, u4, 18, 0);
	ck_assert_uint_eq(u.f.role, ROLE_NONE);
	/* client with a public address: U2 must carry that very address */
	v4(pub_c, 198, 51, 100, 7);
	tf_init(&pub, 17, pub_c, 5555, n.sn1, 40001);
	memcpy(u3 + 8, n.sn1 + 12, 4);
	pkt_send(&e, &pub, 0, T0, b, 18, 0);
	pkt_send(&e, &pub, 1, T0 + 1, u2b, 11, 0);
	pkt_send(&e, &pub, 0, T0 + 2, u3, 23, 0);     /* a valid U3 */
	pkt_send(&e, &pub, 1, T0 + 3, u4, 18, 0);
	ck_assert_uint_eq(pub.f.role, ROLE_NONE);
	ck_assert_uint_eq(counters(&e).sessions_started, 0);
	env_done(&e);

	/* the same public client with its own address in U2 is fine */
	env_init(&e);
	tf_init(&pub, 17, pub_c, 5555, n.sn1, 40001);
	probe(&e, &pub, T0, 0x1234, 18, 1, 18, 0x02);
	ck_assert_uint_eq(pub.f.role, ROLE_UDP_PROBE_POS);
	env_done(&e);
}
END_TEST

START_TEST(test_udp_false_positives)
{
	struct env e;
	struct net n;
	struct tflow dns, rtp, s18;
	uint8_t q[30] = { 0xab, 0xcd, 0x01, 0x00, 0x00, 0x01 };
	uint8_t r[18] = { 0xab, 0xcd, 0x02 };
	uint8_t big[172] = { 0x80, 0x00, 0x02 };
	uint8_t wrong[18] = { 0x00, 0x01, 0x01 };

	net_init(&n);
	env_init(&e);
	/* DNS query: [3] = 0x01: decided at once */
	tf_init(&dns, 17, n.c, 53001, n.web, 53);
	pkt_send(&e, &dns, 0, T0, q, sizeof(q), 0);
	pkt_send(&e, &dns, 1, T0 + 1, r, sizeof(r), 0);
	ck_assert_uint_eq(dns.f.role, ROLE_NONE);
	ck_assert_uint_eq(dns.f.sig.path, PATH_NONE);
	/* RTP whose sequence high byte is 2: too big for U1 */
	tf_init(&rtp, 17, n.c, 16384, n.web, 16384);
	pkt_send(&e, &rtp, 0, T0, big, sizeof(big), 0);
	pkt_send(&e, &rtp, 1, T0 + 1, r, sizeof(r), 0);
	ck_assert_uint_eq(rtp.f.role, ROLE_NONE);
	/* 18-byte U1 look-alike answered with a wrong 18-byte reply */
	tf_init(&s18, 17, n.c, 5555, n.sn1, 40001);
	pkt_send(&e, &s18, 0, T0, r, sizeof(r), 0);
	pkt_send(&e, &s18, 1, T0 + 1, wrong, sizeof(wrong), 0);
	pkt_send(&e, &s18, 1, T0 + 2, r, sizeof(r), 0);
	ck_assert_uint_eq(s18.f.role, ROLE_NONE);
	ck_assert_uint_eq(counters(&e).sessions_started, 0);
	ck_assert_uint_eq(counters(&e).clients, 0);
	env_done(&e);
}
END_TEST

/* ---- TCP super-node handshake ---------------------------------------- */

START_TEST(test_hs_refused_then_accepted)
{
	struct env e;
	struct net n;
	struct tflow u1, u2, t1, t2;
	struct session_rec w;

	net_init(&n);
	env_init(&e);
	tf_init(&u1, 17, n.c, 5555, n.sn1, 40001);
	probe(&e, &u1, T0, 0x0100, 18, 1, 18, 0x02);
	tf_init(&u2, 17, n.c, 5555, n.sn2, 40002);
	probe(&e, &u2, T0 + SEC, 0x0102, 18, 0, 18, 0x02);

	/* step 8: T3 = 339 at SN1 */
	tf_init(&t1, 6, n.c, 3001, n.sn1, 40001);
	tcp_open(&e, &t1, T0 + 2 * SEC);
	handshake(&e, &t1, T0 + 3 * SEC, 14, 339, 16);
	ck_assert_uint_eq(t1.f.role, ROLE_SN_REFUSED);
	ck_assert_uint_eq(t1.f.session_id, 1);
	sig_flow_end(e.se, &t1.f, END_OF_FLOW);
	ck_assert_int_eq(e.n, 0);

	/* step 9 at SN2 */
	tf_init(&t2, 6, n.c, 3002, n.sn2, 40002);
	tcp_open(&e, &t2, T0 + 4 * SEC);
	handshake(&e, &t2, T0 + 5 * SEC, 14, 200, 16);
	ck_assert_uint_eq(t2.f.role, ROLE_SN_CONNECTION);
	ck_assert_uint_eq(t2.f.session_id, 1);
	ck_assert_uint_eq(counters(&e).sn_refused, 1);
	ck_assert_uint_eq(counters(&e).sn_connected, 1);

	/* keep-alives, then step 11 */
	msg(&e, &t2, 0, T0 + 60 * SEC, 20, 0x50);
	pkt_send(&e, &t2, 0, T0 + 61 * SEC, NULL, 0, TH_FIN | TH_ACK);
	sig_flow_end(e.se, &t2.f, END_OF_FLOW);
	ck_assert_int_eq(e.n, 1);
	want_init(&w, 1, n.c, 5555);
	memcpy(w.supernode, n.sn2, 16);
	w.supernode_port = 40002;
	w.start_ms = MS(T0 + 3000);
	w.connected_ms = MS(T0 + 5 * SEC + 4000);
	w.end_ms = MS(T0 + 61 * SEC);
	w.refused_supernodes = 1;
	w.end_reason = SESS_END_SN_CLOSED;
	w.transport_mode = MODE_UDP_TCP;
	w.version = SKYPE_VER_1_4;
	expect_rec(&e.recs[0], &w);
	/* the tracker forgets it: shutdown emits nothing more */
	sig_shutdown(e.se, T0 + 100 * SEC);
	ck_assert_int_eq(e.n, 1);
	env_done(&e);
}
END_TEST

START_TEST(test_hs_never_probed)
{
	struct env e;
	struct net n;
	struct tflow u, t, other_port;

	net_init(&n);
	env_init(&e);
	tf_init(&t, 6, n.c, 3001, n.sn1, 40001);
	tcp_open(&e, &t, T0);
	handshake(&e, &t, T0 + SEC, 14, 200, 16);
	ck_assert_uint_eq(t.f.role, ROLE_NONE);
	ck_assert_uint_eq(t.f.sig.path, PATH_NONE);
	/* probed SN, but another port than the UDP reply's */
	tf_init(&u, 17, n.c, 5555, n.sn1, 40001);
	probe(&e, &u, T0 + 2 * SEC, 0x0100, 18, 1, 18, 0x02);
	tf_init(&other_port, 6, n.c, 3002, n.sn1, 40009);
	tcp_open(&e, &other_port, T0 + 3 * SEC);
	handshake(&e, &other_port, T0 + 4 * SEC, 14, 200, 16);
	ck_assert_uint_eq(other_port.f.role, ROLE_NONE);
	ck_assert_uint_eq(counters(&e).sn_connected, 0);
	env_done(&e);
}
END_TEST

START_TEST(test_hs_retransmitted_t2)
{
	struct env e;
	struct net n;
	struct tflow u, t;
	uint8_t t2[25];
	uint32_t t2_seq;

	net_init(&n);
	env_init(&e);
	memset(t2, 0x43, sizeof(t2));
	tf_init(&u, 17, n.c, 5555, n.sn1, 40001);
	probe(&e, &u, T0, 0x0100, 18, 1, 18, 0x02);
	tf_init(&t, 6, n.c, 3001, n.sn1, 40001);
	tcp_open(&e, &t, T0 + SEC);
	msg(&e, &t, 0, T0 + 2 * SEC, 14, 0x41);
	msg(&e, &t, 1, T0 + 2 * SEC + 1, 60, 0x42);
	t2_seq = t.seq[0];
	pkt_send(&e, &t, 0, T0 + 2 * SEC + 2, t2, sizeof(t2), TH_PSH | TH_ACK);
	msg(&e, &t, 1, T0 + 2 * SEC + 3, 200, 0x44);
	/* T2 again, same sequence number: it must not count as a message */
	pkt_send_seq(&e, &t, 0, T0 + 2 * SEC + 4, t2, sizeof(t2),
		 TH_PSH | TH_ACK, t2_seq);
	ck_assert_uint_eq(t.f.role, ROLE_NONE);
	msg(&e, &t, 0, T0 + 2 * SEC + 5, 16, 0x45);
	ck_assert_uint_eq(t.f.role, ROLE_SN_CONNECTION);
	env_done(&e);
}
END_TEST

START_TEST(test_hs_pure_acks)
{
	struct env e;
	struct net n;
	struct tflow u, t;

	net_init(&n);
	env_init(&e);
	tf_init(&u, 17, n.c, 5555, n.sn1, 40001);
	probe(&e, &u, T0, 0x0100, 18, 1, 18, 0x02);
	tf_init(&t, 6, n.c, 3001, n.sn1, 40001);
	tcp_open(&e, &t, T0 + SEC);
	msg(&e, &t, 0, T0 + 2 * SEC, 14, 0x41);
	pkt_send(&e, &t, 1, T0 + 2 * SEC + 1, NULL, 0, TH_ACK);
	msg(&e, &t, 1, T0 + 2 * SEC + 2, 60, 0x42);
	pkt_send(&e, &t, 0, T0 + 2 * SEC + 3, NULL, 0, TH_ACK);
	msg(&e, &t, 0, T0 + 2 * SEC + 4, 25, 0x43);
	pkt_send(&e, &t, 1, T0 + 2 * SEC + 5, NULL, 0, TH_ACK);
	msg(&e, &t, 1, T0 + 2 * SEC + 6, 200, 0x44);
	pkt_send(&e, &t, 0, T0 + 2 * SEC + 7, NULL, 0, TH_ACK);
	ck_assert_uint_eq(t.f.role, ROLE_NONE);
	msg(&e, &t, 0, T0 + 2 * SEC + 8, 4, 0x45);
	ck_assert_uint_eq(t.f.role, ROLE_SN_CONNECTION);
	env_done(&e);
}
END_TEST

START_TEST(test_hs_v20_extra_message)
{
	struct env e;
	struct net n;
	struct tflow u, t;

	net_init(&n);
	env_init(&e);
	tf_init(&u, 17, n.c, 5555, n.sn1, 40001);
	probe(&e, &u, T0, 0x0100, 30, 1, 18, 0x02);
	tf_init(&t, 6, n.c, 3001, n.sn1, 40001);
	tcp_open(&e, &t, T0 + SEC);
	msg(&e, &t, 0, T0 + 2 * SEC, 40, 0x41);         /* T1, v2.0 */
	msg(&e, &t, 1, T0 + 2 * SEC + 1, 60, 0x42);
	msg(&e, &t, 0, T0 + 2 * SEC + 2, 24, 0x46);     /* extra, 22..29 */
	msg(&e, &t, 0, T0 + 2 * SEC + 3, 27, 0x43);     /* T2 */
	msg(&e, &t, 1, T0 + 2 * SEC + 4, 120, 0x44);    /* T3 */
	msg(&e, &t, 0, T0 + 2 * SEC + 5, 17, 0x45);     /* T4 */
	ck_assert_uint_eq(t.f.role, ROLE_SN_CONNECTION);
	sig_flow_end(e.se, &t.f, END_OF_FLOW);
	ck_assert_int_eq(e.n, 1);
	ck_assert_uint_eq(e.recs[0].version, SKYPE_VER_2);
	env_done(&e);
}
END_TEST

START_TEST(test_hs_t2_needs_sn_reply)
{
	struct env e;
	struct net n;
	struct tflow u, t;

	net_init(&n);
	env_init(&e);
	tf_init(&u, 17, n.c, 5555, n.sn1, 40001);
	probe(&e, &u, T0, 0x0100, 18, 1, 18, 0x02);
	tf_init(&t, 6, n.c, 3001, n.sn1, 40001);
	tcp_open(&e, &t, T0 + SEC);
	/* a 22..29 SC message before the SN answered T1 is not T2 */
	msg(&e, &t, 0, T0 + 2 * SEC, 14, 0x41);
	msg(&e, &t, 0, T0 + 2 * SEC + 1, 25, 0x43);
	msg(&e, &t, 1, T0 + 2 * SEC + 2, 200, 0x44);
	msg(&e, &t, 0, T0 + 2 * SEC + 3, 16, 0x45);
	ck_assert_uint_eq(t.f.role, ROLE_NONE);
	env_done(&e);
}
END_TEST

START_TEST(test_hs_small_t3_not_accepted)
{
	struct env e;
	struct net n;
	struct tflow u, t;

	net_init(&n);
	env_init(&e);
	tf_init(&u, 17, n.c, 5555, n.sn1, 40001);
	probe(&e, &u, T0, 0x0100, 18, 1, 18, 0x02);
	tf_init(&t, 6, n.c, 3001, n.sn1, 40001);
	tcp_open(&e, &t, T0 + SEC);
	handshake(&e, &t, T0 + 2 * SEC, 14, 57, 16);    /* T3 = 57 */
	ck_assert_uint_eq(t.f.role, ROLE_NONE);
	ck_assert_uint_eq(counters(&e).sn_connected, 0);
	env_done(&e);
}
END_TEST

START_TEST(test_sn_change)
{
	struct env e;
	struct net n;
	struct tflow u1, u2, t1, t2;
	struct session_rec w;

	net_init(&n);
	env_init(&e);
	tf_init(&u1, 17, n.c, 5555, n.sn1, 40001);
	probe(&e, &u1, T0, 0x0100, 18, 1, 18, 0x02);
	tf_init(&t1, 6, n.c, 3001, n.sn1, 40001);
	tcp_open(&e, &t1, T0 + SEC);
	handshake(&e, &t1, T0 + 2 * SEC, 14, 200, 16);
	ck_assert_uint_eq(t1.f.role, ROLE_SN_CONNECTION);

	/* step 5: a later probe, step 10: a connection to another SN */
	tf_init(&u2, 17, n.c, 5555, n.sn2, 40002);
	probe(&e, &u2, T0 + 100 * SEC, 0x0110, 18, 0, 18, 0x02);
	tf_init(&t2, 6, n.c, 3002, n.sn2, 40002);
	tcp_open(&e, &t2, T0 + 101 * SEC);
	handshake(&e, &t2, T0 + 102 * SEC, 14, 200, 15);
	ck_assert_uint_eq(t2.f.role, ROLE_SN_CONNECTION);
	ck_assert_uint_eq(t2.f.session_id, 1);
	ck_assert_uint_eq(counters(&e).sn_changes, 1);

	/* the old SN connection closes: the client still has the new one */
	sig_flow_end(e.se, &t1.f, END_OF_FLOW);
	ck_assert_int_eq(e.n, 0);
	/* an active-timeout record is not a close */
	sig_flow_end(e.se, &t2.f, END_ACTIVE_TIMEOUT);
	ck_assert_int_eq(e.n, 0);
	msg(&e, &t2, 1, T0 + 200 * SEC, 30, 0x55);
	sig_flow_end(e.se, &t2.f, END_OF_FLOW);
	ck_assert_int_eq(e.n, 1);
	want_init(&w, 1, n.c, 5555);
	memcpy(w.supernode, n.sn2, 16);
	w.supernode_port = 40002;
	w.start_ms = MS(T0 + 3000);
	w.connected_ms = MS(T0 + 2 * SEC + 4000);
	w.end_ms = MS(T0 + 200 * SEC);
	w.supernode_changes = 1;
	w.end_reason = SESS_END_SN_CLOSED;
	w.transport_mode = MODE_UDP_TCP;
	w.version = SKYPE_VER_1_4;
	expect_rec(&e.recs[0], &w);
	env_done(&e);
}
END_TEST

/* A client connected to SN1; returns the SN flow in *t. */
static void connected_client(struct env *e, const struct net *n,
			     struct tflow *u, struct tflow *t, uint64_t ts)
{
	tf_init(u, 17, n->c, 5555, n->sn1, 40001);
	probe(e, u, ts, 0x0100, 18, 1, 18, 0x02);
	tf_init(t, 6, n->c, 3001, n->sn1, 40001);
	tcp_open(e, t, ts + SEC);
	handshake(e, t, ts + 2 * SEC, 14, 200, 16);
	ck_assert_uint_eq(t->f.role, ROLE_SN_CONNECTION);
}

START_TEST(test_sn_idle_timeout_and_forced)
{
	struct env e;
	struct net n;
	struct tflow u, t;

	net_init(&n);
	env_init(&e);
	connected_client(&e, &n, &u, &t, T0);
	/* idle: not a close, the session waits for its own timeout */
	sig_flow_end(e.se, &t.f, END_IDLE_TIMEOUT);
	ck_assert_int_eq(e.n, 0);
	sig_expire(e.se, T0 + 2 * SEC + 4000 + 3599 * SEC);
	ck_assert_int_eq(e.n, 0);
	sig_expire(e.se, T0 + 2 * SEC + 4000 + 3600 * SEC);
	ck_assert_int_eq(e.n, 1);
	ck_assert_uint_eq(e.recs[0].end_reason, SESS_END_TIMEOUT);
	ck_assert_uint_eq(e.recs[0].end_ms, MS(T0 + 2 * SEC + 4000));
	ck_assert_uint_eq(e.recs[0].connected_ms, MS(T0 + 2 * SEC + 4000));
	env_done(&e);

	/* idle, then the client connects again: the same session goes on */
	env_init(&e);
	connected_client(&e, &n, &u, &t, T0);
	sig_flow_end(e.se, &t.f, END_IDLE_TIMEOUT);
	tf_init(&t, 6, n.c, 3002, n.sn1, 40001);
	tcp_open(&e, &t, T0 + 100 * SEC);
	handshake(&e, &t, T0 + 101 * SEC, 14, 200, 16);
	ck_assert_uint_eq(t.f.session_id, 1);
	sig_flow_end(e.se, &t.f, END_OF_FLOW);
	ck_assert_int_eq(e.n, 1);
	ck_assert_uint_eq(e.recs[0].end_reason, SESS_END_SN_CLOSED);
	ck_assert_uint_eq(e.recs[0].supernode_changes, 0);
	env_done(&e);

	/* forced at shutdown: sig_shutdown() ends it */
	env_init(&e);
	connected_client(&e, &n, &u, &t, T0);
	sig_flow_end(e.se, &t.f, END_FORCED);
	ck_assert_int_eq(e.n, 0);
	sig_shutdown(e.se, T0 + 10 * SEC);
	ck_assert_int_eq(e.n, 1);
	ck_assert_uint_eq(e.recs[0].end_reason, SESS_END_SHUTDOWN);
	ck_assert_uint_eq(e.recs[0].end_ms, MS(T0 + 10 * SEC));
	env_done(&e);
}
END_TEST

START_TEST(test_shutdown)
{
	struct env e;
	struct net n;
	struct tflow u, t;
	struct session_rec w;

	net_init(&n);
	env_init(&e);
	connected_client(&e, &n, &u, &t, T0);
	sig_shutdown(e.se, T0 + 500 * SEC);
	ck_assert_int_eq(e.n, 1);
	want_init(&w, 1, n.c, 5555);
	memcpy(w.supernode, n.sn1, 16);
	w.supernode_port = 40001;
	w.start_ms = MS(T0 + 3000);
	w.connected_ms = MS(T0 + 2 * SEC + 4000);
	w.end_ms = MS(T0 + 500 * SEC);
	w.end_reason = SESS_END_SHUTDOWN;
	w.transport_mode = MODE_UDP_TCP;
	w.version = SKYPE_VER_1_4;
	expect_rec(&e.recs[0], &w);
	/* its flow ending afterwards changes nothing */
	sig_flow_end(e.se, &t.f, END_FORCED);
	ck_assert_int_eq(e.n, 1);
	env_done(&e);
}
END_TEST

START_TEST(test_timeout_expiry)
{
	struct env e;
	struct net n;
	struct tflow u;
	struct session_rec w;

	net_init(&n);
	env_init(&e);
	tf_init(&u, 17, n.c, 5555, n.sn1, 40001);
	probe(&e, &u, T0, 0x0100, 18, 1, 18, 0x02);
	sig_expire(e.se, T0 + 3000 + 3599 * SEC);
	ck_assert_int_eq(e.n, 0);
	ck_assert_uint_eq(counters(&e).clients, 1);
	sig_expire(e.se, T0 + 3000 + 3600 * SEC);
	ck_assert_int_eq(e.n, 1);
	want_init(&w, 1, n.c, 5555);
	w.start_ms = MS(T0 + 3000);
	w.end_ms = MS(T0 + 3000);       /* the last evidence */
	w.end_reason = SESS_END_TIMEOUT;
	w.transport_mode = MODE_UDP_TCP;
	expect_rec(&e.recs[0], &w);
	/* the idle client went with it */
	ck_assert_uint_eq(counters(&e).clients, 0);
	sig_shutdown(e.se, T0 + 4000 * SEC);
	ck_assert_int_eq(e.n, 1);
	env_done(&e);
}
END_TEST

START_TEST(test_session_ids_sequential)
{
	struct env e;
	struct net n;
	struct tflow u, t, u2;

	net_init(&n);
	env_init(&e);
	connected_client(&e, &n, &u, &t, T0);
	sig_flow_end(e.se, &t.f, END_OF_FLOW);
	ck_assert_int_eq(e.n, 1);
	ck_assert_uint_eq(e.recs[0].session_id, 1);
	/* the client comes back: a new session */
	tf_init(&u2, 17, n.c, 5555, n.sn2, 40002);
	probe(&e, &u2, T0 + 50 * SEC, 0x0200, 18, 0, 18, 0x02);
	ck_assert_uint_eq(u2.f.session_id, 2);
	sig_shutdown(e.se, T0 + 60 * SEC);
	ck_assert_int_eq(e.n, 2);
	ck_assert_uint_eq(e.recs[1].session_id, 2);
	ck_assert_uint_eq(e.recs[1].connected_ms, 0);
	ck_assert_uint_eq(e.recs[1].supernode_port, 0);
	env_done(&e);
}
END_TEST

/* ---- restricted mode ------------------------------------------------- */

static const uint8_t R1_443[56] = {
	0x80, 0x46, 0x01, 0x03, 0x01, 0x00, 0x2d, 0x00,
	0x00, 0x00, 0x10, 0x00, 0x00, 0x05, 0x00, 0x00,
	0x04, 0x00, 0x00, 0x0a, 0x00, 0x00, 0x09, 0x00,
	0x00, 0x64, 0x00, 0x00, 0x62, 0x00, 0x00, 0x08,
	0x00, 0x00, 0x03, 0x00, 0x00, 0x06, 0x01, 0x00,
	0x80, 0x07, 0x00, 0xc0, 0x03, 0x00, 0x80, 0x06,
	0x00, 0x40, 0x02, 0x00, 0x80, 0x04, 0x00, 0x80,
};

static const uint8_t R2_443[79] = {
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

static void r443(struct env *e, struct tflow *t, uint64_t ts, int flip)
{
	uint8_t r1[72], r2[93];

	memset(r1, 0x5a, sizeof(r1));
	memcpy(r1, R1_443, sizeof(R1_443));
	if (flip)
		r1[flip] ^= 0x01;
	memset(r2, 0x77, sizeof(r2));
	memcpy(r2, R2_443, sizeof(R2_443));
	tcp_open(e, t, ts);
	pkt_send(e, t, 0, ts + 1000, r1, sizeof(r1), TH_PSH | TH_ACK);
	pkt_send(e, t, 1, ts + 2000, r2, sizeof(r2), TH_PSH | TH_ACK);
}

START_TEST(test_restricted_443)
{
	struct env e;
	struct net n;
	struct tflow t;
	struct session_rec w;

	net_init(&n);
	env_init(&e);
	tf_init(&t, 6, n.c, 3001, n.sn1, 443);
	r443(&e, &t, T0, 0);
	/* R1: strong indication, the session starts */
	ck_assert_uint_eq(t.f.role, ROLE_RESTRICTED_443);
	ck_assert_uint_eq(t.f.session_id, 1);
	ck_assert_uint_eq(counters(&e).restricted_443, 1);
	msg(&e, &t, 0, T0 + 3000, 14, 0x61);            /* R3, v1.4 */
	msg(&e, &t, 0, T0 + 4000, 25, 0x62);            /* T2 */
	msg(&e, &t, 1, T0 + 5000, 300, 0x63);           /* T3 */
	msg(&e, &t, 0, T0 + 6000, 15, 0x64);            /* T4 */
	ck_assert_uint_eq(t.f.role, ROLE_RESTRICTED_443);
	ck_assert_uint_eq(counters(&e).sn_connected, 1);
	pkt_send(&e, &t, 1, T0 + 9 * SEC, NULL, 0, TH_FIN | TH_ACK);
	sig_flow_end(e.se, &t.f, END_OF_FLOW);
	ck_assert_int_eq(e.n, 1);
	want_init(&w, 1, n.c, 0);
	memcpy(w.supernode, n.sn1, 16);
	w.supernode_port = 443;
	w.start_ms = MS(T0 + 1000);
	w.connected_ms = MS(T0 + 6000);
	w.end_ms = MS(T0 + 9 * SEC);
	w.end_reason = SESS_END_SN_CLOSED;
	w.transport_mode = MODE_RESTRICTED_443;
	w.version = SKYPE_VER_1_4;
	expect_rec(&e.recs[0], &w);
	env_done(&e);
}
END_TEST

START_TEST(test_restricted_443_r1_one_byte_off)
{
	struct env e;
	struct net n;
	struct tflow t, tls;
	uint8_t hello[200];

	net_init(&n);
	env_init(&e);
	tf_init(&t, 6, n.c, 3001, n.sn1, 443);
	r443(&e, &t, T0, 13);           /* cipher spec 0x05 -> 0x04 */
	ck_assert_uint_eq(t.f.role, ROLE_NONE);
	ck_assert_uint_eq(t.f.sig.path, PATH_NONE);
	/* an ordinary TLS ClientHello */
	memset(hello, 0, sizeof(hello));
	memcpy(hello, "\x16\x03\x01\x00\xc3\x01\x00\x00\xbf\x03\x03", 11);
	tf_init(&tls, 6, n.c, 3002, n.web, 443);
	tcp_open(&e, &tls, T0);
	pkt_send(&e, &tls, 0, T0 + 1000, hello, sizeof(hello), TH_PSH | TH_ACK);
	ck_assert_uint_eq(tls.f.role, ROLE_NONE);
	ck_assert_uint_eq(tls.f.sig.path, PATH_NONE);
	ck_assert_uint_eq(counters(&e).sessions_started, 0);
	env_done(&e);
}
END_TEST

START_TEST(test_restricted_443_r2_mismatch)
{
	struct env e;
	struct net n;
	struct tflow t;
	uint8_t r1[72], r2[93];

	net_init(&n);
	env_init(&e);
	memset(r1, 0x5a, sizeof(r1));
	memcpy(r1, R1_443, sizeof(R1_443));
	memset(r2, 0x77, sizeof(r2));
	memcpy(r2, R2_443, sizeof(R2_443));
	r2[20] ^= 0xff;
	tf_init(&t, 6, n.c, 3001, n.sn1, 443);
	tcp_open(&e, &t, T0);
	pkt_send(&e, &t, 0, T0 + 1000, r1, sizeof(r1), TH_PSH | TH_ACK);
	pkt_send(&e, &t, 1, T0 + 2000, r2, sizeof(r2), TH_PSH | TH_ACK);
	handshake(&e, &t, T0 + 3000, 14, 300, 16);
	/* R1 stays a strong indication, but no connection follows */
	ck_assert_uint_eq(t.f.role, ROLE_RESTRICTED_443);
	ck_assert_uint_eq(counters(&e).sn_connected, 0);
	ck_assert_uint_eq(counters(&e).sessions_started, 1);
	env_done(&e);
}
END_TEST

START_TEST(test_restricted_443_sc_before_r2)
{
	struct env e;
	struct net n;
	struct tflow t, u;
	uint8_t r1[72], r2[93];

	net_init(&n);
	env_init(&e);
	memset(r1, 0x5a, sizeof(r1));
	memcpy(r1, R1_443, sizeof(R1_443));
	memset(r2, 0x77, sizeof(r2));
	memcpy(r2, R2_443, sizeof(R2_443));
	/* as in 2015 captures: R1, a 27-byte SC message, then R2 */
	tf_init(&t, 6, n.c, 3001, n.sn1, 443);
	tcp_open(&e, &t, T0);
	pkt_send(&e, &t, 0, T0 + 1000, r1, sizeof(r1), TH_PSH | TH_ACK);
	msg(&e, &t, 0, T0 + 1500, 27, 0x4c);
	pkt_send(&e, &t, 1, T0 + 2000, r2, sizeof(r2), TH_PSH | TH_ACK);
	handshake(&e, &t, T0 + 3000, 30, 300, 16);      /* R3, ..., T4 */
	ck_assert_uint_eq(t.f.role, ROLE_RESTRICTED_443);
	ck_assert_uint_eq(counters(&e).sn_connected, 1);
	sig_shutdown(e.se, T0 + SEC);
	ck_assert_int_eq(e.n, 1);
	ck_assert_uint_eq(e.recs[0].version, SKYPE_VER_2);
	ck_assert_uint_eq(e.recs[0].connected_ms, MS(T0 + 3000 + 4000));
	env_done(&e);

	/* too many SC messages without R2: given up, R1's role stays */
	env_init(&e);
	tf_init(&u, 6, n.c, 3002, n.sn1, 443);
	tcp_open(&e, &u, T0);
	pkt_send(&e, &u, 0, T0 + 1000, r1, sizeof(r1), TH_PSH | TH_ACK);
	for (int i = 0; i < 3; i++)
		msg(&e, &u, 0, T0 + 1500 + (uint64_t)i, 27, 0x4c);
	ck_assert_uint_eq(u.f.sig.path, PATH_NONE);
	ck_assert_uint_eq(u.f.role, ROLE_RESTRICTED_443);
	env_done(&e);
}
END_TEST

/* Port 80 flow: R1 given, then R2, R3, T2, T3, T4. */
static void r80(struct env *e, struct tflow *t, uint64_t ts,
		const uint8_t *r1, uint32_t r1_size, uint32_t t3)
{
	tcp_open(e, t, ts);
	pkt_send(e, t, 0, ts + 1000, r1, r1_size, TH_PSH | TH_ACK);
	msg(e, t, 1, ts + 2000, 70, 0x71);      /* R2 */
	msg(e, t, 0, ts + 3000, 14, 0x72);      /* R3 */
	msg(e, t, 0, ts + 4000, 24, 0x73);      /* T2 */
	msg(e, t, 1, ts + 5000, t3, 0x74);      /* T3 */
	ck_assert_uint_eq(t->f.role, t3 == 339 ? ROLE_SN_REFUSED : ROLE_NONE);
	msg(e, t, 0, ts + 6000, 16, 0x75);      /* T4 */
}

START_TEST(test_restricted_80_v14)
{
	struct env e;
	struct net n;
	struct tflow t, bad;
	/* high nibbles of R1[5-6] (0x3?, 0xa?) = those of R1[15-16] */
	uint8_t r1[16] = { 0x01, 0x92, 0x07, 0xe4, 0x35, 0xa6, 0x17, 0x58,
			   0x29, 0x6a, 0x0b, 0xcc, 0x4d, 0x8e, 0x3f, 0xa0 };
	struct session_rec w;

	net_init(&n);
	env_init(&e);
	tf_init(&t, 6, n.c, 3001, n.sn1, 80);
	r80(&e, &t, T0, r1, sizeof(r1), 200);
	ck_assert_uint_eq(t.f.role, ROLE_RESTRICTED_80);
	ck_assert_uint_eq(counters(&e).restricted_80, 1);
	sig_flow_end(e.se, &t.f, END_OF_FLOW);
	ck_assert_int_eq(e.n, 1);
	want_init(&w, 1, n.c, 0);
	memcpy(w.supernode, n.sn1, 16);
	w.supernode_port = 80;
	w.start_ms = MS(T0 + 6000);
	w.connected_ms = MS(T0 + 6000);
	w.end_ms = MS(T0 + 6000);
	w.end_reason = SESS_END_SN_CLOSED;
	w.transport_mode = MODE_RESTRICTED_80;
	w.version = SKYPE_VER_1_4;
	expect_rec(&e.recs[0], &w);

	/* one nibble off: not R1, the handshake after it does not count
	 * (from a host with no Skype evidence: else the v2.5 rule applies) */
	r1[15] = 0x40;
	{
		uint8_t fresh[16];

		v4(fresh, 10, 0, 0, 7);
		tf_init(&bad, 6, fresh, 3002, n.sn1, 80);
	}
	r80(&e, &bad, T0 + SEC, r1, sizeof(r1), 200);
	ck_assert_uint_eq(bad.f.role, ROLE_NONE);
	ck_assert_uint_eq(counters(&e).sessions_started, 1);
	env_done(&e);
}
END_TEST

START_TEST(test_restricted_80_v20)
{
	struct env e;
	struct net n;
	struct tflow t, shortr1, refused;
	uint8_t r1[30];

	net_init(&n);
	env_init(&e);
	for (int i = 0; i < 30; i++)
		r1[i] = (uint8_t)(0x13 * i + 7);
	/* R1[16-24] high nibbles = R1[6-14] high nibbles */
	for (int x = 6; x <= 14; x++)
		r1[x + 10 - 1] = (uint8_t)((r1[x - 1] & 0xf0) | (x & 0x0f));
	tf_init(&t, 6, n.c, 3001, n.sn1, 80);
	r80(&e, &t, T0, r1, sizeof(r1), 200);
	ck_assert_uint_eq(t.f.role, ROLE_RESTRICTED_80);
	ck_assert_uint_eq(t.f.session_id, 1);

	/* s(R1) = 20: only R1[6-10] vs R1[16-20] exist and are compared */
	tf_init(&shortr1, 6, n.c2, 3001, n.sn2, 80);
	r80(&e, &shortr1, T0 + SEC, r1, 20, 200);
	ck_assert_uint_eq(shortr1.f.role, ROLE_RESTRICTED_80);
	ck_assert_uint_eq(shortr1.f.session_id, 2);

	/* s(R1) = 17: too short for either rule */
	{
		struct tflow r17;

		uint8_t fresh[16];

		v4(fresh, 10, 0, 0, 7);
		tf_init(&r17, 6, fresh, 3003, n.sn1, 80);
		r80(&e, &r17, T0 + SEC, r1, 17, 200);
		ck_assert_uint_eq(r17.f.role, ROLE_NONE);
	}

	/* T3 = 339 on port 80: refused.  Both clients of these addresses
	 * have an SN connection open, so this handshake is a third client
	 * behind n.c2 (a restricted-mode client's SN change looks the same) */
	tf_init(&refused, 6, n.c2, 3002, n.sn1, 80);
	r80(&e, &refused, T0 + 2 * SEC, r1, sizeof(r1), 339);
	ck_assert_uint_eq(refused.f.role, ROLE_SN_REFUSED);
	ck_assert_uint_eq(refused.f.session_id, 3);
	sig_shutdown(e.se, T0 + 3 * SEC);
	ck_assert_int_eq(e.n, 3);
	ck_assert_uint_eq(e.recs[0].version + e.recs[1].version +
			  e.recs[2].version, 3 * SKYPE_VER_2);
	ck_assert_uint_eq(e.recs[0].refused_supernodes +
			  e.recs[1].refused_supernodes +
			  e.recs[2].refused_supernodes, 1);
	env_done(&e);
}
END_TEST

/* v2.5 (section 6.2): a port-80 R1 of no known rule, then T2..T4, from a
 * host that is a known client: restricted-80, version 2.5.  Not from an
 * unknown host, not when the server answers "HTTP/". */
START_TEST(test_restricted_80_v25)
{
	struct env e;
	struct net n;
	struct tflow u, t, fresh_t, http;
	uint8_t fresh[16], r1[40];
	static const uint8_t resp[] = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";

	net_init(&n);
	env_init(&e);
	v4(fresh, 10, 0, 0, 7);
	for (int i = 0; i < 40; i++)
		r1[i] = (uint8_t)(0x90 + i);    /* no nibble rule holds */
	/* unknown host: nothing */
	tf_init(&fresh_t, 6, fresh, 3001, n.sn1, 80);
	r80(&e, &fresh_t, T0, r1, sizeof(r1), 200);
	ck_assert_uint_eq(fresh_t.f.role, ROLE_NONE);
	ck_assert_uint_eq(counters(&e).clients, 0);
	/* a known client (positive probe): the v2.5 handshake counts */
	tf_init(&u, 17, n.c, 5555, n.sn2, 40002);
	probe(&e, &u, T0 + SEC, 0x0100, 18, 1, 18, 0x02);
	tf_init(&t, 6, n.c, 3002, n.sn1, 80);
	r80(&e, &t, T0 + 2 * SEC, r1, sizeof(r1), 200);
	ck_assert_uint_eq(t.f.role, ROLE_RESTRICTED_80);
	ck_assert_uint_eq(t.f.session_id, 1);
	ck_assert_uint_eq(counters(&e).restricted_80, 1);
	/* the same client, but an HTTP server answers: not Skype */
	tf_init(&http, 6, n.c, 3003, n.web, 80);
	tcp_open(&e, &http, T0 + 3 * SEC);
	pkt_send(&e, &http, 0, T0 + 3 * SEC + 1000, r1, sizeof(r1),
		 TH_PSH | TH_ACK);
	pkt_send(&e, &http, 1, T0 + 3 * SEC + 2000, resp, sizeof(resp) - 1,
		 TH_PSH | TH_ACK);
	msg(&e, &http, 0, T0 + 3 * SEC + 3000, 14, 0x72);
	msg(&e, &http, 0, T0 + 3 * SEC + 4000, 24, 0x73);
	msg(&e, &http, 1, T0 + 3 * SEC + 5000, 200, 0x74);
	msg(&e, &http, 0, T0 + 3 * SEC + 6000, 16, 0x75);
	ck_assert_uint_eq(http.f.role, ROLE_NONE);
	sig_shutdown(e.se, T0 + 10 * SEC);
	ck_assert_int_eq(e.n, 1);
	ck_assert_uint_eq(e.recs[0].version, SKYPE_VER_2_5);
	ck_assert_uint_eq(e.recs[0].transport_mode, MODE_RESTRICTED_80);
	env_done(&e);
}
END_TEST

START_TEST(test_restricted_80_http_rejected)
{
	struct env e;
	struct net n;
	struct tflow get, post;
	/* passes the v1.4 nibble rule: '/' 'a' ... ' ' 'a' */
	const uint8_t req[16] = "GET /aXXXXXXXX a";
	uint8_t body[40];

	net_init(&n);
	env_init(&e);
	tf_init(&get, 6, n.c, 3001, n.web, 80);
	r80(&e, &get, T0, req, sizeof(req), 200);
	ck_assert_uint_eq(get.f.role, ROLE_NONE);
	memset(body, 'a', sizeof(body));
	memcpy(body, "POST /x HTTP/1.1\r\n", 18);
	tf_init(&post, 6, n.c, 3002, n.web, 80);
	r80(&e, &post, T0, body, sizeof(body), 200);
	ck_assert_uint_eq(post.f.role, ROLE_NONE);
	ck_assert_uint_eq(counters(&e).sessions_started, 0);
	ck_assert_uint_eq(counters(&e).clients, 0);
	env_done(&e);
}
END_TEST

/* ---- login ------------------------------------------------------------- */

static const uint8_t L1[5] = { 0x16, 0x03, 0x01, 0x00, 0x00 };
static const uint8_t L2[5] = { 0x17, 0x03, 0x01, 0x00, 0x00 };

static void l3_l4(struct env *e, struct tflow *t, uint64_t ts)
{
	uint8_t l3[120], l4[80];
	static const uint8_t head[15] = {
		0x16, 0x03, 0x01, 0x00, 0xcd, 0x41, 0x03, 0x00,
		0x09, 0x80, 0x40, 0x04, 0x08, 0xc0, 0x01 };

	memset(l3, 0x99, sizeof(l3));
	memcpy(l3, head, sizeof(head));
	memcpy(l3 + 60, "\x00\x0c\x01\x17\x03\x01\x00", 7);
	memset(l4, 0x88, sizeof(l4));
	memcpy(l4, "\x17\x03\x01\x00", 4);
	pkt_send(e, t, 0, ts, l3, sizeof(l3), TH_PSH | TH_ACK);
	pkt_send(e, t, 1, ts + 1000, l4, sizeof(l4), TH_PSH | TH_ACK);
}

static void login(struct env *e, struct tflow *t, uint64_t ts)
{
	tcp_open(e, t, ts);
	pkt_send(e, t, 0, ts + 1000, L1, sizeof(L1), TH_PSH | TH_ACK);
	pkt_send(e, t, 1, ts + 2000, L2, sizeof(L2), TH_PSH | TH_ACK);
	l3_l4(e, t, ts + 3000);
}

START_TEST(test_login_complete)
{
	struct env e;
	struct net n;
	struct tflow u, t, l;

	net_init(&n);
	env_init(&e);
	connected_client(&e, &n, &u, &t, T0);
	tf_init(&l, 6, n.c, 3010, n.ls, 33033);
	login(&e, &l, T0 + 10 * SEC);
	ck_assert_uint_eq(l.f.role, ROLE_LOGIN);
	ck_assert_uint_eq(l.f.session_id, 1);
	ck_assert_uint_eq(counters(&e).logins, 1);
	sig_flow_end(e.se, &l.f, END_OF_FLOW);
	sig_flow_end(e.se, &t.f, END_OF_FLOW);
	ck_assert_int_eq(e.n, 1);
	ck_assert_uint_eq(e.recs[0].login_phase, LOGIN_L4);
	env_done(&e);
}
END_TEST

START_TEST(test_login_bad_l3)
{
	struct env e;
	struct net n;
	struct tflow u, t, l;
	uint8_t l3[120], l4[80];

	net_init(&n);
	env_init(&e);
	connected_client(&e, &n, &u, &t, T0);
	/* L3's 15-byte head without 00 0c 01 17 03 01 00 inside */
	memset(l3, 0x99, sizeof(l3));
	memcpy(l3, "\x16\x03\x01\x00\xcd\x41\x03\x00\x09\x80\x40\x04"
	       "\x08\xc0\x01", 15);
	memset(l4, 0x88, sizeof(l4));
	memcpy(l4, "\x17\x03\x01\x00", 4);
	tf_init(&l, 6, n.c, 3010, n.ls, 33033);
	tcp_open(&e, &l, T0 + 10 * SEC);
	pkt_send(&e, &l, 0, T0 + 10 * SEC + 1, L1, sizeof(L1), TH_PSH | TH_ACK);
	pkt_send(&e, &l, 1, T0 + 10 * SEC + 2, L2, sizeof(L2), TH_PSH | TH_ACK);
	pkt_send(&e, &l, 0, T0 + 10 * SEC + 3, l3, sizeof(l3), TH_PSH | TH_ACK);
	pkt_send(&e, &l, 1, T0 + 10 * SEC + 4, l4, sizeof(l4), TH_PSH | TH_ACK);
	ck_assert_uint_eq(l.f.role, ROLE_LOGIN);       /* from L1, L2 */
	ck_assert_uint_eq(counters(&e).logins, 0);
	sig_shutdown(e.se, T0 + 20 * SEC);
	ck_assert_int_eq(e.n, 1);
	ck_assert_uint_eq(e.recs[0].login_phase, LOGIN_L2);
	env_done(&e);
}
END_TEST

START_TEST(test_login_before_session)
{
	struct env e;
	struct net n;
	struct tflow u, l, l443;

	net_init(&n);
	env_init(&e);
	/* login over 443 to an unknown address, before any session */
	tf_init(&l443, 6, n.c, 3011, n.web, 443);
	login(&e, &l443, T0);
	ck_assert_uint_eq(l443.f.role, ROLE_LOGIN);
	ck_assert_uint_eq(l443.f.session_id, 0);
	/* a login stopping after L2 */
	tf_init(&l, 6, n.c2, 3010, n.ls, 33033);
	tcp_open(&e, &l, T0);
	pkt_send(&e, &l, 0, T0 + 1000, L1, sizeof(L1), TH_PSH | TH_ACK);
	pkt_send(&e, &l, 1, T0 + 2000, L2, sizeof(L2), TH_PSH | TH_ACK);
	msg(&e, &l, 0, T0 + 3000, 100, 0x16);
	ck_assert_uint_eq(l.f.role, ROLE_LOGIN);
	ck_assert_uint_eq(counters(&e).sessions_started, 0);
	/* the session that starts later carries the phase */
	tf_init(&u, 17, n.c, 5555, n.sn1, 40001);
	probe(&e, &u, T0 + SEC, 0x0100, 18, 1, 18, 0x02);
	sig_shutdown(e.se, T0 + 2 * SEC);
	ck_assert_int_eq(e.n, 1);
	ck_assert_uint_eq(e.recs[0].login_phase, LOGIN_L4);
	ck_assert_uint_eq(e.recs[0].client_port, 5555);
	ck_assert_uint_eq(counters(&e).clients, 2);
	env_done(&e);
}
END_TEST

START_TEST(test_login_server_roles)
{
	struct env e;
	struct net n;
	struct tflow u, t, so, cl, bad;

	net_init(&n);
	env_init(&e);
	connected_client(&e, &n, &u, &t, T0);
	tf_init(&so, 6, n.c, 3020, n.so, 33033);
	login(&e, &so, T0 + 10 * SEC);
	ck_assert_uint_eq(so.f.role, ROLE_SKYPEOUT);
	tf_init(&cl, 6, n.c, 3021, n.cl, 33033);
	login(&e, &cl, T0 + 11 * SEC);
	ck_assert_uint_eq(cl.f.role, ROLE_CONTACT_LIST);
	/* L2 off by one byte: nothing */
	tf_init(&bad, 6, n.c, 3022, n.ls, 33033);
	tcp_open(&e, &bad, T0);
	pkt_send(&e, &bad, 0, T0 + 1000, L1, sizeof(L1), TH_PSH | TH_ACK);
	pkt_send(&e, &bad, 1, T0 + 2000, L1, sizeof(L1), TH_PSH | TH_ACK);
	ck_assert_uint_eq(bad.f.role, ROLE_NONE);
	/* those handshakes are no login of the client */
	sig_shutdown(e.se, T0 + 20 * SEC);
	ck_assert_int_eq(e.n, 1);
	ck_assert_uint_eq(e.recs[0].login_phase, LOGIN_NONE);
	ck_assert_uint_eq(counters(&e).logins, 0);
	env_done(&e);
}
END_TEST

START_TEST(test_login_wrong_password)
{
	struct env e;
	struct net n;
	struct tflow u, t, l, l2;

	net_init(&n);
	env_init(&e);
	connected_client(&e, &n, &u, &t, T0);
	tf_init(&l, 6, n.c, 3010, n.ls, 33033);
	login(&e, &l, T0 + 10 * SEC);
	/* more exchanges: the third SC message after L4 means failure */
	for (int i = 0; i < 3; i++) {
		ck_assert_uint_eq(counters(&e).logins_failed, 0);
		msg(&e, &l, 0, T0 + 11 * SEC + 10 * (uint64_t)i, 40, 0x17);
		msg(&e, &l, 1, T0 + 11 * SEC + 10 * (uint64_t)i + 1, 40, 0x17);
	}
	ck_assert_uint_eq(counters(&e).logins_failed, 1);
	sig_shutdown(e.se, T0 + 20 * SEC);
	ck_assert_int_eq(e.n, 1);
	ck_assert_uint_eq(e.recs[0].login_phase, LOGIN_FAILED);
	env_done(&e);

	/* a repeated L1..L4 to the same server: the first one failed */
	env_init(&e);
	connected_client(&e, &n, &u, &t, T0);
	tf_init(&l, 6, n.c, 3010, n.ls, 33033);
	login(&e, &l, T0 + 10 * SEC);
	tf_init(&l2, 6, n.c, 3011, n.ls, 33033);
	login(&e, &l2, T0 + 30 * SEC);
	sig_shutdown(e.se, T0 + 40 * SEC);
	ck_assert_int_eq(e.n, 1);
	ck_assert_uint_eq(e.recs[0].login_phase, LOGIN_FAILED);
	env_done(&e);
}
END_TEST

START_TEST(test_login_relayed)
{
	struct env e;
	struct net n;
	struct tflow u, t;

	net_init(&n);
	env_init(&e);
	connected_client(&e, &n, &u, &t, T0);
	msg(&e, &t, 1, T0 + 5 * SEC, 30, 0x31);
	l3_l4(&e, &t, T0 + 6 * SEC);
	ck_assert_uint_eq(t.f.role, ROLE_SN_CONNECTION);
	ck_assert_uint_eq(counters(&e).logins_relayed, 1);
	sig_flow_end(e.se, &t.f, END_OF_FLOW);
	ck_assert_int_eq(e.n, 1);
	ck_assert_uint_eq(e.recs[0].login_phase, LOGIN_RELAYED);
	ck_assert_uint_eq(e.recs[0].end_ms, MS(T0 + 6 * SEC + 1000));
	env_done(&e);
}
END_TEST

START_TEST(test_login_disabled)
{
	struct env e;
	struct net n;
	struct tflow l;

	net_init(&n);
	memset(&e, 0, sizeof(e));
	config_defaults(&e.cfg);
	e.cfg.sig_login = 0;
	env_start(&e);
	tf_init(&l, 6, n.c, 3010, n.ls, 33033);
	login(&e, &l, T0);
	ck_assert_uint_eq(l.f.role, ROLE_NONE);
	env_done(&e);
}
END_TEST

/* ---- section 5.1 evidence --------------------------------------------- */

static void udp_first(struct env *e, struct tflow *t, const uint8_t c[16],
		      const uint8_t dst[16], uint16_t dport, uint16_t id,
		      uint64_t ts)
{
	uint8_t b[40];

	memset(b, 0x5e, sizeof(b));
	b[0] = (uint8_t)(id >> 8);
	b[1] = (uint8_t)id;
	tf_init(t, 17, c, 5555, dst, dport);
	pkt_send(e, t, 0, ts, b, sizeof(b), 0);
}

START_TEST(test_seqid_evidence)
{
	struct env e;
	struct net n;
	struct tflow u, a, b, c, d, x, other;

	net_init(&n);
	env_init(&e);
	/* a host that is no client: counted, nothing else */
	udp_first(&e, &other, n.c2, n.web, 1000, 0x0100, T0);
	udp_first(&e, &other, n.c2, n.web, 1001, 0x0102, T0);
	ck_assert_uint_eq(counters(&e).seqid_evidence, 1);
	ck_assert_uint_eq(other.f.session_id, 0);
	ck_assert_uint_eq(other.f.role, ROLE_NONE);
	ck_assert_uint_eq(counters(&e).clients, 0);
	ck_assert_uint_eq(counters(&e).sessions_started, 0);
	udp_first(&e, &other, n.c2, n.web, 1002, 0x0105, T0);  /* +3 */
	ck_assert_uint_eq(counters(&e).seqid_evidence, 1);

	tf_init(&u, 17, n.c, 5555, n.sn1, 40001);
	probe(&e, &u, T0, 0xfffc, 18, 0, 18, 0x02);     /* id 0xfffc */
	udp_first(&e, &a, n.c, n.web, 2001, 0xfffe, T0 + SEC);
	ck_assert_uint_eq(counters(&e).seqid_evidence, 2);
	ck_assert_uint_eq(a.f.session_id, 1);
	ck_assert_uint_eq(a.f.role, ROLE_NONE);
	udp_first(&e, &b, n.c, n.sn2, 2002, 0x0000, T0 + 2 * SEC); /* wraps */
	ck_assert_uint_eq(counters(&e).seqid_evidence, 3);
	udp_first(&e, &c, n.c, n.web, 2003, 0x0010, T0 + 3 * SEC);
	ck_assert_uint_eq(counters(&e).seqid_evidence, 3);
	ck_assert_uint_eq(c.f.session_id, 0);
	udp_first(&e, &d, n.c, n.web, 2004, 0x0012, T0 + 4 * SEC);
	ck_assert_uint_eq(counters(&e).seqid_evidence, 4);
	/* evidence postpones the session timeout */
	udp_first(&e, &x, n.c, n.web, 2005, 0x0014, T0 + 3000 * SEC);
	sig_expire(e.se, T0 + 3601 * SEC);
	ck_assert_int_eq(e.n, 0);
	sig_expire(e.se, T0 + 6600 * SEC);
	ck_assert_int_eq(e.n, 1);
	ck_assert_uint_eq(e.recs[0].end_ms, MS(T0 + 3000 * SEC));
	env_done(&e);

	/* switched off: not counted */
	memset(&e, 0, sizeof(e));
	config_defaults(&e.cfg);
	e.cfg.sig_seqid = 0;
	env_start(&e);
	tf_init(&u, 17, n.c, 5555, n.sn1, 40001);
	probe(&e, &u, T0, 0x0100, 18, 0, 18, 0x02);
	udp_first(&e, &a, n.c, n.web, 2001, 0x0102, T0 + SEC);
	ck_assert_uint_eq(counters(&e).seqid_evidence, 0);
	env_done(&e);
}
END_TEST

/* ---- issue 12: continuity, new sessions, NAT, 2006 login ------------- */

/* A record ended by idle timeout (or eviction) goes on under the same
 * 5-tuple: the new record, even when the SN sends its first packet (the
 * key reversed), is the SN connection of session 1 again, and its close is
 * step 11. */
START_TEST(test_continuity_sn)
{
	struct env e;
	struct net n;
	struct tflow u, t, r;

	net_init(&n);
	env_init(&e);
	connected_client(&e, &n, &u, &t, T0);
	sig_flow_end(e.se, &t.f, END_IDLE_TIMEOUT);
	tf_init(&r, 6, n.sn1, 40001, n.c, 3001);        /* SN speaks first */
	r.seq[0] = 900000;
	msg(&e, &r, 0, T0 + 50 * SEC, 120, 0x33);
	ck_assert_uint_eq(r.f.role, ROLE_SN_CONNECTION);
	ck_assert_uint_eq(r.f.session_id, 1);
	msg(&e, &r, 1, T0 + 50 * SEC + 100, 80, 0x34);
	/* evicted this time, then the client's packet */
	sig_flow_end(e.se, &r.f, END_LACK_OF_RESOURCES);
	ck_assert_int_eq(e.n, 0);
	tf_init(&t, 6, n.c, 3001, n.sn1, 40001);
	t.seq[0] = 700000;
	msg(&e, &t, 0, T0 + 120 * SEC, 60, 0x35);
	ck_assert_uint_eq(t.f.role, ROLE_SN_CONNECTION);
	ck_assert_uint_eq(t.f.session_id, 1);
	sig_flow_end(e.se, &t.f, END_OF_FLOW);
	ck_assert_int_eq(e.n, 1);
	ck_assert_uint_eq(e.recs[0].end_reason, SESS_END_SN_CLOSED);
	ck_assert_uint_eq(e.recs[0].end_ms, MS(T0 + 120 * SEC));
	ck_assert_uint_eq(counters(&e).sn_changes, 0);
	env_done(&e);

	/* the same 5-tuple starting with a SYN is a new connection */
	env_init(&e);
	connected_client(&e, &n, &u, &t, T0);
	sig_flow_end(e.se, &t.f, END_IDLE_TIMEOUT);
	tf_init(&r, 6, n.c, 3001, n.sn1, 40001);
	tcp_open(&e, &r, T0 + 50 * SEC);
	ck_assert_uint_eq(r.f.role, ROLE_NONE);     /* step 6 again */
	/* an idle SN connection never seen again: possibly open until the
	 * session times out, at its last evidence */
	sig_expire(e.se, T0 + 50 * SEC + 3600 * SEC);
	ck_assert_int_eq(e.n, 1);
	ck_assert_uint_eq(e.recs[0].end_reason, SESS_END_TIMEOUT);
	env_done(&e);
}
END_TEST

/* Logins etc. are remembered too, at most SIG_MEM_CONN per client: the
 * oldest is forgotten. */
START_TEST(test_continuity_bounded)
{
	struct env e;
	struct net n;
	struct tflow u, t, l[5], r;

	net_init(&n);
	env_init(&e);
	connected_client(&e, &n, &u, &t, T0);
	for (int i = 0; i < 5; i++) {
		tf_init(&l[i], 6, n.c, (uint16_t)(3010 + i), n.ls, 33033);
		login(&e, &l[i], T0 + (10 + (uint64_t)i) * SEC);
		ck_assert_uint_eq(l[i].f.role, ROLE_LOGIN);
		sig_flow_end(e.se, &l[i].f, END_IDLE_TIMEOUT);
	}
	tf_init(&r, 6, n.ls, 33033, n.c, 3014);
	msg(&e, &r, 0, T0 + 100 * SEC, 67, 0x17);
	ck_assert_uint_eq(r.f.role, ROLE_LOGIN);
	ck_assert_uint_eq(r.f.session_id, 1);
	tf_init(&r, 6, n.c, 3010, n.ls, 33033);
	msg(&e, &r, 0, T0 + 100 * SEC, 18, 0x17);
	ck_assert_uint_eq(r.f.role, ROLE_NONE);
	env_done(&e);
}
END_TEST

/* Steps 10-11: after the close of its last SN connection, a client that
 * probes and connects again starts a new session (no SN change). */
START_TEST(test_new_session_after_close)
{
	struct env e;
	struct net n;
	struct tflow u, t, u2, t2;

	net_init(&n);
	env_init(&e);
	connected_client(&e, &n, &u, &t, T0);
	sig_flow_end(e.se, &t.f, END_OF_FLOW);
	ck_assert_int_eq(e.n, 1);
	tf_init(&u2, 17, n.c, 5555, n.sn2, 40002);
	probe(&e, &u2, T0 + 60 * SEC, 0x0200, 18, 1, 18, 0x02);
	ck_assert_uint_eq(u2.f.session_id, 2);
	tf_init(&t2, 6, n.c, 3002, n.sn2, 40002);
	tcp_open(&e, &t2, T0 + 61 * SEC);
	handshake(&e, &t2, T0 + 62 * SEC, 14, 200, 16);
	ck_assert_uint_eq(t2.f.session_id, 2);
	sig_flow_end(e.se, &t2.f, END_OF_FLOW);
	ck_assert_int_eq(e.n, 2);
	ck_assert_uint_eq(e.recs[1].session_id, 2);
	ck_assert_uint_eq(e.recs[1].supernode_changes, 0);
	ck_assert_uint_eq(counters(&e).sn_changes, 0);
	env_done(&e);
}
END_TEST

/* A restricted-mode handshake from the address of a client whose SN
 * connection is open is another client behind that address. */
START_TEST(test_nat_restricted_client)
{
	struct env e;
	struct net n;
	struct tflow u, t, r;

	net_init(&n);
	env_init(&e);
	connected_client(&e, &n, &u, &t, T0);
	tf_init(&r, 6, n.c, 4001, n.sn2, 443);
	r443(&e, &r, T0 + 5 * SEC, 0);
	ck_assert_uint_eq(r.f.role, ROLE_RESTRICTED_443);
	ck_assert_uint_eq(r.f.session_id, 2);
	ck_assert_uint_eq(counters(&e).clients, 2);
	msg(&e, &r, 0, T0 + 5 * SEC + 3000, 14, 0x72);  /* R3 */
	msg(&e, &r, 0, T0 + 5 * SEC + 4000, 24, 0x73);  /* T2 */
	msg(&e, &r, 1, T0 + 5 * SEC + 5000, 200, 0x74); /* T3 */
	msg(&e, &r, 0, T0 + 5 * SEC + 6000, 16, 0x75);  /* T4 */
	ck_assert_uint_eq(counters(&e).sn_connected, 2);
	ck_assert_uint_eq(counters(&e).sn_changes, 0);
	sig_flow_end(e.se, &r.f, END_OF_FLOW);
	ck_assert_int_eq(e.n, 1);
	ck_assert_uint_eq(e.recs[0].session_id, 2);
	ck_assert_uint_eq(e.recs[0].transport_mode, MODE_RESTRICTED_443);
	sig_flow_end(e.se, &t.f, END_OF_FLOW);
	ck_assert_int_eq(e.n, 2);
	ck_assert_uint_eq(e.recs[1].session_id, 1);
	env_done(&e);
}
END_TEST

/* The 2006 login: L1..L4 and one 18/67 exchange is complete; a login
 * again after a new SN connection is no failure either. */
START_TEST(test_login_2006)
{
	struct env e;
	struct net n;
	struct tflow u, t, l, u2, t2, l2;

	net_init(&n);
	env_init(&e);
	connected_client(&e, &n, &u, &t, T0);
	tf_init(&l, 6, n.c, 3010, n.ls, 33033);
	login(&e, &l, T0 + 10 * SEC);
	msg(&e, &l, 0, T0 + 11 * SEC, 18, 0x17);
	msg(&e, &l, 1, T0 + 11 * SEC + 1, 67, 0x17);
	ck_assert_uint_eq(counters(&e).logins_failed, 0);
	/* SN change (t still open), then a login to the other server */
	tf_init(&u2, 17, n.c, 5555, n.sn2, 40002);
	probe(&e, &u2, T0 + 20 * SEC, 0x0200, 18, 1, 18, 0x02);
	tf_init(&t2, 6, n.c, 3002, n.sn2, 40002);
	tcp_open(&e, &t2, T0 + 21 * SEC);
	handshake(&e, &t2, T0 + 22 * SEC, 14, 200, 16);
	ck_assert_uint_eq(counters(&e).sn_changes, 1);
	{
		uint8_t ls2[16];

		v4(ls2, 212, 72, 49, 141);      /* the other login server */
		tf_init(&l2, 6, n.c, 3011, ls2, 33033);
	}
	login(&e, &l2, T0 + 30 * SEC);
	ck_assert_uint_eq(counters(&e).logins_failed, 0);
	sig_shutdown(e.se, T0 + 40 * SEC);
	ck_assert_int_eq(e.n, 1);
	ck_assert_uint_eq(e.recs[0].login_phase, LOGIN_L4);
	env_done(&e);
}
END_TEST

/* ---- clients, NAT, limits -------------------------------------------- */

START_TEST(test_nat_clients)
{
	struct env e;
	struct net n;
	struct tflow a, b, t;
	uint8_t nat[16];

	net_init(&n);
	env_init(&e);
	v4(nat, 198, 51, 100, 7);
	/* two clients behind one NAT address, told apart by UDP port */
	tf_init(&a, 17, nat, 5555, n.sn1, 40001);
	probe(&e, &a, T0, 0x0100, 18, 1, 18, 0x02);
	tf_init(&b, 17, nat, 6666, n.sn2, 40002);
	probe(&e, &b, T0 + SEC, 0x0900, 18, 0, 18, 0x02);
	ck_assert_uint_eq(counters(&e).clients, 2);
	ck_assert_uint_eq(a.f.session_id, 1);
	ck_assert_uint_eq(b.f.session_id, 2);
	/* TCP to SN2 belongs to the client that probed SN2 */
	tf_init(&t, 6, nat, 3001, n.sn2, 40002);
	tcp_open(&e, &t, T0 + 2 * SEC);
	handshake(&e, &t, T0 + 3 * SEC, 14, 200, 16);
	ck_assert_uint_eq(t.f.role, ROLE_SN_CONNECTION);
	ck_assert_uint_eq(t.f.session_id, 2);
	sig_flow_end(e.se, &t.f, END_OF_FLOW);
	ck_assert_int_eq(e.n, 1);
	ck_assert_uint_eq(e.recs[0].client_port, 6666);
	ck_assert_uint_eq(e.recs[0].session_id, 2);
	env_done(&e);
}
END_TEST

/* Issue 9: a full table makes room by evicting the least recently active
 * candidate (its probe-only session ends as evicted); expired clients make
 * room too. */
START_TEST(test_client_limit)
{
	struct env e;
	struct net n;
	struct tflow u[3];

	net_init(&n);
	memset(&e, 0, sizeof(e));
	config_defaults(&e.cfg);
	e.cfg.max_clients = 2;
	env_start(&e);
	for (int i = 0; i < 3; i++) {
		uint8_t c[16];

		v4(c, 10, 0, 1, i + 1);
		tf_init(&u[i], 17, c, 5555, n.sn1, 40001);
		probe(&e, &u[i], T0 + (uint64_t)i * SEC, 0x0100, 18, 0, 18,
		      0x02);
		ck_assert_uint_eq(u[i].f.role, ROLE_UDP_PROBE_POS);
	}
	ck_assert_uint_eq(counters(&e).clients, 2);
	ck_assert_uint_eq(counters(&e).client_limit_hits, 0);
	ck_assert_uint_eq(counters(&e).client_evictions, 1);
	ck_assert_uint_eq(counters(&e).sessions_started, 3);
	ck_assert_uint_eq(u[2].f.session_id, 3);
	ck_assert_int_eq(e.n, 1);       /* the first client's session */
	ck_assert_uint_eq(e.recs[0].session_id, 1);
	ck_assert_uint_eq(e.recs[0].end_reason, SESS_END_EVICTED);
	ck_assert_uint_eq(e.recs[0].end_ms, MS(T0 + 3000));
	/* expired clients make room again */
	sig_expire(e.se, T0 + 4000 * SEC);
	ck_assert_uint_eq(counters(&e).clients, 0);
	ck_assert_int_eq(e.n, 3);
	probe(&e, &u[2], T0 + 4001 * SEC, 0x0102, 18, 0, 18, 0x02);
	ck_assert_uint_eq(counters(&e).clients, 1);
	ck_assert_uint_eq(u[2].f.session_id, 4);
	env_done(&e);
}
END_TEST

/* A positive probe then the v1.4 handshake from c:cport to sn:snport:
 * connected (step 9), its SN connection left open in *tcp. */
static void connect_client(struct env *e, struct tflow *udp,
			   struct tflow *tcp, const uint8_t c[16],
			   uint16_t cport, const uint8_t sn[16],
			   uint16_t snport, uint64_t ts)
{
	tf_init(udp, 17, c, cport, sn, snport);
	probe(e, udp, ts, 0x0100, 18, 0, 18, 0x02);
	tf_init(tcp, 6, c, 1030, sn, snport);
	tcp_open(e, tcp, ts + 10000);
	handshake(e, tcp, ts + 20000, 14, 200, 16);
	ck_assert_uint_eq(tcp->f.role, ROLE_SN_CONNECTION);
}

/* Connected clients are never evicted for a new candidate: with every
 * entry connected, the new client is not tracked (limit hit). */
START_TEST(test_client_limit_keeps_connected)
{
	struct env e;
	struct net n;
	struct tflow u[3], t[2];
	uint8_t c[3][16];

	net_init(&n);
	memset(&e, 0, sizeof(e));
	config_defaults(&e.cfg);
	e.cfg.max_clients = 2;
	env_start(&e);
	for (int i = 0; i < 3; i++)
		v4(c[i], 10, 0, 1, i + 1);
	connect_client(&e, &u[0], &t[0], c[0], 5555, n.sn1, 40001, T0);
	connect_client(&e, &u[1], &t[1], c[1], 5555, n.sn2, 40002, T0 + SEC);
	tf_init(&u[2], 17, c[2], 5555, n.sn1, 40001);
	probe(&e, &u[2], T0 + 2 * SEC, 0x0100, 18, 0, 18, 0x02);
	ck_assert_uint_eq(counters(&e).clients, 2);
	ck_assert_uint_eq(counters(&e).client_limit_hits, 1);
	ck_assert_uint_eq(counters(&e).client_evictions, 0);
	ck_assert_uint_eq(u[2].f.session_id, 0);
	ck_assert_int_eq(e.n, 0);
	/* once a session ends (step 11) its client may give way */
	sig_flow_end(e.se, &t[0].f, END_OF_FLOW);
	ck_assert_int_eq(e.n, 1);
	probe(&e, &u[2], T0 + 3 * SEC, 0x0102, 18, 0, 18, 0x02);
	ck_assert_uint_eq(counters(&e).client_evictions, 1);
	ck_assert_uint_eq(u[2].f.session_id, 3);
	env_done(&e);
}
END_TEST

/* One spoofed partial probe (U1 18 bytes, U4 18 bytes) from addr:port. */
static void spoof_pair(struct env *e, const uint8_t addr[16], uint16_t port,
		       const uint8_t sn[16], uint64_t ts)
{
	struct tflow u;

	tf_init(&u, 17, addr, port, sn, 33000);
	probe(e, &u, ts, 0x0100, 18, 0, 18, 0x02);
}

/*
 * Issue 9, blinding: more spoofed sources than the table holds, each one
 * partial probe (a candidate with a probe-only session), around a real
 * client that probes, connects and talks.  The real session is found,
 * connected, and survives the flood; the flood evicts only its own.
 */
static void flood_around_real(int one_source)
{
	struct env e;
	struct net n;
	struct tflow u, t;
	uint8_t spoof[16];
	const uint32_t max = 64, nflood = 5000;
	uint64_t ts = T0;

	net_init(&n);
	memset(&e, 0, sizeof(e));
	config_defaults(&e.cfg);
	e.cfg.max_clients = max;
	e.cfg.max_sessions = max;
	e.count_only = 1;
	memcpy(e.keep, n.c, 16);
	env_start(&e);
	v4(spoof, 198, 18, 0, 1);
	for (uint32_t i = 0; i < nflood; i++, ts += 1000) {
		if (!one_source)
			v4(spoof, 198, 18, (int)(i >> 8), (int)(i & 0xff));
		spoof_pair(&e, spoof, (uint16_t)(one_source ? 1024 + i : 7777),
			   n.boot, ts);
		if (i == nflood / 2)
			connect_client(&e, &u, &t, n.c, 5555, n.sn1, 40001,
				       ts);
		if (i > nflood / 2 && i % 100 == 0)
			msg(&e, &t, i % 200 == 0, ts, 40, 0x55);
	}
	ck_assert_uint_eq(counters(&e).client_limit_hits, 0);
	ck_assert_uint_ge(counters(&e).client_evictions, nflood - max);
	ck_assert_uint_eq(counters(&e).sessions_evicted_connected, 0);
	ck_assert_int_eq(e.n, 0);       /* the real session still open */
	sig_flow_end(e.se, &t.f, END_OF_FLOW);
	ck_assert_int_eq(e.n, 1);
	ck_assert_uint_eq(e.recs[0].end_reason, SESS_END_SN_CLOSED);
	ck_assert_uint_ne(e.recs[0].connected_ms, 0);
	ck_assert_uint_eq(e.recs[0].client_port, 5555);
	env_done(&e);
}

START_TEST(test_flood_many_sources)
{
	flood_around_real(0);
}
END_TEST

START_TEST(test_flood_one_source)
{
	flood_around_real(1);
}
END_TEST

/*
 * Issue 9, CPU: every look-up of the client table is bounded.  One
 * address with 20,000 ports (the old table chained them all on one
 * bucket), and 20,000 addresses: the longest walk stays within the
 * address chain bound plus the per-address cap, and the mean is small.
 */
START_TEST(test_flood_bounded_walks)
{
	struct session_tracker *st = session_tracker_new(1024, NULL, NULL);
	struct sig_clients t;
	uint8_t a[16], b[16];
	const uint32_t N = 20000;

	ck_assert_ptr_nonnull(st);
	ck_assert_int_eq(sig_clients_init(&t, 4096, st), 0);
	v4(a, 198, 18, 0, 1);
	for (uint32_t i = 0; i < N; i++) {
		struct sig_client *c = sig_client_get(&t, a,
						      (uint16_t)(1 + i), i);

		ck_assert_ptr_nonnull(c);
		sig_session_ensure(&t, c, i, MODE_UDP_TCP, 0);
		ck_assert_ptr_nonnull(sig_client_known(&t, a));
	}
	ck_assert_uint_le(t.walk_max, SIG_ADDR_CHAIN_MAX +
			  SIG_CLIENTS_PER_ADDR);
	ck_assert_uint_le(t.n_clients, SIG_CLIENTS_PER_ADDR);
	ck_assert_uint_eq(t.evictions, N - SIG_CLIENTS_PER_ADDR);
	/* 3 look-ups per round, each at most 1 address + 16 clients */
	ck_assert_uint_le(t.walk_steps, (uint64_t)N * 3 *
			  (1 + SIG_CLIENTS_PER_ADDR + 1));
	t.walk_steps = 0;
	for (uint32_t i = 0; i < N; i++) {
		struct sig_client *c;

		v4(b, 100 + (int)(i >> 16), (int)((i >> 8) & 0xff),
		   (int)(i & 0xff), 9);
		c = sig_client_get(&t, b, 7777, N + i);
		ck_assert_ptr_nonnull(c);
		sig_session_ensure(&t, c, N + i, MODE_UDP_TCP, 0);
	}
	ck_assert_uint_le(t.walk_max, SIG_ADDR_CHAIN_MAX +
			  SIG_CLIENTS_PER_ADDR);
	ck_assert_uint_eq(t.n_clients, 4096);
	ck_assert_uint_eq(t.limit_hits, 0);
	/* seeded hash, 4096 buckets: about one address per chain */
	ck_assert_uint_le(t.walk_steps, (uint64_t)N * 8);
	sig_clients_free(&t);
	session_tracker_free(st);
}
END_TEST

/*
 * Issue 9, cache: a reused client slot clears only its head, not its
 * rings; what the evicted client left in them is never read by the new
 * one.  And a ring that wrapped keeps its last n entries.
 */
START_TEST(test_client_slot_reuse)
{
	struct session_tracker *st = session_tracker_new(16, NULL, NULL);
	struct sig_clients t;
	struct sig_client *c, *d;
	struct sn_ref *ref = NULL;
	uint8_t a[16], b[16], sn[16];

	ck_assert_ptr_nonnull(st);
	ck_assert_int_eq(sig_clients_init(&t, 1, st), 0);
	ck_assert_uint_eq((uintptr_t)t.clients % 64, 0);
	ck_assert_uint_eq(offsetof(struct sig_client, last_us) + 8, 64);
	v4(a, 198, 18, 0, 1);
	v4(b, 198, 18, 0, 2);
	v4(sn, 203, 0, 113, 5);
	c = sig_client_get(&t, a, 1000, 1);
	ck_assert_ptr_nonnull(c);
	for (int i = 0; i < 20; i++) {
		sn[15] = (uint8_t)i;
		sig_sn_add(c->pos, &c->pos_next, SIG_POS_SN, sn, 33033, 18);
		ck_assert_uint_lt(c->pos_next, 2 * SIG_POS_SN);
	}
	ck_assert_uint_eq(sig_sn_filled(c->pos_next, SIG_POS_SN), SIG_POS_SN);
	for (int i = 0; i < 20; i++) {
		sn[15] = (uint8_t)i;
		if (i < 20 - SIG_POS_SN)
			ck_assert_ptr_null(sig_client_find_pos(&t, a, sn, 33033,
							       &ref));
		else
			ck_assert_ptr_eq(sig_client_find_pos(&t, a, sn, 33033,
							     &ref), c);
	}
	sig_sn_add(c->neg, &c->neg_next, SIG_NEG_SN, sn, 33033, 18);
	sig_sn_add(c->connected, &c->conn_next, SIG_CONN_SN, sn, 33033, 18);
	c->mem_used = 1;
	c->mem[0].open = 1;
	c->mem[0].session_id = 0;
	/* the table holds one client: b takes a's slot */
	d = sig_client_get(&t, b, 1000, 2);
	ck_assert_ptr_eq(d, c);
	ck_assert_uint_eq(t.evictions, 1);
	ck_assert_uint_eq(d->pos_next, 0);
	ck_assert_uint_eq(d->neg_next, 0);
	ck_assert_uint_eq(d->conn_next, 0);
	ck_assert_uint_eq(d->mem_used, 0);
	ck_assert_uint_eq(sig_sn_open(&t, d), 0);
	ck_assert_ptr_null(sig_client_find_pos(&t, b, sn, 33033, &ref));
	ck_assert_ptr_null(sig_sn_find(d->neg, sig_sn_filled(d->neg_next,
							     SIG_NEG_SN),
				       sn, 33033));
	/* its first probe lands in entry 0 and is found */
	sig_sn_add(d->pos, &d->pos_next, SIG_POS_SN, sn, 40000, 18);
	ck_assert_ptr_eq(sig_client_find_pos(&t, b, sn, 40000, &ref), d);
	ck_assert_ptr_eq(ref, &d->pos[0]);
	sig_clients_free(&t);
	session_tracker_free(st);
}
END_TEST

/*
 * Issue 9, cache: a look-up of an absent address on a chain that holds
 * one other address is answered by the bucket's tag, without reading the
 * address entry; present addresses are still found, also after the
 * chain's head went.
 */
START_TEST(test_addr_tag)
{
	struct session_tracker *st = session_tracker_new(16, NULL, NULL);
	struct sig_clients t;
	uint8_t a[16], b[16];

	ck_assert_ptr_nonnull(st);
	ck_assert_int_eq(sig_clients_init(&t, 4096, st), 0);
	sig_clients_seed(&t, 1);        /* no tag collision, checked */
	v4(a, 198, 18, 0, 1);
	ck_assert_ptr_nonnull(sig_client_get(&t, a, 1000, 1));
	t.walk_steps = 0;
	for (uint32_t i = 0; i < 20000; i++) {
		v4(b, 100 + (int)(i >> 16), (int)((i >> 8) & 0xff),
		   (int)(i & 0xff), 9);
		ck_assert_ptr_null(sig_client_known(&t, b));
	}
	ck_assert_uint_eq(t.walk_steps, 0);
	ck_assert_ptr_nonnull(sig_client_known(&t, a));
	ck_assert_uint_ge(t.walk_steps, 1);
	/* a full chain: every address is found, the head's removal keeps the
	 * tag right */
	sig_clients_free(&t);
	ck_assert_int_eq(sig_clients_init(&t, 8, st), 0);   /* 8 buckets */
	for (int i = 0; i < 8; i++) {
		v4(b, 192, 0, 2, i);
		ck_assert_ptr_nonnull(sig_client_get(&t, b, 1000, (uint64_t)i));
	}
	for (int i = 0; i < 64; i++) {
		v4(b, 203, 0, 113, i);
		ck_assert_ptr_nonnull(sig_client_get(&t, b, 1000,
						     (uint64_t)(10 + i)));
		ck_assert_ptr_nonnull(sig_client_known(&t, b));
		for (int j = i > 7 ? i - 7 : 0; j <= i; j++) {
			v4(a, 203, 0, 113, j);
			ck_assert_ptr_nonnull(sig_client_known(&t, a));
		}
		if (i >= 8) {
			v4(a, 203, 0, 113, i - 8);
			ck_assert_ptr_null(sig_client_known(&t, a));
		}
	}
	sig_clients_free(&t);
	session_tracker_free(st);
}
END_TEST

START_TEST(test_session_limit)
{
	struct env e;
	struct net n;
	struct tflow a, b;

	net_init(&n);
	memset(&e, 0, sizeof(e));
	config_defaults(&e.cfg);
	e.cfg.max_sessions = 1;
	env_start(&e);
	tf_init(&a, 17, n.c, 5555, n.sn1, 40001);
	probe(&e, &a, T0, 0x0100, 18, 0, 18, 0x02);
	tf_init(&b, 17, n.c2, 5555, n.sn1, 40001);
	probe(&e, &b, T0 + SEC, 0x0100, 18, 0, 18, 0x02);
	ck_assert_int_eq(e.n, 1);
	ck_assert_uint_eq(e.recs[0].session_id, 1);
	ck_assert_uint_eq(e.recs[0].end_reason, SESS_END_EVICTED);
	ck_assert_uint_eq(counters(&e).session_limit_hits, 1);
	ck_assert_uint_eq(b.f.session_id, 2);
	/* the evicted client's next evidence starts a new session */
	probe(&e, &a, T0 + 2 * SEC, 0x0102, 18, 0, 18, 0x02);
	ck_assert_uint_eq(a.f.session_id, 3);
	ck_assert_int_eq(e.n, 2);
	env_done(&e);
}
END_TEST

/* Issue 9: a full session table evicts the unconnected session with the
 * least recent evidence, not the older connected one; connected ones go
 * only when every open session is connected. */
START_TEST(test_session_limit_keeps_connected)
{
	struct env e;
	struct net n;
	struct tflow u, t, b, c, d;
	uint8_t c3[16];

	net_init(&n);
	memset(&e, 0, sizeof(e));
	config_defaults(&e.cfg);
	e.cfg.max_sessions = 2;
	env_start(&e);
	connect_client(&e, &u, &t, n.c, 5555, n.sn1, 40001, T0);
	ck_assert_uint_eq(t.f.session_id, 1);
	tf_init(&b, 17, n.c2, 5555, n.sn1, 40001);
	probe(&e, &b, T0 + SEC, 0x0100, 18, 0, 18, 0x02);
	ck_assert_uint_eq(b.f.session_id, 2);
	v4(c3, 10, 0, 0, 7);
	tf_init(&c, 17, c3, 5555, n.sn2, 40002);
	probe(&e, &c, T0 + 2 * SEC, 0x0100, 18, 0, 18, 0x02);
	ck_assert_uint_eq(c.f.session_id, 3);
	ck_assert_int_eq(e.n, 1);
	ck_assert_uint_eq(e.recs[0].session_id, 2);     /* not 1 */
	ck_assert_uint_eq(e.recs[0].end_reason, SESS_END_EVICTED);
	ck_assert_uint_eq(counters(&e).session_limit_hits, 1);
	ck_assert_uint_eq(counters(&e).sessions_evicted_connected, 0);
	/* session 3 connects too: now both are connected, and the one
	 * silent the longest (1) gives way */
	tf_init(&d, 6, c3, 1030, n.sn2, 40002);
	tcp_open(&e, &d, T0 + 3 * SEC);
	handshake(&e, &d, T0 + 3 * SEC + 1000, 14, 200, 16);
	ck_assert_uint_eq(d.f.role, ROLE_SN_CONNECTION);
	probe(&e, &b, T0 + 4 * SEC, 0x0102, 18, 0, 18, 0x02);
	ck_assert_int_eq(e.n, 2);
	ck_assert_uint_eq(e.recs[1].session_id, 1);
	ck_assert_uint_eq(counters(&e).sessions_evicted_connected, 1);
	env_done(&e);
}
END_TEST

START_TEST(test_disabled_and_reconfigure)
{
	struct env e;
	struct net n;
	struct tflow u, v;
	struct skyprobe_config off;
	struct sig_config sc;

	net_init(&n);
	env_init(&e);
	off = e.cfg;
	off.sig_enabled = 0;
	sc = sig_cfg(&off);
	sig_engine_reconfigure(e.se, &sc);
	tf_init(&u, 17, n.c, 5555, n.sn1, 40001);
	probe(&e, &u, T0, 0x0100, 18, 1, 18, 0x02);
	ck_assert_uint_eq(u.f.role, ROLE_NONE);
	off.sig_enabled = 1;
	off.sig_udp_probe = 0;
	sc = sig_cfg(&off);
	sig_engine_reconfigure(e.se, &sc);
	tf_init(&v, 17, n.c, 5555, n.sn2, 40002);
	probe(&e, &v, T0, 0x0100, 18, 1, 18, 0x02);
	ck_assert_uint_eq(v.f.role, ROLE_NONE);
	ck_assert_uint_eq(counters(&e).sessions_started, 0);
	env_done(&e);
}
END_TEST

START_TEST(test_truncated_payloads)
{
	struct env e;
	struct net n;
	struct tflow u, t;
	struct pkt_view pv;
	uint8_t b[18] = { 0x12, 0x34, 0x02 };

	net_init(&n);
	env_init(&e);
	/* U1 of 18 bytes on the wire, only 2 captured: never read past */
	tf_init(&u, 17, n.c, 5555, n.sn1, 40001);
	memset(&pv, 0, sizeof(pv));
	pv.ts_us = T0;
	pv.proto = 17;
	pv.payload = b;
	pv.payload_len = 2;
	pv.payload_size = 18;
	sig_packet(e.se, &u.f, &pv, 0);
	ck_assert_uint_eq(u.f.sig.path, PATH_NONE);
	/* R1 on 443 cut at 40 bytes: not matched */
	tf_init(&t, 6, n.c, 3001, n.sn1, 443);
	memset(&pv, 0, sizeof(pv));
	pv.ts_us = T0;
	pv.proto = 6;
	pv.payload = R1_443;
	pv.payload_len = 40;
	pv.payload_size = 72;
	sig_packet(e.se, &t.f, &pv, 0);
	ck_assert_uint_eq(t.f.role, ROLE_NONE);
	env_done(&e);
}
END_TEST

START_TEST(test_flow_state_size)
{
	ck_assert_uint_le(sizeof(struct sig_flow), 32);
}
END_TEST

/* ---- session tracker alone -------------------------------------------- */

static void tracker_emit(void *ctx, const struct session_rec *s)
{
	struct session_rec *last = ctx;

	*last = *s;
}

START_TEST(test_tracker)
{
	struct session_rec last;
	struct session_counters c;
	struct session_tracker *st;
	uint8_t cl[16], sn[16];
	uint32_t slot, id;

	v4(cl, 10, 0, 0, 1);
	v4(sn, 203, 0, 113, 1);
	memset(&last, 0, sizeof(last));
	st = session_tracker_new(4, tracker_emit, &last);
	ck_assert_ptr_nonnull(st);
	id = session_start(st, cl, 5555, T0, MODE_UDP_TCP, SKYPE_VER_UNKNOWN,
			   LOGIN_NONE, &slot);
	ck_assert_uint_eq(id, 1);
	ck_assert_int_eq(session_alive(st, slot, id), 1);
	ck_assert_int_eq(session_connected(st, slot, id, sn, 1, T0 + 5000,
					   MODE_UDP_TCP, SKYPE_VER_2, 0), 0);
	ck_assert_int_eq(session_connected(st, slot, id, sn, 1, T0 + 6000,
					   MODE_UDP_TCP, SKYPE_VER_2, 1), 0);
	/* another SN with none open before: no change (step 10 needs the
	 * previous SN connection open) */
	ck_assert_int_eq(session_connected(st, slot, id, sn, 3, T0 + 6500,
					   MODE_UDP_TCP, SKYPE_VER_2, 0), 0);
	ck_assert_int_eq(session_connected(st, slot, id, sn, 2, T0 + 7000,
					   MODE_UDP_TCP, SKYPE_VER_2, 1), 1);
	session_end(st, slot, id, SESS_END_SN_CLOSED, T0 + 9000);
	ck_assert_int_eq(session_alive(st, slot, id), 0);
	ck_assert_uint_eq(last.session_id, 1);
	ck_assert_uint_eq(last.connected_ms, MS(T0 + 5000));
	ck_assert_uint_eq(last.supernode_changes, 1);
	ck_assert_uint_eq(last.supernode_port, 2);
	ck_assert_uint_eq(last.end_ms, MS(T0 + 9000));
	/* a stale handle does nothing */
	session_end(st, slot, id, SESS_END_SN_CLOSED, T0 + 10000);
	session_refused(st, slot, id);
	session_get_counters(st, &c);
	ck_assert_uint_eq(c.started, 1);
	ck_assert_uint_eq(c.ended, 1);
	ck_assert_uint_eq(c.open, 0);
	id = session_start(st, cl, 0, T0, MODE_UDP_TCP, 0, 0, &slot);
	ck_assert_uint_eq(id, 2);
	session_expire(st, T0 + 10, 0);         /* 0 = disabled */
	ck_assert_int_eq(session_alive(st, slot, id), 1);
	session_tracker_free(st);
}
END_TEST

static Suite *sig_suite(void)
{
	Suite *s = suite_create("sig");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_probe_full_v14);
	tcase_add_test(tc, test_probe_partial);
	tcase_add_test(tc, test_internal_prefixes);
	tcase_add_test(tc, test_probe_v20_u3_size);
	tcase_add_test(tc, test_probe_u3_wrong_sn_addr);
	tcase_add_test(tc, test_probe_negative_51_53);
	tcase_add_test(tc, test_probe_bootstrap_negative);
	tcase_add_test(tc, test_probe_u2_wrong_id);
	tcase_add_test(tc, test_probe_u2_address);
	tcase_add_test(tc, test_udp_false_positives);
	tcase_add_test(tc, test_hs_refused_then_accepted);
	tcase_add_test(tc, test_hs_never_probed);
	tcase_add_test(tc, test_hs_retransmitted_t2);
	tcase_add_test(tc, test_hs_pure_acks);
	tcase_add_test(tc, test_hs_v20_extra_message);
	tcase_add_test(tc, test_hs_t2_needs_sn_reply);
	tcase_add_test(tc, test_hs_small_t3_not_accepted);
	tcase_add_test(tc, test_sn_change);
	tcase_add_test(tc, test_sn_idle_timeout_and_forced);
	tcase_add_test(tc, test_shutdown);
	tcase_add_test(tc, test_timeout_expiry);
	tcase_add_test(tc, test_session_ids_sequential);
	tcase_add_test(tc, test_restricted_443);
	tcase_add_test(tc, test_restricted_443_r1_one_byte_off);
	tcase_add_test(tc, test_restricted_443_r2_mismatch);
	tcase_add_test(tc, test_restricted_443_sc_before_r2);
	tcase_add_test(tc, test_restricted_80_v14);
	tcase_add_test(tc, test_restricted_80_v20);
	tcase_add_test(tc, test_restricted_80_v25);
	tcase_add_test(tc, test_restricted_80_http_rejected);
	tcase_add_test(tc, test_login_complete);
	tcase_add_test(tc, test_login_bad_l3);
	tcase_add_test(tc, test_login_before_session);
	tcase_add_test(tc, test_login_server_roles);
	tcase_add_test(tc, test_login_wrong_password);
	tcase_add_test(tc, test_login_relayed);
	tcase_add_test(tc, test_login_disabled);
	tcase_add_test(tc, test_seqid_evidence);
	tcase_add_test(tc, test_nat_clients);
	tcase_add_test(tc, test_continuity_sn);
	tcase_add_test(tc, test_continuity_bounded);
	tcase_add_test(tc, test_new_session_after_close);
	tcase_add_test(tc, test_nat_restricted_client);
	tcase_add_test(tc, test_login_2006);
	tcase_add_test(tc, test_client_limit);
	tcase_add_test(tc, test_client_limit_keeps_connected);
	tcase_add_test(tc, test_flood_many_sources);
	tcase_add_test(tc, test_flood_one_source);
	tcase_add_test(tc, test_flood_bounded_walks);
	tcase_add_test(tc, test_session_limit);
	tcase_add_test(tc, test_session_limit_keeps_connected);
	tcase_add_test(tc, test_client_slot_reuse);
	tcase_add_test(tc, test_addr_tag);
	tcase_add_test(tc, test_disabled_and_reconfigure);
	tcase_add_test(tc, test_truncated_payloads);
	tcase_add_test(tc, test_flow_state_size);
	tcase_add_test(tc, test_tracker);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(sig_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
