/*
 * correlate.c - conntrack facts, clusters and causes for each gap record.
 */
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bqueue.h"
#include "cause.h"
#include "droptally.h"
#include "exposure.h"
#include "samples.h"
#include "correlate.h"
#include "probe.h"
#include "report.h"

/* Conntrack's table statistics are sampled this often. */
#define SAMPLE_US	USEC_PER_SEC
/* The server's counters kept at one a second: the last hour and more. */
#define HOST_SAMPLES	4096
/* The longest the thread sleeps when nothing else is due: the samples
 * and the stop request are looked at this often. */
#define IDLE_WAIT_MS	250

/* A gap record to correlate, or a gap's packets to write. */
struct job {
	struct ev_pool *pool;		/* evidence: the buffer's pool */
	uint16_t slot;			/* evidence: 0 for a record */
	struct exposure_batch *exposure;	/* not NULL: an exposure record */
	struct gap_record rec;
};

/* A finished ladder's result, kept until its gap closes. */
struct kept_result {
	int used;
	struct probe_result res;
};

struct correlator {
	struct ct *ct;
	struct dropwatch *drops;		/* NULL: not watched */
	struct hoststat *host;			/* NULL: not read */
	struct samples host_samples;		/* struct host_counters, wall */
	struct host_counters host_now;
	struct report *report;
	struct cluster_state clusters;
	int threaded;
	pthread_t thread;
	struct bqueue *jobs;		/* struct job; NULL inline */
	struct job current;		/* the job being run */
	struct pcapstore *store;		/* NULL: no pcap evidence */
	struct prober *prober;		/* NULL: --probe is off */
	struct kept_result results[PROBE_RESULTS_KEPT];
	uint32_t next_result;		/* slot reused next */
	pthread_mutex_t lock;		/* guards counters */
	struct correlate_counters counters;
};

static uint64_t distance(uint64_t a, uint64_t b)
{
	return a > b ? a - b : b - a;
}

void cluster_assign(struct cluster_state *cs, struct gap_record *rec)
{
	struct gap_cluster *c = NULL;
	uint32_t k;

	for (k = 0; k < CLUSTERS_KEPT; k++) {
		struct gap_cluster *x = &cs->clusters[k];

		if (x->id && distance(x->first_start_us, rec->start_us) <=
				     CLUSTER_WINDOW_US) {
			c = x;
			break;
		}
	}
	if (rec->is_open_event) {
		if (c == NULL) {
			c = &cs->clusters[cs->next];
			cs->next = (cs->next + 1) % CLUSTERS_KEPT;
			c->id = ++cs->next_id;
			c->size = 0;
			c->first_start_us = rec->start_us;
		}
		c->size++;
		if (rec->start_us < c->first_start_us)
			c->first_start_us = rec->start_us;
	}
	if (c != NULL && c->size >= 2)
		rec->cluster = *c;
}

/* The kept result of gap (queue, seq), or NULL. */
static struct kept_result *find_result(struct correlator *c, uint16_t queue,
				       uint64_t seq)
{
	unsigned int k;

	for (k = 0; k < PROBE_RESULTS_KEPT; k++) {
		struct kept_result *x = &c->results[k];

		if (x->used && x->res.queue == queue && x->res.seq == seq)
			return x;
	}
	return NULL;
}

void correlator_probe_done(void *ctx, const struct probe_result *res)
{
	struct correlator *c = ctx;
	struct kept_result *x = &c->results[c->next_result];

	report_probe(c->report, res);
	if (x->used) {
		/* The oldest result goes: its gap stays open for long. */
		pthread_mutex_lock(&c->lock);
		c->counters.probe_results_evicted++;
		pthread_mutex_unlock(&c->lock);
	}
	x->used = 1;
	x->res = *res;
	c->next_result = (c->next_result + 1) % PROBE_RESULTS_KEPT;
}

/* Read the server's counters now, and keep the reading. */
static void host_sample(struct correlator *c, uint64_t wall_us)
{
	hoststat_read(c->host, &c->host_now);
	samples_add(&c->host_samples, wall_us, &c->host_now);
}

/* The counters' growth over the gap's window: from the reading at or
 * before its start to one taken now. */
static void host_fill(struct correlator *c, struct gap_record *rec)
{
	const struct host_counters *from;
	struct gw_time now;

	gw_clock_read(&now);
	from = samples_at(&c->host_samples, rec->start_us);
	host_sample(c, now.wall_us);
	if (from == NULL)
		from = &c->host_now;
	hoststat_growth(from, &c->host_now, &rec->server);
	rec->server_known = 1;
}

static void tally_reason(struct gap_tally *t, const struct local_drop_reason *r)
{
	unsigned int k;

	for (k = 0; k < t->nreasons; k++)
		if (!strcmp(t->reason_name[k], r->name))
			break;
	if (k == t->nreasons) {
		/* The last slot takes every reason past the others. */
		k = t->nreasons < GAP_REASONS ? t->nreasons++ : GAP_REASONS - 1;
		snprintf(t->reason_name[k], sizeof(t->reason_name[k]), "%s",
			 k == GAP_REASONS - 1 ? "other" : r->name);
	}
	t->reason_drops[k] += r->count;
}

/* The record in the tallies the metrics show. */
static void tally_gap(struct correlator *c, const struct gap_record *rec)
{
	static const double bounds[GAP_BUCKETS] = GAP_BUCKET_BOUNDS_S;
	struct gap_tally *t = &c->counters.gaps;
	uint64_t end = rec->end_us > rec->start_us ? rec->end_us : rec->start_us;
	double secs = (double)(end - rec->start_us) / USEC_PER_SEC;
	unsigned int k;

	pthread_mutex_lock(&c->lock);
	if (rec->is_open_event) {
		t->opened[rec->cause]++;
	} else {
		t->closed[rec->cause][rec->outcome <= OUTCOME_OPEN_AT_EXIT ?
				      rec->outcome : OUTCOME_NONE]++;
		for (k = 0; k < GAP_BUCKETS; k++)
			t->duration_le[k] += secs <= bounds[k];
		t->duration_count++;
		t->duration_sum_s += secs;
		if (rec->outcome == OUTCOME_RECONNECTED &&
		    rec->reconnect_confidence <= CONFIDENCE_FULL)
			t->reconnect_confidence[rec->reconnect_confidence]++;
		for (k = 0; k < rec->drops.nreasons; k++)
			tally_reason(t, &rec->drops.by_reason[k]);
	}
	pthread_mutex_unlock(&c->lock);
}

static void correlate(struct correlator *c, struct gap_record *rec)
{
	struct kept_result *kept;
	struct gw_time now;

	if (c->ct)
		ct_enrich(c->ct, rec);
	if (c->drops) {
		/* The drops that came just before the record count too. */
		gw_clock_read(&now);
		dropwatch_read(c->drops, &now);
		dropwatch_fill(c->drops, rec);
	}
	if (c->host)
		host_fill(c, rec);
	cause_classify(rec);
	/* Gaps of the inspector's own blindness began together because
	 * gapwatchd went blind, not because the network did: no cluster. */
	if (rec->cause != CAUSE_INSPECTOR_LOSS)
		cluster_assign(&c->clusters, rec);
	tally_gap(c, rec);
	if (rec->has_pcap && c->store)
		pcapstore_path(c->store, rec->queue, rec->seq, rec->pcap_path,
			       sizeof(rec->pcap_path));
	if (rec->is_open_event) {
		/* The gap_open record goes first: the probe record that
		 * follows names its id. */
		report_gap(c->report, rec, NULL);
		/* Ladders run on the thread only: after correlator_stop()
		 * the last records are reported without them. */
		if (c->prober != NULL && c->threaded) {
			gw_clock_read(&now);
			probe_start(c->prober, rec, &now);
		}
		return;
	}
	kept = find_result(c, rec->queue, rec->seq);
	report_gap(c->report, rec, kept ? &kept->res : NULL);
	if (kept)
		kept->used = 0;
}

static void write_evidence(struct correlator *c, struct ev_pool *pool,
			   uint16_t slot)
{
	if (c->store)
		pcapstore_write(c->store, ev_pool_buffer(pool, slot));
	ev_pool_give(pool, slot);
}

static void run(struct correlator *c, struct job *j)
{
	if (j->slot)
		write_evidence(c, j->pool, j->slot);
	else if (j->exposure) {
		report_exposure(c->report, j->exposure);
		free(j->exposure);
	} else
		correlate(c, &j->rec);
}

void correlator_submit(void *ctx, const struct gap_record *rec)
{
	struct correlator *c = ctx;
	struct job j = { .pool = NULL, .slot = 0 };

	j.rec = *rec;
	if (!c->threaded) {
		correlate(c, &j.rec);
		return;
	}
	/* Late conntrack facts are worth less than the record: when the
	 * queue is full (counted), report it with what the packets
	 * showed. */
	if (bqueue_push(c->jobs, &j) < 0) {
		cause_classify(&j.rec);
		tally_gap(c, &j.rec);
		report_gap(c->report, &j.rec, NULL);
	}
}

void correlator_blind(void *ctx, const struct blind_record *iv)
{
	struct correlator *c = ctx;

	report_blind(c->report, iv);
}

static void count_exposure_dropped(struct correlator *c)
{
	pthread_mutex_lock(&c->lock);
	c->counters.exposure_dropped++;
	pthread_mutex_unlock(&c->lock);
}

/* A copy now, on the engine's thread (once an interval); the sorting and
 * the formatting on ours. */
void correlator_exposure(void *ctx, const struct exposure *x,
			 uint64_t end_wall_us)
{
	struct correlator *c = ctx;
	struct job j = { .pool = NULL, .slot = 0 };

	j.exposure = exposure_snapshot(x, end_wall_us);
	if (j.exposure == NULL) {
		count_exposure_dropped(c);
		return;
	}
	if (!c->threaded) {
		run(c, &j);
		return;
	}
	if (bqueue_push(c->jobs, &j) < 0) {
		count_exposure_dropped(c);
		free(j.exposure);
	}
}

void correlator_evidence(void *ctx, struct ev_pool *pool, uint16_t slot)
{
	struct correlator *c = ctx;
	struct job j = { .pool = pool, .slot = slot };

	if (!c->threaded) {
		write_evidence(c, pool, slot);
		return;
	}
	/* A pcap the writer cannot take in time is lost, and counted: the
	 * verdict loop does not wait for a disk. */
	if (bqueue_push(c->jobs, &j) < 0) {
		pthread_mutex_lock(&c->lock);
		c->counters.evidence_dropped++;
		pthread_mutex_unlock(&c->lock);
		ev_pool_give(pool, slot);
	}
}

/* How long after its end a closing record waits for what the packet that
 * ended it caused: conntrack's events, the kernel's drops; 0 without. */
static uint64_t grace_us(const struct correlator *c)
{
	uint64_t g = c->ct ? CT_GRACE_US : 0;

	if (c->drops && DROPTALLY_GRACE_US > g)
		g = DROPTALLY_GRACE_US;
	return g;
}

/*
 * Run the queued jobs in order. A closing record waits until grace_us()
 * after its end so that the events and drops caused by the packet that
 * ended it are read first; the jobs behind it wait with it
 * (order matters to readers of the report). Returns 1 when stopping and
 * everything is done, and sets *wait_ms when the head must wait.
 */
static int drain(struct correlator *c, const struct gw_time *now,
		 int *wait_ms)
{
	struct job *j = &c->current;
	uint64_t due;
	int stop, rc;

	for (;;) {
		stop = bqueue_closed(c->jobs);
		rc = bqueue_peek(c->jobs, j);
		if (rc <= 0)
			return rc < 0;	/* -1: closed and done */
		due = j->slot == 0 && !j->exposure && !j->rec.is_open_event ?
			      j->rec.end_us + grace_us(c) : 0;
		if (due > now->wall_us && !stop) {
			*wait_ms = (int)((due - now->wall_us) / USEC_PER_MSEC) + 1;
			return 0;
		}
		/* The one consumer: the head is still the job peeked at. */
		bqueue_pop(c->jobs, NULL);
		if (due > now->wall_us && c->ct)
			ct_read_events(c->ct, now);	/* stopping: last look */
		run(c, j);
	}
}

/* A copy of the owned modules' counters for correlator_counters(). */
static void copy_counters(struct correlator *c)
{
	pthread_mutex_lock(&c->lock);
	if (c->prober)
		c->counters.probe = *probe_counters(c->prober);
	if (c->ct)
		c->counters.ct = *ct_counters(c->ct);
	if (c->store)
		c->counters.pcap = *pcapstore_counters(c->store);
	if (c->drops)
		dropwatch_get_counters(c->drops, &c->counters.drops);
	pthread_mutex_unlock(&c->lock);
}

static void *correlator_main(void *arg)
{
	struct correlator *c = arg;
	struct pollfd pfd[3 + PROBE_FDS_MAX];
	struct gw_time now;
	uint64_t next_sample = 0;
	int nfd = 1, nbase, timeout, wait_ms = IDLE_WAIT_MS;

	pfd[0].fd = bqueue_fd(c->jobs);
	pfd[0].events = POLLIN;
	if (c->ct) {
		pfd[nfd].fd = ct_event_fd(c->ct);
		pfd[nfd++].events = POLLIN;
	}
	if (c->drops) {
		pfd[nfd].fd = dropwatch_fd(c->drops);
		pfd[nfd++].events = POLLIN;
	}
	nbase = nfd;
	for (;;) {
		/* The longest wait: a closing record's grace (wait_ms), the
		 * next probe due, or IDLE_WAIT_MS for the samples. */
		timeout = wait_ms;
		wait_ms = IDLE_WAIT_MS;
		nfd = nbase;
		if (c->prober) {
			int t;

			gw_clock_read(&now);
			nfd += probe_fds(c->prober, pfd + nbase, PROBE_FDS_MAX);
			t = probe_timeout_ms(c->prober, &now);
			if (t >= 0 && t < timeout)
				timeout = t;
		}
		poll(pfd, (nfds_t)nfd, timeout);
		gw_clock_read(&now);
		if (c->ct)
			/* Events first: a record must see the DESTROY that
			 * arrived just before it. */
			ct_read_events(c->ct, &now);
		if (now.mono_us >= next_sample) {
			if (c->ct)
				ct_sample(c->ct, &now);
			if (c->host)
				host_sample(c, now.wall_us);
			next_sample = now.mono_us + SAMPLE_US;
		}
		if (c->drops)
			dropwatch_read(c->drops, &now);
		bqueue_fd_clear(c->jobs);
		if (drain(c, &now, &wait_ms))
			break;
		if (c->prober)
			probe_run(c->prober, &now, correlator_probe_done, c);
		copy_counters(c);
	}
	return NULL;
}

struct correlator *correlator_new(const struct correlate_parts *parts,
				  struct report *report, int threaded,
				  char *err, size_t errlen)
{
	struct correlator *c = calloc(1, sizeof(*c));
	int rc;

	if (c == NULL) {
		snprintf(err, errlen, "correlator: out of memory");
		return NULL;
	}
	c->ct = parts->ct;
	c->store = parts->store;
	c->prober = parts->prober;
	c->drops = parts->drops;
	c->host = parts->host;
	if (c->host && samples_init(&c->host_samples, HOST_SAMPLES,
				    sizeof(struct host_counters)) < 0) {
		snprintf(err, errlen, "correlator: out of memory");
		free(c);
		return NULL;
	}
	c->counters.probing = c->prober != NULL;
	c->counters.drop_watch = c->drops != NULL;
	snprintf(c->counters.drop_watch_off, sizeof(c->counters.drop_watch_off),
		 "%s", parts->drops_off ? parts->drops_off : "");
	c->report = report;
	c->threaded = threaded;
	c->counters.conntrack = c->ct != NULL;
	pthread_mutex_init(&c->lock, NULL);
	if (!threaded)
		return c;
	c->jobs = bqueue_new("correlator", CORRELATE_QUEUE, sizeof(struct job),
			     BQUEUE_EVENTFD, err, errlen);
	if (c->jobs == NULL)
		goto err_free;
	rc = pthread_create(&c->thread, NULL, correlator_main, c);
	if (rc != 0) {
		snprintf(err, errlen, "cannot start the correlator: %s",
			 strerror(rc));
		goto err_queue;
	}
	return c;

err_queue:
	bqueue_free(c->jobs);
err_free:
	pthread_mutex_destroy(&c->lock);
	free(c);
	return NULL;
}

void correlator_counters(struct correlator *c, struct correlate_counters *out)
{
	pthread_mutex_lock(&c->lock);
	if (!c->threaded && c->store)
		c->counters.pcap = *pcapstore_counters(c->store);
	*out = c->counters;
	pthread_mutex_unlock(&c->lock);
	out->queue_full = c->jobs ? bqueue_refused(c->jobs) : 0;
}

void correlator_stop(struct correlator *c)
{
	if (!c->threaded)
		return;
	/* The thread runs what is queued, then sees the end. */
	bqueue_close(c->jobs);
	pthread_join(c->thread, NULL);
	/* From here on, records are correlated inline by the caller. */
	c->threaded = 0;
}

void correlator_free(struct correlator *c)
{
	if (c == NULL)
		return;
	correlator_stop(c);
	ct_close(c->ct);
	pcapstore_close(c->store);
	probe_close(c->prober);
	dropwatch_close(c->drops);
	hoststat_close(c->host);
	samples_fini(&c->host_samples);
	bqueue_free(c->jobs);
	pthread_mutex_destroy(&c->lock);
	free(c);
}
