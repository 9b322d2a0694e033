#!/bin/sh
# t-tshark - gapwatchd and tshark must count the same: captures that
# rigs/mkimpair makes (reordering, duplication, loss, RTO back-off,
# outages, silences, keep-alives, RST and reconnect, time stepping back and
# jumping; TCP and UDP, IPv4 and IPv6, raw IP and Ethernet) are replayed by
# gapwatchd --read, and for every gap record its packet and retransmission
# counts per side are compared with tshark's over the same window
# (tcp.analysis.retransmission, which tshark never sets on an out-of-order
# frame). A replay test: no namespaces, no root needed.
#
# The window of a data_silence gap is the one gapwatchd(8) states: after
# the quiet side's last data (the packet at "start") and before the packet
# that ended it ("end"; through "end" when a timer or the end of the
# capture ended it). tshark-compare.awk also reads every frame by
# src/tcp.c's rules: the record must be that reading (else MISREAD), and
# where the reading and tshark part, each frame must have a named reason
# (else DIFFER), each one by design: reorder-rtt and fast-rtx (tshark's
# out-of-order and fast-retransmission rules), unacked-quiet (an
# unacked_data gap's quiet side counts from the waiting side's last data,
# as gapwatchd(8) states), late (stamped inside the window, read after the
# gap ended), clamped (timed from a segment that was itself stamped back),
# edge (a frame at the very microsecond of start or end). See
# tshark-compare.awk for each. MISREAD or DIFFER fails.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/integration/lib.sh"

gw_init t-tshark
[ -x "$GAPWATCHD" ] || gw_fail "$GAPWATCHD is missing: run tools/build first"
MKIMPAIR=$GW_BUILD/rigs/mkimpair
[ -x "$MKIMPAIR" ] || gw_fail "$MKIMPAIR is missing: run tools/build first"
for c in tshark jq awk; do
	command -v $c >/dev/null 2>&1 || gw_fail "$c is missing (tools/install-deps)"
done

# name: mkimpair options
CAPTURES="plain:--seed 1
ethernet:--seed 2 --ethernet --udp-percent 40
stepped:--seed 3 --back-permille 3 --jump-at 50 --jump-s 40"

# compare CAPTURE RECORDS: one line per gap, then a "total" line.
compare() {
	jq -r 'select(.type == "gap") |
		def us: [(.[0:19] + "Z" | fromdateiso8601 | tostring), .[20:26]] | join(" ");
		def host: sub(":[0-9]+$"; "") | ltrimstr("[") | rtrimstr("]");
		[.id, .proto, (.client | host), (.client | sub(".*:"; "")),
		 (.start | us), (."end" | us), .trigger, .silent, .outcome,
		 .client_packets, .server_packets,
		 .client_retransmits, .server_retransmits] | @tsv' "$2" \
		>"$GW_WORK/gaps.tsv"
	# No IP reassembly: frames must line up one to one with gapwatchd's.
	tshark -o ip.defragment:FALSE -o ipv6.defragment:FALSE \
		-r "$1" -T fields -E separator=/t -E occurrence=f \
		-e frame.time_epoch -e ip.src -e ipv6.src -e ip.dst -e ipv6.dst \
		-e tcp.srcport -e tcp.dstport -e udp.srcport -e udp.dstport \
		-e tcp.seq_raw -e tcp.len -e tcp.flags.syn -e tcp.flags.fin \
		-e tcp.flags.reset -e tcp.flags.ack -e tcp.ack_raw \
		-e tcp.analysis.retransmission -e tcp.analysis.out_of_order \
		-e tcp.analysis.fast_retransmission \
		-e udp.length -e icmp.type -e icmpv6.type \
		>"$GW_WORK/frames.tsv" 2>"$GW_WORK/tshark.log" ||
		gw_fail "tshark cannot read $1" "$GW_WORK/tshark.log"
	awk -F '\t' -v server_port=7781 -v reorder_us=3000 -f "$top/tests/integration/tshark-compare.awk" \
		"$GW_WORK/gaps.tsv" "$GW_WORK/frames.tsv"
}

all=$GW_WORK/all.txt
: >"$all"
while IFS=: read -r name opts; do
	pcap=$GW_WORK/$name.pcap
	# shellcheck disable=SC2086
	"$MKIMPAIR" -o "$pcap" $opts 2>"$GW_WORK/$name.mkimpair.log" ||
		gw_fail "mkimpair $opts failed" "$GW_WORK/$name.mkimpair.log"
	timeout 60 "$GAPWATCHD" --read "$pcap" -p 7781 -o "$GW_WORK/$name.jsonl" \
		2>"$GW_WORK/$name.log" ||
		gw_fail "gapwatchd --read $name.pcap failed" "$GW_WORK/$name.log"
	compare "$pcap" "$GW_WORK/$name.jsonl" >"$GW_WORK/$name.txt"
	sed "s/^/$name /" "$GW_WORK/$name.txt" >>"$all"
done <<EOF
$CAPTURES
EOF
[ -s "$all" ] || gw_fail "no gap records at all"

grep -v ' agree ' "$all" >&2 || true
# tally PATTERN: how many gaps have a verdict matching PATTERN, by verdict.
tally() {
	awk -v re="$1" '$2 ~ re { n[$2]++; t++ }
		END { printf "%d", t; sep = " ("
		      for (w in n) { printf "%s%s %d", sep, w, n[w]; sep = ", " }
		      if (t) printf ")" }' "$all"
}
total=$(grep -c . "$all")
udp=$(grep -c ' udp ' "$all" || true)
bad=$(grep -c -e ' DIFFER ' -e ' MISREAD ' "$all" || true)
summary="$total gaps compared ($udp UDP: packets only, tshark does not analyse UDP), \
$(grep -c ' agree ' "$all" || true) agree, $(tally '^(reorder-rtt|fast-rtx|edge|late|clamped|unacked-quiet)(\+(reorder-rtt|fast-rtx|edge|late|clamped|unacked-quiet))*$') \
differ by design, $(tally '^(DIFFER|MISREAD)$') differ otherwise"
[ "$bad" -eq 0 ] || gw_fail "$summary"
gw_pass "$summary"
