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

SERVER_IP=198.18.4.2
NS_R1=${GW_PFX}r1
NS_R2=${GW_PFX}r2
NS_R3=${GW_PFX}r3
PORT=7781

probe_topology() {
	for _ns in "$NS_C" "$NS_R1" "$NS_R2" "$NS_R3" "$NS_S"; do
		ip netns add "$_ns" || gw_fail "cannot create namespace $_ns"
		GW_NETNS="$GW_NETNS $_ns"
		ip -n "$_ns" link set lo up
	done
	# link N joins the namespace before it (device vN) and the one after
	# it (device wN).
	_link() {
		ip -n "$2" link add "v$1" type veth peer name "w$1" netns "$3" ||
			gw_fail "cannot create link $1"
		ip -n "$2" link set "v$1" up
		ip -n "$3" link set "w$1" up
	}
	_link 1 "$NS_C" "$NS_R1"
	_link 2 "$NS_R1" "$NS_R2"
	_link 3 "$NS_R2" "$NS_R3"
	_link 4 "$NS_R3" "$NS_S"
	for _a in 2 3 4 5; do
		ip -n "$NS_C" addr add "198.18.1.$_a/24" dev v1
	done
	ip -n "$NS_R1" addr add 198.18.1.1/24 dev w1
	ip -n "$NS_R1" addr add 198.18.2.1/24 dev v2
	ip -n "$NS_R2" addr add 198.18.2.2/24 dev w2
	ip -n "$NS_R2" addr add 198.18.3.1/24 dev v3
	ip -n "$NS_R3" addr add 198.18.3.2/24 dev w3
	ip -n "$NS_R3" addr add 198.18.4.1/24 dev v4
	ip -n "$NS_S" addr add 198.18.4.2/24 dev w4
	for _ns in "$NS_R1" "$NS_R2" "$NS_R3"; do
		ip netns exec "$_ns" sysctl -qw net.ipv4.ip_forward=1
	done
	ip -n "$NS_C" route add default via 198.18.1.1
	ip -n "$NS_R1" route add default via 198.18.2.2
	ip -n "$NS_R2" route add 198.18.1.0/24 via 198.18.2.1
	ip -n "$NS_R2" route add 198.18.4.0/24 via 198.18.3.2
	ip -n "$NS_R3" route add default via 198.18.3.1
	ip -n "$NS_S" route add default via 198.18.4.1
	_n=0
	until gw_link_up "$NS_C" v1 && gw_link_up "$NS_R1" v2 &&
	    gw_link_up "$NS_R2" v3 && gw_link_up "$NS_R3" v4 &&
	    gw_link_up "$NS_S" w4; do
		_n=$((_n + 1))
		[ "$_n" -lt 100 ] || gw_fail "the veth links did not come up in 5 s"
		sleep 0.05
	done
	gw_log "ICMP rate limit at the routers: $(ip netns exec "$NS_R2" sysctl -n net.ipv4.icmp_ratelimit) ms, mask $(ip netns exec "$NS_R2" sysctl -n net.ipv4.icmp_ratemask)"
}

# drop NS TABLE CHAIN CLIENT_ADDR CLIENT_PORT: drop that 5-tuple only, both ways.
drop_tuple() {
	printf '*%s\n-I %s -p tcp -s %s --sport %s -d %s --dport %s -j DROP\n-I %s -p tcp -s %s --sport %s -d %s --dport %s -j DROP\nCOMMIT\n' \
		"$2" "$3" "$4" "$5" "$SERVER_IP" "$PORT" "$3" "$SERVER_IP" "$PORT" "$4" "$5" |
		ip netns exec "$1" iptables-restore --noflush || gw_fail "cannot install the drop in $1"
}

# client_port ADDR: the local port of the client's connection from ADDR.
client_port() {
	_n=0
	while :; do
		_p=$(nsc ss -Htn state established "( dport = :$PORT )" |
			awk -v a="$1" '{ split($3, x, ":"); if (x[1] == a) print x[2] }' | head -n1)
		[ -n "$_p" ] && { echo "$_p"; return; }
		_n=$((_n + 1))
		[ "$_n" -lt 100 ] || gw_fail "no connection from $1"
		sleep 0.05
	done
}

# wait_probe CLIENT: the probe record of that client endpoint (10 s).
wait_probe() {
	_n=0
	while :; do
		_r=$(jq -c --arg c "$1" 'select(.type == "probe" and .client == $c)' \
			"$GW_WORK/gaps.jsonl" 2>/dev/null | head -n1)
		[ -n "$_r" ] && { echo "$_r"; return; }
		_n=$((_n + 1))
		[ "$_n" -lt 200 ] || gw_fail "no probe record for $1 within 10 s" \
			"$GW_WORK/gaps.jsonl" "$GW_WORK/gapwatchd.log"
		sleep 0.05
	done
}

# scenario NAME ADDR NS TABLE CHAIN: a flow from ADDR, learned for 2.5 s,
# then dropped at NS; prints the probe record.
scenario() {
	gw_client tcp "$PORT" "client-$1" --bind "$2" --ping-interval 200 --timeout 60000
	_port=$(client_port "$2")
	sleep 2.5
	drop_tuple "$3" "$4" "$5" "$2" "$_port"
	gw_log "$1: $3 drops $2:$_port <-> $SERVER_IP:$PORT in $4/$5"
	wait_probe "$2:$_port"
}

probe_topology
# Count what leaves the server with a probe's marks (for t-probe-off's
# method: here it must be > 0).
nss iptables -t mangle -A POSTROUTING -m mark --mark 0x08000000/0x08000000
gw_start_gapwatchd "$PORT" "$GW_WORK/gaps.jsonl" --gap-min 500 --probe
gw_rules "$PORT"
gw_server tcp "$PORT" server --echo --ping-interval 300
gw_wait_listen tcp "$PORT"

pa=$(scenario A 198.18.1.2 "$NS_R2" filter FORWARD)
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

pb=$(scenario B 198.18.1.3 "$NS_R1" filter FORWARD)
printf 'B (r1 FORWARD): %s\n' "$pb" >&2
gw_check "B: the answer moves to r1 at TTL 3" "$pb" \
	'.last_hop.addr == "198.18.2.1" and .last_hop.ttl == 3 and .client_reached == false'
gw_check "B: the control ladder reaches the client" "$pb" '.control_client_reached == true'

pc=$(scenario C 198.18.1.4 "$NS_R2" raw PREROUTING)
printf 'C (r2 raw PREROUTING): %s\n' "$pc" >&2
gw_check "C: r2 is silent, the last hop is r3 at TTL 1" "$pc" \
	'.last_hop.addr == "198.18.4.1" and .last_hop.ttl == 1 and .client_reached == false'
gw_check "C: the control ladder reaches the client" "$pc" '.control_client_reached == true'

# D: the client application stalls for 3 s; its TCP keeps acknowledging.
gw_client tcp "$PORT" client-D --bind 198.18.1.5 --ping-interval 200 \
	--timeout 60000 --pause-at 2500 --pause-for 3000
dport=$(client_port 198.18.1.5)
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
	 .probe.send_errors == 0 and .probe.skipped_cause >= 1 and .probe.icmp_matched > 0'
# The gaps of A, B and C were still open at exit: their closing records
# carry the probe.
for p in "$pa" "$pb" "$pc"; do
	id=$(printf '%s' "$p" | jq -r .id)
	g=$(jq -c --arg id "$id" 'select(.type == "gap" and .id == $id)' "$report")
	[ -n "$g" ] || gw_fail "no closing gap record for $id" "$report"
	gw_check "gap $id carries its probe" "$g" '.probe.last_hop == $p.last_hop' --argjson p "$p"
done
marked=$(nss iptables -t mangle -L POSTROUTING -v -n -x | awk '/MARK|mark/ { print $1; exit }')
[ "${marked:-0}" -gt 0 ] || gw_fail "no marked probe left the server (counter method broken)"
gw_log "marked probe packets that left the server: $marked"
for p in "$pa" "$pb" "$pc"; do
	printf '%s\n' "$p" | jq -c '{client, last_hop, control_last_hop, client_reached, control_client_reached, duration_ms, verdict}' >&2
done
gw_pass "A: r2 (TTL 2), B: r1 (TTL 3), C: r3 (TTL 1), D: no ladder"
