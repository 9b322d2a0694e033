/*
 * hashidx.c - chained hash indexes and LRU order over slot numbers.
 *
 * Chains and the LRU list hold 32-bit slot numbers rather than pointers:
 * half the size on a 64-bit machine, and 0 is "none" for free.
 */
#include <errno.h>
#include <stdlib.h>

#include "hashidx.h"

int hashidx_init(struct hashidx *x, uint32_t capacity, void *link0,
		 size_t stride)
{
	uint32_t nbuckets = 1;

	memset(x, 0, sizeof(*x));
	if (capacity == 0 || capacity > HASHIDX_CAPACITY_MAX) {
		errno = EINVAL;
		return -1;
	}
	while (nbuckets < capacity)
		nbuckets <<= 1;
	x->buckets = calloc(nbuckets, sizeof(*x->buckets));
	if (x->buckets == NULL) {
		errno = ENOMEM;
		return -1;
	}
	x->links = link0;
	x->stride = stride;
	x->mask = nbuckets - 1;
	return 0;
}

void hashidx_fini(struct hashidx *x)
{
	free(x->buckets);
	x->buckets = NULL;
}

/* Chains are short (as many buckets as slots): the walk is cheap. */
void hashidx_del(struct hashidx *x, uint32_t hash, uint32_t i)
{
	uint32_t *p = &x->buckets[hash & x->mask];

	while (*p && *p != i)
		p = hashidx_chain(x, *p);
	if (*p == i)
		*p = *hashidx_chain(x, i);
}

int hashidx_pool_init(struct hashidx_pool *p, uint32_t capacity,
		      void *entries, void *link0, size_t stride)
{
	memset(p, 0, sizeof(*p));
	if (capacity == 0 || capacity > HASHIDX_CAPACITY_MAX) {
		errno = EINVAL;
		return -1;
	}
	p->entries = entries;
	p->links = link0;
	p->stride = stride;
	p->capacity = capacity;
	p->next_unused = 1;
	return 0;
}

uint32_t hashidx_pool_take(struct hashidx_pool *p)
{
	uint32_t i = p->free_head;

	if (i != 0)
		p->free_head = hashidx_pool_link(p, i)->next;
	else if (p->next_unused <= p->capacity)
		i = p->next_unused++;
	else
		return 0;
	memset(p->entries + (size_t)i * p->stride, 0, p->stride);
	hashidx_pool_push(p, i);
	p->count++;
	return i;
}

void hashidx_pool_put(struct hashidx_pool *p, uint32_t i)
{
	hashidx_pool_unlink(p, i);
	hashidx_pool_link(p, i)->next = p->free_head;
	p->free_head = i;
	p->count--;
}
