/*
 * capture.h - packet source: a capture file (pcap, pcapng, "-" for standard
 * input) or a live interface.  Classic pcap files are read by our own
 * buffered reader; live interfaces through ring.c (or libpcap when asked);
 * everything else through libpcap.
 *
 * Owns the pcap handle.  Reports errors as one line saying what and where.
 */
#ifndef SKYPROBE_CAPTURE_H
#define SKYPROBE_CAPTURE_H

#include <stddef.h>
#include <stdint.h>

struct capture;
struct fanout_site;

struct capture_opts {
	const char *file;        /* capture file or "-", or NULL */
	const char *interface;   /* live interface, or NULL */
	const char *filter;      /* BPF expression, or NULL/"" */
	uint32_t    snaplen;
	int         promiscuous;
	uint64_t    buffer_size; /* kernel buffer bytes, 0 = the reader's
				    default (libpcap's; ring.c's 32 MiB) */
	int         live_reader; /* enum live_reader */
	uint16_t    fanout_group;/* live: join this PACKET_FANOUT group
				    (ring_fanout_group_id()), 0 = none */
	const struct fanout_site *fanout_site;  /* its key's prefixes, or
						   NULL: the address pair */
};

/* Who reads a live interface. */
enum live_reader {
	LIVE_RING = 0,           /* ring.c: our TPACKET_V3 ring, batched */
	LIVE_LIBPCAP,            /* libpcap, one packet per read */
};

/* What capture_next() returned. */
enum capture_status {
	CAPTURE_PACKET,          /* *data, *caplen, *wirelen, *ts_us are set */
	CAPTURE_TIMEOUT,         /* live: no packet within the read timeout */
	CAPTURE_EOF,             /* file: end reached */
	CAPTURE_ERROR,           /* read error: capture_error() says what */
};

/* Open the source, apply the filter.  On error writes the reason into
 * err (one line) and returns NULL. */
struct capture *capture_open(const struct capture_opts *o, char *err,
			     size_t errlen);
void capture_close(struct capture *c);

/* DLT_* link type of the source (checked by the caller); of a pcapng
 * file, that of its first interface: its packets carry their own. */
int capture_linktype(const struct capture *c);
const char *capture_linktype_name(const struct capture *c);

enum capture_status capture_next(struct capture *c, const uint8_t **data,
				 uint32_t *caplen, uint32_t *wirelen,
				 uint64_t *ts_us);

/* One packet of a batch. */
struct capture_pkt {
	const uint8_t *data;
	uint32_t caplen;
	uint32_t wirelen;
	uint64_t ts_us;
	int linktype;            /* DLT_* of this packet: in a pcapng file,
				    that of its interface */
};

/*
 * Up to max packets into pkts[], *n of them; all stay valid until the next
 * capture_next_batch() or capture_next() call.  Returns CAPTURE_PACKET when
 * *n > 0; the end of a file or an error after some packets is returned by
 * the next call.  Batches hold one packet when libpcap reads.  A live
 * capture waits for packets at most LIVE_READ_TIMEOUT_MS (200 ms).
 */
enum capture_status capture_next_batch(struct capture *c,
				       struct capture_pkt *pkts,
				       unsigned max, unsigned *n);

/* A classic pcap file of our own reader: opening it again reads the
 * same packets (the file workers each read it whole). */
int capture_rereadable(const struct capture *c);

const char *capture_error(const struct capture *c);

/* Kernel drop counters of a live capture; 0 on files.  Returns 0 when
 * the counters could be read. */
int capture_drops(struct capture *c, uint64_t *dropped, uint64_t *ifdropped);

int capture_is_live(const struct capture *c);

/* How far a capture file has been read: *done of *total bytes.  Returns
 * 0, or -1 when that is not known (live capture, pipe, standard input
 * that is not a regular file). */
int capture_progress(const struct capture *c, uint64_t *done,
		     uint64_t *total);

#endif
