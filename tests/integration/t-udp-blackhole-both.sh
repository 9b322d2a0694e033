#!/bin/sh
# t-udp-blackhole-both - a gap must be reported on time even when no
# packet at all reaches gapwatchd: a UDP flow whose server only echoes (no
# pings of its own) is black-holed at the middlebox (all of the client's
# traffic) for 2 s. Expect one gap, silent both, detected no later than
# 100 ms after its threshold though nothing arrived to wake gapwatchd,
# outcome resumed when the middlebox lets the flow through again.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/integration/lib.sh"

gw_init t-udp-blackhole-both
gw_need_root
gw_need_binaries
gw_topology
report=$GW_WORK/gaps.jsonl
gw_start_gapwatchd 7781 "$report" --gap-min 500
gw_rules 7781
gw_server udp 7781 server --echo --ping-interval 0
server=$GW_LAST_PID
gw_wait_listen udp 7781
gw_client udp 7781 client --ping-interval 100
client=$GW_LAST_PID
sleep 2.5
gw_blackhole_host
gw_log "middlebox drops all of $CLIENT_IP's traffic since $GW_DROP_T0"
sleep 2
gw_unblackhole
gw_log "middlebox forwards again"
sleep 1
gw_alive "$GAPWATCHD_PID" gapwatchd
gw_alive "$client" client
gw_stop_gapwatchd
gw_stop "$client"
gw_stop "$server"

[ "$(gw_count "$report" gap)" -eq 1 ] ||
	gw_fail "expected exactly one gap record, got $(gw_count "$report" gap)" "$report"
gap=$(gw_records "$report" gap)
gw_check "the gap is the UDP flow" "$gap" '.proto == "udp" and .server == "198.18.2.2:7781"'
gw_check "silent is both" "$gap" '.silent == "both" and .client_packets == 0'
gw_check "outcome is resumed" "$gap" '.outcome == "resumed"'
gw_check "start within 300 ms of the drop" "$gap" \
	'(.start | epoch) as $s | $s >= ($t0 - 0.3) and $s <= ($t1 + 0.3)' \
	--argjson t0 "$GW_DROP_T0" --argjson t1 "$GW_DROP_T1"
gw_check "detected <= start + threshold_ms + 100 ms, with no packet to wake gapwatchd" "$gap" \
	'(.detected | epoch) <= (.start | epoch) + .threshold_ms / 1000 + 0.1'
gw_check "gap_open before it, same id" "$(jq -s -c . "$report")" \
	'[.[] | select(.id == $id) | .type] == ["gap_open", "gap"]' \
	--arg id "$(printf '%s\n' "$gap" | jq -r .id)"
printf '%s\n' "$gap" | jq -c '{client, silent, start, detected, threshold_ms, duration_ms,
	outcome, cause}' >&2
gw_pass "silent both, detected $(printf '%s\n' "$gap" | jq "$JQ_DEFS"' ((.detected | epoch) - (.start | epoch)) * 1000 - .threshold_ms | round') ms after the threshold"
