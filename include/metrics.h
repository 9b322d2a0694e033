/*
 * metrics.h - gapwatchd's counters in the Prometheus text exposition
 * format (version 0.0.4): served on /metrics by libmicrohttpd's own
 * thread (--metrics), and written for node_exporter's textfile collector
 * (--metrics-textfile: a temporary file, then rename).
 *
 * Names follow Prometheus' conventions: the gapwatch_ prefix, _total for
 * counters, seconds, and bounded labels only (cause, outcome, reason,
 * limit, confidence): never a client address. A scrape asks the daemon
 * for its stats (collect), the sum of the verdict threads' snapshots, so
 * no lock is shared with a packet path.
 */
#ifndef GAPWATCH_METRICS_H
#define GAPWATCH_METRICS_H

#include <stddef.h>
#include <sys/socket.h>

#include "report.h"

/* Port for --metrics PORT alone (loopback). */
#define METRICS_PORT_DEFAULT	9477

/* The daemon's numbers now, into *st (st->corr pointing at *cc). */
typedef void (*metrics_collect_cb)(void *ctx, struct report_stats *st,
				   struct correlate_counters *cc);

/*
 * metrics_parse_addr - "PORT", "A.B.C.D:PORT" or "[V6]:PORT" into *sa.
 * A bare port is loopback. Returns 0, or -1 with the reason in err.
 */
int metrics_parse_addr(const char *s, struct sockaddr_storage *sa,
		       socklen_t *salen, char *err, size_t errlen);

/*
 * metrics_render - the exposition of st into buf. Returns its length,
 * or len when it did not fit (cut).
 */
size_t metrics_render(const struct report_stats *st, char *buf, size_t len);

struct metrics;

/*
 * metrics_listen - a listening socket on addr (metrics_parse_addr's
 * syntax): at set-up, so that "in use" or "not permitted" is said on the
 * terminal. Returns the descriptor, or -1 with a message in err naming
 * the address and the cause.
 */
int metrics_listen(const char *addr, char *err, size_t errlen);

/*
 * metrics_serve - serve /metrics on the listening socket fd (taken) from
 * a thread of libmicrohttpd's; start it after the seccomp allow-list, so
 * that the thread is confined too. NULL with a message in err.
 */
struct metrics *metrics_serve(int fd, metrics_collect_cb collect, void *ctx,
			      char *err, size_t errlen);

/* metrics_stop - stop serving (a scrape in progress ends first). NULL ok. */
void metrics_stop(struct metrics *m);

/*
 * metrics_write_textfile - the exposition of st into path, atomically
 * (path.tmp, then rename). Returns 0, or -1 with errno set.
 */
int metrics_write_textfile(const char *path, const struct report_stats *st);

#endif
