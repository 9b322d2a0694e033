#!/bin/sh
# t-prometheus - the fleet view with a real Prometheus (Debian's), started
# by the test on the server namespace's loopback, scraping gapwatchd
# --metrics every second during the lab's black hole; a PromQL query over
# its HTTP API must count the one path_loss_to_server gap, reconnected;
# the alerting rules load into it. The textfile (--metrics-textfile)
# through Debian's prometheus-node-exporter says the same. Bad input: an
# address that is not one exits 2, one in use exits 1, a textfile that
# cannot be written exits 1, each naming it; a
# scrape left hanging does not hold up SIGTERM. gapwatchd runs with
# --seccomp: the metrics thread and the textfile's rename are allowed.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/integration/lib.sh"

gw_init t-prometheus
gw_need_root
gw_need_binaries
for t in prometheus prometheus-node-exporter curl; do
	command -v "$t" >/dev/null || gw_fail "$t is missing (tools/install-deps)"
done
gw_topology

# Bad input first, on the terminal.
rc=0
nss "$GAPWATCHD" -f -p 7781 -o "$GW_WORK/x.jsonl" --metrics 127.0.0.1:99999 \
	>"$GW_WORK/bad.log" 2>&1 || rc=$?
[ "$rc" -eq 2 ] && grep -q "127.0.0.1:99999" "$GW_WORK/bad.log" ||
	gw_fail "--metrics 127.0.0.1:99999: exit $rc, not 2 naming it" "$GW_WORK/bad.log"
gw_bg "$NS_S" squatter python3 -c 'import socket, time
s = socket.socket(); s.bind(("127.0.0.1", 9478)); s.listen(1); time.sleep(30)'
squatter=$GW_LAST_PID
sleep 0.3
rc=0
nss "$GAPWATCHD" -f -p 7781 -o "$GW_WORK/x.jsonl" --user root --metrics 9478 \
	>"$GW_WORK/inuse.log" 2>&1 || rc=$?
[ "$rc" -eq 1 ] && grep -q "cannot serve metrics on 9478: Address already in use" "$GW_WORK/inuse.log" ||
	gw_fail "--metrics on a taken port: exit $rc, not 1 saying so" "$GW_WORK/inuse.log"
gw_stop "$squatter"
rc=0
nss "$GAPWATCHD" -f -p 7781 -o "$GW_WORK/x.jsonl" --user root \
	--metrics-textfile /nonexistent/gapwatch.prom >"$GW_WORK/textfile.log" 2>&1 || rc=$?
[ "$rc" -eq 1 ] && grep -q "cannot write /nonexistent/gapwatch.prom" "$GW_WORK/textfile.log" ||
	gw_fail "an unwritable --metrics-textfile: exit $rc, not 1 naming it" "$GW_WORK/textfile.log"

mkdir -p "$GW_WORK/textfile" "$GW_WORK/tsdb"
# gapwatchd writes the textfile as its run's user.
[ "${GW_PRIVDROP:-0}" != 1 ] || chown gapwatch: "$GW_WORK/textfile"
cat >"$GW_WORK/prometheus.yml" <<EOF2
global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files:
  - $top/dist/gapwatch-alerts.yml
scrape_configs:
  - job_name: gapwatch
    static_configs:
      - targets: ['127.0.0.1:9477']
EOF2
gw_start_gapwatchd 7781 "$GW_WORK/gaps.jsonl" --gap-min 500 --seccomp --metrics 9477 \
	--metrics-textfile "$GW_WORK/textfile/gapwatch.prom"
gw_rules 7781
gw_bg "$NS_S" prometheus prometheus --config.file="$GW_WORK/prometheus.yml" \
	--storage.tsdb.path="$GW_WORK/tsdb" --web.listen-address=127.0.0.1:9090
prom=$GW_LAST_PID
gw_bg "$NS_S" node-exporter prometheus-node-exporter --web.listen-address=127.0.0.1:9100 \
	--collector.disable-defaults --collector.textfile \
	--collector.textfile.directory="$GW_WORK/textfile"
nodex=$GW_LAST_PID
gw_server tcp 7781 server --echo --ping-interval 300
server=$GW_LAST_PID
gw_wait_listen tcp 7781
gw_client tcp 7781 client --ping-interval 200 --timeout 2000
client=$GW_LAST_PID
gw_wait_tcp_flows 7781 1
old=$(gw_client_ports 7781)
sleep 2
gw_blackhole_port tcp "$old"

query() {	# PROMQL -> the first result's value, or nothing
	nss curl -s --max-time 2 http://127.0.0.1:9090/api/v1/query \
		--data-urlencode "query=$1" | jq -r '.data.result[0].value[1] // empty'
}
want='sum(gapwatch_gaps_total{cause="path_loss_to_server",outcome="reconnected"})'
n=0
until [ "$(query "$want")" = 1 ]; do
	n=$((n + 1))
	[ "$n" -lt 60 ] || gw_fail "Prometheus never counted the gap: $want = '$(query "$want")'" \
		"$GW_WORK/gaps.jsonl" "$GW_WORK/prometheus.log"
	sleep 0.5
done
gw_log "Prometheus: $want = 1"
[ "$(query 'count(ALERTS{alertname="GapwatchDown"})')" = "" ] ||
	gw_fail "GapwatchDown fired while gapwatchd runs"
rules=$(nss curl -s http://127.0.0.1:9090/api/v1/rules | jq '[.data.groups[].rules[]] | length')
[ "$rules" -eq 7 ] || gw_fail "Prometheus loaded $rules alerting rules, not 7" "$GW_WORK/prometheus.log"
[ "$(query 'gapwatch_gaps_open')" = 0 ] || gw_fail "gapwatch_gaps_open is not 0 after the gap closed"
sleep 6
nss curl -s http://127.0.0.1:9100/metrics >"$GW_WORK/node.txt"
grep -q '^gapwatch_gaps_total{cause="path_loss_to_server",outcome="reconnected"} 1$' "$GW_WORK/node.txt" ||
	gw_fail "node_exporter's textfile collector does not show the gap" "$GW_WORK/node.txt"

# A scraper that sends half a request and waits: SIGTERM is not held up.
nss bash -c 'exec 3<>/dev/tcp/127.0.0.1/9477; printf "GET /metr" >&3; sleep 20' &
hang=$!
sleep 0.3
t0=$(date +%s)
gw_stop "$client"
gw_stop "$server"
gw_stop_gapwatchd
t1=$(date +%s)
kill "$hang" 2>/dev/null || true
[ $((t1 - t0)) -le 8 ] || gw_fail "gapwatchd took $((t1 - t0)) s to stop with a scrape hanging"
gw_stop "$prom"
gw_stop "$nodex"
gw_pass "Prometheus and node_exporter count the gap; 7 rules loaded; bad addresses said; stop in $((t1 - t0)) s"
