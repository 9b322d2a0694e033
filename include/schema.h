/*
 * schema.h - the names of every record type and field gapwatchd writes.
 *
 * A field is named here once: report.c writes with these names and every
 * reader (gapwatch report, show, HTML) reads with them, so a rename is one
 * edit that the compiler carries to both sides. What each field means is
 * documented in gapwatchd(8), section RECORDS.
 */
#ifndef GAPWATCH_SCHEMA_H
#define GAPWATCH_SCHEMA_H

/* Record types: the "type" field of every line. */
#define RECORD_GAP			"gap"
#define RECORD_GAP_OPEN			"gap_open"
#define RECORD_STATS			"stats"
#define RECORD_PROBE			"probe"

/* Fields every record has. */
#define FIELD_TYPE			"type"
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
#define FIELD_QUEUE			"queue"
#define FIELD_TRIGGER			"trigger"
#define FIELD_BIG_RETRANSMITS		"big_retransmits"
#define FIELD_INVALID			"invalid"
#define FIELD_INVALID_FIRST		"first"
#define FIELD_INVALID_LAST		"last"
#define FIELD_CONNTRACK			"conntrack"
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

/* The gap record's probe object (probe.c): a verdict and TTL ladders, arrays of hops. */
#define FIELD_PROBE_VERDICT		"verdict"
#define FIELD_PROBE_HOP_TTL		"ttl"
#define FIELD_PROBE_HOP_RESPONDER	"responder"	/* null: no answer */
#define FIELD_PROBE_HOP_RTT_MS		"rtt_ms"
#define FIELD_PROBE_HOP_CLIENT		"client"	/* true: the client answered */
#define FIELD_PROBE_HOP_UNREACHABLE	"unreachable"	/* an ICMP code */

/* The stats record (cumulative since the daemon started). */
#define FIELD_STATS_TIME		"time"
#define FIELD_STATS_UPTIME_S		"uptime_s"
#define FIELD_STATS_QUEUES		"queues"
#define FIELD_STATS_PARSE_ERRORS	"parse_errors"
#define FIELD_STATS_FLOWS		"flows"
#define FIELD_STATS_FLOWS_CREATED	"flows_created"
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
#define FIELD_STATS_REPORT_DROPPED	"report_dropped"
#define FIELD_STATS_REPORT_WRITE_ERRORS	"report_write_errors"
#define FIELD_STATS_CONNTRACK		"conntrack"
#define FIELD_STATS_PCAP		"pcap"
#define FIELD_STATS_PROBE		"probe"

#endif
