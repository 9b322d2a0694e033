#!/bin/sh
# t-reconnect-shared - reconnects when many players share one address,
# on generated captures (rigs/mkreconnect): 770 addresses of 13 players
# (10,010 TCP flows, a heartbeat every 3 s each); a device loses all the
# flows of 8 addresses at once (104 victims) and 20 lone players lose
# theirs earlier (unambiguous reconnects, which teach the give-up delay);
# each victim comes back from a new port a fixed time after its last
# heartbeat got through. Replayed by gapwatchd --read:
#  1. same give-up delay: >= 95 % of the reconnects name the right new
#     port, and no wrong one is of full confidence;
#  2. give-up delays that vary by +-1.5 s (identical devices): wrong
#     matches happen, and every one is said to be a guess (low), none
#     hidden behind full or high confidence;
#  3. half the players another kind of device (TTL): the fingerprint
#     tells them apart, and still no wrong match is of full confidence.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/integration/lib.sh"

gw_init t-reconnect-shared
gw_need_binaries
MKRECONNECT=$GW_BUILD/rigs/mkreconnect
[ -x "$MKRECONNECT" ] || gw_fail "$MKRECONNECT is missing: run tools/build"

# run NAME MKRECONNECT-OPTION...: the capture, its replay, and a line per
# reconnect: "ok|wrong method confidence" in $GW_WORK/NAME.matches.
run() {
	_n=$1
	shift
	"$MKRECONNECT" -o "$GW_WORK/$_n.pcap" --truth "$GW_WORK/$_n.truth" "$@" ||
		gw_fail "mkreconnect $* failed"
	"$GAPWATCHD" --read "$GW_WORK/$_n.pcap" -p 7781 -o "$GW_WORK/$_n.jsonl" \
		--no-pcap 2>"$GW_WORK/$_n.log" || gw_fail "replay of $_n failed" "$GW_WORK/$_n.log"
	jq -r 'select(.type == "gap" and .outcome == "reconnected") |
		"\(.client) \(.reconnect.client_port) \(.reconnect.method) \(.reconnect.confidence)"' \
		"$GW_WORK/$_n.jsonl" |
	awk 'NR == FNR { t[$1] = $2; next }
	     { print (t[$1] == $2 ? "ok" : "wrong"), $3, $4 }' "$GW_WORK/$_n.truth" - \
		>"$GW_WORK/$_n.matches"
	gw_log "$_n: $(sort "$GW_WORK/$_n.matches" | uniq -c | tr -s ' ' | tr '\n' ';')"
	[ "$(wc -l <"$GW_WORK/$_n.matches")" -eq "$(wc -l <"$GW_WORK/$_n.truth")" ] ||
		gw_fail "$_n: $(wc -l <"$GW_WORK/$_n.matches") reconnects reported, $(wc -l <"$GW_WORK/$_n.truth") made" \
			"$GW_WORK/$_n.matches"
	if grep -q '^wrong .* full$' "$GW_WORK/$_n.matches"; then
		gw_fail "$_n: a wrong match of full confidence" "$GW_WORK/$_n.matches"
	fi
}

run fixed
ok=$(grep -c '^ok' "$GW_WORK/fixed.matches" || true)
all=$(wc -l <"$GW_WORK/fixed.matches")
[ $((ok * 100)) -ge $((all * 95)) ] || gw_fail "fixed delay: only $ok of $all right" "$GW_WORK/fixed.matches"

run varying --jitter-ms 1500
grep -q '^wrong' "$GW_WORK/varying.matches" ||
	gw_fail "varying delays: no wrong match at all (the test no longer tests ambiguity)"
if grep -q '^wrong .* high$' "$GW_WORK/varying.matches"; then
	gw_fail "varying delays: a wrong match of high confidence" "$GW_WORK/varying.matches"
fi

run devices --jitter-ms 1500 --ttl-variety
grep -q ' fingerprint ' "$GW_WORK/devices.matches" ||
	gw_fail "two kinds of device: the fingerprint never decided" "$GW_WORK/devices.matches"

gw_pass "same delay: $ok of $all right; varying delays: every wrong match marked low"
