/*
 * sig_seqid.c - section 5.1: the first two bytes of every UDP request a
 * Skype client initiates grow by 2 with each new request, whatever the
 * destination.
 *
 * Owns the evidence count and a small direct-mapped cache of the last
 * request id of hosts that are not (yet) clients (allocated here, held by
 * the engine).  A request is the first payload of each new UDP flow a host
 * initiates, and every new U1 inside a probe flow (step 5 re-probes use the
 * same counter; the probe path reports them to the engine, which passes
 * them on here, so that the two paths do not depend on each other).  Hosts are keyed by
 * (address, UDP port), Skype sending every request from its one port.
 *
 * When a request's [1-2] is the previous one + 2 (mod 65536), the engine's
 * seqid_evidence counter goes up.  For a host in the client table the
 * client's own count goes up too and its open session (if any) takes it as
 * evidence, which postpones the session timeout.  This evidence never
 * starts a session or sets a flow role: ids two apart across flows happen
 * by chance (1 in 65536 per pair) and in protocols with counters, far too
 * often to stand alone.  For other hosts the cache (SEQID_SLOTS entries,
 * overwritten on collision) only feeds the counter.
 */
#include "sig_seqid.h"

#include <stdlib.h>

struct seqid_slot *sig_seqid_cache_new(void)
{
	return calloc(SEQID_SLOTS, sizeof(struct seqid_slot));
}

void sig_seqid_cache_free(struct seqid_slot *cache)
{
	free(cache);
}

static void client_note(struct sig_ctx *x, struct sig_client *c,
			struct flow *f, uint16_t id, uint64_t ts_us)
{
	if (c->has_seqid && id == (uint16_t)(c->last_seqid + 2)) {
		c->seqid_evidence++;
		x->ev.seqid_evidence++;
		sig_evidence(&x->clients, c, f, ts_us);
	}
	c->last_seqid = id;
	c->has_seqid = 1;
}

static void note_host(struct sig_ctx *x, struct seqid_slot *cache,
		      const uint8_t addr[16], uint16_t port, uint16_t id)
{
	uint32_t h = (sig_addr_hash(addr) ^ port * 0x9e3779b1u) >> 20;
	struct seqid_slot *s = &cache[h % SEQID_SLOTS];

	if (s->used && s->port == port && sig_addr_eq(s->addr, addr)) {
		if (id == (uint16_t)(s->last_id + 2))
			x->ev.seqid_evidence++;
	} else {
		memcpy(s->addr, addr, 16);
		s->port = port;
		s->used = 1;
	}
	s->last_id = id;
}

void sig_seqid_request(struct sig_ctx *x, struct seqid_slot *cache,
		       struct flow *f, uint16_t id, uint64_t ts_us)
{
	struct sig_client *c = NULL;

	if (x->clients.n_clients > 0)
		c = sig_client_find(&x->clients, f->key.src, f->key.sport);
	if (c)
		client_note(x, c, f, id, ts_us);
	else
		note_host(x, cache, f->key.src, f->key.sport, id);
}

void sig_seqid_new_udp_flow(struct sig_ctx *x, struct seqid_slot *cache,
			    struct flow *f, const struct pkt_view *pv)
{
	if (pv->payload_len < 2)
		return;
	sig_seqid_request(x, cache, f,
			  (uint16_t)(pv->payload[0] << 8 | pv->payload[1]),
			  pv->ts_us);
}
