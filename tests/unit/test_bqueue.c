/*
 * test_bqueue.c - the bounded queue (src/bqueue.c): order, the refusals
 * it counts when full or closed, peek before pop, the end a closed queue
 * signals, and the eventfd a polling consumer watches.
 */
#include <check.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>

#include "bqueue.h"

static struct bqueue *make(uint32_t capacity, int flags)
{
	char err[128];
	struct bqueue *q = bqueue_new("test", capacity, sizeof(uint64_t),
				      flags, err, sizeof(err));

	ck_assert_msg(q != NULL, "bqueue_new: %s", err);
	return q;
}

static int readable(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, 0) == 1;
}

START_TEST(test_fifo_full_refused)
{
	struct bqueue *q = make(3, 0);
	uint64_t v, many[8];
	uint32_t n;

	for (v = 1; v <= 3; v++)
		ck_assert_int_eq(bqueue_push(q, &v), 0);
	/* Full: refused and counted, the producer goes on. */
	ck_assert_int_eq(bqueue_push(q, &v), -1);
	ck_assert_int_eq(bqueue_push(q, &v), -1);
	ck_assert_uint_eq(bqueue_refused(q), 2);
	/* Peek leaves it there; pop takes it; NULL drops it. */
	ck_assert_int_eq(bqueue_peek(q, &v), 1);
	ck_assert_uint_eq(v, 1);
	ck_assert_int_eq(bqueue_pop(q, NULL), 1);
	ck_assert_int_eq(bqueue_pop(q, &v), 1);
	ck_assert_uint_eq(v, 2);
	/* Around the end of the ring, in order. */
	v = 4;
	ck_assert_int_eq(bqueue_push(q, &v), 0);
	v = 5;
	ck_assert_int_eq(bqueue_push(q, &v), 0);
	n = bqueue_pop_many(q, many, 8);
	ck_assert_uint_eq(n, 3);
	ck_assert_uint_eq(many[0], 3);
	ck_assert_uint_eq(many[1], 4);
	ck_assert_uint_eq(many[2], 5);
	ck_assert_int_eq(bqueue_pop(q, &v), 0);
	ck_assert_int_eq(bqueue_fd(q), -1);
	bqueue_free(q);
	bqueue_free(NULL);
}
END_TEST

START_TEST(test_close_drains_then_ends)
{
	struct bqueue *q = make(4, 0);
	uint64_t v = 7;

	ck_assert_int_eq(bqueue_push(q, &v), 0);
	bqueue_close(q);
	ck_assert(bqueue_closed(q));
	ck_assert_int_eq(bqueue_push(q, &v), -1);
	ck_assert_uint_eq(bqueue_refused(q), 1);
	/* What was queued still comes out, then the end. */
	ck_assert_int_eq(bqueue_wait(q), 1);
	ck_assert_int_eq(bqueue_pop(q, &v), 1);
	ck_assert_int_eq(bqueue_peek(q, &v), -1);
	ck_assert_int_eq(bqueue_pop(q, &v), -1);
	ck_assert_int_eq(bqueue_wait(q), 0);
	bqueue_free(q);
}
END_TEST

static void *kick_later(void *arg)
{
	bqueue_kick(arg);
	return NULL;
}

START_TEST(test_eventfd_and_kick)
{
	struct bqueue *q = make(4, BQUEUE_EVENTFD);
	pthread_t t;
	uint64_t v = 1;

	ck_assert_int_ge(bqueue_fd(q), 0);
	ck_assert(!readable(bqueue_fd(q)));
	ck_assert_int_eq(bqueue_push(q, &v), 0);
	ck_assert(readable(bqueue_fd(q)));
	bqueue_fd_clear(q);
	ck_assert(!readable(bqueue_fd(q)));
	ck_assert_int_eq(bqueue_pop(q, &v), 1);
	/* A kick wakes a sleeping consumer without an element. */
	ck_assert_int_eq(pthread_create(&t, NULL, kick_later, q), 0);
	ck_assert_int_eq(bqueue_wait(q), 1);
	pthread_join(t, NULL);
	ck_assert_int_eq(bqueue_peek(q, &v), 0);
	bqueue_close(q);
	ck_assert(readable(bqueue_fd(q)));
	bqueue_free(q);
}
END_TEST

static Suite *bqueue_suite(void)
{
	Suite *s = suite_create("bqueue");
	TCase *tc = tcase_create("bqueue");

	tcase_add_test(tc, test_fifo_full_refused);
	tcase_add_test(tc, test_close_drains_then_ends);
	tcase_add_test(tc, test_eventfd_and_kick);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(bqueue_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
