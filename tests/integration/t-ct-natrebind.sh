#!/bin/sh
# t-ct-natrebind - a UDP client re-binds to a new source port mid-session
# without a handshake (gamesim --rebind-at: what a NAT that lost its
# mapping does): the old port falls silent, the same client address goes
# on from the new one. The old flow's gap must end with outcome
# reconnected to the new port, cause nat_rebind.
#
# Two clients, each from an address of its own so that one's new port can
# never be taken for the other's reconnect:
#   R (198.18.1.2): --rebind-at alone: the new port takes over at once,
#     within one heartbeat of the old port's last datagram;
#   P (198.18.1.3): the classic NAT timeout: the client pauses 2 s (its
#     mapping expires), re-binds during the pause, resumes from the new
#     port.
# Nothing else may be reported: the new flows are healthy.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/integration/lib.sh"
. "$top/tests/integration/ct-lib.sh"

CLIENT2_IP=198.18.1.3

ct_init t-ct-natrebind
ct_setup 7781 --gap-min 500
ip -n "$NS_C" addr add "$CLIENT2_IP/24" dev eth0 ||
	gw_fail "cannot add $CLIENT2_IP to the client namespace"
gw_server udp 7781 server --echo --ping-interval 200
server=$GW_LAST_PID
gw_wait_listen udp 7781
gw_client udp 7781 client-r --ping-interval 200 --rebind-at 3000
crebind=$GW_LAST_PID
gw_client udp 7781 client-p --ping-interval 200 --bind "$CLIENT2_IP" \
	--pause-at 3000 --pause-for 2000 --rebind-at 4000
cpause=$GW_LAST_PID
# Re-bind at 3 s (R) and at 4 s, resuming at 5 s (P); then 2 s more.
sleep 7
gw_alive "$GAPWATCHD_PID" gapwatchd
gw_alive "$crebind" client-r
gw_alive "$cpause" client-p
gw_stop_gapwatchd
gw_stop "$crebind"
gw_stop "$cpause"
gw_stop "$server"
ct_show

# check_rebind NAME ADDR: the client's own account of the re-bind, then
# the old flow's gap.
check_rebind() {
	_st=$GW_WORK/$1.json
	_old=$(jq '[.events[] | select(.event == "rebind")][0].old_port' "$_st")
	_new=$(jq '[.events[] | select(.event == "rebind")][0].port' "$_st")
	[ "$_old" != null ] && [ "$_new" != null ] ||
		gw_fail "$1 did not re-bind" "$_st" "$GW_WORK/$1.log"
	gw_log "$1: re-bound from port $_old to $_new"
	_gap=$(ct_one_gap udp "$_old" "$2")
	gw_check "$1: the old flow's gap is the client's silence" "$_gap" \
		'.silent == "client" or .silent == "both"'
	gw_check "$1: outcome reconnected" "$_gap" '.outcome == "reconnected"'
	gw_check "$1: reconnect.client_port is the new port $_new" "$_gap" \
		'.reconnect.client_port == $p' --argjson p "$_new"
	gw_check "$1: cause nat_rebind" "$_gap" '.cause == "nat_rebind"'
	gw_check "$1: evidence names both ports" "$_gap" \
		'(.evidence | test("port \($n)")) and (.evidence | test("port \($o)"))' \
		--argjson n "$_new" --argjson o "$_old"
	_n=$(jq -c --arg c "$2:$_new" 'select((.type == "gap" or .type == "gap_open") and .client == $c)' \
		"$CT_REPORT" | grep -c . || true)
	[ "$_n" -eq 0 ] || gw_fail "$1: the new flow from port $_new has gap records" "$CT_REPORT"
}

check_rebind client-p "$CLIENT2_IP"
check_rebind client-r "$CLIENT_IP"
n=$(gw_count "$CT_REPORT" gap)
[ "$n" -eq 2 ] || gw_fail "expected 2 gap records (one per re-bind), got $n" "$CT_REPORT"
gw_check "stats: 2 reconnects" "$(ct_final_stats)" '.reconnects == 2'
gw_pass "both re-binds reported as nat_rebind"
