/*
 * export_collector.h - owns where records go: one collector's connection
 * (TCP, UDP or a file), its libfixbuf session and buffer, reconnecting
 * with back-off, file rotation, template refresh, and the count of the
 * records it could not send.  What the records and templates are is
 * ipfix_wire's.
 */
#ifndef SKYPROBE_EXPORT_COLLECTOR_H
#define SKYPROBE_EXPORT_COLLECTOR_H

#include <stdint.h>
#include <stdio.h>

#include <fixbuf/public.h>

#include "export.h"
#include "export_queue.h"
#include "ipfix_wire.h"
#include "log.h"

enum coll_state { COLL_DOWN, COLL_RESOLVING, COLL_CONNECTING, COLL_UP };

/*
 * A value, so that the exporter keeps an array of them and a collector
 * survives a reconfiguration by being copied; its fields are this
 * module's, the exporter reads cfg, not_sent and q (whether a retired
 * collector still drains) only.
 */
struct resolve;

struct collector {
	struct collector_cfg cfg;
	const struct ipfix_wire *wire;  /* templates, metadata */
	struct logger *log;
	enum coll_state state;
	fBuf_t   *fbuf;                 /* owns fbSession and fbExporter */
	FILE     *fp;                   /* what libfixbuf writes to */
	struct xq *q;                   /* TCP and files: owns fp */
	struct resolve *res;            /* COLL_RESOLVING: a name looked up
					   in the background (heap: the
					   resolver writes to it) */
	int       connect_fd;           /* COLL_CONNECTING */
	int       opened_once;          /* files: truncate the first time only */
	int       dirty;                /* something appended since emit */
	int       quiet;                /* first open: the caller reports */
	uint64_t  now_s;                /* wall clock as of the last tick */
	uint64_t  connect_start_s;
	uint64_t  retry_at_s;
	uint32_t  backoff_s;
	uint64_t  opened_s;             /* file rotation by time */
	uint64_t  last_refresh_s;
	char      why[128];             /* last failure, for messages */
	struct tally pending;           /* in the buffer, not yet emitted */
	struct tally not_sent;
	uint64_t  flows_sent;
	uint64_t  reported;             /* not_sent.records last logged */
	uint64_t  next_report_s;
};

/*
 * Set up c and open it for the first time.  A file that cannot be
 * written is an error (logged, -1, nothing left open); an unreachable
 * network collector is not: it is retried.  append: files keep what they
 * hold (a rebuild), instead of being truncated.  wait_ms: how long a TCP
 * connect may take here (at start only; 0 on a reload).
 */
int collector_start(struct collector *c, const struct collector_cfg *cc,
		    const struct ipfix_wire *w, struct logger *lg, int append,
		    uint64_t now_s, int wait_ms);

/* Append r with the template of c's profile; counted as not sent when c
 * is down.  Records the profile does not carry are skipped. */
void collector_append(struct collector *c, const struct ipfix_rec *r,
		      const struct tally *t);

/* Reconnects, template refresh, flush, rotation. */
void collector_tick(struct collector *c, uint64_t now_s);

/* Flows in records emitted or waiting in the buffer. */
uint64_t collector_exported_flows(const struct collector *c);

/*
 * Flush and close (collector_finish: at exit, a TCP collector's queue gets
 * a bounded wait to drain), or close losing the buffer.  What was not
 * acknowledged is counted in not_sent either way.
 */
void collector_finish(struct collector *c);
void collector_close(struct collector *c);

/*
 * A collector removed by a reload: flushed, then drained by
 * collector_retire_tick without waiting; 1 once it is closed (drained,
 * or given up after RETIRE_S without progress).
 */
void collector_retire(struct collector *c);
int collector_retire_tick(struct collector *c, uint64_t now_s);

/* Same spec: a reconfiguration keeps the collector as it is. */
int collector_same_cfg(const struct collector_cfg *a,
		       const struct collector_cfg *b);

#endif
