/*
 * summary.c - the Skype summary of a run.
 *
 * Rows are kept in arrival order (a row is made by its session record or
 * by the first flow record that carries its session id, whichever comes
 * first) and found again by session id through an open-addressing index.
 * Flow counts per row are flow records: a flow split by the active
 * timeout counts once per record, as a collector sees it.
 */
#include "summary.h"

#include <arpa/inet.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define INDEX_SIZE (SUMMARY_MAX_ROWS * 2)   /* power of two */

struct row {
	struct session_rec s;
	int      have_session;   /* its session record came */
	uint64_t flows, packets, octets;
};

struct summary {
	struct row *rows;
	uint32_t n_rows, cap_rows;
	uint32_t *index;          /* row + 1 by session id hash; 0 empty */
	uint64_t rows_dropped;    /* sessions not listed: table full */
	uint64_t sessions;
	uint64_t refused;         /* sum of skypeRefusedSupernodes */
	uint64_t flows;
	uint64_t flows_by_role[ROLE_MAX + 1]; /* [ROLE_MAX]: unknown roles */
	uint64_t session_flows;   /* flow records with a session id */
	/* distinct clients: addresses of the listed sessions */
};

static const char *const role_names[ROLE_MAX] = {
	"none", "udp-probe", "udp-probe-negative", "supernode-refused",
	"supernode", "restricted-443", "restricted-80", "login",
	"skypeout", "contact-list",
};

const char *summary_role_name(unsigned role)
{
	return role < ROLE_MAX ? role_names[role] : "unknown";
}

const char *summary_mode_name(unsigned mode)
{
	static const char *const n[] = { "unknown", "udp+tcp",
					 "restricted-443", "restricted-80" };

	return mode < 4 ? n[mode] : "unknown";
}

const char *summary_version_name(unsigned version)
{
	static const char *const n[] = { "unknown", "1.4", "2.x" };

	return version < 3 ? n[version] : "unknown";
}

const char *summary_login_name(unsigned phase)
{
	static const char *const n[] = { "none", "L1", "L2", "L3", "L4",
					 "failed", "relayed" };

	return phase < 7 ? n[phase] : "unknown";
}

const char *summary_end_name(unsigned reason)
{
	static const char *const n[] = { "open", "supernode-closed",
					 "timeout", "shutdown", "evicted" };

	return reason < 5 ? n[reason] : "unknown";
}

struct summary *summary_new(void)
{
	struct summary *sm = calloc(1, sizeof(*sm));

	if (!sm)
		return NULL;
	sm->index = calloc(INDEX_SIZE, sizeof(*sm->index));
	if (!sm->index) {
		free(sm);
		return NULL;
	}
	return sm;
}

void summary_free(struct summary *sm)
{
	if (!sm)
		return;
	free(sm->rows);
	free(sm->index);
	free(sm);
}

/* The row of session id, made when absent; NULL when the table is full. */
static struct row *row_of(struct summary *sm, uint32_t id)
{
	uint32_t h = (id * 2654435761u) & (INDEX_SIZE - 1);
	struct row *r;

	for (;; h = (h + 1) & (INDEX_SIZE - 1)) {
		uint32_t i = sm->index[h];

		if (!i)
			break;
		if (sm->rows[i - 1].s.session_id == id)
			return &sm->rows[i - 1];
	}
	if (sm->n_rows == SUMMARY_MAX_ROWS)
		return NULL;
	if (sm->n_rows == sm->cap_rows) {
		uint32_t n = sm->cap_rows ? sm->cap_rows * 2 : 64;
		struct row *rows = realloc(sm->rows, n * sizeof(*rows));

		if (!rows)
			return NULL;
		sm->rows = rows;
		sm->cap_rows = n;
	}
	r = &sm->rows[sm->n_rows];
	memset(r, 0, sizeof(*r));
	r->s.session_id = id;
	sm->index[h] = ++sm->n_rows;
	return r;
}

void summary_flow(struct summary *sm, const struct flow *f)
{
	struct row *r;

	sm->flows++;
	sm->flows_by_role[f->role < ROLE_MAX ? f->role : ROLE_MAX]++;
	if (!f->session_id)
		return;
	sm->session_flows++;
	r = row_of(sm, f->session_id);
	if (!r)
		return;
	r->flows++;
	r->packets += (uint64_t)f->packets[0] + f->packets[1];
	r->octets += f->octets[0] + f->octets[1];
}

void summary_session(struct summary *sm, const struct session_rec *s)
{
	struct row *r = row_of(sm, s->session_id);

	sm->sessions++;
	sm->refused += s->refused_supernodes;
	if (!r) {
		sm->rows_dropped++;
		return;
	}
	r->s = *s;
	r->have_session = 1;
}

/* ---- output ------------------------------------------------------------ */

static void addr_text(const uint8_t a[16], char *buf, size_t len)
{
	static const uint8_t zero[16];

	if (!memcmp(a, zero, 16))
		snprintf(buf, len, "-");
	else if (pkt_is_v4(a))
		inet_ntop(AF_INET, a + 12, buf, (socklen_t)len);
	else
		inet_ntop(AF_INET6, a, buf, (socklen_t)len);
}

/* "addr:port", "[v6]:port", or "addr" when port is 0. */
static void endpoint_text(const uint8_t a[16], uint16_t port, char *buf,
			  size_t len)
{
	char t[INET6_ADDRSTRLEN];

	addr_text(a, t, sizeof(t));
	if (!port || !strcmp(t, "-"))
		snprintf(buf, len, "%s", t);
	else if (strchr(t, ':'))
		snprintf(buf, len, "[%s]:%u", t, port);
	else
		snprintf(buf, len, "%s:%u", t, port);
}

static void time_text(uint64_t ms, char *buf, size_t len)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	char date[48];

	gmtime_r(&t, &tm);
	if (!strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm))
		date[0] = 0;
	snprintf(buf, len, "%s.%03uZ", date, (unsigned)(ms % 1000));
}

static void secs_text(uint64_t ms, char *buf, size_t len)
{
	snprintf(buf, len, "%" PRIu64 ".%03us", ms / 1000,
		 (unsigned)(ms % 1000));
}

static int cmp_addr(const void *a, const void *b)
{
	return memcmp(a, b, 16);
}

/* Distinct client addresses of the listed sessions. */
static uint64_t count_clients(const struct summary *sm)
{
	uint8_t (*a)[16] = malloc((size_t)(sm->n_rows ? sm->n_rows : 1) * 16);
	uint64_t n = 0;
	uint32_t k = 0;

	if (!a)
		return 0;
	for (uint32_t i = 0; i < sm->n_rows; i++)
		if (sm->rows[i].have_session)
			memcpy(a[k++], sm->rows[i].s.client, 16);
	qsort(a, k, 16, cmp_addr);
	for (uint32_t i = 0; i < k; i++)
		if (i == 0 || memcmp(a[i], a[i - 1], 16))
			n++;
	free(a);
	return n;
}

void summary_print(const struct summary *sm, FILE *out)
{
	char client[64], sn[64], start[64], conn[32], dur[32];

	fprintf(out, "Skype sessions: %" PRIu64 "\n", sm->sessions);
	if (sm->n_rows)
		fprintf(out, "%6s %-24s %-24s %-14s %-7s %-8s %-24s %-10s "
			"%-10s %-16s %6s %8s %10s\n", "id", "client",
			"super node", "mode", "version", "login", "start",
			"connected", "duration", "end", "flows", "packets",
			"octets");
	for (uint32_t i = 0; i < sm->n_rows; i++) {
		const struct row *r = &sm->rows[i];
		const struct session_rec *s = &r->s;

		if (!r->have_session) {
			fprintf(out, "%6" PRIu32 " %-24s %-24s %-14s %-7s %-8s "
				"%-24s %-10s %-10s %-16s %6" PRIu64 " %8" PRIu64
				" %10" PRIu64 "\n", s->session_id, "-", "-",
				"-", "-", "-", "-", "-", "-", "(no record)",
				r->flows, r->packets, r->octets);
			continue;
		}
		endpoint_text(s->client, s->client_port, client,
			      sizeof(client));
		endpoint_text(s->supernode, s->supernode_port, sn, sizeof(sn));
		time_text(s->start_ms, start, sizeof(start));
		if (s->connected_ms) {
			conn[0] = '+';
			secs_text(s->connected_ms - s->start_ms, conn + 1,
				  sizeof(conn) - 1);
		} else {
			snprintf(conn, sizeof(conn), "-");
		}
		secs_text(s->end_ms >= s->start_ms ? s->end_ms - s->start_ms :
			  0, dur, sizeof(dur));
		fprintf(out, "%6" PRIu32 " %-24s %-24s %-14s %-7s %-8s %-24s "
			"%-10s %-10s %-16s %6" PRIu64 " %8" PRIu64 " %10"
			PRIu64 "\n", s->session_id, client, sn,
			summary_mode_name(s->transport_mode),
			summary_version_name(s->version),
			summary_login_name(s->login_phase), start, conn, dur,
			summary_end_name(s->end_reason), r->flows, r->packets,
			r->octets);
	}
	if (sm->rows_dropped)
		fprintf(out, "(%" PRIu64 " more sessions not listed)\n",
			sm->rows_dropped);
	fprintf(out, "Skype clients: %" PRIu64 ", sessions: %" PRIu64
		", refused super nodes: %" PRIu64 "\n", count_clients(sm),
		sm->sessions, sm->refused);
	fprintf(out, "Flows by Skype role (%" PRIu64 " flow records):",
		sm->flows);
	for (unsigned k = 0; k <= ROLE_MAX; k++)
		if (sm->flows_by_role[k])
			fprintf(out, " %s %" PRIu64, summary_role_name(k),
				sm->flows_by_role[k]);
	fputc('\n', out);
}

static void json_str(FILE *out, const char *key, const char *v)
{
	/* Every value written here is ours: no quote or control char. */
	fprintf(out, "\"%s\":\"%s\"", key, v);
}

int summary_write_json(const struct summary *sm, FILE *out)
{
	char a[64];

	fputs("{\"sessions\":[", out);
	for (uint32_t i = 0, first = 1; i < sm->n_rows; i++) {
		const struct row *r = &sm->rows[i];
		const struct session_rec *s = &r->s;

		fprintf(out, "%s\n{\"session_id\":%" PRIu32 ",", first ? "" : ",",
			s->session_id);
		first = 0;
		if (r->have_session) {
			addr_text(s->client, a, sizeof(a));
			json_str(out, "client", a);
			fprintf(out, ",\"client_port\":%u,", s->client_port);
			addr_text(s->supernode, a, sizeof(a));
			json_str(out, "supernode", a);
			fprintf(out, ",\"supernode_port\":%u,", s->supernode_port);
			json_str(out, "mode", summary_mode_name(s->transport_mode));
			fprintf(out, ",\"mode_id\":%u,", s->transport_mode);
			json_str(out, "version", summary_version_name(s->version));
			fprintf(out, ",\"version_id\":%u,", s->version);
			json_str(out, "login_phase",
				 summary_login_name(s->login_phase));
			fprintf(out, ",\"login_phase_id\":%u,", s->login_phase);
			fprintf(out, "\"start_ms\":%" PRIu64 ",\"connected_ms\":%"
				PRIu64 ",\"end_ms\":%" PRIu64 ",\"duration_ms\":%"
				PRIu64 ",", s->start_ms, s->connected_ms,
				s->end_ms, s->end_ms >= s->start_ms ?
				s->end_ms - s->start_ms : 0);
			json_str(out, "end_reason",
				 summary_end_name(s->end_reason));
			fprintf(out, ",\"end_reason_id\":%u,\"supernode_changes\":%"
				PRIu32 ",\"refused_supernodes\":%" PRIu32 ",",
				s->end_reason, s->supernode_changes,
				s->refused_supernodes);
		}
		fprintf(out, "\"flows\":%" PRIu64 ",\"packets\":%" PRIu64
			",\"octets\":%" PRIu64 "}", r->flows, r->packets,
			r->octets);
	}
	fprintf(out, "],\n\"totals\":{\"clients\":%" PRIu64 ",\"sessions\":%"
		PRIu64 ",\"sessions_not_listed\":%" PRIu64
		",\"refused_supernodes\":%" PRIu64 ",\"flows\":%" PRIu64
		",\"session_flows\":%" PRIu64 ",\"flows_by_role\":{",
		count_clients(sm), sm->sessions, sm->rows_dropped, sm->refused,
		sm->flows, sm->session_flows);
	for (unsigned k = 0, first = 1; k <= ROLE_MAX; k++) {
		if (!sm->flows_by_role[k])
			continue;
		fprintf(out, "%s\"%s\":%" PRIu64, first ? "" : ",",
			summary_role_name(k), sm->flows_by_role[k]);
		first = 0;
	}
	fputs("}}}\n", out);
	return ferror(out) ? -1 : 0;
}
