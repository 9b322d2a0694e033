#!/bin/sh
# t-ct-udp-timeout - a conntrack entry that times out inside a gap: the
# server namespace's UDP timeouts are 3 s (nf_conntrack_udp_timeout and
# _stream, per network namespace), a UDP client pauses for 8 s while the
# server, which only echoes (no pings of its own), stays silent too. The
# entry dies by timeout in the middle of the silence; when the client
# resumes, conntrack makes a NEW entry for the same 5-tuple.
#
# The gap (silent both, outcome resumed) must carry in conntrack.events
# the DESTROY, by_timeout true (both sides silent for the whole timeout),
# at least 3 s after the gap's start, and after it the NEW of the resumed
# flow. conntrack -E (an independent listener in the server namespace)
# confirms what the kernel said.
#
# --gap-min 1000 (above 3 x the 200 ms heartbeat): both sides' thresholds
# are then exactly 1 s, so the client's silence (its last ping comes
# before the server's echo of it) is always the one that opens the gap.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/integration/lib.sh"
. "$top/tests/integration/ct-lib.sh"

ct_init t-ct-udp-timeout
ct_setup 7781 --gap-min 1000
ct_sysctl net.netfilter.nf_conntrack_udp_timeout=3 \
	net.netfilter.nf_conntrack_udp_timeout_stream=3
gw_bg "$NS_S" ctevents conntrack -E -p udp --orig-port-dst 7781 -o timestamp
ctev=$GW_LAST_PID
gw_server udp 7781 server --echo --ping-interval 0
server=$GW_LAST_PID
gw_wait_listen udp 7781
gw_client udp 7781 client --ping-interval 200 --pause-at 3000 --pause-for 8000
client=$GW_LAST_PID
# Pause from 3 s to 11 s; then 1.5 s of resumed traffic.
sleep 12.5
gw_alive "$GAPWATCHD_PID" gapwatchd
gw_alive "$client" client
gw_stop_gapwatchd
gw_stop "$client"
gw_stop "$server"
gw_stop "$ctev" INT
ct_show

port=$(ct_client_port client)
[ "$port" != null ] || gw_fail "no connect event in the client's stats" "$GW_WORK/client.json"
# What the kernel said, as conntrack -E printed it: NEW, DESTROY, NEW.
grep -q "dport=7781" "$GW_WORK/ctevents.log" ||
	gw_fail "conntrack -E saw no event of the flow" "$GW_WORK/ctevents.log"
seq=$(grep "sport=$port " "$GW_WORK/ctevents.log" | awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^\[(NEW|DESTROY)\]$/) print $i }' | tr '\n' ' ')
case $seq in
*"[NEW] "*"[DESTROY] "*"[NEW] "*) ;;
*) gw_fail "conntrack -E: expected NEW, DESTROY, NEW for port $port, saw: $seq" "$GW_WORK/ctevents.log" ;;
esac

gap=$(ct_one_gap udp "$port")
[ "$(gw_count "$CT_REPORT" gap)" -eq 1 ] ||
	gw_fail "expected exactly one gap record" "$CT_REPORT"
gw_check "silent both (the server only echoes)" "$gap" '.silent == "both"'
gw_check "outcome resumed" "$gap" '.outcome == "resumed"'
gw_check "the gap lasts the pause (8 s, within 0.5 s)" "$gap" '(.duration_ms - 8000 | fabs) < 500'
gw_check "conntrack.events has a DESTROY by timeout, >= 3 s into the gap" "$gap" \
	'[.conntrack.events[] | select(.event == "destroy" and .by_timeout == true and
	  (.time | epoch) >= (($g.start | epoch) + 2.9))] | length == 1' --argjson g "$gap"
gw_check "conntrack.events has the resumed flow's NEW after the DESTROY" "$gap" \
	'([.conntrack.events[] | select(.event == "destroy")][0].time | epoch) as $d |
	 [.conntrack.events[] | select(.event == "new" and (.time | epoch) >= $d)] | length >= 1'
gw_check "the entry was there at the gap's opening" "$gap" \
	'.conntrack.at_open.found == true'
gw_check "no INVALID packet" "$gap" '.invalid.client == 0 and .invalid.server == 0'
gw_pass "DESTROY by timeout in the gap; cause $(printf '%s\n' "$gap" | jq -r .cause)"
