#!/bin/sh
# t-probe-off - without --probe gapwatchd sends nothing: the TCP
# black-hole scenario (a path_loss_to_server gap, the kind a ladder is
# for) while counters in the server's mangle POSTROUTING count what a
# probe would look like leaving the server: the probe mark, a TTL below
# 64 (every probe's), and the control ladder's source port.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/integration/lib.sh"

gw_init t-probe-off
gw_need_root
gw_need_binaries
gw_topology
nss iptables -t mangle -A POSTROUTING -m mark --mark 0x08000000/0x08000000
nss iptables -t mangle -A POSTROUTING -m ttl --ttl-lt 64
nss iptables -t mangle -A POSTROUTING -p tcp --sport 7782
gw_start_gapwatchd 7781 "$GW_WORK/gaps.jsonl" --gap-min 500
gw_rules 7781
gw_server tcp 7781 server --echo --ping-interval 300
gw_wait_listen tcp 7781
gw_client tcp 7781 client --ping-interval 200 --timeout 60000
gw_wait_tcp_flows 7781 1
port=$(gw_client_ports 7781)
sleep 2.5
gw_blackhole_port tcp "$port"
sleep 3
gw_stop_gapwatchd
report=$GW_WORK/gaps.jsonl
open=$(jq -c 'select(.type == "gap_open")' "$report" | head -n1)
[ -n "$open" ] || gw_fail "no gap opened" "$report"
gw_check "the gap is one a ladder would be for" "$open" '.cause == "path_loss_to_server"'
[ "$(gw_count "$report" probe)" -eq 0 ] || gw_fail "probe records without --probe" "$report"
gw_check "stats: probe is null" "$(gw_records "$report" stats | tail -n1)" '.probe == null'
counts=$(nss iptables -t mangle -L POSTROUTING -v -n -x | awk 'NR > 2 { printf "%s ", $1 }')
gw_log "packets leaving the server: marked, TTL < 64, from port 7782: $counts"
[ "$counts" = "0 0 0 " ] || gw_fail "probe-like packets left the server: $counts"
gw_pass "nothing sent ($counts)"
