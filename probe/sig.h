/*
 * sig.h - the Skype signature of NGNI-SKYPE-06b, run inline on every packet.
 *
 * The engine (sig.c) dispatches each packet to the detection path that
 * owns its flow (sig_udp_probe.c, sig_tcp_handshake.c, sig_restricted.c,
 * sig_login.c, sig_seqid.c); the paths remember clients through
 * sig_client.c and frame TCP messages through sig_stream.c.  Per-flow state
 * lives in struct sig_flow inside the flow entry; per-client state (super
 * nodes probed, refused, connected) lives in the engine's own bounded
 * table.  Events become session records
 * through the session tracker, which calls emit when a session ends.
 * Nothing is allocated per packet.
 */
#ifndef SKYPROBE_SIG_H
#define SKYPROBE_SIG_H

#include <stdint.h>
#include "decode.h"
#include "flow_table.h"
#include "session.h"
#include "values.h"

struct sig_engine;

#define SIG_MAX_PREFIXES 64

/* What the signature reads of the probe's configuration (main.c builds it
 * from struct skyprobe_config). */
struct sig_config {
	int      enabled;               /* master switch */
	int      udp_probe;             /* the detection paths */
	int      tcp_handshake;
	int      restricted_443;
	int      restricted_80;
	int      login;
	int      seqid;                 /* section 5.1 evidence */
	/* with prefixes, only flows initiated inside them are judged */
	uint32_t n_internal;
	struct prefix internal[SIG_MAX_PREFIXES];
	struct addr_list login_servers;
	struct addr_list skypeout_gateways;
	struct addr_list contact_servers;
	uint16_t bootstrap_port;        /* 33033 */
	uint32_t max_clients;           /* table sizes: fixed at creation */
	uint32_t max_sessions;
	uint32_t client_expiry_s;
	uint32_t session_timeout_s;
	uint32_t session_id_first;      /* 0: 1 */
	uint32_t session_id_step;       /* 0: 1 (workers: their number) */
};

struct sig_counters {
	uint64_t clients;           /* clients currently tracked */
	uint64_t client_limit_hits; /* a new client not tracked: no room
				       could be made (issue 9) */
	uint64_t client_evictions;  /* clients evicted to make room */
	uint64_t session_limit_hits;/* session table full: one evicted */
	uint64_t sessions_evicted_connected; /* ... of them connected */
	uint64_t sessions_started;
	uint64_t sessions_ended;
	/* detection events (additions) */
	uint64_t probes_positive;   /* step 4: U4 = 18 */
	uint64_t probes_negative;   /* U4 = 51/53 */
	uint64_t probes_bootstrap;  /* negative probes of bootstrap SNs */
	uint64_t sn_refused;        /* step 8: T3 = 339 */
	uint64_t sn_connected;      /* step 9, all modes */
	uint64_t sn_changes;        /* step 10 */
	uint64_t restricted_443;    /* R1 matched on port 443 */
	uint64_t restricted_80;     /* port 80 handshake completed */
	uint64_t logins;            /* L4 reached (direct) */
	uint64_t logins_failed;     /* wrong password */
	uint64_t logins_relayed;    /* L3/L4 inside an SN connection */
	uint64_t seqid_evidence;    /* section 5.1: id grew by 2 */
};

struct sig_engine *sig_engine_new(const struct sig_config *cfg,
				  session_emit_fn emit, void *emit_ctx);
void sig_engine_free(struct sig_engine *se);

/* Apply live-changeable settings (paths on/off, address lists, limits
 * where they do not shrink the tables). */
void sig_engine_reconfigure(struct sig_engine *se,
			    const struct sig_config *cfg);

/* One packet of flow f in direction dir (0 = initiator->responder).
 * May set f->role and f->session_id. */
void sig_packet(struct sig_engine *se, struct flow *f,
		const struct pkt_view *pv, int dir);

/* Flow f ends (before it is exported): step 11 and friends. */
void sig_flow_end(struct sig_engine *se, struct flow *f,
		  enum flow_end_reason r);

/* Expire clients and sessions idle since before now_us.  Does its work at
 * most once per second of packet time, so it is cheap to call on every
 * packet. */
void sig_expire(struct sig_engine *se, uint64_t now_us);

/* End every open session with SESS_END_SHUTDOWN at time now_us. */
void sig_shutdown(struct sig_engine *se, uint64_t now_us);

void sig_get_counters(const struct sig_engine *se, struct sig_counters *c);
void sig_counters_add(struct sig_counters *sum, const struct sig_counters *c);

#endif
