/*
 * stats.c - the probe's counters: sums and the human-readable dump.
 */
#include "stats.h"

#include <inttypes.h>

uint64_t stats_ignored_packets(const struct probe_stats *st)
{
	uint64_t n = 0;

	for (int i = 1; i < DECODE_STATUS_MAX; i++)
		n += st->rejected[i];
	return n;
}

void stats_print(const struct probe_stats *st, FILE *out)
{
	fprintf(out, "packets read:        %" PRIu64 "\n", st->packets_read);
	fprintf(out, "octets read:         %" PRIu64 "\n", st->octets_read);
	fprintf(out, "packets decoded:     %" PRIu64 "\n", st->packets_decoded);
	for (int i = 1; i < DECODE_STATUS_MAX; i++)
		fprintf(out, "rejected %-12s %" PRIu64 "\n",
			decode_status_name((enum decode_status)i),
			st->rejected[i]);
	fprintf(out, "kernel dropped:      %" PRIu64 "\n", st->kernel_dropped);
	fprintf(out, "interface dropped:   %" PRIu64 "\n", st->iface_dropped);
	fprintf(out, "flows active:        %" PRIu64 "\n", st->flows_active);
	fprintf(out, "flows exported:      %" PRIu64 "\n", st->flows_exported);
	fprintf(out, "flows evicted:       %" PRIu64 "\n", st->flows_evicted);
	fprintf(out, "flow table bytes:    %" PRIu64 "\n", st->flow_table_bytes);
	fprintf(out, "records not sent:    %" PRIu64 "\n", st->records_not_sent);
	fprintf(out, "sessions exported:   %" PRIu64 "\n", st->sessions_exported);
	fprintf(out, "client limit hits:   %" PRIu64 "\n", st->clients_limit_hits);
	fprintf(out, "time outliers:       %" PRIu64 "\n", st->time_outliers);
	fprintf(out, "clock jumps:         %" PRIu64 "\n", st->clock_jumps);
	fprintf(out, "clients evicted:     %" PRIu64 "\n", st->clients_evicted);
	fprintf(out, "sessions evicted:    %" PRIu64 " (connected %" PRIu64
		")\n", st->sessions_evicted, st->sessions_evicted_connected);
}
