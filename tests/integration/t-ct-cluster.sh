#!/bin/sh
# t-ct-cluster - ten TCP game flows of one client black-holed at the same
# moment (the middlebox drops all of the client's traffic): one event,
# not ten unrelated ones. Each of the ten gaps must name the same cluster
# (id, first_start), of size 10 in the closing records; first_start is
# the earliest of the ten starts. The middlebox lets traffic through
# again 3 s later, the clients reconnect, and the old flows' gaps close.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/integration/lib.sh"
. "$top/tests/integration/ct-lib.sh"

N=10

ct_init t-ct-cluster
ct_setup 7781 --gap-min 500
gw_server tcp 7781 server --echo --ping-interval 300
server=$GW_LAST_PID
gw_wait_listen tcp 7781
gw_client tcp 7781 client --flows "$N" --ping-interval 200 --timeout 2000
client=$GW_LAST_PID
gw_wait_tcp_flows 7781 "$N"
old_ports=$(gw_client_ports 7781)
sleep 2.5
gw_alive "$GAPWATCHD_PID" gapwatchd
gw_blackhole_host
gw_log "middlebox drops all of $CLIENT_IP's traffic since $GW_DROP_T0"
# All ten gaps open within ~1 s of the drop.
ct_wait_record '.type == "gap_open"' 3
sleep 2.5
gw_unblackhole
gw_log "middlebox forwards again"
# The clients (timed out 2 s after their last data) reconnect within
# 200 ms; wait until the ten new connections are up.
_n=0
until [ "$(gw_client_ports 7781 | grep -cvxF "$old_ports" || true)" -ge "$N" ]; do
	_n=$((_n + 1))
	[ "$_n" -le 100 ] || gw_fail "the client did not reconnect its $N flows within 5 s" "$GW_WORK/client.log"
	sleep 0.05
done
sleep 0.5
gw_alive "$GAPWATCHD_PID" gapwatchd
gw_stop_gapwatchd
gw_stop "$client"
gw_stop "$server"
ct_show

report=$CT_REPORT
gaps=$(jq -s -c '[.[] | select(.type == "gap")]' "$report")
opens=$(jq -s -c '[.[] | select(.type == "gap_open")]' "$report")
gw_check "ten gap records, one for each old port" "$gaps" \
	'length == $n and ([.[].client] | unique | length) == $n and
	 ([.[].client | sub(".*:"; "") | tonumber] | sort) == ($old | sort)' \
	--argjson n "$N" --argjson old "$(printf '%s\n' "$old_ports" | jq -s -c .)"
gw_check "ten gap_open records" "$opens" 'length == $n' --argjson n "$N"
gw_check "every gap starts at its flow's last data before the drop (≤ 300 ms)" "$gaps" \
	'all(.[]; (.start | epoch) as $s | $s >= $t0 - 0.3 and $s <= $t1 + 0.05)' \
	--argjson t0 "$GW_DROP_T0" --argjson t1 "$GW_DROP_T1"
gw_check "every gap record has a cluster" "$gaps" 'all(.[]; .cluster != null)'
gw_check "one cluster id and one first_start for all ten" "$gaps" \
	'([.[].cluster.id] | unique | length) == 1 and ([.[].cluster.first_start] | unique | length) == 1'
gw_check "cluster.size is 10 in every closing record" "$gaps" 'all(.[]; .cluster.size == $n)' \
	--argjson n "$N"
gw_check "first_start is the earliest start" "$gaps" \
	'(.[0].cluster.first_start | epoch) == ([.[].start | epoch] | min)'
gw_check "the gap_open records with a cluster name the same id" "$opens" \
	'[.[] | select(.cluster != null) | .cluster.id] | unique | length == 1' 
gw_check "the gap_open records' cluster grows 2, 3, ... in the order they were written" "$opens" \
	'[.[] | .cluster.size // 1] == [range(1; $n + 1)]' --argjson n "$N"
gw_check "every gap: path_loss_to_server" "$gaps" 'all(.[]; .cause == "path_loss_to_server")'
gw_pass "$N gaps in cluster $(printf '%s\n' "$gaps" | jq '.[0].cluster.id') of size $N"
