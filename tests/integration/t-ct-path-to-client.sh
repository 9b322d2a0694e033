#!/bin/sh
# t-ct-path-to-client - loss on the path towards the client, one flow
# only: the middlebox drops the server's packets of one TCP game flow
# (its 5-tuple, server -> client) while the client's packets still pass.
# The client goes on sending its heartbeats (a ping every 200 ms, which
# the server receives and acknowledges); the server's data (echoes,
# pings, retransmissions) never reaches the client, whose acknowledgement
# of it stalls. The client gives up 3 s after the last message it read
# (RST, which passes) and reconnects from a new port.
#
# Expected: a gap with trigger unacked_data, cause path_loss_to_client,
# server retransmissions, and the client's packets counted in the gap.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/integration/lib.sh"
. "$top/tests/integration/ct-lib.sh"

ct_init t-ct-path-to-client
ct_setup 7781 --gap-min 500
gw_server tcp 7781 server --echo --ping-interval 300
server=$GW_LAST_PID
gw_wait_listen tcp 7781
gw_client tcp 7781 client --ping-interval 200 --timeout 3000
client=$GW_LAST_PID
gw_wait_tcp_flows 7781 1
port=$(gw_client_ports 7781)
sleep 2.5
gw_alive "$GAPWATCHD_PID" gapwatchd
T0=$(date +%s.%N)
nsm iptables -w -I FORWARD -s "$SERVER_IP" -p tcp --sport 7781 -d "$CLIENT_IP" --dport "$port" -j DROP ||
	gw_fail "cannot install the DROP rule at the middlebox"
gw_log "middlebox drops $SERVER_IP:7781 -> $CLIENT_IP:$port since $T0"
# The client's timeout (3 s after its last message) closes the gap.
_n=0
until [ "$(jq -c --arg c "$CLIENT_IP:$port" 'select(.type == "gap" and .client == $c)' "$CT_REPORT" 2>/dev/null | grep -c .)" -gt 0 ]; do
	gw_alive "$GAPWATCHD_PID" gapwatchd
	_n=$((_n + 1))
	[ "$_n" -le 60 ] || break
	sleep 0.1
done
sleep 0.3
dropped=$(nsm iptables -w -nvx -L FORWARD | awk -v p="dpt:$port" '$3 == "DROP" && index($0, p) { print $1 }')
gw_stop_gapwatchd
gw_stop "$client"
gw_stop "$server"
ct_show
gw_log "the middlebox dropped $dropped server packets"
[ "${dropped:-0}" -gt 0 ] || gw_fail "the middlebox dropped nothing"

gap=$(ct_one_gap tcp "$port")
gw_check "trigger is unacked_data" "$gap" '.trigger == "unacked_data"'
gw_check "the client is the side whose ACKs stalled" "$gap" '.silent == "client" or .silent == "both"'
gw_check "the gap starts when the drop began (the server's first lost data, ≤ 350 ms later)" "$gap" \
	'(.start | epoch) as $s | $s >= $t0 - 0.05 and $s <= $t0 + 0.35' --argjson t0 "$T0"
gw_check "server_retransmits > 0" "$gap" '.server_retransmits > 0'
gw_check "server data unacknowledged" "$gap" '.bytes_in_flight.server > 0'
gw_check "cause is path_loss_to_client" "$gap" '.cause == "path_loss_to_client"'
gw_check "client_packets counts the client's heartbeats in the gap (> 0)" "$gap" '.client_packets > 0'
gw_check "no INVALID packet; conntrack entry ESTABLISHED at the opening" "$gap" \
	'.invalid.client == 0 and .invalid.server == 0 and .conntrack.at_open.state == "ESTABLISHED"'
gw_pass "path_loss_to_client on port $port"
