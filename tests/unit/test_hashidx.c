/*
 * test_hashidx.c - unit tests for the index-linked hash index and LRU
 * pool (src/hashidx.c), on an entry type of the test's own: the links sit
 * inside the entries, as in the flow table and conntrack's histories.
 */
#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hashidx.h"

struct entry {
	uint32_t key;		/* first: hashidx_find compares it */
	uint32_t chain;
	struct hashidx_link lru;
	uint32_t payload;
};

#define CAP 8

struct table {
	struct entry e[CAP + 1];
	struct hashidx x;
	struct hashidx_pool p;
};

static void table_init(struct table *t, uint32_t cap)
{
	memset(t, 0, sizeof(*t));
	ck_assert_int_eq(hashidx_init(&t->x, cap, &t->e[0].chain,
				      sizeof(t->e[0])), 0);
	ck_assert_int_eq(hashidx_pool_init(&t->p, cap, t->e, &t->e[0].lru,
					   sizeof(t->e[0])), 0);
}

static uint32_t find(const struct table *t, uint32_t key)
{
	return hashidx_find(&t->x, key, t->e, sizeof(t->e[0]), &key,
			    sizeof(key));
}

/* Insert with the key as its own hash: the test picks the chains. */
static uint32_t insert(struct table *t, uint32_t key)
{
	uint32_t i = hashidx_pool_take(&t->p);

	if (i) {
		t->e[i].key = key;
		hashidx_add(&t->x, key, i);
	}
	return i;
}

static void erase(struct table *t, uint32_t i)
{
	hashidx_del(&t->x, t->e[i].key, i);
	hashidx_pool_put(&t->p, i);
}

/* The LRU list from newest to oldest, checked both ways, into order[]. */
static uint32_t lru(const struct table *t, uint32_t *order)
{
	uint32_t i, n = 0, prev = 0;

	for (i = t->p.head; i; i = t->e[i].lru.next) {
		ck_assert_uint_eq(t->e[i].lru.prev, prev);
		ck_assert_uint_lt(n, t->p.capacity);
		order[n++] = i;
		prev = i;
	}
	ck_assert_uint_eq(t->p.tail, prev);
	ck_assert_uint_eq(hashidx_pool_oldest(&t->p), prev);
	ck_assert_uint_eq(t->p.count, n);
	return n;
}

START_TEST(test_init_bad)
{
	struct table t;

	errno = 0;
	ck_assert_int_eq(hashidx_init(&t.x, 0, &t.e[0].chain, sizeof(t.e[0])), -1);
	ck_assert_int_eq(errno, EINVAL);
	errno = 0;
	ck_assert_int_eq(hashidx_init(&t.x, HASHIDX_CAPACITY_MAX + 1,
				      &t.e[0].chain, sizeof(t.e[0])), -1);
	ck_assert_int_eq(errno, EINVAL);
	hashidx_fini(&t.x);	/* a failed init leaves it finishable */
	errno = 0;
	ck_assert_int_eq(hashidx_pool_init(&t.p, 0, t.e, &t.e[0].lru,
					   sizeof(t.e[0])), -1);
	ck_assert_int_eq(errno, EINVAL);
	errno = 0;
	ck_assert_int_eq(hashidx_pool_init(&t.p, HASHIDX_CAPACITY_MAX + 1, t.e,
					   &t.e[0].lru, sizeof(t.e[0])), -1);
	ck_assert_int_eq(errno, EINVAL);
}
END_TEST

START_TEST(test_buckets_power_of_two)
{
	struct table t;

	table_init(&t, 5);
	ck_assert_uint_eq(t.x.mask, 7);
	hashidx_fini(&t.x);
	table_init(&t, 8);
	ck_assert_uint_eq(t.x.mask, 7);
	hashidx_fini(&t.x);
	table_init(&t, 1);
	ck_assert_uint_eq(t.x.mask, 0);
	hashidx_fini(&t.x);
}
END_TEST

START_TEST(test_take_order_and_full)
{
	struct table t;
	uint32_t n;

	table_init(&t, CAP);
	/* Never-used slots in order, then 0 when full. */
	for (n = 1; n <= CAP; n++) {
		ck_assert_uint_eq(hashidx_pool_end(&t.p), n);
		ck_assert_uint_eq(insert(&t, 100 + n), n);
	}
	ck_assert_uint_eq(hashidx_pool_end(&t.p), CAP + 1);
	ck_assert_uint_eq(hashidx_pool_take(&t.p), 0);
	ck_assert_uint_eq(t.p.count, CAP);
	/* Freed slots come back last freed first; the entry zeroed. */
	t.e[3].payload = 33;
	erase(&t, 3);
	erase(&t, 6);
	ck_assert_uint_eq(t.p.count, CAP - 2);
	ck_assert_uint_eq(insert(&t, 200), 6);
	ck_assert_uint_eq(insert(&t, 201), 3);
	ck_assert_uint_eq(t.e[3].payload, 0);
	ck_assert_uint_eq(t.e[3].key, 201);
	ck_assert_uint_eq(hashidx_pool_take(&t.p), 0);
	ck_assert_uint_eq(hashidx_pool_end(&t.p), CAP + 1);
	hashidx_fini(&t.x);
}
END_TEST

START_TEST(test_lru_order)
{
	struct table t;
	uint32_t order[CAP], a, b, c, d;

	table_init(&t, CAP);
	ck_assert_uint_eq(lru(&t, order), 0);
	ck_assert_uint_eq(hashidx_pool_oldest(&t.p), 0);
	a = insert(&t, 1);
	b = insert(&t, 2);
	c = insert(&t, 3);
	ck_assert_uint_eq(lru(&t, order), 3);		/* c b a */
	ck_assert_uint_eq(order[0], c);
	ck_assert_uint_eq(order[2], a);
	hashidx_pool_touch(&t.p, a);			/* a c b */
	ck_assert_uint_eq(lru(&t, order), 3);
	ck_assert_uint_eq(order[0], a);
	ck_assert_uint_eq(order[1], c);
	ck_assert_uint_eq(order[2], b);
	hashidx_pool_touch(&t.p, a);			/* the head: no change */
	ck_assert_uint_eq(lru(&t, order), 3);
	ck_assert_uint_eq(order[0], a);
	hashidx_pool_touch(&t.p, b);			/* the tail: b a c */
	ck_assert_uint_eq(lru(&t, order), 3);
	ck_assert_uint_eq(order[0], b);
	ck_assert_uint_eq(order[2], c);
	erase(&t, a);					/* the middle: b c */
	ck_assert_uint_eq(lru(&t, order), 2);
	ck_assert_uint_eq(order[1], c);
	d = insert(&t, 4);				/* d b c */
	ck_assert_uint_eq(d, a);			/* a's slot again */
	erase(&t, c);					/* the tail: d b */
	ck_assert_uint_eq(lru(&t, order), 2);
	ck_assert_uint_eq(hashidx_pool_oldest(&t.p), b);
	erase(&t, d);					/* the head: b */
	ck_assert_uint_eq(lru(&t, order), 1);
	erase(&t, b);
	ck_assert_uint_eq(lru(&t, order), 0);
	ck_assert_uint_eq(t.p.head, 0);
	hashidx_fini(&t.x);
}
END_TEST

START_TEST(test_one_chain)
{
	struct table t;
	uint32_t idx[CAP], n, m, removed = 0;
	const uint32_t order[CAP] = { 3, 0, 7, 5, 1, 6, 2, 4 };

	/* Keys 8 apart share a bucket of eight: one chain of eight. */
	table_init(&t, CAP);
	for (n = 0; n < CAP; n++)
		idx[n] = insert(&t, n * 8);
	ck_assert_uint_eq(hashidx_first(&t.x, 0), idx[CAP - 1]);
	for (n = 0, m = hashidx_first(&t.x, 0); m; m = hashidx_next(&t.x, m))
		n++;
	ck_assert_uint_eq(n, CAP);
	ck_assert_uint_eq(find(&t, 1), 0);		/* other bucket */
	ck_assert_uint_eq(find(&t, 64), 0);		/* this bucket, no key */
	/* Out of the chain from every position; the rest still found. */
	for (n = 0; n < CAP; n++) {
		erase(&t, idx[order[n]]);
		removed |= 1U << order[n];
		for (m = 0; m < CAP; m++)
			ck_assert_uint_eq(find(&t, m * 8),
					  (removed >> m) & 1 ? 0 : idx[m]);
	}
	ck_assert_uint_eq(hashidx_first(&t.x, 0), 0);
	hashidx_fini(&t.x);
}
END_TEST

START_TEST(test_del_not_in_chain)
{
	struct table t;
	uint32_t a, b;

	table_init(&t, CAP);
	a = insert(&t, 0);
	b = insert(&t, 8);
	/* Slot b asked out of a chain it is not in: nothing changes. */
	hashidx_del(&t.x, 1, b);
	ck_assert_uint_eq(find(&t, 0), a);
	ck_assert_uint_eq(find(&t, 8), b);
	hashidx_fini(&t.x);
}
END_TEST

static Suite *hashidx_suite(void)
{
	Suite *s = suite_create("hashidx");
	TCase *tc = tcase_create("index");

	tcase_add_test(tc, test_init_bad);
	tcase_add_test(tc, test_buckets_power_of_two);
	tcase_add_test(tc, test_one_chain);
	tcase_add_test(tc, test_del_not_in_chain);
	suite_add_tcase(s, tc);
	tc = tcase_create("pool");
	tcase_add_test(tc, test_take_order_and_full);
	tcase_add_test(tc, test_lru_order);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(hashidx_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
