#!/bin/sh
# t-report-hosts - many servers in one report: two hosts' records
# (replays of one capture, --host-name game-a and game-b) read together:
# a table by host, the gaps that began together on both counted as one
# upstream event, --host keeping one host's gaps, the JSON's hosts array.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/integration/lib.sh"

gw_init t-report-hosts
gw_need_binaries
"$GW_BUILD/rigs/mkpcap" -o "$GW_WORK/m.pcap" --flows 200 --packets 6000 --silent-flows 10
for h in game-a game-b; do
	"$GAPWATCHD" --read "$GW_WORK/m.pcap" -p 7781 -o "$GW_WORK/$h.jsonl" --no-pcap \
		--host-name "$h" 2>"$GW_WORK/$h.log" || gw_fail "replay as $h failed" "$GW_WORK/$h.log"
	[ "$(jq -r 'select(.type == "gap") | .host' "$GW_WORK/$h.jsonl" | sort -u)" = "$h" ] ||
		gw_fail "the records of $h do not say host $h" "$GW_WORK/$h.jsonl"
done
"$GAPWATCH" report "$GW_WORK/game-a.jsonl" "$GW_WORK/game-b.jsonl" >"$GW_WORK/both.txt"
grep -Eq '^game-a +10 ' "$GW_WORK/both.txt" && grep -Eq '^game-b +10 ' "$GW_WORK/both.txt" ||
	gw_fail "no table by host" "$GW_WORK/both.txt"
grep -q '^events    1 times gaps began within a second on several hosts (20 gaps)' "$GW_WORK/both.txt" ||
	gw_fail "the gaps that began together on both hosts are not one event" "$GW_WORK/both.txt"
"$GAPWATCH" report --host game-b "$GW_WORK/game-a.jsonl" "$GW_WORK/game-b.jsonl" >"$GW_WORK/b.txt"
grep -q '^gaps      10 ' "$GW_WORK/b.txt" || gw_fail "--host game-b does not keep its 10 gaps" "$GW_WORK/b.txt"
grep -q '^HOST' "$GW_WORK/b.txt" && gw_fail "one host left, yet a table by host" "$GW_WORK/b.txt"
"$GAPWATCH" report --json "$GW_WORK/game-a.jsonl" "$GW_WORK/game-b.jsonl" >"$GW_WORK/both.json"
jq -e '(.hosts | map(.host) | sort) == ["game-a", "game-b"] and .host_events.events == 1 and
	.host_events.largest_hosts == 2' "$GW_WORK/both.json" >/dev/null ||
	gw_fail "the JSON report's hosts or events are wrong" "$GW_WORK/both.json"
"$GAPWATCH" report --html "$GW_WORK/both.html" "$GW_WORK/game-a.jsonl" "$GW_WORK/game-b.jsonl" 2>/dev/null
grep -q '<h2>By host</h2>' "$GW_WORK/both.html" || gw_fail "the HTML page has no hosts"
# Where the probe ladders stop: two at one hop where a fresh flow got
# through (state lost), one at another where it did not (path down).
for k in 1 2 3; do
	case $k in 3) hop=203.0.113.9 fresh=false ;; *) hop=203.0.113.1 fresh=true ;; esac
	printf '{"type":"probe","schema":1,"host":"game-a","id":"r-0-%s","proto":"tcp","client":"198.51.100.%s:40000","server":"198.18.2.2:7781","control_port":7782,"flow":[],"control":[],"last_hop":{"addr":"%s","ttl":4},"control_last_hop":null,"client_reached":false,"control_client_reached":%s,"duration_ms":1200.0,"verdict":"x"}\n' \
		"$k" "$k" "$hop" "$fresh"
done >"$GW_WORK/probes.jsonl"
"$GAPWATCH" report --json "$GW_WORK/probes.jsonl" >"$GW_WORK/probes.json"
jq -e '.lines.probe == 3 and .probe_hops.ladders == 3 and .probe_hops.hops == 2 and
	.probe_hops.top[0] == {"hop":"203.0.113.1","ladders":2,"players":2,"prefixes":1,"state_lost":2,"path_down":0} and
	.probe_hops.top[1].path_down == 1' "$GW_WORK/probes.json" >/dev/null ||
	gw_fail "the hops where ladders stop are wrong" "$GW_WORK/probes.json"
"$GAPWATCH" report "$GW_WORK/probes.jsonl" | grep -Eq '^203\.0\.113\.1 +2 +66\.7% +2 +1 +100% +0%' ||
	gw_fail "no hops table in the text report" 
gw_pass "2 hosts, 1 upstream event of 20 gaps, --host, JSON and HTML; the hops where ladders stop"
