/*
 * report.h - every record gapwatchd writes (gap, gap_open, probe, blind,
 * stats), encoded as JSON Lines from plain structs, with the field names
 * of schema.h.
 *
 * Records are formatted by the caller's thread and handed to one writer
 * thread through a bounded queue (bqueue.h), so a slow disk never stalls
 * a verdict loop. When the queue is full the record is dropped and
 * counted, never waited for.
 */
#ifndef GAPWATCH_REPORT_H
#define GAPWATCH_REPORT_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "conntrack.h"
#include "dropwatch.h"
#include "engine.h"
#include "pcapstore.h"
#include "probe.h"
#include "queue.h"
#include "record.h"
#include "replay.h"

/* Lines the writer may be behind by before records are dropped. */
#define REPORT_QUEUE_LINES 65536

struct report;
struct probe_result;

/*
 * report_open - open path for appending ("-" is stdout) and start the
 * writer thread. run_id prefixes every gap id. Returns NULL with a reason
 * in err.
 */
struct report *report_open(const char *path, const char *run_id, char *err,
			   size_t errlen);

/* The names a record gives an outcome and a reconnect's confidence, for
 * every other place that says them (the metrics' labels). */
const char *report_outcome_name(enum gap_outcome o);
const char *report_confidence_name(uint8_t c);

/*
 * report_set_host - the "host" of every record from now on (the host
 * name by default). Call before the first record.
 */
void report_set_host(struct report *r, const char *host);

/*
 * report_close - write what is queued, stop the writer, close the file.
 * Accepts NULL.
 */
void report_close(struct report *r);

/*
 * report_gap - queue one gap or gap_open record; probe, when not NULL, is
 * the gap's ladder result, written as its "probe" object. Returns 0, or
 * -1 if dropped (counted).
 */
int report_gap(struct report *r, const struct gap_record *rec,
	       const struct probe_result *probe);

/*
 * report_probe - queue the probe record of a finished ladder (its id is
 * its gap's). Returns 0, or -1 if dropped (counted).
 */
int report_probe(struct report *r, const struct probe_result *res);

/*
 * report_blind - queue the blind record of an interval that ended.
 * Returns 0, or -1 if dropped (counted).
 */
int report_blind(struct report *r, const struct blind_record *iv);

struct exposure_batch;

/*
 * report_exposure - queue the exposure record of an interval that ended
 * (b is sorted, not freed).
 */
int report_exposure(struct report *r, struct exposure_batch *b);

/* What the stats record says; the report adds its own counters. */

/* Drop reasons a metric tells apart: a label's values stay bounded. */
#define GAP_REASONS	32

/* Closed gaps' durations, for the metrics' histogram (seconds, le). */
#define GAP_BUCKETS	12
#define GAP_BUCKET_BOUNDS_S \
	{ 0.5, 1, 2, 3, 5, 10, 20, 30, 60, 120, 300, 600 }

/* The gaps as the correlator classified them: by cause and outcome. */
struct gap_tally {
	uint64_t opened[CAUSE_MAX];		/* gap_open records, provisional */
	uint64_t closed[CAUSE_MAX][OUTCOME_OPEN_AT_EXIT + 1];
	uint64_t duration_le[GAP_BUCKETS];	/* closed, cumulative */
	uint64_t duration_count;
	double duration_sum_s;
	uint64_t reconnect_confidence[CONFIDENCE_FULL + 1];
	/* The server's own drops of closed gaps' flows, by the kernel's
	 * reason: the first GAP_REASONS names met, the rest as "other". */
	unsigned int nreasons;
	char reason_name[GAP_REASONS][LOCAL_DROP_NAME_LEN];
	uint64_t reason_drops[GAP_REASONS];
};

/*
 * The correlator's counters and those of the modules it drives, as its
 * stats record part says them (correlator_counters() fills it).
 */
struct correlate_counters {
	uint64_t queue_full;		/* jobs the queue refused: records
					 * reported without correlation, and
					 * evidence_dropped */
	uint64_t evidence_dropped;	/* pcaps not written: queue full */
	uint64_t exposure_dropped;	/* exposure records lost: no memory
					 * for the copy, or the queue full */
	struct ct_counters ct;		/* zero when conntrack is off */
	struct pcapstore_counters pcap;	/* zero without pcap evidence */
	struct probe_counters probe;	/* zero without --probe */
	uint64_t probe_results_evicted;	/* ladders whose gap never closed */
	struct dropwatch_counters drops;	/* zero when the watcher is off */
	struct gap_tally gaps;
	int conntrack;			/* 1: conntrack facts are added */
	int probing;			/* 1: --probe is on */
	int drop_watch;			/* 1: the kernel's drops are watched */
	char drop_watch_off[192];	/* else why; "" in a replay */
};

struct report_stats {
	uint64_t wall_us;		/* when it was taken */
	uint64_t uptime_s;
	unsigned int queues;
	uint64_t engine[EC_MAX];	/* the engines' counters, summed */
	uint32_t flows;
	uint32_t gaps_open;
	struct queue_stats queue;	/* the queues' counters, summed */
	uint64_t queue_dropped;		/* the kernel's, summed */
	uint64_t user_dropped;
	struct inspector_counters blind;	/* unseen, id_holes, stalls:
						 * summed; the rest unused */
	uint64_t stall_max_us;		/* the longest stall of any queue */
	uint64_t acct_errors;		/* readings of the rules' counters
					 * that failed */
	struct {
		int unseen;		/* 1: the rules' counters are read */
		int id_holes;		/* 1: a live queue */
		int stalls;
	} signals;
	const struct correlate_counters *corr;
	const struct replay_stats *replay;	/* --read; NULL live */
	uint64_t report_dropped;	/* for the metrics: report_dropped();
					 * the stats record asks the report */
};

/* report_stats - queue a stats record. Returns 0, or -1 if dropped. */
int report_stats(struct report *r, const struct report_stats *st);

/* report_reopen - reopen the file at the writer's next turn (SIGHUP). */
void report_reopen(struct report *r);

/* report_run_id - the prefix of every gap id. */
const char *report_run_id(const struct report *r);

/* report_dropped - records dropped: queue full, closed, or not encoded. */
uint64_t report_dropped(struct report *r);

/*
 * report_gap_json - the JSON object of a gap record (new reference; NULL
 * when out of memory), for the writer and for tests; probe as in
 * report_gap().
 */
json_t *report_gap_json(const struct gap_record *rec,
			const struct probe_result *probe, const char *run_id);

#endif
