#!/bin/sh
# t-open-at-exit - SIGTERM while a gap is open: gapwatchd must not lose
# it. A TCP flow is black-holed at the middlebox (the client does not give
# up: no --timeout); once the gap_open record is out, gapwatchd gets
# SIGTERM and must write the gap with outcome open_at_exit, then its final
# stats, and exit 0.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/integration/lib.sh"

gw_init t-open-at-exit
gw_need_root
gw_need_binaries
gw_topology
report=$GW_WORK/gaps.jsonl
gw_start_gapwatchd 7781 "$report" --gap-min 500
gw_rules 7781
gw_server tcp 7781 server --echo --ping-interval 300
server=$GW_LAST_PID
gw_wait_listen tcp 7781
gw_client tcp 7781 client --ping-interval 200
client=$GW_LAST_PID
gw_wait_tcp_flows 7781 1
port=$(gw_client_ports 7781)
sleep 2
gw_blackhole_port tcp "$port"
n=0
until [ "$(gw_count "$report" gap_open)" -ge 1 ]; do
	n=$((n + 1))
	[ "$n" -lt 60 ] || gw_fail "no gap_open record within 3 s of the black hole" "$report"
	sleep 0.05
done
sleep 0.5
gw_alive "$GAPWATCHD_PID" gapwatchd
gw_stop_gapwatchd
gw_stop "$client"
gw_stop "$server"

[ "$(gw_count "$report" gap)" -eq 1 ] ||
	gw_fail "expected exactly one gap record, got $(gw_count "$report" gap)" "$report"
gap=$(gw_records "$report" gap)
gw_check "the gap is the black-holed flow from port $port" "$gap" \
	'.client == "198.18.1.2:\($p)"' --argjson p "$port"
gw_check "outcome is open_at_exit" "$gap" '.outcome == "open_at_exit" and .reconnect == null'
gw_check "the gap ends at the shutdown, after it was detected" "$gap" \
	'(.end | epoch) >= (.detected | epoch) and .duration_ms > .threshold_ms'
gw_check "records in order: gap_open, gap, the exposure at exit, stats" \
	"$(jq -s -c '[.[].type]' "$report")" '. == ["gap_open", "gap", "exposure", "stats"]'
gw_check "final stats count the gap as closed" "$(gw_records "$report" stats)" \
	'.gaps_opened == 1 and .gaps_closed == 1 and .gaps_open == 0'
printf '%s\n' "$gap" | jq -c '{client, silent, start, duration_ms, outcome, cause}' >&2
gw_pass "open gap flushed as open_at_exit"
