#!/bin/sh
# t-reconnect-nat - five players behind a real NAT (MASQUERADE in the
# middlebox: the server sees them all from the middlebox's address);
# the middlebox cuts three of them at once, they give up after 2 s and
# reconnect from new ports (new NAT mappings). gapwatchd must report the
# three gaps as reconnected, each to the right new port or marked as a
# guess: no wrong match of full confidence. The truth comes from the
# clients' own account (old port, new port) and the middlebox's
# conntrack table (client port to NAT port).
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/integration/lib.sh"

gw_init t-reconnect-nat
gw_need_root
gw_need_binaries
command -v conntrack >/dev/null || gw_fail "conntrack is missing (tools/install-deps)"
gw_topology
nsm iptables -w -t nat -A POSTROUTING -o s0 -j MASQUERADE ||
	gw_fail "cannot install MASQUERADE in the middlebox"
report=$GW_WORK/gaps.jsonl
gw_start_gapwatchd 7781 "$report" --gap-min 500
gw_rules 7781
gw_server tcp 7781 server --echo --ping-interval 200
server=$GW_LAST_PID
gw_wait_listen tcp 7781
gw_client tcp 7781 client --flows 5 --ping-interval 200 --timeout 2000
client=$GW_LAST_PID
gw_wait_tcp_flows 7781 5
sleep 2
before=$(gw_client_ports 7781 | tr '\n' ' ')
cut=$(gw_client_ports 7781 | head -n 3 | tr '\n' ' ')
rules=""
for p in $cut; do
	rules="$rules-I FORWARD -s $CLIENT_IP -p tcp --sport $p -j DROP
-I FORWARD -d $CLIENT_IP -p tcp --dport $p -j DROP
"
done
printf '*filter\n%sCOMMIT\n' "$rules" | nsm iptables-restore --noflush ||
	gw_fail "cannot install the DROP rules"
gw_log "the middlebox cuts client ports $cut at once"
n=0
until [ "$(gw_client_ports 7781 | grep -vwF -e "$(echo $before | tr ' ' '\n')" | wc -l)" -ge 3 ]; do
	n=$((n + 1))
	[ "$n" -lt 160 ] || gw_fail "the three did not reconnect within 8 s" "$GW_WORK/client.log"
	sleep 0.05
done
sleep 1
# Client port -> NAT port, for every connection the middlebox has seen.
nsm conntrack -L -p tcp 2>/dev/null |
	sed -n 's/.*sport=\([0-9]*\) dport=7781 .*sport=7781 dport=\([0-9]*\).*/\1 \2/p' \
	>"$GW_WORK/nat.map"
gw_stop "$client"
gw_stop "$server"
gw_stop_gapwatchd

# old client port -> new client port, from the client's own events.
jq -r '[.events[] | select(.event == "timeout" or .event == "connect")] |
	group_by(.flow)[] | [.[] | select(.event == "timeout") | .old_port] as $old |
	[.[] | select(.event == "connect") | .port] as $new |
	select(($old | length) == 1) | "\($old[0]) \($new[1])"' "$GW_WORK/client.json" \
	>"$GW_WORK/client.truth"
[ "$(wc -l <"$GW_WORK/client.truth")" -eq 3 ] ||
	gw_fail "expected three reconnects in the client's account" "$GW_WORK/client.truth" "$GW_WORK/client.json"
awk 'NR == FNR { nat[$1] = $2; next } { print nat[$1], nat[$2] }' \
	"$GW_WORK/nat.map" "$GW_WORK/client.truth" >"$GW_WORK/truth"
gw_log "truth at the server (NAT ports): $(tr '\n' ';' <"$GW_WORK/truth")"
jq -r 'select(.type == "gap" and .outcome == "reconnected") |
	"\(.client | sub("^.*:"; "")) \(.reconnect.client_port) \(.reconnect.method) \(.reconnect.confidence) \(.reconnect.candidates)"' \
	"$report" >"$GW_WORK/got"
gw_log "matched: $(tr '\n' ';' <"$GW_WORK/got")"
[ "$(wc -l <"$GW_WORK/got")" -eq 3 ] || gw_fail "expected three reconnected gaps" "$report"
awk 'NR == FNR { t[$1] = $2; next }
     { ok = t[$1] == $2; if (!ok && $4 == "full") bad++; right += ok }
     END { print right + 0, bad + 0 }' "$GW_WORK/truth" "$GW_WORK/got" >"$GW_WORK/score"
read -r right bad <"$GW_WORK/score"
[ "$bad" -eq 0 ] || gw_fail "$bad wrong matches of full confidence" "$GW_WORK/got" "$GW_WORK/truth"
gw_pass "$right of 3 right; the rest marked: $(awk '{ print $4 }' "$GW_WORK/got" | tr '\n' ' ')"
