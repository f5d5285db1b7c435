/*
 * flow_table.c - bidirectional flow table (RFC 5103 biflows).
 *
 * Owns every byte of flow state: an entry array of max_flows flows, a bucket
 * array of chain heads (entry indexes, chained through hash_next), a free
 * list (also through hash_next), an LRU list ordered by last packet time
 * (lru_prev/lru_next, head = least recently seen) and a small direct-mapped
 * cache that gives non-first IP fragments the ports of their first fragment.
 * All of it is allocated by flow_table_new(); the packet path allocates
 * nothing.
 *
 * Timing rules (all times are packet timestamps, in microseconds):
 *  - idle: a flow ends when seen_us + idle_us <= now (seen_us is last_us
 *    unless the clock went back, see Time), i.e. after exactly
 *    idle_us of silence (same rule as YAF).  A packet arriving exactly at
 *    last_us + idle_us starts a new flow.
 *  - active: a packet with ts_us - start_us >= active_us first closes the
 *    current record (END_ACTIVE_TIMEOUT), then is the first packet of the
 *    continuation record of the same flow.
 *  - A timeout of 0 disables that timeout.
 *  - Packets whose timestamp goes backwards never move last_us backwards;
 *    a flow is seen at the clock's time, so one stamped behind it
 *    (reordered, less than the clock step) has its idle expiry delayed by
 *    the amount of reordering, and the LRU list stays exactly ordered.
 *
 * Time: expiry follows the table's clock, not each packet's stamp.  The
 * clock is the newest packet time believed; it never moves by more than
 * the step (FLOW_CLOCK_STEP_US, 60 s) on one packet's word:
 *  - a packet stamped within the step of the clock is believed as it is;
 *  - a packet stamped more than the step ahead is a candidate jump: it is
 *    accounted to its flow at the clock's time (nothing expires, no active
 *    timeout fires on it) until the next packet decides.  When that packet
 *    agrees (it is not more than the step before the candidate) the jump
 *    was real, a gap in the capture: the clock takes the candidate's time
 *    and the candidate's flow gets its own times back, so a sparse capture
 *    meters as it always did.  Otherwise the candidate was an outlier: it
 *    stays counted at the clock's time and flow_table_time_outliers()
 *    counts it;
 *  - a packet stamped more than the step behind the clock is the same, the
 *    other way: a candidate confirmed by the next packet rewinds the clock
 *    (the capture went back in time), and then every open flow that looks
 *    newer than the clock is brought back to it, so that nothing stalls.
 * One wrong stamp thus can neither stall idle expiry (no flow ever looks
 * newer than the clock) nor end other flows early (the clock does not
 * follow it).  The step is far above any reordering of a capture and far
 * below the hour of a clock error that matters.  The next packet decides
 * (not K > 1 packets): sparse captures, a packet every few minutes, are
 * all real gaps.  The cost of a real gap: other flows idle out one packet
 * later; when the first packet after it belongs to a flow idle across
 * the gap, its record ends (idle timeout) only when the next packet
 * agrees: the record is then taken back to what it was before that
 * packet, ended, and the packet starts the next record.  Two consecutive
 * packets wrong by the same far amount are believed (the clock comes back
 * when the next two right ones agree).  Expiry compares each flow's
 * seen_us: the clock's time at its last packet (that packet's own time
 * unless it came out of order), or the clock's after it went back.
 *
 * TCP: RST in either direction ends the flow at that packet (END_OF_FLOW).
 * After FIN in both directions the flow waits, as YAF does, for the last
 * ACK: the next packet without FIN is counted to it and ends it.  Had that
 * packet started a flow of its own, every closed connection would leave a
 * one-packet record behind it.  A closing flow that never sees that ACK
 * still ends with END_OF_FLOW, at idle timeout or flush.
 *
 * Callbacks: on_end sees the flow while it is still linked in the table and
 * before its entry is reused; it may call flow_table_lookup() but must not
 * call flow_table_update(), _expire() or _flush() (no re-entry).
 */
#include "flow_table.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define TCP_FIN 0x01
#define TCP_RST 0x04
#define PROTO_TCP 6

/* Fragment cache: 4096 direct-mapped slots (about 224 KiB).  A slot older
 * than FRAG_TTL_US (the usual reassembly timeout order) is not trusted. */
#define FRAG_SLOTS 4096u
#define FRAG_TTL_US (30ULL * 1000000ULL)

struct frag_slot {
	uint8_t  src[16];
	uint8_t  dst[16];
	uint64_t ts_us;
	uint32_t frag_id;
	uint16_t sport;
	uint16_t dport;
	uint8_t  proto;
	uint8_t  used;
};

struct flow_table {
	struct flow *flows;
	uint32_t *buckets;
	uint32_t bucket_mask;
	uint32_t max_flows;
	uint32_t free_head;     /* entries released by flow_end */
	uint32_t next_fresh;    /* entries never used start here */
	uint32_t lru_head;      /* least recently seen */
	uint32_t lru_tail;      /* most recently seen */
	uint32_t active;
	uint64_t evicted;
	uint64_t idle_us;
	uint64_t active_us;
	int vlan_in_key;
	/* the clock (see Time above) */
	uint64_t clock_us;
	uint64_t step_us;
	uint64_t cand_us;       /* candidate time, valid when cand */
	uint64_t outliers;
	uint64_t jumps;
	uint32_t cand_flow;     /* the candidate's flow, or FLOW_NIL */
	uint8_t  clock_set;
	uint8_t  cand;          /* a candidate jump waits for the next packet */
	uint8_t  cand_created;  /* the candidate started its flow */
	struct flow_key cand_key;
	struct flow cand_before; /* its flow's record before it, and */
	struct pkt_view cand_pv; /* the candidate, at the clock's time */
	uint8_t  cand_dir;
	flow_end_fn on_end;
	flow_packet_fn on_packet;
	void *ctx;
	size_t memory;
	struct frag_slot frags[FRAG_SLOTS];
};

/* ---- hashing -------------------------------------------------------- */

/* MurmurHash3 64-bit finalizer: a bijection with full avalanche. */
static inline uint64_t mix64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

static inline uint64_t end_hash(const uint8_t addr[16], uint16_t port)
{
	uint64_t lo, hi;

	memcpy(&lo, addr, 8);
	memcpy(&hi, addr + 8, 8);
	return mix64(hi ^ mix64(lo + port + 0x9e3779b97f4a7c15ULL));
}

/*
 * Each end is hashed on its own and the two are added: addition commutes,
 * so both directions hash alike, and unlike XOR it does not send every
 * flow whose two ends are equal to the same value.
 */
static inline uint64_t pair_hash(const uint8_t a[16], uint16_t aport,
				 const uint8_t b[16], uint16_t bport,
				 uint8_t proto, uint16_t vlan)
{
	uint64_t h = end_hash(a, aport) + end_hash(b, bport);

	return mix64(h ^ (((uint64_t)proto << 16 | vlan) *
			  0x94d049bb133111ebULL));
}

uint32_t flow_hash_symmetric(const struct pkt_view *pv)
{
	return (uint32_t)(pair_hash(pv->src, pv->sport, pv->dst, pv->dport,
				    pv->proto, 0) >> 32);
}

static inline uint32_t key_bucket(const struct flow_table *ft,
				  const struct flow_key *k)
{
	return (uint32_t)pair_hash(k->src, k->sport, k->dst, k->dport,
				   k->proto, k->vlan_id) & ft->bucket_mask;
}

/* struct flow_key has no padding (40 bytes of 1- and 2-byte aligned
 * fields), so whole keys compare with memcmp. */
static void key_from_view(const struct flow_table *ft,
			  const struct pkt_view *pv, struct flow_key *k)
{
	memcpy(k->src, pv->src, 16);
	memcpy(k->dst, pv->dst, 16);
	k->sport = pv->sport;
	k->dport = pv->dport;
	k->vlan_id = ft->vlan_in_key ? pv->vlan_id : 0;
	k->proto = pv->proto;
	k->ip_version = pv->ip_version;
}

/* ---- lists ---------------------------------------------------------- */

static void lru_unlink(struct flow_table *ft, uint32_t i)
{
	struct flow *f = &ft->flows[i];

	if (f->lru_prev != FLOW_NIL)
		ft->flows[f->lru_prev].lru_next = f->lru_next;
	else
		ft->lru_head = f->lru_next;
	if (f->lru_next != FLOW_NIL)
		ft->flows[f->lru_next].lru_prev = f->lru_prev;
	else
		ft->lru_tail = f->lru_prev;
	f->lru_prev = f->lru_next = FLOW_NIL;
}

static void lru_append(struct flow_table *ft, uint32_t i)
{
	struct flow *f = &ft->flows[i];

	f->lru_prev = ft->lru_tail;
	f->lru_next = FLOW_NIL;
	if (ft->lru_tail != FLOW_NIL)
		ft->flows[ft->lru_tail].lru_next = i;
	else
		ft->lru_head = i;
	ft->lru_tail = i;
}

static void lru_touch(struct flow_table *ft, uint32_t i)
{
	if (ft->lru_tail == i)
		return;
	lru_unlink(ft, i);
	lru_append(ft, i);
}

static void bucket_unlink(struct flow_table *ft, uint32_t i)
{
	uint32_t *link = &ft->buckets[key_bucket(ft, &ft->flows[i].key)];

	while (*link != FLOW_NIL) {
		if (*link == i) {
			*link = ft->flows[i].hash_next;
			return;
		}
		link = &ft->flows[*link].hash_next;
	}
}

/* Report the record, then return its entry to the free list. */
static int fin_both_ways(const struct flow *f)
{
	return (f->fin_mask & 3) == 3;
}

static void flow_end(struct flow_table *ft, uint32_t i,
		     enum flow_end_reason reason)
{
	struct flow *f = &ft->flows[i];

	/* A connection closed by FIN both ways ended, whatever ends its
	 * record (timeout, flush). */
	if (fin_both_ways(f) && reason != END_LACK_OF_RESOURCES)
		reason = END_OF_FLOW;
	if (ft->on_end)
		ft->on_end(ft->ctx, f, reason);
	bucket_unlink(ft, i);
	lru_unlink(ft, i);
	f->in_use = 0;
	f->hash_next = ft->free_head;
	ft->free_head = i;
	ft->active--;
}

/* ---- creation ------------------------------------------------------- */

/*
 * The entry and bucket arrays are far larger than what the TLB covers, and
 * every packet lands at a random place in both: ask for huge pages (a hint;
 * the kernel may decline).  Anonymous memory is zero and costs nothing
 * until touched, as calloc's.
 */
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23     /* Linux 5.14 */
#endif

#define HUGE_PAGE (2u << 20)

static size_t huge_round(size_t len)
{
	return (len + HUGE_PAGE - 1) & ~(size_t)(HUGE_PAGE - 1);
}

/*
 * Entries are touched when first used, so a capture file costs the memory
 * of the flows it holds; prefault (live capture) touches them all now:
 * the kernel zeroing a page for every few new flows would otherwise land
 * on the packet path, during the very bursts of new flows a live probe
 * must ride out.
 */
static void *table_alloc(size_t len, int prefault)
{
	void *p = mmap(NULL, huge_round(len), PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	madvise(p, huge_round(len), MADV_HUGEPAGE);
	if (prefault && madvise(p, huge_round(len), MADV_POPULATE_WRITE) < 0)
		memset(p, 0, len);      /* kernels before 5.14 */
	return p;
}

static void table_free(void *p, size_t len)
{
	if (p)
		munmap(p, huge_round(len));
}

static uint32_t bucket_count(uint32_t max_flows)
{
	/* Keep the load factor at or below 3/4: chains stay ~1 entry. */
	uint64_t want = (uint64_t)max_flows + max_flows / 3 + 1;
	uint64_t n = 1;

	while (n < want)
		n <<= 1;
	return (uint32_t)n;
}

struct flow_table *flow_table_new(const struct flow_table_cfg *cfg,
				  flow_end_fn on_end, flow_packet_fn on_packet,
				  void *ctx)
{
	struct flow_table *ft;
	uint32_t nb;

	/* FLOW_NIL is an index value; cap far below it. */
	if (!cfg || cfg->max_flows == 0 || cfg->max_flows > (1u << 30))
		return NULL;
	ft = calloc(1, sizeof(*ft));
	if (!ft)
		return NULL;
	nb = bucket_count(cfg->max_flows);
	ft->max_flows = cfg->max_flows;
	ft->bucket_mask = nb - 1;
	ft->flows = table_alloc((size_t)cfg->max_flows * sizeof(*ft->flows),
				cfg->prefault);
	ft->buckets = table_alloc((size_t)nb * sizeof(*ft->buckets),
				  cfg->prefault);
	if (!ft->flows || !ft->buckets) {
		flow_table_free(ft);
		return NULL;
	}
	memset(ft->buckets, 0xff, (size_t)nb * sizeof(*ft->buckets));
	/* Entries are handed out in index order and only then touched, so a
	 * large table costs memory for the flows it really holds. */
	ft->free_head = FLOW_NIL;
	ft->next_fresh = 0;
	ft->lru_head = ft->lru_tail = FLOW_NIL;
	ft->idle_us = cfg->idle_us;
	ft->active_us = cfg->active_us;
	ft->vlan_in_key = cfg->vlan_in_key;
	ft->step_us = cfg->clock_step_us ? cfg->clock_step_us :
		      FLOW_CLOCK_STEP_US;
	ft->cand_flow = FLOW_NIL;
	ft->on_end = on_end;
	ft->on_packet = on_packet;
	ft->ctx = ctx;
	ft->memory = sizeof(*ft) +
		     (size_t)cfg->max_flows * sizeof(*ft->flows) +
		     (size_t)nb * sizeof(*ft->buckets);
	return ft;
}

void flow_table_free(struct flow_table *ft)
{
	if (!ft)
		return;
	table_free(ft->flows, (size_t)ft->max_flows * sizeof(*ft->flows));
	table_free(ft->buckets,
		   ((size_t)ft->bucket_mask + 1) * sizeof(*ft->buckets));
	free(ft);
}

void flow_table_set_timeouts(struct flow_table *ft, uint64_t idle_us,
			     uint64_t active_us)
{
	ft->idle_us = idle_us;
	ft->active_us = active_us;
}

/* ---- fragments ------------------------------------------------------ */

static uint32_t frag_slot_index(const struct pkt_view *pv)
{
	uint64_t a, b, c, d;

	memcpy(&a, pv->src, 8);
	memcpy(&b, pv->src + 8, 8);
	memcpy(&c, pv->dst, 8);
	memcpy(&d, pv->dst + 8, 8);
	return (uint32_t)mix64(a ^ mix64(b ^ mix64(c ^ mix64(d ^
		((uint64_t)pv->frag_id << 8 | pv->proto))))) &
	       (FRAG_SLOTS - 1);
}

static int frag_slot_matches(const struct frag_slot *s,
			     const struct pkt_view *pv)
{
	return s->used && s->frag_id == pv->frag_id &&
	       s->proto == pv->proto &&
	       memcmp(s->src, pv->src, 16) == 0 &&
	       memcmp(s->dst, pv->dst, 16) == 0 &&
	       (pv->ts_us < s->ts_us || pv->ts_us - s->ts_us < FRAG_TTL_US);
}

static void frag_remember(struct flow_table *ft, const struct pkt_view *pv)
{
	struct frag_slot *s = &ft->frags[frag_slot_index(pv)];

	memcpy(s->src, pv->src, 16);
	memcpy(s->dst, pv->dst, 16);
	s->ts_us = pv->ts_us;
	s->frag_id = pv->frag_id;
	s->sport = pv->sport;
	s->dport = pv->dport;
	s->proto = pv->proto;
	s->used = 1;
}

/*
 * A non-first fragment carries no ports: borrow those of its first
 * fragment.  When the first fragment was not seen (lost, reordered, or its
 * slot reused) the fragment is counted to the portless flow of its address
 * pair and protocol.  Returns the view to account: pv itself or *local.
 */
static const struct pkt_view *frag_resolve(const struct flow_table *ft,
					   const struct pkt_view *pv,
					   struct pkt_view *local)
{
	const struct frag_slot *s;

	if (!(pv->frag & PKT_FRAG_LATER))
		return pv;
	*local = *pv;
	s = &ft->frags[frag_slot_index(pv)];
	if (frag_slot_matches(s, pv)) {
		local->sport = s->sport;
		local->dport = s->dport;
	} else {
		local->sport = 0;
		local->dport = 0;
	}
	return local;
}

/* ---- prefetch hints ------------------------------------------------ */

uint32_t flow_table_prefetch_bucket(const struct flow_table *ft,
				    const struct pkt_view *pv)
{
	uint32_t b = (uint32_t)pair_hash(pv->src, pv->sport, pv->dst,
					 pv->dport, pv->proto,
					 ft->vlan_in_key ? pv->vlan_id : 0) &
		     ft->bucket_mask;

	__builtin_prefetch(&ft->buckets[b]);
	return b;
}

/* The key, counters and chain/LRU links are the entry's first 100 bytes;
 * entries are 144 bytes, not line aligned, so they touch up to 3 lines. */
void flow_table_prefetch_flow(const struct flow_table *ft, uint32_t bucket)
{
	uint32_t i = ft->buckets[bucket];
	const char *e;

	if (i == FLOW_NIL)
		return;
	e = (const char *)&ft->flows[i];
	__builtin_prefetch(e, 1);
	__builtin_prefetch(e + 64, 1);
	__builtin_prefetch(e + offsetof(struct flow, session_id) - 1, 1);
}

/* ---- lookup, expiry ------------------------------------------------- */

/* fk is k with its two ends swapped: the answering direction. */
static int key_is_reverse(const struct flow_key *fk, const struct flow_key *k)
{
	return fk->sport == k->dport && fk->dport == k->sport &&
	       fk->vlan_id == k->vlan_id && fk->proto == k->proto &&
	       fk->ip_version == k->ip_version &&
	       memcmp(fk->src, k->dst, 16) == 0 &&
	       memcmp(fk->dst, k->src, 16) == 0;
}

static uint32_t find(const struct flow_table *ft, const struct flow_key *k,
		     uint32_t bucket, int *dir)
{
	uint32_t i;

	for (i = ft->buckets[bucket]; i != FLOW_NIL;
	     i = ft->flows[i].hash_next) {
		const struct flow_key *fk = &ft->flows[i].key;

		if (memcmp(fk, k, sizeof(*fk)) == 0) {
			*dir = 0;
			return i;
		}
		if (key_is_reverse(fk, k)) {
			*dir = 1;
			return i;
		}
	}
	return FLOW_NIL;
}

struct flow *flow_table_lookup(struct flow_table *ft,
			       const struct pkt_view *pv, int *dir)
{
	struct pkt_view local;
	struct flow_key k;
	uint32_t i;
	int d = 0;

	pv = frag_resolve(ft, pv, &local);
	key_from_view(ft, pv, &k);
	i = find(ft, &k, key_bucket(ft, &k), &d);
	if (i == FLOW_NIL)
		return NULL;
	if (dir)
		*dir = d;
	return &ft->flows[i];
}

static int idle_expired(const struct flow *f, uint64_t now, uint64_t idle)
{
	return idle && now >= f->seen_us && now - f->seen_us >= idle;
}

static void expire_to(struct flow_table *ft, uint64_t now_us)
{
	while (ft->lru_head != FLOW_NIL &&
	       idle_expired(&ft->flows[ft->lru_head], now_us, ft->idle_us))
		flow_end(ft, ft->lru_head, END_IDLE_TIMEOUT);
}

/* ---- the clock ------------------------------------------------------ */

/* Count a packet to its flow (the update's and a confirmed gap's). */
static inline __attribute__((always_inline)) void
account(struct flow *f, const struct pkt_view *pv, int dir)
{
	if (f->packets[dir] == 0)
		f->init_flags[dir] = pv->tcp_flags;
	f->packets[dir]++;
	f->octets[dir] += pv->ip_len;
	f->union_flags[dir] |= pv->tcp_flags;
	if (pv->ts_us > f->last_us)
		f->last_us = pv->ts_us;
	if (pv->ts_us > f->seen_us)
		f->seen_us = pv->ts_us;
	if (pv->proto == PROTO_TCP && (pv->tcp_flags & TCP_FIN))
		f->fin_mask |= 1u << dir;
}

static void flow_continue(struct flow_table *ft, uint32_t i, uint64_t ts_us,
			  enum flow_end_reason reason);

/* The clock went back to now: no open flow may look newer than it. */
static void clock_rewind(struct flow_table *ft, uint64_t now)
{
	for (uint32_t i = ft->lru_head; i != FLOW_NIL;
	     i = ft->flows[i].lru_next) {
		struct flow *f = &ft->flows[i];

		if (f->seen_us > now)
			f->seen_us = now;
	}
}

/* The packet after the candidate agreed with it: take its time, and give
 * the candidate's flow (when it is still the same flow) its times. */
static void clock_confirm(struct flow_table *ft)
{
	uint64_t t = ft->cand_us;
	struct flow *f;

	ft->cand = 0;
	if (ft->cand_flow != FLOW_NIL)  /* observed ones: their own table's */
		ft->jumps++;
	if (t < ft->clock_us)
		clock_rewind(ft, t);
	ft->clock_us = t;
	if (ft->cand_flow == FLOW_NIL)
		return;
	f = &ft->flows[ft->cand_flow];
	if (!f->in_use || memcmp(&f->key, &ft->cand_key, sizeof(f->key)))
		return;
	if (ft->cand_created) {
		f->start_us = f->last_us = t;
	} else if (idle_expired(&ft->cand_before, t, ft->idle_us)) {
		/* The flow was idle across the gap: its record ended before
		 * the candidate, which starts the next one as a new flow
		 * would: the record's end is an idle end for the signature
		 * too (a Skype connection is then resumed by the signature's
		 * own continuity, from the next packet on). */
		struct flow_key key = f->key;
		uint32_t hn = f->hash_next, lp = f->lru_prev, ln = f->lru_next;
		struct sig_flow sig = f->sig;
		uint32_t sid = f->session_id;
		uint8_t role = f->role;

		*f = ft->cand_before;
		f->key = key;
		f->hash_next = hn;
		f->lru_prev = lp;
		f->lru_next = ln;
		f->sig = sig;
		f->session_id = sid;
		f->role = role;
		flow_continue(ft, ft->cand_flow, t, END_IDLE_TIMEOUT);
		memset(&f->sig, 0, sizeof(f->sig));
		f->role = 0;
		f->session_id = 0;
		/* first-packet attributes, and its sender the initiator (both
		 * ends hash alike: same bucket) */
		if (ft->cand_dir) {
			memcpy(f->key.src, ft->cand_pv.src, 16);
			memcpy(f->key.dst, ft->cand_pv.dst, 16);
			f->key.sport = ft->cand_pv.sport;
			f->key.dport = ft->cand_pv.dport;
		}
		f->vlan_id = ft->cand_pv.vlan_id;
		f->tos = ft->cand_pv.tos;
		f->icmp_typecode = ft->cand_pv.icmp_typecode;
		f->fin_mask = 0;
		account(f, &ft->cand_pv, 0);
	}
	if (t > f->last_us)
		f->last_us = t;
	f->seen_us = t;
	lru_touch(ft, ft->cand_flow);
}

/* Settle a waiting candidate by a time known to be right-ish (the next
 * packet's, or the wall clock's). */
static void clock_decide(struct flow_table *ft, uint64_t t)
{
	if (!ft->cand)
		return;
	if (ft->cand_us > ft->clock_us ? t + ft->step_us >= ft->cand_us :
					 t <= ft->cand_us + ft->step_us) {
		clock_confirm(ft);
	} else {
		ft->cand = 0;
		if (ft->cand_flow != FLOW_NIL)
			ft->outliers++;
	}
}

/*
 * The time a packet stamped t is accounted at; moves the clock.  Sets
 * *candidate when the packet is a candidate jump (accounted at the
 * clock's time until the next packet decides).
 */
static uint64_t clock_packet(struct flow_table *ft, uint64_t t,
			     int *candidate)
{
	*candidate = 0;
	if (!ft->clock_set) {
		ft->clock_set = 1;
		ft->clock_us = t;
		return t;
	}
	clock_decide(ft, t);
	if (t > ft->clock_us + ft->step_us || t + ft->step_us < ft->clock_us) {
		*candidate = 1;
		ft->cand = 1;
		ft->cand_us = t;
		ft->cand_flow = FLOW_NIL;
		return ft->clock_us;
	}
	if (t > ft->clock_us)
		ft->clock_us = t;
	return t;
}

void flow_table_observe(struct flow_table *ft, uint64_t ts_us)
{
	int candidate;

	/* A candidate seen here has no flow here (cand_flow stays FLOW_NIL):
	 * it moves this clock as it moves the owner's, and is counted once,
	 * by the table that holds its flow. */
	clock_packet(ft, ts_us, &candidate);
	expire_to(ft, ft->clock_us);
}

void flow_table_expire(struct flow_table *ft, uint64_t now_us)
{
	clock_decide(ft, now_us);
	if (!ft->clock_set || now_us > ft->clock_us) {
		ft->clock_set = 1;
		ft->clock_us = now_us;
	}
	expire_to(ft, ft->clock_us);
}

uint64_t flow_table_clock(const struct flow_table *ft)
{
	return ft->clock_us;
}

uint64_t flow_table_time_outliers(const struct flow_table *ft)
{
	return ft->outliers;
}

uint64_t flow_table_clock_jumps(const struct flow_table *ft)
{
	return ft->jumps;
}

/*
 * Ending a flow unlinks it from its bucket: a cache miss per flow when the
 * table is large.  A cursor FLUSH_AHEAD flows down the LRU list prefetches
 * those buckets.  The entries it passes stay linked until the head reaches
 * them: only the head ends, and on_end cannot end others (no re-entry).
 */
#define FLUSH_AHEAD 16

void flow_table_flush(struct flow_table *ft, enum flow_end_reason r)
{
	uint32_t ahead;
	int k;

	/* The end of the capture cannot tell: a last candidate is believed,
	 * as every packet was before the clock. */
	if (ft->cand) {
		clock_confirm(ft);
		expire_to(ft, ft->clock_us);
	}
	ahead = ft->lru_head;
	for (k = 0; k < FLUSH_AHEAD && ahead != FLOW_NIL; k++)
		ahead = ft->flows[ahead].lru_next;
	while (ft->lru_head != FLOW_NIL) {
		if (ahead != FLOW_NIL) {
			__builtin_prefetch(&ft->buckets[key_bucket(ft,
					   &ft->flows[ahead].key)], 1);
			ahead = ft->flows[ahead].lru_next;
		}
		flow_end(ft, ft->lru_head, r);
	}
}

/* ---- update --------------------------------------------------------- */

static uint32_t flow_create(struct flow_table *ft, const struct flow_key *k,
			    uint32_t bucket, const struct pkt_view *pv)
{
	struct flow *f;
	uint32_t i;

	if (ft->free_head == FLOW_NIL && ft->next_fresh < ft->max_flows) {
		i = ft->next_fresh++;
	} else {
		if (ft->free_head == FLOW_NIL) {
			flow_end(ft, ft->lru_head, END_LACK_OF_RESOURCES);
			ft->evicted++;
		}
		i = ft->free_head;
		ft->free_head = ft->flows[i].hash_next;
	}
	f = &ft->flows[i];
	memset(f, 0, sizeof(*f));
	f->key = *k;
	f->start_us = f->last_us = f->seen_us = pv->ts_us;
	f->vlan_id = pv->vlan_id;
	f->tos = pv->tos;
	f->icmp_typecode = pv->icmp_typecode;
	f->in_use = 1;
	f->hash_next = ft->buckets[bucket];
	ft->buckets[bucket] = i;
	lru_append(ft, i);
	ft->active++;
	return i;
}

/*
 * Close the current record and keep the flow: key, signature state, role,
 * session id and the first-packet attributes (vlan, tos, icmp type) carry
 * over; fin_mask too, so that a FIN pair spanning two records still ends
 * the flow.
 */
static void flow_continue(struct flow_table *ft, uint32_t i, uint64_t ts_us,
			  enum flow_end_reason reason)
{
	struct flow *f = &ft->flows[i];

	if (ft->on_end)
		ft->on_end(ft->ctx, f, reason);
	f->start_us = f->last_us = f->seen_us = ts_us;
	f->packets[0] = f->packets[1] = 0;
	f->octets[0] = f->octets[1] = 0;
	f->init_flags[0] = f->init_flags[1] = 0;
	f->union_flags[0] = f->union_flags[1] = 0;
}

static int active_expired(const struct flow *f, uint64_t now, uint64_t act)
{
	return act && now >= f->start_us && now - f->start_us >= act;
}

/* hint: the packet's bucket, or NULL to compute it. */
static struct flow *update(struct flow_table *ft, const struct pkt_view *pv,
			   const uint32_t *hint)
{
	const struct pkt_view *orig;
	struct pkt_view local, at_clock;
	struct flow_key k;
	struct flow *f;
	uint32_t bucket, i;
	int dir = 0, candidate;

	/* Every later step, and on_packet, sees the time the packet is
	 * accounted at: the clock's when its own is not (yet) believed. */
	if (clock_packet(ft, pv->ts_us, &candidate) != pv->ts_us) {
		at_clock = *pv;
		at_clock.ts_us = ft->clock_us;
		pv = &at_clock;
	}
	orig = pv;
	/* Expire first: on_end may run here, before any entry is held. */
	expire_to(ft, ft->clock_us);

	if (pv->frag & PKT_FRAG_FIRST)
		frag_remember(ft, pv);
	pv = frag_resolve(ft, pv, &local);

	key_from_view(ft, pv, &k);
	/* A fragment given its first fragment's ports has another bucket. */
	bucket = hint && pv == orig ? *hint : key_bucket(ft, &k);
	i = find(ft, &k, bucket, &dir);
	if (candidate)
		ft->cand_created = i == FLOW_NIL;
	if (candidate && i != FLOW_NIL) {
		ft->cand_before = ft->flows[i];
		ft->cand_pv = *pv;
		ft->cand_dir = (uint8_t)dir;
	}
	if (i == FLOW_NIL)
		i = flow_create(ft, &k, bucket, pv);
	else if (active_expired(&ft->flows[i], pv->ts_us, ft->active_us))
		flow_continue(ft, i, pv->ts_us, END_ACTIVE_TIMEOUT);

	f = &ft->flows[i];
	account(f, pv, dir);
	/* Idle time runs on the clock: a packet stamped behind it (reordered,
	 * within the step) refreshes its flow as of the clock, so the LRU list
	 * is exactly in seen_us order and expiry ends exactly the flows idle
	 * for idle_us, whatever else the table holds (N workers' tables end
	 * the flows one table would). */
	f->seen_us = ft->clock_us;
	lru_touch(ft, i);
	if (candidate) {
		ft->cand_flow = i;
		ft->cand_key = f->key;  /* the initiator's: maybe not k */
	}
	if (ft->on_packet)
		ft->on_packet(ft->ctx, f, pv, dir);

	if (pv->proto == PROTO_TCP && ((pv->tcp_flags & TCP_RST) ||
	    (fin_both_ways(f) && !(pv->tcp_flags & TCP_FIN)))) {
		flow_end(ft, i, END_OF_FLOW);
		return NULL;
	}
	return f;
}

struct flow *flow_table_update(struct flow_table *ft,
			       const struct pkt_view *pv)
{
	return update(ft, pv, NULL);
}

struct flow *flow_table_update_bucket(struct flow_table *ft,
				      const struct pkt_view *pv,
				      uint32_t bucket)
{
	return update(ft, pv, &bucket);
}

uint32_t flow_table_active(const struct flow_table *ft)
{
	return ft->active;
}

uint64_t flow_table_evicted(const struct flow_table *ft)
{
	return ft->evicted;
}

size_t flow_table_memory(const struct flow_table *ft)
{
	return ft->memory;
}
