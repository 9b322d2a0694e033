#!/bin/sh
# t-drop-ufw - an operator bans one player with ufw mid-game: "ufw insert
# 1 deny from ADDR", and, since ufw accepts established flows before its
# user rules, "conntrack -D -s ADDR" so that the ban takes the live flow
# too (a game server that only answers: one that sends on its own makes a
# new entry at once, which ufw accepts, and the ban misses the flow). ufw (the Debian package, its default rules and an allow for the
# game port, on a private copy of its configuration) runs in the server
# namespace; two players: 198.18.4.2 (three flows) and 198.18.4.3 (one).
# The banned player's gap is local_drop_firewall, NETFILTER_DROP, with the
# count; the other player's flows get no gap; after "ufw delete" the
# banned player comes back.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/integration/deploy-lib.sh"

BANNED=198.18.4.3

dl_init t-drop-ufw
dl_need
command -v conntrack >/dev/null || dl_fail "conntrack is missing (tools/install-deps)"
dl_topology
ip -n "$NS_C" addr add "$BANNED/24" dev eth0
dl_ufw_setup
dl_ufw "$NS_S" --force enable >/dev/null || dl_fail "ufw enable failed"
dl_ufw "$NS_S" allow 7781/tcp >/dev/null || dl_fail "ufw allow 7781 failed"
dl_ufw "$NS_S" reload >/dev/null || dl_fail "ufw reload failed"

report=$DL_WORK/gaps.jsonl
dl_gapwatchd gapwatchd 7781 0 "$report" --gap-min 500
nss "$RULES" install --ports 7781 --queue 0 >"$DL_WORK/install.log" 2>&1 ||
	dl_fail "gapwatch-rules install failed" "$DL_WORK/install.log"
grep -q "drop watcher: on" "$DL_WORK/gapwatchd.log" ||
	dl_fail "the drop watcher is off" "$DL_WORK/gapwatchd.log"
# The server only answers (no pings of its own): after the entry is
# deleted, nothing it sends makes a new one that ufw would accept as
# ESTABLISHED, so the ban holds.
dl_server tcp 7781 server --echo --ping-interval 0
server=$DL_LAST_PID
dl_wait 5 "nothing listens on TCP 7781" dl_listening tcp 7781
dl_client tcp 7781 client --flows 3 --ping-interval 200 --timeout 10000
others=$DL_LAST_PID
dl_client tcp 7781 banned --flows 1 --ping-interval 200 --timeout 10000 --bind "$BANNED"
banned=$DL_LAST_PID
sleep 2
dl_log "banning $BANNED for 3 s"
dl_ufw "$NS_S" insert 1 deny from "$BANNED" >/dev/null || dl_fail "ufw deny failed"
nss conntrack -D -s "$BANNED" >/dev/null 2>&1 || dl_fail "conntrack -D found no entry of $BANNED"
sleep 3
dl_ufw "$NS_S" delete deny from "$BANNED" >/dev/null || dl_fail "ufw delete failed"
sleep 4
for p in $banned $others $server; do dl_stop "$p" || true; done
dl_stop "$GAPWATCHD_PID" || true

gap=$(jq -c --arg a "$BANNED" 'select(.type == "gap" and (.client | startswith($a + ":")))' "$report")
[ "$(printf '%s' "$gap" | grep -c .)" -eq 1 ] ||
	dl_fail "expected one gap for the banned player" "$report"
dl_log "the gap: $(printf '%s\n' "$gap" | jq -c '{cause, evidence}')"
printf '%s\n' "$gap" | jq -e '.cause == "local_drop_firewall" and
	.local_drops.by_reason[0].reason == "NETFILTER_DROP" and .local_drops.count > 0' >/dev/null ||
	dl_fail "the banned player's gap is not local_drop_firewall NETFILTER_DROP" "$report"
rest=$(jq -c --arg a "$BANNED" 'select((.type == "gap" or .type == "gap_open") and (.client | startswith($a + ":") | not)) | .client' "$report")
[ -z "$rest" ] || dl_fail "the other player got gaps: $rest" "$report"
dl_pass "$(printf '%s\n' "$gap" | jq -r .evidence)"
