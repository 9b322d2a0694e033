/*
 * gapwatch.h - types shared by every module.
 */
#ifndef GAPWATCH_H
#define GAPWATCH_H

#include <stdint.h>

/*
 * One reading of the clocks, taken by the packet source: the engine never
 * reads a clock itself. Timers run on mono_us; reports print wall_us.
 * Replay sets both to the capture's timestamp. stamp_us, when not 0, is a
 * packet's own time stamp that is older than mono_us: a capture whose
 * time steps back keeps its clock (timers never run backwards), and the
 * packet is still counted in the windows of its own time.
 */
struct gw_time {
	uint64_t mono_us;
	uint64_t wall_us;
	uint64_t stamp_us;
};

#define USEC_PER_MSEC 1000ULL
#define USEC_PER_SEC 1000000ULL

#define GW_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))


#include <time.h>

/*
 * gw_clock_read - one reading of both clocks, for the live sources. The
 * monotonic clock drives timers (immune to clock steps); the wall clock
 * only ever ends up in reports.
 */
static inline void gw_clock_read(struct gw_time *t)
{
	struct timespec m, w;

	clock_gettime(CLOCK_MONOTONIC, &m);
	clock_gettime(CLOCK_REALTIME, &w);
	t->mono_us = (uint64_t)m.tv_sec * USEC_PER_SEC + (uint64_t)m.tv_nsec / 1000;
	t->wall_us = (uint64_t)w.tv_sec * USEC_PER_SEC + (uint64_t)w.tv_nsec / 1000;
	t->stamp_us = 0;
}

/*
 * The wall clock against the monotonic one, as followed by a reader of
 * gw_time readings: the offset moves only when the wall clock was
 * stepped, so that one moment prints the same wall time whenever it is
 * printed. Not at every reading's jitter (the two clocks are read a
 * moment apart), and not at one reading preempted between its two clocks
 * (milliseconds on a busy machine): a step is followed when the next
 * reading confirms it.
 */
#define GW_WALL_STEP_US	1000

struct gw_wall {
	int64_t offset_us;		/* wall - mono, followed */
	int64_t step_us;		/* a new offset, seen once */
	int step_seen;
};

static inline void gw_wall_init(struct gw_wall *w, const struct gw_time *t)
{
	w->offset_us = (int64_t)(t->wall_us - t->mono_us);
	w->step_seen = 0;
}

static inline int gw_wall_apart(int64_t a, int64_t b)
{
	return (uint64_t)(a - b + (int64_t)GW_WALL_STEP_US) >
	       2 * GW_WALL_STEP_US;
}

static inline void gw_wall_follow(struct gw_wall *w, const struct gw_time *t)
{
	int64_t offset = (int64_t)(t->wall_us - t->mono_us);

	/* Every reading of a live source comes here: the usual case first,
	 * and nothing else inline. */
	if (__builtin_expect(!gw_wall_apart(offset, w->offset_us), 1)) {
		w->step_seen = 0;
	} else if (w->step_seen && !gw_wall_apart(offset, w->step_us)) {
		w->offset_us = offset;
		w->step_seen = 0;
	} else {
		w->step_us = offset;
		w->step_seen = 1;
	}
}

#endif
