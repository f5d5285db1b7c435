/*
 * progress.c - the progress line of an offline run.
 *
 * "\r" returns to the start of the line and "\033[K" erases what a longer
 * line before left; the final clear leaves the cursor at the start of an
 * empty line, so the statistics and summary print as if nothing had been
 * there.
 */
#include "progress.h"

#include <inttypes.h>
#include <string.h>
#include <time.h>

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

int progress_wanted(int forced, int quiet, int input_is_file, int stderr_tty)
{
	if (quiet)
		return 0;
	if (forced)
		return 1;
	return input_is_file && stderr_tty;
}

void progress_init(struct progress *p, FILE *out)
{
	memset(p, 0, sizeof(*p));
	p->out = out;
	p->last_ms = mono_ms();
}

void progress_format(char *buf, size_t len, const struct progress_state *s,
		     double packets_per_s)
{
	char share[32];

	if (s->have_share && s->total)
		snprintf(share, sizeof(share), "%5.1f%%",
			 100.0 * (double)s->done / (double)s->total);
	else    /* a pipe: its size is unknown */
		snprintf(share, sizeof(share), "%" PRIu64 " packets",
			 s->packets);
	snprintf(buf, len, "skyprobe: %s read, %.0f packets/s, %" PRIu64
		 " flows open, %" PRIu64 " Skype sessions (%" PRIu64 " in all)",
		 share, packets_per_s, s->flows_open, s->sessions_open,
		 s->sessions_total);
}

void progress_update(struct progress *p, const struct progress_state *s)
{
	uint64_t now = mono_ms(), dt = now - p->last_ms;
	char line[256];

	if (dt < PROGRESS_INTERVAL_MS)
		return;
	progress_format(line, sizeof(line), s,
			(double)(s->packets - p->last_packets) * 1000.0 /
			(double)dt);
	fprintf(p->out, "\r%s\033[K", line);
	fflush(p->out);
	p->last_ms = now;
	p->last_packets = s->packets;
	p->shown++;
	p->dirty = 1;
}

void progress_clear(struct progress *p)
{
	if (!p->dirty)
		return;
	fputs("\r\033[K", p->out);
	fflush(p->out);
	p->dirty = 0;
}
