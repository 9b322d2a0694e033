#!/bin/sh
# t-replay - replay and live must tell the same story: scenario
# t-tcp-blackhole runs while tcpdump captures the server's side; then
# gapwatchd --read on that capture must report the same gap (same old
# client port, outcome reconnected, same new port, same silent side and
# cause, the same start to the millisecond).
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/integration/lib.sh"

gw_init t-replay
gw_need_root
gw_need_binaries
command -v tcpdump >/dev/null 2>&1 || gw_fail "tcpdump is missing (tools/install-deps)"
pcap=$GW_WORK/server.pcap
gw_scenario_tcp_blackhole "$pcap"
[ -s "$pcap" ] || gw_fail "tcpdump captured nothing" "$GW_WORK/tcpdump.log"

live=$(jq -c --argjson p "$OLD_PORT" \
	'select(.type == "gap" and .client == "198.18.1.2:\($p)")' "$GW_WORK/gaps.jsonl")
[ "$(printf '%s' "$live" | grep -c .)" -eq 1 ] ||
	gw_fail "live: expected exactly one gap record for client port $OLD_PORT" "$GW_WORK/gaps.jsonl"
gw_check_blackhole_gap "$live"

rc=0
timeout 20 "$GAPWATCHD" --read "$pcap" -p 7781 --gap-min 500 -o - \
	>"$GW_WORK/replay.jsonl" 2>"$GW_WORK/replay.log" || rc=$?
[ "$rc" -eq 0 ] || gw_fail "gapwatchd --read exited $rc" "$GW_WORK/replay.log"
replay=$(jq -c --argjson p "$OLD_PORT" \
	'select(.type == "gap" and .client == "198.18.1.2:\($p)")' "$GW_WORK/replay.jsonl")
[ "$(printf '%s' "$replay" | grep -c .)" -eq 1 ] ||
	gw_fail "replay: expected exactly one gap record for client port $OLD_PORT" \
		"$GW_WORK/replay.jsonl" "$GW_WORK/replay.log"
[ "$(gw_count "$GW_WORK/replay.jsonl" gap)" -eq 1 ] ||
	gw_fail "replay: expected one gap record in all" "$GW_WORK/replay.jsonl"
gw_check_blackhole_gap "$replay"

# Same story: compare the fields that do not depend on when a timer ran.
both=$(jq -n -c --argjson l "$live" --argjson r "$replay" '{live: $l, replay: $r}')
gw_check "replay and live: same flow, silent side, outcome, reconnect port, cause" "$both" \
	'[.live, .replay] | map({proto, client, server, silent, outcome,
		port: .reconnect.client_port, cause}) | .[0] == .[1]'
gw_check "replay and live: same start (within 5 ms) and threshold (within 5%)" "$both" \
	'((.live.start | epoch) - (.replay.start | epoch) | fabs) <= 0.005 and
	 ((.live.threshold_ms - .replay.threshold_ms) | fabs) <= .live.threshold_ms * 0.05'
gw_check "replay: detected no earlier than its threshold" "$replay" \
	'(.detected | epoch) >= (.start | epoch) + .threshold_ms / 1000 - 0.001'
gw_check "replay: detected within 100 ms of its threshold, as live" "$replay" \
	'(.detected | epoch) <= (.start | epoch) + .threshold_ms / 1000 + 0.1'
gw_check "replay: one gap_open before the gap" "$(jq -s -c . "$GW_WORK/replay.jsonl")" \
	'[.[] | select(.id == $id) | .type] == ["gap_open", "gap"]' \
	--arg id "$(printf '%s\n' "$replay" | jq -r .id)"

printf '%s\n' "$both" | jq -c '.[] | {client, silent, start, threshold_ms, server_retransmits,
	outcome, reconnect, cause}' >&2
gw_pass "live and replay agree: $OLD_PORT -> $NEW_PORT"
