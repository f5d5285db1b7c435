/*
 * export_collector.c - owns where records go: one collector's connection,
 * its libfixbuf session and buffer, back-off, rotation, refresh and the
 * records it could not send.
 *
 * Each collector has its own fbSession/fBuf, built from scratch whenever the
 * collector (re)connects or a file is (re)opened, so templates, RFC 5610
 * type records and application-name options records always lead the stream.
 * Buffers run in manual mode: we emit ourselves, so we know exactly which
 * records a failed emit lost and can count them as not sent.
 *
 * TCP does not use fbExporterAllocNet: its connect() and write() block, and
 * a collector that silently drops SYNs or stops reading would stall the
 * capture.  We connect a non-blocking socket ourselves; libfixbuf writes
 * its messages to a stdio stream of export_queue's, which queues them
 * (bounded) and sends what the socket accepts, never waiting.  Files go
 * through export_queue too, which writes each message whole or not at all.
 * A collector named by host name is looked up in the background
 * (getaddrinfo_a): a reconnect while DNS is slow or down must not stop
 * the capture either.  Numeric addresses need no look-up.
 */
#include "export_collector.h"

#include <errno.h>
#include <inttypes.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdlib.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define REFRESH_DEFAULT_S  600          /* UDP template refresh when 0 */
#define BACKOFF_MAX_S      60
#define CONNECT_TIMEOUT_S  10           /* non-blocking connect give-up */
#define QUEUE_BYTES        (4u << 20)   /* per TCP collector */
#define USER_TIMEOUT_S     60           /* TCP_USER_TIMEOUT */
#define REPORT_S           60           /* records lost: one line per interval */
#define RETIRE_S           10           /* a removed collector drains this long */
#define EXIT_IDLE_MS       1000         /* at exit: give up without progress */
#define EXIT_MAX_MS        10000        /*          and after this in all */

/* --- small helpers ------------------------------------------------------- */

static void say(const struct collector *c, enum log_level level,
		const char *what, const char *detail)
{
	const struct collector_cfg *cc = &c->cfg;
	const char *sep = detail ? ": " : "";

	if (c->quiet)
		return;
	if (!detail)
		detail = "";
	if (cc->kind == COLLECTOR_FILE)
		log_msg(c->log, level, "export: %s: %s%s%s", cc->path, what,
			sep, detail);
	else
		log_msg(c->log, level, "export: %s://%s:%s: %s%s%s",
			cc->kind == COLLECTOR_TCP ? "tcp" : "udp", cc->host,
			cc->port, what, sep, detail);
}

/* Records the queue lost were counted as sent when they were emitted. */
static void take_lost(struct collector *c)
{
	struct tally lost = {0};

	if (!c->q)
		return;
	xq_take_lost(c->q, &lost);
	tally_add(&c->not_sent, &lost);
	c->flows_sent -= lost.flows < c->flows_sent ? lost.flows : c->flows_sent;
}

/* --- collector life cycle -------------------------------------------------- */

static int pump(struct collector *c);

/*
 * A TCP collector's addresses, tried in turn until one connects.  A host
 * name is looked up in the background; the names are copies, as the
 * collector is a value that moves on a reload while the resolver's
 * thread reads them.
 */
struct resolve {
	struct gaicb cb;
	struct addrinfo hints;
	int async;                      /* cb was handed to getaddrinfo_a */
	struct addrinfo *list;          /* the addresses, once known */
	const struct addrinfo *next;    /* the next one to try */
	char host[sizeof(((struct collector_cfg *)0)->host)];
	char port[sizeof(((struct collector_cfg *)0)->port)];
};

/* Cancel a pending look-up.  One the resolver will not give up (it is in
 * the middle of it) is left to it: freeing it would let it write freed
 * memory; it is one small block per stuck look-up. */
static void resolve_drop(struct collector *c)
{
	struct resolve *r = c->res;

	c->res = NULL;
	if (!r)
		return;
	if (r->async && gai_error(&r->cb) == EAI_INPROGRESS &&
	    gai_cancel(&r->cb) == EAI_NOTCANCELED)
		return;
	if (r->cb.ar_result)
		freeaddrinfo(r->cb.ar_result);
	if (r->list)
		freeaddrinfo(r->list);
	free(r);
}

void collector_close(struct collector *c)
{
	struct tally lost = {0};

	if (c->fbuf)
		fBufFree(c->fbuf);      /* frees session and exporter */
	c->fbuf = NULL;
	if (c->q) {
		take_lost(c);
		xq_close(c->q, &lost);  /* closes fp; counts the unacknowledged */
		tally_add(&c->not_sent, &lost);
		c->flows_sent -= lost.flows < c->flows_sent ?
				 lost.flows : c->flows_sent;
	} else if (c->fp) {
		fflush(c->fp);          /* standard output */
	}
	c->q = NULL;
	c->fp = NULL;
	if (c->connect_fd >= 0)
		close(c->connect_fd);
	c->connect_fd = -1;
	resolve_drop(c);
}

/* Give up on the current connection: what it had buffered is lost. */
static void collector_down(struct collector *c, const char *why)
{
	int was_up = c->state == COLL_UP;
	char msg[160];

	snprintf(c->why, sizeof(c->why), "%s", why);
	tally_add(&c->not_sent, &c->pending);
	memset(&c->pending, 0, sizeof(c->pending));
	c->dirty = 0;
	collector_close(c);
	c->state = COLL_DOWN;
	c->retry_at_s = c->now_s + c->backoff_s;
	if (was_up || c->backoff_s == 1) {
		snprintf(msg, sizeof(msg), "unavailable, retrying in %us",
			 c->backoff_s);
		say(c, LOG_LVL_WARNING, msg, why);
	}
	c->backoff_s = c->backoff_s * 2 > BACKOFF_MAX_S ?
		       BACKOFF_MAX_S : c->backoff_s * 2;
}

static void collector_fail(struct collector *c, GError **gerr)
{
	if (c->q && xq_error(c->q))     /* ours says it better: no "FP" */
		collector_down(c, strerror(xq_error(c->q)));
	else
		collector_down(c, *gerr ? (*gerr)->message : "error");
	g_clear_error(gerr);
}

static int send_metadata(struct collector *c, GError **gerr)
{
	c->dirty = 1;
	return ipfix_write_metadata(c->wire, c->fbuf, c->cfg.profile, gerr);
}

/* Build fbSession and fBuf on a libfixbuf exporter; send the metadata. */
static int collector_attach(struct collector *c, fbExporter_t *exp)
{
	GError *gerr = NULL;
	fbSession_t *s = ipfix_session_new(c->wire, c->cfg.profile,
					   c->cfg.session_opid, &gerr);

	if (!s) {
		say(c, LOG_LVL_ERROR, "cannot build templates",
		    gerr ? gerr->message : "");
		g_clear_error(&gerr);
		fbExporterClose(exp);
		return -1;
	}
	c->fbuf = fBufAllocForExport(s, exp);
	c->state = COLL_UP;
	c->last_refresh_s = c->now_s;
	if (send_metadata(c, &gerr) < 0) {
		collector_fail(c, &gerr);
		return -1;
	}
	return pump(c);
}

/* Rotated files are PATH.YYYYmmddHHMMSS (UTC, opening time), with -N
 * added when that name exists already. */
static int open_rotated(const struct collector *c, uint64_t now_s)
{
	char base[EXPORT_STR + 32], name[EXPORT_STR + 48];
	time_t t = (time_t)now_s;
	struct tm tm;
	int fd = -1;

	gmtime_r(&t, &tm);
	snprintf(base, sizeof(base), "%s.%04d%02d%02d%02d%02d%02d",
		 c->cfg.path, tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
		 tm.tm_hour, tm.tm_min, tm.tm_sec);
	for (int i = 0; i < 1000; i++) {
		if (i == 0)
			snprintf(name, sizeof(name), "%s", base);
		else
			snprintf(name, sizeof(name), "%s-%d", base, i);
		fd = open(name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
		if (fd >= 0 || errno != EEXIST)
			break;
	}
	return fd;
}

static int file_open(struct collector *c)
{
	if (strcmp(c->cfg.path, "-") == 0) {
		c->fp = stdout;
	} else {
		int fd, err;
		off_t size = 0;

		if (c->cfg.rotate_s || c->cfg.rotate_bytes)
			fd = open_rotated(c, c->now_s);
		else    /* after a failure, keep what was written */
			fd = open(c->cfg.path, O_WRONLY | O_CREAT | O_CLOEXEC |
				  (c->opened_once ? O_APPEND : O_TRUNC), 0666);
		if (fd >= 0)
			size = lseek(fd, 0, SEEK_END);
		if (fd >= 0 && size >= 0 &&
		    (c->q = xq_file(fd, (uint64_t)size)) != NULL &&
		    (c->fp = xq_fp(c->q)) != NULL)
			goto opened;
		err = fd < 0 || size < 0 ? errno : ENOMEM;
		if (c->q)
			xq_close(c->q, NULL);
		else if (fd >= 0)
			close(fd);
		c->q = NULL;
		collector_down(c, strerror(err));
		return -1;
	}
opened:
	c->opened_once = 1;
	c->opened_s = c->now_s;
	return collector_attach(c, fbExporterAllocFP(c->fp));
}

static int udp_open(struct collector *c)
{
	fbConnSpec_t spec = FB_CONNSPEC_INIT;

	spec.transport = FB_UDP;        /* the default, SCTP, aborts */
	spec.host = c->cfg.host;
	spec.svc = c->cfg.port;
	return collector_attach(c, fbExporterAllocNet(&spec));
}

/* Start a non-blocking connect to the next address that takes it;
 * COLL_CONNECTING until it completes, down when none is left. */
static void tcp_next(struct collector *c)
{
	struct resolve *r = c->res;
	const struct addrinfo *ai;
	unsigned user_timeout = USER_TIMEOUT_S * 1000u;
	int fd = -1, rc = EADDRNOTAVAIL;

	for (ai = r->next; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
			    ai->ai_protocol);
		if (fd < 0) {
			rc = errno;
			continue;
		}
		fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
		/* Data unacknowledged this long (a peer gone without a
		 * reset, or not reading at all) breaks the connection. */
		setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &user_timeout,
			   sizeof(user_timeout));
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0 ||
		    errno == EINPROGRESS)
			break;
		rc = errno;
		close(fd);
		fd = -1;
	}
	if (fd < 0) {
		collector_down(c, strerror(rc));
		return;
	}
	r->next = ai->ai_next;
	c->connect_fd = fd;
	c->connect_start_s = c->now_s;
	c->state = COLL_CONNECTING;
}

/* The look-up in the background is done, or not yet (then only its
 * time-out is checked). */
static void tcp_resolved(struct collector *c)
{
	struct resolve *r = c->res;
	int rc = gai_error(&r->cb);

	if (rc == EAI_INPROGRESS) {
		if (c->now_s - c->connect_start_s >= CONNECT_TIMEOUT_S)
			collector_down(c, "name look-up timed out");
		return;
	}
	if (rc != 0) {
		collector_down(c, gai_strerror(rc));
		return;
	}
	r->next = r->list = r->cb.ar_result;
	r->cb.ar_result = NULL;
	tcp_next(c);
}

/* Numeric addresses at once; names through getaddrinfo_a (COLL_RESOLVING
 * until they resolve). */
static void tcp_start(struct collector *c)
{
	struct resolve *r = calloc(1, sizeof(*r));
	struct gaicb *list[1];
	int rc;

	if (!r) {
		collector_down(c, strerror(ENOMEM));
		return;
	}
	c->res = r;
	snprintf(r->host, sizeof(r->host), "%s", c->cfg.host);
	snprintf(r->port, sizeof(r->port), "%s", c->cfg.port);
	r->hints.ai_family = AF_UNSPEC;
	r->hints.ai_socktype = SOCK_STREAM;
	r->hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
	if (getaddrinfo(r->host, r->port, &r->hints, &r->list) == 0) {
		r->next = r->list;
		tcp_next(c);
		return;
	}
	r->list = NULL;
	r->hints.ai_flags = 0;
	r->cb.ar_name = r->host;
	r->cb.ar_service = r->port;
	r->cb.ar_request = &r->hints;
	list[0] = &r->cb;
	rc = getaddrinfo_a(GAI_NOWAIT, list, 1, NULL);
	if (rc != 0) {
		collector_down(c, gai_strerror(rc));
		return;
	}
	r->async = 1;
	c->connect_start_s = c->now_s;
	c->state = COLL_RESOLVING;
}

/* Poll a connect in progress for up to wait_ms; attach when it is done. */
static void tcp_check(struct collector *c, int wait_ms)
{
	struct pollfd pfd = { .fd = c->connect_fd, .events = POLLOUT };
	int soerr = 0, fd = c->connect_fd;
	socklen_t len = sizeof(soerr);

	if (poll(&pfd, 1, wait_ms) == 0) {
		if (c->now_s - c->connect_start_s >= CONNECT_TIMEOUT_S)
			collector_down(c, "connect timed out");
		return;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) < 0)
		soerr = errno;
	if (soerr) {
		if (c->res && c->res->next) {   /* the next address */
			close(fd);
			c->connect_fd = -1;
			tcp_next(c);
			return;
		}
		collector_down(c, strerror(soerr));
		return;
	}
	resolve_drop(c);
	/* Never blocking: messages wait in the queue instead. */
	c->q = xq_stream(fd, QUEUE_BYTES);
	c->fp = c->q ? xq_fp(c->q) : NULL;
	if (!c->fp) {
		collector_down(c, strerror(ENOMEM));
		return;
	}
	c->connect_fd = -1;
	if (collector_attach(c, fbExporterAllocFP(c->fp)) == 0) {
		if (c->backoff_s > 1)
			say(c, LOG_LVL_INFO, "connected", NULL);
		c->backoff_s = 1;
	}
}

static void collector_open(struct collector *c)
{
	switch (c->cfg.kind) {
	case COLLECTOR_FILE:
		file_open(c);
		break;
	case COLLECTOR_UDP:
		udp_open(c);
		break;
	case COLLECTOR_TCP:
		tcp_start(c);
		break;
	}
}

int collector_start(struct collector *c, const struct collector_cfg *cc,
		    const struct ipfix_wire *w, struct logger *lg, int append,
		    uint64_t now_s, int wait_ms)
{
	int rc;

	memset(c, 0, sizeof(*c));
	c->cfg = *cc;
	c->wire = w;
	c->log = lg;
	c->now_s = now_s;
	c->connect_fd = -1;
	c->backoff_s = 1;
	c->state = COLL_DOWN;
	c->opened_once = append;
	if (cc->kind == COLLECTOR_FILE) {
		c->quiet = 1;           /* one message, below */
		rc = file_open(c);
		c->quiet = 0;
		if (rc < 0) {
			log_error(lg, "export: %s: cannot write: %s", cc->path,
				  c->why);
			collector_close(c);
			return -1;
		}
		return 0;
	}
	collector_open(c);
	if (c->state == COLL_RESOLVING && wait_ms > 0) {
		struct timespec ts = { wait_ms / 1000,
				       (long)(wait_ms % 1000) * 1000000 };
		const struct gaicb *list[1] = { &c->res->cb };

		gai_suspend(list, 1, &ts);
		tcp_resolved(c);
	}
	if (c->state == COLL_CONNECTING)
		tcp_check(c, wait_ms);
	return 0;
}

/* --- appending ------------------------------------------------------------- */

/* Send what the socket takes; a broken connection goes down. */
static int pump(struct collector *c)
{
	if (!c->q)
		return 0;
	if (xq_pump(c->q) < 0) {
		collector_down(c, strerror(xq_error(c->q)));
		return -1;
	}
	take_lost(c);
	return 0;
}

static int emit(struct collector *c)
{
	GError *gerr = NULL;

	if (!c->fbuf)
		return -1;
	if (!c->dirty)
		return pump(c);
	if (c->q)
		xq_next_tally(c->q, &c->pending);
	if (!fBufEmit(c->fbuf, &gerr)) {
		collector_fail(c, &gerr);
		return -1;
	}
	c->flows_sent += c->pending.flows;
	memset(&c->pending, 0, sizeof(c->pending));
	c->dirty = 0;
	return pump(c);
}

void collector_append(struct collector *c, const struct ipfix_rec *r,
		      const struct tally *t)
{
	GError *gerr = NULL;
	uint16_t tid = r->tid, xtid = r->xtid[c->cfg.profile];
	uint8_t *rec = (uint8_t *)r->data.bytes;
	size_t size = r->size;

	if (!xtid)
		return;
	if (c->state != COLL_UP) {
		tally_add(&c->not_sent, t);
		return;
	}
	if (!fBufSetInternalTemplate(c->fbuf, tid, &gerr) ||
	    !fBufSetExportTemplate(c->fbuf, xtid, &gerr))
		goto fail;
	if (fBufAppend(c->fbuf, rec, size, &gerr))
		goto done;
	if (!g_error_matches(gerr, FB_ERROR_DOMAIN, FB_ERROR_EOM))
		goto fail;
	/* Message full: send it and start the next one with this record. */
	g_clear_error(&gerr);
	if (emit(c) < 0) {
		tally_add(&c->not_sent, t);
		return;
	}
	if (!fBufSetInternalTemplate(c->fbuf, tid, &gerr) ||
	    !fBufSetExportTemplate(c->fbuf, xtid, &gerr) ||
	    !fBufAppend(c->fbuf, rec, size, &gerr))
		goto fail;
done:
	tally_add(&c->pending, t);
	c->dirty = 1;
	return;
fail:
	tally_add(&c->pending, t);
	collector_fail(c, &gerr);
}


static void refresh(struct collector *c)
{
	GError *gerr = NULL;
	uint32_t every = c->cfg.template_refresh_s ?
			 c->cfg.template_refresh_s : REFRESH_DEFAULT_S;

	if (c->cfg.kind != COLLECTOR_UDP ||
	    c->now_s - c->last_refresh_s < every)
		return;
	c->last_refresh_s = c->now_s;
	/* Emit first so that a failure cannot take data records with it. */
	if (emit(c) < 0)
		return;
	if (send_metadata(c, &gerr) < 0)
		collector_fail(c, &gerr);
}

/* Files: close and start the next one; its not-sent count carries on. */
static void rotate(struct collector *c)
{
	const struct collector_cfg *cc = &c->cfg;

	if (cc->kind != COLLECTOR_FILE || !c->q ||
	    (!cc->rotate_s && !cc->rotate_bytes))
		return;
	if ((cc->rotate_s && c->now_s - c->opened_s >= cc->rotate_s) ||
	    (cc->rotate_bytes && xq_size(c->q) >= cc->rotate_bytes)) {
		if (emit(c) < 0)
			return;
		collector_close(c);
		c->state = COLL_DOWN;
		file_open(c);
	}
}

/* Records lost: one line per REPORT_S at most, while it goes on. */
static void report(struct collector *c)
{
	char msg[96];

	if (c->not_sent.records <= c->reported || c->now_s < c->next_report_s)
		return;
	if (c->reported)
		snprintf(msg, sizeof(msg), "%" PRIu64 " more records not sent "
			 "(%" PRIu64 " in all)", c->not_sent.records -
			 c->reported, c->not_sent.records);
	else
		snprintf(msg, sizeof(msg), "%" PRIu64 " records not sent",
			 c->not_sent.records);
	say(c, LOG_LVL_WARNING, msg, NULL);
	c->reported = c->not_sent.records;
	c->next_report_s = c->now_s + REPORT_S;
}

void collector_tick(struct collector *c, uint64_t now_s)
{
	c->now_s = now_s;
	if (c->next_report_s > now_s + REPORT_S)
		c->next_report_s = now_s;
	/* A clock stepped back must not postpone retries for long. */
	if (c->retry_at_s > now_s + BACKOFF_MAX_S)
		c->retry_at_s = now_s;
	if (c->last_refresh_s > now_s)
		c->last_refresh_s = now_s;
	if (c->state == COLL_DOWN && now_s >= c->retry_at_s)
		collector_open(c);
	if (c->state == COLL_RESOLVING)
		tcp_resolved(c);
	if (c->state == COLL_CONNECTING)
		tcp_check(c, 0);
	if (c->state == COLL_UP) {
		refresh(c);
		emit(c);
		if (c->state == COLL_UP)
			rotate(c);
	}
	report(c);
}

uint64_t collector_exported_flows(const struct collector *c)
{
	return c->flows_sent + c->pending.flows;
}

void collector_finish(struct collector *c)
{
	emit(c);                        /* a retiring one has nothing */
	if (c->q)                       /* still up */
		xq_drain(c->q, EXIT_IDLE_MS, EXIT_MAX_MS);
	collector_close(c);
	c->next_report_s = 0;           /* the last word, whenever it is */
	report(c);
}

void collector_retire(struct collector *c)
{
	emit(c);
	/* Only the queue drains on: the session may outlive its model. */
	if (c->fbuf)
		fBufFree(c->fbuf);
	c->fbuf = NULL;
	c->state = COLL_DOWN;
	c->retry_at_s = c->now_s + RETIRE_S;    /* the deadline, from now */
	if (!c->q || xq_done(c->q))
		collector_close(c);
}

int collector_retire_tick(struct collector *c, uint64_t now_s)
{
	c->now_s = now_s;
	if (!c->q)
		return 1;
	if (xq_done(c->q) || xq_pump(c->q) < 0 || now_s >= c->retry_at_s) {
		collector_close(c);
		return 1;
	}
	take_lost(c);
	return 0;
}

int collector_same_cfg(const struct collector_cfg *a,
		       const struct collector_cfg *b)
{
	return a->kind == b->kind && a->profile == b->profile &&
	       strcmp(a->host, b->host) == 0 &&
	       strcmp(a->port, b->port) == 0 &&
	       strcmp(a->path, b->path) == 0 &&
	       a->template_refresh_s == b->template_refresh_s &&
	       a->rotate_s == b->rotate_s &&
	       a->rotate_bytes == b->rotate_bytes &&
	       a->session_opid == b->session_opid;
}
