#!/bin/sh
# t-sigkill-bypass - gapwatchd must never take the game down with it:
# SIGKILL it mid-run and the flows go on (--queue-bypass once its socket is
# gone). The clients (--timeout 1000) see no reconnect and no silence near
# the timeout; packets queued at the kill instant are lost, so one TCP
# retransmission (about 200 ms) or one lost datagram is all we allow for.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/integration/lib.sh"

gw_init t-sigkill-bypass
gw_need_root
gw_need_binaries
gw_topology
report=$GW_WORK/gaps.jsonl
gw_start_gapwatchd 7781 "$report" --gap-min 500
gw_rules 7781
gw_server tcp 7781 server-tcp --echo --ping-interval 100
stcp=$GW_LAST_PID
gw_server udp 7781 server-udp --echo --ping-interval 100
sudp=$GW_LAST_PID
gw_wait_listen tcp 7781
gw_wait_listen udp 7781
gw_client tcp 7781 client-tcp --flows 5 --ping-interval 50 --timeout 1000
ctcp=$GW_LAST_PID
gw_client udp 7781 client-udp --flows 5 --ping-interval 50 --timeout 1000
cudp=$GW_LAST_PID
gw_wait_tcp_flows 7781 5
sleep 3
gw_alive "$GAPWATCHD_PID" gapwatchd
# The queue was in use: gapwatchd saw packets (its id sequence moved).
seq_before=$(nss awk '$1 == 0 { print $8 }' /proc/net/netfilter/nfnetlink_queue)
[ "${seq_before:-0}" -gt 0 ] || gw_fail "queue 0 saw no packet before the kill"
gw_log "SIGKILL gapwatchd (queue id sequence at $seq_before)"
kill -KILL "$GAPWATCHD_PID"
gw_wait_pid "$GAPWATCHD_PID" 5 || gw_fail "gapwatchd survived SIGKILL"
gw_queue_bound "$NS_S" 0 && gw_fail "queue 0 is still bound after the kill"
# Traffic still goes through the rules (now bypassing the queue).
pk1=$(nss iptables -t mangle -L GAPWATCH-IN -n -v -x | awk '$3 ~ /NFQUEUE/ { s += $1 } END { print s + 0 }')
sleep 4
pk2=$(nss iptables -t mangle -L GAPWATCH-IN -n -v -x | awk '$3 ~ /NFQUEUE/ { s += $1 } END { print s + 0 }')
[ "$pk2" -gt "$pk1" ] || gw_fail "no packet matched the NFQUEUE rules after the kill ($pk1 -> $pk2)"
for p in "$stcp:server-tcp" "$sudp:server-udp" "$ctcp:client-tcp" "$cudp:client-udp"; do
	gw_alive "${p%%:*}" "${p#*:}"
done
for p in "$ctcp" "$cudp" "$stcp" "$sudp"; do
	gw_stop "$p"
done

for c in client-tcp client-udp; do
	s=$(cat "$GW_WORK/$c.json")
	gw_check "$c: reconnects == 0, timeouts == 0, disconnects == 0" "$s" \
		'.connects == 5 and .reconnects == 0 and .timeouts == 0 and .disconnects == 0'
	gw_check "$c: max_silence_ms < 700 (timeout 1000)" "$s" '.max_silence_ms < 700'
	gw_check "$c: traffic went on for the whole run (> 7 s of echoes)" "$s" \
		'.received > 5 * 7 * 20 * 0.8'
	printf '%s\n' "$s" | jq -c '{proto, connects, reconnects, timeouts, received, max_silence_ms}' >&2
done
gw_pass "flows survived SIGKILL; packets kept passing ($pk1 -> $pk2 after the kill)"
