#!/bin/sh
# t-deploy-ufw - gapwatch beside ufw (the Debian package, default rules plus
# an allow for the game port, in the server namespace with a private copy
# of its configuration). After gapwatch-rules install, TCP and UDP game
# traffic flows and reaches gapwatchd; it still does after "ufw reload" and
# after "ufw disable" + "ufw enable" (gapwatch's rules are still there);
# ufw still decides (a port gapwatch watches but ufw does not allow stays
# closed); after remove, ufw's ruleset is as before (byte for byte,
# counters aside), and gapwatchd's stats show the packets.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/integration/deploy-lib.sh"

dl_init t-deploy-ufw
dl_need
dl_topology
dl_ufw_setup
dl_ufw "$NS_S" --force enable >/dev/null || dl_fail "ufw enable failed"
dl_ufw "$NS_S" allow 22/tcp >/dev/null
dl_ufw "$NS_S" allow 7781 >/dev/null || dl_fail "ufw allow 7781 failed"
nss iptables -w -S ufw-user-input | grep -q -- '--dport 7781' ||
	dl_fail "ufw's allow rule for 7781 is not in the ruleset"
# ufw's incremental update after "allow" leaves its IPv6 ruleset short of
# two rules (ufw6-user-limit's REJECT, ufw6-user-limit-accept's ACCEPT)
# until the next reload: reload first, so that the baseline is ufw's own.
dl_ufw "$NS_S" reload >/dev/null || dl_fail "ufw reload failed"
dl_snapshot "$NS_S" "$DL_WORK/before"

report=$DL_WORK/gaps.jsonl
dl_gapwatchd gapwatchd 7781,7782 0 "$report" --gap-min 500
nss "$RULES" install --ports 7781,7782 --queue 0 >"$DL_WORK/install.log" 2>&1 ||
	dl_fail "gapwatch-rules install failed" "$DL_WORK/install.log"

dl_game 7781
dl_server tcp 7782 server-closed
dl_wait 5 "nothing listens on TCP 7782" dl_listening tcp 7782
sleep 2

# steady NAME: packets keep reaching gapwatchd's queue for 2 s, and the
# rules are all there.
steady() {
	nss "$RULES" status >"$DL_WORK/status.log" 2>&1 ||
		dl_fail "$1: gapwatch's rules are not (all) there" "$DL_WORK/status.log"
	s1=$(dl_queue_seq "$NS_S" 0)
	q1=$(dl_queued "$NS_S")
	sleep 2
	s2=$(dl_queue_seq "$NS_S" 0)
	q2=$(dl_queued "$NS_S")
	[ "$s2" -gt $((s1 + 50)) ] ||
		dl_fail "$1: gapwatchd's queue got only $((s2 - s1)) packets in 2 s"
	[ "$q2" -gt $((q1 + 50)) ] ||
		dl_fail "$1: the NFQUEUE rules matched only $((q2 - q1)) packets in 2 s"
	dl_alive "$GAPWATCHD_PID" || dl_fail "$1: gapwatchd died" "$DL_WORK/gapwatchd.log"
	dl_log "$1: $((s2 - s1)) packets queued to gapwatchd in 2 s"
}

steady "after install"

# ufw still decides: 7782 is watched by gapwatch, not allowed by ufw.
rc=0
nsc "$GAMESIM" client --proto tcp --connect "$SERVER_IP:7782" --no-reconnect \
	--timeout 1000 --duration 3 --stats "$DL_WORK/closed.json" \
	>"$DL_WORK/closed.log" 2>&1 || rc=$?
[ "$rc" -eq 1 ] && grep -q 'cannot connect' "$DL_WORK/closed.log" ||
	dl_fail "a connect to 7782 (not allowed by ufw) did not fail as it should (exit $rc)" \
		"$DL_WORK/closed.log"

dl_ufw "$NS_S" reload >"$DL_WORK/ufw-reload.log" 2>&1 ||
	dl_fail "ufw reload failed" "$DL_WORK/ufw-reload.log"
steady "after ufw reload"
dl_ufw "$NS_S" disable >/dev/null || dl_fail "ufw disable failed"
dl_ufw "$NS_S" --force enable >/dev/null || dl_fail "ufw enable failed"
steady "after ufw disable + enable"

dl_game_stop
dl_check_clients
dl_stop "$GAPWATCHD_PID" || dl_fail "gapwatchd did not stop on SIGTERM" "$DL_WORK/gapwatchd.log"
stats=$(jq -c 'select(.type == "stats")' "$report")
[ -n "$stats" ] || dl_fail "gapwatchd wrote no stats record" "$report" "$DL_WORK/gapwatchd.log"
printf '%s\n' "$stats" | jq -e '.packets > 500 and .flows_created >= 6 and
	.verdict_errors == 0' >/dev/null ||
	dl_fail "gapwatchd's stats do not show the game's packets" "$report"

nss "$RULES" remove >"$DL_WORK/remove.log" 2>&1 || dl_fail "gapwatch-rules remove failed" "$DL_WORK/remove.log"
dl_snapshot "$NS_S" "$DL_WORK/after"
dl_same_rulesets "$DL_WORK/before" "$DL_WORK/after" "ufw's ruleset after remove"
dl_pass "traffic flowed and reached gapwatchd through install, ufw reload, ufw disable/enable ($(printf '%s\n' "$stats" | jq .packets) packets); ufw's ruleset as before after remove"
