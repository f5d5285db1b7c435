/*
 * export.c - owns the fan-out: one exporter, its collectors and the
 * information model they share.  Each record is built once (ipfix_wire)
 * and appended to every collector whose profile carries it
 * (export_collector); reconfiguration keeps the collectors whose spec did
 * not change, with their connection and buffer.
 */
#include "export.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "export_collector.h"
#include "ipfix_wire.h"

struct exporter {
	struct ipfix_wire wire;         /* collectors point here */
	struct logger *log;
	uint64_t  now_s;
	uint64_t  not_sent_closed;      /* from collectors removed since */
	uint32_t  n;
	struct collector coll[EXPORT_MAX_COLLECTORS];
	/* Removed by a reload, still draining: struct collector_retire. */
	uint32_t  n_retiring;
	struct collector retiring[EXPORT_MAX_COLLECTORS];
};

#define START_CONNECT_MS 1000   /* a TCP connect may take this, at start */

static int check_cfg(const struct export_config *ec, struct logger *lg)
{
	if (ec->n_collectors > EXPORT_MAX_COLLECTORS) {
		log_error(lg, "export: at most %d collectors",
			  EXPORT_MAX_COLLECTORS);
		return -1;
	}
	if (ec->pen == 0 || ec->pen == 6871 || ec->pen == 29305) {
		log_error(lg, "export: enterprise number %u is reserved",
			  ec->pen);
		return -1;
	}
	return 0;
}

static int open_all(struct exporter *ex, const struct export_config *ec,
		    int append, int wait_ms)
{
	for (uint32_t i = 0; i < ec->n_collectors; i++) {
		if (collector_start(&ex->coll[i], &ec->collectors[i],
				    &ex->wire, ex->log, append,
				    ex->now_s, wait_ms) < 0) {
			for (uint32_t j = 0; j < i; j++)
				collector_close(&ex->coll[j]);
			ex->n = 0;
			return -1;
		}
		ex->n = i + 1;
	}
	return 0;
}

struct exporter *exporter_new(const struct export_config *ec,
			      struct logger *lg)
{
	struct exporter *ex;

	if (check_cfg(ec, lg) < 0)
		return NULL;
	ex = calloc(1, sizeof(*ex));
	if (!ex) {
		log_error(lg, "export: out of memory");
		return NULL;
	}
	ex->log = lg;
	ex->now_s = (uint64_t)time(NULL);
	if (ipfix_wire_init(&ex->wire, ec, lg) < 0) {
		free(ex);
		return NULL;
	}
	if (open_all(ex, ec, 0, START_CONNECT_MS) < 0) {
		ipfix_wire_free(&ex->wire);
		free(ex);
		return NULL;
	}
	return ex;
}

static void finish(struct exporter *ex, struct collector *c)
{
	collector_finish(c);
	ex->not_sent_closed += c->not_sent.records;
}

/* Closed now, or drained by exporter_tick without waiting.  A TCP
 * collector keeps its records in flight; nothing waits for them here. */
static void retire(struct exporter *ex, struct collector *c)
{
	collector_retire(c);
	if (!c->q || ex->n_retiring == EXPORT_MAX_COLLECTORS) {
		collector_close(c);
		ex->not_sent_closed += c->not_sent.records;
		return;
	}
	ex->retiring[ex->n_retiring++] = *c;
}

static void retire_tick(struct exporter *ex, uint64_t now_s)
{
	for (uint32_t i = 0; i < ex->n_retiring;) {
		struct collector *c = &ex->retiring[i];

		if (!collector_retire_tick(c, now_s)) {
			i++;
			continue;
		}
		ex->not_sent_closed += c->not_sent.records;
		ex->retiring[i] = ex->retiring[--ex->n_retiring];
	}
}

/* A new PEN, domain or element file: new model, every collector anew.
 * Files are closed before they are reopened, so failure leaves none. */
static int rebuild(struct exporter *ex, const struct export_config *ec)
{
	struct ipfix_wire next;

	if (ipfix_wire_init(&next, ec, ex->log) < 0)
		return -1;
	for (uint32_t i = 0; i < ex->n; i++)
		retire(ex, &ex->coll[i]);
	ex->n = 0;
	ipfix_wire_free(&ex->wire);
	ex->wire = next;
	return open_all(ex, ec, 1, 0);  /* files: keep data */
}

/*
 * Collectors with an unchanged spec keep their connection and buffer; new
 * ones are opened before removed ones are flushed and closed, so a failure
 * leaves the old set working.
 */
int exporter_reconfigure(struct exporter *ex, const struct export_config *ec)
{
	struct collector *next;
	int keep[EXPORT_MAX_COLLECTORS] = {0};
	int fresh[EXPORT_MAX_COLLECTORS] = {0};
	uint32_t i, j;

	if (check_cfg(ec, ex->log) < 0)
		return -1;
	if (!ipfix_wire_same(&ex->wire, ec))
		return rebuild(ex, ec);
	next = calloc(EXPORT_MAX_COLLECTORS, sizeof(*next));
	if (!next) {
		log_error(ex->log, "export: out of memory");
		return -1;
	}
	for (i = 0; i < ec->n_collectors; i++) {
		for (j = 0; j < ex->n; j++)
			if (!keep[j] && collector_same_cfg(&ex->coll[j].cfg,
							   &ec->collectors[i]))
				break;
		if (j < ex->n) {
			keep[j] = 1;
			next[i] = ex->coll[j];
			continue;
		}
		if (collector_start(&next[i], &ec->collectors[i], &ex->wire,
				    ex->log, 0, ex->now_s, 0) < 0) {
			for (j = 0; j < i; j++)
				if (fresh[j])
					collector_close(&next[j]);
			free(next);
			return -1;
		}
		fresh[i] = 1;
	}
	for (j = 0; j < ex->n; j++)
		if (!keep[j])
			retire(ex, &ex->coll[j]);
	memcpy(ex->coll, next, sizeof(ex->coll));
	ex->n = ec->n_collectors;
	free(next);
	return 0;
}

void exporter_flow(struct exporter *ex, const struct flow *f,
		   enum flow_end_reason reason)
{
	struct ipfix_rec r;
	struct tally t = {
		.records = 1, .flows = 1,
		.packets = (uint64_t)f->packets[0] + f->packets[1],
		.octets = f->octets[0] + f->octets[1],
	};

	ipfix_flow_rec(&ex->wire, f, reason, &r);
	for (uint32_t i = 0; i < ex->n; i++)
		collector_append(&ex->coll[i], &r, &t);
}

void exporter_session(struct exporter *ex, const struct session_rec *s)
{
	static const struct tally t = { .records = 1 };
	struct ipfix_rec r;

	ipfix_session_rec(s, &r);
	for (uint32_t i = 0; i < ex->n; i++)
		collector_append(&ex->coll[i], &r, &t);
}

void exporter_stats(struct exporter *ex, const struct probe_stats *st)
{
	static const struct tally t = { .records = 1 };
	struct ipfix_rec r;

	ipfix_stats_rec(&ex->wire, st, &r);
	for (uint32_t i = 0; i < ex->n; i++) {
		struct collector *c = &ex->coll[i];

		/* This collector's own losses (RFC 7011 section 4.2). */
		ipfix_stats_rec_losses(&r, c->not_sent.flows,
				       c->not_sent.packets, c->not_sent.octets,
				       collector_exported_flows(c));
		collector_append(c, &r, &t);
	}
}

void exporter_tick(struct exporter *ex, uint64_t now_s)
{
	ex->now_s = now_s;
	for (uint32_t i = 0; i < ex->n; i++)
		collector_tick(&ex->coll[i], now_s);
	retire_tick(ex, now_s);
}

uint64_t exporter_not_sent(const struct exporter *ex)
{
	uint64_t n = ex->not_sent_closed;

	for (uint32_t i = 0; i < ex->n; i++)
		n += ex->coll[i].not_sent.records;
	for (uint32_t i = 0; i < ex->n_retiring; i++)
		n += ex->retiring[i].not_sent.records;
	return n;
}

void exporter_finish(struct exporter *ex)
{
	for (uint32_t i = 0; i < ex->n_retiring; i++)
		finish(ex, &ex->retiring[i]);
	ex->n_retiring = 0;
	for (uint32_t i = 0; i < ex->n; i++)
		finish(ex, &ex->coll[i]);
	ex->n = 0;
}

void exporter_free(struct exporter *ex)
{
	if (!ex)
		return;
	exporter_finish(ex);
	ipfix_wire_free(&ex->wire);
	free(ex);
}
