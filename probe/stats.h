/*
 * stats.h - the probe's counters (metering and exporting process).
 *
 * Plain counters, owned by main and passed by pointer: printed at exit and
 * on SIGUSR1, and exported as an IPFIX options record.
 */
#ifndef SKYPROBE_STATS_H
#define SKYPROBE_STATS_H

#include <stdint.h>
#include <stdio.h>
#include "decode.h"

struct probe_stats {
	uint64_t packets_read;
	uint64_t octets_read;           /* wire lengths of packets read */
	uint64_t packets_decoded;
	uint64_t rejected[DECODE_STATUS_MAX]; /* by decode_status */
	uint64_t kernel_dropped;        /* pcap_stats ps_drop */
	uint64_t iface_dropped;         /* pcap_stats ps_ifdrop */
	uint64_t flows_active;
	uint64_t flows_exported;
	uint64_t flows_evicted;         /* lack of resources */
	uint64_t flow_table_bytes;      /* memory the flow table reserved */
	uint64_t records_not_sent;      /* export failures, all collectors */
	uint64_t sessions_exported;
	uint64_t clients_limit_hits;    /* signature: a client not tracked */
	uint64_t clients_evicted;       /* signature: evicted to make room */
	uint64_t sessions_evicted;      /* session table full */
	uint64_t sessions_evicted_connected; /* ... connected ones */
	uint64_t time_outliers;         /* packets stamped far off the clock */
	uint64_t clock_jumps;           /* capture time gaps believed */
	uint64_t first_ts_ms;           /* observation time window */
	uint64_t last_ts_ms;
};

/* Ignored packets: read but not metered (sum of rejected[]). */
uint64_t stats_ignored_packets(const struct probe_stats *st);

/* Human-readable dump, one "name: value" per line. */
void stats_print(const struct probe_stats *st, FILE *out);

#endif
