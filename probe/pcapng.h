/*
 * pcapng.h - a pcapng reader whose interfaces may have different link
 * types (libpcap 1.10 refuses such files: "an interface has a type ...
 * different from the type of the first interface").
 *
 * Reads a stream (a file or standard input) block by block; every packet
 * carries the link type of the interface it was captured on.  Owns its
 * block buffer; a packet's data stays valid until the next pcapng_next().
 */
#ifndef SKYPROBE_PCAPNG_H
#define SKYPROBE_PCAPNG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "capture.h"

/* The Section Header Block type, the first four bytes of every file. */
#define PCAPNG_SHB_TYPE 0x0A0D0D0Au

struct pcapng;

/*
 * Read from fp, whose first prefix_len (<= 4) bytes were already read into
 * prefix.  Reads up to the first Interface Description Block.  filter, when
 * neither NULL nor "", is compiled for the link type of every interface.
 * On error writes one line into err and returns NULL (fp is left open).
 */
struct pcapng *pcapng_open(FILE *fp, const uint8_t *prefix, size_t prefix_len,
			   const char *source, const char *filter,
			   char *err, size_t errlen);
/* Closes the stream too, unless it is stdin. */
void pcapng_close(struct pcapng *r);

/* Link type of the first interface. */
int pcapng_first_linktype(const struct pcapng *r);

/* Next packet that passes the filter: CAPTURE_PACKET, CAPTURE_EOF, or
 * CAPTURE_ERROR with the reason in pcapng_error(). */
enum capture_status pcapng_next(struct pcapng *r, struct capture_pkt *pk);
const char *pcapng_error(const struct pcapng *r);

/* The stream read (for the share of a file read). */
FILE *pcapng_stream(const struct pcapng *r);

#endif
