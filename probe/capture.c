/*
 * capture.c - packet source through libpcap (files and live interfaces).
 *
 * Classic pcap files that are regular files are read by this file's own
 * reader: read(2) into a buffer of 512 KiB, records parsed where they
 * lie, so a batch of packets stays valid together (the caller can
 * prefetch their flows) and libpcap's two copies per packet (kernel into
 * stdio, stdio into its buffer) go away.  Every record header and length
 * is checked against what was read; the error words follow libpcap's.
 * (It replaced a reader that walked the file through mmap(): in this VM
 * the page walks of a mapping cost three times the kernel's copy, and a
 * mapping that shrank needed a SIGBUS handler.)  A file is read up to
 * the size it had at open; one that turns out shorter (truncated while
 * read) ends with "truncated while reading at offset N" after the last
 * whole record, which the caller exports as for any truncated file.
 *
 * pcapng files and streams are read by pcapng.c, which gives each
 * interface its own link type.  Other standard input, pipes, unusual link
 * types and live interfaces go through libpcap.
 *
 * Live interfaces are read by ring.c, in batches, unless libpcap is
 * asked for (live_reader).  Either way the wait is our own poll() of at
 * most LIVE_READ_TIMEOUT_MS: libpcap's TPACKET_V3 reader may block
 * without end on a quiet link, whatever its read timeout.  So the main
 * loop regains control regularly (timeouts, statistics, export flushing
 * run on wall time) and a signal interrupts the wait.  A fanout group is
 * joined by either reader.
 */
#include "capture.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pcap/pcap.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pcapng.h"
#include "ring.h"

#define LIVE_READ_TIMEOUT_MS 200

#define PCAP_FILE_HDR_LEN 24
#define PCAP_REC_HDR_LEN  16
#define PCAP_MAGIC_US     0xa1b2c3d4u
#define PCAP_MAGIC_NS     0xa1b23c4du
/* The read buffer: at least a largest record more than a read. */
#define BF_READ           (512u << 10)
#define BF_SIZE           (BF_READ + PCAP_REC_HDR_LEN + PCAP_MAX_SNAPLEN)
/* libpcap's largest snapshot length for the link types read in place. */
#define PCAP_MAX_SNAPLEN  262144u

/*
 * A classic pcap file read through a buffer.  Records are parsed where
 * read(2) put them; the unread tail moves to the front before the next
 * read.  A batch never spans a refill, so its packets stay valid together.
 */
struct pcap_file {
	int      fd;
	uint8_t *buf;           /* BF_SIZE; NULL: not this reader */
	size_t   len;           /* bytes in buf */
	size_t   pos;           /* next record header, in buf */
	uint64_t off;           /* file offset of buf[pos] */
	uint64_t size;          /* what can be read: the size at open, or
				   less once read() met an earlier end */
	uint64_t size_at_open;
	uint32_t snaplen;
	int      swapped;       /* written in the other byte order */
	int      nanosec;
};

struct capture {
	pcap_t *p;              /* libpcap source; NULL on the mmap path */
	struct ring *ring;      /* live: our own TPACKET_V3 ring */
	struct pcapng *ng;      /* pcapng source */
	struct pcap_file pf;
	pcap_t *dead;           /* compiles the filter for the mmap path */
	struct bpf_program prog;
	int     has_prog;
	int     live;
	int     nanosec;        /* libpcap: a nanosecond file, read as such */
	int     linktype;
	char    source[256];
	char    err[PCAP_ERRBUF_SIZE + 300];
};

/* ---- classic pcap files through a buffer ---------------------------- */

static uint32_t pf_u32(const struct pcap_file *pf, const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return pf->swapped ? __builtin_bswap32(v) : v;
}

/*
 * Parse the file header.  Returns the link type, or -1 when the file is
 * not one this reader takes (libpcap then reads it, and reports a corrupt
 * header in its words).  Link types whose LINKTYPE_ and DLT_ values agree
 * only: libpcap maps the others.
 */
static int pf_parse_header(struct pcap_file *pf, const uint8_t *h)
{
	uint32_t magic, linktype;
	uint16_t major;

	memcpy(&magic, h, 4);
	pf->swapped = magic == __builtin_bswap32(PCAP_MAGIC_US) ||
		      magic == __builtin_bswap32(PCAP_MAGIC_NS);
	magic = pf_u32(pf, h);
	if (magic != PCAP_MAGIC_US && magic != PCAP_MAGIC_NS)
		return -1;
	pf->nanosec = magic == PCAP_MAGIC_NS;
	memcpy(&major, h + 4, 2);
	if ((pf->swapped ? __builtin_bswap16(major) : major) != 2)
		return -1;      /* libpcap says what it makes of others */
	pf->snaplen = pf_u32(pf, h + 16);
	if (pf->snaplen == 0 || pf->snaplen > PCAP_MAX_SNAPLEN)
		pf->snaplen = PCAP_MAX_SNAPLEN;
	linktype = pf_u32(pf, h + 20);
	switch (linktype) {
	case DLT_NULL:
	case DLT_EN10MB:
	case DLT_LINUX_SLL:
	case 276:               /* LINKTYPE_LINUX_SLL2 = DLT_LINUX_SLL2 */
		return (int)linktype;
	default:
		return -1;
	}
}

/* A regular classic pcap file: 0 when this reader takes it, -1 to leave
 * it to libpcap. */
static int pf_open(struct capture *c, const char *path)
{
	struct pcap_file *pf = &c->pf;
	uint8_t h[PCAP_FILE_HDR_LEN];
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    st.st_size < PCAP_FILE_HDR_LEN ||
	    pread(fd, h, sizeof(h), 0) != (ssize_t)sizeof(h) ||
	    (c->linktype = pf_parse_header(pf, h)) < 0 ||
	    lseek(fd, PCAP_FILE_HDR_LEN, SEEK_SET) < 0 ||
	    !(pf->buf = malloc(BF_SIZE))) {
		close(fd);
		c->linktype = 0;
		return -1;
	}
	/* Read front to back: the kernel reads ahead in large steps. */
	posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	pf->fd = fd;
	pf->size = pf->size_at_open = (uint64_t)st.st_size;
	pf->off = PCAP_FILE_HDR_LEN;
	return 0;
}

static void pf_close(struct pcap_file *pf)
{
	if (!pf->buf)
		return;
	close(pf->fd);
	free(pf->buf);
	pf->buf = NULL;
}

/*
 * Move the unread bytes to the front and read up to BF_READ more, never
 * past the size the file had at open (a file still being written is read
 * as it was).  Returns 0, or -1 with c->err set on a read error.
 */
static int pf_refill(struct capture *c)
{
	struct pcap_file *pf = &c->pf;
	uint64_t want = pf->size - (pf->off + (pf->len - pf->pos));
	ssize_t got;

	if (pf->pos) {
		memmove(pf->buf, pf->buf + pf->pos, pf->len - pf->pos);
		pf->len -= pf->pos;
		pf->pos = 0;
	}
	if (want > BF_SIZE - pf->len)
		want = BF_SIZE - pf->len;
	if (want > BF_READ)
		want = BF_READ;
	while (want) {
		got = read(pf->fd, pf->buf + pf->len, (size_t)want);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			snprintf(c->err, sizeof(c->err), "%s: read error at "
				 "offset %" PRIu64 ": %s", c->source,
				 pf->off + pf->len, strerror(errno));
			return -1;
		}
		if (got == 0)   /* shorter than at open */
			pf->size = pf->off + pf->len;
		if (got == 0)
			break;
		pf->len += (size_t)got;
		want -= (uint64_t)got;
	}
	return 0;
}

/* The file shrank under the record at pf->off. */
static __attribute__((noinline, cold)) enum capture_status
pf_truncated(struct capture *c)
{
	snprintf(c->err, sizeof(c->err), "%s: truncated while reading at "
		 "offset %" PRIu64, c->source, c->pf.off);
	return CAPTURE_ERROR;
}

/*
 * The record at pf->off, if it is whole in the buffer: CAPTURE_TIMEOUT
 * when the buffer must be refilled first (the caller decides when).  A
 * record cut by the end of the file, or longer than any snapshot can be,
 * is an error (c->err says which, as libpcap would); a record longer
 * than the file's snapshot length is cut to it.
 */
static enum capture_status pf_next(struct capture *c, struct capture_pkt *pk,
				   int at_end)
{
	struct pcap_file *pf = &c->pf;
	size_t left = pf->len - pf->pos;
	const uint8_t *h = pf->buf + pf->pos;
	uint32_t caplen, frac;

	if (left < PCAP_REC_HDR_LEN) {
		if (!at_end)
			return CAPTURE_TIMEOUT;
		if (pf->size < pf->size_at_open)
			return pf_truncated(c);
		if (left == 0)
			return CAPTURE_EOF;
		snprintf(c->err, sizeof(c->err), "%s: truncated dump file; "
			 "tried to read %u header bytes, only got %zu",
			 c->source, PCAP_REC_HDR_LEN, left);
		return CAPTURE_ERROR;
	}
	caplen = pf_u32(pf, h + 8);
	if (caplen > PCAP_MAX_SNAPLEN) {
		snprintf(c->err, sizeof(c->err), "%s: invalid packet capture "
			 "length %u, bigger than maximum of %u", c->source,
			 caplen, PCAP_MAX_SNAPLEN);
		return CAPTURE_ERROR;
	}
	if (caplen > left - PCAP_REC_HDR_LEN) {
		if (!at_end)
			return CAPTURE_TIMEOUT;
		/* The file was longer at open: it shrank while read. */
		if (pf->size < pf->size_at_open)
			return pf_truncated(c);
		snprintf(c->err, sizeof(c->err), "%s: truncated dump file; "
			 "tried to read %u captured bytes, only got %zu",
			 c->source, caplen, left - PCAP_REC_HDR_LEN);
		return CAPTURE_ERROR;
	}
	frac = pf_u32(pf, h + 4);
	pk->ts_us = (uint64_t)pf_u32(pf, h) * 1000000u +
		    (pf->nanosec ? frac / 1000u : frac);
	pk->wirelen = pf_u32(pf, h + 12);
	pk->data = h + PCAP_REC_HDR_LEN;
	pk->caplen = caplen < pf->snaplen ? caplen : pf->snaplen;
	pf->pos += PCAP_REC_HDR_LEN + (size_t)caplen;
	pf->off += PCAP_REC_HDR_LEN + (size_t)caplen;
	return CAPTURE_PACKET;
}

/* Next record that passes the filter; at_end: the buffer holds what is
 * left of the file. */
static enum capture_status pf_next_filtered(struct capture *c,
					    struct capture_pkt *pk, int at_end)
{
	struct pcap_pkthdr h;
	enum capture_status st;

	for (;;) {
		st = pf_next(c, pk, at_end);
		if (st != CAPTURE_PACKET || !c->has_prog)
			return st;
		h.caplen = pk->caplen;
		h.len = pk->wirelen;
		h.ts.tv_sec = (time_t)(pk->ts_us / 1000000u);
		h.ts.tv_usec = (suseconds_t)(pk->ts_us % 1000000u);
		if (pcap_offline_filter(&c->prog, &h, pk->data))
			return CAPTURE_PACKET;
	}
}

/* Whether the buffer holds the rest of the file. */
static int pf_at_end(const struct pcap_file *pf)
{
	return pf->off + (pf->len - pf->pos) >= pf->size;
}

/*
 * Up to max records; a batch ends early where the buffer must be
 * refilled, which is done only before a batch's first record (the
 * caller holds the others).
 */
static enum capture_status pf_batch(struct capture *c, struct capture_pkt *pkts,
				    unsigned max, unsigned *n)
{
	enum capture_status st = CAPTURE_EOF;

	while (*n < max) {
		st = pf_next_filtered(c, &pkts[*n], pf_at_end(&c->pf));
		if (st == CAPTURE_TIMEOUT && *n == 0) {
			if (pf_refill(c) < 0)
				return CAPTURE_ERROR;
			continue;
		}
		if (st != CAPTURE_PACKET)
			break;
		pkts[(*n)++].linktype = c->linktype;
	}
	return *n ? CAPTURE_PACKET : st;
}

/* ---- filter --------------------------------------------------------- */

/* The mmap path compiles on a dead handle of the file's link type. */
static int capture_compile(struct capture *c, const char *filter,
			   char *err, size_t errlen)
{
	pcap_t *p = c->p;

	if (!p) {
		c->dead = pcap_open_dead(c->linktype, (int)c->pf.snaplen);
		if (!c->dead) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		p = c->dead;
	}
	if (pcap_compile(p, &c->prog, filter, 1, PCAP_NETMASK_UNKNOWN) < 0) {
		snprintf(err, errlen, "bad filter '%s': %s", filter,
			 pcap_geterr(p));
		return -1;
	}
	c->has_prog = 1;
	return 0;
}

static int capture_set_filter(struct capture *c, const char *filter,
			      char *err, size_t errlen)
{
	if (!filter || !*filter || c->ng)  /* pcapng: one per interface */
		return 0;
	if (capture_compile(c, filter, err, errlen) < 0)
		return -1;
	if (c->p && pcap_setfilter(c->p, &c->prog) < 0) {
		snprintf(err, errlen, "cannot set filter on %s: %s",
			 c->source, pcap_geterr(c->p));
		return -1;
	}
	return 0;
}

static pcap_t *open_live(const struct capture_opts *o, char *err,
			 size_t errlen)
{
	char ebuf[PCAP_ERRBUF_SIZE] = "";
	pcap_t *p = pcap_create(o->interface, ebuf);
	int rc;

	if (!p) {
		snprintf(err, errlen, "interface %s: %s", o->interface, ebuf);
		return NULL;
	}
	pcap_set_snaplen(p, (int)o->snaplen);
	pcap_set_promisc(p, o->promiscuous);
	pcap_set_timeout(p, LIVE_READ_TIMEOUT_MS);
	if (o->buffer_size)
		pcap_set_buffer_size(p, (int)(o->buffer_size > INT32_MAX ?
					      INT32_MAX : o->buffer_size));
	rc = pcap_activate(p);
	if (rc >= 0 && pcap_setnonblock(p, 1, ebuf) < 0) {
		snprintf(err, errlen, "interface %s: %s", o->interface, ebuf);
		pcap_close(p);
		return NULL;
	}
	if (rc < 0) {
		snprintf(err, errlen, "interface %s: %s", o->interface,
			 rc == PCAP_ERROR_PERM_DENIED ?
			 "permission denied (run as root or grant CAP_NET_RAW)" :
			 rc == PCAP_ERROR_NO_SUCH_DEVICE ? "no such interface" :
			 pcap_geterr(p));
		pcap_close(p);
		return NULL;
	}
	return p;
}

/* A stream (standard input, a pipe) for libpcap, with the bytes read to
 * tell pcapng apart put back in front. */
struct replay {
	uint8_t head[4];
	size_t len, off;
	FILE *src;
};

static ssize_t replay_read(void *cookie, char *buf, size_t n)
{
	struct replay *rp = cookie;
	size_t k = 0;

	while (k < n && rp->off < rp->len)
		buf[k++] = (char)rp->head[rp->off++];
	if (k)
		return (ssize_t)k;
	/* read(2), not fread(3): fread waits for a whole buffer, and a pipe
	 * fed by a live capture must hand on each packet as it arrives. */
	for (;;) {
		ssize_t r = read(fileno(rp->src), buf, n);

		if (r >= 0 || errno != EINTR)
			return r;
	}
}

/* The first bytes of a stream, read past stdio so that nothing sits in
 * the FILE's buffer where the replaying stream would not see it. */
static size_t peek_head(FILE *fp, uint8_t *head, size_t len)
{
	size_t k = 0;

	while (k < len) {
		ssize_t r = read(fileno(fp), head + k, len - k);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		k += (size_t)r;
	}
	return k;
}

static int replay_close(void *cookie)
{
	struct replay *rp = cookie;

	if (rp->src != stdin)
		fclose(rp->src);
	free(rp);
	return 0;
}

/*
 * A pcapng file or stream goes to pcapng.c.  Returns 1 when it took it,
 * 0 to leave the file to libpcap: a regular file is opened again by name
 * (libpcap then words its errors), a stream (standard input, a named pipe)
 * is handed over as *fpp, which replays what was read.  -1 on error.
 */
static int open_pcapng(struct capture *c, const char *file, const char *filter,
		       FILE **fpp, char *err, size_t errlen)
{
	int is_stdin = !strcmp(file, "-");
	FILE *fp = is_stdin ? stdin : fopen(file, "rb");
	uint8_t head[4];
	uint32_t magic;
	size_t n;
	struct replay *rp;
	struct stat st;
	cookie_io_functions_t io = { .read = replay_read,
				     .close = replay_close };

	*fpp = NULL;
	if (!fp)
		return 0;       /* libpcap says why, in its words */
	n = peek_head(fp, head, sizeof(head));
	if (n < sizeof(head))
		memset(head + n, 0, sizeof(head) - n);
	memcpy(&magic, head, sizeof(magic));
	c->nanosec = magic == PCAP_MAGIC_NS ||
		     magic == __builtin_bswap32(PCAP_MAGIC_NS);
	if (n == sizeof(head) && magic == PCAPNG_SHB_TYPE) {
		c->ng = pcapng_open(fp, head, n, c->source, filter, err,
				    errlen);
		if (!c->ng) {
			if (!is_stdin)
				fclose(fp);
			return -1;
		}
		c->linktype = pcapng_first_linktype(c->ng);
		return 1;
	}
	if (!is_stdin && fstat(fileno(fp), &st) == 0 && S_ISREG(st.st_mode)) {
		fclose(fp);
		return 0;
	}
	rp = calloc(1, sizeof(*rp));
	if (!rp || !(*fpp = fopencookie(rp, "rb", io))) {
		free(rp);
		snprintf(err, errlen, "%s: %s", c->source, strerror(errno));
		if (!is_stdin)
			fclose(fp);
		return -1;
	}
	memcpy(rp->head, head, n);
	rp->len = n;
	rp->src = fp;
	return 0;
}

/* A file: in place when it is a classic pcap file, pcapng.c when it is
 * pcapng, else libpcap. */
static int open_file(struct capture *c, const char *file, const char *filter,
		     char *err, size_t errlen)
{
	char ebuf[PCAP_ERRBUF_SIZE] = "";
	FILE *fp;
	int rc, prec;

	snprintf(c->source, sizeof(c->source), "%s",
		 strcmp(file, "-") ? file : "standard input");
	if (strcmp(file, "-") && pf_open(c, file) == 0)
		return 0;
	rc = open_pcapng(c, file, filter, &fp, err, errlen);
	if (rc)
		return rc > 0 ? 0 : -1;
	/* A nanosecond file is read at its own precision: libpcap would
	 * scale its fraction after sign-extending it, which the in-place
	 * reader (and the file) never does; pcap_next_one() scales. */
	prec = c->nanosec ? PCAP_TSTAMP_PRECISION_NANO :
			    PCAP_TSTAMP_PRECISION_MICRO;
	c->p = fp ? pcap_fopen_offline_with_tstamp_precision(fp, prec, ebuf) :
		    pcap_open_offline_with_tstamp_precision(file, prec, ebuf);
	if (!c->p && fp)
		fclose(fp);
	if (!c->p) {
		snprintf(err, errlen, "%s: %s", c->source, ebuf);
		return -1;
	}
	c->linktype = pcap_datalink(c->p);
	return 0;
}

/* A live interface through ring.c, which also applies the filter. */
static struct capture *open_ring(struct capture *c,
				 const struct capture_opts *o, char *err,
				 size_t errlen)
{
	struct ring_opts ro = {
		.interface = o->interface,
		.filter = o->filter,
		.snaplen = o->snaplen,
		.promiscuous = o->promiscuous,
		.buffer_size = o->buffer_size,
		.fanout_group = o->fanout_group,
		.fanout_site = o->fanout_site,
	};

	c->ring = ring_open(&ro, err, errlen);
	if (!c->ring) {
		capture_close(c);
		return NULL;
	}
	c->linktype = ring_linktype(c->ring);
	return c;
}

struct capture *capture_open(const struct capture_opts *o, char *err,
			     size_t errlen)
{
	struct capture *c = calloc(1, sizeof(*c));
	int rc = -1;

	if (!c) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (o->file && *o->file) {
		rc = open_file(c, o->file, o->filter, err, errlen);
	} else if (o->interface && *o->interface) {
		snprintf(c->source, sizeof(c->source), "%s", o->interface);
		c->live = 1;
		if (o->live_reader == LIVE_RING)
			return open_ring(c, o, err, errlen);
		c->p = open_live(o, err, errlen);
		if (c->p) {
			c->linktype = pcap_datalink(c->p);
			rc = 0;
		}
		if (c->p && o->fanout_group &&
		    ring_join_fanout(pcap_fileno(c->p), o->fanout_group,
				     o->fanout_site, err, errlen) < 0)
			rc = -1;
	} else {
		snprintf(err, errlen, "no capture source: give -r FILE or -i INTERFACE");
	}
	if (rc < 0 || capture_set_filter(c, o->filter, err, errlen) < 0) {
		capture_close(c);
		return NULL;
	}
	return c;
}

void capture_close(struct capture *c)
{
	if (!c)
		return;
	if (c->has_prog)
		pcap_freecode(&c->prog);
	if (c->dead)
		pcap_close(c->dead);
	if (c->p)
		pcap_close(c->p);
	ring_close(c->ring);
	pcapng_close(c->ng);
	pf_close(&c->pf);
	free(c);
}

int capture_linktype(const struct capture *c)
{
	return c->linktype;
}

const char *capture_linktype_name(const struct capture *c)
{
	const char *n = pcap_datalink_val_to_name(c->linktype);

	return n ? n : "unknown";
}

/* One packet through libpcap. */
static enum capture_status pcap_next_one(struct capture *c,
					 struct capture_pkt *pk)
{
	struct pcap_pkthdr *h;
	const u_char *d;
	int rc = pcap_next_ex(c->p, &h, &d);

	switch (rc) {
	case 1:
		pk->data = d;
		pk->caplen = h->caplen;
		pk->wirelen = h->len;
		/* A file's fields are unsigned 32-bit numbers, which libpcap
		 * hands over sign-extended: take them back as they were, as
		 * the in-place reader reads them (a corrupt fraction of a
		 * second, or a second count past 2038, would otherwise wrap
		 * to some 584,000 years ahead). */
		pk->ts_us = c->live ?
			(uint64_t)h->ts.tv_sec * 1000000u +
			(uint64_t)h->ts.tv_usec :
			(uint64_t)(uint32_t)h->ts.tv_sec * 1000000u +
			(c->nanosec ? (uint32_t)h->ts.tv_usec / 1000u :
				      (uint32_t)h->ts.tv_usec);
		pk->linktype = c->linktype;
		return CAPTURE_PACKET;
	case 0:
		if (c->live) {
			struct pollfd pfd = {
				.fd = pcap_get_selectable_fd(c->p),
				.events = POLLIN,
			};

			poll(&pfd, 1, LIVE_READ_TIMEOUT_MS);
		}
		return CAPTURE_TIMEOUT;
	case PCAP_ERROR_BREAK:
		return c->live ? CAPTURE_TIMEOUT : CAPTURE_EOF;
	default:
		/* A truncated or corrupt file ends here, with libpcap's
		 * words for what was wrong. */
		snprintf(c->err, sizeof(c->err), "%s: %s", c->source,
			 pcap_geterr(c->p));
		return CAPTURE_ERROR;
	}
}

/* A batch from the ring; its error words go to c->err. */
static enum capture_status ring_batch(struct capture *c,
				      struct capture_pkt *pkts, unsigned max,
				      unsigned *n)
{
	enum capture_status st = ring_next_batch(c->ring, pkts, max, n,
						 LIVE_READ_TIMEOUT_MS);

	if (st == CAPTURE_ERROR)
		snprintf(c->err, sizeof(c->err), "%s", ring_error(c->ring));
	return st;
}

enum capture_status capture_next(struct capture *c, const uint8_t **data,
				 uint32_t *caplen, uint32_t *wirelen,
				 uint64_t *ts_us)
{
	struct capture_pkt pk;
	enum capture_status st;
	unsigned n;

	n = 0;
	st = c->ring ? ring_batch(c, &pk, 1, &n) :
	     c->p ? pcap_next_one(c, &pk) :
	     c->ng ? pcapng_next(c->ng, &pk) :
		     pf_batch(c, &pk, 1, &n);

	if (st == CAPTURE_PACKET) {
		*data = pk.data;
		*caplen = pk.caplen;
		*wirelen = pk.wirelen;
		*ts_us = pk.ts_us;
	}
	return st;
}

/*
 * libpcap reuses its buffer on every read, so its batches hold one packet.
 * A read that ends (EOF, error) after some packets returns those; the next
 * call meets the same end again, as the file offset stays before it.
 */
enum capture_status capture_next_batch(struct capture *c,
				       struct capture_pkt *pkts,
				       unsigned max, unsigned *n)
{
	enum capture_status st = CAPTURE_EOF;

	*n = 0;
	if (c->ring)
		return ring_batch(c, pkts, max, n);
	if (c->p) {
		st = pcap_next_one(c, &pkts[0]);
		*n = st == CAPTURE_PACKET;
		return st;
	}
	if (c->ng) {            /* one packet: its block buffer is reused */
		st = pcapng_next(c->ng, &pkts[0]);
		*n = st == CAPTURE_PACKET;
		return st;
	}
	return pf_batch(c, pkts, max, n);
}

int capture_rereadable(const struct capture *c)
{
	return c->pf.buf != NULL;
}

const char *capture_error(const struct capture *c)
{
	if (c->ng)
		return pcapng_error(c->ng);
	return c->err;
}

int capture_drops(struct capture *c, uint64_t *dropped, uint64_t *ifdropped)
{
	struct pcap_stat ps;

	*dropped = *ifdropped = 0;
	if (c->ring)
		return ring_drops(c->ring, dropped, ifdropped);
	if (!c->live || pcap_stats(c->p, &ps) < 0)
		return -1;
	*dropped = ps.ps_drop;
	*ifdropped = ps.ps_ifdrop;
	return 0;
}

int capture_is_live(const struct capture *c)
{
	return c->live;
}

int capture_progress(const struct capture *c, uint64_t *done,
		     uint64_t *total)
{
	struct stat st;
	FILE *fp;
	long pos;

	if (c->live)
		return -1;
	if (c->pf.buf) {
		*done = c->pf.off;
		*total = c->pf.size_at_open;
		return 0;
	}
	fp = c->ng ? pcapng_stream(c->ng) : c->p ? pcap_file(c->p) : NULL;
	if (!fp || fileno(fp) < 0 || fstat(fileno(fp), &st) < 0 ||
	    !S_ISREG(st.st_mode))
		return -1;
	pos = ftell(fp);
	if (pos < 0)
		return -1;
	*done = (uint64_t)pos;
	*total = (uint64_t)st.st_size;
	return 0;
}
