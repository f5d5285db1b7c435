/*
 * pcapcount.c - the floor of the benchmark: how fast libpcap alone reads a
 * capture file.  Counts packets and captured bytes in a pcap_next_ex loop,
 * touching nothing else, and prints "packets N bytes B".
 */
#include <inttypes.h>
#include <pcap/pcap.h>
#include <stdio.h>

int main(int argc, char **argv)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *hdr;
	const u_char *data;
	uint64_t packets = 0, bytes = 0;
	pcap_t *p;
	int rc;

	if (argc != 2) {
		fprintf(stderr, "usage: pcapcount FILE\n");
		return 2;
	}
	p = pcap_open_offline(argv[1], errbuf);
	if (p == NULL) {
		fprintf(stderr, "pcapcount: %s\n", errbuf);
		return 1;
	}
	while ((rc = pcap_next_ex(p, &hdr, &data)) == 1) {
		packets++;
		bytes += hdr->caplen;
	}
	if (rc == PCAP_ERROR) {
		fprintf(stderr, "pcapcount: %s\n", pcap_geterr(p));
		pcap_close(p);
		return 1;
	}
	pcap_close(p);
	printf("packets %" PRIu64 " bytes %" PRIu64 "\n", packets, bytes);
	return 0;
}
