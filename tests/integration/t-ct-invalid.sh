#!/bin/sh
# t-ct-invalid - out-of-window TCP segments, injected from the client
# namespace with a raw socket into a live game flow's 5-tuple (sequence
# number 2^30 beyond the client's, the flow's real ACK), must be counted
# INVALID by gapwatchd (the rules mark what conntrack calls INVALID) and
# by conntrack itself (its "invalid" statistic), and must not disturb the
# flow: the server here drops INVALID like ufw, the real segments go on,
# and gapwatchd must report no gap at all.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/integration/lib.sh"
. "$top/tests/integration/ct-lib.sh"

NINJECT=5

ct_init t-ct-invalid
command -v python3 >/dev/null 2>&1 || gw_fail "python3 is missing"
ct_setup 7781 --gap-min 500
ct_ufw_invalid_drop
gw_server tcp 7781 server --echo --ping-interval 300
server=$GW_LAST_PID
gw_wait_listen tcp 7781
gw_client tcp 7781 client --ping-interval 200 --timeout 2000
client=$GW_LAST_PID
gw_wait_tcp_flows 7781 1
port=$(gw_client_ports 7781)
gw_log "client flow from port $port"

# The injector: learn the flow's current sequence and acknowledgement
# numbers from one of its own segments (AF_PACKET, outgoing), then send
# NINJECT segments with a sequence number far beyond the window, the real
# ACK and 20 bytes of payload, through a raw IPv4 socket (IP_HDRINCL).
cat >"$GW_WORK/inject.py" <<'EOF'
import socket, struct, sys, time

src, dst = sys.argv[1], sys.argv[2]
sport, dport, count = int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])

def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF

# ETH_P_ALL: a protocol's own packet sockets see only incoming packets.
sniff = socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM, socket.htons(3))
sniff.bind(("eth0", 3))
sniff.settimeout(5)
deadline = time.time() + 5
while True:
    if time.time() > deadline:
        sys.exit("inject: saw no segment of the flow in 5 s")
    pkt = sniff.recv(65535)
    if len(pkt) < 40 or pkt[0] >> 4 != 4:
        continue
    ihl = (pkt[0] & 15) * 4
    if pkt[9] != 6 or socket.inet_ntoa(pkt[12:16]) != src or socket.inet_ntoa(pkt[16:20]) != dst:
        continue
    sp, dp, seq, ack, off, flags, win = struct.unpack("!HHIIBBH", pkt[ihl:ihl + 16])
    if sp == sport and dp == dport and flags & 0x10:
        break
sniff.close()

raw = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
s_ip, d_ip = socket.inet_aton(src), socket.inet_aton(dst)
payload = struct.pack("!H", 20) + b"\0" * 18
for k in range(count):
    bad_seq = (seq + 0x40000000 + k * 1000) & 0xFFFFFFFF
    tcp = struct.pack("!HHIIBBHHH", sport, dport, bad_seq, ack, 5 << 4, 0x18, win, 0, 0)
    pseudo = s_ip + d_ip + struct.pack("!BBH", 0, 6, len(tcp) + len(payload))
    c = csum(pseudo + tcp + payload)
    tcp = tcp[:16] + struct.pack("!H", c) + tcp[18:]
    total = 20 + len(tcp) + len(payload)
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, total, 0x4747 + k, 0, 64, 6, 0, s_ip, d_ip)
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    raw.sendto(ip + tcp + payload, (dst, 0))
    print("inject: seq %u (flow's %u), ack %u" % (bad_seq, seq, ack), flush=True)
    time.sleep(0.1)
EOF

sleep 2
invalid0=$(ct_kernel_invalid)
gw_alive "$GAPWATCHD_PID" gapwatchd
nsc python3 "$GW_WORK/inject.py" "$CLIENT_IP" "$SERVER_IP" "$port" 7781 "$NINJECT" \
	>"$GW_WORK/inject.log" 2>&1 || gw_fail "the injector failed" "$GW_WORK/inject.log"
gw_log "injected $NINJECT out-of-window segments: $(head -n1 "$GW_WORK/inject.log")"
# The flow goes on for a while: long enough for any false gap to open.
sleep 3
invalid1=$(ct_kernel_invalid)
dropped=$(ct_ufw_dropped)
gw_alive "$GAPWATCHD_PID" gapwatchd
gw_alive "$client" client
gw_stop_gapwatchd
gw_stop "$client"
gw_stop "$server"
ct_show

gw_log "conntrack invalid $invalid0 -> $invalid1; INVALID DROP rule dropped $dropped"
[ $((invalid1 - invalid0)) -ge "$NINJECT" ] ||
	gw_fail "conntrack's invalid statistic rose by $((invalid1 - invalid0)), expected >= $NINJECT"
[ "$dropped" -ge "$NINJECT" ] ||
	gw_fail "the INVALID DROP rule dropped $dropped packets, expected >= $NINJECT"
stats=$(ct_final_stats)
gw_check "stats: invalid >= $NINJECT (the injected segments were seen INVALID)" "$stats" \
	'.invalid >= $n' --argjson n "$NINJECT"
gw_check "stats: no packet lost by gapwatchd" "$stats" \
	'.enobufs == 0 and .queue_dropped == 0 and .user_dropped == 0 and .verdict_errors == 0'
gw_check "gamesim client: no timeout, no reconnect" "$(cat "$GW_WORK/client.json")" \
	'.timeouts == 0 and .reconnects == 0 and .disconnects == 0'
n=$(jq -s '[.[] | select(.type == "gap" or .type == "gap_open")] | length' "$CT_REPORT")
[ "$n" -eq 0 ] ||
	gw_fail "the flow stayed healthy, yet gapwatchd reported $n gap/gap_open records" "$CT_REPORT"
gw_pass "$(printf '%s\n' "$stats" | jq .invalid) INVALID packets counted, no gap"
