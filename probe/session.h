/*
 * session.h - Skype sessions: turns signature events into session records.
 *
 * A session is one client's use of Skype: it starts at the first evidence
 * (step 4, R1 on port 443, or the completed handshake on port 80), is
 * connected at step 9, follows
 * super-node changes (step 10: keep the last) and ends when the last
 * super-node connection closes (step 11), on timeout, or when the probe
 * stops.  The tracker owns a bounded, preallocated session table.
 */
#ifndef SKYPROBE_SESSION_H
#define SKYPROBE_SESSION_H

#include <stdint.h>

/* skypeSessionEndReason */
enum session_end_reason {
	SESS_END_NONE = 0,
	SESS_END_SN_CLOSED = 1,     /* step 11: last SN connection closed */
	SESS_END_TIMEOUT = 2,       /* no Skype evidence for session timeout */
	SESS_END_SHUTDOWN = 3,      /* probe stopped / end of file */
	SESS_END_EVICTED = 4,       /* session table full */
};

/* skypeTransportMode */
enum skype_transport_mode {
	MODE_UNKNOWN = 0,
	MODE_UDP_TCP = 1,
	MODE_RESTRICTED_443 = 2,
	MODE_RESTRICTED_80 = 3,
};

/* skypeLoginPhase */
enum skype_login_phase {
	LOGIN_NONE = 0,             /* none seen (automatic login) */
	LOGIN_L1 = 1,
	LOGIN_L2 = 2,
	LOGIN_L3 = 3,
	LOGIN_L4 = 4,               /* complete */
	LOGIN_FAILED = 5,           /* extra exchanges: wrong password, retried */
	LOGIN_RELAYED = 6,          /* L3/L4 inside a super-node connection */
};

/* skypeVersion */
enum skype_version {
	SKYPE_VER_UNKNOWN = 0,
	SKYPE_VER_1_4 = 1,
	SKYPE_VER_2 = 2,
	SKYPE_VER_2_5 = 3,          /* port 80 judged by T2..T4 alone (6.2) */
};

struct session_rec {
	uint32_t session_id;        /* skypeSessionId, never 0 */
	uint8_t  client[16];        /* v4-mapped for IPv4 */
	uint8_t  supernode[16];     /* current (last) super node */
	uint16_t supernode_port;
	uint16_t client_port;       /* client's UDP port, tells NATed clients
				       apart where known, else 0 */
	uint64_t start_ms;          /* skypeSessionStartMilliseconds */
	uint64_t connected_ms;      /* step 9, 0 when never connected */
	uint64_t end_ms;
	uint32_t supernode_changes;
	uint32_t refused_supernodes;
	uint8_t  end_reason;        /* enum session_end_reason */
	uint8_t  transport_mode;    /* enum skype_transport_mode */
	uint8_t  login_phase;       /* enum skype_login_phase */
	uint8_t  version;           /* enum skype_version */
};

typedef void (*session_emit_fn)(void *ctx, const struct session_rec *s);

/*
 * The session tracker.  A session is named by its (slot, id) pair: slot
 * indexes the preallocated table, id (sequential from 1, never 0) tells a
 * live session from an ended one that reused the slot.  Every call taking a
 * (slot, id) is a no-op when that session has ended, so callers may hold a
 * stale handle.  Ended sessions are emitted exactly once.
 */
struct session_tracker;

struct session_counters {
	uint64_t open;
	uint64_t started;
	uint64_t ended;
	uint64_t limit_hits;        /* table full: a session was evicted */
	uint64_t evicted_connected; /* ... of them, connected ones */
	uint64_t evicted_client;    /* ended because its client was evicted */
};

struct session_tracker *session_tracker_new(uint32_t max_sessions,
					    session_emit_fn emit, void *ctx);
void session_tracker_free(struct session_tracker *st);
/* Ids first, first + step, first + 2 step, ...: worker k of n numbers its
 * sessions k + 1, k + 1 + n, ..., so that ids are unique across workers. */
void session_tracker_set_ids(struct session_tracker *st, uint32_t first,
			     uint32_t step);

/* Start a session; returns its id (never 0) and stores its slot.  Its
 * super node stays all-zero (port 0) until step 9 names one. */
uint32_t session_start(struct session_tracker *st, const uint8_t client[16],
		       uint16_t client_port, uint64_t ts_us, uint8_t mode,
		       uint8_t version, uint8_t login_phase, uint32_t *slot);
int session_alive(const struct session_tracker *st, uint32_t slot,
		  uint32_t id);
/* A hint: slot will be read soon (its cache line is fetched now). */
void session_prefetch(const struct session_tracker *st, uint32_t slot);
/* Skype evidence at ts_us: postpones the timeout. */
void session_evidence(struct session_tracker *st, uint32_t slot, uint32_t id,
		      uint64_t ts_us);
/* Step 9 at ts_us to super node (sn, port); returns 1 on an SN change
 * (step 10: the session was connected to another SN and prev_open says
 * that client still has an SN connection open), else 0. */
int session_connected(struct session_tracker *st, uint32_t slot, uint32_t id,
		      const uint8_t sn[16], uint16_t sn_port, uint64_t ts_us,
		      uint8_t mode, uint8_t version, int prev_open);
/* Step 8: one more super node refused the client. */
void session_refused(struct session_tracker *st, uint32_t slot, uint32_t id);
void session_set_login(struct session_tracker *st, uint32_t slot, uint32_t id,
		       uint8_t login_phase);
/* Has the session reached step 9? (0 when ended) */
int session_is_connected(const struct session_tracker *st, uint32_t slot,
			 uint32_t id);
/* End its client's eviction: SESS_END_EVICTED at its last evidence. */
void session_evict(struct session_tracker *st, uint32_t slot, uint32_t id);
/* End and emit one session at end_us. */
void session_end(struct session_tracker *st, uint32_t slot, uint32_t id,
		 enum session_end_reason reason, uint64_t end_us);
/* End (SESS_END_TIMEOUT) every session without evidence for timeout_us;
 * the end time is its last evidence.  timeout_us 0 disables. */
void session_expire(struct session_tracker *st, uint64_t now_us,
		    uint64_t timeout_us);
/* End every open session with SESS_END_SHUTDOWN at now_us. */
void session_shutdown(struct session_tracker *st, uint64_t now_us);
void session_get_counters(const struct session_tracker *st,
			  struct session_counters *c);

#endif
