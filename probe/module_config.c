/*
 * module_config.c - cuts each module's own configuration out of the
 * site's struct skyprobe_config, so that no module below main reads the
 * whole of it.  Shared by main, the unit tests and the fuzz targets, so
 * that they build the modules exactly as the probe does.
 */
#include "module_config.h"

#include <stdio.h>
#include <string.h>

/* What the signature engine reads of the configuration. */
void sig_config_from(struct sig_config *sc,
			    const struct skyprobe_config *cfg)
{
	_Static_assert(SIG_MAX_PREFIXES >= CFG_MAX_PREFIXES,
		       "sig_config must hold every internal prefix");
	memset(sc, 0, sizeof(*sc));
	sc->enabled = cfg->sig_enabled;
	sc->udp_probe = cfg->sig_udp_probe;
	sc->tcp_handshake = cfg->sig_tcp_handshake;
	sc->restricted_443 = cfg->sig_restricted_443;
	sc->restricted_80 = cfg->sig_restricted_80;
	sc->login = cfg->sig_login;
	sc->seqid = cfg->sig_seqid;
	sc->n_internal = cfg->n_internal;
	memcpy(sc->internal, cfg->internal,
	       cfg->n_internal * sizeof(cfg->internal[0]));
	sc->login_servers = cfg->login_servers;
	sc->skypeout_gateways = cfg->skypeout_gateways;
	sc->contact_servers = cfg->contact_servers;
	sc->bootstrap_port = cfg->bootstrap_port;
	sc->max_clients = cfg->max_clients;
	sc->max_sessions = cfg->max_sessions;
	sc->client_expiry_s = cfg->client_expiry_s;
	sc->session_timeout_s = cfg->session_timeout_s;
}

/* The export layer's part of the configuration. */
void export_config_from(struct export_config *ec,
			       const struct skyprobe_config *cfg)
{
	_Static_assert(sizeof(ec->collectors) == sizeof(cfg->collectors),
		       "collector arrays");
	memset(ec, 0, sizeof(*ec));
	ec->n_collectors = cfg->n_collectors;
	memcpy(ec->collectors, cfg->collectors, sizeof(ec->collectors));
	ec->pen = cfg->pen;
	ec->observation_domain = cfg->observation_domain;
	snprintf(ec->elements_file, sizeof(ec->elements_file), "%s",
		 cfg->elements_file);
}

void flow_table_cfg_from(struct flow_table_cfg *fc,
			 const struct skyprobe_config *cfg)
{
	memset(fc, 0, sizeof(*fc));
	fc->max_flows = cfg->max_flows;
	fc->idle_us = (uint64_t)cfg->idle_timeout_s * 1000000u;
	fc->active_us = (uint64_t)cfg->active_timeout_s * 1000000u;
	fc->vlan_in_key = cfg->vlan_in_key;
	fc->prefault = cfg->interface[0] != 0;
}
