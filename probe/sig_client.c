/*
 * sig_client.c - the client table, super-node rings and session glue (see
 * sig_client.h).
 *
 * Client table: max_clients entries preallocated (first touched when first
 * used, so memory grows with the clients seen), with a free list; expiry
 * walks the LRU lists (below) from their idle heads.  A client is (address, UDP
 * port): the UDP port of its probes tells clients behind one NAT apart.
 * TCP-only evidence (restricted mode, login) carries no UDP port and goes
 * to the most recently active client of the address, or to a new
 * (address, 0) entry that the first probe from that address later adopts.
 * Where two NATed clients talk TCP only, they cannot be told apart and
 * count as one client.
 *
 * Bounded work (issue 9).  Clients are found through an address index:
 * a seeded hash of the address picks a chain of address entries (at most
 * SIG_ADDR_CHAIN_MAX long; a new address that would make it longer is not
 * tracked), and each address entry lists its clients (at most
 * SIG_CLIENTS_PER_ADDR).  So an (address, port) look-up and every
 * address-only look-up ("the most recently active client of an address",
 * continuity) visit at most SIG_ADDR_CHAIN_MAX addresses plus
 * SIG_CLIENTS_PER_ADDR clients, whether spoofed traffic comes from one
 * address (many ports) or from many addresses.  The seed keeps crafted
 * addresses from piling up on one chain.
 *
 * Eviction.  Each client is on one of two LRU lists, candidates (a
 * probe, an R1, a login: nothing confirmed) and protected (its session
 * reached step 9, or an SN connection is open), moved to the tail of its
 * list whenever it is active.  A new client that finds the table full
 * takes the place of the least recently active candidate; one that finds
 * its address full, that of the address's least recently active
 * candidate.  Protected clients are never evicted to make room: when none
 * can give way the new client is not tracked (limit_hits).  The class is
 * computed when the client is active; one that changed since (its
 * session ended) is found when the victim search looks at it, and that
 * search looks at no more than SIG_EVICT_LOOK list heads.  An evicted
 * client's open session ends (SESS_END_EVICTED): nothing could reach it
 * any more.
 */
#include "sig_client.h"

#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define CLIENT_NIL UINT32_MAX

static uint64_t mix64(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return h;
}

static uint32_t seeded_hash(uint64_t seed, const uint8_t a[16])
{
	uint64_t h = seed;

	for (int i = 0; i < 16; i += 8) {
		uint64_t w;

		memcpy(&w, a + i, 8);
		h = mix64(h ^ w);
	}
	return (uint32_t)h;
}

uint32_t sig_addr_hash(const uint8_t a[16])
{
	return seeded_hash(0, a);
}

/* ---- the table ---------------------------------------------------------- */

/*
 * The tables, as the flow table's (flow_table.c): anonymous memory, zero
 * and untouched until first used, page aligned (so cache-line aligned),
 * with a hint for huge pages: a flood touches every client entry at
 * random, and small pages cost a fault each (13,000 of them for the
 * default tables) and a TLB miss on almost every look-up.
 */
#define HUGE_PAGE (2u << 20)

static size_t huge_round(size_t len)
{
	return (len + HUGE_PAGE - 1) & ~(size_t)(HUGE_PAGE - 1);
}

static void *table_alloc(size_t n, size_t size)
{
	size_t len = huge_round(n * size);
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	madvise(p, len, MADV_HUGEPAGE);
	return p;
}

static void table_free(void *p, size_t n, size_t size)
{
	if (p)
		munmap(p, huge_round(n * size));
}

int sig_clients_init(struct sig_clients *t, uint32_t max_clients,
		     struct session_tracker *sessions)
{
	uint32_t nb = 1, max = max_clients ? max_clients : 1;
	uint64_t seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32) ^
			(uint64_t)(uintptr_t)t;

	memset(t, 0, sizeof(*t));
	while (nb < max && nb < (1u << 31))
		nb <<= 1;
	t->max_clients = max;
	t->bucket_mask = nb - 1;
	t->seed = mix64(seed);
	t->free_head = CLIENT_NIL;
	t->addr_free = CLIENT_NIL;
	for (int k = 0; k < 2; k++)
		t->lru_head[k] = t->lru_tail[k] = CLIENT_NIL;
	t->sessions = sessions;
	t->clients = table_alloc(max, sizeof(*t->clients));
	t->addrs = table_alloc(max, sizeof(*t->addrs));
	t->buckets = table_alloc(nb, sizeof(*t->buckets));
	if (!t->clients || !t->addrs || !t->buckets)
		return -1;
	for (uint32_t b = 0; b < nb; b++) {
		t->buckets[b].head = CLIENT_NIL;
		t->buckets[b].len = 0;
		t->buckets[b].head_tag = 0;
	}
	return 0;
}

void sig_clients_seed(struct sig_clients *t, uint64_t seed)
{
	if (t->n_clients == 0)
		t->seed = seed;
}

void sig_clients_free(struct sig_clients *t)
{
	table_free(t->clients, t->max_clients, sizeof(*t->clients));
	table_free(t->addrs, t->max_clients, sizeof(*t->addrs));
	table_free(t->buckets, (size_t)t->bucket_mask + 1,
		   sizeof(*t->buckets));
	t->clients = NULL;
	t->addrs = NULL;
	t->buckets = NULL;
}

static uint32_t client_slot(const struct sig_clients *t,
			    const struct sig_client *c)
{
	return (uint32_t)(c - t->clients);
}

static uint32_t hash_of(const struct sig_clients *t, const uint8_t a[16])
{
	return seeded_hash(t->seed, a);
}

static uint32_t bucket_of(const struct sig_clients *t, uint32_t h)
{
	return h & t->bucket_mask;
}

static uint16_t tag_of(uint32_t h)
{
	return (uint16_t)(h >> 16);
}

static void walked(struct sig_clients *t, uint32_t steps)
{
	t->walk_steps += steps;
	if (steps > t->walk_max)
		t->walk_max = steps;
}

/* The address entry of addr, or NULL (at most SIG_ADDR_CHAIN_MAX steps). */
static struct sig_addr_ent *addr_find(struct sig_clients *t,
				      const uint8_t addr[16])
{
	uint32_t h = hash_of(t, addr);
	const struct sig_addr_bucket *bk = &t->buckets[bucket_of(t, h)];
	uint32_t i = bk->head, steps = 0;
	struct sig_addr_ent *a = NULL;

	if (bk->len == 1 && bk->head_tag != tag_of(h))
		i = CLIENT_NIL;         /* one other address: not read */
	for (; i != CLIENT_NIL; i = t->addrs[i].next) {
		steps++;
		if (sig_addr_eq(t->addrs[i].addr, addr)) {
			a = &t->addrs[i];
			break;
		}
	}
	walked(t, steps);
	return a;
}

/* The clients of address entry a: for (c = first(a); c; c = next(c)). */
static struct sig_client *first_of(struct sig_clients *t,
				   const struct sig_addr_ent *a)
{
	return a && a->first != CLIENT_NIL ? &t->clients[a->first] : NULL;
}

static struct sig_client *next_of(struct sig_clients *t,
				  const struct sig_client *c)
{
	t->walk_steps++;
	return c->sib_next != CLIENT_NIL ? &t->clients[c->sib_next] : NULL;
}

/* ---- LRU classes -------------------------------------------------------- */

/* Worth keeping over any candidate: a connected session or an SN
 * connection (possibly) open. */
static int protected_client(struct sig_clients *t, struct sig_client *c)
{
	uint32_t id = sig_session_of(t, c);

	if (id && session_is_connected(t->sessions, c->session_slot, id))
		return 1;
	return sig_sn_open(t, c) > 0;
}

static void lru_unlink(struct sig_clients *t, uint32_t i)
{
	struct sig_client *c = &t->clients[i];

	if (c->lru_prev != CLIENT_NIL)
		t->clients[c->lru_prev].lru_next = c->lru_next;
	else
		t->lru_head[c->lru_class] = c->lru_next;
	if (c->lru_next != CLIENT_NIL)
		t->clients[c->lru_next].lru_prev = c->lru_prev;
	else
		t->lru_tail[c->lru_class] = c->lru_prev;
}

static void lru_push(struct sig_clients *t, uint32_t i, uint8_t cls)
{
	struct sig_client *c = &t->clients[i];

	c->lru_class = cls;
	c->lru_next = CLIENT_NIL;
	c->lru_prev = t->lru_tail[cls];
	if (c->lru_prev != CLIENT_NIL)
		t->clients[c->lru_prev].lru_next = i;
	else
		t->lru_head[cls] = i;
	t->lru_tail[cls] = i;
}

/* c is active at ts_us: the tail of its class's list. */
static void touch(struct sig_clients *t, struct sig_client *c, uint64_t ts_us)
{
	uint32_t i = client_slot(t, c);
	uint8_t cls = protected_client(t, c) ? SIG_LRU_PROTECTED :
		      SIG_LRU_CANDIDATE;

	if (ts_us > c->last_us)
		c->last_us = ts_us;
	if (t->lru_tail[c->lru_class] == i && c->lru_class == cls)
		return;
	lru_unlink(t, i);
	lru_push(t, i, cls);
}

/* An (address, 0) entry that a client with a UDP port may adopt: one
 * without a session or SN connection of its own (a restricted-mode client
 * behind the same address has both). */
static int adoptable(struct sig_clients *t, struct sig_client *c)
{
	return c->udp_port == 0 && sig_session_of(t, c) == 0 &&
	       sig_sn_open(t, c) == 0;
}

static struct sig_client *find_in(struct sig_clients *t,
				  struct sig_addr_ent *a, uint16_t port)
{
	struct sig_client *c, *best = NULL, *unknown_port = NULL;

	for (c = first_of(t, a); c; c = next_of(t, c)) {
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

struct sig_client *sig_client_find(struct sig_clients *t,
				   const uint8_t addr[16], uint16_t port)
{
	return find_in(t, addr_find(t, addr), port);
}

/*
 * The next victim's cache lines, fetched one eviction ahead (issue 9: a
 * flood evicts a client per probe pair, from the idle end of a 40 MB
 * table).  The candidates' head is already in cache (unlinking its
 * predecessor wrote its lru_prev); what evicting and reusing it will read
 * or write is not: its address entry, its session, its successor on the
 * list and the first ring entry the new client writes.
 */
static void prefetch_victim(const struct sig_clients *t)
{
	uint32_t i = t->lru_head[SIG_LRU_CANDIDATE];
	const struct sig_client *c;

	if (i == CLIENT_NIL || t->n_clients + 1 < t->max_clients)
		return;
	c = &t->clients[i];
	__builtin_prefetch(&t->addrs[c->addr_slot]);
	if (c->lru_next != CLIENT_NIL)
		__builtin_prefetch(&t->clients[c->lru_next]);
	__builtin_prefetch(&c->pos[0], 1);
	if (c->session_id)
		session_prefetch(t->sessions, c->session_slot);
}

static void client_remove(struct sig_clients *t, uint32_t i)
{
	struct sig_client *c = &t->clients[i];
	struct sig_addr_ent *a = &t->addrs[c->addr_slot];
	uint32_t *link = &a->first;

	while (*link != i)
		link = &t->clients[*link].sib_next;
	*link = c->sib_next;
	if (--a->n == 0) {
		struct sig_addr_bucket *bk = &t->buckets[bucket_of(t, a->hash)];

		link = &bk->head;
		while (*link != c->addr_slot)
			link = &t->addrs[*link].next;
		*link = a->next;
		bk->len--;
		if (link == &bk->head && bk->head != CLIENT_NIL)
			bk->head_tag = tag_of(t->addrs[bk->head].hash);
		a->in_use = 0;
		a->next = t->addr_free;
		t->addr_free = c->addr_slot;
	}
	lru_unlink(t, i);
	t->n_clients--;
	c->in_use = 0;
	c->sib_next = t->free_head;
	t->free_head = i;
	prefetch_victim(t);
}

/* Make room: c goes, and its open session with it. */
static void evict(struct sig_clients *t, struct sig_client *c)
{
	uint32_t id = sig_session_of(t, c);

	if (id)
		session_evict(t->sessions, c->session_slot, id);
	t->evictions++;
	client_remove(t, client_slot(t, c));
}

/* The least recently active candidate of the table, or NULL: the
 * candidates' list head (those found protected by now move to the other
 * list), else a protected-list head whose protection has lapsed; at most
 * SIG_EVICT_LOOK entries of each list are looked at. */
static struct sig_client *table_victim(struct sig_clients *t)
{
	uint32_t i;
	int k;

	for (k = 0; k < SIG_EVICT_LOOK; k++) {
		i = t->lru_head[SIG_LRU_CANDIDATE];
		if (i == CLIENT_NIL)
			break;
		if (!protected_client(t, &t->clients[i]))
			return &t->clients[i];
		lru_unlink(t, i);
		lru_push(t, i, SIG_LRU_PROTECTED);
	}
	i = t->lru_head[SIG_LRU_PROTECTED];
	for (k = 0; k < SIG_EVICT_LOOK && i != CLIENT_NIL; k++) {
		if (!protected_client(t, &t->clients[i]))
			return &t->clients[i];
		i = t->clients[i].lru_next;
	}
	return NULL;
}

/* The least recently active candidate among a's clients, or NULL. */
static struct sig_client *addr_victim(struct sig_clients *t,
				      const struct sig_addr_ent *a)
{
	struct sig_client *c, *best = NULL;

	for (c = first_of(t, a); c; c = next_of(t, c))
		if ((!best || c->last_us < best->last_us) &&
		    !protected_client(t, c))
			best = c;
	return best;
}

/* a: addr's entry (addr_find), or NULL when it has none. */
static struct sig_client *client_new(struct sig_clients *t,
				     struct sig_addr_ent *a,
				     const uint8_t addr[16], uint16_t port,
				     uint64_t ts_us)
{
	struct sig_client *c, *victim = NULL;
	uint32_t i, h = hash_of(t, addr), ai;
	struct sig_addr_bucket *bk = &t->buckets[bucket_of(t, h)];
	uint16_t gen;

	if (!a && bk->len >= SIG_ADDR_CHAIN_MAX) {
		t->limit_hits++;        /* a new address on a full chain */
		return NULL;
	}
	if (a && a->n >= SIG_CLIENTS_PER_ADDR)
		victim = addr_victim(t, a);
	else if (t->n_clients >= t->max_clients)
		victim = table_victim(t);
	if ((a && a->n >= SIG_CLIENTS_PER_ADDR) ||
	    t->n_clients >= t->max_clients) {
		if (!victim) {
			t->limit_hits++;
			return NULL;
		}
		if (a && victim->addr_slot == (uint32_t)(a - t->addrs) &&
		    a->n == 1)
			a = NULL;       /* the victim was its last client */
		evict(t, victim);
	}
	if (t->free_head != CLIENT_NIL) {
		i = t->free_head;
		t->free_head = t->clients[i].sib_next;
	} else {
		i = t->never_used++;    /* first use: pages touched only now */
	}
	if (!a) {
		if (t->addr_free != CLIENT_NIL) {
			ai = t->addr_free;
			t->addr_free = t->addrs[ai].next;
		} else {
			ai = t->addr_never_used++;
		}
		a = &t->addrs[ai];
		memcpy(a->addr, addr, 16);
		a->n = 0;
		a->in_use = 1;
		a->first = CLIENT_NIL;
		a->hash = h;
		a->next = bk->head;
		bk->head = ai;
		bk->head_tag = tag_of(h);
		bk->len++;
	}
	c = &t->clients[i];
	gen = (uint16_t)(c->gen + 1);
	memset(c, 0, SIG_CLIENT_HEAD);  /* the rings: see sig_sn_filled() */
	c->gen = gen;
	memcpy(c->addr, addr, 16);
	c->udp_port = port;
	c->in_use = 1;
	c->last_us = ts_us;
	c->addr_slot = (uint32_t)(a - t->addrs);
	c->sib_next = a->first;
	a->first = i;
	a->n++;
	t->n_clients++;
	lru_push(t, i, SIG_LRU_CANDIDATE);
	return c;
}

struct sig_client *sig_client_get(struct sig_clients *t,
				  const uint8_t addr[16], uint16_t port,
				  uint64_t ts_us)
{
	struct sig_addr_ent *a = addr_find(t, addr);
	struct sig_client *c = find_in(t, a, port);

	if (c) {
		if (c->udp_port == 0)
			c->udp_port = port;     /* adopt TCP-only entry */
		touch(t, c, ts_us);
		return c;
	}
	return client_new(t, a, addr, port, ts_us);
}

struct sig_client *sig_client_for_restricted(struct sig_clients *t,
					     const uint8_t addr[16],
					     uint64_t ts_us)
{
	struct sig_addr_ent *a = addr_find(t, addr);
	struct sig_client *c, *best = NULL;

	for (c = first_of(t, a); c; c = next_of(t, c)) {
		if (sig_sn_open(t, c) > 0)
			continue;
		/* TCP-only entries first, then the most recently active */
		if (!best || (c->udp_port == 0 && best->udp_port != 0) ||
		    ((c->udp_port == 0) == (best->udp_port == 0) &&
		     c->last_us > best->last_us))
			best = c;
	}
	if (best) {
		touch(t, best, ts_us);
		return best;
	}
	return client_new(t, a, addr, 0, ts_us);
}

/* A client with an open session or SN connection stays: its session's
 * timeout comes first.  The LRU lists are in order of activity, so only
 * their idle heads are looked at (a client that must stay goes to the
 * tail: looked at again after a full round); at most n_clients steps. */
void sig_clients_expire(struct sig_clients *t, uint64_t now_us,
			uint64_t expiry_us)
{
	uint32_t steps = t->n_clients;

	for (int cls = 0; cls < 2; cls++) {
		uint32_t i;

		while ((i = t->lru_head[cls]) != CLIENT_NIL && steps > 0) {
			struct sig_client *c = &t->clients[i];

			steps--;
			if (c->last_us + expiry_us > now_us)
				break;
			if (c->n_sn_open == 0 && sig_session_of(t, c) == 0) {
				client_remove(t, i);
			} else {
				lru_unlink(t, i);
				lru_push(t, i, protected_client(t, c) ?
					 SIG_LRU_PROTECTED :
					 SIG_LRU_CANDIDATE);
			}
		}
	}
}

struct sig_client *sig_client_find_pos(struct sig_clients *t,
				       const uint8_t addr[16],
				       const uint8_t sn[16], uint16_t sn_port,
				       struct sn_ref **ref)
{
	struct sig_addr_ent *a = addr_find(t, addr);
	struct sig_client *c, *best = NULL;

	for (c = first_of(t, a); c; c = next_of(t, c)) {
		struct sn_ref *r = sig_sn_find(c->pos,
					       sig_sn_filled(c->pos_next,
							     SIG_POS_SN),
					       sn, sn_port);

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
	if (!c->in_use || c->gen != f->sig.client_gen || !sig_addr_eq(c->addr, (f->sig.flags & SF_REVERSED) ?
				       f->key.dst : f->key.src))
		return NULL;
	return c;
}

void sig_flow_set_client(struct sig_clients *t, struct flow *f,
			 struct sig_client *c)
{
	f->sig.aux = client_slot(t, c);
	f->sig.client_gen = c->gen;
	f->sig.flags |= SF_CLIENT;
}

/* ---- remembered connections (continuity) ------------------------------ */

static int mem_used(const struct sig_client *c, unsigned k)
{
	return (c->mem_used >> k) & 1;
}

/* A remembered entry still stands: its session is c's open one, or it
 * had none. */
static int mem_valid(struct sig_clients *t, struct sig_client *c, unsigned k)
{
	return mem_used(c, k) &&
	       (c->mem[k].session_id == 0 ||
		c->mem[k].session_id == sig_session_of(t, c));
}

static void mem_forget(struct sig_client *c, unsigned k)
{
	c->mem_used &= (uint8_t)~(1u << k);
	c->mem[k].open = 0;
}

uint32_t sig_sn_open(struct sig_clients *t, struct sig_client *c)
{
	uint32_t n = c->n_sn_open;

	if (!c->mem_used)
		return n;
	for (unsigned i = 0; i < SIG_MEM_CONN; i++)
		if (mem_used(c, i) && c->mem[i].open &&
		    c->mem[i].session_id != 0 && mem_valid(t, c, i))
			n++;
	return n;
}

/* Where a new entry goes: a free or stale one, else the next in the ring
 * (bounded memory: the oldest is forgotten). */
static unsigned mem_slot(struct sig_clients *t, struct sig_client *c)
{
	unsigned k;

	for (k = 0; k < SIG_MEM_CONN; k++)
		if (!mem_valid(t, c, k))
			return k;
	k = c->mem_next % SIG_MEM_CONN;
	c->mem_next = (uint8_t)((c->mem_next + 1) % SIG_MEM_CONN);
	return k;
}

void sig_mem_add(struct sig_clients *t, struct sig_client *c,
		 const struct flow *f, int connected)
{
	int rev = (f->sig.flags & SF_REVERSED) != 0;
	const uint8_t *peer = rev ? f->key.src : f->key.dst;
	uint16_t pport = rev ? f->key.sport : f->key.dport;
	uint16_t cport = rev ? f->key.dport : f->key.sport;
	struct sig_conn_mem *m;
	unsigned k;

	for (k = 0; k < SIG_MEM_CONN; k++)
		if (mem_used(c, k) && c->mem[k].peer_port == pport &&
		    c->mem[k].client_port == cport &&
		    sig_addr_eq(c->mem[k].peer, peer))
			break;
	if (k == SIG_MEM_CONN)
		k = mem_slot(t, c);
	m = &c->mem[k];
	memset(m, 0, sizeof(*m));
	memcpy(m->peer, peer, 16);
	m->peer_port = pport;
	m->client_port = cport;
	m->session_id = f->session_id;
	c->mem_used |= (uint8_t)(1u << k);
	m->role = f->role;
	m->path = f->sig.path;
	m->connected = (uint8_t)(connected != 0);
	m->open = (f->sig.flags & SF_SN_OPEN) != 0;
	m->version = f->sig.version;
}

static struct sig_client *mem_find(struct sig_clients *t,
				   const uint8_t caddr[16], uint16_t cport,
				   const uint8_t peer[16], uint16_t pport,
				   unsigned *out)
{
	struct sig_addr_ent *a = addr_find(t, caddr);
	struct sig_client *c;

	for (c = first_of(t, a); c; c = next_of(t, c)) {
		if (!c->mem_used)
			continue;
		for (unsigned k = 0; k < SIG_MEM_CONN; k++) {
			struct sig_conn_mem *m = &c->mem[k];

			if (mem_used(c, k) && m->client_port == cport &&
			    m->peer_port == pport &&
			    sig_addr_eq(m->peer, peer) &&
			    mem_valid(t, c, k)) {
				*out = k;
				return c;
			}
		}
	}
	return NULL;
}

struct sig_client *sig_mem_take(struct sig_clients *t, const struct flow *f,
				struct sig_conn_mem *m, int *reversed)
{
	struct sig_client *c;
	unsigned k = 0;

	c = mem_find(t, f->key.src, f->key.sport, f->key.dst, f->key.dport,
		     &k);
	*reversed = 0;
	if (!c) {
		c = mem_find(t, f->key.dst, f->key.dport, f->key.src,
			     f->key.sport, &k);
		*reversed = 1;
	}
	if (!c)
		return NULL;
	*m = c->mem[k];
	mem_forget(c, k);
	return c;
}

void sig_mem_drop_peer(struct sig_client *c, const uint8_t sn[16],
		       uint16_t port)
{
	for (unsigned i = 0; i < SIG_MEM_CONN; i++)
		if (mem_used(c, i) && c->mem[i].peer_port == port &&
		    sig_addr_eq(c->mem[i].peer, sn))
			mem_forget(c, i);
}

/* ---- super-node rings --------------------------------------------------- */

void sig_sn_add(struct sn_ref *ring, uint8_t *cursor, unsigned n,
		const uint8_t addr[16], uint16_t port, uint32_t u1_size)
{
	struct sn_ref *r = sig_sn_find(ring, sig_sn_filled(*cursor, n), addr,
				       port);

	if (!r) {
		r = &ring[*cursor % n];
		*cursor = (uint8_t)(*cursor + 1u < 2 * n ? *cursor + 1u : n);
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

	id = sig_session_of(t, c);
	if (id)
		session_evidence(t->sessions, c->session_slot, id, ts_us);
	touch(t, c, ts_us);
	if (id && f)
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
