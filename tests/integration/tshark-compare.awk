# tshark-compare.awk - the comparison of t-tshark.sh: gap records (first
# file, from jq) against tshark's frames (second file, from tshark -T
# fields). Prints one line per gap: its verdict, the gap, and both counts.
#
# Each frame gets two readings: tshark's (is it a tcp.analysis.
# retransmission, at its own time stamp) and gapwatch's, redone here with
# src/tcp.c's rules as replay runs them: on the clock (a frame stamped
# before an earlier one is read at that earlier time), counted only in
# windows that had begun by its own stamp, its lateness timed from its own
# stamp. The record must equal gapwatch's reading over gapwatch's window;
# that reading must equal tshark's over the stated window, or every frame
# where they part must have a named reason:
#   reorder-rtt  tshark calls out of order a frame that gapwatch counts:
#                overtaken by 3 ms or more, within tshark's handshake RTT
#   fast-rtx     tshark calls a fast retransmission (two duplicate ACKs of
#                its sequence within 20 ms) a frame overtaken by less than
#                3 ms: tshark checks that before its out-of-order rule
#   late         the frame is stamped inside the window but comes in the
#                file after the frame that ended the gap: replay reads a
#                capture in its order, as the live daemon sees packets
#   clamped      the highest segment before this one was itself stamped
#                back: gapwatch times this one's lateness from when it read
#                that one, tshark from that one's stamp
#   edge         the frame is at the very microsecond of start or end
#   unacked-quiet an unacked_data gap's quiet side counts from the waiting
#                side's last new data, as gapwatchd(8) states: its window
#                restarts at every heartbeat of the waiting side
# Verdicts: agree, the reasons, DIFFER (tshark and gapwatch's reading part
# with no reason) or MISREAD (the record is not gapwatch's reading: the
# engine or this emulation is wrong).
#
# Variables: server_port, reorder_us (TCP_REORDER_US).

function us(s,   p) {	# "1700000000.123456789" -> microseconds
	p = index(s, ".")
	return substr(s, 1, p - 1) * 1000000 + substr(s, p + 1, 6)
}
function set(x) { return x == "1" || x == "True" }
function seq_gt(a, b,   d) {
	d = (a - b) % 4294967296
	if (d < 0)
		d += 4294967296
	return d > 0 && d < 2147483648
}

FNR == NR {
	ngap++
	for (i = 1; i <= NF; i++)
		g[ngap, i] = $i
	split($5, a, " "); gs[ngap] = a[1] * 1000000 + a[2]
	split($6, a, " "); ge[ngap] = a[1] * 1000000 + a[2]
	next
}

{
	# An ICMP error quotes a packet's ports: it is no packet of the flow.
	if ($21 != "" || $22 != "")
		next
	t = us($1)
	eff = t < eff ? eff : t
	src = $2 != "" ? $2 : $3
	dst = $4 != "" ? $4 : $5
	proto = $6 != "" ? "tcp" : "udp"
	sport = proto == "tcp" ? $6 : $8
	dport = proto == "tcp" ? $7 : $9
	if (sport == server_port) {
		side = 1; key = proto SUBSEP dst SUBSEP dport
	} else if (dport == server_port) {
		side = 0; key = proto SUBSEP src SUBSEP sport
	} else {
		next
	}
	n = ++nf[key]
	T[key, n] = t; E[key, n] = eff; S[key, n] = side
	R[key, n] = set($17) && !set($18)
	G[key, n] = 0; N[key, n] = proto == "udp" && $20 - 8 <= 0 ? 0 : 1
	why[key, n] = ""
	if (proto == "tcp")
		gapwatch_reads(key, n, side)
	if (R[key, n] != G[key, n])
		why[key, n] = clocked ? "clamped" : \
			      R[key, n] && set($19) ? "fast-rtx" : \
			      !R[key, n] && set($18) && lag >= reorder_us ? "reorder-rtt" : \
			      "rule"
}

# src/tcp.c's tcp_classify and tcp_apply on this frame ($10.. fields).
function gapwatch_reads(key, n, side,   hk, pk, len, flags, seglen, end) {
	hk = key SUBSEP side; pk = key SUBSEP (1 - side)
	len = $11 + 0
	seglen = len + set($12) + set($13)
	end = ($10 + seglen) % 4294967296
	N[key, n] = 0
	lag = T[key, n] - hit[hk]
	# Would the highest segment's own stamp have read it otherwise?
	clocked = (lag >= reorder_us) != (T[key, n] - hitraw[hk] >= reorder_us)
	if (!(hk in hi)) {
		N[key, n] = len > 0
	} else if (len <= 1 && $10 == (hi[hk] + 4294967295) % 4294967296 &&
		   !set($12) && !set($13) && !set($14)) {
		# a keep-alive
	} else if (seglen) {
		# Not overtaken: src/tcp.c's reordered() is false.
		late = end == hi[hk] || lag >= reorder_us ||
		       ((pk in ack) && !seq_gt(end, ack[pk]))
		if (seq_gt(end, hi[hk])) {
			N[key, n] = len > 0
			# repacketised: old bytes again with new ones
			if (len > 0 && seq_gt(hi[hk], $10) && late)
				G[key, n] = 1
		} else if (late) {
			G[key, n] = 1
		}
	}
	if (set($14))
		return
	if (!(hk in hi) || seq_gt(end, hi[hk]))
		hi[hk] = end
	if (N[key, n]) {
		hit[hk] = E[key, n]
		hitraw[hk] = T[key, n]
	}
	if (set($15) && (!(hk in ack) || seq_gt($16, ack[hk])))
		ack[hk] = $16
}

# Frame i of flow k in (lo, hi), or (lo, hi] when incl, by tshark's clock
# (c "T") or gapwatch's (c "E": a frame at lo's very time counts when it
# comes after the one that started the window).
function inside(k, i, lo, hi, incl, c,   x) {
	x = c == "E" ? E[k, i] : T[k, i]
	if (x > hi || (x == hi && !incl) || x < lo)
		return 0
	# gapwatch: a frame stamped before the window began is not in it.
	if (c == "E" && T[k, i] < lo)
		return 0
	return x > lo || (c == "E" && i > start_at(k, lo))
}
# The frame that started a window at lo: the last new data there, else
# the first frame there.
function start_at(k, lo,   i, first, last) {
	first = last = 0
	for (i = 1; i <= nf[k] && E[k, i] <= lo; i++) {
		if (E[k, i] < lo)
			continue
		if (!first)
			first = i
		if (N[k, i])
			last = i
	}
	return last ? last : first
}
# Last new data of side s of flow k before hi (gapwatch's clock).
function last_new(k, s, hi,   i, best) {
	best = 0
	for (i = 1; i <= nf[k]; i++)
		if (S[k, i] == s && N[k, i] && E[k, i] < hi && E[k, i] > best)
			best = E[k, i]
	return best
}
# Side s's packets and retransmits in its window: cp, cr (tshark), gp, gr
# (gapwatch's reading); reasons of the frames that differ into whyset.
function count(k, s, lo, rlo, hi, incl,   i, a, b) {
	cp = cr = gp = gr = 0
	for (i = 1; i <= nf[k]; i++) {
		if (S[k, i] != s)
			continue
		a = inside(k, i, lo, hi, incl, "T")
		b = inside(k, i, lo, hi, incl, "E")
		cp += a; gp += b
		if (inside(k, i, rlo, hi, incl, "T"))
			cr += R[k, i]
		if (inside(k, i, rlo, hi, incl, "E"))
			gr += G[k, i]
		if (a != b)
			whyset[T[k, i] == lo || T[k, i] == hi ? "edge" : "late"] = 1
		else if (a && why[k, i] != "")
			whyset[why[k, i]] = 1
	}
}
# Does gap j's record equal gapwatch's reading of flow k, the quiet side
# being quiet? Both readings over gapwatch's windows in tp[], tr[] (tshark)
# and wp[], wr[] (gapwatch), by side.
function reading(j, k, quiet,   s, lo, rlo, un) {
	un = g[j, 7] == "unacked_data"
	split("", whyset)
	for (s = 0; s < 2; s++) {
		lo = un && s == quiet ? last_new(k, 1 - s, ge[j]) : gs[j]
		rlo = lo
		count(k, s, lo, rlo, ge[j], incl)
		tp[s] = cp; tr[s] = cr; wp[s] = gp; wr[s] = gr
	}
	return wp[0] == g[j, 10] && wp[1] == g[j, 11] &&
	       (g[j, 2] == "udp" || (wr[0] == g[j, 12] && wr[1] == g[j, 13]))
}

END {
	for (j = 1; j <= ngap; j++) {
		k = g[j, 2] SUBSEP g[j, 3] SUBSEP g[j, 4]
		incl = g[j, 9] == "expired" || g[j, 9] == "evicted" ||
		       g[j, 9] == "open_at_exit"
		quiet = g[j, 8] == "server"
		# tshark over the stated window, for the line.
		count(k, 0, gs[j], gs[j], ge[j], incl); sp0 = cp; sr0 = cr
		count(k, 1, gs[j], gs[j], ge[j], incl); sp1 = cp; sr1 = cr
		ok = reading(j, k, quiet)
		if (!ok && g[j, 8] == "both")
			ok = reading(j, k, 1 - quiet)
		same = tp[0] == sp0 && tp[1] == sp1 && tr[0] == sr0 &&
		       tr[1] == sr1
		if (!same && g[j, 7] == "unacked_data")
			whyset["unacked-quiet"] = 1
		same = same && tp[0] == wp[0] && tp[1] == wp[1] &&
		       tr[0] == wr[0] && tr[1] == wr[1]
		verdict = ""
		if (!ok) {
			verdict = "MISREAD"
		} else if (same) {
			verdict = "agree"
		} else {
			for (w in whyset)
				verdict = verdict (verdict == "" ? "" : "+") w
			if ("rule" in whyset || verdict == "")
				verdict = "DIFFER"
		}
		printf "%s %s %s %s:%s %s %s gapwatch %s/%s packets %s/%s retransmits, tshark %d/%d packets %d/%d retransmits",
			verdict, g[j, 1], g[j, 2], g[j, 3], g[j, 4], g[j, 7], g[j, 9],
			g[j, 10], g[j, 11], g[j, 12], g[j, 13], sp0, sp1, sr0, sr1
		if (!ok)
			printf " (by gapwatch's rules %d/%d packets %d/%d retransmits)",
				wp[0], wp[1], wr[0], wr[1]
		printf "\n"
	}
}
