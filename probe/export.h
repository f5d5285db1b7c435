/*
 * export.h - IPFIX export (libfixbuf): the only module that talks to it.
 *
 * One exporter feeds several collectors (TCP, UDP, file), each with its own
 * profile (full RFC 5103 + RFC 5610, or the nfdump subset).  A collector
 * that is down or slow never blocks the capture: TCP reconnects with
 * back-off and resends templates, records that could not be sent are
 * counted.  Element definitions come from templates/skyprobe.xml.
 */
#ifndef SKYPROBE_EXPORT_H
#define SKYPROBE_EXPORT_H

#include <stdint.h>
#include <stdio.h>
#include "config.h"
#include "flow_table.h"
#include "session.h"
#include "stats.h"

struct exporter;

/*
 * Create an exporter for every collector in cfg.  On error writes one line
 * to err and returns NULL.  Unreachable TCP collectors are not an error
 * here: they are retried.
 */
struct exporter *exporter_new(const struct skyprobe_config *cfg, FILE *err);

/* Replace the collectors (SIGHUP) without losing buffered records. */
int exporter_reconfigure(struct exporter *ex,
			 const struct skyprobe_config *cfg, FILE *err);

void exporter_flow(struct exporter *ex, const struct flow *f,
		   enum flow_end_reason reason);
void exporter_session(struct exporter *ex, const struct session_rec *s);
/* Options records: exporter statistics (RFC 7011 section 4). */
void exporter_stats(struct exporter *ex, const struct probe_stats *st);

/* Periodic work: template refresh for UDP, reconnects, rotation, flush.
 * now_s is wall-clock seconds. */
void exporter_tick(struct exporter *ex, uint64_t now_s);

/* Records that could not be sent, all collectors. */
uint64_t exporter_not_sent(const struct exporter *ex);

/* Flush and close every collector. */
void exporter_free(struct exporter *ex);

#endif
