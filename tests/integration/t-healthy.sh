#!/bin/sh
# t-healthy - no false alarms: 20 TCP and 20 UDP flows with 200 ms
# heartbeats both ways for 12 s through gapwatchd --gap-min 500 must give
# no gap and no gap_open record; the final stats record (SIGTERM) shows
# the packets and no verdict errors; nothing passed unseen (the rules'
# counters), no id hole, no stall, no blind interval; no client ever
# timed out.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/integration/lib.sh"

gw_init t-healthy
gw_need_root
gw_need_binaries
gw_topology
report=$GW_WORK/gaps.jsonl
gw_start_gapwatchd 7781 "$report" --gap-min 500
gw_rules 7781
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
# gapwatchd first: clients stopped before it would leave silent UDP flows.
gw_stop_gapwatchd
for p in "$ctcp" "$cudp" "$stcp" "$sudp"; do
	gw_stop "$p"
done

n=$(jq -s '[.[] | select(.type == "gap" or .type == "gap_open")] | length' "$report")
[ "$n" -eq 0 ] || gw_fail "expected no gap or gap_open record, got $n" "$report"
[ "$(gw_count "$report" stats)" -eq 1 ] || gw_fail "expected one final stats record" "$report"
stats=$(gw_records "$report" stats)
gw_check "stats: packets > 0" "$stats" '.packets > 0'
gw_check "stats: verdict_errors == 0" "$stats" '.verdict_errors == 0'
gw_check "stats: 40 flows seen, none expired or evicted, no gap opened" "$stats" \
	'.flows_created >= 40 and .flows_evicted == 0 and .gaps_opened == 0 and .gaps_open == 0'
gw_check "stats: nothing lost or unparsed by gapwatchd" "$stats" \
	'.enobufs == 0 and .queue_dropped == 0 and .user_dropped == 0 and .truncated == 0 and
	 .recv_errors == 0 and .report_dropped == 0 and ([.parse_errors[]] | add) == 0'
gw_check "stats: nothing passed unseen, no id hole, no stall (signals on)" "$stats" \
	'.unseen == 0 and .id_holes == 0 and .stalls == 0 and .signals.unseen and
	 .signals.id_holes and .signals.stalls'
gw_check "stats: no blind interval" "$stats" '.blind_intervals == 0 and .blind_missed == 0'
[ "$(gw_count "$report" blind)" -eq 0 ] || gw_fail "blind records in a healthy run" "$report"
# 12 s x 40 flows x (client ping + echo + server ping + its echo) x 5/s,
# with ACKs on top: far more than 5000 packets.
gw_check "stats: every flow's packets were seen (> 5000)" "$stats" '.packets > 5000'
for c in client-tcp client-udp; do
	gw_check "$c: no timeout, no reconnect, no disconnect" "$(cat "$GW_WORK/$c.json")" \
		'.connects == 20 and .reconnects == 0 and .timeouts == 0 and .disconnects == 0'
done
printf '%s\n' "$stats" | jq -c '{packets, flows_created, gaps_opened, verdict_errors,
	verdict_batches, enobufs, queue_dropped}' >&2
gw_pass "$(printf '%s\n' "$stats" | jq .packets) packets, no gap"
