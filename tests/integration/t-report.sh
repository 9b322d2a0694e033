#!/bin/sh
# t-report - gapwatch(8) from end to end.
#
#  1. A synthetic report of 100,000 gaps (mkreport): "gapwatch report"
#     counts what jq counts, the CSV has one row a gap, the gzip'd copy
#     reads the same, and the JSON holds the percentiles.
#  2. Bad input: a line that is not JSON and a cut last line are skipped
#     and counted; an empty file is said so; a missing file exits 1 and
#     is named; a bad option exits 2; a record's terminal escapes are
#     not passed on.
#  3. The HTML page of the 100,000 gaps: self-contained (no script, no
#     fetch), light (few thousand elements), and rendered by headless
#     Chromium to a PNG within 10 s. The PNG is kept in the work
#     directory (GW_KEEP=1 keeps it all).
#  4. As root, the lab's black hole (tests/integration/lib.sh): gapwatchd
#     writes the gap's pcap into the directory beside its report (the
#     live default), and the gap record names it; "gapwatch show" of the
#     gap prints that file's packets: the server's retransmissions with
#     their back-off and the client's reconnecting SYN; "gapwatch report"
#     counts the gap.
#
# Chromium is Debian's "chromium"; as root the test installs it when it
# is missing, otherwise it fails saying so.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/integration/lib.sh"

MKREPORT=$GW_BUILD/rigs/mkreport

gw_init t-report
for b in "$GAPWATCH" "$MKREPORT"; do
	[ -x "$b" ] || gw_fail "$b is missing: run tools/build first"
done
command -v jq >/dev/null 2>&1 || gw_fail "jq is missing (tools/install-deps)"
w=$GW_WORK

# expect DESCRIPTION RC PATTERN CMD...: CMD exits RC, and its output
# (stdout and stderr) holds PATTERN (a fixed string; "" for any).
expect() {
	desc=$1
	want=$2
	pat=$3
	shift 3
	rc=0
	"$@" >"$w/out" 2>&1 || rc=$?
	[ "$rc" -eq "$want" ] ||
		gw_fail "$desc: exit status $rc, expected $want (command: $*)" "$w/out"
	[ -z "$pat" ] || grep -qF -- "$pat" "$w/out" ||
		gw_fail "$desc: output lacks '$pat' (command: $*)" "$w/out"
}

# ---- 1. 100,000 gaps ----

"$MKREPORT" -n 200000 --seed 7 -o "$w/big.jsonl" || gw_fail "mkreport failed"
"$GAPWATCH" report --json "$w/big.jsonl" >"$w/big.json" 2>"$w/big.err" ||
	gw_fail "gapwatch report --json failed" "$w/big.err"
# jq's count: the distinct ids of gap records, and the gap_opens whose id
# has no gap record.
jq -n -c '[inputs | select(.type == "gap" or .type == "gap_open") | [.id, .type]]
	| group_by(.[0])
	| { closed: (map(select(any(.[]; .[1] == "gap"))) | length),
	    open: (map(select(all(.[]; .[1] == "gap_open"))) | length) }' \
	"$w/big.jsonl" >"$w/jq.json"
closed=$(jq .closed "$w/jq.json")
open=$(jq .open "$w/jq.json")
gw_log "jq: $closed closed, $open open"
[ "$closed" -gt 90000 ] || gw_fail "mkreport made only $closed closed gaps" "$w/jq.json"
gw_check "report counts the closed gaps as jq does ($closed)" "$(cat "$w/big.json")" \
	'.gaps.closed == $c' --argjson c "$closed"
gw_check "report counts the open gaps as jq does ($open)" "$(cat "$w/big.json")" \
	'.gaps.open == $o and .gaps.total == $c + $o' --argjson o "$open" --argjson c "$closed"
gw_check "no line skipped" "$(cat "$w/big.json")" \
	'.lines.not_json == 0 and .lines.truncated == 0 and .lines.read == 200000'
# By cause: jq's count of closed gaps per cause (a gap's cause is its
# gap record's).
jq -n -c 'reduce (inputs | select(.type == "gap")) as $r ({}; .[$r.cause] += 1)' \
	"$w/big.jsonl" >"$w/jq-causes.json"
gw_check "closed gaps by cause as jq counts them" "$(cat "$w/big.json")" \
	'[.causes[] | {(.cause): (.gaps - .open)}] | add == $j' \
	--argjson j "$(cat "$w/jq-causes.json")"
gw_check "median <= p95 <= max, nearest rank" "$(cat "$w/big.json")" \
	'.duration.median_ms <= .duration.p95_ms and .duration.p95_ms <= .duration.max_ms
	 and .percentiles == "nearest-rank, closed gaps"'
gw_check "top clients and prefixes, busiest minutes" "$(cat "$w/big.json")" \
	'(.top_clients | length) == 10 and (.top_prefixes | length) == 10 and
	 (.busiest_minutes | length) == 5 and
	 ([.top_prefixes[].prefix | test("/24$|/48$")] | all)'

# The text summary fits 100 columns.
"$GAPWATCH" report "$w/big.jsonl" >"$w/big.txt" 2>"$w/big.err" ||
	gw_fail "gapwatch report failed" "$w/big.err"
long=$(awk 'length > 100' "$w/big.txt" | wc -l)
[ "$long" -eq 0 ] || gw_fail "$long lines of the summary are wider than 100 columns" "$w/big.txt"
grep -q '^CAUSE' "$w/big.txt" || gw_fail "the summary has no cause table" "$w/big.txt"

# CSV: a header and one row a gap.
"$GAPWATCH" report --csv "$w/big.jsonl" >"$w/big.csv" 2>"$w/csv.err" ||
	gw_fail "gapwatch report --csv failed" "$w/csv.err"
rows=$(($(wc -l <"$w/big.csv") - 1))
[ "$rows" -eq $((closed + open)) ] ||
	gw_fail "the CSV has $rows rows for $((closed + open)) gaps" "$w/csv.err"

# gzip'd (as logrotate leaves it): the same aggregates.
gzip -c "$w/big.jsonl" >"$w/big.jsonl.1.gz"
"$GAPWATCH" report --json "$w/big.jsonl.1.gz" >"$w/gz.json" 2>"$w/gz.err" ||
	gw_fail "gapwatch report of a .gz failed" "$w/gz.err"
[ "$(jq -c 'del(.files)' "$w/gz.json")" = "$(jq -c 'del(.files)' "$w/big.json")" ] ||
	gw_fail "the .gz gives other numbers than the plain file" "$w/gz.json"

# Filters: the same numbers jq finds.
n=$(jq -n '[inputs | select(.type == "gap" and .cause == "nat_rebind")] | length' "$w/big.jsonl")
gw_check "--cause nat_rebind" "$("$GAPWATCH" report --json --cause nat_rebind "$w/big.jsonl" 2>/dev/null)" \
	'.gaps.closed == $n' --argjson n "$n"
n=$(jq -n '[inputs | select(.type == "gap" and (.server | endswith(":27015")))] | length' "$w/big.jsonl")
gw_check "--port 27015" "$("$GAPWATCH" report --json --port 27015 "$w/big.jsonl" 2>/dev/null)" \
	'.gaps.closed == $n' --argjson n "$n"
n=$(jq -n '[inputs | select(.type == "gap" and .duration_ms >= 10000)] | length' "$w/big.jsonl")
gw_check "--min-duration 10s" "$("$GAPWATCH" report --json --min-duration 10s "$w/big.jsonl" 2>/dev/null)" \
	'.gaps.closed == $n' --argjson n "$n"
n=$(jq -n '[inputs | select(.type == "gap" and (.client | startswith("[2001:db8:")))] | length' "$w/big.jsonl")
gw_check "--client 2001:db8::/32" "$("$GAPWATCH" report --json --client 2001:db8::/32 "$w/big.jsonl" 2>/dev/null)" \
	'.gaps.closed == $n' --argjson n "$n"
n=$(jq -n "$JQ_DEFS"' [inputs | select(.type == "gap" and (.start | epoch) >= 1795611600)] | length' "$w/big.jsonl")
gw_check "--since 1h with --now 14:00Z (13:00Z)" \
	"$("$GAPWATCH" report --json --since 1h --now 2026-11-25T14:00:00Z "$w/big.jsonl" 2>/dev/null)" \
	'.gaps.closed == $n and .window.start == "2026-11-25T13:00:00.000000Z"' --argjson n "$n"

# ---- 2. bad input ----

"$MKREPORT" -n 1000 --seed 3 --bad -o "$w/bad.jsonl"
expect "a line not JSON and a cut last line" 0 \
	"2 skipped (1 not JSON, 1 incomplete last line)" "$GAPWATCH" report "$w/bad.jsonl"
grep -qF "bad.jsonl:500: not JSON: skipped" "$w/out" ||
	gw_fail "the bad line is not named by file:line" "$w/out"
grep -qF "bad.jsonl:1000: incomplete last line" "$w/out" ||
	gw_fail "the cut last line is not named" "$w/out"
: >"$w/empty.jsonl"
expect "an empty file" 0 "empty file" "$GAPWATCH" report "$w/empty.jsonl"
expect "a missing file" 1 "$w/missing.jsonl: cannot open: No such file or directory" \
	"$GAPWATCH" report "$w/missing.jsonl"
expect "a missing file among good ones" 1 "$w/missing.jsonl: cannot open" \
	"$GAPWATCH" report "$w/bad.jsonl" "$w/missing.jsonl"
grep -q '^CAUSE' "$w/out" || gw_fail "no summary of the files that could be read" "$w/out"
expect "a bad option" 2 "--bogus" "$GAPWATCH" report --bogus "$w/bad.jsonl"
expect "a bad --since" 2 "--since: 'yesterday' is not a time" \
	"$GAPWATCH" report --since yesterday "$w/bad.jsonl"
expect "a bad --client" 2 "--client: '198.18.0.0/40'" \
	"$GAPWATCH" report --client 198.18.0.0/40 "$w/bad.jsonl"
expect "no command" 2 "usage: gapwatch" "$GAPWATCH"
expect "--help" 0 "usage: gapwatch" "$GAPWATCH" --help
expect "show without an id" 2 "which gap?" "$GAPWATCH" show
expect "show of an unknown id" 1 "no gap with id nope" "$GAPWATCH" show nope "$w/bad.jsonl"
# A record whose text holds a terminal's escapes (ESC, BEL, a C1 CSI):
# no output meant for a terminal passes one on.
head -n 20 "$w/bad.jsonl" | jq -c 'select(.type == "gap") |
	.id = "esc-\(.id)" | .host = "h\u001b]0;title\u0007" |
	.cause = "c\u001b[2J\u009b31m" | .outcome = "o\u0007" |
	.evidence = "e\u001b[8m" | .explanation = "x\u001b[8m" |
	.next_step = "n\u001b[8m"' >"$w/esc.jsonl" 2>/dev/null || true
[ -s "$w/esc.jsonl" ] || gw_fail "no gap to put escapes into" "$w/bad.jsonl"
esc_id=$(head -n 1 "$w/esc.jsonl" | jq -r .id)
esc_client=$(head -n 1 "$w/esc.jsonl" | jq -r '.client | sub(":[0-9]+$"; "") | ltrimstr("[") | rtrimstr("]")')
for cmd in "report" "report --json" "report --csv" "show $esc_id" "show --client $esc_client"; do
	# shellcheck disable=SC2086
	"$GAPWATCH" $cmd "$w/esc.jsonl" >"$w/esc.out" 2>&1 || gw_fail "gapwatch $cmd of esc.jsonl failed" "$w/esc.out"
	! LC_ALL=C grep -q "$(printf '[\033\007]')\|$(printf '\302')[$(printf '\200-\237')]" "$w/esc.out" ||
		gw_fail "gapwatch $cmd passes a control character on" "$w/esc.out"
	! grep -q '\\u001b\|\\u0007\|\\u009b' "$w/esc.out" ||
		gw_fail "gapwatch $cmd passes a control character on, escaped" "$w/esc.out"
done

# ---- 3. the HTML page of 100,000 gaps, through Chromium ----

t0=$(date +%s.%N)
"$GAPWATCH" report --html "$w/big.html" "$w/big.jsonl" 2>"$w/html.err" ||
	gw_fail "gapwatch report --html failed" "$w/html.err"
t1=$(date +%s.%N)
gw_log "HTML written in $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }') s, $(wc -c <"$w/big.html") bytes"
if grep -qiE '<script|<link|<img|@import|url\(|src="' "$w/big.html"; then
	gw_fail "the page is not self-contained (script, link, img, import or url)" "$w/html.err"
fi
# Bounded whatever the number of gaps: the charts' bins, and the 500
# listed gaps with their details (about 25,000 elements in all); one mark
# per gap would be over 100,000.
elems=$(grep -o '<[a-z]' "$w/big.html" | wc -l)
[ "$elems" -lt 40000 ] || gw_fail "the page has $elems elements for 100k gaps: not aggregated"
grep -q '500 longest' "$w/big.html" || gw_fail "the page does not say it lists the 500 longest"

if ! command -v chromium >/dev/null 2>&1; then
	[ "$(id -u)" -eq 0 ] ||
		gw_fail "chromium is missing: apt-get install chromium (Debian), or run as root"
	gw_log "installing chromium (Debian's)"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
		chromium fonts-dejavu-core >"$w/apt.log" 2>&1 ||
		{ apt-get update -qq >/dev/null 2>&1 &&
		  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
			chromium fonts-dejavu-core >"$w/apt.log" 2>&1; } ||
		gw_fail "cannot install chromium" "$w/apt.log"
fi
profile=$(mktemp -d "${TMPDIR:-/tmp}/t-report-chromium.XXXXXX")
t0=$(date +%s%N)
rc=0
timeout 60 chromium --headless --no-sandbox --disable-gpu \
	--disable-background-networking --disable-component-update --disable-sync \
	--no-first-run --user-data-dir="$profile" --screenshot="$w/big.png" \
	--window-size=1400,2400 "file://$w/big.html" >"$w/chromium.log" 2>&1 || rc=$?
t1=$(date +%s%N)
rm -rf "$profile"
ms=$(((t1 - t0) / 1000000))
[ "$rc" -eq 0 ] || gw_fail "chromium exited $rc" "$w/chromium.log"
[ -s "$w/big.png" ] || gw_fail "chromium wrote no screenshot" "$w/chromium.log"
[ "$(head -c 8 "$w/big.png" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] ||
	gw_fail "the screenshot is not a PNG" "$w/chromium.log"
[ "$ms" -le 10000 ] || gw_fail "chromium took $ms ms to render 100k gaps (limit 10 s)"
gw_log "chromium rendered the 100k-gap page in $ms ms: $w/big.png"

# ---- 4. the lab's black hole, its packets, and "gapwatch show" ----

if [ "$(id -u)" -ne 0 ]; then
	gw_log "not root: the black-hole part (namespaces) is skipped"
	gw_pass "100k gaps counted as jq counts them; bad input; HTML rendered in $ms ms"
fi
command -v tcpdump >/dev/null 2>&1 || gw_fail "tcpdump is missing (tools/install-deps)"
gw_need_binaries
gw_scenario_tcp_blackhole
report=$w/gaps.jsonl
id=$(jq -r --argjson p "$OLD_PORT" \
	'select(.type == "gap" and .client == "198.18.1.2:\($p)") | .id' "$report")
[ -n "$id" ] || gw_fail "no gap record for the black-holed port $OLD_PORT" "$report"
pcap=$(jq -r --arg id "$id" 'select(.type == "gap" and .id == $id) | .pcap // empty' "$report")
[ "$pcap" = "$w/pcap/$id.pcap" ] ||
	gw_fail "gap $id names the pcap '$pcap', not $w/pcap/$id.pcap" "$report"
[ -s "$pcap" ] || gw_fail "gapwatchd wrote no pcap $pcap for gap $id" "$w/gapwatchd.log"
npk=$(tcpdump -r "$pcap" -n 2>/dev/null | wc -l)
[ "$npk" -gt 0 ] || gw_fail "the pcap of gap $id holds no packet" "$w/gapwatchd.log"
gw_log "gap $id; gapwatchd's pcap $pcap: $npk packets"
expect "gapwatch show $id" 0 "cause        path_loss_to_server" \
	"$GAPWATCH" show --packets 200 "$id" "$report"
grep -qF "pcap         $pcap: $npk packets of this flow and its reconnect" "$w/out" ||
	gw_fail "show does not read the $npk packets of $pcap" "$w/out"
cp "$w/out" "$w/show.txt"
grep -q "RETRANSMISSION 1," "$w/show.txt" ||
	gw_fail "show lists no retransmission from the capture" "$w/show.txt"
grep -q "S>C.*RETRANSMISSION 2, .*(x[1-9]" "$w/show.txt" ||
	gw_fail "show gives no back-off for the server's second retransmission" "$w/show.txt"
grep -q "C>S \[S\] .*new flow from port $NEW_PORT: the client reconnects" "$w/show.txt" ||
	gw_fail "show does not name the reconnect SYN from port $NEW_PORT" "$w/show.txt"
grep -q "exponential back-off" "$w/show.txt" ||
	gw_fail "show does not call the RTO growth a back-off" "$w/show.txt"
grep -q "END: reconnected: the client came back from port $NEW_PORT" "$w/show.txt" ||
	gw_fail "show does not end the gap with the reconnect" "$w/show.txt"
"$GAPWATCH" report --json "$report" >"$w/lab.json" 2>"$w/lab.err" ||
	gw_fail "gapwatch report of the lab's file failed" "$w/lab.err"
gw_check "report counts the lab's gap" "$(cat "$w/lab.json")" \
	'.gaps.closed == 1 and .causes[0].cause == "path_loss_to_server" and
	 .reconnect.gaps == 1 and .top_clients[0].client == "198.18.1.2"'

gw_pass "100k gaps as jq counts them; bad input; HTML rendered in $ms ms; show of the black hole"
