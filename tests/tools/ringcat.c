/*
 * ringcat - test driver of the live capture (tests/e2e/live.sh): opens
 * N live captures of one interface through capture_open(), joined in one
 * fanout group when N > 1, reads each in its own thread, and prints every
 * packet with the socket that got it and the worker key the probe
 * computes for it in userspace:
 *
 *   pkt SOCKET SEQ SRC DST VLAN HASH
 *
 * SEQ is the first four payload bytes (the sender numbers its packets),
 * "-" for a packet that is not IP.  Then "socket I N" per socket and
 * "rate PACKETS SECONDS" (first to last packet).  "ready" goes to
 * standard output once every socket is open: send after it.
 *
 *   ringcat -i IF [-r ring|libpcap] [-n SOCKETS] [-p PREFIX]... [-f EXPR]
 *           [-c PACKETS] [-t SECONDS] [-q]
 *
 * Stops after -c packets in all (and 300 ms more, to catch duplicates)
 * or -t seconds (default 10).  -q prints no pkt lines.
 */
#include "capture.h"
#include "decode.h"
#include "fanout.h"
#include "ring.h"
#include "values.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_SOCKETS 16
#define MAX_PKTS    (1u << 20)
#define BATCH       64

struct rec {
	uint32_t seq;
	int      has_seq;
	uint8_t  src[16], dst[16];
	uint16_t vlan;
	uint32_t hash;
	uint8_t  sock;
};

struct shared {
	struct rec *recs;
	unsigned long nrecs;            /* atomic */
	unsigned long total;            /* atomic */
	int stop;                       /* atomic */
	uint64_t first_us, last_us;     /* under lock */
	pthread_mutex_t lock;
	const struct fanout_site *site;
};

struct worker {
	struct capture *c;
	struct shared *sh;
	unsigned idx;
	unsigned long count;
	int failed;
};

static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static void *reader(void *arg)
{
	struct worker *w = arg;
	struct shared *sh = w->sh;
	struct capture_pkt pkts[BATCH];

	while (!__atomic_load_n(&sh->stop, __ATOMIC_ACQUIRE)) {
		unsigned n;
		enum capture_status st = capture_next_batch(w->c, pkts, BATCH,
							    &n);

		if (st == CAPTURE_ERROR) {
			fprintf(stderr, "ringcat: socket %u: %s\n", w->idx,
				capture_error(w->c));
			w->failed = 1;
			break;
		}
		if (st != CAPTURE_PACKET)
			continue;
		pthread_mutex_lock(&sh->lock);
		if (!sh->first_us)
			sh->first_us = now_us();
		sh->last_us = now_us();
		pthread_mutex_unlock(&sh->lock);
		for (unsigned i = 0; i < n; i++) {
			struct pkt_view pv;
			unsigned long k;
			struct rec *r;

			decode_packet(pkts[i].linktype, pkts[i].data,
				      pkts[i].caplen, &pv);
			w->count++;
			__atomic_add_fetch(&sh->total, 1, __ATOMIC_RELEASE);
			k = __atomic_fetch_add(&sh->nrecs, 1, __ATOMIC_RELAXED);
			if (k >= MAX_PKTS)
				continue;
			r = &sh->recs[k];
			r->sock = (uint8_t)w->idx;
			r->hash = fanout_hash(sh->site, &pv);
			r->vlan = pv.vlan_id;
			memcpy(r->src, pv.src, 16);
			memcpy(r->dst, pv.dst, 16);
			r->has_seq = pv.ip_version && pv.payload_len >= 4;
			if (r->has_seq)
				r->seq = (uint32_t)pv.payload[0] << 24 |
					 (uint32_t)pv.payload[1] << 16 |
					 (uint32_t)pv.payload[2] << 8 |
					 pv.payload[3];
		}
	}
	return NULL;
}

static void usage(void)
{
	fprintf(stderr, "usage: ringcat -i IF [-r ring|libpcap] [-n SOCKETS] "
		"[-p PREFIX]... [-f EXPR] [-c PACKETS] [-t SECONDS] [-q]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static struct fanout_site site;
	static struct shared sh;
	struct prefix pfx[FANOUT_MAX_PREFIXES];
	uint32_t npfx = 0;
	struct capture_opts o;
	struct worker w[MAX_SOCKETS];
	pthread_t th[MAX_SOCKETS];
	unsigned nsock = 1, want = 0, secs = 10, quiet = 0;
	uint64_t deadline, done_at = 0;
	char err[512];
	int opt, rc = 0;

	memset(&o, 0, sizeof(o));
	o.snaplen = 262144;
	o.live_reader = LIVE_RING;
	while ((opt = getopt(argc, argv, "i:r:n:p:f:c:t:q")) != -1) {
		switch (opt) {
		case 'i': o.interface = optarg; break;
		case 'r':
			if (!strcmp(optarg, "libpcap"))
				o.live_reader = LIVE_LIBPCAP;
			else if (strcmp(optarg, "ring"))
				usage();
			break;
		case 'n': nsock = (unsigned)atoi(optarg); break;
		case 'p':
			if (npfx == FANOUT_MAX_PREFIXES ||
			    prefix_parse(optarg, &pfx[npfx]) != PFX_OK)
				usage();
			npfx++;
			break;
		case 'f': o.filter = optarg; break;
		case 'c': want = (unsigned)atoi(optarg); break;
		case 't': secs = (unsigned)atoi(optarg); break;
		case 'q': quiet = 1; break;
		default: usage();
		}
	}
	if (!o.interface || nsock < 1 || nsock > MAX_SOCKETS)
		usage();
	sh.recs = calloc(MAX_PKTS, sizeof(*sh.recs));
	if (!sh.recs)
		return 1;
	pthread_mutex_init(&sh.lock, NULL);
	/* fanout_hash() needs the site fanout_site_init() prepares.  Without
	 * -p, no site: the pair is the key, as it always was here (the
	 * init would put the private ranges in instead). */
	if (npfx) {
		fanout_site_init(&site, pfx, npfx);
		sh.site = &site;
	}
	if (nsock > 1) {
		o.fanout_group = ring_fanout_group_id();
		o.fanout_site = sh.site;
	}
	for (unsigned i = 0; i < nsock; i++) {
		w[i] = (struct worker){ .sh = &sh, .idx = i };
		w[i].c = capture_open(&o, err, sizeof(err));
		if (!w[i].c) {
			fprintf(stderr, "ringcat: %s\n", err);
			return 3;
		}
	}
	for (unsigned i = 0; i < nsock; i++)
		pthread_create(&th[i], NULL, reader, &w[i]);
	printf("ready\n");
	fflush(stdout);

	deadline = now_us() + (uint64_t)secs * 1000000u;
	for (;;) {
		uint64_t t = now_us();

		if (t >= deadline)
			break;
		if (want && !done_at &&
		    __atomic_load_n(&sh.total, __ATOMIC_ACQUIRE) >= want)
			done_at = t;
		if (done_at && t >= done_at + 300000)
			break;
		usleep(10000);
	}
	__atomic_store_n(&sh.stop, 1, __ATOMIC_RELEASE);
	for (unsigned i = 0; i < nsock; i++) {
		pthread_join(th[i], NULL);
		rc |= w[i].failed;
	}
	if (!quiet) {
		unsigned long n = sh.nrecs < MAX_PKTS ? sh.nrecs : MAX_PKTS;

		for (unsigned long k = 0; k < n; k++) {
			struct rec *r = &sh.recs[k];
			char s[64], d[64], q[16];

			addr_format(r->src, s, sizeof(s));
			addr_format(r->dst, d, sizeof(d));
			if (r->has_seq)
				snprintf(q, sizeof(q), "%u", r->seq);
			else
				snprintf(q, sizeof(q), "-");
			printf("pkt %u %s %s %s %u %u\n", r->sock, q,
			       r->has_seq ? s : "-", r->has_seq ? d : "-",
			       r->vlan, r->hash);
		}
	}
	for (unsigned i = 0; i < nsock; i++) {
		uint64_t drops, ifdrops;

		capture_drops(w[i].c, &drops, &ifdrops);
		printf("socket %u %lu drops %llu\n", i, w[i].count,
		       (unsigned long long)drops);
		capture_close(w[i].c);
	}
	printf("rate %lu %.6f\n", sh.total,
	       sh.last_us > sh.first_us ?
	       (double)(sh.last_us - sh.first_us) / 1e6 : 0.0);
	free(sh.recs);
	return rc;
}
