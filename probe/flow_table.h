/*
 * flow_table.h - bidirectional flow table (RFC 5103 biflows).
 *
 * Owns all flow memory: a preallocated array of entries, a bucket array and
 * an LRU list ordered by last packet time, all sized at creation.  Nothing is
 * allocated per packet.  Time is the packets' own timestamps, as far as a
 * clock that one far-off stamp cannot move believes them (flow_table.c).
 *
 * A flow's key is the one of its first packet: that packet's sender is the
 * initiator (direction 0), the other end answers (direction 1).  The hash is
 * symmetric in the address/port pair, so both directions of a biflow land in
 * the same bucket.
 */
#ifndef SKYPROBE_FLOW_TABLE_H
#define SKYPROBE_FLOW_TABLE_H

#include <stdint.h>
#include "decode.h"
#include "sig_flow.h"

/* flowEndReason (IANA IE 136) */
enum flow_end_reason {
	END_IDLE_TIMEOUT = 1,
	END_ACTIVE_TIMEOUT = 2,
	END_OF_FLOW = 3,        /* TCP FIN both ways, or RST */
	END_FORCED = 4,         /* shutdown, end of file */
	END_LACK_OF_RESOURCES = 5,
};

#define FLOW_NIL UINT32_MAX

struct flow_key {
	uint8_t  src[16];       /* initiator address (v4-mapped for IPv4) */
	uint8_t  dst[16];
	uint16_t sport;
	uint16_t dport;
	uint16_t vlan_id;       /* 0 when VLAN is not part of the key */
	uint8_t  proto;
	uint8_t  ip_version;
};

struct flow {
	struct flow_key key;
	uint64_t start_us;      /* first packet of this record */
	uint64_t last_us;       /* last packet */
	uint64_t seen_us;       /* last packet on the table's clock: idle
				   expiry and LRU order (flow_table.c) */
	uint64_t octets[2];     /* IP octets, [0] forward, [1] reverse */
	uint32_t packets[2];
	uint32_t hash_next;     /* bucket chain (entry index) */
	uint32_t lru_prev;
	uint32_t lru_next;
	uint32_t session_id;    /* skypeSessionId, 0 when none */
	uint16_t icmp_typecode; /* of the first ICMP packet */
	uint16_t vlan_id;       /* VLAN of the first packet (exported) */
	uint8_t  init_flags[2]; /* TCP flags of the first packet each way */
	uint8_t  union_flags[2];
	uint8_t  tos;           /* of the first packet */
	uint8_t  fin_mask;      /* bit d: FIN seen in direction d */
	uint8_t  role;          /* enum skype_flow_role */
	uint8_t  in_use;
	struct sig_flow sig;    /* signature state, see sig_flow.h */
};

/*
 * The table's clock (see "Time" in flow_table.c): a packet stamped more
 * than this far ahead of or behind the clock is not believed on its own.
 */
#define FLOW_CLOCK_STEP_US (60ULL * 1000000ULL)

struct flow_table_cfg {
	uint32_t max_flows;     /* table capacity; LRU eviction beyond */
	uint64_t idle_us;       /* idle timeout */
	uint64_t active_us;     /* active timeout */
	int      vlan_in_key;
	uint64_t clock_step_us; /* 0: FLOW_CLOCK_STEP_US */
	int      prefault;      /* touch every entry now (live capture) */
};

/* Called when a flow record is complete, before its entry is reused. */
typedef void (*flow_end_fn)(void *ctx, struct flow *f, enum flow_end_reason r);
/* Called for every packet after its flow's counters are updated and before
 * the flow can end; dir is 0 for initiator->responder, 1 for the reverse. */
typedef void (*flow_packet_fn)(void *ctx, struct flow *f,
			       const struct pkt_view *pv, int dir);

struct flow_table;

struct flow_table *flow_table_new(const struct flow_table_cfg *cfg,
				  flow_end_fn on_end, flow_packet_fn on_packet,
				  void *ctx);
void flow_table_free(struct flow_table *ft);

/* Live-changeable settings (SIGHUP); capacity is not. */
void flow_table_set_timeouts(struct flow_table *ft, uint64_t idle_us,
			     uint64_t active_us);

/*
 * Account one decoded packet: expire idle flows up to pv->ts_us, find or
 * create its flow (evicting the least recently used one with
 * END_LACK_OF_RESOURCES when full), apply the active timeout, update
 * counters, call on_packet, then end the flow on TCP FIN both ways or RST.
 * Returns the flow (valid until the next call) or NULL when it ended.
 */
struct flow *flow_table_update(struct flow_table *ft,
			       const struct pkt_view *pv);

/*
 * Prefetch hints for a batch of packets, so that their cache misses
 * overlap: stage 1 returns the packet's bucket and prefetches its head;
 * stage 2 (once every packet of the batch had stage 1) prefetches the
 * flow entry that head names.  Hints only: nothing is changed, and
 * flow_table_update() is correct without them.
 */
uint32_t flow_table_prefetch_bucket(const struct flow_table *ft,
				    const struct pkt_view *pv);
void flow_table_prefetch_flow(const struct flow_table *ft, uint32_t bucket);
/* flow_table_update() with the bucket flow_table_prefetch_bucket() gave
 * for the same packet, so it is not hashed twice. */
struct flow *flow_table_update_bucket(struct flow_table *ft,
				      const struct pkt_view *pv,
				      uint32_t bucket);

/* Look up without creating; *dir receives the direction.  NULL if absent. */
struct flow *flow_table_lookup(struct flow_table *ft,
			       const struct pkt_view *pv, int *dir);

/* now_us is a trusted time (wall clock of a live capture): the clock
 * moves up to it, then every flow idle since before clock - idle timeout
 * ends. */
void flow_table_expire(struct flow_table *ft, uint64_t now_us);

/*
 * A packet stamped ts_us was accounted by another table (another worker):
 * this table's clock moves exactly as if the packet were its own, so that
 * N tables fed one capture's packets between them age and judge time as
 * one table would.
 */
void flow_table_observe(struct flow_table *ft, uint64_t ts_us);

/* The clock: the newest packet time believed (0 before any packet). */
uint64_t flow_table_clock(const struct flow_table *ft);
/* Packets whose time was not believed (accounted at the clock's time). */
uint64_t flow_table_time_outliers(const struct flow_table *ft);
/* Jumps of the clock of more than the step that were believed, because
 * the packet after the jump agreed with it. */
uint64_t flow_table_clock_jumps(const struct flow_table *ft);

/* End every flow with reason r (shutdown, end of file). */
void flow_table_flush(struct flow_table *ft, enum flow_end_reason r);

uint32_t flow_table_active(const struct flow_table *ft);
uint64_t flow_table_evicted(const struct flow_table *ft);
/* Bytes of memory the table holds, for the bytes-per-flow benchmark. */
size_t flow_table_memory(const struct flow_table *ft);

/* Symmetric hash of the address/port pair (same for both directions). */
uint32_t flow_hash_symmetric(const struct pkt_view *pv);

#endif
