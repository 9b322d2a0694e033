#!/bin/sh
# t-drop-synlimit - a reconnect that the server's own firewall refuses:
# a stateful middlebox loses a TCP game flow, the client gives up and
# reconnects from a new port, and a hashlimit rule in the server
# namespace's filter INPUT (one new connection a minute per source, the
# first one spent at the start) drops the reconnect's SYNs. Those drops
# belong to no flow yet: they are counted and tied to the old flow's gap
# (local_drops.other_syns, and its evidence says so), whose cause stays
# the path's: the server's kernel dropped none of the old flow's packets.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/integration/lib.sh"
. "$top/tests/integration/ct-lib.sh"

ct_init t-drop-synlimit
ct_setup 7781 --gap-min 500
grep -q "drop watcher: on" "$GW_WORK/gapwatchd.log" ||
	gw_fail "the drop watcher is off" "$GW_WORK/gapwatchd.log"
nss iptables -w -A INPUT -p tcp --dport 7781 --syn -m hashlimit \
	--hashlimit-above 1/minute --hashlimit-burst 1 --hashlimit-mode srcip \
	--hashlimit-name gwsyn -j DROP || gw_fail "cannot add the hashlimit rule"
gw_server tcp 7781 server --echo --ping-interval 300
server=$GW_LAST_PID
gw_wait_listen tcp 7781
gw_client tcp 7781 client --ping-interval 200 --timeout 2000
client=$GW_LAST_PID
gw_wait_tcp_flows 7781 1
old=$(gw_client_ports 7781)
sleep 2
gw_blackhole_port tcp "$old"
gw_log "middlebox drops $CLIENT_IP:$old; the client's reconnect meets the hashlimit"
# The client gives up 2 s after its last data; its SYNs go out at once
# and again after 1 s and 3 s.
sleep 7
syn_drops=$(nss iptables -w -nvx -L INPUT | awk '$3 == "DROP" && /dpt:7781/ { print $1 }')
gw_stop "$client"
gw_stop "$server"
gw_stop_gapwatchd

report=$CT_REPORT
gap=$(jq -c --arg c "$CLIENT_IP:$old" 'select(.type == "gap" and .client == $c)' "$report")
[ "$(printf '%s' "$gap" | grep -c .)" -eq 1 ] ||
	gw_fail "expected one gap for the lost flow (port $old)" "$report"
gw_log "the hashlimit rule dropped $syn_drops SYNs; the gap: $(printf '%s\n' "$gap" | jq -c '{cause, outcome, evidence, local_drops}')"
[ "$syn_drops" -ge 1 ] || gw_fail "the hashlimit rule dropped nothing" "$report"
gw_check "the reconnect's SYN drops are tied to the gap" "$gap" \
	'.local_drops.other_syns >= 1 and .local_drops.count == 0 and
	 (.local_drops.verdict | test("new connections \\(SYN\\) from the client.s address dropped")) and
	 (.evidence | test("SYN"))'
gw_check "the lost flow's own cause stays the path's" "$gap" \
	'.cause == "path_loss_to_server"'
gw_pass "$(printf '%s\n' "$gap" | jq -r .local_drops.verdict)"
