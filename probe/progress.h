/*
 * progress.h - the progress line of an offline run: one line on standard
 * error, rewritten a few times a second (share of the file read, packets
 * per second, flows open, Skype sessions), cleared at the end.
 *
 * Owns only its timing; the caller says when to show it (standard error
 * a terminal and the input a file, or --progress; never with -q).
 */
#ifndef SKYPROBE_PROGRESS_H
#define SKYPROBE_PROGRESS_H

#include <stdint.h>
#include <stdio.h>

#define PROGRESS_INTERVAL_MS 250

struct progress {
	FILE    *out;
	uint64_t last_ms;        /* monotonic time of the last line */
	uint64_t last_packets;
	uint64_t shown;          /* lines written */
	int      dirty;          /* a line is on screen */
};

struct progress_state {
	int      have_share;     /* done and total are known */
	uint64_t done, total;    /* bytes of the file read, its size */
	uint64_t packets;        /* packets read so far */
	uint64_t flows_open;
	uint64_t sessions_open;
	uint64_t sessions_total;
};

/* The decision: 1 when a progress line is to be shown. */
int progress_wanted(int forced, int quiet, int input_is_file, int stderr_tty);

void progress_init(struct progress *p, FILE *out);
/* Rewrite the line when PROGRESS_INTERVAL_MS passed since the last one. */
void progress_update(struct progress *p, const struct progress_state *s);
/* The line as text (without \r), for tests and for progress_update. */
void progress_format(char *buf, size_t len, const struct progress_state *s,
		     double packets_per_s);
/* Erase the line, if one is shown. */
void progress_clear(struct progress *p);

#endif
