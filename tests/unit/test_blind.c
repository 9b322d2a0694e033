/*
 * test_blind.c - the inspector's blind intervals (src/blind.c) on
 * hand-written timelines of sampled counters: a healthy run, a stall
 * whose unseen count comes a sample late, a full queue, a socket that
 * overran with and without the rules' counters, a kernel counter that
 * restarts, the question "when was gapwatchd first blind in this window"
 * and the ring that forgets.
 */
#include <check.h>
#include <stdint.h>
#include <string.h>

#include "blind.h"
#include "gapwatch.h"

#define MS(x)	((uint64_t)(x) * USEC_PER_MSEC)

static struct blind b;
static struct inspector_counters c;	/* cumulative, as a worker reads */
static struct blind_record iv;

static void setup(void)
{
	blind_init(&b);
	memset(&c, 0, sizeof(c));
	memset(&iv, 0, sizeof(iv));
}

/* One reading at t ms; 1 when it ended an interval (into iv). */
static int at(uint64_t t_ms)
{
	return blind_sample(&b, MS(t_ms), &c, &iv);
}

START_TEST(test_healthy)
{
	uint64_t t, first;

	c.queue_dropped = 7;	/* before our first reading: not ours */
	for (t = 0; t <= 10000; t += 200)
		ck_assert_int_eq(at(t), 0);
	ck_assert_int_eq(b.open, 0);
	ck_assert_int_eq(blind_first(&b, 0, MS(10000), &first), -1);
	ck_assert_int_eq(blind_flush(&b, &iv), 0);
}
END_TEST

/*
 * SIGSTOP for 3 s: the loop notices at 3400 ms that it last ran at
 * 400 ms; the rules' count of the unseen arrives with that reading and
 * one more; the next reading is quiet and ends the interval.
 */
START_TEST(test_stall)
{
	uint64_t first;

	ck_assert_int_eq(at(0), 0);
	ck_assert_int_eq(at(200), 0);
	ck_assert_int_eq(at(400), 0);
	c.stalls = 1;
	c.stalled_us = MS(3000);
	c.unseen = 14000;
	ck_assert_int_eq(at(3400), 0);
	ck_assert_int_eq(b.open, 1);
	/* Open: a window after its start asks and is told. */
	ck_assert_int_eq(blind_first(&b, MS(2000), MS(3500), &first), 0);
	ck_assert_uint_eq(first, MS(2000));
	c.unseen = 15210;
	ck_assert_int_eq(at(3600), 0);
	ck_assert_int_eq(at(3800), 1);
	ck_assert_uint_eq(iv.start_us, MS(400));
	ck_assert_uint_eq(iv.end_us, MS(3600));
	ck_assert_uint_eq(iv.missed, 15210);
	ck_assert_int_eq(iv.reason, BLIND_STALLED);
	ck_assert_str_eq(blind_reason_name(iv.reason), "stalled");
	ck_assert_uint_eq(iv.growth.stalls, 1);
	ck_assert_uint_eq(iv.growth.stalled_us, MS(3000));
	ck_assert_uint_eq(iv.growth.unseen, 15210);
	ck_assert_int_eq(b.open, 0);
	/* Ended, it still answers: before, inside, after. */
	ck_assert_int_eq(blind_first(&b, MS(0), MS(300), &first), -1);
	ck_assert_int_eq(blind_first(&b, MS(0), MS(5000), &first), 0);
	ck_assert_uint_eq(first, MS(400));
	ck_assert_int_eq(blind_first(&b, MS(1000), MS(5000), &first), 0);
	ck_assert_uint_eq(first, MS(1000));
	ck_assert_int_eq(blind_first(&b, MS(3700), MS(9000), &first), -1);
	/* Nothing more: quiet readings end nothing. */
	ck_assert_int_eq(at(4000), 0);
	ck_assert_int_eq(blind_flush(&b, &iv), 0);
}
END_TEST

/* A burst into a full queue: the interval starts at the reading before
 * the first growth and ends at the last. */
START_TEST(test_queue_full)
{
	ck_assert_int_eq(at(1000), 0);
	c.unseen = 40;
	ck_assert_int_eq(at(1200), 0);
	c.unseen = 90;
	ck_assert_int_eq(at(1400), 0);
	ck_assert_int_eq(at(1600), 1);
	ck_assert_uint_eq(iv.start_us, MS(1000));
	ck_assert_uint_eq(iv.end_us, MS(1400));
	ck_assert_uint_eq(iv.missed, 90);
	ck_assert_int_eq(iv.reason, BLIND_QUEUE_FULL);
	ck_assert_str_eq(blind_reason_name(iv.reason), "queue_full");
}
END_TEST

/*
 * Delivery to our socket failed: the id holes and the kernel's failed
 * sends count the same packets, which the rules' count holds too. Then
 * the same without the rules' counters, and a queue that filled as well.
 */
START_TEST(test_socket_overrun)
{
	ck_assert_int_eq(at(0), 0);
	c.id_holes = 5;
	c.user_dropped = 5;
	c.enobufs = 1;
	c.unseen = 5;
	ck_assert_int_eq(at(200), 0);
	ck_assert_int_eq(at(400), 1);
	ck_assert_uint_eq(iv.missed, 5);
	ck_assert_int_eq(iv.reason, BLIND_SOCKET_OVERRUN);
	ck_assert_str_eq(blind_reason_name(iv.reason), "socket_overrun");

	c.id_holes += 7;	/* no rules' counter: the holes alone */
	ck_assert_int_eq(at(600), 0);
	ck_assert_int_eq(at(800), 1);
	ck_assert_uint_eq(iv.missed, 7);
	ck_assert_int_eq(iv.reason, BLIND_SOCKET_OVERRUN);

	c.id_holes += 10;	/* and more unseen than holes: full too */
	c.unseen += 100;
	ck_assert_int_eq(at(1000), 0);
	c.enobufs += 1;		/* a later overrun does not lower it */
	ck_assert_int_eq(at(1200), 0);
	ck_assert_int_eq(at(1400), 1);
	ck_assert_uint_eq(iv.missed, 100);
	ck_assert_int_eq(iv.reason, BLIND_QUEUE_FULL);
	ck_assert_uint_eq(iv.growth.enobufs, 1);
}
END_TEST

/* Without fail-open the kernel drops what the full queue cannot take:
 * missed, and the queue's reason. */
START_TEST(test_queue_dropped)
{
	ck_assert_int_eq(at(0), 0);
	c.queue_dropped = 30;
	ck_assert_int_eq(at(200), 0);
	ck_assert_int_eq(at(400), 1);
	ck_assert_uint_eq(iv.missed, 30);
	ck_assert_int_eq(iv.reason, BLIND_QUEUE_FULL);
}
END_TEST

/* A queue bound anew restarts the kernel's counters: no growth, no wrap
 * to 2^64 (which would make every gap the inspector's). */
START_TEST(test_counter_restart)
{
	struct inspector_counters a, d;

	c.queue_dropped = 500;
	c.user_dropped = 9;
	ck_assert_int_eq(at(0), 0);
	c.queue_dropped = 0;
	c.user_dropped = 0;
	ck_assert_int_eq(at(200), 0);
	ck_assert_int_eq(b.open, 0);
	memset(&a, 0, sizeof(a));
	a.unseen = 10;
	inspector_growth(&a, &c, &d);
	ck_assert_uint_eq(d.unseen, 0);
	ck_assert_int_eq(blind_grew(&d), 0);
	ck_assert_int_eq(blind_reason_of(&d), BLIND_NONE);
	ck_assert_uint_eq(blind_missed(&d), 0);
}
END_TEST

/* The source stops while blind: the interval ends there. */
START_TEST(test_flush)
{
	ck_assert_int_eq(at(0), 0);
	c.unseen = 3;
	ck_assert_int_eq(at(200), 0);
	ck_assert_int_eq(blind_flush(&b, &iv), 1);
	ck_assert_uint_eq(iv.start_us, 0);
	ck_assert_uint_eq(iv.end_us, MS(200));
	ck_assert_uint_eq(iv.missed, 3);
	ck_assert_int_eq(blind_flush(&b, &iv), 0);
}
END_TEST

/*
 * Two intervals: the earliest one in the window is the answer. Then more
 * than BLIND_KEPT: the oldest are forgotten, and a window that only they
 * covered gets no answer (the engine then takes the window's start).
 */
START_TEST(test_first_and_ring)
{
	uint64_t first, t = 0;
	unsigned int k;

	ck_assert_int_eq(at(t), 0);
	for (k = 0; k < BLIND_KEPT + 6; k++) {
		c.unseen++;
		ck_assert_int_eq(at(t += 200), 0);
		ck_assert_int_eq(at(t += 800), 1);
		ck_assert_uint_eq(iv.start_us, MS(t - 1000));
		ck_assert_uint_eq(iv.end_us, MS(t - 800));
	}
	ck_assert_uint_eq(b.nkept, BLIND_KEPT);
	/* The first six are gone. */
	ck_assert_int_eq(blind_first(&b, 0, MS(5900), &first), -1);
	ck_assert_int_eq(blind_first(&b, 0, MS(6000), &first), 0);
	ck_assert_uint_eq(first, MS(6000));
	ck_assert_int_eq(blind_first(&b, MS(6100), MS(8500), &first), 0);
	ck_assert_uint_eq(first, MS(6100));
	ck_assert_int_eq(blind_first(&b, MS(6300), MS(6900), &first), -1);
	ck_assert_int_eq(blind_first(&b, 0, UINT64_MAX, &first), 0);
	ck_assert_uint_eq(first, MS(6000));
}
END_TEST

static Suite *blind_suite(void)
{
	Suite *s = suite_create("blind");
	TCase *tc = tcase_create("intervals");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_healthy);
	tcase_add_test(tc, test_stall);
	tcase_add_test(tc, test_queue_full);
	tcase_add_test(tc, test_socket_overrun);
	tcase_add_test(tc, test_queue_dropped);
	tcase_add_test(tc, test_counter_restart);
	tcase_add_test(tc, test_flush);
	tcase_add_test(tc, test_first_and_ring);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(blind_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
