/*
 * metrics.c - the Prometheus exposition of gapwatchd's counters.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <pthread.h>
#include <microhttpd.h>

#include "cause.h"
#include "metrics.h"

/* A scrape's text: some 200 series. */
#define RENDER_MAX	(128 * 1024)
/* A scraper that stops talking is let go after this (and SIGTERM never
 * waits for one longer). */
#define CONNECTION_TIMEOUT_S	5

struct out {
	char *buf;
	size_t len, used;
};

__attribute__((format(printf, 2, 3)))
static void put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->used >= o->len)
		return;
	va_start(ap, fmt);
	n = vsnprintf(o->buf + o->used, o->len - o->used, fmt, ap);
	va_end(ap);
	o->used = n < 0 ? o->len : o->used + (size_t)n;
	if (o->used > o->len)
		o->used = o->len;
}

/* One series without labels, with its HELP and TYPE. */
static void series(struct out *o, const char *name, const char *type,
		   const char *help, unsigned long long v)
{
	put(o, "# HELP %s %s\n# TYPE %s %s\n%s %llu\n", name, help, name, type,
	    name, v);
}

static void head(struct out *o, const char *name, const char *type,
		 const char *help)
{
	put(o, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void gap_series(struct out *o, const struct gap_tally *t)
{
	static const double bounds[GAP_BUCKETS] = GAP_BUCKET_BOUNDS_S;
	unsigned int c, k;

	head(o, "gapwatch_gaps_detected_total", "counter",
	     "Gaps detected (gap_open records), by their provisional cause.");
	for (c = CAUSE_NONE + 1; c < CAUSE_MAX; c++)
		put(o, "gapwatch_gaps_detected_total{cause=\"%s\"} %llu\n",
		    cause_name((enum gap_cause)c), (unsigned long long)t->opened[c]);
	head(o, "gapwatch_gaps_total", "counter",
	     "Gaps closed (gap records), by cause and outcome.");
	for (c = CAUSE_NONE + 1; c < CAUSE_MAX; c++)
		for (k = OUTCOME_RESUMED; k <= OUTCOME_OPEN_AT_EXIT; k++)
			put(o, "gapwatch_gaps_total{cause=\"%s\",outcome=\"%s\"} %llu\n",
			    cause_name((enum gap_cause)c),
			    report_outcome_name((enum gap_outcome)k),
			    (unsigned long long)t->closed[c][k]);
	head(o, "gapwatch_gap_duration_seconds", "histogram",
	     "How long closed gaps lasted.");
	for (k = 0; k < GAP_BUCKETS; k++)
		put(o, "gapwatch_gap_duration_seconds_bucket{le=\"%g\"} %llu\n",
		    bounds[k], (unsigned long long)t->duration_le[k]);
	put(o, "gapwatch_gap_duration_seconds_bucket{le=\"+Inf\"} %llu\n"
	    "gapwatch_gap_duration_seconds_sum %.6f\n"
	    "gapwatch_gap_duration_seconds_count %llu\n",
	    (unsigned long long)t->duration_count, t->duration_sum_s,
	    (unsigned long long)t->duration_count);
	head(o, "gapwatch_local_drops_total", "counter",
	     "Packets of gaps' flows that this server's kernel dropped, by its reason.");
	for (k = 0; k < t->nreasons && k < GAP_REASONS; k++)
		put(o, "gapwatch_local_drops_total{reason=\"%s\"} %llu\n",
		    t->reason_name[k], (unsigned long long)t->reason_drops[k]);
	head(o, "gapwatch_reconnects_matched_total", "counter",
	     "Reconnects matched to a silent flow, by the match's confidence.");
	for (k = CONFIDENCE_LOW; k <= CONFIDENCE_FULL; k++)
		put(o, "gapwatch_reconnects_matched_total{confidence=\"%s\"} %llu\n",
		    report_confidence_name((uint8_t)k),
		    (unsigned long long)t->reconnect_confidence[k]);
}

size_t metrics_render(const struct report_stats *st, char *buf, size_t len)
{
	const struct correlate_counters *cc = st->corr;
	const struct probe_counters *pc = &cc->probe;
	const struct ct_counters *ct = &cc->ct;
	struct out o = { buf, len, 0 };

	put(&o, "# HELP gapwatch_build_info gapwatchd's version.\n"
	    "# TYPE gapwatch_build_info gauge\n"
	    "gapwatch_build_info{version=\"%s\"} 1\n", PACKAGE_VERSION);
	series(&o, "gapwatch_start_time_seconds", "gauge",
	       "When gapwatchd started, in seconds since the epoch.",
	       (unsigned long long)(st->wall_us / USEC_PER_SEC - st->uptime_s));
	series(&o, "gapwatch_queues", "gauge", "Queues watched.", st->queues);
	series(&o, "gapwatch_packets_total", "counter", "Packets seen.",
	       (unsigned long long)st->engine[EC_PACKETS]);
	series(&o, "gapwatch_bytes_total", "counter", "Bytes of the packets seen.",
	       (unsigned long long)st->engine[EC_BYTES]);
	series(&o, "gapwatch_flows", "gauge", "Flows in the table now.", st->flows);
	series(&o, "gapwatch_flows_created_total", "counter", "Flows created.",
	       (unsigned long long)st->engine[EC_FLOWS_CREATED]);
	series(&o, "gapwatch_flows_evicted_total", "counter",
	       "Flows forgotten for room (--max-flows).",
	       (unsigned long long)st->engine[EC_FLOWS_EVICTED]);
	series(&o, "gapwatch_gaps_open", "gauge", "Gaps open now.", st->gaps_open);
	series(&o, "gapwatch_reconnects_total", "counter",
	       "Clients that came back from a new port.",
	       (unsigned long long)st->engine[EC_RECONNECTS]);
	series(&o, "gapwatch_retransmits_total", "counter", "TCP retransmissions seen.",
	       (unsigned long long)st->engine[EC_RETRANSMITS]);
	gap_series(&o, &cc->gaps);
	series(&o, "gapwatch_queue_received_total", "counter",
	       "Packets received from the queues.", (unsigned long long)st->queue.received);
	series(&o, "gapwatch_verdict_errors_total", "counter",
	       "Verdicts the kernel refused.", (unsigned long long)st->queue.verdict_errors);
	series(&o, "gapwatch_queue_enobufs_total", "counter",
	       "ENOBUFS on the queue sockets.", (unsigned long long)st->queue.enobufs);
	series(&o, "gapwatch_queue_dropped_total", "counter",
	       "Packets the kernel's queues dropped (queue full, no fail-open).",
	       (unsigned long long)st->queue_dropped);
	series(&o, "gapwatch_queue_user_dropped_total", "counter",
	       "Packets the kernel could not send to gapwatchd.",
	       (unsigned long long)st->user_dropped);
	series(&o, "gapwatch_unseen_packets_total", "counter",
	       "Packets that passed the rules and the queue unseen (fail-open).",
	       (unsigned long long)st->blind.unseen);
	series(&o, "gapwatch_id_holes_total", "counter",
	       "Queue packet ids that never reached gapwatchd.",
	       (unsigned long long)st->blind.id_holes);
	series(&o, "gapwatch_stalls_total", "counter",
	       "Times the verdict loop was not scheduled for 250 ms or more.",
	       (unsigned long long)st->blind.stalls);
	series(&o, "gapwatch_blind_intervals_total", "counter",
	       "Intervals during which gapwatchd missed packets.",
	       (unsigned long long)st->engine[EC_BLIND_INTERVALS]);
	series(&o, "gapwatch_blind_missed_packets_total", "counter",
	       "Packets those intervals missed.",
	       (unsigned long long)st->engine[EC_BLIND_MISSED]);
	put(&o, "# HELP gapwatch_blind_seconds_total Time gapwatchd was blind.\n"
	    "# TYPE gapwatch_blind_seconds_total counter\n"
	    "gapwatch_blind_seconds_total %.3f\n",
	    (double)st->engine[EC_BLIND_MS] / 1000.0);
	series(&o, "gapwatch_parse_errors_total", "counter",
	       "Packets that could not be parsed.",
	       (unsigned long long)engine_parse_errors(st->engine));
	series(&o, "gapwatch_report_dropped_total", "counter",
	       "Records the report writer could not take.",
	       (unsigned long long)st->report_dropped);
	series(&o, "gapwatch_correlate_queue_full_total", "counter",
	       "Records the correlator's queue refused (reported without "
	       "conntrack facts).", (unsigned long long)cc->queue_full);
	series(&o, "gapwatch_conntrack_up", "gauge",
	       "1 when conntrack facts are added.", (unsigned long long)cc->conntrack);
	series(&o, "gapwatch_conntrack_entries", "gauge",
	       "Conntrack table entries, last sample.", ct->count);
	series(&o, "gapwatch_conntrack_max", "gauge",
	       "Conntrack table size (nf_conntrack_max).", ct->max);
	series(&o, "gapwatch_conntrack_events_total", "counter",
	       "Conntrack events read.", (unsigned long long)ct->events);
	series(&o, "gapwatch_conntrack_enobufs_total", "counter",
	       "Conntrack event socket overruns.", (unsigned long long)ct->enobufs);
	series(&o, "gapwatch_conntrack_resyncs_total", "counter",
	       "Conntrack table dumps after an overrun.", (unsigned long long)ct->resyncs);
	series(&o, "gapwatch_probe_ladders_total", "counter",
	       "TTL ladders started (--probe).", (unsigned long long)pc->ladders_started);
	head(&o, "gapwatch_probe_limited_total", "counter",
	     "Gaps or probes held back by a --probe limit.");
	put(&o, "gapwatch_probe_limited_total{limit=\"ladders\"} %llu\n"
	    "gapwatch_probe_limited_total{limit=\"ladder_interval\"} %llu\n"
	    "gapwatch_probe_limited_total{limit=\"client\"} %llu\n"
	    "gapwatch_probe_limited_total{limit=\"rate\"} %llu\n",
	    (unsigned long long)pc->limit_ladders,
	    (unsigned long long)pc->limit_ladder_interval,
	    (unsigned long long)pc->limit_client, (unsigned long long)pc->limit_rate);
	series(&o, "gapwatch_drop_watch_up", "gauge",
	       "1 when the kernel drop watcher (BPF) is on.",
	       (unsigned long long)cc->drop_watch);
	series(&o, "gapwatch_drop_watch_events_total", "counter",
	       "Game packets the server's kernel dropped, as the watcher saw them.",
	       (unsigned long long)cc->drops.events);
	series(&o, "gapwatch_drop_watch_lost_total", "counter",
	       "Drop events the watcher's ring buffer could not take.",
	       (unsigned long long)cc->drops.lost);
	return o.used;
}

int metrics_parse_addr(const char *s, struct sockaddr_storage *sa,
		       socklen_t *salen, char *err, size_t errlen)
{
	struct sockaddr_in *v4 = (struct sockaddr_in *)sa;
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)sa;
	char host[64];
	const char *colon, *port = s;
	unsigned long p;
	char *end;

	memset(sa, 0, sizeof(*sa));
	host[0] = '\0';
	if (s[0] == '[') {
		colon = strstr(s, "]:");
		if (colon == NULL || (size_t)(colon - s - 1) >= sizeof(host))
			goto bad;
		snprintf(host, sizeof(host), "%.*s", (int)(colon - s - 1), s + 1);
		port = colon + 2;
	} else if ((colon = strrchr(s, ':')) != NULL) {
		if ((size_t)(colon - s) >= sizeof(host))
			goto bad;
		snprintf(host, sizeof(host), "%.*s", (int)(colon - s), s);
		port = colon + 1;
	}
	errno = 0;
	p = strtoul(port, &end, 10);
	if (*port == '\0' || *end != '\0' || errno || p == 0 || p > 65535)
		goto bad;
	if (host[0] == '\0' || s[0] != '[') {
		v4->sin_family = AF_INET;
		v4->sin_port = htons((uint16_t)p);
		if (inet_pton(AF_INET, host[0] ? host : "127.0.0.1",
			      &v4->sin_addr) != 1)
			goto bad;
		*salen = sizeof(*v4);
		return 0;
	}
	v6->sin6_family = AF_INET6;
	v6->sin6_port = htons((uint16_t)p);
	if (inet_pton(AF_INET6, host, &v6->sin6_addr) != 1)
		goto bad;
	*salen = sizeof(*v6);
	return 0;
bad:
	snprintf(err, errlen, "'%s' is not PORT, ADDR:PORT or [ADDR6]:PORT", s);
	return -1;
}

struct metrics {
	struct MHD_Daemon *mhd;
	metrics_collect_cb collect;
	void *ctx;
	pthread_mutex_t lock;		/* one scrape renders at a time */
	char *buf;			/* [RENDER_MAX] */
};

static enum MHD_Result answer(void *cls, struct MHD_Connection *conn,
			      const char *url, const char *method,
			      const char *version, const char *upload,
			      size_t *upload_len, void **state)
{
	struct metrics *m = cls;
	struct correlate_counters cc;
	struct report_stats st;
	struct MHD_Response *r;
	enum MHD_Result rc;
	unsigned int status = MHD_HTTP_OK;
	size_t n;

	(void)version;
	(void)upload;
	(void)upload_len;
	(void)state;
	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
		r = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
		status = MHD_HTTP_METHOD_NOT_ALLOWED;
	} else if (strcmp(url, "/metrics") != 0) {
		static const char text[] = "gapwatchd: the metrics are on /metrics\n";

		r = MHD_create_response_from_buffer(sizeof(text) - 1, (void *)text,
						    MHD_RESPMEM_PERSISTENT);
		status = MHD_HTTP_NOT_FOUND;
	} else {
		pthread_mutex_lock(&m->lock);
		m->collect(m->ctx, &st, &cc);
		n = metrics_render(&st, m->buf, RENDER_MAX);
		r = MHD_create_response_from_buffer(n, m->buf, MHD_RESPMEM_MUST_COPY);
		pthread_mutex_unlock(&m->lock);
	}
	if (r == NULL)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
				"text/plain; version=0.0.4; charset=utf-8");
	rc = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return rc;
}

int metrics_listen(const char *addr, char *err, size_t errlen)
{
	struct sockaddr_storage sa;
	socklen_t salen;
	char why[160];
	int fd, one = 1;

	if (metrics_parse_addr(addr, &sa, &salen, why, sizeof(why)) < 0) {
		snprintf(err, errlen, "--metrics: %s", why);
		return -1;
	}
	fd = socket(sa.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, (struct sockaddr *)&sa, salen) < 0 || listen(fd, 16) < 0) {
		snprintf(err, errlen, "cannot serve metrics on %s: %s", addr,
			 strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

struct metrics *metrics_serve(int fd, metrics_collect_cb collect, void *ctx,
			      char *err, size_t errlen)
{
	struct metrics *m = calloc(1, sizeof(*m));

	if (m == NULL || (m->buf = malloc(RENDER_MAX)) == NULL) {
		free(m);
		close(fd);
		snprintf(err, errlen, "--metrics: out of memory");
		return NULL;
	}
	m->collect = collect;
	m->ctx = ctx;
	pthread_mutex_init(&m->lock, NULL);
	m->mhd = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL,
				  0, NULL, NULL, answer, m,
				  MHD_OPTION_LISTEN_SOCKET, fd,
				  MHD_OPTION_CONNECTION_TIMEOUT,
				  (unsigned int)CONNECTION_TIMEOUT_S,
				  MHD_OPTION_CONNECTION_LIMIT, 16U,
				  MHD_OPTION_END);
	if (m->mhd == NULL) {
		snprintf(err, errlen, "--metrics: libmicrohttpd did not start "
			 "its thread");
		close(fd);
		pthread_mutex_destroy(&m->lock);
		free(m->buf);
		free(m);
		return NULL;
	}
	return m;
}

void metrics_stop(struct metrics *m)
{
	if (m == NULL)
		return;
	MHD_stop_daemon(m->mhd);
	pthread_mutex_destroy(&m->lock);
	free(m->buf);
	free(m);
}

int metrics_write_textfile(const char *path, const struct report_stats *st)
{
	char tmp[4096], *buf = malloc(RENDER_MAX);
	size_t n;
	FILE *f;
	int e;

	if (buf == NULL) {
		errno = ENOMEM;
		return -1;
	}
	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp)) {
		free(buf);
		errno = ENAMETOOLONG;
		return -1;
	}
	n = metrics_render(st, buf, RENDER_MAX);
	f = fopen(tmp, "we");
	if (f == NULL) {
		e = errno;
		free(buf);
		errno = e;
		return -1;
	}
	if (fwrite(buf, 1, n, f) != n || fclose(f) != 0) {
		e = errno;
		unlink(tmp);
		free(buf);
		errno = e;
		return -1;
	}
	free(buf);
	/* The collector never reads half a file. */
	if (rename(tmp, path) < 0) {
		e = errno;
		unlink(tmp);
		errno = e;
		return -1;
	}
	return 0;
}
