/*
 * sig_client.h - the signature's memory of clients: the bounded client
 * table, each client's super-node rings (probed, refused, connected), the
 * tie between a flow and its client, and the glue between a client and
 * its open session in the session tracker.
 *
 * Knows no detection path: the paths above decide what the evidence
 * means; this layer only remembers it.
 */
#ifndef SKYPROBE_SIG_CLIENT_H
#define SKYPROBE_SIG_CLIENT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "flow_table.h"
#include "session.h"

/* A super node as the client saw it. */
struct sn_ref {
	uint8_t  addr[16];
	uint16_t port;
	uint8_t  u1_size;       /* s(U1) of its probe, 255 when larger */
	uint8_t  used;
};

#define SIG_POS_SN  8           /* positively probed SNs (ring) */
#define SIG_NEG_SN  4           /* SNs that answered 51/53 */
#define SIG_REF_SN  4           /* SNs that refused (T3 = 339) */
#define SIG_CONN_SN 4           /* SNs connected to */
#define SIG_MEM_CONN 4          /* remembered connections (continuity) */

/*
 * A Skype-marked TCP connection of the client whose flow record ended by
 * idle timeout or eviction (sig_flow_end): the connection may well go on
 * (2006 keep-alives are 30-60 s apart), and when its 5-tuple shows up
 * again without a SYN, from either side, the new record resumes it.
 * Valid while its session is the client's open one (or, when it had
 * none, while the client is tracked).  In use: its bit in the client's
 * mem_used.
 */
struct sig_conn_mem {
	uint8_t  peer[16];      /* the SN or server */
	uint16_t peer_port;
	uint16_t client_port;
	uint32_t session_id;    /* its session, 0 when none */
	uint8_t  role;          /* enum skype_flow_role */
	uint8_t  path;          /* enum sig_path */
	uint8_t  connected;     /* had reached step 9 (HS_CONNECTED) */
	uint8_t  open;          /* counted as a possibly open SN connection */
	uint8_t  version;
};

/*
 * One client.  Keyed by (address, UDP port): the UDP port tells clients
 * behind one NAT apart.  Port 0 means "not known yet" (TCP-only evidence);
 * see sig_client_get() for how such an entry joins the port-keyed one.
 *
 * Layout (issue 9: a flood of spoofed probes makes and evicts a client per
 * probe pair, 65,536 of them in 40 MB of table, so every cache line a
 * client touches is a miss): everything a look-up, the LRU lists, the
 * address index and eviction read sits in the first cache line; the
 * entry's head (up to pos[], SIG_CLIENT_HEAD) is all that is cleared when a slot is
 * reused.  The rings behind it are not cleared: a ring's cursor counts
 * the entries written since (sig_sn_filled()), the remembered
 * connections have a bit each in mem_used, and entries beyond those are
 * never read.  A new client so touches two cache lines, not ten.
 */
struct sig_client {
	/* first cache line: look-up, LRU, index, session, protection */
	_Alignas(64) uint8_t addr[16];
	uint16_t udp_port;
	uint16_t gen;           /* bumped at each (re)use of the slot */
	uint8_t  in_use;
	uint8_t  lru_class;     /* SIG_LRU_CANDIDATE or SIG_LRU_PROTECTED */
	uint8_t  login_phase;   /* enum skype_login_phase, this session */
	uint8_t  version;       /* enum skype_version, best guess */
	uint8_t  pos_next, neg_next, ref_next, conn_next;   /* ring cursors,
				   in [0, 2n): see sig_sn_filled() */
	uint8_t  mem_used;      /* bit i: mem[i] holds a connection */
	uint8_t  mem_next;      /* ring cursor of mem[] */
	uint16_t n_sn_open;     /* SN connections now open (step 11) */
	uint32_t sib_next;      /* next client of this address (or free list) */
	uint32_t addr_slot;     /* its entry in the address index */
	uint32_t lru_prev, lru_next;
	uint32_t session_id;    /* 0 when none */
	uint32_t session_slot;
	uint64_t last_us;       /* last activity */
	/* the rest of the head: evidence of the client's own */
	uint8_t  has_seqid;
	uint8_t  connected_since_login; /* step 9 seen since the last L4 */
	uint16_t last_seqid;    /* section 5.1: last initiated request id */
	uint8_t  public_v4[4];  /* from U2[4-7], 0 when unknown */
	uint32_t seqid_evidence;
	/* not cleared on reuse: read only where cursors and mem_used say */
	struct sn_ref pos[SIG_POS_SN];
	struct sn_ref neg[SIG_NEG_SN];
	struct sn_ref refused[SIG_REF_SN];
	struct sn_ref connected[SIG_CONN_SN];
	struct sig_conn_mem mem[SIG_MEM_CONN];
};

/* What is cleared when a slot is (re)used. */
#define SIG_CLIENT_HEAD offsetof(struct sig_client, pos)

/*
 * Bounds of every walk (issue 9: bounded work per packet whatever the
 * traffic).  Clients are found through an index of their addresses: a
 * hash (seeded per process) of the address leads to a chain of at most
 * SIG_ADDR_CHAIN_MAX addresses, and each address to its at most
 * SIG_CLIENTS_PER_ADDR clients.
 *
 * 16 clients per address: the NAT case of the paper's signature (clients
 * told apart by their UDP port) is a home or small-office NAT; 16 is
 * three times the busiest NAT of the tests (5 clients) and keeps an
 * address-only look-up (TCP evidence, continuity: every new TCP flow
 * does one) at 16 entries.  Beyond it the least valuable client of the
 * address gives way, never one with a connected session or an open SN
 * connection: a 17th client behind one address is tracked only when one
 * of the 16 is a mere candidate.
 */
#define SIG_CLIENTS_PER_ADDR 16
#define SIG_ADDR_CHAIN_MAX   32
/* Victim search when the table is full: at most this many list heads. */
#define SIG_EVICT_LOOK       8

/* LRU classes of clients (what eviction keeps). */
#define SIG_LRU_CANDIDATE 0     /* unconfirmed: a probe, R1, a login */
#define SIG_LRU_PROTECTED 1     /* session connected (step 9) or SN open */

/* 32 bytes, aligned: one cache line per look-up step. */
struct sig_addr_ent {
	_Alignas(32) uint8_t addr[16];
	uint32_t next;          /* hash chain (or free list) */
	uint32_t first;         /* its first client */
	uint32_t hash;          /* seeded_hash() of addr */
	uint8_t  n;             /* its clients */
	uint8_t  in_use;
};

/*
 * A chain of the address index: its head, its length and the head's tag
 * (the high 16 bits of its hash; the low bits chose the bucket), so that
 * a look-up of an address that is not there (every spoofed source) is
 * answered from the bucket alone when the chain is empty or holds one
 * other address: no address entry is read.
 */
struct sig_addr_bucket {
	uint32_t head;
	uint16_t len;
	uint16_t head_tag;
};

/* The client table, and the session tracker its clients' sessions live
 * in (owned by the engine, not by the table). */
struct sig_clients {
	struct sig_client *clients;     /* page aligned */
	struct sig_addr_ent *addrs;     /* max_clients entries, aligned */
	struct sig_addr_bucket *buckets;        /* address chains */
	uint32_t n_clients;
	uint32_t max_clients;
	uint32_t bucket_mask;
	uint64_t seed;          /* of the address hash */
	uint32_t free_head;     /* released entries */
	uint32_t never_used;    /* entries from here on were never used */
	uint32_t addr_free, addr_never_used;
	uint32_t lru_head[2], lru_tail[2];  /* per class, least recent first */
	uint64_t limit_hits;    /* a new client was not tracked */
	uint64_t evictions;     /* clients evicted to make room */
	uint64_t walk_steps;    /* entries visited by look-ups (tests) */
	uint32_t walk_max;      /* longest single walk (tests) */
	struct session_tracker *sessions;
};

static inline int sig_addr_eq(const uint8_t a[16], const uint8_t b[16])
{
	return memcmp(a, b, 16) == 0;
}

uint32_t sig_addr_hash(const uint8_t a[16]);

/* max_clients entries (at least 1); 0 on success, -1 out of memory
 * (then sig_clients_free() releases what was allocated). */
int sig_clients_init(struct sig_clients *t, uint32_t max_clients,
		     struct session_tracker *sessions);
void sig_clients_free(struct sig_clients *t);
/* Pin the address hash's seed (tests; the default is per process). */
void sig_clients_seed(struct sig_clients *t, uint64_t seed);
/* Remove clients idle for expiry_us at now_us, except those with an open
 * session or SN connection. */
void sig_clients_expire(struct sig_clients *t, uint64_t now_us,
			uint64_t expiry_us);

/* Find a client (port 0: the most recently active one of that address). */
struct sig_client *sig_client_find(struct sig_clients *t,
				   const uint8_t addr[16], uint16_t port);
/* Find or create; NULL when no room can be made (limit_hits): when the
 * table is full, or the address has SIG_CLIENTS_PER_ADDR clients, the
 * least recently active candidate (no connected session, no SN connection
 * open) is evicted (evictions; its session, if any, ends as evicted);
 * clients with a connected session or an open SN connection stay.  With a
 * port, an (address, 0) entry without a session or open SN connection is
 * adopted (it was the same client's TCP-only evidence). */
struct sig_client *sig_client_get(struct sig_clients *t,
				  const uint8_t addr[16], uint16_t port,
				  uint64_t ts_us);
/* The client of a restricted-mode SN handshake (R1 on 443, or the whole
 * handshake on 80) from addr: a client of that address without an SN
 * connection open (TCP-only entries first, then the most recently
 * active); when every client of the address has one open, this is a
 * further client behind that address: a new (address, 0) entry. */
struct sig_client *sig_client_for_restricted(struct sig_clients *t,
					     const uint8_t addr[16],
					     uint64_t ts_us);
/* Any client of addr (the most recently active), or NULL. */
#define sig_client_known(t, addr) sig_client_find((t), (addr), 0)

/* SN connections of c that count as open: those followed now
 * (n_sn_open) and remembered ones that ended by idle timeout or eviction
 * in its open session (possibly still open). */
uint32_t sig_sn_open(struct sig_clients *t, struct sig_client *c);
/* Remember flow f (ending by idle timeout or eviction) in its client c;
 * connected: f had reached step 9 (the caller's path knows). */
void sig_mem_add(struct sig_clients *t, struct sig_client *c,
		 const struct flow *f, int connected);
/* A new TCP record f whose 5-tuple is a remembered connection (f's
 * initiator the client, or the peer: *reversed): the entry is removed
 * and copied to *m, its client returned.  NULL when none. */
struct sig_client *sig_mem_take(struct sig_clients *t, const struct flow *f,
				struct sig_conn_mem *m, int *reversed);
/* c connects anew to (sn, port): a remembered connection to that SN is
 * superseded (a client does not hold two connections to one SN). */
void sig_mem_drop_peer(struct sig_client *c, const uint8_t sn[16],
		       uint16_t port);
/* The most recently active client of addr that probed (sn, sn_port)
 * positively; *ref receives that probe's entry. */
struct sig_client *sig_client_find_pos(struct sig_clients *t,
				       const uint8_t addr[16],
				       const uint8_t sn[16], uint16_t sn_port,
				       struct sn_ref **ref);
/* The client remembered in f->sig.aux, or NULL. */
struct sig_client *sig_flow_client(struct sig_clients *t, struct flow *f);
void sig_flow_set_client(struct sig_clients *t, struct flow *f,
			 struct sig_client *c);

/*
 * A ring of n super nodes and its cursor: the cursor runs 0..2n-1 and then
 * n..2n-1 again, so the next entry is ring[cursor % n] and the entries
 * written since the client's slot was (re)used are the first
 * sig_sn_filled(cursor, n): those are the only ones read (the ring is not
 * cleared when the slot is reused).
 */
static inline unsigned sig_sn_filled(uint8_t cursor, unsigned n)
{
	return cursor < n ? cursor : n;
}
void sig_sn_add(struct sn_ref *ring, uint8_t *cursor, unsigned n,
		const uint8_t addr[16], uint16_t port, uint32_t u1_size);
/* Among the first n entries of ring (n: sig_sn_filled()). */
struct sn_ref *sig_sn_find(struct sn_ref *ring, unsigned n,
			   const uint8_t addr[16], uint16_t port);

/* The client's open session id, or 0 (clears a stale one). */
uint32_t sig_session_of(struct sig_clients *t, struct sig_client *c);
/* Start a session for c unless one is open; returns its id. */
uint32_t sig_session_ensure(struct sig_clients *t, struct sig_client *c,
			    uint64_t ts_us, uint8_t mode, uint8_t version);
/* Evidence for c's open session (if any) at ts_us; ties f to it. */
void sig_evidence(struct sig_clients *t, struct sig_client *c,
		  struct flow *f, uint64_t ts_us);
void sig_set_login_phase(struct sig_clients *t, struct sig_client *c,
			 uint8_t phase);
/* End c's open session id with reason at ts_us. */
void sig_session_close(struct sig_clients *t, struct sig_client *c,
		       uint32_t id, enum session_end_reason reason,
		       uint64_t ts_us);

#endif
