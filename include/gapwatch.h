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

#endif
