#!/bin/sh
# t-blind-sigstop - gapwatchd frozen (SIGSTOP) for 3 s under 20 healthy
# TCP game flows (5 messages/s each), then thawed: its small queue
# (--queue-maxlen 16) fills, fail-open passes the rest unseen. No gap may
# have a network cause (each is inspector_loss, or there is none), none
# may be in a cluster (a network event), the unseen count must be within
# 1 % of the rules' counter minus received, and the blind records (one
# "stalled" among them, covering the 3 s) must say as many missed.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/integration/lib.sh"

gw_init t-blind-sigstop
gw_need_root
gw_need_binaries
command -v nfacct >/dev/null || gw_fail "no nfacct tool (tools/install-deps)"
gw_topology
report=$GW_WORK/gaps.jsonl
gw_start_gapwatchd 7781 "$report" --gap-min 500 --queue-maxlen 16
gw_rules 7781
gw_wait_counters
gw_server tcp 7781 server-tcp --echo --ping-interval 200
stcp=$GW_LAST_PID
gw_wait_listen tcp 7781
gw_client tcp 7781 client-tcp --flows 20 --ping-interval 200 --timeout 10000
ctcp=$GW_LAST_PID
gw_wait_tcp_flows 7781 20
sleep 3
kill -STOP "$GAPWATCHD_PID"
sleep 3
kill -CONT "$GAPWATCHD_PID"
sleep 5
# Traffic ends first, so that the counter stands still when it is read.
gw_stop "$ctcp"
gw_stop "$stcp"
sleep 1
counted=$(gw_rule_counter)
gw_stop_gapwatchd

stats=$(gw_records "$report" stats)
received=$(printf '%s\n' "$stats" | jq .queue_received)
unseen=$(printf '%s\n' "$stats" | jq .unseen)
expect=$((counted - received))
gw_log "rules counted $counted, gapwatchd received $received, unseen $unseen (counter - received = $expect)"
gw_check "stats: the unseen signal is on, a stall was seen" "$stats" \
	'.signals.unseen and .stalls >= 1 and .stall_max_ms >= 2500'
[ "$expect" -gt 0 ] || gw_fail "the queue never filled: counter $counted, received $received"
gw_check "stats: unseen within 1 % of counter - received ($expect)" "$stats" \
	".unseen >= $expect * 0.99 and .unseen <= $expect * 1.01"
bad=$(jq -c 'select((.type == "gap" or .type == "gap_open") and .cause != "inspector_loss") |
	{cause, evidence}' "$report")
[ -z "$bad" ] || gw_fail "gaps with another cause than inspector_loss: $bad" "$report"
clustered=$(jq -c 'select(.type == "gap" and .cluster != null) | .id' "$report")
[ -z "$clustered" ] || gw_fail "inspector_loss gaps reported as a cluster: $clustered" "$report"
blind=$(jq -s -c '[.[] | select(.type == "blind")]' "$report")
gw_log "blind records: $blind"
gw_check "a stalled blind interval of about 3 s" "$blind" \
	'any(.[]; .reason == "stalled" and .duration_ms >= 2500 and .stalls == 1)'
gw_check "blind records: missed within 1 % of counter - received ($expect)" "$blind" \
	"(map(.missed) | add) as \$m | \$m >= $expect * 0.99 and \$m <= $expect * 1.01"
gw_check "stats: the blind intervals counted" "$stats" \
	".blind_intervals == $(printf '%s\n' "$blind" | jq length) and .blind_missed == $(printf '%s\n' "$blind" | jq 'map(.missed) | add')"
n=$(jq -s '[.[] | select(.type == "gap")] | length' "$report")
jq -r 'select(.type == "gap") | .evidence' "$report" | head -n 1 >&2
gw_pass "$n gaps, all inspector_loss; unseen $unseen, counter - received $expect"
