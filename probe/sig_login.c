/*
 * sig_login.c - TCP authentication L1..L4 (section 5.2.3, figure 8), the
 * same pattern to SkypeOut gateways and contact-list servers, and the
 * relayed login (L3/L4 inside an SN connection).
 *
 * Owns PATH_LOGIN flows and the client's login phase.  The initiator is the
 * client.  Login alone starts no session (section 6.1: the signature does
 * not need it); the phase reached is kept in the client and copied into its
 * session, now or when one starts.
 *
 * Choices where the paper leaves room:
 *  - The server role comes from the configured address lists (login,
 *    SkypeOut, contact list); the byte patterns decide alone, so an
 *    unknown address gets ROLE_LOGIN.  The role is set at L2, when ten
 *    fixed bytes (L1 and L2, both invalid as TLS) have matched: L1 alone is
 *    never recorded.
 *  - Only ROLE_LOGIN flows move the client's login phase; SkypeOut and
 *    contact-list handshakes come after a login and do not.
 *  - Wrong password ("more messages follow"): after L4 on the same
 *    connection, the client sends L3 again (its credentials once more), or
 *    LG_FAILED_SC_MSGS further messages; or the client repeats L1/L2 after
 *    a complete login without connecting to an SN (step 9) in between.
 *    LOGIN_FAILED then stays for the session.  Not a failure: the one short
 *    exchange a real 2006 client had after a successful L4 (SC 18, LS 67
 *    bytes, both 17 03 01 00 ...), and a new login after a new SN
 *    connection (the 2006 client logged in again, to the other login
 *    server, after connecting to a new SN).  The threshold of 3 client
 *    messages leaves one message of margin over what a successful login
 *    was seen to send, and a wrong-password dialogue (the server's refusal,
 *    the credentials sent again, the answer) needs at least that many.
 *  - Relayed: an SC message that is L3 followed by an SN message starting
 *    like L4, inside a connected SN connection (any mode), sets
 *    LOGIN_RELAYED unless the session already has LOGIN_FAILED.
 *  - The client of a login flow is the most recently active client of its
 *    address (TCP carries no UDP port), or a new (address, 0) entry.
 */
#include "sig_login.h"

#include <string.h>
#include "sig_stream.h"

#define L1_SIZE 5
#define LG_FAILED_SC_MSGS 3     /* SC messages after L4 meaning failure */

static const uint8_t l1[5] = { 0x16, 0x03, 0x01, 0x00, 0x00 };
static const uint8_t l2[5] = { 0x17, 0x03, 0x01, 0x00, 0x00 };
static const uint8_t l3_head[15] = {
	0x16, 0x03, 0x01, 0x00, 0xcd, 0x41, 0x03, 0x00,
	0x09, 0x80, 0x40, 0x04, 0x08, 0xc0, 0x01,
};
static const uint8_t l3_inner[7] = { 0x00, 0x0c, 0x01, 0x17, 0x03, 0x01, 0x00 };
static const uint8_t l4_head[4] = { 0x17, 0x03, 0x01, 0x00 };

static int exactly(const struct pkt_view *pv, const uint8_t *pat, size_t n)
{
	return pv->payload_size == n && pv->payload_len >= n &&
	       memcmp(pv->payload, pat, n) == 0;
}

static int starts(const struct pkt_view *pv, const uint8_t *pat, size_t n)
{
	return pv->payload_len >= n && memcmp(pv->payload, pat, n) == 0;
}

int sig_login_is_l1(const struct pkt_view *pv)
{
	return exactly(pv, l1, L1_SIZE);
}

/* L3: fixed 15-byte head and 00 0c 01 17 03 01 00 somewhere after it
 * (searched in the captured bytes only). */
static int is_l3(const struct pkt_view *pv)
{
	const uint8_t *p = pv->payload;
	uint32_t n = pv->payload_len;

	if (n < sizeof(l3_head) + sizeof(l3_inner) || p[0] != l3_head[0] ||
	    memcmp(p, l3_head, sizeof(l3_head)) != 0)
		return 0;
	for (uint32_t i = sizeof(l3_head); i + sizeof(l3_inner) <= n; i++)
		if (p[i] == 0x00 && memcmp(p + i, l3_inner,
					   sizeof(l3_inner)) == 0)
			return 1;
	return 0;
}

static uint8_t server_role(const struct sig_ctx *x, const uint8_t a[16])
{
	if (addr_list_contains(&x->cfg.skypeout_gateways, a))
		return ROLE_SKYPEOUT;
	if (addr_list_contains(&x->cfg.contact_servers, a))
		return ROLE_CONTACT_LIST;
	return ROLE_LOGIN;
}

/* Progress of a login flow: the phase only grows, FAILED and RELAYED
 * stay. */
static void login_progress(struct sig_ctx *x, struct flow *f,
			   uint8_t phase, uint64_t ts_us)
{
	struct sig_client *c = sig_flow_client(&x->clients, f);

	if (!c)
		return;
	sig_evidence(&x->clients, c, f, ts_us);
	if (f->role != ROLE_LOGIN)
		return;
	sig_session_of(&x->clients, c); /* a stale session's phase is dropped */
	if (c->login_phase >= LOGIN_FAILED || c->login_phase >= phase)
		return;
	sig_set_login_phase(&x->clients, c, phase);
	if (phase == LOGIN_L4)
		c->connected_since_login = 0;
}

static void login_failed(struct sig_ctx *x, struct sig_client *c)
{
	x->ev.logins_failed++;
	sig_set_login_phase(&x->clients, c, LOGIN_FAILED);
}

void sig_login_begin(struct flow *f)
{
	/* L1 seen: 16 03 01 00 00 */
	f->sig.path = PATH_LOGIN;
	f->sig.state = LG_WAIT_L2;
}

/* L2 seen: the flow is a login (or SkypeOut, contact list) handshake. */
static void l2_seen(struct sig_ctx *x, struct flow *f,
		    const struct pkt_view *pv)
{
	struct sig_client *c;

	f->role = server_role(x, f->key.dst);
	f->sig.state = LG_WAIT_L3;
	c = sig_client_get(&x->clients, f->key.src, 0, pv->ts_us);
	if (!c)
		return;
	sig_flow_set_client(&x->clients, f, c);
	sig_session_of(&x->clients, c);
	if (f->role == ROLE_LOGIN && c->login_phase == LOGIN_L4 &&
	    !c->connected_since_login) {
		/* a repeated login with no new SN connection in between: the
		 * previous one was refused */
		login_failed(x, c);
		sig_evidence(&x->clients, c, f, pv->ts_us);
		return;
	}
	login_progress(x, f, LOGIN_L2, pv->ts_us);
}

void sig_login_packet(struct sig_ctx *x, struct flow *f,
		      const struct pkt_view *pv, int dir)
{
	struct sig_flow *sf = &f->sig;
	struct sig_client *c;

	if (!sig_tcp_message(sf, pv, dir))
		return;
	sig_msgs_inc(sf, dir);
	switch (sf->state) {
	case LG_WAIT_L1:
		if (dir == 0 && sig_login_is_l1(pv))
			sig_login_begin(f);
		else
			sf->path = PATH_NONE;
		break;
	case LG_WAIT_L2:
		if (dir == 1 && exactly(pv, l2, sizeof(l2)))
			l2_seen(x, f, pv);
		else
			sf->path = PATH_NONE;
		break;
	case LG_WAIT_L3:
		if (dir == 0 && is_l3(pv)) {
			sf->state = LG_WAIT_L4;
			login_progress(x, f, LOGIN_L3, pv->ts_us);
		} else {
			sf->path = PATH_NONE;   /* role from L1/L2 stays */
		}
		break;
	case LG_WAIT_L4:
		if (dir == 0)
			break;          /* L3 went out in more segments */
		if (starts(pv, l4_head, sizeof(l4_head))) {
			sf->state = LG_DONE;
			if (f->role == ROLE_LOGIN)
				x->ev.logins++;
			login_progress(x, f, LOGIN_L4, pv->ts_us);
		} else {
			sf->path = PATH_NONE;
		}
		break;
	case LG_DONE:
		if (dir == 1)
			break;
		/* the SC talks on after L4: credentials again, or more
		 * messages than a successful login sends, mean failure */
		sf->u1_id++;            /* SC messages after L4 */
		if (!is_l3(pv) && sf->u1_id < LG_FAILED_SC_MSGS)
			break;
		sf->state = LG_FAILED;
		sf->path = PATH_NONE;
		c = sig_flow_client(&x->clients, f);
		if (c && f->role == ROLE_LOGIN)
			login_failed(x, c);
		break;
	default:
		sf->path = PATH_NONE;
		break;
	}
}

/* Inside a connected SN connection: L3 then L4 = a login relayed by it. */
void sig_login_relayed(struct sig_ctx *x, struct flow *f,
		       const struct pkt_view *pv, int dir)
{
	struct sig_flow *sf = &f->sig;
	struct sig_client *c;

	if (dir == 0) {
		if (pv->payload_len > 0 && pv->payload[0] == l3_head[0] &&
		    is_l3(pv))
			sf->flags |= SF_RELAY_L3;
		return;
	}
	if (!(sf->flags & SF_RELAY_L3) || !starts(pv, l4_head, sizeof(l4_head)))
		return;
	sf->flags &= (uint8_t)~SF_RELAY_L3;
	x->ev.logins_relayed++;
	c = sig_flow_client(&x->clients, f);
	if (!c)
		return;
	sig_session_of(&x->clients, c);
	if (c->login_phase != LOGIN_FAILED)
		sig_set_login_phase(&x->clients, c, LOGIN_RELAYED);
}
