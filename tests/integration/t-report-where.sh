#!/bin/sh
# t-report-where - gapwatch report's "where": on the planted dataset
# (rigs/mkwhere: 100k gaps over 50 carriers, one carrier and its border
# hop at 5x the base rate) it names exactly that carrier and that hop as
# outliers, says where that carrier's ladders stop, and that the outlying
# networks and country are that carrier's (but not a country whose
# carriers are all worse); on null datasets (gaps in proportion to
# exposure) it flags nothing, also when a player's gaps come in runs (more
# spread than Poisson's, measured). The MMDB files are built here
# (rigs/mkmmdb): IPv4 and IPv6 lookups, an address no file knows
# (unknown, counted), an IPv6 client in an IPv4-only file; a
# missing, a corrupt and a truncated file exit 2 naming the file. A
# replay's own exposure records give the rates (gapwatchd --read).
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/integration/lib.sh"

gw_init t-report-where
gw_need_binaries
W=$GW_WORK
MKMMDB=$top/rigs/mkmmdb

"$GW_BUILD/rigs/mkwhere" -o "$W/planted.jsonl" --mmdb-tsv "$W/nets.tsv" \
	--truth "$W/truth"
"$MKMMDB" --asn "$W/asn.mmdb" --country "$W/country.mmdb" <"$W/nets.tsv" ||
	gw_fail "mkmmdb failed"
truth_asn=$(sed -n 1p "$W/truth")
truth_hop=$(sed -n 2p "$W/truth")

"$GAPWATCH" report --json --mmdb "$W/asn.mmdb" --mmdb "$W/country.mmdb" \
	"$W/planted.jsonl" >"$W/planted.json" || gw_fail "report --json failed"
outliers() {	# kind -> the names of its outliers, one a line
	jq -r --arg k "$1" '.where.by[$k].top[] | select(.outlier) | .name' "$W/planted.json"
}
[ "$(outliers asn | sed 's/ .*//')" = "$truth_asn" ] ||
	gw_fail "carrier outliers are not exactly $truth_asn" "$W/planted.json"
[ "$(outliers hop)" = "$truth_hop" ] ||
	gw_fail "hop outliers are not exactly $truth_hop" "$W/planted.json"
[ "$(jq '.where.by.asn.outliers' "$W/planted.json")" -eq 1 ] ||
	gw_fail "more than one carrier flagged" "$W/planted.json"
[ "$(jq '.where.by.hop.outliers' "$W/planted.json")" -eq 1 ] ||
	gw_fail "more than one hop flagged" "$W/planted.json"
[ "$(jq '.where.by.asn.top[0].top_hop' -r "$W/planted.json")" = "$truth_hop" ] ||
	gw_fail "the carrier's ladders do not stop at its hop" "$W/planted.json"
gw_check "the hop's ladders by verdict, its networks and its one carrier" \
	"$(jq -c '.where.by.hop.top[0]' "$W/planted.json")" \
	'.name == $hop and .ladders > 0 and .state_lost + .path_down == .ladders and
	 .state_lost > 0 and .path_down > 0 and .prefixes == 20 and .asns == 1' \
	--arg hop "$truth_hop"
[ "$(jq '.where.asn_unknown + .where.country_unknown' "$W/planted.json")" -eq 0 ] ||
	gw_fail "prefixes unknown to databases that have them all" "$W/planted.json"

"$GAPWATCH" report --mmdb "$W/asn.mmdb" --mmdb "$W/country.mmdb" \
	"$W/planted.jsonl" >"$W/planted.txt" || gw_fail "report failed"
grep -q "^ *100 % of $truth_asn .*'s ladders stop after $truth_hop\$" "$W/planted.txt" ||
	gw_fail "no line on where the carrier's ladders stop" "$W/planted.txt"
grep -q '^CARRIER ' "$W/planted.txt" || gw_fail "no carrier table" "$W/planted.txt"
grep -q "^  [0-9,]* ladders: [0-9]* % this flow's state lost, [0-9]* % the path down; 20 networks, 1 carrier\$" \
	"$W/planted.txt" || gw_fail "no line of the hop's ladders by verdict" "$W/planted.txt"
"$GAPWATCH" report --html "$W/planted.html" --mmdb "$W/asn.mmdb" \
	"$W/planted.jsonl" 2>/dev/null || gw_fail "report --html failed"
grep -q '<section id="where"><h2>Where</h2>' "$W/planted.html" ||
	gw_fail "no Where section in the page" "$W/planted.html"
grep -q 'aria-label="rate by network"' "$W/planted.html" ||
	gw_fail "no chart of rate by network" "$W/planted.html"

# What one carrier explains: its own networks, and its country (PL: an
# ordinary rate without it).
gw_check "the outlying networks and country are the planted carrier's" \
	"$(jq -c .where.by "$W/planted.json")" \
	'.prefix.explained == .prefix.outliers and
	 all(.prefix.top[] | select(.outlier); .explained_by | startswith($asn + " ")) and
	 ([.country.top[] | select(.outlier) | [.name, (.explained_by | split(" ")[0])]] ==
	  [["PL", $asn]])' --arg asn "$truth_asn"
# A country whose carriers are all worse (US at 2x, all five of its
# carriers): an outlier that no one carrier explains; PL still is.
"$GW_BUILD/rigs/mkwhere" -o "$W/country.jsonl" --mmdb-tsv "$W/country.tsv" \
	--country-factor 2
"$GAPWATCH" report --json --mmdb "$W/asn.mmdb" --mmdb "$W/country.mmdb" \
	"$W/country.jsonl" >"$W/country.json" || gw_fail "report --json (US at 2x) failed"
gw_check "US at 2x: an outlier of its own; PL explained by $truth_asn" \
	"$(jq -c .where.by.country "$W/country.json")" \
	'[.top[] | select(.outlier) | [.name, (.explained_by // "-" | split(" ")[0])]] ==
	 [["US", "-"], ["PL", $asn]]' --arg asn "$truth_asn"

# Null datasets: nothing flagged, whatever the seed; with the players'
# gaps in runs (--burst 4: the networks' counts spread 7 times Poisson's,
# where a plain Poisson test flags dozens of networks) the spread is
# measured and still nothing is flagged.
for seed in 11 12 13; do
	for burst in 1 4; do
		"$GW_BUILD/rigs/mkwhere" -o "$W/null.jsonl" --mmdb-tsv "$W/null.tsv" \
			--factor 1 --burst "$burst" --seed "$seed"
		"$GAPWATCH" report --json --mmdb "$W/asn.mmdb" --mmdb "$W/country.mmdb" \
			"$W/null.jsonl" >"$W/null.json"
		n=$(jq '[.where.by[] | .outliers] | add' "$W/null.json")
		[ "$n" -eq 0 ] ||
			gw_fail "seed $seed, burst $burst: $n false outliers" "$W/null.json"
		[ "$burst" -eq 1 ] ||
			gw_check "seed $seed, burst 4: the spread measured" \
				"$(jq -c .where.by.prefix "$W/null.json")" '.dispersion > 3'
	done
done
# The planted dataset with runs: still exactly that carrier and that hop.
"$GW_BUILD/rigs/mkwhere" -o "$W/burst.jsonl" --mmdb-tsv "$W/burst.tsv" --burst 4
"$GAPWATCH" report --json --mmdb "$W/asn.mmdb" --mmdb "$W/country.mmdb" \
	"$W/burst.jsonl" >"$W/planted.json" || gw_fail "report --json of the runs failed"
[ "$(outliers asn | sed 's/ .*//')" = "$truth_asn" ] && [ "$(outliers hop)" = "$truth_hop" ] ||
	gw_fail "with runs, the outliers are not exactly $truth_asn and $truth_hop" "$W/planted.json"

# Lookups: an IPv4 and an IPv6 network of the databases, one they lack.
printf '198.18.7.0/24\t64500\tExample Carrier\tDE\n2001:db8:1::/48\t64501\tSix Net\tFR\n' \
	>"$W/small.tsv"
"$MKMMDB" --asn "$W/s-asn.mmdb" --country "$W/s-cc.mmdb" <"$W/small.tsv"
"$MKMMDB" --ipv4-only --asn "$W/s-asn4.mmdb" <"$W/small.tsv"
cat >"$W/small.jsonl" <<EOF
{"type":"exposure","schema":1,"host":"h","queue":0,"start":"2026-12-01T10:00:00.000000Z","end":"2026-12-01T11:00:00.000000Z","flows":3,"flow_seconds":10800,"prefix_v4":24,"prefix_v6":48,"prefixes":3,"by_prefix":[["198.18.7.0/24",1,3600],["2001:db8:1::/48",1,3600],["198.51.100.0/24",1,3600]],"other":{"prefixes":0,"flows":0,"flow_seconds":0,"table_full":0}}
{"type":"gap","schema":1,"host":"h","id":"s-1","proto":"udp","client":"198.18.7.9:40000","server":"198.18.2.2:7781","start":"2026-12-01T10:10:00.000000Z","duration_ms":5000,"cause":"path_loss_to_server","outcome":"reconnected"}
{"type":"gap","schema":1,"host":"h","id":"s-2","proto":"udp","client":"[2001:db8:1::5]:40000","server":"198.18.2.2:7781","start":"2026-12-01T10:20:00.000000Z","duration_ms":5000,"cause":"path_loss_to_server","outcome":"reconnected"}
{"type":"gap","schema":1,"host":"h","id":"s-3","proto":"udp","client":"198.51.100.4:40000","server":"198.18.2.2:7781","start":"2026-12-01T10:30:00.000000Z","duration_ms":5000,"cause":"path_loss_to_server","outcome":"reconnected"}
EOF
"$GAPWATCH" report --json --mmdb "$W/s-asn.mmdb" --mmdb "$W/s-cc.mmdb" \
	"$W/small.jsonl" >"$W/small.json" || gw_fail "small report failed"
names=$(jq -r '[.where.by.asn.top[].name] | sort | join(",")' "$W/small.json")
[ "$names" = "AS64500 Example Carrier,AS64501 Six Net,unknown" ] ||
	gw_fail "carriers are '$names'" "$W/small.json"
names=$(jq -r '[.where.by.country.top[].name] | sort | join(",")' "$W/small.json")
[ "$names" = "DE,FR,unknown" ] || gw_fail "countries are '$names'" "$W/small.json"
[ "$(jq '.where.asn_unknown' "$W/small.json")" -eq 1 ] &&
	[ "$(jq '.where.country_unknown' "$W/small.json")" -eq 1 ] ||
	gw_fail "the address the databases lack is not counted once" "$W/small.json"
"$GAPWATCH" report --json --mmdb "$W/s-asn4.mmdb" "$W/small.jsonl" >"$W/small4.json" ||
	gw_fail "IPv4-only database: report failed"
[ "$(jq '.where.asn_unknown' "$W/small4.json")" -eq 2 ] ||
	gw_fail "IPv6 in an IPv4-only database: not unknown" "$W/small4.json"

# The CSV's where columns: network, carrier, its name, country.
"$GAPWATCH" report --csv --mmdb "$W/s-asn.mmdb" --mmdb "$W/s-cc.mmdb" \
	"$W/small.jsonl" | cut -d, -f1,18- >"$W/small.csv"
printf '%s\n' "id,prefix,asn,as_org,country" "s-1,198.18.7.0/24,64500,Example Carrier,DE" \
	"s-2,2001:db8:1::/48,64501,Six Net,FR" "s-3,198.51.100.0/24,,," |
	cmp -s - "$W/small.csv" || gw_fail "the CSV's where columns" "$W/small.csv"

# Bad databases: exit 2, naming the file.
bad() {	# file what
	rc=0
	"$GAPWATCH" report --mmdb "$1" "$W/small.jsonl" >/dev/null 2>"$W/bad.err" || rc=$?
	[ "$rc" -eq 2 ] || gw_fail "$2: exit $rc, not 2" "$W/bad.err"
	grep -q -- "--mmdb $1: " "$W/bad.err" || gw_fail "$2: the file is not named" "$W/bad.err"
}
bad "$W/missing.mmdb" "a missing file"
head -c 4096 /dev/urandom >"$W/random.mmdb"
bad "$W/random.mmdb" "a file of random bytes"
head -c 200 "$W/asn.mmdb" >"$W/cut.mmdb"
bad "$W/cut.mmdb" "a truncated database"
bad "$W/small.jsonl" "a text file"

# The daemon's own exposure: a replay of 6,000 flows over 2,000 /24s.
"$GW_BUILD/rigs/mkpcap" -o "$W/p.pcap" --flows 6000 --packets 300000 \
	--per-prefix 3 --silent-flows 30
"$GAPWATCHD" --read "$W/p.pcap" -p 7781 -o "$W/replay.jsonl" --no-pcap 2>"$W/replay.log" ||
	gw_fail "the replay failed" "$W/replay.log"
"$GAPWATCH" report --json "$W/replay.jsonl" >"$W/replay.json"
[ "$(jq '.where.exposure_records' "$W/replay.json")" -eq 1 ] ||
	gw_fail "no exposure record from the replay" "$W/replay.jsonl"
[ "$(jq '.where.by.prefix.groups' "$W/replay.json")" -eq 2000 ] ||
	gw_fail "not 2000 prefixes exposed" "$W/replay.json"
[ "$(jq '.where.gaps' "$W/replay.json")" -eq 30 ] ||
	gw_fail "the 30 gaps do not fall on exposed prefixes" "$W/replay.json"
gw_pass
