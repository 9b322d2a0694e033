# probe-lib.sh - a chain of routers for the hop locator tests.
#
# Sourced after lib.sh and gw_init. probe_chain N builds
#
#	client --- r1 --- r2 --- ... --- rN --- server
#
# link 1 joins the client (198.18.1.2-.9) and r1 (.1.1); link L (2..N+1)
# joins r(L-1) (198.18.L.1) and the next node (198.18.L.2, the server on
# link N+1). IPv6 has the same shape in 2001:2:0:L::/64 (RFC 5180's
# benchmarking range): 2001:2:0:L::1 and ::2. Every router forwards both
# families with the ICMP rate limits at their defaults. Hops count from
# the server: rN is TTL 1, r1 is TTL N, the client TTL N + 1.
#
# The caller sets PROBE_PORT (the game port) and PROBE_FAMILY (4 or 6)
# before calling the helpers below.

# probe_router I: router I's namespace.
probe_router() { echo "${GW_PFX}r$1"; }

# probe_addr L HOST: the address of HOST (1, 2, ...) on link L, in the
# family of the run.
probe_addr() {
	if [ "$PROBE_FAMILY" = 6 ]; then echo "2001:2:0:$1::$2"; else echo "198.18.$1.$2"; fi
}

probe_chain() {
	_n=$1
	PROBE_HOPS=$_n
	_nodes="$NS_C"
	_i=1
	while [ "$_i" -le "$_n" ]; do
		_nodes="$_nodes $(probe_router "$_i")"
		_i=$((_i + 1))
	done
	_nodes="$_nodes $NS_S"
	# shellcheck disable=SC2086
	gw_netns_add $_nodes
	for _ns in $_nodes; do
		# Addresses usable at once: no duplicate address detection.
		ip netns exec "$_ns" sysctl -qw net.ipv6.conf.default.accept_dad=0
	done
	# Link L: device vL in the node before it, wL in the node after.
	_prev=
	_l=0
	for _ns in $_nodes; do
		if [ -n "$_prev" ]; then
			ip -n "$_prev" link add "v$_l" type veth peer name "w$_l" netns "$_ns" ||
				gw_fail "cannot create link $_l"
			ip -n "$_prev" link set "v$_l" up
			ip -n "$_ns" link set "w$_l" up
		fi
		_prev=$_ns
		_l=$((_l + 1))
	done
	_last=$((_n + 1))
	for _h in 2 3 4 5 6 7 8 9; do
		ip -n "$NS_C" addr add "198.18.1.$_h/24" dev v1
		ip -n "$NS_C" addr add "2001:2:0:1::$_h/64" dev v1 nodad
	done
	ip -n "$NS_C" route add default via 198.18.1.1
	ip -n "$NS_C" -6 route add default via 2001:2:0:1::1
	_i=1
	while [ "$_i" -le "$_n" ]; do
		_r=$(probe_router "$_i")
		_in=$_i
		_out=$((_i + 1))
		# Toward the client the router is .1 on link 1, .2 beyond.
		_hin=2
		[ "$_in" -eq 1 ] && _hin=1
		ip -n "$_r" addr add "198.18.$_in.$_hin/24" dev "w$_in"
		ip -n "$_r" addr add "2001:2:0:$_in::$_hin/64" dev "w$_in" nodad
		ip -n "$_r" addr add "198.18.$_out.1/24" dev "v$_out"
		ip -n "$_r" addr add "2001:2:0:$_out::1/64" dev "v$_out" nodad
		ip netns exec "$_r" sysctl -qw net.ipv4.ip_forward=1
		ip netns exec "$_r" sysctl -qw net.ipv6.conf.all.forwarding=1
		if [ "$_i" -lt "$_n" ]; then
			ip -n "$_r" route add default via "198.18.$_out.2"
			ip -n "$_r" -6 route add default via "2001:2:0:$_out::2"
		fi
		if [ "$_i" -gt 1 ]; then
			ip -n "$_r" route add 198.18.1.0/24 via "198.18.$_in.1"
			ip -n "$_r" -6 route add 2001:2:0:1::/64 via "2001:2:0:$_in::1"
		fi
		_i=$((_i + 1))
	done
	ip -n "$NS_S" addr add "198.18.$_last.2/24" dev "w$_last"
	ip -n "$NS_S" addr add "2001:2:0:$_last::2/64" dev "w$_last" nodad
	ip -n "$NS_S" route add default via "198.18.$_last.1"
	ip -n "$NS_S" -6 route add default via "2001:2:0:$_last::1"
	PROBE_SERVER=$(probe_addr "$_last" 2)
	if [ "$PROBE_FAMILY" = 6 ]; then
		SERVER_IP="[$PROBE_SERVER]"
	else
		SERVER_IP=$PROBE_SERVER
	fi
	_l=1
	for _ns in $_nodes; do
		[ "$_ns" = "$NS_C" ] && continue
		gw_wait_link "$_ns" "w$_l"
		_l=$((_l + 1))
	done
	_r=$(probe_router 1)
	gw_log "$_n routers; ICMP rate limits: IPv4 $(ip netns exec "$_r" sysctl -n net.ipv4.icmp_ratelimit) ms (mask $(ip netns exec "$_r" sysctl -n net.ipv4.icmp_ratemask)), IPv6 $(ip netns exec "$_r" sysctl -n net.ipv6.icmp.ratelimit) ms"
}

# probe_drop NS TABLE CHAIN PROTO CLIENT_ADDR CLIENT_PORT: drop that
# 5-tuple only, both ways, in NS.
probe_drop() {
	_ipt=iptables
	[ "$PROBE_FAMILY" = 6 ] && _ipt=ip6tables
	printf '*%s\n-I %s -p %s -s %s --sport %s -d %s --dport %s -j DROP\n-I %s -p %s -s %s --sport %s -d %s --dport %s -j DROP\nCOMMIT\n' \
		"$2" "$3" "$4" "$5" "$6" "$PROBE_SERVER" "$PROBE_PORT" \
		"$3" "$4" "$PROBE_SERVER" "$PROBE_PORT" "$5" "$6" |
		ip netns exec "$1" "$_ipt-restore" --noflush ||
		gw_fail "cannot install the drop in $1"
}

# probe_client_port PROTO ADDR: the local port of the client's flow from
# ADDR to the game port (a connected UDP socket counts as established).
probe_client_port() {
	_f=-Htn
	[ "$1" = udp ] && _f=-Hun
	_w=0
	while :; do
		_p=$(nsc ss "$_f" state established "( dport = :$PROBE_PORT )" |
			awk -v a="$2" '{ n = split($3, x, ":"); ad = substr($3, 1, length($3) - length(x[n]) - 1);
				gsub(/[][]/, "", ad); if (ad == a) print x[n] }' | head -n1)
		[ -n "$_p" ] && { echo "$_p"; return; }
		_w=$((_w + 1))
		[ "$_w" -lt 100 ] || gw_fail "no $1 flow from $2"
		sleep 0.05
	done
}

# probe_endpoint ADDR PORT: as gapwatchd writes it ("a:p", "[a]:p").
probe_endpoint() {
	if [ "$PROBE_FAMILY" = 6 ]; then echo "[$1]:$2"; else echo "$1:$2"; fi
}

# probe_wait ENDPOINT: the probe record of that client endpoint (10 s).
probe_wait() {
	_w=0
	while :; do
		_r=$(jq -c --arg c "$1" 'select(.type == "probe" and .client == $c)' \
			"$GW_WORK/gaps.jsonl" 2>/dev/null | head -n1)
		[ -n "$_r" ] && { echo "$_r"; return; }
		_w=$((_w + 1))
		[ "$_w" -lt 200 ] || gw_fail "no probe record for $1 within 10 s" \
			"$GW_WORK/gaps.jsonl" "$GW_WORK/gapwatchd.log"
		sleep 0.05
	done
}

# probe_scenario NAME PROTO ADDR NS TABLE CHAIN: a game flow from ADDR,
# learned for 2.5 s, then dropped at NS; prints its probe record.
probe_scenario() {
	gw_client "$2" "$PROBE_PORT" "client-$1" --bind "$3" --ping-interval 200 \
		--timeout 60000
	_port=$(probe_client_port "$2" "$3")
	sleep 2.5
	probe_drop "$4" "$5" "$6" "$2" "$3" "$_port"
	gw_log "$1: $4 drops $2 $3 port $_port <-> $PROBE_SERVER port $PROBE_PORT in $5/$6"
	probe_wait "$(probe_endpoint "$3" "$_port")"
}

# probe_check_closing REPORT PROBE...: each probe's gap, closed at exit,
# carries the same probe object.
probe_check_closing() {
	_rep=$1
	shift
	for _pr in "$@"; do
		_id=$(printf '%s' "$_pr" | jq -r .id)
		_g=$(jq -c --arg id "$_id" 'select(.type == "gap" and .id == $id)' "$_rep")
		[ -n "$_g" ] || gw_fail "no closing gap record for $_id" "$_rep"
		gw_check "gap $_id carries its probe" "$_g" \
			'.probe.last_hop == $p.last_hop' --argjson p "$_pr"
	done
}
