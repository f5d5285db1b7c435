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

/* An (address, 0) entry that a client with a UDP port may adopt: one
 * without a session or SN connection of its own (a restricted-mode client
 * behind the same address has both). */
static int adoptable(struct sig_clients *t, struct sig_client *c)
{
	return c->udp_port == 0 && sig_session_of(t, c) == 0 &&
	       sig_sn_open(t, c) == 0;
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
		} else if (c->udp_port == 0 && !unknown_port &&
			   adoptable(t, c)) {
			unknown_port = c;
		}
	}
	return port == 0 ? best : unknown_port;
}

static struct sig_client *client_new(struct sig_clients *t,
				     const uint8_t addr[16], uint16_t port,
				     uint64_t ts_us)
{
	struct sig_client *c;
	uint32_t i, b;

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

struct sig_client *sig_client_get(struct sig_clients *t,
				  const uint8_t addr[16], uint16_t port,
				  uint64_t ts_us)
{
	struct sig_client *c = sig_client_find(t, addr, port);

	if (c) {
		if (c->udp_port == 0)
			c->udp_port = port;     /* adopt TCP-only entry */
		if (ts_us > c->last_us)
			c->last_us = ts_us;
		return c;
	}
	return client_new(t, addr, port, ts_us);
}

struct sig_client *sig_client_for_restricted(struct sig_clients *t,
					     const uint8_t addr[16],
					     uint64_t ts_us)
{
	uint32_t i = t->buckets[sig_addr_hash(addr) & t->bucket_mask];
	struct sig_client *best = NULL;

	for (; i != CLIENT_NIL; i = t->clients[i].hash_next) {
		struct sig_client *c = &t->clients[i];

		if (!sig_addr_eq(c->addr, addr) || sig_sn_open(t, c) > 0)
			continue;
		/* TCP-only entries first, then the most recently active */
		if (!best || (c->udp_port == 0 && best->udp_port != 0) ||
		    ((c->udp_port == 0) == (best->udp_port == 0) &&
		     c->last_us > best->last_us))
			best = c;
	}
	if (best) {
		if (ts_us > best->last_us)
			best->last_us = ts_us;
		return best;
	}
	return client_new(t, addr, 0, ts_us);
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
	if (!c->in_use || !sig_addr_eq(c->addr, (f->sig.flags & SF_REVERSED) ?
				       f->key.dst : f->key.src))
		return NULL;
	return c;
}

void sig_flow_set_client(struct sig_clients *t, struct flow *f,
			 struct sig_client *c)
{
	f->sig.aux = client_slot(t, c);
	f->sig.flags |= SF_CLIENT;
}

/* ---- remembered connections (continuity) ------------------------------ */

/* A remembered entry still stands: its session is c's open one, or it
 * had none. */
static int mem_valid(struct sig_clients *t, struct sig_client *c,
		     const struct sig_conn_mem *m)
{
	return m->used &&
	       (m->session_id == 0 || m->session_id == sig_session_of(t, c));
}

uint32_t sig_sn_open(struct sig_clients *t, struct sig_client *c)
{
	uint32_t n = c->n_sn_open;

	for (unsigned i = 0; i < SIG_MEM_CONN; i++)
		if (c->mem[i].open && c->mem[i].session_id != 0 &&
		    mem_valid(t, c, &c->mem[i]))
			n++;
	return n;
}

/* Where a new entry goes: a free or stale one, else the next in the ring
 * (bounded memory: the oldest is forgotten). */
static struct sig_conn_mem *mem_slot(struct sig_clients *t,
				     struct sig_client *c)
{
	struct sig_conn_mem *m;

	for (unsigned i = 0; i < SIG_MEM_CONN; i++)
		if (!mem_valid(t, c, &c->mem[i]))
			return &c->mem[i];
	m = &c->mem[c->mem_next % SIG_MEM_CONN];
	c->mem_next = (uint8_t)((c->mem_next + 1) % SIG_MEM_CONN);
	return m;
}

void sig_mem_add(struct sig_clients *t, struct sig_client *c,
		 const struct flow *f, int connected)
{
	int rev = (f->sig.flags & SF_REVERSED) != 0;
	const uint8_t *peer = rev ? f->key.src : f->key.dst;
	uint16_t pport = rev ? f->key.sport : f->key.dport;
	uint16_t cport = rev ? f->key.dport : f->key.sport;
	struct sig_conn_mem *m = NULL;

	for (unsigned i = 0; i < SIG_MEM_CONN && !m; i++)
		if (c->mem[i].used && c->mem[i].peer_port == pport &&
		    c->mem[i].client_port == cport &&
		    sig_addr_eq(c->mem[i].peer, peer))
			m = &c->mem[i];
	if (!m)
		m = mem_slot(t, c);
	memset(m, 0, sizeof(*m));
	memcpy(m->peer, peer, 16);
	m->peer_port = pport;
	m->client_port = cport;
	m->session_id = f->session_id;
	m->used = 1;
	m->role = f->role;
	m->path = f->sig.path;
	m->connected = (uint8_t)(connected != 0);
	m->open = (f->sig.flags & SF_SN_OPEN) != 0;
	m->version = f->sig.version;
}

static struct sig_client *mem_find(struct sig_clients *t,
				   const uint8_t caddr[16], uint16_t cport,
				   const uint8_t peer[16], uint16_t pport,
				   struct sig_conn_mem **out)
{
	uint32_t i = t->buckets[sig_addr_hash(caddr) & t->bucket_mask];

	for (; i != CLIENT_NIL; i = t->clients[i].hash_next) {
		struct sig_client *c = &t->clients[i];

		if (!sig_addr_eq(c->addr, caddr))
			continue;
		for (unsigned k = 0; k < SIG_MEM_CONN; k++) {
			struct sig_conn_mem *m = &c->mem[k];

			if (m->used && m->client_port == cport &&
			    m->peer_port == pport &&
			    sig_addr_eq(m->peer, peer) &&
			    mem_valid(t, c, m)) {
				*out = m;
				return c;
			}
		}
	}
	return NULL;
}

struct sig_client *sig_mem_take(struct sig_clients *t, const struct flow *f,
				struct sig_conn_mem *m, int *reversed)
{
	struct sig_conn_mem *e = NULL;
	struct sig_client *c;

	c = mem_find(t, f->key.src, f->key.sport, f->key.dst, f->key.dport,
		     &e);
	*reversed = 0;
	if (!c) {
		c = mem_find(t, f->key.dst, f->key.dport, f->key.src,
			     f->key.sport, &e);
		*reversed = 1;
	}
	if (!c)
		return NULL;
	*m = *e;
	e->used = 0;
	e->open = 0;
	return c;
}

void sig_mem_drop_peer(struct sig_client *c, const uint8_t sn[16],
		       uint16_t port)
{
	for (unsigned i = 0; i < SIG_MEM_CONN; i++)
		if (c->mem[i].used && c->mem[i].peer_port == port &&
		    sig_addr_eq(c->mem[i].peer, sn)) {
			c->mem[i].used = 0;
			c->mem[i].open = 0;
		}
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
