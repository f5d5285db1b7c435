/*
 * sig_login.h - TCP authentication L1..L4 (section 5.2.3, figure 8): owns
 * PATH_LOGIN flows, the client's login phase, and the relayed login seen
 * inside SN connections.  See sig_login.c.
 */
#ifndef SKYPROBE_SIG_LOGIN_H
#define SKYPROBE_SIG_LOGIN_H

#include "decode.h"
#include "flow_table.h"
#include "sig_ctx.h"

/* PATH_LOGIN states (section 5.2.3, figure 8). */
enum login_state {
	LG_WAIT_L1 = 0,
	LG_WAIT_L2,
	LG_WAIT_L3,
	LG_WAIT_L4,
	LG_DONE,                /* L4 seen; counts SC messages in u1_id */
	LG_FAILED,
};

/* Is pv exactly L1 (16 03 01 00 00)? */
int sig_login_is_l1(const struct pkt_view *pv);
/* L1 was seen on f: the flow becomes PATH_LOGIN, waiting for L2. */
void sig_login_begin(struct flow *f);
/* A later packet of a PATH_LOGIN flow. */
void sig_login_packet(struct sig_ctx *x, struct flow *f,
		      const struct pkt_view *pv, int dir);
/* One in-order message of a connected SN connection: relayed L3/L4. */
void sig_login_relayed(struct sig_ctx *x, struct flow *f,
		       const struct pkt_view *pv, int dir);

#endif
