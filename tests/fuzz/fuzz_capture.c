/*
 * fuzz_capture.c - libFuzzer target of the capture file reader
 * (probe/capture.c): the input is written to a temporary file, which is
 * opened and read to the end twice: as a regular file (read in place with
 * mmap when it is a classic pcap file of a link type read so, else by
 * libpcap) and through a pipe (always libpcap, for the same bytes).
 * Every packet's bytes are read, so that a length check that let a record
 * point past the mapping is caught.
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

/* Read everything; returns the packet count. */
static unsigned long drain(const char *file)
{
	struct capture_opts o = { .file = file, .snaplen = 65535 };
	struct capture_pkt pk[32];
	char err[512];
	struct capture *c = capture_open(&o, err, sizeof(err));
	unsigned long packets = 0;
	enum capture_status st;
	unsigned n;
	uint8_t x = 0;

	if (!c)
		return 0;
	capture_linktype_name(c);
	while ((st = capture_next_batch(c, pk, 32, &n)) == CAPTURE_PACKET) {
		for (unsigned k = 0; k < n; k++) {
			if (pk[k].caplen > 262144)
				abort();
			for (uint32_t i = 0; i < pk[k].caplen; i++)
				x ^= pk[k].data[i];
		}
		packets += n;
	}
	if (st == CAPTURE_ERROR && !capture_error(c)[0])
		abort();        /* an error must say what */
	sink = x;
	capture_close(c);
	return packets;
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
	drain(path);
	unlink(path);

	/* the same bytes through a pipe: libpcap reads them */
	if (size <= 60000 && pipe(p) == 0) {
		char dev[32];

		if (write(p[1], data, size) == (ssize_t)size) {
			close(p[1]);
			snprintf(dev, sizeof(dev), "/dev/fd/%d", p[0]);
			drain(dev);
		} else {
			close(p[1]);
		}
		close(p[0]);
	}
	return 0;
}
