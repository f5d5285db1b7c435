/*
 * fanout.h - which worker a packet belongs to, computed twice: in C from
 * a decoded packet (fanout_hash) and as a classic BPF program the kernel
 * runs for PACKET_FANOUT_CBPF (fanout_cbpf_build).  Both give the same
 * 32-bit value for the same IPv4/IPv6 packet, so the worker is value % N
 * whether the kernel or the probe spreads the packets.
 *
 * The key is the site's inside host: the one address of the pair inside
 * the site's prefixes, else (both, neither, no prefixes) the unordered
 * address pair.  Ports are never part of it: a client's UDP probes, TCP
 * connections and logins, to any peer, must meet on one worker for the
 * signature to see them together.
 *
 * Owns nothing: no state, no allocation.
 */
#ifndef SKYPROBE_FANOUT_H
#define SKYPROBE_FANOUT_H

#include <stdint.h>

#include "decode.h"
#include "values.h"

#define FANOUT_MAX_PREFIXES 64
/* cBPF's limit on a program's length (BPF_MAXINSNS). */
#define FANOUT_MAX_INSNS    4096

/*
 * link_offset of a program for the kernel's fanout hook: the network
 * header and the protocol are taken from the socket buffer (SKF_NET_OFF,
 * SKF_AD_PROTOCOL), not from the frame.  The hook runs before AF_PACKET
 * pushes the link header back, so frame offsets would differ between
 * received packets (data at the network header) and sent ones (data at
 * the link header).  libpcap's bpf_filter() cannot run this form.
 */
#define FANOUT_LINK_SKB     (-1)

/*
 * Filled by fanout_site_init() only: fanout_hash() compares the prepared
 * words below, fanout_cbpf_build() reads internal[], so prefixes written
 * in by hand would make the two disagree.  NULL, or a zeroed site, has
 * no prefixes at all (not even the private ranges): the address pair is
 * always the key.
 */
struct fanout_site {
	uint32_t n_internal;
	struct prefix internal[FANOUT_MAX_PREFIXES];
	/* the prefixes as masked 32-bit words, which fanout_hash()
	 * compares on the file reader's hot path */
	uint32_t net[FANOUT_MAX_PREFIXES][4];
	uint32_t mask[FANOUT_MAX_PREFIXES][4];
	/* the prefixes that may hold an IPv4 address of this first byte, or
	 * an IPv6 address of this first byte (bit i: prefix i) */
	uint64_t v4_first[256];
	uint64_t v6_first[256];
};

struct sock_filter;

/* The site's inside prefixes; without any, the private and link-local
 * ranges (RFC 1918, RFC 6598, RFC 3927, RFC 4193, fe80::/10) stand in:
 * a client behind NAT, or on a LAN capture, is then still the key. */
void fanout_site_init(struct fanout_site *s, const struct prefix *internal,
		      uint32_t n);

/*
 * The key of a decoded packet (pv->ip_version 4 or 6: addresses set).
 * 0 for a packet without addresses (not IP, cut short, bad header).
 */
uint32_t fanout_hash(const struct fanout_site *s, const struct pkt_view *pv);

/*
 * A classic BPF program returning fanout_hash() of the packet it runs on,
 * 0 for a packet that is not IPv4/IPv6 or too short for its addresses.
 * link_offset: where the IP header starts in the frame, 14 for Ethernet
 * (802.1Q/802.1ad/0x9100 tags in the frame are skipped, up to the eight
 * decode.c reads), 0 for raw IP; or FANOUT_LINK_SKB for the kernel's
 * fanout hook.  Writes at most max instructions to prog and their count
 * to *len.  Returns 0, or -1 when the program does not fit (or the site
 * has more than FANOUT_MAX_PREFIXES prefixes).
 *
 * Same value as fanout_hash() for every packet decode_packet() reads far
 * enough to set its addresses, over Ethernet (tags, PPPoE sessions and
 * MPLS label stacks included) or raw IP; not for an IPv4 header whose
 * length fields decode.c refuses (the program still hashes its
 * addresses).
 */
int fanout_cbpf_build(const struct fanout_site *s, int link_offset,
		      struct sock_filter *prog, unsigned max, unsigned *len);

#endif
