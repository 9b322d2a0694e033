/*
 * main.c - gapwatchd: start-up, one thread per queue, signals, shutdown.
 *
 * Start-up order: options, queues (fail fast, on the terminal), detach,
 * report writer, workers. Signals are blocked in every thread and taken
 * synchronously by the main thread with sigtimedwait(), so no handler
 * ever runs: the main thread sets flags, the workers read them.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "conntrack.h"
#include "correlate.h"
#include "engine.h"
#include "log.h"
#include "pcapstore.h"
#include "probe.h"
#include "queue.h"
#include "replay.h"
#include "report.h"
#include "timefmt.h"

/* The engine's timers are looked at this often: a gap is reported at
 * most one tick plus one wheel slot (16 ms) after its threshold. */
#define TICK_US		(20 * USEC_PER_MSEC)
/* The inspector's loss counters are sampled this often. */
#define SAMPLE_US	(200 * USEC_PER_MSEC)
/* Packets handled per wake-up before timers get their turn. */
#define RECEIVE_BUDGET	4096

struct snapshot {
	uint64_t counters[EC_MAX];
	uint32_t flows;
	uint32_t open_gaps;
	struct queue_stats qs;
	struct inspector_counters loss;
};

struct worker {
	pthread_t thread;
	struct queue *queue;
	struct engine *engine;
	struct report *report;
	const struct config *cfg;
	volatile sig_atomic_t *stop;
	pthread_mutex_t lock;		/* guards snap, shared with main only */
	struct snapshot snap;
};

static volatile sig_atomic_t stop_flag;

static void on_packet(void *ctx, const uint8_t *pkt, size_t caplen,
		      size_t wirelen, uint32_t mark, const struct gw_time *now)
{
	engine_packet_marked(ctx, pkt, caplen, wirelen, mark, now);
}

static void sample_loss(struct worker *w, const struct gw_time *now)
{
	const struct queue_stats *qs = queue_stats(w->queue);
	struct inspector_counters c;

	memset(&c, 0, sizeof(c));
	/* A missing /proc line leaves the kernel's counters at zero; ours
	 * still count. */
	queue_proc_counters(queue_num(w->queue), &c.queue_dropped,
			    &c.user_dropped);
	c.enobufs = qs->enobufs;
	c.truncated = qs->truncated;
	engine_inspector_sample(w->engine, now, &c);

	pthread_mutex_lock(&w->lock);
	memcpy(w->snap.counters, engine_counters(w->engine),
	       sizeof(w->snap.counters));
	w->snap.flows = engine_flow_count(w->engine);
	w->snap.open_gaps = engine_open_gaps(w->engine);
	w->snap.qs = *qs;
	w->snap.loss = c;
	pthread_mutex_unlock(&w->lock);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct gw_time now;
	uint64_t next_tick, next_sample;

	gw_clock_read(&now);
	next_tick = now.mono_us + TICK_US;
	next_sample = now.mono_us;
	while (!*w->stop) {
		/* Blocks at most TICK_US (the socket's receive timeout). */
		queue_receive(w->queue, RECEIVE_BUDGET, 1, on_packet,
			      w->engine);
		gw_clock_read(&now);
		if (now.mono_us >= next_tick) {
			engine_tick(w->engine, &now);
			next_tick = now.mono_us + TICK_US;
		}
		if (now.mono_us >= next_sample) {
			sample_loss(w, &now);
			next_sample = now.mono_us + SAMPLE_US;
		}
	}
	/* Drain what the kernel already queued, then report open gaps. */
	queue_receive(w->queue, UINT_MAX, 0, on_packet, w->engine);
	gw_clock_read(&now);
	sample_loss(w, &now);
	engine_finish(w->engine, &now);
	/* Once more, so that the final stats record counts those gaps. */
	sample_loss(w, &now);
	return NULL;
}

static json_t *conntrack_stats(struct correlator *corr)
{
	struct correlate_counters cc;
	const struct ct_counters *ct = &cc.ct;

	correlator_counters(corr, &cc);
	if (!cc.conntrack)
		return json_null();
	return json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:o,s:b,s:I,s:I}",
		"events", (json_int_t)ct->events,
		"events_ignored", (json_int_t)ct->events_ignored,
		"enobufs", (json_int_t)ct->enobufs,
		"resyncs", (json_int_t)ct->resyncs,
		"queries", (json_int_t)ct->queries,
		"query_errors", (json_int_t)ct->query_errors,
		"tracked", (json_int_t)ct->tracked,
		"evicted", (json_int_t)ct->evicted,
		"count", (json_int_t)ct->count,
		"max", (json_int_t)ct->max,
		"fill", ct->max ? json_real((double)ct->count / ct->max) : json_null(),
		"kernel_filter", ct->kernel_filter,
		"correlate_queue_full", (json_int_t)cc.queue_full,
		"open_lookups_lost", (json_int_t)ct->open_lookups_lost);
}

static json_t *pcap_stats(struct correlator *corr)
{
	struct correlate_counters cc;

	correlator_counters(corr, &cc);
	return json_pack("{s:I,s:I,s:I,s:I,s:I}",
		"written", (json_int_t)cc.pcap.written,
		"write_errors", (json_int_t)cc.pcap.write_errors,
		"removed", (json_int_t)cc.pcap.removed,
		"bytes", (json_int_t)cc.pcap.bytes,
		"dropped", (json_int_t)cc.evidence_dropped);
}

static json_t *probe_stats(struct correlator *corr)
{
	struct correlate_counters cc;
	json_t *o;

	correlator_counters(corr, &cc);
	if (!cc.probing)
		return json_null();
	o = probe_counters_json(&cc.probe);
	json_object_set_new(o, "results_evicted",
			    json_integer((json_int_t)cc.probe_results_evicted));
	return o;
}

static json_t *stats_record(struct worker *ws, unsigned int n,
			    struct report *report, struct correlator *corr,
			    const struct gw_time *now, uint64_t started_us)
{
	struct snapshot sum;
	unsigned int k, c;
	char when[40];
	json_t *o, *parse;

	memset(&sum, 0, sizeof(sum));
	for (k = 0; k < n; k++) {
		pthread_mutex_lock(&ws[k].lock);
		for (c = 0; c < EC_MAX; c++)
			sum.counters[c] += ws[k].snap.counters[c];
		sum.flows += ws[k].snap.flows;
		sum.open_gaps += ws[k].snap.open_gaps;
		sum.qs.received += ws[k].snap.qs.received;
		sum.qs.verdict_batches += ws[k].snap.qs.verdict_batches;
		sum.qs.verdict_errors += ws[k].snap.qs.verdict_errors;
		sum.qs.enobufs += ws[k].snap.qs.enobufs;
		sum.qs.truncated += ws[k].snap.qs.truncated;
		sum.qs.recv_errors += ws[k].snap.qs.recv_errors;
		sum.qs.bad_messages += ws[k].snap.qs.bad_messages;
		sum.loss.queue_dropped += ws[k].snap.loss.queue_dropped;
		sum.loss.user_dropped += ws[k].snap.loss.user_dropped;
		pthread_mutex_unlock(&ws[k].lock);
	}
	parse = json_object();
	for (c = EC_PARSE_TRUNCATED; c <= EC_PARSE_EXT_LIMIT; c++)
		json_object_set_new(parse, engine_counter_name(c) + 6,
				    json_integer((json_int_t)sum.counters[c]));
	o = json_pack("{s:s,s:s,s:I,s:i}",
		"type", "stats",
		"time", timefmt_rfc3339((int64_t)now->wall_us, 1, when, sizeof(when)),
		"uptime_s", (json_int_t)((now->mono_us - started_us) / USEC_PER_SEC),
		"queues", (int)n);
	for (c = 0; c < EC_MAX; c++) {
		if (c >= EC_PARSE_TRUNCATED && c <= EC_PARSE_EXT_LIMIT)
			continue;
		json_object_set_new(o, engine_counter_name(c),
				    json_integer((json_int_t)sum.counters[c]));
	}
	json_object_set_new(o, "parse_errors", parse);
	json_object_set_new(o, "flows", json_integer(sum.flows));
	json_object_set_new(o, "gaps_open", json_integer(sum.open_gaps));
	json_object_set_new(o, "queue_received", json_integer((json_int_t)sum.qs.received));
	json_object_set_new(o, "verdict_batches", json_integer((json_int_t)sum.qs.verdict_batches));
	json_object_set_new(o, "verdict_errors", json_integer((json_int_t)sum.qs.verdict_errors));
	json_object_set_new(o, "enobufs", json_integer((json_int_t)sum.qs.enobufs));
	json_object_set_new(o, "truncated", json_integer((json_int_t)sum.qs.truncated));
	json_object_set_new(o, "recv_errors", json_integer((json_int_t)sum.qs.recv_errors));
	json_object_set_new(o, "bad_messages", json_integer((json_int_t)sum.qs.bad_messages));
	json_object_set_new(o, "queue_dropped", json_integer((json_int_t)sum.loss.queue_dropped));
	json_object_set_new(o, "user_dropped", json_integer((json_int_t)sum.loss.user_dropped));
	json_object_set_new(o, "report_dropped", json_integer((json_int_t)report_dropped(report)));
	json_object_set_new(o, "report_write_errors",
			    json_integer((json_int_t)report_write_errors(report)));
	json_object_set_new(o, "conntrack", conntrack_stats(corr));
	json_object_set_new(o, "pcap", pcap_stats(corr));
	json_object_set_new(o, "probe", probe_stats(corr));
	log_info("stats: packets %llu, flows %u, gaps %u open/%llu closed, "
		 "verdict errors %llu, enobufs %llu, parse errors %llu, "
		 "queue_dropped %llu, user_dropped %llu",
		 (unsigned long long)sum.counters[EC_PACKETS], sum.flows,
		 sum.open_gaps, (unsigned long long)sum.counters[EC_GAPS_CLOSED],
		 (unsigned long long)sum.qs.verdict_errors,
		 (unsigned long long)sum.qs.enobufs,
		 (unsigned long long)(sum.counters[EC_PARSE_TRUNCATED] +
				      sum.counters[EC_PARSE_MALFORMED]),
		 (unsigned long long)sum.loss.queue_dropped,
		 (unsigned long long)sum.loss.user_dropped);
	return o;
}

static void engine_config_from(const struct config *cfg, uint16_t queue,
			       int evidence, struct engine_config *ec)
{
	memset(ec, 0, sizeof(*ec));
	ec->ports = &cfg->ports;
	ec->queue = queue;
	ec->max_flows = cfg->max_flows;
	ec->gap_min_us = cfg->gap_min_ms * USEC_PER_MSEC;
	ec->gap_factor = cfg->gap_factor;
	ec->flow_timeout_us = cfg->flow_timeout_s * USEC_PER_SEC;
	ec->closed_linger_us = ENGINE_CLOSED_LINGER_S * USEC_PER_SEC;
	ec->reconnect_window_us = cfg->reconnect_window_s * USEC_PER_SEC;
	ec->seed = (uint32_t)getpid() ^ (uint32_t)time(NULL) ^ queue;
	ec->invalid_mark = cfg->invalid_mark;
	ec->untracked_mark = cfg->untracked_mark;
	/* The rings cost memory per flow: only when pcaps are written. */
	ec->evidence_packets = evidence ? cfg->pcap_packets : 0;
	ec->evidence_cb = correlator_evidence;
}

/* The report directory may not exist on a fresh install. */
static void make_parent_dir(const char *path)
{
	char dir[PATH_MAX], *slash;

	if (snprintf(dir, sizeof(dir), "%s", path) >= (int)sizeof(dir))
		return;
	slash = strrchr(dir, '/');
	if (slash == NULL || slash == dir)
		return;
	*slash = '\0';
	if (mkdir(dir, 0750) < 0 && errno != EEXIST)
		log_warn("cannot create %s", dir);
}

/*
 * The pcap directory: as given, or live, "pcap" beside the report file
 * (/var/log/gapwatch/pcap by default). None with --no-pcap, with the
 * report on stdout, or in a replay that was not given one.
 */
static struct pcapstore *open_store(const struct config *cfg,
				    const char *output, int live,
				    const char *run_id)
{
	const char *dir = cfg->pcap_dir, *slash;
	char buf[PATH_MAX], err[512];
	struct pcapstore *store;

	if (cfg->no_pcap || cfg->pcap_packets == 0)
		return NULL;
	if (dir == NULL) {
		if (!live || strcmp(output, "-") == 0)
			return NULL;
		slash = strrchr(output, '/');
		snprintf(buf, sizeof(buf), "%.*s/pcap",
			 slash ? (int)(slash - output) : 1,
			 slash ? output : ".");
		dir = buf;
	}
	make_parent_dir(dir);
	store = pcapstore_open(dir, run_id, (uint64_t)cfg->pcap_max_mb << 20,
			       err, sizeof(err));
	if (store == NULL)
		fatalx(EXIT_RUNTIME, "%s", err);
	return store;
}

static int run_replay(const struct config *cfg, const char *run_id)
{
	struct engine_config ec;
	struct replay_stats st;
	struct rusage ru;
	struct report *report;
	struct correlator *corr;
	struct pcapstore *store;
	struct engine *e;
	struct gw_time start = { 0, 0 };
	char err[512];
	int rc;

	report = report_open(cfg->output, run_id, err, sizeof(err));
	if (report == NULL)
		fatalx(EXIT_RUNTIME, "%s", err);
	/* No conntrack in a capture: clusters and causes only. */
	store = open_store(cfg, cfg->output, 0, run_id);
	corr = correlator_new(NULL, store, NULL, report, 0, err, sizeof(err));
	if (corr == NULL)
		fatalx(EXIT_RUNTIME, "%s", err);
	engine_config_from(cfg, 0, store != NULL, &ec);
	e = engine_new(&ec, correlator_submit, corr, &start);
	if (e == NULL)
		fatal(EXIT_RUNTIME, "cannot create the engine for %u flows",
		      cfg->max_flows);
	rc = replay_run(cfg->read_file, e, &st, err, sizeof(err));
	if (rc < 0)
		log_warnx("%s", err);
	start.mono_us = start.wall_us = st.last_us;
	engine_finish(e, &start);
	getrusage(RUSAGE_SELF, &ru);
	log_info("replay: %llu packets (%llu not IP), %llu flows, %llu gaps, "
		 "%llu parse errors, max RSS %ld KiB",
		 (unsigned long long)st.packets, (unsigned long long)st.not_ip,
		 (unsigned long long)engine_counters(e)[EC_FLOWS_CREATED],
		 (unsigned long long)engine_counters(e)[EC_GAPS_CLOSED],
		 (unsigned long long)(engine_counters(e)[EC_PARSE_TRUNCATED] +
				      engine_counters(e)[EC_PARSE_MALFORMED]),
		 ru.ru_maxrss);
	engine_free(e);
	correlator_free(corr);
	report_close(report);
	return rc < 0 ? EXIT_RUNTIME : EXIT_OK;
}

/*
 * Take the pid file: open it and hold a lock on it for our whole life, so
 * that a second gapwatchd with the same pid file stops at once, on the
 * terminal, before it binds anything. Returns the descriptor, or -1.
 */
static int lock_pidfile(const char *path)
{
	char old[32];
	ssize_t n;
	int fd;

	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0) {
		log_warn("cannot open pid file %s", path);
		return -1;
	}
	/* flock, not fcntl: the lock belongs to the open file and so
	 * survives daemon()'s fork; fcntl locks stay with the parent. */
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		n = pread(fd, old, sizeof(old) - 1, 0);
		old[n > 0 ? n : 0] = '\0';
		old[strcspn(old, "\n")] = '\0';
		log_warnx("already running as pid %s (pid file %s is locked)",
			  old[0] ? old : "?", path);
		close(fd);
		return -1;
	}
	return fd;
}

/* After daemon(): the pid is final now. The lock stays with the fd. */
static int write_pidfile(int fd, const char *path)
{
	char buf[32];
	int n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());

	if (ftruncate(fd, 0) < 0 || pwrite(fd, buf, (size_t)n, 0) != n) {
		log_warn("cannot write pid file %s", path);
		return -1;
	}
	return 0;
}

/* daemon() changes to "/": a relative path must be made absolute first. */
static const char *absolute(const char *path, char *buf, size_t len)
{
	char cwd[PATH_MAX];

	if (path == NULL || path[0] == '/' || strcmp(path, "-") == 0)
		return path;
	if (getcwd(cwd, sizeof(cwd)) == NULL ||
	    snprintf(buf, len, "%s/%s", cwd, path) >= (int)len)
		fatal(EXIT_RUNTIME, "cannot make %s an absolute path", path);
	return buf;
}


static int run_live(const struct config *cfg, const char *run_id)
{
	struct queue_params qp = {
		.copy_range = cfg->copy_range,
		.maxlen = cfg->queue_maxlen,
		.rcvbuf = cfg->rcvbuf,
		.wait_ms = TICK_US / USEC_PER_MSEC,
	};
	struct worker *ws;
	struct report *report;
	struct correlator *corr;
	struct pcapstore *store;
	struct ct *ct = NULL;
	struct prober *prober = NULL;
	struct engine_config ec;
	struct gw_time now, started;
	struct timespec wait = { 1, 0 };
	sigset_t sigs;
	uint64_t next_stats;
	const char *pidfile = cfg->pidfile, *output;
	char output_buf[PATH_MAX], pidfile_buf[PATH_MAX];
	int pidfd = -1;
	char err[512];
	unsigned int k, n = cfg->queue_count;
	int sig, rc;

	output = absolute(cfg->output, output_buf, sizeof(output_buf));
	if (!cfg->foreground && pidfile == NULL)
		pidfile = "/run/gapwatchd.pid";
	pidfile = absolute(pidfile, pidfile_buf, sizeof(pidfile_buf));
	if (pidfile && (pidfd = lock_pidfile(pidfile)) < 0)
		exit(EXIT_RUNTIME);
	ws = calloc(n, sizeof(*ws));
	if (ws == NULL)
		fatal(EXIT_RUNTIME, "cannot allocate %u workers", n);
	for (k = 0; k < n; k++) {
		ws[k].queue = queue_open((uint16_t)(cfg->queue_first + k), &qp,
					 err, sizeof(err));
		if (ws[k].queue == NULL)
			fatalx(EXIT_RUNTIME, "%s", err);
	}
	if (!cfg->no_conntrack) {
		struct ct_config cc = {
			.ports = &cfg->ports,
			.connmark = cfg->connmark,
			.max_tracked = cfg->max_flows,
		};

		/* Without ctnetlink the packets still tell most of the
		 * story: say so and go on. */
		ct = ct_open(&cc, err, sizeof(err));
		if (ct == NULL)
			log_warnx("%s: gaps will carry no conntrack facts", err);
	}
	if (cfg->probe) {
		struct probe_config pc = {
			.ports = &cfg->ports,
			.mark = cfg->probe_mark,
			.max_ttl = cfg->probe_max_ttl,
			.pace_ms = cfg->probe_pace_ms,
			.rate = cfg->probe_rate,
			.max_ladders = cfg->probe_max_ladders,
			.ladder_interval_ms = cfg->probe_ladder_interval_ms,
			.client_interval_s = cfg->probe_client_interval_s,
			.timeout_ms = cfg->probe_timeout_ms,
			.udp_payload = cfg->probe_udp_payload,
		};

		/* Asked for and impossible: say so on the terminal. */
		prober = probe_open(&pc, err, sizeof(err));
		if (prober == NULL)
			fatalx(EXIT_RUNTIME, "--probe: %s", err);
		if (cfg->probe_mark == 0)
			log_warnx("--probe-mark 0: the rules may queue the probes");
	}
	if (strcmp(output, "-") != 0) {
		FILE *f;

		make_parent_dir(output);
		f = fopen(output, "a");
		if (f == NULL)
			fatal(EXIT_RUNTIME, "cannot open report file %s",
			      output);
		fclose(f);
	}
	store = open_store(cfg, output, 1, run_id);
	if (!cfg->foreground) {
		if (daemon(0, 0) < 0)
			fatal(EXIT_RUNTIME, "cannot detach");
		log_init("gapwatchd", 1);
	}
	if (pidfile && write_pidfile(pidfd, pidfile) < 0)
		exit(EXIT_RUNTIME);

	/* Block before any thread exists so that every thread inherits
	 * the mask and only sigtimedwait() below sees these signals. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);

	report = report_open(output, run_id, err, sizeof(err));
	if (report == NULL)
		fatalx(EXIT_RUNTIME, "%s", err);
	corr = correlator_new(ct, store, prober, report, 1, err, sizeof(err));
	if (corr == NULL)
		fatalx(EXIT_RUNTIME, "%s", err);
	gw_clock_read(&started);
	for (k = 0; k < n; k++) {
		engine_config_from(cfg, queue_num(ws[k].queue), store != NULL,
				   &ec);
		ws[k].engine = engine_new(&ec, correlator_submit, corr, &started);
		if (ws[k].engine == NULL)
			fatal(EXIT_RUNTIME, "cannot create the engine for %u flows",
			      cfg->max_flows);
		ws[k].report = report;
		ws[k].cfg = cfg;
		ws[k].stop = &stop_flag;
		pthread_mutex_init(&ws[k].lock, NULL);
		rc = pthread_create(&ws[k].thread, NULL, worker_main, &ws[k]);
		if (rc != 0)
			fatalx(EXIT_RUNTIME, "cannot start the thread of queue %u: %s",
			       queue_num(ws[k].queue), strerror(rc));
	}
	if (n > 1)
		log_info("watching queues %u-%u, %u server ports, report %s",
			 cfg->queue_first, cfg->queue_first + n - 1,
			 cfg->ports.count, output);
	else
		log_info("watching queue %u, %u server ports, report %s",
			 cfg->queue_first, cfg->ports.count, output);

	next_stats = started.mono_us + cfg->stats_interval_s * USEC_PER_SEC;
	while (!stop_flag) {
		sig = sigtimedwait(&sigs, NULL, &wait);
		if (sig == SIGTERM || sig == SIGINT) {
			stop_flag = 1;
		} else if (sig == SIGHUP) {
			log_info("SIGHUP: reopening %s", output);
			report_reopen(report);
		}
		gw_clock_read(&now);
		if (cfg->stats_interval_s && now.mono_us >= next_stats) {
			report_json(report, stats_record(ws, n, report, corr,
							 &now, started.mono_us));
			next_stats = now.mono_us + cfg->stats_interval_s * USEC_PER_SEC;
		}
	}

	for (k = 0; k < n; k++)
		pthread_join(ws[k].thread, NULL);
	/* The engines' last records first, then the last stats. */
	correlator_stop(corr);
	gw_clock_read(&now);
	report_json(report, stats_record(ws, n, report, corr, &now,
					 started.mono_us));
	for (k = 0; k < n; k++) {
		queue_close(ws[k].queue);
		engine_free(ws[k].engine);
		pthread_mutex_destroy(&ws[k].lock);
	}
	correlator_free(corr);
	report_close(report);
	free(ws);
	if (pidfile) {
		unlink(pidfile);
		close(pidfd);
	}
	log_info("stopped");
	return EXIT_OK;
}

int main(int argc, char **argv)
{
	struct config cfg;
	struct gw_time now;
	char run_id[32];
	int rc;

	rc = config_load(&cfg, argc, argv);
	if (rc > 0)
		return EXIT_OK;
	if (rc < 0)
		return EXIT_USAGE;
	if (cfg.check_only) {
		printf("gapwatchd: configuration OK\n");
		return EXIT_OK;
	}
	/* stderr until detached: start-up errors belong on the terminal. */
	log_init("gapwatchd", cfg.use_syslog);
	log_set_verbose(cfg.verbose);
	/* Gap ids stay unique across restarts: the run id is the start
	 * time, in seconds, in hex. */
	gw_clock_read(&now);
	snprintf(run_id, sizeof(run_id), "%llx",
		 (unsigned long long)(now.wall_us / USEC_PER_SEC));
	if (cfg.read_file)
		return run_replay(&cfg, run_id);
	return run_live(&cfg, run_id);
}
