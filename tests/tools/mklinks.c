/*
 * mklinks.c - writes the same traffic framed for each link type the probe
 * reads besides Ethernet, for tests/e2e/linktypes.sh:
 *
 *   mklinks DIR   writes DIR/ppp.pcap (DLT 9, ff 03 and 2-octet protocol),
 *                 DIR/ppp-bare.pcap (DLT 9, no ff 03, 1-octet protocol),
 *                 DIR/chdlc.pcap (104), DIR/ipv4.pcap (228, the IPv4
 *                 packets), DIR/ipv6.pcap (229, the IPv6 ones),
 *                 DIR/wlan.pcap (105), DIR/ppi-eth.pcap and
 *                 DIR/ppi-wlan.pcap (192, Ethernet and 802.11 inside),
 *                 DIR/ppi-other.pcap (192, Frame Relay inside: refused),
 *                 DIR/mixed.pcapng (one interface per link type above,
 *                 Ethernet too, packets dealt to them in turn)
 *
 * The traffic: IPv4 and IPv6 TCP connections with data both ways, UDP
 * exchanges and ICMP echoes, of several sizes.  Deterministic.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pcapw.h"

#define MAX_PKTS 512

static struct pcapw_pkt pkts[MAX_PKTS];
static uint64_t times[MAX_PKTS];
static unsigned n_pkts;
static uint8_t payload[1500];

static void add(const struct pcapw_pkt *p, uint64_t ts)
{
	if (n_pkts == MAX_PKTS) {
		fprintf(stderr, "mklinks: too many packets\n");
		exit(1);
	}
	pkts[n_pkts] = *p;
	times[n_pkts++] = ts;
}

static void tcp_conn(int v6, const char *c, const char *s, uint16_t cport,
		     uint16_t sport, unsigned rounds, uint32_t size,
		     uint64_t *ts)
{
	struct pcapw_pkt p, r;
	uint32_t cseq = 1000, sseq = 5000;

	memset(&p, 0, sizeof(p));
	p.ip_version = v6 ? 6 : 4;
	p.proto = PCAPW_PROTO_TCP;
	pcapw_addr(p.src, c);
	pcapw_addr(p.dst, s);
	p.sport = cport;
	p.dport = sport;
	r = p;
	memcpy(r.src, p.dst, 16);
	memcpy(r.dst, p.src, 16);
	r.sport = sport;
	r.dport = cport;
	p.tcp_flags = PCAPW_SYN;
	p.seq = cseq++;
	add(&p, *ts += 1000);
	r.tcp_flags = PCAPW_SYN | PCAPW_ACK;
	r.seq = sseq++;
	r.ack = cseq;
	add(&r, *ts += 1000);
	p.tcp_flags = PCAPW_ACK;
	p.seq = cseq;
	p.ack = sseq;
	add(&p, *ts += 1000);
	for (unsigned i = 0; i < rounds; i++) {
		p.tcp_flags = PCAPW_ACK | PCAPW_PSH;
		p.payload = payload;
		p.payload_len = 20 + i * 7;
		p.seq = cseq;
		cseq += p.payload_len;
		add(&p, *ts += 1000);
		r.tcp_flags = PCAPW_ACK | PCAPW_PSH;
		r.payload = payload;
		r.payload_len = size - i * 13;
		r.seq = sseq;
		sseq += r.payload_len;
		r.ack = cseq;
		add(&r, *ts += 1000);
	}
	p.payload_len = r.payload_len = 0;
	p.tcp_flags = PCAPW_FIN | PCAPW_ACK;
	p.seq = cseq++;
	p.ack = sseq;
	add(&p, *ts += 1000);
	r.tcp_flags = PCAPW_FIN | PCAPW_ACK;
	r.seq = sseq++;
	r.ack = cseq;
	add(&r, *ts += 1000);
	p.tcp_flags = PCAPW_ACK;
	p.seq = cseq;
	p.ack = sseq;
	add(&p, *ts += 1000);
}

static void udp_talk(int v6, const char *a, const char *b, uint16_t ap,
		     uint16_t bp, unsigned n, uint64_t *ts)
{
	struct pcapw_pkt p;

	memset(&p, 0, sizeof(p));
	p.ip_version = v6 ? 6 : 4;
	p.proto = PCAPW_PROTO_UDP;
	p.payload = payload;
	for (unsigned i = 0; i < n; i++) {
		int back = i % 3 == 2;

		pcapw_addr(p.src, back ? b : a);
		pcapw_addr(p.dst, back ? a : b);
		p.sport = back ? bp : ap;
		p.dport = back ? ap : bp;
		p.payload_len = 30 + i * 41;
		add(&p, *ts += 700);
	}
}

static void ping(int v6, const char *a, const char *b, unsigned n,
		 uint64_t *ts)
{
	struct pcapw_pkt p;

	memset(&p, 0, sizeof(p));
	p.ip_version = v6 ? 6 : 4;
	p.proto = v6 ? PCAPW_PROTO_ICMPV6 : PCAPW_PROTO_ICMP;
	p.icmp_id = 77;
	p.payload = payload;
	p.payload_len = 56;
	for (unsigned i = 0; i < n; i++) {
		pcapw_addr(p.src, a);
		pcapw_addr(p.dst, b);
		p.icmp_type = v6 ? 128 : 8;
		p.icmp_seq = (uint16_t)i;
		add(&p, *ts += 500);
		pcapw_addr(p.src, b);
		pcapw_addr(p.dst, a);
		p.icmp_type = v6 ? 129 : 0;
		add(&p, *ts += 500);
	}
}

static void traffic(void)
{
	uint64_t ts = 1700000000000000ull;

	for (unsigned i = 0; i < sizeof(payload); i++)
		payload[i] = (uint8_t)(i * 31 + 7);
	tcp_conn(0, "10.1.0.2", "192.0.2.80", 40001, 443, 6, 1400, &ts);
	udp_talk(0, "10.1.0.2", "198.51.100.53", 5353, 53, 9, &ts);
	ping(0, "10.1.0.2", "203.0.113.9", 3, &ts);
	tcp_conn(1, "2001:db8:1::2", "2001:db8:2::80", 40002, 80, 4, 1200,
		 &ts);
	udp_talk(1, "2001:db8:1::2", "2001:db8:3::33", 33434, 3478, 7, &ts);
	ping(1, "2001:db8:1::2", "2001:db8:2::1", 2, &ts);
	tcp_conn(0, "10.1.0.3", "192.0.2.81", 40003, 33033, 3, 900, &ts);
}

static int frame(unsigned i, enum pcapw_framing fr, uint8_t *out,
		 uint32_t cap, uint32_t *len)
{
	static uint8_t eth[PCAPW_MAX_FRAME];
	uint32_t n = pcapw_build(&pkts[i], eth, sizeof(eth));

	if (!n)
		return -1;
	if ((int)fr < 0) {
		memcpy(out, eth, n);
		*len = n;
		return 0;
	}
	*len = pcapw_relink(fr, eth, n, out, cap);
	return *len ? 0 : -1;
}

static int write_pcap(const char *dir, const char *name, uint32_t dlt,
		      enum pcapw_framing fr, int v4, int v6)
{
	static uint8_t buf[PCAPW_MAX_FRAME + 128];
	char path[4096];
	struct pcapw w;
	uint32_t len;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (pcapw_open(&w, path, dlt, PCAPW_SNAPLEN) < 0) {
		perror(path);
		return -1;
	}
	for (unsigned i = 0; i < n_pkts; i++) {
		int is6 = pkts[i].ip_version == 6;

		if ((is6 && !v6) || (!is6 && !v4))
			continue;
		if (frame(i, fr, buf, sizeof(buf), &len) < 0 ||
		    pcapw_write(&w, times[i], buf, len, len) < 0)
			break;
	}
	if (pcapw_close(&w) < 0) {
		fprintf(stderr, "mklinks: %s: write failed\n", path);
		return -1;
	}
	return 0;
}

/* Interfaces of mixed.pcapng, in order; IPv4/IPv6-only ones are given
 * only packets of their version. */
static const struct {
	uint16_t dlt;
	int fr;
	int v4, v6;
} ng_ifs[] = {
	{PCAPW_LINK_EN10MB, -1, 1, 1},
	{PCAPW_LINK_PPP, PCAPW_FRAME_PPP, 1, 1},
	{PCAPW_LINK_IPV4, PCAPW_FRAME_IP, 1, 0},
	{PCAPW_LINK_C_HDLC, PCAPW_FRAME_C_HDLC, 1, 1},
	{PCAPW_LINK_PPI, PCAPW_FRAME_PPI_80211, 1, 1},
	{PCAPW_LINK_IPV6, PCAPW_FRAME_IP, 0, 1},
	{PCAPW_LINK_IEEE802_11, PCAPW_FRAME_80211, 1, 1},
};
#define N_NG_IFS (sizeof(ng_ifs) / sizeof(ng_ifs[0]))

static int write_pcapng(const char *dir)
{
	static uint8_t buf[PCAPW_MAX_FRAME + 128];
	char path[4096];
	struct pcapw w;
	unsigned next = 0;
	uint32_t len;

	snprintf(path, sizeof(path), "%s/mixed.pcapng", dir);
	if (pcapw_ng_open(&w, path) < 0) {
		perror(path);
		return -1;
	}
	for (unsigned k = 0; k < N_NG_IFS; k++)
		pcapw_ng_interface(&w, ng_ifs[k].dlt, PCAPW_SNAPLEN);
	for (unsigned i = 0; i < n_pkts; i++) {
		int is6 = pkts[i].ip_version == 6;
		unsigned k;

		/* The next interface in turn that takes this version. */
		do {
			k = next++ % N_NG_IFS;
		} while (is6 ? !ng_ifs[k].v6 : !ng_ifs[k].v4);
		if (frame(i, (enum pcapw_framing)ng_ifs[k].fr, buf,
			  sizeof(buf), &len) < 0 ||
		    pcapw_ng_write(&w, k, times[i], buf, len, len) < 0)
			break;
	}
	if (pcapw_close(&w) < 0) {
		fprintf(stderr, "mklinks: %s: write failed\n", path);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	const char *d;
	int bad = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: mklinks DIR\n");
		return 2;
	}
	d = argv[1];
	traffic();
	bad |= write_pcap(d, "ppp.pcap", PCAPW_LINK_PPP, PCAPW_FRAME_PPP, 1, 1);
	bad |= write_pcap(d, "ppp-bare.pcap", PCAPW_LINK_PPP,
			  PCAPW_FRAME_PPP_BARE, 1, 1);
	bad |= write_pcap(d, "chdlc.pcap", PCAPW_LINK_C_HDLC,
			  PCAPW_FRAME_C_HDLC, 1, 1);
	bad |= write_pcap(d, "ipv4.pcap", PCAPW_LINK_IPV4, PCAPW_FRAME_IP, 1, 0);
	bad |= write_pcap(d, "ipv6.pcap", PCAPW_LINK_IPV6, PCAPW_FRAME_IP, 0, 1);
	bad |= write_pcap(d, "wlan.pcap", PCAPW_LINK_IEEE802_11,
			  PCAPW_FRAME_80211, 1, 1);
	bad |= write_pcap(d, "ppi-eth.pcap", PCAPW_LINK_PPI,
			  PCAPW_FRAME_PPI_ETH, 1, 1);
	bad |= write_pcap(d, "ppi-wlan.pcap", PCAPW_LINK_PPI,
			  PCAPW_FRAME_PPI_80211, 1, 1);
	bad |= write_pcap(d, "ppi-other.pcap", PCAPW_LINK_PPI,
			  PCAPW_FRAME_PPI_OTHER, 1, 0);
	bad |= write_pcapng(d);
	return bad ? 1 : 0;
}
