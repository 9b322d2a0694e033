#!/bin/sh
# t-privileges - least privilege under the init script (dist/gapwatch.init,
# run in the server namespace as t-deploy-init does, RUN_AS=gapwatch):
#   with --probe --seccomp: /proc/PID/task/*/status of every thread says
#     Uid/Gid gapwatch's, CapEff = CapPrm = CAP_NET_ADMIN|CAP_NET_RAW
#     (0x3000), CapInh = CapAmb = CapBnd = 0, NoNewPrivs 1, Seccomp 2; and
#     the run still works: a black-holed TCP flow is reported as a gap, its
#     pcap is written and an old pcap over the cap removed (as gapwatch,
#     under the allow-list), the report is reopened after logrotate's move
#     and SIGHUP (reload), and the open gaps and stats are written at stop;
#   without them: CapEff = CapPrm = CAP_NET_ADMIN (0x1000), Seccomp 0;
#   start-up errors, exit 1 and said: RUN_AS a user that does not exist
#     (the init script: 6), --user a user that does not exist, a report the
#     user cannot write.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/integration/lib.sh"
INITSCRIPT=$top/dist/gapwatch.init
export GAPWATCH_RULES_DIR="$top/rules"

gw_init t-privileges
gw_need_root
gw_need_binaries
id gapwatch >/dev/null 2>&1 ||
	gw_fail "no user gapwatch (tools/install-deps or make install creates it)"
uid=$(id -u gapwatch)
gid=$(id -g gapwatch)
gw_topology

# gapwatch must reach its directories below the work directory.
chmod 711 "$GW_WORK"
run=$GW_WORK/run
log=$GW_WORK/log
report=$log/gaps.jsonl
conf=$GW_WORK/gapwatchd.conf
default=$GW_WORK/default
printf 'gap-min = 500\nstats-interval = 0\npcap-max-mb = 1\n' >"$conf"
write_default() {	# RUN_AS OPTIONS
	cat >"$default" <<EOF
ENABLED=yes
PORTS=7781
QUEUE=0
CONFIG=$conf
RUN_AS=$1
OPTIONS="-o $report $2"
EOF
}

# init ACTION: the init script in the server namespace; output in
# $GW_WORK/init.out, exit status in $rc.
init() {
	rc=0
	nss env GAPWATCH_DEFAULT="$default" GAPWATCHD="$GAPWATCHD" \
		GAPWATCH_RULES="$RULES" GAPWATCH_RUNDIR="$run" GAPWATCH_LOGDIR="$log" \
		sh "$INITSCRIPT" "$1" >"$GW_WORK/init.out" 2>&1 || rc=$?
	cat "$GW_WORK/init.out" >>"$GW_WORK/init.log"
}

# field FILE NAME: a line "NAME:<tab>value..." of a status file.
field() { sed -n "s/^$2:[[:space:]]*//p" "$1" | tr -s '\t ' ' '; }

# check_threads PID CAPS SECCOMP: every thread's credentials.
check_threads() {
	_n=0
	for _t in /proc/"$1"/task/*; do
		_s=$_t/status
		cp "$_s" "$GW_WORK/status.now" 2>/dev/null || continue
		_s=$GW_WORK/status.now
		_w="thread ${_t##*/} of gapwatchd $1"
		[ "$(field "$_s" Uid)" = "$uid $uid $uid $uid" ] || gw_fail "$_w: Uid is not gapwatch's ($uid)" "$_s"
		[ "$(field "$_s" Gid)" = "$gid $gid $gid $gid" ] || gw_fail "$_w: Gid is not gapwatch's ($gid)" "$_s"
		[ "$(field "$_s" Groups)" = "" ] || gw_fail "$_w: supplementary groups left" "$_s"
		for _c in CapEff CapPrm; do
			[ "$(field "$_s" $_c)" = "$2" ] || gw_fail "$_w: $_c is not $2" "$_s"
		done
		for _c in CapInh CapAmb CapBnd; do
			[ "$(field "$_s" $_c)" = 0000000000000000 ] || gw_fail "$_w: $_c is not empty" "$_s"
		done
		[ "$(field "$_s" NoNewPrivs)" = 1 ] || gw_fail "$_w: NoNewPrivs is not 1" "$_s"
		[ "$(field "$_s" Seccomp)" = "$3" ] || gw_fail "$_w: Seccomp is not $3" "$_s"
		_n=$((_n + 1))
	done
	# main, report writer, correlator, one worker
	[ "$_n" -ge 4 ] || gw_fail "gapwatchd $1 has $_n threads (expected 4)"
}

# start_checked OPTIONS CAPS SECCOMP: init start with OPTIONS; every
# thread of the gapwatchd it starts ($pid) as check_threads says.
start_checked() {
	write_default gapwatch "$1"
	init start
	[ "$rc" -eq 0 ] || gw_fail "start with '$1': exit $rc" "$GW_WORK/init.out"
	pid=$(cat "$run/gapwatchd.pid")
	GW_PIDS="$GW_PIDS $pid"
	check_threads "$pid" "$2" "$3"
}

# ---- dropped, with --probe and --seccomp: a whole scenario ----
mkdir -p "$log/pcap"
# An earlier run's pcap, just under the 1 MB cap: the first new one must
# push it out (an unlink by gapwatch under the allow-list).
head -c 1048000 /dev/zero >"$log/pcap/old.pcap"
touch -d '1 day ago' "$log/pcap/old.pcap"
start_checked "--probe --seccomp" 0000000000003000 2
[ "$(stat -c %U "$run" "$log")" = "gapwatch
gapwatch" ] || gw_fail "the init script did not make $run and $log gapwatch's"
gw_log "gapwatchd $pid: every thread gapwatch ($uid), CAP_NET_ADMIN+CAP_NET_RAW, no bounding set, no_new_privs, seccomp"

gw_server tcp 7781 server --echo --ping-interval 300
SERVER_PID=$GW_LAST_PID
gw_wait_listen tcp 7781
gw_client tcp 7781 client --ping-interval 200 --timeout 2000
CLIENT_PID=$GW_LAST_PID
gw_wait_tcp_flows 7781 1
OLD_PORT=$(gw_client_ports 7781)
sleep 2
gw_blackhole_port tcp "$OLD_PORT"
gw_log "middlebox drops the flow from port $OLD_PORT"
has_gap() {
	[ -s "$report" ] && jq -s -e --argjson p "$OLD_PORT" \
		'any(.[]; .type == "gap" and .proto == "tcp" and (.client | endswith(":\($p)")))' \
		"$report" >/dev/null 2>&1
}
_n=0
until has_gap; do
	_n=$((_n + 1))
	[ "$_n" -lt 200 ] || gw_fail "no gap record for the black-holed flow within 10 s" "$report" "$GW_WORK/init.log"
	gw_alive "$pid" gapwatchd
	sleep 0.05
done
_n=0
until ls "$log"/pcap/*.pcap 2>/dev/null | grep -qv '/old\.pcap$'; do
	_n=$((_n + 1))
	[ "$_n" -lt 100 ] || gw_fail "no pcap file of the gap in $log/pcap within 5 s"
	sleep 0.05
done
[ ! -e "$log/pcap/old.pcap" ] || gw_fail "the old pcap over the cap was not removed"
[ -z "$(find "$log/pcap" -name '*.pcap' ! -user gapwatch)" ] ||
	gw_fail "pcap files not written by gapwatch: $(ls -l "$log/pcap")"
gw_log "gap of port $OLD_PORT reported, its pcap written, the old one removed"

# reload, as logrotate does it: move the report away first.
mv "$report" "$report.1"
init reload
[ "$rc" -eq 0 ] || gw_fail "reload: exit $rc" "$GW_WORK/init.out"
_n=0
until [ -e "$report" ]; do
	_n=$((_n + 1))
	[ "$_n" -lt 60 ] || gw_fail "gapwatchd did not reopen its report on SIGHUP" "$GW_WORK/init.log"
	sleep 0.05
done
[ "$(stat -c %U "$report")" = gapwatch ] || gw_fail "the reopened report is not gapwatch's"
gw_stop "$CLIENT_PID"
init stop
[ "$rc" -eq 0 ] || gw_fail "stop: exit $rc" "$GW_WORK/init.out"
gw_wait_pid "$pid" 5 || gw_fail "gapwatchd $pid still runs after stop"
[ ! -e "$run/gapwatchd.pid" ] || gw_fail "the pid file is still there"
jq -s -e 'any(.[]; .type == "stats" and .packets > 10)' "$report" >/dev/null 2>&1 ||
	gw_fail "no stats record written at stop into the reopened report" "$report"
gw_stop "$SERVER_PID"

# ---- dropped, no --probe, no --seccomp ----
start_checked "" 0000000000001000 0
init stop
[ "$rc" -eq 0 ] || gw_fail "stop without --probe: exit $rc" "$GW_WORK/init.out"
gw_log "without --probe: CAP_NET_ADMIN alone, no seccomp"

# ---- start-up errors ----
write_default nosuchuser-gw ""
init start
[ "$rc" -eq 6 ] && grep -q "RUN_AS='nosuchuser-gw'.*no such user" "$GW_WORK/init.out" ||
	gw_fail "RUN_AS a missing user: exit $rc (expected 6 and a message)" "$GW_WORK/init.out"

# direct_start NAME OPTION...: gapwatchd in the foreground on queue 1;
# must exit 1 at once; its stderr in $GW_WORK/NAME.log.
direct_start() {
	_name=$1
	shift
	gw_bg "$NS_S" "$_name" "$GAPWATCHD" -f -q 1 -p 7781 --stats-interval 0 "$@"
	gw_exit_status "$GW_LAST_PID" 5
	[ "$GW_RC" -eq 1 ] || gw_fail "$_name: exit $GW_RC (expected 1)" "$GW_WORK/$_name.log"
}
direct_start nouser --user nosuchuser-gw -o "$GW_WORK/x.jsonl"
grep -q -- '--user nosuchuser-gw: no such user (create it: useradd --system' "$GW_WORK/nouser.log" ||
	gw_fail "--user of a missing user: no message naming it" "$GW_WORK/nouser.log"
mkdir "$GW_WORK/rootonly"
chmod 755 "$GW_WORK/rootonly"
: >"$GW_WORK/rootonly/gaps.jsonl"
direct_start unwritable -o "$GW_WORK/rootonly/gaps.jsonl"
grep -q "cannot open report file $GW_WORK/rootonly/gaps.jsonl as user gapwatch" "$GW_WORK/unwritable.log" ||
	gw_fail "a report gapwatch cannot write: no message naming the user" "$GW_WORK/unwritable.log"

gw_pass "gapwatch with CAP_NET_ADMIN(+NET_RAW), no bounding set, no_new_privs, seccomp in every thread; gap, pcap, SIGHUP reopen, stop all as gapwatch; errors said"
