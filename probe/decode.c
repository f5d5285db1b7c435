/*
 * decode.c - packet decoder: link layer, VLAN/MPLS/PPPoE, IPv4/IPv6,
 * TCP/UDP/ICMP.
 *
 * Owns the translation of one captured frame into a struct pkt_view.  The
 * view points into the capture buffer; nothing is copied or allocated.
 * Every read is checked against the bytes still available, and the first
 * layer that does not fit decides the status returned, so that statistics
 * can say where packets went wrong.
 */
#include "decode.h"

#include <string.h>

#define ETH_HLEN        14
#define SLL_HLEN        16
#define SLL2_HLEN       20
#define NULL_HLEN       4
#define VLAN_TAG_LEN    4
#define MPLS_LABEL_LEN  4
#define IPV4_HLEN_MIN   20
#define IPV6_HLEN       40
#define TCP_HLEN_MIN    20
#define UDP_HLEN        8
#define ICMP_HLEN       8  /* type, code, checksum + 4 octets in every
			      ICMP and ICMPv6 message */
#define IPV6_FRAG_HLEN  8

/* Bounds against crafted frames that stack tags without end. */
#define MAX_VLAN_TAGS   8
#define MAX_MPLS_LABELS 16
#define MAX_IPV6_EXT    8

#define ETHERTYPE_IPV4  0x0800
#define ETHERTYPE_IPV6  0x86dd
#define ETHERTYPE_VLAN  0x8100
#define ETHERTYPE_QINQ  0x88a8
#define ETHERTYPE_QINQ_OLD 0x9100
#define ETHERTYPE_MPLS_UC 0x8847
#define ETHERTYPE_MPLS_MC 0x8848
#define ETHERTYPE_PPPOE_SESSION 0x8864

#define PPPOE_HLEN      8       /* session header and PPP protocol */
#define PPP_PROTO_IPV4  0x0021
#define PPP_PROTO_IPV6  0x0057

#define PPP_ADDR_ALL    0xff    /* HDLC-like framing: address, control */
#define PPP_CONTROL_UI  0x03
#define C_HDLC_HLEN     4       /* address, control, ethertype */
#define PPI_HLEN        8       /* version, flags, length, link type */
#define WLAN_HLEN       24      /* frame control .. sequence control */
#define WLAN_ADDR4_LEN  6
#define WLAN_QOS_LEN    2
#define WLAN_HTC_LEN    4
#define LLC_SNAP_LEN    8       /* AA AA 03, OUI, ethertype */

/* BSD address family values found in DLT_NULL / DLT_LOOP headers. */
#define BSD_AF_INET     2
#define BSD_AF_INET6_BSD 24     /* NetBSD, OpenBSD, BSD/OS */
#define BSD_AF_INET6_FREEBSD 28
#define BSD_AF_INET6_DARWIN 30

#define PROTO_ICMP      1
#define PROTO_TCP       6
#define PROTO_UDP       17
#define PROTO_IPV6_HOP  0
#define PROTO_IPV6_ROUTE 43
#define PROTO_IPV6_FRAG 44
#define PROTO_AH        51
#define PROTO_ICMPV6    58
#define PROTO_IPV6_DSTOPT 60
#define PROTO_MOBILITY  135

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static uint32_t min_u32(uint32_t a, uint32_t b)
{
	return a < b ? a : b;
}

/* Points the payload at what follows a transport header of hlen octets. */
static void set_payload(struct pkt_view *pv, const uint8_t *l4,
			uint32_t l4cap, uint32_t hlen, uint32_t size)
{
	pv->payload_size = size;
	pv->payload_len = min_u32(size, l4cap - hlen);
	pv->payload = l4 + hlen;
}

static enum decode_status decode_tcp(const uint8_t *l4, uint32_t l4cap,
				     uint32_t l4size, struct pkt_view *pv)
{
	uint32_t hlen;

	if (l4size < TCP_HLEN_MIN)
		return DECODE_BAD_L4;
	if (l4cap < TCP_HLEN_MIN)
		return DECODE_TRUNC_L4;
	hlen = (uint32_t)(l4[12] >> 4) * 4;
	if (hlen < TCP_HLEN_MIN || hlen > l4size)
		return DECODE_BAD_L4;
	if (hlen > l4cap)
		return DECODE_TRUNC_L4;
	pv->sport = rd16(l4);
	pv->dport = rd16(l4 + 2);
	pv->tcp_seq = rd32(l4 + 4);
	pv->tcp_ack = rd32(l4 + 8);
	pv->tcp_flags = l4[13];
	set_payload(pv, l4, l4cap, hlen, l4size - hlen);
	return DECODE_OK;
}

static enum decode_status decode_udp(const uint8_t *l4, uint32_t l4cap,
				     uint32_t l4size, struct pkt_view *pv)
{
	uint32_t udp_len, size;

	if (l4size < UDP_HLEN)
		return DECODE_BAD_L4;
	if (l4cap < UDP_HLEN)
		return DECODE_TRUNC_L4;
	udp_len = rd16(l4 + 4);
	size = l4size - UDP_HLEN;
	/* A first fragment carries the length of the whole datagram. */
	if (!(pv->frag & PKT_FRAG_FIRST)) {
		if (udp_len < UDP_HLEN || udp_len > l4size)
			return DECODE_BAD_L4;
		/* Octets past the UDP length are trailer, not payload. */
		size = udp_len - UDP_HLEN;
	}
	pv->sport = rd16(l4);
	pv->dport = rd16(l4 + 2);
	set_payload(pv, l4, l4cap, UDP_HLEN, size);
	return DECODE_OK;
}

static enum decode_status decode_icmp(const uint8_t *l4, uint32_t l4cap,
				      uint32_t l4size, struct pkt_view *pv)
{
	if (l4size < ICMP_HLEN)
		return DECODE_BAD_L4;
	if (l4cap < ICMP_HLEN)
		return DECODE_TRUNC_L4;
	pv->icmp_typecode = rd16(l4);
	set_payload(pv, l4, l4cap, ICMP_HLEN, l4size - ICMP_HLEN);
	return DECODE_OK;
}

/*
 * l4cap: captured octets after the IP header(s), never more than l4size,
 * the octets the IP header says follow it.
 */
static enum decode_status decode_l4(const uint8_t *l4, uint32_t l4cap,
				    uint32_t l4size, struct pkt_view *pv)
{
	if (pv->frag & PKT_FRAG_LATER) {
		/*
		 * Mid-datagram bytes would be mistaken for the start of a
		 * message, so only their size is reported.
		 */
		pv->payload_size = l4size;
		return DECODE_OK;
	}
	switch (pv->proto) {
	case PROTO_TCP:
		return decode_tcp(l4, l4cap, l4size, pv);
	case PROTO_UDP:
		return decode_udp(l4, l4cap, l4size, pv);
	case PROTO_ICMP:
		if (pv->ip_version != 4)
			break;
		return decode_icmp(l4, l4cap, l4size, pv);
	case PROTO_ICMPV6:
		if (pv->ip_version != 6)
			break;
		return decode_icmp(l4, l4cap, l4size, pv);
	}
	set_payload(pv, l4, l4cap, 0, l4size);
	return DECODE_OK;
}

static void set_v4_mapped(uint8_t dst[16], const uint8_t *v4)
{
	memset(dst, 0, 10);
	dst[10] = 0xff;
	dst[11] = 0xff;
	memcpy(dst + 12, v4, 4);
}

static enum decode_status decode_ipv4(const uint8_t *p, uint32_t len,
				      struct pkt_view *pv)
{
	uint32_t hlen, total;
	uint16_t frag_field, frag_offset;

	if (len < IPV4_HLEN_MIN)
		return DECODE_TRUNC_IP;
	if (p[0] >> 4 != 4)
		return DECODE_BAD_IP;
	hlen = (uint32_t)(p[0] & 0x0f) * 4;
	if (hlen < IPV4_HLEN_MIN)
		return DECODE_BAD_IP;
	if (len < hlen)
		return DECODE_TRUNC_IP;
	total = rd16(p + 2);
	/*
	 * Segmentation offload: the sender captured a segment before the
	 * NIC split it, with 0 as its length.  Like Wireshark, believe the
	 * capture; dropping it would lose the flow's largest packets.
	 */
	if (total == 0)
		total = len;
	if (total < hlen)
		return DECODE_BAD_IP;
	/* Ethernet pads short frames; the padding is not IP. */
	if (len > total)
		len = total;

	pv->ip_version = 4;
	pv->tos = p[1];
	pv->frag_id = rd16(p + 4);
	pv->proto = p[9];
	pv->ip_len = total;
	set_v4_mapped(pv->src, p + 12);
	set_v4_mapped(pv->dst, p + 16);
	frag_field = rd16(p + 6);
	frag_offset = frag_field & 0x1fff;
	if (frag_offset)
		pv->frag = PKT_FRAG_LATER;
	else if (frag_field & 0x2000)
		pv->frag = PKT_FRAG_FIRST;
	return decode_l4(p + hlen, len - hlen, total - hlen, pv);
}

static int is_ipv6_ext(uint8_t nh)
{
	switch (nh) {
	case PROTO_IPV6_HOP:
	case PROTO_IPV6_ROUTE:
	case PROTO_IPV6_DSTOPT:
	case PROTO_MOBILITY:
	case PROTO_AH:
	case PROTO_IPV6_FRAG:
		return 1;
	}
	return 0;
}

/*
 * Walks the IPv6 extension headers from *off; leaves *off at the upper
 * layer header and returns its protocol number in *proto.
 */
static enum decode_status walk_ipv6_ext(const uint8_t *p, uint32_t len,
					uint32_t end, uint32_t *off,
					uint8_t *proto, struct pkt_view *pv)
{
	uint8_t nh = *proto;
	uint32_t hlen;
	uint16_t frag_field;

	for (int i = 0;; i++) {
		if (!is_ipv6_ext(nh)) {
			*proto = nh;
			return DECODE_OK;
		}
		if (i == MAX_IPV6_EXT)
			return DECODE_BAD_IP;
		if (*off + 2 > end)
			return DECODE_BAD_IP;
		if (*off + 2 > len)
			return DECODE_TRUNC_IP;
		if (nh == PROTO_IPV6_FRAG)
			hlen = IPV6_FRAG_HLEN;
		else if (nh == PROTO_AH)
			hlen = ((uint32_t)p[*off + 1] + 2) * 4;
		else
			hlen = ((uint32_t)p[*off + 1] + 1) * 8;
		if (*off + hlen > end)
			return DECODE_BAD_IP;
		if (*off + hlen > len)
			return DECODE_TRUNC_IP;
		if (nh == PROTO_IPV6_FRAG) {
			frag_field = rd16(p + *off + 2);
			pv->frag_id = rd32(p + *off + 4);
			if (frag_field >> 3)
				pv->frag = PKT_FRAG_LATER;
			else if (frag_field & 1)
				pv->frag = PKT_FRAG_FIRST;
		}
		nh = p[*off];
		*off += hlen;
		/* Later fragments: the next header is not in this packet. */
		if (pv->frag & PKT_FRAG_LATER) {
			*proto = nh;
			return DECODE_OK;
		}
	}
}

static enum decode_status decode_ipv6(const uint8_t *p, uint32_t len,
				      struct pkt_view *pv)
{
	enum decode_status st;
	uint32_t end, off = IPV6_HLEN;
	uint8_t proto;

	if (len < IPV6_HLEN)
		return DECODE_TRUNC_IP;
	if (p[0] >> 4 != 6)
		return DECODE_BAD_IP;
	end = IPV6_HLEN + (uint32_t)rd16(p + 4);
	if (len > end)
		len = end;

	pv->ip_version = 6;
	pv->tos = (uint8_t)(rd16(p) >> 4);
	pv->ip_len = end;
	memcpy(pv->src, p + 8, 16);
	memcpy(pv->dst, p + 24, 16);
	proto = p[6];
	st = walk_ipv6_ext(p, len, end, &off, &proto, pv);
	pv->proto = proto;
	if (st != DECODE_OK)
		return st;
	return decode_l4(p + off, len - off, end - off, pv);
}

static enum decode_status decode_raw(const uint8_t *p, uint32_t len,
				     struct pkt_view *pv)
{
	if (len < 1)
		return DECODE_TRUNC_IP;
	/* No link header says what follows: IP says it in its first nibble. */
	switch (p[0] >> 4) {
	case 4:
		return decode_ipv4(p, len, pv);
	case 6:
		return decode_ipv6(p, len, pv);
	}
	return DECODE_BAD_IP;
}

static enum decode_status decode_mpls(const uint8_t *p, uint32_t len,
				      struct pkt_view *pv)
{
	for (int i = 0; i < MAX_MPLS_LABELS; i++) {
		int bottom;

		if (len < MPLS_LABEL_LEN)
			return DECODE_TRUNC_L2;
		bottom = p[2] & 0x01;
		p += MPLS_LABEL_LEN;
		len -= MPLS_LABEL_LEN;
		if (!bottom)
			continue;
		if (len < 1)
			return DECODE_TRUNC_IP;
		/* Anything else (pseudowires, control words) is not IP. */
		if (p[0] >> 4 != 4 && p[0] >> 4 != 6)
			return DECODE_NOT_IP;
		return decode_raw(p, len, pv);
	}
	return DECODE_NOT_IP;
}

/* DSL access networks: PPP inside PPPoE, often behind VLAN tags. */
static enum decode_status decode_pppoe(const uint8_t *p, uint32_t len,
				       struct pkt_view *pv)
{
	if (len < PPPOE_HLEN)
		return DECODE_TRUNC_L2;
	switch (rd16(p + 6)) {
	case PPP_PROTO_IPV4:
		return decode_ipv4(p + PPPOE_HLEN, len - PPPOE_HLEN, pv);
	case PPP_PROTO_IPV6:
		return decode_ipv6(p + PPPOE_HLEN, len - PPPOE_HLEN, pv);
	}
	return DECODE_NOT_IP;
}

/* Dispatches on an ethertype, peeling VLAN tags first. */
static enum decode_status decode_ethertype(uint16_t type, const uint8_t *p,
					   uint32_t len, struct pkt_view *pv)
{
	int tags = 0;

	for (;;) {
		switch (type) {
		case ETHERTYPE_IPV4:
			return decode_ipv4(p, len, pv);
		case ETHERTYPE_IPV6:
			return decode_ipv6(p, len, pv);
		case ETHERTYPE_MPLS_UC:
		case ETHERTYPE_MPLS_MC:
			return decode_mpls(p, len, pv);
		case ETHERTYPE_PPPOE_SESSION:
			return decode_pppoe(p, len, pv);
		case ETHERTYPE_VLAN:
		case ETHERTYPE_QINQ:
		case ETHERTYPE_QINQ_OLD:
			break;
		default:
			return DECODE_NOT_IP;
		}
		if (tags == MAX_VLAN_TAGS)
			return DECODE_NOT_IP;
		if (len < VLAN_TAG_LEN)
			return DECODE_TRUNC_L2;
		if (tags++ == 0)
			pv->vlan_id = rd16(p) & 0x0fff;
		type = rd16(p + 2);
		p += VLAN_TAG_LEN;
		len -= VLAN_TAG_LEN;
	}
}

static enum decode_status decode_bsd_af(uint32_t af, const uint8_t *p,
					uint32_t len, struct pkt_view *pv)
{
	switch (af) {
	case BSD_AF_INET:
		return decode_ipv4(p, len, pv);
	case BSD_AF_INET6_BSD:
	case BSD_AF_INET6_FREEBSD:
	case BSD_AF_INET6_DARWIN:
		return decode_ipv6(p, len, pv);
	}
	return DECODE_NOT_IP;
}

static enum decode_status decode_null(const uint8_t *p, uint32_t len,
				      struct pkt_view *pv)
{
	uint32_t af;

	if (len < NULL_HLEN)
		return DECODE_TRUNC_L2;
	memcpy(&af, p, sizeof(af));
	/*
	 * Host order of the writer, which need not be ours: AF values are
	 * small, so a value in the upper half was written the other way.
	 */
	if (af & 0xffff0000)
		af = __builtin_bswap32(af);
	return decode_bsd_af(af, p + NULL_HLEN, len - NULL_HLEN, pv);
}

/*
 * PPP (DLT_PPP): the HDLC-like address and control octets (ff 03) may be
 * there or not, and the protocol field may be compressed to one octet
 * (RFC 1661 section 6.5: an odd first octet ends the field).
 */
static enum decode_status decode_ppp(const uint8_t *p, uint32_t len,
				     struct pkt_view *pv)
{
	uint16_t proto;

	if (len >= 2 && p[0] == PPP_ADDR_ALL && p[1] == PPP_CONTROL_UI) {
		p += 2;
		len -= 2;
	}
	if (len < 1)
		return DECODE_TRUNC_L2;
	if (p[0] & 1) {
		proto = p[0];
		p += 1;
		len -= 1;
	} else {
		if (len < 2)
			return DECODE_TRUNC_L2;
		proto = rd16(p);
		p += 2;
		len -= 2;
	}
	switch (proto) {
	case PPP_PROTO_IPV4:
		return decode_ipv4(p, len, pv);
	case PPP_PROTO_IPV6:
		return decode_ipv6(p, len, pv);
	}
	return DECODE_NOT_IP;
}

/*
 * An 802.11 frame (no radio header): data frames that are not encrypted,
 * carry a payload and are not aggregated (A-MSDU) hold an LLC/SNAP header
 * and then a packet of the ethertype it names; anything else is not IP
 * for us.  The frame check sequence, when present, is trailing bytes the
 * IP length leaves out.
 */
static enum decode_status decode_80211(const uint8_t *p, uint32_t len,
				       struct pkt_view *pv)
{
	uint32_t hlen = WLAN_HLEN;
	uint8_t fc0, fc1, subtype;

	if (len < 2)
		return DECODE_TRUNC_L2;
	fc0 = p[0];                     /* version, type, subtype */
	fc1 = p[1];                     /* flags */
	if ((fc0 & 0x03) != 0 || ((fc0 >> 2) & 0x03) != 2)
		return DECODE_NOT_IP;   /* not version 0, or not data */
	subtype = fc0 >> 4;
	if (subtype & 0x04)             /* Null, CF-Ack, CF-Poll: no body */
		return DECODE_NOT_IP;
	if (fc1 & 0x40)                 /* Protected: encrypted body */
		return DECODE_NOT_IP;
	if ((fc1 & 0x03) == 0x03)       /* To DS and From DS: 4 addresses */
		hlen += WLAN_ADDR4_LEN;
	if (subtype & 0x08) {           /* QoS data */
		if (len < hlen + WLAN_QOS_LEN)
			return DECODE_TRUNC_L2;
		if (p[hlen] & 0x80)     /* A-MSDU present */
			return DECODE_NOT_IP;
		hlen += WLAN_QOS_LEN;
		if (fc1 & 0x80)         /* +HTC/Order: HT control field */
			hlen += WLAN_HTC_LEN;
	}
	if (len < hlen + LLC_SNAP_LEN)
		return DECODE_TRUNC_L2;
	p += hlen;
	len -= hlen;
	/* SNAP with an ethertype: RFC 1042 (OUI 0) or 802.1H (00-00-F8). */
	if (p[0] != 0xaa || p[1] != 0xaa || p[2] != 0x03 || p[3] != 0 ||
	    p[4] != 0 || (p[5] != 0 && p[5] != 0xf8))
		return DECODE_NOT_IP;
	return decode_ethertype(rd16(p + 6), p + LLC_SNAP_LEN,
				len - LLC_SNAP_LEN, pv);
}

static uint32_t rd32le(const uint8_t *p)
{
	return (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[1] << 8 | p[0];
}

/*
 * PPI (DLT_PPI): a little-endian header of version 0, its length (its
 * fields included) and the link type of the frame that follows.  Returns
 * that link type with *hlen, or -1 when the header does not fit.
 */
static int ppi_header(const uint8_t *p, uint32_t len, uint32_t *hlen)
{
	uint32_t n, dlt;

	if (len < PPI_HLEN || p[0] != 0)
		return -1;
	n = (uint32_t)p[2] | (uint32_t)p[3] << 8;
	if (n < PPI_HLEN || n > len)
		return -1;
	*hlen = n;
	dlt = rd32le(p + 4);
	/* Link types are 16 bits; a larger value is no type we know. */
	return dlt <= 0xffff ? (int)dlt : 0xffff;
}

static enum decode_status decode_link(int linktype, const uint8_t *p,
				      uint32_t len, struct pkt_view *pv);

static enum decode_status decode_ppi(const uint8_t *p, uint32_t len,
				     struct pkt_view *pv)
{
	uint32_t hlen;
	int inner = ppi_header(p, len, &hlen);

	if (inner < 0)
		return DECODE_TRUNC_L2;
	/* One level: a PPI frame inside a PPI frame is not decoded. */
	if (inner == LINK_PPI || !decode_linktype_supported(inner))
		return DECODE_NOT_IP;
	return decode_link(inner, p + hlen, len - hlen, pv);
}

static enum decode_status decode_link(int linktype, const uint8_t *p,
				      uint32_t len, struct pkt_view *pv)
{
	switch (linktype) {
	case LINK_PPP:
		return decode_ppp(p, len, pv);
	case LINK_C_HDLC:
		/* Address (0x0f unicast, 0x8f broadcast), control, ethertype:
		 * 0x0800 and 0x86dd are IP, SLARP (0x8035) and CDP are not. */
		if (len < C_HDLC_HLEN)
			return DECODE_TRUNC_L2;
		return decode_ethertype(rd16(p + 2), p + C_HDLC_HLEN,
					len - C_HDLC_HLEN, pv);
	case LINK_IEEE802_11:
		return decode_80211(p, len, pv);
	case LINK_PPI:
		return decode_ppi(p, len, pv);
	case LINK_IPV4:
		return decode_ipv4(p, len, pv);
	case LINK_IPV6:
		return decode_ipv6(p, len, pv);
	case LINK_EN10MB:
		if (len < ETH_HLEN)
			return DECODE_TRUNC_L2;
		return decode_ethertype(rd16(p + 12), p + ETH_HLEN,
					len - ETH_HLEN, pv);
	case LINK_LINUX_SLL:
		if (len < SLL_HLEN)
			return DECODE_TRUNC_L2;
		return decode_ethertype(rd16(p + 14), p + SLL_HLEN,
					len - SLL_HLEN, pv);
	case LINK_LINUX_SLL2:
		if (len < SLL2_HLEN)
			return DECODE_TRUNC_L2;
		return decode_ethertype(rd16(p), p + SLL2_HLEN,
					len - SLL2_HLEN, pv);
	case LINK_RAW:
	case LINK_RAW_ALT:
	case LINK_RAW_101:
		return decode_raw(p, len, pv);
	case LINK_NULL:
		return decode_null(p, len, pv);
	case LINK_LOOP:
		if (len < NULL_HLEN)
			return DECODE_TRUNC_L2;
		return decode_bsd_af(rd32(p), p + NULL_HLEN,
				     len - NULL_HLEN, pv);
	}
	return DECODE_NOT_IP;
}

enum decode_status decode_packet(int linktype, const uint8_t *data,
				 uint32_t caplen, struct pkt_view *pv)
{
	uint64_t ts_us = pv->ts_us;

	memset(pv, 0, sizeof(*pv));
	pv->ts_us = ts_us;
	if (data == NULL)
		caplen = 0;
	return decode_link(linktype, data, caplen, pv);
}

int decode_linktype_supported(int linktype)
{
	switch (linktype) {
	case LINK_NULL:
	case LINK_EN10MB:
	case LINK_RAW:
	case LINK_RAW_ALT:
	case LINK_LOOP:
	case LINK_LINUX_SLL:
	case LINK_RAW_101:
	case LINK_LINUX_SLL2:
	case LINK_PPP:
	case LINK_C_HDLC:
	case LINK_IEEE802_11:
	case LINK_PPI:
	case LINK_IPV4:
	case LINK_IPV6:
		return 1;
	}
	return 0;
}

int decode_inner_linktype(int linktype, const uint8_t *data, uint32_t caplen)
{
	uint32_t hlen;

	if (linktype != LINK_PPI)
		return linktype;
	if (!data)
		return -1;
	return ppi_header(data, caplen, &hlen);
}

const char *decode_status_name(enum decode_status st)
{
	static const char *const names[DECODE_STATUS_MAX] = {
		[DECODE_OK] = "ok",
		[DECODE_TRUNC_L2] = "truncated-l2",
		[DECODE_TRUNC_IP] = "truncated-ip",
		[DECODE_BAD_IP] = "bad-ip",
		[DECODE_TRUNC_L4] = "truncated-l4",
		[DECODE_BAD_L4] = "bad-l4",
		[DECODE_NOT_IP] = "not-ip",
	};

	if ((unsigned)st >= DECODE_STATUS_MAX)
		return "unknown";
	return names[st];
}
