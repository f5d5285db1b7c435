/*
 * meter.c - decode -> flow table -> signature, for one metering thread.
 * See meter.h.
 */
#include "meter.h"

#include <inttypes.h>
#include <string.h>

#include <pcap/pcap.h>

#include "fanout.h"
#include "module_config.h"

static void on_flow_packet(void *ctx, struct flow *f,
			   const struct pkt_view *pv, int dir)
{
	struct meter *m = ctx;

	if (m->sig_on)
		sig_packet(m->sig, f, pv, dir);
}

/* Step 11 and friends run before the record leaves the table. */
static void on_flow_end(void *ctx, struct flow *f, enum flow_end_reason r)
{
	struct meter *m = ctx;

	if (m->sig)
		sig_flow_end(m->sig, f, r);
	m->sink.flow(m->sink.ctx, f, r);
}

static void on_session_end(void *ctx, const struct session_rec *s)
{
	struct meter *m = ctx;

	m->sink.session(m->sink.ctx, s);
}

static uint32_t share(uint32_t total, unsigned n)
{
	return (uint32_t)(((uint64_t)total + n - 1) / n);
}

int meter_init(struct meter *m, const struct skyprobe_config *cfg,
	       unsigned index, unsigned n, const struct meter_sink *sink,
	       struct logger *log)
{
	struct flow_table_cfg fc;

	meter_init_decoder(m, log);
	m->sink = *sink;
	flow_table_cfg_from(&fc, cfg);
	fc.max_flows = share(fc.max_flows, n);
	m->ft = flow_table_new(&fc, on_flow_end, on_flow_packet, m);
	if (!m->ft) {
		log_error(log, "cannot allocate a flow table of %u flows",
			  fc.max_flows);
		return -1;
	}
	if (cfg->sig_enabled) {
		struct sig_config sc;

		sig_config_from(&sc, cfg);
		sc.max_clients = share(sc.max_clients, n);
		sc.max_sessions = share(sc.max_sessions, n);
		sc.session_id_first = index + 1;
		sc.session_id_step = n;
		m->sig = sig_engine_new(&sc, on_session_end, m);
		if (!m->sig) {
			log_error(log, "cannot allocate the signature tables");
			return -1;
		}
		m->sig_on = 1;
	}
	return 0;
}

void meter_init_decoder(struct meter *m, struct logger *log)
{
	memset(m, 0, sizeof(*m));
	m->log = log;
}

void meter_free(struct meter *m)
{
	sig_engine_free(m->sig);
	flow_table_free(m->ft);
	m->sig = NULL;
	m->ft = NULL;
}

/*
 * A packet of a link type that is not decoded (a pcapng interface, or
 * what a PPI header carries) is counted not-ip; the first of each type
 * says so once.
 */
static void warn_link(struct meter *m, const struct capture_pkt *pk)
{
	int lt = decode_inner_linktype(pk->linktype, pk->data, pk->caplen);
	const char *name;

	if (lt < 0 || decode_linktype_supported(lt) ||
	    (lt < 512 && (m->link_warned[lt / 8] & (1u << (lt % 8)))))
		return;
	if (lt < 512)
		m->link_warned[lt / 8] |= (uint8_t)(1u << (lt % 8));
	name = pcap_datalink_val_to_name(lt);
	log_warn(m->log, "packet %" PRIu64 ": link type %d (%s)%s is not "
		 "decoded: its packets are counted not-ip", m->c.packets_read,
		 lt, name ? name : "unknown", lt != pk->linktype ?
		 ", carried in PPI," : "");
}

/* Count a packet this meter owns, decoded or not (ds says). */
static void count_packet(struct meter *m, const struct capture_pkt *pk,
			 enum decode_status ds)
{
	m->c.packets_read++;
	m->c.octets_read += pk->wirelen;
	if (ds != DECODE_OK) {
		m->c.rejected[ds]++;
		if (ds == DECODE_NOT_IP)
			warn_link(m, pk);
		return;
	}
	m->c.packets_decoded++;
	if (!m->c.first_ts_ms)
		m->c.first_ts_ms = pk->ts_us / 1000;
	m->c.last_ts_ms = pk->ts_us / 1000;
}

int meter_decode(struct meter *m, const struct capture_pkt *pk,
		 struct pkt_view *pv)
{
	enum decode_status ds;

	ds = decode_packet(pk->linktype, pk->data, pk->caplen, pv);
	pv->ts_us = pk->ts_us;
	count_packet(m, pk, ds);
	return ds == DECODE_OK;
}

static void account_one(struct meter *m, const struct pkt_view *pv,
			uint32_t bucket)
{
	flow_table_update_bucket(m->ft, pv, bucket);
	/* Not the packet's own time: one stamped far off would stall or
	 * rush the signature's expiry (flow_table.c, "Time"). */
	if (m->sig)
		sig_expire(m->sig, flow_table_clock(m->ft)); /* throttled */
}

/*
 * The batch's cache misses overlap: the buckets of the n packets
 * pv[idx[0..n)] are asked for, then each bucket's first entry, before
 * the caller accounts any of them.
 */
static void prefetch_views(struct meter *m, const struct pkt_view *pv,
			   const uint8_t *idx, unsigned n, uint32_t *bucket)
{
	unsigned j;

	for (j = 0; j < n; j++)
		bucket[j] = flow_table_prefetch_bucket(m->ft, &pv[idx[j]]);
	for (j = 0; j < n; j++)
		flow_table_prefetch_flow(m->ft, bucket[j]);
}

void meter_batch(struct meter *m, struct meter_batch *b, unsigned n)
{
	uint8_t idx[METER_BATCH] = { 0 };   /* gcc cannot tell j bounds it */
	unsigned k, j = 0;

	for (k = 0; k < n; k++)
		if (meter_decode(m, &b->pkt[k], &b->pv[k]))
			idx[j++] = (uint8_t)k;
	n = j;
	prefetch_views(m, b->pv, idx, n, b->bucket);
	for (j = 0; j < n; j++)
		account_one(m, &b->pv[idx[j]], b->bucket[j]);
}

static void observe(struct meter *m, uint64_t ts_us)
{
	flow_table_observe(m->ft, ts_us);
	if (m->sig)
		sig_expire(m->sig, flow_table_clock(m->ft)); /* throttled */
}

void meter_batch_share(struct meter *m, struct meter_batch *b, unsigned n,
		       const struct fanout_site *site, unsigned self,
		       unsigned nw)
{
	uint8_t idx[METER_BATCH] = { 0 }, mine[METER_BATCH];
	uint8_t seen[METER_BATCH];
	unsigned k, j = 0;

	for (k = 0; k < n; k++) {
		const struct capture_pkt *pk = &b->pkt[k];
		enum decode_status ds = decode_packet(pk->linktype, pk->data,
						      pk->caplen, &b->pv[k]);
		unsigned owner = 0;    /* what is not decoded: worker 0's */

		b->pv[k].ts_us = pk->ts_us;
		seen[k] = ds == DECODE_OK;
		if (seen[k])
			owner = fanout_hash(site, &b->pv[k]) % nw;
		mine[k] = owner == self;
		if (mine[k])
			count_packet(m, pk, ds);
		if (mine[k] && seen[k])
			idx[j++] = (uint8_t)k;
	}
	prefetch_views(m, b->pv, idx, j, b->bucket);
	for (k = j = 0; k < n; k++) {
		if (!seen[k])
			continue;
		if (mine[k])
			account_one(m, &b->pv[k], b->bucket[j++]);
		else
			observe(m, b->pv[k].ts_us);
	}
}

void meter_account_shared(struct meter *m, const struct pkt_view *pv,
			  const uint64_t *ts, const uint8_t *owner,
			  unsigned n, unsigned self)
{
	uint32_t bucket[METER_BATCH];
	uint8_t idx[METER_BATCH];
	unsigned i, k, j, len, mine;

	for (i = 0; i < n; i += len) {
		len = n - i < METER_BATCH ? n - i : METER_BATCH;
		for (k = mine = 0; k < len; k++)
			if (owner[i + k] == self)
				idx[mine++] = (uint8_t)k;
		prefetch_views(m, pv + i, idx, mine, bucket);
		for (k = j = 0; k < len; k++) {
			if (owner[i + k] == self)
				account_one(m, &pv[i + k], bucket[j++]);
			else
				observe(m, ts[i + k]);
		}
	}
}

void meter_tick(struct meter *m, uint64_t now_us)
{
	/* The wall clock may lag the capture's stamps: never go back. */
	if (now_us < flow_table_clock(m->ft))
		now_us = flow_table_clock(m->ft);
	flow_table_expire(m->ft, now_us);
	if (m->sig)
		sig_expire(m->sig, flow_table_clock(m->ft));
}

uint64_t meter_clock(const struct meter *m)
{
	return m->ft ? flow_table_clock(m->ft) : 0;
}

void meter_finish(struct meter *m)
{
	if (!m->ft)
		return;
	flow_table_flush(m->ft, END_FORCED);
	if (m->sig)
		sig_shutdown(m->sig, flow_table_clock(m->ft));
}

void meter_reconfigure(struct meter *m, const struct skyprobe_config *cfg)
{
	flow_table_set_timeouts(m->ft, (uint64_t)cfg->idle_timeout_s * 1000000u,
				(uint64_t)cfg->active_timeout_s * 1000000u);
	if (m->sig) {
		struct sig_config sc;

		sig_config_from(&sc, cfg);
		sig_engine_reconfigure(m->sig, &sc);
	}
	m->sig_on = m->sig && cfg->sig_enabled;
}

void meter_counters_add(struct meter_counters *sum,
			const struct meter_counters *c)
{
	sum->packets_read += c->packets_read;
	sum->octets_read += c->octets_read;
	sum->packets_decoded += c->packets_decoded;
	for (int i = 0; i < DECODE_STATUS_MAX; i++)
		sum->rejected[i] += c->rejected[i];
	if (c->first_ts_ms && (!sum->first_ts_ms ||
			       c->first_ts_ms < sum->first_ts_ms))
		sum->first_ts_ms = c->first_ts_ms;
	if (c->last_ts_ms > sum->last_ts_ms)
		sum->last_ts_ms = c->last_ts_ms;
}
