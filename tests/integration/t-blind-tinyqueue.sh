#!/bin/sh
# t-blind-tinyqueue - a queue of 8 packets (--queue-maxlen 8) and a UDP
# burst through it: what fail-open passed unseen is exactly the rules'
# counter minus what gapwatchd received.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/integration/lib.sh"

gw_init t-blind-tinyqueue
gw_need_root
gw_need_binaries
command -v nfacct >/dev/null || gw_fail "no nfacct tool (tools/install-deps)"
gw_topology
report=$GW_WORK/gaps.jsonl
gw_start_gapwatchd 7781 "$report" --queue-maxlen 8
gw_rules 7781
gw_bg "$NS_S" sink "$GAMESIM" sink --listen "$SERVER_IP:7781" --duration 10
sink=$GW_LAST_PID
gw_wait_listen udp 7781
# gapwatchd counts from its first reading of the counters: before the
# burst.
gw_wait_counters
gw_bg "$NS_C" flood "$GAMESIM" flood --connect "$SERVER_IP:7781" --flows 4 \
	--size 200 --rate 50000 --burst 64 --duration 2
gw_exit_status "$GW_LAST_PID" 10
[ "$GW_RC" -eq 0 ] || gw_fail "the flood exited $GW_RC" "$GW_WORK/flood.log"
sleep 1
counted=$(gw_rule_counter)
gw_stop_gapwatchd
gw_stop "$sink"

stats=$(gw_records "$report" stats)
received=$(printf '%s\n' "$stats" | jq .queue_received)
unseen=$(printf '%s\n' "$stats" | jq .unseen)
gw_log "rules counted $counted, gapwatchd received $received, unseen $unseen, id holes $(printf '%s\n' "$stats" | jq .id_holes)"
[ "$unseen" -gt 0 ] || gw_fail "nothing passed unseen: the burst did not fill the queue" "$report"
gw_check "stats: unseen == counter - received ($counted - $received)" "$stats" \
	".signals.unseen and .unseen == $counted - $received"
blind=$(jq -s -c '[.[] | select(.type == "blind")]' "$report")
missed=$(printf '%s\n' "$blind" | jq 'map(.missed) | add // 0')
gw_log "blind records: $blind"
gw_check "blind records: queue_full, missed $missed within 1 % of unseen $unseen" "$blind" \
	"any(.[]; .reason == \"queue_full\") and $missed >= $unseen * 0.99 and $missed <= $unseen * 1.01"
gw_pass "unseen $unseen == $counted - $received; blind intervals missed $missed"
