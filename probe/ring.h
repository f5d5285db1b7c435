/*
 * ring.h - the probe's own live capture on Linux: an AF_PACKET socket with
 * a TPACKET_V3 receive ring, read in batches in place (no copy).
 *
 * Owns the socket and the ring mapping.  A ring may join a fanout group
 * (PACKET_FANOUT_CBPF): the kernel then spreads the interface's packets
 * over the group's sockets by fanout.c's key, one socket per worker.
 */
#ifndef SKYPROBE_RING_H
#define SKYPROBE_RING_H

#include <stddef.h>
#include <stdint.h>

#include "capture.h"
#include "fanout.h"

/* Ring bytes when ring_opts.buffer_size is 0. */
#define RING_DEFAULT_SIZE (32u << 20)
/* A block the kernel has not filled is handed over after this long, so
 * that packets on a quiet link do not wait for a full block. */
#define RING_BLOCK_TIMEOUT_MS 20

struct ring;

struct ring_opts {
	const char *interface;
	const char *filter;         /* BPF expression, or NULL/"" */
	uint32_t    snaplen;
	int         promiscuous;
	uint64_t    buffer_size;    /* ring bytes, 0 = RING_DEFAULT_SIZE */
	uint16_t    fanout_group;   /* 0: no fanout */
	/* The fanout program is built here from the site's prefixes
	 * (NULL: no prefixes, the address pair decides). */
	const struct fanout_site *fanout_site;
};

/*
 * Open and bind the socket, attach the filter, map the ring, join the
 * fanout group.  Ethernet and loopback interfaces are read with their
 * link header (DLT_EN10MB), any other as raw IP (DLT_RAW, SOCK_DGRAM).
 * The socket takes no packet before it is bound, and the filter is
 * attached before that: no unfiltered packet is ever seen.  On error
 * writes the reason (one line) into err and returns NULL.
 */
struct ring *ring_open(const struct ring_opts *o, char *err, size_t errlen);
void ring_close(struct ring *r);

/*
 * Up to max packets of the current block into pkts[], *n of them;
 * CAPTURE_TIMEOUT when no block came within timeout_ms (or a signal
 * interrupted the wait), CAPTURE_ERROR when the socket failed
 * (ring_error() says why).  The packets stay valid until the next call:
 * a block goes back to the kernel when the next call moves past it.
 * A VLAN tag the kernel took out of the frame is put back in front of
 * the ethertype (Ethernet only), so decode.c sees it.
 */
enum capture_status ring_next_batch(struct ring *r, struct capture_pkt *pkts,
				    unsigned max, unsigned *n, int timeout_ms);

/* Packets dropped since the ring was opened: by the socket (ring full)
 * and by the interface.  Returns 0, -1 when they cannot be read. */
int ring_drops(struct ring *r, uint64_t *drops, uint64_t *ifdrops);

int ring_linktype(const struct ring *r);
const char *ring_error(const struct ring *r);

/*
 * Join fanout group `group` (PACKET_FANOUT_CBPF | FLAG_DEFRAG) with
 * fanout.c's program for the site on a bound AF_PACKET socket: a ring's
 * or libpcap's.  Returns 0, or -1 with the reason in err.
 */
int ring_join_fanout(int fd, uint16_t group, const struct fanout_site *s,
		     char *err, size_t errlen);

/* A group id for this process's sockets: getpid() & 0xffff, never 0.
 * Another process's group with the same id on the same interface would
 * be joined instead: ids are per network namespace, 65535 of them. */
uint16_t ring_fanout_group_id(void);

#endif
