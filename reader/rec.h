/*
 * rec.h - one line of gapwatchd's report into the fields gapwatch reads
 * (struct gw_rec), by the names of schema.h.
 *
 * Nothing here keeps a record's JSON: the strings are spans into the
 * line, the times and counters are converted as they are read.
 */
#ifndef GAPWATCH_REC_H
#define GAPWATCH_REC_H

#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>

#include "span.h"

enum rec_type { REC_OTHER = 0, REC_GAP, REC_GAP_OPEN, REC_STATS, REC_PROBE,
		REC_EXPOSURE };

/* gw_rec.has: which fields the record carried (non-null, right type). */
#define REC_HAS_ID		0x00000001
#define REC_HAS_START		0x00000002
#define REC_HAS_END		0x00000004
#define REC_HAS_DETECTED	0x00000008
#define REC_HAS_DURATION	0x00000010
#define REC_HAS_RECONNECT	0x00000020
#define REC_HAS_CLUSTER		0x00000040
#define REC_HAS_PCAP		0x00000080
#define REC_HAS_CONNTRACK	0x00000100
#define REC_HAS_PROBE		0x00000200
#define REC_HAS_TIME		0x00000400
#define REC_HAS_UPTIME		0x00000800
#define REC_HAS_CLIENT		0x00001000
#define REC_HAS_SERVER		0x00002000
#define REC_HAS_CAUSE		0x00004000
#define REC_HAS_OUTCOME		0x00008000
#define REC_HAS_TYPE		0x00010000
#define REC_HAS_LOCAL_DROPS	0x00020000	/* an object, not null */

/*
 * The fields gapwatch reads from one line. Spans point into the line:
 * they are valid while it is. Counters missing from a record are 0.
 */
struct gw_rec {
	enum rec_type type;
	uint32_t has;
	struct span id, proto, client, server, silent, outcome, cause;
	struct span evidence, explanation, next_step, pcap, cluster_id;
	struct span reconnect_confidence;	/* full, high, low */
	struct span host;			/* the record's "host" */
	/* probe records: where the flow's ladder stopped, and whether a
	 * fresh flow (the control ladder) reached the client */
	struct span last_hop;
	int control_reached;
	int64_t start_us, end_us, detected_us, duration_us;
	int64_t reconnect_port, reconnect_delay_us;
	int64_t server_retransmits, client_retransmits;
	int64_t cluster_size, cluster_first_us;
	int lost_packets;			/* inspector.lost_packets */
	int drops_complete;			/* local_drops.complete */
	int64_t drops_count;			/* local_drops.count */
	/* stats records: cumulative since the daemon started */
	int64_t time_us, uptime_s;
	int64_t flows_created, queue_dropped, user_dropped, enobufs;
	int64_t report_dropped;
	int64_t unseen, id_holes;		/* passed unseen (fail-open) */
	int64_t blind_intervals, blind_missed;
};

enum rec_result {
	REC_OK = 0,
	REC_NOT_JSON,		/* a syntax error: not JSON at all */
	REC_NOT_OBJECT,		/* JSON, but not an object */
};

/*
 * rec_scan - parse line[0..len) (no newline) as one JSON object and pick
 * out the fields above; unknown fields are checked for syntax and
 * skipped. Much faster than building the object: nothing is allocated.
 */
enum rec_result rec_scan(const char *line, size_t len, struct gw_rec *r);

/*
 * rec_scan_jansson - the same with json_loadb(), for measuring
 * (GAPWATCH_PARSER=jansson) and for checking the scanner. *keep holds the
 * parsed object the spans point into: give it to rec_release() when done
 * with r (also after an error).
 */
enum rec_result rec_scan_jansson(const char *line, size_t len,
				 struct gw_rec *r, void **keep);

/* rec_release - free what rec_scan_jansson kept. Accepts NULL. */
void rec_release(void *keep);

/*
 * rec_endpoint - "198.18.0.1:40000" or "[2001:db8::1]:40000" into a
 * v4-mapped or IPv6 address and a port. Returns 0, or -1.
 */
int rec_endpoint(const struct span *s, struct in6_addr *addr, uint16_t *port);

/*
 * rec_probe_stop - a probe record's client and the hop its ladder stopped
 * after, into hop (len bytes, NUL-terminated). Returns 0, or -1 when the
 * record names no hop, the hop does not fit, or the client is no
 * endpoint.
 */
int rec_probe_stop(const struct gw_rec *r, struct in6_addr *client, char *hop,
		   size_t len);

#endif
