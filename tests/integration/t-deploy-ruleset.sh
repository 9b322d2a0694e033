#!/bin/sh
# t-deploy-ruleset - gapwatch-rules leaves a firewall exactly as it found
# it. In namespaces with a realistic ruleset -- ufw (Debian package,
# default rules plus allows) beside a hand-written nftables table, and a
# hand-written iptables-legacy ruleset -- the iptables-save, ip6tables-save
# and nft list ruleset listings (counters aside) are byte-identical before
# install and after remove, for the iptables (nf_tables), iptables-legacy
# and nft backends; install twice / remove twice gives no duplicate and no
# error; status says 0 / 3; bad ports, queues and mark bits (a mask of
# more than one bit included) are refused with gapwatchd's own words and
# change nothing.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/integration/deploy-lib.sh"

dl_init t-deploy-ruleset
dl_need
dl_topology
dl_ufw_setup

# rules NS ARGS...: gapwatch-rules in a namespace.
rules() { _ns=$1; shift; ip netns exec "$_ns" "$RULES" "$@"; }

# jumps NS CMD: how many jumps to GAPWATCH-IN and GAPWATCH-OUT.
jumps() {
	ip netns exec "$1" "$2" -w -t mangle -S 2>/dev/null |
		grep -Ec -- '^-A (PREROUTING|OUTPUT) .*-j GAPWATCH-(IN|OUT)( |$)' || true
}

# install_twice NS WHAT ARGS...: install, count, install again, compare.
install_twice() {
	_ns=$1
	_what=$2
	shift 2
	rules "$_ns" install "$@" >"$DL_WORK/install1.log" 2>&1 ||
		dl_fail "$_what: install failed" "$DL_WORK/install1.log"
	dl_snapshot "$_ns" "$DL_WORK/$_what.once"
	rules "$_ns" install "$@" >"$DL_WORK/install2.log" 2>&1 ||
		dl_fail "$_what: the second install failed" "$DL_WORK/install2.log"
	[ ! -s "$DL_WORK/install2.log" ] ||
		dl_fail "$_what: the second install said something" "$DL_WORK/install2.log"
	dl_snapshot "$_ns" "$DL_WORK/$_what.twice"
	dl_same_rulesets "$DL_WORK/$_what.once" "$DL_WORK/$_what.twice" \
		"$_what: install twice is not install once"
	rules "$_ns" status "$@" >"$DL_WORK/status.log" 2>&1 ||
		dl_fail "$_what: status after install exited $? (expected 0)" "$DL_WORK/status.log"
}

# remove_twice NS WHAT: remove, remove again (both 0), then status 3.
remove_twice() {
	rules "$1" remove >"$DL_WORK/remove1.log" 2>&1 ||
		dl_fail "$2: remove failed" "$DL_WORK/remove1.log"
	rules "$1" remove >"$DL_WORK/remove2.log" 2>&1 ||
		dl_fail "$2: the second remove failed" "$DL_WORK/remove2.log"
	[ ! -s "$DL_WORK/remove2.log" ] ||
		dl_fail "$2: the second remove said something" "$DL_WORK/remove2.log"
	_rc=0
	rules "$1" status >"$DL_WORK/status.log" 2>&1 || _rc=$?
	[ "$_rc" -eq 3 ] || dl_fail "$2: status after remove exited $_rc (expected 3)" "$DL_WORK/status.log"
}

# ---- 1. the system's iptables (nf_tables here) beside ufw and nft ----
dl_ufw "$NS_S" --force enable >/dev/null || dl_fail "ufw enable failed"
dl_ufw "$NS_S" allow 22/tcp >/dev/null
dl_ufw "$NS_S" allow 7781 >/dev/null
dl_ufw "$NS_S" limit 2222/tcp >/dev/null
dl_ufw "$NS_S" deny from 198.19.0.0/16 >/dev/null
nss iptables -w -S ufw-user-input | grep -q -- '--dport 7781' ||
	dl_fail "ufw's allow rule for 7781 is not in the ruleset"
# ufw's incremental update after "allow" leaves its IPv6 ruleset short of
# two rules (ufw6-user-limit's REJECT, ufw6-user-limit-accept's ACCEPT)
# until the next reload: reload first, so that the baseline is ufw's own.
dl_ufw "$NS_S" reload >/dev/null || dl_fail "ufw reload failed"
# A hand-written native table too, as on hosts that mix both.
printf '%s\n' 'table inet operator {' \
	'	chain pre { type filter hook prerouting priority -300; policy accept; udp dport 53 counter; }' \
	'	chain out { type filter hook output priority 10; policy accept; tcp dport 25 counter; }' \
	'}' | nss nft -f - || dl_fail "cannot load the hand-written nft table"
dl_snapshot "$NS_S" "$DL_WORK/ufw.before"

install_twice "$NS_S" iptables --ports 7781,7000-7010 --queue 0-1 --backend iptables
n=$(jumps "$NS_S" iptables)
[ "$n" -eq 2 ] || dl_fail "iptables: $n jumps to gapwatch's chains (expected 2)"
n=$(jumps "$NS_S" ip6tables)
[ "$n" -eq 2 ] || dl_fail "ip6tables: $n jumps to gapwatch's chains (expected 2)"
nss iptables -w -t mangle -S PREROUTING | sed -n 2p | grep -q -- '-j GAPWATCH-IN' ||
	dl_fail "the jump to GAPWATCH-IN is not the first rule of PREROUTING"
nss iptables -w -t mangle -S GAPWATCH-IN | grep -q -- '--queue-balance 0:1 --queue-bypass' ||
	dl_fail "no --queue-balance 0:1 --queue-bypass rule"
# ufw's rules are untouched while ours are in: the filter table is as before.
dl_snapshot "$NS_S" "$DL_WORK/ufw.during"
nss iptables-save -t filter | dl_normalize >"$DL_WORK/filter.during"
grep -v '^#' "$DL_WORK/ufw.before/iptables" | awk '/^\*filter/ { p = 1 } p' >"$DL_WORK/filter.b"
grep -v '^#' "$DL_WORK/filter.during" | awk '/^\*filter/ { p = 1 } p' >"$DL_WORK/filter.d"
cmp -s "$DL_WORK/filter.b" "$DL_WORK/filter.d" ||
	dl_fail "ufw's filter table changed during the install"
remove_twice "$NS_S" iptables
dl_snapshot "$NS_S" "$DL_WORK/ufw.after"
dl_same_rulesets "$DL_WORK/ufw.before" "$DL_WORK/ufw.after" "iptables backend beside ufw"
dl_log "iptables (nf_tables) beside ufw: identical before install and after remove"

# ---- 2. nft backend, same namespace ----
nftq=""
if ! printf 'table inet gwdprobe {\n chain c {\n queue num 0 bypass\n }\n}\n' |
    nss nft -c -f - >/dev/null 2>&1; then
	# This kernel has no nft_queue: install must refuse, cleanly.
	rc=0
	rules "$NS_S" install --ports 7781 --backend nft >"$DL_WORK/nft-refused.log" 2>&1 || rc=$?
	[ "$rc" -eq 1 ] || dl_fail "nft backend without nft_queue: exit $rc (expected 1)" "$DL_WORK/nft-refused.log"
	grep -q 'nft_queue' "$DL_WORK/nft-refused.log" ||
		dl_fail "nft backend without nft_queue: the message does not say why" "$DL_WORK/nft-refused.log"
	dl_snapshot "$NS_S" "$DL_WORK/nft.refused"
	dl_same_rulesets "$DL_WORK/ufw.before" "$DL_WORK/nft.refused" "a refused nft install"
	dl_log "kernel without nft_queue: nft install refused cleanly; the rest with the queue statement replaced"
	nftq=accept
fi
GAPWATCH_NFT_QUEUE_STMT=$nftq
export GAPWATCH_NFT_QUEUE_STMT
install_twice "$NS_S" nft --ports 7781,7000-7010 --queue 0-1 --backend nft
n=$(nss nft list tables | grep -c '^table inet gapwatch$' || true)
[ "$n" -eq 1 ] || dl_fail "nft: $n tables inet gapwatch"
[ -n "$nftq" ] || nss nft list table inet gapwatch | grep -q 'queue num 0-1 bypass' ||
	dl_fail "nft: no 'queue num 0-1 bypass'"
remove_twice "$NS_S" nft
unset GAPWATCH_NFT_QUEUE_STMT
dl_snapshot "$NS_S" "$DL_WORK/nft.after"
dl_same_rulesets "$DL_WORK/ufw.before" "$DL_WORK/nft.after" "nft backend beside ufw"
dl_log "nft beside ufw and a native table: identical before install and after remove"

# ---- 3. iptables-legacy with a hand-written ruleset ----
NS_L=${DL_PFX}l
ip netns add "$NS_L" || dl_fail "cannot create namespace $NS_L"
DL_NETNS="$DL_NETNS $NS_L"
for fam in iptables ip6tables; do
	{
		echo '*mangle'
		echo '-A FORWARD -p tcp -m tcp --tcp-flags SYN,RST SYN -j TCPMSS --clamp-mss-to-pmtu'
		echo 'COMMIT'
		echo '*filter'
		echo ':INPUT DROP [0:0]'
		echo ':FORWARD DROP [0:0]'
		echo ':OUTPUT ACCEPT [0:0]'
		echo ':game - [0:0]'
		echo '-A INPUT -i lo -j ACCEPT'
		echo '-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT'
		echo '-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT'
		echo '-A INPUT -j game'
		echo '-A game -p udp -m multiport --dports 7781,7000:7010 -j ACCEPT'
		echo '-A game -p tcp -m multiport --dports 7781,7000:7010 -j ACCEPT'
		echo 'COMMIT'
	} | ip netns exec "$NS_L" "$fam-legacy-restore" || dl_fail "cannot load the legacy $fam ruleset"
done
dl_snapshot "$NS_L" "$DL_WORK/legacy.before"
install_twice "$NS_L" legacy --ports 7781,7000-7010 --backend iptables-legacy
n=$(jumps "$NS_L" iptables-legacy)
[ "$n" -eq 2 ] || dl_fail "iptables-legacy: $n jumps to gapwatch's chains (expected 2)"
# auto keeps the rules where they are: no second set in iptables-nft.
rules "$NS_L" install --ports 7781,7000-7010 >"$DL_WORK/auto.log" 2>&1 ||
	dl_fail "install (auto) beside a legacy install failed" "$DL_WORK/auto.log"
[ "$(jumps "$NS_L" iptables-nft)" -eq 0 ] || dl_fail "auto installed into iptables-nft beside legacy"
[ "$(jumps "$NS_L" iptables-legacy)" -eq 2 ] || dl_fail "auto did not keep the legacy install"
remove_twice "$NS_L" legacy
dl_snapshot "$NS_L" "$DL_WORK/legacy.after"
dl_same_rulesets "$DL_WORK/legacy.before" "$DL_WORK/legacy.after" "iptables-legacy backend"
dl_log "iptables-legacy: identical before install and after remove"

# ---- 4. the UNTRACKED mark: set by default, as gapwatchd expects it ----
for b in iptables-nft iptables-legacy nft; do
	rules "$NS_S" show --ports 7781 --backend "$b" >"$DL_WORK/show.$b" 2>&1 ||
		dl_fail "show --backend $b failed" "$DL_WORK/show.$b"
	n=$(grep -Ec -- '--ctstate UNTRACKED -j MARK --set-xmark 0x40000000/0x40000000$|ct state untracked meta mark set meta mark \| 0x40000000$' \
		"$DL_WORK/show.$b" || true)
	want=4
	[ "$b" = nft ] && want=1
	[ "$n" -eq "$want" ] ||
		dl_fail "show --backend $b: $n rules set the UNTRACKED mark 0x40000000 (expected $want)" "$DL_WORK/show.$b"
	rules "$NS_S" show --ports 7781 --backend "$b" --mark-untracked 0 >"$DL_WORK/show0.$b" 2>&1
	! grep -qi untracked "$DL_WORK/show0.$b" ||
		dl_fail "show --backend $b --mark-untracked 0: an UNTRACKED rule is left" "$DL_WORK/show0.$b"
done
dl_log "the UNTRACKED mark 0x40000000 by default in every backend; 0 leaves it out"

# ---- 5. refusals: gapwatchd's words, nothing changed ----
for bad in "--ports abc" "--ports 7781," "--ports 0" "--ports 9-3" "--ports 70000" \
	   "--queue x" "--queue 5-2" "--queue 0-64" "--queue 65536"; do
	opt=${bad%% *}
	val=${bad#* }
	if [ "$opt" = --ports ]; then args="--ports $val"; else args="--ports 7781 --queue $val"; fi
	rc=0
	# shellcheck disable=SC2086
	rules "$NS_S" install $args >"$DL_WORK/bad.log" 2>&1 || rc=$?
	[ "$rc" -eq 2 ] || dl_fail "install $args: exit $rc (expected 2)" "$DL_WORK/bad.log"
	# shellcheck disable=SC2086
	"$GAPWATCHD" -n $args >/dev/null 2>"$DL_WORK/gapwatchd.err" &&
		dl_fail "gapwatchd -n $args accepted it"
	ours=$(sed 's/^gapwatch-rules: //' "$DL_WORK/bad.log")
	theirs=$(sed 's/^gapwatchd: //' "$DL_WORK/gapwatchd.err" | head -n1)
	[ "$ours" = "$theirs" ] ||
		dl_fail "install $args: '$ours' is not gapwatchd's '$theirs'"
done
# Mark bits: one bit each, refused as gapwatchd refuses its own option
# for the same bit (the option's name aside).
for bad in "--mark-invalid 0x30000000 --invalid-mark" "--mark-untracked 3 --untracked-mark" \
	   "--mark-new 0x10000001 --connmark" "--mark-probe 0xzz --probe-mark"; do
	set -- $bad
	rc=0
	rules "$NS_S" install --ports 7781 "$1" "$2" >"$DL_WORK/bad.log" 2>&1 || rc=$?
	[ "$rc" -eq 2 ] || dl_fail "install $1 $2: exit $rc (expected 2)" "$DL_WORK/bad.log"
	"$GAPWATCHD" -n -p 7781 "$3" "$2" >/dev/null 2>"$DL_WORK/gapwatchd.err" &&
		dl_fail "gapwatchd -n $3 $2 accepted it"
	ours=$(sed "s/^gapwatch-rules: $1: //" "$DL_WORK/bad.log")
	theirs=$(sed "s/^gapwatchd: $3: //" "$DL_WORK/gapwatchd.err" | head -n1)
	[ "$ours" = "$theirs" ] ||
		dl_fail "install $1 $2: '$ours' is not gapwatchd's '$theirs'"
done
dl_snapshot "$NS_S" "$DL_WORK/refused"
dl_same_rulesets "$DL_WORK/ufw.before" "$DL_WORK/refused" "refused installs"
dl_pass "rulesets identical before install and after remove (iptables-nft + ufw, nft, iptables-legacy); install/remove idempotent; bad values refused"
