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

struct sig_flow {
	uint8_t  path;        /* which state machine owns this flow
				 (enum sig_path, sig_internal.h) */
	uint8_t  state;       /* that machine's state */
	uint8_t  msgs[2];     /* payload messages seen per direction */
	uint16_t u1_id;       /* UDP probe: U1[1-2] session id */
	uint16_t u1_size;     /* UDP probe: s(U1), for U3 = U1 + 5 */
	uint32_t next_seq[2]; /* TCP: next expected sequence per direction */
	uint32_t aux;         /* machine-specific (e.g. client slot index) */
	uint8_t  version;     /* skypeVersion guess */
	uint8_t  flags;
	uint16_t pad_;
};

#endif
