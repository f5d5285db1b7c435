/*
 * capture.c - packet source through libpcap (files and live interfaces).
 *
 * Classic pcap files that are regular files are read through mmap(): the
 * records are walked in place, so a batch of packets stays valid together
 * (the caller can prefetch their flows) and libpcap's two copies per packet
 * (kernel into stdio, stdio into its buffer) go away.  Every record header
 * and length is checked against the file size; the error words follow
 * libpcap's.
 *
 * A mapped file that shrinks while read (truncated, rewritten) would kill
 * the probe with SIGBUS on the first page past its new end, losing every
 * open flow.  So: the size is checked (fstat) after each MiB read (off
 * the per-packet path), records past a new end are an error "truncated
 * while reading at offset N"; and for a shrink between two checks, a
 * SIGBUS handler, armed while a file is mapped, maps zero pages over the
 * mapping from the faulting page on and notes it.  The reader touches
 * each record's last byte before handing it over, so the fault happens
 * there: it stops at that record with the same error, and the caller
 * exports what it read, as for any truncated file.  (Only bytes of a
 * record cut inside the file's new last page, which reads zeros without
 * a fault, can reach the caller as zeros, when a check is not due.)  (pread into
 * a buffer instead would cost the in-place reading its copy-free batches.)
 * A SIGBUS at any other address is not ours: the default action runs.
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
#include <pcap/pcap.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pcapng.h"
#include "ring.h"

#define LIVE_READ_TIMEOUT_MS 200

#define PCAP_FILE_HDR_LEN 24
#define PCAP_REC_HDR_LEN  16
#define PCAP_MAGIC_US     0xa1b2c3d4u
#define PCAP_MAGIC_NS     0xa1b23c4du
/* Lines this far ahead of the reader are prefetched (measured best). */
#define MF_PREFETCH_AHEAD 4096u
/* The file size is checked again after this much is read. */
#define MF_CHECK_STEP     (1u << 20)
/* Pages read are dropped from the mapping by steps of this much. */
#define MF_RELEASE_STEP   (1u << 20)
/* libpcap's largest snapshot length for the link types read in place. */
#define PCAP_MAX_SNAPLEN  262144u

/* A classic pcap file mapped into memory. */
struct mapped_file {
	const uint8_t *base;
	size_t   size;          /* bytes that can be read */
	size_t   mapped;        /* bytes mapped */
	size_t   off;           /* next record header */
	size_t   checked;       /* off at the last size check */
	size_t   released;      /* pages before this are dropped */
	size_t   prefetched;    /* lines before this were prefetched */
	size_t   populated;     /* pages before this are mapped ahead */
	int      no_populate;   /* the kernel has no MADV_POPULATE_READ */
	uint32_t snaplen;
	int      swapped;       /* written in the other byte order */
	int      nanosec;
	int      fd;            /* kept open for the size checks */
	int      shrunk;        /* the file got shorter than mapped */
};

struct capture {
	pcap_t *p;              /* libpcap source; NULL on the mmap path */
	struct ring *ring;      /* live: our own TPACKET_V3 ring */
	struct pcapng *ng;      /* pcapng source */
	struct mapped_file mf;
	pcap_t *dead;           /* compiles the filter for the mmap path */
	struct bpf_program prog;
	int     has_prog;
	int     live;
	int     nanosec;        /* libpcap: a nanosecond file, read as such */
	int     linktype;
	char    source[256];
	char    err[PCAP_ERRBUF_SIZE + 300];
};

/* ---- classic pcap files in place ----------------------------------- */

/*
 * The SIGBUS guard: one mapping at a time (the probe reads one file).  The
 * handler only reads these and writes bus_fault.
 */
static const uint8_t *volatile bus_base;
static volatile size_t bus_len;
static volatile sig_atomic_t bus_fault;
static struct sigaction bus_old;
static int bus_armed;

static void on_sigbus(int signo, siginfo_t *si, void *uc)
{
	const uint8_t *a = si->si_addr, *base = bus_base;
	size_t len = bus_len, page = (size_t)sysconf(_SC_PAGESIZE);

	(void)uc;
	if (base && a >= base && a < base + len) {
		uint8_t *from = (uint8_t *)((uintptr_t)a & ~(uintptr_t)(page - 1));

		if (mmap(from, (size_t)(base + len - from), PROT_READ,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) !=
		    MAP_FAILED) {
			bus_fault = 1;
			return;         /* the read is retried: zeros */
		}
	}
	/* not ours (or no memory): as if we were not there */
	sigaction(SIGBUS, &bus_old, NULL);
	if (bus_old.sa_handler == SIG_DFL || bus_old.sa_handler == SIG_IGN)
		signal(SIGBUS, SIG_DFL);
	raise(signo);
}

static void bus_guard(const uint8_t *base, size_t len)
{
	struct sigaction sa;

	bus_fault = 0;
	bus_len = len;
	bus_base = base;
	if (bus_armed)
		return;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_sigbus;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGBUS, &sa, &bus_old) == 0)
		bus_armed = 1;
}

static void bus_unguard(const uint8_t *base)
{
	if (bus_base != base)
		return;
	bus_base = NULL;
	bus_len = 0;
	if (bus_armed) {
		sigaction(SIGBUS, &bus_old, NULL);
		bus_armed = 0;
	}
}

/* Did the file shrink?  Records past its new end are then not read. */
static void mf_check_size(struct mapped_file *mf)
{
	struct stat st;

	mf->checked = mf->off;
	if (bus_fault && bus_base == mf->base) {
		mf->shrunk = 1;
		/* every page from the fault on reads zeros: stop here */
		if (mf->size > mf->off)
			mf->size = mf->off;
	}
	if (fstat(mf->fd, &st) == 0 && (size_t)st.st_size < mf->size) {
		mf->shrunk = 1;
		mf->size = st.st_size < (off_t)mf->off ? mf->off :
			   (size_t)st.st_size;
	}
}

static uint32_t mf_u32(const struct mapped_file *mf, size_t off)
{
	uint32_t v;

	memcpy(&v, mf->base + off, 4);
	return mf->swapped ? __builtin_bswap32(v) : v;
}

/*
 * Parse the file header.  Returns the link type, or -1 when the file is
 * not one this reader takes (libpcap then reads it, and reports a corrupt
 * header in its words).  Link types whose LINKTYPE_ and DLT_ values agree
 * only: libpcap maps the others.
 */
static int mf_parse_header(struct mapped_file *mf)
{
	uint32_t magic, linktype;
	uint16_t major;

	if (mf->size < PCAP_FILE_HDR_LEN)
		return -1;
	memcpy(&magic, mf->base, 4);
	mf->swapped = magic == __builtin_bswap32(PCAP_MAGIC_US) ||
		      magic == __builtin_bswap32(PCAP_MAGIC_NS);
	magic = mf_u32(mf, 0);
	if (magic != PCAP_MAGIC_US && magic != PCAP_MAGIC_NS)
		return -1;
	mf->nanosec = magic == PCAP_MAGIC_NS;
	memcpy(&major, mf->base + 4, 2);
	if ((mf->swapped ? __builtin_bswap16(major) : major) != 2)
		return -1;      /* libpcap says what it makes of others */
	mf->snaplen = mf_u32(mf, 16);
	if (mf->snaplen == 0 || mf->snaplen > PCAP_MAX_SNAPLEN)
		mf->snaplen = PCAP_MAX_SNAPLEN;
	linktype = mf_u32(mf, 20);
	switch (linktype) {
	case DLT_NULL:
	case DLT_EN10MB:
	case DLT_LINUX_SLL:
	case 276:               /* LINKTYPE_LINUX_SLL2 = DLT_LINUX_SLL2 */
		break;
	default:
		return -1;
	}
	mf->off = PCAP_FILE_HDR_LEN;
	return (int)linktype;
}

/* Map a regular file; 0 when it is read in place, -1 to use libpcap. */
static int mf_open(struct capture *c, const char *path)
{
	struct stat st;
	void *base;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    st.st_size < PCAP_FILE_HDR_LEN) {
		close(fd);
		return -1;
	}
	base = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (base == MAP_FAILED) {
		close(fd);
		return -1;
	}
	c->mf.base = base;
	c->mf.size = c->mf.mapped = (size_t)st.st_size;
	c->mf.fd = fd;
	bus_guard(base, c->mf.size);
	c->linktype = mf_parse_header(&c->mf);
	if (c->linktype < 0) {
		bus_unguard(base);
		munmap(base, c->mf.size);
		close(fd);
		memset(&c->mf, 0, sizeof(c->mf));
		return -1;
	}
	/* Read front to back: aggressive read-ahead, pages freed behind. */
	madvise(base, c->mf.size, MADV_SEQUENTIAL);
	return 0;
}

/*
 * Ask for every line up to MF_PREFETCH_AHEAD bytes ahead.  Without it each record
 * header costs a wait on memory: the hardware prefetchers stop at page
 * boundaries.
 */
static void mf_prefetch(struct mapped_file *mf)
{
	size_t upto = mf->off + MF_PREFETCH_AHEAD;

	if (mf->prefetched < mf->off)   /* a long record was skipped */
		mf->prefetched = mf->off & ~(size_t)63;
	if (upto > mf->size)
		upto = mf->size;
	while (mf->prefetched < upto) {
		__builtin_prefetch(mf->base + mf->prefetched);
		mf->prefetched += 64;
	}
}

/* The file shrank under the record at mf->off. */
static __attribute__((noinline, cold)) enum capture_status
mf_truncated(struct capture *c)
{
	snprintf(c->err, sizeof(c->err), "%s: truncated while reading at "
		 "offset %zu", c->source, c->mf.off);
	return CAPTURE_ERROR;
}

/*
 * The record at mf->off.  A record cut by the end of the file, or longer
 * than any snapshot can be, is an error (c->err says which, as libpcap
 * would); a record longer than the file's snapshot length is cut to it.
 */
static enum capture_status mf_next(struct capture *c, struct capture_pkt *pk)
{
	struct mapped_file *mf = &c->mf;
	size_t left = mf->size - mf->off;
	uint32_t caplen, frac;

	if (__builtin_expect(mf->shrunk, 0) &&
	    left < PCAP_REC_HDR_LEN + (left < PCAP_REC_HDR_LEN ?
		0 : (size_t)mf_u32(mf, mf->off + 8)))
		return mf_truncated(c);
	if (left == 0)
		return CAPTURE_EOF;
	if (left < PCAP_REC_HDR_LEN) {
		snprintf(c->err, sizeof(c->err), "%s: truncated dump file; "
			 "tried to read %u header bytes, only got %zu",
			 c->source, PCAP_REC_HDR_LEN, left);
		return CAPTURE_ERROR;
	}
	caplen = mf_u32(mf, mf->off + 8);
	if (caplen > PCAP_MAX_SNAPLEN) {
		snprintf(c->err, sizeof(c->err), "%s: invalid packet capture "
			 "length %u, bigger than maximum of %u", c->source,
			 caplen, PCAP_MAX_SNAPLEN);
		return CAPTURE_ERROR;
	}
	if (caplen > left - PCAP_REC_HDR_LEN) {
		snprintf(c->err, sizeof(c->err), "%s: truncated dump file; "
			 "tried to read %u captured bytes, only got %zu",
			 c->source, caplen, left - PCAP_REC_HDR_LEN);
		return CAPTURE_ERROR;
	}
	frac = mf_u32(mf, mf->off + 4);
	pk->ts_us = (uint64_t)mf_u32(mf, mf->off) * 1000000u +
		    (mf->nanosec ? frac / 1000u : frac);
	pk->wirelen = mf_u32(mf, mf->off + 12);
	pk->data = mf->base + mf->off + PCAP_REC_HDR_LEN;
	pk->caplen = caplen < mf->snaplen ? caplen : mf->snaplen;
	/* Touch the record's last byte: a page the file lost since the
	 * last size check faults here (see the SIGBUS guard), not in the
	 * caller.  It is next to the next header: no extra miss. */
	if (caplen)
		(void)*(const volatile uint8_t *)(pk->data + caplen - 1);
	if (__builtin_expect(bus_fault, 0)) {   /* it may have read zeros */
		mf_check_size(mf);
		return mf_truncated(c);
	}
	/* An all-zero header is what a page cut short reads (no fault):
	 * look at the size again before believing it. */
	if (__builtin_expect(caplen == 0, 0) && pk->ts_us == 0 &&
	    pk->wirelen == 0) {
		mf_check_size(mf);
		if (mf->shrunk && mf->size - mf->off < PCAP_REC_HDR_LEN)
			return mf_truncated(c);
	}
	mf->off += PCAP_REC_HDR_LEN + (size_t)caplen;
	mf_prefetch(mf);
	return CAPTURE_PACKET;
}

/*
 * Drop the pages already read from the mapping: they stay in the page
 * cache, but not in our resident set, which thus measures the probe and
 * not the size of the file.  Called between batches only.
 */
static void mf_release(struct mapped_file *mf)
{
	size_t upto = mf->off & ~(size_t)(MF_RELEASE_STEP - 1);

	if (upto <= mf->released)
		return;
	madvise((void *)(mf->base + mf->released), upto - mf->released,
		MADV_DONTNEED);
	mf->released = upto;
}

#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22   /* Linux 5.14 */
#endif

/*
 * Map the next steps of the file in one system call, ahead of the reader:
 * a page fault per 64 KiB (fault-around) costs far more, above all in a
 * VM, and the file reader is the one serial part of -w N.  Errors (an
 * older kernel, a file cut short) only leave the pages to fault in.
 */
static void mf_populate(struct mapped_file *mf)
{
	size_t from = mf->populated > mf->off ? mf->populated :
		      mf->off & ~(size_t)(MF_RELEASE_STEP - 1);
	size_t upto = (mf->off & ~(size_t)(MF_RELEASE_STEP - 1)) +
		      2 * (size_t)MF_RELEASE_STEP;

	if (mf->no_populate || upto <= from || from >= mf->size)
		return;
	if (upto > mf->size)
		upto = mf->size;
	if (madvise((void *)(mf->base + from), upto - from,
		    MADV_POPULATE_READ) < 0 && errno == EINVAL)
		mf->no_populate = 1;
	mf->populated = upto;
}

/* Next record that passes the filter. */
static enum capture_status mf_next_filtered(struct capture *c,
					    struct capture_pkt *pk)
{
	struct pcap_pkthdr h;
	enum capture_status st;

	for (;;) {
		st = mf_next(c, pk);
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

/* ---- filter --------------------------------------------------------- */

/* The mmap path compiles on a dead handle of the file's link type. */
static int capture_compile(struct capture *c, const char *filter,
			   char *err, size_t errlen)
{
	pcap_t *p = c->p;

	if (!p) {
		c->dead = pcap_open_dead(c->linktype, (int)c->mf.snaplen);
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
	if (strcmp(file, "-") && mf_open(c, file) == 0)
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
	if (c->mf.base) {
		bus_unguard(c->mf.base);
		munmap((void *)c->mf.base, c->mf.mapped);
		close(c->mf.fd);
	}
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

	if (!c->ring && !c->p && !c->ng)
		mf_check_size(&c->mf);
	st = c->ring ? ring_batch(c, &pk, 1, &n) :
	     c->p ? pcap_next_one(c, &pk) :
	     c->ng ? pcapng_next(c->ng, &pk) :
		     mf_next_filtered(c, &pk);

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
	/* The size is checked by steps of MF_CHECK_STEP bytes read, not per
	 * batch: a system call costs ~3 us in some VMs (0.4 s in 4 million
	 * packets); between checks the guard catches what a shrink cut. */
	if (c->mf.off - c->mf.checked >= MF_CHECK_STEP || bus_fault)
		mf_check_size(&c->mf);
	mf_release(&c->mf);
	mf_populate(&c->mf);
	while (*n < max) {
		st = mf_next_filtered(c, &pkts[*n]);
		if (st != CAPTURE_PACKET)
			break;
		pkts[(*n)++].linktype = c->linktype;
	}
	return *n ? CAPTURE_PACKET : st;
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
	if (c->mf.base) {
		*done = c->mf.off;
		*total = c->mf.size;
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
