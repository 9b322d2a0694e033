#!/bin/sh
# t-probe6 - the hop locator over IPv6, for a TCP and a UDP flow:
#
#	client --- r1 --- r2 --- r3 --- server      (2001:2:0:L::/64, RFC 5180)
#
# r2 drops each flow's 5-tuple (ip6tables FORWARD), one after the other:
#   A  TCP: the flow's ladder (hop limit 1, 2, ...) ends at r2 (hop 2,
#      2001:2:0:3::1); the control ladder reaches the client (its RST).
#   U  UDP, with --probe-udp-payload: the same last hop; the control
#      ladder reaches the client (ICMPv6 port unreachable), and the
#      client's namespace counts the configured payload arriving on the
#      control's source port.
# Both ladders finish within 3 s; the flow label marks every probe.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/integration/lib.sh"

gw_init t-probe6
gw_need_root
gw_need_binaries
[ -d /proc/sys/net/ipv6 ] || gw_fail "IPv6 is off in this kernel"

. "$top/tests/integration/probe-lib.sh"
PROBE_PORT=7781
PROBE_FAMILY=6
PAYLOAD=47570001

probe_chain 3
NS_R2=$(probe_router 2)
# What reaches the client from the control ladder's port, with our payload.
nsc ip6tables -A INPUT -p udp --sport $((PROBE_PORT + 1)) \
	-m string --hex-string "|$PAYLOAD|" --algo bm
gw_start_gapwatchd "$PROBE_PORT" "$GW_WORK/gaps.jsonl" --gap-min 500 --probe \
	--probe-udp-payload "$PAYLOAD"
gw_rules "$PROBE_PORT"
gw_server tcp "$PROBE_PORT" server-tcp --echo --ping-interval 300
gw_server udp "$PROBE_PORT" server-udp --echo --ping-interval 300
gw_wait_listen tcp "$PROBE_PORT"
gw_wait_listen udp "$PROBE_PORT"

pa=$(probe_scenario A tcp 2001:2:0:1::2 "$NS_R2" filter FORWARD)
printf 'A (TCP, r2 FORWARD): %s\n' "$pa" >&2
gw_check "A: the flow's last hop is r2 at hop 2" "$pa" \
	'.last_hop.addr == "2001:2:0:3::1" and .last_hop.ttl == 2 and .client_reached == false'
gw_check "A: hop 1 is r3 on both ladders" "$pa" \
	'.flow[0].responder == "2001:2:0:4::1" and .control[0].responder == "2001:2:0:4::1"'
gw_check "A: the control ladder passes r2 and r1 and reaches the client" "$pa" \
	'.control_client_reached == true and .control[2].responder == "2001:2:0:2::1" and
	 .control_last_hop.addr == "2001:2:0:1::2"'
gw_check "A: verdict" "$pa" \
	'.verdict | startswith("this flow'"'"'s packets are dropped after hop 2 (2001:2:0:3::1); a fresh flow passes")'
gw_check "A: done within 3 s" "$pa" '.duration_ms < 3000'

pu=$(probe_scenario U udp 2001:2:0:1::3 "$NS_R2" filter FORWARD)
printf 'U (UDP, r2 FORWARD): %s\n' "$pu" >&2
gw_check "U: a UDP ladder" "$pu" '.proto == "udp"'
gw_check "U: the flow's last hop is r2 at hop 2" "$pu" \
	'.last_hop.addr == "2001:2:0:3::1" and .last_hop.ttl == 2 and .client_reached == false'
gw_check "U: the control ladder reaches the client (port unreachable)" "$pu" \
	'.control_client_reached == true and
	 .control_last_hop == {addr: "2001:2:0:1::3", ttl: 4} and
	 ([.control[] | select(.client == true)][0] | .responder == "2001:2:0:1::3" and .unreachable == 4)'
gw_check "U: done within 3 s" "$pu" '.duration_ms < 3000'

gw_stop_gapwatchd
report=$GW_WORK/gaps.jsonl
uopen=$(jq -c --arg c "$(printf '%s' "$pu" | jq -r .client)" \
	'select(.type == "gap_open" and .client == $c)' "$report")
gw_check "U: the UDP gap is path_loss_to_server" "$uopen" '.cause == "path_loss_to_server"'
probe_check_closing "$report" "$pa" "$pu"
stats=$(gw_records "$report" stats | tail -n1)
gw_check "stats: 2 ladders, no send errors" "$stats" \
	'.probe.ladders_started == 2 and .probe.ladders_done == 2 and .probe.send_errors == 0 and
	 .probe.recv_errors == 0'
got=$(nsc ip6tables -L INPUT -v -n -x | awk 'NR > 2 { print $1; exit }')
[ "${got:-0}" -gt 0 ] || gw_fail "no UDP probe with the payload $PAYLOAD reached the client"
gw_log "control probes with the payload $PAYLOAD that reached the client: $got"
gw_pass "TCP and UDP over IPv6: last hop r2 (hop 2); payload delivered $got times"
