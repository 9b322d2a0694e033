#!/bin/sh
# t-cli - gapwatchd's command line: --help and --version work for anyone,
# bad options and config lines exit 2 naming the option or file:line,
# binding a queue without privileges exits 1 saying why, a missing capture
# exits 1, and a good config file passes -n. Needs no traffic; as root the
# unprivileged runs use setpriv, and the bind attempt happens in a
# namespace of its own.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/integration/lib.sh"

gw_init t-cli
[ -x "$GAPWATCHD" ] || gw_fail "$GAPWATCHD is missing: run tools/build first"
chmod 755 "$GW_WORK"

# as_nobody CMD...: run CMD unprivileged (as nobody when we are root).
as_nobody() {
	if [ "$(id -u)" -eq 0 ]; then
		setpriv --reuid=65534 --regid=65534 --clear-groups "$@"
	else
		"$@"
	fi
}

# expect DESCRIPTION RC PATTERN CMD...: CMD must exit RC and its output
# (stdout and stderr) must contain PATTERN (a fixed string; "" for any).
expect() {
	desc=$1
	want=$2
	pat=$3
	shift 3
	rc=0
	"$@" >"$GW_WORK/out" 2>&1 || rc=$?
	[ "$rc" -eq "$want" ] ||
		gw_fail "$desc: exit status $rc, expected $want (command: $*)" "$GW_WORK/out"
	[ -z "$pat" ] || grep -qF -- "$pat" "$GW_WORK/out" ||
		gw_fail "$desc: output lacks '$pat' (command: $*)" "$GW_WORK/out"
}

g=$GAPWATCHD
expect "--help as nobody" 0 "usage: gapwatchd" as_nobody "$g" --help
expect "-h as nobody" 0 "--ports LIST" as_nobody "$g" -h
expect "--version as nobody" 0 "gapwatchd " as_nobody "$g" --version
expect "-V as nobody" 0 "gapwatchd " as_nobody "$g" -V
# --help wins over bad options (it is looked at first).
expect "--help with a bad option" 0 "usage: gapwatchd" as_nobody "$g" --gap-min abc --help
# --help goes to stdout.
as_nobody "$g" --help 2>/dev/null | grep -q '^usage: gapwatchd' ||
	gw_fail "--help does not print its usage on standard output"

expect "--gap-min abc" 2 "--gap-min" "$g" -p 7781 --gap-min abc
expect "--gap-min 0" 2 "--gap-min" "$g" -p 7781 --gap-min 0
expect "--gap-min 12x" 2 "--gap-min" "$g" -p 7781 --gap-min 12x
expect "--ports 0" 2 "--ports" "$g" --ports 0
expect "--ports 70000" 2 "--ports" "$g" --ports 70000
expect "--ports 7781,x" 2 "--ports" "$g" --ports 7781,x
expect "--queue 5-2" 2 "--queue" "$g" -p 7781 --queue 5-2
expect "--queue 0-64 (65 queues)" 2 "--queue" "$g" -p 7781 --queue 0-64
expect "no --ports" 2 "--ports" "$g" -f
expect "unknown option" 2 "--bogus" "$g" -p 7781 --bogus
expect "unexpected argument" 2 "extra" "$g" -p 7781 extra

conf=$GW_WORK/bad.conf
printf '# gapwatchd test\nports = 7781\ngap-min = abc\n' >"$conf"
expect "config: bad value" 2 "$conf:3" "$g" -c "$conf"
printf 'ports = 7781\nthis is not an option\n' >"$conf"
expect "config: no '='" 2 "$conf:2" "$g" -c "$conf"
printf 'ports = 7781\n\nbogus = 1\n' >"$conf"
expect "config: unknown option" 2 "$conf:3" "$g" -c "$conf"
expect "config: missing file" 2 "$GW_WORK/missing.conf" "$g" -c "$GW_WORK/missing.conf"

good=$GW_WORK/good.conf
printf '# a good one\nports = 7781\n' >"$good"
expect "config ports = 7781 with -n" 0 "configuration OK" "$g" -c "$good" -n
# The command line overrides the file, whatever the order.
expect "-n before -c" 0 "configuration OK" "$g" -n -c "$good" --gap-min 750
expect "-n with a bad value on the command line" 2 "--gap-min" "$g" -c "$good" -n --gap-min abc

expect "--read of a missing file" 1 "$GW_WORK/missing.pcap" \
	"$g" --read "$GW_WORK/missing.pcap" -p 7781
printf 'not a capture\n' >"$GW_WORK/junk.pcap"
expect "--read of a file that is no capture" 1 "" \
	"$g" --read "$GW_WORK/junk.pcap" -p 7781 -o "$GW_WORK/junk.jsonl"

# Binding a queue unprivileged: exit 1, and the message says why. As
# root, try it in a namespace of our own, never the machine's.
if [ "$(id -u)" -eq 0 ]; then
	ns=gw$$cli
	ip netns add "$ns" || gw_fail "cannot create namespace $ns"
	GW_NETNS=$ns
	expect "queue bind as nobody" 1 "(are you root" \
		ip netns exec "$ns" setpriv --reuid=65534 --regid=65534 --clear-groups \
		"$g" -f -p 7781 -q 3 -o "$GW_WORK/nobody.jsonl"
	grep -q "queue 3" "$GW_WORK/out" || gw_fail "the bind failure does not name queue 3" "$GW_WORK/out"
else
	expect "queue bind unprivileged" 1 "(are you root" \
		"$g" -f -p 7781 -q 3 -o "$GW_WORK/nobody.jsonl"
fi

gw_pass
