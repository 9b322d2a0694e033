#!/bin/sh
# t-show-client - one player's story across reconnects: gapwatch show
# --client over a replay of players sharing addresses (rigs/mkreconnect)
# lists every gap of that address in time order, each with the port it
# came back from, as the capture's truth says; an address that is none
# exits 2, one with no gap exits 1.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/integration/lib.sh"

gw_init t-show-client
gw_need_binaries
"$GW_BUILD/rigs/mkreconnect" -o "$GW_WORK/rc.pcap" --truth "$GW_WORK/rc.truth" \
	--addresses 40 --cut-addresses 2 --lone 2
"$GAPWATCHD" --read "$GW_WORK/rc.pcap" -p 7781 -o "$GW_WORK/rc.jsonl" --no-pcap \
	2>"$GW_WORK/rc.log" || gw_fail "the replay failed" "$GW_WORK/rc.log"
"$GAPWATCH" show --client 198.19.0.0 "$GW_WORK/rc.jsonl" >"$GW_WORK/show.txt" ||
	gw_fail "gapwatch show --client failed" "$GW_WORK/show.txt"
[ "$(grep -c ' reconnected -> port ' "$GW_WORK/show.txt")" -eq 13 ] ||
	gw_fail "not the address's 13 gaps" "$GW_WORK/show.txt"
sed -n 's/^[^ ]*  \(198.19.0.0:[0-9]*\) .* -> port \([0-9]*\) .*/\1 \2/p' "$GW_WORK/show.txt" |
	sort >"$GW_WORK/told"
grep '^198.19.0.0:' "$GW_WORK/rc.truth" | sort >"$GW_WORK/truth"
cmp -s "$GW_WORK/told" "$GW_WORK/truth" ||
	gw_fail "the story's reconnects are not the truth" "$GW_WORK/told" "$GW_WORK/truth"
grep -q '^13 gaps, .* silent in all, 13 reconnects$' "$GW_WORK/show.txt" ||
	gw_fail "no summary line" "$GW_WORK/show.txt"
rc=0
"$GAPWATCH" show --client not-an-address "$GW_WORK/rc.jsonl" >/dev/null 2>"$GW_WORK/bad.err" || rc=$?
[ "$rc" -eq 2 ] || gw_fail "--client not-an-address: exit $rc, not 2" "$GW_WORK/bad.err"
rc=0
"$GAPWATCH" show --client 10.0.0.1 "$GW_WORK/rc.jsonl" >/dev/null 2>"$GW_WORK/none.err" || rc=$?
[ "$rc" -eq 1 ] && grep -q "no gap of client 10.0.0.1" "$GW_WORK/none.err" ||
	gw_fail "--client with no gap: exit $rc, not 1 saying so" "$GW_WORK/none.err"
gw_pass "13 gaps of 198.19.0.0 in order, each back from the right port"
