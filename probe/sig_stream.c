/*
 * sig_stream.c - TCP message framing (see sig_stream.h).
 *
 * A message is one segment with payload (Skype pushes each message).  A
 * segment starting before next_seq is a retransmission (or overlaps one)
 * and is ignored; one starting after it (a gap: loss or reordering in the
 * capture) is taken as the next message, and the late segment that fills
 * the gap is then ignored as if retransmitted.
 */
#include "sig_stream.h"

int sig_tcp_message(struct sig_flow *sf, const struct pkt_view *pv, int dir)
{
	uint8_t bit = dir ? SF_SEQ1 : SF_SEQ0;

	if (pv->payload_size == 0)
		return 0;
	if ((sf->flags & bit) &&
	    (int32_t)(pv->tcp_seq - sf->next_seq[dir]) < 0)
		return 0;
	sf->next_seq[dir] = pv->tcp_seq + pv->payload_size;
	sf->flags |= bit;
	return 1;
}
