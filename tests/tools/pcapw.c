/*
 * pcapw.c - a tiny pcap writer and frame builder for tests and benchmarks.
 *
 * Owns the classic pcap file format (written little-endian so that files
 * are identical on every host) and the byte layout of the frames the test
 * tools make: Ethernet, 802.1Q, IPv4 (with header checksum), IPv6, TCP,
 * UDP, ICMP and ICMPv6 (with pseudo-header checksums).  No libpcap.
 */
#include "pcapw.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define IOBUF_SIZE   (4u << 20)
#define ETH_HLEN     14
#define VLAN_HLEN    4
#define IP4_HLEN     20
#define IP6_HLEN     40
#define TCP_HLEN     20
#define TCP_MSS_OPT  4
#define UDP_HLEN     8
#define ICMP_HLEN    8

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

static void le16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void le32(uint8_t *p, uint32_t v)
{
	le16(p, (uint16_t)v);
	le16(p + 2, (uint16_t)(v >> 16));
}

/* ---- file ----------------------------------------------------------- */

int pcapw_open(struct pcapw *w, const char *path, uint32_t linktype,
	       uint32_t snaplen)
{
	uint8_t hdr[24];

	memset(w, 0, sizeof(*w));
	w->fp = strcmp(path, "-") == 0 ? stdout : fopen(path, "wb");
	if (w->fp == NULL)
		return -1;
	w->iobuf = malloc(IOBUF_SIZE);
	if (w->iobuf != NULL)
		setvbuf(w->fp, w->iobuf, _IOFBF, IOBUF_SIZE);
	le32(hdr, 0xa1b2c3d4u);
	le16(hdr + 4, 2);
	le16(hdr + 6, 4);
	le32(hdr + 8, 0);       /* thiszone */
	le32(hdr + 12, 0);      /* sigfigs */
	le32(hdr + 16, snaplen);
	le32(hdr + 20, linktype);
	if (fwrite(hdr, sizeof(hdr), 1, w->fp) != 1)
		w->err = 1;
	return w->err ? -1 : 0;
}

int pcapw_write(struct pcapw *w, uint64_t ts_us, const uint8_t *data,
		uint32_t caplen, uint32_t origlen)
{
	uint8_t rec[16];

	le32(rec, (uint32_t)(ts_us / 1000000u));
	le32(rec + 4, (uint32_t)(ts_us % 1000000u));
	le32(rec + 8, caplen);
	le32(rec + 12, origlen);
	if (fwrite(rec, sizeof(rec), 1, w->fp) != 1 ||
	    (caplen && fwrite(data, caplen, 1, w->fp) != 1)) {
		w->err = 1;
		return -1;
	}
	w->packets++;
	w->bytes += caplen;
	return 0;
}

int pcapw_close(struct pcapw *w)
{
	int bad = w->err;

	if (w->fp == NULL)
		return -1;
	if (fflush(w->fp) != 0)
		bad = 1;
	if (w->fp != stdout && fclose(w->fp) != 0)
		bad = 1;
	if (w->fp == stdout)
		setvbuf(stdout, NULL, _IOLBF, 0);
	free(w->iobuf);
	w->fp = NULL;
	w->iobuf = NULL;
	return bad ? -1 : 0;
}

/* ---- addresses and checksums ---------------------------------------- */

void pcapw_v4(uint8_t out[16], uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
	memset(out, 0, 16);
	out[0] = a;
	out[1] = b;
	out[2] = c;
	out[3] = d;
}

int pcapw_addr(uint8_t out[16], const char *text)
{
	memset(out, 0, 16);
	if (inet_pton(AF_INET, text, out) == 1)
		return 4;
	if (inet_pton(AF_INET6, text, out) == 1)
		return 6;
	return 0;
}

uint32_t pcapw_sum(uint32_t sum, const uint8_t *data, uint32_t len)
{
	uint32_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)data[i] << 8 | data[i + 1];
	if (len & 1)
		sum += (uint32_t)data[len - 1] << 8;
	return sum;
}

uint16_t pcapw_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static uint32_t pseudo_sum(const struct pcapw_pkt *p, uint32_t l4len)
{
	uint32_t alen = p->ip_version == 6 ? 16 : 4;
	uint32_t sum = 0;

	sum = pcapw_sum(sum, p->src, alen);
	sum = pcapw_sum(sum, p->dst, alen);
	sum += p->proto;
	sum += l4len >> 16;
	sum += l4len & 0xffff;
	return sum;
}

/* ---- transport ------------------------------------------------------ */

static uint32_t l4_hlen(const struct pcapw_pkt *p)
{
	if (p->raw)
		return 0;
	switch (p->proto) {
	case PCAPW_PROTO_TCP:
		return TCP_HLEN + (p->tcp_mss ? TCP_MSS_OPT : 0);
	case PCAPW_PROTO_UDP:
		return UDP_HLEN;
	case PCAPW_PROTO_ICMP:
	case PCAPW_PROTO_ICMPV6:
		return ICMP_HLEN;
	default:
		return 0;
	}
}

static void build_tcp(const struct pcapw_pkt *p, uint8_t *h)
{
	uint32_t hlen = l4_hlen(p);

	put16(h, p->sport);
	put16(h + 2, p->dport);
	put32(h + 4, p->seq);
	put32(h + 8, (p->tcp_flags & PCAPW_ACK) ? p->ack : 0);
	h[12] = (uint8_t)((hlen / 4) << 4);
	h[13] = p->tcp_flags;
	put16(h + 14, p->window ? p->window : 65535);
	put16(h + 16, 0);
	put16(h + 18, 0);       /* urgent pointer */
	if (p->tcp_mss) {
		h[20] = 2;      /* kind MSS */
		h[21] = 4;
		put16(h + 22, p->tcp_mss);
	}
}

static void build_icmp(const struct pcapw_pkt *p, uint8_t *h)
{
	h[0] = p->icmp_type;
	h[1] = p->icmp_code;
	put16(h + 2, 0);
	put16(h + 4, p->icmp_id);
	put16(h + 6, p->icmp_seq);
}

uint32_t pcapw_build_l4(const struct pcapw_pkt *p, uint8_t *buf, uint32_t cap)
{
	uint32_t hlen = l4_hlen(p);
	uint32_t len = hlen + p->payload_len;
	uint32_t sum;
	int off;

	if (len > cap || len > 65535u - IP6_HLEN)
		return 0;
	if (p->payload_len)
		memcpy(buf + hlen, p->payload, p->payload_len);
	if (p->raw)
		return len;
	switch (p->proto) {
	case PCAPW_PROTO_TCP:
		build_tcp(p, buf);
		off = 16;
		break;
	case PCAPW_PROTO_UDP:
		put16(buf, p->sport);
		put16(buf + 2, p->dport);
		put16(buf + 4, (uint16_t)len);
		put16(buf + 6, 0);
		off = 6;
		break;
	case PCAPW_PROTO_ICMP:
	case PCAPW_PROTO_ICMPV6:
		build_icmp(p, buf);
		off = 2;
		break;
	default:
		return len;
	}
	/* ICMPv4 has no pseudo header; all the others do. */
	sum = p->proto == PCAPW_PROTO_ICMP ? 0 : pseudo_sum(p, len);
	sum = pcapw_fold(pcapw_sum(sum, buf, len));
	if (sum == 0 && p->proto == PCAPW_PROTO_UDP)
		sum = 0xffff;   /* 0 means "no checksum" for UDP */
	put16(buf + off, (uint16_t)sum);
	return len;
}

/* ---- IP and Ethernet ------------------------------------------------ */

uint32_t pcapw_ip_len(const struct pcapw_pkt *p)
{
	uint32_t iph = p->ip_version == 6 ? IP6_HLEN : IP4_HLEN;

	return iph + l4_hlen(p) + p->payload_len;
}

static void build_ip4(const struct pcapw_pkt *p, uint8_t *h, uint32_t totlen)
{
	uint16_t frag = (uint16_t)((p->frag_offset / 8) & 0x1fff);

	if (p->more_frags)
		frag |= 0x2000;
	h[0] = 0x45;
	h[1] = p->tos;
	put16(h + 2, (uint16_t)totlen);
	put16(h + 4, p->ip_id);
	put16(h + 6, frag);
	h[8] = p->ttl ? p->ttl : 64;
	h[9] = p->proto;
	put16(h + 10, 0);
	memcpy(h + 12, p->src, 4);
	memcpy(h + 16, p->dst, 4);
	put16(h + 10, pcapw_fold(pcapw_sum(0, h, IP4_HLEN)));
}

static void build_ip6(const struct pcapw_pkt *p, uint8_t *h, uint32_t plen)
{
	put32(h, 6u << 28 | (uint32_t)p->tos << 20);
	put16(h + 4, (uint16_t)plen);
	h[6] = p->proto;
	h[7] = p->ttl ? p->ttl : 64;
	memcpy(h + 8, p->src, 16);
	memcpy(h + 24, p->dst, 16);
}

/* Locally administered MACs derived from the IP address: stable, and the
 * same host always has the same MAC. */
static void mac_of(uint8_t *mac, const struct pcapw_pkt *p, const uint8_t *a)
{
	const uint8_t *low = p->ip_version == 6 ? a + 12 : a;

	mac[0] = 0x02;
	mac[1] = 0x00;
	memcpy(mac + 2, low, 4);
}

uint32_t pcapw_build(const struct pcapw_pkt *p, uint8_t *buf, uint32_t cap)
{
	uint32_t l2 = ETH_HLEN + (p->vlan_id ? VLAN_HLEN : 0);
	uint32_t iph = p->ip_version == 6 ? IP6_HLEN : IP4_HLEN;
	uint32_t l4len;
	uint8_t *eth = buf;

	if (p->ip_version != 4 && p->ip_version != 6)
		return 0;
	if (cap < l2 + iph)
		return 0;
	l4len = pcapw_build_l4(p, buf + l2 + iph, cap - l2 - iph);
	if (l4len == 0 && l4_hlen(p) + p->payload_len != 0)
		return 0;
	if (p->ip_version == 4 && iph + l4len > 65535)
		return 0;
	mac_of(eth, p, p->dst);
	mac_of(eth + 6, p, p->src);
	if (p->vlan_id) {
		put16(eth + 12, 0x8100);
		put16(eth + 14, p->vlan_id & 0x0fff);
	}
	put16(eth + l2 - 2, p->ip_version == 6 ? 0x86dd : 0x0800);
	if (p->ip_version == 6)
		build_ip6(p, buf + l2, l4len);
	else
		build_ip4(p, buf + l2, iph + l4len);
	return l2 + iph + l4len;
}

int pcapw_write_pkt(struct pcapw *w, uint64_t ts_us,
		    const struct pcapw_pkt *p)
{
	static const uint32_t cap = PCAPW_MAX_FRAME;
	uint8_t *buf = malloc(cap);
	uint32_t len;
	int rc = -1;

	if (buf == NULL)
		return -1;
	len = pcapw_build(p, buf, cap);
	if (len != 0) {
		rc = pcapw_write(w, ts_us, buf, len, len);
	} else {
		errno = EINVAL;
	}
	free(buf);
	return rc;
}

/* ---- other link types ------------------------------------------------ */

#define PPI_HLEN        8
#define PPI_COMMON_LEN  (4 + 20)  /* field header, 802.11-Common */
#define WLAN_QOS_HLEN   26
#define SNAP_LEN        8

/* A QoS data frame from the distribution system, then LLC/SNAP. */
static uint32_t wlan_header(uint8_t *o, uint16_t ethertype)
{
	static const uint8_t bssid[6] = {0x02, 0, 0, 0, 0, 0x01};
	static const uint8_t sta[6] = {0x02, 0, 0, 0, 0, 0x02};
	static const uint8_t sa[6] = {0x02, 0, 0, 0, 0, 0x03};

	o[0] = 0x88;            /* version 0, type data, subtype QoS data */
	o[1] = 0x02;            /* From DS */
	le16(o + 2, 44);        /* duration */
	memcpy(o + 4, sta, 6);
	memcpy(o + 10, bssid, 6);
	memcpy(o + 16, sa, 6);
	le16(o + 22, 0x0010);   /* sequence 1 */
	le16(o + 24, 0);        /* QoS control: TID 0, no A-MSDU */
	o += WLAN_QOS_HLEN;
	o[0] = 0xaa;
	o[1] = 0xaa;
	o[2] = 0x03;
	o[3] = o[4] = o[5] = 0;
	put16(o + 6, ethertype);
	return WLAN_QOS_HLEN + SNAP_LEN;
}

static uint32_t ppi_header(uint8_t *o, uint32_t dlt, int common)
{
	uint32_t n = PPI_HLEN + (common ? PPI_COMMON_LEN : 0);

	memset(o, 0, n);
	o[0] = 0;               /* version */
	o[1] = 0;               /* flags: not aligned */
	le16(o + 2, (uint16_t)n);
	le32(o + 4, dlt);
	if (common) {           /* 802.11-Common: 2.4 GHz, 54 Mbit/s */
		le16(o + 8, 2);
		le16(o + 10, 20);
		le16(o + 12 + 10, 108);   /* rate, 500 kbit/s units */
		le16(o + 12 + 12, 2437);  /* channel frequency */
		le16(o + 12 + 14, 0x00c0);/* channel flags: OFDM, 2 GHz */
	}
	return n;
}

uint32_t pcapw_relink(enum pcapw_framing fr, const uint8_t *eth,
		      uint32_t len, uint8_t *out, uint32_t cap)
{
	uint16_t et;
	const uint8_t *ip = eth + ETH_HLEN;
	uint32_t iplen, h = 0;

	if (len < ETH_HLEN)
		return 0;
	et = (uint16_t)(eth[12] << 8 | eth[13]);
	if (et != 0x0800 && et != 0x86dd)
		return 0;
	iplen = len - ETH_HLEN;
	if (cap < iplen + PPI_HLEN + PPI_COMMON_LEN + WLAN_QOS_HLEN + SNAP_LEN)
		return 0;
	switch (fr) {
	case PCAPW_FRAME_PPP:
		out[0] = 0xff;
		out[1] = 0x03;
		put16(out + 2, et == 0x0800 ? 0x0021 : 0x0057);
		h = 4;
		break;
	case PCAPW_FRAME_PPP_BARE:
		out[0] = et == 0x0800 ? 0x21 : 0x57;
		h = 1;
		break;
	case PCAPW_FRAME_C_HDLC:
		out[0] = 0x0f;
		out[1] = 0x00;
		put16(out + 2, et);
		h = 4;
		break;
	case PCAPW_FRAME_IP:
		break;
	case PCAPW_FRAME_80211:
		h = wlan_header(out, et);
		break;
	case PCAPW_FRAME_PPI_ETH:
		h = ppi_header(out, PCAPW_LINK_EN10MB, 0);
		memcpy(out + h, eth, len);
		return h + len;
	case PCAPW_FRAME_PPI_80211:
		h = ppi_header(out, PCAPW_LINK_IEEE802_11, 1);
		h += wlan_header(out + h, et);
		break;
	case PCAPW_FRAME_PPI_OTHER:
		/* Frame Relay, Q.922 address then NLPID 0xcc (IPv4). */
		h = ppi_header(out, 107, 0);
		out[h] = 0x18;
		out[h + 1] = 0x41;
		out[h + 2] = 0x03;
		out[h + 3] = et == 0x0800 ? 0xcc : 0x8e;
		h += 4;
		break;
	default:
		return 0;
	}
	memcpy(out + h, ip, iplen);
	return h + iplen;
}

/* ---- pcapng ------------------------------------------------------------ */

static int ng_block(struct pcapw *w, uint32_t type, const uint8_t *body,
		    uint32_t len, const uint8_t *data, uint32_t dlen)
{
	static const uint8_t zero[4];
	uint8_t hdr[8], tail[4];
	uint32_t pad = (4 - dlen % 4) % 4, total = 12 + len + dlen + pad;

	le32(hdr, type);
	le32(hdr + 4, total);
	le32(tail, total);
	if (fwrite(hdr, 8, 1, w->fp) != 1 ||
	    (len && fwrite(body, len, 1, w->fp) != 1) ||
	    (dlen && fwrite(data, dlen, 1, w->fp) != 1) ||
	    (pad && fwrite(zero, pad, 1, w->fp) != 1) ||
	    fwrite(tail, 4, 1, w->fp) != 1) {
		w->err = 1;
		return -1;
	}
	return 0;
}

int pcapw_ng_open(struct pcapw *w, const char *path)
{
	uint8_t shb[16];

	memset(w, 0, sizeof(*w));
	w->fp = strcmp(path, "-") == 0 ? stdout : fopen(path, "wb");
	if (w->fp == NULL)
		return -1;
	w->iobuf = malloc(IOBUF_SIZE);
	if (w->iobuf != NULL)
		setvbuf(w->fp, w->iobuf, _IOFBF, IOBUF_SIZE);
	le32(shb, 0x1a2b3c4du);
	le16(shb + 4, 1);
	le16(shb + 6, 0);
	le32(shb + 8, 0xffffffffu);     /* section length unknown */
	le32(shb + 12, 0xffffffffu);
	return ng_block(w, 0x0a0d0d0au, shb, sizeof(shb), NULL, 0);
}

int pcapw_ng_interface(struct pcapw *w, uint16_t linktype, uint32_t snaplen)
{
	uint8_t idb[8];

	le16(idb, linktype);
	le16(idb + 2, 0);
	le32(idb + 4, snaplen);
	return ng_block(w, 1, idb, sizeof(idb), NULL, 0);
}

int pcapw_ng_write(struct pcapw *w, uint32_t ifid, uint64_t ts_us,
		   const uint8_t *data, uint32_t caplen, uint32_t origlen)
{
	uint8_t epb[20];

	le32(epb, ifid);
	le32(epb + 4, (uint32_t)(ts_us >> 32));
	le32(epb + 8, (uint32_t)ts_us);
	le32(epb + 12, caplen);
	le32(epb + 16, origlen);
	if (ng_block(w, 6, epb, sizeof(epb), data, caplen) < 0)
		return -1;
	w->packets++;
	w->bytes += caplen;
	return 0;
}
