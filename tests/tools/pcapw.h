/*
 * pcapw.h - a tiny pcap writer and frame builder for tests and benchmarks.
 *
 * Writes classic pcap files (little-endian, microsecond timestamps) without
 * libpcap, and builds Ethernet (+ optional 802.1Q tag) / IPv4 or IPv6 /
 * TCP, UDP, ICMP or ICMPv6 frames with correct lengths and checksums.
 * Output is byte-for-byte deterministic: the same calls give the same file
 * on every machine.
 */
#ifndef SKYPROBE_PCAPW_H
#define SKYPROBE_PCAPW_H

#include <stdint.h>
#include <stdio.h>

#define PCAPW_LINK_EN10MB 1
#define PCAPW_SNAPLEN     65535u
#define PCAPW_MAX_FRAME   (65535u + 64u)  /* largest frame pcapw_build makes */

#define PCAPW_PROTO_ICMP   1
#define PCAPW_PROTO_TCP    6
#define PCAPW_PROTO_UDP    17
#define PCAPW_PROTO_ICMPV6 58

#define PCAPW_FIN 0x01
#define PCAPW_SYN 0x02
#define PCAPW_RST 0x04
#define PCAPW_PSH 0x08
#define PCAPW_ACK 0x10

struct pcapw {
	FILE    *fp;
	char    *iobuf;     /* large stdio buffer: writing must be cheap */
	uint64_t packets;
	uint64_t bytes;     /* captured frame bytes written */
	int      err;       /* sticky: a write failed */
};

/* Open path ("-" is standard output) and write the file header.
 * Returns 0, or -1 with errno set. */
int pcapw_open(struct pcapw *w, const char *path, uint32_t linktype,
	       uint32_t snaplen);
/* Write one record; caplen bytes of data, origlen on the wire. */
int pcapw_write(struct pcapw *w, uint64_t ts_us, const uint8_t *data,
		uint32_t caplen, uint32_t origlen);
/* Flush and close; returns 0, or -1 when any write failed. */
int pcapw_close(struct pcapw *w);

/*
 * One packet to build.  Addresses are 16 bytes; an IPv4 address uses the
 * first 4.  Zero-initialise and fill what matters: a zero ttl becomes 64,
 * a zero window 65535.
 */
struct pcapw_pkt {
	uint8_t  ip_version;     /* 4 or 6 */
	uint8_t  proto;          /* PCAPW_PROTO_* */
	uint8_t  src[16];
	uint8_t  dst[16];
	uint16_t sport;          /* TCP/UDP */
	uint16_t dport;
	uint16_t vlan_id;        /* 0: untagged */
	uint8_t  ttl;
	uint8_t  tos;
	uint16_t ip_id;          /* IPv4 identification */
	uint16_t frag_offset;    /* IPv4 fragment offset in bytes (8-aligned) */
	uint8_t  more_frags;     /* IPv4 MF flag */
	uint8_t  raw;            /* payload is the whole IP payload: no L4
				    header is built (non-first fragments) */
	uint8_t  tcp_flags;
	uint16_t tcp_mss;        /* nonzero: add an MSS option (SYNs) */
	uint32_t seq;
	uint32_t ack;
	uint16_t window;
	uint8_t  icmp_type;
	uint8_t  icmp_code;
	uint16_t icmp_id;
	uint16_t icmp_seq;
	const uint8_t *payload;
	uint32_t payload_len;
};

/* Fill a 16-byte address from dotted quad parts / from text (v4 or v6).
 * pcapw_addr returns 4 or 6, or 0 for a bad string. */
void pcapw_v4(uint8_t out[16], uint8_t a, uint8_t b, uint8_t c, uint8_t d);
int pcapw_addr(uint8_t out[16], const char *text);

/* Build the transport segment alone (header + payload, with checksum):
 * the IP payload.  Used to split a datagram into fragments.  Returns its
 * length, or 0 if cap is too small. */
uint32_t pcapw_build_l4(const struct pcapw_pkt *p, uint8_t *buf, uint32_t cap);

/* Build the whole Ethernet frame.  Returns its length, 0 if cap is too
 * small or the packet is invalid. */
uint32_t pcapw_build(const struct pcapw_pkt *p, uint8_t *buf, uint32_t cap);

/* Length of the IP packet (IP header included) p would make. */
uint32_t pcapw_ip_len(const struct pcapw_pkt *p);

/* Build p and write it at ts_us.  Returns 0 or -1. */
int pcapw_write_pkt(struct pcapw *w, uint64_t ts_us,
		    const struct pcapw_pkt *p);

/*
 * Other link types (DLT/LINKTYPE numbers).  pcapw_relink turns an
 * untagged Ethernet frame of pcapw_build into the frame of another link
 * type carrying the same IP packet; PPI frames carry an Ethernet or an
 * 802.11 frame, PPI_OTHER a frame of link type 107 (Frame Relay) that the
 * probe does not decode.  Returns the new length, 0 when cap is too small
 * or the frame is not IPv4 or IPv6.
 */
#define PCAPW_LINK_PPP        9
#define PCAPW_LINK_C_HDLC     104
#define PCAPW_LINK_IEEE802_11 105
#define PCAPW_LINK_PPI        192
#define PCAPW_LINK_IPV4       228
#define PCAPW_LINK_IPV6       229
enum pcapw_framing {
	PCAPW_FRAME_PPP,            /* ff 03, 2-octet protocol */
	PCAPW_FRAME_PPP_BARE,       /* no ff 03, 1-octet protocol */
	PCAPW_FRAME_C_HDLC,
	PCAPW_FRAME_IP,             /* the IP packet alone: 228, 229, 101 */
	PCAPW_FRAME_80211,          /* QoS data, from DS, LLC/SNAP */
	PCAPW_FRAME_PPI_ETH,
	PCAPW_FRAME_PPI_80211,      /* with an 802.11-Common field */
	PCAPW_FRAME_PPI_OTHER,
};
uint32_t pcapw_relink(enum pcapw_framing fr, const uint8_t *eth,
		      uint32_t len, uint8_t *out, uint32_t cap);

/*
 * pcapng: a section header at open, then interfaces (numbered from 0 in
 * the order described) and Enhanced Packet Blocks; pcapw_close closes.
 */
int pcapw_ng_open(struct pcapw *w, const char *path);
int pcapw_ng_interface(struct pcapw *w, uint16_t linktype, uint32_t snaplen);
int pcapw_ng_write(struct pcapw *w, uint32_t ifid, uint64_t ts_us,
		   const uint8_t *data, uint32_t caplen, uint32_t origlen);

/* RFC 1071 ones-complement sum helpers (exported for mkbench's rewrites). */
uint32_t pcapw_sum(uint32_t sum, const uint8_t *data, uint32_t len);
uint16_t pcapw_fold(uint32_t sum);

#endif
