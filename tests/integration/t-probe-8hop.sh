#!/bin/sh
# t-probe-8hop - the hop locator on eight routers, against the issue's
# number (flow + control ladder, 8 hops, within 3 s), with a router that
# never answers:
#
#	client --- r1 --- r2 --- ... --- r8 --- server      (198.18.L.0/24)
#
# Hops count from the server: r8 is hop 1, r1 hop 8, the client hop 9.
#   T  TCP: r6 (hop 3) drops the flow's 5-tuple in FORWARD, and r7 (hop
#      2) sends no time-exceeded at all (its OUTPUT drops them, as many
#      operators' routers do). The silent hop shows as a gap in both
#      ladders; the last hop is still r6; the control reaches the client.
#   U  UDP with --probe-udp-payload: r2 (hop 7) drops the flow; the last
#      hop is r2; the control ladder reaches the client (port
#      unreachable) at hop 9, carrying the payload.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/integration/lib.sh"

gw_init t-probe-8hop
gw_need_root
gw_need_binaries

. "$top/tests/integration/probe-lib.sh"
PROBE_PORT=7781
PROBE_FAMILY=4
PAYLOAD=4757000102

probe_chain 8
ip netns exec "$(probe_router 7)" iptables -A OUTPUT -p icmp --icmp-type time-exceeded -j DROP
nsc iptables -A INPUT -p udp --sport $((PROBE_PORT + 1)) \
	-m string --hex-string "|$PAYLOAD|" --algo bm
gw_start_gapwatchd "$PROBE_PORT" "$GW_WORK/gaps.jsonl" --gap-min 500 --probe \
	--probe-udp-payload "$PAYLOAD"
gw_rules "$PROBE_PORT"
gw_server tcp "$PROBE_PORT" server-tcp --echo --ping-interval 300
gw_server udp "$PROBE_PORT" server-udp --echo --ping-interval 300
gw_wait_listen tcp "$PROBE_PORT"
gw_wait_listen udp "$PROBE_PORT"

pt=$(probe_scenario T tcp 198.18.1.2 "$(probe_router 6)" filter FORWARD)
printf 'T (TCP, r6 FORWARD, r7 silent): %s\n' "$pt" >&2
gw_check "T: hop 1 is r8, hop 2 (r7) silent on both ladders" "$pt" \
	'.flow[0].responder == "198.18.9.1" and .flow[1].responder == null and
	 .control[1].responder == null'
gw_check "T: the flow's last hop is r6 at hop 3" "$pt" \
	'.last_hop == {addr: "198.18.7.1", ttl: 3} and .client_reached == false'
gw_check "T: the control ladder reaches the client at hop 9" "$pt" \
	'.control_client_reached == true and .control_last_hop == {addr: "198.18.1.2", ttl: 9}'
gw_check "T: verdict" "$pt" \
	'.verdict | startswith("this flow'"'"'s packets are dropped after hop 3 (198.18.7.1); a fresh flow passes")'
gw_check "T: flow + control, 8 hops, within 3 s" "$pt" '.duration_ms < 3000'

pu=$(probe_scenario U udp 198.18.1.3 "$(probe_router 2)" filter FORWARD)
printf 'U (UDP, r2 FORWARD): %s\n' "$pu" >&2
gw_check "U: the flow's last hop is r2 at hop 7" "$pu" \
	'.proto == "udp" and .last_hop == {addr: "198.18.3.1", ttl: 7} and .client_reached == false'
gw_check "U: the control ladder reaches the client at hop 9" "$pu" \
	'.control_client_reached == true and .control_last_hop == {addr: "198.18.1.3", ttl: 9}'
gw_check "U: flow + control, 8 hops, within 3 s" "$pu" '.duration_ms < 3000'

gw_stop_gapwatchd
report=$GW_WORK/gaps.jsonl
probe_check_closing "$report" "$pt" "$pu"
got=$(nsc iptables -L INPUT -v -n -x | awk 'NR > 2 { print $1; exit }')
[ "${got:-0}" -gt 0 ] || gw_fail "no UDP probe with the payload $PAYLOAD reached the client"
for p in "$pt" "$pu"; do
	printf '%s\n' "$p" | jq -c '{proto, last_hop, control_last_hop, duration_ms}' >&2
done
gw_pass "T: r6 (hop 3) past a silent r7, U: r2 (hop 7); ladders $(printf '%s' "$pt" | jq .duration_ms) and $(printf '%s' "$pu" | jq .duration_ms) ms"
