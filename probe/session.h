/*
 * session.h - Skype sessions: turns signature events into session records.
 *
 * A session is one client's use of Skype: it starts at the first evidence
 * (step 4, or R1 in restricted mode), is connected at step 9, follows
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
enum skype_version { SKYPE_VER_UNKNOWN = 0, SKYPE_VER_1_4 = 1, SKYPE_VER_2 = 2 };

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

#endif
