/*
 * sig_stream.h - TCP message framing for the signature's TCP paths.
 *
 * Owns how a TCP flow's packets become the messages the paper counts
 * (T1..T4, R1..R3, L1..L4): struct sig_flow's next_seq, msgs and the
 * SF_SEQ0/SF_SEQ1 bits.  Knows nothing of any path.
 */
#ifndef SKYPROBE_SIG_STREAM_H
#define SKYPROBE_SIG_STREAM_H

#include <stdint.h>
#include "decode.h"
#include "sig_flow.h"

/* 1 when pv is a new in-order (or after-gap) payload segment in dir;
 * 0 for pure ACKs and retransmissions. */
int sig_tcp_message(struct sig_flow *sf, const struct pkt_view *pv, int dir);

/* Count one message in dir (saturating); returns the new count. */
static inline uint8_t sig_msgs_inc(struct sig_flow *sf, int dir)
{
	if (sf->msgs[dir] < UINT8_MAX)
		sf->msgs[dir]++;
	return sf->msgs[dir];
}

#endif
