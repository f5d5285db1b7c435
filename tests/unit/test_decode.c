/*
 * test_decode.c - unit tests for the packet decoder (probe/decode.c).
 *
 * Frames are built here layer by layer, inside out, so that every length
 * field is consistent and every layer boundary is known; each test then
 * asserts the decoded view field by field.  Truncated frames are decoded
 * from heap copies of exactly the cut length so that AddressSanitizer and
 * valgrind see any read past the end.
 */
#include "decode.h"

#include <check.h>
#include <dirent.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FRAME_BUF   4096
#define FRAME_START 2048

struct frame {
	uint8_t buf[FRAME_BUF];
	uint32_t off;           /* the frame starts at buf + off */
	uint32_t len;
	uint32_t payload_len;   /* transport payload octets at the end */
	uint32_t seg_len;       /* what follows the IP header(s) */
	uint32_t ip_len;        /* the IP packet */
};

static const uint8_t v4_src[4] = {10, 0, 0, 1};
static const uint8_t v4_dst[4] = {192, 168, 1, 2};
static const uint8_t v6_src[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0,
				   0, 0, 0, 0, 0, 0, 0, 0x01};
static const uint8_t v6_dst[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0,
				   0, 0, 0, 0, 0, 0, 0xbe, 0xef};

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

static const uint8_t *frame_data(const struct frame *f)
{
	return f->buf + f->off;
}

/* Room for a header of n octets in front of the frame. */
static uint8_t *push(struct frame *f, uint32_t n)
{
	ck_assert_uint_ge(f->off, n);
	f->off -= n;
	f->len += n;
	memset(f->buf + f->off, 0, n);
	return f->buf + f->off;
}

static void frame_init(struct frame *f, uint32_t payload_len)
{
	memset(f, 0, sizeof(*f));
	ck_assert_uint_le(payload_len, FRAME_BUF - FRAME_START);
	f->off = FRAME_START;
	f->len = payload_len;
	for (uint32_t i = 0; i < payload_len; i++)
		f->buf[f->off + i] = (uint8_t)(i * 7 + 3);
	f->payload_len = payload_len;
	f->seg_len = payload_len;
}

/* --- transport ---------------------------------------------------------- */

static void push_tcp(struct frame *f, uint16_t sport, uint16_t dport,
		     uint32_t seq, uint32_t ack, uint8_t flags, uint32_t optlen)
{
	uint32_t hlen = 20 + optlen;
	uint8_t *p = push(f, hlen);

	put16(p, sport);
	put16(p + 2, dport);
	put32(p + 4, seq);
	put32(p + 8, ack);
	p[12] = (uint8_t)(hlen / 4 << 4);
	p[13] = flags;
	put16(p + 14, 65535);
	memset(p + 20, 1, optlen);      /* NOPs */
	f->seg_len = f->len;
}

static void push_udp(struct frame *f, uint16_t sport, uint16_t dport)
{
	uint8_t *p = push(f, 8);

	put16(p, sport);
	put16(p + 2, dport);
	put16(p + 4, (uint16_t)f->len);
	f->seg_len = f->len;
}

static void push_icmp(struct frame *f, uint8_t type, uint8_t code)
{
	uint8_t *p = push(f, 8);

	p[0] = type;
	p[1] = code;
	put16(p + 4, 0x1234);
	put16(p + 6, 1);
	f->seg_len = f->len;
}

/* GRE is metered as an opaque protocol: all of it is payload. */
static void push_gre(struct frame *f)
{
	uint8_t *p = push(f, 4);

	put16(p + 2, 0x0800);
	f->payload_len = f->len;
	f->seg_len = f->len;
}

/* --- network ------------------------------------------------------------ */

static void push_ipv4(struct frame *f, uint8_t proto, uint8_t tos,
		      uint16_t id, uint16_t frag_field, uint32_t optlen)
{
	uint32_t hlen = 20 + optlen;
	uint8_t *p = push(f, hlen);

	p[0] = (uint8_t)(0x40 | hlen / 4);
	p[1] = tos;
	put16(p + 2, (uint16_t)f->len);
	put16(p + 4, id);
	put16(p + 6, frag_field);
	p[8] = 64;
	p[9] = proto;
	memcpy(p + 12, v4_src, 4);
	memcpy(p + 16, v4_dst, 4);
	memset(p + 20, 1, optlen);      /* NOP options */
	f->ip_len = f->len;
}

/* Hop-by-hop, routing, destination options, mobility: 8-octet units. */
static void push_v6ext(struct frame *f, uint8_t next, uint32_t len)
{
	uint8_t *p = push(f, len);

	p[0] = next;
	p[1] = (uint8_t)(len / 8 - 1);
	if (len > 2)
		p[2] = 1;               /* a PadN option, harmless */
	if (len > 3)
		p[3] = (uint8_t)(len - 4);
}

/* AH counts 4-octet units, minus 2. */
static void push_v6ah(struct frame *f, uint8_t next, uint32_t len)
{
	uint8_t *p = push(f, len);

	p[0] = next;
	p[1] = (uint8_t)(len / 4 - 2);
	put32(p + 4, 0x1000);   /* SPI */
}

static void push_v6frag(struct frame *f, uint8_t next, uint16_t offset8,
			int more, uint32_t id)
{
	uint8_t *p = push(f, 8);

	p[0] = next;
	put16(p + 2, (uint16_t)(offset8 << 3 | (more ? 1 : 0)));
	put32(p + 4, id);
}

static void push_ipv6(struct frame *f, uint8_t next, uint8_t tc,
		      uint32_t flow)
{
	uint32_t plen = f->len;
	uint8_t *p = push(f, 40);

	put32(p, 6u << 28 | (uint32_t)tc << 20 | (flow & 0xfffff));
	put16(p + 4, (uint16_t)plen);
	p[6] = next;
	p[7] = 64;
	memcpy(p + 8, v6_src, 16);
	memcpy(p + 24, v6_dst, 16);
	f->ip_len = f->len;
}

/* --- link --------------------------------------------------------------- */

static void push_eth(struct frame *f, uint16_t type)
{
	static const uint8_t macs[12] = {0x00, 0x11, 0x22, 0x33, 0x44, 0x55,
					 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb};
	uint8_t *p = push(f, 14);

	memcpy(p, macs, 12);
	put16(p + 12, type);
}

/* TCI and the ethertype after it; the TPID is the type before. */
static void push_vlan(struct frame *f, uint8_t pcp, uint16_t vid,
		      uint16_t inner_type)
{
	uint8_t *p = push(f, 4);

	put16(p, (uint16_t)(pcp << 13 | 0x1000 | vid));    /* DEI set too */
	put16(p + 2, inner_type);
}

static void push_pppoe(struct frame *f, uint16_t ppp_proto)
{
	uint16_t len = (uint16_t)(f->len + 2);
	uint8_t *p = push(f, 8);

	p[0] = 0x11;            /* version 1, type 1 */
	put16(p + 2, 0x1234);   /* session */
	put16(p + 4, len);
	put16(p + 6, ppp_proto);
}

static void push_mpls(struct frame *f, uint32_t label, int bottom)
{
	uint8_t *p = push(f, 4);

	put32(p, label << 12 | 5u << 9 | (bottom ? 1u << 8 : 0) | 64);
}

static void push_sll(struct frame *f, uint16_t proto)
{
	uint8_t *p = push(f, 16);

	put16(p, 0);            /* to us */
	put16(p + 2, 1);        /* ARPHRD_ETHER */
	put16(p + 4, 6);
	memset(p + 6, 0xab, 6);
	put16(p + 14, proto);
}

static void push_sll2(struct frame *f, uint16_t proto)
{
	uint8_t *p = push(f, 20);

	put16(p, proto);
	put32(p + 4, 3);        /* ifindex */
	put16(p + 8, 1);        /* ARPHRD_ETHER */
	p[10] = 4;              /* outgoing */
	p[11] = 6;
	memset(p + 12, 0xcd, 6);
}

static void push_null_host(struct frame *f, uint32_t af)
{
	memcpy(push(f, 4), &af, 4);
}

static void push_null_swapped(struct frame *f, uint32_t af)
{
	af = __builtin_bswap32(af);
	memcpy(push(f, 4), &af, 4);
}

static void push_loop(struct frame *f, uint32_t af)
{
	put32(push(f, 4), af);
}

/* --- assertions --------------------------------------------------------- */

static void v4_mapped(uint8_t out[16], const uint8_t v4[4])
{
	memset(out, 0, 16);
	out[10] = 0xff;
	out[11] = 0xff;
	memcpy(out + 12, v4, 4);
}

static void assert_view(const struct pkt_view *got,
			const struct pkt_view *want)
{
	ck_assert_uint_eq(got->ts_us, want->ts_us);
	ck_assert_mem_eq(got->src, want->src, 16);
	ck_assert_mem_eq(got->dst, want->dst, 16);
	ck_assert_uint_eq(got->sport, want->sport);
	ck_assert_uint_eq(got->dport, want->dport);
	ck_assert_uint_eq(got->vlan_id, want->vlan_id);
	ck_assert_uint_eq(got->icmp_typecode, want->icmp_typecode);
	ck_assert_uint_eq(got->ip_version, want->ip_version);
	ck_assert_uint_eq(got->proto, want->proto);
	ck_assert_uint_eq(got->tos, want->tos);
	ck_assert_uint_eq(got->tcp_flags, want->tcp_flags);
	ck_assert_uint_eq(got->frag, want->frag);
	ck_assert_uint_eq(got->pad_, 0);
	ck_assert_uint_eq(got->frag_id, want->frag_id);
	ck_assert_uint_eq(got->ip_len, want->ip_len);
	ck_assert_uint_eq(got->tcp_seq, want->tcp_seq);
	ck_assert_uint_eq(got->tcp_ack, want->tcp_ack);
	ck_assert_ptr_eq(got->payload, want->payload);
	ck_assert_uint_eq(got->payload_len, want->payload_len);
	ck_assert_uint_eq(got->payload_size, want->payload_size);
}

/* A view full of garbage, as a caller's stack would hold. */
static void dirty_view(struct pkt_view *pv, uint64_t ts_us)
{
	memset(pv, 0xa5, sizeof(*pv));
	pv->ts_us = ts_us;
}

static enum decode_status decode_frame(int linktype, const struct frame *f,
				       struct pkt_view *pv)
{
	dirty_view(pv, 1234567);
	return decode_packet(linktype, frame_data(f), f->len, pv);
}

/* The view expected for the standard IPv4 addresses. */
static void want_v4(struct pkt_view *w, uint8_t proto, uint32_t ip_len)
{
	memset(w, 0, sizeof(*w));
	w->ts_us = 1234567;
	v4_mapped(w->src, v4_src);
	v4_mapped(w->dst, v4_dst);
	w->ip_version = 4;
	w->proto = proto;
	w->ip_len = ip_len;
}

static void want_v6(struct pkt_view *w, uint8_t proto, uint32_t ip_len)
{
	memset(w, 0, sizeof(*w));
	w->ts_us = 1234567;
	memcpy(w->src, v6_src, 16);
	memcpy(w->dst, v6_dst, 16);
	w->ip_version = 6;
	w->proto = proto;
	w->ip_len = ip_len;
}

static void want_payload(struct pkt_view *w, const struct frame *f)
{
	w->payload = frame_data(f) + f->len - f->payload_len;
	w->payload_len = f->payload_len;
	w->payload_size = f->payload_len;
}

/* --- link layers -------------------------------------------------------- */

START_TEST(test_eth_ipv4_tcp)
{
	struct frame f;
	struct pkt_view pv, want;

	frame_init(&f, 100);
	push_tcp(&f, 40000, 443, 0x01020304, 0xa0b0c0d0, 0x18, 0);
	push_ipv4(&f, 6, 0xb8, 0xbeef, 0x4000, 0);
	push_eth(&f, 0x0800);
	ck_assert_int_eq(decode_frame(LINK_EN10MB, &f, &pv), DECODE_OK);
	want_v4(&want, 6, 140);
	want.sport = 40000;
	want.dport = 443;
	want.tos = 0xb8;
	want.tcp_flags = 0x18;
	want.frag_id = 0xbeef;
	want.tcp_seq = 0x01020304;
	want.tcp_ack = 0xa0b0c0d0;
	want_payload(&want, &f);
	ck_assert_ptr_eq(want.payload, frame_data(&f) + 14 + 20 + 20);
	assert_view(&pv, &want);
	ck_assert(pkt_is_v4(pv.src));
}
END_TEST

START_TEST(test_eth_ipv6_udp)
{
	struct frame f;
	struct pkt_view pv, want;

	frame_init(&f, 33);
	push_udp(&f, 5353, 53);
	push_ipv6(&f, 17, 0xa7, 0xfffff);
	push_eth(&f, 0x86dd);
	ck_assert_int_eq(decode_frame(LINK_EN10MB, &f, &pv), DECODE_OK);
	want_v6(&want, 17, 40 + 8 + 33);
	want.sport = 5353;
	want.dport = 53;
	want.tos = 0xa7;
	want_payload(&want, &f);
	assert_view(&pv, &want);
	ck_assert(!pkt_is_v4(pv.src));
}
END_TEST

START_TEST(test_eth_padding_trimmed)
{
	struct frame f;
	struct pkt_view pv, want;
	uint8_t padded[64];

	/* 14 + 20 + 8 + 4 = 46 octets, padded to 60 on the wire. */
	frame_init(&f, 4);
	push_udp(&f, 1000, 2000);
	push_ipv4(&f, 17, 0, 7, 0, 0);
	push_eth(&f, 0x0800);
	ck_assert_uint_eq(f.len, 46);
	memset(padded, 0xee, sizeof(padded));
	memcpy(padded, frame_data(&f), f.len);
	dirty_view(&pv, 1234567);
	ck_assert_int_eq(decode_packet(LINK_EN10MB, padded, 60, &pv),
			 DECODE_OK);
	want_v4(&want, 17, 32);
	want.sport = 1000;
	want.dport = 2000;
	want.frag_id = 7;
	want.payload = padded + 42;
	want.payload_len = 4;
	want.payload_size = 4;
	assert_view(&pv, &want);
}
END_TEST

START_TEST(test_eth_ipv6_padding_trimmed)
{
	struct frame f;
	struct pkt_view pv;
	uint8_t padded[128];

	frame_init(&f, 2);
	push_udp(&f, 1, 2);
	push_ipv6(&f, 17, 0, 0);
	push_eth(&f, 0x86dd);
	memset(padded, 0xee, sizeof(padded));
	memcpy(padded, frame_data(&f), f.len);
	dirty_view(&pv, 0);
	ck_assert_int_eq(decode_packet(LINK_EN10MB, padded, 100, &pv),
			 DECODE_OK);
	ck_assert_uint_eq(pv.ip_len, 50);
	ck_assert_uint_eq(pv.payload_len, 2);
	ck_assert_uint_eq(pv.payload_size, 2);
}
END_TEST

START_TEST(test_snaplen_cut)
{
	struct frame f;
	struct pkt_view pv, want;

	frame_init(&f, 1400);
	push_tcp(&f, 80, 50000, 1, 2, 0x10, 12);
	push_ipv4(&f, 6, 0, 1, 0, 0);
	push_eth(&f, 0x0800);
	dirty_view(&pv, 1234567);
	/* A 96-octet snap length leaves 96 - 14 - 20 - 32 = 30 octets. */
	ck_assert_int_eq(decode_packet(LINK_EN10MB, frame_data(&f), 96, &pv),
			 DECODE_OK);
	want_v4(&want, 6, 20 + 32 + 1400);
	want.sport = 80;
	want.dport = 50000;
	want.tcp_seq = 1;
	want.tcp_ack = 2;
	want.tcp_flags = 0x10;
	want.frag_id = 1;
	want.payload = frame_data(&f) + 66;
	want.payload_len = 30;
	want.payload_size = 1400;
	assert_view(&pv, &want);
}
END_TEST

START_TEST(test_vlan_8021q)
{
	struct frame f;
	struct pkt_view pv, want;

	frame_init(&f, 10);
	push_udp(&f, 3478, 3479);
	push_ipv4(&f, 17, 0, 0, 0, 0);
	push_vlan(&f, 5, 0x123, 0x0800);
	push_eth(&f, 0x8100);
	ck_assert_int_eq(decode_frame(LINK_EN10MB, &f, &pv), DECODE_OK);
	want_v4(&want, 17, 38);
	want.sport = 3478;
	want.dport = 3479;
	want.vlan_id = 0x123;
	want_payload(&want, &f);
	assert_view(&pv, &want);
}
END_TEST

START_TEST(test_vlan_qinq_outermost)
{
	static const uint16_t tpids[] = {0x88a8, 0x9100, 0x8100};
	struct frame f;
	struct pkt_view pv;

	for (unsigned i = 0; i < sizeof(tpids) / sizeof(tpids[0]); i++) {
		frame_init(&f, 1);
		push_udp(&f, 1, 2);
		push_ipv6(&f, 17, 0, 0);
		push_vlan(&f, 0, 300, 0x86dd);          /* innermost */
		push_vlan(&f, 2, 200, 0x8100);
		push_vlan(&f, 7, 4095, 0x8100);         /* outermost */
		push_eth(&f, tpids[i]);
		ck_assert_int_eq(decode_frame(LINK_EN10MB, &f, &pv),
				 DECODE_OK);
		ck_assert_uint_eq(pv.vlan_id, 4095);
		ck_assert_uint_eq(pv.ip_version, 6);
		ck_assert_uint_eq(pv.sport, 1);
		ck_assert_uint_eq(pv.payload_len, 1);
	}
}
END_TEST

START_TEST(test_vlan_priority_tag)
{
	struct frame f;
	struct pkt_view pv;

	/* VID 0 outside, 55 inside: the outermost is 0. */
	frame_init(&f, 0);
	push_udp(&f, 1, 2);
	push_ipv4(&f, 17, 0, 0, 0, 0);
	push_vlan(&f, 0, 55, 0x0800);
	push_vlan(&f, 3, 0, 0x8100);
	push_eth(&f, 0x8100);
	ck_assert_int_eq(decode_frame(LINK_EN10MB, &f, &pv), DECODE_OK);
	ck_assert_uint_eq(pv.vlan_id, 0);
}
END_TEST

START_TEST(test_vlan_too_deep)
{
	struct frame f;
	struct pkt_view pv;

	frame_init(&f, 0);
	push_udp(&f, 1, 2);
	push_ipv4(&f, 17, 0, 0, 0, 0);
	push_vlan(&f, 0, 1, 0x0800);
	for (int i = 0; i < 7; i++)
		push_vlan(&f, 0, 1, 0x8100);
	push_eth(&f, 0x8100);
	/* 8 tags are accepted ... */
	ck_assert_int_eq(decode_frame(LINK_EN10MB, &f, &pv), DECODE_OK);
	frame_init(&f, 0);
	push_udp(&f, 1, 2);
	push_ipv4(&f, 17, 0, 0, 0, 0);
	push_vlan(&f, 0, 1, 0x0800);
	for (int i = 0; i < 8; i++)
		push_vlan(&f, 0, 1, 0x8100);
	push_eth(&f, 0x8100);
	/* ... 9 are not. */
	ck_assert_int_eq(decode_frame(LINK_EN10MB, &f, &pv), DECODE_NOT_IP);
}
END_TEST

START_TEST(test_mpls)
{
	struct frame f;
	struct pkt_view pv, want;

	frame_init(&f, 20);
	push_tcp(&f, 1234, 80, 5, 6, 0x02, 0);
	push_ipv4(&f, 6, 0, 9, 0, 0);
	push_mpls(&f, 16, 1);
	push_mpls(&f, 1000, 0);
	push_eth(&f, 0x8847);
	ck_assert_int_eq(decode_frame(LINK_EN10MB, &f, &pv), DECODE_OK);
	want_v4(&want, 6, 60);
	want.sport = 1234;
	want.dport = 80;
	want.tcp_seq = 5;
	want.tcp_ack = 6;
	want.tcp_flags = 0x02;
	want.frag_id = 9;
	want_payload(&want, &f);
	assert_view(&pv, &want);

	frame_init(&f, 3);
	push_udp(&f, 7, 8);
	push_ipv6(&f, 17, 0, 0);
	push_mpls(&f, 2, 1);
	push_eth(&f, 0x8848);
	ck_assert_int_eq(decode_frame(LINK_EN10MB, &f, &pv), DECODE_OK);
	ck_assert_uint_eq(pv.ip_version, 6);
	ck_assert_uint_eq(pv.dport, 8);
	ck_assert_uint_eq(pv.payload_len, 3);

	/* VLAN, then MPLS. */
	frame_init(&f, 3);
	push_udp(&f, 7, 8);
	push_ipv4(&f, 17, 0, 0, 0, 0);
	push_mpls(&f, 2, 1);
	push_vlan(&f, 0, 42, 0x8847);
	push_eth(&f, 0x8100);
	ck_assert_int_eq(decode_frame(LINK_EN10MB, &f, &pv), DECODE_OK);
	ck_assert_uint_eq(pv.vlan_id, 42);
	ck_assert_uint_eq(pv.sport, 7);
}
END_TEST

START_TEST(test_mpls_not_ip)
{
	struct frame f;
	struct pkt_view pv;
	uint8_t *cw;

	/* Pseudowire control word (first nibble 0) then Ethernet. */
	frame_init(&f, 30);
	cw = push(&f, 4);
	cw[0] = 0;
	push_mpls(&f, 77, 1);
	push_eth(&f, 0x8847);
	ck_assert_int_eq(decode_frame(LINK_EN10MB, &f, &pv), DECODE_NOT_IP);

	/* No bottom of stack within the limit. */
	frame_init(&f, 0);
	push_udp(&f, 1, 2);
	push_ipv4(&f, 17, 0, 0, 0, 0);
	for (int i = 0; i < 17; i++)
		push_mpls(&f, (uint32_t)i, i == 0);
	push_eth(&f, 0x8847);
	ck_assert_int_eq(decode_frame(LINK_EN10MB, &f, &pv), DECODE_NOT_IP);

	/* 16 labels are still fine. */
	frame_init(&f, 0);
	push_udp(&f, 1, 2);
	push_ipv4(&f, 17, 0, 0, 0, 0);
	for (int i = 0; i < 16; i++)
		push_mpls(&f, (uint32_t)i, i == 0);
	push_eth(&f, 0x8847);
	ck_assert_int_eq(decode_frame(LINK_EN10MB, &f, &pv), DECODE_OK);
}
END_TEST

START_TEST(test_pppoe)
{
	struct frame f;
	struct pkt_view pv, want;

	frame_init(&f, 6);
	push_udp(&f, 53, 5353);
	push_ipv4(&f, 17, 0, 4, 0, 0);
	push_pppoe(&f, 0x0021);
	push_vlan(&f, 0, 7, 0x8864);
	push_eth(&f, 0x8100);
	ck_assert_int_eq(decode_frame(LINK_EN10MB, &f, &pv), DECODE_OK);
	want_v4(&want, 17, 34);
	want.sport = 53;
	want.dport = 5353;
	want.vlan_id = 7;
	want.frag_id = 4;
	want_payload(&want, &f);
	ck_assert_ptr_eq(want.payload, frame_data(&f) + 14 + 4 + 8 + 28);
	assert_view(&pv, &want);

	frame_init(&f, 6);
	push_udp(&f, 53, 5353);
	push_ipv6(&f, 17, 0, 0);
	push_pppoe(&f, 0x0057);
	push_eth(&f, 0x8864);
	ck_assert_int_eq(decode_frame(LINK_EN10MB, &f, &pv), DECODE_OK);
	ck_assert_uint_eq(pv.ip_version, 6);
	ck_assert_uint_eq(pv.payload_len, 6);

	/* LCP, and the discovery stage, are not IP. */
	frame_init(&f, 10);
	push_pppoe(&f, 0xc021);
	push_eth(&f, 0x8864);
	ck_assert_int_eq(decode_frame(LINK_EN10MB, &f, &pv), DECODE_NOT_IP);
	frame_init(&f, 10);
	push_eth(&f, 0x8863);
	ck_assert_int_eq(decode_frame(LINK_EN10MB, &f, &pv), DECODE_NOT_IP);
}
END_TEST

START_TEST(test_not_ip_ethertypes)
{
	static const uint16_t types[] = {0x0806, 0x88cc, 0x8035, 0x0060,
					 0x05dc, 0x888e, 0x0000, 0xffff};
	struct frame f;
	struct pkt_view pv;

	for (unsigned i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		frame_init(&f, 28);
		push_eth(&f, types[i]);
		ck_assert_int_eq(decode_frame(LINK_EN10MB, &f, &pv),
				 DECODE_NOT_IP);
	}
	/* ARP behind a VLAN tag: the tag is still read. */
	frame_init(&f, 28);
	push_vlan(&f, 0, 9, 0x0806);
	push_eth(&f, 0x8100);
	ck_assert_int_eq(decode_frame(LINK_EN10MB, &f, &pv), DECODE_NOT_IP);
	ck_assert_uint_eq(pv.vlan_id, 9);
}
END_TEST

START_TEST(test_sll_sll2)
{
	struct frame f;
	struct pkt_view pv, want;

	frame_init(&f, 12);
	push_udp(&f, 500, 4500);
	push_ipv4(&f, 17, 0x10, 2, 0, 0);
	push_sll(&f, 0x0800);
	ck_assert_int_eq(decode_frame(LINK_LINUX_SLL, &f, &pv), DECODE_OK);
	want_v4(&want, 17, 40);
	want.sport = 500;
	want.dport = 4500;
	want.tos = 0x10;
	want.frag_id = 2;
	want_payload(&want, &f);
	ck_assert_ptr_eq(want.payload, frame_data(&f) + 16 + 28);
	assert_view(&pv, &want);

	frame_init(&f, 12);
	push_udp(&f, 500, 4500);
	push_ipv4(&f, 17, 0x10, 2, 0, 0);
	push_sll2(&f, 0x0800);
	ck_assert_int_eq(decode_frame(LINK_LINUX_SLL2, &f, &pv), DECODE_OK);
	want_payload(&want, &f);
	ck_assert_ptr_eq(want.payload, frame_data(&f) + 20 + 28);
	assert_view(&pv, &want);

	frame_init(&f, 0);
	push_sll(&f, 0x0806);
	ck_assert_int_eq(decode_frame(LINK_LINUX_SLL, &f, &pv), DECODE_NOT_IP);
	frame_init(&f, 0);
	push_sll2(&f, 0x0004);  /* 802.2 frames */
	ck_assert_int_eq(decode_frame(LINK_LINUX_SLL2, &f, &pv),
			 DECODE_NOT_IP);
}
END_TEST

START_TEST(test_raw_linktypes)
{
	static const int raws[] = {LINK_RAW, LINK_RAW_ALT, LINK_RAW_101};
	struct frame f;
	struct pkt_view pv, want;

	for (unsigned i = 0; i < 3; i++) {
		frame_init(&f, 5);
		push_udp(&f, 11, 22);
		push_ipv4(&f, 17, 0, 3, 0, 0);
		ck_assert_int_eq(decode_frame(raws[i], &f, &pv), DECODE_OK);
		want_v4(&want, 17, 33);
		want.sport = 11;
		want.dport = 22;
		want.frag_id = 3;
		want_payload(&want, &f);
		assert_view(&pv, &want);

		frame_init(&f, 5);
		push_udp(&f, 11, 22);
		push_ipv6(&f, 17, 0, 0);
		ck_assert_int_eq(decode_frame(raws[i], &f, &pv), DECODE_OK);
		want_v6(&want, 17, 53);
		want.sport = 11;
		want.dport = 22;
		want_payload(&want, &f);
		assert_view(&pv, &want);

		frame_init(&f, 40);
		f.buf[f.off] = 0x50;
		ck_assert_int_eq(decode_frame(raws[i], &f, &pv),
				 DECODE_BAD_IP);
	}
}
END_TEST

START_TEST(test_null_loop)
{
	static const uint32_t v6_afs[] = {24, 28, 30};
	struct frame f;
	struct pkt_view pv;

	frame_init(&f, 1);
	push_udp(&f, 1, 2);
	push_ipv4(&f, 17, 0, 0, 0, 0);
	push_null_host(&f, 2);
	ck_assert_int_eq(decode_frame(LINK_NULL, &f, &pv), DECODE_OK);
	ck_assert_uint_eq(pv.ip_version, 4);
	ck_assert_ptr_eq(pv.payload, frame_data(&f) + 4 + 28);

	/* Written on a host of the other byte order. */
	frame_init(&f, 1);
	push_udp(&f, 1, 2);
	push_ipv4(&f, 17, 0, 0, 0, 0);
	push_null_swapped(&f, 2);
	ck_assert_int_eq(decode_frame(LINK_NULL, &f, &pv), DECODE_OK);
	ck_assert_uint_eq(pv.ip_version, 4);

	for (unsigned i = 0; i < 3; i++) {
		frame_init(&f, 1);
		push_udp(&f, 1, 2);
		push_ipv6(&f, 17, 0, 0);
		push_null_host(&f, v6_afs[i]);
		ck_assert_int_eq(decode_frame(LINK_NULL, &f, &pv), DECODE_OK);
		ck_assert_uint_eq(pv.ip_version, 6);

		frame_init(&f, 1);
		push_udp(&f, 1, 2);
		push_ipv6(&f, 17, 0, 0);
		push_loop(&f, v6_afs[i]);
		ck_assert_int_eq(decode_frame(LINK_LOOP, &f, &pv), DECODE_OK);
		ck_assert_uint_eq(pv.ip_version, 6);
		ck_assert_uint_eq(pv.sport, 1);
	}

	frame_init(&f, 1);
	push_udp(&f, 1, 2);
	push_ipv4(&f, 17, 0, 0, 0, 0);
	push_loop(&f, 2);
	ck_assert_int_eq(decode_frame(LINK_LOOP, &f, &pv), DECODE_OK);
	ck_assert_uint_eq(pv.ip_version, 4);

	/* Linux's AF_INET6 (10) and AppleTalk (16) are not BSD IPv6. */
	frame_init(&f, 40);
	push_loop(&f, 16);
	ck_assert_int_eq(decode_frame(LINK_LOOP, &f, &pv), DECODE_NOT_IP);
	frame_init(&f, 40);
	push_null_host(&f, 10);
	ck_assert_int_eq(decode_frame(LINK_NULL, &f, &pv), DECODE_NOT_IP);
}
END_TEST

START_TEST(test_linktype_supported)
{
	static const int yes[] = {0, 1, 9, 12, 14, 101, 104, 105, 108, 113,
				  192, 228, 229, 276};
	static const int no[] = {-1, 2, 13, 50, 107, 127, 275, 277, 65535};
	struct frame f;
	struct pkt_view pv;

	for (unsigned i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		ck_assert_int_eq(decode_linktype_supported(yes[i]), 1);
	for (unsigned i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
		ck_assert_int_eq(decode_linktype_supported(no[i]), 0);
		frame_init(&f, 0);
		push_udp(&f, 1, 2);
		push_ipv4(&f, 17, 0, 0, 0, 0);
		ck_assert_int_eq(decode_frame(no[i], &f, &pv), DECODE_NOT_IP);
	}
}
END_TEST

START_TEST(test_status_names)
{
	ck_assert_str_eq(decode_status_name(DECODE_OK), "ok");
	ck_assert_str_eq(decode_status_name(DECODE_TRUNC_L2), "truncated-l2");
	ck_assert_str_eq(decode_status_name(DECODE_TRUNC_IP), "truncated-ip");
	ck_assert_str_eq(decode_status_name(DECODE_BAD_IP), "bad-ip");
	ck_assert_str_eq(decode_status_name(DECODE_TRUNC_L4), "truncated-l4");
	ck_assert_str_eq(decode_status_name(DECODE_BAD_L4), "bad-l4");
	ck_assert_str_eq(decode_status_name(DECODE_NOT_IP), "not-ip");
	ck_assert_str_eq(decode_status_name(DECODE_STATUS_MAX), "unknown");
	ck_assert_str_eq(decode_status_name((enum decode_status)-1),
			 "unknown");
}
END_TEST

START_TEST(test_view_zeroed_ts_kept)
{
	struct frame f;
	struct pkt_view pv;
	static const uint8_t zero[16];

	/* Even a rejected frame leaves no garbage behind. */
	frame_init(&f, 28);
	push_eth(&f, 0x0806);
	dirty_view(&pv, 99);
	ck_assert_int_eq(decode_packet(LINK_EN10MB, frame_data(&f), f.len,
				       &pv), DECODE_NOT_IP);
	ck_assert_uint_eq(pv.ts_us, 99);
	ck_assert_mem_eq(pv.src, zero, 16);
	ck_assert_uint_eq(pv.ip_len, 0);
	ck_assert_ptr_null(pv.payload);

	dirty_view(&pv, 5);
	ck_assert_int_eq(decode_packet(LINK_EN10MB, NULL, 0, &pv),
			 DECODE_TRUNC_L2);
	ck_assert_uint_eq(pv.ts_us, 5);
	ck_assert_uint_eq(pv.sport, 0);
}
END_TEST

/* --- IPv4 --------------------------------------------------------------- */

START_TEST(test_ipv4_options)
{
	struct frame f;
	struct pkt_view pv, want;

	frame_init(&f, 9);
	push_tcp(&f, 22, 60000, 7, 8, 0x11, 40);
	push_ipv4(&f, 6, 0, 0x55, 0, 40);
	push_eth(&f, 0x0800);
	ck_assert_int_eq(decode_frame(LINK_EN10MB, &f, &pv), DECODE_OK);
	want_v4(&want, 6, 60 + 60 + 9);
	want.sport = 22;
	want.dport = 60000;
	want.tcp_seq = 7;
	want.tcp_ack = 8;
	want.tcp_flags = 0x11;
	want.frag_id = 0x55;
	want_payload(&want, &f);
	ck_assert_ptr_eq(want.payload, frame_data(&f) + 14 + 60 + 60);
	assert_view(&pv, &want);
}
END_TEST

START_TEST(test_ipv4_bad_headers)
{
	struct frame f;
	struct pkt_view pv;
	uint8_t *ip;

	/* Version 6 behind the IPv4 ethertype. */
	frame_init(&f, 10);
	push_udp(&f, 1, 2);
	push_ipv4(&f, 17, 0, 0, 0, 0);
	ip = f.buf + f.off;
	push_eth(&f, 0x0800);
	ip[0] = 0x65;
	ck_assert_int_eq(decode_frame(LINK_EN10MB, &f, &pv), DECODE_BAD_IP);

	for (uint8_t ihl = 0; ihl < 5; ihl++) {
		ip[0] = (uint8_t)(0x40 | ihl);
		ck_assert_int_eq(decode_frame(LINK_EN10MB, &f, &pv),
				 DECODE_BAD_IP);
	}
	ip[0] = 0x45;
	/* Total length shorter than the header. */
	put16(ip + 2, 19);
	ck_assert_int_eq(decode_frame(LINK_EN10MB, &f, &pv), DECODE_BAD_IP);
	/* IHL 6 needs 24 octets of header. */
	ip[0] = 0x46;
	put16(ip + 2, 23);
	ck_assert_int_eq(decode_frame(LINK_EN10MB, &f, &pv), DECODE_BAD_IP);
	/* Header only, no transport: the UDP header is not there per IP. */
	ip[0] = 0x45;
	put16(ip + 2, 20);
	ck_assert_int_eq(decode_frame(LINK_EN10MB, &f, &pv), DECODE_BAD_L4);
	put16(ip + 2, 27);
	ck_assert_int_eq(decode_frame(LINK_EN10MB, &f, &pv), DECODE_BAD_L4);
	/* Header fits, frame shorter than the options say. */
	ip[0] = 0x4f;
	put16(ip + 2, 60);
	dirty_view(&pv, 0);
	ck_assert_int_eq(decode_packet(LINK_EN10MB, frame_data(&f),
				       14 + 40, &pv), DECODE_TRUNC_IP);
}
END_TEST

/* Captured before segmentation offload: total length 0. */
START_TEST(test_ipv4_tso_zero_length)
{
	struct frame f;
	struct pkt_view pv, want;

	frame_init(&f, 2000);
	push_tcp(&f, 50000, 443, 10, 20, 0x18, 12);
	push_ipv4(&f, 6, 0, 0x8528, 0x4000, 0);
	put16(f.buf + f.off + 2, 0);
	push_eth(&f, 0x0800);
	ck_assert_int_eq(decode_frame(LINK_EN10MB, &f, &pv), DECODE_OK);
	want_v4(&want, 6, 20 + 32 + 2000);
	want.sport = 50000;
	want.dport = 443;
	want.tcp_seq = 10;
	want.tcp_ack = 20;
	want.tcp_flags = 0x18;
	want.frag_id = 0x8528;
	want_payload(&want, &f);
	assert_view(&pv, &want);
}
END_TEST

START_TEST(test_ipv4_fragments)
{
	struct frame f;
	struct pkt_view pv, want;

	/* First fragment: the UDP length covers the whole datagram. */
	frame_init(&f, 1472);
	push_udp(&f, 33000, 33001);
	put16(f.buf + f.off + 4, 3000);
	push_ipv4(&f, 17, 0, 0x4242, 0x2000, 0);
	push_eth(&f, 0x0800);
	ck_assert_int_eq(decode_frame(LINK_EN10MB, &f, &pv), DECODE_OK);
	want_v4(&want, 17, 1500);
	want.sport = 33000;
	want.dport = 33001;
	want.frag = PKT_FRAG_FIRST;
	want.frag_id = 0x4242;
	want_payload(&want, &f);
	assert_view(&pv, &want);

	/* Later fragment: no transport header, only its size. */
	frame_init(&f, 1480);
	push_ipv4(&f, 17, 0, 0x4242, 0x2000 | 185, 0);
	push_eth(&f, 0x0800);
	ck_assert_int_eq(decode_frame(LINK_EN10MB, &f, &pv), DECODE_OK);
	want_v4(&want, 17, 1500);
	want.frag = PKT_FRAG_LATER;
	want.frag_id = 0x4242;
	want.payload_size = 1480;
	assert_view(&pv, &want);

	/* Last fragment (MF clear), even when tiny. */
	frame_init(&f, 3);
	push_ipv4(&f, 6, 0, 1, 370, 0);
	ck_assert_int_eq(decode_frame(LINK_RAW, &f, &pv), DECODE_OK);
	ck_assert_uint_eq(pv.frag, PKT_FRAG_LATER);
	ck_assert_uint_eq(pv.proto, 6);
	ck_assert_uint_eq(pv.sport, 0);
	ck_assert_uint_eq(pv.payload_size, 3);

	/* The smallest offset (8 octets) already is a later fragment. */
	frame_init(&f, 8);
	push_ipv4(&f, 17, 0, 1, 1, 0);
	ck_assert_int_eq(decode_frame(LINK_RAW, &f, &pv), DECODE_OK);
	ck_assert_uint_eq(pv.frag, PKT_FRAG_LATER);
	ck_assert_uint_eq(pv.sport, 0);

	/* DF alone is no fragment. */
	frame_init(&f, 0);
	push_udp(&f, 1, 2);
	push_ipv4(&f, 17, 0, 1, 0x4000, 0);
	ck_assert_int_eq(decode_frame(LINK_RAW, &f, &pv), DECODE_OK);
	ck_assert_uint_eq(pv.frag, 0);

	/* A first fragment too short for a TCP header. */
	frame_init(&f, 8);
	push_ipv4(&f, 6, 0, 1, 0x2000, 0);
	ck_assert_int_eq(decode_frame(LINK_RAW, &f, &pv), DECODE_BAD_L4);
}
END_TEST

/* --- IPv6 --------------------------------------------------------------- */

START_TEST(test_ipv6_ext_headers)
{
	struct frame f;
	struct pkt_view pv, want;

	frame_init(&f, 17);
	push_tcp(&f, 8080, 1025, 0xffffffff, 0, 0xc2, 4);
	push_v6ext(&f, 6, 16);          /* destination options */
	push_v6ah(&f, 60, 24);          /* AH */
	push_v6ext(&f, 51, 24);         /* routing */
	push_v6ext(&f, 43, 8);          /* hop-by-hop */
	push_ipv6(&f, 0, 0x3c, 0x12345);
	push_eth(&f, 0x86dd);
	ck_assert_int_eq(decode_frame(LINK_EN10MB, &f, &pv), DECODE_OK);
	want_v6(&want, 6, 40 + 72 + 24 + 17);
	want.sport = 8080;
	want.dport = 1025;
	want.tcp_seq = 0xffffffff;
	want.tcp_flags = 0xc2;
	want.tos = 0x3c;
	want_payload(&want, &f);
	ck_assert_ptr_eq(want.payload, frame_data(&f) + 14 + 40 + 72 + 24);
	assert_view(&pv, &want);
}
END_TEST

START_TEST(test_ipv6_mobility_no_next)
{
	struct frame f;
	struct pkt_view pv, want;

	/* Binding update: mobility header, then nothing (59). */
	frame_init(&f, 0);
	push_v6ext(&f, 59, 16);
	push_ipv6(&f, 135, 0, 0);
	ck_assert_int_eq(decode_frame(LINK_RAW, &f, &pv), DECODE_OK);
	want_v6(&want, 59, 56);
	want.payload = frame_data(&f) + 56;
	assert_view(&pv, &want);
}
END_TEST

START_TEST(test_ipv6_fragments)
{
	struct frame f;
	struct pkt_view pv, want;

	frame_init(&f, 1000);
	push_udp(&f, 4000, 5000);
	put16(f.buf + f.off + 4, 2008);
	push_v6frag(&f, 17, 0, 1, 0xdeadbeef);
	push_ipv6(&f, 44, 0, 0);
	push_eth(&f, 0x86dd);
	ck_assert_int_eq(decode_frame(LINK_EN10MB, &f, &pv), DECODE_OK);
	want_v6(&want, 17, 40 + 8 + 1008);
	want.sport = 4000;
	want.dport = 5000;
	want.frag = PKT_FRAG_FIRST;
	want.frag_id = 0xdeadbeef;
	want_payload(&want, &f);
	assert_view(&pv, &want);

	/* Later fragment behind hop-by-hop. */
	frame_init(&f, 1000);
	push_v6frag(&f, 17, 126, 0, 0xdeadbeef);
	push_v6ext(&f, 44, 8);
	push_ipv6(&f, 0, 0, 0);
	ck_assert_int_eq(decode_frame(LINK_RAW, &f, &pv), DECODE_OK);
	want_v6(&want, 17, 40 + 16 + 1000);
	want.frag = PKT_FRAG_LATER;
	want.frag_id = 0xdeadbeef;
	want.payload_size = 1000;
	assert_view(&pv, &want);

	/* Atomic fragment: identification, but no fragment flag. */
	frame_init(&f, 4);
	push_udp(&f, 9, 10);
	push_v6frag(&f, 17, 0, 0, 77);
	push_ipv6(&f, 44, 0, 0);
	ck_assert_int_eq(decode_frame(LINK_RAW, &f, &pv), DECODE_OK);
	ck_assert_uint_eq(pv.frag, 0);
	ck_assert_uint_eq(pv.frag_id, 77);
	ck_assert_uint_eq(pv.sport, 9);
	ck_assert_uint_eq(pv.payload_len, 4);
}
END_TEST

START_TEST(test_ipv6_bad)
{
	struct frame f;
	struct pkt_view pv;
	uint8_t *ip;

	frame_init(&f, 4);
	push_udp(&f, 1, 2);
	push_v6ext(&f, 17, 16);
	push_ipv6(&f, 0, 0, 0);
	ip = f.buf + f.off;
	push_eth(&f, 0x86dd);
	ck_assert_int_eq(decode_frame(LINK_EN10MB, &f, &pv), DECODE_OK);
	ck_assert_uint_eq(pv.ip_len, 68);

	/* Version 4 behind the IPv6 ethertype. */
	ip[0] = 0x40;
	ck_assert_int_eq(decode_frame(LINK_EN10MB, &f, &pv), DECODE_BAD_IP);
	ip[0] = 0x60;
	/* Payload length ends inside the extension header. */
	put16(ip + 4, 10);
	ck_assert_int_eq(decode_frame(LINK_EN10MB, &f, &pv), DECODE_BAD_IP);
	put16(ip + 4, 1);
	ck_assert_int_eq(decode_frame(LINK_EN10MB, &f, &pv), DECODE_BAD_IP);
	/* ... or right after it: no room for UDP. */
	put16(ip + 4, 16);
	ck_assert_int_eq(decode_frame(LINK_EN10MB, &f, &pv), DECODE_BAD_L4);
	/* ... or before the UDP payload ends. */
	put16(ip + 4, 26);
	ck_assert_int_eq(decode_frame(LINK_EN10MB, &f, &pv), DECODE_BAD_L4);
	/* Extension header claiming more than the frame holds. */
	put16(ip + 4, 28);
	ip[41] = 200;
	ck_assert_int_eq(decode_frame(LINK_EN10MB, &f, &pv), DECODE_BAD_IP);
	put16(ip + 4, 2000);
	ck_assert_int_eq(decode_frame(LINK_EN10MB, &f, &pv),
			 DECODE_TRUNC_IP);
}
END_TEST

START_TEST(test_ipv6_ext_chain_bounded)
{
	struct frame f;
	struct pkt_view pv;

	frame_init(&f, 0);
	push_udp(&f, 1, 2);
	push_v6ext(&f, 17, 8);
	for (int i = 0; i < 7; i++)
		push_v6ext(&f, 60, 8);
	push_ipv6(&f, 60, 0, 0);
	ck_assert_int_eq(decode_frame(LINK_RAW, &f, &pv), DECODE_OK);
	ck_assert_uint_eq(pv.sport, 1);

	frame_init(&f, 0);
	push_udp(&f, 1, 2);
	push_v6ext(&f, 17, 8);
	for (int i = 0; i < 8; i++)
		push_v6ext(&f, 60, 8);
	push_ipv6(&f, 60, 0, 0);
	ck_assert_int_eq(decode_frame(LINK_RAW, &f, &pv), DECODE_BAD_IP);
}
END_TEST

/* --- transport ---------------------------------------------------------- */

START_TEST(test_tcp_bad_offset)
{
	struct frame f;
	struct pkt_view pv;
	uint8_t *tcp;

	frame_init(&f, 8);
	push_tcp(&f, 1, 2, 3, 4, 0x04, 0);
	tcp = f.buf + f.off;
	push_ipv4(&f, 6, 0, 0, 0, 0);
	for (uint8_t doff = 0; doff < 5; doff++) {
		tcp[12] = (uint8_t)(doff << 4);
		ck_assert_int_eq(decode_frame(LINK_RAW, &f, &pv),
				 DECODE_BAD_L4);
	}
	/* 28 octets follow IP: a 32-octet TCP header contradicts that. */
	tcp[12] = 8 << 4;
	ck_assert_int_eq(decode_frame(LINK_RAW, &f, &pv), DECODE_BAD_L4);
	tcp[12] = 7 << 4;
	ck_assert_int_eq(decode_frame(LINK_RAW, &f, &pv), DECODE_OK);
	ck_assert_uint_eq(pv.payload_len, 0);
	ck_assert_uint_eq(pv.payload_size, 0);
	ck_assert_uint_eq(pv.tcp_flags, 0x04);
	/* A header longer than the capture but within IP: truncated. */
	tcp[12] = 15 << 4;
	put16(f.buf + f.off + 2, 20 + 60);
	ck_assert_int_eq(decode_frame(LINK_RAW, &f, &pv), DECODE_TRUNC_L4);
}
END_TEST

START_TEST(test_udp_lengths)
{
	struct frame f;
	struct pkt_view pv, want;
	uint8_t *udp;

	frame_init(&f, 20);
	push_udp(&f, 1, 2);
	udp = f.buf + f.off;
	push_ipv4(&f, 17, 0, 0, 0, 0);
	/* UDP says 8 + 12: the 8 octets after are not payload. */
	put16(udp + 4, 20);
	ck_assert_int_eq(decode_frame(LINK_RAW, &f, &pv), DECODE_OK);
	want_v4(&want, 17, 48);
	want.sport = 1;
	want.dport = 2;
	want.payload = udp + 8;
	want.payload_len = 12;
	want.payload_size = 12;
	assert_view(&pv, &want);
	put16(udp + 4, 29);
	ck_assert_int_eq(decode_frame(LINK_RAW, &f, &pv), DECODE_BAD_L4);
	put16(udp + 4, 7);
	ck_assert_int_eq(decode_frame(LINK_RAW, &f, &pv), DECODE_BAD_L4);
	put16(udp + 4, 0);
	ck_assert_int_eq(decode_frame(LINK_RAW, &f, &pv), DECODE_BAD_L4);
	put16(udp + 4, 8);
	ck_assert_int_eq(decode_frame(LINK_RAW, &f, &pv), DECODE_OK);
	ck_assert_uint_eq(pv.payload_len, 0);
	ck_assert_uint_eq(pv.payload_size, 0);
}
END_TEST

START_TEST(test_icmp)
{
	struct frame f;
	struct pkt_view pv, want;

	frame_init(&f, 56);
	push_icmp(&f, 8, 0);
	push_ipv4(&f, 1, 0, 0x77, 0, 0);
	push_eth(&f, 0x0800);
	ck_assert_int_eq(decode_frame(LINK_EN10MB, &f, &pv), DECODE_OK);
	want_v4(&want, 1, 84);
	want.icmp_typecode = 8 << 8;
	want.frag_id = 0x77;
	want_payload(&want, &f);
	assert_view(&pv, &want);

	frame_init(&f, 28);
	push_icmp(&f, 3, 13);
	push_ipv4(&f, 1, 0, 0, 0, 0);
	ck_assert_int_eq(decode_frame(LINK_RAW, &f, &pv), DECODE_OK);
	ck_assert_uint_eq(pv.icmp_typecode, 0x030d);
	ck_assert_uint_eq(pv.sport, 0);
	ck_assert_uint_eq(pv.dport, 0);

	frame_init(&f, 16);
	push_icmp(&f, 135, 0);
	push_ipv6(&f, 58, 0, 0);
	push_eth(&f, 0x86dd);
	ck_assert_int_eq(decode_frame(LINK_EN10MB, &f, &pv), DECODE_OK);
	want_v6(&want, 58, 64);
	want.icmp_typecode = 135 << 8;
	want_payload(&want, &f);
	assert_view(&pv, &want);

	/* ICMP (1) inside IPv6 is not ICMPv6: opaque. */
	frame_init(&f, 4);
	push_icmp(&f, 8, 0);
	push_ipv6(&f, 1, 0, 0);
	ck_assert_int_eq(decode_frame(LINK_RAW, &f, &pv), DECODE_OK);
	ck_assert_uint_eq(pv.icmp_typecode, 0);
	ck_assert_uint_eq(pv.payload_len, 12);

	/* ICMP shorter than its 8-octet header per IP. */
	frame_init(&f, 4);
	push_ipv4(&f, 1, 0, 0, 0, 0);
	ck_assert_int_eq(decode_frame(LINK_RAW, &f, &pv), DECODE_BAD_L4);
}
END_TEST

START_TEST(test_other_protocols)
{
	struct frame f;
	struct pkt_view pv, want;

	frame_init(&f, 30);
	push_gre(&f);
	push_ipv4(&f, 47, 0, 0, 0, 0);
	push_eth(&f, 0x0800);
	ck_assert_int_eq(decode_frame(LINK_EN10MB, &f, &pv), DECODE_OK);
	want_v4(&want, 47, 54);
	want_payload(&want, &f);
	ck_assert_uint_eq(want.payload_len, 34);
	assert_view(&pv, &want);

	/* ESP and SCTP: ports stay 0. */
	frame_init(&f, 40);
	push_ipv6(&f, 50, 0, 0);
	ck_assert_int_eq(decode_frame(LINK_RAW, &f, &pv), DECODE_OK);
	ck_assert_uint_eq(pv.proto, 50);
	ck_assert_uint_eq(pv.sport, 0);
	ck_assert_uint_eq(pv.payload_len, 40);
	frame_init(&f, 40);
	push_ipv4(&f, 132, 0, 0, 0, 0);
	ck_assert_int_eq(decode_frame(LINK_RAW, &f, &pv), DECODE_OK);
	ck_assert_uint_eq(pv.proto, 132);
	ck_assert_uint_eq(pv.dport, 0);
}
END_TEST

/* --- every cut of every stack ------------------------------------------- */

enum link_kind {
	LK_ETH, LK_VLAN, LK_QINQ, LK_QINQ_9100, LK_MPLS, LK_VLAN_MPLS,
	LK_SLL, LK_SLL_VLAN, LK_SLL2, LK_RAW, LK_RAW_ALT, LK_RAW_101,
	LK_NULL, LK_NULL_SWAPPED, LK_LOOP, LK_PPPOE, LK_QINQ_PPPOE, LK_COUNT
};

enum stack_kind {
	SK_V4_TCP, SK_V4_TCP_OPTS, SK_V4_UDP, SK_V4_ICMP, SK_V4_GRE,
	SK_V4_FRAG_FIRST, SK_V4_FRAG_LATER, SK_V6_TCP, SK_V6_UDP,
	SK_V6_ICMPV6, SK_V6_GRE, SK_V6_EXT_TCP, SK_V6_FRAG_FIRST,
	SK_V6_FRAG_LATER, SK_COUNT
};

static int stack_is_v6(enum stack_kind sk)
{
	return sk >= SK_V6_TCP;
}

static void build_stack(struct frame *f, enum stack_kind sk)
{
	switch (sk) {
	case SK_V4_TCP:
		frame_init(f, 10);
		push_tcp(f, 1, 2, 3, 4, 0x18, 0);
		push_ipv4(f, 6, 0, 1, 0, 0);
		break;
	case SK_V4_TCP_OPTS:
		frame_init(f, 10);
		push_tcp(f, 1, 2, 3, 4, 0x18, 12);
		push_ipv4(f, 6, 0, 1, 0, 8);
		break;
	case SK_V4_UDP:
		frame_init(f, 10);
		push_udp(f, 1, 2);
		push_ipv4(f, 17, 0, 1, 0, 0);
		break;
	case SK_V4_ICMP:
		frame_init(f, 10);
		push_icmp(f, 0, 0);
		push_ipv4(f, 1, 0, 1, 0, 0);
		break;
	case SK_V4_GRE:
		frame_init(f, 10);
		push_gre(f);
		push_ipv4(f, 47, 0, 1, 0, 4);
		break;
	case SK_V4_FRAG_FIRST:
		frame_init(f, 16);
		push_udp(f, 1, 2);
		put16(f->buf + f->off + 4, 100);
		push_ipv4(f, 17, 0, 1, 0x2000, 0);
		break;
	case SK_V4_FRAG_LATER:
		frame_init(f, 10);
		push_ipv4(f, 6, 0, 1, 3, 0);
		f->payload_len = 0;     /* nothing is shown of it */
		break;
	case SK_V6_TCP:
		frame_init(f, 10);
		push_tcp(f, 1, 2, 3, 4, 0x18, 8);
		push_ipv6(f, 6, 0, 0);
		break;
	case SK_V6_UDP:
		frame_init(f, 10);
		push_udp(f, 1, 2);
		push_ipv6(f, 17, 0, 0);
		break;
	case SK_V6_ICMPV6:
		frame_init(f, 10);
		push_icmp(f, 128, 0);
		push_ipv6(f, 58, 0, 0);
		break;
	case SK_V6_GRE:
		frame_init(f, 10);
		push_gre(f);
		push_ipv6(f, 47, 0, 0);
		break;
	case SK_V6_EXT_TCP:
		frame_init(f, 10);
		push_tcp(f, 1, 2, 3, 4, 0x18, 0);
		push_v6ext(f, 6, 8);
		push_v6ah(f, 60, 16);
		push_v6ext(f, 51, 16);
		push_v6ext(f, 43, 8);
		push_ipv6(f, 0, 0, 0);
		break;
	case SK_V6_FRAG_FIRST:
		frame_init(f, 10);
		push_udp(f, 1, 2);
		put16(f->buf + f->off + 4, 100);
		push_v6frag(f, 17, 0, 1, 5);
		push_ipv6(f, 44, 0, 0);
		break;
	case SK_V6_FRAG_LATER:
		frame_init(f, 10);
		push_v6frag(f, 17, 1, 1, 5);
		push_ipv6(f, 44, 0, 0);
		f->seg_len = 10;
		f->payload_len = 0;
		break;
	default:
		ck_abort_msg("no stack %d", sk);
	}
}

/* Wraps the IP packet; returns the link type and the expected VLAN id. */
static int wrap_link(struct frame *f, enum link_kind lk, int v6,
		     uint16_t *vlan_id)
{
	uint16_t ethertype = v6 ? 0x86dd : 0x0800;

	*vlan_id = 0;
	switch (lk) {
	case LK_ETH:
		push_eth(f, ethertype);
		return LINK_EN10MB;
	case LK_VLAN:
		push_vlan(f, 1, 10, ethertype);
		push_eth(f, 0x8100);
		*vlan_id = 10;
		return LINK_EN10MB;
	case LK_QINQ:
		push_vlan(f, 1, 20, ethertype);
		push_vlan(f, 1, 30, 0x8100);
		push_eth(f, 0x88a8);
		*vlan_id = 30;
		return LINK_EN10MB;
	case LK_QINQ_9100:
		push_vlan(f, 1, 20, ethertype);
		push_vlan(f, 1, 30, 0x8100);
		push_vlan(f, 1, 40, 0x9100);
		push_eth(f, 0x9100);
		*vlan_id = 40;
		return LINK_EN10MB;
	case LK_MPLS:
		push_mpls(f, 100, 1);
		push_mpls(f, 200, 0);
		push_mpls(f, 300, 0);
		push_eth(f, 0x8847);
		return LINK_EN10MB;
	case LK_VLAN_MPLS:
		push_mpls(f, 100, 1);
		push_vlan(f, 0, 4094, 0x8848);
		push_eth(f, 0x8100);
		*vlan_id = 4094;
		return LINK_EN10MB;
	case LK_SLL:
		push_sll(f, ethertype);
		return LINK_LINUX_SLL;
	case LK_SLL_VLAN:
		push_vlan(f, 0, 7, ethertype);
		push_sll(f, 0x8100);
		*vlan_id = 7;
		return LINK_LINUX_SLL;
	case LK_SLL2:
		push_sll2(f, ethertype);
		return LINK_LINUX_SLL2;
	case LK_RAW:
		return LINK_RAW;
	case LK_RAW_ALT:
		return LINK_RAW_ALT;
	case LK_RAW_101:
		return LINK_RAW_101;
	case LK_NULL:
		push_null_host(f, v6 ? 24 : 2);
		return LINK_NULL;
	case LK_NULL_SWAPPED:
		push_null_swapped(f, v6 ? 30 : 2);
		return LINK_NULL;
	case LK_LOOP:
		push_loop(f, v6 ? 28 : 2);
		return LINK_LOOP;
	case LK_PPPOE:
		push_pppoe(f, v6 ? 0x0057 : 0x0021);
		push_eth(f, 0x8864);
		return LINK_EN10MB;
	case LK_QINQ_PPPOE:
		push_pppoe(f, v6 ? 0x0057 : 0x0021);
		push_vlan(f, 0, 11, 0x8864);
		push_vlan(f, 0, 12, 0x8100);
		push_eth(f, 0x88a8);
		*vlan_id = 12;
		return LINK_EN10MB;
	default:
		ck_abort_msg("no link %d", lk);
	}
	return -1;
}

static int stack_has_l4_header(enum stack_kind sk)
{
	return sk != SK_V4_GRE && sk != SK_V6_GRE &&
	       sk != SK_V4_FRAG_LATER && sk != SK_V6_FRAG_LATER;
}

/* The status a frame cut at `cut` octets must get, by layer boundaries. */
static enum decode_status expected_for_cut(const struct frame *f,
					   enum stack_kind sk, uint32_t cut)
{
	uint32_t ip_start = f->len - f->ip_len;
	uint32_t l4_start = f->len - f->seg_len;
	uint32_t payload_start = f->len - f->payload_len;

	if (cut < ip_start)
		return DECODE_TRUNC_L2;
	if (cut < l4_start)
		return DECODE_TRUNC_IP;
	if (stack_has_l4_header(sk) && cut < payload_start)
		return DECODE_TRUNC_L4;
	return DECODE_OK;
}

static void check_cut(int linktype, const struct frame *f, enum stack_kind sk,
		      const struct pkt_view *full, uint32_t cut)
{
	enum decode_status want = expected_for_cut(f, sk, cut);
	struct pkt_view pv, exp;
	uint8_t *copy;
	enum decode_status got;

	/* Exactly `cut` octets on the heap: sanitizers see overreads. */
	copy = malloc(cut ? cut : 1);
	ck_assert_ptr_nonnull(copy);
	memcpy(copy, frame_data(f), cut);
	dirty_view(&pv, 1234567);
	got = decode_packet(linktype, copy, cut, &pv);
	ck_assert_msg(got == want,
		      "link %d stack %d cut %u of %u: got %s, want %s",
		      linktype, sk, cut, f->len, decode_status_name(got),
		      decode_status_name(want));
	if (got == DECODE_OK) {
		exp = *full;
		if (full->payload) {
			exp.payload = copy + (full->payload - frame_data(f));
			exp.payload_len = cut - (uint32_t)(full->payload -
							   frame_data(f));
		}
		assert_view(&pv, &exp);
	}
	free(copy);
}

START_TEST(test_every_cut)
{
	enum link_kind lk = (enum link_kind)_i;
	struct frame f;
	struct pkt_view full;
	uint16_t vlan_id;
	int linktype;

	for (int sk = 0; sk < SK_COUNT; sk++) {
		build_stack(&f, (enum stack_kind)sk);
		linktype = wrap_link(&f, lk, stack_is_v6(sk), &vlan_id);
		ck_assert_int_eq(decode_frame(linktype, &f, &full), DECODE_OK);
		ck_assert_uint_eq(full.ip_version, stack_is_v6(sk) ? 6 : 4);
		ck_assert_uint_eq(full.vlan_id, vlan_id);
		ck_assert_uint_eq(full.ip_len, f.ip_len);
		ck_assert_uint_eq(full.payload_len, f.payload_len);
		if (stack_has_l4_header(sk) && sk != SK_V4_ICMP &&
		    sk != SK_V6_ICMPV6) {
			ck_assert_uint_eq(full.sport, 1);
			ck_assert_uint_eq(full.dport, 2);
		} else {
			ck_assert_uint_eq(full.sport, 0);
			ck_assert_uint_eq(full.dport, 0);
		}
		for (uint32_t cut = 0; cut <= f.len; cut++)
			check_cut(linktype, &f, (enum stack_kind)sk, &full,
				  cut);
	}
}
END_TEST

/* --- robustness --------------------------------------------------------- */

static uint32_t next_rand(uint32_t *state)
{
	*state ^= *state << 13;
	*state ^= *state >> 17;
	*state ^= *state << 5;
	return *state;
}

/*
 * Random byte flips of valid frames: whatever the status, an OK view
 * must point inside the buffer.
 */
START_TEST(test_mutations)
{
	uint32_t rng = 0x9e3779b9;
	struct frame f;
	struct pkt_view pv;
	uint16_t vlan_id;

	for (int round = 0; round < 20000; round++) {
		enum link_kind lk = next_rand(&rng) % LK_COUNT;
		enum stack_kind sk = next_rand(&rng) % SK_COUNT;
		int linktype, flips;
		uint8_t *copy;
		enum decode_status st;

		build_stack(&f, sk);
		linktype = wrap_link(&f, lk, stack_is_v6(sk), &vlan_id);
		copy = malloc(f.len);
		ck_assert_ptr_nonnull(copy);
		memcpy(copy, frame_data(&f), f.len);
		flips = 1 + (int)(next_rand(&rng) % 4);
		for (int i = 0; i < flips; i++)
			copy[next_rand(&rng) % f.len] =
				(uint8_t)next_rand(&rng);
		dirty_view(&pv, 0);
		st = decode_packet(linktype, copy, f.len, &pv);
		ck_assert_int_lt(st, DECODE_STATUS_MAX);
		if (st == DECODE_OK && pv.payload) {
			ck_assert(pv.payload >= copy);
			ck_assert(pv.payload + pv.payload_len <= copy + f.len);
			ck_assert_uint_le(pv.payload_len, pv.payload_size);
		}
		free(copy);
	}
}
END_TEST

/* The shared captures sit beside the project (make check exports
 * SKYPROBE_SHARED); SKYPROBE_PCAP_DIR overrides. */
static const char *pcap_dir(void)
{
	static char buf[1024];
	const char *dir = getenv("SKYPROBE_PCAP_DIR");
	const char *shared = getenv("SKYPROBE_SHARED");

	if (dir)
		return dir;
	if (shared && strlen(shared) < sizeof(buf) - 8) {
		snprintf(buf, sizeof(buf), "%s/pcaps", shared);
		return buf;
	}
	return "../shared/pcaps";
}

/* Decodes every packet of a capture from an exact-size heap copy. */
static unsigned decode_capture(const char *path, unsigned counts[])
{
	char errbuf[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *hdr;
	const u_char *bytes;
	struct pkt_view pv;
	unsigned packets = 0;
	pcap_t *pc;
	int linktype;

	pc = pcap_open_offline(path, errbuf);
	ck_assert_msg(pc != NULL, "%s: %s", path, errbuf);
	linktype = pcap_datalink(pc);
	while (pcap_next_ex(pc, &hdr, &bytes) == 1) {
		uint8_t *copy = malloc(hdr->caplen ? hdr->caplen : 1);
		enum decode_status st;

		ck_assert_ptr_nonnull(copy);
		memcpy(copy, bytes, hdr->caplen);
		dirty_view(&pv, 0);
		st = decode_packet(linktype, copy, hdr->caplen, &pv);
		ck_assert_int_lt(st, DECODE_STATUS_MAX);
		counts[st]++;
		packets++;
		free(copy);
	}
	pcap_close(pc);
	return packets;
}

START_TEST(test_real_http_capture)
{
	char path[4096];
	unsigned counts[DECODE_STATUS_MAX] = {0};
	FILE *fp;

	snprintf(path, sizeof(path), "%s/http.pcap", pcap_dir());
	fp = fopen(path, "rb");
	if (!fp)
		return;         /* the capture is optional */
	fclose(fp);
	ck_assert_uint_eq(decode_capture(path, counts), 10);
	/* All of it is TCP over IPv4 on Ethernet. */
	ck_assert_uint_eq(counts[DECODE_OK], 10);
}
END_TEST

START_TEST(test_real_captures_all)
{
	unsigned counts[DECODE_STATUS_MAX] = {0};
	unsigned files = 0, packets = 0;
	struct dirent *de;
	DIR *dir;

	dir = opendir(pcap_dir());
	if (!dir)
		return;
	while ((de = readdir(dir)) != NULL) {
		char path[4096];
		size_t n = strlen(de->d_name);

		if (n < 6 || strcmp(de->d_name + n - 5, ".pcap") != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", pcap_dir(), de->d_name);
		packets += decode_capture(path, counts);
		files++;
	}
	closedir(dir);
	if (files == 0)
		return;
	ck_assert_uint_gt(counts[DECODE_OK], packets / 2);
}
END_TEST

static Suite *decode_suite(void)
{
	Suite *s = suite_create("decode");
	TCase *tc = tcase_create("decode");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_eth_ipv4_tcp);
	tcase_add_test(tc, test_eth_ipv6_udp);
	tcase_add_test(tc, test_eth_padding_trimmed);
	tcase_add_test(tc, test_eth_ipv6_padding_trimmed);
	tcase_add_test(tc, test_snaplen_cut);
	tcase_add_test(tc, test_vlan_8021q);
	tcase_add_test(tc, test_vlan_qinq_outermost);
	tcase_add_test(tc, test_vlan_priority_tag);
	tcase_add_test(tc, test_vlan_too_deep);
	tcase_add_test(tc, test_mpls);
	tcase_add_test(tc, test_mpls_not_ip);
	tcase_add_test(tc, test_pppoe);
	tcase_add_test(tc, test_not_ip_ethertypes);
	tcase_add_test(tc, test_sll_sll2);
	tcase_add_test(tc, test_raw_linktypes);
	tcase_add_test(tc, test_null_loop);
	tcase_add_test(tc, test_linktype_supported);
	tcase_add_test(tc, test_status_names);
	tcase_add_test(tc, test_view_zeroed_ts_kept);
	tcase_add_test(tc, test_ipv4_options);
	tcase_add_test(tc, test_ipv4_bad_headers);
	tcase_add_test(tc, test_ipv4_tso_zero_length);
	tcase_add_test(tc, test_ipv4_fragments);
	tcase_add_test(tc, test_ipv6_ext_headers);
	tcase_add_test(tc, test_ipv6_mobility_no_next);
	tcase_add_test(tc, test_ipv6_fragments);
	tcase_add_test(tc, test_ipv6_bad);
	tcase_add_test(tc, test_ipv6_ext_chain_bounded);
	tcase_add_test(tc, test_tcp_bad_offset);
	tcase_add_test(tc, test_udp_lengths);
	tcase_add_test(tc, test_icmp);
	tcase_add_test(tc, test_other_protocols);
	tcase_add_loop_test(tc, test_every_cut, 0, LK_COUNT);
	tcase_add_test(tc, test_mutations);
	tcase_add_test(tc, test_real_http_capture);
	tcase_add_test(tc, test_real_captures_all);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(decode_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
