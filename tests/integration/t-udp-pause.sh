#!/bin/sh
# t-udp-pause - a UDP client that stops sending for 2 s while the server
# keeps pinging it: exactly one gap for the flow, silent client (or both),
# outcome resumed, lasting about the pause; and nothing else.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/integration/lib.sh"

gw_init t-udp-pause
gw_need_root
gw_need_binaries
gw_topology
report=$GW_WORK/gaps.jsonl
gw_start_gapwatchd 7781 "$report" --gap-min 500
gw_rules 7781
gw_server udp 7781 server --echo --ping-interval 200
server=$GW_LAST_PID
gw_wait_listen udp 7781
gw_client udp 7781 client --ping-interval 100 --pause-at 3000 --pause-for 2000
client=$GW_LAST_PID
# Pause from 3 s to 5 s; 1.5 s more so the resumed flow is seen for a while.
sleep 6.5
gw_alive "$GAPWATCHD_PID" gapwatchd
gw_alive "$client" client
# gapwatchd first: a UDP flow has no FIN, so a client stopped before it
# would be (rightly) a gap of its own.
gw_stop_gapwatchd
gw_stop "$client"
gw_stop "$server"

cstats=$(cat "$GW_WORK/client.json")
port=$(printf '%s\n' "$cstats" | jq '[.events[] | select(.event == "connect")][0].port')
[ "$port" != null ] || gw_fail "no connect event in the client's stats" "$GW_WORK/client.json"
pause_ms=$(printf '%s\n' "$cstats" | jq '[.events[] | select(.event == "pause")][0].t_ms')
resume_ms=$(printf '%s\n' "$cstats" | jq '[.events[] | select(.event == "resume")][0].t_ms')
[ "$pause_ms" != null ] && [ "$resume_ms" != null ] ||
	gw_fail "the client did not pause and resume" "$GW_WORK/client.json"

[ "$(gw_count "$report" gap)" -eq 1 ] ||
	gw_fail "expected exactly one gap record, got $(gw_count "$report" gap)" "$report"
[ "$(gw_count "$report" gap_open)" -eq 1 ] ||
	gw_fail "expected exactly one gap_open record, got $(gw_count "$report" gap_open)" "$report"
gap=$(gw_records "$report" gap)
gw_check "the gap is the client's UDP flow from port $port" "$gap" \
	'.proto == "udp" and .client == "198.18.1.2:\($p)" and .server == "198.18.2.2:7781"' \
	--argjson p "$port"
gw_check "silent is client or both" "$gap" '.silent == "client" or .silent == "both"'
gw_check "outcome is resumed" "$gap" '.outcome == "resumed"'
gw_check "no reconnect" "$gap" '.reconnect == null'
gw_check "the server kept sending during the gap" "$gap" '.server_packets > 0'
pause_len=$((resume_ms - pause_ms))
gw_check "duration is the pause ($pause_len ms) within 150 ms" "$gap" \
	'(.duration_ms - $d | fabs) <= 150' --argjson d "$pause_len"
gw_check "detected <= start + threshold_ms + 100 ms" "$gap" \
	'(.detected | epoch) <= (.start | epoch) + .threshold_ms / 1000 + 0.1'
gw_check "gap_open carries the same id" "$(gw_records "$report" gap_open)" \
	'.id == $id' --arg id "$(printf '%s\n' "$gap" | jq -r .id)"
gw_check "final stats: no verdict errors" "$(gw_records "$report" stats)" \
	'.verdict_errors == 0 and .gaps_closed == 1'

printf '%s\n' "$gap" | jq -c '{client, silent, start, duration_ms, threshold_ms,
	server_packets, outcome, cause}' >&2
gw_pass "one gap of $(printf '%s\n' "$gap" | jq .duration_ms) ms, resumed"
