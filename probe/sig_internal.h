/*
 * sig_internal.h - declarations shared by the signature modules only
 * (sig.c and sig_*.c): detection paths and their states, the engine, the
 * per-client table and the helpers the paths share.  Not for other code.
 *
 * Paths (struct sig_flow.path):
 *   PATH_UNDECIDED  first packet not seen yet
 *   PATH_NONE       not a candidate: every later packet returns at once
 *   PATH_UDP_PROBE  U1..U4 (sig_udp_probe.c)
 *   PATH_TCP_HS     TCP to a positively probed SN, T1..T4 (sig_tcp_handshake.c)
 *   PATH_R443/R80   restricted mode, R1..R3 then T2..T4 (sig_restricted.c)
 *   PATH_LOGIN      L1..L4 (sig_login.c); relayed L3/L4 run inside the
 *                   connected state of the three SN paths
 */
#ifndef SKYPROBE_SIG_INTERNAL_H
#define SKYPROBE_SIG_INTERNAL_H

#include <stdint.h>
#include <string.h>
#include "config.h"
#include "decode.h"
#include "flow_table.h"
#include "session.h"
#include "sig.h"

#define PROTO_TCP 6
#define PROTO_UDP 17

enum sig_path {
	PATH_UNDECIDED = 0,
	PATH_NONE,
	PATH_UDP_PROBE,
	PATH_TCP_HS,
	PATH_R443,
	PATH_R80,
	PATH_LOGIN,
};

/* struct sig_flow.flags */
#define SF_SEQ0     0x01    /* next_seq[0] valid */
#define SF_SEQ1     0x02    /* next_seq[1] valid */
#define SF_SN_OPEN  0x04    /* counted in its client's open SN connections */
#define SF_RELAY_L3 0x08    /* relayed L3 seen in this SN connection */
#define SF_CLIENT   0x10    /* aux holds this flow's client slot */
#define SF_POSITIVE 0x20    /* UDP probe flow answered positively once */

/* PATH_UDP_PROBE states (section 5.2.1, steps 1-5). */
enum udp_probe_state {
	UP_WAIT_U2 = 0,         /* U1 seen: U2 (full) or U4 (partial) next */
	UP_WAIT_U3,             /* step 3 */
	UP_WAIT_U4,             /* step 4 */
	UP_DONE,                /* probe concluded; a new U1 restarts (step 5) */
};

/*
 * PATH_TCP_HS / PATH_R443 / PATH_R80 states (section 5.2.2, steps 6-11).
 * The restricted paths run R1..R3 first, then share HS_WAIT_T2 onwards.
 */
enum hs_state {
	HS_WAIT_T1 = 0,         /* step 6: first SC message is T1 */
	HS_WAIT_T2,             /* step 7: SC message of 22..29 bytes */
	HS_WAIT_T3,             /* step 8: SN reply, 339 = refused */
	HS_WAIT_T4,             /* step 9: SC message of 4, 15, 16, 17 */
	HS_CONNECTED,           /* step 9 reached: SN connection */
	HS_REFUSED,             /* step 8: T3 = 339 */
	HS_FAILED,              /* pattern broken */
	R_WAIT_R1 = 16,         /* restricted: first SC message */
	R_WAIT_R2,              /* SN reply (443: 79 fixed bytes) */
	R_WAIT_R3,              /* SC message, s = 14 for v1.4 */
};

/* What one message did to the shared T2..T4 machine. */
enum hs_result { HSR_MORE = 0, HSR_CONNECTED, HSR_REFUSED, HSR_FAILED };

/* T2/T4 size sets: steps 7-9, or figure 6 (restricted mode, tighter). */
enum hs_sizes { HS_SIZES_STEPS, HS_SIZES_FIG6 };

/* PATH_LOGIN states (section 5.2.3, figure 8). */
enum login_state {
	LG_WAIT_L1 = 0,
	LG_WAIT_L2,
	LG_WAIT_L3,
	LG_WAIT_L4,
	LG_DONE,                /* L4 seen: a further SC message = failed */
	LG_FAILED,
};

/* A super node as the client saw it. */
struct sn_ref {
	uint8_t  addr[16];
	uint16_t port;
	uint8_t  u1_size;       /* s(U1) of its probe, 255 when larger */
	uint8_t  used;
};

#define SIG_POS_SN  8           /* positively probed SNs (ring) */
#define SIG_NEG_SN  4           /* SNs that answered 51/53 */
#define SIG_REF_SN  4           /* SNs that refused (T3 = 339) */
#define SIG_CONN_SN 4           /* SNs connected to */

/*
 * One client.  Keyed by (address, UDP port): the UDP port tells clients
 * behind one NAT apart.  Port 0 means "not known yet" (TCP-only evidence);
 * see sig_client_get() for how such an entry joins the port-keyed one.
 */
struct sig_client {
	uint8_t  addr[16];
	uint16_t udp_port;
	uint8_t  in_use;
	uint8_t  login_phase;   /* enum skype_login_phase, this session */
	uint8_t  version;       /* enum skype_version, best guess */
	uint8_t  pos_next, neg_next, ref_next, conn_next;   /* ring cursors */
	uint8_t  has_seqid;
	uint8_t  public_v4[4];  /* from U2[4-7], 0 when unknown */
	uint16_t last_seqid;    /* section 5.1: last initiated request id */
	uint16_t n_sn_open;     /* SN connections now open (step 11) */
	uint32_t seqid_evidence;
	uint32_t hash_next;
	uint32_t dense_pos;
	uint32_t session_id;    /* 0 when none */
	uint32_t session_slot;
	uint64_t last_us;       /* last activity */
	uint8_t  login_server[16];  /* of the last complete login (L4) */
	struct sn_ref pos[SIG_POS_SN];
	struct sn_ref neg[SIG_NEG_SN];
	struct sn_ref refused[SIG_REF_SN];
	struct sn_ref connected[SIG_CONN_SN];
};

/* Section 5.1 state of a host not (yet) in the client table. */
struct seqid_slot {
	uint8_t  addr[16];
	uint16_t port;
	uint16_t last_id;
	uint8_t  used;
};

#define SEQID_SLOTS 4096u       /* direct-mapped, overwritten on collision */

struct sig_engine {
	struct skyprobe_config cfg;
	struct session_tracker *sessions;
	struct sig_client *clients;
	uint32_t *buckets;
	uint32_t *dense;        /* in-use client slots */
	uint32_t n_clients;
	uint32_t max_clients;
	uint32_t bucket_mask;
	uint32_t free_head;     /* released entries */
	uint32_t never_used;    /* entries from here on were never used */
	uint64_t last_expire_us;
	struct seqid_slot *seqid;       /* SEQID_SLOTS entries */
	struct sig_counters ctr;
};

#define CLIENT_NIL UINT32_MAX

/* ---- sig.c: clients, sessions, shared helpers --------------------- */

uint32_t sig_addr_hash(const uint8_t a[16]);
/* Find a client (port 0: the most recently active one of that address). */
struct sig_client *sig_client_find(struct sig_engine *se,
				   const uint8_t addr[16], uint16_t port);
/* Find or create; NULL when the table is full (client_limit_hits). */
struct sig_client *sig_client_get(struct sig_engine *se,
				  const uint8_t addr[16], uint16_t port,
				  uint64_t ts_us);
/* The most recently active client of addr that probed (sn, sn_port)
 * positively; *ref receives that probe's entry. */
struct sig_client *sig_client_find_pos(struct sig_engine *se,
				       const uint8_t addr[16],
				       const uint8_t sn[16], uint16_t sn_port,
				       struct sn_ref **ref);
/* The client remembered in f->sig.aux, or NULL. */
struct sig_client *sig_flow_client(struct sig_engine *se, struct flow *f);
void sig_flow_set_client(struct sig_engine *se, struct flow *f,
			 struct sig_client *c);
uint32_t sig_client_slot(const struct sig_engine *se,
			 const struct sig_client *c);

void sig_sn_add(struct sn_ref *ring, uint8_t *cursor, unsigned n,
		const uint8_t addr[16], uint16_t port, uint32_t u1_size);
struct sn_ref *sig_sn_find(struct sn_ref *ring, unsigned n,
			   const uint8_t addr[16], uint16_t port);

/* The client's open session id, or 0 (clears a stale one). */
uint32_t sig_session_of(struct sig_engine *se, struct sig_client *c);
/* Start a session for c unless one is open; returns its id. */
uint32_t sig_session_ensure(struct sig_engine *se, struct sig_client *c,
			    uint64_t ts_us, uint8_t mode, uint8_t version);
/* Evidence for c's open session (if any) at ts_us; ties f to it. */
void sig_evidence(struct sig_engine *se, struct sig_client *c,
		  struct flow *f, uint64_t ts_us);
void sig_set_login_phase(struct sig_engine *se, struct sig_client *c,
			 uint8_t phase);

/* TCP message filter: 1 when pv is a new in-order (or after-gap) payload
 * segment in dir; 0 for pure ACKs and retransmissions. */
int sig_tcp_message(struct sig_flow *sf, const struct pkt_view *pv, int dir);

static inline uint8_t sig_msgs_inc(struct sig_flow *sf, int dir)
{
	if (sf->msgs[dir] < UINT8_MAX)
		sf->msgs[dir]++;
	return sf->msgs[dir];
}

/* ---- paths --------------------------------------------------------- */

/* sig_udp_probe.c */
void sig_udp_probe_first(struct sig_engine *se, struct flow *f,
			 const struct pkt_view *pv);
void sig_udp_probe_packet(struct sig_engine *se, struct flow *f,
			  const struct pkt_view *pv, int dir);

/* sig_tcp_handshake.c */
int sig_tcp_hs_candidate(struct sig_engine *se, struct flow *f);
void sig_tcp_hs_packet(struct sig_engine *se, struct flow *f,
		       const struct pkt_view *pv, int dir);
enum hs_result sig_hs_step(struct sig_flow *sf, int dir, uint32_t size,
			   enum hs_sizes sizes);
void sig_hs_connected(struct sig_engine *se, struct flow *f,
		      const struct pkt_view *pv);
void sig_hs_refused(struct sig_engine *se, struct flow *f,
		    const struct pkt_view *pv);
void sig_hs_connected_packet(struct sig_engine *se, struct flow *f,
			     const struct pkt_view *pv, int dir);

/* sig_restricted.c */
void sig_restricted_packet(struct sig_engine *se, struct flow *f,
			   const struct pkt_view *pv, int dir);

/* sig_login.c */
int sig_login_is_l1(const struct pkt_view *pv);
void sig_login_begin(struct sig_engine *se, struct flow *f);
void sig_login_packet(struct sig_engine *se, struct flow *f,
		      const struct pkt_view *pv, int dir);
void sig_login_relayed(struct sig_engine *se, struct flow *f,
		       const struct pkt_view *pv, int dir);

/* sig_seqid.c */
void sig_seqid_new_udp_flow(struct sig_engine *se, struct flow *f,
			    const struct pkt_view *pv);
/* One request with id [1-2] initiated by f's initiator. */
void sig_seqid_request(struct sig_engine *se, struct flow *f, uint16_t id,
		       uint64_t ts_us);

static inline int sig_addr_eq(const uint8_t a[16], const uint8_t b[16])
{
	return memcmp(a, b, 16) == 0;
}

#endif
