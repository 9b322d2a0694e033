#!/bin/sh
# t-probe - the hop locator on a chain of routers:
#
#	client --- r1 --- r2 --- r3 --- server
#	.1.2  .1.1 .2.1 .2.2 .3.1 .3.2 .4.1 .4.2     (198.18.x.y/24)
#
# Each router forwards with icmp_ratelimit at its default. One gapwatchd
# --probe in the server namespace watches TCP game flows from four client
# addresses, one scenario each:
#   A  r2 drops the flow's 5-tuple in FORWARD: the flow's ladder ends at
#      r2 (TTL 2, 198.18.3.1: a router answers an expiring packet before
#      its FORWARD chain runs), the control ladder reaches the client.
#   B  the same drop at r1: the answer moves to r1 (TTL 3, 198.18.2.1).
#   C  r2 drops in raw PREROUTING (before routing): r2 itself is silent,
#      the flow's ladder ends at r3 (TTL 1, 198.18.4.1).
#   D  a client application stall (gamesim --pause): client_app_stall,
#      and no ladder runs.
# Every ladder must finish within 3 s; the gap's closing record carries
# the same probe object.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/integration/lib.sh"

gw_init t-probe
gw_need_root
gw_need_binaries

. "$top/tests/integration/probe-lib.sh"
PROBE_PORT=7781
PROBE_FAMILY=4
PORT=$PROBE_PORT

probe_chain 3
NS_R1=$(probe_router 1)
NS_R2=$(probe_router 2)
# Count what leaves the server with a probe's marks (for t-probe-off's
# method: here it must be > 0).
nss iptables -t mangle -A POSTROUTING -m mark --mark 0x08000000/0x08000000
gw_start_gapwatchd "$PORT" "$GW_WORK/gaps.jsonl" --gap-min 500 --probe
gw_rules "$PORT"
gw_server tcp "$PORT" server --echo --ping-interval 300
gw_wait_listen tcp "$PORT"

pa=$(probe_scenario A tcp 198.18.1.2 "$NS_R2" filter FORWARD)
printf 'A (r2 FORWARD): %s\n' "$pa" >&2
gw_check "A: the flow's last hop is r2 at TTL 2" "$pa" \
	'.last_hop.addr == "198.18.3.1" and .last_hop.ttl == 2'
gw_check "A: the flow's probes do not reach the client" "$pa" '.client_reached == false'
gw_check "A: the control ladder passes r2 and reaches the client" "$pa" \
	'.control_client_reached == true and .control_last_hop.ttl > .last_hop.ttl'
gw_check "A: the hops are r3, r2 on both ladders" "$pa" \
	'.flow[0].responder == "198.18.4.1" and .flow[1].responder == "198.18.3.1" and
	 .control[0].responder == "198.18.4.1" and .control[1].responder == "198.18.3.1" and
	 .control[2].responder == "198.18.2.1"'
gw_check "A: verdict" "$pa" '.verdict | startswith("this flow'"'"'s packets are dropped after hop 2 (198.18.3.1); a fresh flow passes")'
gw_check "A: done within 3 s" "$pa" '.duration_ms < 3000'

pb=$(probe_scenario B tcp 198.18.1.3 "$NS_R1" filter FORWARD)
printf 'B (r1 FORWARD): %s\n' "$pb" >&2
gw_check "B: the answer moves to r1 at TTL 3" "$pb" \
	'.last_hop.addr == "198.18.2.1" and .last_hop.ttl == 3 and .client_reached == false'
gw_check "B: verdict: the last router before the client" "$pb" \
	'.verdict | startswith("this flow'"'"'s packets are dropped after hop 3 (198.18.2.1), the last router before the client")'
gw_check "B: the control ladder reaches the client" "$pb" '.control_client_reached == true'

pc=$(probe_scenario C tcp 198.18.1.4 "$NS_R2" raw PREROUTING)
printf 'C (r2 raw PREROUTING): %s\n' "$pc" >&2
gw_check "C: r2 is silent, the last hop is r3 at TTL 1" "$pc" \
	'.last_hop.addr == "198.18.4.1" and .last_hop.ttl == 1 and .client_reached == false'
gw_check "C: the control ladder reaches the client" "$pc" '.control_client_reached == true'

# D: the client application stalls for 3 s; its TCP keeps acknowledging.
gw_client tcp "$PORT" client-D --bind 198.18.1.5 --ping-interval 200 \
	--timeout 60000 --pause-at 2500 --pause-for 3000
dport=$(probe_client_port tcp 198.18.1.5)
sleep 6.5

gw_stop_gapwatchd
report=$GW_WORK/gaps.jsonl
d_open=$(jq -c --arg c "198.18.1.5:$dport" 'select(.type == "gap_open" and .client == $c)' "$report")
[ -n "$d_open" ] || gw_fail "D: no gap_open for the stalled client" "$report"
gw_check "D: the stall is client_app_stall" "$d_open" '.cause == "client_app_stall"'
[ "$(jq -c --arg c "198.18.1.5:$dport" 'select(.type == "probe" and .client == $c)' "$report" | wc -l)" -eq 0 ] ||
	gw_fail "D: a ladder ran for an application stall" "$report"
stats=$(gw_records "$report" stats | tail -n1)
gw_check "stats: 3 ladders, no send errors, stalls skipped" "$stats" \
	'.probe.ladders_started == 3 and .probe.ladders_done == 3 and
	 .probe.send_errors == 0 and .probe.recv_errors == 0 and .probe.skipped_cause >= 1 and
	 .probe.icmp_matched > 0'
# The gaps of A, B and C were still open at exit: their closing records
# carry the probe.
probe_check_closing "$report" "$pa" "$pb" "$pc"
marked=$(nss iptables -t mangle -L POSTROUTING -v -n -x | awk '/MARK|mark/ { print $1; exit }')
[ "${marked:-0}" -gt 0 ] || gw_fail "no marked probe left the server (counter method broken)"
gw_log "marked probe packets that left the server: $marked"
# gapwatch show prints A's ladders as a traceroute table.
ida=$(printf '%s' "$pa" | jq -r .id)
"$GW_BUILD/gapwatch" show "$ida" "$report" >"$GW_WORK/show.txt" ||
	gw_fail "gapwatch show $ida failed" "$GW_WORK/show.txt"
grep -q '^probe (TTL ladder on the same 5-tuple):' "$GW_WORK/show.txt" &&
	grep -Eq '^ +2  198\.18\.3\.1 +[0-9.]+ ms$' "$GW_WORK/show.txt" &&
	grep -Eq '^ +3  \*$' "$GW_WORK/show.txt" &&
	grep -Eq '^ +4  198\.18\.1\.2 +[0-9.]+ ms  \(client\)$' "$GW_WORK/show.txt" ||
	gw_fail "gapwatch show does not print A's ladders" "$GW_WORK/show.txt"
for p in "$pa" "$pb" "$pc"; do
	printf '%s\n' "$p" | jq -c '{client, last_hop, control_last_hop, client_reached, control_client_reached, duration_ms, verdict}' >&2
done
gw_pass "A: r2 (TTL 2), B: r1 (TTL 3), C: r3 (TTL 1), D: no ladder"
