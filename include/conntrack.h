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

struct flow_key;
struct nf_conntrack;
struct portset;

#define CT_CONNMARK		0x10000000	/* the rules mark game flows */
#define CT_QUERY_TIMEOUT_MS	200
#define CT_EVENT_RCVBUF		(8U << 20)
#define CT_GRACE_US		(500 * 1000)	/* events after a gap's end */
#define CT_HISTORY		6	/* events kept per flow */
#define CT_SAMPLES		1024	/* table statistics, one a second */
#define CT_OPEN_GAPS		4096	/* at_open lookups awaiting a close */
#define CT_MISSED		64	/* times events were lost (ENOBUFS) */

/*
 * A gap's window for events opens this long before the gap's start: the
 * change that silences a flow (its entry destroyed, its state moved) can
 * come just before its last packet got through.
 */
#define CT_WINDOW_LEAD_US	USEC_PER_SEC

/*
 * A DESTROY counts as a timeout when it came no earlier than this before
 * the gap's start plus the entry's last known timeout: timeouts come in
 * whole seconds, and the kernel's timer and the engine's packet times are
 * not the same clock reading.
 */
#define CT_TIMEOUT_SLACK_US	(2 * USEC_PER_SEC)

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
 * and UDP flows carrying cfg->connmark, and open a socket for lookups:
 * ct_new and the sockets. Returns NULL with the reason in err (no
 * ctnetlink, no permission, no memory).
 */
struct ct *ct_open(const struct ct_config *cfg, char *err, size_t errlen);

/* ct_close - close the sockets, free everything; accepts NULL. */
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

/*
 * --- The parts without a kernel ---------------------------------------
 * What the functions above do with what netlink brought, as pure
 * functions: the daemon reaches them through the functions above, the
 * unit tests directly.
 */

/*
 * ct_new - a struct ct with its tables (cfg->max_tracked histories, the
 * statistics samples) but no sockets: ct_read_events, ct_sample and
 * ct_enrich need ct_open's. Returns NULL with the reason in err
 * (max_tracked 0 or above HASHIDX_CAPACITY_MAX, no memory).
 */
struct ct *ct_new(const struct ct_config *cfg, char *err, size_t errlen);

/*
 * ct_entry_key - the flow key of a conntrack entry, client first, from
 * its original tuple (what the rules saw, before DNAT) oriented by the
 * game ports. Returns 0, or -1 for an entry that is not a game flow (not
 * TCP or UDP, not IPv4 or IPv6, no game port).
 */
int ct_entry_key(const struct portset *ports, const struct nf_conntrack *c,
		 struct flow_key *k);

/*
 * ct_entry_fill - e->found = 1 and the entry's state, timeout, mark,
 * status and (with accounting) counters; what c lacks is left as it was.
 */
void ct_entry_fill(const struct nf_conntrack *c, struct ct_entry *e);

/*
 * ct_event_type - the CT_EV_* of a ctnetlink event message of this type
 * and these flags, or -1 for a message that is no event.
 */
int ct_event_type(uint16_t nlmsg_type, uint16_t nlmsg_flags);

/*
 * ct_track_event - add ev to k's history (CT_HISTORY events, oldest
 * dropped), creating it, evicting the least recently used history when
 * max_tracked are kept (counted in evicted). A NEW or UPDATE with a
 * timeout makes it the flow's last known timeout.
 */
void ct_track_event(struct ct *ct, const struct flow_key *k,
		    const struct ct_event *ev);

/* ct_add_sample - the table's statistics as read at wall_us. */
void ct_add_sample(struct ct *ct, uint64_t wall_us, const struct ct_health *h);

/*
 * ct_resync_begin / ct_resync_seen / ct_resync_end - events were lost at
 * wall_us (counted in resyncs, and in events_missed of a gap whose window
 * holds that time); a dump of the table then saw k's entry, for each k;
 * after the whole dump, every history whose entry it did not see and
 * whose last event is not a DESTROY gets a DESTROY at wall_us.
 */
void ct_resync_begin(struct ct *ct, uint64_t wall_us);
void ct_resync_seen(struct ct *ct, const struct flow_key *k);
void ct_resync_end(struct ct *ct, uint64_t wall_us);

/*
 * ct_window - fill rec->ct with what needs no lookup: available = 1; the
 * flow's kept events from CT_WINDOW_LEAD_US before the gap's start to its
 * detection (an open record) or to CT_GRACE_US after its end, a DESTROY
 * marked by_timeout when the flow was quiet long enough; events_missed:
 * the times events were lost in that window (of the last CT_MISSED);
 * and the table's health: the growth of its statistics from the sample
 * at the gap's start to the newest one. Zeroes the rest.
 */
void ct_window(const struct ct *ct, struct gap_record *rec);

/*
 * ct_open_gap_keep / ct_open_gap_take - remember the at_open lookup of
 * gap (queue, seq) until its closing record takes it back. keep counts
 * the lookup in open_lookups_lost when CT_OPEN_GAPS - 1 are kept, and
 * keeps the first at_open of a gap kept twice. take returns 1 and fills
 * at_open, forgetting it, or 0 (at_open untouched) when none was kept.
 */
void ct_open_gap_keep(struct ct *ct, uint16_t queue, uint64_t seq,
		      const struct ct_entry *at_open);
int ct_open_gap_take(struct ct *ct, uint16_t queue, uint64_t seq,
		     struct ct_entry *at_open);

#endif
