/*
 * sig.c - the signature engine: per-packet dispatch, the client table,
 * session glue and configuration.
 *
 * Owns the engine, its copy of the configuration and the client table.
 * Each flow is given a detection path on its first packet (UDP: from its
 * payload; TCP: a client-table look-up says whether it goes to a probed SN,
 * else the port picks restricted mode or login) and later packets go
 * straight to that path's state machine; a flow found not to be a
 * candidate gets PATH_NONE and costs one branch from then on.
 *
 * Client table: max_clients entries preallocated (first touched when first
 * used, so memory grows with the clients seen), hashed on the address
 * only (so every client behind one NAT address is on one chain), chained
 * through entry indexes, with a free list and a dense list of the entries in
 * use for expiry.  A client is (address, UDP port): the UDP port of its
 * probes tells clients behind one NAT apart.  TCP-only evidence (restricted
 * mode, login) carries no UDP port and goes to the most recently active
 * client of the address, or to a new (address, 0) entry that the first
 * probe from that address later adopts.  Where two NATed clients talk TCP
 * only, they cannot be told apart and count as one client.  A TCP
 * connection is tied to the client whose positive probe named its (SN
 * address, SN port).  When the table is full a new client is not tracked
 * (client_limit_hits); existing ones are not evicted.
 */
#include "sig_internal.h"

#include <stdlib.h>

#define US_PER_S 1000000ULL
#define EXPIRE_EVERY_US US_PER_S   /* sig_expire work at most once a second */

/* ---- client table ----------------------------------------------------- */

uint32_t sig_addr_hash(const uint8_t a[16])
{
	uint64_t h = 0;

	for (int i = 0; i < 16; i += 8) {
		uint64_t w;

		memcpy(&w, a + i, 8);
		h ^= w;
		h ^= h >> 33;
		h *= 0xff51afd7ed558ccdULL;
		h ^= h >> 33;
		h *= 0xc4ceb9fe1a85ec53ULL;
		h ^= h >> 33;
	}
	return (uint32_t)h;
}

uint32_t sig_client_slot(const struct sig_engine *se,
			 const struct sig_client *c)
{
	return (uint32_t)(c - se->clients);
}

struct sig_client *sig_client_find(struct sig_engine *se,
				   const uint8_t addr[16], uint16_t port)
{
	uint32_t i = se->buckets[sig_addr_hash(addr) & se->bucket_mask];
	struct sig_client *best = NULL, *unknown_port = NULL;

	for (; i != CLIENT_NIL; i = se->clients[i].hash_next) {
		struct sig_client *c = &se->clients[i];

		if (!sig_addr_eq(c->addr, addr))
			continue;
		if (port == 0) {
			if (!best || c->last_us > best->last_us)
				best = c;
		} else if (c->udp_port == port) {
			return c;
		} else if (c->udp_port == 0) {
			unknown_port = c;
		}
	}
	return port == 0 ? best : unknown_port;
}

struct sig_client *sig_client_get(struct sig_engine *se,
				  const uint8_t addr[16], uint16_t port,
				  uint64_t ts_us)
{
	struct sig_client *c = sig_client_find(se, addr, port);
	uint32_t i, b;

	if (c) {
		if (c->udp_port == 0)
			c->udp_port = port;     /* adopt TCP-only entry */
		if (ts_us > c->last_us)
			c->last_us = ts_us;
		return c;
	}
	if (se->free_head != CLIENT_NIL) {
		i = se->free_head;
		se->free_head = se->clients[i].hash_next;
	} else if (se->never_used < se->max_clients) {
		i = se->never_used++;   /* first use: pages touched only now */
	} else {
		se->ctr.client_limit_hits++;
		return NULL;
	}
	c = &se->clients[i];
	memset(c, 0, sizeof(*c));
	memcpy(c->addr, addr, 16);
	c->udp_port = port;
	c->in_use = 1;
	c->last_us = ts_us;
	b = sig_addr_hash(addr) & se->bucket_mask;
	c->hash_next = se->buckets[b];
	se->buckets[b] = i;
	c->dense_pos = se->n_clients;
	se->dense[se->n_clients++] = i;
	return c;
}

static void client_remove(struct sig_engine *se, uint32_t i)
{
	struct sig_client *c = &se->clients[i];
	uint32_t *link = &se->buckets[sig_addr_hash(c->addr) & se->bucket_mask];
	uint32_t moved;

	while (*link != i)
		link = &se->clients[*link].hash_next;
	*link = c->hash_next;
	moved = se->dense[--se->n_clients];
	se->dense[c->dense_pos] = moved;
	se->clients[moved].dense_pos = c->dense_pos;
	c->in_use = 0;
	c->hash_next = se->free_head;
	se->free_head = i;
}

struct sig_client *sig_client_find_pos(struct sig_engine *se,
				       const uint8_t addr[16],
				       const uint8_t sn[16], uint16_t sn_port,
				       struct sn_ref **ref)
{
	uint32_t i = se->buckets[sig_addr_hash(addr) & se->bucket_mask];
	struct sig_client *best = NULL;

	for (; i != CLIENT_NIL; i = se->clients[i].hash_next) {
		struct sig_client *c = &se->clients[i];
		struct sn_ref *r;

		if (!sig_addr_eq(c->addr, addr))
			continue;
		r = sig_sn_find(c->pos, SIG_POS_SN, sn, sn_port);
		if (r && (!best || c->last_us > best->last_us)) {
			best = c;
			*ref = r;
		}
	}
	return best;
}

struct sig_client *sig_flow_client(struct sig_engine *se, struct flow *f)
{
	struct sig_client *c;

	if (!(f->sig.flags & SF_CLIENT) || f->sig.aux >= se->max_clients)
		return NULL;
	c = &se->clients[f->sig.aux];
	if (!c->in_use || !sig_addr_eq(c->addr, f->key.src))
		return NULL;
	return c;
}

void sig_flow_set_client(struct sig_engine *se, struct flow *f,
			 struct sig_client *c)
{
	f->sig.aux = sig_client_slot(se, c);
	f->sig.flags |= SF_CLIENT;
}

void sig_sn_add(struct sn_ref *ring, uint8_t *cursor, unsigned n,
		const uint8_t addr[16], uint16_t port, uint32_t u1_size)
{
	struct sn_ref *r = sig_sn_find(ring, n, addr, port);

	if (!r) {
		r = &ring[*cursor % n];
		*cursor = (uint8_t)((*cursor + 1) % n);
	}
	memcpy(r->addr, addr, 16);
	r->port = port;
	r->u1_size = (uint8_t)(u1_size > 255 ? 255 : u1_size);
	r->used = 1;
}

struct sn_ref *sig_sn_find(struct sn_ref *ring, unsigned n,
			   const uint8_t addr[16], uint16_t port)
{
	for (unsigned i = 0; i < n; i++)
		if (ring[i].used && ring[i].port == port &&
		    sig_addr_eq(ring[i].addr, addr))
			return &ring[i];
	return NULL;
}

/* ---- sessions ---------------------------------------------------------- */

uint32_t sig_session_of(struct sig_engine *se, struct sig_client *c)
{
	if (c->session_id == 0)
		return 0;
	if (session_alive(se->sessions, c->session_slot, c->session_id))
		return c->session_id;
	/* ended by timeout, eviction or shutdown: the login phase was that
	 * session's */
	c->session_id = 0;
	c->login_phase = LOGIN_NONE;
	return 0;
}

uint32_t sig_session_ensure(struct sig_engine *se, struct sig_client *c,
			    uint64_t ts_us, uint8_t mode, uint8_t version)
{
	uint32_t id = sig_session_of(se, c);

	if (id)
		return id;
	if (version == SKYPE_VER_UNKNOWN)
		version = c->version;
	c->session_id = session_start(se->sessions, c->addr, c->udp_port,
				      ts_us, mode, version, c->login_phase,
				      &c->session_slot);
	return c->session_id;
}

void sig_evidence(struct sig_engine *se, struct sig_client *c,
		  struct flow *f, uint64_t ts_us)
{
	uint32_t id;

	if (ts_us > c->last_us)
		c->last_us = ts_us;
	id = sig_session_of(se, c);
	if (!id)
		return;
	session_evidence(se->sessions, c->session_slot, id, ts_us);
	if (f)
		f->session_id = id;
}

void sig_set_login_phase(struct sig_engine *se, struct sig_client *c,
			 uint8_t phase)
{
	uint32_t id = sig_session_of(se, c);

	c->login_phase = phase;
	if (id)
		session_set_login(se->sessions, c->session_slot, id, phase);
}

/* ---- TCP messages ------------------------------------------------------ */

/*
 * A message is one segment with payload (Skype pushes each message).  A
 * segment starting before next_seq is a retransmission (or overlaps one)
 * and is ignored; one starting after it (a gap: loss or reordering in the
 * capture) is taken as the next message, and the late segment that fills
 * the gap is then ignored as if retransmitted.
 */
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

/* ---- dispatch ---------------------------------------------------------- */

/* The first packet is the initiator's, unless the signature was switched
 * on while the flow ran: then the flow is not judged. */
static void decide_udp(struct sig_engine *se, struct flow *f,
		       const struct pkt_view *pv, int dir)
{
	f->sig.path = PATH_NONE;
	if (dir != 0 || pv->payload_size == 0)
		return;
	if (se->cfg.sig_seqid)
		sig_seqid_new_udp_flow(se, f, pv);
	if (se->cfg.sig_udp_probe)
		sig_udp_probe_first(se, f, pv);
}

static void decide_tcp(struct sig_engine *se, struct flow *f)
{
	struct sig_flow *sf = &f->sig;

	sf->path = PATH_NONE;
	if (se->cfg.sig_tcp_handshake && sig_tcp_hs_candidate(se, f))
		return;
	if (f->key.dport == 443 && se->cfg.sig_restricted_443) {
		sf->path = PATH_R443;
		sf->state = R_WAIT_R1;
	} else if (f->key.dport == 80 && se->cfg.sig_restricted_80) {
		sf->path = PATH_R80;
		sf->state = R_WAIT_R1;
	} else if (se->cfg.sig_login) {
		sf->path = PATH_LOGIN;
		sf->state = LG_WAIT_L1;
	}
}

void sig_packet(struct sig_engine *se, struct flow *f,
		const struct pkt_view *pv, int dir)
{
	struct sig_flow *sf = &f->sig;

	if (sf->path == PATH_NONE || !se->cfg.sig_enabled)
		return;
	if (sf->path == PATH_UNDECIDED) {
		/* A probe at a site's egress looks for the site's own Skype
		 * clients: with internal prefixes configured, a flow that an
		 * outside host initiated is not a client's. */
		if (se->cfg.n_internal &&
		    !prefix_list_contains(se->cfg.internal, se->cfg.n_internal,
					  f->key.src)) {
			sf->path = PATH_NONE;
			return;
		}
		if (f->key.proto == PROTO_UDP) {
			decide_udp(se, f, pv, dir); /* uses the 1st packet */
			return;
		}
		if (f->key.proto != PROTO_TCP) {
			sf->path = PATH_NONE;
			return;
		}
		decide_tcp(se, f);
	}
	switch (sf->path) {
	case PATH_UDP_PROBE:
		sig_udp_probe_packet(se, f, pv, dir);
		break;
	case PATH_TCP_HS:
		sig_tcp_hs_packet(se, f, pv, dir);
		break;
	case PATH_R443:
	case PATH_R80:
		sig_restricted_packet(se, f, pv, dir);
		break;
	case PATH_LOGIN:
		sig_login_packet(se, f, pv, dir);
		break;
	default:
		break;
	}
}

/*
 * Step 11: the close of the last SN connection ends the session.  Only
 * END_OF_FLOW (FIN both ways or RST) is a close; its session ends with
 * SESS_END_SN_CLOSED at the flow's last packet, if the client has no other
 * SN connection open.  An active-timeout record is followed by the same
 * flow: nothing happens.  Any other end (idle timeout, eviction, forced at
 * shutdown) only means the probe stopped following the connection, which
 * may still be alive: it no longer counts as open, and the session is left
 * to the session timeout (SESS_END_TIMEOUT, ended at its last evidence) or
 * to sig_shutdown() (SESS_END_SHUTDOWN).
 */
void sig_flow_end(struct sig_engine *se, struct flow *f,
		  enum flow_end_reason r)
{
	struct sig_client *c;
	uint32_t id;

	if (r == END_ACTIVE_TIMEOUT || !(f->sig.flags & SF_SN_OPEN))
		return;
	f->sig.flags &= (uint8_t)~SF_SN_OPEN;
	c = sig_flow_client(se, f);
	if (!c)
		return;
	if (c->n_sn_open > 0)
		c->n_sn_open--;
	if (c->n_sn_open > 0)
		return;
	id = sig_session_of(se, c);
	if (r != END_OF_FLOW || id == 0 || id != f->session_id)
		return;
	session_end(se->sessions, c->session_slot, id, SESS_END_SN_CLOSED,
		    f->last_us);
	c->session_id = 0;
	c->login_phase = LOGIN_NONE;
}

/* ---- life cycle -------------------------------------------------------- */

struct sig_engine *sig_engine_new(const struct skyprobe_config *cfg,
				  session_emit_fn emit, void *emit_ctx)
{
	struct sig_engine *se = calloc(1, sizeof(*se));
	uint32_t nb = 1, max = cfg->max_clients ? cfg->max_clients : 1;

	if (!se)
		return NULL;
	while (nb < max && nb < (1u << 31))
		nb <<= 1;
	se->cfg = *cfg;
	se->max_clients = max;
	se->bucket_mask = nb - 1;
	se->clients = calloc(max, sizeof(*se->clients));
	se->dense = calloc(max, sizeof(*se->dense));
	se->buckets = malloc((size_t)nb * sizeof(*se->buckets));
	se->sessions = session_tracker_new(cfg->max_sessions, emit, emit_ctx);
	se->seqid = calloc(SEQID_SLOTS, sizeof(*se->seqid));
	if (!se->clients || !se->dense || !se->buckets || !se->sessions ||
	    !se->seqid) {
		sig_engine_free(se);
		return NULL;
	}
	memset(se->buckets, 0xff, (size_t)nb * sizeof(*se->buckets));
	se->free_head = CLIENT_NIL;
	return se;
}

void sig_engine_free(struct sig_engine *se)
{
	if (!se)
		return;
	session_tracker_free(se->sessions);
	free(se->clients);
	free(se->dense);
	free(se->buckets);
	free(se->seqid);
	free(se);
}

/* Switches, address lists, bootstrap port and timeouts apply at once;
 * table capacities stay those of sig_engine_new(). */
void sig_engine_reconfigure(struct sig_engine *se,
			    const struct skyprobe_config *cfg)
{
	uint32_t max_clients = se->cfg.max_clients;
	uint32_t max_sessions = se->cfg.max_sessions;

	se->cfg = *cfg;
	se->cfg.max_clients = max_clients;
	se->cfg.max_sessions = max_sessions;
}

/*
 * Sessions without evidence for session_timeout_s end first; then clients
 * idle for client_expiry_s go, except those with an open session or SN
 * connection (their session's timeout comes first).  Costs the number of
 * open sessions plus tracked clients, so it runs at most once per second of
 * packet time.
 */
void sig_expire(struct sig_engine *se, uint64_t now_us)
{
	uint64_t expiry = (uint64_t)se->cfg.client_expiry_s * US_PER_S;
	uint32_t i = 0;

	if (se->last_expire_us && now_us < se->last_expire_us + EXPIRE_EVERY_US)
		return;
	se->last_expire_us = now_us;
	session_expire(se->sessions, now_us,
		       (uint64_t)se->cfg.session_timeout_s * US_PER_S);
	if (expiry == 0)
		return;
	while (i < se->n_clients) {
		uint32_t slot = se->dense[i];
		struct sig_client *c = &se->clients[slot];

		if (c->last_us + expiry <= now_us && c->n_sn_open == 0 &&
		    sig_session_of(se, c) == 0)
			client_remove(se, slot);    /* moves another into i */
		else
			i++;
	}
}

void sig_shutdown(struct sig_engine *se, uint64_t now_us)
{
	session_shutdown(se->sessions, now_us);
}

void sig_get_counters(const struct sig_engine *se, struct sig_counters *c)
{
	struct session_counters sc;

	*c = se->ctr;
	session_get_counters(se->sessions, &sc);
	c->clients = se->n_clients;
	c->session_limit_hits = sc.limit_hits;
	c->sessions_started = sc.started;
	c->sessions_ended = sc.ended;
}
