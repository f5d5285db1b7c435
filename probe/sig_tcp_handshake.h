/*
 * sig_tcp_handshake.h - the TCP super-node handshake T1..T4 (section
 * 5.2.2, steps 6-11): owns PATH_TCP_HS flows and the T2..T4 machine and
 * its verdicts (refused, connected) that restricted mode reuses.  See
 * sig_tcp_handshake.c.
 */
#ifndef SKYPROBE_SIG_TCP_HANDSHAKE_H
#define SKYPROBE_SIG_TCP_HANDSHAKE_H

#include <stdint.h>
#include "decode.h"
#include "flow_table.h"
#include "sig_ctx.h"

/*
 * PATH_TCP_HS states, and those of PATH_R443/R80 from T2 on (section
 * 5.2.2, steps 6-11).  The restricted paths' own R1..R3 states
 * (sig_restricted.h) are numbered from 16 to stay clear of these.
 */
enum hs_state {
	HS_WAIT_T1 = 0,         /* step 6: first SC message is T1 */
	HS_WAIT_T2,             /* step 7: SC message of 22..29 bytes */
	HS_WAIT_T3,             /* step 8: SN reply, 339 = refused */
	HS_WAIT_T4,             /* step 9: SC message of 4, 15, 16, 17 */
	HS_CONNECTED,           /* step 9 reached: SN connection */
	HS_REFUSED,             /* step 8: T3 = 339 */
	HS_FAILED,              /* pattern broken */
};

/* T2/T4 size sets: steps 7-9, or figure 6 (restricted mode, tighter). */
enum hs_sizes { HS_SIZES_STEPS, HS_SIZES_FIG6 };

/* Step 6: is f (first packet, TCP) going to a positively probed SN?  If
 * so it becomes PATH_TCP_HS, tied to that client, and 1 is returned. */
int sig_tcp_hs_candidate(struct sig_ctx *x, struct flow *f);

/* A later packet of a PATH_TCP_HS flow. */
void sig_tcp_hs_packet(struct sig_ctx *x, struct flow *f,
		       const struct pkt_view *pv, int dir);

/* Steps 7-9 for one in-order message (already counted in f->sig.msgs) of
 * a flow in HS_WAIT_T2..T4, with the verdicts applied: refused (step 8)
 * or connected (steps 9-10) in the mode of f's path. */
void sig_hs_t2_to_t4(struct sig_ctx *x, struct flow *f,
		     const struct pkt_view *pv, int dir, enum hs_sizes sizes);

/* Any packet of a connected SN connection (HS_CONNECTED), any mode:
 * evidence, and the relayed login inside it. */
void sig_hs_connected_packet(struct sig_ctx *x, struct flow *f,
			     const struct pkt_view *pv, int dir);

#endif
