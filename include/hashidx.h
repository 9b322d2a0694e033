/*
 * hashidx.h - chained hash indexes and LRU order over a fixed pool of
 * slots named by index (1..capacity, 0 is "none").
 *
 * The engine's flow table and conntrack's tracked flows both keep their
 * entries in a caller-owned array indexed by slot and find them by a hash
 * of the key. This module holds what they share, and none of the entries:
 *
 *   struct hashidx       one chained index: buckets, and per slot the
 *                        next slot of its chain. A pool may have several
 *                        (the flow table: 5-tuple and service).
 *   struct hashidx_pool  which slots are in use, in least recently used
 *                        order, and the free ones.
 *
 * The links live in the caller's entries (fixed pools linked by index:
 * one allocation, and a slot's links on the cache lines of its entry);
 * the module is told where the first entry's link is and how far apart
 * the entries are. The caller's key compare stays a plain inline
 * expression: there is no compare callback per probe of a chain
 * (conntrack-tools' hash.c has one), which the per-packet flow lookup
 * could not afford. The functions of the packet path are static inline.
 *
 * Only hashidx_init allocates (the buckets). Not thread-safe: one thread
 * owns a pool and its indexes.
 */
#ifndef GAPWATCH_HASHIDX_H
#define GAPWATCH_HASHIDX_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/*
 * Largest pool. Slot numbers and the bucket count (the next power of two)
 * must fit in 32 bits; 2^28 is far inside that and already 64 GiB of
 * 256-byte flows.
 */
#define HASHIDX_CAPACITY_MAX (1U << 28)

/* One chained index. Each entry holds a uint32_t: the next slot of its chain. */
struct hashidx {
	uint32_t *buckets;	/* [mask + 1]: first slot of each chain */
	char *links;		/* slot 0's chain link, in the caller's array */
	size_t stride;		/* bytes from one entry to the next */
	uint32_t mask;		/* buckets - 1 */
};

/* Each entry in a pool holds one: its place in the LRU order. */
struct hashidx_link {
	uint32_t prev;		/* towards the most recently used */
	uint32_t next;		/* towards the least recently used; on a
				 * free slot, the next free one */
};

struct hashidx_pool {
	char *entries;			/* the caller's array */
	char *links;			/* slot 0's struct hashidx_link */
	size_t stride;			/* bytes from one entry to the next */
	uint32_t capacity;
	uint32_t count;			/* slots in use */
	uint32_t free_head;		/* freed slots, last freed first */
	uint32_t next_unused;		/* first slot never handed out */
	uint32_t head;			/* most recently used */
	uint32_t tail;			/* least recently used */
};

/*
 * hashidx_init - an empty index over slots 1..capacity of the caller's
 * array, whose slot 0 has its uint32_t chain link at link0, with a power
 * of two of buckets at least capacity (chains stay short), entries
 * stride bytes apart: hashidx_init(&x, n, &flows[0].tuple_next,
 * sizeof(*flows)). The array stays the caller's and must outlive the index.
 * Returns 0, or -1 with errno EINVAL (capacity 0 or above
 * HASHIDX_CAPACITY_MAX) or ENOMEM. hashidx_fini accepts a zeroed or
 * finished index.
 */
int hashidx_init(struct hashidx *x, uint32_t capacity, void *link0,
		 size_t stride);
void hashidx_fini(struct hashidx *x);

/* hashidx_chain - slot i's chain link. */
static inline uint32_t *hashidx_chain(const struct hashidx *x, uint32_t i)
{
	return (uint32_t *)(x->links + (size_t)i * x->stride);
}

/* hashidx_first - the first slot of hash's chain, 0 if none. */
static inline uint32_t hashidx_first(const struct hashidx *x, uint32_t hash)
{
	return x->buckets[hash & x->mask];
}

/* hashidx_next - the slot after slot i in its chain, 0 at the end. */
static inline uint32_t hashidx_next(const struct hashidx *x, uint32_t i)
{
	return *hashidx_chain(x, i);
}

/*
 * hashidx_find - the slot in hash's chain whose entry begins with the
 * keylen bytes at key, or 0. entries is the caller's array of slots,
 * entry_size bytes apart, with the key first in each. Inline, with the
 * sizes constant, it compiles to the loop a typed lookup would be.
 */
static inline uint32_t hashidx_find(const struct hashidx *x, uint32_t hash,
				    const void *entries, size_t entry_size,
				    const void *key, size_t keylen)
{
	uint32_t i = hashidx_first(x, hash);

	while (i && memcmp((const char *)entries + (size_t)i * entry_size,
			   key, keylen) != 0)
		i = *hashidx_chain(x, i);
	return i;
}

/* hashidx_add - put slot i first in hash's chain. */
static inline void hashidx_add(struct hashidx *x, uint32_t hash, uint32_t i)
{
	uint32_t *b = &x->buckets[hash & x->mask];

	*hashidx_chain(x, i) = *b;
	*b = i;
}

/* hashidx_del - take slot i out of hash's chain (nothing if not in it). */
void hashidx_del(struct hashidx *x, uint32_t hash, uint32_t i);

/*
 * hashidx_pool_init - a pool of capacity free slots of the caller's array
 * of entries, stride bytes apart, whose slot 0 has its struct
 * hashidx_link at link0. Slots never used are handed out in order before
 * freed ones, so a caller whose entries are calloc'ed touches their pages
 * only as the pool fills.
 * Returns 0, or -1 with errno EINVAL (capacity 0 or above
 * HASHIDX_CAPACITY_MAX). Allocates nothing.
 */
int hashidx_pool_init(struct hashidx_pool *p, uint32_t capacity,
		      void *entries, void *link0, size_t stride);

/*
 * hashidx_pool_take - a free slot, its entry zeroed, now in use and the
 * most recently used. Returns it, or 0 when every slot is in use (the
 * caller evicts hashidx_pool_oldest() and takes again).
 */
uint32_t hashidx_pool_take(struct hashidx_pool *p);

/* hashidx_pool_put - free slot i, which is in use. */
void hashidx_pool_put(struct hashidx_pool *p, uint32_t i);

/* hashidx_pool_link - slot i's place in the LRU order. */
static inline struct hashidx_link *hashidx_pool_link(const struct hashidx_pool *p,
						     uint32_t i)
{
	return (struct hashidx_link *)(p->links + (size_t)i * p->stride);
}

/* The pool's own two steps (take, put and touch are made of them). */
static inline void hashidx_pool_unlink(struct hashidx_pool *p, uint32_t i)
{
	struct hashidx_link *l = hashidx_pool_link(p, i);

	if (l->prev)
		hashidx_pool_link(p, l->prev)->next = l->next;
	else
		p->head = l->next;
	if (l->next)
		hashidx_pool_link(p, l->next)->prev = l->prev;
	else
		p->tail = l->prev;
}

static inline void hashidx_pool_push(struct hashidx_pool *p, uint32_t i)
{
	struct hashidx_link *l = hashidx_pool_link(p, i);

	l->prev = 0;
	l->next = p->head;
	if (p->head)
		hashidx_pool_link(p, p->head)->prev = i;
	else
		p->tail = i;
	p->head = i;
}

/* hashidx_pool_touch - make slot i, which is in use, the most recent. */
static inline void hashidx_pool_touch(struct hashidx_pool *p, uint32_t i)
{
	if (p->head == i)
		return;
	hashidx_pool_unlink(p, i);
	hashidx_pool_push(p, i);
}

/* hashidx_pool_oldest - the least recently used slot, 0 if none. */
static inline uint32_t hashidx_pool_oldest(const struct hashidx_pool *p)
{
	return p->tail;
}

/*
 * hashidx_pool_end - one past the highest slot ever handed out: the slots
 * in use are all below it (with freed ones among them).
 */
static inline uint32_t hashidx_pool_end(const struct hashidx_pool *p)
{
	return p->next_unused;
}

#endif
