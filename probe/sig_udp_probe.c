/*
 * sig_udp_probe.c - the UDP probe U1..U4 (section 5.2.1, steps 1-5).
 *
 * Owns PATH_UDP_PROBE flows.  The flow's initiator is the client (CON_SC),
 * the responder the super node (CON_SN), so U1/U3 travel in direction 0
 * and U2/U4 in direction 1.  Sizes are UDP payload sizes (pv->payload_size);
 * byte reads are checked against the captured pv->payload_len.
 *
 * Choices where the paper leaves room:
 *  - U1 must be 11..128 bytes: U3 echoes U1[8-11], so U1 has at least 11
 *    bytes; v2.0 sizes "vary" but Skype's probes are small, and the cap
 *    keeps large datagrams (RTP, games) out of the candidate set.
 *  - U2[4-7] is the client's public address: recorded, and checked to be
 *    plausible: not private, loopback, link-local, shared (100.64/10),
 *    multicast or reserved.  When the flow's client address is itself a
 *    public IPv4 address (no NAT between client and probe) it must be equal;
 *    behind a NAT they differ and only plausibility is checked.
 *  - U3[9-12] must equal the flow's SN address; on an IPv6 flow there is no
 *    such IPv4 address, so only the partial probe can match there.
 *  - A second U1 while waiting for U2 (Skype retries) restarts the probe;
 *    a new U1 after a concluded probe starts another one (step 5).
 *  - A negative probe creates the client (it is a Skype client probing,
 *    e.g. a bootstrap SN) but does not start a session: step 4 is positive.
 *  - A flow's role is the best result it had: positive is not downgraded.
 */
#include "sig_udp_probe.h"

#include <string.h>

#define U1_MIN 11
#define U1_MAX 128
#define U2_SIZE 11
#define U4_POSITIVE 18
#define MSG_TYPE_02 0x02

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* Step 1: UDP with [3] = 0x02, 18 bytes (v1.4) or small (v2.0). */
static int is_u1(const struct pkt_view *pv)
{
	return pv->payload_size >= U1_MIN && pv->payload_size <= U1_MAX &&
	       pv->payload_len >= 3 && pv->payload[2] == MSG_TYPE_02;
}

static int public_v4(const uint8_t a[4])
{
	if (a[0] == 0 || a[0] == 10 || a[0] == 127 || a[0] >= 224)
		return 0;
	if (a[0] == 100 && (a[1] & 0xc0) == 64)         /* 100.64/10 */
		return 0;
	if (a[0] == 169 && a[1] == 254)
		return 0;
	if (a[0] == 172 && (a[1] & 0xf0) == 16)
		return 0;
	if (a[0] == 192 && a[1] == 168)
		return 0;
	return 1;
}

/* Does U2's address fit the client seen at this point of the network? */
static int plausible_client_addr(const struct flow *f, const uint8_t a[4])
{
	const uint8_t *src = f->key.src;

	if (!public_v4(a))
		return 0;
	if (pkt_is_v4(src) && public_v4(src + 12))
		return memcmp(src + 12, a, 4) == 0;
	return 1;
}

/* Step 2: s = 11, U2[1-2] = U1[1-2], low nibble of U2[3] = 7. */
static int is_u2(const struct flow *f, const struct pkt_view *pv)
{
	const uint8_t *p = pv->payload;

	return pv->payload_size == U2_SIZE && pv->payload_len >= 7 &&
	       rd16(p) == f->sig.u1_id && (p[2] & 0x0f) == 0x07 &&
	       plausible_client_addr(f, p + 3);
}

/* Step 3: s = s(U1) + 5, same id, low nibble of [3] = 3, [4] = 0x01,
 * [9-12] = the SN's IPv4 address. */
static int is_u3(const struct flow *f, const struct pkt_view *pv)
{
	const uint8_t *p = pv->payload;

	return pv->payload_size == (uint32_t)f->sig.u1_size + 5 &&
	       pv->payload_len >= 12 && rd16(p) == f->sig.u1_id &&
	       (p[2] & 0x0f) == 0x03 && p[3] == 0x01 &&
	       pkt_is_v4(f->key.dst) && memcmp(p + 8, f->key.dst + 12, 4) == 0;
}

static void start_u1(struct flow *f, const struct pkt_view *pv)
{
	f->sig.u1_id = rd16(pv->payload);
	f->sig.u1_size = (uint16_t)pv->payload_size;
	f->sig.aux = 0;                 /* U2 address, until step 4 */
	f->sig.state = UP_WAIT_U2;
}

/* The probe did not match: a flow that never concluded is not a probe. */
static void probe_broken(struct flow *f)
{
	if (f->role == ROLE_NONE)
		f->sig.path = PATH_NONE;
	else
		f->sig.state = UP_DONE;
}

/* Step 4 positive: Skype usage detected, a session starts. */
static void probe_positive(struct sig_ctx *x, struct flow *f,
			   const struct pkt_view *pv)
{
	struct sig_flow *sf = &f->sig;
	struct sig_client *c;
	uint8_t version;

	x->ev.probes_positive++;
	f->role = ROLE_UDP_PROBE_POS;
	sf->flags |= SF_POSITIVE;
	sf->state = UP_DONE;
	c = sig_client_get(&x->clients, f->key.src, f->key.sport, pv->ts_us);
	if (!c)
		return;
	if (sf->aux)
		memcpy(c->public_v4, &sf->aux, 4);
	/* the TCP connection will go to the port the reply came from */
	sig_sn_add(c->pos, &c->pos_next, SIG_POS_SN, f->key.dst, f->key.dport,
		   sf->u1_size);
	if (!c->has_seqid) {
		c->last_seqid = sf->u1_id;
		c->has_seqid = 1;
	}
	/* only v2.0 has U1 sizes other than 18; 18 alone decides nothing */
	version = sf->u1_size != 18 ? SKYPE_VER_2 : SKYPE_VER_UNKNOWN;
	if (version != SKYPE_VER_UNKNOWN)
		c->version = version;
	sig_session_ensure(&x->clients, c, pv->ts_us, MODE_UDP_TCP, version);
	sig_evidence(&x->clients, c, f, pv->ts_us);
}

/* U4 = 51/53: this SN is not contacted again (bootstrap SNs always). */
static void probe_negative(struct sig_ctx *x, struct flow *f,
			   const struct pkt_view *pv)
{
	struct sig_flow *sf = &f->sig;
	struct sig_client *c;
	struct sn_ref *r;

	x->ev.probes_negative++;
	if (f->key.dport == x->cfg.bootstrap_port)
		x->ev.probes_bootstrap++;
	if (f->role == ROLE_NONE)
		f->role = ROLE_UDP_PROBE_NEG;
	sf->state = UP_DONE;
	c = sig_client_get(&x->clients, f->key.src, f->key.sport, pv->ts_us);
	if (!c)
		return;
	sig_sn_add(c->neg, &c->neg_next, SIG_NEG_SN, f->key.dst, f->key.dport,
		   sf->u1_size);
	r = sig_sn_find(c->pos, sig_sn_filled(c->pos_next, SIG_POS_SN),
			f->key.dst, f->key.dport);
	if (r)
		r->used = 0;
	if (!c->has_seqid) {
		c->last_seqid = sf->u1_id;
		c->has_seqid = 1;
	}
	sig_evidence(&x->clients, c, f, pv->ts_us);
}

/* Step 4 (or step 2's partial-probe branch): classify the reply U4. */
static void check_u4(struct sig_ctx *x, struct flow *f,
		     const struct pkt_view *pv)
{
	uint32_t s = pv->payload_size;
	uint8_t type;

	if (pv->payload_len < 3) {
		probe_broken(f);
		return;
	}
	type = pv->payload[2];
	if (s == U4_POSITIVE && type == MSG_TYPE_02)
		probe_positive(x, f, pv);
	else if ((s == 51 || s == 53) &&
		 (type == MSG_TYPE_02 || (type & 0x0f) == 0x0d))
		probe_negative(x, f, pv);
	else
		probe_broken(f);
}

/* First payload packet of a UDP flow (direction 0): step 1. */
void sig_udp_probe_first(struct flow *f, const struct pkt_view *pv)
{
	if (!is_u1(pv))
		return;
	f->sig.path = PATH_UDP_PROBE;
	start_u1(f, pv);
}

/* A new U1 on the flow: the probe restarts; the caller hears of it as one
 * more request (section 5.1). */
static int new_u1(struct flow *f, const struct pkt_view *pv)
{
	start_u1(f, pv);
	return 1;
}

int sig_udp_probe_packet(struct sig_ctx *x, struct flow *f,
			 const struct pkt_view *pv, int dir)
{
	struct sig_flow *sf = &f->sig;

	if (pv->payload_size == 0)
		return 0;
	switch (sf->state) {
	case UP_WAIT_U2:
		if (dir == 0) {
			/* U1 again: a retry, or the next partial probe */
			if (is_u1(pv))
				return new_u1(f, pv);
			probe_broken(f);
		} else if (is_u2(f, pv)) {
			/* step 2: full probe, keep U2's client address */
			memcpy(&sf->aux, pv->payload + 3, 4);
			sf->state = UP_WAIT_U3;
		} else {
			/* step 2 alternative: partial probe, U4 directly */
			check_u4(x, f, pv);
		}
		break;
	case UP_WAIT_U3:
		/* step 3 */
		if (dir == 0 && is_u3(f, pv))
			sf->state = UP_WAIT_U4;
		else
			probe_broken(f);
		break;
	case UP_WAIT_U4:
		/* step 4 */
		if (dir == 1)
			check_u4(x, f, pv);
		else if (!is_u3(f, pv))         /* U3 retried: keep waiting */
			probe_broken(f);
		break;
	case UP_DONE:
		/* step 5: Skype keeps probing, also on this flow */
		if (dir == 0 && is_u1(pv))
			return new_u1(f, pv);
		break;
	default:
		sf->path = PATH_NONE;
		break;
	}
	return 0;
}
