/*
 * blind.h - the inspector's blind intervals: the spans of time during
 * which packets of a queue passed gapwatchd unseen (or were dropped by
 * its queue), found from the loss counters sampled on the worker's tick.
 *
 * An interval opens at the first sample whose counters grew and ends at
 * the first sample after it that shows no growth; it then holds the
 * growth of every counter over it, what that adds up to in packets and
 * the reason. The last BLIND_KEPT intervals are kept so that a gap can
 * ask when, in its window, gapwatchd first went blind. Plain data, no
 * allocation; one engine (one thread) owns a tracker.
 */
#ifndef GAPWATCH_BLIND_H
#define GAPWATCH_BLIND_H

#include <stdint.h>

#include "record.h"

/* Ended intervals kept for the gaps' questions: at one interval a
 * second, the last minute; an older one is answered conservatively. */
#define BLIND_KEPT	64

struct blind {
	struct inspector_counters last;	/* at the previous sample */
	uint64_t last_us;		/* its time */
	int have_last;			/* 0: no sample yet */
	int open;			/* cur is growing */
	struct blind_record cur;
	struct blind_record kept[BLIND_KEPT];	/* ended, ring */
	uint32_t nkept;
	uint32_t next;			/* the slot the next one takes */
};

/* blind_init - a tracker that has seen no sample. */
void blind_init(struct blind *b);

/*
 * blind_sample - the cumulative counters c as read at mono time t (times
 * in order). Returns 1 when this sample ended an interval, copied into
 * *ended (times mono, queue unset), else 0.
 */
int blind_sample(struct blind *b, uint64_t t,
		 const struct inspector_counters *c,
		 struct blind_record *ended);

/*
 * blind_flush - end the open interval at once (the source stops).
 * Returns 1 with it in *ended, 0 when none was open.
 */
int blind_flush(struct blind *b, struct blind_record *ended);

/*
 * blind_first - the earliest moment in [from, to] (mono) at which an
 * interval known to the tracker, ended or open, was blind, in *at.
 * Returns 0, or -1 when no interval it knows overlaps the span.
 */
int blind_first(const struct blind *b, uint64_t from, uint64_t to,
		uint64_t *at);

/*
 * blind_missed - the packets that counter growth d says passed unseen or
 * were dropped: the rules' count of the unseen when it is read, else what
 * the queue and the socket counted (the id holes and the kernel's failed
 * sends count the same packets: the larger of the two).
 */
uint64_t blind_missed(const struct inspector_counters *d);

/* blind_grew - 1 when growth d holds any loss signal. */
int blind_grew(const struct inspector_counters *d);

/* blind_reason_of - why, for growth d: a stall first (it fills the
 * queue), then a full queue (unseen beyond the id holes), else the
 * socket. */
enum blind_reason blind_reason_of(const struct inspector_counters *d);

/* blind_reason_name - "queue_full", "socket_overrun", "stalled". */
const char *blind_reason_name(enum blind_reason r);

/* inspector_growth - b - a, counter by counter, into *out. */
void inspector_growth(const struct inspector_counters *a,
		      const struct inspector_counters *b,
		      struct inspector_counters *out);

#endif
