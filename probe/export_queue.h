/*
 * export_queue.h - owns the bytes of one collector's output: the whole
 * IPFIX messages libfixbuf writes to a stdio stream, and where they go.
 *
 * - A TCP socket (xq_stream): messages wait in a bounded queue and are
 *   sent as the socket accepts them, never blocking.  A message that does
 *   not fit the queue is dropped whole, so the stream stays parseable and
 *   the records it carried are counted as lost.  On close, the messages
 *   the peer's TCP stack has not acknowledged (SIOCOUTQ) are counted as
 *   lost too.
 * - A file (xq_file): each message is written whole or not at all; a
 *   failed write is cut off again (ftruncate), so the file always ends at
 *   a whole message.
 *
 * The capture thread owns everything here (libfixbuf included); nothing
 * allocates per record, only once per connection or file.
 */
#ifndef SKYPROBE_EXPORT_QUEUE_H
#define SKYPROBE_EXPORT_QUEUE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Records counted together: what one append or one message carries. */
struct tally {
	uint64_t records;
	uint64_t flows;
	uint64_t packets;
	uint64_t octets;
};

void tally_add(struct tally *to, const struct tally *t);

struct xq;

/* fd: a connected TCP socket, made non-blocking here; cap: bytes of
 * messages that may wait.  NULL when out of memory (fd left open). */
struct xq *xq_stream(int fd, size_t cap);
/* fd: a file open for writing, positioned at its end, size bytes long. */
struct xq *xq_file(int fd, uint64_t size);

/* The stream to give fbExporterAllocFP: unbuffered, one fwrite per
 * message.  Owned by q.  NULL when it cannot be made. */
FILE *xq_fp(struct xq *q);

/* The records the next message written carries (streams only). */
void xq_next_tally(struct xq *q, const struct tally *t);

/* Streams: send what the socket accepts now.  0, or -1 when the
 * connection failed (xq_error says why). */
int xq_pump(struct xq *q);
int xq_error(const struct xq *q);

/* Files: bytes of whole messages in the file.  Streams: bytes queued. */
uint64_t xq_size(const struct xq *q);

/* Move the records lost so far (dropped, or not acknowledged at close)
 * to *to. */
void xq_take_lost(struct xq *q, struct tally *to);

/*
 * Streams: wait until every message is sent and acknowledged, giving up
 * after idle_ms without progress or max_ms in all, or at once when
 * messages were dropped since the queue was last empty (the peer does
 * not keep up).  0 when all was acknowledged, else -1.  Only at exit.
 */
int xq_drain(struct xq *q, int idle_ms, int max_ms);
/* Streams: 1 when everything was sent and acknowledged. */
int xq_done(struct xq *q);

/* Close the file or socket and free q; what was not acknowledged is
 * counted as lost first (then *lost gets it) and a socket that still
 * held data is reset, so that nothing counted as lost arrives later. */
void xq_close(struct xq *q, struct tally *lost);

#endif
