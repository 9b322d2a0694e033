#!/bin/sh
# t-deploy-init - the init script (dist/gapwatch.init), run in the server
# namespace with a temporary default file, config file and pid file and the
# build tree's programs (GAPWATCH_DEFAULT, GAPWATCHD, GAPWATCH_RULES,
# GAPWATCH_PIDFILE):
#   status before start: 3;
#   start: gapwatchd runs (detached, pid file), queue bound, rules in place,
#     game traffic inspected; status 0;
#   start again: 0, the same gapwatchd, no second one;
#   reload: SIGHUP, gapwatchd reopens its report (as after logrotate);
#   stop: rules gone, gapwatchd gone, the gap still open (a paused UDP
#     client) written as open_at_exit; status 3; stop again: 0;
#   reload when stopped: 7; restart: a new gapwatchd, rules in place;
#   ENABLED=no: start does nothing and says so.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/integration/deploy-lib.sh"

dl_init t-deploy-init
dl_need
dl_topology

# gapwatchd runs as gapwatch (RUN_AS) after set-up: the init script makes
# run/ and log/ its directories; it must reach them. GW_SECCOMP=1: with
# --seccomp.
chmod 711 "$DL_WORK"
pidfile=$DL_WORK/run/gapwatchd.pid
report=$DL_WORK/log/gaps.jsonl
seccomp=
[ "${GW_SECCOMP:-0}" = 1 ] && seccomp=" --seccomp"
conf=$DL_WORK/gapwatchd.conf
default=$DL_WORK/default
printf 'gap-min = 500\nstats-interval = 0\n' >"$conf"
write_default() {	# ENABLED
	cat >"$default" <<EOF
ENABLED=$1
PORTS=7781
QUEUE=0
BACKEND=auto
CONFIG=$conf
OPTIONS="-o $report$seccomp"
RULES_OPTIONS=""
EOF
}
write_default yes

# init ACTION: the init script in the server namespace; output in
# $DL_WORK/init.out, exit status in $rc.
init() {
	rc=0
	ip netns exec "$NS_S" env GAPWATCH_DEFAULT="$default" GAPWATCHD="$GAPWATCHD" \
		GAPWATCH_RULES="$RULES" GAPWATCH_RUNDIR="$DL_WORK/run" \
		GAPWATCH_LOGDIR="$DL_WORK/log" \
		sh "$INITSCRIPT" "$1" >"$DL_WORK/init.out" 2>&1 || rc=$?
	cat "$DL_WORK/init.out" >>"$DL_WORK/init.log"
}

expect_rc() {	# WHAT EXPECTED
	[ "$rc" -eq "$2" ] || dl_fail "$1: exit $rc (expected $2)" "$DL_WORK/init.out"
}

# gapwatchds: the gapwatchd processes in the server namespace.
gapwatchds() {
	for p in $(ip netns pids "$NS_S"); do
		[ "$(cat "/proc/$p/comm" 2>/dev/null)" = gapwatchd ] && dl_alive "$p" && echo "$p"
	done
	return 0
}

rules_rc() { _r=0; nss "$RULES" status >/dev/null 2>&1 || _r=$?; echo "$_r"; }

init status
expect_rc "status before start" 3

init start
expect_rc "start" 0
[ -s "$pidfile" ] || dl_fail "start: no pid file $pidfile" "$DL_WORK/init.out"
pid=$(cat "$pidfile")
dl_alive "$pid" || dl_fail "start: the pid file names no running process ($pid)"
[ "$(gapwatchds)" = "$pid" ] || dl_fail "start: gapwatchd processes '$(gapwatchds)', pid file $pid"
dl_queue_bound "$NS_S" 0 || dl_fail "start: queue 0 is not bound"
[ "$(rules_rc)" -eq 0 ] || dl_fail "start: gapwatch-rules status is not 0"
init status
expect_rc "status while running" 0
grep -q 'running' "$DL_WORK/init.out" && grep -q 'rules installed' "$DL_WORK/init.out" ||
	dl_fail "status does not say running with rules installed" "$DL_WORK/init.out"

init start
expect_rc "start while running" 0
[ "$(gapwatchds)" = "$pid" ] || dl_fail "start twice: gapwatchd processes '$(gapwatchds)' (expected only $pid)"
[ "$(cat "$pidfile")" = "$pid" ] || dl_fail "start twice: the pid file changed"

# The game: TCP flows, and a UDP client that goes silent after 2.5 s while
# the server keeps pinging it -- a gap that is still open at stop.
dl_server tcp 7781 server-tcp --echo --ping-interval 100
SERVER_PIDS=$DL_LAST_PID
dl_server udp 7781 server-udp --echo --ping-interval 100
SERVER_PIDS="$SERVER_PIDS $DL_LAST_PID"
dl_wait 5 "nothing listens on TCP 7781" dl_listening tcp 7781
dl_wait 5 "nothing listens on UDP 7781" dl_listening udp 7781
dl_client tcp 7781 client-tcp --flows 3 --ping-interval 100 --timeout 1000
CLIENT_PIDS=$DL_LAST_PID
dl_client udp 7781 client-udp --flows 1 --ping-interval 100 --pause-at 2500 --pause-for 30000
CLIENT_PIDS="$CLIENT_PIDS $DL_LAST_PID"
has_gap_open() {
	[ -s "$report" ] &&
		jq -s -e 'any(.[]; .type == "gap_open" and .proto == "udp")' "$report" >/dev/null 2>&1
}
dl_wait 8 "no gap_open record for the paused UDP client" has_gap_open
gap_id=$(jq -r 'select(.type == "gap_open" and .proto == "udp") | .id' "$report" | head -n1)
s=$(dl_queue_seq "$NS_S" 0)
[ "$s" -gt 100 ] || dl_fail "only $s packets went through gapwatchd's queue"
dl_log "start: gapwatchd $pid, $s packets inspected, gap $gap_id open"

# reload: as logrotate does it, move the report away first.
mv "$report" "$report.1"
init reload
expect_rc "reload" 0
dl_alive "$pid" || dl_fail "gapwatchd died on reload"
dl_wait 3 "gapwatchd did not reopen its report on SIGHUP" test -e "$report"

init stop
expect_rc "stop" 0
dl_alive "$pid" && dl_fail "stop: gapwatchd ($pid) still runs"
[ -z "$(gapwatchds)" ] || dl_fail "stop: gapwatchd processes left: $(gapwatchds)"
[ ! -e "$pidfile" ] || dl_fail "stop: the pid file is still there"
[ "$(rules_rc)" -eq 3 ] || dl_fail "stop: gapwatch's rules are still installed"
jq -s -e --arg id "$gap_id" \
	'any(.[]; .type == "gap" and .id == $id and .outcome == "open_at_exit")' \
	"$report" >/dev/null 2>&1 ||
	dl_fail "stop: the open gap $gap_id was not written as open_at_exit" "$report" "$report.1"
jq -s -e 'any(.[]; .type == "stats" and .packets > 100)' "$report" >/dev/null 2>&1 ||
	dl_fail "stop: no final stats record with the packets" "$report"
init status
expect_rc "status after stop" 3
init stop
expect_rc "stop when stopped" 0
init reload
expect_rc "reload when stopped" 7

init start
expect_rc "start again" 0
pid2=$(cat "$pidfile")
init restart
expect_rc "restart" 0
pid3=$(cat "$pidfile")
[ "$pid3" != "$pid2" ] && [ "$(gapwatchds)" = "$pid3" ] ||
	dl_fail "restart: gapwatchd processes '$(gapwatchds)', pid file $pid3, before $pid2"
[ "$(rules_rc)" -eq 0 ] || dl_fail "restart: the rules are not in place"
init stop
expect_rc "stop after restart" 0
[ -z "$(gapwatchds)" ] || dl_fail "stop after restart: gapwatchd processes left"

write_default no
init start
expect_rc "start with ENABLED=no" 0
grep -q 'ENABLED=no' "$DL_WORK/init.out" || dl_fail "ENABLED=no: start does not say why it does nothing" "$DL_WORK/init.out"
[ -z "$(gapwatchds)" ] || dl_fail "ENABLED=no: gapwatchd was started"
[ "$(rules_rc)" -eq 3 ] || dl_fail "ENABLED=no: rules were installed"

dl_game_stop
dl_pass "start/status/start twice/reload/stop/restart as LSB says; gap $gap_id flushed as open_at_exit on stop"
