/*
 * fuzz_capture.c - libFuzzer target of the capture file reader
 * (probe/capture.c): the input is written to a temporary file, which is
 * opened and read to the end twice: as a regular file (read in place with
 * mmap when it is a classic pcap file of a link type read so, else by
 * libpcap) and through a pipe (always libpcap, for the same bytes).
 * Every packet's bytes are read, so that a length check that let a record
 * point past the mapping is caught, and when both readers reach the end
 * of the file they must have given the same packets.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "capture.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static volatile uint8_t sink;

/* What a reader gave: packets, a digest of them, how it ended. */
struct reading {
	unsigned long packets;
	uint64_t digest;
	enum capture_status end;
};

/* Read everything. */
static struct reading drain(const char *file)
{
	struct capture_opts o = { .file = file, .snaplen = 65535 };
	struct capture_pkt pk[32];
	char err[512];
	struct capture *c = capture_open(&o, err, sizeof(err));
	struct reading r = { 0, 0, CAPTURE_ERROR };
	enum capture_status st;
	unsigned n;
	uint8_t x = 0;

	if (!c)
		return r;
	capture_linktype_name(c);
	while ((st = capture_next_batch(c, pk, 32, &n)) == CAPTURE_PACKET) {
		for (unsigned k = 0; k < n; k++) {
			if (pk[k].caplen > 262144)
				abort();
			for (uint32_t i = 0; i < pk[k].caplen; i++) {
				x ^= pk[k].data[i];
				r.digest = r.digest * 31 + pk[k].data[i];
			}
			r.digest = r.digest * 131 + pk[k].caplen;
			r.digest = r.digest * 131 + pk[k].wirelen;
			r.digest = r.digest * 131 + pk[k].ts_us;
		}
		r.packets += n;
	}
	if (st == CAPTURE_ERROR && !capture_error(c)[0])
		abort();        /* an error must say what */
	r.end = st;
	sink = x;
	capture_close(c);
	return r;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[] = "/tmp/fuzz_capture.XXXXXX";
	int fd = mkstemp(path);
	int p[2];

	if (fd < 0)
		return 0;
	if (write(fd, data, size) != (ssize_t)size) {
		close(fd);
		unlink(path);
		return 0;
	}
	close(fd);
	struct reading in_place = drain(path);
	unlink(path);

	/* the same bytes through a pipe: libpcap reads them */
	if (size <= 60000 && pipe(p) == 0) {
		char dev[32];

		if (write(p[1], data, size) == (ssize_t)size) {
			close(p[1]);
			snprintf(dev, sizeof(dev), "/dev/fd/%d", p[0]);
			struct reading piped = drain(dev);

			/* Both readers must agree on every packet of a file
			 * both read to its end. */
			if (in_place.end == CAPTURE_EOF &&
			    piped.end == CAPTURE_EOF &&
			    (in_place.packets != piped.packets ||
			     in_place.digest != piped.digest)) {
				fprintf(stderr, "readers differ: %lu vs %lu "
					"packets\n", in_place.packets,
					piped.packets);
				abort();
			}
		} else {
			close(p[1]);
		}
		close(p[0]);
	}
	return 0;
}
