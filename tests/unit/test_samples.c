/*
 * test_samples.c - unit tests for the time-indexed sample ring
 * (src/samples.c): "value at or before t" inside the ring, before its
 * oldest sample, after its newest, with equal times, and once the ring
 * has wrapped and forgotten its first samples.
 */
#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "samples.h"

struct pair {
	uint64_t a, b;
};

/* The a member of the value at t, or -1 for none. */
static long long at(const struct samples *r, uint64_t t)
{
	const struct pair *p = samples_at(r, t);

	return p ? (long long)p->a : -1;
}

static void add(struct samples *r, uint64_t t, uint64_t a)
{
	struct pair p = { a, a * 10 };

	samples_add(r, t, &p);
}

START_TEST(test_init_bad)
{
	struct samples r;

	errno = 0;
	ck_assert_int_eq(samples_init(&r, 0, sizeof(struct pair)), -1);
	ck_assert_int_eq(errno, EINVAL);
	errno = 0;
	ck_assert_int_eq(samples_init(&r, 4, 0), -1);
	ck_assert_int_eq(errno, EINVAL);
	samples_fini(&r);	/* a failed init leaves it finishable */
}
END_TEST

START_TEST(test_empty)
{
	struct samples r;

	ck_assert_int_eq(samples_init(&r, 4, sizeof(struct pair)), 0);
	ck_assert_ptr_null(samples_at(&r, 0));
	ck_assert_ptr_null(samples_at(&r, UINT64_MAX));
	ck_assert_ptr_null(samples_newest(&r));
	samples_fini(&r);
	samples_fini(&r);	/* twice is fine */
}
END_TEST

START_TEST(test_at_or_before)
{
	struct samples r;
	const struct pair *p;

	ck_assert_int_eq(samples_init(&r, 8, sizeof(struct pair)), 0);
	add(&r, 100, 1);
	add(&r, 200, 2);
	add(&r, 300, 3);
	ck_assert_int_eq(at(&r, 100), 1);	/* exactly at a sample */
	ck_assert_int_eq(at(&r, 199), 1);
	ck_assert_int_eq(at(&r, 200), 2);
	ck_assert_int_eq(at(&r, 299), 2);
	ck_assert_int_eq(at(&r, 300), 3);
	ck_assert_int_eq(at(&r, 1000000), 3);	/* after the newest */
	/* Before the oldest: the oldest, not nothing. */
	ck_assert_int_eq(at(&r, 99), 1);
	ck_assert_int_eq(at(&r, 0), 1);
	p = samples_newest(&r);
	ck_assert_uint_eq(p->a, 3);
	ck_assert_uint_eq(p->b, 30);		/* the whole value is kept */
	samples_fini(&r);
}
END_TEST

START_TEST(test_equal_times)
{
	struct samples r;

	/* Two samples at one time: the later one is the value at t. */
	ck_assert_int_eq(samples_init(&r, 8, sizeof(struct pair)), 0);
	add(&r, 100, 1);
	add(&r, 200, 2);
	add(&r, 200, 3);
	add(&r, 300, 4);
	ck_assert_int_eq(at(&r, 200), 3);
	ck_assert_int_eq(at(&r, 250), 3);
	ck_assert_int_eq(at(&r, 199), 1);
	samples_fini(&r);
}
END_TEST

START_TEST(test_one_sample)
{
	struct samples r;

	ck_assert_int_eq(samples_init(&r, 1, sizeof(struct pair)), 0);
	add(&r, 100, 1);
	ck_assert_int_eq(at(&r, 50), 1);
	ck_assert_int_eq(at(&r, 150), 1);
	add(&r, 200, 2);			/* replaces the only one */
	ck_assert_int_eq(at(&r, 50), 2);
	ck_assert_int_eq(at(&r, 250), 2);
	ck_assert_uint_eq(((const struct pair *)samples_newest(&r))->a, 2);
	samples_fini(&r);
}
END_TEST

START_TEST(test_wrapped)
{
	struct samples r;
	uint64_t n;

	/* Ten samples into four slots: 7..10 remain, at times 700..1000. */
	ck_assert_int_eq(samples_init(&r, 4, sizeof(struct pair)), 0);
	for (n = 1; n <= 10; n++)
		add(&r, n * 100, n);
	ck_assert_uint_eq(r.count, 4);
	ck_assert_int_eq(at(&r, 1000), 10);
	ck_assert_int_eq(at(&r, 999), 9);
	ck_assert_int_eq(at(&r, 700), 7);
	/* Forgotten times map to the oldest kept, 7. */
	ck_assert_int_eq(at(&r, 699), 7);
	ck_assert_int_eq(at(&r, 100), 7);
	ck_assert_uint_eq(((const struct pair *)samples_newest(&r))->a, 10);
	/* The oldest and the newest slot meet at every position. */
	for (n = 11; n <= 14; n++) {
		add(&r, n * 100, n);
		ck_assert_int_eq(at(&r, 0), (long long)n - 3);
		ck_assert_int_eq(at(&r, n * 100), (long long)n);
		ck_assert_int_eq(at(&r, n * 100 - 1), (long long)n - 1);
	}
	samples_fini(&r);
}
END_TEST

static Suite *samples_suite(void)
{
	Suite *s = suite_create("samples");
	TCase *tc = tcase_create("ring");

	tcase_add_test(tc, test_init_bad);
	tcase_add_test(tc, test_empty);
	tcase_add_test(tc, test_at_or_before);
	tcase_add_test(tc, test_equal_times);
	tcase_add_test(tc, test_one_sample);
	tcase_add_test(tc, test_wrapped);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(samples_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
