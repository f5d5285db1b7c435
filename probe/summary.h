/*
 * summary.h - the Skype summary of a run: one row per Skype session and
 * the totals, printed on standard error at the end and written as JSON
 * with --summary FILE.
 *
 * Fed the very flow and session records the exporter is given, so the
 * summary says what the collectors received.  Owns its rows: at most
 * SUMMARY_MAX_ROWS sessions are listed (a long-running probe would grow
 * without end otherwise); the totals count every record.
 */
#ifndef SKYPROBE_SUMMARY_H
#define SKYPROBE_SUMMARY_H

#include <stdint.h>
#include <stdio.h>

#include "flow_table.h"
#include "session.h"

#define SUMMARY_MAX_ROWS 65536u

struct summary;

struct summary *summary_new(void);
void summary_free(struct summary *sm);

/* One flow record (as exported), one session record. */
void summary_flow(struct summary *sm, const struct flow *f);
void summary_session(struct summary *sm, const struct session_rec *s);

/* Human-readable: a table of sessions, then the totals. */
void summary_print(const struct summary *sm, FILE *out);

/* The same as one JSON object; returns 0, or -1 when a write failed. */
int summary_write_json(const struct summary *sm, FILE *out);

/* Names of the identifiers (as in templates/README.md). */
const char *summary_role_name(unsigned role);
const char *summary_mode_name(unsigned mode);
const char *summary_version_name(unsigned version);
const char *summary_login_name(unsigned phase);
const char *summary_end_name(unsigned reason);

#endif
