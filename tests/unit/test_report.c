/*
 * test_report.c - JSON records and the report writer (src/report.c).
 *
 * Records are filled by hand, so every expected value is visible here;
 * the file tests go through the writer thread and read the file back.
 */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cause.h"
#include "correlate.h"
#include "engine.h"
#include "probe.h"
#include "report.h"
#include "schema.h"
#include "timefmt.h"

#define START_US	1700000000123456ULL	/* 2023-11-14T22:13:20.123456Z */

static void v4(struct in6_addr *a, const char *text)
{
	memset(a, 0, sizeof(*a));
	a->s6_addr[10] = 0xff;
	a->s6_addr[11] = 0xff;
	ck_assert_int_eq(inet_pton(AF_INET, text, &a->s6_addr[12]), 1);
}

/* A closed TCP gap that ended in a reconnect. */
static void fill_closed(struct gap_record *r)
{
	memset(r, 0, sizeof(*r));
	r->seq = 42;
	r->queue = 3;
	r->is_open_event = 0;
	r->silent = SILENT_CLIENT;
	r->outcome = OUTCOME_RECONNECTED;
	r->cause = CAUSE_PATH_LOSS_TO_SERVER;
	v4(&r->key.client, "198.18.0.1");
	v4(&r->key.server, "198.18.2.2");
	r->key.client_port = 40000;
	r->key.server_port = 7781;
	r->key.proto = IPPROTO_TCP;
	r->start_us = START_US;
	r->end_us = START_US + 9123456;		/* 9123.456 ms */
	r->detected_us = START_US + 1500000;
	r->threshold_us = 1500000;
	r->expected_interval_us = 500000;
	r->side[SIDE_CLIENT].last_packet_us = START_US;
	r->side[SIDE_SERVER].last_packet_us = START_US + 2600000;
	r->side[SIDE_CLIENT].packets = 0;
	r->side[SIDE_SERVER].packets = 5;
	r->side[SIDE_SERVER].retransmits = 3;
	r->side[SIDE_CLIENT].dup_acks = 1;
	r->side[SIDE_SERVER].dup_acks = 2;
	r->side[SIDE_SERVER].zero_windows = 4;
	r->side[SIDE_SERVER].bytes_in_flight = 30;
	r->side[SIDE_CLIENT].ttl_before = 50;
	r->side[SIDE_CLIENT].ttl_after = 51;
	r->side[SIDE_SERVER].ttl_before = 60;
	r->side[SIDE_SERVER].ttl_after = 60;
	r->reconnect_port = 40001;
	r->reconnect_delay_us = 3400000;
	r->reconnect_candidates = 3;
	r->reconnect_method = RECONNECT_DELAY;
	r->reconnect_confidence = CONFIDENCE_HIGH;
	r->inspector.queue_dropped = 0;
	r->inspector.user_dropped = 0;
	snprintf(r->evidence, sizeof(r->evidence), "%s",
		 "no client packets arrived while the server retransmitted 3 times");
}

static const char *str(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);

	ck_assert_msg(v != NULL, "no field %s", k);
	ck_assert_msg(json_is_string(v), "field %s is not a string", k);
	return json_string_value(v);
}

static json_int_t num(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);

	ck_assert_msg(v != NULL, "no field %s", k);
	ck_assert_msg(json_is_integer(v), "field %s is not an integer", k);
	return json_integer_value(v);
}

static double real(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);

	ck_assert_msg(v != NULL, "no field %s", k);
	ck_assert_msg(json_is_real(v), "field %s is not a real", k);
	return json_real_value(v);
}

static void is_null(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);

	ck_assert_msg(v != NULL, "no field %s", k);
	ck_assert_msg(json_is_null(v), "field %s is not null", k);
}

START_TEST(test_time_format)
{
	char buf[40];

	ck_assert_str_eq(timefmt_rfc3339(START_US, 1, buf, sizeof(buf)),
			 "2023-11-14T22:13:20.123456Z");
	ck_assert_str_eq(timefmt_rfc3339(1700000000000001ULL, 1, buf, sizeof(buf)),
			 "2023-11-14T22:13:20.000001Z");
	ck_assert_str_eq(timefmt_rfc3339(0, 1, buf, sizeof(buf)),
			 "1970-01-01T00:00:00.000000Z");
	/* A leap day, and the last microsecond of a year. */
	ck_assert_str_eq(timefmt_rfc3339(951782400000000ULL, 1, buf, sizeof(buf)),
			 "2000-02-29T00:00:00.000000Z");
	ck_assert_str_eq(timefmt_rfc3339(1704067199999999ULL, 1, buf, sizeof(buf)),
			 "2023-12-31T23:59:59.999999Z");
}
END_TEST

/* s begins with the literal p. */
#define ck_assert_str_eq_prefix(s, p) \
	ck_assert_msg(strncmp((s), (p), sizeof(p) - 1) == 0, "%s does not begin with %s", (s), (p))

START_TEST(test_gap_json_closed)
{
	struct gap_record r;
	json_t *o, *v;

	static const char *const keys[] = {
		"type", "id", "proto", "client", "server", "start", "end",
		"detected", "duration_ms", "threshold_ms", "expected_interval_ms",
		"silent", "last_client_packet", "last_server_packet",
		"client_packets", "server_packets", "client_retransmits",
		"server_retransmits", "dup_acks", "zero_windows",
		"bytes_in_flight", "ttl", "outcome", "reconnect", "cause",
		"evidence", "explanation", "next_step", "inspector", "queue",
		"trigger", "big_retransmits", "invalid", "conntrack", "cluster",
		"pcap", "local_drops", "server_counters",
	};
	size_t k;

	fill_closed(&r);
	o = report_gap_json(&r, NULL, "RUN");
	ck_assert_ptr_nonnull(o);
	/* The schema: exactly these fields. */
	for (k = 0; k < GW_ARRAY_SIZE(keys); k++)
		ck_assert_msg(json_object_get(o, keys[k]) != NULL, "no field %s",
			      keys[k]);
	ck_assert_uint_eq(json_object_size(o), GW_ARRAY_SIZE(keys));
	ck_assert_str_eq(str(o, "type"), "gap");
	ck_assert_str_eq(str(o, "id"), "RUN-3-42");
	ck_assert_str_eq(str(o, "proto"), "tcp");
	ck_assert_str_eq(str(o, "client"), "198.18.0.1:40000");
	ck_assert_str_eq(str(o, "server"), "198.18.2.2:7781");
	ck_assert_str_eq(str(o, "start"), "2023-11-14T22:13:20.123456Z");
	ck_assert_str_eq(str(o, "end"), "2023-11-14T22:13:29.246912Z");
	ck_assert_str_eq(str(o, "detected"), "2023-11-14T22:13:21.623456Z");
	ck_assert(real(o, "duration_ms") == 9123.456);
	ck_assert(real(o, "threshold_ms") == 1500.0);
	ck_assert(real(o, "expected_interval_ms") == 500.0);
	ck_assert_str_eq(str(o, "silent"), "client");
	ck_assert_str_eq(str(o, "outcome"), "reconnected");
	ck_assert_str_eq(str(o, "last_client_packet"), "2023-11-14T22:13:20.123456Z");
	ck_assert_str_eq(str(o, "last_server_packet"), "2023-11-14T22:13:22.723456Z");
	ck_assert_int_eq(num(o, "client_packets"), 0);
	ck_assert_int_eq(num(o, "server_packets"), 5);
	ck_assert_int_eq(num(o, "client_retransmits"), 0);
	ck_assert_int_eq(num(o, "server_retransmits"), 3);
	ck_assert_int_eq(num(o, "dup_acks"), 3);
	ck_assert_int_eq(num(o, "zero_windows"), 4);
	ck_assert_int_eq(num(o, "queue"), 3);

	v = json_object_get(o, "bytes_in_flight");
	ck_assert(json_is_object(v));
	ck_assert_int_eq(num(v, "client"), 0);
	ck_assert_int_eq(num(v, "server"), 30);

	v = json_object_get(o, "reconnect");
	ck_assert(json_is_object(v));
	ck_assert_int_eq(num(v, "client_port"), 40001);
	ck_assert(real(v, "delay_ms") == 3400.0);
	ck_assert_int_eq(num(v, "candidates"), 3);
	ck_assert_str_eq(str(v, "method"), "delay");
	ck_assert_str_eq(str(v, "confidence"), "high");
	ck_assert_uint_eq(json_object_size(v), 5);

	ck_assert_str_eq(str(o, "cause"), "path_loss_to_server");
	ck_assert_str_eq(str(o, "evidence"), r.evidence);
	ck_assert_str_eq(str(o, "explanation"),
			 cause_explanation(CAUSE_PATH_LOSS_TO_SERVER));
	ck_assert_str_eq(str(o, "next_step"),
			 cause_next_step(CAUSE_PATH_LOSS_TO_SERVER));
	ck_assert_uint_gt(strlen(str(o, "explanation")), 0);
	ck_assert_uint_gt(strlen(str(o, "next_step")), 0);

	v = json_object_get(o, "inspector");
	ck_assert(json_is_object(v));
	ck_assert_int_eq(num(v, "queue_dropped"), 0);
	ck_assert_int_eq(num(v, "user_dropped"), 0);
	ck_assert_int_eq(num(v, "enobufs"), 0);
	ck_assert_int_eq(num(v, "truncated"), 0);
	ck_assert(json_is_false(json_object_get(v, "lost_packets")));
	ck_assert_int_eq(num(v, "unseen"), 0);
	ck_assert_int_eq(num(v, "id_holes"), 0);
	ck_assert_int_eq(num(v, "stalls"), 0);

	v = json_object_get(o, "ttl");
	ck_assert(json_is_object(v));
	ck_assert_int_eq(num(v, "client_before"), 50);
	ck_assert_int_eq(num(v, "client_after"), 51);
	ck_assert_int_eq(num(v, "server_before"), 60);
	ck_assert_int_eq(num(v, "server_after"), 60);
	json_decref(o);
}
END_TEST

START_TEST(test_gap_json_ipv6_udp)
{
	struct gap_record r;
	json_t *o, *v;

	fill_closed(&r);
	memset(&r.key.client, 0, sizeof(r.key.client));
	memset(&r.key.server, 0, sizeof(r.key.server));
	ck_assert_int_eq(inet_pton(AF_INET6, "2001:db8::1", &r.key.client), 1);
	ck_assert_int_eq(inet_pton(AF_INET6, "2001:db8:2::2", &r.key.server), 1);
	r.key.proto = IPPROTO_UDP;
	r.outcome = OUTCOME_RESUMED;
	r.cause = CAUSE_UNKNOWN;
	r.silent = SILENT_BOTH;
	r.side[SIDE_SERVER].ttl_after = 0;	/* unknown */
	o = report_gap_json(&r, NULL, "RUN");
	ck_assert_ptr_nonnull(o);
	ck_assert_str_eq(str(o, "client"), "[2001:db8::1]:40000");
	ck_assert_str_eq(str(o, "server"), "[2001:db8:2::2]:7781");
	ck_assert_str_eq(str(o, "proto"), "udp");
	ck_assert_str_eq(str(o, "outcome"), "resumed");
	ck_assert_str_eq(str(o, "silent"), "both");
	ck_assert_str_eq(str(o, "cause"), "unknown");
	is_null(o, "reconnect");
	v = json_object_get(o, "ttl");
	is_null(v, "server_after");
	json_decref(o);
}
END_TEST

START_TEST(test_gap_json_open)
{
	struct gap_record r;
	json_t *o, *v;

	fill_closed(&r);
	r.is_open_event = 1;
	r.outcome = OUTCOME_NONE;
	r.reconnect_port = 0;
	r.reconnect_delay_us = 0;
	r.end_us = r.detected_us;
	o = report_gap_json(&r, NULL, "RUN");
	ck_assert_ptr_nonnull(o);
	ck_assert_str_eq(str(o, "type"), "gap_open");
	ck_assert_str_eq(str(o, "id"), "RUN-3-42");
	ck_assert_str_eq(str(o, "start"), "2023-11-14T22:13:20.123456Z");
	is_null(o, "end");
	is_null(o, "outcome");
	is_null(o, "reconnect");
	ck_assert_str_eq(str(o, "detected"), "2023-11-14T22:13:21.623456Z");
	/* So far: from the start to the detection. */
	ck_assert(real(o, "duration_ms") == 1500.0);
	v = json_object_get(o, "ttl");
	ck_assert_int_eq(num(v, "client_before"), 50);
	is_null(v, "client_after");
	is_null(v, "server_after");
	json_decref(o);
}
END_TEST

START_TEST(test_gap_json_outcomes_causes)
{
	static const struct {
		enum gap_outcome o;
		const char *name;
	} outcomes[] = {
		{ OUTCOME_RESUMED, "resumed" },
		{ OUTCOME_CLIENT_RST, "client_rst" },
		{ OUTCOME_SERVER_RST, "server_rst" },
		{ OUTCOME_FIN, "fin" },
		{ OUTCOME_EXPIRED, "expired" },
		{ OUTCOME_RECONNECTED, "reconnected" },
		{ OUTCOME_EVICTED, "evicted" },
		{ OUTCOME_OPEN_AT_EXIT, "open_at_exit" },
	};
	static const struct {
		enum gap_cause c;
		const char *name;
	} causes[] = {
		{ CAUSE_INSPECTOR_LOSS, "inspector_loss" },
		{ CAUSE_PATH_LOSS_TO_SERVER, "path_loss_to_server" },
		{ CAUSE_PATH_LOSS_TO_CLIENT, "path_loss_to_client" },
		{ CAUSE_CLIENT_APP_STALL, "client_app_stall" },
		{ CAUSE_SERVER_APP_STALL, "server_app_stall" },
		{ CAUSE_UNKNOWN, "unknown" },
	};
	struct gap_record r;
	json_t *o, *v;
	size_t k;

	fill_closed(&r);
	for (k = 0; k < GW_ARRAY_SIZE(outcomes); k++) {
		r.outcome = outcomes[k].o;
		o = report_gap_json(&r, NULL, "R");
		ck_assert_str_eq(str(o, "outcome"), outcomes[k].name);
		v = json_object_get(o, "reconnect");
		ck_assert(r.outcome == OUTCOME_RECONNECTED ? json_is_object(v) :
							     json_is_null(v));
		json_decref(o);
	}
	for (k = 0; k < GW_ARRAY_SIZE(causes); k++) {
		r.cause = causes[k].c;
		o = report_gap_json(&r, NULL, "R");
		ck_assert_str_eq(str(o, "cause"), causes[k].name);
		ck_assert_str_eq(cause_name(causes[k].c), causes[k].name);
		ck_assert_uint_gt(strlen(str(o, "explanation")), 0);
		ck_assert_uint_gt(strlen(str(o, "next_step")), 0);
		v = json_object_get(o, "inspector");
		ck_assert(json_is_boolean(json_object_get(v, "lost_packets")));
		ck_assert_int_eq(json_is_true(json_object_get(v, "lost_packets")),
				 causes[k].c == CAUSE_INSPECTOR_LOSS);
		json_decref(o);
	}
}
END_TEST

START_TEST(test_gap_json_inspector)
{
	struct gap_record r;
	json_t *o, *v;

	fill_closed(&r);
	r.inspector.queue_dropped = 7;
	r.inspector.user_dropped = 1;
	r.inspector.enobufs = 5000000000ULL;	/* beyond 32 bits */
	r.inspector.truncated = 2;
	cause_classify(&r);
	ck_assert_int_eq(r.cause, CAUSE_INSPECTOR_LOSS);
	o = report_gap_json(&r, NULL, "RUN");
	ck_assert_str_eq(str(o, "cause"), "inspector_loss");
	v = json_object_get(o, "inspector");
	ck_assert_int_eq(num(v, "queue_dropped"), 7);
	ck_assert_int_eq(num(v, "user_dropped"), 1);
	ck_assert_int_eq(num(v, "enobufs"), 5000000000LL);
	ck_assert_int_eq(num(v, "truncated"), 2);
	ck_assert(json_is_true(json_object_get(v, "lost_packets")));
	ck_assert_ptr_nonnull(strstr(str(o, "evidence"), "queue_dropped 7"));
	json_decref(o);
}
END_TEST

/* --- the writer --- */

static char *tmp_path(char *buf, size_t len, const char *name)
{
	const char *dir = getenv("TMPDIR");

	snprintf(buf, len, "%s/gapwatch-test-report-%ld-%s",
		 dir ? dir : "/tmp", (long)getpid(), name);
	unlink(buf);
	return buf;
}

/* Read path into lines; returns the number of lines. */
static int read_lines(const char *path, char lines[][4096], int max)
{
	FILE *f = fopen(path, "r");
	int n = 0;

	ck_assert_msg(f != NULL, "cannot read %s", path);
	while (n < max && fgets(lines[n], 4096, f) != NULL) {
		size_t l = strlen(lines[n]);

		ck_assert_msg(l > 0 && lines[n][l - 1] == '\n',
			      "line %d is not terminated", n + 1);
		lines[n][l - 1] = '\0';
		n++;
	}
	ck_assert(feof(f));
	fclose(f);
	return n;
}

START_TEST(test_report_file)
{
	static char lines[8][4096];
	struct correlate_counters cc;
	struct report_stats st;
	char path[512], err[256];
	struct report *rep;
	struct gap_record r;
	json_error_t jerr;
	json_t *o;
	int n, k;

	tmp_path(path, sizeof(path), "gaps.jsonl");
	rep = report_open(path, "RUN", err, sizeof(err));
	ck_assert_msg(rep != NULL, "report_open: %s", err);
	report_set_host(rep, "h1");
	fill_closed(&r);
	r.is_open_event = 1;
	r.outcome = OUTCOME_NONE;
	ck_assert_int_eq(report_gap(rep, &r, NULL), 0);
	r.is_open_event = 0;
	r.outcome = OUTCOME_RECONNECTED;
	ck_assert_int_eq(report_gap(rep, &r, NULL), 0);
	r.seq = 43;
	r.outcome = OUTCOME_RESUMED;
	ck_assert_int_eq(report_gap(rep, &r, NULL), 0);
	memset(&cc, 0, sizeof(cc));
	memset(&st, 0, sizeof(st));
	st.corr = &cc;
	st.flows = 12;
	ck_assert_int_eq(report_stats(rep, &st), 0);
	ck_assert_uint_eq(report_dropped(rep), 0);
	report_close(rep);

	n = read_lines(path, lines, 8);
	ck_assert_int_eq(n, 4);
	for (k = 0; k < n; k++) {
		o = json_loads(lines[k], 0, &jerr);
		ck_assert_msg(o != NULL, "line %d: %s", k + 1, jerr.text);
		ck_assert(json_is_object(o));
		/* One object per line: nothing after it, no newline inside. */
		ck_assert_ptr_null(strchr(lines[k], '\n'));
		switch (k) {
		case 0:
			ck_assert_str_eq(str(o, "type"), "gap_open");
			ck_assert_str_eq(str(o, "id"), "RUN-3-42");
			break;
		case 1:
			ck_assert_str_eq(str(o, "type"), "gap");
			ck_assert_str_eq(str(o, "id"), "RUN-3-42");
			ck_assert_str_eq(str(o, "outcome"), "reconnected");
			break;
		case 2:
			ck_assert_str_eq(str(o, "id"), "RUN-3-43");
			ck_assert_str_eq(str(o, "outcome"), "resumed");
			break;
		case 3:
			ck_assert_str_eq(str(o, "type"), "stats");
			ck_assert_int_eq(num(o, "flows"), 12);
			break;
		}
		json_decref(o);
	}
	/* The exact text of the numbers: milliseconds with 3 decimals. */
	ck_assert_ptr_nonnull(strstr(lines[1], "\"duration_ms\":9123.456"));
	ck_assert_ptr_nonnull(strstr(lines[1], "\"type\":\"gap\""));
	/* Field order is stable: type, schema, host and id first. */
	ck_assert_str_eq_prefix(lines[1], "{\"type\":\"gap\",\"schema\":1,\"host\":\"h1\",\"id\":\"RUN-3-42\"");

	/* Appends, never truncates. */
	rep = report_open(path, "RUN2", err, sizeof(err));
	ck_assert_ptr_nonnull(rep);
	ck_assert_int_eq(report_gap(rep, &r, NULL), 0);
	report_close(rep);
	n = read_lines(path, lines, 8);
	ck_assert_int_eq(n, 5);
	ck_assert_ptr_nonnull(strstr(lines[4], "\"id\":\"RUN2-3-43\""));
	unlink(path);
}
END_TEST

/*
 * Long gaps keep their microseconds: a flow may be silent for up to
 * --flow-timeout (86400 s at most) before it expires, and the writer's
 * text must still say the duration to the microsecond.
 */
START_TEST(test_report_long_duration)
{
	static char lines[4][4096];
	char path[512], err[256];
	struct report *rep;
	struct gap_record r;

	tmp_path(path, sizeof(path), "long.jsonl");
	rep = report_open(path, "RUN", err, sizeof(err));
	ck_assert_ptr_nonnull(rep);
	fill_closed(&r);
	r.outcome = OUTCOME_EXPIRED;
	r.end_us = r.start_us + 12345678901ULL;		/* 3 h 25 min */
	r.threshold_us = 1500000;
	ck_assert_int_eq(report_gap(rep, &r, NULL), 0);
	r.end_us = r.start_us + 86400000001ULL;		/* a day and 1 us */
	ck_assert_int_eq(report_gap(rep, &r, NULL), 0);
	report_close(rep);
	ck_assert_int_eq(read_lines(path, lines, 4), 2);
	ck_assert_msg(strstr(lines[0], "\"duration_ms\":12345678.901,") != NULL,
		      "got %.30s", strstr(lines[0], "\"duration_ms\""));
	ck_assert_msg(strstr(lines[1], "\"duration_ms\":86400000.001,") != NULL,
		      "got %.30s", strstr(lines[1], "\"duration_ms\""));
	ck_assert_ptr_nonnull(strstr(lines[0], "\"threshold_ms\":1500.0,"));
	unlink(path);
}
END_TEST

START_TEST(test_report_reopen)
{
	static char lines[8][4096];
	char path[512], old[512], err[256];
	struct report *rep;
	struct gap_record r;
	struct stat st;
	int n, tries;

	tmp_path(path, sizeof(path), "rot.jsonl");
	tmp_path(old, sizeof(old), "rot.jsonl.1");
	rep = report_open(path, "RUN", err, sizeof(err));
	ck_assert_ptr_nonnull(rep);
	fill_closed(&r);
	ck_assert_int_eq(report_gap(rep, &r, NULL), 0);
	/* Wait for the writer to have written it. */
	for (tries = 0; tries < 500; tries++) {
		if (stat(path, &st) == 0 && st.st_size > 0)
			break;
		usleep(10000);
	}
	ck_assert_int_gt(st.st_size, 0);
	ck_assert_int_eq(rename(path, old), 0);
	report_reopen(rep);
	for (tries = 0; tries < 500; tries++) {
		if (stat(path, &st) == 0)
			break;
		usleep(10000);
	}
	ck_assert_int_eq(stat(path, &st), 0);
	r.seq = 43;
	ck_assert_int_eq(report_gap(rep, &r, NULL), 0);
	report_close(rep);

	n = read_lines(old, lines, 8);
	ck_assert_int_eq(n, 1);
	ck_assert_ptr_nonnull(strstr(lines[0], "\"id\":\"RUN-3-42\""));
	n = read_lines(path, lines, 8);
	ck_assert_int_eq(n, 1);
	ck_assert_ptr_nonnull(strstr(lines[0], "\"id\":\"RUN-3-43\""));
	unlink(path);
	unlink(old);
}
END_TEST

/*
 * The stats record, to the byte: the text gapwatchd wrote before its
 * encoding moved here (a live daemon with conntrack and --probe, no
 * traffic yet), so that readers keep their fields and order.
 */
START_TEST(test_report_stats_text)
{
	static const char expected[] =
		"{\"type\":\"stats\",\"schema\":1,\"host\":\"h1\",\"time\":\"2023-11-14T22:13:20.123456Z\",\"u"
		"ptime_s\":1,\"queues\":1,\"packets\":0,\"bytes\":0,\"unmatched\""
		":0,\"flows_created\":0,\"flows_expired\":0,\"flows_evicted\":0,\""
		"gaps_opened\":0,\"gaps_closed\":0,\"reconnects\":0,\"retransmits"
		"\":0,\"invalid\":0,\"evidence_lost\":0,\"timers_fired\":0,\"pars"
		"e_errors\":{\"truncated\":0,\"malformed\":0,\"not_tcp_udp\":0,\""
		"fragment\":0,\"ext_limit\":0},\"flows\":0,\"gaps_open\":0,\"queu"
		"e_received\":0,\"verdict_batches\":0,\"verdict_errors\":0,\"enob"
		"ufs\":0,\"truncated\":0,\"recv_errors\":0,\"bad_messages\":0,\"q"
		"ueue_dropped\":0,\"user_dropped\":0,\"unseen\":0,\"id_holes\":0"
		",\"stalls\":0,\"rule_counter_errors\":0,\"blind_intervals\":0,\"blind_missed\":0,\"blind_ms\":0,\"stall_max_ms\":0.0,\"signals\":{\"unseen\":false,"
		"\"id_holes\":false,\"stalls\":false},\"report_dropped\":0,\"repor"
		"t_write_errors\":0,\"exposure_dropped\":0,\"conntrack\":{\"events\":0,\"events_ignored\""
		":0,\"enobufs\":0,\"resyncs\":0,\"queries\":2,\"query_errors\":0,"
		"\"tracked\":0,\"evicted\":0,\"count\":0,\"max\":262144,\"fill\":"
		"0.0,\"kernel_filter\":true,\"correlate_queue_full\":0,\"open_loo"
		"kups_lost\":0},\"pcap\":{\"written\":0,\"write_errors\":0,\"remo"
		"ved\":0,\"bytes\":0,\"dropped\":0,\"truncated\":0},\"probe\":{\"gaps_"
		"considered\""
		":0,\"skipped_cause\":0,\"skipped_tcp_unknown\":0,\"skipped_famil"
		"y\":0,\"limit_ladders\":0,\"limit_ladder_interval\":0,\"limit_cl"
		"ient\":0,\"limit_rate\":0,\"ladders_started\":0,\"ladders_done\""
		":0,\"probes_sent\":0,\"send_errors\":0,\"icmp_received\":0,\"icm"
		"p_matched\":0,\"icmp_truncated\":0,\"icmp_not_ours\":0,\"icmp_un"
		"matched\":0,\"client_answers\":0,\"recv_errors\":0,\"results_evi"
		"cted\":0},\"drop_watch\":{\"on\":false,\"off_reason\":\"--no-drop-"
		"watch\",\"events\":0,\"lost\":0,\"not_game\":0}}";
	static char lines[4][4096];
	struct correlate_counters cc;
	struct report_stats st;
	char path[512], err[256];
	struct report *rep;

	memset(&cc, 0, sizeof(cc));
	cc.conntrack = 1;
	cc.probing = 1;
	cc.ct.queries = 2;
	cc.ct.max = 262144;
	cc.ct.kernel_filter = 1;
	snprintf(cc.drop_watch_off, sizeof(cc.drop_watch_off), "--no-drop-watch");
	memset(&st, 0, sizeof(st));
	st.wall_us = START_US;
	st.uptime_s = 1;
	st.queues = 1;
	st.corr = &cc;
	tmp_path(path, sizeof(path), "stats.jsonl");
	rep = report_open(path, "RUN", err, sizeof(err));
	ck_assert_msg(rep != NULL, "report_open: %s", err);
	report_set_host(rep, "h1");
	ck_assert_int_eq(report_stats(rep, &st), 0);
	/* Counters land where they belong; conntrack and probe go null. */
	st.engine[EC_PARSE_FRAGMENT] = 7;
	st.engine[EC_TIMERS_FIRED] = 8;
	st.queue.bad_messages = 9;
	cc.conntrack = 0;
	cc.probing = 0;
	cc.evidence_dropped = 5;
	ck_assert_int_eq(report_stats(rep, &st), 0);
	report_close(rep);
	ck_assert_int_eq(read_lines(path, lines, 4), 2);
	ck_assert_str_eq(lines[0], expected);
	ck_assert_ptr_nonnull(strstr(lines[1], "\"timers_fired\":8,\"parse_errors\":"
				     "{\"truncated\":0,\"malformed\":0,"
				     "\"not_tcp_udp\":0,\"fragment\":7,"));
	ck_assert_ptr_nonnull(strstr(lines[1], "\"bad_messages\":9,"));
	ck_assert_ptr_nonnull(strstr(lines[1], "\"conntrack\":null,"));
	ck_assert_ptr_nonnull(strstr(lines[1], "\"dropped\":5,\"truncated\":0},\"probe\":null,"));
	unlink(path);
}
END_TEST

/* The result of a ladder: TTL 1-2 answer on both ladders, the control
 * reaches the client (unreachable) at TTL 4, the flow dies after 2. */
static void fill_probe(struct probe_result *res)
{
	static const char *const router[] = { NULL, "198.18.4.1", "198.18.3.1",
					      "198.18.2.1", "198.18.1.2" };
	int ttl;

	memset(res, 0, sizeof(*res));
	res->queue = 3;
	res->seq = 42;
	res->key.proto = IPPROTO_TCP;
	v4(&res->key.client, "198.18.1.2");
	v4(&res->key.server, "198.18.4.2");
	res->key.client_port = 40000;
	res->key.server_port = 7781;
	res->control_port = 7782;
	res->sent[LADDER_FLOW] = 5;
	res->sent[LADDER_CONTROL] = 5;
	for (ttl = 1; ttl <= 4; ttl++) {
		struct probe_hop *c = &res->hops[LADDER_CONTROL][ttl];

		c->answered = 1;
		c->rtt_us = 9999;
		v4(&c->addr, router[ttl]);
		if (ttl <= 2)
			res->hops[LADDER_FLOW][ttl] = *c;
	}
	res->hops[LADDER_CONTROL][4].client = 1;
	res->hops[LADDER_CONTROL][4].unreachable = 1;
	res->last_hop[LADDER_FLOW] = 2;
	res->last_hop[LADDER_CONTROL] = 4;
	res->reached[LADDER_CONTROL] = 4;
	res->duration_us = 1200000;
	snprintf(res->verdict, sizeof(res->verdict), "%s",
		 "this flow's packets are dropped after hop 2 (198.18.3.1); a "
		 "fresh flow passes the same hop and reaches the client");
}

/*
 * A ladder's result, to the byte as the prober wrote it before: alone in
 * the probe record (the gap's id first), and as the "probe" object that
 * closes the gap's record.
 */
START_TEST(test_report_probe_text)
{
	static const char result[] =
		"{\"proto\":\"tcp\",\"client\":\"198.18.1.2:40000\",\"server\":\""
		"198.18.4.2:7781\",\"control_port\":7782,\"flow\":[{\"ttl\":1,\"r"
		"esponder\":\"198.18.4.1\",\"rtt_ms\":9.999},{\"ttl\":2,\"respond"
		"er\":\"198.18.3.1\",\"rtt_ms\":9.999},{\"ttl\":3,\"responder\":n"
		"ull},{\"ttl\":4,\"responder\":null},{\"ttl\":5,\"responder\":nul"
		"l}],\"control\":[{\"ttl\":1,\"responder\":\"198.18.4.1\",\"rtt_m"
		"s\":9.999},{\"ttl\":2,\"responder\":\"198.18.3.1\",\"rtt_ms\":9."
		"999},{\"ttl\":3,\"responder\":\"198.18.2.1\",\"rtt_ms\":9.999},{"
		"\"ttl\":4,\"responder\":\"198.18.1.2\",\"rtt_ms\":9.999,\"client"
		"\":true,\"unreachable\":0},{\"ttl\":5,\"responder\":null}],\"las"
		"t_hop\":{\"addr\":\"198.18.3.1\",\"ttl\":2},\"control_last_hop\""
		":{\"addr\":\"198.18.1.2\",\"ttl\":4},\"client_reached\":false,\""
		"control_client_reached\":true,\"duration_ms\":1200.0,\"verdict\""
		":\"this flow's packets are dropped after hop 2 (198.18.3.1); a f"
		"resh flow passes the same hop and reaches the client\"}";
	static char lines[4][4096];
	char path[512], err[256], want[4096];
	struct probe_result res;
	struct gap_record r;
	struct report *rep;
	const char *tail;

	fill_probe(&res);
	fill_closed(&r);
	tmp_path(path, sizeof(path), "probe.jsonl");
	rep = report_open(path, "RUN", err, sizeof(err));
	ck_assert_msg(rep != NULL, "report_open: %s", err);
	report_set_host(rep, "h1");
	ck_assert_int_eq(report_probe(rep, &res), 0);
	ck_assert_int_eq(report_gap(rep, &r, &res), 0);
	report_close(rep);
	ck_assert_int_eq(read_lines(path, lines, 4), 2);
	snprintf(want, sizeof(want), "{\"" FIELD_TYPE "\":\"" RECORD_PROBE
		 "\",\"" FIELD_SCHEMA "\":1,\"" FIELD_HOST "\":\"h1\",\"" FIELD_ID
		 "\":\"RUN-3-42\",%s", result + 1);
	ck_assert_str_eq(lines[0], want);
	snprintf(want, sizeof(want), ",\"" FIELD_PROBE "\":%s}", result);
	tail = lines[1] + strlen(lines[1]) - strlen(want);
	ck_assert_str_eq(tail, want);
	ck_assert_str_eq_prefix(lines[1], "{\"type\":\"gap\",\"schema\":1,\"host\":\"h1\",\"id\":\"RUN-3-42\"");
	unlink(path);
}
END_TEST

START_TEST(test_report_open_fails)
{
	char path[512], err[256];
	struct report *rep;

	snprintf(path, sizeof(path), "/nonexistent-gapwatch-dir-%ld/gaps.jsonl",
		 (long)getpid());
	err[0] = '\0';
	rep = report_open(path, "RUN", err, sizeof(err));
	ck_assert_ptr_null(rep);
	ck_assert_msg(strstr(err, path) != NULL, "message '%s' does not name %s",
		      err, path);
	ck_assert_ptr_nonnull(strstr(err, strerror(ENOENT)));

	/* A directory is not a file either. */
	err[0] = '\0';
	rep = report_open("/", "RUN", err, sizeof(err));
	ck_assert_ptr_null(rep);
	ck_assert_ptr_nonnull(strstr(err, "/"));
	ck_assert_uint_gt(strlen(err), 1);

	report_close(NULL);
}
END_TEST

static Suite *report_suite(void)
{
	Suite *s = suite_create("report");
	TCase *tc;

	tc = tcase_create("json");
	tcase_add_test(tc, test_time_format);
	tcase_add_test(tc, test_gap_json_closed);
	tcase_add_test(tc, test_gap_json_ipv6_udp);
	tcase_add_test(tc, test_gap_json_open);
	tcase_add_test(tc, test_gap_json_outcomes_causes);
	tcase_add_test(tc, test_gap_json_inspector);
	suite_add_tcase(s, tc);

	tc = tcase_create("writer");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_report_file);
	tcase_add_test(tc, test_report_long_duration);
	tcase_add_test(tc, test_report_reopen);
	tcase_add_test(tc, test_report_stats_text);
	tcase_add_test(tc, test_report_probe_text);
	tcase_add_test(tc, test_report_open_fails);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(report_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
