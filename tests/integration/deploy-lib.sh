# deploy-lib.sh - shared shell for the deployment tests (t-deploy-*.sh):
# gapwatch-rules, the init script, ufw.
#
# Sourced, not run. The caller sets "top" (the source tree) first:
#
#	top=$(cd "$(dirname "$0")/../.." && pwd)
#	. "$top/tests/integration/deploy-lib.sh"
#	dl_init t-deploy-example
#	dl_topology
#
# Two network namespaces named after this shell's pid (gwd<pid>c,
# gwd<pid>s), so that parallel runs never collide, joined by a veth pair:
#
#	client 198.18.4.2/24 (eth0, ns C) ------- (eth0, ns S) server 198.18.4.1/24
#
# Everything happens inside them: the rules, ufw (with a private copy of
# its configuration bind-mounted over /etc/ufw and /etc/default/ufw in a
# mount namespace of its own, so that the host's is never read or
# written), gapwatchd, the game. The EXIT trap that dl_init installs kills
# what was started and deletes the namespaces; the work directory is kept
# on failure (or with DL_KEEP=1). POSIX sh; callers use set -eu.

set -eu

: "${top:?deploy-lib.sh: set top to the source tree before sourcing}"

# shellcheck disable=SC2034 # the callers use these
GW_BUILD=${GW_BUILD:-$top/build}
GAPWATCHD=$GW_BUILD/gapwatchd
GAMESIM=$GW_BUILD/rigs/gamesim
# shellcheck disable=SC2034
RULES=$top/rules/gapwatch-rules
# shellcheck disable=SC2034
INITSCRIPT=$top/dist/gapwatch.init
export GAPWATCH_RULES_DIR="$top/rules"

CLIENT_IP=198.18.4.2
SERVER_IP=198.18.4.1

DL_NAME=
DL_WORK=
DL_PIDS=
DL_NETNS=
DL_STATUS=1

# ---- messages ----

dl_log() { echo "$DL_NAME: $*" >&2; }

# dl_fail MESSAGE [FILE...]: say what failed, show the evidence, exit 1.
dl_fail() {
	_msg=$1
	shift
	echo "FAIL: $DL_NAME: $_msg" >&2
	for _f in "$@"; do
		[ -e "$_f" ] || continue
		echo "--- $_f" >&2
		cat "$_f" >&2
	done
	DL_STATUS=1
	exit 1
}

dl_pass() {
	DL_STATUS=0
	echo "PASS: $DL_NAME${1:+: $1}"
	exit 0
}

# ---- set-up and clean-up ----

dl_need() {
	[ "$(id -u)" -eq 0 ] || dl_fail "needs root (network namespaces, iptables)"
	for _b in "$GAPWATCHD" "$GAMESIM"; do
		[ -x "$_b" ] || dl_fail "$_b is missing: run tools/build first"
	done
	for _c in iptables ip6tables iptables-legacy nft jq ss unshare; do
		command -v "$_c" >/dev/null 2>&1 || dl_fail "$_c is missing (tools/install-deps)"
	done
}

# dl_init NAME: name the run, make a work directory (kept on failure),
# install the clean-up trap.
dl_init() {
	DL_NAME=$1
	DL_PFX=gwd$$
	NS_C=${DL_PFX}c
	NS_S=${DL_PFX}s
	DL_WORK=$(mktemp -d "${TMPDIR:-/tmp}/$DL_NAME.XXXXXX")
	trap dl_cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
}

dl_cleanup() {
	_rc=$?
	[ "$_rc" -ne 0 ] && DL_STATUS=1
	set +e
	trap - EXIT INT TERM
	for _p in $DL_PIDS; do
		kill -TERM "$_p" 2>/dev/null
	done
	for _p in $DL_PIDS; do
		dl_wait_gone "$_p" 3 || kill -KILL "$_p" 2>/dev/null
	done
	# Anything still in our namespaces (a detached gapwatchd, say).
	for _ns in $DL_NETNS; do
		for _p in $(ip netns pids "$_ns" 2>/dev/null); do
			kill -KILL "$_p" 2>/dev/null
		done
	done
	for _ns in $DL_NETNS; do
		ip netns del "$_ns" 2>/dev/null
	done
	if [ "$DL_STATUS" -ne 0 ] && [ -n "$DL_WORK" ]; then
		echo "$DL_NAME: files kept in $DL_WORK" >&2
	elif [ -n "$DL_WORK" ] && [ "${DL_KEEP:-0}" = 1 ]; then
		echo "$DL_NAME: files kept in $DL_WORK (DL_KEEP=1)" >&2
	elif [ -n "$DL_WORK" ]; then
		rm -rf "$DL_WORK"
	fi
	exit "$_rc"
}

# dl_alive PID: running and not a zombie.
dl_alive() {
	kill -0 "$1" 2>/dev/null || return 1
	case $(sed -n 's/^State:[[:space:]]*\([A-Z]\).*/\1/p' "/proc/$1/status" 2>/dev/null) in
	Z|X|'') return 1 ;;
	esac
	return 0
}

# dl_wait_gone PID SECONDS: wait for a process to end (1 if it did not);
# reaps it if it is our child.
dl_wait_gone() {
	_n=0
	while dl_alive "$1"; do
		_n=$((_n + 1))
		[ "$_n" -gt $(($2 * 20)) ] && return 1
		sleep 0.05
	done
	wait "$1" 2>/dev/null || true
	return 0
}

# dl_stop PID: SIGTERM and wait (5 s), then SIGKILL.
dl_stop() {
	kill -TERM "$1" 2>/dev/null || return 0
	dl_wait_gone "$1" 5 && return 0
	kill -KILL "$1" 2>/dev/null
	dl_wait_gone "$1" 2
	return 1
}

# dl_wait SECONDS DESCRIPTION CMD...: poll CMD every 50 ms until it
# succeeds; fail with DESCRIPTION when it has not within SECONDS.
dl_wait() {
	_secs=$1
	_desc=$2
	shift 2
	_n=0
	until "$@"; do
		_n=$((_n + 1))
		[ "$_n" -lt $((_secs * 20)) ] || dl_fail "$_desc (waited $_secs s)"
		sleep 0.05
	done
}

# ---- topology ----

nsc() { ip netns exec "$NS_C" "$@"; }
nss() { ip netns exec "$NS_S" "$@"; }

dl_link_up() { ip -n "$1" -o link show dev "$2" | grep -q 'state UP'; }

dl_topology() {
	for _ns in "$NS_C" "$NS_S"; do
		ip netns add "$_ns" || dl_fail "cannot create namespace $_ns"
		DL_NETNS="$DL_NETNS $_ns"
		ip -n "$_ns" link set lo up
	done
	ip -n "$NS_C" link add eth0 type veth peer name eth0 netns "$NS_S" ||
		dl_fail "cannot create the veth pair"
	ip -n "$NS_C" addr add "$CLIENT_IP/24" dev eth0
	ip -n "$NS_S" addr add "$SERVER_IP/24" dev eth0
	ip -n "$NS_C" link set eth0 up
	ip -n "$NS_S" link set eth0 up
	dl_wait 5 "the veth link did not come up" dl_both_up
}

dl_both_up() { dl_link_up "$NS_C" eth0 && dl_link_up "$NS_S" eth0; }

# ---- processes ----

# dl_bg NS NAME CMD...: CMD in namespace NS in the background, output to
# $DL_WORK/NAME.log, pid in $DL_LAST_PID (recorded for the clean-up).
dl_bg() {
	_ns=$1
	_name=$2
	shift 2
	ip netns exec "$_ns" "$@" >"$DL_WORK/$_name.log" 2>&1 &
	DL_LAST_PID=$!
	DL_PIDS="$DL_PIDS $DL_LAST_PID"
}

# dl_queue_bound NS QUEUE: is a process bound to QUEUE in NS?
dl_queue_bound() {
	ip netns exec "$1" cat /proc/net/netfilter/nfnetlink_queue 2>/dev/null |
		awk -v q="$2" '$1 == q && $2 != 0 { f = 1 } END { exit !f }'
}

# dl_queue_seq NS QUEUE: the queue's id sequence (how many packets it has
# been handed), 0 if it has no line.
dl_queue_seq() {
	ip netns exec "$1" cat /proc/net/netfilter/nfnetlink_queue 2>/dev/null |
		awk -v q="$2" '$1 == q { s = $8 } END { print s + 0 }'
}

# dl_gapwatchd NAME PORTS QUEUE REPORT [OPTION...]: gapwatchd in the
# foreground in the server namespace; waits until every queue is bound.
dl_gapwatchd() {
	_name=$1
	_ports=$2
	_queue=$3
	_report=$4
	shift 4
	# --user root: the report is in the work directory (root's);
	# t-privileges tests the drop to gapwatch.
	dl_bg "$NS_S" "$_name" "$GAPWATCHD" -f -p "$_ports" -q "$_queue" \
		-o "$_report" --stats-interval 0 --user root "$@"
	# shellcheck disable=SC2034 # for the caller
	GAPWATCHD_PID=$DL_LAST_PID
	_q=${_queue%-*}
	while [ "$_q" -le "${_queue#*-}" ]; do
		dl_wait 5 "gapwatchd did not bind queue $_q" dl_queue_bound "$NS_S" "$_q"
		_q=$((_q + 1))
	done
}

# dl_server PROTO PORT NAME [OPTION...] / dl_client PROTO PORT NAME [...]:
# gamesim, stats to $DL_WORK/NAME.json, pid in $DL_LAST_PID.
dl_server() {
	_p=$1 _port=$2 _n=$3
	shift 3
	dl_bg "$NS_S" "$_n" "$GAMESIM" server --proto "$_p" \
		--listen "$SERVER_IP:$_port" --stats "$DL_WORK/$_n.json" "$@"
}

dl_client() {
	_p=$1 _port=$2 _n=$3
	shift 3
	dl_bg "$NS_C" "$_n" "$GAMESIM" client --proto "$_p" \
		--connect "$SERVER_IP:$_port" --stats "$DL_WORK/$_n.json" "$@"
}

dl_listening() {	# PROTO PORT
	if [ "$1" = udp ]; then _fl=-uln; else _fl=-tln; fi
	nss ss -H "$_fl" "sport = :$2" | grep -q .
}

# dl_game PORT: a TCP and a UDP game server on PORT (echo, ping every
# 100 ms) and a client for each (3 flows each, ping every 100 ms, timeout
# 1 s); pids in SERVER_PIDS, CLIENT_PIDS.
dl_game() {
	dl_server tcp "$1" server-tcp --echo --ping-interval 100
	SERVER_PIDS=$DL_LAST_PID
	dl_server udp "$1" server-udp --echo --ping-interval 100
	SERVER_PIDS="$SERVER_PIDS $DL_LAST_PID"
	dl_wait 5 "nothing listens on TCP $1" dl_listening tcp "$1"
	dl_wait 5 "nothing listens on UDP $1" dl_listening udp "$1"
	dl_client tcp "$1" client-tcp --flows 3 --ping-interval 100 --timeout 1000
	CLIENT_PIDS=$DL_LAST_PID
	dl_client udp "$1" client-udp --flows 3 --ping-interval 100 --timeout 1000
	CLIENT_PIDS="$CLIENT_PIDS $DL_LAST_PID"
}

# dl_game_stop: clients first, then servers; their stats files are there.
dl_game_stop() {
	for _p in $CLIENT_PIDS $SERVER_PIDS; do
		dl_stop "$_p" || true
	done
}

# dl_check_clients: both clients kept all 3 flows without a timeout,
# reconnect or disconnect, and received echoes and pings.
dl_check_clients() {
	for _c in client-tcp client-udp; do
		[ -s "$DL_WORK/$_c.json" ] || dl_fail "$_c wrote no stats" "$DL_WORK/$_c.log"
		jq -e '.connects == 3 and .reconnects == 0 and .timeouts == 0 and
			.disconnects == 0 and .received > 30' "$DL_WORK/$_c.json" >/dev/null ||
			dl_fail "$_c: the game did not flow undisturbed" "$DL_WORK/$_c.json" "$DL_WORK/$_c.log"
	done
}

# ---- the systemd unit ----

# dl_unit_render: the unit as "make install" renders it, with this tree's
# programs (in $DL_WORK/sbin) and $DL_WORK/etc, into $DL_UNIT; fails
# unless systemd-analyze verify takes it (if there is one).
dl_unit_render() {
	_sbin=$DL_WORK/sbin
	mkdir -p "$_sbin" "$DL_WORK/etc/default" "$DL_WORK/man/man8"
	ln -s "$GAPWATCHD" "$_sbin/gapwatchd"
	ln -s "$RULES" "$_sbin/gapwatch-rules"
	DL_UNIT=$DL_WORK/gapwatch.service
	sed -e "s|@sbindir@|$_sbin|g" -e "s|@sysconfdir@|$DL_WORK/etc|g" \
		"$top/dist/gapwatch.service" >"$DL_UNIT"
	if command -v systemd-analyze >/dev/null 2>&1; then
		cp "$top"/doc/*.8 "$DL_WORK/man/man8/"
		MANPATH=$DL_WORK/man systemd-analyze verify "$DL_UNIT" >"$DL_WORK/verify.log" 2>&1 ||
			dl_fail "systemd-analyze verify refuses the unit" "$DL_WORK/verify.log"
	else
		dl_log "no systemd-analyze: the unit's syntax is not verified"
	fi
}

# dl_unit_script UNIT KEY: the shell script of the unit file's
# "KEY=[+]/bin/sh -c '...'" (continuation lines joined), as systemd hands
# it to sh.
dl_unit_script() {
	awk -v k="$2=" '
		index($0, k) == 1 { on = 1; line = substr($0, length(k) + 1) }
		!on { next }
		index($0, k) != 1 { line = line " " $0 }
		/\\$/ { sub(/\\$/, "", line); next }
		{ print line; exit }' "$1" |
	sed -e "s|^+||" -e "s|^/bin/sh -c '||" -e "s|'\$||" -e 's/\$\$/$/g'
}

# ---- rulesets ----

# dl_normalize: a ruleset listing without what changes on its own:
# iptables-save's date comments, chain counters, nft rule counters.
dl_normalize() {
	sed -e '/^# Generated by /d' -e '/^# Completed on /d' \
	    -e 's/^\(:[^ ]* [^ ]*\) \[[0-9]*:[0-9]*\]$/\1 [0:0]/' \
	    -e 's/counter packets [0-9]* bytes [0-9]*/counter packets 0 bytes 0/g'
}

# dl_snapshot NS DIR: every ruleset of the namespace, normalized, into DIR
# (iptables-nft and ip6tables-nft save, the legacy saves if legacy tables
# are in use, nft list ruleset).
dl_snapshot() {
	mkdir -p "$2"
	ip netns exec "$1" iptables-nft-save 2>/dev/null | dl_normalize >"$2/iptables"
	ip netns exec "$1" ip6tables-nft-save 2>/dev/null | dl_normalize >"$2/ip6tables"
	ip netns exec "$1" iptables-legacy-save 2>/dev/null | dl_normalize >"$2/iptables-legacy"
	ip netns exec "$1" ip6tables-legacy-save 2>/dev/null | dl_normalize >"$2/ip6tables-legacy"
	ip netns exec "$1" nft list ruleset 2>/dev/null | dl_normalize >"$2/nft"
}

# dl_same_rulesets BEFORE AFTER WHAT: fail unless the snapshots are
# byte-identical; the failure shows the diff.
dl_same_rulesets() {
	for _f in iptables ip6tables iptables-legacy ip6tables-legacy nft; do
		if ! cmp -s "$1/$_f" "$2/$_f"; then
			diff -u "$1/$_f" "$2/$_f" >"$DL_WORK/ruleset.diff" || true
			dl_fail "$3: the $_f ruleset differs" "$DL_WORK/ruleset.diff"
		fi
	done
}

# ---- ufw, on a private configuration ----

# dl_ufw_setup: ufw's package defaults (not the host's configuration) in
# $DL_WORK/etc-ufw and $DL_WORK/default-ufw; installs the Debian package
# first if it is missing.
dl_ufw_setup() {
	if ! command -v ufw >/dev/null 2>&1 || [ ! -d /usr/share/ufw/iptables ]; then
		dl_log "installing ufw (Debian package)"
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ufw >/dev/null 2>&1 ||
			{ apt-get update -qq >/dev/null 2>&1 &&
			  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ufw >/dev/null 2>&1; } ||
			dl_fail "ufw is missing and apt-get install ufw failed"
	fi
	[ -d /etc/ufw ] && [ -d /etc/default ] || dl_fail "no /etc/ufw to mount the private copy over"
	[ -f /etc/default/ufw ] || dl_fail "no /etc/default/ufw to mount the private copy over"
	_u=$DL_WORK/etc-ufw
	mkdir -p "$_u"
	chmod 755 "$_u"
	cp /usr/share/ufw/iptables/*.rules /usr/share/ufw/ufw.conf "$_u/"
	chmod 640 "$_u"/*.rules
	if [ -d /etc/ufw/applications.d ]; then cp -r /etc/ufw/applications.d "$_u/"; fi
	# Debian's defaults, except IPT_SYSCTL: no sysctl is set.
	cat >"$DL_WORK/default-ufw" <<EOF
IPV6=yes
DEFAULT_INPUT_POLICY="DROP"
DEFAULT_OUTPUT_POLICY="ACCEPT"
DEFAULT_FORWARD_POLICY="DROP"
DEFAULT_APPLICATION_POLICY="SKIP"
MANAGE_BUILTINS=${DL_UFW_MANAGE_BUILTINS:-no}
IPT_SYSCTL=
IPT_MODULES=""
EOF
}

# dl_ufw NS ARGS...: ufw in namespace NS, in a mount namespace of its own
# where the private copies hide /etc/ufw and /etc/default/ufw.
dl_ufw() {
	_ns=$1
	shift
	ip netns exec "$_ns" unshare --mount --propagation private sh -c '
		mount --bind "$1" /etc/ufw && mount --bind "$2" /etc/default/ufw &&
		shift 2 && exec ufw "$@"' sh "$DL_WORK/etc-ufw" "$DL_WORK/default-ufw" "$@"
}

# ---- the NFQUEUE rules' counters ----

# dl_queued NS: packets that matched gapwatch's NFQUEUE rules (IPv4,
# iptables-nft or legacy, whichever has them; nft's game chain).
dl_queued() {
	# Legacy only if its mangle table is there: asking would load it.
	ip netns exec "$1" sh -c '
		ipts=iptables-nft
		grep -qx mangle /proc/net/ip_tables_names 2>/dev/null &&
			ipts="$ipts iptables-legacy"
		for ipt in $ipts; do
			$ipt -w -t mangle -L GAPWATCH-IN -n -v -x 2>/dev/null
			$ipt -w -t mangle -L GAPWATCH-OUT -n -v -x 2>/dev/null
		done' | awk '$3 == "NFQUEUE" { s += $1 } END { print s + 0 }'
}
