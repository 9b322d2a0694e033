/*
 * record.h - the gap record: what the engine found, what the correlator
 * added (conntrack, clusters, cause, pcap), as the report writes it.
 *
 * The engine fills it, the correlator completes it, report.c encodes it
 * (with the field names of schema.h). Plain data: no pointers, so that a
 * record is copied whole through the correlator's queue.
 */
#ifndef GAPWATCH_RECORD_H
#define GAPWATCH_RECORD_H

#include <stdint.h>

#include "flowkey.h"

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
	CAUSE_LOCAL_DROP_FIREWALL,
	CAUSE_LOCAL_DROP_SOCKET,
	CAUSE_LOCAL_DROP_NIC,
	CAUSE_LOCAL_DROP_TCP,
	CAUSE_CONNTRACK_DESTROYED,
	CAUSE_CONNTRACK_TABLE_FULL,
	CAUSE_NAT_REBIND,
	CAUSE_PMTU_BLACKHOLE,
	CAUSE_CLIENT_APP_STALL,
	CAUSE_SERVER_APP_STALL,
	CAUSE_UNKNOWN,
	CAUSE_MAX
};

/* How a reconnect was matched to this flow, and how sure that is. */
enum reconnect_method {
	RECONNECT_ONLY = 1,		/* the one silent flow on the address */
	RECONNECT_FINGERPRINT,		/* the one whose device matches */
	RECONNECT_DELAY,		/* the learned give-up delay chose */
	RECONNECT_ORDER,		/* no delay learned: the first silent */
};

enum reconnect_confidence {
	CONFIDENCE_LOW = 1,		/* a guess among alike candidates */
	CONFIDENCE_HIGH,		/* the delay fits it clearly best */
	CONFIDENCE_FULL,		/* no other candidate could be it */
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
	/* What fail-open passed without showing us, which the kernel counts
	 * nowhere: */
	uint64_t unseen;		/* the rules' counter minus received:
					 * queue full, and the id holes too;
					 * 0 without the counter */
	uint64_t id_holes;		/* ids skipped: delivery to our socket
					 * failed (socket buffer full) */
	uint64_t stalls;		/* times the verdict loop was not
					 * scheduled for INSPECTOR_STALL_US */
	uint64_t stalled_us;		/* and how long, summed */
};

/* Why gapwatchd was blind. In rising order of what explains the rest:
 * a stall fills the queue, a full queue leaves the socket idle; an
 * interval says the highest it saw. */
enum blind_reason {
	BLIND_NONE = 0,
	BLIND_SOCKET_OVERRUN,	/* delivery to our socket failed: id holes,
				 * failed sends, ENOBUFS */
	BLIND_QUEUE_FULL,	/* fail-open passed what the full queue could
				 * not take (the rules' counter) */
	BLIND_STALLED,		/* the verdict loop was not scheduled */
};

/* A blind interval (blind.h): a "blind" record. */
struct blind_record {
	uint16_t queue;
	enum blind_reason reason;
	uint64_t start_us;		/* wall in the record */
	uint64_t end_us;
	uint64_t missed;		/* packets passed unseen or dropped */
	struct inspector_counters growth;	/* over the interval */
};

/* The verdict loop not scheduled for this long is a stall: the queue
 * (QUEUE_MAXLEN packets) fills in about that time at 16k packets/s. */
#define INSPECTOR_STALL_US	250000

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

/*
 * What the server's own kernel dropped of the gap's flow over its window,
 * as the drop watcher (dropwatch.h) saw it: the proof, either way, of
 * whether it was the server. Filled by the correlator.
 */
#define LOCAL_DROP_REASONS	4
#define LOCAL_DROP_NAME_LEN	40	/* "TCP_INVALID_SEQUENCE" ... */
#define LOCAL_DROP_FUNC_LEN	48	/* "nf_hook_slow" ... */

struct local_drop_reason {
	uint32_t reason;		/* enum skb_drop_reason */
	uint32_t count;
	char name[LOCAL_DROP_NAME_LEN];	/* without SKB_DROP_REASON_ */
	char func[LOCAL_DROP_FUNC_LEN];	/* where, of its first drop */
};

struct local_drops {
	uint8_t watching;		/* the watcher was on for the window */
	uint8_t complete;		/* and lost or forgot no event in it */
	uint8_t nreasons;		/* by_reason entries, most first */
	uint32_t count;			/* the flow's packets dropped */
	uint32_t other_ports;		/* packets of the client's address to
					 * the server port from other ports
					 * (other players behind its NAT, or
					 * its reconnect) */
	uint32_t other_syns;		/* of those, TCP SYNs: new connections,
					 * its reconnect's that no flow holds */
	uint64_t first_us, last_us;	/* wall; 0: none */
	uint64_t since_us;		/* wall: watching since */
	struct local_drop_reason by_reason[LOCAL_DROP_REASONS];
};

/*
 * The server's drop counters that need no BPF (hoststat.h): cumulative
 * as read, and in a gap record their growth over its window. For the
 * namespace or the host, never one flow. Every member a uint64_t, in the
 * order of the record's "server" object (report.c).
 */
struct host_counters {
	uint64_t udp_in_errors;
	uint64_t udp_rcvbuf_errors;
	uint64_t udp_sndbuf_errors;
	uint64_t udp_mem_errors;
	uint64_t tcp_listen_overflows;
	uint64_t tcp_listen_drops;
	uint64_t tcp_backlog_drop;
	uint64_t tcp_rcvq_drop;
	uint64_t tcp_zero_window_drop;
	uint64_t tcp_ofo_drop;
	uint64_t tcp_paws_estab;
	uint64_t tcp_timeouts;
	uint64_t softnet_dropped;	/* the CPUs' input backlog was full */
	uint64_t softnet_squeezed;	/* NAPI ran out of budget or time */
	uint64_t nic_rx_dropped;	/* every device but loopback */
	uint64_t nic_rx_missed;
	uint64_t nic_rx_fifo;
	uint64_t nic_tx_dropped;
};
#define HOST_COUNTERS	(sizeof(struct host_counters) / sizeof(uint64_t))

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
	uint8_t reconnect_candidates;	/* silent flows on the address that
					 * could have been it (255: more) */
	uint8_t reconnect_method;	/* enum reconnect_method */
	uint8_t reconnect_confidence;	/* enum reconnect_confidence */
	uint64_t reconnect_delay_us;
	struct inspector_counters inspector;	/* deltas over the window */
	uint64_t blind_from_us;		/* wall: gapwatchd first blind in the
					 * window (blind.h); 0: never */
	uint8_t partly_blind;		/* the silence was a gap before that:
					 * it keeps its own cause */
	uint64_t invalid_first_us;	/* wall: the run of INVALID packets */
	uint64_t invalid_last_us;
	struct ct_facts ct;
	struct local_drops drops;
	uint8_t server_known;		/* server: the counters were read */
	struct host_counters server;	/* their growth over the window */
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
	char evidence[384];		/* one human sentence */
};

#endif
