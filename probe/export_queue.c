/*
 * export_queue.c - owns the bytes of one collector's output: a bounded,
 * non-blocking queue of whole IPFIX messages in front of a TCP socket, or
 * whole-message writes to a file.  See export_queue.h.
 *
 * libfixbuf writes each message with one fwrite() to the FILE it is given
 * (fbExporterAllocFP); ours is a fopencookie() stream without a buffer,
 * so each call of xq_write() is one whole message.
 *
 * Stream offsets are counted from the start of the connection: `end` is
 * the end of the last message queued, `sent` what the socket took.  The
 * bytes between them sit in a ring of `cap` bytes.  Every message not yet
 * known to be acknowledged has an entry (its end offset and its records)
 * in a second ring; an entry is released when SIOCOUTQ shows the peer's
 * TCP stack acknowledged all of it.
 */
#include "export_queue.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/sockios.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define XQ_MSGS 4096            /* messages not yet acknowledged, at most */

struct xq_msg {
	uint64_t end;               /* stream offset just after it */
	struct tally t;
};

struct xq {
	int       fd;
	int       is_file;
	int       err;              /* errno of the failure, 0 = none */
	FILE     *fp;
	/* file */
	uint64_t  size;
	/* stream */
	uint8_t  *buf;
	size_t    cap;
	uint64_t  sent, end;
	uint64_t  m_first, m_end;   /* entries [m_first, m_end) in msg */
	struct xq_msg *msg;
	struct tally next;          /* records of the next message */
	struct tally lost;
	int       dropped;          /* since the queue was last empty */
};

void tally_add(struct tally *to, const struct tally *t)
{
	to->records += t->records;
	to->flows += t->flows;
	to->packets += t->packets;
	to->octets += t->octets;
}

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* --- files ------------------------------------------------------------------- */

/* Whole or nothing: a failed write is cut off again. */
static ssize_t file_write(struct xq *q, const char *data, size_t len)
{
	size_t off = 0;

	while (off < len) {
		ssize_t n = write(q->fd, data + off, len - off);

		if (n > 0) {
			off += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		q->err = n < 0 ? errno : ENOSPC;
		if (off && (ftruncate(q->fd, (off_t)q->size) < 0 ||
			    lseek(q->fd, (off_t)q->size, SEEK_SET) < 0))
			q->err = errno;
		errno = q->err;
		return 0;               /* fopencookie: 0 is an error */
	}
	q->size += len;
	return (ssize_t)len;
}

/* --- streams ----------------------------------------------------------------- */

static size_t queued(const struct xq *q)
{
	return (size_t)(q->end - q->sent);
}

/* Copy len bytes into the ring at stream offset q->end. */
static void ring_put(struct xq *q, const uint8_t *data, size_t len)
{
	size_t at = (size_t)(q->end % q->cap);
	size_t first = q->cap - at < len ? q->cap - at : len;

	memcpy(q->buf + at, data, first);
	memcpy(q->buf, data + first, len - first);
	q->end += len;
}

/* Release the entries of messages the peer acknowledged whole. */
static void release_acked(struct xq *q)
{
	int outq = 0;
	uint64_t acked;

	if (q->m_first == q->m_end || ioctl(q->fd, SIOCOUTQ, &outq) < 0)
		return;
	acked = q->sent - (uint64_t)(outq > 0 ? outq : 0);
	while (q->m_first < q->m_end &&
	       q->msg[q->m_first % XQ_MSGS].end <= acked)
		q->m_first++;
}

/* Send from the ring without blocking.  0, or -1 on a broken connection. */
int xq_pump(struct xq *q)
{
	if (q->is_file)
		return q->err ? -1 : 0;
	if (q->err)
		return -1;
	while (q->sent < q->end) {
		size_t at = (size_t)(q->sent % q->cap);
		size_t len = queued(q);
		ssize_t n;

		if (len > q->cap - at)
			len = q->cap - at;
		n = send(q->fd, q->buf + at, len, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n > 0) {
			q->sent += (uint64_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		q->err = n < 0 ? errno : EPIPE;
		return -1;
	}
	if (q->sent == q->end)
		q->dropped = 0;         /* caught up */
	if (q->m_end - q->m_first > XQ_MSGS / 2)
		release_acked(q);       /* lazily: entries only cost room */
	return 0;
}

/* One whole message from libfixbuf: queued, or dropped and counted. */
static ssize_t stream_write(struct xq *q, const char *data, size_t len)
{
	struct tally t = q->next;

	memset(&q->next, 0, sizeof(q->next));
	if (q->m_end - q->m_first >= XQ_MSGS)
		release_acked(q);
	if (q->err || queued(q) + len > q->cap ||
	    q->m_end - q->m_first >= XQ_MSGS) {
		tally_add(&q->lost, &t);
		q->dropped = 1;
		return (ssize_t)len;    /* the stream goes on without it */
	}
	q->msg[q->m_end % XQ_MSGS] = (struct xq_msg){ .end = q->end + len,
						      .t = t };
	q->m_end++;
	ring_put(q, (const uint8_t *)data, len);
	return (ssize_t)len;        /* the caller pumps */
}

static ssize_t xq_write(void *cookie, const char *data, size_t len)
{
	struct xq *q = cookie;

	return q->is_file ? file_write(q, data, len) :
			    stream_write(q, data, len);
}

static int xq_cookie_close(void *cookie)
{
	(void)cookie;               /* xq_close() does the work */
	return 0;
}

/* --- life cycle --------------------------------------------------------------- */

static struct xq *xq_alloc(int fd)
{
	struct xq *q = calloc(1, sizeof(*q));

	if (q)
		q->fd = fd;
	return q;
}

struct xq *xq_stream(int fd, size_t cap)
{
	struct xq *q = xq_alloc(fd);

	if (!q)
		return NULL;
	q->cap = cap;
	q->buf = malloc(cap);
	q->msg = calloc(XQ_MSGS, sizeof(*q->msg));
	if (!q->buf || !q->msg) {
		free(q->buf);
		free(q->msg);
		free(q);
		return NULL;
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	return q;
}

struct xq *xq_file(int fd, uint64_t size)
{
	struct xq *q = xq_alloc(fd);

	if (q) {
		q->is_file = 1;
		q->size = size;
	}
	return q;
}

FILE *xq_fp(struct xq *q)
{
	static const cookie_io_functions_t io = {
		.write = xq_write, .close = xq_cookie_close,
	};

	if (!q->fp) {
		q->fp = fopencookie(q, "w", io);
		if (q->fp)
			setvbuf(q->fp, NULL, _IONBF, 0);
	}
	return q->fp;
}

void xq_next_tally(struct xq *q, const struct tally *t)
{
	q->next = *t;
}

int xq_error(const struct xq *q)
{
	return q->err;
}

uint64_t xq_size(const struct xq *q)
{
	return q->is_file ? q->size : queued(q);
}

void xq_take_lost(struct xq *q, struct tally *to)
{
	tally_add(to, &q->lost);
	memset(&q->lost, 0, sizeof(q->lost));
}

static int unacked(struct xq *q)
{
	int outq = 0;

	if (ioctl(q->fd, SIOCOUTQ, &outq) < 0)
		return -1;
	return outq;
}

int xq_done(struct xq *q)
{
	if (q->is_file)
		return 1;
	if (xq_pump(q) < 0)
		return 0;
	return q->sent == q->end && unacked(q) == 0;
}

int xq_drain(struct xq *q, int idle_ms, int max_ms)
{
	uint64_t start = mono_ms(), last = start, sent = q->sent;
	int outq = -1;

	if (q->is_file)
		return 0;
	for (;;) {
		struct pollfd pfd = { .fd = q->fd, .events = POLLOUT };
		uint64_t now;
		int o;

		if (xq_pump(q) < 0 || q->dropped)
			return -1;
		o = unacked(q);
		if (o < 0)
			return -1;
		if (q->sent == q->end && o == 0)
			return 0;
		now = mono_ms();
		if (q->sent != sent || (outq >= 0 && o < outq))
			last = now;
		sent = q->sent;
		outq = o;
		if (now - last >= (uint64_t)idle_ms ||
		    now - start >= (uint64_t)max_ms)
			return -1;
		/* Room in the socket: wait for it; else for acknowledgements. */
		poll(&pfd, q->sent < q->end ? 1 : 0, 10);
	}
}

void xq_close(struct xq *q, struct tally *lost)
{
	if (!q)
		return;
	if (q->fp)
		fclose(q->fp);
	if (!q->is_file) {
		int outq = unacked(q);
		uint64_t acked = outq < 0 ? 0 : q->sent - (uint64_t)outq;

		release_acked(q);
		for (uint64_t i = q->m_first; i < q->m_end; i++) {
			struct xq_msg *m = &q->msg[i % XQ_MSGS];

			if (m->end > acked)
				tally_add(&q->lost, &m->t);
		}
		if (outq != 0 || q->sent < q->end) {
			/* Reset: what we count as lost must not arrive. */
			struct linger lg = { .l_onoff = 1, .l_linger = 0 };

			setsockopt(q->fd, SOL_SOCKET, SO_LINGER, &lg,
				   sizeof(lg));
		}
	}
	if (q->fd >= 0)
		close(q->fd);
	if (lost)
		xq_take_lost(q, lost);
	free(q->buf);
	free(q->msg);
	free(q);
}
