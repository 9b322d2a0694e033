#!/bin/sh
# t-ct-healthy - no false alarms with the conntrack correlation on: 20 TCP
# and 20 UDP flows with 200 ms heartbeats both ways for 12 s, through
# gapwatch's full rules (INVALID marks, the connmark that filters conntrack
# events in the kernel) on a server set up like ufw (INVALID dropped in
# INPUT). There must be no gap and no gap_open record at all, no packet
# counted INVALID, and the final stats record's conntrack section must
# show the events (the flows' NEW and UPDATEs), no ENOBUFS, no resync, no
# failed lookup, and the kernel-side event filter in use.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/integration/lib.sh"
. "$top/tests/integration/ct-lib.sh"

ct_init t-ct-healthy
ct_setup 7781 --gap-min 500
ct_ufw_invalid_drop
gw_server tcp 7781 server-tcp --echo --ping-interval 200
stcp=$GW_LAST_PID
gw_server udp 7781 server-udp --echo --ping-interval 200
sudp=$GW_LAST_PID
gw_wait_listen tcp 7781
gw_wait_listen udp 7781
gw_client tcp 7781 client-tcp --flows 20 --ping-interval 200 --timeout 2000
ctcp=$GW_LAST_PID
gw_client udp 7781 client-udp --flows 20 --ping-interval 200 --timeout 2000
cudp=$GW_LAST_PID
gw_wait_tcp_flows 7781 20
sleep 12
for p in "$GAPWATCHD_PID:gapwatchd" "$stcp:server-tcp" "$sudp:server-udp" \
	 "$ctcp:client-tcp" "$cudp:client-udp"; do
	gw_alive "${p%%:*}" "${p#*:}"
done
entries=$(nss conntrack -L 2>/dev/null | grep -c 'dport=7781' || true)
marked=$(nss conntrack -L -m 0x10000000/0x10000000 2>/dev/null | grep -c 'dport=7781' || true)
# gapwatchd first: clients stopped before it would leave silent UDP flows.
gw_stop_gapwatchd
for p in "$ctcp" "$cudp" "$stcp" "$sudp"; do
	gw_stop "$p"
done
ct_show

report=$CT_REPORT
gw_log "conntrack: $entries game entries, $marked of them with gapwatch's connmark"
[ "$entries" -ge 40 ] || gw_fail "expected >= 40 conntrack entries for port 7781, saw $entries"
[ "$marked" -eq "$entries" ] ||
	gw_fail "only $marked of $entries game entries carry the connmark 0x10000000"
n=$(jq -s '[.[] | select(.type == "gap" or .type == "gap_open")] | length' "$report")
[ "$n" -eq 0 ] || gw_fail "expected no gap or gap_open record, got $n" "$report"
[ "$(gw_count "$report" stats)" -eq 1 ] || gw_fail "expected one final stats record" "$report"
stats=$(ct_final_stats)
gw_check "stats: 40 flows, no gap opened" "$stats" \
	'.flows_created >= 40 and .gaps_opened == 0 and .gaps_open == 0'
gw_check "stats: no packet counted INVALID" "$stats" '.invalid == 0'
gw_check "stats: nothing lost by gapwatchd" "$stats" \
	'.enobufs == 0 and .queue_dropped == 0 and .user_dropped == 0 and .verdict_errors == 0'
gw_check "stats: a conntrack section" "$stats" '.conntrack != null'
gw_check "stats: conntrack events > 0 (at least the 40 NEW)" "$stats" '.conntrack.events >= 40'
gw_check "stats: conntrack enobufs == 0, no resync" "$stats" \
	'.conntrack.enobufs == 0 and .conntrack.resyncs == 0'
gw_check "stats: conntrack kernel_filter is true (no event ignored in user space)" "$stats" \
	'.conntrack.kernel_filter == true and .conntrack.events_ignored == 0'
gw_check "stats: every flow's history tracked, no lookup failed" "$stats" \
	'.conntrack.tracked >= 40 and .conntrack.query_errors == 0'
gw_check "stats: table count and max sampled" "$stats" \
	'.conntrack.max > 0 and .conntrack.count >= 40 and .conntrack.count <= .conntrack.max'
for c in client-tcp client-udp; do
	gw_check "$c: no timeout, no reconnect, no disconnect" "$(cat "$GW_WORK/$c.json")" \
		'.connects == 20 and .reconnects == 0 and .timeouts == 0 and .disconnects == 0'
done
printf '%s\n' "$stats" | jq -c '{packets, flows_created, gaps_opened, invalid, conntrack}' >&2
gw_pass "no gap; $(printf '%s\n' "$stats" | jq .conntrack.events) conntrack events"
