#!/bin/sh
# t-deploy-badconf - a bad value in /etc/default/gapwatch (or in the
# gapwatchd.conf it names) stops "/etc/init.d/gapwatch start" before it does
# anything: exit 6 (LSB: not configured), a message naming the value (and
# file:line for the config file), no gapwatchd, no pid file, no rule, the
# ruleset unchanged. A good file afterwards starts normally.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/integration/deploy-lib.sh"

dl_init t-deploy-badconf
dl_need
dl_topology

# gapwatchd runs as gapwatch after set-up: run/ and log/ are made its
# directories by the init script; it must reach them.
chmod 711 "$DL_WORK"
pidfile=$DL_WORK/run/gapwatchd.pid
default=$DL_WORK/default
conf=$DL_WORK/gapwatchd.conf
badconf=$DL_WORK/bad.conf
printf 'gap-min = 1000\n' >"$conf"
printf '# a comment\ngap-min = -5\n' >"$badconf"

# write_default NAME=VALUE...: a good default file with these changes.
write_default() {
	{
		echo "ENABLED=yes"
		echo "PORTS=7781"
		echo "QUEUE=0"
		echo "BACKEND=auto"
		echo "CONFIG=$conf"
		echo "OPTIONS=\"-o $DL_WORK/log/gaps.jsonl --stats-interval 0\""
		echo "RULES_OPTIONS=\"\""
		for kv in "$@"; do echo "$kv"; done
	} >"$default"
}

init() {
	rc=0
	ip netns exec "$NS_S" env GAPWATCH_DEFAULT="$default" GAPWATCHD="$GAPWATCHD" \
		GAPWATCH_RULES="$RULES" GAPWATCH_RUNDIR="$DL_WORK/run" \
		GAPWATCH_LOGDIR="$DL_WORK/log" \
		sh "$INITSCRIPT" "$1" >"$DL_WORK/init.out" 2>&1 || rc=$?
}

gapwatchds() {
	for p in $(ip netns pids "$NS_S"); do
		[ "$(cat "/proc/$p/comm" 2>/dev/null)" = gapwatchd ] && dl_alive "$p" && echo "$p"
	done
	return 0
}

dl_snapshot "$NS_S" "$DL_WORK/before"
n=0
# Each case: the line for the default file | what the message must name.
while IFS='|' read -r line want; do
	[ -n "$line" ] || continue
	write_default "$line"
	init start
	n=$((n + 1))
	[ "$rc" -eq 6 ] || dl_fail "$line: start exited $rc (expected 6)" "$DL_WORK/init.out" "$default"
	grep -qF -- "$want" "$DL_WORK/init.out" ||
		dl_fail "$line: the message does not name '$want'" "$DL_WORK/init.out"
	[ -z "$(gapwatchds)" ] || dl_fail "$line: gapwatchd was started"
	[ ! -e "$pidfile" ] || dl_fail "$line: a pid file was written"
	r=0
	nss "$RULES" status >/dev/null 2>&1 || r=$?
	[ "$r" -eq 3 ] || dl_fail "$line: rules were installed (status $r)"
	dl_log "$line -> $(grep -F -- "$want" "$DL_WORK/init.out" | head -n1)"
done <<EOF
PORTS=abc|'abc'
PORTS=7781,70000|'70000'
PORTS=|PORTS is empty
PORTS="7781 7782"|'7781 7782'
QUEUE=5-2|'5-2'
QUEUE=0-99|'0-99'
QUEUE=q1|'q1'
BACKEND=iptablez|'iptablez'
ENABLED=maybe|'maybe'
OPTIONS="--gap-min zz"|'zz'
OPTIONS="--foreground"|'--foreground'
OPTIONS="--no-such-option"|no-such-option
CONFIG=$badconf|$badconf:2
CONFIG=$DL_WORK/missing.conf|$DL_WORK/missing.conf
RULES_OPTIONS="--mark-new 0xzz"|'0xzz'
RULES_OPTIONS="--mark-invalid 0x8000000"|share bits
RULES_OPTIONS="--mark-probe 0x18000000"|'0x18000000' is not a single mark bit
EOF

dl_snapshot "$NS_S" "$DL_WORK/after"
dl_same_rulesets "$DL_WORK/before" "$DL_WORK/after" "after $n refused starts"

# And a good file starts.
write_default
init start
[ "$rc" -eq 0 ] || dl_fail "a good default file: start exited $rc" "$DL_WORK/init.out"
[ -n "$(gapwatchds)" ] || dl_fail "a good default file: no gapwatchd"
init stop
[ "$rc" -eq 0 ] || dl_fail "stop exited $rc" "$DL_WORK/init.out"
dl_pass "$n bad settings refused with exit 6, each named; nothing started, no rule"
