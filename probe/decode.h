/*
 * decode.h - packet decoder: fills a view of one packet's fields.
 *
 * The decoder owns nothing: a struct pkt_view points into the capture
 * buffer (no copy, no allocation).  Every read of packet bytes is
 * bounds-checked against the captured length; a packet that cannot be
 * decoded is reported with a reason so that stats can count it.
 */
#ifndef SKYPROBE_DECODE_H
#define SKYPROBE_DECODE_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Link types we accept (values are libpcap DLT_* numbers). */
#define LINK_NULL      0   /* DLT_NULL: BSD loopback, host-order AF word */
#define LINK_EN10MB    1   /* DLT_EN10MB */
#define LINK_RAW       12  /* DLT_RAW (OpenBSD value 14 handled as well) */
#define LINK_RAW_ALT   14
#define LINK_LOOP      108 /* DLT_LOOP: network-order AF word */
#define LINK_LINUX_SLL 113
#define LINK_RAW_101   101 /* LINKTYPE_RAW as written in files */
#define LINK_LINUX_SLL2 276
#define LINK_PPP       9   /* DLT_PPP: PPP, address/control optional */
#define LINK_C_HDLC    104 /* DLT_C_HDLC: Cisco HDLC, an ethertype */
#define LINK_IEEE802_11 105 /* DLT_IEEE802_11: 802.11 frames, no radio */
#define LINK_PPI       192 /* DLT_PPI: Per-Packet Information header */
#define LINK_IPV4      228 /* DLT_IPV4: raw IPv4 only */
#define LINK_IPV6      229 /* DLT_IPV6: raw IPv6 only */

/* Why a packet was not decoded; indexes stats counters. */
enum decode_status {
	DECODE_OK = 0,
	DECODE_TRUNC_L2,        /* link header or VLAN/MPLS tag cut short */
	DECODE_TRUNC_IP,        /* IP header cut short */
	DECODE_BAD_IP,          /* bad version, IHL, length fields */
	DECODE_TRUNC_L4,        /* transport header cut short */
	DECODE_BAD_L4,          /* bad TCP data offset etc. */
	DECODE_NOT_IP,          /* ARP, LLDP, ...: not metered */
	DECODE_STATUS_MAX
};

/* Flags in pkt_view.frag */
#define PKT_FRAG_FIRST  0x01  /* first fragment (offset 0, MF set) */
#define PKT_FRAG_LATER  0x02  /* non-first fragment: no L4 header */

struct pkt_view {
	uint64_t ts_us;         /* capture timestamp, microseconds since epoch */
	uint8_t  src[16];       /* IPv4 as v4-mapped IPv6 (::ffff:a.b.c.d) */
	uint8_t  dst[16];
	uint16_t sport;         /* 0 when the protocol has no ports */
	uint16_t dport;
	uint16_t vlan_id;       /* outermost 802.1Q id, 0 when untagged */
	uint16_t icmp_typecode; /* type << 8 | code for ICMP/ICMPv6 */
	uint8_t  ip_version;    /* 4 or 6 */
	uint8_t  proto;         /* IPPROTO_* of the upper layer */
	uint8_t  tos;           /* IPv4 TOS / IPv6 traffic class */
	uint8_t  tcp_flags;     /* TCP flags byte (FIN..CWR) */
	uint8_t  frag;          /* PKT_FRAG_* */
	uint8_t  pad_;
	uint32_t frag_id;       /* IPv4 id or IPv6 fragment identification */
	uint32_t ip_len;        /* octets of the IP packet per its header */
	uint32_t tcp_seq;       /* TCP sequence number */
	uint32_t tcp_ack;
	const uint8_t *payload; /* transport payload (inside capture buffer) */
	uint32_t payload_len;   /* captured payload bytes available */
	uint32_t payload_size;  /* payload size per IP length (may exceed
				   payload_len when the snap length cut it) */
};

static inline int pkt_is_v4(const uint8_t a[16])
{
	static const uint8_t pfx[12] = {0,0,0,0,0,0,0,0,0,0,0xff,0xff};

	return memcmp(a, pfx, 12) == 0;     /* two loads, not 12 */
}

/*
 * Decode one captured frame of link type `linktype`.  `caplen` is what was
 * captured.  Fills *pv and returns DECODE_OK, or the reason it could not.
 * ts_us is not touched (the caller sets it).
 */
enum decode_status decode_packet(int linktype, const uint8_t *data,
				 uint32_t caplen, struct pkt_view *pv);

/* 1 when decode_packet() knows this link type. */
int decode_linktype_supported(int linktype);

/*
 * The link type whose header decides how a frame is read: the one a PPI
 * header (DLT_PPI) names for the frame it carries, -1 when that header
 * cannot be read; linktype itself for every other link type.  A frame
 * whose inner link type decode_linktype_supported() refuses is counted
 * DECODE_NOT_IP.
 */
int decode_inner_linktype(int linktype, const uint8_t *data, uint32_t caplen);

/* Human-readable name of a decode_status (for statistics output). */
const char *decode_status_name(enum decode_status st);

#endif
