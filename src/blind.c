/*
 * blind.c - the inspector's blind intervals, from sampled loss counters.
 */
#include <string.h>

#include "blind.h"

static uint64_t grow(uint64_t a, uint64_t b)
{
	/* A kernel counter restarts when its queue is bound anew: no
	 * growth then, never a wrap to 2^64. */
	return b > a ? b - a : 0;
}

void inspector_growth(const struct inspector_counters *a,
		      const struct inspector_counters *b,
		      struct inspector_counters *out)
{
	out->queue_dropped = grow(a->queue_dropped, b->queue_dropped);
	out->user_dropped = grow(a->user_dropped, b->user_dropped);
	out->enobufs = grow(a->enobufs, b->enobufs);
	out->truncated = grow(a->truncated, b->truncated);
	out->unseen = grow(a->unseen, b->unseen);
	out->id_holes = grow(a->id_holes, b->id_holes);
	out->stalls = grow(a->stalls, b->stalls);
	out->stalled_us = grow(a->stalled_us, b->stalled_us);
}

static void add_growth(struct inspector_counters *sum,
		       const struct inspector_counters *d)
{
	sum->queue_dropped += d->queue_dropped;
	sum->user_dropped += d->user_dropped;
	sum->enobufs += d->enobufs;
	sum->truncated += d->truncated;
	sum->unseen += d->unseen;
	sum->id_holes += d->id_holes;
	sum->stalls += d->stalls;
	sum->stalled_us += d->stalled_us;
}

int blind_grew(const struct inspector_counters *d)
{
	return (d->queue_dropped | d->user_dropped | d->enobufs |
		d->truncated | d->unseen | d->id_holes | d->stalls) != 0;
}

/* What the queue and the socket counted: every such packet is in the
 * rules' count of the unseen too (counted there, never received). */
static uint64_t known_lost(const struct inspector_counters *d)
{
	uint64_t failed = d->id_holes > d->user_dropped ? d->id_holes :
							  d->user_dropped;

	return d->queue_dropped + d->truncated + failed;
}

uint64_t blind_missed(const struct inspector_counters *d)
{
	uint64_t known = known_lost(d);

	return d->unseen > known ? d->unseen : known;
}

enum blind_reason blind_reason_of(const struct inspector_counters *d)
{
	if (!blind_grew(d))
		return BLIND_NONE;
	if (d->stalls)
		return BLIND_STALLED;
	if (d->queue_dropped || d->unseen > known_lost(d))
		return BLIND_QUEUE_FULL;
	return BLIND_SOCKET_OVERRUN;
}

const char *blind_reason_name(enum blind_reason r)
{
	switch (r) {
	case BLIND_SOCKET_OVERRUN:
		return "socket_overrun";
	case BLIND_QUEUE_FULL:
		return "queue_full";
	case BLIND_STALLED:
		return "stalled";
	case BLIND_NONE:
		break;
	}
	return "none";
}

void blind_init(struct blind *b)
{
	memset(b, 0, sizeof(*b));
}

static void end_interval(struct blind *b, struct blind_record *ended)
{
	b->kept[b->next] = b->cur;
	b->next = (b->next + 1) % BLIND_KEPT;
	if (b->nkept < BLIND_KEPT)
		b->nkept++;
	b->open = 0;
	*ended = b->cur;
}

int blind_sample(struct blind *b, uint64_t t,
		 const struct inspector_counters *c,
		 struct blind_record *ended)
{
	struct inspector_counters d;
	enum blind_reason why;
	int rc = 0;

	if (!b->have_last) {
		/* What the counters held before the first reading is no
		 * interval of ours. */
		b->have_last = 1;
		b->last = *c;
		b->last_us = t;
		return 0;
	}
	inspector_growth(&b->last, c, &d);
	why = blind_reason_of(&d);
	if (why != BLIND_NONE) {
		if (!b->open) {
			memset(&b->cur, 0, sizeof(b->cur));
			/* The loss came after the last reading; a stall
			 * says when exactly: it began that long ago. */
			b->cur.start_us = b->last_us;
			if (d.stalls && t - b->last_us > d.stalled_us)
				b->cur.start_us = t - d.stalled_us;
			b->open = 1;
		}
		add_growth(&b->cur.growth, &d);
		b->cur.missed = blind_missed(&b->cur.growth);
		if (why > b->cur.reason)
			b->cur.reason = why;
		b->cur.end_us = t;
	} else if (b->open) {
		end_interval(b, ended);
		rc = 1;
	}
	b->last = *c;
	b->last_us = t;
	return rc;
}

int blind_flush(struct blind *b, struct blind_record *ended)
{
	if (!b->open)
		return 0;
	end_interval(b, ended);
	return 1;
}

/* The earliest blind moment of interval iv in [from, to], or UINT64_MAX. */
static uint64_t first_in(const struct blind_record *iv, int open,
			 uint64_t from, uint64_t to)
{
	uint64_t end = open ? UINT64_MAX : iv->end_us;

	if (iv->start_us > to || end < from)
		return UINT64_MAX;
	return iv->start_us > from ? iv->start_us : from;
}

int blind_first(const struct blind *b, uint64_t from, uint64_t to,
		uint64_t *at)
{
	uint64_t best = UINT64_MAX, x;
	uint32_t k;

	for (k = 0; k < b->nkept; k++) {
		x = first_in(&b->kept[k], 0, from, to);
		if (x < best)
			best = x;
	}
	if (b->open) {
		x = first_in(&b->cur, 1, from, to);
		if (x < best)
			best = x;
	}
	if (best == UINT64_MAX)
		return -1;
	*at = best;
	return 0;
}
