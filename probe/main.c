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
#include "fanout.h"
#include "flow_table.h"
#include "meter.h"
#include "log.h"
#include "module_config.h"
#include "progress.h"
#include "ring.h"
#include "sig.h"
#include "stats.h"
#include "summary.h"
#include "worker.h"

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
	struct capture *cap;        /* live with workers: the pool's first */
	struct meter m;             /* one thread: the whole path */
	struct worker_pool *pool;   /* -w N > 1 */
	int workers_read;           /* each worker reads its own capture
				       (pr->cap, its first, is the pool's) */
	struct meter reader;        /* workers, pcapng or standard input:
				       decodes and hands out */
	struct fanout_site site;    /* workers, live: the fanout key */
	struct exporter *ex;
	struct probe_stats st;
	struct summary *sum;        /* Skype summary, NULL when not wanted */
	struct progress prog;
	int show_progress;
	unsigned progress_since;    /* packets since the progress check */
	uint64_t next_stats_s;      /* statistics record, wall time */
	uint64_t last_tick_s;
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
"  -w, --workers N          metering threads, 1 to 64 (default 1): packets\n"
"                           are spread by the site's inside host address\n"
"      --live-reader R      ring (the probe's own batched ring, default) or\n"
"                           libpcap\n"
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
	OPT_LIVE_READER,
};

static const struct option long_opts[] = {
	{"read", required_argument, NULL, 'r'},
	{"interface", required_argument, NULL, 'i'},
	{"filter", required_argument, NULL, 'f'},
	{"snaplen", required_argument, NULL, 's'},
	{"no-promisc", no_argument, NULL, 'p'},
	{"buffer-size", required_argument, NULL, 'B'},
	{"user", required_argument, NULL, 'U'},
	{"workers", required_argument, NULL, 'w'},
	{"live-reader", required_argument, NULL, OPT_LIVE_READER},
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
static const char short_opts[] = "r:i:f:s:pB:U:w:I:A:m:o:P:d:c:qvhV";

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
	case 'w':
		if (parse_uint("-w", arg, CFG_MAX_WORKERS, &v) < 0 || v < 1)
			return -1;
		cfg->workers = (uint32_t)v;
		return 0;
	case OPT_LIVE_READER:
		if (!strcmp(arg, "ring"))
			cfg->live_reader = LIVE_RING;
		else if (!strcmp(arg, "libpcap"))
			cfg->live_reader = LIVE_LIBPCAP;
		else {
			fprintf(stderr, "skyprobe: --live-reader: '%s' is not "
				"ring or libpcap\n", arg);
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

/* --- what the meters complete goes to export ----------------------------- */

static void export_flow(void *ctx, const struct flow *f,
			enum flow_end_reason r)
{
	struct probe *pr = ctx;

	exporter_flow(pr->ex, f, r);
	if (pr->sum)
		summary_flow(pr->sum, f);
	pr->st.flows_exported++;
	if (r == END_LACK_OF_RESOURCES)
		pr->st.flows_evicted++;
}

static void export_session(void *ctx, const struct session_rec *s)
{
	struct probe *pr = ctx;

	exporter_session(pr->ex, s);
	if (pr->sum)
		summary_session(pr->sum, s);
	pr->st.sessions_exported++;
}

/* --- statistics ------------------------------------------------------------ */

/* What every meter counted: the probe's own, or the reader's and the
 * workers'.  *sig is zeroed when no signature runs. */
static void gather(struct probe *pr, struct worker_totals *t)
{
	memset(t, 0, sizeof(*t));
	if (pr->pool) {
		worker_pool_counters(pr->pool, t);
		meter_counters_add(&t->packets, &pr->reader.c);
		return;
	}
	t->packets = pr->m.c;
	if (pr->m.ft) {
		t->flows_active = flow_table_active(pr->m.ft);
		t->flow_table_bytes = flow_table_memory(pr->m.ft);
		t->time_outliers = flow_table_time_outliers(pr->m.ft);
		t->clock_jumps = flow_table_clock_jumps(pr->m.ft);
	}
	if (pr->m.sig) {
		sig_get_counters(pr->m.sig, &t->sig);
		t->have_sig = 1;
	}
	if (pr->cap)
		capture_drops(pr->cap, &t->kernel_dropped, &t->iface_dropped);
}

static void refresh_stats(struct probe *pr)
{
	struct worker_totals t;
	struct probe_stats *st = &pr->st;

	gather(pr, &t);
	st->packets_read = t.packets.packets_read;
	st->octets_read = t.packets.octets_read;
	st->packets_decoded = t.packets.packets_decoded;
	memcpy(st->rejected, t.packets.rejected, sizeof(st->rejected));
	st->first_ts_ms = t.packets.first_ts_ms;
	st->last_ts_ms = t.packets.last_ts_ms;
	st->flows_active = t.flows_active;
	st->flow_table_bytes = t.flow_table_bytes;
	st->time_outliers = t.time_outliers;
	st->clock_jumps = t.clock_jumps;
	st->kernel_dropped = t.kernel_dropped;
	st->iface_dropped = t.iface_dropped;
	st->records_not_sent = exporter_not_sent(pr->ex);
	if (t.have_sig) {
		st->clients_limit_hits = t.sig.client_limit_hits;
		st->clients_evicted = t.sig.client_evictions;
		st->sessions_evicted = t.sig.session_limit_hits;
		st->sessions_evicted_connected =
			t.sig.sessions_evicted_connected;
	}
}

/* --- reload ---------------------------------------------------------------- */

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
	    next.max_flows != pr->cfg.max_flows ||
	    next.workers != pr->cfg.workers ||
	    next.live_reader != pr->cfg.live_reader)
		log_warn(&pr->log, "reload: capture source, filter, snap length, "
			 "workers, reader and flow table size cannot change "
			 "live; kept");
	export_config_from(&ec, &next);
	if (exporter_reconfigure(pr->ex, &ec) < 0) {
		if (pr->cfg.user[0])
			user_hint(pr);
		log_error(&pr->log, "reload: collectors could not be set up; "
			  "keeping the running configuration");
		return;
	}
	if (pr->pool)
		worker_pool_reconfigure(pr->pool, &next);
	else
		meter_reconfigure(&pr->m, &next);
	pr->log.level = next.log_level;
	/* Keep what cannot change live. */
	memcpy(next.interface, pr->cfg.interface, sizeof(next.interface));
	memcpy(next.read_file, pr->cfg.read_file, sizeof(next.read_file));
	memcpy(next.bpf_filter, pr->cfg.bpf_filter, sizeof(next.bpf_filter));
	next.snaplen = pr->cfg.snaplen;
	next.max_flows = pr->cfg.max_flows;
	next.workers = pr->cfg.workers;
	next.live_reader = pr->cfg.live_reader;
	pr->cfg = next;
	log_info(&pr->log, "configuration reloaded");
}

/* --- the loops --------------------------------------------------------------- */

/* The progress line of an offline run, when it is shown. */
static void show_progress(struct probe *pr)
{
	struct progress_state ps = { 0 };
	struct worker_totals t;

	gather(pr, &t);
	if (pr->workers_read) {       /* pr->cap is a worker's */
		ps.have_share = t.have_share;
		ps.done = t.done;
		ps.total = t.total;
	} else {
		ps.have_share = capture_progress(pr->cap, &ps.done,
						 &ps.total) == 0;
	}
	ps.packets = t.packets.packets_read;
	ps.flows_open = t.flows_active;
	ps.sessions_total = t.sig.sessions_started;
	ps.sessions_open = t.sig.sessions_started - t.sig.sessions_ended;
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
	/* A quiet link still ages its flows (workers age theirs). */
	if (!pr->pool && capture_is_live(pr->cap))
		meter_tick(&pr->m, now * 1000000u);
}

/* Progress and wall-clock work after n more packets. */
static void after_packets(struct probe *pr, unsigned n, unsigned *since)
{
	/* The clock is read every 64 packets at most. */
	if (pr->show_progress && (pr->progress_since += n) >= 64) {
		pr->progress_since = 0;
		show_progress(pr);
	}
	/* Wall-clock work every 4096 packets keeps it off the hot path; a
	 * signal is served at the next batch. */
	*since += n;
	if (*since >= 4096 || got_hup || got_usr1) {
		*since = 0;
		housekeeping(pr);
	}
}

/* Returns 0 at the end of the source, -1 after a read error. */
static int read_error(struct probe *pr)
{
	if (got_stop)   /* the read was interrupted by INT/TERM */
		return 0;
	log_error(&pr->log, "%s", capture_error(pr->cap));
	return -1;
}

/* One thread: the whole path runs here, export included. */
static int run_single(struct probe *pr)
{
	struct meter_batch *b = malloc(sizeof(*b));
	unsigned n, since = 0;
	int rc = 0;

	if (!b) {
		log_error(&pr->log, "out of memory");
		return -1;
	}
	for (;;) {
		if (got_stop)
			break;
		switch (capture_next_batch(pr->cap, b->pkt, METER_BATCH, &n)) {
		case CAPTURE_PACKET:
			meter_batch(&pr->m, b, n);
			after_packets(pr, n, &since);
			continue;
		case CAPTURE_TIMEOUT:
			housekeeping(pr);
			continue;
		case CAPTURE_EOF:
			break;
		case CAPTURE_ERROR:
			rc = read_error(pr);
			break;
		}
		break;
	}
	free(b);
	meter_finish(&pr->m);
	return rc;
}

/* Wait for every worker to finish, exporting what they complete. */
static void drain_all(struct probe *pr, const struct meter_sink *sink)
{
	struct timespec pause = { 0, 1000000 };

	while (!worker_pool_done(pr->pool))
		if (!worker_pool_drain(pr->pool, sink, 4096)) {
			housekeeping(pr);
			nanosleep(&pause, NULL);
		}
}

/* Workers, a pcapng file or standard input (a classic pcap file is read
 * by every worker, run_read_workers): this thread reads, decodes, hands
 * out and exports. */
static int run_file_workers(struct probe *pr)
{
	const struct meter_sink sink = { export_flow, export_session, pr };
	struct capture_pkt pkt[METER_BATCH];
	struct pkt_view pv;
	unsigned n, k, since = 0;
	int rc = 0, more = 1;

	while (more && !got_stop) {
		switch (capture_next_batch(pr->cap, pkt, METER_BATCH, &n)) {
		case CAPTURE_PACKET:
			for (k = 0; k < n; k++)
				if (meter_decode(&pr->reader, &pkt[k], &pv))
					worker_pool_push(pr->pool, &pv,
							 pkt[k].caplen, &sink);
			worker_pool_drain(pr->pool, &sink, 4096);
			after_packets(pr, n, &since);
			break;
		case CAPTURE_TIMEOUT:
			housekeeping(pr);
			break;
		case CAPTURE_EOF:
			more = 0;
			break;
		case CAPTURE_ERROR:
			rc = read_error(pr);
			more = 0;
			break;
		}
	}
	worker_pool_stop(pr->pool, &sink);
	drain_all(pr, &sink);
	return rc;
}

/* Workers that read their own capture (live: a socket each; a file: all
 * of it each); this thread exports.  It sleeps 1 ms after a drain that
 * found nothing, up to 8 ms while the link stays quiet: a worker's queue
 * holds 4096 records, far more than 8 ms of records at any packet rate
 * the worker itself can take.  A file's end or error ends every worker
 * at the same packet. */
static int run_read_workers(struct probe *pr)
{
	const struct meter_sink sink = { export_flow, export_session, pr };
	struct timespec pause = { 0, 1000000 };
	const char *err;
	int rc = 0;

	while (!got_stop && !worker_pool_done(pr->pool)) {
		unsigned got = worker_pool_drain(pr->pool, &sink, 4096);

		housekeeping(pr);
		if (pr->show_progress)
			show_progress(pr);
		if ((err = worker_pool_error(pr->pool)) != NULL) {
			log_error(&pr->log, "%s", err);
			rc = -1;
			if (capture_is_live(pr->cap))
				break;  /* a file's readers all stop there */
		}
		if (got) {
			pause.tv_nsec = 1000000;
			continue;
		}
		nanosleep(&pause, NULL);
		if (pause.tv_nsec < 8000000)
			pause.tv_nsec *= 2;
	}
	worker_pool_stop(pr->pool, &sink);
	drain_all(pr, &sink);
	return rc;
}

static int run(struct probe *pr)
{
	if (!pr->pool)
		return run_single(pr);
	return pr->workers_read ? run_read_workers(pr) : run_file_workers(pr);
}

/* --- set-up ----------------------------------------------------------------- */

static struct capture *open_source(struct probe *pr,
				   const struct capture_opts *co)
{
	struct capture *cap;
	char err[512];

	cap = capture_open(co, err, sizeof(err));
	if (!cap) {
		log_error(&pr->log, "%s", err);
		return NULL;
	}
	if (!decode_linktype_supported(capture_linktype(cap))) {
		log_error(&pr->log, "%s: link type %d (%s) is not supported: "
			  "expected Ethernet, Linux cooked (SLL, SLL2), raw IP "
			  "(12, 101, 228, 229), BSD loopback, PPP, Cisco HDLC, "
			  "802.11 or PPI", co->file ? co->file : co->interface,
			  capture_linktype(cap), capture_linktype_name(cap));
		capture_close(cap);
		return NULL;
	}
	return cap;
}

/*
 * Live with workers: one socket per worker in one fanout group, spread by
 * the inside host's address.  pr->cap is the first; the pool owns all.
 */
static int open_live_workers(struct probe *pr, struct capture_opts *co,
			     struct capture **caps)
{
	unsigned n = pr->cfg.workers, i;

	fanout_site_init(&pr->site, pr->cfg.internal, pr->cfg.n_internal);
	co->fanout_site = &pr->site;
	co->fanout_group = ring_fanout_group_id();
	for (i = 0; i < n; i++) {
		caps[i] = open_source(pr, co);
		if (!caps[i]) {
			while (i > 0)
				capture_close(caps[--i]);
			return -1;
		}
	}
	return 0;
}

/*
 * A classic pcap file with workers: each worker reads it whole, through
 * a capture of its own (caps[0] is pr->cap), and keeps its hosts'
 * packets; nothing is handed over.  Returns 0, or -1 to leave the file to
 * one reader that hands the packets out (another kind of file, or it
 * cannot be opened again).
 */
static int open_file_workers(struct probe *pr, struct capture_opts *co,
			     struct capture **caps)
{
	unsigned n = pr->cfg.workers, i;
	char err[512];

	if (!capture_rereadable(pr->cap))
		return -1;
	caps[0] = pr->cap;
	for (i = 1; i < n; i++) {
		caps[i] = capture_open(co, err, sizeof(err));
		if (!caps[i] || !capture_rereadable(caps[i])) {
			capture_close(caps[i]);
			while (i > 1)
				capture_close(caps[--i]);
			return -1;
		}
	}
	return 0;
}

static void close_caps(struct probe *pr, struct capture **caps)
{
	for (unsigned i = 0; i < pr->cfg.workers; i++)
		capture_close(caps[i]);
	pr->cap = NULL;
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
		.live_reader = pr->cfg.live_reader,
	};
	struct capture *caps[CFG_MAX_WORKERS];
	const struct meter_sink sink = { export_flow, export_session, pr };
	struct export_config ec;
	unsigned n = pr->cfg.workers;
	int live = co.interface != NULL;

	if (n > 1 && live) {
		if (open_live_workers(pr, &co, caps) < 0)
			return EXIT_NO_SOURCE;
		pr->cap = caps[0];
		pr->workers_read = 1;
	} else if (!(pr->cap = open_source(pr, &co))) {
		return EXIT_NO_SOURCE;
	} else if (n > 1 && open_file_workers(pr, &co, caps) == 0) {
		pr->workers_read = 1;
	}
	/* Collectors are opened as the user: whatever it can open now, it can
	 * open again later (rotation, recovery, reload). */
	if (pr->cfg.user[0] && drop_privileges(pr->cfg.user, &pr->log) < 0)
		goto fail;
	export_config_from(&ec, &pr->cfg);
	pr->ex = exporter_new(&ec, &pr->log);
	if (!pr->ex) {
		if (pr->cfg.user[0])
			user_hint(pr);
		if (pr->workers_read)
			close_caps(pr, caps);
		return EXIT_NO_EXPORT;
	}
	if (n == 1)
		return meter_init(&pr->m, &pr->cfg, 0, 1, &sink, &pr->log) < 0 ?
		       EXIT_USAGE : 0;
	meter_init_decoder(&pr->reader, &pr->log);
	pr->pool = worker_pool_start(&pr->cfg, n,
				     pr->workers_read ? caps : NULL, live,
				     &pr->log);
	if (pr->workers_read && !pr->pool)
		pr->cap = NULL;         /* the pool closed them */
	return pr->pool ? 0 : EXIT_USAGE;
fail:
	if (pr->workers_read)
		close_caps(pr, caps);
	return EXIT_USAGE;
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

/* After run(), which ended every flow and session: the statistics, then
 * every collector is flushed and closed. */
static void close_pipeline(struct probe *pr, int quiet)
{
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
	meter_free(&pr->m);
	if (pr->workers_read)
		pr->cap = NULL;             /* the pool's, closed with it */
	worker_pool_free(pr->pool);
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
