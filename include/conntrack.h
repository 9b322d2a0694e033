/*
 * conntrack.h - what netfilter's connection tracking says about our flows:
 * ctnetlink events, lookups and table statistics (libnetfilter_conntrack).
 *
 * Not thread-safe: one thread (the correlator) owns a struct ct. Nothing
 * here runs in a verdict loop: lookups block for up to CT_QUERY_TIMEOUT_MS.
 */
#ifndef GAPWATCH_CONNTRACK_H
#define GAPWATCH_CONNTRACK_H

#include <stddef.h>
#include <stdint.h>

#include "gapwatch.h"
#include "record.h"

struct portset;

#define CT_CONNMARK		0x10000000	/* the rules mark game flows */
#define CT_QUERY_TIMEOUT_MS	200
#define CT_EVENT_RCVBUF		(8U << 20)
#define CT_GRACE_US		(500 * 1000)	/* events after a gap's end */

struct ct_config {
	const struct portset *ports;
	uint32_t connmark;	/* kernel-side event filter; 0: none */
	uint32_t max_tracked;	/* flows whose history is kept */
	uint32_t rcvbuf;	/* event socket; 0: CT_EVENT_RCVBUF */
};

struct ct_counters {
	uint64_t events;
	uint64_t events_ignored;	/* not a game flow (no kernel filter) */
	uint64_t enobufs;
	uint64_t resyncs;
	uint64_t queries;
	uint64_t query_errors;
	uint64_t tracked;		/* flows with a history now */
	uint64_t evicted;		/* histories dropped for room */
	uint64_t open_lookups_lost;	/* at_open not kept: too many open */
	uint32_t count;			/* table entries, last sample */
	uint32_t max;
	int kernel_filter;		/* 1: events filtered by connmark */
};

struct ct;

/*
 * ct_open - subscribe to conntrack events (NEW, UPDATE, DESTROY) for TCP
 * and UDP flows carrying cfg->connmark, and open a socket for lookups.
 * Returns NULL with the reason in err (no ctnetlink, no permission).
 */
struct ct *ct_open(const struct ct_config *cfg, char *err, size_t errlen);
void ct_close(struct ct *ct);

/* ct_event_fd - poll this for events. */
int ct_event_fd(const struct ct *ct);

/*
 * ct_read_events - take every waiting event into the flows' histories.
 * On ENOBUFS (events lost) counts it and re-reads the table with a dump.
 */
void ct_read_events(struct ct *ct, const struct gw_time *now);

/* ct_sample - read the table's size and statistics into the history. */
void ct_sample(struct ct *ct, const struct gw_time *now);

/*
 * ct_enrich - fill rec->ct: the flow's events in the gap's window, a
 * lookup of its entry now (at_open for a gap_open record, at_close for a
 * closing one, with at_open remembered from the open record), and the
 * table's health over the window.
 */
void ct_enrich(struct ct *ct, struct gap_record *rec);

const struct ct_counters *ct_counters(const struct ct *ct);

#endif
