/*
 * sig_restricted.h - restricted mode over TCP ports 443 and 80 (section
 * 5.2.2, figures 6-7): owns PATH_R443 and PATH_R80 flows.  R1..R3 are its
 * own; from T2 on it runs the handshake machine of sig_tcp_handshake.h
 * (one-way: that file knows nothing of this one).  See sig_restricted.c.
 */
#ifndef SKYPROBE_SIG_RESTRICTED_H
#define SKYPROBE_SIG_RESTRICTED_H

#include "decode.h"
#include "flow_table.h"
#include "sig_ctx.h"

/* PATH_R443/R80 states up to R3; then enum hs_state from HS_WAIT_T2, so
 * these start at 16 to stay clear of it. */
enum restricted_state {
	R_WAIT_R1 = 16,         /* restricted: first SC message */
	R_WAIT_R2,              /* SN reply (443: 79 fixed bytes) */
	R_WAIT_R3,              /* SC message, s = 14 for v1.4 */
};

/* Every packet of a PATH_R443 or PATH_R80 flow (state R_WAIT_R1 first). */
void sig_restricted_packet(struct sig_ctx *x, struct flow *f,
			   const struct pkt_view *pv, int dir);

#endif
