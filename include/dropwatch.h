/*
 * dropwatch.h - the drop watcher: every game packet the server's own
 * kernel frees as dropped, with the kernel's reason (enum skb_drop_reason)
 * and the function that dropped it, from a BPF program on the
 * skb:kfree_skb tracepoint (bpf/dropwatch.bpf.c).
 *
 * The program filters in the kernel (gapwatchd's network namespace, the
 * game ports, both directions) and sends the rest through a ring buffer
 * that the correlator thread reads, never a verdict thread; each gap
 * record then gets its flow's drops over its window (droptally.h), named.
 * Loading needs CAP_BPF and CAP_PERFMON (or CAP_SYS_ADMIN) and the
 * kernel's BTF: call dropwatch_open() at set-up, with every privilege.
 * Not thread-safe: the correlator owns it once open.
 */
#ifndef GAPWATCH_DROPWATCH_H
#define GAPWATCH_DROPWATCH_H

#include <stddef.h>
#include <stdint.h>

#include "gapwatch.h"
#include "portset.h"
#include "record.h"

struct dropwatch;

struct dropwatch_counters {
	uint64_t events;		/* drops of game packets read */
	uint64_t lost;			/* not delivered: ring buffer full */
	uint64_t not_game;		/* read, but neither port a game port */
};

/*
 * dropwatch_open - load and attach the program for ports (copied), in
 * this process's network namespace. Returns NULL with a message in err
 * that names the cause (built without BPF, no BTF, not permitted).
 */
struct dropwatch *dropwatch_open(const struct portset *ports,
				 const struct gw_time *now, char *err,
				 size_t errlen);

/* dropwatch_close - detach and free. Accepts NULL. */
void dropwatch_close(struct dropwatch *dw);

/* dropwatch_fd - readable when events wait (for poll()). */
int dropwatch_fd(const struct dropwatch *dw);

/* dropwatch_read - take every event waiting; now converts their times. */
void dropwatch_read(struct dropwatch *dw, const struct gw_time *now);

/* dropwatch_fill - rec->drops over the gap's window, reasons and
 * functions named. */
void dropwatch_fill(struct dropwatch *dw, struct gap_record *rec);

void dropwatch_get_counters(const struct dropwatch *dw,
			    struct dropwatch_counters *out);

#endif
