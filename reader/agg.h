/*
 * agg.h - report files in, aggregates out: every line counted, the gaps
 * that the filter lets through summed up by cause, outcome, duration,
 * client, prefix and minute, and the daemon's own counters over the
 * window.
 *
 * A gap is reduced to a 40-byte point as it is read, so a million lines
 * fit in a few tens of megabytes.
 */
#ifndef GAPWATCH_AGG_H
#define GAPWATCH_AGG_H

#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>

#include "filter.h"
#include "prefix.h"
#include "rec.h"

/* Causes and outcomes are named by the records, not by this tool. */
#define AGG_MAX_NAMES		32
#define AGG_OUTCOME_OPEN	0	/* outcome index of a gap still open */
#define AGG_OTHER_NAME		"other"

/* Duration histogram: upper edges in ms, the last bin is open-ended. */
#define AGG_HIST_BINS		12

#define AGG_TOP			10	/* top clients, prefixes */
#define AGG_BUSIEST		5	/* busiest minutes */

/* One gap, kept for the whole run: 40 bytes. */
struct gap_point {
	int64_t start_us;
	int64_t dur_us;			/* open gaps: up to detection */
	struct in6_addr client;
	uint16_t server_port;
	uint8_t cause;			/* index into agg_result.causes */
	uint8_t outcome;		/* index into agg_result.outcomes */
	uint8_t open;			/* a gap_open without its gap */
	uint8_t host;			/* index into agg_result.hosts */
	uint8_t pad[2];
};

struct agg_name {
	char *name;
	char *explanation;		/* from the first record, for causes */
	char *next_step;
	uint64_t gaps;
	uint64_t open;
	int64_t median_us, p95_us, max_us;	/* closed gaps only */
};

struct agg_top {
	struct gw_prefix key;		/* a client: len 128 */
	uint64_t gaps;
	uint64_t clients;		/* prefixes: distinct clients */
	int64_t silent_us;		/* sum of the durations */
	int64_t last_us;		/* latest start */
	uint8_t cause;			/* the commonest cause */
	uint64_t cause_gaps;		/* its gaps */
};

/* A hop where probe ladders stopped: the last that answered. */
struct agg_hop {
	char addr[48];
	uint64_t ladders;
	uint64_t state_lost;		/* a fresh flow got through: this
					 * flow's state was lost beyond */
	uint64_t path_down;		/* a fresh flow stopped there too */
	uint64_t players;		/* distinct client addresses */
	uint64_t prefixes;		/* distinct client /24s, /48s */
};

struct agg_minute {
	int64_t minute_us;
	uint64_t gaps;
};

/* Line and record counts: every line is counted once, somewhere. */
struct agg_lines {
	uint64_t lines;			/* lines read */
	uint64_t blank;
	uint64_t gap, gap_open, stats, other;	/* records by type */
	uint64_t probe;
	uint64_t exposure;
	uint64_t not_json;		/* skipped: a syntax error */
	uint64_t not_object;		/* skipped: JSON but not an object */
	uint64_t truncated;		/* skipped: incomplete last line */
	uint64_t bad_record;		/* skipped: a gap without id/start */
	uint64_t too_long;		/* skipped: longer than LINES_MAX */
	uint64_t duplicate;		/* a second "gap" record of one id */
};

/* Totals of the stats records over the window (cumulative counters). */
struct agg_stats {
	uint64_t records;
	int64_t flows_created, queue_dropped, user_dropped, enobufs;
	int64_t report_dropped;
	int64_t unseen, id_holes;	/* what passed the queue unseen */
	int64_t blind_intervals, blind_missed;
};

/* The inspector missed packets: the kernel's, its socket's or the rules'
 * counters say so. */
static inline int agg_stats_missed(const struct agg_stats *s)
{
	return s->queue_dropped || s->user_dropped || s->enobufs ||
	       s->unseen || s->id_holes;
}

struct agg_result {
	struct agg_lines lines;
	unsigned int files, files_failed;
	uint64_t gaps;			/* selected: closed + open */
	uint64_t closed, open;
	uint64_t filtered;		/* gaps the filters left out */
	uint64_t flows;			/* distinct flows with a gap */
	uint64_t clients;		/* distinct client addresses */
	uint64_t with_pcap, with_conntrack, with_probe, lost_packets;
	uint64_t watched;		/* closed gaps with local_drops */
	uint64_t exonerated;		/* of those: 0 drops, proven */
	uint64_t server_dropped;	/* of those: the server dropped some */
	uint64_t clusters;		/* distinct cluster ids */
	char *big_cluster_id;
	int64_t big_cluster_size, big_cluster_first_us;
	int64_t first_us, last_us;	/* the window reported */
	int64_t data_first_us, data_last_us;	/* earliest/latest time seen */
	double per_minute;
	unsigned int ncauses, noutcomes;
	struct agg_name causes[AGG_MAX_NAMES];		/* by gaps, desc */
	struct agg_name outcomes[AGG_MAX_NAMES];	/* [0] is "open" */
	struct agg_name hosts[AGG_MAX_NAMES];		/* records' "host" */
	unsigned int nhosts;
	/* Gaps that began within a second of each other on two hosts or
	 * more: one upstream event, not a server's trouble. */
	uint64_t host_events;
	uint64_t host_event_gaps;	/* the gaps of all such events */
	uint64_t big_event_gaps;	/* the largest one */
	unsigned int big_event_hosts;
	int64_t big_event_us;		/* its first start */
	uint64_t reconnects;
	int64_t reconnect_median_us, reconnect_p95_us;
	/* Reconnects by the daemon's confidence in the match: full (no
	 * other candidate), high (the give-up delay fits clearly), low (a
	 * guess among players on one address); older records say none. */
	uint64_t reconnect_full, reconnect_high, reconnect_low;
	int64_t median_us, p95_us, max_us;	/* all closed gaps */
	uint64_t hist[AGG_HIST_BINS];
	unsigned int ntop_clients, ntop_prefixes, nbusiest;
	/* Where the probe ladders stop, the most ladders first. */
	unsigned int nhops;
	struct agg_hop hops[AGG_TOP];
	uint64_t ladders, hops_seen;	/* probe records; distinct hops */
	struct agg_top top_clients[AGG_TOP];
	struct agg_top top_prefixes[AGG_TOP];
	struct agg_minute busiest[AGG_BUSIEST];
	struct agg_stats stats;
	/* every selected gap, sorted by start after agg_finish */
	struct gap_point *points;
	size_t npoints;
};

/* Upper edges of the histogram bins, ms; the last bin has none. */
extern const int64_t agg_hist_edges_ms[AGG_HIST_BINS - 1];

struct agg;

/*
 * agg_gap_fn - told each gap that counts, as it is read (the gaps that
 * stay open: at agg_finish). open: a gap_open with no gap record.
 */
typedef void (*agg_gap_fn)(void *ctx, const struct gw_rec *r, int open);

/*
 * agg_new - an aggregator of the gaps that f lets through (f is copied;
 * its cause names are borrowed and must outlive the aggregator). keep:
 * how many of the longest gaps' raw lines to keep (agg_longest), 0 none.
 * on_gap (may be NULL) is told each gap that counts. Returns NULL on
 * ENOMEM.
 */
struct agg *agg_new(const struct gw_filter *f, unsigned int keep,
		    agg_gap_fn on_gap, void *ctx);

/*
 * agg_record_fn - told each exposure and probe record as it is read,
 * each gap_open that the filter lets through and that is new (its gap
 * record not read yet), and each gap record, filtered or not, with its
 * line (valid during the call): the where analysis (where.h) and the live
 * summary's open gaps (follow.h) take them so.
 */
typedef void (*agg_record_fn)(void *ctx, const struct gw_rec *r,
			      const char *line, size_t len);

/* agg_set_record_hook - fn(ctx, ...) from now on; NULL: none. */
void agg_set_record_hook(struct agg *a, agg_record_fn fn, void *ctx);

/* agg_free - free a and its result. Accepts NULL. */
void agg_free(struct agg *a);

/*
 * agg_file - read one file (plain or gzip, by its contents) line by line.
 * Bad lines are counted and, the first few of each file, named on
 * stderr. Returns 0, or -1 with the file and the reason in err when it
 * could not be opened or read to its end (what was read still counts).
 */
int agg_file(struct agg *a, const char *path, char *err, size_t errlen);

/*
 * agg_line - one line without its newline; last says it was the end of
 * the file with no newline after it (a record being written). where
 * names the line in messages ("file:line"); NULL keeps quiet.
 */
void agg_line(struct agg *a, const char *line, size_t len, int last,
	      const char *where);

/*
 * agg_counts - the line counts so far, as agg_line() updates them (a live
 * view for gapwatch report --follow). Valid until agg_free().
 */
const struct agg_lines *agg_counts(const struct agg *a);

/*
 * agg_finish - settle the gaps still open, compute the aggregates. The
 * window's open end is now_us when a --since was given without --until.
 * Returns the result, owned by a and valid until agg_free().
 */
const struct agg_result *agg_finish(struct agg *a, int64_t now_us);

/* agg_longest - the kept raw lines, longest gap first; n set. */
char *const *agg_longest(const struct agg *a, size_t *n);

/*
 * agg_percentile - nearest-rank percentile p (0 < p <= 100) of v[0..n),
 * sorted ascending: the value at rank ceil(p / 100 * n). 0 for n == 0.
 */
int64_t agg_percentile(const int64_t *v, size_t n, unsigned int p);

#endif
