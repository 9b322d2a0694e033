/*
 * cause.c - who dropped the flow: a classification from the packets at
 * the server and, when the conntrack stage has added them, conntrack's
 * facts.
 *
 * The rules run in order, and the order is the argument. The inspector's
 * own losses come first: a packet gapwatchd lost looks exactly like one
 * the network lost. Then what happened on this host (a full or flushed
 * conntrack table, packets conntrack called INVALID, which ufw drops),
 * because a local cause explains a silence better than any path theory.
 * Then the shapes the packets draw: a NAT that rebound, a path-MTU black
 * hole, loss on the path in one direction, an application that stalled.
 */
#include <stdio.h>
#include <string.h>

#include "blind.h"
#include "cause.h"
#include "gapwatch.h"
#include "schema.h"
#include "timefmt.h"

struct cause_text {
	const char *name;
	const char *explanation;
	const char *next_step;
};

static const struct cause_text cause_texts[CAUSE_MAX] = {
	[CAUSE_NONE] = { "none", "", "" },
	[CAUSE_INSPECTOR_LOSS] = {
		"inspector_loss",
		"gapwatchd itself lost or did not see packets during this gap (a full "
		"queue, a failed delivery or a stall passed them unseen under fail-open), "
		"so the silence may be its own",
		"raise --queue-maxlen and the socket buffer, add queues (--queue N-M), "
		"and check queue_dropped/user_dropped in /proc/net/netfilter/nfnetlink_queue" },
	[CAUSE_PATH_LOSS_TO_SERVER] = {
		"path_loss_to_server",
		"the client's packets stopped arriving while the server kept sending "
		"(retransmitting) and conntrack's entry stayed healthy: they are lost "
		"on the way to the server",
		"look at the path from the client: middleboxes (stateful firewalls, CGNAT) "
		"that lost this flow's state; a quick reconnect from a new port confirms it" },
	[CAUSE_PATH_LOSS_TO_CLIENT] = {
		"path_loss_to_client",
		"the server's data goes unacknowledged while the client keeps sending: "
		"it is lost on the way to the client",
		"look at the path towards the client and the server's egress rules" },
	[CAUSE_LOCAL_DROP_INVALID] = {
		"local_drop_invalid",
		"the client's packets reached this host but conntrack called them INVALID, "
		"and the firewall drops INVALID packets (ufw's before.rules does by default)",
		"find the rule: iptables -S | grep INVALID (ufw: /etc/ufw/before.rules); "
		"see why with sysctl net.netfilter.nf_conntrack_log_invalid=255, and check "
		"nf_conntrack_tcp_loose and nf_conntrack_tcp_be_liberal" },
	[CAUSE_LOCAL_DROP_FIREWALL] = {
		"local_drop_firewall",
		"this server's own firewall dropped the flow's packets (NETFILTER_DROP, "
		"not for INVALID): a deny, limit or hashlimit rule",
		"find the rule that matches the player: iptables -S / nft list ruleset "
		"(ufw status numbered; look at limit and hashlimit rules and their burst), "
		"and its counters (iptables -L -v -n)" },
	[CAUSE_LOCAL_DROP_SOCKET] = {
		"local_drop_socket",
		"this server's kernel dropped the flow's packets at the game's socket "
		"(its receive buffer or backlog was full): the game process does not "
		"read fast enough",
		"look at the game server's receive loop; raise its SO_RCVBUF "
		"(net.core.rmem_max, net.core.rmem_default) and check "
		"ss -m / UDP RcvbufErrors in /proc/net/snmp" },
	[CAUSE_LOCAL_DROP_NIC] = {
		"local_drop_nic",
		"this server's network device or its queueing dropped the flow's packets "
		"(a full ring, the CPU backlog, a qdisc)",
		"look at ethtool -S and ip -s link for drops and missed packets, raise the "
		"ring (ethtool -G) or net.core.netdev_max_backlog, spread interrupts (RSS, "
		"RPS), and check the qdisc (tc -s qdisc)" },
	[CAUSE_LOCAL_DROP_TCP] = {
		"local_drop_tcp",
		"this server's TCP refused the flow's segments (PAWS, out of window, an "
		"invalid sequence or acknowledgement)",
		"look for a middlebox that rewrites sequence numbers or time stamps, and "
		"at net.ipv4.tcp_timestamps; nstat -az TcpExtPAWSEstab TcpExtTCPACKSkipped" },
	[CAUSE_CONNTRACK_DESTROYED] = {
		"conntrack_destroyed",
		"conntrack's entry for this live flow was destroyed (a flush, a ruleset "
		"reload, a script, or its timeout) and the flow did not survive it",
		"look for conntrack -F / -D, ufw reload or iptables-restore at that time; "
		"with nf_conntrack_tcp_loose=0 a flushed TCP flow cannot be picked up again" },
	[CAUSE_CONNTRACK_TABLE_FULL] = {
		"conntrack_table_full",
		"the conntrack table was full or refused entries (drop, early_drop, "
		"insert_failed rose) during the gap",
		"raise net.netfilter.nf_conntrack_max (and the hash size), shorten idle "
		"timeouts, and look for what fills the table (conntrack -L | sort)" },
	[CAUSE_NAT_REBIND] = {
		"nat_rebind",
		"the client address came back from a new source port without a handshake: "
		"a NAT on the path (home router, CGNAT) lost the mapping and made a new one",
		"nothing on this server is at fault; the client's NAT timeout is shorter "
		"than its silence: send UDP keep-alives more often than ~30 s" },
	[CAUSE_PMTU_BLACKHOLE] = {
		"pmtu_blackhole",
		"only full-size segments go unacknowledged while small packets keep "
		"flowing: a path-MTU black hole (a tunnel or PPPoE link that drops big "
		"packets and its ICMP 'fragmentation needed')",
		"clamp the MSS (iptables -t mangle ... TCPMSS --clamp-mss-to-pmtu), enable "
		"net.ipv4.tcp_mtu_probing=1, and look for ICMP being filtered on the path" },
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

/* The conntrack DESTROY in or just before the gap, if any. */
static const struct ct_event *ct_destroy(const struct gap_record *rec)
{
	unsigned int k;

	for (k = 0; k < rec->ct.nevents; k++)
		if (rec->ct.events[k].type == CT_EV_DESTROY)
			return &rec->ct.events[k];
	return NULL;
}

/* A NEW event after the DESTROY: conntrack picked the flow up again. */
static int ct_new_after(const struct gap_record *rec, uint64_t t)
{
	unsigned int k;

	for (k = 0; k < rec->ct.nevents; k++)
		if (rec->ct.events[k].type == CT_EV_NEW &&
		    rec->ct.events[k].wall_us >= t)
			return 1;
	return 0;
}


/* A kernel drop reason's cause: its name, else where it dropped. */
static enum gap_cause drop_cause(const struct local_drop_reason *r)
{
	static const char *const socket[] = { "SOCKET_", "PROTO_MEM", "NO_SOCKET",
					      "UDP_", "SOCKET_FILTER" };
	static const char *const nic[] = { "FULL_RING", "CPU_BACKLOG", "QDISC_",
					   "DEV_", "TC_", "NOMEM", "TAP_", "XDP",
					   "NEIGH_", "PKT_TOO_BIG" };
	unsigned int k;

	if (!strcmp(r->name, "NETFILTER_DROP"))
		return CAUSE_LOCAL_DROP_FIREWALL;
	if (!strncmp(r->name, "TCP_", 4))
		return CAUSE_LOCAL_DROP_TCP;
	for (k = 0; k < GW_ARRAY_SIZE(socket); k++)
		if (!strncmp(r->name, socket[k], strlen(socket[k])))
			return CAUSE_LOCAL_DROP_SOCKET;
	for (k = 0; k < GW_ARRAY_SIZE(nic); k++)
		if (!strncmp(r->name, nic[k], strlen(nic[k])))
			return CAUSE_LOCAL_DROP_NIC;
	/* A reason this table does not know: the function tells the layer. */
	if (!strncmp(r->func, "tcp_", 4))
		return CAUSE_LOCAL_DROP_TCP;
	if (!strncmp(r->func, "nf_", 3) || !strncmp(r->func, "ipt_", 4) ||
	    !strncmp(r->func, "nft_", 4))
		return CAUSE_LOCAL_DROP_FIREWALL;
	if (!strncmp(r->func, "dev_", 4) || !strncmp(r->func, "netif_", 6) ||
	    !strncmp(r->func, "__dev", 5))
		return CAUSE_LOCAL_DROP_NIC;
	return CAUSE_LOCAL_DROP_SOCKET;
}

/*
 * The server's own kernel dropped the flow's packets in the window, or
 * the reconnect its client tried: that is the cause, whatever the path
 * did, and it is named with its reason and function.
 */
static int classify_drops(struct gap_record *rec)
{
	const struct local_drops *d = &rec->drops;
	const struct local_drop_reason *r = &d->by_reason[0];

	if (d->count == 0 || d->nreasons == 0)
		return 0;
	rec->cause = drop_cause(r);
	snprintf(rec->evidence, sizeof(rec->evidence),
		 "the server dropped %u of this flow's packets: %s in %s "
		 "(%u)%s", d->count, r->name, r->func, r->count,
		 d->nreasons > 1 ? ", and for other reasons" : "");
	return 1;
}

static int classify_local(struct gap_record *rec, int s)
{
	const struct ct_health *h = &rec->ct.health;
	const struct gap_side_facts *quiet = &rec->side[s];
	const struct ct_event *destroy = ct_destroy(rec);
	uint32_t invalid = rec->side[0].invalid + rec->side[1].invalid;

	if (rec->ct.available &&
	    (h->drop || h->early_drop || h->insert_failed ||
	     (h->max && h->count >= h->max))) {
		rec->cause = CAUSE_CONNTRACK_TABLE_FULL;
		snprintf(rec->evidence, sizeof(rec->evidence),
			 "conntrack table %u/%u entries; in the gap: drop %llu, "
			 "early_drop %llu, insert_failed %llu",
			 h->count, h->max, (unsigned long long)h->drop,
			 (unsigned long long)h->early_drop,
			 (unsigned long long)h->insert_failed);
		return 1;
	}
	/* The server's own rule dropped the flow's packets, none INVALID:
	 * that is the cause even when a deleted entry exposed the flow to
	 * the rule (an operator's deny, then conntrack -D). */
	if (!invalid && classify_drops(rec))
		return 1;
	/* A timeout that ends a silence is its consequence, not its cause,
	 * unless what followed shows the flow still wanted to talk. */
	if (destroy && (!destroy->by_timeout || invalid)) {
		rec->cause = CAUSE_CONNTRACK_DESTROYED;
		snprintf(rec->evidence, sizeof(rec->evidence),
			 "conntrack entry destroyed (%s) while the flow was live; "
			 "then %u INVALID packets%s",
			 destroy->by_timeout ? "timed out" : "deleted: flush or reload",
			 invalid, ct_new_after(rec, destroy->wall_us) ?
			 " and a mid-stream NEW entry" : "");
		return 1;
	}
	if (quiet->invalid) {
		rec->cause = CAUSE_LOCAL_DROP_INVALID;
		snprintf(rec->evidence, sizeof(rec->evidence),
			 "%u %s packets arrived but conntrack called them INVALID "
			 "(%u from the %s)", quiet->invalid, side_name(s),
			 rec->side[!s].invalid, side_name(!s));
		return 1;
	}
	return 0;
}

static void note_host_counters(const struct gap_record *rec, char *buf,
			       size_t len)
{
	static const char *const names[] = { HOST_COUNTER_FIELDS };
	const uint64_t *v = (const uint64_t *)&rec->server;
	size_t k, used = 0;
	int n;

	for (k = 0; k < GW_ARRAY_SIZE(names) && used < len; k++) {
		if (v[k] == 0)
			continue;
		n = snprintf(buf + used, len - used, "%s%s +%llu",
			     used ? ", " : "; this host's counters in the gap: ",
			     names[k], (unsigned long long)v[k]);
		if (n < 0)
			return;
		used += (size_t)n;
	}
}

void cause_drops_verdict(const struct gap_record *rec, char *buf, size_t len)
{
	const struct local_drops *d = &rec->drops;
	char since[TIMEFMT_LEN];

	timefmt_rfc3339((int64_t)d->since_us, 1, since, sizeof(since));
	if (d->since_us == 0)
		snprintf(buf, len, "server kernel: not watched");
	else if (d->count)
		snprintf(buf, len, "server kernel: dropped %u of this flow's packets "
			 "in the gap: %s in %s", d->count,
			 d->nreasons ? d->by_reason[0].name : "?",
			 d->nreasons ? d->by_reason[0].func : "?");
	else if (!d->watching)
		snprintf(buf, len, "server kernel: no drop of this flow seen, but "
			 "the watcher started after the gap began (on since %s)",
			 since);
	else if (!d->complete)
		snprintf(buf, len, "server kernel: no drop of this flow seen, but "
			 "some drop events were lost in the window");
	else
		snprintf(buf, len, "server kernel: 0 drops of this flow in the gap "
			 "(watcher on since %s)", since);
	/* Unwatched, the host's counters are all there is: they say that
	 * something here dropped, not whose packet it was. */
	if (d->since_us == 0 && rec->server_known)
		note_host_counters(rec, buf + strlen(buf), len - strlen(buf));
	/* Other ports of the address may be other players behind one NAT:
	 * only a new connection's SYN is this client's reconnect. */
	if (d->other_syns)
		snprintf(buf + strlen(buf), len - strlen(buf),
			 "; and %u new connections (SYN) from the client's "
			 "address dropped: its reconnect", d->other_syns);
}

/*
 * The silence was a gap before gapwatchd went blind: it had passed its
 * threshold while every packet was seen, so the blindness cannot explain
 * it, and the gap keeps the cause its packets show.
 */
static int partly_blind(const struct gap_record *rec)
{
	return rec->blind_from_us &&
	       rec->blind_from_us >= rec->start_us + rec->threshold_us;
}

/*
 * The inspector's blind spots first: what fail-open passed unseen (the
 * rules counted it, we never received it; or its id is a hole), and the
 * verdict loop not being scheduled, which is when both happen. Then the
 * losses the kernel and our socket count. Returns 1 when the gap is the
 * inspector's, with the evidence written.
 */
static int classify_inspector(struct gap_record *rec)
{
	const struct inspector_counters *in = &rec->inspector;
	uint64_t end = rec->is_open_event ? rec->detected_us : rec->end_us;
	uint64_t missed = blind_missed(in);
	char t1[TIMEFMT_LEN], t2[TIMEFMT_LEN], stall[96] = "";
	size_t len = sizeof(rec->evidence);

	if (!blind_grew(in))
		return 0;
	if (partly_blind(rec)) {
		rec->partly_blind = 1;
		return 0;
	}
	rec->cause = CAUSE_INSPECTOR_LOSS;
	if (in->stalls)
		snprintf(stall, sizeof(stall),
			 "gapwatchd was not scheduled for %.1f s (%llu stall%s)",
			 (double)in->stalled_us / USEC_PER_SEC,
			 (unsigned long long)in->stalls, in->stalls > 1 ? "s" : "");
	timefmt_rfc3339((int64_t)rec->start_us, 1, t1, sizeof(t1));
	timefmt_rfc3339((int64_t)end, 1, t2, sizeof(t2));
	/* Passed unseen (the rules counted it, or its id is a hole); what
	 * the kernel dropped or cut is said with its own counters. */
	if (in->unseen || in->id_holes)
		snprintf(rec->evidence, len,
			 "gapwatchd saw none of the %llu packets that passed its "
			 "rules between %s and %s: %s%s%s",
			 (unsigned long long)missed, t1, t2,
			 blind_reason_of(in) == BLIND_SOCKET_OVERRUN ?
			 "their delivery failed (socket buffer full) and fail-open "
			 "passed them" :
			 "the queue was full and fail-open passed them",
			 stall[0] ? "; " : "", stall);
	else if (stall[0])
		snprintf(rec->evidence, len, "%s", stall);
	else
		snprintf(rec->evidence, len,
			 "inspector lost packets in the gap window: queue_dropped %llu, "
			 "user_dropped %llu, enobufs %llu, truncated %llu",
			 (unsigned long long)in->queue_dropped,
			 (unsigned long long)in->user_dropped,
			 (unsigned long long)in->enobufs,
			 (unsigned long long)in->truncated);
	return 1;
}

/* A partly blind gap's evidence says so, after what its packets show
 * (cut to fit: the packets' sentence comes first). */
static void note_partly_blind(struct gap_record *rec)
{
	char when[TIMEFMT_LEN];
	size_t used = strlen(rec->evidence);

	timefmt_rfc3339((int64_t)rec->blind_from_us, 1, when, sizeof(when));
	snprintf(rec->evidence + used, sizeof(rec->evidence) - used,
		 "; the window was partly blind: gapwatchd missed %llu packets "
		 "from %s, after the silence was already a gap",
		 (unsigned long long)blind_missed(&rec->inspector), when);
}

/* Every other cause carries what the server's kernel dropped of the
 * flow: nothing, proven, or why it cannot be. */
static void note_drops(struct gap_record *rec)
{
	size_t used = strlen(rec->evidence);

	if (used + 3 >= sizeof(rec->evidence))
		return;
	memcpy(rec->evidence + used, "; ", 3);
	used += 2;
	cause_drops_verdict(rec, rec->evidence + used,
			    sizeof(rec->evidence) - used);
}

/* What the packets and conntrack show, the inspector's losses aside. */
static void classify_packets(struct gap_record *rec)
{
	int s = rec->silent == SILENT_SERVER ? SIDE_SERVER : SIDE_CLIENT;
	const struct gap_side_facts *quiet = &rec->side[s];
	const struct gap_side_facts *other = &rec->side[!s];
	int tcp = rec->key.proto == IPPROTO_TCP;

	if (classify_local(rec, s))
		return;
	if (classify_drops(rec))
		return;
	if (!tcp && rec->outcome == OUTCOME_RECONNECTED) {
		rec->cause = CAUSE_NAT_REBIND;
		snprintf(rec->evidence, sizeof(rec->evidence),
			 "the client came back from port %u after %.1f ms without a "
			 "handshake; its old port %u fell silent",
			 rec->reconnect_port,
			 (double)rec->reconnect_delay_us / 1000.0,
			 rec->key.client_port);
		return;
	}
	/* Mostly big: a tail-loss probe re-sends the small end of a
	 * large write, and that small segment is lost behind the big. */
	if (tcp && rec->trigger == TRIGGER_UNACKED && other->big_retransmits &&
	    2 * other->big_retransmits >= other->retransmits && quiet->packets) {
		char mss[40];

		/* No SYN seen: tcp.c took 1000 bytes as "big". */
		if (quiet->mss)
			snprintf(mss, sizeof(mss), "MSS %u", quiet->mss);
		else
			snprintf(mss, sizeof(mss), "MSS unknown: 1000 bytes or more");
		rec->cause = CAUSE_PMTU_BLACKHOLE;
		snprintf(rec->evidence, sizeof(rec->evidence),
			 "%u of %u %s retransmissions were near-MSS segments (%s) "
			 "while %u smaller %s packets passed",
			 other->big_retransmits, other->retransmits,
			 side_name(!s), mss, quiet->packets, side_name(s));
		return;
	}
	if (tcp && rec->trigger == TRIGGER_UNACKED && s == SIDE_CLIENT &&
	    other->retransmits && quiet->packets) {
		rec->cause = CAUSE_PATH_LOSS_TO_CLIENT;
		snprintf(rec->evidence, sizeof(rec->evidence),
			 "the server retransmitted %u times, %u bytes unacknowledged, "
			 "while %u client packets kept arriving",
			 other->retransmits, other->bytes_in_flight,
			 quiet->packets);
		return;
	}
	if (tcp && other->retransmits > 0 && s == SIDE_CLIENT &&
	    rec->trigger == TRIGGER_SILENCE) {
		/* The server's data went unacknowledged: the client's TCP
		 * is not reaching us, whatever it sent before. */
		rec->cause = CAUSE_PATH_LOSS_TO_SERVER;
		snprintf(rec->evidence, sizeof(rec->evidence),
			 "no client data arrived while the server retransmitted "
			 "%u times (%u bytes unacknowledged)%s",
			 other->retransmits, other->bytes_in_flight,
			 rec->ct.at_open.looked_up && rec->ct.at_open.found ?
			 "; conntrack entry present and healthy" : "");
		return;
	}
	if (tcp && other->retransmits > 0 && s == SIDE_SERVER) {
		/* The client's segments arrive here and go unanswered: the
		 * server host is not answering, which is no path problem. */
		rec->cause = CAUSE_UNKNOWN;
		snprintf(rec->evidence, sizeof(rec->evidence),
			 "the client retransmitted %u times and the server sent "
			 "nothing: dropped on this host after the inspector, or "
			 "the server stalled", other->retransmits);
		return;
	}
	if (tcp && other->retransmits > 0) {
		/* A silent client (or both) whose gap the server's
		 * unacknowledged data opened, and not one client packet
		 * since: the counters say which side retransmitted. */
		rec->cause = CAUSE_UNKNOWN;
		snprintf(rec->evidence, sizeof(rec->evidence),
			 "the server retransmitted %u times (%u bytes "
			 "unacknowledged) and no client packet arrived",
			 other->retransmits, other->bytes_in_flight);
		return;
	}
	if (!tcp && rec->silent == SILENT_CLIENT && quiet->packets == 0 &&
	    other->packets) {
		/* UDP has no acknowledgements: a lost path and a paused
		 * client look alike here; conntrack's healthy entry and a
		 * later reconnect tell them apart. */
		rec->cause = CAUSE_PATH_LOSS_TO_SERVER;
		snprintf(rec->evidence, sizeof(rec->evidence),
			 "no client datagram arrived while the server sent %u; "
			 "UDP gives no acknowledgements, so a paused client looks "
			 "the same", other->packets);
		return;
	}
	if (tcp && rec->trigger == TRIGGER_SILENCE && quiet->packets > 0 &&
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

void cause_classify(struct gap_record *rec)
{
	rec->partly_blind = 0;
	if (classify_inspector(rec))
		return;
	classify_packets(rec);
	if (rec->partly_blind)
		note_partly_blind(rec);
	if (rec->cause != CAUSE_LOCAL_DROP_FIREWALL &&
	    rec->cause != CAUSE_LOCAL_DROP_SOCKET &&
	    rec->cause != CAUSE_LOCAL_DROP_NIC &&
	    rec->cause != CAUSE_LOCAL_DROP_TCP &&
	    (rec->drops.since_us || rec->server_known))
		note_drops(rec);
}
