/*
 * sig_ctx.h - what the engine (sig.c) lends each detection path: the
 * client table, the few settings the paths read, and the detection event
 * counters they count into.  Types only.
 *
 * The paths get their own narrow settings rather than struct sig_config
 * (sig.h), so that nothing below the engine depends on its header; the
 * engine copies them in sig_engine_new() and sig_engine_reconfigure().
 */
#ifndef SKYPROBE_SIG_CTX_H
#define SKYPROBE_SIG_CTX_H

#include <stdint.h>
#include "sig_client.h"
#include "values.h"

/* The settings read inside the paths (the switches of whole paths are the
 * engine's: it dispatches). */
struct sig_path_cfg {
	int      login;             /* L1 on 443/80 and relayed L3/L4 */
	uint16_t bootstrap_port;    /* counts bootstrap negative probes */
	struct addr_list skypeout_gateways;
	struct addr_list contact_servers;
};

/* Detection events; sig_get_counters() reports them (struct sig_counters
 * has the same fields, documented there). */
struct sig_events {
	uint64_t probes_positive;
	uint64_t probes_negative;
	uint64_t probes_bootstrap;
	uint64_t sn_refused;
	uint64_t sn_connected;
	uint64_t sn_changes;
	uint64_t restricted_443;
	uint64_t restricted_80;
	uint64_t logins;
	uint64_t logins_failed;
	uint64_t logins_relayed;
	uint64_t seqid_evidence;
};

struct sig_ctx {
	struct sig_clients clients;
	struct sig_path_cfg cfg;
	struct sig_events ev;
};

#endif
