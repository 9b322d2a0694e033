#!/bin/sh
# t-report-follow - gapwatch report --follow keeps its summary up to date
# as the report grows: the gaps already there, lines appended (one
# written in two halves: a record being written is completed, not
# skipped), a logrotate "create" rotation (rename, the old file written
# to once more, a new file) and a "copytruncate" one, a gap going on
# (open now, until its gap record comes); SIGTERM ends it
# with a final summary and exit 0. --follow with --json, with two files
# or on a gzip'd file exits 2, on a missing file 1.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/integration/lib.sh"

gw_init t-report-follow
# Only the reader is run: no daemon, no namespaces, no jq.
[ -x "$GAPWATCH" ] || gw_fail "$GAPWATCH is missing: run tools/build first"

F=$GW_WORK/gaps.jsonl
OUT=$GW_WORK/out
ERR=$GW_WORK/err
NOW=$(date -u +%Y-%m-%dT%H:%M:%SZ)
nrec=0

# record: the next gap record, without its newline.
record() {
	nrec=$((nrec + 1))
	REC=$(printf '{"type":"gap","id":"follow-%d","proto":"udp","client":"198.18.%d.%d:40000","server":"198.18.2.2:7781","start":"%s","duration_ms":1500,"cause":"path_loss_to_server","outcome":"reconnected"}' \
		"$nrec" $((nrec % 3)) $((nrec % 200)) "$NOW")
}

# add FILE N: append N gap records.
add() {
	_i=0
	while [ "$_i" -lt "$2" ]; do
		record
		printf '%s\n' "$REC" >>"$1"
		_i=$((_i + 1))
	done
}

# wait_gaps N: wait (10 s) for a summary of N gaps, all in the last 10
# minutes.
wait_gaps() {
	_n=0
	until grep -q "^gaps  *$1 (last minute [0-9]*, last 10 minutes $1)\$" "$OUT"; do
		kill -0 "$PID" 2>/dev/null || gw_fail "--follow ended early" "$OUT" "$ERR"
		_n=$((_n + 1))
		[ "$_n" -lt 50 ] || gw_fail "no summary of $1 gaps within 10 s" "$OUT" "$ERR"
		sleep 0.2
	done
}

# wait_read: wait (10 s) until gapwatch has read $F to its end: the
# offset of its descriptor of $F (/proc/PID/fdinfo) is the file's size.
wait_read() {
	_n=0
	while :; do
		_size=$(wc -c <"$F")
		for _fd in /proc/"$PID"/fd/*; do
			[ "$(readlink "$_fd" 2>/dev/null)" = "$F" ] || continue
			_pos=$(awk '/^pos:/ { print $2 }' "/proc/$PID/fdinfo/${_fd##*/}")
			[ "$_pos" = "$_size" ] && return 0
		done
		_n=$((_n + 1))
		[ "$_n" -lt 50 ] || gw_fail "gapwatch did not read $F to its end within 10 s" "$OUT" "$ERR"
		sleep 0.2
	done
}

# ---- the file as it was: 5 gaps ----
add "$F" 5
"$GAPWATCH" report --follow "$F" >"$OUT" 2>"$ERR" &
PID=$!
GW_PIDS="$GW_PIDS $PID"
wait_gaps 5

# ---- appended: 2 records, then one in two halves ----
add "$F" 2
record
printf '%s' "$REC" | cut -c1-60 | tr -d '\n' >>"$F"
wait_read
printf '%s\n' "$(printf '%s' "$REC" | cut -c61-)" >>"$F"
wait_gaps 8

# ---- rotation by rename and create ----
mv "$F" "$F.1"
# The daemon writes to the renamed file until it reopens the path.
add "$F.1" 1
# The path is missing for a poll or so, as between logrotate's steps.
sleep 0.3
add "$F" 4
wait_gaps 13
[ "$(grep -c "^gapwatch report: $F was rotated; following the new file\$" "$ERR")" -eq 1 ] ||
	gw_fail "the rename rotation was not told once" "$ERR"

# ---- rotation by copytruncate: fewer records than before ----
: >"$F"
add "$F" 2
wait_gaps 15
grep -q "^gapwatch report: $F was rotated; reading it again from the start" "$ERR" ||
	gw_fail "the copytruncate rotation was not told" "$ERR"

# ---- a gap going on: open now, until its gap record comes ----
OPEN='{"type":"gap_open","id":"follow-open","proto":"udp","client":"198.18.9.9:40000","server":"198.18.2.2:7781","start":"'"$NOW"'","end":null,"detected":"'"$NOW"'","duration_ms":600,"cause":"path_loss_to_server"}'
printf '%s\n' "$OPEN" >>"$F"
_n=0
until grep -q "^open now  1 (the oldest: 198\.18\.9\.9:40000 since " "$OUT"; do
	_n=$((_n + 1))
	[ "$_n" -lt 50 ] || gw_fail "the gap_open is not told as open within 10 s" "$OUT" "$ERR"
	sleep 0.2
done
printf '%s\n' "$OPEN" | sed -e 's/"gap_open"/"gap"/' -e 's/"end":null,//' \
	-e 's/"duration_ms":600/"duration_ms":2500/' -e 's/}$/,"outcome":"resumed"}/' >>"$F"
wait_gaps 16

# ---- SIGTERM: a final summary, exit 0 ----
kill -TERM "$PID"
gw_exit_status "$PID" 5
[ "$GW_RC" -eq 0 ] || gw_fail "--follow exited $GW_RC on SIGTERM, not 0" "$OUT" "$ERR"
awk '/^--- / { s = "" } { s = s $0 "\n" } END { printf "%s", s }' "$OUT" >"$GW_WORK/final"
grep -q '^gaps  *16 ' "$GW_WORK/final" || gw_fail "the final summary is not of 16 gaps" "$OUT"
grep -q '^open now  0$' "$GW_WORK/final" || gw_fail "the closed gap is still told as open" "$GW_WORK/final"
grep -q ' 17 lines read, 0 bad lines skipped$' "$GW_WORK/final" ||
	gw_fail "the final summary does not count 17 good lines" "$GW_WORK/final" "$ERR"
# One summary for each wait_gaps above, and the final one.
[ "$(grep -c '^--- [0-9][0-9]:[0-9][0-9]:[0-9][0-9]Z$' "$OUT")" -ge 5 ] ||
	gw_fail "not a separator line before each summary" "$OUT"
grep -q '^198\.18\.0\.0/24  *5$' "$GW_WORK/final" ||
	gw_fail "no top prefix 198.18.0.0/24 with 5 gaps" "$GW_WORK/final"

# ---- what cannot be followed ----
rc=0
"$GAPWATCH" report --follow --json "$F" >/dev/null 2>"$GW_WORK/json.err" || rc=$?
[ "$rc" -eq 2 ] && grep -q -- '--html and --mmdb do not follow' "$GW_WORK/json.err" ||
	gw_fail "--follow --json: exit $rc, not 2 saying why" "$GW_WORK/json.err"
rc=0
"$GAPWATCH" report --follow "$F" "$F.1" >/dev/null 2>"$GW_WORK/two.err" || rc=$?
[ "$rc" -eq 2 ] || gw_fail "--follow with two files: exit $rc, not 2" "$GW_WORK/two.err"
gzip -c "$F" >"$F.gz"
rc=0
"$GAPWATCH" report --follow "$F.gz" >/dev/null 2>"$GW_WORK/gz.err" || rc=$?
[ "$rc" -eq 2 ] && grep -q "gzip'd" "$GW_WORK/gz.err" ||
	gw_fail "--follow on a gzip'd file: exit $rc, not 2 saying why" "$GW_WORK/gz.err"
rc=0
"$GAPWATCH" report --follow "$GW_WORK/missing.jsonl" >/dev/null 2>"$GW_WORK/missing.err" || rc=$?
[ "$rc" -eq 1 ] && grep -q "^gapwatch report: cannot open $GW_WORK/missing.jsonl: " "$GW_WORK/missing.err" ||
	gw_fail "--follow on a missing file: exit $rc, not 1 saying why" "$GW_WORK/missing.err"
gw_pass "16 gaps followed through appends, a half-written line, two rotations and a gap going on"
