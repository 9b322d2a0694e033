#!/bin/sh
# t-deploy-bypass - with gapwatch's rules installed and no gapwatchd bound,
# the game is not touched (--queue-bypass): TCP and UDP flows go on with no
# timeout or reconnect while the NFQUEUE rules count their packets -- on one
# queue, on a balanced range (re-installed atomically under traffic), and
# after gapwatchd has been running and was stopped. New game flows get the
# conntrack mark bit; a rule after gapwatch's jump (first, the default) no
# longer sees the game's packets, and install warns about it; with
# --position last it does, and the other mark bit is kept beside ours.
# install --wait-bound with nothing bound fails (exit 5, naming the queue)
# and installs nothing.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/integration/deploy-lib.sh"

dl_init t-deploy-bypass
dl_need
dl_topology

# --wait-bound with no gapwatchd: exit 5, nothing installed.
rc=0
t0=$(date +%s)
nss "$RULES" install --ports 7781 --queue 3 --wait-bound 1 >"$DL_WORK/wait.log" 2>&1 || rc=$?
t1=$(date +%s)
[ "$rc" -eq 5 ] || dl_fail "install --wait-bound 1 with no gapwatchd: exit $rc (expected 5)" "$DL_WORK/wait.log"
grep -q 'queue 3 is not bound' "$DL_WORK/wait.log" ||
	dl_fail "install --wait-bound: the message does not name queue 3" "$DL_WORK/wait.log"
[ $((t1 - t0)) -le 4 ] || dl_fail "install --wait-bound 1 took $((t1 - t0)) s"
rc=0
nss "$RULES" status >/dev/null 2>&1 || rc=$?
[ "$rc" -eq 3 ] || dl_fail "install --wait-bound failed but status is $rc (expected 3: nothing installed)"

# Somebody else's mark bit on the game's UDP flows, set after our jump.
nss iptables -w -t mangle -A PREROUTING -p udp --dport 7781 -j CONNMARK --set-xmark 0x1/0x1 ||
	dl_fail "cannot add the other CONNMARK rule"
nss "$RULES" install --ports 7781 --queue 0 >"$DL_WORK/install.log" 2>&1 ||
	dl_fail "install failed" "$DL_WORK/install.log"
# First in PREROUTING (the default), so that rule is skipped for queued
# packets: install says so.
grep -q "1 rule(s) in the IPv4 mangle PREROUTING chain come after gapwatch's jump" "$DL_WORK/install.log" ||
	dl_fail "install did not warn about the rule after its jump" "$DL_WORK/install.log"
dl_queue_bound "$NS_S" 0 && dl_fail "something is bound to queue 0"
dl_game 7781
sleep 2
q1=$(dl_queued "$NS_S")
[ "$q1" -gt 100 ] || dl_fail "queue 0, nobody bound: only $q1 packets matched the NFQUEUE rules"
dl_log "queue 0, nobody bound: $q1 packets bypassed"

# NFQUEUE's verdict ends the mangle table: the other rule did not see the
# game's packets.
nss conntrack -L -p udp --dport 7781 >"$DL_WORK/ct-first" 2>/dev/null || true
grep -q 'mark=268435456 ' "$DL_WORK/ct-first" ||
	dl_fail "no UDP game flow with conntrack mark 0x10000000" "$DL_WORK/ct-first"

# A balanced range, installed over the first set while the game runs, with
# the jumps last this time.
nss "$RULES" install --ports 7781 --queue 0-3 --position last >"$DL_WORK/install2.log" 2>&1 ||
	dl_fail "install --queue 0-3 --position last failed" "$DL_WORK/install2.log"
[ ! -s "$DL_WORK/install2.log" ] || dl_fail "install --position last said something" "$DL_WORK/install2.log"
nss iptables -w -t mangle -S PREROUTING | tail -n1 | grep -q -- '-j GAPWATCH-IN' ||
	dl_fail "--position last: the jump is not the last rule of PREROUTING"
nss iptables -w -t mangle -S GAPWATCH-IN | grep -q -- '--queue-balance 0:3 --queue-bypass' ||
	dl_fail "no --queue-balance 0:3 --queue-bypass rule"
sleep 2
q2=$(dl_queued "$NS_S")
[ "$q2" -gt 100 ] || dl_fail "queues 0-3, nobody bound: only $q2 packets matched the NFQUEUE rules"
dl_log "queues 0-3, nobody bound: $q2 packets bypassed"

# gapwatchd on queues 0-3, then stopped: the packets pass again.
dl_gapwatchd gapwatchd 7781 0-3 "$DL_WORK/gaps.jsonl"
sleep 1
s=0
for q in 0 1 2 3; do s=$((s + $(dl_queue_seq "$NS_S" "$q"))); done
[ "$s" -gt 50 ] || dl_fail "gapwatchd on queues 0-3 got only $s packets"
dl_stop "$GAPWATCHD_PID" || dl_fail "gapwatchd did not stop on SIGTERM" "$DL_WORK/gapwatchd.log"
for q in 0 1 2 3; do
	dl_queue_bound "$NS_S" "$q" && dl_fail "queue $q is still bound after gapwatchd stopped"
done
q3=$(dl_queued "$NS_S")
sleep 2
q4=$(dl_queued "$NS_S")
[ "$q4" -gt $((q3 + 100)) ] || dl_fail "after gapwatchd stopped: only $((q4 - q3)) packets matched in 2 s"
dl_log "gapwatchd stopped, rules left: $((q4 - q3)) packets bypassed in 2 s"

# The new game flows carry the conntrack mark bit, beside the other one.
nss conntrack -L -p tcp --dport 7781 >"$DL_WORK/ct-tcp" 2>/dev/null || true
nss conntrack -L -p udp --dport 7781 >"$DL_WORK/ct-udp" 2>/dev/null || true
grep -q 'mark=268435456 ' "$DL_WORK/ct-tcp" ||
	dl_fail "no TCP game flow with conntrack mark 0x10000000" "$DL_WORK/ct-tcp"
# With the jump last, the other rule ran too: both bits.
grep -q 'mark=268435457 ' "$DL_WORK/ct-udp" ||
	dl_fail "no UDP game flow with conntrack mark 0x10000001 (ours and the other bit)" "$DL_WORK/ct-udp"

dl_game_stop
dl_check_clients
nss "$RULES" remove >"$DL_WORK/remove.log" 2>&1 || dl_fail "remove failed" "$DL_WORK/remove.log"
[ "$(nss iptables -w -t mangle -S PREROUTING)" = "-P PREROUTING ACCEPT
-A PREROUTING -p udp -m udp --dport 7781 -j CONNMARK --set-xmark 0x1/0x1" ] ||
	dl_fail "remove touched the other CONNMARK rule: $(nss iptables -w -t mangle -S PREROUTING)"
dl_pass "flows undisturbed with the rules and no gapwatchd (one queue, 0-3, after a stop); marks as designed"
