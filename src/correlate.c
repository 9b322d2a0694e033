/*
 * correlate.c - conntrack facts, clusters and causes for each gap record.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "cause.h"
#include "correlate.h"
#include "log.h"
#include "probe.h"

/* Conntrack's table statistics are sampled this often. */
#define SAMPLE_US	USEC_PER_SEC

/* A gap record to correlate, or a gap's packets to write. */
struct job {
	struct ev_pool *pool;		/* evidence: the buffer's pool */
	uint16_t slot;			/* evidence: 0 for a record */
	struct gap_record rec;
};

struct correlator {
	struct ct *ct;
	struct report *report;
	struct cluster_state clusters;
	int threaded;
	pthread_t thread;
	pthread_mutex_t lock;		/* guards ring, stop, counters */
	int wake;			/* eventfd: records are waiting */
	int stop;
	struct job *ring;		/* [CORRELATE_QUEUE] */
	struct job current;		/* the job being run, out of the lock */
	uint32_t head, count;
	struct pcapstore *store;	/* NULL: no pcap evidence */
	struct prober *prober;		/* NULL: --probe is off */
	struct probe_result results[PROBE_RESULTS_KEPT];
	uint32_t next_result;		/* slot reused next */
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

/* A gap's id, as report.c writes it: the id of its probe record. */
static void gap_id(struct correlator *c, uint16_t queue, uint64_t seq,
		   char *buf, size_t len)
{
	snprintf(buf, len, "%s-%u-%llu", report_run_id(c->report), queue,
		 (unsigned long long)seq);
}

/* A finished ladder's result, kept for its gap's closing record. */
static json_t *take_result(struct correlator *c, uint16_t queue, uint64_t seq)
{
	unsigned int k;
	json_t *r;

	for (k = 0; k < PROBE_RESULTS_KEPT; k++) {
		struct probe_result *x = &c->results[k];

		if (x->result && x->queue == queue && x->seq == seq) {
			r = x->result;
			x->result = NULL;
			return r;
		}
	}
	return NULL;
}

static void free_results(struct correlator *c)
{
	unsigned int k;

	for (k = 0; k < PROBE_RESULTS_KEPT; k++) {
		json_decref(c->results[k].result);
		c->results[k].result = NULL;
	}
}

/* probe_done_cb: report the ladder now, keep it for the gap's close. */
static void probe_done(void *ctx, uint16_t queue, uint64_t seq, json_t *result)
{
	struct correlator *c = ctx;
	struct probe_result *x = &c->results[c->next_result];
	char id[96];
	json_t *o;

	gap_id(c, queue, seq, id, sizeof(id));
	o = json_pack("{s:s,s:s}", "type", "probe", "id", id);
	if (o != NULL)
		json_object_update(o, result);
	report_json(c->report, o);
	if (x->result) {
		/* The oldest result goes: its gap stays open for long. */
		json_decref(x->result);
		c->counters.probe_results_evicted++;
	}
	x->queue = queue;
	x->seq = seq;
	x->result = result;
	c->next_result = (c->next_result + 1) % PROBE_RESULTS_KEPT;
}

static void correlate(struct correlator *c, struct gap_record *rec)
{
	struct gw_time now;
	json_t *o, *result;

	if (c->ct)
		ct_enrich(c->ct, rec);
	cluster_assign(&c->clusters, rec);
	cause_classify(rec);
	if (rec->has_pcap && c->store)
		pcapstore_path(c->store, rec->queue, rec->seq, rec->pcap_path,
			       sizeof(rec->pcap_path));
	/* Ladders run on the thread only: after correlator_stop() the last
	 * records are reported without them. */
	if (c->prober == NULL || !c->threaded) {
		report_gap(c->report, rec);
		return;
	}
	if (rec->is_open_event) {
		/* The gap_open record goes first: the probe record that
		 * follows names its id. */
		report_gap(c->report, rec);
		gw_clock_read(&now);
		probe_start(c->prober, rec, &now);
		return;
	}
	result = take_result(c, rec->queue, rec->seq);
	if (result == NULL) {
		report_gap(c->report, rec);
		return;
	}
	o = report_gap_json(rec, report_run_id(c->report));
	if (o != NULL)
		json_object_set_new(o, "probe", result);
	else
		json_decref(result);
	report_json(c->report, o);
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
	else
		correlate(c, &j->rec);
}

/* Queue a job; returns -1 when the queue is full. */
static int enqueue(struct correlator *c, const struct gap_record *rec,
		   struct ev_pool *pool, uint16_t slot)
{
	struct job *j;
	uint64_t one = 1;

	pthread_mutex_lock(&c->lock);
	if (c->count == CORRELATE_QUEUE) {
		c->counters.queue_full++;
		pthread_mutex_unlock(&c->lock);
		return -1;
	}
	j = &c->ring[(c->head + c->count) % CORRELATE_QUEUE];
	j->pool = pool;
	j->slot = slot;
	if (rec)
		j->rec = *rec;
	c->count++;
	c->counters.records += rec != NULL;
	pthread_mutex_unlock(&c->lock);
	if (write(c->wake, &one, sizeof(one)) < 0 && errno != EAGAIN)
		log_warn("correlator: cannot wake");
	return 0;
}

void correlator_submit(void *ctx, const struct gap_record *rec)
{
	struct correlator *c = ctx;
	struct gap_record copy;

	if (!c->threaded) {
		copy = *rec;
		c->counters.records++;
		correlate(c, &copy);
		return;
	}
	/* Late conntrack facts are worth less than the record: when the
	 * queue is full, report it with what the packets showed. */
	if (enqueue(c, rec, NULL, 0) < 0)
		report_gap(c->report, rec);
}

void correlator_evidence(void *ctx, struct ev_pool *pool, uint16_t slot)
{
	struct correlator *c = ctx;

	if (!c->threaded) {
		write_evidence(c, pool, slot);
		return;
	}
	/* A pcap the writer cannot take in time is lost, and counted: the
	 * verdict loop does not wait for a disk. */
	if (enqueue(c, NULL, pool, slot) < 0) {
		pthread_mutex_lock(&c->lock);
		c->counters.evidence_dropped++;
		pthread_mutex_unlock(&c->lock);
		ev_pool_give(pool, slot);
	}
}

/*
 * Run the queued jobs in order. With conntrack, a closing record waits
 * until CT_GRACE_US after its end so that the events caused by the
 * packet that ended it are read first; the jobs behind it wait with it
 * (order matters to readers of the report). Returns 1 when stopping and
 * everything is done, and sets *wait_ms when the head must wait.
 */
static int drain(struct correlator *c, const struct gw_time *now,
		 int *wait_ms)
{
	struct job *j = &c->current;
	uint64_t due;
	int stop;

	for (;;) {
		pthread_mutex_lock(&c->lock);
		stop = c->stop;
		if (c->count == 0) {
			pthread_mutex_unlock(&c->lock);
			return stop;
		}
		*j = c->ring[c->head];
		due = j->slot == 0 && !j->rec.is_open_event && c->ct ?
			      j->rec.end_us + CT_GRACE_US : 0;
		if (due > now->wall_us && !stop) {
			pthread_mutex_unlock(&c->lock);
			*wait_ms = (int)((due - now->wall_us) / 1000) + 1;
			return 0;
		}
		c->head = (c->head + 1) % CORRELATE_QUEUE;
		c->count--;
		pthread_mutex_unlock(&c->lock);
		if (due > now->wall_us && c->ct)
			ct_read_events(c->ct, now);	/* stopping: last look */
		run(c, j);
	}
}

static void *correlator_main(void *arg)
{
	struct correlator *c = arg;
	struct pollfd pfd[2 + PROBE_FDS_MAX];
	struct gw_time now;
	uint64_t next_sample = 0, n;
	int nfd = 1, nbase, timeout, wait_ms = 250;

	pfd[0].fd = c->wake;
	pfd[0].events = POLLIN;
	if (c->ct) {
		pfd[1].fd = ct_event_fd(c->ct);
		pfd[1].events = POLLIN;
		nfd = 2;
	}
	nbase = nfd;
	for (;;) {
		/* The longest wait: a closing record's grace (wait_ms), the
		 * next probe due, or a quarter second for the samples. */
		timeout = wait_ms;
		wait_ms = 250;
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
		if (c->ct) {
			/* Events first: a record must see the DESTROY that
			 * arrived just before it. */
			ct_read_events(c->ct, &now);
			if (now.mono_us >= next_sample) {
				ct_sample(c->ct, &now);
				next_sample = now.mono_us + SAMPLE_US;
			}
		}
		if (read(c->wake, &n, sizeof(n)) < 0 && errno != EAGAIN)
			log_warn("correlator: cannot read its wake-up");
		if (drain(c, &now, &wait_ms))
			break;
		if (c->prober)
			probe_run(c->prober, &now, probe_done, c);
		pthread_mutex_lock(&c->lock);
		if (c->prober)
			c->counters.probe = *probe_counters(c->prober);
		if (c->ct)
			c->counters.ct = *ct_counters(c->ct);
		if (c->store)
			c->counters.pcap = *pcapstore_counters(c->store);
		pthread_mutex_unlock(&c->lock);
	}
	return NULL;
}

struct correlator *correlator_new(struct ct *ct, struct pcapstore *store,
				  struct prober *prober, struct report *report,
				  int threaded, char *err, size_t errlen)
{
	struct correlator *c = calloc(1, sizeof(*c));
	int rc;

	if (c == NULL) {
		snprintf(err, errlen, "correlator: out of memory");
		return NULL;
	}
	c->ct = ct;
	c->store = store;
	c->prober = prober;
	c->counters.probing = prober != NULL;
	c->report = report;
	c->threaded = threaded;
	c->counters.conntrack = ct != NULL;
	c->wake = -1;
	pthread_mutex_init(&c->lock, NULL);
	if (!threaded)
		return c;
	c->ring = calloc(CORRELATE_QUEUE, sizeof(*c->ring));
	c->wake = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (c->ring == NULL || c->wake < 0) {
		snprintf(err, errlen, "correlator: %s", strerror(errno));
		goto err_free;
	}
	rc = pthread_create(&c->thread, NULL, correlator_main, c);
	if (rc != 0) {
		snprintf(err, errlen, "cannot start the correlator: %s",
			 strerror(rc));
		goto err_free;
	}
	return c;

err_free:
	if (c->wake >= 0)
		close(c->wake);
	free(c->ring);
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
}

void correlator_stop(struct correlator *c)
{
	uint64_t one = 1;

	if (!c->threaded || c->wake < 0)
		return;
	pthread_mutex_lock(&c->lock);
	c->stop = 1;
	pthread_mutex_unlock(&c->lock);
	if (write(c->wake, &one, sizeof(one)) < 0)
		log_warn("correlator: cannot wake");
	pthread_join(c->thread, NULL);
	close(c->wake);
	c->wake = -1;
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
	free_results(c);
	free(c->ring);
	pthread_mutex_destroy(&c->lock);
	free(c);
}
