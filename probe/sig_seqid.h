/*
 * sig_seqid.h - section 5.1 evidence: the request id in [1-2] of every UDP
 * request a client initiates grows by 2.  See sig_seqid.c.
 */
#ifndef SKYPROBE_SIG_SEQID_H
#define SKYPROBE_SIG_SEQID_H

#include <stdint.h>
#include "decode.h"
#include "flow_table.h"
#include "sig_ctx.h"

/* Section 5.1 state of a host not (yet) in the client table. */
struct seqid_slot {
	uint8_t  addr[16];
	uint16_t port;
	uint16_t last_id;
	uint8_t  used;
};

#define SEQID_SLOTS 4096u       /* direct-mapped, overwritten on collision */

/* SEQID_SLOTS zeroed slots, or NULL. */
struct seqid_slot *sig_seqid_cache_new(void);
void sig_seqid_cache_free(struct seqid_slot *cache);

/* First payload of a new UDP flow (direction 0): one request. */
void sig_seqid_new_udp_flow(struct sig_ctx *x, struct seqid_slot *cache,
			    struct flow *f, const struct pkt_view *pv);
/* One request with id [1-2] initiated by f's initiator. */
void sig_seqid_request(struct sig_ctx *x, struct seqid_slot *cache,
		       struct flow *f, uint16_t id, uint64_t ts_us);

#endif
