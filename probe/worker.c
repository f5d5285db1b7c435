/*
 * worker.c - metering threads and their queues.  See worker.h.
 *
 * From a file, the reader decodes every packet once into a ring of
 * batches all workers read (one producer, N consumers, indexed by
 * free-running counters, C11 atomics acquire/release; no lock): each
 * packet is tagged with its worker; a worker accounts its own and takes
 * only the stamps of the others (struct file_batch).  Payloads are
 * copied into the batch: the reader's buffer is reused.
 * Each worker has its own ring of completed flow and session records,
 * copied, for the export thread (one producer, one consumer).
 * A side that finds its ring empty or full sleeps on a futex until the
 * other side moves (struct event): no thread spins on a core another one
 * needs (there may be as few cores as threads).
 * A lock guards only what a worker publishes (counters, a few times a
 * second) and the reloaded configuration it picks up.
 */
#include "worker.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/futex.h>
#include <sys/syscall.h>

#define FB_SLOTS     16             /* batches in the file ring */
#define FB_PKTS      512            /* packets in a batch */
#define FB_BYTES     262144         /* captured bytes a batch holds: one
				       packet of the largest snap length */
#define FB_WAKE      (FB_SLOTS / 2) /* batches between wake-ups */
#define OUT_RECS     4096
#define PUBLISH_EVERY 16             /* batches between counter updates */
#define LIVE_TICK_PKTS 4096          /* packets between wall-clock looks */

/*
 * What the reader decoded, in order: pv[k] (stamped ts[k]) is worker
 * owner[k]'s; the others take its stamp, so that each worker's clock
 * moves as one table's would (flow_table_observe).
 */
struct file_batch {
	unsigned n;
	int      end;                    /* last batch: finish and stop */
	uint32_t bytes;                  /* captured bytes of its packets */
	uint64_t ts[FB_PKTS];
	uint8_t  owner[FB_PKTS];
	struct pkt_view pv[FB_PKTS];
	uint8_t *copy;                   /* FB_BYTES, unstable sources */
};

enum out_kind { OUT_FLOW, OUT_SESSION };

struct out_rec {
	uint8_t kind;
	uint8_t reason;                  /* enum flow_end_reason */
	union {
		struct flow flow;
		struct session_rec session;
	} u;
};

/*
 * An event a thread can sleep on: a counter bumped at each signal, and a
 * futex wait on its value, so a sleeper wakes as soon as the other side
 * moves (a sleep of fixed length idled the pipeline, whose queues hold
 * a few hundred microseconds of packets).  The waker makes the system
 * call only when someone sleeps; the wait is bounded (timeout_us), so a
 * wake-up lost in a race costs at most that.
 */
struct event {
	_Atomic uint32_t seq;
	_Atomic uint32_t sleepers;
};

/*
 * The reader's ring of batches.  A slot is free once every worker's tail
 * passed it.  Wake-ups come every FB_WAKE batches, not at each one: a
 * futex wake and the sleep that follows cost microseconds in a VM, and a
 * worker woken for one batch sleeps again at once.
 */
struct file_queue {
	struct file_batch *slot;         /* FB_SLOTS */
	struct file_batch *filling;      /* reader side: slot being filled */
	_Atomic unsigned head;
	struct event data, space;
};

struct worker {
	struct worker_pool *pool;
	unsigned index;
	pthread_t thread;
	int started;
	struct meter m;
	struct capture *cap;             /* a worker that reads its own */

	_Atomic unsigned fq_tail;        /* file: next batch to read */

	struct out_rec *out;             /* OUT_RECS */
	_Atomic unsigned out_head, out_tail;
	struct event out_space;
	_Atomic int finished;

	pthread_mutex_t lock;            /* guards pub, pending, error */
	struct worker_totals pub;
	struct skyprobe_config *pending;
	_Atomic int has_pending;
	char error[512];
	_Atomic int failed;
	unsigned batches;
	uint64_t last_tick_s;
};

struct worker_pool {
	unsigned n;
	int live;
	int each_reads;                  /* every worker reads a capture */
	struct fanout_site site;
	struct file_queue fq;
	struct logger *log;
	_Atomic int stop;
	int error_taken;
	struct worker w[];
};

/* ---- waiting ------------------------------------------------------------ */

static uint32_t event_seq(struct event *e)
{
	return atomic_load_explicit(&e->seq, memory_order_acquire);
}

/* Sleep unless e moved since seen (read before re-checking the queue). */
static void event_wait(struct event *e, uint32_t seen, long timeout_us)
{
	struct timespec ts = { 0, timeout_us * 1000 };

	atomic_fetch_add(&e->sleepers, 1);
	if (atomic_load(&e->seq) == seen)
		syscall(SYS_futex, &e->seq, FUTEX_WAIT_PRIVATE, seen, &ts,
			NULL, 0);
	atomic_fetch_sub(&e->sleepers, 1);
}

static void event_signal(struct event *e)
{
	atomic_fetch_add(&e->seq, 1);
	if (atomic_load(&e->sleepers))
		syscall(SYS_futex, &e->seq, FUTEX_WAKE_PRIVATE, INT32_MAX,
			NULL, NULL, 0);
}

/* ---- worker -> export ------------------------------------------------------ */

static struct out_rec *out_slot(struct worker *w)
{
	unsigned head = atomic_load_explicit(&w->out_head, memory_order_relaxed);

	for (;;) {
		uint32_t seen = event_seq(&w->out_space);

		if (head - atomic_load_explicit(&w->out_tail,
						memory_order_acquire) < OUT_RECS)
			return &w->out[head % OUT_RECS];
		/* The file reader drains while it waits for room. */
		event_signal(&w->pool->fq.space);
		event_wait(&w->out_space, seen, 1000);
	}
}

static void out_commit(struct worker *w)
{
	atomic_fetch_add_explicit(&w->out_head, 1, memory_order_release);
}

static void sink_flow(void *ctx, const struct flow *f, enum flow_end_reason r)
{
	struct worker *w = ctx;
	struct out_rec *o = out_slot(w);

	o->kind = OUT_FLOW;
	o->reason = (uint8_t)r;
	o->u.flow = *f;
	out_commit(w);
}

static void sink_session(void *ctx, const struct session_rec *s)
{
	struct worker *w = ctx;
	struct out_rec *o = out_slot(w);

	o->kind = OUT_SESSION;
	o->u.session = *s;
	out_commit(w);
}

/* ---- the worker's side ------------------------------------------------------ */

static void publish(struct worker *w)
{
	struct worker_totals t;

	memset(&t, 0, sizeof(t));
	t.packets = w->m.c;
	t.flows_active = flow_table_active(w->m.ft);
	t.flow_table_bytes = flow_table_memory(w->m.ft);
	t.time_outliers = flow_table_time_outliers(w->m.ft);
	t.clock_jumps = flow_table_clock_jumps(w->m.ft);
	if (w->cap)
		capture_drops(w->cap, &t.kernel_dropped, &t.iface_dropped);
	if (w->cap)
		t.have_share = capture_progress(w->cap, &t.done,
						&t.total) == 0;
	if (w->m.sig) {
		sig_get_counters(w->m.sig, &t.sig);
		t.have_sig = 1;
	}
	pthread_mutex_lock(&w->lock);
	w->pub = t;
	pthread_mutex_unlock(&w->lock);
}

static void take_pending(struct worker *w)
{
	if (!atomic_load_explicit(&w->has_pending, memory_order_acquire))
		return;
	pthread_mutex_lock(&w->lock);
	meter_reconfigure(&w->m, w->pending);
	atomic_store(&w->has_pending, 0);
	pthread_mutex_unlock(&w->lock);
}

static void file_loop(struct worker *w)
{
	struct file_queue *fq = &w->pool->fq;

	for (;;) {
		unsigned tail = atomic_load_explicit(&w->fq_tail,
						     memory_order_relaxed);
		struct file_batch *b;
		int end;

		for (;;) {
			uint32_t seen = event_seq(&fq->data);

			if (atomic_load_explicit(&fq->head,
						 memory_order_acquire) != tail)
				break;
			event_wait(&fq->data, seen, 10000);
		}
		b = &fq->slot[tail % FB_SLOTS];
		take_pending(w);
		meter_account_shared(&w->m, b->pv, b->ts, b->owner, b->n,
				     w->index);
		end = b->end;
		atomic_store_explicit(&w->fq_tail, tail + 1,
				      memory_order_release);
		if ((tail + 1) % FB_WAKE == 0 || end)
			event_signal(&fq->space);
		if (end)
			return;
		if (++w->batches % PUBLISH_EVERY == 0)
			publish(w);
	}
}

/* As the single-threaded probe does: a quiet link still ages its flows. */
static void live_tick(struct worker *w)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	if ((uint64_t)ts.tv_sec == w->last_tick_s)
		return;
	w->last_tick_s = (uint64_t)ts.tv_sec;
	meter_tick(&w->m, (uint64_t)ts.tv_sec * 1000000u);
	publish(w);
}

/* The worker's capture failed: say so once, for the export thread. */
static void read_failed(struct worker *w)
{
	pthread_mutex_lock(&w->lock);
	snprintf(w->error, sizeof(w->error), "%s", capture_error(w->cap));
	pthread_mutex_unlock(&w->lock);
	atomic_store(&w->failed, 1);
}

/*
 * A worker that reads its own capture: its socket of the fanout group
 * (live, the kernel hands it its hosts' packets), or the whole file (it
 * keeps its hosts' packets and the stamps of the others).
 */
static void read_loop(struct worker *w)
{
	struct worker_pool *p = w->pool;
	struct meter_batch *b = malloc(sizeof(*b));
	unsigned n, since = 0;

	if (!b) {
		snprintf(w->error, sizeof(w->error), "worker %u: out of memory",
			 w->index);
		atomic_store(&w->failed, 1);
		return;
	}
	while (!atomic_load_explicit(&p->stop, memory_order_relaxed)) {
		take_pending(w);
		switch (capture_next_batch(w->cap, b->pkt, METER_BATCH, &n)) {
		case CAPTURE_PACKET:
			if (!p->live) {
				meter_batch_share(&w->m, b, n, &p->site,
						  w->index, p->n);
				if (++w->batches % (PUBLISH_EVERY * 16) == 0)
					publish(w);
				break;
			}
			meter_batch(&w->m, b, n);
			if ((since += n) >= LIVE_TICK_PKTS) {
				since = 0;
				live_tick(w);
			}
			break;
		case CAPTURE_TIMEOUT:
			live_tick(w);
			break;
		case CAPTURE_EOF:
			free(b);
			return;
		case CAPTURE_ERROR:
			if (atomic_load(&p->stop))
				break;
			read_failed(w);
			free(b);
			return;
		}
	}
	free(b);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;

	if (w->cap)
		read_loop(w);
	else
		file_loop(w);
	meter_finish(&w->m);
	publish(w);
	atomic_store_explicit(&w->finished, 1, memory_order_release);
	return NULL;
}

/* ---- the reader's side (file) ---------------------------------------------- */

/* The batch the slowest worker is at. */
static unsigned fq_min_tail(const struct worker_pool *p)
{
	unsigned head = atomic_load_explicit(&p->fq.head, memory_order_relaxed);
	unsigned most = 0;

	for (unsigned i = 0; i < p->n; i++) {
		unsigned behind = head - atomic_load_explicit(
			&p->w[i].fq_tail, memory_order_acquire);

		if (behind > most)
			most = behind;
	}
	return head - most;
}

/* The batch being filled, waiting (and draining) for a free slot. */
static struct file_batch *fq_filling(struct worker_pool *p,
				     const struct meter_sink *sink)
{
	struct file_queue *fq = &p->fq;
	unsigned head;
	struct file_batch *b;

	if (fq->filling)
		return fq->filling;
	head = atomic_load_explicit(&fq->head, memory_order_relaxed);
	for (;;) {
		uint32_t seen = event_seq(&fq->space);

		if (head - fq_min_tail(p) < FB_SLOTS)
			break;
		/* A worker may wait for its records to be taken. */
		if (sink && worker_pool_drain(p, sink, OUT_RECS))
			continue;
		/* No worker sleeps while the ring is full. */
		event_signal(&fq->data);
		event_wait(&fq->space, seen, 10000);
	}
	b = &fq->slot[head % FB_SLOTS];
	b->n = 0;
	b->end = 0;
	b->bytes = 0;
	fq->filling = b;
	return b;
}

static void fq_submit(struct worker_pool *p, int end)
{
	struct file_queue *fq = &p->fq;
	unsigned head;

	fq->filling->end = end;
	fq->filling = NULL;
	head = atomic_fetch_add_explicit(&fq->head, 1,
					 memory_order_release) + 1;
	if (end || head % FB_WAKE == 0)
		event_signal(&fq->data);
}

static uint32_t batch_bytes(uint32_t caplen)
{
	return caplen < FB_BYTES ? caplen : FB_BYTES;
}

/*
 * Ask for the lines the next packets will write, for writing: each was
 * last read by a worker's core, and a store that has to take its line
 * back stalls the reader (measured: a fifth of its time).
 */
static void prefetch_slot(struct file_batch *b, uint32_t len)
{
	unsigned ahead = b->n + 6;
	uint32_t from = b->bytes + 1024, to = from + len;

	if (ahead < FB_PKTS) {
		__builtin_prefetch(&b->pv[ahead], 1);
		__builtin_prefetch((const char *)&b->pv[ahead + 1] - 1, 1);
		if (ahead % 8 == 0)
			__builtin_prefetch(&b->ts[ahead], 1);
	}
	for (from &= ~63u; from < to && to <= FB_BYTES; from += 64)
		__builtin_prefetch(b->copy + from, 1);
}

/*
 * pv was decoded apart, in the reader's own cache, and is copied into the
 * slot: decoding in place, the reader's first read of each slot line
 * waited until the workers' cores gave it up.
 */
void worker_pool_push(struct worker_pool *p, const struct pkt_view *pv,
		      uint32_t caplen, const struct meter_sink *sink)
{
	struct file_batch *b = fq_filling(p, sink);
	uint32_t len = pv->payload_len;
	struct pkt_view *v;

	if (b->n == FB_PKTS ||
	    (b->n && b->bytes + batch_bytes(caplen) > FB_BYTES)) {
		fq_submit(p, 0);
		b = fq_filling(p, sink);
	}
	prefetch_slot(b, len);
	v = &b->pv[b->n];
	*v = *pv;
	/* The reader's buffer is reused at its next read. */
	if (len > FB_BYTES - b->bytes)          /* as a snap length would */
		v->payload_len = len = FB_BYTES - b->bytes;
	if (len)
		memcpy(b->copy + b->bytes, pv->payload, len);
	v->payload = b->copy + b->bytes;
	b->owner[b->n] = (uint8_t)(fanout_hash(&p->site, pv) % p->n);
	b->ts[b->n] = pv->ts_us;
	b->n++;
	b->bytes += batch_bytes(caplen);
}

void worker_pool_stop(struct worker_pool *p, const struct meter_sink *sink)
{
	if (p->each_reads) {
		atomic_store(&p->stop, 1);
		return;
	}
	fq_filling(p, sink);
	fq_submit(p, 1);
}

/* ---- the export thread's side ---------------------------------------------- */

unsigned worker_pool_drain(struct worker_pool *p,
			   const struct meter_sink *sink, unsigned max)
{
	unsigned total = 0;

	for (unsigned i = 0; i < p->n; i++) {
		struct worker *w = &p->w[i];
		unsigned tail = atomic_load_explicit(&w->out_tail,
						     memory_order_relaxed);
		unsigned head = atomic_load_explicit(&w->out_head,
						     memory_order_acquire);
		unsigned k;

		for (k = 0; tail != head && k < max; k++, tail++) {
			struct out_rec *o = &w->out[tail % OUT_RECS];

			if (o->kind == OUT_FLOW)
				sink->flow(sink->ctx, &o->u.flow,
					   (enum flow_end_reason)o->reason);
			else
				sink->session(sink->ctx, &o->u.session);
		}
		atomic_store_explicit(&w->out_tail, tail, memory_order_release);
		if (k)
			event_signal(&w->out_space);
		total += k;
	}
	return total;
}

int worker_pool_done(const struct worker_pool *p)
{
	for (unsigned i = 0; i < p->n; i++) {
		const struct worker *w = &p->w[i];

		if (!atomic_load_explicit(&w->finished, memory_order_acquire) ||
		    atomic_load(&w->out_head) != atomic_load(&w->out_tail))
			return 0;
	}
	return 1;
}

const char *worker_pool_error(struct worker_pool *p)
{
	if (p->error_taken)
		return NULL;
	for (unsigned i = 0; i < p->n; i++)
		if (atomic_load(&p->w[i].failed)) {
			p->error_taken = 1;
			return p->w[i].error;   /* written before failed */
		}
	return NULL;
}

void worker_pool_counters(struct worker_pool *p, struct worker_totals *t)
{
	memset(t, 0, sizeof(*t));
	for (unsigned i = 0; i < p->n; i++) {
		struct worker *w = &p->w[i];
		struct worker_totals c;

		pthread_mutex_lock(&w->lock);
		c = w->pub;
		pthread_mutex_unlock(&w->lock);
		meter_counters_add(&t->packets, &c.packets);
		t->flows_active += c.flows_active;
		t->flow_table_bytes += c.flow_table_bytes;
		t->time_outliers += c.time_outliers;
		t->clock_jumps += c.clock_jumps;
		t->kernel_dropped += c.kernel_dropped;
		/* how far the file is read: by the slowest reader */
		if (c.have_share && (!t->have_share || c.done < t->done)) {
			t->done = c.done;
			t->total = c.total;
			t->have_share = 1;
		}
		/* the interface's own counter, read by every socket */
		if (c.iface_dropped > t->iface_dropped)
			t->iface_dropped = c.iface_dropped;
		if (c.have_sig) {
			sig_counters_add(&t->sig, &c.sig);
			t->have_sig = 1;
		}
	}
}

void worker_pool_reconfigure(struct worker_pool *p,
			     const struct skyprobe_config *cfg)
{
	for (unsigned i = 0; i < p->n; i++) {
		struct worker *w = &p->w[i];

		pthread_mutex_lock(&w->lock);
		*w->pending = *cfg;
		atomic_store_explicit(&w->has_pending, 1, memory_order_release);
		pthread_mutex_unlock(&w->lock);
	}
}

/* ---- life cycle ---------------------------------------------------------- */

static int worker_init(struct worker_pool *p, unsigned i,
		       const struct skyprobe_config *cfg, struct capture *cap)
{
	struct worker *w = &p->w[i];
	struct meter_sink sink = { sink_flow, sink_session, w };

	w->pool = p;
	w->index = i;
	w->cap = cap;
	pthread_mutex_init(&w->lock, NULL);
	w->out = calloc(OUT_RECS, sizeof(*w->out));
	w->pending = malloc(sizeof(*w->pending));
	if (!w->out || !w->pending) {
		log_error(p->log, "cannot allocate the queues of %u workers",
			  p->n);
		return -1;
	}
	if (meter_init(&w->m, cfg, i, p->n, &sink, p->log) < 0)
		return -1;
	publish(w);
	return 0;
}

static int fq_init(struct file_queue *fq)
{
	fq->slot = calloc(FB_SLOTS, sizeof(*fq->slot));
	if (!fq->slot)
		return -1;
	for (unsigned i = 0; i < FB_SLOTS; i++)
		if (!(fq->slot[i].copy = malloc(FB_BYTES)))
			return -1;
	return 0;
}

static void fq_free(struct file_queue *fq)
{
	for (unsigned i = 0; fq->slot && i < FB_SLOTS; i++)
		free(fq->slot[i].copy);
	free(fq->slot);
}

struct worker_pool *worker_pool_start(const struct skyprobe_config *cfg,
				      unsigned n, struct capture **caps,
				      int live, struct logger *log)
{
	struct worker_pool *p = calloc(1, sizeof(*p) + n * sizeof(p->w[0]));
	sigset_t all, old;
	unsigned i;

	if (!p) {
		log_error(log, "cannot allocate %u workers", n);
		for (i = 0; caps && i < n; i++)
			capture_close(caps[i]);
		return NULL;
	}
	p->n = n;
	p->live = live;
	p->each_reads = caps != NULL;
	p->log = log;
	fanout_site_init(&p->site, cfg->internal, cfg->n_internal);
	if (!p->each_reads && fq_init(&p->fq) < 0) {
		log_error(log, "cannot allocate the file queue of %u workers",
			  n);
		goto fail;
	}
	for (i = 0; i < n; i++)
		if (worker_init(p, i, cfg, caps ? caps[i] : NULL) < 0)
			goto fail;
	/* Signals are the main thread's: the workers never see them. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	for (i = 0; i < n; i++) {
		if (pthread_create(&p->w[i].thread, NULL, worker_main,
				   &p->w[i]) != 0) {
			log_error(log, "cannot start worker %u of %u", i + 1, n);
			break;
		}
		p->w[i].started = 1;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (i == n)
		return p;
	/* Stop those that started: nothing was read yet. */
	worker_pool_stop(p, NULL);
fail:
	for (i = 0; i < n; i++)
		if (!p->w[i].started)
			atomic_store(&p->w[i].finished, 1);
	worker_pool_free(p);
	return NULL;
}

void worker_pool_free(struct worker_pool *p)
{
	if (!p)
		return;
	for (unsigned i = 0; i < p->n; i++) {
		struct worker *w = &p->w[i];

		if (w->started)
			pthread_join(w->thread, NULL);
		meter_free(&w->m);
		capture_close(w->cap);
		pthread_mutex_destroy(&w->lock);
		free(w->out);
		free(w->pending);
	}
	fq_free(&p->fq);
	free(p);
}
