/*
 * schema.h - the names of every record type and field gapwatchd writes.
 *
 * A field is named here once: report.c writes with these names and every
 * reader (gapwatch report, show, HTML) reads with them, so a rename is one
 * edit that the compiler carries to both sides. What each field means is
 * documented in gapwatchd(8), sections GAP RECORDS and STATS RECORDS.
 */
#ifndef GAPWATCH_SCHEMA_H
#define GAPWATCH_SCHEMA_H

/* Record types: the "type" field of every line. */
#define RECORD_GAP			"gap"
#define RECORD_GAP_OPEN			"gap_open"
#define RECORD_STATS			"stats"
#define RECORD_PROBE			"probe"
#define RECORD_BLIND			"blind"
#define RECORD_EXPOSURE			"exposure"

/*
 * A gap's id, in its gap_open, gap and probe records and in its pcap
 * file's name (ID.pcap): the run id (the daemon's start time, hex), the
 * queue, the gap's number in that queue's engine. printf arguments:
 * const char *, unsigned int, unsigned long long.
 */
#define GAP_ID_FORMAT			"%s-%u-%llu"

/*
 * The schema's version, in every record's "schema": bumped when a field
 * changes meaning or goes away (a new field does not bump it), so that a
 * reader can refuse what it would misread. gapwatchd(8), COMPATIBILITY.
 */
#define SCHEMA_VERSION			1

/* Fields every record has. */
#define FIELD_TYPE			"type"
#define FIELD_SCHEMA			"schema"
#define FIELD_HOST			"host"		/* --host-name */
#define FIELD_ID			"id"		/* gap and probe records */

/* The gap record (gap_open: the same, with end and outcome null). */
#define FIELD_PROTO			"proto"
#define FIELD_CLIENT			"client"
#define FIELD_SERVER			"server"
#define FIELD_START			"start"
#define FIELD_END			"end"
#define FIELD_DETECTED			"detected"
#define FIELD_DURATION_MS		"duration_ms"
#define FIELD_THRESHOLD_MS		"threshold_ms"
#define FIELD_EXPECTED_INTERVAL_MS	"expected_interval_ms"
#define FIELD_SILENT			"silent"
#define FIELD_LAST_CLIENT_PACKET	"last_client_packet"
#define FIELD_LAST_SERVER_PACKET	"last_server_packet"
#define FIELD_CLIENT_PACKETS		"client_packets"
#define FIELD_SERVER_PACKETS		"server_packets"
#define FIELD_CLIENT_RETRANSMITS	"client_retransmits"
#define FIELD_SERVER_RETRANSMITS	"server_retransmits"
#define FIELD_DUP_ACKS			"dup_acks"
#define FIELD_ZERO_WINDOWS		"zero_windows"
#define FIELD_BYTES_IN_FLIGHT		"bytes_in_flight"
#define FIELD_TTL			"ttl"
#define FIELD_TTL_CLIENT_BEFORE		"client_before"
#define FIELD_TTL_CLIENT_AFTER		"client_after"
#define FIELD_TTL_SERVER_BEFORE		"server_before"
#define FIELD_TTL_SERVER_AFTER		"server_after"
#define FIELD_OUTCOME			"outcome"
#define FIELD_RECONNECT			"reconnect"
#define FIELD_RECONNECT_CLIENT_PORT	"client_port"
#define FIELD_RECONNECT_DELAY_MS	"delay_ms"
#define FIELD_RECONNECT_CANDIDATES	"candidates"
#define FIELD_RECONNECT_METHOD		"method"	/* only, fingerprint, delay, order */
#define FIELD_RECONNECT_CONFIDENCE	"confidence"	/* full, high, low */
#define FIELD_CAUSE			"cause"
#define FIELD_EVIDENCE			"evidence"
#define FIELD_EXPLANATION		"explanation"
#define FIELD_NEXT_STEP			"next_step"
#define FIELD_INSPECTOR			"inspector"
#define FIELD_INSPECTOR_QUEUE_DROPPED	"queue_dropped"
#define FIELD_INSPECTOR_USER_DROPPED	"user_dropped"
#define FIELD_INSPECTOR_ENOBUFS		"enobufs"
#define FIELD_INSPECTOR_TRUNCATED	"truncated"
#define FIELD_INSPECTOR_LOST_PACKETS	"lost_packets"
#define FIELD_INSPECTOR_UNSEEN		"unseen"
#define FIELD_INSPECTOR_ID_HOLES	"id_holes"
#define FIELD_INSPECTOR_STALLS		"stalls"
#define FIELD_INSPECTOR_STALLED_MS	"stalled_ms"
#define FIELD_INSPECTOR_BLIND_FROM	"blind_from"	/* time, or null */
#define FIELD_INSPECTOR_PARTLY_BLIND	"partly_blind"
#define FIELD_QUEUE			"queue"
#define FIELD_TRIGGER			"trigger"
#define FIELD_BIG_RETRANSMITS		"big_retransmits"
#define FIELD_INVALID			"invalid"
#define FIELD_INVALID_FIRST		"first"
#define FIELD_INVALID_LAST		"last"
#define FIELD_CONNTRACK			"conntrack"
#define FIELD_SERVER_COUNTERS		"server_counters"	/* null: not read */
#define FIELD_HOST_UDP_IN_ERRORS	"udp_in_errors"
#define FIELD_HOST_UDP_RCVBUF_ERRORS	"udp_rcvbuf_errors"
#define FIELD_HOST_UDP_SNDBUF_ERRORS	"udp_sndbuf_errors"
#define FIELD_HOST_UDP_MEM_ERRORS	"udp_mem_errors"
#define FIELD_HOST_TCP_LISTEN_OVERFLOWS	"tcp_listen_overflows"
#define FIELD_HOST_TCP_LISTEN_DROPS	"tcp_listen_drops"
#define FIELD_HOST_TCP_BACKLOG_DROP	"tcp_backlog_drop"
#define FIELD_HOST_TCP_RCVQ_DROP	"tcp_rcvq_drop"
#define FIELD_HOST_TCP_ZERO_WINDOW_DROP	"tcp_zero_window_drop"
#define FIELD_HOST_TCP_OFO_DROP		"tcp_ofo_drop"
#define FIELD_HOST_TCP_PAWS_ESTAB	"tcp_paws_estab"
#define FIELD_HOST_TCP_TIMEOUTS		"tcp_timeouts"
#define FIELD_HOST_SOFTNET_DROPPED	"softnet_dropped"
#define FIELD_HOST_SOFTNET_SQUEEZED	"softnet_squeezed"
#define FIELD_HOST_NIC_RX_DROPPED	"nic_rx_dropped"
#define FIELD_HOST_NIC_RX_MISSED	"nic_rx_missed"
#define FIELD_HOST_NIC_RX_FIFO		"nic_rx_fifo"
#define FIELD_HOST_NIC_TX_DROPPED	"nic_tx_dropped"
/* The "server_counters" object's fields, in the order of struct
 * host_counters (record.h). */
#define HOST_COUNTER_FIELDS \
	FIELD_HOST_UDP_IN_ERRORS, FIELD_HOST_UDP_RCVBUF_ERRORS, \
	FIELD_HOST_UDP_SNDBUF_ERRORS, FIELD_HOST_UDP_MEM_ERRORS, \
	FIELD_HOST_TCP_LISTEN_OVERFLOWS, FIELD_HOST_TCP_LISTEN_DROPS, \
	FIELD_HOST_TCP_BACKLOG_DROP, FIELD_HOST_TCP_RCVQ_DROP, \
	FIELD_HOST_TCP_ZERO_WINDOW_DROP, FIELD_HOST_TCP_OFO_DROP, \
	FIELD_HOST_TCP_PAWS_ESTAB, FIELD_HOST_TCP_TIMEOUTS, \
	FIELD_HOST_SOFTNET_DROPPED, FIELD_HOST_SOFTNET_SQUEEZED, \
	FIELD_HOST_NIC_RX_DROPPED, FIELD_HOST_NIC_RX_MISSED, \
	FIELD_HOST_NIC_RX_FIFO, FIELD_HOST_NIC_TX_DROPPED
#define FIELD_LOCAL_DROPS		"local_drops"	/* null: not watched */
#define FIELD_LD_WATCHING		"watching"
#define FIELD_LD_COMPLETE		"complete"
#define FIELD_LD_COUNT			"count"
#define FIELD_LD_BY_REASON		"by_reason"
#define FIELD_LD_REASON			"reason"
#define FIELD_LD_FUNCTION		"function"
#define FIELD_LD_FIRST			"first"
#define FIELD_LD_LAST			"last"
#define FIELD_LD_SINCE			"since"
#define FIELD_LD_OTHER_PORTS		"other_ports"
#define FIELD_LD_OTHER_SYNS		"other_syns"
#define FIELD_LD_VERDICT		"verdict"
#define FIELD_PCAP			"pcap"
#define FIELD_CLUSTER			"cluster"
#define FIELD_CLUSTER_ID		"id"
#define FIELD_CLUSTER_SIZE		"size"
#define FIELD_CLUSTER_FIRST_START	"first_start"
#define FIELD_PROBE			"probe"		/* gap: the ladder's result */

/* Per-side sub-objects (bytes_in_flight, big_retransmits, invalid). */
#define FIELD_SIDE_CLIENT		"client"
#define FIELD_SIDE_SERVER		"server"

/* The gap record's conntrack object. */
#define FIELD_CT_EVENTS			"events"
#define FIELD_CT_EVENTS_MISSED		"events_missed"
#define FIELD_CT_AT_OPEN		"at_open"
#define FIELD_CT_AT_CLOSE		"at_close"
#define FIELD_CT_TABLE			"table"
#define FIELD_CT_EVENT_TIME		"time"
#define FIELD_CT_EVENT			"event"
#define FIELD_CT_STATE			"state"
#define FIELD_CT_TIMEOUT_S		"timeout_s"
#define FIELD_CT_BY_TIMEOUT		"by_timeout"
#define FIELD_CT_FOUND			"found"
#define FIELD_CT_MARK			"mark"
#define FIELD_CT_STATUS			"status"
#define FIELD_CT_PACKETS		"packets"
#define FIELD_CT_BYTES			"bytes"
#define FIELD_CT_ORIG			"orig"
#define FIELD_CT_REPLY			"reply"
#define FIELD_CT_COUNT			"count"
#define FIELD_CT_MAX			"max"
#define FIELD_CT_FILL			"fill"
#define FIELD_CT_INVALID		"invalid"
#define FIELD_CT_DROP			"drop"
#define FIELD_CT_EARLY_DROP		"early_drop"
#define FIELD_CT_INSERT_FAILED		"insert_failed"
#define FIELD_CT_ERROR			"error"
#define FIELD_CT_SEARCH_RESTART		"search_restart"

/* The blind record: an interval during which gapwatchd missed packets
 * of a queue (FIELD_QUEUE, FIELD_START, FIELD_END, FIELD_DURATION_MS,
 * and the inspector's counters, FIELD_INSPECTOR_*, grown over it). */
#define FIELD_BLIND_REASON		"reason"
#define FIELD_BLIND_MISSED		"missed"

/* The exposure record: one queue's players per client prefix over an
 * interval (FIELD_QUEUE, FIELD_START, FIELD_END). by_prefix lists
 * [prefix, flows, flow_seconds], the most flow-seconds first; other
 * sums what it does not list. */
#define FIELD_EXPOSURE_FLOWS		"flows"		/* that began in it */
#define FIELD_EXPOSURE_FLOW_SECONDS	"flow_seconds"
#define FIELD_EXPOSURE_PREFIX_V4	"prefix_v4"	/* 24 */
#define FIELD_EXPOSURE_PREFIX_V6	"prefix_v6"	/* 48 */
#define FIELD_EXPOSURE_PREFIXES		"prefixes"
#define FIELD_EXPOSURE_BY_PREFIX	"by_prefix"
#define FIELD_EXPOSURE_OTHER		"other"
#define FIELD_EXPOSURE_TABLE_FULL	"table_full"	/* other: additions
							 * of prefixes the
							 * table had no room
							 * for */

/* The stats record (cumulative since the daemon started), in its order. */
#define FIELD_STATS_TIME		"time"
#define FIELD_STATS_UPTIME_S		"uptime_s"
#define FIELD_STATS_QUEUES		"queues"
/* The engines' counters (enum engine_counter), summed over the queues. */
#define FIELD_STATS_PACKETS		"packets"
#define FIELD_STATS_BYTES		"bytes"
#define FIELD_STATS_UNMATCHED		"unmatched"
#define FIELD_STATS_FLOWS_CREATED	"flows_created"
#define FIELD_STATS_FLOWS_EXPIRED	"flows_expired"
#define FIELD_STATS_FLOWS_EVICTED	"flows_evicted"
#define FIELD_STATS_GAPS_OPENED		"gaps_opened"
#define FIELD_STATS_GAPS_CLOSED		"gaps_closed"
#define FIELD_STATS_RECONNECTS		"reconnects"
#define FIELD_STATS_RETRANSMITS		"retransmits"
#define FIELD_STATS_INVALID		"invalid"
#define FIELD_STATS_EVIDENCE_LOST	"evidence_lost"
#define FIELD_STATS_TIMERS_FIRED	"timers_fired"
#define FIELD_STATS_PARSE_ERRORS	"parse_errors"
#define FIELD_STATS_FLOWS		"flows"
#define FIELD_STATS_GAPS_OPEN		"gaps_open"
#define FIELD_STATS_QUEUE_RECEIVED	"queue_received"
#define FIELD_STATS_VERDICT_BATCHES	"verdict_batches"
#define FIELD_STATS_VERDICT_ERRORS	"verdict_errors"
#define FIELD_STATS_ENOBUFS		"enobufs"
#define FIELD_STATS_TRUNCATED		"truncated"
#define FIELD_STATS_RECV_ERRORS		"recv_errors"
#define FIELD_STATS_BAD_MESSAGES	"bad_messages"
#define FIELD_STATS_QUEUE_DROPPED	"queue_dropped"
#define FIELD_STATS_USER_DROPPED	"user_dropped"
#define FIELD_STATS_UNSEEN		"unseen"
#define FIELD_STATS_ID_HOLES		"id_holes"
#define FIELD_STATS_STALLS		"stalls"
#define FIELD_STATS_STALL_MAX_MS	"stall_max_ms"
#define FIELD_STATS_BLIND_INTERVALS	"blind_intervals"
#define FIELD_STATS_BLIND_MISSED	"blind_missed"
#define FIELD_STATS_BLIND_MS		"blind_ms"
#define FIELD_STATS_ACCT_ERRORS		"rule_counter_errors"
#define FIELD_STATS_SIGNALS		"signals"	/* which are on */
#define FIELD_STATS_REPORT_DROPPED	"report_dropped"
#define FIELD_STATS_REPORT_WRITE_ERRORS	"report_write_errors"
#define FIELD_STATS_EXPOSURE_DROPPED	"exposure_dropped"
#define FIELD_STATS_CONNTRACK		"conntrack"
#define FIELD_STATS_PCAP		"pcap"
#define FIELD_STATS_PROBE		"probe"
#define FIELD_STATS_DROP_WATCH		"drop_watch"
#define FIELD_STATS_REPLAY		"replay"	/* --read only */

/* The stats record's replay object: what the capture file held. */
#define FIELD_REPLAY_PACKETS		"packets"
#define FIELD_REPLAY_NOT_IP		"not_ip"
#define FIELD_REPLAY_VLAN_LIMIT		"vlan_limit"
#define FIELD_REPLAY_TIME_BACKWARDS	"time_backwards"
#define FIELD_REPLAY_TIME_INVALID	"time_invalid"

/* The stats record's parse_errors object: packets the parser refused. */
#define FIELD_PARSE_TRUNCATED		"truncated"
#define FIELD_PARSE_MALFORMED		"malformed"
#define FIELD_PARSE_NOT_TCP_UDP		"not_tcp_udp"
#define FIELD_PARSE_FRAGMENT		"fragment"
#define FIELD_PARSE_EXT_LIMIT		"ext_limit"

/* The stats record's conntrack object (null when conntrack is off). */
#define FIELD_STATS_CT_EVENTS		"events"
#define FIELD_STATS_CT_EVENTS_IGNORED	"events_ignored"
#define FIELD_STATS_CT_ENOBUFS		"enobufs"
#define FIELD_STATS_CT_RESYNCS		"resyncs"
#define FIELD_STATS_CT_QUERIES		"queries"
#define FIELD_STATS_CT_QUERY_ERRORS	"query_errors"
#define FIELD_STATS_CT_TRACKED		"tracked"
#define FIELD_STATS_CT_EVICTED		"evicted"
#define FIELD_STATS_CT_COUNT		"count"
#define FIELD_STATS_CT_MAX		"max"
#define FIELD_STATS_CT_FILL		"fill"
#define FIELD_STATS_CT_KERNEL_FILTER	"kernel_filter"
#define FIELD_STATS_CT_QUEUE_FULL	"correlate_queue_full"
#define FIELD_STATS_CT_OPEN_LOOKUPS_LOST "open_lookups_lost"

/* The stats record's pcap object. */
#define FIELD_STATS_DW_ON		"on"
#define FIELD_STATS_DW_OFF_REASON	"off_reason"	/* null when on */
#define FIELD_STATS_DW_EVENTS		"events"
#define FIELD_STATS_DW_LOST		"lost"
#define FIELD_STATS_DW_NOT_GAME		"not_game"

#define FIELD_STATS_PCAP_WRITTEN	"written"
#define FIELD_STATS_PCAP_WRITE_ERRORS	"write_errors"
#define FIELD_STATS_PCAP_REMOVED	"removed"
#define FIELD_STATS_PCAP_BYTES		"bytes"
#define FIELD_STATS_PCAP_DROPPED	"dropped"
#define FIELD_STATS_PCAP_TRUNCATED	"truncated"

/* The stats record's probe object (null without --probe). */
#define FIELD_STATS_PROBE_GAPS_CONSIDERED	"gaps_considered"
#define FIELD_STATS_PROBE_SKIPPED_CAUSE		"skipped_cause"
#define FIELD_STATS_PROBE_SKIPPED_TCP_UNKNOWN	"skipped_tcp_unknown"
#define FIELD_STATS_PROBE_SKIPPED_FAMILY	"skipped_family"
#define FIELD_STATS_PROBE_LIMIT_LADDERS		"limit_ladders"
#define FIELD_STATS_PROBE_LIMIT_LADDER_INTERVAL	"limit_ladder_interval"
#define FIELD_STATS_PROBE_LIMIT_CLIENT		"limit_client"
#define FIELD_STATS_PROBE_LIMIT_RATE		"limit_rate"
#define FIELD_STATS_PROBE_LADDERS_STARTED	"ladders_started"
#define FIELD_STATS_PROBE_LADDERS_DONE		"ladders_done"
#define FIELD_STATS_PROBE_PROBES_SENT		"probes_sent"
#define FIELD_STATS_PROBE_SEND_ERRORS		"send_errors"
#define FIELD_STATS_PROBE_ICMP_RECEIVED		"icmp_received"
#define FIELD_STATS_PROBE_ICMP_MATCHED		"icmp_matched"
#define FIELD_STATS_PROBE_ICMP_TRUNCATED	"icmp_truncated"
#define FIELD_STATS_PROBE_ICMP_NOT_OURS		"icmp_not_ours"
#define FIELD_STATS_PROBE_ICMP_UNMATCHED	"icmp_unmatched"
#define FIELD_STATS_PROBE_CLIENT_ANSWERS	"client_answers"
#define FIELD_STATS_PROBE_RECV_ERRORS		"recv_errors"
#define FIELD_STATS_PROBE_RESULTS_EVICTED	"results_evicted"

/*
 * A ladder's result: the probe record (type and id first, the gap's id)
 * and the gap record's "probe" object. Also FIELD_PROTO, FIELD_CLIENT,
 * FIELD_SERVER and FIELD_DURATION_MS, as in the gap record.
 */
#define FIELD_PROBE_CONTROL_PORT	"control_port"
#define FIELD_PROBE_FLOW		"flow"		/* the hops, by TTL */
#define FIELD_PROBE_CONTROL		"control"
#define FIELD_PROBE_LAST_HOP		"last_hop"
#define FIELD_PROBE_CONTROL_LAST_HOP	"control_last_hop"
#define FIELD_PROBE_CLIENT_REACHED	"client_reached"
#define FIELD_PROBE_CONTROL_CLIENT_REACHED "control_client_reached"
#define FIELD_PROBE_VERDICT		"verdict"
/* One hop of a ladder (the flow and control arrays). */
#define FIELD_HOP_TTL			"ttl"
#define FIELD_HOP_RESPONDER		"responder"
#define FIELD_HOP_RTT_MS		"rtt_ms"
#define FIELD_HOP_CLIENT		"client"
#define FIELD_HOP_UNREACHABLE		"unreachable"
/* The last_hop and control_last_hop objects. */
#define FIELD_LAST_HOP_ADDR		"addr"
#define FIELD_LAST_HOP_TTL		"ttl"

#endif
