#!/bin/sh
# t-ct-flush - conntrack entries destroyed under live TCP game flows, on
# a server set up like ufw's: nf_conntrack_tcp_loose=0 (a flow without an
# entry is never picked up mid-stream) and "-m conntrack --ctstate
# INVALID -j DROP" in INPUT. Every packet of a flow whose entry is gone is
# INVALID and dropped: the flow dies although nothing on the path failed.
#
# Two flows (A, B). First "conntrack -D" of A's entry alone: A dies, B
# must not notice. The client gives up on A (RST, itself INVALID) and
# reconnects from A2. Then "conntrack -F": B and A2 die together.
# Each of the three gaps must say conntrack_destroyed, carry the DESTROY
# (not by timeout) in its conntrack events and count the client's INVALID
# packets, and its evidence must name them. B's and A2's gaps, from one
# flush, form one cluster of 2; A's gap is not part of it.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/integration/lib.sh"
. "$top/tests/integration/ct-lib.sh"

ct_init t-ct-flush
ct_setup 7781 --gap-min 500
ct_sysctl net.netfilter.nf_conntrack_tcp_loose=0
ct_ufw_invalid_drop
gw_server tcp 7781 server --echo --ping-interval 300
server=$GW_LAST_PID
gw_wait_listen tcp 7781
gw_client tcp 7781 client --flows 2 --ping-interval 200 --timeout 2000
client=$GW_LAST_PID
gw_wait_tcp_flows 7781 2
ports=$(gw_client_ports 7781)
A=$(echo "$ports" | sed -n 1p)
B=$(echo "$ports" | sed -n 2p)
invalid0=$(ct_kernel_invalid)
gw_log "flows from ports $A (A) and $B (B)"

# new_port EXCLUDED...: wait (6 s) for a client connection from a port
# not in the list; print it.
new_port() {
	_n=0
	while :; do
		_p=$(gw_client_ports 7781 | grep -vxF "$(printf '%s\n' "$@")" | head -n1 || true)
		[ -z "$_p" ] || break
		_n=$((_n + 1))
		[ "$_n" -le 120 ] || gw_fail "the client did not reconnect within 6 s" "$GW_WORK/client.log"
		sleep 0.05
	done
	echo "$_p"
}

sleep 2.5
gw_alive "$GAPWATCHD_PID" gapwatchd
T_DEL=$(date +%s.%N)
out=$(nss conntrack -D -p tcp --orig-port-src "$A" --orig-port-dst 7781 2>&1) ||
	gw_fail "conntrack -D of port $A failed: $out"
echo "$out" | grep -q "1 flow entries have been deleted" ||
	gw_fail "conntrack -D did not delete exactly one entry: $out"
gw_log "deleted A's conntrack entry (port $A) at $T_DEL"
A2=$(new_port "$A" "$B")
gw_log "the client gave up on A and reconnected from port $A2"

# Let A2 learn its heartbeat (3 intervals) before the flush.
sleep 1.5
gw_alive "$GAPWATCHD_PID" gapwatchd
T_FLUSH=$(date +%s.%N)
out=$(nss conntrack -F 2>&1) || gw_fail "conntrack -F failed: $out"
gw_log "flushed the server's conntrack table at $T_FLUSH: $out"
R1=$(new_port "$A" "$B" "$A2")
R2=$(new_port "$A" "$B" "$A2" "$R1")
gw_log "the client reconnected B and A2 from ports $R1 and $R2"
sleep 0.5
gw_alive "$GAPWATCHD_PID" gapwatchd
gw_alive "$client" client
dropped=$(ct_ufw_dropped)
invalid1=$(ct_kernel_invalid)
gw_stop_gapwatchd
gw_stop "$client"
gw_stop "$server"
ct_show

report=$CT_REPORT
[ "$dropped" -gt 0 ] || gw_fail "the INVALID DROP rule dropped nothing: the scenario did not happen"
[ "$invalid1" -gt "$invalid0" ] ||
	gw_fail "conntrack's invalid statistic did not rise ($invalid0 -> $invalid1)"
gw_log "INVALID DROP rule: $dropped packets; conntrack invalid $invalid0 -> $invalid1"

# check_destroyed NAME GAP T: the assertions on a flow killed at time T.
check_destroyed() {
	gw_check "$1: cause is conntrack_destroyed" "$2" '.cause == "conntrack_destroyed"'
	# The client's packets are INVALID and dropped in INPUT; the server's
	# (INVALID too, but nothing drops them in OUTPUT) leave the host and
	# reach the client: the side that fell silent is the client.
	gw_check "$1: silent is client or both (the server's pings still left the host)" "$2" \
		'.silent == "client" or .silent == "both"'
	gw_check "$1: conntrack.events has a DESTROY, not by timeout, at the deletion (±1 s)" "$2" \
		'[.conntrack.events[] | select(.event == "destroy" and .by_timeout == false and
		  (((.time | epoch) - $t) | fabs) < 1)] | length >= 1' --argjson t "$3"
	gw_check "$1: invalid.client > 0 (the client's INVALID packets counted)" "$2" \
		'.invalid.client > 0 and .invalid.first != null and .invalid.last != null'
	gw_check "$1: the INVALID packets came after the deletion" "$2" \
		'(.invalid.first | epoch) >= $t - 0.05' --argjson t "$3"
	gw_check "$1: evidence mentions the INVALID packets and the deletion" "$2" \
		'(.evidence | test("INVALID")) and (.evidence | test("deleted"))'
	gw_check "$1: the gap starts at the client's last data before the deletion (≤ 300 ms)" "$2" \
		'(.start | epoch) as $s | $s <= $t + 0.05 and $s >= $t - 0.3' --argjson t "$3"
	gw_check "$1: at_open: the entry was gone when the gap opened" "$2" \
		'.conntrack.at_open.found == false'
	gw_check "$1: no inspector loss" "$2" '.inspector.lost_packets == false'
}

gapA=$(ct_one_gap tcp "$A")
check_destroyed "A (conntrack -D)" "$gapA" "$T_DEL"
gw_check "A: not in a cluster (the only flow that -D killed)" "$gapA" '.cluster == null'

gapB=$(ct_one_gap tcp "$B")
gapA2=$(ct_one_gap tcp "$A2")
check_destroyed "B (conntrack -F)" "$gapB" "$T_FLUSH"
check_destroyed "A2 (conntrack -F)" "$gapA2" "$T_FLUSH"
gw_check "B and A2: one cluster of 2 (one flush)" "$(printf '%s\n%s\n' "$gapB" "$gapA2" | jq -s -c .)" \
	'.[0].cluster != null and .[0].cluster == .[1].cluster and .[0].cluster.size == 2'

n=$(gw_count "$report" gap)
[ "$n" -eq 3 ] || gw_fail "expected 3 gap records (A, B, A2), got $n" "$report"
stats=$(ct_final_stats)
gw_check "stats: INVALID packets counted" "$stats" '.invalid > 0'
gw_check "stats: conntrack events seen, none lost" "$stats" \
	'.conntrack.events > 0 and .conntrack.enobufs == 0 and .conntrack.kernel_filter == true'
gw_pass "conntrack -D and -F: 3 gaps, conntrack_destroyed with INVALID packets"
