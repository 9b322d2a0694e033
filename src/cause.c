/*
 * cause.c - what the packets at the server say about a silent flow.
 *
 * The order of the rules matters: the inspector's own losses come first,
 * because a packet the inspector lost looks exactly like a packet the
 * network lost, and blaming the network for our own drops would send an
 * operator hunting in the wrong place.
 */
#include <stdio.h>

#include "cause.h"

struct cause_text {
	const char *name;
	const char *explanation;
	const char *next_step;
};

static const struct cause_text cause_texts[] = {
	[CAUSE_NONE] = { "none", "", "" },
	[CAUSE_INSPECTOR_LOSS] = {
		"inspector_loss",
		"gapwatchd itself lost packets during this gap, so the silence may be its own",
		"raise --queue-maxlen and the socket buffer, add queues (--queue N-M), "
		"and check queue_dropped/user_dropped in /proc/net/netfilter/nfnetlink_queue" },
	[CAUSE_PATH_LOSS_TO_SERVER] = {
		"path_loss_to_server",
		"the client's packets stopped arriving while the server kept sending "
		"(retransmitting): they are lost on the way to the server",
		"look at the path from the client: middleboxes (stateful firewalls, CGNAT) "
		"that lost this flow's state; a quick reconnect from a new port confirms it" },
	[CAUSE_PATH_LOSS_TO_CLIENT] = {
		"path_loss_to_client",
		"the server's data goes unacknowledged while the client keeps "
		"sending: it is lost on the way to the client",
		"look at the path towards the client and the server's egress rules" },
	[CAUSE_CLIENT_APP_STALL] = {
		"client_app_stall",
		"the client's TCP still acknowledges but its application sends no data",
		"the transport is alive: look at the client application (hang, GC pause, "
		"blocked thread)" },
	[CAUSE_SERVER_APP_STALL] = {
		"server_app_stall",
		"the server's TCP still acknowledges but the server application sends no data",
		"look at the server process (event loop stalls, lock contention, CPU)" },
	[CAUSE_UNKNOWN] = {
		"unknown",
		"the packets alone do not tell who dropped this flow",
		"see the evidence; correlate with conntrack state and the middlebox logs" },
};

const char *cause_name(enum gap_cause c)
{
	return cause_texts[c].name;
}

const char *cause_explanation(enum gap_cause c)
{
	return cause_texts[c].explanation;
}

const char *cause_next_step(enum gap_cause c)
{
	return cause_texts[c].next_step;
}

static const char *side_name(int side)
{
	return side == SIDE_CLIENT ? "client" : "server";
}

void cause_classify(struct gap_record *rec)
{
	const struct inspector_counters *in = &rec->inspector;
	int s = rec->silent == SILENT_SERVER ? SIDE_SERVER : SIDE_CLIENT;
	const struct gap_side_facts *quiet = &rec->side[s];
	const struct gap_side_facts *other = &rec->side[!s];
	uint64_t lost = in->queue_dropped + in->user_dropped + in->enobufs +
			in->truncated;

	if (lost) {
		rec->cause = CAUSE_INSPECTOR_LOSS;
		snprintf(rec->evidence, sizeof(rec->evidence),
			 "inspector lost packets in the gap window: queue_dropped %llu, "
			 "user_dropped %llu, enobufs %llu, truncated %llu",
			 (unsigned long long)in->queue_dropped,
			 (unsigned long long)in->user_dropped,
			 (unsigned long long)in->enobufs,
			 (unsigned long long)in->truncated);
		return;
	}
	if (rec->key.proto == IPPROTO_TCP && other->retransmits > 0 &&
	    s == SIDE_CLIENT) {
		/* The server's data went unacknowledged: the client's TCP
		 * is not reaching us, whatever it sent before. */
		rec->cause = CAUSE_PATH_LOSS_TO_SERVER;
		snprintf(rec->evidence, sizeof(rec->evidence),
			 "no client data arrived while the server retransmitted "
			 "%u times (%u packets, %u bytes unacknowledged)",
			 other->retransmits, other->packets,
			 other->bytes_in_flight);
		return;
	}
	if (rec->key.proto == IPPROTO_TCP && other->retransmits > 0) {
		/* The client's segments arrive here and go unanswered: the
		 * server host is not answering, which is no path problem. */
		rec->cause = CAUSE_UNKNOWN;
		snprintf(rec->evidence, sizeof(rec->evidence),
			 "the client retransmitted %u times and the server sent "
			 "nothing: dropped on this host after the inspector, or "
			 "the server stalled", other->retransmits);
		return;
	}
	if (rec->key.proto == IPPROTO_TCP && quiet->packets > 0 &&
	    quiet->last_packet_us > rec->start_us + rec->expected_interval_us) {
		/* Segments kept coming from the quiet side after its next
		 * heartbeat was due, none with new data: its TCP is alive,
		 * its application is not. */
		rec->cause = s == SIDE_CLIENT ? CAUSE_CLIENT_APP_STALL :
						CAUSE_SERVER_APP_STALL;
		snprintf(rec->evidence, sizeof(rec->evidence),
			 "%u %s segments without new data (ACKs/keep-alives) during the "
			 "silence, the last %.1f ms after its last data; no "
			 "retransmissions from the %s",
			 quiet->packets, side_name(s),
			 (double)(quiet->last_packet_us - rec->start_us) / 1000.0,
			 side_name(!s));
		return;
	}
	rec->cause = CAUSE_UNKNOWN;
	if (rec->silent == SILENT_BOTH)
		snprintf(rec->evidence, sizeof(rec->evidence),
			 "both directions silent: no packet from either side after the "
			 "%s's last data", side_name(s));
	else
		snprintf(rec->evidence, sizeof(rec->evidence),
			 "%s silent (%u packets) while the %s sent %u packets, %u "
			 "retransmissions",
			 side_name(s), quiet->packets, side_name(!s),
			 other->packets, other->retransmits);
}
