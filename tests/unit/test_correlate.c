/*
 * test_correlate.c - the correlator (src/correlate.c) with hand-made gap
 * records and no sockets: no conntrack, no pcap store, no prober. Records
 * go through a real report into a temporary file and are read back, so
 * what is checked is what an operator would read: clusters, causes, the
 * order of the records, a ladder's result on the closing record, and the
 * count of records the full queue refused.
 */
#include <arpa/inet.h>
#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cause.h"
#include "correlate.h"
#include "probe.h"
#include "report.h"
#include "schema.h"

#define T0		1700000000000000ULL
#define MS(x)		((uint64_t)(x) * USEC_PER_MSEC)
#define RECORDS_MAX	(4 * CORRELATE_QUEUE)

static char path[256];
static struct report *report;
static json_t *lines[RECORDS_MAX];
static size_t nlines;

/* A fresh report file and a correlator writing into it. */
static struct correlator *open_correlator(int threaded)
{
	static const struct correlate_parts parts = { 0 };
	char err[256];
	struct correlator *c;

	snprintf(path, sizeof(path), "%s/gapwatch-test-correlate-%ld.jsonl",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp", (long)getpid());
	unlink(path);
	report = report_open(path, "RUN", err, sizeof(err));
	ck_assert_msg(report != NULL, "report_open: %s", err);
	c = correlator_new(&parts, report, threaded, err, sizeof(err));
	ck_assert_msg(c != NULL, "correlator_new: %s", err);
	return c;
}

/* Stop both and read every record back, one JSON object at a time. */
static void close_and_read(struct correlator *c)
{
	json_error_t jerr;
	FILE *f;
	json_t *o;

	correlator_free(c);
	report_close(report);
	nlines = 0;
	f = fopen(path, "r");
	ck_assert_ptr_nonnull(f);
	while ((o = json_loadf(f, JSON_DISABLE_EOF_CHECK, &jerr)) != NULL) {
		ck_assert_uint_lt(nlines, RECORDS_MAX);
		lines[nlines++] = o;
	}
	ck_assert_msg(feof(f) || strstr(jerr.text, "end of file"),
		      "line %zu: %s", nlines + 1, jerr.text);
	fclose(f);
	unlink(path);
}

static void free_lines(void)
{
	while (nlines)
		json_decref(lines[--nlines]);
}

static const char *str(const json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	ck_assert_msg(s != NULL, "no string field %s", k);
	return s;
}

static json_int_t num(const json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);

	ck_assert_msg(json_is_integer(v), "no integer field %s", k);
	return json_integer_value(v);
}

/* A TCP gap of client port, silent client, the server retransmitting:
 * the packets point at the path towards the server. */
static void gap(struct gap_record *r, uint64_t seq, uint16_t port,
		uint64_t start, int open)
{
	memset(r, 0, sizeof(*r));
	r->seq = seq;
	r->queue = 3;
	r->is_open_event = open;
	r->key.proto = IPPROTO_TCP;
	r->key.client.s6_addr[10] = 0xff;
	r->key.client.s6_addr[11] = 0xff;
	r->key.client.s6_addr[12] = 198;
	r->key.client.s6_addr[13] = 18;
	r->key.client.s6_addr[15] = 1;
	r->key.server = r->key.client;
	r->key.server.s6_addr[15] = 2;
	r->key.client_port = port;
	r->key.server_port = 7781;
	r->silent = SILENT_CLIENT;
	r->outcome = open ? OUTCOME_NONE : OUTCOME_RESUMED;
	r->start_us = start;
	r->detected_us = start + MS(1500);
	r->end_us = open ? 0 : start + MS(5000);
	r->expected_interval_us = MS(500);
	r->threshold_us = MS(1500);
	r->side[SIDE_SERVER].packets = 6;
	r->side[SIDE_SERVER].retransmits = 4;
}

/* The (queue, seq) gap's ladder: the flow's probes die after hop 2. */
static void ladder(struct probe_result *res, uint64_t seq)
{
	memset(res, 0, sizeof(*res));
	res->queue = 3;
	res->seq = seq;
	res->key.proto = IPPROTO_TCP;
	res->control_port = 7782;
	res->sent[LADDER_FLOW] = 3;
	res->hops[LADDER_FLOW][2].answered = 1;
	res->last_hop[LADDER_FLOW] = 2;
	snprintf(res->verdict, sizeof(res->verdict), "dropped after hop 2");
}

/*
 * Three gaps opening within a second are one cluster (from its second
 * member on), a fourth ten seconds later is alone; each record is
 * classified, and every record reaches the report in the order given.
 */
START_TEST(test_clusters_and_causes)
{
	struct correlator *c = open_correlator(0);
	struct correlate_counters cc;
	struct gap_record r;
	const json_t *cl;

	gap(&r, 1, 40001, T0, 1);
	correlator_submit(c, &r);
	gap(&r, 2, 40002, T0 + MS(300), 1);
	correlator_submit(c, &r);
	gap(&r, 3, 40003, T0 - MS(200), 1);
	correlator_submit(c, &r);
	gap(&r, 1, 40001, T0, 0);
	correlator_submit(c, &r);
	gap(&r, 4, 40004, T0 + MS(10000), 1);
	correlator_submit(c, &r);
	correlator_counters(c, &cc);
	ck_assert_uint_eq(cc.queue_full, 0);
	ck_assert_int_eq(cc.conntrack, 0);
	ck_assert_int_eq(cc.probing, 0);
	close_and_read(c);

	ck_assert_uint_eq(nlines, 5);
	ck_assert_str_eq(str(lines[0], FIELD_ID), "RUN-3-1");
	ck_assert_str_eq(str(lines[0], FIELD_TYPE), RECORD_GAP_OPEN);
	ck_assert(json_is_null(json_object_get(lines[0], FIELD_CLUSTER)));
	cl = json_object_get(lines[1], FIELD_CLUSTER);
	ck_assert_int_eq(num(cl, FIELD_CLUSTER_SIZE), 2);
	cl = json_object_get(lines[2], FIELD_CLUSTER);
	ck_assert_int_eq(num(cl, FIELD_CLUSTER_SIZE), 3);
	/* The earliest start of the three. */
	ck_assert_str_eq(str(cl, FIELD_CLUSTER_FIRST_START),
			 "2023-11-14T22:13:19.800000Z");
	/* The closing record reads its cluster; it does not join again. */
	ck_assert_str_eq(str(lines[3], FIELD_TYPE), RECORD_GAP);
	ck_assert_str_eq(str(lines[3], FIELD_ID), "RUN-3-1");
	cl = json_object_get(lines[3], FIELD_CLUSTER);
	ck_assert_int_eq(num(cl, FIELD_CLUSTER_SIZE), 3);
	ck_assert(json_is_null(json_object_get(lines[4], FIELD_CLUSTER)));
	/* Classified by the correlator, with the evidence sentence. */
	ck_assert_str_eq(str(lines[3], FIELD_CAUSE),
			 cause_name(CAUSE_PATH_LOSS_TO_SERVER));
	ck_assert_ptr_nonnull(strstr(str(lines[3], FIELD_EVIDENCE),
				     "retransmitted 4 times"));
	ck_assert_str_eq(str(lines[0], FIELD_CAUSE),
			 cause_name(CAUSE_PATH_LOSS_TO_SERVER));
	free_lines();
}
END_TEST

/*
 * A finished ladder is reported at once as a probe record (the gap's id)
 * and rides on the gap's closing record, once; other gaps close without.
 * When more ladders finish than are kept, the oldest goes, counted.
 */
START_TEST(test_probe_result_on_close)
{
	struct correlator *c = open_correlator(0);
	struct correlate_counters cc;
	struct probe_result res;
	struct gap_record r;
	const json_t *p;
	uint64_t k;

	gap(&r, 42, 40001, T0, 1);
	correlator_submit(c, &r);
	ladder(&res, 42);
	correlator_probe_done(c, &res);
	gap(&r, 42, 40001, T0, 0);
	correlator_submit(c, &r);
	/* Taken: the same gap closing twice carries it once. */
	correlator_submit(c, &r);
	gap(&r, 43, 40002, T0, 0);
	correlator_submit(c, &r);
	correlator_counters(c, &cc);
	ck_assert_uint_eq(cc.probe_results_evicted, 0);
	for (k = 0; k <= PROBE_RESULTS_KEPT; k++) {
		ladder(&res, 100 + k);
		correlator_probe_done(c, &res);
	}
	correlator_counters(c, &cc);
	ck_assert_uint_eq(cc.probe_results_evicted, 1);
	/* The first of those went; the last is still kept. */
	gap(&r, 100, 40003, T0, 0);
	correlator_submit(c, &r);
	gap(&r, 100 + PROBE_RESULTS_KEPT, 40004, T0, 0);
	correlator_submit(c, &r);
	close_and_read(c);

	ck_assert_uint_eq(nlines, 5 + PROBE_RESULTS_KEPT + 1 + 2);
	ck_assert_str_eq(str(lines[0], FIELD_TYPE), RECORD_GAP_OPEN);
	ck_assert_str_eq(str(lines[1], FIELD_TYPE), RECORD_PROBE);
	ck_assert_str_eq(str(lines[1], FIELD_ID), "RUN-3-42");
	ck_assert_str_eq(str(lines[1], FIELD_PROBE_VERDICT),
			 "dropped after hop 2");
	ck_assert_ptr_null(json_object_get(lines[0], FIELD_PROBE));
	p = json_object_get(lines[2], FIELD_PROBE);
	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(num(p, FIELD_PROBE_CONTROL_PORT), 7782);
	ck_assert_int_eq(json_array_size(json_object_get(p, FIELD_PROBE_FLOW)), 3);
	ck_assert_int_eq(num(json_object_get(p, FIELD_PROBE_LAST_HOP),
			     FIELD_LAST_HOP_TTL), 2);
	ck_assert_ptr_null(json_object_get(lines[3], FIELD_PROBE));
	ck_assert_ptr_null(json_object_get(lines[4], FIELD_PROBE));
	ck_assert_str_eq(str(lines[nlines - 2], FIELD_ID), "RUN-3-100");
	ck_assert_ptr_null(json_object_get(lines[nlines - 2], FIELD_PROBE));
	ck_assert_ptr_nonnull(json_object_get(lines[nlines - 1], FIELD_PROBE));
	free_lines();
}
END_TEST

/*
 * The threaded correlator, flooded faster than it correlates: the queue
 * refuses what it cannot take, counts it, and the refused records are
 * still reported (classified, without conntrack facts). Nothing is lost and the producer
 * never waits.
 */
START_TEST(test_queue_full_counted)
{
	struct correlator *c = open_correlator(1);
	struct correlate_counters cc;
	struct gap_record r;
	uint64_t k, closed = 0, classified = 0;
	size_t n;

	gap(&r, 0, 40000, T0, 0);
	for (k = 0; k < RECORDS_MAX; k++) {
		r.seq = k;
		correlator_submit(c, &r);
	}
	correlator_stop(c);
	correlator_counters(c, &cc);
	ck_assert_uint_gt(cc.queue_full, 0);
	ck_assert_uint_eq(report_dropped(report), 0);
	close_and_read(c);

	ck_assert_uint_eq(nlines, RECORDS_MAX);
	for (n = 0; n < nlines; n++) {
		closed += !strcmp(str(lines[n], FIELD_TYPE), RECORD_GAP);
		classified += strcmp(str(lines[n], FIELD_CAUSE),
				     cause_name(CAUSE_NONE)) != 0;
	}
	ck_assert_uint_eq(closed, RECORDS_MAX);
	/* The refused ones went out classified from the packets alone:
	 * never a record without a cause. */
	ck_assert_uint_eq(classified, RECORDS_MAX);
	free_lines();
}
END_TEST

/*
 * gapwatchd froze: twenty gaps open together, all the inspector's (the
 * rules counted packets it never saw). They began together because it
 * went blind, so they are no cluster, no network event; a network gap
 * in the same second after them still finds no cluster of theirs to
 * join. The blind record goes out as it is.
 */
START_TEST(test_blind_gaps_no_cluster)
{
	struct correlator *c = open_correlator(0);
	struct blind_record iv;
	struct gap_record r;
	const json_t *in;
	uint64_t k;

	for (k = 1; k <= 20; k++) {
		gap(&r, k, (uint16_t)(40000 + k), T0 + MS(10 * k), 1);
		r.inspector.unseen = 2410;
		r.inspector.stalls = 1;
		r.inspector.stalled_us = MS(3000);
		r.blind_from_us = T0;
		correlator_submit(c, &r);
	}
	gap(&r, 21, 40021, T0 + MS(500), 1);
	correlator_submit(c, &r);
	memset(&iv, 0, sizeof(iv));
	iv.queue = 3;
	iv.reason = BLIND_STALLED;
	iv.start_us = T0;
	iv.end_us = T0 + MS(3200);
	iv.missed = 48210;
	iv.growth.unseen = 48210;
	iv.growth.stalls = 1;
	iv.growth.stalled_us = MS(3000);
	correlator_blind(c, &iv);
	close_and_read(c);

	ck_assert_uint_eq(nlines, 22);
	for (k = 0; k < 20; k++) {
		ck_assert_str_eq(str(lines[k], FIELD_CAUSE),
				 cause_name(CAUSE_INSPECTOR_LOSS));
		ck_assert(json_is_null(json_object_get(lines[k], FIELD_CLUSTER)));
		in = json_object_get(lines[k], FIELD_INSPECTOR);
		ck_assert(json_is_true(json_object_get(in,
					FIELD_INSPECTOR_LOST_PACKETS)));
		ck_assert(json_is_false(json_object_get(in,
					FIELD_INSPECTOR_PARTLY_BLIND)));
		ck_assert_str_eq(str(in, FIELD_INSPECTOR_BLIND_FROM),
				 "2023-11-14T22:13:20.000000Z");
	}
	ck_assert_str_eq(str(lines[20], FIELD_CAUSE),
			 cause_name(CAUSE_PATH_LOSS_TO_SERVER));
	ck_assert(json_is_null(json_object_get(lines[20], FIELD_CLUSTER)));
	ck_assert(json_is_null(json_object_get(json_object_get(lines[20],
		FIELD_INSPECTOR), FIELD_INSPECTOR_BLIND_FROM)));
	ck_assert_str_eq(str(lines[21], FIELD_TYPE), RECORD_BLIND);
	ck_assert_int_eq(num(lines[21], FIELD_QUEUE), 3);
	ck_assert_str_eq(str(lines[21], FIELD_BLIND_REASON), "stalled");
	ck_assert_int_eq(num(lines[21], FIELD_BLIND_MISSED), 48210);
	ck_assert_int_eq(num(lines[21], FIELD_INSPECTOR_UNSEEN), 48210);
	ck_assert_int_eq(num(lines[21], FIELD_INSPECTOR_STALLS), 1);
	ck_assert_str_eq(str(lines[21], FIELD_START),
			 "2023-11-14T22:13:20.000000Z");
	ck_assert_str_eq(str(lines[21], FIELD_END),
			 "2023-11-14T22:13:23.200000Z");
	ck_assert(json_real_value(json_object_get(lines[21],
					FIELD_DURATION_MS)) == 3200.0);
	free_lines();
}
END_TEST

static Suite *correlate_suite(void)
{
	Suite *s = suite_create("correlate");
	TCase *tc = tcase_create("correlate");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_clusters_and_causes);
	tcase_add_test(tc, test_probe_result_on_close);
	tcase_add_test(tc, test_queue_full_counted);
	tcase_add_test(tc, test_blind_gaps_no_cluster);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(correlate_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
