#!/bin/sh
# t-drop-socket - is it my server? A UDP game server with a small socket
# buffer (SO_RCVBUF 2048) stalls for 3 s (it neither reads nor sends)
# while four players keep sending: the kernel drops what does not fit in
# the buffer (SOCKET_RCVBUFF). The drop watcher names those drops, and
# the players' gaps are local_drop_socket, not the network's.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/integration/lib.sh"
. "$top/tests/integration/ct-lib.sh"

ct_init t-drop-socket
ct_setup 7781 --gap-min 500
grep -q "drop watcher: on" "$GW_WORK/gapwatchd.log" ||
	gw_fail "the drop watcher is off" "$GW_WORK/gapwatchd.log"
gw_server udp 7781 server --echo --ping-interval 200 --rcvbuf 2048 \
	--pause-at 4000 --pause-for 3000
server=$GW_LAST_PID
gw_wait_listen udp 7781
gw_client udp 7781 client --flows 4 --ping-interval 200 --timeout 10000
client=$GW_LAST_PID
sleep 9
gw_stop "$client"
gw_stop "$server"
gw_stop_gapwatchd

report=$CT_REPORT
gaps=$(jq -c 'select(.type == "gap")' "$report")
n=$(printf '%s' "$gaps" | grep -c . || true)
[ "$n" -ge 1 ] || gw_fail "no gap while the server stalled" "$report"
gw_log "$n gaps: $(printf '%s\n' "$gaps" | jq -c '{client, cause, evidence}' | head -n 2)"
bad=$(printf '%s\n' "$gaps" | jq -c 'select(.cause != "local_drop_socket") | {client, cause, evidence}')
[ -z "$bad" ] || gw_fail "gaps not local_drop_socket: $bad" "$report"
gw_check "every gap names SOCKET_RCVBUFF" "$(printf '%s\n' "$gaps" | jq -s -c .)" \
	'all(.[]; .local_drops.by_reason[0].reason == "SOCKET_RCVBUFF" and .local_drops.count > 0)'
gw_pass "$n gaps local_drop_socket: $(printf '%s\n' "$gaps" | jq -r .evidence | head -n 1)"
