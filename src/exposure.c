/*
 * exposure.c - flows and flow time per client prefix, in a fixed table
 * (open addressing, linear probing).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/mman.h>

#include "addr.h"
#include "exposure.h"

/* A key's top byte tells the family; the rest is the prefix's bits, so a
 * key is never 0 (a free slot). */
#define KEY_V4		(4ULL << 56)
#define KEY_V6		(6ULL << 56)
#define KEY_FAMILY	(0xffULL << 56)
#define TABLE_BYTES	(EXPOSURE_SLOTS * sizeof(struct exposure_entry))

int exposure_init(struct exposure *x, uint32_t queue, uint64_t start_us)
{
	memset(x, 0, sizeof(*x));
	/* Mapped, not calloc'ed: fresh pages are zero until touched, where
	 * calloc may hand back a freed heap block and clear all 1.5 MB of
	 * it (measured: 10M instructions over two engines of a bench). */
	x->slots = mmap(NULL, TABLE_BYTES, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (x->slots == MAP_FAILED) {
		x->slots = NULL;
		errno = ENOMEM;
		return -1;
	}
	x->queue = queue;
	x->start_us = start_us;
	return 0;
}

void exposure_fini(struct exposure *x)
{
	if (x->slots)
		munmap(x->slots, TABLE_BYTES);
	x->slots = NULL;
}

void exposure_reset(struct exposure *x, uint64_t start_us)
{
	struct exposure_entry *slots = x->slots;
	uint32_t queue = x->queue;

	if (x->kept)
		memset(slots, 0, TABLE_BYTES);
	memset(x, 0, sizeof(*x));
	x->slots = slots;
	x->queue = queue;
	x->start_us = start_us;
}

uint64_t exposure_key(const struct in6_addr *client)
{
	const uint8_t *b = client->s6_addr;
	uint64_t k = 0;
	int i;

	if (addr_is_v4(client))
		return KEY_V4 | (uint64_t)b[12] << 16 | (uint64_t)b[13] << 8 | b[14];
	for (i = 0; i < EXPOSURE_PREFIX_V6 / 8; i++)
		k = k << 8 | b[i];
	return KEY_V6 | k;
}

static uint32_t slot_of(uint64_t key)
{
	/* Fibonacci hashing: the prefixes of one carrier differ in their
	 * low bits only, which the multiplication spreads to the top. */
	return (uint32_t)((key * 0x9e3779b97f4a7c15ULL) >> (64 - EXPOSURE_SLOT_BITS));
}

void exposure_add(struct exposure *x, const struct in6_addr *client,
		  uint32_t flows, uint64_t us)
{
	uint64_t key = exposure_key(client);
	uint32_t i = slot_of(key);
	struct exposure_entry *s;

	x->flows += flows;
	x->flow_us += us;
	for (;; i = (i + 1) & (EXPOSURE_SLOTS - 1)) {
		s = &x->slots[i];
		if (s->key == key)
			break;
		if (s->key == 0) {
			if (x->kept == EXPOSURE_KEPT_MAX) {
				x->other_flows += flows;
				x->other_flow_us += us;
				x->other_adds++;
				return;
			}
			s->key = key;
			x->kept++;
			break;
		}
	}
	s->flows += flows;
	s->flow_us += us;
}

struct exposure_batch *exposure_snapshot(const struct exposure *x,
					 uint64_t end_us)
{
	struct exposure_batch *b;
	uint32_t i, n = 0;

	b = malloc(sizeof(*b) + (size_t)x->kept * sizeof(b->entries[0]));
	if (b == NULL)
		return NULL;
	for (i = 0; i < EXPOSURE_SLOTS && n < x->kept; i++)
		if (x->slots[i].key)
			b->entries[n++] = x->slots[i];
	b->queue = x->queue;
	b->n = n;
	b->start_us = x->start_us;
	b->end_us = end_us;
	b->flows = x->flows;
	b->flow_us = x->flow_us;
	b->other_flows = x->other_flows;
	b->other_flow_us = x->other_flow_us;
	b->other_adds = x->other_adds;
	return b;
}

static int by_flow_time(const void *p, const void *q)
{
	const struct exposure_entry *a = p, *b = q;

	if (a->flow_us != b->flow_us)
		return a->flow_us > b->flow_us ? -1 : 1;
	return a->key < b->key ? -1 : a->key > b->key;
}

void exposure_batch_sort(struct exposure_batch *b)
{
	qsort(b->entries, b->n, sizeof(b->entries[0]), by_flow_time);
}

char *exposure_prefix_format(uint64_t key, char *buf, size_t len)
{
	uint8_t a[16] = { 0 };
	char s[INET6_ADDRSTRLEN];
	int i;

	if ((key & KEY_FAMILY) == KEY_V4) {
		snprintf(buf, len, "%u.%u.%u.0/%d", (unsigned)(key >> 16 & 0xff),
			 (unsigned)(key >> 8 & 0xff), (unsigned)(key & 0xff),
			 EXPOSURE_PREFIX_V4);
		return buf;
	}
	for (i = 0; i < EXPOSURE_PREFIX_V6 / 8; i++)
		a[i] = (uint8_t)(key >> (8 * (EXPOSURE_PREFIX_V6 / 8 - 1 - i)));
	if (inet_ntop(AF_INET6, a, s, sizeof(s)) == NULL)
		s[0] = '\0';
	snprintf(buf, len, "%s/%d", s, EXPOSURE_PREFIX_V6);
	return buf;
}
