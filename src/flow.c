/*
 * flow.c - fixed-size flow table with chained hashing over indices.
 *
 * Chains hold 32-bit indices rather than pointers: a flow stays under 256
 * bytes and 100k flows fit in about 25 MB. The bucket array is sized to a
 * power of two at least as large as the pool, so chains stay short; the
 * hash is seeded so that crafted tuples cannot be aimed at one chain.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "flow.h"

_Static_assert(sizeof(struct flow) <= 256, "a flow must stay within 256 bytes");
_Static_assert(sizeof(struct flow_key) == 40, "flow_key must have no hidden padding");

/* Largest pool: indices and the bucket count must fit in 32 bits. */
#define FLOW_CAPACITY_MAX (1U << 28)

static inline uint32_t mix(uint32_t h, uint32_t w)
{
	w *= 0xcc9e2d51U;
	w = (w << 15) | (w >> 17);
	w *= 0x1b873593U;
	h ^= w;
	h = (h << 13) | (h >> 19);
	return h * 5 + 0xe6546b64U;
}

static inline uint32_t finish(uint32_t h)
{
	h ^= h >> 16;
	h *= 0x85ebca6bU;
	h ^= h >> 13;
	h *= 0xc2b2ae35U;
	return h ^ (h >> 16);
}

static inline uint32_t addr_mix(uint32_t h, const struct in6_addr *a)
{
	uint32_t w[4];

	memcpy(w, a, sizeof(w));
	h = mix(h, w[0]);
	h = mix(h, w[1]);
	h = mix(h, w[2]);
	return mix(h, w[3]);
}

static uint32_t service_hash(const struct flow_table *t,
			     const struct flow_key *k)
{
	uint32_t h = t->seed;

	h = addr_mix(h, &k->client);
	h = addr_mix(h, &k->server);
	h = mix(h, ((uint32_t)k->server_port << 8) | k->proto);
	return finish(h) & t->mask;
}

uint32_t flow_key_hash(const struct flow_key *k, uint32_t seed)
{
	uint32_t h = seed;

	h = addr_mix(h, &k->client);
	h = addr_mix(h, &k->server);
	h = mix(h, ((uint32_t)k->client_port << 16) | k->server_port);
	h = mix(h, k->proto);
	return finish(h);
}

static uint32_t tuple_hash(const struct flow_table *t, const struct flow_key *k)
{
	return flow_key_hash(k, t->seed) & t->mask;
}

static inline int same_service(const struct flow_key *a,
			       const struct flow_key *b)
{
	return a->proto == b->proto && a->server_port == b->server_port &&
	       memcmp(&a->client, &b->client, sizeof(a->client)) == 0 &&
	       memcmp(&a->server, &b->server, sizeof(a->server)) == 0;
}

int flow_table_init(struct flow_table *t, uint32_t capacity, uint32_t seed)
{
	uint32_t nbuckets = 1;

	memset(t, 0, sizeof(*t));
	if (capacity == 0 || capacity > FLOW_CAPACITY_MAX) {
		errno = EINVAL;
		return -1;
	}
	while (nbuckets < capacity)
		nbuckets <<= 1;
	/* calloc: pages of the pool are only touched as flows arrive, so
	 * a large --max-flows costs address space, not resident memory. */
	t->flows = calloc((size_t)capacity + 1, sizeof(*t->flows));
	t->buckets = calloc(nbuckets, sizeof(*t->buckets));
	t->svc_buckets = calloc(nbuckets, sizeof(*t->svc_buckets));
	if (t->flows == NULL || t->buckets == NULL || t->svc_buckets == NULL) {
		flow_table_fini(t);
		errno = ENOMEM;
		return -1;
	}
	t->mask = nbuckets - 1;
	t->capacity = capacity;
	t->seed = seed;
	/* Slots never used are handed out in order (next_unused) before
	 * the free list: the pool's pages are touched only as the number
	 * of live flows grows, not all at start-up. */
	t->next_unused = 1;
	return 0;
}

void flow_table_fini(struct flow_table *t)
{
	free(t->flows);
	free(t->buckets);
	free(t->svc_buckets);
	t->flows = NULL;
	t->buckets = NULL;
	t->svc_buckets = NULL;
}

uint32_t flow_lookup(const struct flow_table *t, const struct flow_key *k)
{
	uint32_t i = t->buckets[tuple_hash(t, k)];

	while (i && memcmp(&t->flows[i].key, k, sizeof(*k)) != 0)
		i = t->flows[i].hash_next;
	return i;
}

static void lru_unlink(struct flow_table *t, uint32_t i)
{
	struct flow *f = &t->flows[i];

	if (f->lru_prev)
		t->flows[f->lru_prev].lru_next = f->lru_next;
	else
		t->lru_head = f->lru_next;
	if (f->lru_next)
		t->flows[f->lru_next].lru_prev = f->lru_prev;
	else
		t->lru_tail = f->lru_prev;
}

static void lru_push_head(struct flow_table *t, uint32_t i)
{
	struct flow *f = &t->flows[i];

	f->lru_prev = 0;
	f->lru_next = t->lru_head;
	if (t->lru_head)
		t->flows[t->lru_head].lru_prev = i;
	else
		t->lru_tail = i;
	t->lru_head = i;
}

void flow_touch(struct flow_table *t, uint32_t i)
{
	if (t->lru_head == i)
		return;
	lru_unlink(t, i);
	lru_push_head(t, i);
}

uint32_t flow_insert(struct flow_table *t, const struct flow_key *k)
{
	uint32_t i = t->free_head, b;
	struct flow *f;

	if (i != 0) {
		t->free_head = t->flows[i].hash_next;
	} else if (t->next_unused <= t->capacity) {
		i = t->next_unused++;
	} else {
		return 0;
	}
	f = &t->flows[i];
	memset(f, 0, sizeof(*f));
	f->key = *k;
	b = tuple_hash(t, k);
	f->hash_next = t->buckets[b];
	t->buckets[b] = i;
	b = service_hash(t, k);
	f->svc_next = t->svc_buckets[b];
	t->svc_buckets[b] = i;
	lru_push_head(t, i);
	t->count++;
	return i;
}

/* Unlink i from a singly linked chain whose links live at offset "link"
 * inside struct flow. Chains are short: the walk is cheap. */
static void chain_unlink(struct flow_table *t, uint32_t *head, uint32_t i,
			 size_t link)
{
	uint32_t *p = head;

	while (*p && *p != i)
		p = (uint32_t *)((char *)&t->flows[*p] + link);
	if (*p == i)
		*p = *(uint32_t *)((char *)&t->flows[i] + link);
}

void flow_remove(struct flow_table *t, uint32_t i)
{
	struct flow *f = &t->flows[i];

	chain_unlink(t, &t->buckets[tuple_hash(t, &f->key)], i,
		     offsetof(struct flow, hash_next));
	chain_unlink(t, &t->svc_buckets[service_hash(t, &f->key)], i,
		     offsetof(struct flow, svc_next));
	lru_unlink(t, i);
	f->hash_next = t->free_head;
	t->free_head = i;
	t->count--;
}

uint32_t flow_service_next(const struct flow_table *t, uint32_t i,
			   const struct flow_key *k)
{
	for (i = t->flows[i].svc_next; i; i = t->flows[i].svc_next)
		if (same_service(&t->flows[i].key, k))
			return i;
	return 0;
}

uint32_t flow_service_first(const struct flow_table *t,
			    const struct flow_key *k)
{
	uint32_t i = t->svc_buckets[service_hash(t, k)];

	if (i && same_service(&t->flows[i].key, k))
		return i;
	return i ? flow_service_next(t, i, k) : 0;
}
