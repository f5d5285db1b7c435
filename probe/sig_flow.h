/*
 * sig_flow.h - the signature's per-flow state, kept inside each flow entry.
 *
 * Fixed size and allocation free: the flow table owns this memory; only the
 * signature modules (probe/sig_*.c) read or write it.  Keep it small: it is
 * paid for by every tracked flow (budget: 32 bytes).
 */
#ifndef SKYPROBE_SIG_FLOW_H
#define SKYPROBE_SIG_FLOW_H

#include <stdint.h>

/* skypeFlowRole values (exported; documented in templates/). */
enum skype_flow_role {
	ROLE_NONE = 0,             /* not Skype */
	ROLE_UDP_PROBE_POS = 1,    /* UDP probe answered positively (U4 = 18) */
	ROLE_UDP_PROBE_NEG = 2,    /* UDP probe answered 51/53 */
	ROLE_SN_REFUSED = 3,       /* TCP super-node handshake refused (T3=339) */
	ROLE_SN_CONNECTION = 4,    /* TCP super-node connection (steps 6-9) */
	ROLE_RESTRICTED_443 = 5,   /* restricted mode over TCP 443 */
	ROLE_RESTRICTED_80 = 6,    /* restricted mode over TCP 80 */
	ROLE_LOGIN = 7,            /* login server L1..L4 */
	ROLE_SKYPEOUT = 8,         /* SkypeOut gateway, same pattern */
	ROLE_CONTACT_LIST = 9,     /* contact-list server, same pattern */
	ROLE_MAX
};

/*
 * struct sig_flow.path: which detection path owns the flow.
 *   PATH_UNDECIDED  first packet not seen yet
 *   PATH_NONE       not a candidate: every later packet returns at once
 *   PATH_UDP_PROBE  U1..U4 (sig_udp_probe.c)
 *   PATH_TCP_HS     TCP to a positively probed SN, T1..T4
 *                   (sig_tcp_handshake.c)
 *   PATH_R443/R80   restricted mode, R1..R3 then T2..T4 (sig_restricted.c)
 *   PATH_LOGIN      L1..L4 (sig_login.c); relayed L3/L4 run inside the
 *                   connected state of the three SN paths
 *   PATH_CONTINUED  a marked connection (login, SkypeOut, contact list, or
 *                   an SN connection not yet at step 9) that goes on after
 *                   its previous record ended by idle timeout or eviction:
 *                   role and session carried over, packets are evidence
 *                   only (sig.c, continuity)
 */
enum sig_path {
	PATH_UNDECIDED = 0,
	PATH_NONE,
	PATH_UDP_PROBE,
	PATH_TCP_HS,
	PATH_R443,
	PATH_R80,
	PATH_LOGIN,
	PATH_CONTINUED,
};

/* struct sig_flow.flags, one place so that the bits stay distinct. */
#define SF_SEQ0     0x01    /* next_seq[0] valid (sig_stream.c) */
#define SF_SEQ1     0x02    /* next_seq[1] valid (sig_stream.c) */
#define SF_SN_OPEN  0x04    /* counted in its client's open SN connections */
#define SF_RELAY_L3 0x08    /* relayed L3 seen in this SN connection */
#define SF_CLIENT   0x10    /* aux holds this flow's client slot */
#define SF_POSITIVE 0x20    /* UDP probe flow answered positively once */
#define SF_REVERSED 0x40    /* continued connection whose new record began
			       with the peer's packet: the client is the
			       responder, dir is flipped before the paths */
#define SF_V25      0x80    /* port 80: R1 of no known rule, judged the
			       v2.5 way (T2..T4 from a known client) */

struct sig_flow {
	uint8_t  path;        /* which state machine owns this flow
				 (enum sig_path) */
	uint8_t  state;       /* that machine's state (its path's header) */
	uint8_t  msgs[2];     /* payload messages seen per direction */
	uint16_t u1_id;       /* UDP probe: U1[1-2] session id */
	uint16_t u1_size;     /* UDP probe: s(U1), for U3 = U1 + 5 */
	uint32_t next_seq[2]; /* TCP: next expected sequence per direction */
	uint32_t aux;         /* machine-specific (e.g. client slot index) */
	uint8_t  version;     /* skypeVersion guess */
	uint8_t  flags;
	uint16_t client_gen;  /* with SF_CLIENT: the client's generation
				 (a reused slot is another client) */
};

#endif
