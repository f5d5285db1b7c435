/*
 * test_flow_table.c - unit tests of the biflow table (probe/flow_table.c):
 * directions, keys, timeouts, eviction, TCP end, fragments, hashing and an
 * invariant-checking stress run.  Packets are built as struct pkt_view
 * values directly; no decoder is involved.
 */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "flow_table.h"

#define TCP 6
#define UDP 17
#define FIN 0x01
#define SYN 0x02
#define RST 0x04
#define ACK 0x10

#define MAX_RECORDS 16

/* What the callbacks saw. */
struct seen {
	int ends;
	struct flow rec[MAX_RECORDS];          /* copies, first MAX_RECORDS */
	enum flow_end_reason reason[MAX_RECORDS];
	int by_reason[8];
	int packets;
	int dir[MAX_RECORDS];                  /* on_packet dirs, in order */
	struct flow *dir_flow[MAX_RECORDS];
	uint64_t pkt_sum;                      /* stress: packets in records */
	uint64_t oct_sum;
	uint64_t now;                          /* stress: current packet time */
	uint64_t idle_us;
	int bad_idle;                          /* idle end before its time */
	int bad_in_use;
};

static void on_end(void *ctx, struct flow *f, enum flow_end_reason r)
{
	struct seen *s = ctx;

	if (s->ends < MAX_RECORDS) {
		s->rec[s->ends] = *f;
		s->reason[s->ends] = r;
	}
	s->ends++;
	s->by_reason[r]++;
	s->pkt_sum += (uint64_t)f->packets[0] + f->packets[1];
	s->oct_sum += f->octets[0] + f->octets[1];
	if (!f->in_use)
		s->bad_in_use++;
	if (r == END_IDLE_TIMEOUT && s->now &&
	    s->now - f->last_us < s->idle_us)
		s->bad_idle++;
}

static void on_packet(void *ctx, struct flow *f, const struct pkt_view *pv,
		      int dir)
{
	struct seen *s = ctx;

	(void)pv;
	if (s->packets < MAX_RECORDS) {
		s->dir[s->packets] = dir;
		s->dir_flow[s->packets] = f;
	}
	s->packets++;
}

static void v4(uint8_t a[16], uint32_t addr)
{
	memset(a, 0, 16);
	a[10] = a[11] = 0xff;
	a[12] = addr >> 24;
	a[13] = addr >> 16;
	a[14] = addr >> 8;
	a[15] = addr;
}

static struct pkt_view pkt(uint32_t src, uint16_t sport, uint32_t dst,
			   uint16_t dport, uint8_t proto, uint64_t ts,
			   uint32_t len, uint8_t flags)
{
	struct pkt_view pv;

	memset(&pv, 0, sizeof(pv));
	v4(pv.src, src);
	v4(pv.dst, dst);
	pv.sport = sport;
	pv.dport = dport;
	pv.proto = proto;
	pv.ip_version = 4;
	pv.ts_us = ts;
	pv.ip_len = len;
	pv.tcp_flags = flags;
	return pv;
}

#define A 0x0a000001u   /* 10.0.0.1 */
#define B 0xc0a80102u   /* 192.168.1.2 */
#define C 0x08080808u

static struct flow_table *mk(uint32_t max, uint64_t idle, uint64_t act,
			     int vlan, struct seen *s)
{
	struct flow_table_cfg cfg = {
		.max_flows = max, .idle_us = idle, .active_us = act,
		.vlan_in_key = vlan,
	};
	struct flow_table *ft;

	memset(s, 0, sizeof(*s));
	ft = flow_table_new(&cfg, on_end, on_packet, s);
	ck_assert_ptr_nonnull(ft);
	return ft;
}

static struct flow *upd(struct flow_table *ft, struct pkt_view pv)
{
	return flow_table_update(ft, &pv);
}

START_TEST(test_biflow_direction)
{
	struct seen s;
	struct flow_table *ft = mk(16, 1000000, 10000000, 0, &s);
	struct flow *f1, *f2, *f3;
	uint8_t a[16];

	f1 = upd(ft, pkt(A, 1111, B, 80, UDP, 100, 100, 0));
	f2 = upd(ft, pkt(B, 80, A, 1111, UDP, 200, 200, 0));
	f3 = upd(ft, pkt(A, 1111, B, 80, UDP, 300, 50, 0));
	ck_assert_ptr_nonnull(f1);
	ck_assert_ptr_eq(f1, f2);
	ck_assert_ptr_eq(f1, f3);
	ck_assert_uint_eq(flow_table_active(ft), 1);
	ck_assert_uint_eq(f1->packets[0], 2);
	ck_assert_uint_eq(f1->packets[1], 1);
	ck_assert_uint_eq(f1->octets[0], 150);
	ck_assert_uint_eq(f1->octets[1], 200);
	ck_assert_uint_eq(f1->start_us, 100);
	ck_assert_uint_eq(f1->last_us, 300);
	v4(a, A);
	ck_assert_mem_eq(f1->key.src, a, 16);
	ck_assert_uint_eq(f1->key.sport, 1111);
	ck_assert_uint_eq(f1->key.dport, 80);
	ck_assert_uint_eq(f1->key.proto, UDP);
	ck_assert_int_eq(f1->in_use, 1);
	ck_assert_int_eq(s.ends, 0);
	/* a different port is a different flow */
	ck_assert_ptr_ne(upd(ft, pkt(A, 1112, B, 80, UDP, 400, 1, 0)), f1);
	ck_assert_uint_eq(flow_table_active(ft), 2);
	flow_table_free(ft);
}
END_TEST

START_TEST(test_initiator_first_sender)
{
	struct seen s;
	struct flow_table *ft = mk(16, 1000000, 10000000, 0, &s);
	struct pkt_view q = pkt(A, 1111, B, 80, TCP, 20, 40, SYN | ACK);
	struct flow *f;
	uint8_t b[16];
	int dir = -1;

	f = upd(ft, pkt(B, 80, A, 1111, TCP, 10, 60, SYN));
	v4(b, B);
	ck_assert_mem_eq(f->key.src, b, 16);
	ck_assert_uint_eq(f->key.sport, 80);
	ck_assert_uint_eq(f->key.dport, 1111);
	ck_assert_uint_eq(f->init_flags[0], SYN);
	ck_assert_ptr_eq(flow_table_lookup(ft, &q, &dir), f);
	ck_assert_int_eq(dir, 1);
	ck_assert_uint_eq(flow_table_active(ft), 1);   /* lookup: no create */
	upd(ft, q);
	upd(ft, pkt(A, 1111, B, 80, TCP, 30, 40, ACK));
	ck_assert_uint_eq(f->init_flags[1], SYN | ACK);
	ck_assert_uint_eq(f->union_flags[1], SYN | ACK);
	ck_assert_uint_eq(f->union_flags[0], SYN);
	ck_assert_uint_eq(f->packets[1], 2);
	q = pkt(C, 1, B, 80, TCP, 40, 40, 0);
	ck_assert_ptr_null(flow_table_lookup(ft, &q, &dir));
	flow_table_free(ft);
}
END_TEST

START_TEST(test_vlan_in_key)
{
	struct seen s;
	struct flow_table *ft = mk(16, 1000000, 10000000, 1, &s);
	struct pkt_view p = pkt(A, 5, B, 6, UDP, 1, 10, 0);
	struct flow *f1, *f2;

	p.vlan_id = 10;
	f1 = flow_table_update(ft, &p);
	p.vlan_id = 20;
	f2 = flow_table_update(ft, &p);
	ck_assert_ptr_ne(f1, f2);
	ck_assert_uint_eq(flow_table_active(ft), 2);
	ck_assert_uint_eq(f1->key.vlan_id, 10);
	ck_assert_uint_eq(f2->key.vlan_id, 20);
	flow_table_free(ft);

	ft = mk(16, 1000000, 10000000, 0, &s);
	p.vlan_id = 10;
	f1 = flow_table_update(ft, &p);
	p.vlan_id = 20;
	f2 = flow_table_update(ft, &p);
	ck_assert_ptr_eq(f1, f2);
	ck_assert_uint_eq(flow_table_active(ft), 1);
	ck_assert_uint_eq(f1->key.vlan_id, 0);
	ck_assert_uint_eq(f1->vlan_id, 10);         /* first packet's */
	ck_assert_uint_eq(f1->packets[0], 2);
	flow_table_free(ft);
}
END_TEST

START_TEST(test_idle_timeout)
{
	struct seen s;
	struct flow_table *ft = mk(16, 1000, 0, 0, &s);
	struct flow *f;

	upd(ft, pkt(A, 1, B, 2, UDP, 0, 10, 0));
	f = upd(ft, pkt(B, 2, A, 1, UDP, 999, 20, 0));
	upd(ft, pkt(A, 7, C, 8, UDP, 1500, 30, 0));
	ck_assert_uint_eq(f->last_us, 999);
	flow_table_expire(ft, 1998);                 /* idle 999 < 1000 */
	ck_assert_int_eq(s.ends, 0);
	flow_table_expire(ft, 1999);                 /* idle == 1000: ends */
	ck_assert_int_eq(s.ends, 1);
	ck_assert_int_eq(s.reason[0], END_IDLE_TIMEOUT);
	ck_assert_uint_eq(s.rec[0].packets[0], 1);
	ck_assert_uint_eq(s.rec[0].packets[1], 1);
	ck_assert_uint_eq(s.rec[0].octets[0], 10);
	ck_assert_uint_eq(s.rec[0].octets[1], 20);
	ck_assert_uint_eq(s.rec[0].start_us, 0);
	ck_assert_uint_eq(s.rec[0].last_us, 999);
	ck_assert_uint_eq(flow_table_active(ft), 1);

	/* inside update: a packet exactly idle_us after the last one of its
	 * flow ends the old record and starts a new one */
	f = upd(ft, pkt(C, 8, A, 7, UDP, 2500, 40, 0));
	ck_assert_int_eq(s.ends, 2);
	ck_assert_int_eq(s.reason[1], END_IDLE_TIMEOUT);
	ck_assert_uint_eq(s.rec[1].packets[0], 1);
	ck_assert_uint_eq(s.rec[1].packets[1], 0);
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(f->packets[0], 1);
	ck_assert_uint_eq(f->packets[1], 0);
	ck_assert_uint_eq(f->start_us, 2500);
	ck_assert_uint_eq(flow_table_active(ft), 1);
	flow_table_free(ft);
}
END_TEST

START_TEST(test_active_timeout)
{
	struct seen s;
	struct flow_table *ft = mk(16, 1000000, 1000, 0, &s);
	struct flow *f, *g;

	f = upd(ft, pkt(A, 1, B, 2, TCP, 0, 100, SYN));
	f->session_id = 7;
	f->role = ROLE_SN_CONNECTION;
	f->sig.state = 3;
	upd(ft, pkt(B, 2, A, 1, TCP, 500, 200, SYN | ACK));
	upd(ft, pkt(A, 1, B, 2, TCP, 999, 300, ACK));
	ck_assert_int_eq(s.ends, 0);
	g = upd(ft, pkt(B, 2, A, 1, TCP, 1000, 400, ACK));
	ck_assert_ptr_eq(g, f);                      /* same flow goes on */
	ck_assert_int_eq(s.ends, 1);
	ck_assert_int_eq(s.reason[0], END_ACTIVE_TIMEOUT);
	ck_assert_uint_eq(s.rec[0].packets[0], 2);
	ck_assert_uint_eq(s.rec[0].packets[1], 1);
	ck_assert_uint_eq(s.rec[0].octets[0], 400);
	ck_assert_uint_eq(s.rec[0].octets[1], 200);
	ck_assert_uint_eq(s.rec[0].start_us, 0);
	ck_assert_uint_eq(s.rec[0].last_us, 999);
	ck_assert_uint_eq(s.rec[0].init_flags[0], SYN);
	ck_assert_uint_eq(s.rec[0].union_flags[0], SYN | ACK);
	ck_assert_uint_eq(s.rec[0].session_id, 7);
	/* continuation record: counters restart with this packet */
	ck_assert_uint_eq(f->packets[0], 0);
	ck_assert_uint_eq(f->packets[1], 1);
	ck_assert_uint_eq(f->octets[1], 400);
	ck_assert_uint_eq(f->start_us, 1000);
	ck_assert_uint_eq(f->last_us, 1000);
	ck_assert_uint_eq(f->init_flags[1], ACK);
	ck_assert_uint_eq(f->union_flags[0], 0);
	ck_assert_uint_eq(f->session_id, 7);
	ck_assert_uint_eq(f->role, ROLE_SN_CONNECTION);
	ck_assert_uint_eq(f->sig.state, 3);
	ck_assert_uint_eq(f->key.sport, 1);          /* initiator kept */
	upd(ft, pkt(A, 1, B, 2, TCP, 1500, 50, ACK));
	ck_assert_uint_eq(flow_table_active(ft), 1);
	flow_table_flush(ft, END_FORCED);
	ck_assert_int_eq(s.ends, 2);
	ck_assert_int_eq(s.reason[1], END_FORCED);
	ck_assert_uint_eq(s.rec[1].packets[0], 1);
	ck_assert_uint_eq(s.rec[1].packets[1], 1);
	ck_assert_uint_eq(s.rec[1].octets[0], 50);
	ck_assert_uint_eq(s.rec[1].start_us, 1000);
	ck_assert_uint_eq(s.rec[1].last_us, 1500);
	ck_assert_uint_eq(flow_table_active(ft), 0);
	flow_table_free(ft);
}
END_TEST

START_TEST(test_eviction_lru)
{
	struct seen s;
	struct flow_table *ft = mk(3, 1000000, 0, 0, &s);
	struct pkt_view pb = pkt(A, 2, B, 2, UDP, 0, 1, 0);
	struct flow *fa, *fc;

	fa = upd(ft, pkt(A, 1, B, 1, UDP, 1, 1, 0));
	upd(ft, pkt(A, 2, B, 2, UDP, 2, 1, 0));
	fc = upd(ft, pkt(A, 3, B, 3, UDP, 3, 1, 0));
	upd(ft, pkt(B, 1, A, 1, UDP, 4, 1, 0));      /* A is now recent */
	ck_assert_uint_eq(flow_table_evicted(ft), 0);
	upd(ft, pkt(A, 4, B, 4, UDP, 5, 1, 0));
	ck_assert_uint_eq(flow_table_evicted(ft), 1);
	ck_assert_uint_eq(flow_table_active(ft), 3);
	ck_assert_int_eq(s.ends, 1);
	ck_assert_int_eq(s.reason[0], END_LACK_OF_RESOURCES);
	ck_assert_uint_eq(s.rec[0].key.sport, 2);
	ck_assert_ptr_null(flow_table_lookup(ft, &pb, NULL));
	ck_assert_uint_eq(fa->packets[0] + fa->packets[1], 2);
	ck_assert_uint_eq(fc->key.sport, 3);
	upd(ft, pkt(A, 5, B, 5, UDP, 6, 1, 0));      /* evicts C next */
	ck_assert_uint_eq(s.rec[1].key.sport, 3);
	ck_assert_uint_eq(flow_table_evicted(ft), 2);
	flow_table_free(ft);
}
END_TEST

START_TEST(test_tcp_rst)
{
	struct seen s;
	struct flow_table *ft = mk(16, 1000000, 0, 0, &s);

	ck_assert_ptr_nonnull(upd(ft, pkt(A, 1, B, 2, TCP, 1, 60, SYN)));
	ck_assert_ptr_nonnull(upd(ft, pkt(B, 2, A, 1, TCP, 2, 60,
					  SYN | ACK)));
	ck_assert_ptr_null(upd(ft, pkt(B, 2, A, 1, TCP, 3, 40, RST | ACK)));
	ck_assert_int_eq(s.ends, 1);
	ck_assert_int_eq(s.reason[0], END_OF_FLOW);
	ck_assert_uint_eq(s.rec[0].packets[0], 1);
	ck_assert_uint_eq(s.rec[0].packets[1], 2);
	ck_assert_uint_eq(s.rec[0].union_flags[1], SYN | ACK | RST);
	ck_assert_uint_eq(flow_table_active(ft), 0);
	ck_assert_int_eq(s.packets, 3);              /* on_packet before end */
	flow_table_free(ft);
}
END_TEST

START_TEST(test_tcp_fin)
{
	struct seen s;
	struct flow_table *ft = mk(16, 1000000, 0, 0, &s);
	struct flow *f;

	upd(ft, pkt(A, 1, B, 2, TCP, 1, 40, FIN | ACK));
	f = upd(ft, pkt(A, 1, B, 2, TCP, 2, 40, FIN | ACK)); /* retransmit */
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(f->fin_mask, 1);
	upd(ft, pkt(B, 2, A, 1, TCP, 3, 40, ACK));
	ck_assert_int_eq(s.ends, 0);
	/* FIN both ways: the flow waits for the last ACK */
	ck_assert_ptr_nonnull(upd(ft, pkt(B, 2, A, 1, TCP, 4, 40, FIN | ACK)));
	ck_assert_int_eq(s.ends, 0);
	ck_assert_ptr_null(upd(ft, pkt(A, 1, B, 2, TCP, 5, 40, ACK)));
	ck_assert_int_eq(s.ends, 1);
	ck_assert_int_eq(s.reason[0], END_OF_FLOW);
	ck_assert_uint_eq(s.rec[0].packets[0], 3);
	ck_assert_uint_eq(s.rec[0].packets[1], 2);
	ck_assert_uint_eq(s.rec[0].fin_mask, 3);
	ck_assert_uint_eq(flow_table_active(ft), 0);

	/* FIN one way only: the flow stays until flushed */
	upd(ft, pkt(A, 9, B, 9, TCP, 5, 40, FIN));
	upd(ft, pkt(B, 9, A, 9, TCP, 6, 40, ACK));
	ck_assert_uint_eq(flow_table_active(ft), 1);
	/* FIN both ways, no last ACK: still END_OF_FLOW when flushed */
	upd(ft, pkt(A, 3, B, 3, TCP, 6, 40, FIN));
	upd(ft, pkt(B, 3, A, 3, TCP, 6, 40, FIN | ACK));
	ck_assert_uint_eq(flow_table_active(ft), 2);
	flow_table_flush(ft, END_FORCED);
	ck_assert_int_eq(s.ends, 3);
	ck_assert_int_eq(s.reason[1], END_FORCED);
	ck_assert_int_eq(s.reason[2], END_OF_FLOW);
	upd(ft, pkt(A, 9, B, 9, TCP, 5, 40, FIN));
	/* FIN on UDP means nothing */
	ck_assert_ptr_nonnull(upd(ft, pkt(A, 9, B, 9, UDP, 7, 40, FIN)));
	ck_assert_ptr_nonnull(upd(ft, pkt(B, 9, A, 9, UDP, 8, 40, FIN)));
	ck_assert_uint_eq(flow_table_active(ft), 2);
	flow_table_flush(ft, END_FORCED);
	ck_assert_int_eq(s.ends, 5);
	flow_table_free(ft);
}
END_TEST

START_TEST(test_flush_lru_order)
{
	struct seen s;
	struct flow_table *ft = mk(16, 1000000, 0, 0, &s);

	upd(ft, pkt(A, 1, B, 1, UDP, 10, 1, 0));
	upd(ft, pkt(A, 2, B, 2, UDP, 20, 1, 0));
	upd(ft, pkt(A, 3, B, 3, UDP, 30, 1, 0));
	upd(ft, pkt(B, 1, A, 1, UDP, 40, 1, 0));
	flow_table_flush(ft, END_FORCED);
	ck_assert_int_eq(s.ends, 3);
	ck_assert_int_eq(s.by_reason[END_FORCED], 3);
	ck_assert_uint_eq(s.rec[0].key.sport, 2);
	ck_assert_uint_eq(s.rec[1].key.sport, 3);
	ck_assert_uint_eq(s.rec[2].key.sport, 1);
	ck_assert_uint_eq(s.rec[2].packets[1], 1);
	ck_assert_uint_eq(flow_table_active(ft), 0);
	/* the table is usable again */
	ck_assert_ptr_nonnull(upd(ft, pkt(A, 1, B, 1, UDP, 50, 1, 0)));
	ck_assert_uint_eq(flow_table_active(ft), 1);
	flow_table_free(ft);
}
END_TEST

START_TEST(test_fragments)
{
	struct seen s;
	struct flow_table *ft = mk(16, 1000000, 0, 0, &s);
	struct pkt_view p;
	struct flow *f, *g;

	p = pkt(A, 5000, B, 6000, UDP, 1, 1500, 0);
	p.frag = PKT_FRAG_FIRST;
	p.frag_id = 77;
	f = flow_table_update(ft, &p);
	p = pkt(A, 0, B, 0, UDP, 2, 800, 0);
	p.frag = PKT_FRAG_LATER;
	p.frag_id = 77;
	g = flow_table_update(ft, &p);
	ck_assert_ptr_eq(f, g);
	ck_assert_uint_eq(f->packets[0], 2);
	ck_assert_uint_eq(f->octets[0], 2300);
	ck_assert_uint_eq(f->key.sport, 5000);
	ck_assert_uint_eq(flow_table_active(ft), 1);
	ck_assert_uint_eq(p.sport, 0);               /* caller's view intact */

	/* later fragment whose first was never seen: portless flow */
	p.frag_id = 78;
	p.ts_us = 3;
	g = flow_table_update(ft, &p);
	ck_assert_ptr_ne(f, g);
	ck_assert_uint_eq(g->key.sport, 0);
	ck_assert_uint_eq(g->key.dport, 0);
	ck_assert_uint_eq(g->key.proto, UDP);
	ck_assert_uint_eq(flow_table_active(ft), 2);

	/* reply-direction fragment of the same datagram id and other proto
	 * do not match the cached slot */
	p = pkt(A, 0, B, 0, TCP, 4, 100, 0);
	p.frag = PKT_FRAG_LATER;
	p.frag_id = 77;
	g = flow_table_update(ft, &p);
	ck_assert_uint_eq(g->key.proto, TCP);
	ck_assert_uint_eq(g->key.sport, 0);
	ck_assert_uint_eq(flow_table_active(ft), 3);

	/* a stale first fragment (older than the reassembly time) is
	 * not trusted */
	p = pkt(A, 0, B, 0, UDP, 60000000, 100, 0);
	p.frag = PKT_FRAG_LATER;
	p.frag_id = 77;
	g = flow_table_update(ft, &p);
	ck_assert_uint_eq(g->key.sport, 0);
	flow_table_free(ft);
}
END_TEST

START_TEST(test_symmetric_hash)
{
	uint32_t x = 12345, distinct = 0, prev = 0;
	int i;

	for (i = 0; i < 1000; i++) {
		struct pkt_view p, r;

		x = x * 1103515245u + 12345u;
		p = pkt(x, (uint16_t)(x >> 7), x ^ 0x5a5a5a5a,
			(uint16_t)(x >> 13), i & 1 ? TCP : UDP, 0, 0, 0);
		r = pkt(x ^ 0x5a5a5a5a, (uint16_t)(x >> 13), x,
			(uint16_t)(x >> 7), i & 1 ? TCP : UDP, 0, 0, 0);
		ck_assert_uint_eq(flow_hash_symmetric(&p),
				  flow_hash_symmetric(&r));
		if (flow_hash_symmetric(&p) != prev)
			distinct++;
		prev = flow_hash_symmetric(&p);
	}
	ck_assert_uint_eq(distinct, 1000);
	/* equal ends do not collapse to one value */
	{
		struct pkt_view p = pkt(A, 1, A, 1, UDP, 0, 0, 0);
		struct pkt_view q = pkt(B, 2, B, 2, UDP, 0, 0, 0);

		ck_assert_uint_ne(flow_hash_symmetric(&p),
				  flow_hash_symmetric(&q));
	}
}
END_TEST

START_TEST(test_on_packet_dir)
{
	struct seen s;
	struct flow_table *ft = mk(16, 1000000, 0, 0, &s);
	struct flow *f;

	f = upd(ft, pkt(A, 1, B, 2, UDP, 1, 10, 0));
	upd(ft, pkt(B, 2, A, 1, UDP, 2, 10, 0));
	upd(ft, pkt(B, 2, A, 1, UDP, 3, 10, 0));
	upd(ft, pkt(A, 1, B, 2, UDP, 4, 10, 0));
	ck_assert_int_eq(s.packets, 4);
	ck_assert_int_eq(s.dir[0], 0);
	ck_assert_int_eq(s.dir[1], 1);
	ck_assert_int_eq(s.dir[2], 1);
	ck_assert_int_eq(s.dir[3], 0);
	ck_assert_ptr_eq(s.dir_flow[0], f);
	ck_assert_ptr_eq(s.dir_flow[3], f);
	flow_table_free(ft);
}
END_TEST

/* The bucket of the prefetch hint is the one update uses: the reverse
 * direction, a VLAN key and a later fragment (whose ports, and so bucket,
 * come from its first fragment) all reach the flow the plain path does. */
START_TEST(test_update_bucket_hint)
{
	struct seen s;
	struct flow_table *ft = mk(64, 1000000, 10000000, 1, &s);
	struct pkt_view p = pkt(A, 5, B, 6, UDP, 1, 10, 0);
	struct pkt_view r = pkt(B, 6, A, 5, UDP, 2, 10, 0);
	struct pkt_view q = pkt(A, 0, B, 0, UDP, 3, 10, 0);
	struct flow *f, *g;

	p.vlan_id = r.vlan_id = q.vlan_id = 7;
	p.frag = PKT_FRAG_FIRST;
	p.frag_id = q.frag_id = 9;
	q.frag = PKT_FRAG_LATER;
	f = flow_table_update_bucket(ft, &p, flow_table_prefetch_bucket(ft, &p));
	ck_assert_ptr_nonnull(f);
	flow_table_prefetch_flow(ft, flow_table_prefetch_bucket(ft, &r));
	g = flow_table_update_bucket(ft, &r, flow_table_prefetch_bucket(ft, &r));
	ck_assert_ptr_eq(f, g);
	g = flow_table_update_bucket(ft, &q, flow_table_prefetch_bucket(ft, &q));
	ck_assert_ptr_eq(f, g);
	ck_assert_uint_eq(f->packets[0], 2);
	ck_assert_uint_eq(f->packets[1], 1);
	ck_assert_uint_eq(f->key.vlan_id, 7);
	ck_assert_uint_eq(flow_table_active(ft), 1);
	g = flow_table_update(ft, &r);
	ck_assert_ptr_eq(f, g);
	ck_assert_uint_eq(f->packets[1], 2);
	flow_table_free(ft);
}
END_TEST

START_TEST(test_memory)
{
	struct seen s;
	struct flow_table *ft = mk(100000, 1000000, 0, 0, &s);
	size_t m = flow_table_memory(ft);

	ck_assert_uint_ge(m, 100000 * sizeof(struct flow));
	ck_assert_uint_le(m / 100000, 200);
	flow_table_free(ft);
	{
		struct flow_table_cfg bad = { .max_flows = 0 };

		ck_assert_ptr_null(flow_table_new(&bad, NULL, NULL, NULL));
	}
}
END_TEST

/*
 * 1,000,000 packets over 200,000 flow ids, random direction, 1 us apart,
 * with idle expiry, active timeouts and eviction all happening.  Every
 * packet must end up in exactly one record.
 */
START_TEST(test_stress)
{
	enum { MAX = 50000, IDS = 200000, PKTS = 1000000 };
	struct seen s;
	struct flow_table *ft = mk(MAX, 100000, 400000, 0, &s);
	uint64_t x = 88172645463325252ULL, octets = 0;
	uint32_t active;
	int i;

	s.idle_us = 100000;
	for (i = 0; i < PKTS; i++) {
		uint32_t id, len;
		struct pkt_view p;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		/* first half: too many flows, eviction; second half: a
		 * small, busy set, so the rest idle out and the busy ones
		 * reach the active timeout */
		id = (uint32_t)(x % (i < PKTS / 2 ? IDS : IDS / 10));
		len = 40 + (uint32_t)(x >> 40) % 1000;
		if ((x >> 32) & 1)
			p = pkt(0x0a000000 + id, 1000 + id % 7, B, 443, UDP,
				(uint64_t)i + 1, len, 0);
		else
			p = pkt(B, 443, 0x0a000000 + id, 1000 + id % 7, UDP,
				(uint64_t)i + 1, len, 0);
		s.now = p.ts_us;
		octets += len;
		ck_assert_ptr_nonnull(flow_table_update(ft, &p));
		if (flow_table_active(ft) > MAX)
			ck_abort_msg("active %u > max", flow_table_active(ft));
	}
	ck_assert_int_gt(s.by_reason[END_IDLE_TIMEOUT], 0);
	ck_assert_int_gt(s.by_reason[END_ACTIVE_TIMEOUT], 0);
	ck_assert_int_gt(s.by_reason[END_LACK_OF_RESOURCES], 0);
	ck_assert_uint_eq(flow_table_evicted(ft),
			  (uint64_t)s.by_reason[END_LACK_OF_RESOURCES]);
	ck_assert_int_eq(s.bad_idle, 0);
	ck_assert_int_eq(s.bad_in_use, 0);
	active = flow_table_active(ft);
	ck_assert_uint_gt(active, 0);
	s.now = 0;
	flow_table_flush(ft, END_FORCED);
	ck_assert_uint_eq(s.by_reason[END_FORCED], active);
	ck_assert_uint_eq(flow_table_active(ft), 0);
	ck_assert_uint_eq(s.pkt_sum, PKTS);
	ck_assert_uint_eq(s.oct_sum, octets);
	ck_assert_int_eq(s.packets, PKTS);
	flow_table_free(ft);
}
END_TEST

/* ---- the clock: packets stamped far off it ------------------------- */

#define SEC_US 1000000ULL
#define T0 (1153821600ULL * SEC_US)
#define HOUR (3600 * SEC_US)

/* 100 one-packet UDP flows, 100 ms apart, idle timeout 1 s; after packet
 * `at`, one more packet of flow (C, 9) stamped `odd`.  Returns the table
 * (for the caller's asserts) with s filled. */
static struct flow_table *hundred_flows(struct seen *s, int at, uint64_t odd)
{
	struct flow_table *ft = mk(1024, SEC_US, 0, 0, s);

	s->idle_us = SEC_US;
	for (int i = 0; i < 100; i++) {
		s->now = T0 + (uint64_t)i * 100000;
		upd(ft, pkt(A, (uint16_t)(1000 + i), B, 53, UDP, s->now, 60, 0));
		if (i == at)
			upd(ft, pkt(C, 9, B, 53, UDP, odd, 60, 0));
	}
	return ft;
}

/* Flow i (last packet at T0 + i * 100 ms) has ended by idle at the clock
 * T0 + 9.9 s when i * 100 ms + 1 s <= 9.9 s: i <= 89, 90 flows. */
START_TEST(test_future_packet_does_not_stall)
{
	struct seen s;
	struct flow_table *ft = hundred_flows(&s, 10, T0 + 1 * SEC_US + HOUR);

	/* the 90, and the odd flow, accounted at the clock (T0 + 1 s) */
	ck_assert_int_eq(s.by_reason[END_IDLE_TIMEOUT], 91);
	ck_assert_int_eq(s.bad_idle, 0);
	ck_assert_uint_eq(flow_table_time_outliers(ft), 1);
	ck_assert_uint_eq(flow_table_clock_jumps(ft), 0);
	ck_assert_uint_eq(flow_table_clock(ft), T0 + 99 * 100000);
	ck_assert_uint_eq(flow_table_active(ft), 10);
	/* the odd packet was counted, at the clock's time */
	for (int r = 0; r < MAX_RECORDS; r++)
		if (s.rec[r].key.sport == 9) {
			ck_assert_uint_eq(s.rec[r].packets[0], 1);
			ck_assert_uint_eq(s.rec[r].start_us, T0 + SEC_US);
			ck_assert_uint_eq(s.rec[r].last_us, T0 + SEC_US);
		}
	flow_table_free(ft);
}
END_TEST

START_TEST(test_past_packet_at_clock)
{
	struct seen s;
	struct flow_table *ft = hundred_flows(&s, 10, T0 - HOUR);

	ck_assert_int_eq(s.by_reason[END_IDLE_TIMEOUT], 91);
	ck_assert_int_eq(s.bad_idle, 0);
	ck_assert_uint_eq(flow_table_time_outliers(ft), 1);
	for (int r = 0; r < MAX_RECORDS; r++)
		if (s.rec[r].key.sport == 9)
			ck_assert_uint_eq(s.rec[r].start_us, T0 + SEC_US);
	flow_table_free(ft);
}
END_TEST

/* A future stamp ends no flow early: neither others by idle timeout nor
 * its own by active timeout. */
START_TEST(test_future_packet_ends_nothing)
{
	struct seen s;
	struct flow_table *ft = mk(64, 30 * SEC_US, 60 * SEC_US, 0, &s);
	struct flow *f;

	upd(ft, pkt(A, 1, B, 2, UDP, T0, 10, 0));
	upd(ft, pkt(A, 3, B, 4, UDP, T0 + 1, 10, 0));
	upd(ft, pkt(C, 5, B, 6, UDP, T0 + 2, 10, 0));
	/* new flow stamped an hour ahead, then an existing one */
	upd(ft, pkt(C, 7, B, 8, UDP, T0 + HOUR, 10, 0));
	f = upd(ft, pkt(A, 1, B, 2, UDP, T0 + 3, 10, 0));
	f = upd(ft, pkt(B, 2, A, 1, UDP, T0 + 2 * HOUR, 20, 0));
	ck_assert_ptr_nonnull(f);
	upd(ft, pkt(A, 3, B, 4, UDP, T0 + 4, 10, 0));
	ck_assert_int_eq(s.ends, 0);
	ck_assert_uint_eq(f->packets[0], 2);
	ck_assert_uint_eq(f->packets[1], 1);
	ck_assert_uint_eq(f->last_us, T0 + 3);
	ck_assert_uint_eq(flow_table_time_outliers(ft), 2);
	ck_assert_uint_eq(flow_table_clock(ft), T0 + 4);
	/* and the flows still end on time */
	flow_table_expire(ft, T0 + 30 * SEC_US + 3);
	ck_assert_int_eq(s.by_reason[END_IDLE_TIMEOUT], 3);
	flow_table_free(ft);
}
END_TEST

/* A real gap in the capture: the packet after the first one agrees, the
 * clock jumps, idle flows end, and the first packet keeps its own time. */
START_TEST(test_real_gap_believed)
{
	struct seen s;
	struct flow_table *ft = mk(64, 30 * SEC_US, 0, 0, &s);
	struct flow *f;

	upd(ft, pkt(A, 1, B, 2, UDP, T0, 10, 0));
	upd(ft, pkt(A, 3, B, 4, UDP, T0 + SEC_US, 10, 0));
	f = upd(ft, pkt(C, 5, B, 6, UDP, T0 + HOUR, 10, 0));
	ck_assert_int_eq(s.ends, 0);        /* undecided yet */
	ck_assert_uint_eq(f->start_us, T0 + SEC_US);
	upd(ft, pkt(B, 6, C, 5, UDP, T0 + HOUR + 15000, 10, 0));
	ck_assert_int_eq(s.by_reason[END_IDLE_TIMEOUT], 2);
	ck_assert_uint_eq(s.rec[0].last_us, T0);
	ck_assert_uint_eq(s.rec[1].last_us, T0 + SEC_US);
	ck_assert_uint_eq(f->start_us, T0 + HOUR);
	ck_assert_uint_eq(f->last_us, T0 + HOUR + 15000);
	ck_assert_uint_eq(f->packets[0], 1);
	ck_assert_uint_eq(f->packets[1], 1);
	ck_assert_uint_eq(flow_table_clock_jumps(ft), 1);
	ck_assert_uint_eq(flow_table_time_outliers(ft), 0);
	ck_assert_uint_eq(flow_table_active(ft), 1);
	flow_table_free(ft);
}
END_TEST

/* Sparse traffic, one packet per flow every 120 s (the gaps are real):
 * every flow ends by idle with its own times, nothing is an outlier, and
 * the last packet (undecided at the end) is believed by the flush. */
START_TEST(test_sparse_capture)
{
	struct seen s;
	struct flow_table *ft = mk(64, 30 * SEC_US, 0, 0, &s);

	for (int i = 0; i < 10; i++)
		upd(ft, pkt(A, (uint16_t)(100 + i), B, 53, UDP,
			    T0 + (uint64_t)i * 120 * SEC_US, 10, 0));
	ck_assert_int_eq(s.by_reason[END_IDLE_TIMEOUT], 8);
	flow_table_flush(ft, END_FORCED);
	ck_assert_int_eq(s.ends, 10);
	for (int i = 0; i < 10; i++) {
		ck_assert_uint_eq(s.rec[i].key.sport, 100 + i);
		ck_assert_uint_eq(s.rec[i].start_us,
				  T0 + (uint64_t)i * 120 * SEC_US);
	}
	ck_assert_int_eq(s.reason[9], END_FORCED);
	ck_assert_uint_eq(flow_table_time_outliers(ft), 0);
	ck_assert_uint_eq(flow_table_clock_jumps(ft), 9);
	flow_table_free(ft);
}
END_TEST

/* A flow that resumes after a real gap longer than the idle timeout gets
 * a new record, as before the clock: once the next packet agrees. */
START_TEST(test_gap_splits_own_flow)
{
	struct seen s;
	struct flow_table *ft = mk(64, 30 * SEC_US, 0, 0, &s);
	struct flow *f;

	upd(ft, pkt(A, 1, B, 2, UDP, T0, 10, 0));
	/* the answer, after the gap: the flow's key is the other way */
	f = upd(ft, pkt(B, 2, A, 1, UDP, T0 + HOUR, 20, 0));
	ck_assert_int_eq(s.ends, 0);
	upd(ft, pkt(A, 1, B, 2, UDP, T0 + HOUR + 1, 30, 0));
	ck_assert_int_eq(s.by_reason[END_IDLE_TIMEOUT], 1);
	ck_assert_uint_eq(s.rec[0].packets[0], 1);
	ck_assert_uint_eq(s.rec[0].octets[0], 10);
	ck_assert_uint_eq(s.rec[0].last_us, T0);
	ck_assert_uint_eq(f->start_us, T0 + HOUR);
	ck_assert_uint_eq(f->last_us, T0 + HOUR + 1);
	/* the new record's initiator is the answer's sender, as for a
	 * new flow */
	ck_assert_uint_eq(f->key.sport, 2);
	ck_assert_uint_eq(f->packets[0], 1);
	ck_assert_uint_eq(f->octets[0], 20);
	ck_assert_uint_eq(f->packets[1], 1);
	ck_assert_uint_eq(f->octets[1], 30);
	ck_assert_uint_eq(flow_table_clock_jumps(ft), 1);
	flow_table_free(ft);
}
END_TEST

/* The capture goes back an hour for good: the clock follows once two
 * packets agree; flows open before look no newer than the clock, so
 * expiry goes on. */
START_TEST(test_capture_goes_back)
{
	struct seen s;
	struct flow_table *ft = mk(64, 30 * SEC_US, 0, 0, &s);

	s.idle_us = 30 * SEC_US;
	upd(ft, pkt(A, 1, B, 2, UDP, T0 + HOUR, 10, 0));
	upd(ft, pkt(A, 3, B, 4, UDP, T0, 10, 0));
	upd(ft, pkt(A, 5, B, 6, UDP, T0 + 10, 10, 0));
	ck_assert_uint_eq(flow_table_clock_jumps(ft), 1);
	ck_assert_uint_eq(flow_table_clock(ft), T0 + 10);
	for (int i = 1; i <= 40; i++) {
		s.now = T0 + (uint64_t)i * SEC_US;
		upd(ft, pkt(C, 7, B, 8, UDP, s.now, 10, 0));
	}
	/* the three first flows ended 30 s after the jump; the one from
	 * before it keeps its packet's time */
	ck_assert_int_eq(s.by_reason[END_IDLE_TIMEOUT], 3);
	ck_assert_uint_eq(s.rec[0].key.sport, 1);
	ck_assert_uint_eq(s.rec[0].start_us, T0 + HOUR);
	ck_assert_uint_eq(s.rec[0].last_us, T0 + HOUR);
	ck_assert_int_eq(s.bad_idle, 0);
	ck_assert_uint_eq(flow_table_time_outliers(ft), 0);
	flow_table_free(ft);
}
END_TEST

/* The stress run again with one packet in 997 stamped an hour off
 * (either way, never two in a row): expiry goes on, records hold every
 * packet, and no flow ends by idle timeout before its time. */
START_TEST(test_stress_outliers)
{
	enum { MAX = 60000, IDS = 50000, PKTS = 300000 };
	struct seen s;
	struct flow_table *ft = mk(MAX, 100000, 400000, 0, &s);
	uint64_t x = 88172645463325252ULL;
	int odd = 0;

	s.idle_us = 100000;
	for (int i = 0; i < PKTS; i++) {
		uint32_t id;
		uint64_t ts = T0 + (uint64_t)i;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		id = (uint32_t)(x % IDS);
		s.now = ts;
		if (i % 997 == 500) {
			ts = x & 1024 ? ts + HOUR : ts - HOUR;
			odd++;
		}
		ck_assert_ptr_nonnull(upd(ft, pkt(0x0a000000 + id, 1000, B,
						  443, UDP, ts, 100, 0)));
	}
	ck_assert_uint_eq(flow_table_time_outliers(ft), (uint64_t)odd);
	ck_assert_int_gt(odd, 100);
	ck_assert_int_eq(s.bad_idle, 0);
	ck_assert_int_gt(s.by_reason[END_IDLE_TIMEOUT], 0);
	ck_assert_int_eq(s.by_reason[END_LACK_OF_RESOURCES], 0);
	s.now = 0;
	flow_table_flush(ft, END_FORCED);
	ck_assert_uint_eq(s.pkt_sum, PKTS);
	flow_table_free(ft);
}
END_TEST

/* ---- N tables (workers) fed one capture: flow_table_observe ---------- */

struct rec_log {
	size_t n, cap;
	struct { uint64_t start, last, oct; uint32_t src, pkts; int r; } *r;
};

static void log_end(void *ctx, struct flow *f, enum flow_end_reason r)
{
	struct rec_log *l = ctx;

	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 1024;
		l->r = realloc(l->r, l->cap * sizeof(*l->r));
		ck_assert_ptr_nonnull(l->r);
	}
	memset(&l->r[l->n], 0, sizeof(l->r[0]));    /* padding compared */
	l->r[l->n].src = (uint32_t)f->key.src[12] << 24 |
			 (uint32_t)f->key.src[13] << 16 |
			 (uint32_t)f->key.src[14] << 8 | f->key.src[15];
	l->r[l->n].start = f->start_us;
	l->r[l->n].last = f->last_us;
	l->r[l->n].oct = f->octets[0] + f->octets[1];
	l->r[l->n].pkts = f->packets[0] + f->packets[1];
	l->r[l->n].r = r;
	l->n++;
}

static int rec_cmp(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(((struct rec_log *)0)->r[0]));
}

/*
 * One table given every packet, and three given a third each by source
 * address (as -w 3 spreads them) and the stamps of the others
 * (flow_table_observe), end the same records: with packets reordered by
 * more than the idle timeout, real gaps forward, the capture going back
 * an hour, and single far-off stamps.
 */
START_TEST(test_observe_partitions)
{
	enum { N = 3, IDS = 300, PKTS = 200000 };
	struct flow_table_cfg cfg = { .max_flows = 4096, .idle_us = 30000000,
				      .active_us = 120000000 };
	struct rec_log one = { 0 }, many = { 0 };
	struct flow_table *ft1 = flow_table_new(&cfg, log_end, NULL, &one);
	struct flow_table *ftn[N];
	uint64_t x = 88172645463325252ULL, t = T0;

	ck_assert_ptr_nonnull(ft1);
	for (int k = 0; k < N; k++) {
		ftn[k] = flow_table_new(&cfg, log_end, NULL, &many);
		ck_assert_ptr_nonnull(ftn[k]);
	}
	for (int i = 0; i < PKTS; i++) {
		struct pkt_view pv;
		uint64_t ts;
		uint32_t id;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		id = (uint32_t)(x % IDS);
		t += x % 400000;                        /* 0.2 s on average */
		if (i % 20011 == 10000)
			t += 150000000;                 /* a gap: 2.5 min */
		if (i == PKTS / 2)
			t -= HOUR;                      /* the capture goes back */
		ts = t;
		if (x % 97 == 0)
			ts -= 45000000;                 /* reordered, > idle */
		if (i % 4999 == 77)
			ts += (x & 1) ? 3 * HOUR : -3 * HOUR;   /* outlier */
		pv = pkt(0x0a000000 + id, 1000, B, 443, UDP, ts, 100, 0);
		flow_table_update(ft1, &pv);
		for (int k = 0; k < N; k++) {
			if ((int)(id % N) == k)
				flow_table_update(ftn[k], &pv);
			else
				flow_table_observe(ftn[k], ts);
		}
	}
	flow_table_flush(ft1, END_FORCED);
	for (int k = 0; k < N; k++)
		flow_table_flush(ftn[k], END_FORCED);
	{
		uint64_t out1 = flow_table_time_outliers(ft1), outn = 0;
		uint64_t j1 = flow_table_clock_jumps(ft1), jn = 0;

		for (int k = 0; k < N; k++) {
			outn += flow_table_time_outliers(ftn[k]);
			jn += flow_table_clock_jumps(ftn[k]);
		}
		ck_assert_uint_gt(out1, 10);
		ck_assert_uint_gt(j1, 5);
		ck_assert_uint_eq(outn, out1);
		ck_assert_uint_eq(jn, j1);
	}
	ck_assert_uint_gt(one.n, (size_t)IDS * 5);
	ck_assert_uint_eq(many.n, one.n);
	qsort(one.r, one.n, sizeof(one.r[0]), rec_cmp);
	qsort(many.r, many.n, sizeof(many.r[0]), rec_cmp);
	for (size_t i = 0; i < one.n; i++)
		ck_assert_msg(rec_cmp(&one.r[i], &many.r[i]) == 0,
			      "record %zu differs", i);
	flow_table_free(ft1);
	for (int k = 0; k < N; k++)
		flow_table_free(ftn[k]);
	free(one.r);
	free(many.r);
}
END_TEST

static Suite *flow_table_suite(void)
{
	Suite *su = suite_create("flow_table");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_biflow_direction);
	tcase_add_test(tc, test_initiator_first_sender);
	tcase_add_test(tc, test_vlan_in_key);
	tcase_add_test(tc, test_idle_timeout);
	tcase_add_test(tc, test_active_timeout);
	tcase_add_test(tc, test_eviction_lru);
	tcase_add_test(tc, test_tcp_rst);
	tcase_add_test(tc, test_tcp_fin);
	tcase_add_test(tc, test_flush_lru_order);
	tcase_add_test(tc, test_fragments);
	tcase_add_test(tc, test_symmetric_hash);
	tcase_add_test(tc, test_on_packet_dir);
	tcase_add_test(tc, test_update_bucket_hint);
	tcase_add_test(tc, test_memory);
	tcase_add_test(tc, test_stress);
	tcase_add_test(tc, test_future_packet_does_not_stall);
	tcase_add_test(tc, test_past_packet_at_clock);
	tcase_add_test(tc, test_future_packet_ends_nothing);
	tcase_add_test(tc, test_real_gap_believed);
	tcase_add_test(tc, test_sparse_capture);
	tcase_add_test(tc, test_gap_splits_own_flow);
	tcase_add_test(tc, test_capture_goes_back);
	tcase_add_test(tc, test_stress_outliers);
	tcase_add_test(tc, test_observe_partitions);
	suite_add_tcase(su, tc);
	return su;
}

int main(void)
{
	SRunner *sr = srunner_create(flow_table_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
