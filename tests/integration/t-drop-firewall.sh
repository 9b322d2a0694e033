#!/bin/sh
# t-drop-firewall - is it my server? Four TCP players on the game port;
# mid-game the server namespace's filter INPUT gets a deny rule for one
# of them (plain iptables: -s CLIENT --sport PORT -j DROP, from its next
# data on), for 3 s. The kernel drop watcher (BPF on skb:kfree_skb) sees
# every packet the rule drops: that player's gap is local_drop_firewall, with the count and
# NETFILTER_DROP and the kernel function; the other players get no gap; the drops
# gapwatchd names are the rule's own count.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/integration/lib.sh"
. "$top/tests/integration/ct-lib.sh"

ct_init t-drop-firewall
ct_setup 7781 --gap-min 500 --metrics 9477 --seccomp
grep -q "drop watcher: on" "$GW_WORK/gapwatchd.log" ||
	gw_fail "the drop watcher is off" "$GW_WORK/gapwatchd.log"
gw_server tcp 7781 server --echo --ping-interval 200
server=$GW_LAST_PID
gw_wait_listen tcp 7781
gw_client tcp 7781 client --flows 4 --ping-interval 200 --timeout 10000
client=$GW_LAST_PID
gw_wait_tcp_flows 7781 4
sleep 2
port=$(gw_client_ports 7781 | head -n 1)
gw_log "denying the player on port $port for 3 s"
# The deny starts at the player's next data, not at the next packet: a
# pure ACK dropped before it would be a drop before the gap (which starts
# at the client's first unacknowledged data), counted by the rule and
# rightly not by the gap. xt_recent marks the player at its data, the
# DROP takes everything from then on.
deny="-s $CLIENT_IP -p tcp --sport $port"
# shellcheck disable=SC2086
nss iptables -w -I INPUT $deny -m recent --name gw_deny --rcheck -j DROP &&
	nss iptables -w -I INPUT $deny --tcp-flags PSH PSH -m recent --name gw_deny --set ||
	gw_fail "cannot add the deny rules"
sleep 3
# An ACCEPT above the deny rules first, so that the DROP's counter is
# final when read: a packet dropped between the read and the delete would
# be in the watcher's count and not in ours.
# shellcheck disable=SC2086
nss iptables -w -I INPUT $deny -j ACCEPT || gw_fail "cannot add the lifting rule"
denied=$(nss iptables -w -nvx -L INPUT | awk -v p="spt:$port" '$3 == "DROP" && $0 ~ p { print $1 }')
# shellcheck disable=SC2086
nss iptables -w -D INPUT $deny -m recent --name gw_deny --rcheck -j DROP &&
	nss iptables -w -D INPUT $deny --tcp-flags PSH PSH -m recent --name gw_deny --set &&
	nss iptables -w -D INPUT $deny -j ACCEPT || gw_fail "cannot remove the deny rules"
sleep 3
gw_stop "$client"
gw_stop "$server"
# The drops by reason, in the metrics too, once the gap has closed (its
# client's retransmission may come a backoff after the rule is gone).
ct_wait_record ".type == \"gap\" and .client == \"$CLIENT_IP:$port\"" 15
nss curl -s http://127.0.0.1:9477/metrics >"$GW_WORK/metrics.txt" ||
	gw_fail "no metrics on 127.0.0.1:9477"
grep -q "^gapwatch_local_drops_total{reason=\"NETFILTER_DROP\"} $denied\$" "$GW_WORK/metrics.txt" ||
	gw_fail "gapwatch_local_drops_total does not count the $denied NETFILTER_DROP drops" "$GW_WORK/metrics.txt"
gw_stop_gapwatchd

report=$CT_REPORT
gap=$(jq -c --arg c "$CLIENT_IP:$port" 'select(.type == "gap" and .client == $c)' "$report")
[ "$(printf '%s' "$gap" | grep -c .)" -eq 1 ] ||
	gw_fail "expected one gap for the denied player (port $port)" "$report"
gw_log "the rule dropped $denied packets; the gap: $(printf '%s\n' "$gap" | jq -c '{cause, evidence, local_drops}')"
gw_check "the gap is local_drop_firewall, NETFILTER_DROP, named" "$gap" \
	'.cause == "local_drop_firewall" and .local_drops.watching and
	 .local_drops.by_reason[0].reason == "NETFILTER_DROP" and
	 (.local_drops.by_reason[0].function | length) > 0 and
	 (.evidence | test("the server dropped [0-9]+ of this flow.s packets: NETFILTER_DROP"))'
# The gap's window starts at the player's first unacknowledged data, the
# rule drops from there: every packet it dropped is in the window.
gw_check "the drops named are the rule's ($denied)" "$gap" \
	".local_drops.count == $denied"
others=$(jq -c --arg c "$CLIENT_IP:$port" 'select((.type == "gap" or .type == "gap_open") and .client != $c) | .client' "$report")
[ -z "$others" ] || gw_fail "other players got gaps: $others" "$report"
stats=$(gw_records "$report" stats)
gw_check "stats: the watcher was on and lost nothing" "$stats" \
	'.drop_watch.on and .drop_watch.lost == 0 and .drop_watch.events >= 1'
gw_pass "$(printf '%s\n' "$gap" | jq -r .evidence)"
