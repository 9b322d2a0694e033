#!/bin/sh
# t-ct-blackhole - a middlebox black hole, seen with conntrack's eyes: a
# TCP game flow is dropped at the middlebox (both directions) while the
# server's conntrack entry stays healthy. The gap must say
# path_loss_to_server, and its conntrack facts must show why no local
# cause was blamed: the entry was found at the gap's opening, ESTABLISHED
# (and still there at its close), no DESTROY in the gap's window, no
# INVALID packet, the table far from full. The events window starts 1 s
# before the gap, so the flow's NEW (seconds earlier) is not required.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/integration/lib.sh"
. "$top/tests/integration/ct-lib.sh"

ct_init t-ct-blackhole
# lib.sh's scenario: server --echo --ping-interval 300, client
# --ping-interval 200 --timeout 2000, gapwatchd --gap-min 500
# --stats-interval 0, the drop after 3 s, the client's reconnect.
gw_scenario_tcp_blackhole
report=$GW_WORK/gaps.jsonl
ct_show

gap=$(ct_one_gap tcp "$OLD_PORT")
[ "$(gw_count "$report" gap)" -eq 1 ] ||
	gw_fail "expected one gap record in all, got $(gw_count "$report" gap)" "$report"
gw_check_blackhole_gap "$gap"
gw_check "trigger is data_silence" "$gap" '.trigger == "data_silence"'
gw_check "conntrack facts are there" "$gap" '.conntrack != null'
gw_check "conntrack.at_open.found is true" "$gap" '.conntrack.at_open.found == true'
gw_check "conntrack.at_open.state is ESTABLISHED" "$gap" '.conntrack.at_open.state == "ESTABLISHED"'
gw_check "at_open carries gapwatch's connmark 0x10000000" "$gap" \
	'(.conntrack.at_open.mark / 268435456 | floor) % 2 == 1'
gw_check "conntrack.at_close: still found, ESTABLISHED" "$gap" \
	'.conntrack.at_close.found == true and .conntrack.at_close.state == "ESTABLISHED"'
gw_check "no DESTROY in the gap's window" "$gap" \
	'[.conntrack.events[] | select(.event == "destroy")] | length == 0'
gw_check "no INVALID packet in the gap" "$gap" '.invalid.client == 0 and .invalid.server == 0'
gw_check "table not full: no drop/early_drop/insert_failed" "$gap" \
	'.conntrack.table.drop == 0 and .conntrack.table.early_drop == 0 and
	 .conntrack.table.insert_failed == 0 and .conntrack.table.count < .conntrack.table.max'
gw_check "evidence says the conntrack entry is healthy" "$gap" \
	'.evidence | test("conntrack entry present and healthy")'
opn=$(jq -c --arg id "$(printf '%s\n' "$gap" | jq -r .id)" \
	'select(.type == "gap_open" and .id == $id)' "$report")
gw_check "gap_open: the lookup at detection found the entry ESTABLISHED" "$opn" \
	'.conntrack.at_open.found == true and .conntrack.at_open.state == "ESTABLISHED" and
	 .conntrack.at_close == null'

stats=$(ct_final_stats)
gw_check "stats: conntrack events seen, filtered in the kernel, none lost" "$stats" \
	'.conntrack.events > 0 and .conntrack.kernel_filter == true and
	 .conntrack.enobufs == 0 and .conntrack.query_errors == 0'
gw_pass "path_loss_to_server on port $OLD_PORT, conntrack entry ESTABLISHED at open"
