/*
 * sig_restricted.c - restricted mode over TCP ports 443 and 80 (section
 * 5.2.2 "TCP Restrictions Applied", figures 6-7, section 6).
 *
 * Owns PATH_R443 and PATH_R80 flows up to R3; from T2 on they run the
 * shared machine of sig_tcp_handshake.c.  A first SC message that is L1
 * hands the flow to the login path (the login handshake also runs over 443
 * and 80).
 *
 * Port 443: R1 is 72 bytes whose first 56 are fixed: "already a very
 * strong indication", so R1 alone makes the flow ROLE_RESTRICTED_443 and
 * starts the client's session.  R2 (79 fixed bytes) confirms; a different
 * R2 stops the machine but keeps the role.  The SC may send two more
 * messages before R2 arrives (seen in 2015 captures: R1, a 27-byte
 * message, then R2); on port 80 R2 must come next.  Known weakness: R1
 * is an SSLv2-framed ClientHello; an old TLS client that sends exactly
 * this cipher list would start a session too (R2, with its constant
 * random, is what only Skype sends).  R3 = 14
 * bytes means v1.4.  Steps 7-9 then use the sizes of section 6 (T2
 * 22..29, T4 4/15/16/17).
 *
 * Port 80: the R1 nibble rule alone is weak (about 1/256 of random 16-byte
 * messages pass the v1.4 rule), so nothing is marked until the whole
 * R1, R2, R3, T2, T3, T4 sequence completes, with figure 6's tighter sizes
 * (T2 23..27, T4 4/15/16).  Only then is the flow ROLE_RESTRICTED_80 and a
 * session starts (a refusal, T3 = 339, makes it ROLE_SN_REFUSED).  R1
 * rules: v1.4: s = 16 and the high nibbles of R1[5-6] equal those of
 * R1[15-16]; v2.0: the high nibbles of R1[6-14] equal those of R1[16-24],
 * compared where both bytes exist, and at least 3 pairs (s >= 18).  A first
 * message starting with three upper-case ASCII letters (every HTTP method,
 * CONNECT included) never matches.  v2.5's changed R1 is not detected.
 */
#include "sig_restricted.h"

#include <string.h>
#include "sig_login.h"
#include "sig_stream.h"
#include "sig_tcp_handshake.h"

#define R1_443_SIZE 72
#define R3_V14 14
#define R1_80_V14 16
#define R1_80_V20_MIN 18
#define R2_MAX_SC_MSGS 3        /* SC messages (R1 too) while R2 is awaited */

static const uint8_t r1_443[56] = {
	0x80, 0x46, 0x01, 0x03, 0x01, 0x00, 0x2d, 0x00,
	0x00, 0x00, 0x10, 0x00, 0x00, 0x05, 0x00, 0x00,
	0x04, 0x00, 0x00, 0x0a, 0x00, 0x00, 0x09, 0x00,
	0x00, 0x64, 0x00, 0x00, 0x62, 0x00, 0x00, 0x08,
	0x00, 0x00, 0x03, 0x00, 0x00, 0x06, 0x01, 0x00,
	0x80, 0x07, 0x00, 0xc0, 0x03, 0x00, 0x80, 0x06,
	0x00, 0x40, 0x02, 0x00, 0x80, 0x04, 0x00, 0x80,
};

static const uint8_t r2_443[79] = {
	0x16, 0x03, 0x01, 0x00, 0x4a, 0x02, 0x00, 0x00,
	0x46, 0x03, 0x01, 0x40, 0x1b, 0xe4, 0x86, 0x02,
	0xad, 0xe0, 0x29, 0xe1, 0x77, 0x74, 0xe5, 0x44,
	0xb9, 0xc9, 0x9c, 0xb4, 0x31, 0x31, 0x5e, 0x02,
	0xdd, 0x77, 0x9d, 0x15, 0x4a, 0x96, 0x09, 0xba,
	0x5d, 0xa8, 0x70, 0x20, 0x1c, 0xa0, 0xe4, 0xf6,
	0x4c, 0x63, 0x51, 0xae, 0x2f, 0x8e, 0x4e, 0xe1,
	0xe6, 0x76, 0x6a, 0x0a, 0x88, 0xd5, 0xd8, 0xc5,
	0x5c, 0xae, 0x98, 0xc5, 0xe4, 0x81, 0xf2, 0x2a,
	0x69, 0xbf, 0x90, 0x58, 0x00, 0x05, 0x00,
};

static int is_r1_443(const struct pkt_view *pv)
{
	return pv->payload_size == R1_443_SIZE &&
	       pv->payload_len >= sizeof(r1_443) &&
	       memcmp(pv->payload, r1_443, sizeof(r1_443)) == 0;
}

static int is_r2_443(const struct pkt_view *pv)
{
	return pv->payload_size >= sizeof(r2_443) &&
	       pv->payload_len >= sizeof(r2_443) &&
	       memcmp(pv->payload, r2_443, sizeof(r2_443)) == 0;
}

static int starts_with_token(const struct pkt_view *pv)
{
	if (pv->payload_len < 3)
		return 0;
	for (int i = 0; i < 3; i++)
		if (pv->payload[i] < 'A' || pv->payload[i] > 'Z')
			return 0;
	return 1;
}

/* "HTTP/" starts every HTTP response (status line). */
static int is_http_response(const struct pkt_view *pv)
{
	return pv->payload_len >= 5 && memcmp(pv->payload, "HTTP/", 5) == 0;
}

static int hi(uint8_t b)
{
	return b >> 4;
}

/* 1-based M[x] as in the paper */
#define M(p, x) ((p)[(x) - 1])

/* Figure 7: returns the version the R1 nibble rule matched, or 0. */
static uint8_t r1_80_version(const struct pkt_view *pv)
{
	const uint8_t *p = pv->payload;
	uint32_t n = pv->payload_size < pv->payload_len ?
		     pv->payload_size : pv->payload_len;

	if (starts_with_token(pv))
		return 0;
	if (pv->payload_size == R1_80_V14 && n >= 16 &&
	    hi(M(p, 5)) == hi(M(p, 15)) && hi(M(p, 6)) == hi(M(p, 16)))
		return SKYPE_VER_1_4;
	/* at least 18 bytes: R1[6-8] vs R1[16-18], 3 pairs at least */
	if (pv->payload_size < R1_80_V20_MIN || n < R1_80_V20_MIN)
		return 0;
	for (uint32_t x = 6; x <= 14 && x + 10 <= n; x++)
		if (hi(M(p, x)) != hi(M(p, x + 10)))
			return 0;
	return SKYPE_VER_2;
}

/* R1 on 443: the strong indication; the session starts here. */
static void r1_443_seen(struct sig_ctx *x, struct flow *f,
			const struct pkt_view *pv)
{
	struct sig_client *c;

	f->role = ROLE_RESTRICTED_443;
	f->sig.state = R_WAIT_R2;
	x->ev.restricted_443++;
	c = sig_client_for_restricted(&x->clients, f->key.src, pv->ts_us);
	if (!c)
		return;
	sig_flow_set_client(&x->clients, f, c);
	sig_session_ensure(&x->clients, c, pv->ts_us, MODE_RESTRICTED_443,
			   SKYPE_VER_UNKNOWN);
	sig_evidence(&x->clients, c, f, pv->ts_us);
}

static void first_message(struct sig_ctx *x, struct flow *f,
			  const struct pkt_view *pv, int dir)
{
	uint8_t v;

	if (dir != 0) {
		f->sig.path = PATH_NONE;
		return;
	}
	if (x->cfg.login && sig_login_is_l1(pv)) {
		sig_login_begin(f);
		return;
	}
	if (f->sig.path == PATH_R443) {
		if (is_r1_443(pv))
			r1_443_seen(x, f, pv);
		else
			f->sig.path = PATH_NONE;
		return;
	}
	v = r1_80_version(pv);
	if (v == 0 && !starts_with_token(pv) &&
	    sig_client_known(&x->clients, f->key.src)) {
		/* v2.5 (section 6.2): R1 changed; the T2..T4 handshake
		 * alone detects, from a host already known as a client */
		f->sig.flags |= SF_V25;
		v = SKYPE_VER_2_5;
	}
	if (v == 0) {
		f->sig.path = PATH_NONE;
		return;
	}
	f->sig.version = v;
	f->sig.state = R_WAIT_R2;
}

void sig_restricted_packet(struct sig_ctx *x, struct flow *f,
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
	if (sf->flags & SF_CLIENT) {
		/* 443 after R1: every message is evidence */
		struct sig_client *c = sig_flow_client(&x->clients, f);

		if (c)
			sig_evidence(&x->clients, c, f, pv->ts_us);
	}
	switch (sf->state) {
	case R_WAIT_R1:
		first_message(x, f, pv, dir);
		break;
	case R_WAIT_R2:
		if (dir == 0) {
			/* 443: Skype may send on before R2 arrives */
			if (sf->path == PATH_R80 ||
			    sf->msgs[0] > R2_MAX_SC_MSGS)
				sf->path = PATH_NONE;
		} else if ((sf->flags & SF_V25) && is_http_response(pv)) {
			sf->path = PATH_NONE;   /* an HTTP server answered */
		} else if (sf->path == PATH_R80 || is_r2_443(pv)) {
			sf->state = R_WAIT_R3;  /* 443: R2 confirms */
		} else {
			sf->path = PATH_NONE;   /* role from R1 stays */
		}
		break;
	case R_WAIT_R3:
		if (dir == 1)
			break;          /* R2 went out in more segments */
		if (sf->path == PATH_R443)
			sf->version = pv->payload_size == R3_V14 ?
				      SKYPE_VER_1_4 : SKYPE_VER_2;
		/* then the T2..T4 handshake from step 7 */
		sf->state = HS_WAIT_T2;
		break;
	default:
		/* steps 7-9, figure 6's tighter sizes on port 80 */
		sig_hs_t2_to_t4(x, f, pv, dir, sf->path == PATH_R80 ?
				HS_SIZES_FIG6 : HS_SIZES_STEPS);
		break;
	}
}
