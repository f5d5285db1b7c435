/*
 * pktsend.c - the live benchmark's sender: replays a pcap file on an
 * interface as fast as the kernel takes it (or at a fixed rate).
 *
 *   pktsend [-n LOOPS] [-c COUNT] [-r PPS] [-b BATCH] [-q] IFACE FILE
 *
 * The file (Ethernet link type) is read once into memory; its frames are
 * then copied into an AF_PACKET TX ring (TPACKET_V2) with
 * PACKET_QDISC_BYPASS and handed to the driver by one send() per batch of
 * frames (-b, default 1024), LOOPS times through the file (default 1;
 * 0 = no limit) or until COUNT packets (0 = no limit), whichever comes
 * first.  -r PPS paces the batches so that packet i leaves no earlier
 * than i/PPS seconds after the start.  Frames longer than the interface's MTU plus the Ethernet header
 * are skipped at load time (counted and reported); captured lengths are
 * sent (a frame cut short by the capture's snap length is sent cut short).
 * The packets' timestamps are ignored.
 *
 * Prints one line on stdout:
 *   sent N packets B bytes in S s: P pps M Mbit/s
 * (-q: nothing else on stderr).  Needs CAP_NET_RAW.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <pcap/pcap.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define RING_BYTES   (64u << 20)     /* TX ring size */
#define BLOCK_BYTES  (1u << 20)

struct frame {
	size_t   off;
	uint32_t len;
};

static struct frame *frames;
static size_t nframes, frames_cap;
static uint8_t *pool;
static size_t pool_used, pool_cap;
static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void die(const char *fmt, const char *arg)
{
	fprintf(stderr, "pktsend: ");
	fprintf(stderr, fmt, arg);
	fputc('\n', stderr);
	exit(1);
}

static void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n);
	if (p == NULL)
		die("%s", "out of memory");
	return p;
}

static uint64_t parse_u64(const char *opt, const char *s)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || *end || s[0] == '-')
		die("bad number for %s", opt);
	return v;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Reads FILE into the pool; frames longer than maxlen are skipped. */
static uint64_t load(const char *path, uint32_t maxlen, uint32_t *longest)
{
	char ebuf[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *data;
	uint64_t skipped = 0;
	pcap_t *p;
	int rc;

	p = pcap_open_offline(path, ebuf);
	if (p == NULL)
		die("%s", ebuf);
	if (pcap_datalink(p) != DLT_EN10MB)
		die("%s: not an Ethernet capture", path);
	*longest = 0;
	while ((rc = pcap_next_ex(p, &h, &data)) == 1) {
		if (h->caplen < ETH_HLEN || h->caplen > maxlen) {
			skipped++;
			continue;
		}
		if (nframes == frames_cap) {
			frames_cap = frames_cap ? frames_cap * 2 : 65536;
			frames = xrealloc(frames, frames_cap * sizeof(*frames));
		}
		if (pool_used + h->caplen > pool_cap) {
			pool_cap = pool_cap ? pool_cap * 2 : (64u << 20);
			pool = xrealloc(pool, pool_cap);
		}
		memcpy(pool + pool_used, data, h->caplen);
		frames[nframes].off = pool_used;
		frames[nframes].len = h->caplen;
		nframes++;
		pool_used += h->caplen;
		if (h->caplen > *longest)
			*longest = h->caplen;
	}
	if (rc == PCAP_ERROR)
		die("%s", pcap_geterr(p));
	pcap_close(p);
	if (nframes == 0)
		die("%s: no frame to send", path);
	return skipped;
}

static int iface_mtu(int fd, const char *ifname)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (ioctl(fd, SIOCGIFMTU, &ifr) < 0)
		die("%s: cannot read the MTU", ifname);
	return ifr.ifr_mtu;
}

static void usage(void)
{
	fprintf(stderr, "usage: pktsend [-n LOOPS] [-c COUNT] [-r PPS] "
		"[-b BATCH] [-q] IFACE FILE\n");
	exit(2);
}

int main(int argc, char **argv)
{
	uint64_t loops = 1, count = 0, pps = 0, batch = 0, skipped;
	uint64_t sent = 0, bytes = 0, limit;
	uint32_t longest, frame_size, nslots, slot = 0;
	struct tpacket_req req;
	struct sockaddr_ll sll;
	int quiet = 0, opt, fd, one = 1, ver = TPACKET_V2, mtu;
	size_t next = 0, hdrlen;
	double t0, t1;
	uint8_t *ring;

	while ((opt = getopt(argc, argv, "n:c:r:b:q")) != -1) {
		switch (opt) {
		case 'n': loops = parse_u64("-n", optarg); break;
		case 'c': count = parse_u64("-c", optarg); break;
		case 'r': pps = parse_u64("-r", optarg); break;
		case 'b': batch = parse_u64("-b", optarg); break;
		case 'q': quiet = 1; break;
		default: usage();
		}
	}
	if (argc - optind != 2)
		usage();

	fd = socket(AF_PACKET, SOCK_RAW, 0);   /* protocol 0: receives nothing */
	if (fd < 0)
		die("socket: %s", strerror(errno));
	mtu = iface_mtu(fd, argv[optind]);
	skipped = load(argv[optind + 1], (uint32_t)mtu + ETH_HLEN, &longest);
	if (skipped && !quiet)
		fprintf(stderr, "pktsend: %" PRIu64 " frames longer than the "
			"MTU (%d) plus %d or shorter than %d skipped\n",
			skipped, mtu, ETH_HLEN, ETH_HLEN);
	if (loops)
		limit = loops * nframes;
	else
		limit = UINT64_MAX;
	if (count && count < limit)
		limit = count;

	/* The data of a V2 TX frame follows the header at this offset. */
	hdrlen = TPACKET2_HDRLEN - sizeof(struct sockaddr_ll);
	frame_size = 2048;
	while (frame_size < hdrlen + longest)
		frame_size *= 2;
	memset(&req, 0, sizeof(req));
	req.tp_block_size = frame_size > BLOCK_BYTES ? frame_size : BLOCK_BYTES;
	req.tp_block_nr = RING_BYTES / req.tp_block_size;
	if (req.tp_block_nr == 0)
		req.tp_block_nr = 1;
	req.tp_frame_size = frame_size;
	req.tp_frame_nr = req.tp_block_size / frame_size * req.tp_block_nr;
	nslots = req.tp_frame_nr;
	if (batch == 0)
		batch = 1024;
	if (batch > nslots / 2)
		batch = nslots / 2;
	if (pps && batch > pps / 1000 + 1)
		batch = pps / 1000 + 1;         /* a millisecond's worth */

	if (setsockopt(fd, SOL_PACKET, PACKET_VERSION, &ver, sizeof(ver)) < 0)
		die("PACKET_VERSION: %s", strerror(errno));
	if (setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one,
		       sizeof(one)) < 0 && !quiet)
		fprintf(stderr, "pktsend: PACKET_QDISC_BYPASS: %s (through "
			"the qdisc)\n", strerror(errno));
	if (setsockopt(fd, SOL_PACKET, PACKET_TX_RING, &req, sizeof(req)) < 0)
		die("PACKET_TX_RING: %s", strerror(errno));
	ring = mmap(NULL, (size_t)req.tp_block_size * req.tp_block_nr,
		    PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (ring == MAP_FAILED)
		die("mmap: %s", strerror(errno));
	memset(&sll, 0, sizeof(sll));
	sll.sll_family = AF_PACKET;
	sll.sll_protocol = 0;
	sll.sll_ifindex = (int)if_nametoindex(argv[optind]);
	if (sll.sll_ifindex == 0)
		die("%s: no such interface", argv[optind]);
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll)) < 0)
		die("bind: %s", strerror(errno));

	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	t0 = now_s();
	while (sent < limit && !stop) {
		uint64_t n = limit - sent, filled = 0;

		if (n > batch)
			n = batch;
		if (pps) {
			/* Packets due by now; wait for the first one if none. */
			double due_t = t0 + (double)sent / (double)pps;
			double t = now_s();
			uint64_t due;

			if (t < due_t) {
				struct timespec ts;
				double w = due_t - t;

				ts.tv_sec = (time_t)w;
				ts.tv_nsec = (long)((w - (double)ts.tv_sec) * 1e9);
				nanosleep(&ts, NULL);
				t = now_s();
			}
			due = (uint64_t)((t - t0) * (double)pps) + 1 - sent;
			if (due < n)
				n = due;
		}
		while (filled < n) {
			struct tpacket2_hdr *h = (struct tpacket2_hdr *)
				(ring + (size_t)slot * frame_size);
			const struct frame *f = &frames[next];

			if (h->tp_status != TP_STATUS_AVAILABLE) {
				/* Still in flight: a blocking send() waits
				 * for the frames handed over to complete. */
				if (filled)
					break;
				if (h->tp_status == TP_STATUS_WRONG_FORMAT)
					die("%s", "a frame was refused "
					    "(TP_STATUS_WRONG_FORMAT)");
				if (send(fd, NULL, 0, 0) < 0 &&
				    errno != EINTR && errno != ENOBUFS &&
				    errno != EAGAIN)
					die("send: %s", strerror(errno));
				if (h->tp_status != TP_STATUS_AVAILABLE)
					usleep(20);
				if (stop)
					break;
				continue;
			}
			memcpy((uint8_t *)h + hdrlen, pool + f->off, f->len);
			h->tp_len = f->len;
			__atomic_store_n(&h->tp_status, TP_STATUS_SEND_REQUEST,
					 __ATOMIC_RELEASE);
			bytes += f->len;
			filled++;
			if (++slot == nslots)
				slot = 0;
			if (++next == nframes)
				next = 0;
		}
		if (filled == 0)
			continue;
		/* Not waiting for the frames' completion: the next batch is
		 * filled while the receive side still holds the last one's. */
		while (send(fd, NULL, 0, MSG_DONTWAIT) < 0) {
			if (errno == EINTR && !stop)
				continue;
			if (errno == ENOBUFS || errno == EAGAIN) {
				usleep(100);
				continue;
			}
			if (errno == EINTR)
				break;
			die("send: %s", strerror(errno));
		}
		sent += filled;
	}
	/* The last frames handed over before the clock stops. */
	while (send(fd, NULL, 0, 0) < 0 && errno == EINTR && !stop)
		;
	t1 = now_s();
	printf("sent %" PRIu64 " packets %" PRIu64 " bytes in %.3f s: "
	       "%.0f pps %.1f Mbit/s\n", sent, bytes, t1 - t0,
	       (double)sent / (t1 - t0), (double)bytes * 8 / (t1 - t0) / 1e6);
	munmap(ring, (size_t)req.tp_block_size * req.tp_block_nr);
	close(fd);
	return 0;
}
