#!/bin/sh
# t-prometheus-rules - the alerting rules shipped (dist/gapwatch-alerts.yml)
# pass promtool check rules and their unit tests (promtool test rules,
# tests/prometheus/gapwatch-alerts.test.yml); a live daemon's exposition
# passes promtool check metrics (the format, the names' conventions).
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/integration/lib.sh"

gw_init t-prometheus-rules
gw_need_binaries
command -v promtool >/dev/null || gw_fail "promtool is missing (Debian: prometheus)"
promtool check rules "$top/dist/gapwatch-alerts.yml" >"$GW_WORK/check.log" 2>&1 ||
	gw_fail "promtool check rules failed" "$GW_WORK/check.log"
(cd "$top/tests/prometheus" && promtool test rules gapwatch-alerts.test.yml) \
	>"$GW_WORK/test.log" 2>&1 || gw_fail "promtool test rules failed" "$GW_WORK/test.log"
# The exposition as a replay writes it: every series, zeros included.
"$GW_BUILD/rigs/mkpcap" -o "$GW_WORK/m.pcap" --flows 100 --packets 3000 --silent-flows 5
"$GAPWATCHD" --read "$GW_WORK/m.pcap" -p 7781 -o /dev/null \
	--metrics-textfile "$GW_WORK/m.prom" 2>"$GW_WORK/replay.log" ||
	gw_fail "replay with --metrics-textfile failed" "$GW_WORK/replay.log"
promtool check metrics <"$GW_WORK/m.prom" >"$GW_WORK/metrics.log" 2>&1 ||
	gw_fail "promtool check metrics complains" "$GW_WORK/metrics.log"
grep -q '^gapwatch_gaps_total{cause="path_loss_to_server",outcome="' "$GW_WORK/m.prom" ||
	gw_fail "the exposition has no gap counts" "$GW_WORK/m.prom"
gw_pass "7 rules checked and tested; the exposition passes promtool check metrics"
