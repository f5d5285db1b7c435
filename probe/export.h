/*
 * export.h - IPFIX export (libfixbuf): the fan-out of flow, session and
 * statistics records to every collector, and the export layer's value
 * types (collector specs, struct export_config), which config.h stores.
 *
 * One exporter feeds several collectors (TCP, UDP, file), each with its own
 * profile (full RFC 5103 + RFC 5610, or the nfdump subset).  A collector
 * that is down or slow never blocks the capture: TCP messages wait in a
 * bounded queue and are sent without blocking, TCP reconnects with
 * back-off and resends templates, records that could not be sent (or
 * that the collector's TCP stack never acknowledged) are counted.  Files
 * always end at a whole message.  Element definitions come from
 * templates/skyprobe.xml.
 *
 * What goes on the wire is ipfix_wire.h's, where it goes
 * export_collector.h's; this header includes neither, nor config.h.
 */
#ifndef SKYPROBE_EXPORT_H
#define SKYPROBE_EXPORT_H

#include <stdint.h>
#include "flow_table.h"
#include "log.h"
#include "session.h"
#include "stats.h"

#define EXPORT_MAX_COLLECTORS 16
#define EXPORT_STR            256

enum collector_kind { COLLECTOR_TCP, COLLECTOR_UDP, COLLECTOR_FILE };
enum export_profile { PROFILE_FULL, PROFILE_NFDUMP };

struct collector_cfg {
	enum collector_kind kind;
	enum export_profile profile;
	char     host[EXPORT_STR];      /* TCP/UDP */
	char     port[16];
	char     path[EXPORT_STR];      /* file; "-" is standard output */
	uint32_t template_refresh_s;    /* UDP template resend interval */
	uint32_t rotate_s;              /* file rotation by time, 0 = off */
	uint64_t rotate_bytes;          /* file rotation by size, 0 = off */
	int      session_opid;          /* nfdump profile: the session id in
					 * observationPointId (default 1) */
};

/* What the exporter is told; main builds it from the configuration. */
struct export_config {
	uint32_t n_collectors;
	struct collector_cfg collectors[EXPORT_MAX_COLLECTORS];
	uint32_t pen;                   /* Private Enterprise Number */
	uint32_t observation_domain;
	char     elements_file[EXPORT_STR]; /* "" = installed, else source */
};

struct exporter;

/*
 * Create an exporter for every collector in ec; it logs through lg (kept,
 * may be NULL for stderr).  On error logs why and returns NULL.
 * Unreachable TCP collectors are not an error here: they are retried.
 */
struct exporter *exporter_new(const struct export_config *ec,
			      struct logger *lg);

/* Replace the collectors (SIGHUP) without losing buffered records. */
int exporter_reconfigure(struct exporter *ex, const struct export_config *ec);

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

/*
 * Flush and close every collector; records still unacknowledged are
 * counted in exporter_not_sent().  TCP collectors get a bounded wait here
 * (1 s without progress, 10 s in all, none for one that was not reading),
 * so only at exit.  exporter_free() does it when it was not done.
 */
void exporter_finish(struct exporter *ex);

/* Finish (if not done) and free. */
void exporter_free(struct exporter *ex);

#endif
