/*
 * timer.h - a hashed timing wheel over small integer handles.
 *
 * Handles are indices 1..capacity (0 means "none"), the same indices the
 * flow table uses, so a flow and its timer share a number and the wheel
 * needs no pointers into flows. Arming and cancelling are O(1); advancing
 * costs O(slots passed + timers fired).
 *
 * Timers are lazy: a timer fires at the start of its slot, so up to one
 * slot early, and a deadline beyond the wheel's horizon is parked in the
 * farthest slot and fires long before it is due. The
 * callback is expected to look at its own deadline and re-arm when it is
 * not due yet.
 */
#ifndef GAPWATCH_TIMER_H
#define GAPWATCH_TIMER_H

#include <stdint.h>

struct timer_node {
	uint32_t prev;
	uint32_t next;
	uint32_t slot;		/* slot index + 1; TIMER_UNARMED (0) if idle */
};

#define TIMER_UNARMED 0

struct timer_wheel {
	struct timer_node *nodes;	/* [capacity + 1], owned */
	uint32_t *slots;		/* nslots list heads + the firing list */
	uint32_t nslots;		/* power of two */
	uint32_t capacity;
	unsigned int shift;		/* a slot spans 1 << shift us */
	uint64_t tick;			/* last slot processed */
	uint64_t armed;
};

typedef void (*timer_cb)(void *ctx, uint32_t handle, uint64_t now_us);

/*
 * timer_init - set up an empty wheel for handles 1..capacity, with
 * 2^slot_bits slots of 2^shift us each, starting at now_us.
 * Returns 0, or -1 with errno ENOMEM.
 */
int timer_init(struct timer_wheel *w, uint32_t capacity, unsigned int slot_bits,
	       unsigned int shift, uint64_t now_us);
void timer_fini(struct timer_wheel *w);

/* timer_arm - (re)schedule handle for expire_us; replaces an earlier arm. */
void timer_arm(struct timer_wheel *w, uint32_t handle, uint64_t expire_us);

/* timer_cancel - unschedule handle; harmless when not armed. */
void timer_cancel(struct timer_wheel *w, uint32_t handle);

/* timer_armed - 1 if handle is scheduled. */
int timer_armed(const struct timer_wheel *w, uint32_t handle);

/*
 * timer_next_due - the earliest time at which timer_advance() would fire
 * a timer: the start of the first slot after the last one processed that
 * holds one, or UINT64_MAX when none is armed. Costs a look at up to every
 * slot; for a replay's quiet spells, not for every packet.
 */
uint64_t timer_next_due(const struct timer_wheel *w);

/*
 * timer_advance - fire every timer whose slot is at or before now_us.
 * The callback may arm or cancel any handle, including the one it got.
 * Returns the number of timers fired.
 */
uint64_t timer_advance(struct timer_wheel *w, uint64_t now_us, timer_cb cb,
		       void *ctx);

#endif
