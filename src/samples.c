/*
 * samples.c - a time-indexed ring of counter samples.
 *
 * Times and values are kept apart: a lookup walks the times alone, newest
 * first, and touches one value.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "samples.h"

int samples_init(struct samples *r, uint32_t capacity, size_t size)
{
	memset(r, 0, sizeof(*r));
	if (capacity == 0 || size == 0) {
		errno = EINVAL;
		return -1;
	}
	r->time = calloc(capacity, sizeof(*r->time));
	r->value = calloc(capacity, size);
	if (r->time == NULL || r->value == NULL) {
		samples_fini(r);
		errno = ENOMEM;
		return -1;
	}
	r->size = size;
	r->capacity = capacity;
	return 0;
}

void samples_fini(struct samples *r)
{
	free(r->time);
	free(r->value);
	r->time = NULL;
	r->value = NULL;
}

void samples_add(struct samples *r, uint64_t t, const void *value)
{
	r->time[r->next] = t;
	memcpy(r->value + (size_t)r->next * r->size, value, r->size);
	r->next = (r->next + 1) % r->capacity;
	if (r->count < r->capacity)
		r->count++;
}

/* The slot of the k-th newest sample (0: the newest); k < count. */
static uint32_t slot_back(const struct samples *r, uint32_t k)
{
	return (uint32_t)(((uint64_t)r->next + r->capacity - 1 - k) %
			  r->capacity);
}

const void *samples_at(const struct samples *r, uint64_t t)
{
	uint32_t k, slot = 0;

	if (r->count == 0)
		return NULL;
	/* Newest first: stop at the first sample not after t; when there
	 * is none, the walk ends on the oldest. */
	for (k = 0; k < r->count; k++) {
		slot = slot_back(r, k);
		if (r->time[slot] <= t)
			break;
	}
	return r->value + (size_t)slot * r->size;
}

const void *samples_newest(const struct samples *r)
{
	if (r->count == 0)
		return NULL;
	return r->value + (size_t)slot_back(r, 0) * r->size;
}
