#!/bin/sh
# t-probe-ratelimit - many flows cut at once by one device, and the
# routers' ICMP rate limits:
#
#	client --- r1 --- ... --- r8 --- server      (198.18.L.0/24)
#
# Six TCP flows from six client addresses; r4 (hop 5) then drops all of
# them at once. Every ladder crosses the same eight routers, and a Linux
# router answers one destination with 6 ICMP errors at once, then one a
# second (icmp_ratelimit 1000 ms, left at its default here). A ladder
# asks each router twice (flow + control): with the defaults
# (--probe-max-ladders 3, --probe-ladder-interval-ms 2000) three ladders
# run and every one of them names r4; the other gaps are refused and
# counted, not probed into silence. (With six ladders at once, three of
# them got no answer at all: the routers' budget was spent.)
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/integration/lib.sh"

gw_init t-probe-ratelimit
gw_need_root
gw_need_binaries

. "$top/tests/integration/probe-lib.sh"
PROBE_PORT=7781
PROBE_FAMILY=4

probe_chain 8
gw_start_gapwatchd "$PROBE_PORT" "$GW_WORK/gaps.jsonl" --gap-min 500 --probe
gw_rules "$PROBE_PORT"
gw_server tcp "$PROBE_PORT" server --echo --ping-interval 300
gw_wait_listen tcp "$PROBE_PORT"
for h in 2 3 4 5 6 7; do
	gw_client tcp "$PROBE_PORT" "client-$h" --bind "198.18.1.$h" \
		--ping-interval 200 --timeout 60000
done
gw_wait_tcp_flows "$PROBE_PORT" 6
sleep 2.5
printf '*filter\n-I FORWARD -p tcp -d %s --dport %s -j DROP\n-I FORWARD -p tcp -s %s --sport %s -j DROP\nCOMMIT\n' \
	"$PROBE_SERVER" "$PROBE_PORT" "$PROBE_SERVER" "$PROBE_PORT" |
	ip netns exec "$(probe_router 4)" iptables-restore --noflush ||
	gw_fail "cannot install the drop at r4"
gw_log "r4 drops every game flow"
n=0
until [ "$(gw_count "$GW_WORK/gaps.jsonl" probe)" -ge 3 ]; do
	n=$((n + 1))
	[ "$n" -lt 200 ] || gw_fail "fewer than 3 probe records within 10 s" "$GW_WORK/gaps.jsonl"
	sleep 0.05
done
sleep 0.5
gw_stop_gapwatchd
report=$GW_WORK/gaps.jsonl
[ "$(gw_count "$report" gap_open)" -eq 6 ] || gw_fail "expected 6 gaps" "$report"
[ "$(gw_count "$report" probe)" -eq 3 ] || gw_fail "expected 3 ladders" "$report"
gw_records "$report" probe | while read -r p; do
	gw_check "every ladder names r4 (hop 5) and reaches the client on the control" "$p" \
		'.last_hop == {addr: "198.18.5.1", ttl: 5} and .control_client_reached == true and
		 ([.flow[] | select(.responder != null)] | length) == 5'
done
stats=$(gw_records "$report" stats | tail -n1)
gw_check "stats: 3 ladders started, 3 gaps refused and counted" "$stats" \
	'.probe.ladders_started == 3 and
	 .probe.limit_ladders + .probe.limit_ladder_interval == 3'
gw_pass "6 flows cut at r4: 3 ladders, all name r4; 3 refused ($(printf '%s' "$stats" | jq -c '.probe | {limit_ladders, limit_ladder_interval}'))"
