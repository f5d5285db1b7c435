/*
 * worker.h - metering threads: N meters (meter.h), each on its own
 * thread with its own flow table and signature engine, and no lock on the
 * per-packet path.
 *
 * Packets reach a worker by the site's inside host (fanout.h), so that a
 * Skype client's probes, super-node connection, login and later
 * connections all meet on one worker.  Live, each worker reads its own
 * socket of one fanout group.  A classic pcap file is read whole by every
 * worker, each through its own capture: a worker keeps its hosts'
 * packets and takes only the stamps of the others (nothing is handed
 * over between threads).  Other files (pcapng, standard input) have one
 * reader that decodes every packet once into batches all workers read,
 * each packet tagged with its worker (worker_pool_push).  Every worker
 * hands its completed records to the export thread through its own
 * queue (worker_pool_drain): export alone talks to libfixbuf.
 *
 * Owns the threads, the queues and the workers' meters.
 */
#ifndef SKYPROBE_WORKER_H
#define SKYPROBE_WORKER_H

#include <stdint.h>

#include "capture.h"
#include "config.h"
#include "fanout.h"
#include "meter.h"
#include "sig.h"

struct worker_pool;

/* What the workers counted, summed (worker_pool_counters). */
struct worker_totals {
	struct meter_counters packets;  /* live: what the workers read */
	uint64_t flows_active;
	uint64_t flow_table_bytes;
	uint64_t time_outliers;
	uint64_t clock_jumps;
	uint64_t kernel_dropped;        /* live: every worker's socket */
	uint64_t iface_dropped;
	uint64_t done, total;           /* file bytes read: the slowest */
	int have_share;                 /* done/total known */
	struct sig_counters sig;
	int have_sig;
};

/*
 * n workers.  caps: one open capture per worker, which it reads itself
 * (the pool closes them, also when it fails): live, the sockets of one
 * fanout group; else each a reader of the whole file.  NULL: the caller
 * reads and hands the packets out (worker_pool_push).  Returns NULL with
 * the reason logged.
 */
struct worker_pool *worker_pool_start(const struct skyprobe_config *cfg,
				      unsigned n, struct capture **caps,
				      int live, struct logger *log);

/*
 * File reader: give packet pv (decoded by the reader; caplen bytes
 * captured) to its worker, and its stamp to every worker.  Copies its
 * payload; may wait for a free batch, draining the records meanwhile to
 * sink (the caller exports).
 */
void worker_pool_push(struct worker_pool *p, const struct pkt_view *pv,
		      uint32_t caplen, const struct meter_sink *sink);

/* No more packets: the workers end every flow and session (as a single
 * meter would at the end of the capture) and stop.  Live: asks the
 * workers' loops to stop. */
void worker_pool_stop(struct worker_pool *p, const struct meter_sink *sink);

/* Hand up to max records of every queue to sink; returns how many. */
unsigned worker_pool_drain(struct worker_pool *p,
			   const struct meter_sink *sink, unsigned max);

/* Every worker stopped and its queue is empty. */
int worker_pool_done(const struct worker_pool *p);

/* A live worker's capture failed: its message (once), else NULL. */
const char *worker_pool_error(struct worker_pool *p);

/* What the workers published (at most a few ms old). */
void worker_pool_counters(struct worker_pool *p, struct worker_totals *t);

/* Apply a reloaded configuration in every worker, at its next batch. */
void worker_pool_reconfigure(struct worker_pool *p,
			     const struct skyprobe_config *cfg);

/* After worker_pool_done(): joins the threads and frees everything. */
void worker_pool_free(struct worker_pool *p);

#endif
