/*
 * sig_tcp_handshake.c - the TCP super-node handshake T1..T4 (section
 * 5.2.2, steps 6-11).
 *
 * Owns PATH_TCP_HS flows, the T2..T4 machine that the restricted paths
 * share, and what happens at step 8 (refused) and step 9 (connected) in
 * every mode.  A connected SN connection hands its messages to the login
 * path (relayed login): this file depends on sig_login.h, never the
 * reverse.  A message is one TCP segment with payload, counted only when
 * in order (sig_tcp_message()); pure ACKs and retransmissions are ignored.
 *
 * Choices where the paper leaves room:
 *  - Step 6: a TCP flow is a candidate only when its client (the initiator)
 *    probed (destination address, destination port) positively before the
 *    flow's first packet.  The first SC message is T1; an SN speaking first
 *    breaks the pattern.
 *  - Step 7 needs at least one SN message before T2 (v1.4: T1, reply, T2;
 *    v2.0 has one more SC message of any size, which may itself be 22..29:
 *    a further 22..29 SC message replaces the T2 candidate).  A T3 of 57
 *    bytes or less is neither verdict: scanning for T2 resumes.  SN data
 *    while waiting for T4 is ignored.  The paper settles within six
 *    messages; a flow not settled within HS_MAX_MSGS is given up.
 *  - Version: v1.4 when s(T1) = 14 and the probe's s(U1) = 18, else v2.x.
 *  - Refusal (T3 = 339) in any mode makes the flow ROLE_SN_REFUSED and counts
 *    one refused SN in the client's session (started if none is open: the
 *    client did probe positively, or completed R1..T3).
 */
#include "sig_tcp_handshake.h"

#include "sig_login.h"
#include "sig_stream.h"

#define HS_MAX_MSGS 12          /* 6 in the paper, + v2.0 and R1..R3 slack */
#define T1_V14 14
#define T3_REFUSED 339
#define T3_MIN_EXCL 57

static int t2_size(uint32_t s, enum hs_sizes sizes)
{
	if (sizes == HS_SIZES_FIG6)
		return s >= 23 && s <= 27;
	return s >= 22 && s <= 29;
}

static int t4_size(uint32_t s, enum hs_sizes sizes)
{
	return s == 4 || s == 15 || s == 16 ||
	       (s == 17 && sizes == HS_SIZES_STEPS);
}

int sig_tcp_hs_candidate(struct sig_ctx *x, struct flow *f)
{
	struct sn_ref *r = NULL;
	struct sig_client *c;

	/* step 6: TCP from CON_SC to a CON_SN of a positive probe */
	c = sig_client_find_pos(&x->clients, f->key.src, f->key.dst,
				f->key.dport, &r);
	if (!c)
		return 0;
	sig_flow_set_client(&x->clients, f, c);
	f->sig.path = PATH_TCP_HS;
	f->sig.state = HS_WAIT_T1;
	f->sig.u1_size = r->u1_size;
	if (c->session_id)
		sig_evidence(&x->clients, c, f, f->last_us);
	return 1;
}

/* What one message did to the T2..T4 machine. */
enum hs_result { HSR_MORE = 0, HSR_CONNECTED, HSR_REFUSED, HSR_FAILED };

/* Steps 7-9 for one in-order message of s bytes. */
static enum hs_result hs_step(struct sig_flow *sf, int dir, uint32_t s,
			      enum hs_sizes sizes)
{
	switch (sf->state) {
	case HS_WAIT_T2:
		/* step 7: SC -> SN, 22..29, after the SN answered T1 */
		if (dir == 0 && sf->msgs[1] > 0 && t2_size(s, sizes))
			sf->state = HS_WAIT_T3;
		break;
	case HS_WAIT_T3:
		if (dir == 0) {
			if (!t2_size(s, sizes))
				sf->state = HS_WAIT_T2;
			break;
		}
		/* step 8: T3 = 339, refused */
		if (s == T3_REFUSED) {
			sf->state = HS_REFUSED;
			return HSR_REFUSED;
		}
		sf->state = s > T3_MIN_EXCL ? HS_WAIT_T4 : HS_WAIT_T2;
		break;
	case HS_WAIT_T4:
		if (dir == 1)
			break;
		/* step 9: T4 = 4, 15, 16 or 17: connected */
		if (t4_size(s, sizes)) {
			sf->state = HS_CONNECTED;
			return HSR_CONNECTED;
		}
		sf->state = t2_size(s, sizes) ? HS_WAIT_T3 : HS_WAIT_T2;
		break;
	default:
		return HSR_FAILED;
	}
	if (sf->msgs[0] + sf->msgs[1] >= HS_MAX_MSGS) {
		sf->state = HS_FAILED;
		return HSR_FAILED;
	}
	return HSR_MORE;
}

static struct sig_client *hs_client(struct sig_ctx *x, struct flow *f,
				    uint64_t ts_us)
{
	struct sig_client *c = sig_flow_client(&x->clients, f);

	if (c)
		return c;
	/* restricted mode: the client is known by its address only; one
	 * whose SN connection is open is another client behind it */
	c = sig_client_for_restricted(&x->clients, f->key.src, ts_us);
	if (c)
		sig_flow_set_client(&x->clients, f, c);
	return c;
}

static uint8_t path_mode(const struct flow *f)
{
	switch (f->sig.path) {
	case PATH_R443:
		return MODE_RESTRICTED_443;
	case PATH_R80:
		return MODE_RESTRICTED_80;
	default:
		return MODE_UDP_TCP;
	}
}

/* Step 9: a connection to an SN; step 10: an SN change. */
static void hs_connected(struct sig_ctx *x, struct flow *f,
			 const struct pkt_view *pv)
{
	struct sig_flow *sf = &f->sig;
	struct sig_client *c;
	uint8_t mode = path_mode(f);
	uint32_t id;
	int prev_open;

	switch (sf->path) {
	case PATH_R443:
		f->role = ROLE_RESTRICTED_443;
		break;
	case PATH_R80:
		f->role = ROLE_RESTRICTED_80;
		x->ev.restricted_80++;
		break;
	default:
		f->role = ROLE_SN_CONNECTION;
		break;
	}
	x->ev.sn_connected++;
	c = hs_client(x, f, pv->ts_us);
	if (!c)
		return;
	if (sf->version != SKYPE_VER_UNKNOWN)
		c->version = sf->version;
	sig_sn_add(c->connected, &c->conn_next, SIG_CONN_SN, f->key.dst,
		   f->key.dport, 0);
	/* a remembered (idle) connection to this SN is superseded; step 10
	 * is a new SN while another SN connection is (possibly) open */
	sig_mem_drop_peer(c, f->key.dst, f->key.dport);
	prev_open = sig_sn_open(&x->clients, c) > 0;
	c->connected_since_login = 1;
	id = sig_session_ensure(&x->clients, c, pv->ts_us, mode, sf->version);
	if (session_connected(x->clients.sessions, c->session_slot, id,
			      f->key.dst, f->key.dport, pv->ts_us, mode,
			      sf->version, prev_open))
		x->ev.sn_changes++;
	sig_evidence(&x->clients, c, f, pv->ts_us);
	c->n_sn_open++;
	sf->flags |= SF_SN_OPEN;
}

/* Step 8: the SN refused; the client will try another one (step 6). */
static void hs_refused(struct sig_ctx *x, struct flow *f,
		       const struct pkt_view *pv)
{
	struct sig_client *c;
	uint32_t id;

	f->role = ROLE_SN_REFUSED;
	x->ev.sn_refused++;
	c = hs_client(x, f, pv->ts_us);
	if (!c)
		return;
	sig_sn_add(c->refused, &c->ref_next, SIG_REF_SN, f->key.dst,
		   f->key.dport, 0);
	id = sig_session_ensure(&x->clients, c, pv->ts_us, path_mode(f),
				f->sig.version);
	session_refused(x->clients.sessions, c->session_slot, id);
	sig_evidence(&x->clients, c, f, pv->ts_us);
}

void sig_hs_t2_to_t4(struct sig_ctx *x, struct flow *f,
		     const struct pkt_view *pv, int dir, enum hs_sizes sizes)
{
	switch (hs_step(&f->sig, dir, pv->payload_size, sizes)) {
	case HSR_CONNECTED:
		hs_connected(x, f, pv);
		break;
	case HSR_REFUSED:
		hs_refused(x, f, pv);
		f->sig.path = PATH_NONE;
		break;
	case HSR_FAILED:
		f->sig.path = PATH_NONE;
		break;
	default:
		break;
	}
}

void sig_hs_connected_packet(struct sig_ctx *x, struct flow *f,
			     const struct pkt_view *pv, int dir)
{
	struct sig_client *c = sig_flow_client(&x->clients, f);

	if (c)
		sig_evidence(&x->clients, c, f, pv->ts_us);
	if (x->cfg.login && sig_tcp_message(&f->sig, pv, dir))
		sig_login_relayed(x, f, pv, dir);
}

void sig_tcp_hs_packet(struct sig_ctx *x, struct flow *f,
		       const struct pkt_view *pv, int dir)
{
	struct sig_flow *sf = &f->sig;

	if (sf->state == HS_CONNECTED) {
		sig_hs_connected_packet(x, f, pv, dir);
		return;
	}
	if (!sig_tcp_message(sf, pv, dir))
		return;
	sig_msgs_inc(sf, dir);
	if (sf->state == HS_WAIT_T1) {
		if (dir != 0) {
			sf->path = PATH_NONE;
			return;
		}
		/* step 6: T1, 14 bytes for v1.4, varying for v2.0 */
		sf->version = pv->payload_size == T1_V14 && sf->u1_size == 18 ?
			      SKYPE_VER_1_4 : SKYPE_VER_2;
		sf->state = HS_WAIT_T2;
		return;
	}
	sig_hs_t2_to_t4(x, f, pv, dir, HS_SIZES_STEPS);
}
