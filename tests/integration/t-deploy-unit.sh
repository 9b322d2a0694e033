#!/bin/sh
# t-deploy-unit - the systemd unit (dist/gapwatch.service), as far as it can
# be tried without systemd as PID 1: systemd-analyze verify takes it, and
# its check and start commands, run as systemd would run them (the unit's
# environment from a default file; "$$" is systemd's escape of "$"), do
# what the unit's comments say:
#   CONFIG empty: no configuration file, and gapwatchd starts (queue bound);
#   CONFIG naming a missing file, or a bad RULES_OPTIONS: the check exits 2
#     and says "configuration error" (no retry: Restart=on-abnormal, exit 1
#     forced);
#   ExecStart execs gapwatchd itself, so that $MAINPID is gapwatchd's.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/integration/deploy-lib.sh"

dl_init t-deploy-unit
dl_need
dl_topology

dl_unit_render
unit=$DL_UNIT

# setting KEY: the unit's value of KEY (one line).
setting() { sed -n "s/^$1=//p" "$unit"; }
[ "$(setting Restart)" = on-abnormal ] && [ "$(setting RestartForceExitStatus)" = 1 ] ||
	dl_fail "the unit's restart policy is not on-abnormal with exit 1 forced" "$unit"
! grep -q -- "-c $DL_WORK/etc/gapwatch" "$unit" ||
	dl_fail "the unit still names a configuration file of its own" "$unit"

script() { dl_unit_script "$unit" "$1"; }

# run KEY DEFAULT-FILE: the unit's KEY script in the server namespace with
# the environment the unit gives it; output in $DL_WORK/run.out, exit
# status in $rc.
run() {
	rc=0
	ip netns exec "$NS_S" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin GAPWATCH_RULES_DIR="$GAPWATCH_RULES_DIR" sh -c '
		PORTS= QUEUE=0 BACKEND=auto CONFIG= OPTIONS= RULES_OPTIONS=
		set -a; . "$1"; set +a
		exec sh -c "$2"' sh "$2" "$(script "$1")" >"$DL_WORK/run.out" 2>&1 || rc=$?
}

default=$DL_WORK/etc/default/gapwatch
write_default() {	# NAME=VALUE...
	{
		echo "PORTS=7781"
		echo "QUEUE=0"
		# Run as root here, not as the unit's User=: --user root
		# (t-privileges-unit runs it as systemd would).
		echo "OPTIONS=\"-o $DL_WORK/gaps.jsonl --stats-interval 0 --user root\""
		for kv in "$@"; do echo "$kv"; done
	} >"$default"
}

# CONFIG empty: no configuration file at all, and that is fine. The
# unit's RuntimeDirectory (/run/gapwatch) is $DL_WORK/run here.
mkdir -p "$DL_WORK/run"
write_default "CONFIG="
run ExecStartPre "$default"
[ "$rc" -eq 0 ] || dl_fail "ExecStartPre with CONFIG empty: exit $rc (expected 0)" "$DL_WORK/run.out"
dl_bg "$NS_S" unit-start sh -c '
	PORTS= QUEUE=0 BACKEND=auto CONFIG= OPTIONS= RULES_OPTIONS=
	set -a; . "$1"; set +a
	exec sh -c "$2"' sh "$default" "$(script ExecStart | sed "s|/run/gapwatch/|$DL_WORK/run/|")"
pid=$DL_LAST_PID
dl_wait 5 "ExecStart with CONFIG empty: queue 0 is not bound" dl_queue_bound "$NS_S" 0
[ "$(cat "/proc/$pid/comm" 2>/dev/null)" = gapwatchd ] ||
	dl_fail "ExecStart: the main process is $(cat "/proc/$pid/comm" 2>/dev/null), not gapwatchd (MAINPID)" "$DL_WORK/unit-start.log"
dl_stop "$pid" || dl_fail "gapwatchd did not stop on SIGTERM"
dl_log "CONFIG empty: checks pass, gapwatchd ($pid, the main process) binds queue 0"

# A missing configuration file, a bad rules option: exit 2, said so.
while IFS='|' read -r line want; do
	write_default "$line"
	run ExecStartPre "$default"
	[ "$rc" -eq 2 ] || dl_fail "ExecStartPre with $line: exit $rc (expected 2)" "$DL_WORK/run.out"
	grep -qF -- "$want" "$DL_WORK/run.out" && grep -q 'configuration error' "$DL_WORK/run.out" ||
		dl_fail "ExecStartPre with $line: no configuration error naming '$want'" "$DL_WORK/run.out"
done <<EOF
CONFIG=$DL_WORK/etc/gapwatch/missing.conf|$DL_WORK/etc/gapwatch/missing.conf
RULES_OPTIONS="--mark-new 0x30000000"|'0x30000000' is not a single mark bit
EOF
dl_pass "verified; CONFIG empty starts gapwatchd as the main process; a missing CONFIG or a bad option: exit 2, a configuration error, not retried"
