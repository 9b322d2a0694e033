#!/bin/sh
# t-drop-off - the server's drops without the BPF watcher. The UDP game
# server of t-drop-socket stalls with a small socket buffer, twice: with
# --no-drop-watch, and with the watcher wanted but its privileges gone
# (CAP_BPF, CAP_PERFMON and CAP_SYS_ADMIN dropped from the bounding set).
# Each time gapwatchd says once why the watcher is off, runs on, and its
# stats say so; the gaps carry no local_drops (null), yet their
# server_counters show the kernel's UDP receive-buffer errors, and the
# evidence says what those host-wide counters saw.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/integration/lib.sh"
. "$top/tests/integration/ct-lib.sh"

ct_init t-drop-off
command -v capsh >/dev/null || gw_fail "no capsh (libcap2-bin)"

# run WHY PATTERN: one stalled server under gapwatchd (WHY: flag or
# nocaps); the report is $GW_WORK/WHY.jsonl, and the stats' off_reason
# must match PATTERN.
run() {
	_why=$1
	_pattern=$2
	report=$GW_WORK/$_why.jsonl
	if [ "$_why" = nocaps ]; then
		gw_bg "$NS_S" gapwatchd capsh --drop=cap_bpf,cap_perfmon,cap_sys_admin -- \
			-c "exec $GAPWATCHD -f -q 0 -p 7781 -o $report --stats-interval 0 --user root --gap-min 500"
		GAPWATCHD_PID=$GW_LAST_PID
		_n=0
		until gw_queue_bound "$NS_S" 0; do
			_n=$((_n + 1))
			[ "$_n" -lt 100 ] || gw_fail "gapwatchd did not bind" "$GW_WORK/gapwatchd.log"
			sleep 0.05
		done
	else
		gw_start_gapwatchd 7781 "$report" --gap-min 500 --no-drop-watch
	fi
	gw_rules 7781
	gw_server udp 7781 server --echo --ping-interval 200 --rcvbuf 2048 \
		--pause-at 3000 --pause-for 3000
	_server=$GW_LAST_PID
	gw_wait_listen udp 7781
	gw_client udp 7781 client --flows 2 --ping-interval 200 --timeout 10000
	_client=$GW_LAST_PID
	sleep 8
	gw_stop "$_client"
	gw_stop "$_server"
	gw_stop_gapwatchd
	cp "$GW_WORK/gapwatchd.log" "$GW_WORK/gapwatchd-$_why.log"
	stats=$(gw_records "$report" stats)
	gw_check "$_why: stats say the watcher is off, and why" "$stats" \
		".drop_watch.on == false and (.drop_watch.off_reason | test(\$w))" \
		--arg w "$_pattern"
	[ "$(grep -c "drop watcher\|--no-drop-watch" "$GW_WORK/gapwatchd-$_why.log")" -le 1 ] ||
		gw_fail "$_why: more than one line about the watcher" "$GW_WORK/gapwatchd-$_why.log"
	gaps=$(jq -s -c '[.[] | select(.type == "gap")]' "$report")
	gw_check "$_why: gaps, none with local_drops, all with the host's rcvbuf errors" "$gaps" \
		'length >= 1 and all(.[]; .local_drops == null and
		 .server_counters.udp_rcvbuf_errors > 0 and
		 (.evidence | test("server kernel: not watched; this host.s counters in the gap: .*udp_rcvbuf_errors \\+[0-9]+")))'
	gw_log "$_why: $(printf '%s\n' "$gaps" | jq -r '.[0].evidence')"
}

gw_topology
run flag "no-drop-watch"
run nocaps "not permitted|Operation not permitted"
gw_pass "the watcher off by flag and without privileges; the counters still speak"
