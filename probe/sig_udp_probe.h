/*
 * sig_udp_probe.h - the UDP probe U1..U4 (section 5.2.1, steps 1-5): owns
 * PATH_UDP_PROBE flows.  See sig_udp_probe.c.
 */
#ifndef SKYPROBE_SIG_UDP_PROBE_H
#define SKYPROBE_SIG_UDP_PROBE_H

#include "decode.h"
#include "flow_table.h"
#include "sig_ctx.h"

/* PATH_UDP_PROBE states (section 5.2.1, steps 1-5). */
enum udp_probe_state {
	UP_WAIT_U2 = 0,         /* U1 seen: U2 (full) or U4 (partial) next */
	UP_WAIT_U3,             /* step 3 */
	UP_WAIT_U4,             /* step 4 */
	UP_DONE,                /* probe concluded; a new U1 restarts (step 5) */
};

/* First payload packet of a UDP flow (direction 0): step 1.  Makes the
 * flow PATH_UDP_PROBE when it is U1, else leaves it alone. */
void sig_udp_probe_first(struct flow *f, const struct pkt_view *pv);

/* A later packet of a PATH_UDP_PROBE flow.  Returns 1 when it was a new
 * U1 (a retry or a re-probe: one more request for section 5.1; its id is
 * then f->sig.u1_id), else 0. */
int sig_udp_probe_packet(struct sig_ctx *x, struct flow *f,
			 const struct pkt_view *pv, int dir);

#endif
