/*
 * test_droptally.c - the drop watcher's memory (src/droptally.c) on
 * hand-written timelines: a gap's window takes its own flow's drops, by
 * reason, most first, with the first drop's location; a reconnect's SYN
 * from the client's address counts apart; drops before the window, after
 * it (beyond the grace) and of other clients do not count; and the
 * answer is complete only when the watcher was on for the whole window,
 * lost nothing in it and forgot nothing of it.
 */
#include <arpa/inet.h>
#include <check.h>
#include <stdint.h>
#include <string.h>

#include "addr.h"
#include "droptally.h"
#include "gapwatch.h"

#define T0	(1700000000ULL * USEC_PER_SEC)
#define MS(x)	((uint64_t)(x) * USEC_PER_MSEC)

static struct droptally t;
static struct gap_record rec;
static uint64_t loc[LOCAL_DROP_REASONS];

static void key(struct flow_key *k, const char *client, uint16_t cport)
{
	uint8_t v4[4];

	memset(k, 0, sizeof(*k));
	inet_pton(AF_INET, client, v4);
	addr_from_v4(&k->client, v4);
	inet_pton(AF_INET, "198.18.2.2", v4);
	addr_from_v4(&k->server, v4);
	k->client_port = cport;
	k->server_port = 7781;
	k->proto = IPPROTO_TCP;
}

static void drop(uint64_t at, const char *client, uint16_t cport,
		 uint32_t reason, uint64_t location, uint8_t flags)
{
	struct drop_event e;

	memset(&e, 0, sizeof(e));
	e.wall_us = at;
	key(&e.key, client, cport);
	e.reason = reason;
	e.location = location;
	e.tcp_flags = flags;
	droptally_add(&t, &e);
}

static void setup(void)
{
	ck_assert_int_eq(droptally_init(&t, T0), 0);
	memset(&rec, 0, sizeof(rec));
	key(&rec.key, "198.18.1.2", 40000);
	rec.start_us = T0 + MS(1000);
	rec.detected_us = T0 + MS(2000);
	rec.end_us = T0 + MS(5000);
	memset(loc, 0, sizeof(loc));
}

static void teardown(void)
{
	droptally_fini(&t);
}

/* Nothing dropped, watched from before the window: the proof. */
START_TEST(test_none)
{
	droptally_window(&t, &rec, loc);
	ck_assert_int_eq(rec.drops.watching, 1);
	ck_assert_int_eq(rec.drops.complete, 1);
	ck_assert_uint_eq(rec.drops.count, 0);
	ck_assert_uint_eq(rec.drops.nreasons, 0);
	ck_assert_uint_eq(rec.drops.since_us, T0);
}
END_TEST

START_TEST(test_window)
{
	drop(T0 + MS(900), "198.18.1.2", 40000, 12, 0xa, 0x10);	/* before */
	drop(T0 + MS(1100), "198.18.1.2", 40000, 12, 0xb, 0x18);
	drop(T0 + MS(1200), "198.18.1.3", 40000, 12, 0xc, 0x18);	/* other client */
	drop(T0 + MS(1300), "198.18.1.2", 40000, 6, 0xd, 0x18);
	drop(T0 + MS(1400), "198.18.1.2", 40000, 12, 0xe, 0x18);
	drop(T0 + MS(1500), "198.18.1.2", 40000, 12, 0xf, 0x18);
	drop(T0 + MS(5100), "198.18.1.2", 40001, 12, 0x1, 0x02);	/* SYN */
	drop(T0 + MS(5200), "198.18.1.2", 40002, 12, 0x2, 0x18);	/* another player */
	drop(T0 + MS(5600), "198.18.1.2", 40000, 12, 0x3, 0x18);	/* past grace */
	droptally_window(&t, &rec, loc);
	ck_assert_uint_eq(rec.drops.count, 4);
	ck_assert_uint_eq(rec.drops.first_us, T0 + MS(1100));
	ck_assert_uint_eq(rec.drops.last_us, T0 + MS(1500));
	ck_assert_uint_eq(rec.drops.nreasons, 2);
	ck_assert_uint_eq(rec.drops.by_reason[0].reason, 12);
	ck_assert_uint_eq(rec.drops.by_reason[0].count, 3);
	ck_assert_uint_eq(loc[0], 0xb);		/* the first drop's */
	ck_assert_uint_eq(rec.drops.by_reason[1].reason, 6);
	ck_assert_uint_eq(rec.drops.by_reason[1].count, 1);
	ck_assert_uint_eq(loc[1], 0xd);
	ck_assert_uint_eq(rec.drops.other_ports, 2);
	ck_assert_uint_eq(rec.drops.other_syns, 1);
	ck_assert_int_eq(rec.drops.complete, 1);

	/* The gap_open record's window ends at detection. */
	rec.is_open_event = 1;
	droptally_window(&t, &rec, loc);
	ck_assert_uint_eq(rec.drops.count, 4);
	ck_assert_uint_eq(rec.drops.other_ports, 0);
}
END_TEST

/* More distinct reasons than the record holds: the most frequent. */
START_TEST(test_many_reasons)
{
	uint32_t r, k;

	for (r = 2; r < 30; r++)
		for (k = 0; k <= r % 5; k++)
			drop(T0 + MS(1001 + r * 10 + k), "198.18.1.2", 40000, r,
			     r, 0x18);
	droptally_window(&t, &rec, loc);
	ck_assert_uint_eq(rec.drops.nreasons, LOCAL_DROP_REASONS);
	for (k = 0; k < LOCAL_DROP_REASONS; k++)
		ck_assert_uint_eq(rec.drops.by_reason[k].count, 5);
	ck_assert_uint_ge(rec.drops.count, 28);
}
END_TEST

/* Started after the window began; lost events in it; forgot some. */
START_TEST(test_incomplete)
{
	droptally_fini(&t);
	ck_assert_int_eq(droptally_init(&t, T0 + MS(1500)), 0);
	droptally_window(&t, &rec, loc);
	ck_assert_int_eq(rec.drops.watching, 0);
	ck_assert_int_eq(rec.drops.complete, 0);

	droptally_fini(&t);
	ck_assert_int_eq(droptally_init(&t, T0), 0);
	droptally_lost(&t, T0 + MS(100), T0 + MS(200));		/* before */
	droptally_window(&t, &rec, loc);
	ck_assert_int_eq(rec.drops.complete, 1);
	droptally_lost(&t, T0 + MS(4000), T0 + MS(4100));	/* inside */
	droptally_window(&t, &rec, loc);
	ck_assert_int_eq(rec.drops.watching, 1);
	ck_assert_int_eq(rec.drops.complete, 0);
}
END_TEST

START_TEST(test_forgotten)
{
	uint32_t k;

	/* A full ring of other clients' drops after one of ours: ours is
	 * forgotten, and the answer says it may be short. */
	drop(T0 + MS(1100), "198.18.1.2", 40000, 12, 0xb, 0x18);
	for (k = 0; k < DROPTALLY_KEPT; k++)
		drop(T0 + MS(1200) + k, "198.18.1.9", 40000, 12, 0xc, 0x18);
	droptally_window(&t, &rec, loc);
	ck_assert_uint_eq(rec.drops.count, 0);
	ck_assert_int_eq(rec.drops.complete, 0);
}
END_TEST

static Suite *droptally_suite(void)
{
	Suite *s = suite_create("droptally");
	TCase *tc = tcase_create("window");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_none);
	tcase_add_test(tc, test_window);
	tcase_add_test(tc, test_many_reasons);
	tcase_add_test(tc, test_incomplete);
	tcase_add_test(tc, test_forgotten);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(droptally_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
