/*
 * test_timer.c - unit tests for the timing wheel (src/timer.c).
 *
 * A small wheel: 16 slots of 1024 us (a 16.384 ms horizon), starting at
 * 1000 s, so that "beyond the horizon" and "a jump longer than the wheel"
 * are a few milliseconds away. Callbacks log what fired and when, and do
 * whatever the test put in the context: re-arm, cancel others.
 */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "timer.h"

#define SLOT_BITS	4
#define NSLOTS		(1U << SLOT_BITS)
#define SHIFT		10
#define SLOT_US		(1ULL << SHIFT)
#define CAPACITY	32
#define T0		((1000000000ULL >> SHIFT) << SHIFT)	/* ~1000 s, slot aligned */
#define MAXLOG		256

/* The start of slot n after T0. */
#define AT(n)		(T0 + (uint64_t)(n) * SLOT_US)

struct ctx {
	struct timer_wheel *w;
	uint32_t log[MAXLOG];		/* handles, in firing order */
	uint64_t when[MAXLOG];		/* now_us the callback got */
	uint32_t n;
	uint32_t fired[CAPACITY + 1];
	/* Behaviour. */
	uint64_t rearm_at[CAPACITY + 1];	/* re-arm there, once, if != 0 */
	uint64_t rearm_every_us;	/* re-arm at now + this, always */
	uint64_t deadline[CAPACITY + 1];	/* lazy: re-arm until due */
	uint32_t cancel[CAPACITY + 1];	/* on firing h, cancel cancel[h] */
	int cancel_all_others;		/* the first to fire cancels the rest */
};

static void cb(void *arg, uint32_t h, uint64_t now_us)
{
	struct ctx *c = arg;
	uint32_t k;

	ck_assert_uint_ge(h, 1);
	ck_assert_uint_le(h, CAPACITY);
	/* The handle is no longer armed while its callback runs. */
	ck_assert_int_eq(timer_armed(c->w, h), 0);
	ck_assert_uint_lt(c->n, MAXLOG);
	c->log[c->n] = h;
	c->when[c->n] = now_us;
	c->n++;
	c->fired[h]++;
	if (c->rearm_at[h]) {
		uint64_t at = c->rearm_at[h];

		c->rearm_at[h] = 0;
		timer_arm(c->w, h, at);
	}
	if (c->rearm_every_us)
		timer_arm(c->w, h, now_us + c->rearm_every_us);
	if (c->deadline[h] && now_us < c->deadline[h])
		timer_arm(c->w, h, c->deadline[h]);
	if (c->cancel[h])
		timer_cancel(c->w, c->cancel[h]);
	if (c->cancel_all_others) {
		c->cancel_all_others = 0;
		for (k = 1; k <= CAPACITY; k++)
			if (k != h)
				timer_cancel(c->w, k);
	}
}

static void setup(struct timer_wheel *w, struct ctx *c)
{
	memset(c, 0, sizeof(*c));
	c->w = w;
	ck_assert_int_eq(timer_init(w, CAPACITY, SLOT_BITS, SHIFT, T0), 0);
	ck_assert_uint_eq(w->armed, 0);
}

START_TEST(test_arm_cancel_armed)
{
	struct timer_wheel w;
	struct ctx c;
	uint32_t h;

	setup(&w, &c);
	for (h = 0; h <= CAPACITY; h++)
		ck_assert_int_eq(timer_armed(&w, h), 0);

	timer_arm(&w, 1, AT(3));
	ck_assert_int_eq(timer_armed(&w, 1), 1);
	ck_assert_int_eq(timer_armed(&w, 2), 0);
	ck_assert_uint_eq(w.armed, 1);

	/* Re-arming replaces: still one timer. */
	timer_arm(&w, 1, AT(5));
	ck_assert_uint_eq(w.armed, 1);
	timer_arm(&w, 1, AT(5));
	ck_assert_uint_eq(w.armed, 1);

	timer_arm(&w, 2, AT(5));
	timer_arm(&w, 3, AT(5));
	ck_assert_uint_eq(w.armed, 3);

	timer_cancel(&w, 2);
	ck_assert_int_eq(timer_armed(&w, 2), 0);
	ck_assert_uint_eq(w.armed, 2);
	timer_cancel(&w, 2);			/* harmless twice */
	timer_cancel(&w, 7);			/* and never armed */
	ck_assert_uint_eq(w.armed, 2);

	/* Nothing before slot 5; then 1 and 3 (2 was cancelled). */
	ck_assert_uint_eq(timer_advance(&w, AT(5) - 1, cb, &c), 0);
	ck_assert_uint_eq(c.n, 0);
	ck_assert_uint_eq(timer_advance(&w, AT(5), cb, &c), 2);
	ck_assert_uint_eq(c.fired[1], 1);
	ck_assert_uint_eq(c.fired[2], 0);
	ck_assert_uint_eq(c.fired[3], 1);
	ck_assert_uint_eq(w.armed, 0);
	ck_assert_int_eq(timer_armed(&w, 1), 0);

	/* Going back or staying put fires nothing and breaks nothing. */
	ck_assert_uint_eq(timer_advance(&w, AT(5), cb, &c), 0);
	ck_assert_uint_eq(timer_advance(&w, AT(2), cb, &c), 0);
	timer_fini(&w);
}
END_TEST

START_TEST(test_order_by_slot)
{
	struct timer_wheel w;
	struct ctx c;

	setup(&w, &c);
	timer_arm(&w, 5, AT(9) + 100);
	timer_arm(&w, 6, AT(2) + 1000);
	timer_arm(&w, 7, AT(5));
	timer_arm(&w, 8, AT(14) + 1023);
	timer_arm(&w, 9, AT(1));
	ck_assert_uint_eq(w.armed, 5);

	/* One advance over all of them: slot order, one now for all. */
	ck_assert_uint_eq(timer_advance(&w, AT(15), cb, &c), 5);
	ck_assert_uint_eq(c.n, 5);
	ck_assert_uint_eq(c.log[0], 9);
	ck_assert_uint_eq(c.log[1], 6);
	ck_assert_uint_eq(c.log[2], 7);
	ck_assert_uint_eq(c.log[3], 5);
	ck_assert_uint_eq(c.log[4], 8);
	ck_assert_uint_eq(c.when[0], AT(15));
	ck_assert_uint_eq(c.when[4], AT(15));
	ck_assert_uint_eq(w.armed, 0);
	timer_fini(&w);
}
END_TEST

START_TEST(test_fires_in_its_slot)
{
	struct timer_wheel w;
	struct ctx c;
	uint64_t t;

	setup(&w, &c);
	/* Deadline in the middle of slot 6: nothing fires before slot 6,
	 * and it has fired by the start of slot 7 (the wheel's resolution
	 * is one slot, timer.h). */
	timer_arm(&w, 4, AT(6) + 500);
	for (t = AT(0); t < AT(6); t += 100)
		ck_assert_uint_eq(timer_advance(&w, t, cb, &c), 0);
	ck_assert_int_eq(timer_armed(&w, 4), 1);
	for (; t <= AT(7) && c.n == 0; t += 100)
		timer_advance(&w, t, cb, &c);
	ck_assert_uint_eq(c.fired[4], 1);
	ck_assert_uint_ge(c.when[0], AT(6));
	ck_assert_uint_le(c.when[0], AT(7));
	ck_assert_int_eq(timer_armed(&w, 4), 0);
	timer_fini(&w);
}
END_TEST

/*
 * timer_next_due names the first slot that would fire: advancing to it
 * fires, advancing to just before it does not (a replay skips quiet time
 * on it and must detect at the same moments as ticking through).
 */
START_TEST(test_next_due)
{
	struct timer_wheel w;
	struct ctx c;

	setup(&w, &c);
	ck_assert_uint_eq(timer_next_due(&w), UINT64_MAX);
	timer_arm(&w, 3, AT(9) + 700);
	timer_arm(&w, 5, AT(4) + 10);
	ck_assert_uint_eq(timer_next_due(&w), AT(4));
	ck_assert_uint_eq(timer_advance(&w, AT(4) - 1, cb, &c), 0);
	ck_assert_uint_eq(timer_next_due(&w), AT(4));
	ck_assert_uint_eq(timer_advance(&w, AT(4), cb, &c), 1);
	ck_assert_uint_eq(c.log[0], 5);
	ck_assert_uint_eq(timer_next_due(&w), AT(9));
	/* Beyond the horizon: parked in the farthest slot, due there. */
	timer_cancel(&w, 3);
	timer_arm(&w, 7, AT(4) + 100 * SLOT_US);
	ck_assert_uint_eq(timer_next_due(&w), AT(4 + NSLOTS - 1));
	timer_cancel(&w, 7);
	ck_assert_uint_eq(timer_next_due(&w), UINT64_MAX);
	timer_fini(&w);
}
END_TEST

START_TEST(test_armed_in_the_past)
{
	struct timer_wheel w;
	struct ctx c;

	setup(&w, &c);
	ck_assert_uint_eq(timer_advance(&w, AT(3) + 10, cb, &c), 0);
	/* Already due (in the processed slot, and long before it). */
	timer_arm(&w, 1, AT(3));
	timer_arm(&w, 2, T0 - 5000000);
	timer_arm(&w, 3, 0);
	ck_assert_uint_eq(w.armed, 3);
	/* Within the processed slot nothing fires... */
	ck_assert_uint_eq(timer_advance(&w, AT(3) + 900, cb, &c), 0);
	/* ...and the next slot fires all three. */
	ck_assert_uint_eq(timer_advance(&w, AT(4), cb, &c), 3);
	ck_assert_uint_eq(c.fired[1], 1);
	ck_assert_uint_eq(c.fired[2], 1);
	ck_assert_uint_eq(c.fired[3], 1);
	ck_assert_uint_eq(w.armed, 0);
	timer_fini(&w);
}
END_TEST

START_TEST(test_rearm_from_callback)
{
	struct timer_wheel w;
	struct ctx c;

	setup(&w, &c);
	timer_arm(&w, 2, AT(2));
	c.rearm_at[2] = AT(7);
	ck_assert_uint_eq(timer_advance(&w, AT(2), cb, &c), 1);
	ck_assert_int_eq(timer_armed(&w, 2), 1);
	ck_assert_uint_eq(w.armed, 1);
	ck_assert_uint_eq(timer_advance(&w, AT(6), cb, &c), 0);
	ck_assert_uint_eq(timer_advance(&w, AT(7), cb, &c), 1);
	ck_assert_uint_eq(c.fired[2], 2);
	ck_assert_uint_eq(w.armed, 0);

	/* Re-armed into a slot this same advance still has to pass:
	 * it fires again within the advance. */
	timer_arm(&w, 3, AT(8));
	c.rearm_at[3] = AT(10);
	ck_assert_uint_eq(timer_advance(&w, AT(12), cb, &c), 2);
	ck_assert_uint_eq(c.fired[3], 2);

	/* Re-armed into the past (its own slot): the next slot. */
	timer_arm(&w, 4, AT(13));
	c.rearm_at[4] = AT(13);
	ck_assert_uint_eq(timer_advance(&w, AT(13), cb, &c), 1);
	ck_assert_int_eq(timer_armed(&w, 4), 1);
	ck_assert_uint_eq(timer_advance(&w, AT(14), cb, &c), 1);
	ck_assert_uint_eq(c.fired[4], 2);
	ck_assert_uint_eq(w.armed, 0);
	timer_fini(&w);
}
END_TEST

START_TEST(test_cancel_other_in_callback)
{
	struct timer_wheel w;
	struct ctx c;

	setup(&w, &c);
	/* A later slot of the same advance. */
	timer_arm(&w, 1, AT(2));
	timer_arm(&w, 2, AT(4));
	timer_arm(&w, 3, AT(6));
	c.cancel[1] = 2;
	ck_assert_uint_eq(timer_advance(&w, AT(10), cb, &c), 2);
	ck_assert_uint_eq(c.fired[1], 1);
	ck_assert_uint_eq(c.fired[2], 0);
	ck_assert_uint_eq(c.fired[3], 1);
	ck_assert_uint_eq(w.armed, 0);
	timer_fini(&w);
}
END_TEST

START_TEST(test_cancel_same_slot_in_callback)
{
	struct timer_wheel w;
	struct ctx c;
	uint32_t h, total = 0;

	setup(&w, &c);
	/* Five timers in one slot and one in the next; whichever fires
	 * first cancels all the others, waiting in its slot or not. */
	for (h = 1; h <= 5; h++)
		timer_arm(&w, h, AT(3) + h);
	timer_arm(&w, 6, AT(4));
	c.cancel_all_others = 1;
	ck_assert_uint_eq(timer_advance(&w, AT(8), cb, &c), 1);
	ck_assert_uint_eq(c.n, 1);
	ck_assert_uint_ge(c.log[0], 1);
	ck_assert_uint_le(c.log[0], 5);
	for (h = 1; h <= 6; h++)
		total += c.fired[h];
	ck_assert_uint_eq(total, 1);
	ck_assert_uint_eq(w.armed, 0);

	/* Cancelling one neighbour only: the rest of the slot still fires. */
	memset(c.fired, 0, sizeof(c.fired));
	c.n = 0;
	timer_arm(&w, 1, AT(9));
	timer_arm(&w, 2, AT(9));
	timer_arm(&w, 3, AT(9));
	/* Each cancels the next one round: the first to fire takes out
	 * exactly one of the two still waiting. */
	c.cancel[1] = 2;
	c.cancel[2] = 3;
	c.cancel[3] = 1;
	ck_assert_uint_eq(timer_advance(&w, AT(9), cb, &c), 2);
	ck_assert_uint_eq(c.n, 2);
	ck_assert_uint_eq(c.fired[1] + c.fired[2] + c.fired[3], 2);
	ck_assert_uint_eq(w.armed, 0);
	timer_fini(&w);
}
END_TEST

START_TEST(test_beyond_horizon)
{
	struct timer_wheel w;
	struct ctx c;
	uint64_t deadline = AT(100), t;

	setup(&w, &c);
	timer_arm(&w, 1, deadline);
	c.deadline[1] = deadline;
	/* Parked in the farthest slot: 15 slots ahead, not sooner. */
	ck_assert_uint_eq(timer_advance(&w, AT(NSLOTS - 2), cb, &c), 0);
	ck_assert_uint_eq(timer_advance(&w, AT(NSLOTS - 1), cb, &c), 1);
	ck_assert_uint_eq(c.fired[1], 1);
	ck_assert_int_eq(timer_armed(&w, 1), 1);	/* re-armed by the callback */

	/* Walk slot by slot: it keeps firing early and re-arming until the
	 * deadline's own slot, where it fires for good. */
	for (t = AT(NSLOTS); t <= AT(120); t += SLOT_US)
		timer_advance(&w, t, cb, &c);
	ck_assert_int_eq(timer_armed(&w, 1), 0);
	ck_assert_uint_ge(c.when[c.n - 1], deadline);
	ck_assert_uint_le(c.when[c.n - 1], deadline + SLOT_US);
	/* Fired at 15, 30, 45, 60, 75, 90 (parked each time) and then
	 * at its deadline, nothing in between. */
	ck_assert_uint_eq(c.fired[1], 7);
	ck_assert_uint_eq(c.when[0], AT(15));
	ck_assert_uint_eq(c.when[5], AT(90));
	timer_fini(&w);
}
END_TEST

START_TEST(test_jump_fires_each_once)
{
	struct timer_wheel w;
	struct ctx c;
	uint32_t h;

	setup(&w, &c);
	for (h = 1; h <= 20; h++)
		timer_arm(&w, h, AT(h * 3));	/* some parked */
	ck_assert_uint_eq(w.armed, 20);
	/* 1000 slots at once: far more than the wheel. */
	ck_assert_uint_eq(timer_advance(&w, AT(1000) + 7, cb, &c), 20);
	for (h = 1; h <= 20; h++)
		ck_assert_uint_eq(c.fired[h], 1);
	ck_assert_uint_eq(c.when[0], AT(1000) + 7);
	ck_assert_uint_eq(w.armed, 0);

	/* The wheel goes on from the new time. */
	timer_arm(&w, 1, AT(1002));
	ck_assert_uint_eq(timer_advance(&w, AT(1001), cb, &c), 0);
	ck_assert_uint_eq(timer_advance(&w, AT(1002), cb, &c), 1);
	ck_assert_uint_eq(c.fired[1], 2);
	timer_fini(&w);
}
END_TEST

/*
 * A jump longer than the wheel whose callbacks re-arm a little into the
 * future (what the engine's on_timer does): the advance must end, and
 * fire each timer once, since none of the new deadlines is at or before
 * now. Several start times, so that the re-armed slots fall both before
 * and after the slot being fired in the wheel's array.
 */
START_TEST(test_jump_rearm_future)
{
	struct timer_wheel w;
	struct ctx c;
	uint32_t h, start;
	uint64_t now;

	for (start = 0; start < NSLOTS; start++) {
		setup(&w, &c);
		ck_assert_uint_eq(timer_advance(&w, AT(start), cb, &c), 0);
		for (h = 1; h <= 10; h++)
			timer_arm(&w, h, AT(start + h));
		c.rearm_every_us = 3 * SLOT_US;
		now = AT(start + 500);
		ck_assert_uint_eq(timer_advance(&w, now, cb, &c), 10);
		for (h = 1; h <= 10; h++) {
			ck_assert_uint_eq(c.fired[h], 1);
			ck_assert_int_eq(timer_armed(&w, h), 1);
		}
		ck_assert_uint_eq(w.armed, 10);
		/* Due three slots later, not before. */
		ck_assert_uint_eq(timer_advance(&w, now + 2 * SLOT_US, cb, &c), 0);
		c.rearm_every_us = 0;
		ck_assert_uint_eq(timer_advance(&w, now + 3 * SLOT_US, cb, &c), 10);
		ck_assert_uint_eq(w.armed, 0);
		timer_fini(&w);
	}
}
END_TEST

/* The same jump with callbacks that re-arm into the past: it ends. */
START_TEST(test_jump_rearm_past_terminates)
{
	struct timer_wheel w;
	struct ctx c;
	uint32_t h;

	setup(&w, &c);
	for (h = 1; h <= 10; h++) {
		timer_arm(&w, h, AT(h));
		c.rearm_at[h] = T0;		/* once, long due */
	}
	timer_advance(&w, AT(777), cb, &c);
	/* Each fired at least once and at most twice (its re-arm lands
	 * in the next slot, which the jump may or may not still visit);
	 * what matters is that the advance returned. */
	for (h = 1; h <= 10; h++) {
		ck_assert_uint_ge(c.fired[h], 1);
		ck_assert_uint_le(c.fired[h], 2);
	}
	timer_advance(&w, AT(778), cb, &c);
	for (h = 1; h <= 10; h++)
		ck_assert_uint_eq(c.fired[h], 2);
	ck_assert_uint_eq(w.armed, 0);
	timer_fini(&w);
}
END_TEST

START_TEST(test_armed_count)
{
	struct timer_wheel w;
	struct ctx c;
	uint32_t h;

	setup(&w, &c);
	for (h = 1; h <= CAPACITY; h++)
		timer_arm(&w, h, AT(h % 12 + 1));
	ck_assert_uint_eq(w.armed, CAPACITY);
	for (h = 1; h <= CAPACITY; h += 2)
		timer_cancel(&w, h);
	ck_assert_uint_eq(w.armed, CAPACITY / 2);
	for (h = 2; h <= CAPACITY; h += 2)
		timer_arm(&w, h, AT(5));	/* re-arm: count unchanged */
	ck_assert_uint_eq(w.armed, CAPACITY / 2);
	ck_assert_uint_eq(timer_advance(&w, AT(4), cb, &c), 0);
	c.rearm_every_us = 2 * SLOT_US;
	ck_assert_uint_eq(timer_advance(&w, AT(5), cb, &c), CAPACITY / 2);
	ck_assert_uint_eq(w.armed, CAPACITY / 2);	/* all re-armed */
	c.rearm_every_us = 0;
	ck_assert_uint_eq(timer_advance(&w, AT(7), cb, &c), CAPACITY / 2);
	ck_assert_uint_eq(w.armed, 0);
	for (h = 0; h <= CAPACITY; h++)
		ck_assert_int_eq(timer_armed(&w, h), 0);
	timer_fini(&w);
}
END_TEST

static Suite *timer_suite(void)
{
	Suite *s = suite_create("timer");
	TCase *tc;

	tc = tcase_create("wheel");
	tcase_add_test(tc, test_arm_cancel_armed);
	tcase_add_test(tc, test_order_by_slot);
	tcase_add_test(tc, test_fires_in_its_slot);
	tcase_add_test(tc, test_armed_in_the_past);
	tcase_add_test(tc, test_next_due);
	tcase_add_test(tc, test_rearm_from_callback);
	tcase_add_test(tc, test_cancel_other_in_callback);
	tcase_add_test(tc, test_cancel_same_slot_in_callback);
	tcase_add_test(tc, test_armed_count);
	suite_add_tcase(s, tc);

	tc = tcase_create("horizon");
	tcase_add_test(tc, test_beyond_horizon);
	tcase_add_test(tc, test_jump_fires_each_once);
	tcase_add_test(tc, test_jump_rearm_future);
	tcase_add_test(tc, test_jump_rearm_past_terminates);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(timer_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
