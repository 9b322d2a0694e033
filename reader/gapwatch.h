/*
 * gapwatch.h - the pieces of the gapwatch(8) tool: reading gapwatchd's
 * JSON Lines, aggregating gaps, and the text, JSON, CSV, HTML and "show"
 * views of them.
 *
 * Prefixes: scan_ (one line into a record), gwt_ (times and durations),
 * filter_ (which gaps count), agg_ (files in, aggregates out), out_ (text,
 * JSON, CSV), html_ (the HTML page), show_ (one gap's story).
 *
 * Nothing here keeps a record's JSON: a gap is reduced to a 40-byte point
 * as it is read, so a million lines fit in a few tens of megabytes.
 */
#ifndef GAPWATCH_TOOL_H
#define GAPWATCH_TOOL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <netinet/in.h>

#include "addr.h"

/* Where gapwatchd writes by default; rotated siblings are read too. */
#define GW_DEFAULT_REPORT	"/var/log/gapwatch/gaps.jsonl"

/* Exit codes of gapwatch(8). */
#define GW_EXIT_OK		0
#define GW_EXIT_READ		1	/* a file could not be read */
#define GW_EXIT_USAGE		2

/* ---- times and durations (gapwatch-scan.c) ---- */

#define GWT_NONE		INT64_MIN	/* "no time" */

/*
 * gwt_parse_rfc3339 - "2026-11-25T09:16:44.040919Z" (any fraction, "Z" or
 * an offset like "+02:00"; a space for the "T"; no zone means UTC) into
 * microseconds since the epoch. Returns 0, or -1 if s[0..len) is no such
 * time.
 */
int gwt_parse_rfc3339(const char *s, size_t len, int64_t *us);

/*
 * gwt_parse_arg - a time on the command line: RFC 3339, a date
 * (YYYY-MM-DD, midnight UTC), "now", "@EPOCH", or a duration back from
 * now_us ("90s", "15m", "1h", "2d", "1w"). Returns 0, or -1.
 */
int gwt_parse_arg(const char *s, int64_t now_us, int64_t *us);

/*
 * gwt_parse_duration - "500ms", "2s", "1.5m", "1h", or a bare number of
 * milliseconds (like the records' duration_ms). Returns 0, or -1.
 */
int gwt_parse_duration(const char *s, int64_t *us);

/* gwt_format - RFC 3339 UTC into buf; seconds only unless frac. */
char *gwt_format(int64_t us, int frac, char *buf, size_t len);

/* gwt_format_edge - a round number of ms, short: "500ms", "2s", "5m". */
char *gwt_format_edge(int64_t ms, char *buf, size_t len);

/* gwt_format_dur - "850 ms", "4.08 s", "2.5 min", "3.1 h", "4.0 d" into buf. */
char *gwt_format_dur(int64_t us, char *buf, size_t len);

/* ---- one line into a record (gapwatch-scan.c) ---- */

/*
 * A piece of the line: a JSON string's contents between its quotes, as
 * written (esc says whether it holds backslash escapes), or a number.
 */
struct span {
	const char *p;
	uint32_t len;
	uint8_t esc;
};

enum rec_type { REC_OTHER = 0, REC_GAP, REC_GAP_OPEN, REC_STATS };

/* gw_rec.has: which fields the record carried (non-null, right type). */
#define HAS_ID			0x00000001
#define HAS_START		0x00000002
#define HAS_END			0x00000004
#define HAS_DETECTED		0x00000008
#define HAS_DURATION		0x00000010
#define HAS_RECONNECT		0x00000020
#define HAS_CLUSTER		0x00000040
#define HAS_PCAP		0x00000080
#define HAS_CONNTRACK		0x00000100
#define HAS_PROBE		0x00000200
#define HAS_TIME		0x00000400
#define HAS_UPTIME		0x00000800
#define HAS_CLIENT		0x00001000
#define HAS_SERVER		0x00002000
#define HAS_CAUSE		0x00004000
#define HAS_OUTCOME		0x00008000
#define HAS_TYPE		0x00010000

/*
 * The fields gapwatch reads from one line. Spans point into the line:
 * they are valid while it is. Counters missing from a record are 0.
 */
struct gw_rec {
	enum rec_type type;
	uint32_t has;
	struct span id, proto, client, server, silent, outcome, cause;
	struct span evidence, explanation, next_step, pcap, cluster_id;
	int64_t start_us, end_us, detected_us, duration_us;
	int64_t reconnect_port, reconnect_delay_us;
	int64_t server_retransmits, client_retransmits;
	int64_t cluster_size, cluster_first_us;
	int lost_packets;			/* inspector.lost_packets */
	/* stats records: cumulative since the daemon started */
	int64_t time_us, uptime_s;
	int64_t flows_created, queue_dropped, user_dropped, enobufs;
	int64_t report_dropped;
};

enum scan_result {
	SCAN_OK = 0,
	SCAN_NOT_JSON,		/* a syntax error: not JSON at all */
	SCAN_NOT_OBJECT,	/* JSON, but not an object */
};

/*
 * scan_record - parse line[0..len) (no newline) as one JSON object and
 * pick out the fields above; unknown fields are checked for syntax and
 * skipped. Much faster than building the object: nothing is allocated.
 */
enum scan_result scan_record(const char *line, size_t len, struct gw_rec *r);

/*
 * scan_record_jansson - the same with json_loadb(), for measuring and
 * for checking the scanner. *keep holds the parsed object the spans point
 * into: give it to scan_release() when done with r.
 */
enum scan_result scan_record_jansson(const char *line, size_t len,
				     struct gw_rec *r, void **keep);
void scan_release(void *keep);

/*
 * span_copy - the string's value with escapes decoded (\uXXXX into
 * UTF-8) into buf, cut to len - 1 bytes. Returns buf.
 */
char *span_copy(const struct span *s, char *buf, size_t len);

/* span_eq - does the span's value equal the C string? */
int span_eq(const struct span *s, const char *str);

/*
 * scan_endpoint - "198.18.0.1:40000" or "[2001:db8::1]:40000" into a
 * v4-mapped or IPv6 address and a port. Returns 0, or -1.
 */
int scan_endpoint(const struct span *s, struct in6_addr *addr, uint16_t *port);

/* ---- reading files (gapwatch-report.c) ---- */

#define LINE_LAST		0x01	/* the end of the file, no newline */
#define LINE_TOO_LONG		0x02	/* line is NULL: longer than AGG_MAX_LINE */

typedef void (*lines_fn)(void *ctx, const char *line, size_t len,
			 unsigned int flags, uint64_t lineno);

/*
 * lines_read - call fn for each line of path (plain or gzip'd, told by
 * its contents), without its newline. Returns 0, or -1 with the file and
 * the reason in err when it could not be opened or read to its end.
 */
int lines_read(const char *path, lines_fn fn, void *ctx, char *err, size_t errlen);

/* ---- filters (gapwatch-report.c) ---- */

#define FILTER_MAX_LIST		32

struct gw_prefix {
	struct in6_addr addr;		/* v4 as v4-mapped, masked */
	unsigned int len;		/* 0..128, counted on the v6 form */
};

struct gw_filter {
	int64_t since_us;		/* GWT_NONE: unbounded */
	int64_t until_us;
	int64_t min_dur_us;		/* 0: none */
	unsigned int ncauses;
	char *causes[FILTER_MAX_LIST];
	unsigned int nports;
	uint16_t ports[FILTER_MAX_LIST];	/* server ports */
	unsigned int nclients;
	struct gw_prefix clients[FILTER_MAX_LIST];
};

/* filter_init - a filter that lets every gap through. */
void filter_init(struct gw_filter *f);

/* filter_free - free the cause names. Accepts NULL. */
void filter_free(struct gw_filter *f);

/*
 * filter_add_cause, filter_add_port, filter_add_client - add the
 * comma-separated items of arg (a gap matches if it matches any item of
 * each kind given). Clients are addresses or prefixes (198.18.0.0/16,
 * 2001:db8::/32). Return 0, or -1 with the offending item in err.
 */
int filter_add_cause(struct gw_filter *f, const char *arg, char *err, size_t errlen);
int filter_add_port(struct gw_filter *f, const char *arg, char *err, size_t errlen);
int filter_add_client(struct gw_filter *f, const char *arg, char *err, size_t errlen);

/* filter_parse_prefix - "ADDR" or "ADDR/LEN". Returns 0, or -1. */
int filter_parse_prefix(const char *s, struct gw_prefix *p);

/* prefix_match - is a inside p? */
int prefix_match(const struct gw_prefix *p, const struct in6_addr *a);

/*
 * prefix_group - the reporting group of an address: its /24 for IPv4,
 * its /48 for IPv6.
 */
void prefix_group(const struct in6_addr *a, struct gw_prefix *p);

/* prefix_format - "198.18.3.0/24", "2001:db8:1::/48". Returns buf. */
char *prefix_format(const struct gw_prefix *p, char *buf, size_t len);

/* count_text - "1,234,567" into buf. */
char *count_text(uint64_t n, char *buf, size_t len);

/* ---- aggregation (gapwatch-report.c) ---- */

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
	uint8_t pad[3];
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

struct agg_minute {
	int64_t minute_us;
	uint64_t gaps;
};

/* Line and record counts: every line is counted once, somewhere. */
struct agg_lines {
	uint64_t lines;			/* lines read */
	uint64_t blank;
	uint64_t gap, gap_open, stats, other;	/* records by type */
	uint64_t not_json;		/* skipped: a syntax error */
	uint64_t not_object;		/* skipped: JSON but not an object */
	uint64_t truncated;		/* skipped: incomplete last line */
	uint64_t bad_record;		/* skipped: a gap without id/start */
	uint64_t too_long;		/* skipped: longer than AGG_MAX_LINE */
	uint64_t duplicate;		/* a second "gap" record of one id */
};

#define AGG_MAX_LINE		(4u << 20)

/* Totals of the stats records over the window (cumulative counters). */
struct agg_stats {
	uint64_t records;
	int64_t flows_created, queue_dropped, user_dropped, enobufs;
	int64_t report_dropped;
};

struct agg_result {
	struct agg_lines lines;
	unsigned int files, files_failed;
	uint64_t gaps;			/* selected: closed + open */
	uint64_t closed, open;
	uint64_t filtered;		/* gaps the filters left out */
	uint64_t flows;			/* distinct flows with a gap */
	uint64_t clients;		/* distinct client addresses */
	uint64_t with_pcap, with_conntrack, with_probe, lost_packets;
	uint64_t clusters;		/* distinct cluster ids */
	char *big_cluster_id;
	int64_t big_cluster_size, big_cluster_first_us;
	int64_t first_us, last_us;	/* the window reported */
	int64_t data_first_us, data_last_us;	/* earliest/latest time seen */
	double per_minute;
	unsigned int ncauses, noutcomes;
	struct agg_name causes[AGG_MAX_NAMES];		/* by gaps, desc */
	struct agg_name outcomes[AGG_MAX_NAMES];	/* [0] is "open" */
	uint64_t reconnects;
	int64_t reconnect_median_us, reconnect_p95_us;
	int64_t median_us, p95_us, max_us;	/* all closed gaps */
	uint64_t hist[AGG_HIST_BINS];
	unsigned int ntop_clients, ntop_prefixes, nbusiest;
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

/* What agg_new should keep besides the aggregates. */
#define AGG_KEEP_LONGEST	0x01	/* raw lines of the longest gaps */
#define AGG_CSV			0x02	/* write CSV rows to out as read */

struct agg;

/*
 * agg_new - an aggregator of the gaps that f lets through (f is copied;
 * its cause names are borrowed and must outlive the aggregator). With
 * AGG_CSV, each selected gap's CSV row goes to out as it is read (open
 * gaps at agg_finish). keep: how many of the longest gaps to keep, with
 * AGG_KEEP_LONGEST. Returns NULL on ENOMEM.
 */
struct agg *agg_new(const struct gw_filter *f, unsigned int flags,
		    unsigned int keep, FILE *out);
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

/* ---- output (gapwatch-text.c, gapwatch-html.c) ---- */

struct out_info {
	const char *const *files;
	unsigned int nfiles;
	const struct gw_filter *filter;
	const char *filter_text;	/* the filter options as given */
	int64_t now_us;
};

/* out_text - the terminal summary, at most 100 columns. */
void out_text(FILE *f, const struct agg_result *r, const struct out_info *info);

/* out_json - the aggregates as one JSON object. Returns 0, or -1. */
int out_json(FILE *f, const struct agg_result *r, const struct out_info *info);

/* out_csv_header - the CSV's first line. */
void out_csv_header(FILE *f);

/* out_csv_row - one gap's row. open: a gap_open with no gap record. */
void out_csv_row(FILE *f, const struct gw_rec *r, int open);

/*
 * html_write - the self-contained page. longest: raw lines of the
 * longest gaps (for the table and the details). Returns 0, or -1 with
 * errno set by a failed write.
 */
int html_write(FILE *f, const struct agg_result *r, const struct out_info *info,
	       char *const *longest, size_t nlongest, unsigned int keep);

/* cause_colour - a fixed colour per known cause, else from a palette. */
const char *cause_colour(const char *cause, unsigned int index);

/* ---- one gap's story (gapwatch-show.c) ---- */

/*
 * show_gap - find the records of gap id in files and print its timeline
 * to f. Returns GW_EXIT_OK, or GW_EXIT_READ (a file could not be read,
 * or no such gap), with the messages on stderr.
 */
int show_gap(FILE *f, const char *id, const char *const *files,
	     unsigned int nfiles, unsigned int max_packets);

#endif
