/*
 * engine.h - the gap engine: packets and time in, gap records out.
 *
 * One engine per packet source (a queue thread, or a replay). It owns a
 * flow table and a timer wheel and is not thread-safe: one thread drives
 * it. It never reads a clock, a socket or a file; the source passes every
 * reading of time in, so replay and unit tests drive the very same code.
 */
#ifndef GAPWATCH_ENGINE_H
#define GAPWATCH_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include "gapwatch.h"
#include "flow.h"
#include "packet.h"

struct portset;

enum gap_outcome {
	OUTCOME_NONE = 0,	/* gap_open record: not closed yet */
	OUTCOME_RESUMED,
	OUTCOME_CLIENT_RST,
	OUTCOME_SERVER_RST,
	OUTCOME_FIN,
	OUTCOME_EXPIRED,
	OUTCOME_RECONNECTED,
	OUTCOME_EVICTED,
	OUTCOME_OPEN_AT_EXIT,
};

enum gap_silent { SILENT_CLIENT, SILENT_SERVER, SILENT_BOTH };

enum gap_cause {
	CAUSE_NONE = 0,			/* not classified yet */
	CAUSE_INSPECTOR_LOSS,
	CAUSE_PATH_LOSS_TO_SERVER,
	CAUSE_PATH_LOSS_TO_CLIENT,
	CAUSE_LOCAL_DROP_INVALID,
	CAUSE_CONNTRACK_DESTROYED,
	CAUSE_CONNTRACK_TABLE_FULL,
	CAUSE_NAT_REBIND,
	CAUSE_PMTU_BLACKHOLE,
	CAUSE_CLIENT_APP_STALL,
	CAUSE_SERVER_APP_STALL,
	CAUSE_UNKNOWN,
	CAUSE_MAX
};

/* What opened the gap. */
enum gap_trigger {
	TRIGGER_SILENCE = 0,	/* a side's data stopped */
	TRIGGER_UNACKED,	/* a side's data went unacknowledged */
};

/* The inspector's own loss counters (cumulative, per queue). */
struct inspector_counters {
	uint64_t queue_dropped;		/* /proc: queue full, no fail-open */
	uint64_t user_dropped;		/* /proc: netlink send to us failed */
	uint64_t enobufs;		/* our socket overran */
	uint64_t truncated;		/* messages cut by MSG_TRUNC */
};

/* Facts about one side over the gap window (from gap start to its end). */
struct gap_side_facts {
	uint64_t last_packet_us;	/* wall clock, 0 if never */
	uint32_t packets;		/* packets in the window */
	uint32_t retransmits;
	uint32_t dup_acks;
	uint32_t zero_windows;
	uint32_t bytes_in_flight;	/* TCP: sent but not acked, at the end */
	uint32_t invalid;		/* packets conntrack called INVALID */
	uint32_t big_retransmits;	/* retransmitted near-MSS segments */
	uint16_t mss;			/* this side's advertised MSS, 0 unknown */
	uint8_t ttl_before;
	uint8_t ttl_after;
	uint8_t fin;
	uint8_t rst;
};

/* Conntrack's view of a gap's flow, filled by the conntrack stage. */
#define CT_EVENTS_MAX 8

enum ct_event_type { CT_EV_NEW = 1, CT_EV_UPDATE, CT_EV_DESTROY };

struct ct_event {
	uint64_t wall_us;
	uint32_t timeout_s;		/* at the event */
	uint8_t type;			/* CT_EV_* */
	uint8_t tcp_state;		/* TCP_CONNTRACK_*, 0 for UDP */
	uint8_t by_timeout;		/* DESTROY: the entry timed out */
};

struct ct_entry {
	uint8_t looked_up;		/* a GET was answered */
	uint8_t found;
	uint8_t tcp_state;
	uint32_t timeout_s;
	uint32_t mark;
	uint32_t status;		/* IPS_* bits */
	uint64_t packets[2];		/* [orig], [reply], with accounting */
	uint64_t bytes[2];
};

/* Table health over the gap's window. */
struct ct_health {
	uint32_t count;			/* entries at the end */
	uint32_t max;
	uint64_t invalid;		/* growth of the per-CPU statistics */
	uint64_t drop;
	uint64_t early_drop;
	uint64_t insert_failed;
	uint64_t error;
	uint64_t search_restart;
};

struct ct_facts {
	uint8_t available;		/* ctnetlink answered */
	uint8_t nevents;
	uint16_t events_missed;		/* more than CT_EVENTS_MAX, or ENOBUFS */
	struct ct_event events[CT_EVENTS_MAX];	/* in the gap's window */
	struct ct_entry at_open;
	struct ct_entry at_close;
	struct ct_health health;
};

/* Gaps that started within about a second of each other: one event. */
struct gap_cluster {
	uint64_t id;			/* 0: not part of a cluster */
	uint32_t size;
	uint64_t first_start_us;
};

struct gap_record {
	uint64_t seq;			/* unique within this engine */
	uint16_t queue;
	uint8_t is_open_event;		/* 1: "gap_open", 0: "gap" (closed) */
	uint8_t trigger;		/* enum gap_trigger */
	enum gap_silent silent;
	enum gap_outcome outcome;
	enum gap_cause cause;
	struct flow_key key;
	uint64_t start_us;		/* wall: last data of the silent side */
	uint64_t end_us;		/* wall: resume / outcome / detection */
	uint64_t detected_us;		/* wall: when the timer saw it */
	uint32_t threshold_us;
	uint32_t expected_interval_us;
	struct gap_side_facts side[2];	/* [SIDE_CLIENT], [SIDE_SERVER] */
	uint16_t reconnect_port;	/* valid if outcome RECONNECTED */
	uint64_t reconnect_delay_us;
	struct inspector_counters inspector;	/* deltas over the window */
	uint64_t invalid_first_us;	/* wall: the run of INVALID packets */
	uint64_t invalid_last_us;
	struct ct_facts ct;
	struct gap_cluster cluster;
	/* TCP: a keep-alive the server could send on this flow now (for
	 * probes): seq = what the client last acknowledged - 1, ack = the
	 * client's next sequence number. tcp_known: both are known. */
	uint8_t tcp_known;
	uint32_t keepalive_seq;
	uint32_t keepalive_ack;
	uint16_t server_window;
	uint8_t has_pcap;		/* the packets go to a pcap file */
	char pcap_path[192];		/* set by the correlator */
	char evidence[256];		/* one human sentence */
};

typedef void (*engine_gap_cb)(void *ctx, const struct gap_record *rec);

struct ev_pool;

/*
 * A gap's packets are complete (before, during, and a few after it): the
 * callee now owns buffer slot of pool and gives it back with ev_give().
 */
typedef void (*engine_evidence_cb)(void *ctx, struct ev_pool *pool,
				   uint16_t slot);

struct engine_config {
	const struct portset *ports;	/* server ports; not copied */
	uint16_t queue;			/* for record ids */
	uint32_t max_flows;
	uint32_t gap_min_us;		/* floor of every threshold */
	uint32_t gap_factor;		/* threshold = factor x interval */
	uint32_t flow_timeout_us;	/* idle flow is forgotten */
	uint32_t closed_linger_us;	/* closed flow kept for late packets */
	uint32_t reconnect_window_us;	/* old silent flow -> new flow */
	uint32_t seed;			/* flow hash seed */
	uint32_t invalid_mark;		/* packet mark bit: conntrack INVALID */
	uint32_t untracked_mark;	/* packet mark bit: UNTRACKED */
	uint32_t evidence_packets;	/* per-flow ring; 0: no pcap evidence */
	engine_evidence_cb evidence_cb;	/* called with cb's ctx */
};

/* Defaults (documented in gapwatchd(8)). */
#define ENGINE_GAP_MIN_MS	2000
#define ENGINE_GAP_FACTOR	3
#define ENGINE_FLOW_TIMEOUT_S	300
#define ENGINE_CLOSED_LINGER_S	10
#define ENGINE_RECONNECT_WINDOW_S 120
#define ENGINE_MAX_FLOWS	262144
#define ENGINE_INVALID_MARK	0x20000000
#define ENGINE_UNTRACKED_MARK	0x40000000

/* Heartbeat learning: intervals needed before a side can open a gap. */
#define ENGINE_LEARN_SAMPLES	3

enum engine_counter {
	EC_PACKETS,
	EC_BYTES,
	EC_PARSE_TRUNCATED,
	EC_PARSE_MALFORMED,
	EC_PARSE_NOT_TCP_UDP,
	EC_PARSE_FRAGMENT,
	EC_PARSE_EXT_LIMIT,
	EC_UNMATCHED,		/* neither port is a server port */
	EC_FLOWS_CREATED,
	EC_FLOWS_EXPIRED,
	EC_FLOWS_EVICTED,
	EC_GAPS_OPENED,
	EC_GAPS_CLOSED,
	EC_RECONNECTS,
	EC_RETRANSMITS,
	EC_INVALID,		/* packets marked INVALID by the rules */
	EC_EVIDENCE_LOST,	/* gaps without a pcap: all buffers busy */
	EC_TIMERS_FIRED,
	EC_MAX
};

struct engine;

/*
 * engine_new - create an engine that reports through cb(ctx, ...).
 * now is the time the source starts at. Returns NULL with errno set
 * (ENOMEM, EINVAL for a bad configuration).
 */
struct engine *engine_new(const struct engine_config *cfg, engine_gap_cb cb,
			  void *ctx, const struct gw_time *now);
void engine_free(struct engine *e);

/*
 * engine_packet - account one IP packet seen at now. caplen bytes are at
 * buf; wirelen is the packet's real length. Never fails: whatever cannot
 * be parsed is counted and ignored.
 */
void engine_packet(struct engine *e, const uint8_t *buf, size_t caplen,
		   size_t wirelen, const struct gw_time *now);

/*
 * engine_packet_marked - the same, for a packet that carries the mark the
 * rules set (NFQA_MARK): the INVALID and UNTRACKED bits of the engine's
 * configuration say what conntrack made of it.
 */
void engine_packet_marked(struct engine *e, const uint8_t *buf, size_t caplen,
			  size_t wirelen, uint32_t mark,
			  const struct gw_time *now);

/* engine_packet_parsed - the same for a packet already parsed. */
void engine_packet_parsed(struct engine *e, const struct packet *pkt,
			  size_t wirelen, const struct gw_time *now);

/* engine_tick - run the timers due at now (gap detection, expiry). */
void engine_tick(struct engine *e, const struct gw_time *now);

/*
 * engine_inspector_sample - record the source's loss counters as read at
 * now; gap records carry their growth over each gap's window.
 */
void engine_inspector_sample(struct engine *e, const struct gw_time *now,
			     const struct inspector_counters *c);

/* engine_finish - report every open gap as open_at_exit. */
void engine_finish(struct engine *e, const struct gw_time *now);

/* engine_counters - the EC_* counters, indexed by enum engine_counter. */
const uint64_t *engine_counters(const struct engine *e);
const char *engine_counter_name(enum engine_counter c);
uint32_t engine_flow_count(const struct engine *e);
uint32_t engine_open_gaps(const struct engine *e);

#endif
