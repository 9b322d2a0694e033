#!/bin/sh
# t-ct-pmtu - a path-MTU black hole towards the client: the middlebox
# drops the server's packets of 1000 bytes and more ("-m length"), small
# ones pass, and no ICMP "fragmentation needed" comes back. The game
# server echoes the client's small pings (20 bytes every 200 ms) and sends
# a big message (PMTU_SIZE bytes, default 3000: full-size segments) every
# 2 s. The first big message never arrives; its retransmissions (near the
# client's MSS of 1460) never do either, while small packets keep flowing:
# the client's pings, the server's ACKs of them (its echoes wait in its
# send queue behind the lost message: congestion control): a partial
# silence.
#
# Expected: a gap with trigger unacked_data (the client's acknowledgements
# stall while it keeps sending), cause pmtu_blackhole,
# big_retransmits.server > 0. (Not every retransmission is big: Linux's
# tail loss probe re-sends the last, small piece of a big message, which
# passes the black hole and is SACKed.)
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/integration/lib.sh"
. "$top/tests/integration/ct-lib.sh"

SIZE=${PMTU_SIZE:-3000}

ct_init t-ct-pmtu
ct_setup 7781 --gap-min 500
# The black hole: server -> client, 1000 bytes and more (IP length).
nsm iptables -w -I FORWARD -s "$SERVER_IP" -d "$CLIENT_IP" -p tcp --sport 7781 \
	-m length --length 1000:65535 -j DROP ||
	gw_fail "cannot install the length rule at the middlebox"
gw_server tcp 7781 server --echo --ping-interval 2000 --ping-size "$SIZE"
server=$GW_LAST_PID
gw_wait_listen tcp 7781
# The client gives up 4 s after the last message it could read (the
# small echoes before the first big message): a RST ends the gap.
gw_client tcp 7781 client --ping-interval 200 --timeout 4000
client=$GW_LAST_PID
gw_wait_tcp_flows 7781 1
port=$(gw_client_ports 7781)
gw_log "client flow from port $port; a $SIZE-byte message every 2 s"
# The first big message at 2 s; the gap ~0.6 s later; the client's
# timeout at ~6 s closes it.
ct_wait_record '.type == "gap_open"' 5
_n=0
until [ "$(jq -c --arg c "$CLIENT_IP:$port" 'select(.type == "gap" and .client == $c)' "$CT_REPORT" | grep -c .)" -gt 0 ]; do
	gw_alive "$GAPWATCHD_PID" gapwatchd
	_n=$((_n + 1))
	[ "$_n" -le 80 ] || break
	sleep 0.1
done
sleep 0.3
dropped=$(nsm iptables -w -nvx -L FORWARD | awk '/length 1000:65535/ { print $1 }')
gw_stop_gapwatchd
gw_stop "$client"
gw_stop "$server"
ct_show
gw_log "the middlebox dropped $dropped big packets"
[ "$dropped" -gt 0 ] || gw_fail "the middlebox dropped no big packet: no black hole"

gap=$(ct_one_gap tcp "$port")
gw_check "trigger is unacked_data" "$gap" '.trigger == "unacked_data"'
gw_check "the client is the side whose ACKs stalled" "$gap" '.silent == "client" or .silent == "both"'
gw_check "server data unacknowledged (at least one big message)" "$gap" \
	'.bytes_in_flight.server >= $s' --argjson s "$SIZE"
gw_check "big_retransmits.server > 0" "$gap" '.big_retransmits.server > 0'
gw_check "cause is pmtu_blackhole" "$gap" '.cause == "pmtu_blackhole"'
# The client's pings (20 bytes every 200 ms) went on through the gap.
gw_check "client_packets counts the client's packets in the gap (> 0)" "$gap" '.client_packets > 0'
gw_check "evidence names the MSS 1460" "$gap" '.evidence | test("MSS 1460")'
gw_check "no INVALID packet, conntrack entry healthy" "$gap" \
	'.invalid.client == 0 and .invalid.server == 0 and .conntrack.at_open.state == "ESTABLISHED"'
gw_pass "pmtu_blackhole, $(printf '%s\n' "$gap" | jq .big_retransmits.server) big retransmissions"
