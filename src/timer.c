/*
 * timer.c - hashed timing wheel (Varghese & Lauck, scheme 6).
 *
 * One wheel, no hierarchy: the flows' deadlines are seconds to minutes
 * away and a deadline beyond the horizon is simply parked in the farthest
 * slot and looked at again when it comes round. That costs a callback per
 * horizon for a flow that stays quiet for longer than the horizon, which
 * is nothing next to a scan of all flows per tick.
 */
#include <errno.h>
#include <stdlib.h>

#include "timer.h"

int timer_init(struct timer_wheel *w, uint32_t capacity, unsigned int slot_bits,
	       unsigned int shift, uint64_t now_us)
{
	w->nslots = 1U << slot_bits;
	w->capacity = capacity;
	w->shift = shift;
	w->tick = now_us >> shift;
	w->armed = 0;
	w->slots = calloc((size_t)w->nslots + 1, sizeof(*w->slots));
	/* calloc: a zeroed node is unarmed, so the array's pages are only
	 * touched as handles are used. */
	w->nodes = calloc((size_t)capacity + 1, sizeof(*w->nodes));
	if (w->slots == NULL || w->nodes == NULL) {
		free(w->slots);
		free(w->nodes);
		w->slots = NULL;
		w->nodes = NULL;
		errno = ENOMEM;
		return -1;
	}
	return 0;
}

void timer_fini(struct timer_wheel *w)
{
	free(w->slots);
	free(w->nodes);
	w->slots = NULL;
	w->nodes = NULL;
}

static void slot_link(struct timer_wheel *w, uint32_t slot, uint32_t h)
{
	struct timer_node *n = &w->nodes[h];

	n->slot = slot + 1;
	n->prev = 0;
	n->next = w->slots[slot];
	if (n->next)
		w->nodes[n->next].prev = h;
	w->slots[slot] = h;
	w->armed++;
}

void timer_cancel(struct timer_wheel *w, uint32_t h)
{
	struct timer_node *n = &w->nodes[h];

	if (n->slot == TIMER_UNARMED)
		return;
	if (n->prev)
		w->nodes[n->prev].next = n->next;
	else
		w->slots[n->slot - 1] = n->next;
	if (n->next)
		w->nodes[n->next].prev = n->prev;
	n->slot = TIMER_UNARMED;
	w->armed--;
}

void timer_arm(struct timer_wheel *w, uint32_t h, uint64_t expire_us)
{
	uint64_t t = expire_us >> w->shift;

	/* The current slot has been processed already: the earliest a
	 * timer can fire is the next one. */
	if (t <= w->tick)
		t = w->tick + 1;
	if (t - w->tick >= w->nslots)
		t = w->tick + w->nslots - 1;
	timer_cancel(w, h);
	slot_link(w, (uint32_t)(t & (w->nslots - 1)), h);
}

int timer_armed(const struct timer_wheel *w, uint32_t h)
{
	return w->nodes[h].slot != TIMER_UNARMED;
}

/*
 * Move the slot's list to the firing list (the extra head at index nslots)
 * before running callbacks: a callback may re-arm a timer into this very
 * slot (during a long jump) or cancel any timer still waiting to fire, and
 * both stay plain list operations.
 */
static uint64_t fire_slot(struct timer_wheel *w, uint32_t slot, uint64_t now_us,
			  timer_cb cb, void *ctx)
{
	uint32_t firing = w->nslots;
	uint64_t fired = 0;
	uint32_t h;

	w->slots[firing] = w->slots[slot];
	w->slots[slot] = 0;
	for (h = w->slots[firing]; h; h = w->nodes[h].next)
		w->nodes[h].slot = firing + 1;
	while ((h = w->slots[firing]) != 0) {
		timer_cancel(w, h);
		cb(ctx, h, now_us);
		fired++;
	}
	return fired;
}

uint64_t timer_next_due(const struct timer_wheel *w)
{
	uint64_t t;

	if (w->armed == 0)
		return UINT64_MAX;
	for (t = w->tick + 1; t < w->tick + w->nslots; t++)
		if (w->slots[t & (w->nslots - 1)])
			return t << w->shift;
	/* Armed, but only on the firing list: due now. */
	return (w->tick + 1) << w->shift;
}

uint64_t timer_advance(struct timer_wheel *w, uint64_t now_us, timer_cb cb,
		       void *ctx)
{
	uint64_t target = now_us >> w->shift;
	uint64_t fired = 0;

	if (target <= w->tick)
		return 0;
	if (target - w->tick >= w->nslots) {
		uint32_t s;

		/* A jump longer than the wheel (a replay over a long quiet
		 * spell, a suspended host): every timer is due or parked;
		 * fire them all once and let them re-arm from here. */
		uint32_t h;

		w->tick = target;
		for (s = 0; s < w->nslots; s++) {
			while ((h = w->slots[s]) != 0) {
				timer_cancel(w, h);
				slot_link(w, w->nslots, h);
			}
		}
		while ((h = w->slots[w->nslots]) != 0) {
			timer_cancel(w, h);
			cb(ctx, h, now_us);
			fired++;
		}
		return fired;
	}
	while (w->tick < target) {
		w->tick++;
		fired += fire_slot(w, (uint32_t)(w->tick & (w->nslots - 1)),
				   now_us, cb, ctx);
	}
	return fired;
}
