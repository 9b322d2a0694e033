/*
 * droptally.h - the drop watcher's memory: the last DROPTALLY_KEPT game
 * packets the server's kernel dropped, and what they say about one gap.
 *
 * Events come in time order (the correlator reads the ring buffer before
 * every record). A gap asks for its window: the drops of its own flow,
 * the drops of its client's other ports towards the same server port (a
 * reconnect's SYN that a limit rule dropped belongs to no flow yet, but
 * prolongs this gap), and whether the answer is complete: the watcher on
 * for the whole window, no event lost by the ring buffer, none forgotten
 * here. Plain memory, no system call; one thread (the correlator) owns it.
 */
#ifndef GAPWATCH_DROPTALLY_H
#define GAPWATCH_DROPTALLY_H

#include <stdint.h>

#include "flowkey.h"
#include "record.h"

/* At a drop a millisecond, the last minute; a gap's window is seconds. */
#define DROPTALLY_KEPT	65536
/* A closing record's window reaches this far past its end: the packet
 * that ended the gap (a reconnect's SYN) is dropped after gapwatchd saw
 * it. The correlator waits as long before it asks. */
#define DROPTALLY_GRACE_US	(500 * 1000)

struct drop_event {
	uint64_t wall_us;
	uint64_t location;		/* kernel address */
	struct flow_key key;		/* client and server */
	uint32_t reason;		/* enum skb_drop_reason */
	uint8_t tcp_flags;
};

struct droptally {
	struct drop_event *ev;		/* [DROPTALLY_KEPT], ring */
	uint32_t next;
	uint32_t count;
	uint64_t since_us;		/* wall: watching since */
	uint64_t forgotten_us;		/* the newest event overwritten */
	uint64_t lost_first_us;		/* wall: events were lost between */
	uint64_t lost_last_us;		/* these (ring buffer full); 0: none */
};

/* droptally_init - empty, watching since since_us. -1 (ENOMEM) or 0. */
int droptally_init(struct droptally *t, uint64_t since_us);
void droptally_fini(struct droptally *t);

/* droptally_add - one drop, in time order. */
void droptally_add(struct droptally *t, const struct drop_event *e);

/* droptally_lost - events were lost (not delivered) between from_us and
 * to_us: a window that overlaps can prove nothing. */
void droptally_lost(struct droptally *t, uint64_t from_us, uint64_t to_us);

/*
 * droptally_window - rec's drops over [rec->start_us, its end (plus
 * DROPTALLY_GRACE_US for a closing record)] into
 * rec->drops (names left empty), and in locations[k] the address of the
 * first drop of by_reason[k], for the caller to name.
 */
void droptally_window(const struct droptally *t, struct gap_record *rec,
		      uint64_t locations[LOCAL_DROP_REASONS]);

#endif
