/*
 * fuzz_packet.c - libFuzzer target of the packet path: decode, flow table
 * (and its clock), signature, sessions and export, wired as main.c wires
 * them, with tiny tables so that the limits and evictions are reached.
 *
 * The input is a sequence of frames, each
 *   2 bytes  frame length L (big endian; cut to what is left)
 *   1 byte   link type selector (mod 8: Ethernet, Linux cooked, SLL2,
 *            BSD loopback (host and network order), raw IP (3 numbers))
 *   4 bytes  signed time step in milliseconds from the previous frame
 *            (big endian: +-24 days, so clock outliers and gaps occur)
 *   L bytes  the frame
 * Seeds: tests/fuzz/seeds.sh turns pcap files (the generator's traces,
 * ../shared/pcaps) into this format.
 *
 * Records go to a file collector on /dev/null, with the full profile.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "decode.h"
#include "export.h"
#include "flow_table.h"
#include "log.h"
#include "module_config.h"
#include "sig.h"
#include "stats.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static const int links[8] = {
	LINK_EN10MB, LINK_LINUX_SLL, LINK_LINUX_SLL2, LINK_NULL,
	LINK_LOOP, LINK_RAW, LINK_RAW_101, LINK_RAW_ALT,
};

struct pipe {
	struct skyprobe_config cfg;
	struct exporter *ex;
	struct flow_table *ft;
	struct sig_engine *sig;
	struct probe_stats st;
	struct logger log;
};

static struct pipe P;

static void on_flow_packet(void *ctx, struct flow *f,
			   const struct pkt_view *pv, int dir)
{
	struct pipe *p = ctx;

	sig_packet(p->sig, f, pv, dir);
}

static void on_flow_end(void *ctx, struct flow *f, enum flow_end_reason r)
{
	struct pipe *p = ctx;

	sig_flow_end(p->sig, f, r);
	exporter_flow(p->ex, f, r);
	p->st.flows_exported++;
}

static void on_session_end(void *ctx, const struct session_rec *s)
{
	struct pipe *p = ctx;

	exporter_session(p->ex, s);
	p->st.sessions_exported++;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct export_config ec;

	(void)argc;
	(void)argv;
	config_defaults(&P.cfg);
	snprintf(P.cfg.elements_file, sizeof(P.cfg.elements_file), "%s",
		 SKYPROBE_ELEMENTS_SOURCE);
	P.cfg.n_collectors = 1;
	P.cfg.collectors[0].kind = COLLECTOR_FILE;
	P.cfg.collectors[0].profile = PROFILE_FULL;
	snprintf(P.cfg.collectors[0].path, sizeof(P.cfg.collectors[0].path),
		 "/dev/null");
	P.cfg.max_flows = 8;
	P.cfg.max_clients = 4;
	P.cfg.max_sessions = 3;
	P.cfg.idle_timeout_s = 5;
	P.cfg.active_timeout_s = 20;
	P.cfg.client_expiry_s = 60;
	P.cfg.session_timeout_s = 30;
	export_config_from(&ec, &P.cfg);
	P.log.level = LOG_LVL_ERROR;
	P.log.dest = LOG_DEST_STDERR;
	P.ex = exporter_new(&ec, &P.log);
	if (!P.ex) {
		fprintf(stderr, "fuzz_packet: no exporter\n");
		abort();
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct flow_table_cfg fc;
	struct sig_config sc;
	uint64_t ts = 1153821600ull * 1000000u;
	uint64_t next_expire = 0;
	size_t off = 0;

	memset(&P.st, 0, sizeof(P.st));
	flow_table_cfg_from(&fc, &P.cfg);
	fc.vlan_in_key = 1;
	sig_config_from(&sc, &P.cfg);
	P.ft = flow_table_new(&fc, on_flow_end, on_flow_packet, &P);
	P.sig = sig_engine_new(&sc, on_session_end, &P);
	if (!P.ft || !P.sig)
		abort();
	while (size - off >= 7) {
		uint32_t len = (uint32_t)data[off] << 8 | data[off + 1];
		int link = links[data[off + 2] & 7];
		int32_t step = (int32_t)((uint32_t)data[off + 3] << 24 |
					 (uint32_t)data[off + 4] << 16 |
					 (uint32_t)data[off + 5] << 8 |
					 data[off + 6]);
		struct pkt_view pv;
		enum decode_status ds;
		uint64_t now;

		off += 7;
		if (len > size - off)
			len = (uint32_t)(size - off);
		ts += (uint64_t)((int64_t)step * 1000);
		/* the frame is copied, so that reads past it are caught */
		uint8_t *frame = malloc(len ? len : 1);

		if (!frame)
			abort();
		memcpy(frame, data + off, len);
		off += len;
		P.st.packets_read++;
		ds = decode_packet(link, frame, len, &pv);
		if (ds == DECODE_OK) {
			pv.ts_us = ts;
			P.st.packets_decoded++;
			flow_table_update(P.ft, &pv);
			now = flow_table_clock(P.ft);
			if (now >= next_expire) {
				sig_expire(P.sig, now);
				next_expire = now + 1000000u;
			}
		} else {
			P.st.rejected[ds]++;
		}
		free(frame);
	}
	flow_table_flush(P.ft, END_FORCED);
	sig_shutdown(P.sig, flow_table_clock(P.ft));
	P.st.flows_active = flow_table_active(P.ft);
	P.st.time_outliers = flow_table_time_outliers(P.ft);
	exporter_stats(P.ex, &P.st);
	exporter_tick(P.ex, ts / 1000000u);
	sig_engine_free(P.sig);
	flow_table_free(P.ft);
	P.sig = NULL;
	P.ft = NULL;
	return 0;
}
