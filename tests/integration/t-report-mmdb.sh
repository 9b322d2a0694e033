#!/bin/sh
# t-report-mmdb - gapwatch report --mmdb end to end, no network needed: a
# missing, a corrupt (random bytes, a truncated real one) and a file with
# neither carriers nor countries each exit 2 naming the file, before any
# report is written; a valid pair (rigs/mkmmdb) exits 0, and the CSV rows
# carry each client's carrier and country: an IPv4 one, an IPv6 one, and
# one no file knows (empty fields), and a carrier whose name a
# spreadsheet would run as a formula (quoted behind a '). The gap records are one of
# rigs/mkreport's with the client swapped.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/integration/lib.sh"

gw_init t-report-mmdb
for b in "$GAPWATCH" "$GW_BUILD/rigs/mkreport"; do
	[ -x "$b" ] || gw_fail "$b is missing: run tools/build first"
done
W=$GW_WORK

printf '198.18.0.0/24\t64500\tExample Carrier\tDE\n2001:db8:1::/48\t64502\tExample V6\tNL\n198.18.5.0/24\t64503\t=1+2\tSE\n' \
	>"$W/nets.tsv"
perl "$top/rigs/mkmmdb" --asn "$W/asn.mmdb" --country "$W/country.mmdb" \
	<"$W/nets.tsv" 2>"$W/mkmmdb.err" ||
	gw_fail "mkmmdb failed (libmaxmind-db-writer-perl?)" "$W/mkmmdb.err"

"$GW_BUILD/rigs/mkreport" -n 20 -o "$W/base.jsonl"
gap=$(grep -m1 '"type":"gap",' "$W/base.jsonl") || gw_fail "mkreport wrote no gap" "$W/base.jsonl"
: >"$W/gaps.jsonl"
n=0
for c in '198.18.0.7:40000' '[2001:db8:1::5]:40001' '203.0.113.9:40002' '198.18.5.7:40003'; do
	n=$((n + 1))
	printf '%s\n' "$gap" | sed -e "s/\"id\":\"[^\"]*\"/\"id\":\"t-mmdb-$n\"/" \
		-e "s/\"client\":\"[^\"]*\"/\"client\":\"$c\"/" >>"$W/gaps.jsonl"
done

# expect_usage NAME FILE TEXT: --mmdb FILE exits 2 with one message naming
# FILE and saying TEXT, and writes no report.
expect_usage() {
	rc=0
	"$GAPWATCH" report --mmdb "$W/asn.mmdb" --mmdb "$2" "$W/gaps.jsonl" \
		>"$W/$1.out" 2>"$W/$1.err" || rc=$?
	[ "$rc" -eq 2 ] || gw_fail "$1: exit $rc, not 2" "$W/$1.err"
	grep -qF "gapwatch report: --mmdb $2: $3" "$W/$1.err" ||
		gw_fail "$1: the message does not name $2 and say '$3'" "$W/$1.err"
	[ ! -s "$W/$1.out" ] || gw_fail "$1: a report was written all the same" "$W/$1.out"
}

expect_usage missing "$W/missing.mmdb" "No such file or directory"
head -c 3000 /dev/urandom >"$W/random.mmdb"
expect_usage random "$W/random.mmdb" ""
size=$(wc -c <"$W/asn.mmdb")
head -c $((size / 2)) "$W/asn.mmdb" >"$W/truncated.mmdb"
expect_usage truncated "$W/truncated.mmdb" ""
# A database of some other kind: refused, not silently unknown.
perl "$top/rigs/mkmmdb" --database-type Example-Other --country "$W/other.mmdb" \
	</dev/null 2>"$W/other.err" || gw_fail "mkmmdb (empty) failed" "$W/other.err"
expect_usage other "$W/other.mmdb" "neither"

"$GAPWATCH" report --csv --mmdb "$W/asn.mmdb" --mmdb "$W/country.mmdb" \
	"$W/gaps.jsonl" >"$W/gaps.csv" 2>"$W/gaps.err" ||
	gw_fail "report --csv with a valid pair failed" "$W/gaps.err"
# The last three columns: asn, as_org, country.
sed 1d "$W/gaps.csv" | awk -F, '{ print $1 "," $(NF-2) "," $(NF-1) "," $NF }' \
	>"$W/told"
cat >"$W/want" <<EOF
t-mmdb-1,64500,Example Carrier,DE
t-mmdb-2,64502,Example V6,NL
t-mmdb-3,,,
t-mmdb-4,64503,"'=1+2",SE
EOF
cmp -s "$W/told" "$W/want" ||
	gw_fail "the CSV's carriers and countries are not the files'" "$W/told" "$W/want"
"$GAPWATCH" report --mmdb "$W/asn.mmdb" --mmdb "$W/country.mmdb" \
	"$W/gaps.jsonl" >"$W/gaps.txt" 2>"$W/gaps.err" ||
	gw_fail "the text report with a valid pair failed" "$W/gaps.err"
gw_pass "missing, corrupt and foreign files exit 2 naming them; a valid pair names carriers and countries"
