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
#include "ipfix_wire.h"
#include "log.h"

/* Records counted together: what one append or one message carries. */
struct tally {
	uint64_t records;
	uint64_t flows;
	uint64_t packets;
	uint64_t octets;
};

enum coll_state { COLL_DOWN, COLL_CONNECTING, COLL_UP };

/*
 * A value, so that the exporter keeps an array of them and a collector
 * survives a reconfiguration by being copied; its fields are this
 * module's, the exporter reads cfg and not_sent only.
 */
struct collector {
	struct collector_cfg cfg;
	const struct ipfix_wire *wire;  /* templates, metadata */
	struct logger *log;
	enum coll_state state;
	fBuf_t   *fbuf;                 /* owns fbSession and fbExporter */
	FILE     *fp;                   /* TCP stream or file we opened */
	int       fp_owned;             /* not stdout */
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
};

/*
 * Set up c and open it for the first time.  A file that cannot be
 * written is an error (logged, -1, nothing left open); an unreachable
 * network collector is not: it is retried.  append: files keep what they
 * hold (a rebuild), instead of being truncated.
 */
int collector_start(struct collector *c, const struct collector_cfg *cc,
		    const struct ipfix_wire *w, struct logger *lg, int append,
		    uint64_t now_s);

/* Append r with the template of c's profile; counted as not sent when c
 * is down.  Records the profile does not carry are skipped. */
void collector_append(struct collector *c, const struct ipfix_rec *r,
		      const struct tally *t);

/* Reconnects, template refresh, flush, rotation. */
void collector_tick(struct collector *c, uint64_t now_s);

/* Flows in records emitted or waiting in the buffer. */
uint64_t collector_exported_flows(const struct collector *c);

/* Flush and close (collector_finish), or close losing the buffer. */
void collector_finish(struct collector *c);
void collector_close(struct collector *c);

/* Same spec: a reconfiguration keeps the collector as it is. */
int collector_same_cfg(const struct collector_cfg *a,
		       const struct collector_cfg *b);

#endif
