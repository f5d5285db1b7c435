/*
 * session.c - the session tracker: open Skype sessions and their records.
 *
 * Owns a table of max_sessions slots allocated once (calloc: a slot's
 * memory is first touched when first used), a free list through released
 * slots and a dense array of the open slots (so that expiry and
 * shutdown cost the number of open sessions, not the table size).  Session
 * ids are handed out sequentially from 1 and never 0; a (slot, id) pair
 * names one session, and a call with an ended session's pair does nothing.
 *
 * When the table is full a session is ended with SESS_END_EVICTED (and
 * counted in limit_hits) to make room: the unconnected session (no step 9:
 * a probe, an R1 on 443) with the least recent evidence, and only when
 * every open session is connected, the connected one silent the longest.
 * A flood of spoofed probes (each one starts a session) thus pushes out
 * its own sessions, not the real, connected ones (issue 9).  Open slots are
 * on two LRU lists, one per class, ordered by last evidence (each piece of
 * evidence moves its session to the tail): the victim is a list head,
 * found in O(1).
 */
#include "session.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define SLOT_NIL UINT32_MAX

/*
 * Two aligned cache lines; what a liveness check (session_alive: in_use
 * and the id) and the LRU lists read is in the first (issue 9: under a
 * flood, the client table asks after an idle session for every eviction).
 */
struct session_slot {
	_Alignas(64) uint64_t start_us;
	uint64_t last_us;       /* last Skype evidence */
	uint32_t next_free;
	uint32_t dense_pos;     /* index in open[] */
	uint32_t lru_prev, lru_next;
	uint8_t  in_use;
	uint8_t  cls;           /* LRU list: CLS_UNCONNECTED or CLS_CONNECTED */
	struct session_rec rec;
};

enum { CLS_UNCONNECTED = 0, CLS_CONNECTED = 1, N_CLS };

struct session_tracker {
	struct session_slot *slots;     /* page aligned */
	uint32_t *open;         /* dense list of open slot indexes */
	uint32_t n_open;
	uint32_t max;
	uint32_t free_head;     /* released slots */
	uint32_t never_used;    /* slots from here on were never used */
	uint32_t next_id;
	uint32_t id_first;              /* ids are first, first + step, ...: */
	uint32_t id_step;               /* workers share the id space */
	uint32_t lru_head[N_CLS], lru_tail[N_CLS];  /* oldest evidence first */
	session_emit_fn emit;
	void *ctx;
	struct session_counters ctr;
};

/* Anonymous memory, untouched until used, with a hint for huge pages (a
 * flood starts and ends sessions all over the table; see sig_client.c). */
#define HUGE_PAGE (2u << 20)

static size_t slots_len(uint32_t n)
{
	size_t len = (size_t)n * sizeof(struct session_slot);

	return (len + HUGE_PAGE - 1) & ~(size_t)(HUGE_PAGE - 1);
}

static struct session_slot *slots_alloc(uint32_t n)
{
	void *p = mmap(NULL, slots_len(n), PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	madvise(p, slots_len(n), MADV_HUGEPAGE);
	return p;
}

static void slots_free(struct session_slot *p, uint32_t n)
{
	if (p)
		munmap(p, slots_len(n));
}

struct session_tracker *session_tracker_new(uint32_t max_sessions,
					    session_emit_fn emit, void *ctx)
{
	struct session_tracker *st;

	if (max_sessions == 0)
		max_sessions = 1;
	st = calloc(1, sizeof(*st));
	if (!st)
		return NULL;
	st->max = max_sessions;
	st->slots = slots_alloc(max_sessions);
	st->open = calloc(max_sessions, sizeof(*st->open));
	if (!st->slots || !st->open) {
		session_tracker_free(st);
		return NULL;
	}
	st->max = max_sessions;
	st->free_head = SLOT_NIL;
	for (int c = 0; c < N_CLS; c++)
		st->lru_head[c] = st->lru_tail[c] = SLOT_NIL;
	st->next_id = st->id_first = 1;
	st->id_step = 1;
	st->emit = emit;
	st->ctx = ctx;
	return st;
}

void session_tracker_set_ids(struct session_tracker *st, uint32_t first,
			     uint32_t step)
{
	st->next_id = st->id_first = first ? first : 1;
	st->id_step = step ? step : 1;
}

void session_tracker_free(struct session_tracker *st)
{
	if (!st)
		return;
	slots_free(st->slots, st->max);
	free(st->open);
	free(st);
}

static struct session_slot *get(const struct session_tracker *st,
				uint32_t slot, uint32_t id)
{
	struct session_slot *s;

	if (id == 0 || slot >= st->max)
		return NULL;
	s = &st->slots[slot];
	if (!s->in_use || s->rec.session_id != id)
		return NULL;
	return s;
}

int session_alive(const struct session_tracker *st, uint32_t slot,
		  uint32_t id)
{
	return get(st, slot, id) != NULL;
}

void session_prefetch(const struct session_tracker *st, uint32_t slot)
{
	if (slot < st->max)
		__builtin_prefetch(&st->slots[slot]);
}

static void lru_unlink(struct session_tracker *st, uint32_t i)
{
	struct session_slot *s = &st->slots[i];

	if (s->lru_prev != SLOT_NIL)
		st->slots[s->lru_prev].lru_next = s->lru_next;
	else
		st->lru_head[s->cls] = s->lru_next;
	if (s->lru_next != SLOT_NIL)
		st->slots[s->lru_next].lru_prev = s->lru_prev;
	else
		st->lru_tail[s->cls] = s->lru_prev;
}

static void lru_push(struct session_tracker *st, uint32_t i, uint8_t cls)
{
	struct session_slot *s = &st->slots[i];

	s->cls = cls;
	s->lru_next = SLOT_NIL;
	s->lru_prev = st->lru_tail[cls];
	if (s->lru_prev != SLOT_NIL)
		st->slots[s->lru_prev].lru_next = i;
	else
		st->lru_head[cls] = i;
	st->lru_tail[cls] = i;
}

/* New evidence: to the tail of its class's list. */
static void lru_touch(struct session_tracker *st, uint32_t i, uint8_t cls)
{
	if (st->lru_tail[st->slots[i].cls] == i && st->slots[i].cls == cls)
		return;
	lru_unlink(st, i);
	lru_push(st, i, cls);
}

static void finish(struct session_tracker *st, uint32_t slot,
		   enum session_end_reason reason, uint64_t end_us)
{
	struct session_slot *s = &st->slots[slot];
	uint32_t pos = s->dense_pos, moved;

	if (end_us < s->start_us)
		end_us = s->start_us;
	s->rec.end_reason = (uint8_t)reason;
	s->rec.end_ms = end_us / 1000;
	if (st->emit)
		st->emit(st->ctx, &s->rec);

	lru_unlink(st, slot);
	moved = st->open[--st->n_open];
	st->open[pos] = moved;
	st->slots[moved].dense_pos = pos;
	s->in_use = 0;
	s->next_free = st->free_head;
	st->free_head = slot;
	st->ctr.ended++;
	st->ctr.open--;
}

/* Table full: the unconnected session with the least recent evidence,
 * else the connected one silent the longest. */
static void evict_one(struct session_tracker *st)
{
	uint32_t victim = st->lru_head[CLS_UNCONNECTED];

	if (victim == SLOT_NIL) {
		victim = st->lru_head[CLS_CONNECTED];
		st->ctr.evicted_connected++;
	}
	finish(st, victim, SESS_END_EVICTED, st->slots[victim].last_us);
	st->ctr.limit_hits++;
}

uint32_t session_start(struct session_tracker *st, const uint8_t client[16],
		       uint16_t client_port, uint64_t ts_us, uint8_t mode,
		       uint8_t version, uint8_t login_phase, uint32_t *slot)
{
	struct session_slot *s;
	uint32_t i;

	if (st->free_head == SLOT_NIL && st->never_used == st->max)
		evict_one(st);
	if (st->free_head != SLOT_NIL) {
		i = st->free_head;
		st->free_head = st->slots[i].next_free;
	} else {
		i = st->never_used++;
	}
	s = &st->slots[i];
	memset(s, 0, sizeof(*s));
	s->in_use = 1;
	s->start_us = s->last_us = ts_us;
	s->rec.session_id = st->next_id;
	/* 2^32 sessions later: start over, never at 0 */
	st->next_id = st->next_id > UINT32_MAX - st->id_step ? st->id_first :
		      st->next_id + st->id_step;
	memcpy(s->rec.client, client, 16);
	s->rec.client_port = client_port;
	s->rec.start_ms = ts_us / 1000;
	s->rec.transport_mode = mode;
	s->rec.version = version;
	s->rec.login_phase = login_phase;
	s->dense_pos = st->n_open;
	st->open[st->n_open++] = i;
	lru_push(st, i, CLS_UNCONNECTED);
	st->ctr.started++;
	st->ctr.open++;
	*slot = i;
	return s->rec.session_id;
}

void session_evidence(struct session_tracker *st, uint32_t slot, uint32_t id,
		      uint64_t ts_us)
{
	struct session_slot *s = get(st, slot, id);

	if (!s)
		return;
	if (ts_us > s->last_us)
		s->last_us = ts_us;
	lru_touch(st, slot, s->cls);
}

int session_connected(struct session_tracker *st, uint32_t slot, uint32_t id,
		      const uint8_t sn[16], uint16_t sn_port, uint64_t ts_us,
		      uint8_t mode, uint8_t version, int prev_open)
{
	struct session_slot *s = get(st, slot, id);
	int change = 0;

	if (!s)
		return 0;
	if (s->rec.connected_ms == 0) {
		s->rec.connected_ms = ts_us / 1000;
	} else if (prev_open && (s->rec.supernode_port != sn_port ||
		   memcmp(s->rec.supernode, sn, 16) != 0)) {
		/* step 10: SN change while the previous SN connection is
		 * still open; keep only the last one */
		s->rec.supernode_changes++;
		change = 1;
	}
	memcpy(s->rec.supernode, sn, 16);
	s->rec.supernode_port = sn_port;
	s->rec.transport_mode = mode;
	if (version != SKYPE_VER_UNKNOWN)
		s->rec.version = version;
	if (ts_us > s->last_us)
		s->last_us = ts_us;
	lru_touch(st, slot, CLS_CONNECTED);
	return change;
}

void session_refused(struct session_tracker *st, uint32_t slot, uint32_t id)
{
	struct session_slot *s = get(st, slot, id);

	if (s)
		s->rec.refused_supernodes++;
}

void session_set_login(struct session_tracker *st, uint32_t slot, uint32_t id,
		       uint8_t login_phase)
{
	struct session_slot *s = get(st, slot, id);

	if (s)
		s->rec.login_phase = login_phase;
}

int session_is_connected(const struct session_tracker *st, uint32_t slot,
			 uint32_t id)
{
	const struct session_slot *s = get(st, slot, id);

	return s && s->cls == CLS_CONNECTED;
}

void session_evict(struct session_tracker *st, uint32_t slot, uint32_t id)
{
	struct session_slot *s = get(st, slot, id);

	if (!s)
		return;
	finish(st, slot, SESS_END_EVICTED, s->last_us);
	st->ctr.evicted_client++;
}

void session_end(struct session_tracker *st, uint32_t slot, uint32_t id,
		 enum session_end_reason reason, uint64_t end_us)
{
	if (get(st, slot, id))
		finish(st, slot, reason, end_us);
}

/* The LRU lists are in order of evidence: only their heads can have
 * timed out (packets out of time order by a few microseconds may wait
 * for the next call). */
void session_expire(struct session_tracker *st, uint64_t now_us,
		    uint64_t timeout_us)
{
	if (timeout_us == 0)
		return;
	for (int c = 0; c < N_CLS; c++) {
		uint32_t slot;

		while ((slot = st->lru_head[c]) != SLOT_NIL &&
		       st->slots[slot].last_us + timeout_us <= now_us)
			finish(st, slot, SESS_END_TIMEOUT,
			       st->slots[slot].last_us);
	}
}

void session_shutdown(struct session_tracker *st, uint64_t now_us)
{
	while (st->n_open > 0)
		finish(st, st->open[st->n_open - 1], SESS_END_SHUTDOWN, now_us);
}

void session_get_counters(const struct session_tracker *st,
			  struct session_counters *c)
{
	*c = st->ctr;
}
