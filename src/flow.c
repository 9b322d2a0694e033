/*
 * flow.c - fixed-size flow table: the flows, and their two hash indexes
 * and LRU order kept by hashidx.
 *
 * A flow stays under 256 bytes and 100k flows fit in about 25 MB, links
 * included. The bucket arrays are sized to a power of two at least as
 * large as the pool, so chains stay short; the hash is seeded so that
 * crafted tuples cannot be aimed at one chain.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "flow.h"

_Static_assert(sizeof(struct flow) <= 256, "a flow must stay within 256 bytes");
_Static_assert(sizeof(struct flow_key) == 40, "flow_key must have no hidden padding");
_Static_assert(offsetof(struct flow, key) == 0, "hashidx_find wants the key first");

/*
 * The hash is MurmurHash3's x86_32 (Austin Appleby, public domain): its
 * block constants C1 and C2, its per-block step, and its finaliser, which
 * makes every input bit flip each output bit with probability 1/2.
 */
#define MURMUR_C1	0xcc9e2d51U
#define MURMUR_C2	0x1b873593U
#define MURMUR_STEP	0xe6546b64U
#define MURMUR_FMIX1	0x85ebca6bU
#define MURMUR_FMIX2	0xc2b2ae35U

static inline uint32_t mix(uint32_t h, uint32_t w)
{
	w *= MURMUR_C1;
	w = (w << 15) | (w >> 17);
	w *= MURMUR_C2;
	h ^= w;
	h = (h << 13) | (h >> 19);
	return h * 5 + MURMUR_STEP;
}

static inline uint32_t finish(uint32_t h)
{
	h ^= h >> 16;
	h *= MURMUR_FMIX1;
	h ^= h >> 13;
	h *= MURMUR_FMIX2;
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
	return finish(h);
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

static inline int same_service(const struct flow_key *a,
			       const struct flow_key *b)
{
	return a->proto == b->proto && a->server_port == b->server_port &&
	       memcmp(&a->client, &b->client, sizeof(a->client)) == 0 &&
	       memcmp(&a->server, &b->server, sizeof(a->server)) == 0;
}

int flow_table_init(struct flow_table *t, uint32_t capacity, uint32_t seed)
{
	memset(t, 0, sizeof(*t));
	if (capacity == 0 || capacity > HASHIDX_CAPACITY_MAX) {
		errno = EINVAL;
		return -1;
	}
	/* calloc: pages of the pool are only touched as flows arrive, so
	 * a large --max-flows costs address space, not resident memory
	 * (the slots are handed out in order before any is reused). */
	t->flows = calloc((size_t)capacity + 1, sizeof(*t->flows));
	if (t->flows == NULL ||
	    hashidx_pool_init(&t->slots, capacity, t->flows, &t->flows[0].lru,
			      sizeof(*t->flows)) < 0 ||
	    hashidx_init(&t->tuples, capacity, &t->flows[0].tuple_next,
			 sizeof(*t->flows)) < 0 ||
	    hashidx_init(&t->services, capacity, &t->flows[0].service_next,
			 sizeof(*t->flows)) < 0) {
		flow_table_fini(t);
		errno = ENOMEM;
		return -1;
	}
	t->seed = seed;
	return 0;
}

void flow_table_fini(struct flow_table *t)
{
	free(t->flows);
	t->flows = NULL;
	hashidx_fini(&t->tuples);
	hashidx_fini(&t->services);
}

uint32_t flow_lookup(const struct flow_table *t, const struct flow_key *k)
{
	return hashidx_find(&t->tuples, flow_key_hash(k, t->seed), t->flows,
			    sizeof(*t->flows), k, sizeof(*k));
}

uint32_t flow_insert(struct flow_table *t, const struct flow_key *k)
{
	uint32_t i = hashidx_pool_take(&t->slots);

	if (i == 0)
		return 0;
	t->flows[i].key = *k;
	hashidx_add(&t->tuples, flow_key_hash(k, t->seed), i);
	hashidx_add(&t->services, service_hash(t, k), i);
	return i;
}

void flow_remove(struct flow_table *t, uint32_t i)
{
	const struct flow_key *k = &t->flows[i].key;

	hashidx_del(&t->tuples, flow_key_hash(k, t->seed), i);
	hashidx_del(&t->services, service_hash(t, k), i);
	hashidx_pool_put(&t->slots, i);
}

uint32_t flow_service_next(const struct flow_table *t, uint32_t i,
			   const struct flow_key *k)
{
	for (i = hashidx_next(&t->services, i); i;
	     i = hashidx_next(&t->services, i))
		if (same_service(&t->flows[i].key, k))
			return i;
	return 0;
}

uint32_t flow_service_first(const struct flow_table *t,
			    const struct flow_key *k)
{
	uint32_t i = hashidx_first(&t->services, service_hash(t, k));

	if (i && same_service(&t->flows[i].key, k))
		return i;
	return i ? flow_service_next(t, i, k) : 0;
}
