# lib.sh - shared shell for the integration tests (and tools/lab).
#
# Sourced, not run. The caller sets "top" (the source tree) first:
#
#	top=$(cd "$(dirname "$0")/../.." && pwd)
#	. "$top/tests/integration/lib.sh"
#	gw_init t-example
#	gw_topology
#
# Topology, three network namespaces named after this shell's pid so that
# parallel runs never collide (nothing is done in the caller's namespace):
#
#	client ------------- middlebox ------------- server
#	198.18.1.2/24  198.18.1.1/24  198.18.2.1/24  198.18.2.2/24
#	eth0 (ns C)        c0 (ns M) s0              eth0 (ns S)
#
# gapwatchd, its NFQUEUE rules and the game servers run in the server
# namespace; losses are made by DROP rules in the middlebox's FORWARD chain.
# Everything started here is recorded and killed, and the namespaces are
# deleted, by the EXIT trap that gw_init installs.
#
# POSIX sh; the caller runs with set -eu.

set -eu

: "${top:?lib.sh: set top to the source tree before sourcing}"

GW_BUILD=${GW_BUILD:-$top/build}
GAPWATCHD=$GW_BUILD/gapwatchd
GAPWATCH=$GW_BUILD/gapwatch
GAMESIM=$GW_BUILD/rigs/gamesim
RULES=$top/rules/gapwatch-rules

CLIENT_IP=198.18.1.2
MBOX_C_IP=198.18.1.1
MBOX_S_IP=198.18.2.1
SERVER_IP=198.18.2.2

# jq helper: RFC 3339 with a fraction ("...T12:00:01.250000Z") to epoch
# seconds with the fraction (fromdateiso8601 takes no fraction itself).
JQ_DEFS='def epoch: if . == null then null else
	capture("^(?<s>[^.Z]+)(?<f>\\.[0-9]+)?Z$") |
	(.s + "Z" | fromdateiso8601) + (("0" + (.f // "")) | tonumber) end;'

GW_NAME=
GW_WORK=
GW_PIDS=
GW_NETNS=
GW_STATUS=1	# until gw_pass says otherwise

# ---- messages ----

gw_log() { echo "$GW_NAME: $*" >&2; }

# gw_fail MESSAGE [FILE...]: say which assertion failed, show the evidence
# (the files, e.g. the gap records), exit 1.
gw_fail() {
	_msg=$1
	shift
	echo "FAIL: $GW_NAME: $_msg" >&2
	for _f in "$@"; do
		[ -e "$_f" ] || continue
		echo "--- $_f" >&2
		cat "$_f" >&2
	done
	GW_STATUS=1
	exit 1
}

gw_pass() {
	GW_STATUS=0
	echo "PASS: $GW_NAME${1:+: $1}"
	exit 0
}

# ---- set-up and clean-up ----

gw_need_root() {
	[ "$(id -u)" -eq 0 ] || gw_fail "needs root (network namespaces, iptables)"
}

gw_need_binaries() {
	for b in "$GAPWATCHD" "$GAMESIM"; do
		[ -x "$b" ] || gw_fail "$b is missing: run tools/build first"
	done
	command -v jq >/dev/null 2>&1 || gw_fail "jq is missing (tools/install-deps)"
}

# gw_init NAME [WORKDIR]: name the run, make a work directory, install the
# clean-up trap. WORKDIR (kept afterwards) defaults to a temporary one,
# removed on success and kept for inspection on failure.
gw_init() {
	GW_NAME=$1
	GW_PFX=gw$$
	NS_C=${GW_PFX}c
	NS_M=${GW_PFX}m
	NS_S=${GW_PFX}s
	if [ -n "${2:-}" ]; then
		GW_WORK=$2
		GW_KEEP_WORK=1
		mkdir -p "$GW_WORK"
	else
		GW_WORK=$(mktemp -d "${TMPDIR:-/tmp}/$GW_NAME.XXXXXX")
		GW_KEEP_WORK=${GW_KEEP:-0}
	fi
	trap gw_cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
}

gw_cleanup() {
	_rc=$?
	set +e
	# A script that ends without gw_pass has not passed.
	[ "$_rc" -ne 0 ] && GW_STATUS=1
	[ "$GW_STATUS" -ne 0 ] && [ "$_rc" -eq 0 ] && _rc=1
	trap - EXIT INT TERM
	# Our own processes first (gentle, so that they can write their
	# stats), then anything still left in our namespaces.
	for _p in $GW_PIDS; do
		kill -TERM "$_p" 2>/dev/null
	done
	for _p in $GW_PIDS; do
		gw_wait_pid "$_p" 3 || kill -KILL "$_p" 2>/dev/null
	done
	for _ns in $GW_NETNS; do
		for _p in $(ip netns pids "$_ns" 2>/dev/null); do
			kill -KILL "$_p" 2>/dev/null
		done
	done
	for _ns in $GW_NETNS; do
		ip netns del "$_ns" 2>/dev/null
	done
	if [ "$GW_STATUS" -ne 0 ] && [ -n "$GW_WORK" ] && [ "$GW_KEEP_WORK" != 1 ]; then
		echo "$GW_NAME: files kept in $GW_WORK" >&2
	elif [ -n "$GW_WORK" ] && [ "$GW_KEEP_WORK" != 1 ]; then
		rm -rf "$GW_WORK"
	fi
	exit "$_rc"
}

# gw_wait_pid PID SECONDS: wait for a process to end; 1 if it did not.
# Works for processes that are not our children too.
gw_wait_pid() {
	_n=0
	while kill -0 "$1" 2>/dev/null; do
		# A zombie child counts as ended; wait reaps it.
		if [ "$(ps -o stat= -p "$1" 2>/dev/null | cut -c1)" = Z ]; then
			break
		fi
		_n=$((_n + 1))
		[ "$_n" -gt $(($2 * 20)) ] && return 1
		sleep 0.05
	done
	wait "$1" 2>/dev/null || true
	return 0
}

# gw_exit_status PID SECONDS: wait (bounded) for a child we started to
# end; its exit status is in $GW_RC. Fails if it does not end in time.
gw_exit_status() {
	_n=0
	while kill -0 "$1" 2>/dev/null &&
	      [ "$(ps -o stat= -p "$1" 2>/dev/null | cut -c1)" != Z ]; do
		_n=$((_n + 1))
		[ "$_n" -le $(($2 * 20)) ] || gw_fail "pid $1 did not end within $2 s"
		sleep 0.05
	done
	GW_RC=0
	wait "$1" || GW_RC=$?
}

# gw_stop PID [SIGNAL] [SECONDS]: signal a process we started and wait for
# it (default TERM, 5 s); KILL if it does not end. 1 if it had to be killed.
gw_stop() {
	kill -"${2:-TERM}" "$1" 2>/dev/null || return 0
	gw_wait_pid "$1" "${3:-5}" && return 0
	kill -KILL "$1" 2>/dev/null
	gw_wait_pid "$1" 2
	return 1
}

# ---- topology ----

nsc() { ip netns exec "$NS_C" "$@"; }
nsm() { ip netns exec "$NS_M" "$@"; }
nss() { ip netns exec "$NS_S" "$@"; }

# gw_netns_add NS...: create the namespaces (the clean-up deletes them),
# loopback up.
gw_netns_add() {
	for _ns in "$@"; do
		ip netns add "$_ns" || gw_fail "cannot create namespace $_ns"
		GW_NETNS="$GW_NETNS $_ns"
		ip -n "$_ns" link set lo up
	done
}

# gw_wait_link NS DEV: wait (5 s) for DEV's carrier: veth comes up
# asynchronously.
gw_wait_link() {
	_w=0
	until gw_link_up "$1" "$2"; do
		_w=$((_w + 1))
		[ "$_w" -lt 100 ] || gw_fail "link $2 in $1 did not come up in 5 s"
		sleep 0.05
	done
}

gw_topology() {
	gw_netns_add "$NS_C" "$NS_M" "$NS_S"
	# The veth pairs are created inside the namespaces: no interface ever
	# appears in the caller's namespace.
	ip -n "$NS_C" link add eth0 type veth peer name c0 netns "$NS_M" ||
		gw_fail "cannot create the client veth pair"
	ip -n "$NS_S" link add eth0 type veth peer name s0 netns "$NS_M" ||
		gw_fail "cannot create the server veth pair"
	ip -n "$NS_C" addr add "$CLIENT_IP/24" dev eth0
	ip -n "$NS_M" addr add "$MBOX_C_IP/24" dev c0
	ip -n "$NS_M" addr add "$MBOX_S_IP/24" dev s0
	ip -n "$NS_S" addr add "$SERVER_IP/24" dev eth0
	ip -n "$NS_C" link set eth0 up
	ip -n "$NS_M" link set c0 up
	ip -n "$NS_M" link set s0 up
	ip -n "$NS_S" link set eth0 up
	ip -n "$NS_C" route add 198.18.2.0/24 via "$MBOX_C_IP"
	ip -n "$NS_S" route add 198.18.1.0/24 via "$MBOX_S_IP"
	nsm sysctl -qw net.ipv4.ip_forward=1
	gw_wait_link "$NS_C" eth0
	gw_wait_link "$NS_M" c0
	gw_wait_link "$NS_M" s0
	gw_wait_link "$NS_S" eth0
}

# gw_link_up NS DEV: has DEV carrier? (Quiet: listing a link resolves
# its peer's netns name, which races with namespaces other runs delete.)
gw_link_up() {
	ip -n "$1" -o link show dev "$2" 2>/dev/null | grep -q 'state UP'
}

# ---- processes ----

# gw_bg NS NAME CMD...: run CMD in namespace NS in the background, output
# to $GW_WORK/NAME.log; the pid is in $GW_LAST_PID and recorded for the
# clean-up. ip netns exec execs CMD, so the pid is CMD's own.
gw_bg() {
	_ns=$1
	_name=$2
	shift 2
	ip netns exec "$_ns" "$@" >"$GW_WORK/$_name.log" 2>&1 &
	GW_LAST_PID=$!
	GW_PIDS="$GW_PIDS $GW_LAST_PID"
}

# gw_alive PID NAME: fail if the process has ended already.
gw_alive() {
	kill -0 "$1" 2>/dev/null && [ "$(ps -o stat= -p "$1" | cut -c1)" != Z ] ||
		gw_fail "$2 (pid $1) is not running" "$GW_WORK/$2.log"
}

# gw_queue_bound NS QUEUE: is some process bound to QUEUE in namespace NS?
# /proc/net/netfilter/nfnetlink_queue: queue_num portid ...
gw_queue_bound() {
	ip netns exec "$1" cat /proc/net/netfilter/nfnetlink_queue 2>/dev/null |
		awk -v q="$2" '$1 == q && $2 != 0 { found = 1 } END { exit !found }'
}

# gw_priv_options: gapwatchd's privilege options, in $GW_PRIV_OPTS, from
# two opt-ins: GW_PRIVDROP=1 drops to the default user (gapwatch) after
# set-up as a deployed gapwatchd does (the work directory, where the
# report and pcap files go, becomes that user's); GW_SECCOMP=1 adds
# --seccomp. Without GW_PRIVDROP: --user root, every privilege kept.
gw_priv_options() {
	GW_PRIV_OPTS="--user root"
	if [ "${GW_PRIVDROP:-0}" = 1 ]; then
		id gapwatch >/dev/null 2>&1 ||
			gw_fail "GW_PRIVDROP=1: no user gapwatch (make install or tools/install-deps creates it)"
		chown gapwatch: "$GW_WORK" || gw_fail "cannot give $GW_WORK to gapwatch"
		GW_PRIV_OPTS=
	fi
	if [ "${GW_SECCOMP:-0}" = 1 ]; then
		GW_PRIV_OPTS="$GW_PRIV_OPTS --seccomp"
	fi
}

# gw_start_gapwatchd PORTS OUTFILE [OPTION...]: start gapwatchd in the
# server namespace on queue 0 (privileges as gw_priv_options says) and
# wait until the queue is bound. The pid is in $GAPWATCHD_PID, its stderr
# in $GW_WORK/gapwatchd.log.
gw_start_gapwatchd() {
	_ports=$1
	_out=$2
	shift 2
	gw_priv_options
	# shellcheck disable=SC2086 # a list of options
	gw_bg "$NS_S" gapwatchd "$GAPWATCHD" -f -q 0 -p "$_ports" -o "$_out" \
		--stats-interval 0 $GW_PRIV_OPTS "$@"
	GAPWATCHD_PID=$GW_LAST_PID
	_n=0
	until gw_queue_bound "$NS_S" 0; do
		kill -0 "$GAPWATCHD_PID" 2>/dev/null ||
			gw_fail "gapwatchd exited at start-up" "$GW_WORK/gapwatchd.log"
		_n=$((_n + 1))
		[ "$_n" -lt 100 ] ||
			gw_fail "gapwatchd did not bind queue 0 within 5 s" "$GW_WORK/gapwatchd.log"
		sleep 0.05
	done
}

# gw_stop_gapwatchd: SIGTERM; it must flush and exit 0 within 5 s.
gw_stop_gapwatchd() {
	kill -TERM "$GAPWATCHD_PID" 2>/dev/null ||
		gw_fail "gapwatchd (pid $GAPWATCHD_PID) was gone before SIGTERM" "$GW_WORK/gapwatchd.log"
	gw_exit_status "$GAPWATCHD_PID" 5
	[ "$GW_RC" -eq 0 ] ||
		gw_fail "gapwatchd exited $GW_RC on SIGTERM (expected 0)" "$GW_WORK/gapwatchd.log"
}

# gw_rules PORTS: install gapwatch's NFQUEUE rules in the server namespace.
gw_rules() {
	nss "$RULES" install --ports "$1" --queue 0 ||
		gw_fail "gapwatch-rules install failed"
}

# gw_rule_counter: what the rules sent to queue 0 (both directions), as
# the nfacct objects of gapwatch-rules count it.
gw_rule_counter() {
	nss nfacct list | awk '
		/ = gapwatch-q0-(in|out);$/ { sub(/,/, "", $4); n += $4 }
		END { print n + 0 }'
}

# gw_wait_counters: wait (5 s) until gapwatchd has read the rules'
# counters once: from then on what passes its queue unseen is counted.
gw_wait_counters() {
	_n=0
	until grep -q "the rules' counters are read" "$GW_WORK/gapwatchd.log"; do
		_n=$((_n + 1))
		[ "$_n" -lt 100 ] || gw_fail "gapwatchd did not read the rules' counters within 5 s" "$GW_WORK/gapwatchd.log"
		sleep 0.05
	done
}

# gw_server PROTO PORT NAME [OPTION...]: a gamesim server in the server
# namespace, stats to $GW_WORK/NAME.json; pid in $GW_LAST_PID.
gw_server() {
	_proto=$1
	_port=$2
	_name=$3
	shift 3
	gw_bg "$NS_S" "$_name" "$GAMESIM" server --proto "$_proto" \
		--listen "$SERVER_IP:$_port" --stats "$GW_WORK/$_name.json" "$@"
}

# gw_client PROTO PORT NAME [OPTION...]: a gamesim client in the client
# namespace, stats to $GW_WORK/NAME.json; pid in $GW_LAST_PID.
gw_client() {
	_proto=$1
	_port=$2
	_name=$3
	shift 3
	gw_bg "$NS_C" "$_name" "$GAMESIM" client --proto "$_proto" \
		--connect "$SERVER_IP:$_port" --stats "$GW_WORK/$_name.json" "$@"
}

# gw_wait_listen PROTO PORT: wait until the server namespace listens.
gw_wait_listen() {
	_flag=-tln
	[ "$1" = udp ] && _flag=-uln
	_n=0
	until nss ss -H "$_flag" "sport = :$2" | grep -q .; do
		_n=$((_n + 1))
		[ "$_n" -lt 100 ] || gw_fail "nothing listens on $1 port $2 after 5 s"
		sleep 0.05
	done
}

# gw_client_ports PORT: the local ports of the client's established TCP
# connections to the server's PORT, one a line, sorted.
gw_client_ports() {
	nsc ss -Htn state established "( dport = :$1 )" |
		awk '{ n = split($3, a, ":"); print a[n] }' | sort -n
}

# gw_wait_tcp_flows PORT N: wait (5 s) until the client has N connections.
gw_wait_tcp_flows() {
	_n=0
	until [ "$(gw_client_ports "$1" | wc -l)" -ge "$2" ]; do
		_n=$((_n + 1))
		[ "$_n" -lt 100 ] || gw_fail "the client has fewer than $2 TCP connections to port $1 after 5 s"
		sleep 0.05
	done
}

# ---- losses at the middlebox ----

# gw_blackhole_port PROTO CPORT: drop the client's flow from port CPORT,
# both directions, in one atomic step. $GW_DROP_T0/$GW_DROP_T1 are the
# times (epoch seconds with fraction) just before and just after.
gw_blackhole_port() {
	GW_DROP_T0=$(date +%s.%N)
	printf '*filter\n-I FORWARD -s %s -p %s --sport %s -j DROP\n-I FORWARD -d %s -p %s --dport %s -j DROP\nCOMMIT\n' \
		"$CLIENT_IP" "$1" "$2" "$CLIENT_IP" "$1" "$2" |
		nsm iptables-restore --noflush || gw_fail "cannot install the DROP rules"
	GW_DROP_T1=$(date +%s.%N)
}

# gw_blackhole_host: drop all of the client's traffic, both directions.
gw_blackhole_host() {
	GW_DROP_T0=$(date +%s.%N)
	printf '*filter\n-I FORWARD -s %s -j DROP\n-I FORWARD -d %s -j DROP\nCOMMIT\n' \
		"$CLIENT_IP" "$CLIENT_IP" |
		nsm iptables-restore --noflush || gw_fail "cannot install the DROP rules"
	GW_DROP_T1=$(date +%s.%N)
}

# gw_unblackhole: take every DROP rule away again.
gw_unblackhole() {
	nsm iptables -F FORWARD
}

# ---- assertions ----

# gw_records FILE TYPE: the records of one type, one a line.
gw_records() {
	jq -c --arg t "$2" 'select(.type == $t)' "$1"
}

# gw_count FILE TYPE: how many records of that type.
gw_count() {
	jq -s --arg t "$2" '[.[] | select(.type == $t)] | length' "$1"
}

# gw_check DESCRIPTION JSON JQ-EXPRESSION [--arg ...]: fail unless the
# expression is true for JSON (a string); the failure shows the JSON.
gw_check() {
	_desc=$1
	_json=$2
	_expr=$3
	shift 3
	if ! printf '%s\n' "$_json" | jq -e "$@" "$JQ_DEFS $_expr" >/dev/null 2>"$GW_WORK/jq.err"; then
		echo "FAIL: $GW_NAME: $_desc" >&2
		echo "  (jq: $_expr)" >&2
		cat "$GW_WORK/jq.err" >&2
		printf '%s\n' "$_json" | jq . >&2 2>/dev/null || printf '%s\n' "$_json" >&2
		GW_STATUS=1
		exit 1
	fi
}

# ---- scenario: one TCP flow black-holed at the middlebox ----

# gw_scenario_tcp_blackhole [PCAP]: a TCP game flow (server --echo
# --ping-interval 300; client --ping-interval 200 --timeout 2000) watched
# by gapwatchd --gap-min 500; after 3 s the middlebox drops that flow,
# both directions; the client times out and reconnects from a new port;
# a second later everything stops. With PCAP, tcpdump captures the
# server's side of it. Leaves $GW_WORK/gaps.jsonl, client.json,
# server.json, and OLD_PORT, NEW_PORT, GW_DROP_T0, GW_DROP_T1.
gw_scenario_tcp_blackhole() {
	_pcap=${1:-}
	gw_topology
	if [ -n "$_pcap" ]; then
		gw_bg "$NS_S" tcpdump tcpdump -i eth0 -n -U -Z root -w "$_pcap" \
			port 7781
		TCPDUMP_PID=$GW_LAST_PID
		_n=0
		until grep -q 'listening on' "$GW_WORK/tcpdump.log"; do
			gw_alive "$TCPDUMP_PID" tcpdump
			_n=$((_n + 1))
			[ "$_n" -lt 100 ] || gw_fail "tcpdump did not start in 5 s" "$GW_WORK/tcpdump.log"
			sleep 0.05
		done
	fi
	gw_start_gapwatchd 7781 "$GW_WORK/gaps.jsonl" --gap-min 500
	gw_rules 7781
	gw_server tcp 7781 server --echo --ping-interval 300
	SERVER_PID=$GW_LAST_PID
	gw_wait_listen tcp 7781
	gw_client tcp 7781 client --ping-interval 200 --timeout 2000
	CLIENT_PID=$GW_LAST_PID
	gw_wait_tcp_flows 7781 1
	OLD_PORT=$(gw_client_ports 7781)
	gw_log "client flow from port $OLD_PORT; black hole in 3 s"
	sleep 3
	gw_alive "$GAPWATCHD_PID" gapwatchd
	gw_blackhole_port tcp "$OLD_PORT"
	gw_log "middlebox drops $CLIENT_IP:$OLD_PORT <-> $SERVER_IP:7781 since $GW_DROP_T0"
	# The client gives up 2 s after its last data and reconnects at once.
	_n=0
	NEW_PORT=
	while [ -z "$NEW_PORT" ]; do
		NEW_PORT=$(gw_client_ports 7781 | grep -vx "$OLD_PORT" | head -n1 || true)
		_n=$((_n + 1))
		[ "$_n" -lt 120 ] || gw_fail "the client did not reconnect within 6 s of the black hole" \
			"$GW_WORK/client.log"
		[ -n "$NEW_PORT" ] || sleep 0.05
	done
	gw_log "client reconnected from port $NEW_PORT"
	sleep 1
	gw_alive "$GAPWATCHD_PID" gapwatchd
	gw_stop_gapwatchd
	gw_stop "$CLIENT_PID"
	gw_stop "$SERVER_PID"
	[ -z "$_pcap" ] || gw_stop "$TCPDUMP_PID"
	[ -s "$GW_WORK/client.json" ] || gw_fail "gamesim client wrote no stats" "$GW_WORK/client.log"
}

# gw_check_blackhole_gap GAP: the assertions on the gap record of the
# black-holed flow that both the live run and the replay must satisfy.
gw_check_blackhole_gap() {
	gw_check "the gap is on TCP" "$1" '.proto == "tcp"'
	gw_check "silent is client or both" "$1" '.silent == "client" or .silent == "both"'
	gw_check "server_retransmits > 0" "$1" '.server_retransmits > 0'
	gw_check "outcome is reconnected" "$1" '.outcome == "reconnected"'
	gw_check "reconnect.client_port is the new port $NEW_PORT" "$1" \
		'.reconnect.client_port == $p' --argjson p "$NEW_PORT"
	gw_check "cause is path_loss_to_server" "$1" '.cause == "path_loss_to_server"'
}
