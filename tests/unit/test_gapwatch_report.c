/*
 * test_gapwatch_report.c - gapwatch report's reading and aggregation
 * (reader/: span.c, rec.c, gwtime.c, filter.c, prefix.c, agg.c, htab.c).
 *
 * Each test writes a small report file whose every record is in this
 * file, so each expected count, median and p95 can be worked out by
 * hand; the working is in the comments. Percentiles are nearest-rank:
 * the value at rank ceil(p/100 * n) of the sorted values.
 */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "addr.h"
#include "../../reader/agg.h"
#include "../../reader/filter.h"
#include "../../reader/gwtime.h"
#include "../../reader/prefix.h"
#include "../../reader/printable.h"
#include "../../reader/rec.h"
#include "../../reader/where.h"

/* 2026-11-25T10:00:00Z */
#define T0_US		1795600800000000LL
#define SEC		1000000LL

static char path[64];

static void file_begin(void)
{
	int fd;

	snprintf(path, sizeof(path), "/tmp/test_gapwatch_XXXXXX");
	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	close(fd);
}

static void file_end(void)
{
	unlink(path);
}

/* Append text to the test file as it stands (no newline added). */
static void put(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void put(const char *fmt, ...)
{
	FILE *f = fopen(path, "a");
	va_list ap;

	ck_assert_ptr_nonnull(f);
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	ck_assert_int_eq(fclose(f), 0);
}

/*
 * One record like gapwatchd's, fields in its order. start: seconds after
 * T0; dur_ms: the duration; delay_ms < 0: no reconnect object.
 */
static void gap(const char *type, const char *id, const char *client,
		const char *server, int start_s, double dur_ms,
		const char *cause, const char *outcome, double delay_ms,
		const char *extra)
{
	char start[40], end[40];
	int64_t s = T0_US + start_s * SEC;

	gwt_format(s, 1, start, sizeof(start));
	gwt_format(s + (int64_t)(dur_ms * 1000), 1, end, sizeof(end));
	put("{\"type\":\"%s\",\"id\":\"%s\",\"proto\":\"tcp\",\"client\":\"%s\","
	    "\"server\":\"%s\",\"start\":\"%s\",\"end\":%s%s%s,\"detected\":\"%s\","
	    "\"duration_ms\":%.3f,\"threshold_ms\":1500.0,"
	    "\"expected_interval_ms\":500.0,\"silent\":\"client\","
	    "\"client_packets\":0,\"server_packets\":5,\"client_retransmits\":0,"
	    "\"server_retransmits\":3,\"bytes_in_flight\":{\"client\":0,\"server\":30},"
	    "\"ttl\":{\"client_before\":50,\"client_after\":null},"
	    "\"outcome\":%s%s%s,",
	    type, id, client, server, start,
	    strcmp(type, "gap") == 0 ? "\"" : "", strcmp(type, "gap") == 0 ? end : "null",
	    strcmp(type, "gap") == 0 ? "\"" : "", start, dur_ms,
	    outcome ? "\"" : "", outcome ? outcome : "null", outcome ? "\"" : "");
	if (delay_ms >= 0)
		put("\"reconnect\":{\"client_port\":40001,\"delay_ms\":%.3f},", delay_ms);
	else
		put("\"reconnect\":null,");
	put("\"cause\":\"%s\",\"evidence\":\"e \\\"quoted\\\"\","
	    "\"explanation\":\"why %s\",\"next_step\":\"do \\u00e9\","
	    "\"inspector\":{\"queue_dropped\":0,\"lost_packets\":false},\"queue\":0%s}\n",
	    cause, cause, extra ? extra : "");
}

/* Both records of a closed gap. */
static void closed(const char *id, const char *client, const char *server,
		   int start_s, double dur_ms, const char *cause,
		   const char *outcome, double delay_ms)
{
	gap("gap_open", id, client, server, start_s, 1600, cause, NULL, -1, NULL);
	gap("gap", id, client, server, start_s, dur_ms, cause, outcome, delay_ms, NULL);
}

static struct agg *run(const struct gw_filter *f, int64_t now)
{
	struct agg *a = agg_new(f, 0, NULL, NULL);
	char err[256];

	ck_assert_ptr_nonnull(a);
	ck_assert_int_eq(agg_file(a, path, err, sizeof(err)), 0);
	agg_finish(a, now);
	return a;
}

static const struct agg_name *name(const struct agg_name *v, unsigned int n,
				   const char *which)
{
	unsigned int k;

	for (k = 0; k < n; k++)
		if (strcmp(v[k].name, which) == 0)
			return &v[k];
	ck_abort_msg("no %s", which);
	return NULL;
}

#define MS(x)	((int64_t)(x) * 1000)

/*
 * The reference file. Gaps (start = seconds after 10:00:00Z):
 *   p1..p5  path_loss_to_server  198.18.1.1-5   :7781  t 0,60,120,180,3600
 *           durations 1000, 2000, 3000, 4000, 10000 ms;
 *           p1, p2 reconnected after 900 and 1900 ms, the rest resumed
 *   s1, s2  client_app_stall     198.18.2.7 (twice) :27015  t 30, 90
 *           500, 1500 ms, resumed
 *   n1      nat_rebind           198.18.3.3 :7781 t 7200, 7000 ms, expired,
 *           with a field no gapwatch knows (nested)
 *   u1      unknown, a "gap" with no gap_open, [2001:db8:1:3::5]:7781,
 *           t 5400, 6000 ms, evicted
 *   o1      unknown, a gap_open only: still open, [2001:db8:1:2::1]:7781,
 *           t 7300, 2500 ms so far
 * So closed durations, sorted: 500 1000 1500 2000 3000 4000 6000 7000
 * 10000 (n = 9): median rank ceil(4.5) = 5 -> 3000 ms, p95 rank
 * ceil(8.55) = 9 -> 10000 ms.
 * Besides: a stats record, a blank line, a line that is not JSON, a JSON
 * array, a gap without a start, a record of an unknown type, and a last
 * line cut short.
 */
static void reference_file(void)
{
	file_begin();
	closed("r-0-1", "198.18.1.1:40000", "198.18.2.2:7781", 0, 1000,
	       "path_loss_to_server", "reconnected", 900);
	closed("r-0-2", "198.18.1.2:40000", "198.18.2.2:7781", 60, 2000,
	       "path_loss_to_server", "reconnected", 1900);
	put("\n");
	closed("r-0-3", "198.18.1.3:40000", "198.18.2.2:7781", 120, 3000,
	       "path_loss_to_server", "resumed", -1);
	closed("r-0-4", "198.18.1.4:40000", "198.18.2.2:7781", 180, 4000,
	       "path_loss_to_server", "resumed", -1);
	closed("r-0-5", "198.18.1.5:40000", "198.18.2.2:7781", 3600, 10000,
	       "path_loss_to_server", "resumed", -1);
	put("this is not JSON\n");
	closed("r-0-6", "198.18.2.7:40000", "198.18.2.2:27015", 30, 500,
	       "client_app_stall", "resumed", -1);
	closed("r-0-7", "198.18.2.7:40002", "198.18.2.2:27015", 90, 1500,
	       "client_app_stall", "resumed", -1);
	put("[1,2,3]\n");
	gap("gap_open", "r-0-8", "198.18.3.3:5000", "198.18.2.2:7781", 7200, 1600,
	    "nat_rebind", NULL, -1, NULL);
	gap("gap", "r-0-8", "198.18.3.3:5000", "198.18.2.2:7781", 7200, 7000,
	    "nat_rebind", "expired", -1,
	    ",\"future\":{\"a\":[1,{\"b\":null}],\"c\":\"\\ud83d\\ude00\"}");
	put("{\"type\":\"stats\",\"time\":\"2026-11-25T12:00:00Z\",\"uptime_s\":60,"
	    "\"flows_created\":40,\"queue_dropped\":0,\"user_dropped\":0,\"enobufs\":0,"
	    "\"report_dropped\":0}\n");
	gap("gap", "r-0-9", "[2001:db8:1:3::5]:41000", "[2001:db8::2]:7781", 5400,
	    6000, "unknown", "evicted", -1, NULL);
	put("{\"type\":\"gap\",\"id\":\"r-0-10\",\"duration_ms\":5}\n");
	put("{\"type\":\"hello\",\"from\":\"the future\"}\n");
	gap("gap_open", "r-0-11", "[2001:db8:1:2::1]:41000", "[2001:db8::2]:7781",
	    7300, 2500, "unknown", NULL, -1, NULL);
	put("{\"type\":\"gap\",\"id\":\"r-0-12\",\"proto\":\"tc");
}

START_TEST(test_percentile)
{
	int64_t v[20];
	int k;

	for (k = 0; k < 20; k++)
		v[k] = k + 1;
	/* n = 10: p50 rank 5, p90 rank 9, p95 rank ceil(9.5) = 10 */
	ck_assert_int_eq(agg_percentile(v, 10, 50), 5);
	ck_assert_int_eq(agg_percentile(v, 10, 90), 9);
	ck_assert_int_eq(agg_percentile(v, 10, 95), 10);
	ck_assert_int_eq(agg_percentile(v, 10, 100), 10);
	/* n = 20: p95 rank 19; n = 4: the lower median (rank 2) */
	ck_assert_int_eq(agg_percentile(v, 20, 95), 19);
	ck_assert_int_eq(agg_percentile(v, 4, 50), 2);
	ck_assert_int_eq(agg_percentile(v, 1, 50), 1);
	ck_assert_int_eq(agg_percentile(v, 1, 95), 1);
	ck_assert_int_eq(agg_percentile(v, 0, 50), 0);
	/* n = 3: p50 rank 2, p1 rank 1 */
	ck_assert_int_eq(agg_percentile(v, 3, 50), 2);
	ck_assert_int_eq(agg_percentile(v, 3, 1), 1);
}
END_TEST

START_TEST(test_counts)
{
	struct gw_filter f;
	struct agg *a;
	const struct agg_result *r;
	const struct agg_name *n;

	reference_file();
	filter_init(&f);
	a = run(&f, T0_US);
	r = agg_finish(a, T0_US);

	/* 9 closed (p1-p5, s1, s2, n1, u1) + o1 open */
	ck_assert_uint_eq(r->gaps, 10);
	ck_assert_uint_eq(r->closed, 9);
	ck_assert_uint_eq(r->open, 1);
	ck_assert_uint_eq(r->filtered, 0);

	/* Lines, one by one: 8 gap_open of closed gaps and 1 of o1; 9 gap
	 * records; 1 stats; 1 blank; 1 not JSON; 1 array; 1 gap without
	 * start; 1 unknown type; 1 cut last line. */
	ck_assert_uint_eq(r->lines.gap_open, 9);
	ck_assert_uint_eq(r->lines.gap, 9);
	ck_assert_uint_eq(r->lines.stats, 1);
	ck_assert_uint_eq(r->lines.blank, 1);
	ck_assert_uint_eq(r->lines.not_json, 1);
	ck_assert_uint_eq(r->lines.not_object, 1);
	ck_assert_uint_eq(r->lines.bad_record, 1);
	ck_assert_uint_eq(r->lines.other, 1);
	ck_assert_uint_eq(r->lines.truncated, 1);
	ck_assert_uint_eq(r->lines.lines, 9 + 9 + 1 + 1 + 1 + 1 + 1 + 1 + 1);

	ck_assert_int_eq(r->median_us, MS(3000));
	ck_assert_int_eq(r->p95_us, MS(10000));
	ck_assert_int_eq(r->max_us, MS(10000));

	/* By cause, most gaps first. */
	ck_assert_uint_eq(r->ncauses, 4);
	ck_assert_str_eq(r->causes[0].name, "path_loss_to_server");
	ck_assert_str_eq(r->causes[1].name, "client_app_stall");
	ck_assert_str_eq(r->causes[2].name, "unknown");
	ck_assert_str_eq(r->causes[3].name, "nat_rebind");
	n = &r->causes[0];
	/* 1000 2000 3000 4000 10000: median rank 3, p95 rank 5 */
	ck_assert_uint_eq(n->gaps, 5);
	ck_assert_int_eq(n->median_us, MS(3000));
	ck_assert_int_eq(n->p95_us, MS(10000));
	ck_assert_str_eq(n->explanation, "why path_loss_to_server");
	ck_assert_str_eq(n->next_step, "do \xc3\xa9");
	/* 500 1500: median rank 1, p95 rank 2 */
	n = &r->causes[1];
	ck_assert_uint_eq(n->gaps, 2);
	ck_assert_int_eq(n->median_us, MS(500));
	ck_assert_int_eq(n->p95_us, MS(1500));
	/* unknown: u1 closed (6000), o1 open: percentiles of u1 alone */
	n = &r->causes[2];
	ck_assert_uint_eq(n->gaps, 2);
	ck_assert_uint_eq(n->open, 1);
	ck_assert_int_eq(n->median_us, MS(6000));
	ck_assert_int_eq(n->max_us, MS(6000));

	/* Outcomes: "open" first, then by count. */
	ck_assert_str_eq(r->outcomes[0].name, "open");
	ck_assert_uint_eq(r->outcomes[0].gaps, 1);
	ck_assert_uint_eq(name(r->outcomes, r->noutcomes, "resumed")->gaps, 5);
	ck_assert_uint_eq(name(r->outcomes, r->noutcomes, "reconnected")->gaps, 2);
	ck_assert_uint_eq(name(r->outcomes, r->noutcomes, "expired")->gaps, 1);
	ck_assert_uint_eq(name(r->outcomes, r->noutcomes, "evicted")->gaps, 1);
	/* Reconnect delays 900, 1900: median rank 1, p95 rank 2 */
	ck_assert_uint_eq(r->reconnects, 2);
	ck_assert_int_eq(r->reconnect_median_us, MS(900));
	ck_assert_int_eq(r->reconnect_p95_us, MS(1900));

	/* Histogram, bins [0,500) [500,1000) [1000,2000) [2000,3000)
	 * [3000,5000) [5000,10000) [10000,20000) ...: 500 -> 1; 1000, 1500
	 * -> 2; 2000, 2500 (o1, so far) -> 3; 3000, 4000 -> 4; 6000, 7000
	 * -> 5; 10000 -> 6. */
	ck_assert_uint_eq(r->hist[0], 0);
	ck_assert_uint_eq(r->hist[1], 1);
	ck_assert_uint_eq(r->hist[2], 2);
	ck_assert_uint_eq(r->hist[3], 2);
	ck_assert_uint_eq(r->hist[4], 2);
	ck_assert_uint_eq(r->hist[5], 2);
	ck_assert_uint_eq(r->hist[6], 1);

	/* 9 distinct clients (198.18.2.7 twice), 10 flows */
	ck_assert_uint_eq(r->clients, 9);
	ck_assert_uint_eq(r->flows, 10);
	ck_assert_uint_eq(r->stats.records, 1);
	ck_assert_int_eq(r->stats.flows_created, 40);

	/* The window: the first start to the latest time in the data
	 * (stats at 12:00:00; o1 detected at 7300 s = 12:01:40). */
	ck_assert_int_eq(r->first_us, T0_US);
	ck_assert_int_eq(r->last_us, T0_US + 7300 * SEC);
	agg_free(a);
	file_end();
}
END_TEST

START_TEST(test_prefix_groups)
{
	struct gw_filter f;
	struct agg *a;
	const struct agg_result *r;
	char buf[64];

	reference_file();
	filter_init(&f);
	a = run(&f, T0_US);
	r = agg_finish(a, T0_US);

	/* Top client: 198.18.2.7 (2 gaps, 2000 ms silent, client_app_stall) */
	ck_assert_uint_eq(r->ntop_clients, 9);
	ck_assert_str_eq(addr_format(&r->top_clients[0].key.addr, buf, sizeof(buf)),
			 "198.18.2.7");
	ck_assert_uint_eq(r->top_clients[0].gaps, 2);
	ck_assert_int_eq(r->top_clients[0].silent_us, MS(2000));
	ck_assert_str_eq(r->causes[r->top_clients[0].cause].name, "client_app_stall");
	ck_assert_int_eq(r->top_clients[0].last_us, T0_US + 90 * SEC);
	/* Then the one-gap clients by silent time: 198.18.1.5 (10 s) */
	ck_assert_str_eq(addr_format(&r->top_clients[1].key.addr, buf, sizeof(buf)),
			 "198.18.1.5");

	/* Prefixes: 198.18.1.0/24 (5 gaps, 5 clients), 198.18.2.0/24 (2, 1),
	 * 2001:db8:1::/48 (2 gaps, 2 clients), 198.18.3.0/24 (1); ties by
	 * silent time: 2001:db8:1::/48 has 8500 ms, 198.18.2.0/24 2000. */
	ck_assert_uint_eq(r->ntop_prefixes, 4);
	ck_assert_str_eq(prefix_format(&r->top_prefixes[0].key, buf, sizeof(buf)),
			 "198.18.1.0/24");
	ck_assert_uint_eq(r->top_prefixes[0].gaps, 5);
	ck_assert_uint_eq(r->top_prefixes[0].clients, 5);
	ck_assert_str_eq(prefix_format(&r->top_prefixes[1].key, buf, sizeof(buf)),
			 "2001:db8:1::/48");
	ck_assert_uint_eq(r->top_prefixes[1].gaps, 2);
	ck_assert_uint_eq(r->top_prefixes[1].clients, 2);
	ck_assert_str_eq(prefix_format(&r->top_prefixes[2].key, buf, sizeof(buf)),
			 "198.18.2.0/24");
	ck_assert_uint_eq(r->top_prefixes[2].clients, 1);
	ck_assert_str_eq(prefix_format(&r->top_prefixes[3].key, buf, sizeof(buf)),
			 "198.18.3.0/24");

	/* Busiest minute: 10:00 holds p1 (0 s) and s1 (30 s); 10:01 p2 and
	 * s2; the earlier of equal minutes first. */
	ck_assert_uint_eq(r->busiest[0].gaps, 2);
	ck_assert_int_eq(r->busiest[0].minute_us, T0_US);
	ck_assert_uint_eq(r->busiest[1].gaps, 2);
	ck_assert_int_eq(r->busiest[1].minute_us, T0_US + 60 * SEC);
	agg_free(a);
	file_end();
}
END_TEST

static uint64_t count_with(const char *opt, const char *arg, int64_t now)
{
	struct gw_filter f;
	struct agg *a;
	char err[128];
	uint64_t n;

	filter_init(&f);
	if (strcmp(opt, "--cause") == 0)
		ck_assert_int_eq(filter_add_cause(&f, arg, err, sizeof(err)), 0);
	else if (strcmp(opt, "--port") == 0)
		ck_assert_int_eq(filter_add_port(&f, arg, err, sizeof(err)), 0);
	else if (strcmp(opt, "--client") == 0)
		ck_assert_int_eq(filter_add_client(&f, arg, err, sizeof(err)), 0);
	else if (strcmp(opt, "--min-duration") == 0)
		ck_assert_int_eq(gwt_parse_duration(arg, &f.min_dur_us), 0);
	else if (strcmp(opt, "--since") == 0)
		ck_assert_int_eq(gwt_parse_arg(arg, now, &f.since_us), 0);
	else if (strcmp(opt, "--until") == 0)
		ck_assert_int_eq(gwt_parse_arg(arg, now, &f.until_us), 0);
	else
		ck_abort_msg("bad option %s", opt);
	a = run(&f, now);
	n = agg_finish(a, now)->gaps;
	ck_assert_uint_eq(agg_finish(a, now)->filtered, 10 - n);
	agg_free(a);
	filter_free(&f);
	return n;
}

START_TEST(test_filters)
{
	/* "now" is 12:30:00Z, so "1h" is 11:30:00Z (5400 s after T0). */
	int64_t now = T0_US + 9000 * SEC;

	reference_file();
	ck_assert_uint_eq(count_with("--cause", "client_app_stall", now), 2);
	ck_assert_uint_eq(count_with("--cause", "unknown,nat_rebind", now), 3);
	ck_assert_uint_eq(count_with("--cause", "no_such_cause", now), 0);
	ck_assert_uint_eq(count_with("--port", "27015", now), 2);
	ck_assert_uint_eq(count_with("--port", "7781", now), 8);
	ck_assert_uint_eq(count_with("--port", "7781,27015", now), 10);
	ck_assert_uint_eq(count_with("--client", "198.18.1.0/24", now), 5);
	ck_assert_uint_eq(count_with("--client", "198.18.2.7", now), 2);
	ck_assert_uint_eq(count_with("--client", "198.18.0.0/15", now), 8);
	ck_assert_uint_eq(count_with("--client", "2001:db8::/32", now), 2);
	ck_assert_uint_eq(count_with("--client", "2001:db8:1:2::/64", now), 1);
	ck_assert_uint_eq(count_with("--client", "198.18.1.4,2001:db8:1:3::5", now), 2);
	/* >= 3000 ms: 3000 4000 10000 7000 6000 (o1 is at 2500) */
	ck_assert_uint_eq(count_with("--min-duration", "3s", now), 5);
	ck_assert_uint_eq(count_with("--min-duration", "3000", now), 5);
	ck_assert_uint_eq(count_with("--min-duration", "3001ms", now), 4);
	ck_assert_uint_eq(count_with("--min-duration", "0.1m", now), 3);
	/* Starts: 0 30 60 90 120 180 3600 5400 7200 7300 s.
	 * since 11:30 (5400): u1, n1, o1; "1h" from 12:30 is the same. */
	ck_assert_uint_eq(count_with("--since", "2026-11-25T11:30:00Z", now), 3);
	ck_assert_uint_eq(count_with("--since", "1h", now), 3);
	/* 90m: 11:00 (3600 s): p5, u1, n1, o1 */
	ck_assert_uint_eq(count_with("--since", "90m", now), 4);
	/* 09:00-01:00 is 10:00Z: everything */
	ck_assert_uint_eq(count_with("--since", "2026-11-25T09:00:00-01:00", now), 10);
	ck_assert_uint_eq(count_with("--since", "2026-11-25T12:30:00+01:00", now), 3);
	ck_assert_uint_eq(count_with("--since", "2026-11-25T10:01:00Z", now), 8);
	/* until: strictly before */
	ck_assert_uint_eq(count_with("--until", "2026-11-25T10:01:00Z", now), 2);
	ck_assert_uint_eq(count_with("--until", "2026-11-25T10:01:00.000001Z", now), 3);
	/* 2h: 10:30 (1800 s): p1 s1 p2 s2 p3 p4 */
	ck_assert_uint_eq(count_with("--until", "2h", now), 6);
	ck_assert_uint_eq(count_with("--until", "2026-11-25", now), 0);
	file_end();
}
END_TEST

START_TEST(test_since_window)
{
	struct gw_filter f;
	struct agg *a;
	const struct agg_result *r;
	int64_t now = T0_US + 9000 * SEC;

	reference_file();
	filter_init(&f);
	ck_assert_int_eq(gwt_parse_arg("1h", now, &f.since_us), 0);
	a = run(&f, now);
	r = agg_finish(a, now);
	/* --since without --until: the window runs to now, 1 h: 3 gaps
	 * make 0.05 a minute. */
	ck_assert_int_eq(r->first_us, now - 3600 * SEC);
	ck_assert_int_eq(r->last_us, now);
	ck_assert(r->per_minute > 0.0499 && r->per_minute < 0.0501);
	/* The stats record at 12:00 is inside: its flows count. */
	ck_assert_int_eq(r->stats.flows_created, 40);
	agg_free(a);
	file_end();
}
END_TEST

START_TEST(test_times)
{
	int64_t us, now = T0_US;

	ck_assert_int_eq(gwt_parse_rfc3339("2026-11-25T10:00:00Z", 20, &us), 0);
	ck_assert_int_eq(us, T0_US);
	ck_assert_int_eq(gwt_parse_rfc3339("2026-11-25T10:00:00.5Z", 22, &us), 0);
	ck_assert_int_eq(us, T0_US + 500000);
	ck_assert_int_eq(gwt_parse_rfc3339("2026-11-25T10:00:00.0000019Z", 28, &us), 0);
	ck_assert_int_eq(us, T0_US + 1);
	ck_assert_int_eq(gwt_parse_rfc3339("2026-11-25 12:00:00+02:00", 25, &us), 0);
	ck_assert_int_eq(us, T0_US);
	ck_assert_int_eq(gwt_parse_rfc3339("2026-11-25T05:30-0430", 21, &us), 0);
	ck_assert_int_eq(us, T0_US);
	ck_assert_int_eq(gwt_parse_rfc3339("2026-11-25", 10, &us), 0);
	ck_assert_int_eq(us, T0_US - 10 * 3600 * SEC);
	ck_assert_int_eq(gwt_parse_rfc3339("1970-01-01T00:00:00Z", 20, &us), 0);
	ck_assert_int_eq(us, 0);
	ck_assert_int_eq(gwt_parse_rfc3339("2024-02-29T00:00:00Z", 20, &us), 0);
	ck_assert_int_eq(us, 1709164800LL * SEC);
	ck_assert_int_eq(gwt_parse_rfc3339("2026-13-01T00:00:00Z", 20, &us), -1);
	ck_assert_int_eq(gwt_parse_rfc3339("2026-11-25T25:00:00Z", 20, &us), -1);
	ck_assert_int_eq(gwt_parse_rfc3339("2026-11-25T10:00:00Q", 20, &us), -1);
	ck_assert_int_eq(gwt_parse_rfc3339("yesterday", 9, &us), -1);

	ck_assert_int_eq(gwt_parse_arg("1h", now, &us), 0);
	ck_assert_int_eq(us, now - 3600 * SEC);
	ck_assert_int_eq(gwt_parse_arg("90s", now, &us), 0);
	ck_assert_int_eq(us, now - 90 * SEC);
	ck_assert_int_eq(gwt_parse_arg("15m", now, &us), 0);
	ck_assert_int_eq(us, now - 900 * SEC);
	ck_assert_int_eq(gwt_parse_arg("2d", now, &us), 0);
	ck_assert_int_eq(us, now - 2 * 86400 * SEC);
	ck_assert_int_eq(gwt_parse_arg("1w", now, &us), 0);
	ck_assert_int_eq(us, now - 7 * 86400 * SEC);
	ck_assert_int_eq(gwt_parse_arg("1.5h", now, &us), 0);
	ck_assert_int_eq(us, now - 5400 * SEC);
	ck_assert_int_eq(gwt_parse_arg("now", now, &us), 0);
	ck_assert_int_eq(us, now);
	ck_assert_int_eq(gwt_parse_arg("@1795600800", now, &us), 0);
	ck_assert_int_eq(us, T0_US);
	ck_assert_int_eq(gwt_parse_arg("2026-11-25T10:00:00Z", now, &us), 0);
	ck_assert_int_eq(us, T0_US);
	/* A bare number could be anything: refused. */
	ck_assert_int_eq(gwt_parse_arg("60", now, &us), -1);
	ck_assert_int_eq(gwt_parse_arg("1 h", now, &us), -1);
	ck_assert_int_eq(gwt_parse_arg("1y", now, &us), -1);
	ck_assert_int_eq(gwt_parse_arg("-1h", now, &us), -1);
	ck_assert_int_eq(gwt_parse_arg("", now, &us), -1);

	ck_assert_int_eq(gwt_parse_duration("500ms", &us), 0);
	ck_assert_int_eq(us, 500000);
	ck_assert_int_eq(gwt_parse_duration("250", &us), 0);
	ck_assert_int_eq(us, 250000);
	ck_assert_int_eq(gwt_parse_duration("2.5s", &us), 0);
	ck_assert_int_eq(us, 2500000);
	ck_assert_int_eq(gwt_parse_duration("1m", &us), 0);
	ck_assert_int_eq(us, 60 * SEC);
	ck_assert_int_eq(gwt_parse_duration("2 s", &us), -1);
	ck_assert_int_eq(gwt_parse_duration("s", &us), -1);
	ck_assert_int_eq(gwt_parse_duration("-5s", &us), -1);
	/* Beyond int64's microseconds: refused, never converted (that is
	 * undefined behaviour, and UBSan in the suite fails on it). */
	ck_assert_int_eq(gwt_parse_duration("1e30", &us), -1);
	ck_assert_int_eq(gwt_parse_duration("1e30d", &us), -1);
}
END_TEST

/*
 * Durations a hostile file may say: a duration_ms whose microseconds
 * overflow is no duration (the guard once let ms * 1000 overflow), and
 * the per-client and per-prefix sums stop at the largest value instead
 * of overflowing.
 */
START_TEST(test_huge_durations)
{
	static const char *const lines[] = {
		"{\"type\":\"gap\",\"id\":\"h-0-1\",\"client\":\"198.18.0.1:1\","
		"\"server\":\"198.18.2.2:7781\",\"start\":\"2026-11-25T09:00:00Z\","
		"\"duration_ms\":9223372036854775}",
		"{\"type\":\"gap\",\"id\":\"h-0-2\",\"client\":\"198.18.0.1:2\","
		"\"server\":\"198.18.2.2:7781\",\"start\":\"2026-11-25T09:00:01Z\","
		"\"duration_ms\":5000000000000000}",
		"{\"type\":\"gap\",\"id\":\"h-0-3\",\"client\":\"198.18.0.1:3\","
		"\"server\":\"198.18.2.2:7781\",\"start\":\"2026-11-25T09:00:02Z\","
		"\"duration_ms\":5000000000000000}",
	};
	struct gw_filter f;
	struct span n = { "9223372036854775", 16, 0 };
	const struct agg_result *r;
	struct agg *a;
	int64_t us;
	size_t k;

	ck_assert_int_eq(span_ms_us(&n, &us), -1);
	n = (struct span){ "9223372036854774.999", 20, 0 };
	ck_assert_int_eq(span_ms_us(&n, &us), -1);
	n = (struct span){ "9223372036853", 13, 0 };
	ck_assert_int_eq(span_ms_us(&n, &us), 0);
	ck_assert_int_eq(us, 9223372036853000LL);
	filter_init(&f);
	a = agg_new(&f, 0, NULL, NULL);
	ck_assert_ptr_nonnull(a);
	for (k = 0; k < sizeof(lines) / sizeof(lines[0]); k++)
		agg_line(a, lines[k], strlen(lines[k]), 0, NULL);
	r = agg_finish(a, T0_US);
	/* The first has no duration: skipped, and counted. */
	ck_assert_uint_eq(r->gaps, 2);
	ck_assert_uint_eq(r->lines.bad_record, 1);
	ck_assert_uint_eq(r->ntop_clients, 1);
	ck_assert_int_eq(r->top_clients[0].silent_us, INT64_MAX);
	ck_assert_int_eq(r->top_prefixes[0].silent_us, INT64_MAX);
	agg_free(a);
	filter_free(&f);
}
END_TEST

START_TEST(test_prefixes)
{
	struct gw_prefix p, g;
	struct in6_addr a;
	uint16_t port;
	struct span s;
	char buf[64];

	ck_assert_int_eq(prefix_parse("198.18.0.0/15", &p), 0);
	ck_assert_uint_eq(p.len, 96 + 15);
	s = (struct span){ "198.19.255.1:7", 14, 0 };
	ck_assert_int_eq(rec_endpoint(&s, &a, &port), 0);
	ck_assert_uint_eq(port, 7);
	ck_assert(prefix_match(&p, &a));
	s = (struct span){ "198.20.0.1:7", 12, 0 };
	ck_assert_int_eq(rec_endpoint(&s, &a, &port), 0);
	ck_assert(!prefix_match(&p, &a));
	/* Bits past the length are masked off. */
	ck_assert_int_eq(prefix_parse("198.18.1.77/24", &p), 0);
	ck_assert_str_eq(prefix_format(&p, buf, sizeof(buf)), "198.18.1.0/24");
	ck_assert_int_eq(prefix_parse("2001:db8:abcd:12::1/48", &p), 0);
	ck_assert_str_eq(prefix_format(&p, buf, sizeof(buf)), "2001:db8:abcd::/48");
	ck_assert_int_eq(prefix_parse("10.0.0.1", &p), 0);
	ck_assert_uint_eq(p.len, 128);
	ck_assert_int_eq(prefix_parse("10.0.0.1/33", &p), -1);
	ck_assert_int_eq(prefix_parse("2001:db8::/129", &p), -1);
	ck_assert_int_eq(prefix_parse("host.example", &p), -1);
	ck_assert_int_eq(prefix_parse("10.0.0.0/", &p), -1);

	s = (struct span){ "[2001:db8:1:2::1]:41000", 23, 0 };
	ck_assert_int_eq(rec_endpoint(&s, &a, &port), 0);
	ck_assert_uint_eq(port, 41000);
	prefix_group(&a, &g);
	ck_assert_str_eq(prefix_format(&g, buf, sizeof(buf)), "2001:db8:1::/48");
	s = (struct span){ "198.18.77.3:1", 13, 0 };
	ck_assert_int_eq(rec_endpoint(&s, &a, &port), 0);
	prefix_group(&a, &g);
	ck_assert_str_eq(prefix_format(&g, buf, sizeof(buf)), "198.18.77.0/24");
	s = (struct span){ "198.18.77.3", 11, 0 };
	ck_assert_int_eq(rec_endpoint(&s, &a, &port), -1);
	s = (struct span){ "[2001:db8::1:80", 15, 0 };
	ck_assert_int_eq(rec_endpoint(&s, &a, &port), -1);
}
END_TEST

/* The scanner and jansson must agree on every line, good or bad. */
static void same(const char *line)
{
	struct gw_rec a, b;
	enum rec_result ra, rb;
	void *keep;
	char x[512], y[512];

	ra = rec_scan(line, strlen(line), &a);
	rb = rec_scan_jansson(line, strlen(line), &b, &keep);
	ck_assert_msg(ra == rb, "scanner says %d, jansson %d: %s", ra, rb, line);
	if (ra == REC_OK) {
		ck_assert_int_eq(a.type, b.type);
		ck_assert_uint_eq(a.has, b.has);
		ck_assert_int_eq(a.start_us, b.start_us);
		ck_assert_int_eq(a.duration_us, b.duration_us);
		ck_assert_int_eq(a.reconnect_delay_us, b.reconnect_delay_us);
		ck_assert_int_eq(a.server_retransmits, b.server_retransmits);
		ck_assert_int_eq(a.cluster_size, b.cluster_size);
		ck_assert_int_eq(a.lost_packets, b.lost_packets);
		ck_assert_str_eq(span_copy(&a.id, x, sizeof(x)), span_copy(&b.id, y, sizeof(y)));
		ck_assert_str_eq(span_copy(&a.cause, x, sizeof(x)),
				 span_copy(&b.cause, y, sizeof(y)));
		ck_assert_str_eq(span_copy(&a.evidence, x, sizeof(x)),
				 span_copy(&b.evidence, y, sizeof(y)));
		ck_assert_str_eq(span_copy(&a.pcap, x, sizeof(x)),
				 span_copy(&b.pcap, y, sizeof(y)));
	}
	if (keep)
		rec_release(keep);
}

START_TEST(test_scanner)
{
	static const char *const lines[] = {
		"{\"type\":\"gap\",\"id\":\"a-0-1\",\"start\":\"2026-11-25T10:00:00.25Z\","
		"\"duration_ms\":4084.636,\"reconnect\":{\"client_port\":5,\"delay_ms\":1e3},"
		"\"cause\":\"x\",\"evidence\":\"tab\\there \\\"q\\\" \\u00e9\\ud83d\\ude00 \\/\","
		"\"server_retransmits\":4,\"pcap\":\"/var/lib/gapwatch/a.pcap\","
		"\"cluster\":{\"id\":\"c1\",\"size\":12,\"first_start\":\"2026-11-25T10:00:00Z\"},"
		"\"inspector\":{\"lost_packets\":true},\"conntrack\":{\"events\":[]},"
		"\"probe\":{\"hops\":[{\"ttl\":1}]},\"new\":[[],{},[{}],-0.5E-3,true,false,null]}",
		"  {\"type\" : \"gap_open\" , \"id\" : \"b\" , \"duration_ms\" : 0.0006 }  ",
		"{\"type\":\"stats\",\"time\":\"2026-11-25T10:00:00Z\",\"uptime_s\":5}",
		"{\"type\":\"gap\",\"duration_ms\":\"soon\",\"start\":12,\"id\":null}",
		"{}",
		"[]",
		"\"just a string\"",
		"42",
		"{\"a\":1,}",
		"{\"a\":tru}",
		"{\"a\":\"x\\q\"}",
		"{\"a\" 1}",
		"{\"a\":1} x",
		"{\"a\":[1,2}",
		"{\"a\":1.}",
		"{\"a\":-}",
		"{\"a\":.5}",
		"{\"a\":\"unterminated}",
		"{\"a\":\"\\u12\"}",
		"{'a':1}",
		"{\"a\":1",
		"",
	};
	size_t k;

	for (k = 0; k < sizeof(lines) / sizeof(lines[0]); k++)
		same(lines[k]);
}
END_TEST

/* Files given newest first (a shell glob): the same gaps, still 1 open. */
START_TEST(test_order)
{
	struct gw_filter f;
	struct agg *a;
	const struct agg_result *r;
	char err[256], first[64];

	/* Newest: the gap records; older: their gap_opens, one unanswered. */
	file_begin();
	gap("gap", "o-0-1", "198.18.1.1:1", "198.18.2.2:7781", 10, 3000,
	    "unknown", "resumed", -1, NULL);
	gap("gap", "o-0-2", "198.18.1.2:1", "198.18.2.2:7781", 20, 4000,
	    "unknown", "resumed", -1, NULL);
	snprintf(first, sizeof(first), "%s", path);
	file_begin();
	gap("gap_open", "o-0-1", "198.18.1.1:1", "198.18.2.2:7781", 10, 1600,
	    "unknown", NULL, -1, NULL);
	gap("gap_open", "o-0-2", "198.18.1.2:1", "198.18.2.2:7781", 20, 1600,
	    "unknown", NULL, -1, NULL);
	gap("gap_open", "o-0-3", "198.18.1.3:1", "198.18.2.2:7781", 30, 1600,
	    "unknown", NULL, -1, NULL);
	filter_init(&f);
	a = agg_new(&f, 0, NULL, NULL);
	ck_assert_int_eq(agg_file(a, first, err, sizeof(err)), 0);
	ck_assert_int_eq(agg_file(a, path, err, sizeof(err)), 0);
	/* And the same file twice: nothing counts twice. */
	ck_assert_int_eq(agg_file(a, path, err, sizeof(err)), 0);
	r = agg_finish(a, T0_US);
	ck_assert_uint_eq(r->gaps, 3);
	ck_assert_uint_eq(r->closed, 2);
	ck_assert_uint_eq(r->open, 1);
	ck_assert_int_eq(r->median_us, MS(3000));
	agg_free(a);
	unlink(first);
	file_end();
}
END_TEST

START_TEST(test_gzip_missing_empty)
{
	struct gw_filter f;
	struct agg *a;
	const struct agg_result *r;
	char err[256], gz[80];
	FILE *in;
	gzFile out;
	char buf[4096];
	size_t n;

	reference_file();
	snprintf(gz, sizeof(gz), "%s.gz", path);
	in = fopen(path, "r");
	out = gzopen(gz, "wb");
	ck_assert_ptr_nonnull(in);
	ck_assert_ptr_nonnull(out);
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
		ck_assert_int_eq(gzwrite(out, buf, (unsigned int)n), (int)n);
	fclose(in);
	ck_assert_int_eq(gzclose(out), Z_OK);

	filter_init(&f);
	a = agg_new(&f, 0, NULL, NULL);
	ck_assert_int_eq(agg_file(a, gz, err, sizeof(err)), 0);
	/* A missing file: an error naming it and the reason. */
	ck_assert_int_eq(agg_file(a, "/nonexistent/gaps.jsonl", err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "/nonexistent/gaps.jsonl"));
	ck_assert_ptr_nonnull(strstr(err, strerror(ENOENT)));
	/* An empty file is no error, and no line. */
	unlink(path);
	file_begin();
	ck_assert_int_eq(agg_file(a, path, err, sizeof(err)), 0);
	r = agg_finish(a, T0_US);
	ck_assert_uint_eq(r->files, 3);
	ck_assert_uint_eq(r->files_failed, 1);
	ck_assert_uint_eq(r->gaps, 10);
	ck_assert_uint_eq(r->open, 1);
	ck_assert_uint_eq(r->lines.truncated, 1);
	ck_assert_uint_eq(r->lines.not_json, 1);
	ck_assert_int_eq(r->median_us, MS(3000));
	agg_free(a);
	unlink(gz);
	file_end();
}
END_TEST

/* Stats counters grow within a run and start again after a restart. */
START_TEST(test_stats_runs)
{
	struct gw_filter f;
	struct agg *a;
	const struct agg_result *r;

	file_begin();
	put("{\"type\":\"stats\",\"time\":\"2026-11-25T10:00:00Z\",\"uptime_s\":60,"
	    "\"flows_created\":10,\"queue_dropped\":1}\n");
	put("{\"type\":\"stats\",\"time\":\"2026-11-25T10:01:00Z\",\"uptime_s\":120,"
	    "\"flows_created\":25,\"queue_dropped\":3}\n");
	/* restart */
	put("{\"type\":\"stats\",\"time\":\"2026-11-25T10:05:00Z\",\"uptime_s\":60,"
	    "\"flows_created\":7,\"queue_dropped\":0,\"report_dropped\":2}\n");
	filter_init(&f);
	a = run(&f, T0_US);
	r = agg_finish(a, T0_US);
	ck_assert_uint_eq(r->stats.records, 3);
	ck_assert_int_eq(r->stats.flows_created, 25 + 7);
	ck_assert_int_eq(r->stats.queue_dropped, 3);
	ck_assert_int_eq(r->stats.report_dropped, 2);
	ck_assert_uint_eq(r->gaps, 0);
	agg_free(a);

	/* From 10:00:30: the first run grew 15 flows, the second 7. */
	filter_init(&f);
	ck_assert_int_eq(gwt_parse_arg("2026-11-25T10:00:30Z", T0_US, &f.since_us), 0);
	a = run(&f, T0_US);
	r = agg_finish(a, T0_US);
	ck_assert_int_eq(r->stats.flows_created, 15 + 7);
	ck_assert_int_eq(r->stats.queue_dropped, 2);
	agg_free(a);
	file_end();
}
END_TEST

START_TEST(test_keep_longest)
{
	struct gw_filter f;
	struct agg *a;
	char *const *l;
	char err[256];
	size_t n;

	reference_file();
	filter_init(&f);
	a = agg_new(&f, 3, NULL, NULL);
	ck_assert_int_eq(agg_file(a, path, err, sizeof(err)), 0);
	agg_finish(a, T0_US);
	l = agg_longest(a, &n);
	/* 10000 (r-0-5), 7000 (r-0-8), 6000 (r-0-9) */
	ck_assert_uint_eq(n, 3);
	ck_assert_ptr_nonnull(strstr(l[0], "\"r-0-5\""));
	ck_assert_ptr_nonnull(strstr(l[1], "\"r-0-8\""));
	ck_assert_ptr_nonnull(strstr(l[2], "\"r-0-9\""));
	agg_free(a);
	file_end();
}
END_TEST

/* The outlier test's tail, against values worked by hand. */
START_TEST(test_poisson_tail)
{
	ck_assert_double_eq(where_poisson_tail(0, 3.0), 1.0);
	ck_assert_double_eq(where_poisson_tail(4, 0.0), 0.0);
	/* P(X >= 1; 1) = 1 - e^-1 */
	ck_assert_double_eq_tol(where_poisson_tail(1, 1.0), 0.6321205588, 1e-9);
	/* P(X >= 3; 2) = 1 - 5 e^-2 */
	ck_assert_double_eq_tol(where_poisson_tail(3, 2.0), 0.3233235838, 1e-9);
	/* P(X >= 10; 20) = 1 - P(X <= 9; 20) */
	ck_assert_double_eq_tol(where_poisson_tail(10, 20.0), 0.9950045877, 1e-9);
	/* Far in the tail, as a planted carrier is: below any bound, not
	 * NaN (it underflows to 0); and far below the mean, 1. */
	ck_assert(where_poisson_tail(7159, 1539.0) < 1e-100);
	ck_assert(!isnan(where_poisson_tail(7159, 1539.0)));
	ck_assert_double_eq_tol(where_poisson_tail(1500, 7159.0), 1.0, 1e-12);
}
END_TEST

/* The spread: Poisson's at phi 1 (and below, never more liberal); at phi
 * 2, P(X >= 10; 5) for 20 gaps where 10 were expected; phi from the MAD
 * of the residuals around their median, robust to an outlier and to a
 * shift of them all; too few groups, 1. */
START_TEST(test_dispersion)
{
	double z[40];
	int i;

	ck_assert_double_eq(where_quasi_tail(20, 10.0, 1.0), where_poisson_tail(20, 10.0));
	ck_assert_double_eq(where_quasi_tail(20, 10.0, 0.5), where_poisson_tail(20, 10.0));
	/* P(X >= 10; 5) = 1 - P(X <= 9; 5) */
	ck_assert_double_eq_tol(where_quasi_tail(20, 10.0, 2.0), 0.0318280573, 1e-9);
	ck_assert_double_eq(where_quasi_tail(0, 10.0, 2.0), 1.0);
	/* -3 .. 3 in steps of 0.3 over 21 groups, all shifted by -5, and
	 * two outliers of +-1000: the median stays -5, the MAD is 1.8 (the
	 * 12th of the 23 deviations), phi (1.4826 x 1.8)^2. */
	for (i = 0; i < 21; i++)
		z[i] = -5.0 + 3.0 * (i - 10) / 10.0;
	z[21] = 1000.0;
	z[22] = -1000.0;
	ck_assert_double_eq_tol(where_dispersion(z, 23),
				pow(1.482602218505602 * 1.8, 2), 1e-9);
	/* Residuals within Poisson's spread: 1, not less. */
	for (i = 0; i < 21; i++)
		z[i] = 0.1 * (i - 10);
	ck_assert_double_eq(where_dispersion(z, 21), 1.0);
	for (i = 0; i < 19; i++)
		z[i] = 10.0 * (i - 9);
	ck_assert_double_eq(where_dispersion(z, 19), 1.0);
}
END_TEST

/* Exposure, gaps and probes of three networks: the rates, the outlier
 * (60 gaps where 34.8 were expected: p 6.7e-5 < 0.001 / 2 tested) and
 * the hop its ladders stop at; a network below the minimum is not
 * tested. */
START_TEST(test_where_outlier)
{
	struct gw_filter f;
	struct agg *a;
	struct where *w;
	const struct where_result *r;
	const struct where_kind_result *k;
	char line[1024];
	struct in6_addr c;
	int i;

	filter_init(&f);
	a = agg_new(&f, 0, NULL, NULL);
	w = where_new(NULL, &f);
	ck_assert_ptr_nonnull(a);
	ck_assert_ptr_nonnull(w);
	agg_set_record_hook(a, where_record, w);
	snprintf(line, sizeof(line), "{\"type\":\"exposure\",\"start\":"
		 "\"2026-12-01T10:00:00.000000Z\",\"end\":\"2026-12-01T11:00:00.000000Z\","
		 "\"by_prefix\":[[\"198.18.1.0/24\",10,360000],[\"198.18.2.0/24\",10,"
		 "360000],[\"198.18.3.0/24\",1,3600],[\"bad\",1,1]]}");
	agg_line(a, line, strlen(line), 0, NULL);
	for (i = 0; i < 70; i++) {
		snprintf(line, sizeof(line), "{\"type\":\"gap\",\"id\":\"g%d\","
			 "\"client\":\"198.18.%d.7:4000\",\"start\":"
			 "\"2026-12-01T10:10:00.000000Z\",\"duration_ms\":5000,"
			 "\"cause\":\"x\",\"outcome\":\"resumed\"}",
			 i, i < 60 ? 1 : i < 68 ? 2 : 3);
		agg_line(a, line, strlen(line), 0, NULL);
	}
	inet_pton(AF_INET6, "::ffff:198.18.1.7", &c);
	where_probe(w, &c, "203.0.113.1", 1);
	where_probe(w, &c, "203.0.113.1", 0);
	r = where_finish(w, agg_finish(a, 0));
	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(r->have_exposure, 1);
	ck_assert_uint_eq(r->exposure_bad, 1);
	ck_assert_uint_eq(r->gaps, 70);
	/* 70 gaps over 201 player-hours */
	ck_assert_double_eq_tol(r->rate, 70.0 / 201.0 * 1000.0, 1e-9);
	k = &r->kind[WHERE_PREFIX];
	ck_assert_uint_eq(k->groups, 3);
	ck_assert_uint_eq(k->tested, 2);
	ck_assert_uint_eq(k->outliers, 1);
	ck_assert_str_eq(k->rows[0].name, "198.18.1.0/24");
	ck_assert_int_eq(k->rows[0].outlier, 1);
	ck_assert_double_eq_tol(k->rows[0].p, 6.696489e-05, 1e-9);
	ck_assert_double_eq_tol(k->rows[0].excess, 60.0 - 7000.0 / 201.0, 1e-9);
	/* 2 gaps where 0.35 were expected: too few players to test. */
	ck_assert_str_eq(k->rows[1].name, "198.18.3.0/24");
	ck_assert_int_eq(k->rows[1].tested, 0);
	ck_assert_int_eq(k->rows[1].outlier, 0);
	k = &r->kind[WHERE_HOP];
	ck_assert_uint_eq(k->n, 1);
	ck_assert_str_eq(k->rows[0].name, "203.0.113.1");
	ck_assert_uint_eq(k->rows[0].gaps, 60);
	ck_assert_int_eq(k->rows[0].outlier, 1);
	ck_assert_uint_eq(k->rows[0].ladders, 2);
	ck_assert_uint_eq(k->rows[0].state_lost, 1);
	where_free(w);
	agg_free(a);
	filter_free(&f);
}
END_TEST

/* A record's text on a terminal: C0, DEL and C1 controls become '?',
 * the rest (UTF-8 included) stays; through a jansson record's strings. */
START_TEST(test_printable)
{
	char s[] = "a\x1b[31mb\x07" "c\x7f d\xc2\x9b" "2J \xc2\xa0\xc3\xa9 \xe2\x82\xac\n";
	json_t *o;
	const char *v;

	ck_assert_str_eq(printable_fix(s), "a?[31mb?c? d?2J \xc2\xa0\xc3\xa9 \xe2\x82\xac?");
	o = json_loads("{\"a\":\"x\\u001b]0;t\\u0007\",\"b\":[1,\"\\u0085y\",{\"c\":\"ok\"}]}",
		       0, NULL);
	ck_assert_ptr_nonnull(o);
	ck_assert_int_eq(printable_json(o), 0);
	ck_assert_str_eq(json_string_value(json_object_get(o, "a")), "x?]0;t?");
	v = json_string_value(json_array_get(json_object_get(o, "b"), 1));
	ck_assert_str_eq(v, "?y");
	v = json_string_value(json_object_get(json_array_get(json_object_get(o, "b"), 2), "c"));
	ck_assert_str_eq(v, "ok");
	json_decref(o);
}
END_TEST

static Suite *gapwatch_report_suite(void)
{
	Suite *s = suite_create("gapwatch_report");
	TCase *tc;

	tc = tcase_create("parse");
	tcase_add_test(tc, test_percentile);
	tcase_add_test(tc, test_times);
	tcase_add_test(tc, test_huge_durations);
	tcase_add_test(tc, test_prefixes);
	tcase_add_test(tc, test_scanner);
	tcase_add_test(tc, test_printable);
	suite_add_tcase(s, tc);

	tc = tcase_create("aggregate");
	tcase_add_test(tc, test_counts);
	tcase_add_test(tc, test_prefix_groups);
	tcase_add_test(tc, test_filters);
	tcase_add_test(tc, test_since_window);
	tcase_add_test(tc, test_order);
	tcase_add_test(tc, test_gzip_missing_empty);
	tcase_add_test(tc, test_stats_runs);
	tcase_add_test(tc, test_keep_longest);
	tcase_add_test(tc, test_poisson_tail);
	tcase_add_test(tc, test_dispersion);
	tcase_add_test(tc, test_where_outlier);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(gapwatch_report_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
