#!/bin/sh
# t-privileges-unit - least privilege under the systemd unit
# (dist/gapwatch.service), as far as it can be tried without systemd as
# PID 1: systemd-analyze verify takes the unit; its ExecStart runs as
# systemd would run it, with the unit's own User=, Group=,
# AmbientCapabilities=, CapabilityBoundingSet= and NoNewPrivileges= (by
# setpriv), in a RuntimeDirectory= and LogsDirectory= that are the user's;
# gapwatchd, started without root, says so and keeps only CAP_NET_ADMIN in
# every thread (no CAP_NET_RAW without --probe; CAP_BPF, CAP_PERFMON and
# CAP_SYSLOG load the drop watcher at set-up, then go), no ambient or
# inheritable capabilities, NoNewPrivs 1, Seccomp 2 with --seccomp, binds
# its queue, writes its report as the user and removes its pid file at
# SIGTERM. What systemd itself adds (ProtectSystem=, SystemCallFilter=,
# the directories' creation) is not tried here.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/integration/deploy-lib.sh"

dl_init t-privileges-unit
dl_need
command -v setpriv >/dev/null 2>&1 || dl_fail "setpriv is missing (util-linux)"
dl_topology

dl_unit_render
unit=$DL_UNIT

setting() { sed -n "s/^$1=//p" "$unit"; }
user=$(setting User)
group=$(setting Group)
[ -n "$user" ] && [ -z "$(setting DynamicUser)" ] ||
	dl_fail "the unit has no fixed User= (or still DynamicUser=)" "$unit"
id "$user" >/dev/null 2>&1 ||
	dl_fail "no user $user (tools/install-deps or make install creates it)"
[ "$(setting NoNewPrivileges)" = yes ] || dl_fail "the unit lacks NoNewPrivileges=yes" "$unit"
[ "$(setting RuntimeDirectory)" = gapwatch ] && [ "$(setting LogsDirectory)" = gapwatch ] ||
	dl_fail "the unit lacks RuntimeDirectory=gapwatch or LogsDirectory=gapwatch" "$unit"
# setpriv's spelling of a capability list: CAP_NET_ADMIN CAP_NET_RAW ->
# +net_admin,+net_raw
caps() { setting "$1" | tr 'A-Z' 'a-z' | sed -e 's/cap_/+/g' -e 's/ /,/g'; }
ambient=$(caps AmbientCapabilities)
bounding=$(caps CapabilityBoundingSet)
want="+net_admin,+net_raw,+bpf,+perfmon,+syslog"
[ "$ambient" = "$want" ] && [ "$bounding" = "$want" ] ||
	dl_fail "the unit's capabilities are not CAP_NET_ADMIN CAP_NET_RAW CAP_BPF CAP_PERFMON CAP_SYSLOG" "$unit"

# What RuntimeDirectory= and LogsDirectory= make: the user's directories
# (here under the work directory, which the user must reach).
chmod 711 "$DL_WORK"
install -d -o "$user" -g "$group" -m 0755 "$DL_WORK/run"
install -d -o "$user" -g "$group" -m 0750 "$DL_WORK/log"
default=$DL_WORK/default
cat >"$default" <<EOF
PORTS=7781
QUEUE=0
CONFIG=
OPTIONS="-o $DL_WORK/log/gaps.jsonl --stats-interval 0 --seccomp"
EOF
dl_bg "$NS_S" unit-start setpriv --reuid="$user" --regid="$group" --clear-groups \
	--inh-caps=-all,"$ambient" --ambient-caps=-all,"$ambient" \
	--bounding-set=-all,"$bounding" --no-new-privs \
	env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin sh -c '
	PORTS= QUEUE=0 BACKEND=auto CONFIG= OPTIONS= RULES_OPTIONS=
	set -a; . "$1"; set +a
	exec sh -c "$2"' sh "$default" \
	"$(dl_unit_script "$unit" ExecStart | sed "s|/run/gapwatch/|$DL_WORK/run/|")"
pid=$DL_LAST_PID
dl_wait 5 "ExecStart as $user: queue 0 is not bound" dl_queue_bound "$NS_S" 0
[ "$(cat "/proc/$pid/comm" 2>/dev/null)" = gapwatchd ] ||
	dl_fail "ExecStart: the main process is not gapwatchd" "$DL_WORK/unit-start.log"

field() { sed -n "s/^$2:[[:space:]]*//p" "$1" | tr -s '\t ' ' '; }
uid=$(id -u "$user")
n=0
for t in /proc/"$pid"/task/*; do
	cp "$t/status" "$DL_WORK/status.now" 2>/dev/null || continue
	s=$DL_WORK/status.now
	w="thread ${t##*/} of gapwatchd $pid"
	[ "$(field "$s" Uid)" = "$uid $uid $uid $uid" ] || dl_fail "$w: Uid is not $user's" "$s"
	for c in CapEff CapPrm; do
		[ "$(field "$s" $c)" = 0000000000001000 ] || dl_fail "$w: $c is not CAP_NET_ADMIN alone" "$s"
	done
	for c in CapInh CapAmb; do
		[ "$(field "$s" $c)" = 0000000000000000 ] || dl_fail "$w: $c is not empty" "$s"
	done
	# No CAP_SETPCAP to empty it: what the unit's bounding set says
	# (NET_ADMIN 12, NET_RAW 13, SYSLOG 34, PERFMON 38, BPF 39).
	[ "$(field "$s" CapBnd)" = 000000c400003000 ] || dl_fail "$w: CapBnd is not the unit's" "$s"
	[ "$(field "$s" NoNewPrivs)" = 1 ] || dl_fail "$w: NoNewPrivs is not 1" "$s"
	[ "$(field "$s" Seccomp)" = 2 ] || dl_fail "$w: Seccomp is not 2" "$s"
	n=$((n + 1))
done
[ "$n" -ge 4 ] || dl_fail "gapwatchd has $n threads (expected 4)"
grep -q 'not started as root: no switch of user;' "$DL_WORK/unit-start.log" ||
	dl_fail "gapwatchd does not say that it was not started as root" "$DL_WORK/unit-start.log"
# The set-up's capabilities load the drop watcher, and are gone after.
grep -q 'drop watcher: on' "$DL_WORK/unit-start.log" ||
	dl_fail "the drop watcher did not load with the unit's capabilities" "$DL_WORK/unit-start.log"
[ "$(stat -c %U "$DL_WORK/log/gaps.jsonl")" = "$user" ] ||
	dl_fail "the report is not written by $user"
[ -s "$DL_WORK/run/gapwatchd.pid" ] || dl_fail "no pid file in the runtime directory"
dl_stop "$pid" || dl_fail "gapwatchd did not stop on SIGTERM"
[ ! -e "$DL_WORK/run/gapwatchd.pid" ] || dl_fail "gapwatchd did not remove its pid file" "$DL_WORK/unit-start.log"
jq -s -e 'any(.[]; .type == "stats")' "$DL_WORK/log/gaps.jsonl" >/dev/null ||
	dl_fail "no stats record at exit" "$DL_WORK/log/gaps.jsonl"
dl_pass "verified; ExecStart as $user with the unit's capabilities: CAP_NET_ADMIN alone, NoNewPrivs, seccomp in $n threads, said so; report, pid file as $user"
