/*
 * samples.h - a time-indexed ring of counter samples: "what did the
 * counters say at time t".
 *
 * A fixed number of samples, each a time and a caller-defined value of a
 * fixed size (a struct of cumulative counters); when full, a new sample
 * overwrites the oldest. Samples are added in time order. All memory is
 * allocated by samples_init(); adding and reading never allocate.
 * Not thread-safe: one thread owns a ring.
 */
#ifndef GAPWATCH_SAMPLES_H
#define GAPWATCH_SAMPLES_H

#include <stddef.h>
#include <stdint.h>

struct samples {
	uint64_t *time;		/* [capacity] */
	unsigned char *value;	/* [capacity * size] */
	size_t size;		/* bytes of one value */
	uint32_t capacity;
	uint32_t count;		/* samples kept, up to capacity */
	uint32_t next;		/* the slot the next sample takes */
};

/*
 * samples_init - an empty ring of capacity samples of size bytes each.
 * Returns 0, or -1 with errno EINVAL (capacity or size 0) or ENOMEM.
 * samples_fini accepts a zeroed or finished ring.
 */
int samples_init(struct samples *r, uint32_t capacity, size_t size);
void samples_fini(struct samples *r);

/* samples_add - keep a copy of the size bytes at value, taken at time t. */
void samples_add(struct samples *r, uint64_t t, const void *value);

/*
 * samples_at - the value as it stood at time t: that of the newest sample
 * taken at or before t; when every sample kept is after t, that of the
 * oldest one (the nearest the ring still knows). NULL when the ring is
 * empty. The pointer is the ring's, valid until the next samples_add.
 */
const void *samples_at(const struct samples *r, uint64_t t);

/* samples_newest - the value of the newest sample, NULL when empty. */
const void *samples_newest(const struct samples *r);

#endif
