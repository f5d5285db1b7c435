/*
 * sig.c - the signature engine: per-packet dispatch, flow end, expiry,
 * shutdown, counters and the engine's life cycle.
 *
 * Owns the engine, its struct sig_config and the memory of the layers
 * below: the client table and session tracker (sig_client.c) and the
 * section 5.1 cache (sig_seqid.c).  Each flow is given a detection path on
 * its first packet (UDP: from its payload; TCP: a client-table look-up says
 * whether it goes to a probed SN, else the port picks restricted mode or
 * login) and later packets go straight to that path's state machine; a
 * flow found not to be a candidate gets PATH_NONE and costs one branch from
 * then on.  A TCP connection is tied to the client whose positive probe
 * named its (SN address, SN port).
 *
 * Layers: this file -> the paths (sig_udp_probe, sig_tcp_handshake,
 * sig_restricted, sig_login, sig_seqid) -> sig_client, sig_stream.
 * Nothing below calls up.
 */
#include "sig.h"

#include <stdlib.h>
#include <string.h>
#include "sig_ctx.h"
#include "sig_login.h"
#include "sig_restricted.h"
#include "sig_seqid.h"
#include "sig_tcp_handshake.h"
#include "sig_udp_probe.h"

#define PROTO_TCP 6
#define PROTO_UDP 17
#define TCP_SYN 0x02

#define US_PER_S 1000000ULL
#define EXPIRE_EVERY_US US_PER_S   /* sig_expire work at most once a second */

struct sig_engine {
	struct sig_config cfg;
	struct sig_ctx ctx;             /* lent to the paths */
	struct session_tracker *sessions;
	struct seqid_slot *seqid;       /* SEQID_SLOTS entries */
	uint64_t last_expire_us;
};

/* ---- dispatch ---------------------------------------------------------- */

/* The first packet is the initiator's, unless the signature was switched
 * on while the flow ran: then the flow is not judged. */
static void decide_udp(struct sig_engine *se, struct flow *f,
		       const struct pkt_view *pv, int dir)
{
	f->sig.path = PATH_NONE;
	if (dir != 0 || pv->payload_size == 0)
		return;
	if (se->cfg.seqid)
		sig_seqid_new_udp_flow(&se->ctx, se->seqid, f, pv);
	if (se->cfg.udp_probe)
		sig_udp_probe_first(f, pv);
}

static void decide_tcp(struct sig_engine *se, struct flow *f)
{
	struct sig_flow *sf = &f->sig;

	sf->path = PATH_NONE;
	if (se->cfg.tcp_handshake && sig_tcp_hs_candidate(&se->ctx, f))
		return;
	if (f->key.dport == 443 && se->cfg.restricted_443) {
		sf->path = PATH_R443;
		sf->state = R_WAIT_R1;
	} else if (f->key.dport == 80 && se->cfg.restricted_80) {
		sf->path = PATH_R80;
		sf->state = R_WAIT_R1;
	} else if (se->cfg.login) {
		sf->path = PATH_LOGIN;
		sf->state = LG_WAIT_L1;
	}
}

/* A probe at a site's egress looks for the site's own Skype clients: with
 * internal prefixes configured, a flow that an outside host initiated is
 * not a client's. */
static int outside_initiator(const struct sig_engine *se,
			     const struct flow *f)
{
	return se->cfg.n_internal &&
	       !prefix_list_contains(se->cfg.internal, se->cfg.n_internal,
				     f->key.src);
}

/* A new U1 inside a probe flow is one more request of its client: the
 * section 5.1 counter hears of it here, so the probe path need not know
 * that path. */
static void udp_probe_packet(struct sig_engine *se, struct flow *f,
			     const struct pkt_view *pv, int dir)
{
	if (sig_udp_probe_packet(&se->ctx, f, pv, dir) && se->cfg.seqid)
		sig_seqid_request(&se->ctx, se->seqid, f, f->sig.u1_id,
				  pv->ts_us);
}

/*
 * Continuity (issue 12): a Skype-marked TCP connection whose previous
 * record ended by idle timeout or eviction was remembered in its client
 * (sig_flow_end).  A new record of the same 5-tuple that does not start
 * with a SYN is that connection going on; its first packet may come from
 * either end, so the key may be reversed (SF_REVERSED: the paths then see
 * dir 0 as the client's, as before).  The record gets the role and the
 * session again; an SN connection that had reached step 9 is connected and
 * counts as open again, so that its close is step 11.  Anything else that
 * was marked (login, SkypeOut, contact list, a 443 flow before step 9) is
 * evidence only (PATH_CONTINUED): the message machines do not resume in
 * the middle.
 */
static int resume(struct sig_engine *se, struct flow *f,
		  const struct pkt_view *pv)
{
	struct sig_clients *t = &se->ctx.clients;
	struct sig_flow *sf = &f->sig;
	struct sig_conn_mem m;
	struct sig_client *c;
	int rev;

	if (t->n_clients == 0 || (pv->tcp_flags & TCP_SYN))
		return 0;
	c = sig_mem_take(t, f, &m, &rev);
	if (!c)
		return 0;
	if (rev)
		sf->flags |= SF_REVERSED;
	sig_flow_set_client(t, f, c);
	f->role = m.role;
	f->session_id = m.session_id;
	sf->version = m.version;
	if (m.connected) {
		sf->path = m.path;
		sf->state = HS_CONNECTED;
		sf->flags |= SF_SN_OPEN;
		c->n_sn_open++;
	} else {
		sf->path = PATH_CONTINUED;
	}
	sig_evidence(t, c, f, pv->ts_us);
	return 1;
}

static void continued_packet(struct sig_engine *se, struct flow *f,
			     const struct pkt_view *pv)
{
	struct sig_client *c = sig_flow_client(&se->ctx.clients, f);

	if (c)
		sig_evidence(&se->ctx.clients, c, f, pv->ts_us);
}

void sig_packet(struct sig_engine *se, struct flow *f,
		const struct pkt_view *pv, int dir)
{
	struct sig_flow *sf = &f->sig;

	if (sf->path == PATH_NONE || !se->cfg.enabled)
		return;
	if (sf->path == PATH_UNDECIDED) {
		if (f->key.proto == PROTO_TCP && resume(se, f, pv)) {
			if (sf->path == PATH_CONTINUED)
				return;     /* resume() took it as evidence */
		} else if (outside_initiator(se, f)) {
			sf->path = PATH_NONE;
			return;
		} else if (f->key.proto == PROTO_UDP) {
			decide_udp(se, f, pv, dir); /* uses the 1st packet */
			return;
		} else if (f->key.proto != PROTO_TCP) {
			sf->path = PATH_NONE;
			return;
		} else {
			decide_tcp(se, f);
		}
	}
	if (sf->flags & SF_REVERSED)
		dir ^= 1;           /* the paths read dir 0 as the client's */
	switch (sf->path) {
	case PATH_UDP_PROBE:
		udp_probe_packet(se, f, pv, dir);
		break;
	case PATH_TCP_HS:
		sig_tcp_hs_packet(&se->ctx, f, pv, dir);
		break;
	case PATH_R443:
	case PATH_R80:
		sig_restricted_packet(&se->ctx, f, pv, dir);
		break;
	case PATH_LOGIN:
		sig_login_packet(&se->ctx, f, pv, dir);
		break;
	case PATH_CONTINUED:
		continued_packet(se, f, pv);
		break;
	default:
		break;
	}
}

/* Marked TCP connections that continuity follows across records. */
static int continuable(const struct flow *f)
{
	return f->key.proto == PROTO_TCP && f->role >= ROLE_SN_CONNECTION &&
	       f->role <= ROLE_CONTACT_LIST;
}

static int sn_connected(const struct flow *f)
{
	return (f->sig.path == PATH_TCP_HS || f->sig.path == PATH_R443 ||
		f->sig.path == PATH_R80) && f->sig.state == HS_CONNECTED;
}

/*
 * Step 11: the close of the last SN connection ends the session.  Only
 * END_OF_FLOW (FIN both ways or RST) is a close; its session ends with
 * SESS_END_SN_CLOSED at the flow's last packet, if the client has no other
 * SN connection open (followed now, or remembered as possibly open).  An
 * active-timeout record is followed by the same flow: nothing happens.
 * Idle timeout and eviction end the record, not the connection: a marked
 * connection is remembered in its client (continuity, see resume()), and
 * an SN connection stays counted as possibly open until it is seen to
 * close or its session times out.  Forced at shutdown: sig_shutdown()
 * ends the sessions.
 */
void sig_flow_end(struct sig_engine *se, struct flow *f,
		  enum flow_end_reason r)
{
	struct sig_clients *t = &se->ctx.clients;
	struct sig_client *c;
	uint32_t id;

	if (r == END_ACTIVE_TIMEOUT)
		return;
	if ((r == END_IDLE_TIMEOUT || r == END_LACK_OF_RESOURCES) &&
	    continuable(f)) {
		c = sig_flow_client(t, f);
		if (c)
			sig_mem_add(t, c, f, sn_connected(f));
	}
	if (!(f->sig.flags & SF_SN_OPEN))
		return;
	f->sig.flags &= (uint8_t)~SF_SN_OPEN;
	c = sig_flow_client(t, f);
	if (!c)
		return;
	if (c->n_sn_open > 0)
		c->n_sn_open--;
	if (r != END_OF_FLOW || sig_sn_open(t, c) > 0)
		return;
	id = sig_session_of(t, c);
	if (id == 0 || id != f->session_id)
		return;
	sig_session_close(t, c, id, SESS_END_SN_CLOSED, f->last_us);
}

/* ---- life cycle -------------------------------------------------------- */

/* What the paths read of the configuration. */
static void path_cfg_set(struct sig_path_cfg *p, const struct sig_config *c)
{
	p->login = c->login;
	p->bootstrap_port = c->bootstrap_port;
	p->skypeout_gateways = c->skypeout_gateways;
	p->contact_servers = c->contact_servers;
}

struct sig_engine *sig_engine_new(const struct sig_config *cfg,
				  session_emit_fn emit, void *emit_ctx)
{
	struct sig_engine *se = calloc(1, sizeof(*se));

	if (!se)
		return NULL;
	se->cfg = *cfg;
	path_cfg_set(&se->ctx.cfg, cfg);
	se->sessions = session_tracker_new(cfg->max_sessions, emit, emit_ctx);
	if (se->sessions)
		session_tracker_set_ids(se->sessions, cfg->session_id_first,
					cfg->session_id_step);
	se->seqid = sig_seqid_cache_new();
	if (sig_clients_init(&se->ctx.clients, cfg->max_clients,
			     se->sessions) < 0 ||
	    !se->sessions || !se->seqid) {
		sig_engine_free(se);
		return NULL;
	}
	return se;
}

void sig_engine_free(struct sig_engine *se)
{
	if (!se)
		return;
	session_tracker_free(se->sessions);
	sig_clients_free(&se->ctx.clients);
	sig_seqid_cache_free(se->seqid);
	free(se);
}

/* Switches, address lists, bootstrap port and timeouts apply at once;
 * table capacities stay those of sig_engine_new(). */
void sig_engine_reconfigure(struct sig_engine *se,
			    const struct sig_config *cfg)
{
	uint32_t max_clients = se->cfg.max_clients;
	uint32_t max_sessions = se->cfg.max_sessions;

	se->cfg = *cfg;
	se->cfg.max_clients = max_clients;
	se->cfg.max_sessions = max_sessions;
	path_cfg_set(&se->ctx.cfg, cfg);
}

/*
 * Sessions without evidence for session_timeout_s end first; then clients
 * idle for client_expiry_s go, except those with an open session or SN
 * connection (their session's timeout comes first).  Costs the number of
 * open sessions plus tracked clients, so it runs at most once per second of
 * packet time: this is the one place that throttles it.
 */
void sig_expire(struct sig_engine *se, uint64_t now_us)
{
	uint64_t expiry = (uint64_t)se->cfg.client_expiry_s * US_PER_S;

	if (se->last_expire_us && now_us < se->last_expire_us + EXPIRE_EVERY_US)
		return;
	se->last_expire_us = now_us;
	session_expire(se->sessions, now_us,
		       (uint64_t)se->cfg.session_timeout_s * US_PER_S);
	if (expiry == 0)
		return;
	sig_clients_expire(&se->ctx.clients, now_us, expiry);
}

void sig_shutdown(struct sig_engine *se, uint64_t now_us)
{
	session_shutdown(se->sessions, now_us);
}

/* Every counter is a uint64_t (a gauge or a count): workers add up. */
void sig_counters_add(struct sig_counters *sum, const struct sig_counters *c)
{
	_Static_assert(sizeof(*c) % sizeof(uint64_t) == 0,
		       "sig_counters holds uint64_t only");
	uint64_t *d = (uint64_t *)sum;
	const uint64_t *v = (const uint64_t *)c;

	for (size_t i = 0; i < sizeof(*c) / sizeof(uint64_t); i++)
		d[i] += v[i];
}

void sig_get_counters(const struct sig_engine *se, struct sig_counters *c)
{
	const struct sig_events *ev = &se->ctx.ev;
	struct session_counters sc;

	memset(c, 0, sizeof(*c));
	session_get_counters(se->sessions, &sc);
	c->clients = se->ctx.clients.n_clients;
	c->client_limit_hits = se->ctx.clients.limit_hits;
	c->client_evictions = se->ctx.clients.evictions;
	c->session_limit_hits = sc.limit_hits;
	c->sessions_evicted_connected = sc.evicted_connected;
	c->sessions_started = sc.started;
	c->sessions_ended = sc.ended;
	c->probes_positive = ev->probes_positive;
	c->probes_negative = ev->probes_negative;
	c->probes_bootstrap = ev->probes_bootstrap;
	c->sn_refused = ev->sn_refused;
	c->sn_connected = ev->sn_connected;
	c->sn_changes = ev->sn_changes;
	c->restricted_443 = ev->restricted_443;
	c->restricted_80 = ev->restricted_80;
	c->logins = ev->logins;
	c->logins_failed = ev->logins_failed;
	c->logins_relayed = ev->logins_relayed;
	c->seqid_evidence = ev->seqid_evidence;
}
