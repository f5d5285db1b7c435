/*
 * config.c - owns the probe's configuration: the built-in defaults, the
 * per-site YAML file (libyaml document API), cross-field validation,
 * printing the effective configuration back as YAML, and the collector
 * spec parser shared with the command line.  Durations, sizes, addresses
 * and prefixes are read and written by values.c.
 *
 * The file is described by static key tables (name, type, field offset,
 * range), so loading, validating and printing cannot drift apart.  Loading
 * walks the whole document and reports every problem it finds; the result
 * is built in a copy and only committed when there were none.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "config.h"
#include "capture.h"

#define MAX_FILE_BYTES   (1024 * 1024)
#define MAX_SECTION_KEYS 24
#define SHOW_MAX         60     /* bytes of a bad value quoted in messages */
#define DAY              86400u

enum val_type {
	V_STR, V_U32, V_U16, V_BOOL, V_DURATION, V_SIZE,
	V_LEVEL, V_DEST, V_PROFILE, V_KIND, V_READER, V_PORT,
	V_PREFIXES, V_ADDRS, V_COLLECTORS
};

/* Collector kinds a key applies to (collector keys only). */
#define K_TCP  (1u << COLLECTOR_TCP)
#define K_UDP  (1u << COLLECTOR_UDP)
#define K_FILE (1u << COLLECTOR_FILE)
#define K_ALL  (K_TCP | K_UDP | K_FILE)

struct key_spec {
	const char   *name;
	enum val_type type;
	size_t        offset;   /* into skyprobe_config or collector_cfg */
	size_t        size;
	uint64_t      min, max;
	unsigned      kinds;    /* collector keys: K_* mask */
};

struct section_spec {
	const char            *name;
	const struct key_spec *keys;
	size_t                 n_keys;
};

struct name_value {
	const char *name;
	int         value;
};

#define FIELD_SIZE(type, f) sizeof(((type *)0)->f)
#define CK(name, t, f, lo, hi) \
	{ name, t, offsetof(struct skyprobe_config, f), \
	  FIELD_SIZE(struct skyprobe_config, f), lo, hi, 0 }
#define COLK(name, t, f, lo, hi, kinds) \
	{ name, t, offsetof(struct collector_cfg, f), \
	  FIELD_SIZE(struct collector_cfg, f), lo, hi, kinds }

static const struct key_spec site_keys[] = {
	CK("name", V_STR, site_name, 0, 0),
	CK("observation_domain", V_U32, observation_domain, 0, UINT32_MAX),
	CK("internal", V_PREFIXES, internal, 0, 0),
};

static const struct key_spec capture_keys[] = {
	CK("interface", V_STR, interface, 0, 0),
	CK("file", V_STR, read_file, 0, 0),
	CK("filter", V_STR, bpf_filter, 0, 0),
	CK("snaplen", V_U32, snaplen, 64, 262144),
	CK("promiscuous", V_BOOL, promiscuous, 0, 1),
	CK("buffer_size", V_SIZE, buffer_size, 0, INT_MAX),
	CK("user", V_STR, user, 0, 0),
	CK("workers", V_U32, workers, 1, CFG_MAX_WORKERS),
	CK("live_reader", V_READER, live_reader, 0, 0),
};

static const struct key_spec flows_keys[] = {
	CK("idle_timeout", V_DURATION, idle_timeout_s, 1, DAY),
	CK("active_timeout", V_DURATION, active_timeout_s, 1, 7 * DAY),
	CK("max_flows", V_U32, max_flows, 1, 1u << 28),
	CK("vlan_in_key", V_BOOL, vlan_in_key, 0, 1),
};

static const struct key_spec export_keys[] = {
	CK("pen", V_U32, pen, 1, UINT32_MAX),
	CK("stats_interval", V_DURATION, stats_interval_s, 0, DAY),
	CK("elements_file", V_STR, elements_file, 0, 0),
	CK("collectors", V_COLLECTORS, collectors, 0, 0),
};

static const struct key_spec signature_keys[] = {
	CK("enabled", V_BOOL, sig_enabled, 0, 1),
	CK("udp_probe", V_BOOL, sig_udp_probe, 0, 1),
	CK("tcp_handshake", V_BOOL, sig_tcp_handshake, 0, 1),
	CK("restricted_443", V_BOOL, sig_restricted_443, 0, 1),
	CK("restricted_80", V_BOOL, sig_restricted_80, 0, 1),
	CK("login", V_BOOL, sig_login, 0, 1),
	CK("seqid", V_BOOL, sig_seqid, 0, 1),
	CK("login_servers", V_ADDRS, login_servers, 0, 0),
	CK("skypeout_gateways", V_ADDRS, skypeout_gateways, 0, 0),
	CK("contact_list_servers", V_ADDRS, contact_servers, 0, 0),
	CK("bootstrap_port", V_U16, bootstrap_port, 1, 65535),
	CK("max_clients", V_U32, max_clients, 1, 1u << 28),
	CK("client_expiry", V_DURATION, client_expiry_s, 1, 30 * DAY),
	CK("max_sessions", V_U32, max_sessions, 1, 1u << 28),
	CK("session_timeout", V_DURATION, session_timeout_s, 1, 30 * DAY),
};

static const struct key_spec logging_keys[] = {
	CK("level", V_LEVEL, log_level, 0, 0),
	CK("destination", V_DEST, log_dest, 0, 0),
	CK("syslog_socket", V_STR, log_socket, 0, 0),
};

_Static_assert(sizeof(signature_keys) / sizeof(signature_keys[0]) <=
	       MAX_SECTION_KEYS, "the largest section fits struct seen[]");

#define SECTION(name, keys) { name, keys, sizeof(keys) / sizeof(keys[0]) }
static const struct section_spec sections[] = {
	SECTION("site", site_keys),
	SECTION("capture", capture_keys),
	SECTION("flows", flows_keys),
	SECTION("export", export_keys),
	SECTION("signature", signature_keys),
	SECTION("logging", logging_keys),
};
#define N_SECTIONS (sizeof(sections) / sizeof(sections[0]))

static const struct key_spec collector_keys[] = {
	COLK("type", V_KIND, kind, 0, 0, K_ALL),
	COLK("host", V_STR, host, 0, 0, K_TCP | K_UDP),
	COLK("port", V_PORT, port, 1, 65535, K_TCP | K_UDP),
	COLK("path", V_STR, path, 0, 0, K_FILE),
	COLK("profile", V_PROFILE, profile, 0, 0, K_ALL),
	COLK("template_refresh", V_DURATION, template_refresh_s, 1, DAY, K_UDP),
	COLK("rotate_interval", V_DURATION, rotate_s, 0, 30 * DAY, K_FILE),
	COLK("rotate_size", V_SIZE, rotate_bytes, 0, UINT64_MAX, K_FILE),
	COLK("session_observation_point", V_BOOL, session_opid, 0, 1, K_ALL),
};
#define N_COLLECTOR_KEYS (sizeof(collector_keys) / sizeof(collector_keys[0]))

static const struct name_value level_names[] = {
	{ "error", LOG_LVL_ERROR }, { "warning", LOG_LVL_WARNING },
	{ "info", LOG_LVL_INFO }, { "debug", LOG_LVL_DEBUG }, { NULL, 0 }
};
static const struct name_value dest_names[] = {
	{ "stderr", LOG_DEST_STDERR }, { "syslog", LOG_DEST_SYSLOG }, { NULL, 0 }
};
static const struct name_value profile_names[] = {
	{ "full", PROFILE_FULL }, { "nfdump", PROFILE_NFDUMP }, { NULL, 0 }
};
static const struct name_value kind_names[] = {
	{ "tcp", COLLECTOR_TCP }, { "udp", COLLECTOR_UDP },
	{ "file", COLLECTOR_FILE }, { NULL, 0 }
};
static const struct name_value bool_names[] = {
	{ "true", 1 }, { "false", 0 }, { "yes", 1 }, { "no", 0 },
	{ "on", 1 }, { "off", 0 }, { NULL, 0 }
};

static const struct name_value reader_names[] = {
	{ "ring", LIVE_RING }, { "libpcap", LIVE_LIBPCAP }, { NULL, 0 }
};
static const char *kind_label[] = { "tcp", "udp", "file" };

/* ---- small value parsers ------------------------------------------------ */

static int parse_port(const char *s, size_t len, char out[16])
{
	uint64_t v;

	if (value_parse_u64(s, len, &v) < 0 || v < 1 || v > 65535)
		return -1;
	snprintf(out, 16, "%u", (unsigned)v);
	return 0;
}

static int copy_str(char *dst, size_t size, const char *src, size_t len)
{
	if (len >= size || memchr(src, '\0', len) != NULL)
		return -1;
	memset(dst, 0, size);
	memcpy(dst, src, len);
	return 0;
}

/* "HOST:PORT" or "[V6]:PORT". */
static int parse_host_port(const char *s, struct collector_cfg *c)
{
	const char *host = s, *colon;
	size_t host_len;

	if (s[0] == '[') {
		const char *close = strchr(s, ']');

		if (close == NULL || close[1] != ':')
			return -1;
		host = s + 1;
		host_len = (size_t)(close - host);
		colon = close + 1;
	} else {
		colon = strrchr(s, ':');
		if (colon == NULL)
			return -1;
		host_len = (size_t)(colon - s);
		if (memchr(s, ':', host_len) != NULL)
			return -1;      /* bare IPv6 needs brackets */
	}
	if (host_len == 0 || copy_str(c->host, sizeof(c->host), host,
				      host_len) < 0)
		return -1;
	return parse_port(colon + 1, strlen(colon + 1), c->port);
}

int config_parse_collector(const char *spec, struct collector_cfg *c)
{
	struct collector_cfg tmp;

	if (spec == NULL || spec[0] == '\0')
		return -1;
	memset(&tmp, 0, sizeof(tmp));
	tmp.profile = PROFILE_FULL;
	tmp.session_opid = 1;
	if (strncmp(spec, "tcp://", 6) == 0) {
		tmp.kind = COLLECTOR_TCP;
		if (parse_host_port(spec + 6, &tmp) < 0)
			return -1;
	} else if (strncmp(spec, "udp://", 6) == 0) {
		tmp.kind = COLLECTOR_UDP;
		tmp.template_refresh_s = 600;
		if (parse_host_port(spec + 6, &tmp) < 0)
			return -1;
	} else {
		tmp.kind = COLLECTOR_FILE;
		if (copy_str(tmp.path, sizeof(tmp.path), spec,
			     strlen(spec)) < 0)
			return -1;
	}
	*c = tmp;
	return 0;
}

static const char *value_name(const struct name_value *t, int v)
{
	for (; t->name != NULL; t++)
		if (t->value == v)
			return t->name;
	return "?";
}

static int value_of(const struct name_value *t, const char *s, int *v)
{
	for (; t->name != NULL; t++)
		if (strcmp(t->name, s) == 0) {
			*v = t->value;
			return 0;
		}
	return -1;
}

/* ---- defaults ----------------------------------------------------------- */

static void add_v4(struct addr_list *l, uint8_t a, uint8_t b, uint8_t c,
		   uint8_t d)
{
	const uint8_t v4[4] = { a, b, c, d };

	addr_map_v4(l->addr[l->n++], v4);
}

void config_defaults(struct skyprobe_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->observation_domain = 1;
	cfg->snaplen = 65535;
	cfg->promiscuous = 1;
	cfg->workers = 1;
	cfg->live_reader = LIVE_RING;
	cfg->idle_timeout_s = 30;
	cfg->active_timeout_s = 300;
	cfg->max_flows = 1048576;
	cfg->vlan_in_key = 1;
	cfg->pen = 32473;
	cfg->stats_interval_s = 60;
	cfg->sig_enabled = 1;
	cfg->sig_udp_probe = 1;
	cfg->sig_tcp_handshake = 1;
	cfg->sig_restricted_443 = 1;
	cfg->sig_restricted_80 = 1;
	cfg->sig_login = 1;
	cfg->sig_seqid = 1;
	/* NGNI-SKYPE-06b, section 5.2.3 */
	add_v4(&cfg->login_servers, 195, 215, 8, 141);
	add_v4(&cfg->login_servers, 212, 72, 49, 141);
	add_v4(&cfg->skypeout_gateways, 195, 215, 8, 140);
	add_v4(&cfg->skypeout_gateways, 212, 72, 49, 155);
	add_v4(&cfg->contact_servers, 195, 215, 8, 142);
	add_v4(&cfg->contact_servers, 212, 72, 49, 142);
	cfg->bootstrap_port = 33033;
	cfg->max_clients = 65536;
	cfg->client_expiry_s = 3600;
	cfg->max_sessions = 65536;
	cfg->session_timeout_s = 3600;
	cfg->log_level = LOG_LVL_INFO;
	cfg->log_dest = LOG_DEST_STDERR;
	strcpy(cfg->log_socket, LOG_SOCKET_DEFAULT);
}

/* ---- problem reporting -------------------------------------------------- */

struct load_ctx {
	const char      *name;
	FILE            *err;
	yaml_document_t *doc;
	int              problems;
};

__attribute__((format(printf, 3, 4)))
static void report(struct load_ctx *ctx, yaml_mark_t mark,
		   const char *fmt, ...)
{
	va_list ap;

	ctx->problems++;
	if (ctx->err == NULL)
		return;
	fprintf(ctx->err, "%s:%zu:%zu: ", ctx->name, mark.line + 1,
		mark.column + 1);
	va_start(ap, fmt);
	vfprintf(ctx->err, fmt, ap);
	va_end(ap);
	fputc('\n', ctx->err);
}

/* A bounded, single-line copy of untrusted text for a message. */
static const char *show(char buf[SHOW_MAX + 4], const char *s, size_t len)
{
	size_t i, n = len > SHOW_MAX ? SHOW_MAX : len;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		buf[i] = (c < 0x20 || c == 0x7f || c == '\'') ? '?' : (char)c;
	}
	strcpy(buf + n, len > n ? "..." : "");
	return buf;
}

static const char *node_kind(const yaml_node_t *n)
{
	switch (n->type) {
	case YAML_MAPPING_NODE:
		return "a mapping";
	case YAML_SEQUENCE_NODE:
		return "a sequence";
	default:
		return "a scalar";
	}
}

static const char *scalar(const yaml_node_t *n, size_t *len)
{
	*len = n->data.scalar.length;
	return (const char *)n->data.scalar.value;
}

/* Plain empty, ~ and null are YAML's null; quoted "" is a string. */
static int is_null(const yaml_node_t *n)
{
	static const char *nulls[] = { "", "~", "null", "Null", "NULL" };
	size_t i;

	if (n->type != YAML_SCALAR_NODE ||
	    n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return 0;
	for (i = 0; i < sizeof(nulls) / sizeof(nulls[0]); i++)
		if (n->data.scalar.length == strlen(nulls[i]) &&
		    memcmp(n->data.scalar.value, nulls[i],
			   n->data.scalar.length) == 0)
			return 1;
	return 0;
}

/* Text naming what a key expects, for "..., expected X" messages. */
static void expectation(const struct key_spec *k, char *buf, size_t size)
{
	char lo[32], hi[32];

	switch (k->type) {
	case V_STR:
		snprintf(buf, size, "a string of at most %zu bytes",
			 k->size - 1);
		break;
	case V_U32:
	case V_U16:
	case V_PORT:
		snprintf(buf, size, "an integer from %" PRIu64 " to %" PRIu64,
			 k->min, k->max);
		break;
	case V_BOOL:
		snprintf(buf, size, "a boolean: true, false, yes, no, on or off");
		break;
	case V_DURATION:
		value_format_duration(k->min, lo, sizeof(lo));
		value_format_duration(k->max, hi, sizeof(hi));
		snprintf(buf, size, "a duration from %s to %s (a number with "
			 "an optional unit s, m, h or d)", lo, hi);
		break;
	case V_SIZE:
		value_format_size(k->min, lo, sizeof(lo));
		value_format_size(k->max, hi, sizeof(hi));
		if (k->max == UINT64_MAX)
			snprintf(buf, size, "a size such as 4096, 512KiB, 64MiB "
				 "or 1GiB");
		else
			snprintf(buf, size, "a size from %s to %s bytes "
				 "(units B, KiB, MiB, GiB, KB, MB, GB)", lo, hi);
		break;
	case V_LEVEL:
		snprintf(buf, size, "error, warning, info or debug");
		break;
	case V_DEST:
		snprintf(buf, size, "stderr or syslog");
		break;
	case V_PROFILE:
		snprintf(buf, size, "full or nfdump");
		break;
	case V_KIND:
		snprintf(buf, size, "tcp, udp or file");
		break;
	case V_READER:
		snprintf(buf, size, "ring or libpcap");
		break;
	case V_PREFIXES:
		snprintf(buf, size, "a list of prefixes such as "
			 "[192.0.2.0/24, \"2001:db8::/32\"]");
		break;
	case V_ADDRS:
		snprintf(buf, size, "a list of IPv4 or IPv6 addresses");
		break;
	case V_COLLECTORS:
		snprintf(buf, size, "a list of collectors");
		break;
	}
}

static void bad_value(struct load_ctx *ctx, const yaml_node_t *n,
		      const struct key_spec *k, const char *path)
{
	char exp[160], shown[SHOW_MAX + 4];
	size_t len;
	const char *s = scalar(n, &len);

	expectation(k, exp, sizeof(exp));
	report(ctx, n->start_mark, "invalid value '%s' for '%s', expected %s",
	       show(shown, s, len), path, exp);
}

static void out_of_range(struct load_ctx *ctx, const yaml_node_t *n,
			 const struct key_spec *k, const char *path)
{
	char exp[160], shown[SHOW_MAX + 4];
	size_t len;
	const char *s = scalar(n, &len);

	expectation(k, exp, sizeof(exp));
	report(ctx, n->start_mark,
	       "value '%s' for '%s' is out of range, expected %s",
	       show(shown, s, len), path, exp);
}

static void wrong_type(struct load_ctx *ctx, const yaml_node_t *n,
		       const struct key_spec *k, const char *path)
{
	char exp[160];

	expectation(k, exp, sizeof(exp));
	report(ctx, n->start_mark, "'%s' is %s, expected %s", path,
	       node_kind(n), exp);
}

/* ---- key lookup and suggestions ----------------------------------------- */

static size_t edit_distance(const char *a, size_t la, const char *b)
{
	size_t lb = strlen(b), row[65], i, j;

	if (la > 64 || lb > 64)
		return SIZE_MAX;
	for (j = 0; j <= lb; j++)
		row[j] = j;
	for (i = 1; i <= la; i++) {
		size_t diag = row[0];

		row[0] = i;
		for (j = 1; j <= lb; j++) {
			size_t up = row[j];
			size_t best = diag + (a[i - 1] != b[j - 1]);

			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	return row[lb];
}

/*
 * The closest name within a few typos, or one the key abbreviates
 * ("promisc"); NULL when nothing is close enough to be a useful hint.
 */
static const char *closest(const char *key, size_t len,
			   const char *const *names, size_t n)
{
	const char *best = NULL;
	size_t best_d = SIZE_MAX, i;

	for (i = 0; i < n; i++) {
		size_t d = edit_distance(key, len, names[i]);
		size_t nl = strlen(names[i]);

		if (len >= 4 && len < nl && strncmp(key, names[i], len) == 0)
			d = 1;
		if (d <= 2 || d * 3 <= nl) {
			if (d < best_d) {
				best_d = d;
				best = names[i];
			}
		}
	}
	return best;
}

/* "a, b, c" into buf, cut short if buf is too small. */
static void join_names(const char *const *names, size_t n, char *buf,
		       size_t size)
{
	size_t i, used = 0;

	buf[0] = '\0';
	for (i = 0; i < n && used < size; i++)
		used += (size_t)snprintf(buf + used, size - used, "%s%s",
					 i ? ", " : "", names[i]);
}

static void unknown_key(struct load_ctx *ctx, const yaml_node_t *key,
			const char *where, const char *const *names, size_t n)
{
	char shown[SHOW_MAX + 4], list[512];
	size_t len;
	const char *s = scalar(key, &len);
	const char *hint = closest(s, len, names, n);

	show(shown, s, len);
	if (hint != NULL) {
		report(ctx, key->start_mark,
		       "unknown key '%s' %s, did you mean '%s'?", shown, where,
		       hint);
		return;
	}
	join_names(names, n, list, sizeof(list));
	report(ctx, key->start_mark, "unknown key '%s' %s, expected one of %s",
	       shown, where, list);
}

struct seen {
	int         given;
	yaml_mark_t mark;
};

/*
 * Resolve one mapping pair's key against names[].  Reports non-scalar,
 * unknown and duplicate keys; returns the index or -1.
 */
static int match_key(struct load_ctx *ctx, const yaml_node_t *key,
		     const char *where, const char *const *names, size_t n,
		     struct seen *seen)
{
	char shown[SHOW_MAX + 4];
	size_t len, i;
	const char *s;

	if (key->type != YAML_SCALAR_NODE) {
		report(ctx, key->start_mark, "key %s is %s, expected a name",
		       where, node_kind(key));
		return -1;
	}
	s = scalar(key, &len);
	for (i = 0; i < n; i++)
		if (strlen(names[i]) == len && memcmp(names[i], s, len) == 0)
			break;
	if (i == n) {
		unknown_key(ctx, key, where, names, n);
		return -1;
	}
	if (seen[i].given) {
		report(ctx, key->start_mark,
		       "duplicate key '%s' %s, first given at line %zu, "
		       "expected each key once", show(shown, s, len), where,
		       seen[i].mark.line + 1);
		return -1;
	}
	seen[i].given = 1;
	seen[i].mark = key->start_mark;
	return (int)i;
}

static yaml_node_t *node_at(struct load_ctx *ctx, int index)
{
	return yaml_document_get_node(ctx->doc, index);
}

/* ---- values ------------------------------------------------------------- */

static void load_string(struct load_ctx *ctx, const struct key_spec *k,
			const yaml_node_t *val, char *field, const char *path)
{
	size_t len;
	const char *s = scalar(val, &len);

	if (is_null(val))
		len = 0;
	if (memchr(s, '\0', len) != NULL)
		report(ctx, val->start_mark, "value for '%s' contains a NUL "
		       "byte, expected text", path);
	else if (len >= k->size)
		report(ctx, val->start_mark, "value for '%s' is too long "
		       "(%zu bytes), expected at most %zu bytes", path, len,
		       k->size - 1);
	else
		copy_str(field, k->size, s, len);
}

static void load_number(struct load_ctx *ctx, const struct key_spec *k,
			const yaml_node_t *val, void *field, const char *path)
{
	size_t len;
	const char *s = scalar(val, &len);
	char text[64];
	uint64_t v;
	int ok;

	if (len >= sizeof(text) || memchr(s, '\0', len) != NULL) {
		bad_value(ctx, val, k, path);
		return;
	}
	memcpy(text, s, len);
	text[len] = '\0';
	if (k->type == V_DURATION)
		ok = value_parse_duration(text, &v) == 0;
	else if (k->type == V_SIZE)
		ok = value_parse_size(text, &v) == 0;
	else
		ok = value_parse_u64(text, len, &v) == 0;
	if (!ok) {
		bad_value(ctx, val, k, path);
		return;
	}
	if (v < k->min || v > k->max) {
		out_of_range(ctx, val, k, path);
		return;
	}
	if (k->type == V_PORT)
		snprintf(field, k->size, "%" PRIu64, v);
	else if (k->size == sizeof(uint64_t))
		*(uint64_t *)field = v;
	else if (k->size == sizeof(uint16_t))
		*(uint16_t *)field = (uint16_t)v;
	else
		*(uint32_t *)field = (uint32_t)v;
}

static void load_named(struct load_ctx *ctx, const struct key_spec *k,
		       const yaml_node_t *val, void *field, const char *path)
{
	const struct name_value *table;
	size_t len;
	const char *s = scalar(val, &len);
	char text[16];
	int v;

	switch (k->type) {
	case V_BOOL:    table = bool_names; break;
	case V_LEVEL:   table = level_names; break;
	case V_DEST:    table = dest_names; break;
	case V_PROFILE: table = profile_names; break;
	case V_READER:  table = reader_names; break;
	default:        table = kind_names; break;
	}
	if (len >= sizeof(text) || memchr(s, '\0', len) != NULL) {
		bad_value(ctx, val, k, path);
		return;
	}
	memcpy(text, s, len);
	text[len] = '\0';
	if (value_of(table, text, &v) < 0) {
		bad_value(ctx, val, k, path);
		return;
	}
	switch (k->type) {
	case V_BOOL:    *(int *)field = v; break;
	case V_LEVEL:   *(enum log_level *)field = (enum log_level)v; break;
	case V_DEST:    *(enum log_dest *)field = (enum log_dest)v; break;
	case V_PROFILE:
		*(enum export_profile *)field = (enum export_profile)v;
		break;
	case V_READER:  *(int *)field = v; break;
	default:
		*(enum collector_kind *)field = (enum collector_kind)v;
		break;
	}
}

/* A scalar item of a list as a C string; NULL (reported) otherwise. */
static const char *item_text(struct load_ctx *ctx, const yaml_node_t *item,
			     const char *path, const char *what, char *buf,
			     size_t size)
{
	size_t len;
	const char *s;
	char shown[SHOW_MAX + 4];

	if (item->type != YAML_SCALAR_NODE) {
		report(ctx, item->start_mark, "'%s' is %s, expected %s", path,
		       node_kind(item), what);
		return NULL;
	}
	s = scalar(item, &len);
	if (len >= size || memchr(s, '\0', len) != NULL) {
		report(ctx, item->start_mark, "invalid value '%s' for '%s', "
		       "expected %s", show(shown, s, len), path, what);
		return NULL;
	}
	memcpy(buf, s, len);
	buf[len] = '\0';
	return buf;
}

static void load_prefix(struct load_ctx *ctx, const yaml_node_t *item,
			struct prefix *out, const char *path)
{
	char text[80], shown[SHOW_MAX + 4], net[64];
	const char *s = item_text(ctx, item, path, "a prefix such as "
				  "192.0.2.0/24 or 2001:db8::/32", text,
				  sizeof(text));
	struct prefix p;

	if (s == NULL)
		return;
	show(shown, s, strlen(s));
	switch (prefix_parse(s, &p)) {
	case PFX_OK:
		*out = p;
		break;
	case PFX_BAD_ADDR:
		report(ctx, item->start_mark, "invalid prefix '%s' for '%s', "
		       "expected an IPv4 or IPv6 address with an optional "
		       "/length", shown, path);
		break;
	case PFX_BAD_LEN4:
		report(ctx, item->start_mark, "invalid prefix '%s' for '%s', "
		       "expected a prefix length from 0 to 32 for IPv4",
		       shown, path);
		break;
	case PFX_BAD_LEN6:
		report(ctx, item->start_mark, "invalid prefix '%s' for '%s', "
		       "expected a prefix length from 0 to 128 for IPv6",
		       shown, path);
		break;
	case PFX_HOST_BITS:
		memset(p.addr + (p.len + 7) / 8, 0, 16 - (p.len + 7) / 8);
		if (p.len % 8)
			p.addr[p.len / 8] &= (uint8_t)(0xff00u >> (p.len % 8));
		prefix_format(&p, net, sizeof(net));
		report(ctx, item->start_mark, "prefix '%s' for '%s' has host "
		       "bits set, expected %s", shown, path, net);
		break;
	}
}

static void load_addr(struct load_ctx *ctx, const yaml_node_t *item,
		      uint8_t out[16], const char *path)
{
	char text[80], shown[SHOW_MAX + 4];
	const char *s = item_text(ctx, item, path, "an IPv4 or IPv6 address",
				  text, sizeof(text));

	if (s != NULL && addr_parse(s, out) == 0)
		report(ctx, item->start_mark, "invalid address '%s' for '%s', "
		       "expected an IPv4 or IPv6 address",
		       show(shown, s, strlen(s)), path);
}

static void load_collector(struct load_ctx *ctx, const yaml_node_t *item,
			   struct collector_cfg *c, const char *path);

/*
 * Lists replace what was there.  A single scalar counts as a one-item
 * list, null as the empty list.
 */
static void load_list(struct load_ctx *ctx, const struct key_spec *k,
		      const yaml_node_t *val, void *base, const char *path)
{
	void *field = (char *)base + k->offset;
	struct skyprobe_config *cfg = base;     /* prefixes, collectors */
	const yaml_node_item_t *items;
	size_t max, n_items, i;
	uint32_t n = 0;
	int single;
	char item_path[128];

	if (val->type == YAML_MAPPING_NODE) {
		wrong_type(ctx, val, k, path);
		return;
	}
	memset(field, 0, k->size);
	single = val->type == YAML_SCALAR_NODE;
	items = single ? NULL : val->data.sequence.items.start;
	n_items = single ? 1 : (size_t)(val->data.sequence.items.top - items);
	if (is_null(val))
		n_items = 0;
	max = k->type == V_PREFIXES ? CFG_MAX_PREFIXES :
	      k->type == V_ADDRS ? CFG_MAX_SERVERS : CFG_MAX_COLLECTORS;
	for (i = 0; i < n_items; i++) {
		const yaml_node_t *item = single ? val : node_at(ctx, items[i]);

		if (item == NULL)
			continue;
		if (i == max) {
			report(ctx, item->start_mark, "too many entries in "
			       "'%s' (%zu), expected at most %zu", path,
			       n_items, max);
			break;
		}
		snprintf(item_path, sizeof(item_path), "%s[%zu]", path, i);
		if (k->type == V_PREFIXES)
			load_prefix(ctx, item, &cfg->internal[n], item_path);
		else if (k->type == V_ADDRS)
			load_addr(ctx, item,
				  ((struct addr_list *)field)->addr[n],
				  item_path);
		else
			load_collector(ctx, item, &cfg->collectors[n],
				       item_path);
		n++;
	}
	if (k->type == V_PREFIXES)
		cfg->n_internal = n;
	else if (k->type == V_ADDRS)
		((struct addr_list *)field)->n = n;
	else
		cfg->n_collectors = n;
}

static void load_value(struct load_ctx *ctx, const struct key_spec *k,
		       const yaml_node_t *key, const yaml_node_t *val,
		       void *base, const char *path)
{
	void *field = (char *)base + k->offset;
	char exp[160];

	if (k->type == V_PREFIXES || k->type == V_ADDRS ||
	    k->type == V_COLLECTORS) {
		load_list(ctx, k, val, base, path);
		return;
	}
	if (val->type != YAML_SCALAR_NODE) {
		wrong_type(ctx, val, k, path);
		return;
	}
	if (k->type != V_STR && is_null(val)) {
		expectation(k, exp, sizeof(exp));
		report(ctx, key->start_mark, "missing value for '%s', "
		       "expected %s", path, exp);
		return;
	}
	switch (k->type) {
	case V_STR:
		load_string(ctx, k, val, field, path);
		break;
	case V_U32:
	case V_U16:
	case V_DURATION:
	case V_SIZE:
	case V_PORT:
		load_number(ctx, k, val, field, path);
		break;
	default:
		load_named(ctx, k, val, field, path);
		break;
	}
}

/* ---- mappings ----------------------------------------------------------- */

static void key_names(const struct key_spec *keys, size_t n,
		      const char **names)
{
	size_t i;

	for (i = 0; i < n; i++)
		names[i] = keys[i].name;
}

static int find_spec(const struct key_spec *keys, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(keys[i].name, name) == 0)
			return (int)i;
	return -1;
}

/*
 * The collector's kind decides which keys apply, so 'type' is read before
 * the other keys.  Returns the kind, or -1 when 'type' is missing or bad.
 */
static int collector_kind(struct load_ctx *ctx, const yaml_node_t *map,
			  struct collector_cfg *c, const char *path)
{
	const yaml_node_pair_t *p;
	char type_path[160];

	for (p = map->data.mapping.pairs.start;
	     p < map->data.mapping.pairs.top; p++) {
		const yaml_node_t *k = node_at(ctx, p->key);
		const yaml_node_t *v = node_at(ctx, p->value);
		int before = ctx->problems;

		if (k == NULL || v == NULL || k->type != YAML_SCALAR_NODE ||
		    k->data.scalar.length != 4 ||
		    memcmp(k->data.scalar.value, "type", 4) != 0)
			continue;
		snprintf(type_path, sizeof(type_path), "%s.type", path);
		load_value(ctx, &collector_keys[0], k, v, c, type_path);
		/* a second 'type' is reported as a duplicate by the caller */
		return ctx->problems == before ? (int)c->kind : -1;
	}
	report(ctx, map->start_mark, "missing key 'type' in '%s', expected "
	       "tcp, udp or file", path);
	return -1;
}

static void collector_keys_for(int kind, char *buf, size_t size)
{
	const char *names[N_COLLECTOR_KEYS];
	size_t i, n = 0;

	for (i = 0; i < N_COLLECTOR_KEYS; i++)
		if (collector_keys[i].kinds & (1u << kind))
			names[n++] = collector_keys[i].name;
	join_names(names, n, buf, size);
}

/* host and port for the network kinds, path for files: no defaults. */
static void collector_required(struct load_ctx *ctx, const yaml_node_t *item,
			       int kind, const struct seen *seen,
			       const char *path)
{
	size_t i;

	for (i = 1; i < N_COLLECTOR_KEYS; i++) {
		const struct key_spec *spec = &collector_keys[i];
		int needed = (spec->type == V_PORT || spec->type == V_STR) &&
			     (spec->kinds & (1u << kind));

		if (needed && !seen[i].given)
			report(ctx, item->start_mark, "missing key '%s' in "
			       "'%s', a %s collector needs it", spec->name,
			       path, kind_label[kind]);
	}
}

static void load_collector(struct load_ctx *ctx, const yaml_node_t *item,
			   struct collector_cfg *c, const char *path)
{
	const char *names[N_COLLECTOR_KEYS];
	struct seen seen[N_COLLECTOR_KEYS];
	const yaml_node_pair_t *p;
	char where[160], key_path[192], valid[128];
	int kind;

	if (item->type == YAML_SCALAR_NODE) {
		char text[CFG_STR + 16], shown[SHOW_MAX + 4];
		const char *s = item_text(ctx, item, path, "a collector such as "
					  "udp://HOST:PORT", text,
					  sizeof(text));

		if (s != NULL && config_parse_collector(s, c) < 0)
			report(ctx, item->start_mark, "invalid collector '%s' "
			       "for '%s', expected tcp://HOST:PORT, "
			       "udp://HOST:PORT or a file path",
			       show(shown, text, strlen(text)), path);
		return;
	}
	if (item->type != YAML_MAPPING_NODE) {
		report(ctx, item->start_mark, "'%s' is %s, expected a mapping "
		       "with keys type, host, port, path, ...", path,
		       node_kind(item));
		return;
	}
	memset(c, 0, sizeof(*c));
	c->profile = PROFILE_FULL;
	c->session_opid = 1;
	kind = collector_kind(ctx, item, c, path);
	if (kind == COLLECTOR_UDP)
		c->template_refresh_s = 600;
	memset(seen, 0, sizeof(seen));
	key_names(collector_keys, N_COLLECTOR_KEYS, names);
	snprintf(where, sizeof(where), "in '%s'", path);
	for (p = item->data.mapping.pairs.start;
	     p < item->data.mapping.pairs.top; p++) {
		const yaml_node_t *k = node_at(ctx, p->key);
		const yaml_node_t *v = node_at(ctx, p->value);
		const struct key_spec *spec;
		int idx;

		if (k == NULL || v == NULL)
			continue;
		idx = match_key(ctx, k, where, names, N_COLLECTOR_KEYS, seen);
		if (idx <= 0)   /* 0 is 'type', already loaded */
			continue;
		spec = &collector_keys[idx];
		if (kind >= 0 && !(spec->kinds & (1u << kind))) {
			collector_keys_for(kind, valid, sizeof(valid));
			report(ctx, k->start_mark, "key '%s' does not apply to "
			       "a %s collector in '%s', expected one of %s",
			       spec->name, kind_label[kind], path, valid);
			continue;
		}
		snprintf(key_path, sizeof(key_path), "%s.%s", path,
			 spec->name);
		load_value(ctx, spec, k, v, c, key_path);
	}
	if (kind >= 0)
		collector_required(ctx, item, kind, seen, path);
}

/* interface and file are alternatives: the one the file gives wins. */
static void capture_source(struct load_ctx *ctx, struct skyprobe_config *w,
			   const struct seen *seen)
{
	size_t n = sizeof(capture_keys) / sizeof(capture_keys[0]);
	int i_if = find_spec(capture_keys, n, "interface");
	int i_file = find_spec(capture_keys, n, "file");
	const struct seen *later;

	if (seen[i_if].given && seen[i_file].given &&
	    w->interface[0] != '\0' && w->read_file[0] != '\0') {
		later = seen[i_if].mark.index > seen[i_file].mark.index ?
			&seen[i_if] : &seen[i_file];
		report(ctx, later->mark, "both 'capture.interface' and "
		       "'capture.file' are set, expected exactly one of them");
		return;
	}
	if (seen[i_if].given && w->interface[0] != '\0')
		memset(w->read_file, 0, sizeof(w->read_file));
	if (seen[i_file].given && w->read_file[0] != '\0')
		memset(w->interface, 0, sizeof(w->interface));
}

static void load_section(struct load_ctx *ctx,
			 const struct section_spec *sec, const yaml_node_t *map,
			 struct skyprobe_config *w)
{
	const char *names[MAX_SECTION_KEYS];
	struct seen seen[MAX_SECTION_KEYS];
	const yaml_node_pair_t *p;
	char where[64], path[96];

	if (is_null(map))
		return;         /* every key commented out */
	if (map->type != YAML_MAPPING_NODE) {
		report(ctx, map->start_mark, "'%s' is %s, expected a mapping",
		       sec->name, node_kind(map));
		return;
	}
	memset(seen, 0, sizeof(seen));
	key_names(sec->keys, sec->n_keys, names);
	snprintf(where, sizeof(where), "in '%s'", sec->name);
	for (p = map->data.mapping.pairs.start;
	     p < map->data.mapping.pairs.top; p++) {
		const yaml_node_t *k = node_at(ctx, p->key);
		const yaml_node_t *v = node_at(ctx, p->value);
		int idx;

		if (k == NULL || v == NULL)
			continue;
		idx = match_key(ctx, k, where, names, sec->n_keys, seen);
		if (idx < 0)
			continue;
		snprintf(path, sizeof(path), "%s.%s", sec->name,
			 sec->keys[idx].name);
		load_value(ctx, &sec->keys[idx], k, v, w, path);
	}
	if (sec->keys == capture_keys)
		capture_source(ctx, w, seen);
}

static void load_root(struct load_ctx *ctx, const yaml_node_t *root,
		      struct skyprobe_config *w)
{
	const char *names[N_SECTIONS];
	struct seen seen[N_SECTIONS];
	const yaml_node_pair_t *p;
	yaml_mark_t start = { 0, 0, 0 };
	char list[128];
	size_t i;

	for (i = 0; i < N_SECTIONS; i++)
		names[i] = sections[i].name;
	join_names(names, N_SECTIONS, list, sizeof(list));
	if (root == NULL || is_null(root)) {
		report(ctx, start, "the file is empty, expected a mapping "
		       "with keys %s", list);
		return;
	}
	if (root->type != YAML_MAPPING_NODE) {
		report(ctx, root->start_mark, "the top level is %s, expected "
		       "a mapping with keys %s", node_kind(root), list);
		return;
	}
	memset(seen, 0, sizeof(seen));
	for (p = root->data.mapping.pairs.start;
	     p < root->data.mapping.pairs.top; p++) {
		const yaml_node_t *k = node_at(ctx, p->key);
		const yaml_node_t *v = node_at(ctx, p->value);
		int idx;

		if (k == NULL || v == NULL)
			continue;
		idx = match_key(ctx, k, "at the top level", names, N_SECTIONS,
				seen);
		if (idx >= 0)
			load_section(ctx, &sections[idx], v, w);
	}
}

/* ---- loading ------------------------------------------------------------ */

static void syntax_error(struct load_ctx *ctx, const yaml_parser_t *parser,
			 const char *buf, size_t len)
{
	yaml_mark_t mark = parser->problem_mark;
	const char *problem = parser->problem ? parser->problem : "unknown";
	size_t i;

	switch (parser->error) {
	case YAML_MEMORY_ERROR:
		mark.line = mark.column = 0;
		report(ctx, mark, "out of memory while parsing, expected a "
		       "smaller file");
		return;
	case YAML_READER_ERROR:
		/* The reader only knows a byte offset. */
		mark.line = mark.column = 0;
		for (i = 0; i < parser->problem_offset && i < len; i++) {
			if (buf[i] == '\n') {
				mark.line++;
				mark.column = 0;
			} else {
				mark.column++;
			}
		}
		report(ctx, mark, "invalid input: %s (byte 0x%02x), expected "
		       "UTF-8 text", problem,
		       (unsigned)parser->problem_value & 0xffu);
		return;
	default:
		break;
	}
	if (parser->context != NULL)
		report(ctx, mark, "YAML syntax error: %s (%s at line %zu, "
		       "column %zu)", problem, parser->context,
		       parser->context_mark.line + 1,
		       parser->context_mark.column + 1);
	else
		report(ctx, mark, "YAML syntax error: %s", problem);
}

/* libyaml only loads one document per call; a second one is a mistake. */
static void check_single_document(struct load_ctx *ctx,
				  yaml_parser_t *parser, const char *buf,
				  size_t len)
{
	yaml_document_t next;
	yaml_node_t *root;

	if (!yaml_parser_load(parser, &next)) {
		syntax_error(ctx, parser, buf, len);
		return;
	}
	root = yaml_document_get_root_node(&next);
	if (root != NULL)
		report(ctx, root->start_mark, "a second YAML document starts "
		       "here, expected a single document");
	yaml_document_delete(&next);
}

int config_load_buffer(struct skyprobe_config *cfg, const char *name,
		       const char *buf, size_t len, FILE *err)
{
	struct skyprobe_config *work;
	struct load_ctx ctx = { name ? name : "<buffer>", err, NULL, 0 };
	yaml_parser_t parser;
	yaml_document_t doc;

	work = malloc(sizeof(*work));
	if (work == NULL || !yaml_parser_initialize(&parser)) {
		yaml_mark_t start = { 0, 0, 0 };

		report(&ctx, start, "out of memory, expected to load the file");
		free(work);
		return ctx.problems;
	}
	*work = *cfg;
	yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
	if (!yaml_parser_load(&parser, &doc)) {
		syntax_error(&ctx, &parser, buf, len);
	} else {
		ctx.doc = &doc;
		load_root(&ctx, yaml_document_get_root_node(&doc), work);
		if (yaml_document_get_root_node(&doc) != NULL)
			check_single_document(&ctx, &parser, buf, len);
		yaml_document_delete(&doc);
	}
	yaml_parser_delete(&parser);
	if (ctx.problems == 0)
		*cfg = *work;
	free(work);
	return ctx.problems;
}

int config_load_file(struct skyprobe_config *cfg, const char *path,
		     FILE *err)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	size_t len;
	int problems, saved, failed;

	if (f == NULL) {
		if (err != NULL)
			fprintf(err, "%s: cannot open: %s\n", path,
				strerror(errno));
		return 1;
	}
	buf = malloc(MAX_FILE_BYTES + 1);
	if (buf == NULL) {
		fclose(f);
		if (err != NULL)
			fprintf(err, "%s: out of memory\n", path);
		return 1;
	}
	errno = 0;
	len = fread(buf, 1, MAX_FILE_BYTES + 1, f);
	failed = ferror(f);
	saved = errno;
	fclose(f);
	if (failed || len > MAX_FILE_BYTES) {
		if (err != NULL)
			fprintf(err, "%s: cannot read: %s\n", path,
				failed ? strerror(saved) :
				"larger than 1 MiB, expected a small file");
		free(buf);
		return 1;
	}
	problems = config_load_buffer(cfg, path, buf, len, err);
	free(buf);
	return problems;
}

/* ---- validation --------------------------------------------------------- */

__attribute__((format(printf, 3, 4)))
static void complain(FILE *err, int *problems, const char *fmt, ...)
{
	va_list ap;

	if (problems != NULL)
		(*problems)++;
	if (err == NULL)
		return;
	fputs(problems != NULL ? "configuration: " :
	      "configuration: warning: ", err);
	va_start(ap, fmt);
	vfprintf(err, fmt, ap);
	va_end(ap);
	fputc('\n', err);
}

static uint64_t read_number(const struct key_spec *k, const void *base)
{
	const char *field = (const char *)base + k->offset;

	if (k->size == sizeof(uint64_t))
		return *(const uint64_t *)(const void *)field;
	if (k->size == sizeof(uint16_t))
		return *(const uint16_t *)(const void *)field;
	return *(const uint32_t *)(const void *)field;
}

/* Range and termination checks of one table's plain fields. */
static void check_fields(const struct key_spec *keys, size_t n,
			 const void *base, const char *prefix, unsigned kind,
			 FILE *err, int *problems)
{
	char exp[160], val[32];
	size_t i;

	for (i = 0; i < n; i++) {
		const struct key_spec *k = &keys[i];
		const char *field = (const char *)base + k->offset;
		uint64_t v;

		if (k->kinds != 0 && !(k->kinds & kind))
			continue;
		if (k->type == V_STR && memchr(field, '\0', k->size) == NULL)
			complain(err, problems, "'%s%s' is not terminated, "
				 "expected a string of at most %zu bytes",
				 prefix, k->name, k->size - 1);
		if (k->type != V_U32 && k->type != V_U16 &&
		    k->type != V_DURATION && k->type != V_SIZE)
			continue;
		v = read_number(k, base);
		if (v >= k->min && v <= k->max)
			continue;
		expectation(k, exp, sizeof(exp));
		if (k->type == V_DURATION)
			value_format_duration(v, val, sizeof(val));
		else
			snprintf(val, sizeof(val), "%" PRIu64, v);
		complain(err, problems, "'%s%s' is %s, out of range, "
			 "expected %s", prefix, k->name, val, exp);
	}
}

static void check_collector(const struct collector_cfg *c, size_t i,
			    FILE *err, int *problems)
{
	char prefix[48];
	uint64_t port;

	snprintf(prefix, sizeof(prefix), "export.collectors[%zu].", i);
	if ((unsigned)c->kind > COLLECTOR_FILE) {
		complain(err, problems, "'%stype' is invalid, expected tcp, "
			 "udp or file", prefix);
		return;
	}
	if ((unsigned)c->profile > PROFILE_NFDUMP)
		complain(err, problems, "'%sprofile' is invalid, expected full "
			 "or nfdump", prefix);
	check_fields(collector_keys, N_COLLECTOR_KEYS, c, prefix,
		     1u << c->kind, err, problems);
	if (c->kind == COLLECTOR_FILE) {
		if (c->path[0] == '\0')
			complain(err, problems, "'%spath' is empty, expected a "
				 "file path or - for standard output", prefix);
		return;
	}
	if (c->host[0] == '\0')
		complain(err, problems, "'%shost' is empty, expected a host "
			 "name or address", prefix);
	if (memchr(c->port, '\0', sizeof(c->port)) == NULL ||
	    value_parse_u64(c->port, strlen(c->port), &port) < 0 || port < 1 ||
	    port > 65535)
		complain(err, problems, "'%sport' is invalid, expected an "
			 "integer from 1 to 65535", prefix);
}

int config_validate(const struct skyprobe_config *cfg, FILE *err)
{
	int problems = 0;
	size_t i;
	char idle[32], active[32];

	for (i = 0; i < N_SECTIONS; i++) {
		char prefix[24];

		snprintf(prefix, sizeof(prefix), "%s.", sections[i].name);
		check_fields(sections[i].keys, sections[i].n_keys, cfg, prefix,
			     0, err, &problems);
	}
	if (cfg->interface[0] != '\0' && cfg->read_file[0] != '\0')
		complain(err, &problems, "both a capture interface and a "
			 "capture file are set, expected exactly one of them");
	if (cfg->n_internal > CFG_MAX_PREFIXES)
		complain(err, &problems, "%" PRIu32 " internal prefixes, "
			 "expected at most %d", cfg->n_internal,
			 CFG_MAX_PREFIXES);
	if (cfg->login_servers.n > CFG_MAX_SERVERS ||
	    cfg->skypeout_gateways.n > CFG_MAX_SERVERS ||
	    cfg->contact_servers.n > CFG_MAX_SERVERS)
		complain(err, &problems, "too many server addresses, expected "
			 "at most %d per list", CFG_MAX_SERVERS);
	if (cfg->n_collectors > CFG_MAX_COLLECTORS)
		complain(err, &problems, "%" PRIu32 " collectors, expected at "
			 "most %d", cfg->n_collectors, CFG_MAX_COLLECTORS);
	else
		for (i = 0; i < cfg->n_collectors; i++)
			check_collector(&cfg->collectors[i], i, err, &problems);
	if ((unsigned)cfg->log_level > LOG_LVL_DEBUG)
		complain(err, &problems, "'logging.level' is invalid, expected "
			 "error, warning, info or debug");
	if ((unsigned)cfg->log_dest > LOG_DEST_SYSLOG)
		complain(err, &problems, "'logging.destination' is invalid, "
			 "expected stderr or syslog");
	/* Legal but rarely meant: long flows would be cut before going idle. */
	if (cfg->active_timeout_s < cfg->idle_timeout_s) {
		value_format_duration(cfg->idle_timeout_s, idle, sizeof(idle));
		value_format_duration(cfg->active_timeout_s, active, sizeof(active));
		complain(err, NULL, "'flows.active_timeout' (%s) is shorter "
			 "than 'flows.idle_timeout' (%s), expected "
			 "active_timeout >= idle_timeout", active, idle);
	}
	return problems;
}

/* ---- printing ----------------------------------------------------------- */

/*
 * The code point of a UTF-8 sequence at s that YAML only allows escaped:
 * C1 controls, the line breaks NEL, LS and PS (the reader would fold them)
 * and the non-characters U+FFFE/U+FFFF.  0 if there is none at s.
 */
static uint32_t escaped_code_point(const unsigned char *s, size_t *len)
{
	if (s[0] == 0xc2 && s[1] >= 0x80 && s[1] <= 0x9f) {
		*len = 2;
		return s[1];
	}
	if (s[0] == 0xe2 && s[1] == 0x80 && (s[2] == 0xa8 || s[2] == 0xa9)) {
		*len = 3;
		return 0x2000u | (s[2] & 0x3fu);
	}
	if (s[0] == 0xef && s[1] == 0xbf && (s[2] == 0xbe || s[2] == 0xbf)) {
		*len = 3;
		return 0xffc0u | (s[2] & 0x3fu);
	}
	return 0;
}

/*
 * Double-quoted YAML with escapes, so any string loaded from YAML survives
 * the round trip.
 */
static void print_quoted(FILE *out, const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	uint32_t cp;
	size_t len;

	fputc('"', out);
	while (*s != '\0') {
		if (*s == '"' || *s == '\\') {
			fprintf(out, "\\%c", *s);
		} else if (*s < 0x20 || *s == 0x7f) {
			fprintf(out, "\\x%02x", *s);
		} else if ((cp = escaped_code_point(s, &len)) != 0) {
			fprintf(out, "\\u%04" PRIx32, cp);
			s += len;
			continue;
		} else {
			fputc(*s, out);
		}
		s++;
	}
	fputc('"', out);
}

static void print_list(FILE *out, const struct key_spec *k, const void *base)
{
	const char *field = (const char *)base + k->offset;
	char text[64];
	uint32_t i, n;

	if (k->type == V_PREFIXES) {
		const struct skyprobe_config *cfg = base;

		n = cfg->n_internal;
		if (n > CFG_MAX_PREFIXES)
			n = CFG_MAX_PREFIXES;
	} else {
		n = ((const struct addr_list *)(const void *)field)->n;
		if (n > CFG_MAX_SERVERS)
			n = CFG_MAX_SERVERS;
	}
	fputc('[', out);
	for (i = 0; i < n; i++) {
		if (k->type == V_PREFIXES)
			prefix_format(&((const struct prefix *)
					(const void *)field)[i],
				      text, sizeof(text));
		else
			addr_format(((const struct addr_list *)
				     (const void *)field)->addr[i],
				    text, sizeof(text));
		fprintf(out, "%s\"%s\"", i ? ", " : "", text);
	}
	fputc(']', out);
}

static void print_value(FILE *out, const struct key_spec *k,
			const void *base)
{
	const void *field = (const char *)base + k->offset;
	char text[64];

	switch (k->type) {
	case V_STR:
		print_quoted(out, field);
		break;
	case V_PORT:
		fputs(field, out);
		break;
	case V_U32:
	case V_U16:
		fprintf(out, "%" PRIu64, read_number(k, base));
		break;
	case V_DURATION:
		value_format_duration(read_number(k, base), text, sizeof(text));
		fputs(text, out);
		break;
	case V_SIZE:
		value_format_size(read_number(k, base), text, sizeof(text));
		fputs(text, out);
		break;
	case V_BOOL:
		fputs(*(const int *)field ? "true" : "false", out);
		break;
	case V_LEVEL:
		fputs(value_name(level_names,
				 *(const enum log_level *)field), out);
		break;
	case V_DEST:
		fputs(value_name(dest_names,
				 *(const enum log_dest *)field), out);
		break;
	case V_PROFILE:
		fputs(value_name(profile_names,
				 *(const enum export_profile *)field), out);
		break;
	case V_KIND:
		fputs(value_name(kind_names,
				 *(const enum collector_kind *)field), out);
		break;
	case V_READER:
		fputs(value_name(reader_names, *(const int *)field), out);
		break;
	default:
		print_list(out, k, base);
		break;
	}
}

static void print_collectors(FILE *out, const struct skyprobe_config *cfg)
{
	uint32_t i, n = cfg->n_collectors;
	size_t j;

	if (n > CFG_MAX_COLLECTORS)
		n = CFG_MAX_COLLECTORS;
	if (n == 0) {
		fputs(" []\n", out);
		return;
	}
	fputc('\n', out);
	for (i = 0; i < n; i++) {
		const struct collector_cfg *c = &cfg->collectors[i];
		unsigned kind = (unsigned)c->kind;

		for (j = 0; j < N_COLLECTOR_KEYS; j++) {
			const struct key_spec *k = &collector_keys[j];

			if (kind > COLLECTOR_FILE && j > 0)
				break;
			if (kind <= COLLECTOR_FILE &&
			    !(k->kinds & (1u << kind)))
				continue;
			fprintf(out, "    %s %s: ", j ? " " : "-", k->name);
			print_value(out, k, c);
			fputc('\n', out);
		}
	}
}

void config_print(const struct skyprobe_config *cfg, FILE *out)
{
	size_t i, j;

	fputs("# skyprobe effective configuration\n", out);
	for (i = 0; i < N_SECTIONS; i++) {
		fprintf(out, "%s:\n", sections[i].name);
		for (j = 0; j < sections[i].n_keys; j++) {
			const struct key_spec *k = &sections[i].keys[j];

			fprintf(out, "  %s:", k->name);
			if (k->type == V_COLLECTORS) {
				print_collectors(out, cfg);
				continue;
			}
			fputc(' ', out);
			print_value(out, k, cfg);
			fputc('\n', out);
		}
	}
}
