/*
 * main.c - skyprobe, the metering and exporting process.
 *
 * Wires the one-way pipeline: capture -> decode -> flow table ->
 * signature -> sessions -> export.  Owns the command line, the signal
 * flags (the only globals: a signal handler can reach nothing else), the
 * statistics and the reload of the site configuration on SIGHUP.
 *
 * Exit codes: 0 success; 1 the capture failed part-way (every flow read
 * before the error is still exported); 2 usage or configuration error;
 * 3 the capture source could not be opened; 4 export could not be set up.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <inttypes.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <pcap/pcap.h>

#include "capture.h"
#include "decode.h"
#include "export.h"
#include "flow_table.h"
#include "log.h"
#include "module_config.h"
#include "progress.h"
#include "sig.h"
#include "stats.h"
#include "summary.h"

#define EXIT_CAPTURE_FAILED 1
#define EXIT_USAGE          2
#define EXIT_NO_SOURCE      3
#define EXIT_NO_EXPORT      4

/* Signal flags: written by handlers, read by the main loop. */
static volatile sig_atomic_t got_stop;
static volatile sig_atomic_t got_usr1;
static volatile sig_atomic_t got_hup;

struct probe {
	struct skyprobe_config cfg;
	struct logger log;
	struct capture *cap;
	struct flow_table *ft;
	struct sig_engine *sig;
	struct exporter *ex;
	struct probe_stats st;
	struct summary *sum;        /* Skype summary, NULL when not wanted */
	struct progress prog;
	int show_progress;
	unsigned progress_since;    /* packets since the progress check */
	uint64_t last_ts_us;        /* the flow table's clock */
	uint64_t next_stats_s;      /* statistics record, wall time */
	uint64_t last_tick_s;
	int sig_on;
	uint8_t link_warned[512 / 8]; /* link types already warned about */
	int argc;
	char **argv;
};

static void usage(FILE *out)
{
	fprintf(out,
"Usage: skyprobe [OPTIONS] (-r FILE | -i INTERFACE) -o COLLECTOR [-o ...]\n"
"Passive IPFIX metering and exporting process with the Skype signature of\n"
"NGNI-SKYPE-06b (RFC 7011 records, RFC 5103 biflows).\n"
"\n"
"Input:\n"
"  -r, --read FILE          read a pcap or pcapng file ('-' = standard input)\n"
"  -i, --interface IF       capture live from interface IF\n"
"  -f, --filter EXPR        BPF filter expression\n"
"  -s, --snaplen N          snap length in bytes (default 65535)\n"
"  -p, --no-promisc         do not put the interface in promiscuous mode\n"
"  -B, --buffer-size SIZE   kernel capture buffer, e.g. 64MiB\n"
"  -U, --user USER          drop privileges to USER once the capture is open;\n"
"                           the collectors are opened as USER\n"
"Flows:\n"
"  -I, --idle-timeout DUR   idle timeout, e.g. 30s (default 30s)\n"
"  -A, --active-timeout DUR active timeout, e.g. 5m (default 5m)\n"
"  -m, --max-flows N        flow table capacity (default 1048576)\n"
"      --no-vlan-key        leave the VLAN id out of the flow key\n"
"Export:\n"
"  -o, --output COLLECTOR   tcp://HOST:PORT, udp://HOST:PORT, a file path,\n"
"                           or '-' for standard output; repeatable; replaces\n"
"                           the collectors of the configuration file\n"
"  -P, --profile PROFILE    full or nfdump, for the last -o given\n"
"  -d, --domain ID          observation domain id (default 1)\n"
"      --pen N              Private Enterprise Number of the Skype elements\n"
"      --elements FILE      information element file (templates/skyprobe.xml)\n"
"      --stats-interval DUR statistics options record interval (default 1m)\n"
"Signature:\n"
"      --no-signature       meter flows only\n"
"Configuration:\n"
"  -c, --config FILE        per-site YAML configuration; options override it\n"
"      --check-config       validate, print the effective configuration, exit\n"
"Other:\n"
"      --summary FILE       write the Skype summary as JSON to FILE ('-' =\n"
"                           standard output)\n"
"      --progress           show the progress line even when standard error\n"
"                           is not a terminal\n"
"  -q, --quiet              print no statistics, Skype summary or progress\n"
"  -v, --verbose            more logging (repeatable)\n"
"  -h, --help               this help\n"
"  -V, --version            print the version\n"
"\n"
"Signals: INT/TERM stop and export every open flow; USR1 prints statistics;\n"
"HUP reloads the configuration file.\n"
"Exit codes: 0 ok, 1 capture failed part-way, 2 usage or configuration\n"
"error, 3 capture source not opened, 4 export not set up.\n");
}

enum long_only {
	OPT_CHECK_CONFIG = 256, OPT_PEN, OPT_ELEMENTS, OPT_STATS_INTERVAL,
	OPT_NO_SIGNATURE, OPT_NO_VLAN_KEY, OPT_SUMMARY, OPT_PROGRESS,
};

static const struct option long_opts[] = {
	{"read", required_argument, NULL, 'r'},
	{"interface", required_argument, NULL, 'i'},
	{"filter", required_argument, NULL, 'f'},
	{"snaplen", required_argument, NULL, 's'},
	{"no-promisc", no_argument, NULL, 'p'},
	{"buffer-size", required_argument, NULL, 'B'},
	{"user", required_argument, NULL, 'U'},
	{"idle-timeout", required_argument, NULL, 'I'},
	{"active-timeout", required_argument, NULL, 'A'},
	{"max-flows", required_argument, NULL, 'm'},
	{"no-vlan-key", no_argument, NULL, OPT_NO_VLAN_KEY},
	{"output", required_argument, NULL, 'o'},
	{"profile", required_argument, NULL, 'P'},
	{"domain", required_argument, NULL, 'd'},
	{"pen", required_argument, NULL, OPT_PEN},
	{"elements", required_argument, NULL, OPT_ELEMENTS},
	{"stats-interval", required_argument, NULL, OPT_STATS_INTERVAL},
	{"no-signature", no_argument, NULL, OPT_NO_SIGNATURE},
	{"config", required_argument, NULL, 'c'},
	{"check-config", no_argument, NULL, OPT_CHECK_CONFIG},
	{"summary", required_argument, NULL, OPT_SUMMARY},
	{"progress", no_argument, NULL, OPT_PROGRESS},
	{"quiet", no_argument, NULL, 'q'},
	{"verbose", no_argument, NULL, 'v'},
	{"help", no_argument, NULL, 'h'},
	{"version", no_argument, NULL, 'V'},
	{NULL, 0, NULL, 0},
};
static const char short_opts[] = "r:i:f:s:pB:U:I:A:m:o:P:d:c:qvhV";

struct cli {
	const char *config_file;
	int check_config;
	const char *summary_file;
	int progress;
	int quiet;
	int verbose;
	int help;
	int version;
};

static int parse_uint(const char *opt, const char *s, uint64_t max,
		      uint64_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || *end || v > max || *s == '-') {
		fprintf(stderr, "skyprobe: %s: '%s' is not a number from 0 to %"
			PRIu64 "\n", opt, s, max);
		return -1;
	}
	*out = v;
	return 0;
}

static int parse_dur(const char *opt, const char *s, uint32_t *out)
{
	uint64_t v;

	if (value_parse_duration(s, &v) < 0 || v == 0 || v > UINT32_MAX) {
		fprintf(stderr, "skyprobe: %s: '%s' is not a duration such as "
			"30s, 5m or 1h\n", opt, s);
		return -1;
	}
	*out = (uint32_t)v;
	return 0;
}

static int copy_str(char *dst, size_t len, const char *opt, const char *s)
{
	if (strlen(s) >= len) {
		fprintf(stderr, "skyprobe: %s: value too long\n", opt);
		return -1;
	}
	memcpy(dst, s, strlen(s) + 1);
	return 0;
}

/* Apply one command-line option to cfg.  Returns -1 on a bad value. */
static int apply_option(struct skyprobe_config *cfg, struct cli *cli,
			int opt, const char *arg, int *n_cli_collectors)
{
	uint64_t v;

	switch (opt) {
	case 'r': cfg->interface[0] = 0;
		  return copy_str(cfg->read_file, sizeof(cfg->read_file), "-r", arg);
	case 'i': cfg->read_file[0] = 0;
		  return copy_str(cfg->interface, sizeof(cfg->interface), "-i", arg);
	case 'f': return copy_str(cfg->bpf_filter, sizeof(cfg->bpf_filter), "-f", arg);
	case 'U': return copy_str(cfg->user, sizeof(cfg->user), "-U", arg);
	case OPT_ELEMENTS:
		return copy_str(cfg->elements_file, sizeof(cfg->elements_file),
				"--elements", arg);
	case 's':
		if (parse_uint("-s", arg, 262144, &v) < 0 || v < 64)
			return -1;
		cfg->snaplen = (uint32_t)v;
		return 0;
	case 'p': cfg->promiscuous = 0; return 0;
	case 'B':
		if (value_parse_size(arg, &cfg->buffer_size) < 0) {
			fprintf(stderr, "skyprobe: -B: '%s' is not a size such "
				"as 64MiB\n", arg);
			return -1;
		}
		return 0;
	case 'I': return parse_dur("-I", arg, &cfg->idle_timeout_s);
	case 'A': return parse_dur("-A", arg, &cfg->active_timeout_s);
	case OPT_STATS_INTERVAL:
		return parse_dur("--stats-interval", arg, &cfg->stats_interval_s);
	case 'm':
		if (parse_uint("-m", arg, 1u << 28, &v) < 0 || v < 1)
			return -1;
		cfg->max_flows = (uint32_t)v;
		return 0;
	case 'd':
		if (parse_uint("-d", arg, UINT32_MAX, &v) < 0)
			return -1;
		cfg->observation_domain = (uint32_t)v;
		return 0;
	case OPT_PEN:
		if (parse_uint("--pen", arg, UINT32_MAX, &v) < 0 || v == 0)
			return -1;
		cfg->pen = (uint32_t)v;
		return 0;
	case OPT_NO_VLAN_KEY: cfg->vlan_in_key = 0; return 0;
	case OPT_NO_SIGNATURE: cfg->sig_enabled = 0; return 0;
	case 'o':
		if (*n_cli_collectors == 0)
			cfg->n_collectors = 0;  /* -o replaces the file's list */
		if (cfg->n_collectors >= CFG_MAX_COLLECTORS) {
			fprintf(stderr, "skyprobe: -o: at most %d collectors\n",
				CFG_MAX_COLLECTORS);
			return -1;
		}
		if (config_parse_collector(arg, &cfg->collectors[cfg->n_collectors]) < 0) {
			fprintf(stderr, "skyprobe: -o: '%s' is not tcp://HOST:PORT, "
				"udp://HOST:PORT or a file path\n", arg);
			return -1;
		}
		cfg->n_collectors++;
		(*n_cli_collectors)++;
		return 0;
	case 'P':
		if (*n_cli_collectors == 0) {
			fprintf(stderr, "skyprobe: -P applies to the -o before it\n");
			return -1;
		}
		if (!strcmp(arg, "full"))
			cfg->collectors[cfg->n_collectors - 1].profile = PROFILE_FULL;
		else if (!strcmp(arg, "nfdump"))
			cfg->collectors[cfg->n_collectors - 1].profile = PROFILE_NFDUMP;
		else {
			fprintf(stderr, "skyprobe: -P: '%s' is not full or nfdump\n", arg);
			return -1;
		}
		return 0;
	case 'c': cli->config_file = arg; return 0;
	case OPT_CHECK_CONFIG: cli->check_config = 1; return 0;
	case OPT_SUMMARY: cli->summary_file = arg; return 0;
	case OPT_PROGRESS: cli->progress = 1; return 0;
	case 'q': cli->quiet = 1; return 0;
	case 'v': cli->verbose++; return 0;
	case 'h': cli->help = 1; return 0;
	case 'V': cli->version = 1; return 0;
	default: return -1;
	}
}

/*
 * The effective configuration: defaults, then the YAML file named by -c,
 * then every other option.  Run again on SIGHUP, so that the command line
 * keeps overriding the reloaded file.
 */
static int build_config(struct skyprobe_config *cfg, struct cli *cli,
			int argc, char **argv, FILE *err)
{
	int opt, n_cli_collectors = 0, bad = 0;

	memset(cli, 0, sizeof(*cli));
	config_defaults(cfg);
	optind = 1;
	opterr = 1;
	while ((opt = getopt_long(argc, argv, short_opts, long_opts, NULL)) != -1) {
		if (opt == 'c')
			cli->config_file = optarg;
		else if (opt == '?')
			return -1;
	}
	if (optind < argc) {
		fprintf(stderr, "skyprobe: unexpected argument '%s'\n", argv[optind]);
		return -1;
	}
	if (cli->config_file && config_load_file(cfg, cli->config_file, err))
		return -1;
	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, short_opts, long_opts, NULL)) != -1)
		if (apply_option(cfg, cli, opt, optarg, &n_cli_collectors) < 0)
			bad = 1;
	if (bad)
		return -1;
	for (int i = 0; i < cli->verbose && cfg->log_level < LOG_LVL_DEBUG; i++)
		cfg->log_level++;
	return config_validate(cfg, err) ? -1 : 0;
}

static void on_signal(int signo)
{
	switch (signo) {
	case SIGUSR1: got_usr1 = 1; break;
	case SIGHUP:  got_hup = 1; break;
	default:      got_stop = 1; break;
	}
}

static void install_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	/* INT and TERM interrupt a blocked read so that a probe reading a
	 * quiet pipe still stops; USR1 and HUP restart it, so that they never
	 * look like a capture error. */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sa.sa_flags = SA_RESTART;
	sigaction(SIGUSR1, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	/* A collector that goes away must not kill the probe. */
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
}

static int drop_privileges(const char *user, struct logger *lg)
{
	struct passwd *pw = getpwnam(user);

	if (!pw) {
		log_error(lg, "-U %s: no such user", user);
		return -1;
	}
	if (initgroups(pw->pw_name, pw->pw_gid) < 0 || setgid(pw->pw_gid) < 0 ||
	    setuid(pw->pw_uid) < 0) {
		log_error(lg, "-U %s: cannot drop privileges: %s", user,
			  strerror(errno));
		return -1;
	}
	log_info(lg, "running as user %s", user);
	return 0;
}

static uint64_t wall_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec;
}

/* --- pipeline callbacks ------------------------------------------------- */

static void on_flow_packet(void *ctx, struct flow *f,
			   const struct pkt_view *pv, int dir)
{
	struct probe *pr = ctx;

	if (pr->sig_on)
		sig_packet(pr->sig, f, pv, dir);
}

static void on_flow_end(void *ctx, struct flow *f, enum flow_end_reason r)
{
	struct probe *pr = ctx;

	if (pr->sig)
		sig_flow_end(pr->sig, f, r);
	exporter_flow(pr->ex, f, r);
	if (pr->sum)
		summary_flow(pr->sum, f);
	pr->st.flows_exported++;
	if (r == END_LACK_OF_RESOURCES)
		pr->st.flows_evicted++;
}

static void on_session_end(void *ctx, const struct session_rec *s)
{
	struct probe *pr = ctx;

	exporter_session(pr->ex, s);
	if (pr->sum)
		summary_session(pr->sum, s);
	pr->st.sessions_exported++;
}

/* --- the loop ------------------------------------------------------------ */

static void refresh_stats(struct probe *pr)
{
	struct sig_counters sc;

	/* Set-up may have failed after the exporter, before the table. */
	if (pr->ft) {
		pr->st.flows_active = flow_table_active(pr->ft);
		pr->st.flow_table_bytes = flow_table_memory(pr->ft);
		pr->st.time_outliers = flow_table_time_outliers(pr->ft);
		pr->st.clock_jumps = flow_table_clock_jumps(pr->ft);
	}
	pr->st.records_not_sent = exporter_not_sent(pr->ex);
	capture_drops(pr->cap, &pr->st.kernel_dropped, &pr->st.iface_dropped);
	if (pr->sig) {
		sig_get_counters(pr->sig, &sc);
		pr->st.clients_limit_hits = sc.client_limit_hits;
		pr->st.clients_evicted = sc.client_evictions;
		pr->st.sessions_evicted = sc.session_limit_hits;
		pr->st.sessions_evicted_connected =
			sc.sessions_evicted_connected;
	}
}

/*
 * The file's FILE:LINE:COLUMN report, logged line by line: a daemon
 * logging to syslog has no terminal to print it on.  Warnings only when
 * the file loaded.
 */
static int reload_build_config(struct probe *pr, struct skyprobe_config *next)
{
	struct cli cli;
	char *report = NULL;
	size_t len = 0;
	FILE *err = open_memstream(&report, &len);
	int rc;

	rc = build_config(next, &cli, pr->argc, pr->argv, err ? err : stderr);
	if (err) {
		fclose(err);
		log_lines(&pr->log, rc < 0 ? LOG_LVL_ERROR : LOG_LVL_WARNING,
			  report);
		free(report);
	}
	return rc;
}

/* After a collector failed to open as the -U user. */
static void user_hint(struct probe *pr)
{
	log_error(&pr->log, "-U %s: the collectors are opened as %s, who "
		  "must be able to write every output file and its directory",
		  pr->cfg.user, pr->cfg.user);
}

static void reload_config(struct probe *pr)
{
	struct skyprobe_config next;
	struct export_config ec;

	log_info(&pr->log, "SIGHUP: reloading the configuration");
	if (reload_build_config(pr, &next) < 0) {
		log_error(&pr->log, "reload failed: keeping the running "
			  "configuration");
		return;
	}
	if (strcmp(next.interface, pr->cfg.interface) ||
	    strcmp(next.read_file, pr->cfg.read_file) ||
	    strcmp(next.bpf_filter, pr->cfg.bpf_filter) ||
	    next.snaplen != pr->cfg.snaplen ||
	    next.max_flows != pr->cfg.max_flows)
		log_warn(&pr->log, "reload: capture source, filter, snap length "
			 "and flow table size cannot change live; kept");
	export_config_from(&ec, &next);
	if (exporter_reconfigure(pr->ex, &ec) < 0) {
		if (pr->cfg.user[0])
			user_hint(pr);
		log_error(&pr->log, "reload: collectors could not be set up; "
			  "keeping the running configuration");
		return;
	}
	flow_table_set_timeouts(pr->ft, (uint64_t)next.idle_timeout_s * 1000000u,
				(uint64_t)next.active_timeout_s * 1000000u);
	if (pr->sig) {
		struct sig_config sc;

		sig_config_from(&sc, &next);
		sig_engine_reconfigure(pr->sig, &sc);
	}
	pr->sig_on = pr->sig && next.sig_enabled;
	pr->log.level = next.log_level;
	/* Keep what cannot change live. */
	memcpy(next.interface, pr->cfg.interface, sizeof(next.interface));
	memcpy(next.read_file, pr->cfg.read_file, sizeof(next.read_file));
	memcpy(next.bpf_filter, pr->cfg.bpf_filter, sizeof(next.bpf_filter));
	next.snaplen = pr->cfg.snaplen;
	next.max_flows = pr->cfg.max_flows;
	pr->cfg = next;
	log_info(&pr->log, "configuration reloaded");
}

/* The progress line of an offline run, when it is shown. */
static void show_progress(struct probe *pr)
{
	struct progress_state ps = { 0 };
	struct sig_counters sc;

	ps.have_share = capture_progress(pr->cap, &ps.done, &ps.total) == 0;
	ps.packets = pr->st.packets_read;
	ps.flows_open = flow_table_active(pr->ft);
	if (pr->sig) {
		sig_get_counters(pr->sig, &sc);
		ps.sessions_total = sc.sessions_started;
		ps.sessions_open = sc.sessions_started - sc.sessions_ended;
	}
	progress_update(&pr->prog, &ps);
}

/* Wall-clock work: export flushing and retries, statistics, signals. */
static void housekeeping(struct probe *pr)
{
	uint64_t now = wall_seconds();

	if (got_hup) {
		got_hup = 0;
		reload_config(pr);
	}
	if (got_usr1) {
		got_usr1 = 0;
		refresh_stats(pr);
		progress_clear(&pr->prog);
		stats_print(&pr->st, stderr);
	}
	if (now == pr->last_tick_s)
		return;
	pr->last_tick_s = now;
	exporter_tick(pr->ex, now);
	if (pr->cfg.stats_interval_s && now >= pr->next_stats_s) {
		pr->next_stats_s = now + pr->cfg.stats_interval_s;
		refresh_stats(pr);
		exporter_stats(pr->ex, &pr->st);
	}
	if (capture_is_live(pr->cap)) {
		/* A quiet link still ages its flows. */
		uint64_t now_us = now * 1000000u;

		if (now_us > pr->last_ts_us)
			pr->last_ts_us = now_us;
		flow_table_expire(pr->ft, pr->last_ts_us);
	}
}

/*
 * Packets are handled in batches: all are decoded, then the flow table is
 * asked to prefetch each one's bucket, then each bucket's first entry, and
 * only then is each packet accounted, in order.  The table's cache misses
 * (the table is far larger than the cache) thus overlap instead of
 * following one another.
 */
#define BATCH 32         /* measured: 16 and 8 overlap fewer misses */

struct batch {
	struct capture_pkt pkt[BATCH];
	struct pkt_view pv[BATCH];
	uint32_t bucket[BATCH];
	uint8_t ok[BATCH];          /* decoded */
};

/*
 * A packet of a link type that is not decoded (a pcapng interface, or
 * what a PPI header carries) is counted not-ip; the first of each type
 * says so once.
 */
static void warn_link(struct probe *pr, const struct capture_pkt *pk)
{
	int lt = decode_inner_linktype(pk->linktype, pk->data, pk->caplen);
	const char *name;

	if (lt < 0 || decode_linktype_supported(lt) ||
	    (lt < 512 && (pr->link_warned[lt / 8] & (1u << (lt % 8)))))
		return;
	if (lt < 512)
		pr->link_warned[lt / 8] |= (uint8_t)(1u << (lt % 8));
	name = pcap_datalink_val_to_name(lt);
	log_warn(&pr->log, "packet %" PRIu64 ": link type %d (%s)%s is not "
		 "decoded: its packets are counted not-ip", pr->st.packets_read,
		 lt, name ? name : "unknown", lt != pk->linktype ?
		 ", carried in PPI," : "");
}

/* Decode one packet into b->pv[k]; counts what was read and rejected. */
static void decode_one(struct probe *pr, struct batch *b, unsigned k)
{
	const struct capture_pkt *pk = &b->pkt[k];
	enum decode_status ds;

	pr->st.packets_read++;
	pr->st.octets_read += pk->wirelen;
	ds = decode_packet(pk->linktype, pk->data, pk->caplen, &b->pv[k]);
	b->ok[k] = ds == DECODE_OK;
	if (!b->ok[k]) {
		pr->st.rejected[ds]++;
		if (ds == DECODE_NOT_IP)
			warn_link(pr, pk);
		return;
	}
	b->pv[k].ts_us = pk->ts_us;
}

static void account_packet(struct probe *pr, const struct pkt_view *pv,
			   uint32_t bucket)
{
	uint64_t ts_us = pv->ts_us;

	pr->st.packets_decoded++;
	if (!pr->st.first_ts_ms)
		pr->st.first_ts_ms = ts_us / 1000;
	pr->st.last_ts_ms = ts_us / 1000;
	flow_table_update_bucket(pr->ft, pv, bucket);
	/* Not the packet's own time: one stamped far off would stall or
	 * rush the signature's expiry (flow_table.c, "Time"). */
	pr->last_ts_us = flow_table_clock(pr->ft);
	if (pr->sig)
		sig_expire(pr->sig, pr->last_ts_us);    /* throttles itself */
}

static void handle_batch(struct probe *pr, struct batch *b, unsigned n)
{
	unsigned k;

	for (k = 0; k < n; k++) {
		decode_one(pr, b, k);
		if (b->ok[k])
			b->bucket[k] = flow_table_prefetch_bucket(pr->ft,
								  &b->pv[k]);
	}
	for (k = 0; k < n; k++)
		if (b->ok[k])
			flow_table_prefetch_flow(pr->ft, b->bucket[k]);
	for (k = 0; k < n; k++)
		if (b->ok[k])
			account_packet(pr, &b->pv[k], b->bucket[k]);
}

static int run(struct probe *pr)
{
	struct batch b;
	unsigned n, since = 0;

	for (;;) {
		if (got_stop)
			return 0;
		switch (capture_next_batch(pr->cap, b.pkt, BATCH, &n)) {
		case CAPTURE_PACKET:
			handle_batch(pr, &b, n);
			/* The clock is read every 64 packets at most. */
			if (pr->show_progress && (pr->progress_since += n) >= 64) {
				pr->progress_since = 0;
				show_progress(pr);
			}
			/* Wall-clock work every 4096 packets keeps it off the
			 * hot path; a signal is served at the next batch. */
			since += n;
			if (since >= 4096 || got_hup || got_usr1) {
				since = 0;
				housekeeping(pr);
			}
			break;
		case CAPTURE_TIMEOUT:
			housekeeping(pr);
			break;
		case CAPTURE_EOF:
			return 0;
		case CAPTURE_ERROR:
			if (got_stop)   /* the read was interrupted by INT/TERM */
				return 0;
			log_error(&pr->log, "%s", capture_error(pr->cap));
			return -1;
		}
	}
}

static int open_pipeline(struct probe *pr)
{
	struct capture_opts co = {
		.file = pr->cfg.read_file[0] ? pr->cfg.read_file : NULL,
		.interface = pr->cfg.interface[0] ? pr->cfg.interface : NULL,
		.filter = pr->cfg.bpf_filter,
		.snaplen = pr->cfg.snaplen,
		.promiscuous = pr->cfg.promiscuous,
		.buffer_size = pr->cfg.buffer_size,
	};
	struct flow_table_cfg fc;
	struct export_config ec;
	char err[512];

	pr->cap = capture_open(&co, err, sizeof(err));
	if (!pr->cap) {
		log_error(&pr->log, "%s", err);
		return EXIT_NO_SOURCE;
	}
	if (!decode_linktype_supported(capture_linktype(pr->cap))) {
		log_error(&pr->log, "%s: link type %d (%s) is not supported: "
			  "expected Ethernet, Linux cooked (SLL, SLL2), raw IP "
			  "(12, 101, 228, 229), BSD loopback, PPP, Cisco HDLC, "
			  "802.11 or PPI", co.file ? co.file : co.interface,
			  capture_linktype(pr->cap),
			  capture_linktype_name(pr->cap));
		return EXIT_NO_SOURCE;
	}
	/* Collectors are opened as the user: whatever it can open now, it can
	 * open again later (rotation, recovery, reload). */
	if (pr->cfg.user[0] && drop_privileges(pr->cfg.user, &pr->log) < 0)
		return EXIT_USAGE;
	export_config_from(&ec, &pr->cfg);
	pr->ex = exporter_new(&ec, &pr->log);
	if (!pr->ex) {
		if (pr->cfg.user[0])
			user_hint(pr);
		return EXIT_NO_EXPORT;
	}
	flow_table_cfg_from(&fc, &pr->cfg);
	pr->ft = flow_table_new(&fc, on_flow_end, on_flow_packet, pr);
	if (!pr->ft) {
		log_error(&pr->log, "cannot allocate a flow table of %u flows",
			  fc.max_flows);
		return EXIT_USAGE;
	}
	if (pr->cfg.sig_enabled) {
		struct sig_config sc;

		sig_config_from(&sc, &pr->cfg);
		pr->sig = sig_engine_new(&sc, on_session_end, pr);
		if (!pr->sig) {
			log_error(&pr->log, "cannot allocate the signature tables");
			return EXIT_USAGE;
		}
		pr->sig_on = 1;
	}
	return 0;
}

/*
 * The Skype summary and the progress line, set up once the pipeline is.
 * The summary file is opened now, so that a path that cannot be written
 * stops the probe before any work.
 */
static int open_extras(struct probe *pr, const struct cli *cli,
		       FILE **summary_out)
{
	*summary_out = NULL;
	if (cli->summary_file) {
		*summary_out = strcmp(cli->summary_file, "-") ?
			       fopen(cli->summary_file, "w") : stdout;
		if (!*summary_out) {
			log_error(&pr->log, "--summary %s: %s",
				  cli->summary_file, strerror(errno));
			return EXIT_NO_EXPORT;
		}
	}
	if (*summary_out || !cli->quiet) {
		pr->sum = summary_new();
		if (!pr->sum) {
			log_error(&pr->log, "cannot allocate the summary");
			return EXIT_USAGE;
		}
	}
	pr->show_progress = progress_wanted(cli->progress, cli->quiet,
					    !capture_is_live(pr->cap),
					    isatty(STDERR_FILENO));
	progress_init(&pr->prog, stderr);
	return 0;
}

/* After the pipeline is closed: the summary on standard error (unless
 * -q) and in the --summary file.  Returns rc, or EXIT_NO_EXPORT when the
 * file could not be written. */
static int close_extras(struct probe *pr, const struct cli *cli,
			FILE *summary_out, int rc)
{
	if (pr->sum && !cli->quiet && pr->cap)
		summary_print(pr->sum, stderr);
	if (summary_out) {
		int bad = pr->sum ? summary_write_json(pr->sum, summary_out) : 0;

		if (summary_out == stdout ? fflush(stdout) : fclose(summary_out))
			bad = -1;
		if (bad) {
			fprintf(stderr, "skyprobe: --summary %s: write failed\n",
				cli->summary_file);
			rc = rc ? rc : EXIT_NO_EXPORT;
		}
	}
	summary_free(pr->sum);
	return rc;
}

/* End of capture: every open flow and session is exported, then the
 * statistics, then every collector is flushed and closed. */
static void close_pipeline(struct probe *pr, int quiet)
{
	if (pr->ft) {
		flow_table_flush(pr->ft, END_FORCED);
		pr->last_ts_us = flow_table_clock(pr->ft);
	}
	if (pr->sig)
		sig_shutdown(pr->sig, pr->last_ts_us);
	if (pr->ex && pr->cap) {
		refresh_stats(pr);
		exporter_stats(pr->ex, &pr->st);
	}
	if (pr->ex) {
		/* What the collectors never acknowledged counts too. */
		exporter_finish(pr->ex);
		pr->st.records_not_sent = exporter_not_sent(pr->ex);
		exporter_free(pr->ex);
	}
	if (!quiet && pr->cap)
		stats_print(&pr->st, stderr);
	if (pr->st.records_not_sent)
		log_warn(&pr->log, "%" PRIu64 " records could not be sent",
			 pr->st.records_not_sent);
	sig_engine_free(pr->sig);
	flow_table_free(pr->ft);
	capture_close(pr->cap);
	log_close(&pr->log);
}

int main(int argc, char **argv)
{
	static struct probe pr;
	struct cli cli;
	FILE *summary_out = NULL;
	int rc;

	pr.argc = argc;
	pr.argv = argv;
	if (build_config(&pr.cfg, &cli, argc, argv, stderr) < 0) {
		if (!cli.help)
			fprintf(stderr, "Try 'skyprobe --help'.\n");
		return EXIT_USAGE;
	}
	if (cli.help) {
		usage(stdout);
		return 0;
	}
	if (cli.version) {
		printf("skyprobe %s\n", PACKAGE_VERSION);
		return 0;
	}
	if (cli.check_config) {
		config_print(&pr.cfg, stdout);
		return 0;
	}
	if (!pr.cfg.read_file[0] && !pr.cfg.interface[0]) {
		fprintf(stderr, "skyprobe: no capture source: give -r FILE or "
			"-i INTERFACE\nTry 'skyprobe --help'.\n");
		return EXIT_USAGE;
	}
	if (!pr.cfg.n_collectors) {
		fprintf(stderr, "skyprobe: no collector: give -o COLLECTOR "
			"(tcp://HOST:PORT, udp://HOST:PORT or a file)\n"
			"Try 'skyprobe --help'.\n");
		return EXIT_USAGE;
	}
	log_open(&pr.log, pr.cfg.log_level, pr.cfg.log_dest,
		 pr.cfg.log_socket);
	install_signals();
	rc = open_pipeline(&pr);
	if (rc == 0)
		rc = open_extras(&pr, &cli, &summary_out);
	if (rc == 0)
		rc = run(&pr) < 0 ? EXIT_CAPTURE_FAILED : 0;
	progress_clear(&pr.prog);
	close_pipeline(&pr, cli.quiet);
	return close_extras(&pr, &cli, summary_out, rc);
}
