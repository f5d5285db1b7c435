/*
 * config.h - the probe's configuration: defaults, the per-site YAML file
 * (libyaml) and its validation.
 *
 * One struct skyprobe_config holds every setting.  config_defaults() fills
 * it, config_load_file() merges a YAML file into it, the command line
 * (main.c) overrides both.  Every problem is reported as
 * "FILE:LINE:COLUMN: what is wrong, what was expected".
 */
#ifndef SKYPROBE_CONFIG_H
#define SKYPROBE_CONFIG_H

#include <stdint.h>
#include <stdio.h>
#include "export.h"               /* collector specs */
#include "log.h"                  /* level, destination */
#include "values.h"

#define CFG_MAX_COLLECTORS EXPORT_MAX_COLLECTORS
#define CFG_MAX_PREFIXES   64
#define CFG_MAX_SERVERS    VALUES_MAX_ADDRS
#define CFG_MAX_WORKERS 64
#define CFG_STR            256

struct skyprobe_config {
	/* site */
	char     site_name[CFG_STR];
	uint32_t observation_domain;
	uint32_t n_internal;
	struct prefix internal[CFG_MAX_PREFIXES];

	/* capture */
	char     interface[CFG_STR];    /* live interface, or "" */
	char     read_file[CFG_STR];    /* capture file, "-" stdin, or "" */
	char     bpf_filter[1024];
	uint32_t snaplen;
	int      promiscuous;
	uint64_t buffer_size;           /* kernel buffer, bytes; 0 = default */
	char     user[CFG_STR];         /* drop privileges to */
	uint32_t workers;               /* metering threads, 1 = none */
	int      live_reader;           /* enum live_reader */

	/* flows */
	uint32_t idle_timeout_s;
	uint32_t active_timeout_s;
	uint32_t max_flows;
	int      vlan_in_key;

	/* export */
	uint32_t n_collectors;
	struct collector_cfg collectors[CFG_MAX_COLLECTORS];
	uint32_t pen;                   /* Private Enterprise Number */
	uint32_t stats_interval_s;      /* options record interval, 0 = at exit */
	char     elements_file[CFG_STR];/* templates/skyprobe.xml */

	/* signature */
	int      sig_enabled;           /* master switch */
	int      sig_udp_probe;
	int      sig_tcp_handshake;
	int      sig_restricted_443;
	int      sig_restricted_80;
	int      sig_login;
	int      sig_seqid;             /* section 5.1 evidence */
	struct addr_list login_servers;
	struct addr_list skypeout_gateways;
	struct addr_list contact_servers;
	uint16_t bootstrap_port;        /* 33033 */
	uint32_t max_clients;
	uint32_t client_expiry_s;
	uint32_t max_sessions;
	uint32_t session_timeout_s;

	/* logging */
	enum log_level log_level;
	enum log_dest  log_dest;
	char     log_socket[LOG_SOCKET_MAX]; /* syslog datagrams go here */
};

/* Fill with the built-in defaults (paper's server addresses included). */
void config_defaults(struct skyprobe_config *cfg);

/*
 * Merge the YAML file at path into *cfg.  Every problem found is written
 * to err as one "FILE:LINE:COLUMN: message" line.  Returns the number of
 * problems (0 on success); on failure *cfg is left unchanged.
 */
int config_load_file(struct skyprobe_config *cfg, const char *path,
		     FILE *err);
/* Same, from a buffer (for tests and the fuzz target); name is used in
 * messages. */
int config_load_buffer(struct skyprobe_config *cfg, const char *name,
		       const char *buf, size_t len, FILE *err);

/* Check cross-field constraints after the command line was applied. */
int config_validate(const struct skyprobe_config *cfg, FILE *err);

/* Print the effective configuration as YAML (loadable again). */
void config_print(const struct skyprobe_config *cfg, FILE *out);

/* Parse "tcp://h:p", "udp://h:p", a path or "-" into *c.  0 on success. */
int config_parse_collector(const char *spec, struct collector_cfg *c);

#endif
