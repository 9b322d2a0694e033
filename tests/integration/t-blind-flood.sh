#!/bin/sh
# t-blind-flood - a UDP flood on another port (7790) through the same
# queue, beyond what gapwatchd can take, while 20 TCP game flows (5
# messages/s each) run on the game port: fail-open passes what the full
# queue cannot take. The game flows must get no gap with a network cause
# and none in a cluster; what passed unseen is counted (within 1 % of
# the rules' counter minus received) and said by blind records.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/integration/lib.sh"

gw_init t-blind-flood
gw_need_root
gw_need_binaries
command -v nfacct >/dev/null || gw_fail "no nfacct tool (tools/install-deps)"
gw_topology
report=$GW_WORK/gaps.jsonl
# A queue of 256: at the flood's rate it fills between two turns of the
# verdict loop, as 4096 would under a flood a few times larger.
gw_start_gapwatchd 7781 "$report" --gap-min 500 --queue-maxlen 256
gw_rules 7781,7790
gw_wait_counters
gw_server tcp 7781 server-tcp --echo --ping-interval 200
stcp=$GW_LAST_PID
gw_bg "$NS_S" sink "$GAMESIM" sink --listen "$SERVER_IP:7790" --duration 20
sink=$GW_LAST_PID
gw_wait_listen tcp 7781
gw_wait_listen udp 7790
gw_client tcp 7781 client-tcp --flows 20 --ping-interval 200 --timeout 10000
ctcp=$GW_LAST_PID
gw_wait_tcp_flows 7781 20
sleep 2
# Two senders as fast as they go, 64-byte datagrams over 1000 flows.
gw_bg "$NS_C" flood1 "$GAMESIM" flood --connect "$SERVER_IP:7790" --flows 1000 \
	--size 64 --burst 64 --duration 4
f1=$GW_LAST_PID
gw_bg "$NS_C" flood2 "$GAMESIM" flood --connect "$SERVER_IP:7790" --flows 1000 \
	--size 64 --burst 64 --duration 4
f2=$GW_LAST_PID
for p in $f1 $f2; do
	gw_exit_status "$p" 15
	[ "$GW_RC" -eq 0 ] || gw_fail "a flood exited $GW_RC" "$GW_WORK/flood1.log"
done
sleep 3
gw_stop "$ctcp"
gw_stop "$stcp"
gw_stop "$sink"
sleep 1
counted=$(gw_rule_counter)
gw_stop_gapwatchd

stats=$(gw_records "$report" stats)
received=$(printf '%s\n' "$stats" | jq .queue_received)
unseen=$(printf '%s\n' "$stats" | jq .unseen)
expect=$((counted - received))
gw_log "rules counted $counted, gapwatchd received $received, unseen $unseen (counter - received = $expect)"
[ "$expect" -gt 0 ] || gw_fail "the flood never filled the queue: counter $counted, received $received" "$report"
gw_check "stats: unseen within 1 % of counter - received ($expect)" "$stats" \
	".signals.unseen and .unseen >= $expect * 0.99 and .unseen <= $expect * 1.01"
bad=$(jq -c 'select((.type == "gap" or .type == "gap_open") and .cause != "inspector_loss") |
	{id, cause, evidence}' "$report")
[ -z "$bad" ] || gw_fail "game gaps with a network cause: $bad" "$report"
clustered=$(jq -c 'select(.type == "gap" and .cluster != null) | .id' "$report")
[ -z "$clustered" ] || gw_fail "inspector_loss gaps reported as a cluster: $clustered" "$report"
blind=$(jq -s -c '[.[] | select(.type == "blind")]' "$report")
gw_log "blind records: $blind"
gw_check "blind records: the queue was full, missed within 1 % of unseen" "$blind" \
	"any(.[]; .reason == \"queue_full\") and
	 (map(.missed) | add) as \$m | \$m >= $unseen * 0.99 and \$m <= $unseen * 1.01"
for c in client-tcp; do
	gw_check "$c: no timeout (the players noticed nothing)" "$(cat "$GW_WORK/$c.json")" \
		'.timeouts == 0 and .reconnects == 0'
done
n=$(gw_count "$report" gap)
gw_pass "$n game gaps, all inspector_loss; unseen $unseen of $counted; $(printf '%s\n' "$blind" | jq length) blind intervals"
