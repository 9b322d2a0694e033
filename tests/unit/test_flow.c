/*
 * test_flow.c - unit tests for the flow table (src/flow.c).
 *
 * Keys are built the way the engine builds them: addresses as IPv6,
 * IPv4 ones v4-mapped, pad bytes zero. Where a test needs to know that
 * chains really were long, it walks the table's own index arrays (the
 * struct is public for exactly that kind of inspection).
 */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "flow.h"

#define BIG_CAPACITY	100000

static void addr(struct in6_addr *a, const char *text)
{
	struct in_addr v4;

	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, text, &v4) == 1) {
		a->s6_addr[10] = 0xff;
		a->s6_addr[11] = 0xff;
		memcpy(&a->s6_addr[12], &v4, 4);
		return;
	}
	ck_assert_int_eq(inet_pton(AF_INET6, text, a), 1);
}

static struct flow_key key(const char *client, uint16_t cport,
			   const char *server, uint16_t sport, uint8_t proto)
{
	struct flow_key k;

	memset(&k, 0, sizeof(k));
	addr(&k.client, client);
	addr(&k.server, server);
	k.client_port = cport;
	k.server_port = sport;
	k.proto = proto;
	return k;
}

/* A distinct key per n: the client address and port both vary. */
static struct flow_key key_n(uint32_t n)
{
	struct flow_key k;

	memset(&k, 0, sizeof(k));
	k.client.s6_addr[10] = 0xff;
	k.client.s6_addr[11] = 0xff;
	k.client.s6_addr[12] = 10;
	k.client.s6_addr[13] = (uint8_t)(n >> 16);
	k.client.s6_addr[14] = (uint8_t)(n >> 8);
	k.client.s6_addr[15] = (uint8_t)n;
	addr(&k.server, "198.18.2.2");
	k.client_port = (uint16_t)(1024 + n % 50000);
	k.server_port = 7781;
	k.proto = IPPROTO_UDP;
	return k;
}

static uint32_t lru_length(const struct flow_table *t)
{
	uint32_t i, n = 0, prev = 0;

	for (i = t->slots.head; i; i = t->flows[i].lru.next) {
		if (t->flows[i].lru.prev != prev)
			ck_abort_msg("flow %u: lru_prev %u, expected %u", i,
				     t->flows[i].lru.prev, prev);
		prev = i;
		n++;
		if (n > t->slots.capacity)
			ck_abort_msg("LRU list longer than the table: a loop");
	}
	ck_assert_uint_eq(t->slots.tail, prev);
	return n;
}

/* Every flow of k's service, in a bitmap over indices. */
static uint32_t service_walk(const struct flow_table *t,
			     const struct flow_key *k, uint8_t *seen)
{
	uint32_t i, n = 0;

	for (i = flow_service_first(t, k); i; i = flow_service_next(t, i, k)) {
		ck_assert_uint_le(i, t->slots.capacity);
		ck_assert_uint_eq(seen[i], 0);	/* no index twice */
		seen[i] = 1;
		n++;
		ck_assert_uint_le(n, t->slots.capacity);
	}
	return n;
}

START_TEST(test_init_bad)
{
	struct flow_table t;

	errno = 0;
	ck_assert_int_eq(flow_table_init(&t, 0, 1), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_ptr_null(t.flows);
	flow_table_fini(&t);	/* harmless on a failed init */
}
END_TEST

START_TEST(test_insert_lookup_remove)
{
	struct flow_table t;
	struct flow_key a = key("198.18.0.1", 40000, "198.18.2.2", 7781, IPPROTO_TCP);
	struct flow_key b = key("198.18.0.1", 40001, "198.18.2.2", 7781, IPPROTO_TCP);
	uint32_t ia, ib;
	struct flow *f;

	ck_assert_int_eq(flow_table_init(&t, 8, 12345), 0);
	ck_assert_uint_eq(t.slots.count, 0);
	ck_assert_uint_eq(flow_lookup(&t, &a), 0);
	ck_assert_uint_eq(flow_lru_oldest(&t), 0);

	ia = flow_insert(&t, &a);
	ck_assert_uint_ne(ia, 0);
	ck_assert_uint_le(ia, 8);
	ib = flow_insert(&t, &b);
	ck_assert_uint_ne(ib, 0);
	ck_assert_uint_ne(ib, ia);
	ck_assert_uint_eq(t.slots.count, 2);

	ck_assert_uint_eq(flow_lookup(&t, &a), ia);
	ck_assert_uint_eq(flow_lookup(&t, &b), ib);
	f = flow_get(&t, ia);
	ck_assert_int_eq(memcmp(&f->key, &a, sizeof(a)), 0);
	ck_assert_uint_eq(f->state, 0);

	flow_remove(&t, ia);
	ck_assert_uint_eq(t.slots.count, 1);
	ck_assert_uint_eq(flow_lookup(&t, &a), 0);
	ck_assert_uint_eq(flow_lookup(&t, &b), ib);
	ck_assert_uint_eq(lru_length(&t), 1);

	/* A reused slot comes back zeroed, whatever the flow left there. */
	flow_get(&t, ib)->state = 0xff;
	flow_get(&t, ib)->dir[0].data_us = 77;
	flow_remove(&t, ib);
	ck_assert_uint_eq(t.slots.count, 0);
	ck_assert_uint_eq(flow_lru_oldest(&t), 0);
	ck_assert_uint_eq(t.slots.head, 0);
	ib = flow_insert(&t, &b);
	ck_assert_uint_ne(ib, 0);
	f = flow_get(&t, ib);
	ck_assert_uint_eq(f->state, 0);
	ck_assert_uint_eq(f->dir[0].data_us, 0);
	ck_assert_uint_eq(flow_lookup(&t, &b), ib);
	flow_table_fini(&t);
}
END_TEST

START_TEST(test_key_equality)
{
	struct flow_table t;
	struct flow_key v4 = key("198.18.0.1", 40000, "198.18.2.2", 7781, IPPROTO_TCP);
	struct flow_key mapped = key("::ffff:198.18.0.1", 40000,
				     "::ffff:198.18.2.2", 7781, IPPROTO_TCP);
	/* The same 32 low bits, but a real IPv6 address (v4-compatible). */
	struct flow_key compat = key("::198.18.0.1", 40000, "::198.18.2.2", 7781,
				     IPPROTO_TCP);
	struct flow_key v6 = key("2001:db8::1", 40000, "2001:db8:2::2", 7781,
				 IPPROTO_TCP);
	struct flow_key v6same = key("2001:db8:0::0:1", 40000, "2001:db8:2:0::2",
				     7781, IPPROTO_TCP);
	struct flow_key udp = v4, swapped, cport = v4, sport = v4;
	uint32_t i4, i6;

	udp.proto = IPPROTO_UDP;
	cport.client_port = 40001;
	sport.server_port = 7782;
	swapped = key("198.18.2.2", 40000, "198.18.0.1", 7781, IPPROTO_TCP);

	ck_assert_int_eq(flow_table_init(&t, 16, 7), 0);
	i4 = flow_insert(&t, &v4);
	i6 = flow_insert(&t, &v6);
	ck_assert_uint_ne(i4, 0);
	ck_assert_uint_ne(i6, 0);

	ck_assert_uint_eq(flow_lookup(&t, &v4), i4);
	ck_assert_uint_eq(flow_lookup(&t, &mapped), i4);
	ck_assert_uint_eq(flow_lookup(&t, &v6), i6);
	ck_assert_uint_eq(flow_lookup(&t, &v6same), i6);

	ck_assert_uint_eq(flow_lookup(&t, &compat), 0);
	ck_assert_uint_eq(flow_lookup(&t, &udp), 0);
	ck_assert_uint_eq(flow_lookup(&t, &swapped), 0);
	ck_assert_uint_eq(flow_lookup(&t, &cport), 0);
	ck_assert_uint_eq(flow_lookup(&t, &sport), 0);
	flow_table_fini(&t);
}
END_TEST

START_TEST(test_lru_order)
{
	struct flow_table t;
	struct flow_key ka = key_n(1), kb = key_n(2), kc = key_n(3), kd = key_n(4);
	uint32_t a, b, c, d;

	ck_assert_int_eq(flow_table_init(&t, 8, 99), 0);
	a = flow_insert(&t, &ka);
	b = flow_insert(&t, &kb);
	c = flow_insert(&t, &kc);
	ck_assert_uint_eq(flow_lru_oldest(&t), a);
	ck_assert_uint_eq(t.slots.head, c);
	ck_assert_uint_eq(lru_length(&t), 3);

	flow_touch(&t, a);			/* a c b */
	ck_assert_uint_eq(t.slots.head, a);
	ck_assert_uint_eq(flow_lru_oldest(&t), b);
	flow_touch(&t, a);			/* touching the head: no change */
	ck_assert_uint_eq(t.slots.head, a);
	ck_assert_uint_eq(flow_lru_oldest(&t), b);
	ck_assert_uint_eq(lru_length(&t), 3);

	flow_touch(&t, b);			/* b a c */
	ck_assert_uint_eq(t.slots.head, b);
	ck_assert_uint_eq(flow_lru_oldest(&t), c);
	ck_assert_uint_eq(t.flows[b].lru.next, a);
	ck_assert_uint_eq(t.flows[a].lru.next, c);

	flow_remove(&t, a);			/* from the middle: b c */
	ck_assert_uint_eq(lru_length(&t), 2);
	ck_assert_uint_eq(t.flows[b].lru.next, c);
	ck_assert_uint_eq(flow_lru_oldest(&t), c);

	d = flow_insert(&t, &kd);		/* d b c */
	ck_assert_uint_eq(t.slots.head, d);
	flow_remove(&t, c);			/* the tail: d b */
	ck_assert_uint_eq(flow_lru_oldest(&t), b);
	flow_remove(&t, d);			/* the head: b */
	ck_assert_uint_eq(t.slots.head, b);
	ck_assert_uint_eq(flow_lru_oldest(&t), b);
	ck_assert_uint_eq(lru_length(&t), 1);
	flow_remove(&t, b);
	ck_assert_uint_eq(flow_lru_oldest(&t), 0);
	ck_assert_uint_eq(lru_length(&t), 0);
	flow_table_fini(&t);
}
END_TEST

START_TEST(test_table_full)
{
	struct flow_table t;
	struct flow_key k;
	uint32_t idx[4], n, oldest;

	ck_assert_int_eq(flow_table_init(&t, 4, 3), 0);
	for (n = 0; n < 4; n++) {
		k = key_n(n);
		idx[n] = flow_insert(&t, &k);
		ck_assert_uint_ne(idx[n], 0);
	}
	k = key_n(4);
	ck_assert_uint_eq(flow_insert(&t, &k), 0);
	ck_assert_uint_eq(t.slots.count, 4);
	ck_assert_uint_eq(flow_lookup(&t, &k), 0);
	/* A failed insert must not have disturbed the others. */
	for (n = 0; n < 4; n++) {
		struct flow_key kn = key_n(n);

		ck_assert_uint_eq(flow_lookup(&t, &kn), idx[n]);
	}
	ck_assert_uint_eq(lru_length(&t), 4);

	/* What the engine does: evict the oldest, insert again. */
	oldest = flow_lru_oldest(&t);
	ck_assert_uint_eq(oldest, idx[0]);
	flow_remove(&t, oldest);
	ck_assert_uint_eq(flow_insert(&t, &k), oldest);
	ck_assert_uint_eq(flow_lookup(&t, &k), oldest);
	ck_assert_uint_eq(t.slots.count, 4);
	flow_table_fini(&t);
}
END_TEST

START_TEST(test_service_index)
{
	struct flow_table t;
	struct flow_key same[10], other[5], probe;
	uint32_t idx[10], oidx[5];
	uint8_t seen[65];
	int n;

	ck_assert_int_eq(flow_table_init(&t, 64, 0xdeadbeef), 0);
	for (n = 0; n < 10; n++) {
		same[n] = key("198.18.0.1", (uint16_t)(40000 + n), "198.18.2.2",
			      7781, IPPROTO_TCP);
		idx[n] = flow_insert(&t, &same[n]);
		ck_assert_uint_ne(idx[n], 0);
	}
	/* One thing different each: none of these is the same service. */
	other[0] = key("198.18.0.2", 40000, "198.18.2.2", 7781, IPPROTO_TCP);
	other[1] = key("198.18.0.1", 40000, "198.18.2.3", 7781, IPPROTO_TCP);
	other[2] = key("198.18.0.1", 40000, "198.18.2.2", 7782, IPPROTO_TCP);
	other[3] = key("198.18.0.1", 40000, "198.18.2.2", 7781, IPPROTO_UDP);
	other[4] = key("::198.18.0.1", 40000, "::198.18.2.2", 7781, IPPROTO_TCP);
	for (n = 0; n < 5; n++) {
		oidx[n] = flow_insert(&t, &other[n]);
		ck_assert_uint_ne(oidx[n], 0);
	}

	/* From a member's own key. */
	memset(seen, 0, sizeof(seen));
	ck_assert_uint_eq(service_walk(&t, &same[3], seen), 10);
	for (n = 0; n < 10; n++)
		ck_assert_uint_eq(seen[idx[n]], 1);
	for (n = 0; n < 5; n++)
		ck_assert_uint_eq(seen[oidx[n]], 0);

	/* From a new client port not in the table (a reconnect's key). */
	probe = key("198.18.0.1", 50000, "198.18.2.2", 7781, IPPROTO_TCP);
	memset(seen, 0, sizeof(seen));
	ck_assert_uint_eq(service_walk(&t, &probe, seen), 10);

	/* Each of the others is alone in its service. */
	for (n = 0; n < 5; n++) {
		memset(seen, 0, sizeof(seen));
		ck_assert_uint_eq(service_walk(&t, &other[n], seen), 1);
		ck_assert_uint_eq(seen[oidx[n]], 1);
	}

	/* Removing members, the first, a middle one and the last inserted. */
	flow_remove(&t, idx[0]);
	flow_remove(&t, idx[5]);
	flow_remove(&t, idx[9]);
	memset(seen, 0, sizeof(seen));
	ck_assert_uint_eq(service_walk(&t, &probe, seen), 7);
	ck_assert_uint_eq(seen[idx[0]], 0);
	ck_assert_uint_eq(seen[idx[5]], 0);
	ck_assert_uint_eq(seen[idx[9]], 0);
	for (n = 1; n < 9; n++)
		if (n != 5)
			ck_assert_uint_eq(seen[idx[n]], 1);
	for (n = 0; n < 5; n++)
		ck_assert_uint_eq(flow_lookup(&t, &other[n]), oidx[n]);

	/* An empty service. */
	probe = key("203.0.113.9", 1, "198.18.2.2", 7781, IPPROTO_TCP);
	ck_assert_uint_eq(flow_service_first(&t, &probe), 0);
	flow_table_fini(&t);
}
END_TEST

/*
 * The loops count what is wrong and assert once: a Check assertion per
 * flow would cost more than the table does.
 */
START_TEST(test_many_flows)
{
	struct flow_table t;
	struct flow_key k;
	uint32_t n, i, bad = 0, first_bad = UINT32_MAX;
	uint8_t *used;

#define EXPECT(cond) do { \
		if (!(cond)) { \
			if (bad++ == 0) \
				first_bad = n; \
		} \
	} while (0)

	ck_assert_uint_le(sizeof(struct flow), 256);
	ck_assert_int_eq(flow_table_init(&t, BIG_CAPACITY, 0x5eed), 0);
	used = calloc(BIG_CAPACITY + 1, 1);
	ck_assert_ptr_nonnull(used);

	for (n = 0; n < BIG_CAPACITY; n++) {
		k = key_n(n);
		i = flow_insert(&t, &k);
		EXPECT(i != 0 && i <= BIG_CAPACITY && used[i] == 0);
		if (i == 0 || i > BIG_CAPACITY)
			continue;
		used[i] = 1;
		flow_get(&t, i)->gap_opened_us = n;	/* remember n by index */
	}
	ck_assert_msg(bad == 0, "%u bad inserts, first at %u", bad, first_bad);
	ck_assert_uint_eq(t.slots.count, BIG_CAPACITY);
	k = key_n(BIG_CAPACITY);
	ck_assert_uint_eq(flow_insert(&t, &k), 0);

	for (n = 0; n < BIG_CAPACITY; n++) {
		k = key_n(n);
		i = flow_lookup(&t, &k);
		EXPECT(i != 0 && flow_get(&t, i)->gap_opened_us == n);
	}
	ck_assert_msg(bad == 0, "%u bad lookups, first at %u", bad, first_bad);
	ck_assert_uint_eq(lru_length(&t), BIG_CAPACITY);

	/* Remove the odd ones, check, then the even ones. */
	for (n = 1; n < BIG_CAPACITY; n += 2) {
		k = key_n(n);
		i = flow_lookup(&t, &k);
		EXPECT(i != 0);
		if (i)
			flow_remove(&t, i);
	}
	ck_assert_uint_eq(t.slots.count, BIG_CAPACITY / 2);
	for (n = 0; n < BIG_CAPACITY; n++) {
		k = key_n(n);
		i = flow_lookup(&t, &k);
		if (n & 1)
			EXPECT(i == 0);
		else
			EXPECT(i != 0 && flow_get(&t, i)->gap_opened_us == n);
	}
	ck_assert_msg(bad == 0, "%u wrong after removing half, first at %u",
		      bad, first_bad);
	for (n = 0; n < BIG_CAPACITY; n += 2) {
		k = key_n(n);
		i = flow_lookup(&t, &k);
		EXPECT(i != 0);
		if (i)
			flow_remove(&t, i);
	}
	ck_assert_msg(bad == 0, "%u not found for removal, first at %u", bad,
		      first_bad);
	ck_assert_uint_eq(t.slots.count, 0);
	ck_assert_uint_eq(flow_lru_oldest(&t), 0);
	ck_assert_uint_eq(t.slots.head, 0);
	for (n = 0; n < BIG_CAPACITY; n++) {
		k = key_n(n);
		EXPECT(flow_lookup(&t, &k) == 0);
	}
	for (n = 0; n <= t.tuples.mask; n++)
		EXPECT(t.tuples.buckets[n] == 0 && t.services.buckets[n] == 0);
	ck_assert_msg(bad == 0, "%u left behind, first at %u", bad, first_bad);

	/* And the whole pool is usable again, each slot once. */
	memset(used, 0, BIG_CAPACITY + 1);
	for (n = 0; n < BIG_CAPACITY; n++) {
		k = key_n(n + BIG_CAPACITY);
		i = flow_insert(&t, &k);
		EXPECT(i != 0 && i <= BIG_CAPACITY && used[i] == 0);
		if (i != 0 && i <= BIG_CAPACITY)
			used[i] = 1;
	}
	ck_assert_msg(bad == 0, "%u bad re-inserts, first at %u", bad, first_bad);
	ck_assert_uint_eq(t.slots.count, BIG_CAPACITY);
	k = key_n(3 * BIG_CAPACITY);
	ck_assert_uint_eq(flow_insert(&t, &k), 0);
#undef EXPECT
	free(used);
	flow_table_fini(&t);
}
END_TEST

/* Longest 5-tuple chain in the table. */
static uint32_t longest_chain(const struct flow_table *t)
{
	uint32_t b, i, n, best = 0;

	for (b = 0; b <= t->tuples.mask; b++) {
		n = 0;
		for (i = t->tuples.buckets[b]; i; i = t->flows[i].tuple_next)
			n++;
		if (n > best)
			best = n;
	}
	return best;
}

START_TEST(test_remove_middle_of_chains)
{
	enum { N = 64 };
	struct flow_table t;
	struct flow_key k;
	uint32_t idx[N], order[N], n, m, tmp, r = 2463534242U;
	uint8_t gone[N];

	/* Four buckets for 64 flows (capacity 4 would cap the pool, so
	 * shrink the masks after init): every chain is long. */
	ck_assert_int_eq(flow_table_init(&t, N, 42), 0);
	t.tuples.mask = 3;
	t.services.mask = 3;
	for (n = 0; n < N; n++) {
		k = key_n(n);
		idx[n] = flow_insert(&t, &k);
		ck_assert_uint_ne(idx[n], 0);
		order[n] = n;
	}
	ck_assert_uint_ge(longest_chain(&t), 3);

	/* Remove in a pseudo-random order; after each removal every
	 * survivor must still be found by both indexes. */
	for (n = N - 1; n > 0; n--) {
		r ^= r << 13;
		r ^= r >> 17;
		r ^= r << 5;
		m = r % (n + 1);
		tmp = order[n];
		order[n] = order[m];
		order[m] = tmp;
	}
	memset(gone, 0, sizeof(gone));
	for (n = 0; n < N; n++) {
		uint8_t seen[N + 1];
		struct flow_key probe = key_n(0);
		uint32_t expect = 0, found;

		k = key_n(order[n]);
		flow_remove(&t, idx[order[n]]);
		gone[order[n]] = 1;
		for (m = 0; m < N; m++) {
			k = key_n(m);
			ck_assert_uint_eq(flow_lookup(&t, &k), gone[m] ? 0 : idx[m]);
		}
		/* key_n() gives every flow its own service; walk them all. */
		for (m = 0; m < N; m++) {
			probe = key_n(m);
			memset(seen, 0, sizeof(seen));
			found = service_walk(&t, &probe, seen);
			ck_assert_uint_eq(found, gone[m] ? 0 : 1);
			if (!gone[m]) {
				ck_assert_uint_eq(seen[idx[m]], 1);
				expect++;
			}
		}
		ck_assert_uint_eq(t.slots.count, expect);
	}
	flow_table_fini(&t);
}
END_TEST

START_TEST(test_remove_middle_of_service_chain)
{
	enum { N = 9 };
	struct flow_table t;
	struct flow_key k[N];
	uint32_t idx[N], n, m;
	uint8_t seen[N + 1];
	const uint32_t order[N] = { 4, 0, 8, 2, 6, 1, 7, 3, 5 };

	/* One service: all nine flows sit in one service chain. */
	ck_assert_int_eq(flow_table_init(&t, N, 1), 0);
	for (n = 0; n < N; n++) {
		k[n] = key("2001:db8::1", (uint16_t)(40000 + n), "2001:db8:2::2",
			   7781, IPPROTO_UDP);
		idx[n] = flow_insert(&t, &k[n]);
	}
	for (n = 0; n < N; n++) {
		flow_remove(&t, idx[order[n]]);
		memset(seen, 0, sizeof(seen));
		ck_assert_uint_eq(service_walk(&t, &k[0], seen), N - 1 - n);
		for (m = 0; m < N; m++) {
			int removed = 0;
			uint32_t j;

			for (j = 0; j <= n; j++)
				if (order[j] == m)
					removed = 1;
			ck_assert_uint_eq(seen[idx[m]], !removed);
			ck_assert_uint_eq(flow_lookup(&t, &k[m]), removed ? 0 : idx[m]);
		}
	}
	flow_table_fini(&t);
}
END_TEST

static Suite *flow_suite(void)
{
	Suite *s = suite_create("flow");
	TCase *tc;

	tc = tcase_create("table");
	tcase_add_test(tc, test_init_bad);
	tcase_add_test(tc, test_insert_lookup_remove);
	tcase_add_test(tc, test_key_equality);
	tcase_add_test(tc, test_lru_order);
	tcase_add_test(tc, test_table_full);
	tcase_add_test(tc, test_service_index);
	tcase_add_test(tc, test_remove_middle_of_chains);
	tcase_add_test(tc, test_remove_middle_of_service_chain);
	suite_add_tcase(s, tc);

	tc = tcase_create("scale");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_many_flows);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(flow_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
