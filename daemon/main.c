/*
 * main.c - gapwatchd: start-up, one thread per queue, signals, shutdown.
 *
 * Start-up (setup_live, in one place): options; pid file, queues,
 * conntrack, prober with every privilege; then the switch to the run's
 * user and capabilities; report file and pcap directory as that user
 * (fail fast, on the terminal); detach; the seccomp allow-list; report
 * writer, correlator, workers. Signals are
 * blocked in every thread and taken synchronously by the main thread
 * with sigtimedwait(), so no handler ever runs: the main thread sets
 * flags, the workers read them.
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
#include "dropwatch.h"
#include "hoststat.h"
#include "engine.h"
#include "acct.h"
#include "log.h"
#include "metrics.h"
#include "pcapstore.h"
#include "privdrop.h"
#include "probe.h"
#include "queue.h"
#include "replay.h"
#include "report.h"

/* The inspector's loss counters are sampled this often: a blind
 * interval is known to 100 ms, and a reading (a netlink round trip and
 * a /proc file) ten times a second costs nothing measurable. */
#define SAMPLE_US	(100 * USEC_PER_MSEC)
/* Packets handled per wake-up before timers get their turn. */
#define RECEIVE_BUDGET	4096
/* The main thread waits for a signal this long, then looks at the
 * stats clock: the stats record's resolution. */
#define SIGNAL_WAIT_S	1
/* --metrics-textfile is rewritten this often (node_exporter reads it at
 * every scrape). */
#define TEXTFILE_US	(5 * USEC_PER_SEC)

struct snapshot {
	uint64_t counters[EC_MAX];
	uint32_t flows;
	uint32_t open_gaps;
	struct queue_stats qs;
	struct inspector_counters loss;
	uint64_t stall_max_us;
	uint64_t acct_errors;
	int acct;			/* 1: the rules' counters are read */
};

struct worker {
	pthread_t thread;
	struct queue *queue;
	struct engine *engine;
	volatile sig_atomic_t *stop;
	pthread_mutex_t lock;		/* guards snap, shared with main only */
	struct snapshot snap;
	/* the worker's own: */
	struct acct *acct;		/* NULL: the rules' counters are off */
	unsigned int drain;		/* the queue's length: a full drain */
	uint64_t counted0, received0;	/* both at the first reading */
	uint64_t unseen0;		/* unseen then */
	uint64_t excess_prev;		/* counted - received, last reading */
	int counted_known;
	int counted_once;		/* the start was logged */
	uint64_t unseen;
	uint64_t acct_errors;		/* readings that failed */
	uint64_t stalls;
	uint64_t stalled_us;
	uint64_t stall_max_us;
};

static volatile sig_atomic_t stop_flag;

static void on_packet(void *ctx, const uint8_t *pkt, size_t caplen,
		      size_t wirelen, uint32_t mark, const struct gw_time *now)
{
	engine_packet_marked(ctx, pkt, caplen, wirelen, mark, now);
}

/*
 * What the rules sent towards the queue and we never received. The
 * counter first, then a drain: every packet it counted is then either
 * received or passed unseen, but for two races. One that came after the
 * reading and was drained is received but not yet counted: the excess is
 * low until the next reading, never high. One counted just before the
 * reading may still be on its way to our socket when the drain ends: an
 * excess that this reading shows and the next does not. So only what two
 * readings in a row show is unseen, and the count never goes back.
 */
static unsigned int count_unseen(struct worker *w)
{
	const struct queue_stats *qs = queue_stats(w->queue);
	uint64_t counted, got, sum, excess, firm, before = qs->received;
	unsigned int n;

	if (w->acct == NULL)
		return 0;
	if (acct_packets(w->acct, &counted) < 0) {
		/* Not there (yet, or removed): a new object counts from 0,
		 * so the next reading is a new start. */
		if (errno != ENOENT)
			w->acct_errors++;
		w->counted_known = 0;
		return 0;
	}
	n = queue_receive(w->queue, w->drain, 0, on_packet, w->engine);
	if (!w->counted_known) {
		if (!w->counted_once++)
			log_info("queue %u: the rules' counters are read: what "
				 "passes the queue unseen is counted",
				 queue_num(w->queue));
		/* What it counted before this reading was never ours. What
		 * the drain received is taken as counted after it: low by
		 * what the queue held then, never high (a false blindness
		 * at start-up). */
		w->counted0 = counted;
		w->received0 = before;
		w->unseen0 = w->unseen;
		w->excess_prev = 0;
		w->counted_known = 1;
		return n;
	}
	got = qs->received - w->received0;
	sum = counted - w->counted0;
	excess = sum > got ? sum - got : 0;
	firm = excess < w->excess_prev ? excess : w->excess_prev;
	w->excess_prev = excess;
	if (w->unseen0 + firm > w->unseen)
		w->unseen = w->unseen0 + firm;
	return n;
}

/* The worker's counters, for the main thread's stats record. */
static void publish(struct worker *w, const struct inspector_counters *c)
{
	pthread_mutex_lock(&w->lock);
	memcpy(w->snap.counters, engine_counters(w->engine),
	       sizeof(w->snap.counters));
	w->snap.flows = engine_flow_count(w->engine);
	w->snap.open_gaps = engine_open_gaps(w->engine);
	w->snap.qs = *queue_stats(w->queue);
	w->snap.loss = *c;
	w->snap.stall_max_us = w->stall_max_us;
	w->snap.acct_errors = w->acct_errors;
	w->snap.acct = w->counted_known;
	pthread_mutex_unlock(&w->lock);
}

/* Sample the loss counters into the engine and publish them; now is read
 * again when the drain handed the engine packets of a later time. */
static void sample_loss(struct worker *w, struct gw_time *now,
			struct inspector_counters *c)
{
	const struct queue_stats *qs = queue_stats(w->queue);

	if (count_unseen(w))
		gw_clock_read(now);

	memset(c, 0, sizeof(*c));
	/* A missing /proc line leaves the kernel's counters at zero; ours
	 * still count. */
	queue_loss_counters(w->queue, &c->queue_dropped, &c->user_dropped);
	c->enobufs = qs->enobufs;
	c->truncated = qs->truncated;
	c->unseen = w->unseen;
	c->id_holes = queue_id_holes(w->queue);
	c->stalls = w->stalls;
	c->stalled_us = w->stalled_us;
	engine_inspector_sample(w->engine, now, c);
	publish(w, c);
}

/*
 * The loop comes round at least every ENGINE_TICK_US (the receive's wait)
 * plus one budget of packets: a longer turn means that we were not
 * scheduled (stopped, starved, swapped), and while we were not the queue
 * filled and fail-open passed packets unseen. Count it and sample at once,
 * before the timers that fire now see the silence.
 */
static void check_stall(struct worker *w, uint64_t last_us,
			struct gw_time *now, struct inspector_counters *c)
{
	uint64_t turn = now->mono_us - last_us;

	if (turn < INSPECTOR_STALL_US)
		return;
	w->stalls++;
	w->stalled_us += turn;
	if (turn > w->stall_max_us)
		w->stall_max_us = turn;
	log_warnx("queue %u: the verdict loop was not scheduled for %.1f s",
		  queue_num(w->queue), (double)turn / USEC_PER_SEC);
	sample_loss(w, now, c);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct inspector_counters c;
	struct gw_time now;
	uint64_t next_tick, next_sample, last;

	gw_clock_read(&now);
	next_tick = now.mono_us + ENGINE_TICK_US;
	next_sample = now.mono_us;
	while (!*w->stop) {
		last = now.mono_us;
		/* Blocks at most ENGINE_TICK_US (the queue's wait_ms). */
		queue_receive(w->queue, RECEIVE_BUDGET, 1, on_packet,
			      w->engine);
		gw_clock_read(&now);
		check_stall(w, last, &now, &c);
		if (now.mono_us >= next_tick) {
			engine_tick(w->engine, &now);
			next_tick = now.mono_us + ENGINE_TICK_US;
		}
		if (now.mono_us >= next_sample) {
			sample_loss(w, &now, &c);
			next_sample = now.mono_us + SAMPLE_US;
		}
	}
	/* Drain what the kernel already queued, then report open gaps. The
	 * last reading of the unseen is confirmed by one more right now
	 * (count_unseen trusts what two readings show). */
	queue_receive(w->queue, UINT_MAX, 0, on_packet, w->engine);
	count_unseen(w);
	gw_clock_read(&now);
	sample_loss(w, &now, &c);
	/* It ends the open blind interval too. */
	engine_finish(w->engine, &now);
	/* Once more, so that the final stats record counts those gaps. */
	publish(w, &c);
	return NULL;
}

/* The workers' last snapshots, summed, into st (corr: set by caller). */
static void sum_snapshots(struct worker *ws, unsigned int n,
			  struct report_stats *st)
{
	const struct snapshot *w;
	unsigned int k, c;

	for (k = 0; k < n; k++) {
		pthread_mutex_lock(&ws[k].lock);
		w = &ws[k].snap;
		for (c = 0; c < EC_MAX; c++)
			st->engine[c] += w->counters[c];
		st->flows += w->flows;
		st->gaps_open += w->open_gaps;
		st->queue.received += w->qs.received;
		st->queue.verdict_batches += w->qs.verdict_batches;
		st->queue.verdict_errors += w->qs.verdict_errors;
		st->queue.enobufs += w->qs.enobufs;
		st->queue.truncated += w->qs.truncated;
		st->queue.recv_errors += w->qs.recv_errors;
		st->queue.bad_messages += w->qs.bad_messages;
		st->queue_dropped += w->loss.queue_dropped;
		st->user_dropped += w->loss.user_dropped;
		st->blind.unseen += w->loss.unseen;
		st->blind.id_holes += w->loss.id_holes;
		st->blind.stalls += w->loss.stalls;
		if (w->stall_max_us > st->stall_max_us)
			st->stall_max_us = w->stall_max_us;
		st->acct_errors += w->acct_errors;
		/* On when every queue has its counters. */
		st->signals.unseen = (k == 0 || st->signals.unseen) && w->acct;
		pthread_mutex_unlock(&ws[k].lock);
	}
}

static void log_stats(const struct report_stats *st)
{
	log_info("stats: packets %llu, flows %u, gaps %u open/%llu closed, "
		 "verdict errors %llu, enobufs %llu, parse errors %llu, "
		 "queue_dropped %llu, user_dropped %llu",
		 (unsigned long long)st->engine[EC_PACKETS], st->flows,
		 st->gaps_open, (unsigned long long)st->engine[EC_GAPS_CLOSED],
		 (unsigned long long)st->queue.verdict_errors,
		 (unsigned long long)st->queue.enobufs,
		 (unsigned long long)engine_parse_errors(st->engine),
		 (unsigned long long)st->queue_dropped,
		 (unsigned long long)st->user_dropped);
}

/* The daemon's numbers now: the workers' snapshots summed, and the
 * correlator's counters (into *cc, which st->corr points at). */
static void gather_stats(struct worker *ws, unsigned int n,
			 struct correlator *corr, const struct gw_time *now,
			 uint64_t started_us, struct report_stats *st,
			 struct correlate_counters *cc)
{
	memset(st, 0, sizeof(*st));
	st->wall_us = now->wall_us;
	st->uptime_s = (now->mono_us - started_us) / USEC_PER_SEC;
	st->queues = n;
	st->signals.id_holes = 1;
	st->signals.stalls = 1;
	sum_snapshots(ws, n, st);
	correlator_counters(corr, cc);
	st->corr = cc;
}

/* Gather, log and report one stats record. */
static void write_stats(struct worker *ws, unsigned int n,
			struct report *report, struct correlator *corr,
			const struct gw_time *now, uint64_t started_us)
{
	struct correlate_counters cc;
	struct report_stats st;

	gather_stats(ws, n, corr, now, started_us, &st, &cc);
	log_stats(&st);
	report_stats(report, &st);
}

/* The engine of one source: the options, and what is per source. */
static void engine_config_for(const struct config *cfg, uint16_t queue,
			      int evidence, struct engine_config *ec)
{
	*ec = cfg->engine;
	ec->queue = queue;
	ec->seed = (uint32_t)getpid() ^ (uint32_t)time(NULL) ^ queue;
	/* The rings cost memory per flow: only when pcaps are written. */
	if (!evidence)
		ec->evidence_packets = 0;
	ec->evidence_cb = correlator_evidence;
	ec->blind_cb = correlator_blind;
	ec->exposure_cb = correlator_exposure;
}

/*
 * Create dir if it is missing (the report or pid directory on a fresh
 * install), owned by uid:gid when they are not -1: the user that will
 * write there after the drop.
 */
static void make_dir(const char *dir, uid_t uid, gid_t gid)
{
	if (mkdir(dir, 0750) < 0) {
		if (errno != EEXIST)
			log_warn("cannot create %s", dir);
		return;
	}
	if ((uid != (uid_t)-1 || gid != (gid_t)-1) && chown(dir, uid, gid) < 0)
		log_warn("cannot give %s to uid %u", dir, (unsigned int)uid);
}

/* The directory path is in, if it has one. */
static void make_parent_dir(const char *path, uid_t uid, gid_t gid)
{
	char dir[PATH_MAX], *slash;

	if (snprintf(dir, sizeof(dir), "%s", path) >= (int)sizeof(dir))
		return;
	slash = strrchr(dir, '/');
	if (slash == NULL || slash == dir)
		return;
	*slash = '\0';
	make_dir(dir, uid, gid);
}

/*
 * The pcap directory: as given, or live, "pcap" beside the report file
 * (/var/log/gapwatch/pcap by default). NULL (none) with --no-pcap, with
 * the report on stdout, or in a replay that was not given one. buf holds
 * the path if it is made here.
 */
static const char *store_dir(const struct config *cfg, const char *output,
			     int live, char *buf, size_t len)
{
	const char *slash;

	if (cfg->no_pcap || cfg->engine.evidence_packets == 0)
		return NULL;
	if (cfg->pcap_dir != NULL)
		return cfg->pcap_dir;
	if (!live || strcmp(output, "-") == 0)
		return NULL;
	slash = strrchr(output, '/');
	snprintf(buf, len, "%.*s/pcap", slash ? (int)(slash - output) : 1,
		 slash ? output : ".");
	return buf;
}

static struct pcapstore *open_store(const struct config *cfg,
				    const char *output, int live,
				    const char *run_id)
{
	char buf[PATH_MAX], err[512];
	const char *dir = store_dir(cfg, output, live, buf, sizeof(buf));
	struct pcapstore *store;

	if (dir == NULL)
		return NULL;
	make_parent_dir(dir, (uid_t)-1, (gid_t)-1);
	store = pcapstore_open(dir, run_id, (uint64_t)cfg->pcap_max_mb << 20,
			       err, sizeof(err));
	if (store == NULL)
		fatalx(EXIT_RUNTIME, "%s", err);
	return store;
}

/*
 * The stats record at the end of a replay: the engine's counters, and what
 * the capture held; its time is the capture's last, its uptime the span.
 */
static void replay_report_stats(const struct config *cfg,
				const struct engine *e,
				struct correlator *corr, struct report *report,
				const struct replay_stats *rs)
{
	struct correlate_counters cc;
	struct report_stats st;

	memset(&st, 0, sizeof(st));
	st.wall_us = rs->last_us;
	st.uptime_s = (rs->last_us - rs->first_us) / USEC_PER_SEC;
	memcpy(st.engine, engine_counters(e), sizeof(st.engine));
	st.flows = engine_flow_count(e);
	st.gaps_open = engine_open_gaps(e);
	correlator_counters(corr, &cc);
	st.corr = &cc;
	st.replay = rs;
	report_stats(report, &st);
	/* The capture's metrics, as a live daemon's at its end. */
	st.report_dropped = report_dropped(report);
	if (cfg->metrics_textfile &&
	    metrics_write_textfile(cfg->metrics_textfile, &st) < 0)
		log_warn("--metrics-textfile: cannot write %s",
			 cfg->metrics_textfile);
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
	struct gw_time start = { 0, 0, 0 };
	struct correlate_parts parts = { 0 };
	char err[512];
	int rc;

	report = report_open(cfg->output, run_id, err, sizeof(err));
	if (report == NULL)
		fatalx(EXIT_RUNTIME, "%s", err);
	if (cfg->host_name)
		report_set_host(report, cfg->host_name);
	/* No conntrack in a capture: clusters and causes only. */
	store = open_store(cfg, cfg->output, 0, run_id);
	parts.store = store;
	corr = correlator_new(&parts, report, 0, err, sizeof(err));
	if (corr == NULL)
		fatalx(EXIT_RUNTIME, "%s", err);
	engine_config_for(cfg, 0, store != NULL, &ec);
	e = engine_new(&ec, correlator_submit, corr, &start);
	if (e == NULL)
		fatal(EXIT_RUNTIME, "cannot create the engine for %u flows",
		      ec.max_flows);
	rc = replay_run(cfg->read_file, e, &st, err, sizeof(err));
	if (rc < 0)
		log_warnx("%s", err);
	start.mono_us = start.wall_us = st.last_us;
	engine_finish(e, &start);
	replay_report_stats(cfg, e, corr, report, &st);
	getrusage(RUSAGE_SELF, &ru);
	log_info("replay: %llu packets (%llu not IP, %llu with too many VLAN "
		 "tags), %llu flows, %llu gaps, %llu parse errors, time stamps "
		 "%llu back and %llu invalid, max RSS %ld KiB",
		 (unsigned long long)st.packets, (unsigned long long)st.not_ip,
		 (unsigned long long)st.vlan_limit,
		 (unsigned long long)engine_counters(e)[EC_FLOWS_CREATED],
		 (unsigned long long)engine_counters(e)[EC_GAPS_CLOSED],
		 (unsigned long long)engine_parse_errors(engine_counters(e)),
		 (unsigned long long)st.time_backwards,
		 (unsigned long long)st.time_invalid, ru.ru_maxrss);
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


/* The live daemon's parts, from set-up to shutdown. */
struct daemon {
	const struct config *cfg;
	const char *output;		/* absolute, or "-" */
	const char *pidfile;		/* absolute, or NULL: none */
	int pidfd;
	unsigned int n;			/* queues, one worker each */
	struct worker *ws;
	struct ct *ct;			/* NULL: no conntrack facts */
	struct prober *prober;		/* NULL: --probe is off */
	struct dropwatch *drops;	/* NULL: the drop watcher is off */
	struct hoststat *host;		/* NULL: the server's counters unread */
	char drops_off[192];		/* then why */
	struct pcapstore *store;		/* NULL: no pcap files */
	struct report *report;
	struct correlator *corr;
	int metrics_fd;			/* --metrics: listening; -1: none */
	struct metrics *metrics;	/* serving /metrics; NULL: none */
	struct priv priv;		/* who runs after set-up */
	sigset_t sigs;			/* taken by sigtimedwait() only */
	struct gw_time started;
	char output_buf[PATH_MAX];
	char pidfile_buf[PATH_MAX];
};

/* Who will own what set-up creates: the run's user, or -1 (no chown)
 * when there is no switch of user. */
static uid_t owner_uid(const struct daemon *d)
{
	return d->priv.mode == PRIV_SWITCH ? d->priv.uid : (uid_t)-1;
}

static gid_t owner_gid(const struct daemon *d)
{
	return d->priv.mode == PRIV_SWITCH ? d->priv.gid : (gid_t)-1;
}

/* First: a user that does not exist stops here, before anything is
 * bound, on the terminal. */
static void plan_privileges(struct daemon *d)
{
	char err[512];

	if (priv_plan(&d->priv, d->cfg->user, d->cfg->probing ? PRIV_NET_RAW : 0,
		      err, sizeof(err)) < 0)
		fatalx(EXIT_RUNTIME, "%s", err);
}

/* Before anything is bound: a second daemon stops here. */
static void take_pidfile(struct daemon *d)
{
	const char *pidfile = d->cfg->pidfile;

	if (!d->cfg->foreground && pidfile == NULL)
		pidfile = CONFIG_PIDFILE_DEFAULT;
	d->pidfile = absolute(pidfile, d->pidfile_buf, sizeof(d->pidfile_buf));
	d->pidfd = -1;
	if (d->pidfile == NULL)
		return;
	/* The run's user removes the pid file at exit: its directory
	 * (/run/gapwatch) is that user's if it is made here. */
	make_parent_dir(d->pidfile, owner_uid(d), owner_gid(d));
	if ((d->pidfd = lock_pidfile(d->pidfile)) < 0)
		exit(EXIT_RUNTIME);
}

/* Bind every queue, on the terminal: the error is the operator's. */
static void open_queues(struct daemon *d)
{
	const struct config *cfg = d->cfg;
	char err[512];
	unsigned int k, acct_off = 0;

	d->n = cfg->queue_count;
	d->ws = calloc(d->n, sizeof(*d->ws));
	if (d->ws == NULL)
		fatal(EXIT_RUNTIME, "cannot allocate %u workers", d->n);
	for (k = 0; k < d->n; k++) {
		d->ws[k].queue = queue_open((uint16_t)(cfg->queue_first + k),
					    &cfg->queue, err, sizeof(err));
		if (d->ws[k].queue == NULL)
			fatalx(EXIT_RUNTIME, "%s", err);
		d->ws[k].drain = cfg->queue.maxlen;
		d->ws[k].acct = acct_open((uint16_t)(cfg->queue_first + k),
					  err, sizeof(err));
		if (d->ws[k].acct == NULL && !acct_off++)
			log_warnx("%s: packets that a full queue passes unseen "
				  "are not counted (id holes and stalls still "
				  "are)", err);
		else if (d->ws[k].acct != NULL && err[0] && !acct_off++)
			log_info("%s", err);
	}
}

static void open_conntrack(struct daemon *d)
{
	char err[512];

	if (d->cfg->no_conntrack)
		return;
	/* Without ctnetlink the packets still tell most of the story: say
	 * so and go on. */
	d->ct = ct_open(&d->cfg->ct, err, sizeof(err));
	if (d->ct == NULL)
		log_warnx("%s: gaps will carry no conntrack facts", err);
}

static void open_prober(struct daemon *d)
{
	char err[512];

	if (!d->cfg->probing)
		return;
	/* Asked for and impossible: say so on the terminal. */
	d->prober = probe_open(&d->cfg->probe, err, sizeof(err));
	if (d->prober == NULL)
		fatalx(EXIT_RUNTIME, "--probe: %s", err);
	if (d->cfg->probe.mark == 0)
		log_warnx("--probe-mark 0: the rules may queue the probes");
}

/*
 * The server's own drops: its counters (no privilege needed), and the
 * kernel's drops of game packets (BPF): wanted by default, and not worth
 * stopping for. Without the watcher gapwatchd says why once, and so does
 * every stats record.
 */
static void open_drop_watch(struct daemon *d)
{
	struct gw_time now;
	char err[256];

	d->host = hoststat_open(err, sizeof(err));
	if (d->host == NULL)
		log_warnx("%s", err);
	if (d->cfg->no_drop_watch) {
		snprintf(d->drops_off, sizeof(d->drops_off), "--no-drop-watch");
		return;
	}
	gw_clock_read(&now);
	d->drops = dropwatch_open(&d->cfg->ports, &now, d->drops_off,
				  sizeof(d->drops_off));
	if (d->drops == NULL)
		log_warnx("%s: the gaps cannot say whether this server's kernel "
			  "dropped their packets (the kernel counters still do)",
			  d->drops_off);
	else
		log_info("drop watcher: on (skb:kfree_skb, the game ports of "
			 "this network namespace)");
}

/*
 * With every privilege, the directories the run's user writes in and
 * cannot make itself on a fresh install: the report's, and the pcap
 * directory and its parent. Made here, they are that user's.
 */
static void make_run_dirs(struct daemon *d)
{
	char buf[PATH_MAX];
	const char *dir = store_dir(d->cfg, d->output, 1, buf, sizeof(buf));

	if (strcmp(d->output, "-") != 0)
		make_parent_dir(d->output, owner_uid(d), owner_gid(d));
	if (dir != NULL) {
		make_parent_dir(dir, owner_uid(d), owner_gid(d));
		make_dir(dir, owner_uid(d), owner_gid(d));
	}
}

/*
 * The last step with every privilege (a BPF program loaded at start-up
 * goes before it): the run's user and capabilities, no_new_privs. No
 * thread exists yet, so every thread started later inherits the result.
 */
static void drop_privileges(struct daemon *d)
{
	char err[512];

	if (priv_drop(&d->priv, err, sizeof(err)) < 0)
		fatalx(EXIT_RUNTIME, "%s", err);
	switch (d->priv.mode) {
	case PRIV_SWITCH:
		log_info("running as %s", priv_describe(&d->priv, err, sizeof(err)));
		break;
	case PRIV_KEEP_ROOT:
		log_warnx("--user %s: running as root with every privilege, "
			  "parsing packets from anywhere (not recommended)",
			  d->priv.user);
		break;
	case PRIV_NOT_ROOT:
		log_info("not started as root: no switch of user%s%s%s; %s",
			 d->priv.other_user ? " (--user " : "",
			 d->priv.other_user ? d->cfg->user : "",
			 d->priv.other_user ? " not applied)" : "",
			 priv_describe(&d->priv, err, sizeof(err)));
		break;
	}
}

/* Create the report file now, as the run's user, while errors still
 * reach the terminal. */
static void check_report_file(const struct daemon *d)
{
	FILE *f;

	if (strcmp(d->output, "-") == 0)
		return;
	f = fopen(d->output, "a");
	if (f == NULL)
		fatal(EXIT_RUNTIME, "cannot open report file %s as user %s "
		      "(it, and for SIGHUP its directory, must be writable by "
		      "that user)", d->output, d->priv.user);
	fclose(f);
}

static void detach(struct daemon *d)
{
	if (!d->cfg->foreground) {
		if (daemon(0, 0) < 0)
			fatal(EXIT_RUNTIME, "cannot detach");
		log_init("gapwatchd", 1);
	}
	if (d->pidfile && write_pidfile(d->pidfd, d->pidfile) < 0)
		exit(EXIT_RUNTIME);
}

/* Before any thread exists, so that every thread inherits the mask and
 * only sigtimedwait() in the main loop sees these signals. */
static void block_signals(struct daemon *d)
{
	sigemptyset(&d->sigs);
	sigaddset(&d->sigs, SIGTERM);
	sigaddset(&d->sigs, SIGINT);
	sigaddset(&d->sigs, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &d->sigs, NULL);
	signal(SIGPIPE, SIG_IGN);
}

/* --seccomp: after daemon(), so that forking and detaching need not be
 * allowed; before the first thread, so that every thread has it. */
static void confine(struct daemon *d)
{
	char err[512];

	if (!d->cfg->seccomp)
		return;
	if (priv_confine(err, sizeof(err)) < 0)
		fatalx(EXIT_RUNTIME, "%s", err);
	log_debug("seccomp allow-list installed");
}

static void start_workers(struct daemon *d)
{
	struct engine_config ec;
	struct worker *w;
	unsigned int k;
	int rc;

	gw_clock_read(&d->started);
	for (k = 0; k < d->n; k++) {
		w = &d->ws[k];
		engine_config_for(d->cfg, queue_num(w->queue), d->store != NULL,
				  &ec);
		w->engine = engine_new(&ec, correlator_submit, d->corr,
				       &d->started);
		if (w->engine == NULL)
			fatal(EXIT_RUNTIME, "cannot create the engine for %u flows",
			      ec.max_flows);
		w->stop = &stop_flag;
		pthread_mutex_init(&w->lock, NULL);
		rc = pthread_create(&w->thread, NULL, worker_main, w);
		if (rc != 0)
			fatalx(EXIT_RUNTIME, "cannot start the thread of queue %u: %s",
			       queue_num(w->queue), strerror(rc));
	}
}

/* A scrape's numbers: what the stats record would say now. */
static void collect_metrics(void *ctx, struct report_stats *st,
			    struct correlate_counters *cc)
{
	struct daemon *d = ctx;
	struct gw_time now;

	gw_clock_read(&now);
	gather_stats(d->ws, d->n, d->corr, &now, d->started.mono_us, st, cc);
	st->report_dropped = report_dropped(d->report);
}

/* With every privilege (a port below 1024 is the operator's choice), on
 * the terminal: an address in use stops the start. */
static void listen_metrics(struct daemon *d)
{
	char err[256];

	d->metrics_fd = -1;
	if (d->cfg->metrics_addr == NULL)
		return;
	d->metrics_fd = metrics_listen(d->cfg->metrics_addr, err, sizeof(err));
	if (d->metrics_fd < 0)
		fatalx(EXIT_RUNTIME, "%s", err);
}

/* After the allow-list: libmicrohttpd's thread is confined too. */
static void serve_metrics(struct daemon *d)
{
	char err[256];

	if (d->metrics_fd < 0)
		return;
	d->metrics = metrics_serve(d->metrics_fd, collect_metrics, d, err,
				   sizeof(err));
	if (d->metrics == NULL)
		fatalx(EXIT_RUNTIME, "%s", err);
	log_info("metrics on http://%s%s/metrics",
		 strchr(d->cfg->metrics_addr, ':') ? "" : "127.0.0.1:",
		 d->cfg->metrics_addr);
}

/* As the run's user, on the terminal: the textfile's directory takes
 * our file. */
static void check_metrics_textfile(struct daemon *d)
{
	struct correlate_counters cc;
	struct report_stats st;

	if (d->cfg->metrics_textfile == NULL)
		return;
	memset(&st, 0, sizeof(st));
	memset(&cc, 0, sizeof(cc));
	st.corr = &cc;
	if (metrics_write_textfile(d->cfg->metrics_textfile, &st) < 0)
		fatal(EXIT_RUNTIME, "--metrics-textfile: cannot write %s",
		      d->cfg->metrics_textfile);
}

static void write_metrics_textfile(struct daemon *d)
{
	struct correlate_counters cc;
	struct report_stats st;

	collect_metrics(d, &st, &cc);
	if (metrics_write_textfile(d->cfg->metrics_textfile, &st) < 0)
		log_warn("--metrics-textfile: cannot write %s",
			 d->cfg->metrics_textfile);
}

/*
 * Set-up, in this order and all in one place: what can fail on the
 * operator's terminal first -- with every privilege the user, pid file,
 * queues, conntrack, prober and the directories; the drop of privileges;
 * as the run's user the report file and pcap directory --, then detach,
 * the allow-list, then the threads.
 */
static void setup_live(struct daemon *d, const char *run_id)
{
	struct correlate_parts parts = { 0 };
	char err[512];

	d->output = absolute(d->cfg->output, d->output_buf,
			     sizeof(d->output_buf));
	plan_privileges(d);
	take_pidfile(d);
	open_queues(d);
	open_conntrack(d);
	open_prober(d);
	open_drop_watch(d);
	listen_metrics(d);
	make_run_dirs(d);
	drop_privileges(d);
	check_report_file(d);
	check_metrics_textfile(d);
	d->store = open_store(d->cfg, d->output, 1, run_id);
	detach(d);
	block_signals(d);
	confine(d);
	d->report = report_open(d->output, run_id, err, sizeof(err));
	if (d->report == NULL)
		fatalx(EXIT_RUNTIME, "%s", err);
	if (d->cfg->host_name)
		report_set_host(d->report, d->cfg->host_name);
	/* From here on the correlator owns ct, store, prober and watcher. */
	parts.ct = d->ct;
	parts.store = d->store;
	parts.prober = d->prober;
	parts.drops = d->drops;
	parts.drops_off = d->drops_off;
	parts.host = d->host;
	d->corr = correlator_new(&parts, d->report, 1, err, sizeof(err));
	if (d->corr == NULL)
		fatalx(EXIT_RUNTIME, "%s", err);
	start_workers(d);
	serve_metrics(d);
	if (d->n > 1)
		log_info("watching queues %u-%u, %u server ports, report %s",
			 d->cfg->queue_first, d->cfg->queue_first + d->n - 1,
			 d->cfg->ports.count, d->output);
	else
		log_info("watching queue %u, %u server ports, report %s",
			 d->cfg->queue_first, d->cfg->ports.count, d->output);
}

/* Signals and periodic stats until SIGTERM or SIGINT. */
static void main_loop(struct daemon *d)
{
	const uint64_t interval_us = d->cfg->stats_interval_s * USEC_PER_SEC;
	struct timespec wait = { SIGNAL_WAIT_S, 0 };
	struct gw_time now;
	uint64_t next_stats = d->started.mono_us + interval_us;
	uint64_t next_textfile = d->started.mono_us;
	int sig;

	while (!stop_flag) {
		sig = sigtimedwait(&d->sigs, NULL, &wait);
		if (sig == SIGTERM || sig == SIGINT) {
			stop_flag = 1;
		} else if (sig == SIGHUP) {
			log_info("SIGHUP: reopening %s", d->output);
			report_reopen(d->report);
		}
		gw_clock_read(&now);
		if (interval_us && now.mono_us >= next_stats) {
			write_stats(d->ws, d->n, d->report, d->corr, &now,
				    d->started.mono_us);
			next_stats = now.mono_us + interval_us;
		}
		if (d->cfg->metrics_textfile && now.mono_us >= next_textfile) {
			write_metrics_textfile(d);
			next_textfile = now.mono_us + TEXTFILE_US;
		}
	}
}

static void shutdown_live(struct daemon *d)
{
	struct gw_time now;
	unsigned int k;

	for (k = 0; k < d->n; k++)
		pthread_join(d->ws[k].thread, NULL);
	/* The engines' last records first, then the last stats. */
	correlator_stop(d->corr);
	gw_clock_read(&now);
	write_stats(d->ws, d->n, d->report, d->corr, &now, d->started.mono_us);
	/* A scrape in progress ends first (libmicrohttpd's timeout bounds
	 * it); the textfile says the last numbers. */
	metrics_stop(d->metrics);
	if (d->cfg->metrics_textfile)
		write_metrics_textfile(d);
	for (k = 0; k < d->n; k++) {
		queue_close(d->ws[k].queue);
		acct_close(d->ws[k].acct);
		engine_free(d->ws[k].engine);
		pthread_mutex_destroy(&d->ws[k].lock);
	}
	correlator_free(d->corr);
	report_close(d->report);
	free(d->ws);
	if (d->pidfile) {
		/* As the run's user: the init script removes what is left. */
		if (unlink(d->pidfile) < 0)
			log_warn("cannot remove pid file %s", d->pidfile);
		close(d->pidfd);
	}
	log_info("stopped");
}

static int run_live(const struct config *cfg, const char *run_id)
{
	struct daemon d = { .cfg = cfg };

	setup_live(&d, run_id);
	main_loop(&d);
	shutdown_live(&d);
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
	/* Gap ids stay unique across restarts, and across runs started in
	 * the same second (replays of many captures, found on a batch of
	 * real ones): the run id is the start time in hex, its seconds and
	 * then its microseconds in five digits. */
	gw_clock_read(&now);
	snprintf(run_id, sizeof(run_id), "%llx%05llx",
		 (unsigned long long)(now.wall_us / USEC_PER_SEC),
		 (unsigned long long)(now.wall_us % USEC_PER_SEC));
	if (cfg.read_file)
		return run_replay(&cfg, run_id);
	return run_live(&cfg, run_id);
}
