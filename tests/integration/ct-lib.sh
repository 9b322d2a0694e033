# ct-lib.sh - shared shell for the conntrack correlation tests (t-ct-*.sh).
#
# Sourced after lib.sh, whose topology, processes and assertions it uses:
#
#	top=$(cd "$(dirname "$0")/../.." && pwd)
#	. "$top/tests/integration/lib.sh"
#	. "$top/tests/integration/ct-lib.sh"
#	ct_init t-ct-example
#	ct_setup 7781 --gap-min 500
#
# Everything happens in the namespaces that lib.sh creates (client,
# middlebox, server): the conntrack table, its sysctls and the firewall
# rules of the server namespace are its own (per network namespace), and
# the host's are never read or written.

# ct_init NAME: gw_init plus the checks every conntrack test needs.
ct_init() {
	gw_init "$1"
	gw_need_root
	gw_need_binaries
	for _t in conntrack iptables iptables-restore ss; do
		command -v "$_t" >/dev/null 2>&1 ||
			gw_fail "$_t is missing (tools/install-deps)"
	done
	CT_REPORT=$GW_WORK/gaps.jsonl
}

# ct_setup PORTS [GAPWATCHD-OPTION...]: the three namespaces, gapwatchd
# (conntrack correlation on: the default) writing $CT_REPORT, and
# gapwatch's rules (INVALID marks, the connmark that filters events).
ct_setup() {
	_ports=$1
	shift
	gw_topology
	gw_start_gapwatchd "$_ports" "$CT_REPORT" "$@"
	gw_rules "$_ports"
}

# ct_ufw_invalid_drop: what ufw's before.rules does: drop conntrack
# INVALID packets in the server namespace's filter INPUT chain. Installed
# after gapwatch's rules (which are in mangle, and so see them first).
ct_ufw_invalid_drop() {
	nss iptables -w -A INPUT -m conntrack --ctstate INVALID -j DROP ||
		gw_fail "cannot install the INVALID DROP rule in the server namespace"
}

# ct_ufw_dropped: packets that the INVALID DROP rule has dropped so far.
ct_ufw_dropped() {
	nss iptables -w -nvx -L INPUT |
		awk '$3 == "DROP" && /ctstate INVALID/ { n += $1 } END { print n + 0 }'
}

# ct_sysctl KEY=VALUE...: per-namespace sysctls of the server namespace.
# Fails (rather than touch anything else) when the key is not per-netns.
ct_sysctl() {
	for _kv in "$@"; do
		nss sysctl -qw "$_kv" >/dev/null 2>&1 ||
			gw_fail "cannot set $_kv in the server namespace"
		_k=${_kv%%=*}
		_v=${_kv#*=}
		[ "$(nss sysctl -n "$_k")" = "$_v" ] ||
			gw_fail "$_k did not take the value $_v in the server namespace"
	done
}

# ct_kernel_invalid: the server namespace's conntrack statistic "invalid",
# summed over the CPUs (conntrack -S).
ct_kernel_invalid() {
	nss conntrack -S 2>/dev/null |
		awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^invalid=/) { sub(/^invalid=/, "", $i); n += $i } }
		     END { print n + 0 }'
}

# ct_wait_record JQ-SELECT SECONDS: wait until $CT_REPORT has a record for
# which the jq expression is true; fail after SECONDS.
ct_wait_record() {
	_n=0
	until [ -s "$CT_REPORT" ] &&
	      [ "$(jq -c "select($1)" "$CT_REPORT" 2>/dev/null | grep -c .)" -gt 0 ]; do
		gw_alive "$GAPWATCHD_PID" gapwatchd
		_n=$((_n + 1))
		[ "$_n" -le $(($2 * 10)) ] ||
			gw_fail "no record matching ($1) within $2 s" "$CT_REPORT"
		sleep 0.1
	done
}

# ct_one_gap PROTO PORT [ADDR]: the one closing gap record of that flow;
# fails unless there is exactly one.
ct_one_gap() {
	_g=$(jq -c --arg p "$1" --arg c "${3:-$CLIENT_IP}:$2" \
		'select(.type == "gap" and .proto == $p and .client == $c)' "$CT_REPORT")
	[ "$(printf '%s' "$_g" | grep -c .)" -eq 1 ] ||
		gw_fail "expected exactly one gap record for $1 client ${3:-$CLIENT_IP}:$2, got $(printf '%s' "$_g" | grep -c .)" "$CT_REPORT"
	printf '%s\n' "$_g"
}

# ct_final_stats: the last stats record (gapwatchd writes one at SIGTERM).
ct_final_stats() {
	_s=$(jq -c 'select(.type == "stats")' "$CT_REPORT" | tail -n1)
	[ -n "$_s" ] || gw_fail "no stats record" "$CT_REPORT"
	printf '%s\n' "$_s"
}

# ct_show: a summary of every gap record, for the log.
ct_show() {
	jq -c 'select(.type == "gap" or .type == "gap_open") | {type, proto, client,
		silent, trigger, start, duration_ms, outcome, reconnect, cause,
		evidence, invalid: {client: .invalid.client, server: .invalid.server},
		big: .big_retransmits, retx: [.client_retransmits, .server_retransmits],
		ct_events: [.conntrack.events[]? | "\(.event)\(if .by_timeout then "(timeout)" else "" end)"],
		at_open: .conntrack.at_open.state, cluster}' "$CT_REPORT" >&2 || true
}

# ct_client_port NAME: the first port the gamesim client NAME connected
# from (from its stats' events; the client must have stopped).
ct_client_port() {
	jq '[.events[] | select(.event == "connect")][0].port' "$GW_WORK/$1.json"
}
