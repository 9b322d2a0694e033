/*
 * htab.c - one open-addressing hash table for the reader's sets and maps
 * (closed gap ids, flows, clusters, clients, prefixes, waiting gap_opens).
 */
#include <stdlib.h>
#include <string.h>

#include "htab.h"

static uint64_t *hash_at(const struct htab *t, size_t i)
{
	return (uint64_t *)(void *)(t->slot + i * t->esize);
}

void htab_init(struct htab *t, size_t esize, size_t min_cap, unsigned int spare)
{
	memset(t, 0, sizeof(*t));
	t->esize = esize;
	t->min_cap = min_cap;
	t->spare = spare;
}

void htab_free(struct htab *t)
{
	free(t->slot);
	t->slot = NULL;
	t->cap = t->live = t->used = 0;
}

uint64_t htab_hash(const void *data, size_t len)
{
	const unsigned char *p = data;
	uint64_t h = 0xcbf29ce484222325ULL;
	size_t k;

	for (k = 0; k < len; k++) {
		h ^= p[k];
		h *= 0x100000001b3ULL;
	}
	/* Finalise (murmur3's fmix64): FNV's low bits are weak. */
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return h > HTAB_DELETED ? h : HTAB_DELETED + 2;
}

void *htab_find(const struct htab *t, uint64_t h, htab_match_fn match,
		const void *key)
{
	size_t i;

	if (t->cap == 0)
		return NULL;
	for (i = h & (t->cap - 1); *hash_at(t, i) != HTAB_EMPTY;
	     i = (i + 1) & (t->cap - 1))
		if (*hash_at(t, i) == h &&
		    (match == NULL || match(hash_at(t, i), key)))
			return hash_at(t, i);
	return NULL;
}

/* The first free slot (empty or deleted) on h's probe path. */
static size_t free_slot(const struct htab *t, uint64_t h)
{
	size_t i;

	for (i = h & (t->cap - 1); *hash_at(t, i) > HTAB_DELETED;
	     i = (i + 1) & (t->cap - 1))
		;
	return i;
}

/* Rehash into a table with room to spare; the deleted slots go. */
static int rehash(struct htab *t)
{
	struct htab n = *t;
	size_t k, i;

	n.cap = t->cap > t->min_cap ? t->cap : t->min_cap;
	while ((t->live + 1) * t->spare > n.cap)
		n.cap *= 2;
	n.slot = calloc(n.cap, t->esize);
	if (n.slot == NULL)
		return -1;
	for (k = 0; k < t->cap; k++) {
		if (*hash_at(t, k) <= HTAB_DELETED)
			continue;
		i = free_slot(&n, *hash_at(t, k));
		memcpy(hash_at(&n, i), hash_at(t, k), t->esize);
	}
	free(t->slot);
	n.used = n.live;
	*t = n;
	return 0;
}

void *htab_insert(struct htab *t, uint64_t h)
{
	uint64_t *e;

	if ((t->used + 1) * 2 > t->cap && rehash(t) < 0)
		return NULL;
	e = hash_at(t, free_slot(t, h));
	if (*e == HTAB_EMPTY)
		t->used++;
	memset(e, 0, t->esize);
	*e = h;
	t->live++;
	return e;
}

void htab_delete(struct htab *t, void *entry)
{
	*(uint64_t *)entry = HTAB_DELETED;
	t->live--;
}

void *htab_next(const struct htab *t, size_t *pos)
{
	while (*pos < t->cap) {
		uint64_t *e = hash_at(t, (*pos)++);

		if (*e > HTAB_DELETED)
			return e;
	}
	return NULL;
}
