#!/bin/sh
# t-schema - every record gapwatchd writes against the JSON Schema that
# ships with it (doc/gapwatch-records.schema.json, python3-jsonschema):
# the lab's (tools/lab: gap_open, gap, probe, stats), a tiny queue's burst
# (blind records, a stats record with blind intervals), and a replay of
# players sharing addresses (reconnect objects of every method).
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/integration/lib.sh"

gw_init t-schema
gw_need_root
gw_need_binaries
python3 -c 'import jsonschema' 2>/dev/null || gw_fail "no python3-jsonschema (tools/install-deps)"
schema=$top/doc/gapwatch-records.schema.json
validate() {	# NAME FILE...
	_n=$1
	shift
	python3 "$top/tests/integration/validate-records.py" "$schema" "$@" \
		>"$GW_WORK/$_n.validate" 2>&1 ||
		gw_fail "$_n: records that the schema refuses" "$GW_WORK/$_n.validate"
	gw_log "$_n: valid: $(tail -n 1 "$GW_WORK/$_n.validate")"
}

"$top/tools/lab" >"$GW_WORK/lab.log" 2>&1 || gw_fail "tools/lab failed" "$GW_WORK/lab.log"
validate lab "$top/lab-out/gaps.jsonl"
grep -q '"type":"probe"' "$top/lab-out/gaps.jsonl" || gw_fail "the lab wrote no probe record"

gw_topology
report=$GW_WORK/blind.jsonl
gw_start_gapwatchd 7781 "$report" --queue-maxlen 8
gw_rules 7781
gw_wait_counters
gw_bg "$NS_S" sink "$GAMESIM" sink --listen "$SERVER_IP:7781" --duration 5
gw_wait_listen udp 7781
gw_bg "$NS_C" flood "$GAMESIM" flood --connect "$SERVER_IP:7781" --flows 4 \
	--size 200 --rate 50000 --burst 64 --duration 1
gw_exit_status "$GW_LAST_PID" 10
sleep 1
gw_stop_gapwatchd
[ "$(gw_count "$report" blind)" -ge 1 ] || gw_fail "the burst made no blind record" "$report"
validate blind "$report"

"$GW_BUILD/rigs/mkreconnect" -o "$GW_WORK/rc.pcap" --truth "$GW_WORK/rc.truth" \
	--ttl-variety --jitter-ms 1500
"$GAPWATCHD" --read "$GW_WORK/rc.pcap" -p 7781 -o "$GW_WORK/rc.jsonl" --no-pcap \
	2>"$GW_WORK/rc.log" || gw_fail "the replay failed" "$GW_WORK/rc.log"
validate replay "$GW_WORK/rc.jsonl"
gw_pass "lab, blind and replay records valid against schema 1"
