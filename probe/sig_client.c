/*
 * sig_client.c - the client table, super-node rings and session glue (see
 * sig_client.h).
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
 * only, they cannot be told apart and count as one client.  When the table
 * is full a new client is not tracked (limit_hits); existing ones are not
 * evicted.
 */
#include "sig_client.h"

#include <stdlib.h>

#define CLIENT_NIL UINT32_MAX

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

/* ---- the table ---------------------------------------------------------- */

int sig_clients_init(struct sig_clients *t, uint32_t max_clients,
		     struct session_tracker *sessions)
{
	uint32_t nb = 1, max = max_clients ? max_clients : 1;

	memset(t, 0, sizeof(*t));
	while (nb < max && nb < (1u << 31))
		nb <<= 1;
	t->max_clients = max;
	t->bucket_mask = nb - 1;
	t->free_head = CLIENT_NIL;
	t->sessions = sessions;
	t->clients = calloc(max, sizeof(*t->clients));
	t->dense = calloc(max, sizeof(*t->dense));
	t->buckets = malloc((size_t)nb * sizeof(*t->buckets));
	if (!t->clients || !t->dense || !t->buckets)
		return -1;
	memset(t->buckets, 0xff, (size_t)nb * sizeof(*t->buckets));
	return 0;
}

void sig_clients_free(struct sig_clients *t)
{
	free(t->clients);
	free(t->dense);
	free(t->buckets);
	t->clients = NULL;
	t->dense = t->buckets = NULL;
}

static uint32_t client_slot(const struct sig_clients *t,
			    const struct sig_client *c)
{
	return (uint32_t)(c - t->clients);
}

struct sig_client *sig_client_find(struct sig_clients *t,
				   const uint8_t addr[16], uint16_t port)
{
	uint32_t i = t->buckets[sig_addr_hash(addr) & t->bucket_mask];
	struct sig_client *best = NULL, *unknown_port = NULL;

	for (; i != CLIENT_NIL; i = t->clients[i].hash_next) {
		struct sig_client *c = &t->clients[i];

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

struct sig_client *sig_client_get(struct sig_clients *t,
				  const uint8_t addr[16], uint16_t port,
				  uint64_t ts_us)
{
	struct sig_client *c = sig_client_find(t, addr, port);
	uint32_t i, b;

	if (c) {
		if (c->udp_port == 0)
			c->udp_port = port;     /* adopt TCP-only entry */
		if (ts_us > c->last_us)
			c->last_us = ts_us;
		return c;
	}
	if (t->free_head != CLIENT_NIL) {
		i = t->free_head;
		t->free_head = t->clients[i].hash_next;
	} else if (t->never_used < t->max_clients) {
		i = t->never_used++;    /* first use: pages touched only now */
	} else {
		t->limit_hits++;
		return NULL;
	}
	c = &t->clients[i];
	memset(c, 0, sizeof(*c));
	memcpy(c->addr, addr, 16);
	c->udp_port = port;
	c->in_use = 1;
	c->last_us = ts_us;
	b = sig_addr_hash(addr) & t->bucket_mask;
	c->hash_next = t->buckets[b];
	t->buckets[b] = i;
	c->dense_pos = t->n_clients;
	t->dense[t->n_clients++] = i;
	return c;
}

static void client_remove(struct sig_clients *t, uint32_t i)
{
	struct sig_client *c = &t->clients[i];
	uint32_t *link = &t->buckets[sig_addr_hash(c->addr) & t->bucket_mask];
	uint32_t moved;

	while (*link != i)
		link = &t->clients[*link].hash_next;
	*link = c->hash_next;
	moved = t->dense[--t->n_clients];
	t->dense[c->dense_pos] = moved;
	t->clients[moved].dense_pos = c->dense_pos;
	c->in_use = 0;
	c->hash_next = t->free_head;
	t->free_head = i;
}

/* A client with an open session or SN connection stays: its session's
 * timeout comes first. */
void sig_clients_expire(struct sig_clients *t, uint64_t now_us,
			uint64_t expiry_us)
{
	uint32_t i = 0;

	while (i < t->n_clients) {
		uint32_t slot = t->dense[i];
		struct sig_client *c = &t->clients[slot];

		if (c->last_us + expiry_us <= now_us && c->n_sn_open == 0 &&
		    sig_session_of(t, c) == 0)
			client_remove(t, slot);     /* moves another into i */
		else
			i++;
	}
}

struct sig_client *sig_client_find_pos(struct sig_clients *t,
				       const uint8_t addr[16],
				       const uint8_t sn[16], uint16_t sn_port,
				       struct sn_ref **ref)
{
	uint32_t i = t->buckets[sig_addr_hash(addr) & t->bucket_mask];
	struct sig_client *best = NULL;

	for (; i != CLIENT_NIL; i = t->clients[i].hash_next) {
		struct sig_client *c = &t->clients[i];
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

/* ---- flows and clients ------------------------------------------------ */

/* The slot in aux may have been reused by another client since: the
 * address check catches that. */
struct sig_client *sig_flow_client(struct sig_clients *t, struct flow *f)
{
	struct sig_client *c;

	if (!(f->sig.flags & SF_CLIENT) || f->sig.aux >= t->max_clients)
		return NULL;
	c = &t->clients[f->sig.aux];
	if (!c->in_use || !sig_addr_eq(c->addr, f->key.src))
		return NULL;
	return c;
}

void sig_flow_set_client(struct sig_clients *t, struct flow *f,
			 struct sig_client *c)
{
	f->sig.aux = client_slot(t, c);
	f->sig.flags |= SF_CLIENT;
}

/* ---- super-node rings --------------------------------------------------- */

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

uint32_t sig_session_of(struct sig_clients *t, struct sig_client *c)
{
	if (c->session_id == 0)
		return 0;
	if (session_alive(t->sessions, c->session_slot, c->session_id))
		return c->session_id;
	/* ended by timeout, eviction or shutdown: the login phase was that
	 * session's */
	c->session_id = 0;
	c->login_phase = LOGIN_NONE;
	return 0;
}

uint32_t sig_session_ensure(struct sig_clients *t, struct sig_client *c,
			    uint64_t ts_us, uint8_t mode, uint8_t version)
{
	uint32_t id = sig_session_of(t, c);

	if (id)
		return id;
	if (version == SKYPE_VER_UNKNOWN)
		version = c->version;
	c->session_id = session_start(t->sessions, c->addr, c->udp_port,
				      ts_us, mode, version, c->login_phase,
				      &c->session_slot);
	return c->session_id;
}

void sig_evidence(struct sig_clients *t, struct sig_client *c,
		  struct flow *f, uint64_t ts_us)
{
	uint32_t id;

	if (ts_us > c->last_us)
		c->last_us = ts_us;
	id = sig_session_of(t, c);
	if (!id)
		return;
	session_evidence(t->sessions, c->session_slot, id, ts_us);
	if (f)
		f->session_id = id;
}

void sig_set_login_phase(struct sig_clients *t, struct sig_client *c,
			 uint8_t phase)
{
	uint32_t id = sig_session_of(t, c);

	c->login_phase = phase;
	if (id)
		session_set_login(t->sessions, c->session_slot, id, phase);
}

void sig_session_close(struct sig_clients *t, struct sig_client *c,
		       uint32_t id, enum session_end_reason reason,
		       uint64_t ts_us)
{
	session_end(t->sessions, c->session_slot, id, reason, ts_us);
	c->session_id = 0;
	c->login_phase = LOGIN_NONE;
}
