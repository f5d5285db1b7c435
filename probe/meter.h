/*
 * meter.h - the per-packet path of one metering thread: decode -> flow
 * table -> signature.
 *
 * Owns one flow table, one signature engine and the counters of the
 * packets it decodes.  What it completes (flow records, session records)
 * goes to its owner's sink: the exporter itself when the probe runs one
 * thread, a worker's queue to the export thread otherwise (worker.h).
 * A meter without tables (meter_init_decoder) only decodes and counts:
 * the file reader that hands packets to workers.
 */
#ifndef SKYPROBE_METER_H
#define SKYPROBE_METER_H

#include <stdint.h>

#include "capture.h"
#include "config.h"
#include "decode.h"
#include "fanout.h"
#include "flow_table.h"
#include "log.h"
#include "session.h"
#include "sig.h"

struct meter_sink {
	void (*flow)(void *ctx, const struct flow *f, enum flow_end_reason r);
	void (*session)(void *ctx, const struct session_rec *s);
	void *ctx;
};

/* Counters of the packets a meter decoded (summed over meters). */
struct meter_counters {
	uint64_t packets_read;
	uint64_t octets_read;          /* wire lengths */
	uint64_t packets_decoded;
	uint64_t rejected[DECODE_STATUS_MAX];
	uint64_t first_ts_ms;          /* observation window, 0 = none */
	uint64_t last_ts_ms;
};

struct meter {
	struct flow_table *ft;         /* NULL: a decoder only */
	struct sig_engine *sig;        /* NULL: signature off at start */
	int sig_on;
	struct meter_sink sink;
	struct logger *log;
	struct meter_counters c;
	uint8_t link_warned[512 / 8];  /* link types already warned about */
};

/*
 * Packets are handled in batches: all are decoded, then the flow table is
 * asked to prefetch each one's bucket, then each bucket's first entry, and
 * only then is each packet accounted, in order.  The table's cache misses
 * (the table is far larger than the cache) thus overlap instead of
 * following one another.
 */
#define METER_BATCH 32   /* measured: 16 and 8 overlap fewer misses */

struct meter_batch {
	struct capture_pkt pkt[METER_BATCH];
	struct pkt_view pv[METER_BATCH];
	uint32_t bucket[METER_BATCH];
};

/*
 * Meter `index` of `n`: the flow table, client and session tables get
 * 1/n of the configured capacity each, and session ids index + 1,
 * index + 1 + n, ... so that they are unique across meters.  Returns 0,
 * or -1 with the reason logged.
 */
int meter_init(struct meter *m, const struct skyprobe_config *cfg,
	       unsigned index, unsigned n, const struct meter_sink *sink,
	       struct logger *log);
void meter_init_decoder(struct meter *m, struct logger *log);
void meter_free(struct meter *m);

/* Decode one packet into *pv and count it; 1 when it is to be metered. */
int meter_decode(struct meter *m, const struct capture_pkt *pk,
		 struct pkt_view *pv);

/* Decode and account n packets of b. */
void meter_batch(struct meter *m, struct meter_batch *b, unsigned n);

/*
 * A file worker that reads the whole file itself: of the n packets of b,
 * it decodes all, keys each by the site's inside host (fanout_hash) and
 * accounts and counts those of worker `self` of nw; the other decoded
 * ones only move its clock (flow_table_observe).  A packet that is not
 * decoded is worker 0's to count.
 */
void meter_batch_share(struct meter *m, struct meter_batch *b, unsigned n,
		       const struct fanout_site *site, unsigned self,
		       unsigned nw);

/*
 * A file worker's turn at a batch the reader decoded for all workers:
 * pv[k] (stamped ts[k]) belongs to worker owner[k].  This meter accounts
 * its own; the others only move its clock (flow_table_observe), so that
 * every worker's clock is the one a single meter's would be.
 */
void meter_account_shared(struct meter *m, const struct pkt_view *pv,
			  const uint64_t *ts, const uint8_t *owner,
			  unsigned n, unsigned self);

/* Time passes without a packet of this meter (the wall clock of a quiet
 * link): flows and clients expire.  A now_us behind the meter's clock
 * is taken as the clock. */
void meter_tick(struct meter *m, uint64_t now_us);

/* The flow table's clock: the capture time the meter has reached. */
uint64_t meter_clock(const struct meter *m);

/* End of capture: every open flow ends (forced), then every session. */
void meter_finish(struct meter *m);

/* Timeouts, signature switches and lists of a reloaded configuration. */
void meter_reconfigure(struct meter *m, const struct skyprobe_config *cfg);

void meter_counters_add(struct meter_counters *sum,
			const struct meter_counters *c);

#endif
