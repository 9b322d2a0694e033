/*
 * show.c - one gap's story, for "gapwatch show ID".
 *
 * Only the lines holding the id are parsed (with jansson: one or two
 * objects, so the full tree is the convenient one); the pcap is read with
 * libpcap through the engine's own packet parser (packet.c, linktype.c).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE		/* memmem, vasprintf */
#endif
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <arpa/inet.h>

#include <jansson.h>
#include <pcap/pcap.h>

#include "addr.h"
#include "gwtime.h"
#include "jrec.h"
#include "linktype.h"
#include "lines.h"
#include "packet.h"
#include "printable.h"
#include "rec.h"
#include "schema.h"
#include "show.h"
#include "tool.h"

/* Files named in the "no such gap" message; the rest are counted. */
#define SHOW_FILES_NAMED	5

/* Packets before the gap's start and after its end that are listed. */
#define SHOW_BEFORE		8
#define SHOW_AFTER		12
/* Segments remembered per direction to spot retransmissions. */
#define SEQ_MEMORY		512

struct found {
	const char *id;
	const char *quoted;		/* "id", as it stands in a line */
	size_t qlen;
	const char *file;
	json_t *open, *gap;		/* the records, or NULL */
	char open_where[4200], gap_where[4200];
	char gap_file[4096];		/* the file the gap record is in */
	uint64_t matches;
};

static void find_line(void *ctx, const char *line, size_t len,
		      unsigned int flags, uint64_t lineno)
{
	struct found *fd = ctx;
	struct gw_rec r;
	json_t **slot;
	char *where;

	if (line == NULL || (flags & LINE_LAST))
		return;
	/* Cheap first: the id must be somewhere in the line. */
	if (len < fd->qlen || memmem(line, len, fd->quoted, fd->qlen) == NULL)
		return;
	if (rec_scan(line, len, &r) != REC_OK || !(r.has & REC_HAS_ID) ||
	    !span_eq(&r.id, fd->id))
		return;
	if (r.type == REC_GAP) {
		slot = &fd->gap;
		where = fd->gap_where;
		snprintf(fd->gap_file, sizeof(fd->gap_file), "%s", fd->file);
	} else if (r.type == REC_GAP_OPEN) {
		slot = &fd->open;
		where = fd->open_where;
	} else {
		return;
	}
	fd->matches++;
	json_decref(*slot);
	*slot = json_loadb(line, len, 0, NULL);
	if (*slot != NULL && printable_json(*slot) < 0) {
		json_decref(*slot);
		*slot = NULL;
	}
	snprintf(where, sizeof(fd->gap_where), "%s:%llu", fd->file,
		 (unsigned long long)lineno);
}

/* ---- the timeline: events from the records, the pcap, conntrack ---- */

struct event {
	int64_t t;
	unsigned int order;		/* keeps equal times in insertion order */
	char *text;
};

struct timeline {
	struct event *ev;
	size_t n, cap;
};

static void tl_add(struct timeline *tl, int64_t t, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void tl_add(struct timeline *tl, int64_t t, const char *fmt, ...)
{
	va_list ap;
	char *text;

	if (t == GWT_NONE)
		return;
	if (tl->n == tl->cap) {
		size_t ncap = tl->cap ? tl->cap * 2 : 64;
		struct event *ne = realloc(tl->ev, ncap * sizeof(*ne));

		if (ne == NULL)
			return;
		tl->ev = ne;
		tl->cap = ncap;
	}
	va_start(ap, fmt);
	if (vasprintf(&text, fmt, ap) < 0)
		text = NULL;
	va_end(ap);
	if (text == NULL)
		return;
	tl->ev[tl->n].t = t;
	tl->ev[tl->n].order = (unsigned int)tl->n;
	tl->ev[tl->n].text = text;
	tl->n++;
}

static int cmp_event(const void *x, const void *y)
{
	const struct event *a = x, *b = y;

	if (a->t != b->t)
		return (a->t > b->t) - (a->t < b->t);
	return (a->order > b->order) - (a->order < b->order);
}

static void tl_print(FILE *f, struct timeline *tl, int64_t origin)
{
	char t[48];
	size_t k;

	if (tl->n)
		qsort(tl->ev, tl->n, sizeof(*tl->ev), cmp_event);
	for (k = 0; k < tl->n; k++) {
		int64_t d = tl->ev[k].t - origin;
		char off[32];

		gwt_format(tl->ev[k].t, 1, t, sizeof(t));
		snprintf(off, sizeof(off), "%c%.3f", d < 0 ? '-' : '+',
			 (double)(d < 0 ? -d : d) / 1e6);
		fprintf(f, "  %.15s %9s s  %s\n", t + 11, off, tl->ev[k].text);
	}
}

static void tl_free(struct timeline *tl)
{
	size_t k;

	for (k = 0; k < tl->n; k++)
		free(tl->ev[k].text);
	free(tl->ev);
}

/* ---- packets from the pcap ---- */

struct pkt {
	int64_t t;
	uint8_t from_client;
	uint8_t flags;
	uint8_t reconnect;		/* the client's new flow */
	uint8_t tcp;
	uint16_t sport, dport;
	uint32_t seq, ack, len;
	uint32_t retx;			/* 0: first send; n: n-th resend */
	int64_t retx_delta;		/* since the previous send of seq */
	double backoff;			/* delta / the previous delta */
};

struct sent {
	uint32_t seq;
	uint32_t count;
	int64_t last_t;
	int64_t last_delta;
};

struct dir_state {
	struct sent seen[SEQ_MEMORY];
	size_t n, next;
	uint32_t high;			/* seq + len of the highest data sent */
	int have_high;
};

static int seq_before(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) < 0;
}

/*
 * A data segment whose bytes were sent already is a retransmission; the
 * delta to the previous send of the same seq is the RTO at that moment,
 * and its growth the back-off.
 */
static void mark_retx(struct dir_state *d, struct pkt *p)
{
	uint32_t span = p->len + ((p->flags & (PKT_TCP_SYN | PKT_TCP_FIN)) ? 1 : 0);
	size_t k;

	if (span == 0)
		return;
	for (k = 0; k < d->n; k++) {
		struct sent *s = &d->seen[k];

		if (s->seq != p->seq)
			continue;
		if (!d->have_high || !seq_before(p->seq, d->high))
			break;
		s->count++;
		p->retx = s->count - 1;
		p->retx_delta = p->t - s->last_t;
		p->backoff = s->last_delta > 0 ?
			     (double)p->retx_delta / (double)s->last_delta : 0;
		s->last_delta = p->retx_delta;
		s->last_t = p->t;
		return;
	}
	/* First send of this seq (or memory full: the oldest goes). */
	d->seen[d->next] = (struct sent){ p->seq, 1, p->t, 0 };
	d->next = (d->next + 1) % SEQ_MEMORY;
	if (d->n < SEQ_MEMORY)
		d->n++;
	if (!d->have_high || seq_before(d->high, p->seq + span)) {
		d->high = p->seq + span;
		d->have_high = 1;
	}
}

struct flowspec {
	struct in6_addr client, server;
	uint16_t cport, sport, rport;	/* rport: the reconnect's port, or 0 */
	int tcp;
};

static char *flags_text(uint8_t fl, char *buf, size_t len)
{
	snprintf(buf, len, "[%s%s%s%s%s]", fl & PKT_TCP_SYN ? "S" : "",
		 fl & PKT_TCP_FIN ? "F" : "", fl & PKT_TCP_RST ? "R" : "",
		 fl & PKT_TCP_PSH ? "P" : "", fl & PKT_TCP_ACK ? "." : "");
	return buf;
}

static int read_pcap(const char *path, const struct flowspec *fs, struct pkt **out,
		     size_t *nout, char *err, size_t errlen)
{
	char perr[PCAP_ERRBUF_SIZE];
	struct dir_state *dirs;
	struct pcap_pkthdr *h;
	const u_char *data;
	struct pkt *v = NULL;
	size_t n = 0, cap = 0;
	pcap_t *pc;
	int dlt, rc;

	pc = pcap_open_offline(path, perr);
	if (pc == NULL) {
		snprintf(err, errlen, "%.4000s: %s", path, perr);
		return -1;
	}
	dirs = calloc(2, sizeof(*dirs));
	if (dirs == NULL) {
		pcap_close(pc);
		snprintf(err, errlen, "%s: out of memory", path);
		return -1;
	}
	dlt = pcap_datalink(pc);
	while ((rc = pcap_next_ex(pc, &h, &data)) == 1) {
		struct packet pk;
		struct pkt p;
		int off = linktype_ip_offset(dlt, data, h->caplen), fc, rec = 0;

		if (off < 0 || parse_packet(data + off, h->caplen - (size_t)off,
					    h->len - (size_t)off, &pk) != PARSE_OK)
			continue;
		if ((pk.proto == IPPROTO_TCP) != fs->tcp)
			continue;
		if (memcmp(&pk.src, &fs->client, 16) == 0 &&
		    memcmp(&pk.dst, &fs->server, 16) == 0 && pk.dport == fs->sport) {
			fc = 1;
			if (pk.sport != fs->cport) {
				/* Another flow of the same client: the
				 * reconnect, if that is its port (or any
				 * SYN when the record names none). */
				if (fs->rport ? pk.sport != fs->rport :
				    !(pk.tcp_flags & PKT_TCP_SYN))
					continue;
				rec = 1;
			}
		} else if (memcmp(&pk.src, &fs->server, 16) == 0 &&
			   memcmp(&pk.dst, &fs->client, 16) == 0 &&
			   pk.sport == fs->sport) {
			fc = 0;
			if (pk.dport != fs->cport) {
				if (!fs->rport || pk.dport != fs->rport)
					continue;
				rec = 1;
			}
		} else {
			continue;
		}
		memset(&p, 0, sizeof(p));
		p.t = (int64_t)h->ts.tv_sec * 1000000 + h->ts.tv_usec;
		p.from_client = (uint8_t)fc;
		p.flags = pk.tcp_flags;
		p.reconnect = (uint8_t)rec;
		p.tcp = pk.proto == IPPROTO_TCP;
		p.sport = pk.sport;
		p.dport = pk.dport;
		p.seq = pk.seq;
		p.ack = pk.ack;
		p.len = pk.payload_len;
		if (p.tcp && !rec)
			mark_retx(&dirs[fc], &p);
		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 256;
			struct pkt *nv = realloc(v, ncap * sizeof(*nv));

			if (nv == NULL)
				break;
			v = nv;
			cap = ncap;
		}
		v[n++] = p;
	}
	if (rc == -1)
		snprintf(err, errlen, "%s: %s (read %zu packets of the flow)", path,
			 pcap_geterr(pc), n);
	free(dirs);
	pcap_close(pc);
	*out = v;
	*nout = n;
	return rc == -1 ? -1 : 0;
}

/* The pcap path as written, else next to the report file. */
static const char *find_pcap(const char *pcap, const char *report, char *buf,
			     size_t len)
{
	struct stat st;
	char dir[4096];

	if (stat(pcap, &st) == 0 || pcap[0] == '/' || report[0] == '\0')
		return pcap;
	snprintf(dir, sizeof(dir), "%s", report);
	snprintf(buf, len, "%s/%s", dirname(dir), pcap);
	return stat(buf, &st) == 0 ? buf : pcap;
}

static void packet_text(const struct pkt *p, char *buf, size_t len)
{
	char fl[16];
	size_t o;

	if (p->tcp)
		o = (size_t)snprintf(buf, len, "%s %-6s seq %" PRIu32 " ack %" PRIu32
				     " len %" PRIu32,
				     p->from_client ? "C>S" : "S>C",
				     flags_text(p->flags, fl, sizeof(fl)), p->seq, p->ack,
				     p->len);
	else
		o = (size_t)snprintf(buf, len, "%s udp len %" PRIu32,
				     p->from_client ? "C>S" : "S>C", p->len);
	if (o >= len)
		return;
	if (p->reconnect)
		o += (size_t)snprintf(buf + o, len - o, "  %s %u%s",
				      (p->flags & PKT_TCP_SYN) ? "(new flow from port" : "(port",
				      p->from_client ? p->sport : p->dport,
				      p->from_client && (p->flags & PKT_TCP_SYN) &&
				      !(p->flags & PKT_TCP_ACK) ?
				      ": the client reconnects)" : ")");
	else if (p->retx && o < len)
		o += (size_t)snprintf(buf + o, len - o, "  RETRANSMISSION %" PRIu32
				      ", %.0f ms after the last send%s",
				      p->retx, (double)p->retx_delta / 1e3, "");
	if (p->retx && p->backoff > 0 && o < len)
		snprintf(buf + o, len - o, " (x%.1f)", p->backoff);
	if (!p->reconnect && (p->flags & PKT_TCP_RST) && o < len)
		snprintf(buf + o, len - o, "  RESET by the %s",
			 p->from_client ? "client" : "server");
}

static void add_packets(struct timeline *tl, const struct pkt *v,
			size_t n, int64_t start, int64_t end, unsigned int max)
{
	size_t k, first = n, last = 0, before = 0, after = 0, during;
	char text[256];

	/* What is listed: SHOW_BEFORE packets before the start, everything
	 * in the gap, SHOW_AFTER after its end, and at most max in all. */
	for (k = 0; k < n; k++) {
		if (v[k].t < start) {
			before++;
			continue;
		}
		if (v[k].t > end && after++ >= SHOW_AFTER)
			continue;
		if (first == n)
			first = k;
		last = k;
	}
	if (before > SHOW_BEFORE)
		before = SHOW_BEFORE;
	if (first == n) {
		first = n - before;
		last = n ? n - 1 : 0;
	} else {
		first -= before;
	}
	if (n == 0)
		return;
	during = last - first + 1;
	for (k = first; k <= last; k++) {
		if (during > max && k - first >= max / 2 && last - k >= max / 2) {
			if (k - first == max / 2)
				tl_add(tl, v[k].t, "... %zu packets not listed (--packets) ...",
				       during - max);
			continue;
		}
		packet_text(&v[k], text, sizeof(text));
		tl_add(tl, v[k].t, "%s", text);
	}
}

/* The retransmission story in one paragraph. */
static void retx_summary(FILE *f, const struct pkt *v, size_t n)
{
	uint32_t seqs[8];
	unsigned int nseq = 0, s, j;
	size_t k;

	for (k = 0; k < n; k++) {
		if (!v[k].retx || v[k].reconnect)
			continue;
		for (s = 0; s < nseq; s++)
			if (seqs[s] == v[k].seq)
				break;
		if (s == nseq && nseq < 8)
			seqs[nseq++] = v[k].seq;
	}
	if (nseq == 0) {
		fputs("\nretransmissions: none in the capture\n", f);
		return;
	}
	fputs("\nretransmissions (the delay before each resend is the RTO; TCP "
	      "doubles it each time no ACK comes back):\n", f);
	for (s = 0; s < nseq; s++) {
		int from_client = -1, last_doubled = 0;
		unsigned int count = 1, doubled = 0, steps = 0;
		int64_t prev = 0;

		for (k = 0; k < n; k++)
			if (!v[k].reconnect && v[k].retx && v[k].seq == seqs[s])
				from_client = v[k].from_client;
		fprintf(f, "  %s seq %" PRIu32 ": RTO", from_client ? "client" : "server",
			seqs[s]);
		for (k = 0, j = 0; k < n; k++) {
			if (v[k].reconnect || !v[k].retx || v[k].seq != seqs[s] ||
			    v[k].from_client != from_client)
				continue;
			if (j < 12)
				fprintf(f, "%s%.0f", j ? ", " : " ",
					(double)v[k].retx_delta / 1e3);
			else if (j == 12)
				fputs(", ...", f);
			j++;
			if (prev > 0) {
				steps++;
				last_doubled = v[k].retx_delta > prev * 17 / 10;
				doubled += (unsigned int)last_doubled;
			}
			prev = v[k].retx_delta;
			count++;
		}
		fprintf(f, " ms; sent %u times", count);
		/* The first resends may come early (a tail loss probe, a
		 * coalesced segment): what counts is that the RTO doubles
		 * from then on. */
		if (steps && last_doubled && doubled + 1 >= steps)
			fputs("; exponential back-off: no ACK came back", f);
		else if (steps && doubled == 0)
			fputs("; no back-off (not TCP's RTO timer?)", f);
		else if (steps)
			fputs("; partly backed off", f);
		fputc('\n', f);
	}
}

/* The conntrack events, wherever they are nested, join the timeline. */
static void walk_events(struct timeline *tl, json_t *v)
{
	const char *key;
	json_t *x;
	size_t i;

	if (json_is_array(v)) {
		json_array_foreach(v, i, x)
			walk_events(tl, x);
		return;
	}
	if (!json_is_object(v))
		return;
	if (json_is_string(json_object_get(v, FIELD_CT_EVENT_TIME))) {
		int64_t t = jrec_time(v, FIELD_CT_EVENT_TIME);
		char *s;
		json_t *c = json_deep_copy(v);

		json_object_del(c, FIELD_CT_EVENT_TIME);
		s = json_dumps(c, JSON_COMPACT | JSON_PRESERVE_ORDER);
		json_decref(c);
		if (s) {
			tl_add(tl, t, "conntrack %s", s);
			free(s);
		}
		return;
	}
	json_object_foreach(v, key, x)
		if (json_is_array(x) || json_is_object(x))
			walk_events(tl, x);
}

/* A TTL from the record's "ttl" object, "-" when null. */
static char *ttl_text(json_t *ttl, const char *key, char buf[16])
{
	double v;

	if (jrec_has_num(ttl, key, &v))
		snprintf(buf, 16, "%.0f", v);
	else
		snprintf(buf, 16, "-");
	return buf;
}

static void print_block(FILE *f, const char *title, json_t *v)
{
	char *s;

	if (v == NULL || json_is_null(v))
		return;
	s = json_dumps(v, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10));
	if (s == NULL)
		return;
	fprintf(f, "\n%s:\n", title);
	for (char *line = strtok(s, "\n"); line; line = strtok(NULL, "\n"))
		fprintf(f, "  %s\n", line);
	free(s);
}

/* The probe's TTL ladder as a small traceroute table, when it has one. */
static void print_probe(FILE *f, json_t *probe)
{
	const char *key, *verdict;
	json_t *v, *hop;
	size_t i;

	if (!json_is_object(probe))
		return;
	verdict = jrec_str(probe, FIELD_PROBE_VERDICT);
	fputs("\nprobe (TTL ladder on the same 5-tuple):\n", f);
	if (verdict)
		fprintf(f, "  verdict: %s\n", verdict);
	json_object_foreach(probe, key, v) {
		if (!json_is_array(v))
			continue;
		fprintf(f, "  %s:\n", key);
		json_array_foreach(v, i, hop) {
			const char *addr;
			double ttl, rtt;

			if (!json_is_object(hop))
				continue;
			addr = jrec_str(hop, FIELD_HOP_RESPONDER);
			double code;
			int client, unreachable;

			if (jrec_has_num(hop, FIELD_HOP_TTL, &ttl))
				fprintf(f, "    %3.0f  ", ttl);
			else
				fputs("      ?  ", f);
			if (addr == NULL) {
				fputs("*\n", f);
				continue;
			}
			fprintf(f, "%-40s", addr);
			if (jrec_has_num(hop, FIELD_HOP_RTT_MS, &rtt))
				fprintf(f, "  %.1f ms", rtt);
			client = json_is_true(json_object_get(hop, FIELD_HOP_CLIENT));
			unreachable = jrec_has_num(hop, FIELD_HOP_UNREACHABLE, &code);
			if (client || unreachable)
				fprintf(f, "  (%s%s", client ? "client" : "",
					client && unreachable ? ", " : "");
			if (unreachable)
				fprintf(f, "unreachable, code %.0f", code);
			fputs(client || unreachable ? ")\n" : "\n", f);
		}
	}
	json_object_foreach(probe, key, v) {
		char *s;

		if (json_is_array(v) || strcmp(key, FIELD_PROBE_VERDICT) == 0)
			continue;
		s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY | JSON_PRESERVE_ORDER);
		if (s) {
			fprintf(f, "  %s: %s\n", key, s);
			free(s);
		}
	}
}

/* ---- the story, step by step ---- */

/* The gap as its records tell it: the gap record, else the gap_open. */
struct gap_view {
	json_t *g;			/* the record told */
	json_t *o;			/* the gap_open, or NULL */
	int open;			/* no gap record: still open */
	int64_t start, end, detected;
	const char *outcome, *cause;
	json_t *rc;			/* the reconnect object, or NULL */
	const char *client, *server;	/* "?" when missing */
};

/* Reads every file for id's records. Returns GW_EXIT_OK or GW_EXIT_READ. */
static int find_records(struct found *fd, const char *id, char *quoted,
			size_t qlen, const char *const *files, unsigned int nfiles)
{
	char err[4400];
	unsigned int k;
	int status = GW_EXIT_OK;

	memset(fd, 0, sizeof(*fd));
	/* The id as it stands in a line, quotes included. */
	snprintf(quoted, qlen, "\"%s\"", id);
	fd->id = id;
	fd->quoted = quoted;
	fd->qlen = strlen(quoted);
	for (k = 0; k < nfiles; k++) {
		fd->file = files[k];
		if (lines_read(files[k], find_line, fd, err, sizeof(err)) < 0) {
			fprintf(stderr, "gapwatch: %s\n", err);
			status = GW_EXIT_READ;
		}
	}
	return status;
}

static const char *or_unknown(const char *s)
{
	return s ? s : "?";
}

static void view_of(struct gap_view *v, const struct found *fd)
{
	v->g = fd->gap ? fd->gap : fd->open;
	v->o = fd->open;
	v->open = fd->gap == NULL;
	v->start = jrec_time(v->g, FIELD_START);
	v->end = v->open ? GWT_NONE : jrec_time(v->g, FIELD_END);
	v->detected = jrec_time(v->o ? v->o : v->g, FIELD_DETECTED);
	v->outcome = jrec_str(v->g, FIELD_OUTCOME);
	v->cause = jrec_str(v->g, FIELD_CAUSE);
	v->rc = json_object_get(v->g, FIELD_RECONNECT);
	v->client = or_unknown(jrec_str(v->g, FIELD_CLIENT));
	v->server = or_unknown(jrec_str(v->g, FIELD_SERVER));
}

/* The flow, where its records are, the cause and the duration. */
static void print_summary(FILE *f, const char *id, const struct gap_view *v,
			  const struct found *fd)
{
	const char *ocause = v->o ? jrec_str(v->o, FIELD_CAUSE) : NULL;
	char a[32];

	fprintf(f, "gap %s: %s %s -> %s, %s\n", id,
		or_unknown(jrec_str(v->g, FIELD_PROTO)), v->client, v->server,
		v->open ? "STILL OPEN (no gap record yet)" : "closed");
	if (fd->open_where[0])
		fprintf(f, "  gap_open  %s\n", fd->open_where);
	if (fd->gap_where[0])
		fprintf(f, "  gap       %s\n", fd->gap_where);
	fprintf(f, "\ncause        %s\n", v->cause ? v->cause : "-");
	if (jrec_str(v->g, FIELD_EVIDENCE))
		fprintf(f, "evidence     %s\n", jrec_str(v->g, FIELD_EVIDENCE));
	if (jrec_str(v->g, FIELD_EXPLANATION))
		fprintf(f, "explanation  %s\n", jrec_str(v->g, FIELD_EXPLANATION));
	if (jrec_str(v->g, FIELD_NEXT_STEP))
		fprintf(f, "next step    %s\n", jrec_str(v->g, FIELD_NEXT_STEP));
	if (ocause && fd->gap && v->cause && strcmp(ocause, v->cause) != 0)
		fprintf(f, "             (at detection the cause looked like %s)\n",
			ocause);
	fprintf(f, "duration     %s%s\n",
		gwt_format_dur((int64_t)(jrec_num(v->g, FIELD_DURATION_MS) * 1000),
			       a, sizeof(a)),
		v->open ? " so far (at detection)" : "");
}

/* The records' own moments, and the conntrack events, on the timeline. */
static void add_moments(struct timeline *tl, const struct gap_view *v)
{
	const char *silent = jrec_str(v->g, FIELD_SILENT);
	int64_t lc = jrec_time(v->g, FIELD_LAST_CLIENT_PACKET);
	int64_t ls = jrec_time(v->g, FIELD_LAST_SERVER_PACKET);
	char a[32];

	if (silent != NULL && strcmp(silent, "both") == 0)
		tl_add(tl, v->start, "START: the last data before both sides "
		       "fell silent; silence begins");
	else
		tl_add(tl, v->start, "START: the %s side's last data; silence "
		       "begins", silent ? silent : "client");
	if (lc != GWT_NONE && lc != v->start)
		tl_add(tl, lc, "last packet of any kind from the client");
	if (ls != GWT_NONE && ls != v->start)
		tl_add(tl, ls, "last packet of any kind from the server");
	tl_add(tl, v->detected, "DETECTED: silent past the threshold %.1f ms (the "
	       "learned heartbeat is %.1f ms); gap_open written",
	       jrec_num(v->g, FIELD_THRESHOLD_MS),
	       jrec_num(v->g, FIELD_EXPECTED_INTERVAL_MS));
	if (!v->open) {
		if (json_is_object(v->rc))
			tl_add(tl, v->end, "END: %s: the client came back from port "
			       "%.0f, %s after the silence began",
			       or_unknown(v->outcome),
			       jrec_num(v->rc, FIELD_RECONNECT_CLIENT_PORT),
			       gwt_format_dur((int64_t)(jrec_num(v->rc,
					FIELD_RECONNECT_DELAY_MS) * 1000), a, sizeof(a)));
		else
			tl_add(tl, v->end, "END: %s", or_unknown(v->outcome));
	}
	walk_events(tl, json_object_get(v->g, FIELD_CONNTRACK));
}

/*
 * The packets of the flow (and its reconnect) from the gap's pcap onto
 * the timeline. Returns the pcap's name as the record gives it, or NULL
 * when it names none (or no flow to look for); *pk and *npk: the packets.
 */
static const char *add_packets_of_pcap(FILE *f, struct timeline *tl,
				       const struct gap_view *v,
				       const struct found *fd,
				       const char *first_file,
				       unsigned int max_packets,
				       struct pkt **pk, size_t *npk)
{
	const char *pcap = jrec_str(v->g, FIELD_PCAP), *path;
	const char *client = jrec_str(v->g, FIELD_CLIENT);
	const char *server = jrec_str(v->g, FIELD_SERVER);
	const char *proto = jrec_str(v->g, FIELD_PROTO);
	char err[4400], buf[4200];
	struct flowspec fs;

	if (pcap == NULL || client == NULL || server == NULL)
		return NULL;
	memset(&fs, 0, sizeof(fs));
	{
		struct span cs = { client, (uint32_t)strlen(client), 0 };
		struct span ss = { server, (uint32_t)strlen(server), 0 };

		if (rec_endpoint(&cs, &fs.client, &fs.cport) < 0 ||
		    rec_endpoint(&ss, &fs.server, &fs.sport) < 0)
			return NULL;
	}
	fs.tcp = proto && strcmp(proto, "tcp") == 0;
	fs.rport = json_is_object(v->rc) ?
		   (uint16_t)jrec_num(v->rc, FIELD_RECONNECT_CLIENT_PORT) : 0;
	path = find_pcap(pcap, fd->gap_file[0] ? fd->gap_file : first_file,
			 buf, sizeof(buf));
	if (read_pcap(path, &fs, pk, npk, err, sizeof(err)) < 0) {
		fprintf(f, "\npcap         cannot read %s\n", err);
		fprintf(stderr, "gapwatch show: cannot read the pcap %s\n", err);
	} else {
		fprintf(f, "\npcap         %s: %zu packets of this flow%s\n", path,
			*npk, fs.rport ? " and its reconnect" : "");
		add_packets(tl, *pk, *npk, v->start,
			    v->end != GWT_NONE ? v->end : v->detected, max_packets);
	}
	return pcap;
}

/* The gap record's counters: packets, bytes in flight, TTLs, inspector. */
static void print_counters(FILE *f, json_t *g)
{
	json_t *bif = json_object_get(g, FIELD_BYTES_IN_FLIGHT);
	json_t *ttl = json_object_get(g, FIELD_TTL);
	json_t *in = json_object_get(g, FIELD_INSPECTOR);

	fprintf(f, "\nduring the gap: client %.0f packets, %.0f retransmits; server "
		"%.0f packets, %.0f retransmits; %.0f dup ACKs, %.0f zero windows\n",
		jrec_num(g, FIELD_CLIENT_PACKETS), jrec_num(g, FIELD_CLIENT_RETRANSMITS),
		jrec_num(g, FIELD_SERVER_PACKETS), jrec_num(g, FIELD_SERVER_RETRANSMITS),
		jrec_num(g, FIELD_DUP_ACKS), jrec_num(g, FIELD_ZERO_WINDOWS));
	if (json_is_object(bif))
		fprintf(f, "unacknowledged bytes: client %.0f, server %.0f\n",
			jrec_num(bif, FIELD_SIDE_CLIENT), jrec_num(bif, FIELD_SIDE_SERVER));
	if (json_is_object(ttl)) {
		char cb[16], ca[16], sb[16], sa[16];
		int changed;

		ttl_text(ttl, FIELD_TTL_CLIENT_BEFORE, cb);
		ttl_text(ttl, FIELD_TTL_CLIENT_AFTER, ca);
		ttl_text(ttl, FIELD_TTL_SERVER_BEFORE, sb);
		ttl_text(ttl, FIELD_TTL_SERVER_AFTER, sa);
		changed = (strcmp(ca, "-") != 0 && strcmp(cb, ca) != 0) ||
			  (strcmp(sa, "-") != 0 && strcmp(sb, sa) != 0);
		fprintf(f, "ttl: client %s -> %s, server %s -> %s%s\n", cb, ca,
			sb, sa, changed ? "  (changed: a route change?)" : "");
	}
	if (json_is_object(in)) {
		double q = jrec_num(in, FIELD_INSPECTOR_QUEUE_DROPPED);
		double u = jrec_num(in, FIELD_INSPECTOR_USER_DROPPED);
		double e = jrec_num(in, FIELD_INSPECTOR_ENOBUFS);
		double t = jrec_num(in, FIELD_INSPECTOR_TRUNCATED);
		double n = jrec_num(in, FIELD_INSPECTOR_UNSEEN);
		double h = jrec_num(in, FIELD_INSPECTOR_ID_HOLES);
		double st = jrec_num(in, FIELD_INSPECTOR_STALLS);
		const char *from = json_string_value(json_object_get(in,
					FIELD_INSPECTOR_BLIND_FROM));

		if (q + u + e + t + n + h + st > 0)
			fprintf(f, "INSPECTOR LOST PACKETS in this gap: unseen %.0f, "
				"id_holes %.0f, stalls %.0f, queue_dropped %.0f, "
				"user_dropped %.0f, enobufs %.0f, truncated %.0f%s%s: %s\n",
				n, h, st, q, u, e, t, from ? "; blind from " : "",
				from ? from : "",
				json_is_true(json_object_get(in, FIELD_INSPECTOR_PARTLY_BLIND)) ?
				"only after the silence was a gap (partly blind: the "
				"cause stands)" : "the silence may be gapwatchd's own");
		else
			fprintf(f, "inspector: lost no packets in this gap\n");
	}
}

/* Is it the server? What its kernel dropped of the flow, and the host's
 * drop counters that grew in the window. */
static void print_server(FILE *f, json_t *g)
{
	json_t *ld = json_object_get(g, FIELD_LOCAL_DROPS);
	json_t *sc = json_object_get(g, FIELD_SERVER_COUNTERS);
	const char *verdict = json_string_value(json_object_get(ld, FIELD_LD_VERDICT));
	const char *key;
	json_t *v, *r;
	size_t k;
	int any = 0;

	if (verdict)
		fprintf(f, "%s\n", verdict);
	json_array_foreach(json_object_get(ld, FIELD_LD_BY_REASON), k, r)
		fprintf(f, "  %.0f x %s in %s\n", jrec_num(r, FIELD_LD_COUNT),
			json_string_value(json_object_get(r, FIELD_LD_REASON)) ?
			json_string_value(json_object_get(r, FIELD_LD_REASON)) : "?",
			json_string_value(json_object_get(r, FIELD_LD_FUNCTION)) ?
			json_string_value(json_object_get(r, FIELD_LD_FUNCTION)) : "?");
	json_object_foreach(sc, key, v) {
		if (!json_is_integer(v) || json_integer_value(v) <= 0)
			continue;
		fprintf(f, "%s %s +%lld", any ? "," : "host counters in the window:",
			key, (long long)json_integer_value(v));
		any = 1;
	}
	if (any)
		fputc('\n', f);
}

static void print_cluster(FILE *f, json_t *cl)
{
	if (json_is_object(cl))
		fprintf(f, "cluster: one of %.0f flows whose gaps began together "
			"(first at %s): one event, look for what happened then\n",
			jrec_num(cl, FIELD_CLUSTER_SIZE),
			or_unknown(jrec_str(cl, FIELD_CLUSTER_FIRST_START)));
}

int show_gap(FILE *f, const char *id, const char *const *files,
	     unsigned int nfiles, unsigned int max_packets)
{
	struct timeline tl = { NULL, 0, 0 };
	struct gap_view v;
	struct found fd;
	struct pkt *pk = NULL;
	size_t npk = 0;
	char quoted[512];
	const char *pcap;
	unsigned int k;
	int status;

	status = find_records(&fd, id, quoted, sizeof(quoted), files, nfiles);
	if (fd.gap == NULL && fd.open == NULL) {
		/* A fleet's worth of files would make a message nobody reads:
		 * name a few, count the rest. */
		fprintf(stderr, "gapwatch show: no gap with id %s in", id);
		for (k = 0; k < nfiles && k < SHOW_FILES_NAMED; k++)
			fprintf(stderr, " %s", files[k]);
		if (nfiles > SHOW_FILES_NAMED)
			fprintf(stderr, " and %u more files",
				nfiles - SHOW_FILES_NAMED);
		fputc('\n', stderr);
		return GW_EXIT_READ;
	}
	view_of(&v, &fd);
	print_summary(f, id, &v, &fd);
	add_moments(&tl, &v);
	pcap = add_packets_of_pcap(f, &tl, &v, &fd, files[0], max_packets, &pk, &npk);

	fprintf(f, "\ntimeline (UTC; offsets from the start of the silence; "
		"C = client %s, S = server %s):\n", v.client, v.server);
	tl_print(f, &tl, v.start);
	if (pcap && npk)
		retx_summary(f, pk, npk);
	else if (!pcap)
		fprintf(f, "\npackets: this record names no pcap (gapwatchd's per-gap "
			"capture was off, or it is older).\n");
	print_counters(f, v.g);
	print_server(f, v.g);
	print_cluster(f, json_object_get(v.g, FIELD_CLUSTER));
	print_block(f, "conntrack", json_object_get(v.g, FIELD_CONNTRACK));
	print_probe(f, json_object_get(v.g, FIELD_PROBE));
	if (fd.matches > 2)
		fprintf(f, "\nnote: the id appears in %llu records; the last of each "
			"type is shown\n", (unsigned long long)fd.matches);
	tl_free(&tl);
	free(pk);
	json_decref(fd.open);
	json_decref(fd.gap);
	return status;
}

/* ---- one player across reconnects ---- */

struct client_gaps {
	struct in6_addr addr;
	const char *text;		/* as given, for the cheap first test */
	json_t **recs;			/* gap records, and gap_opens of no gap */
	size_t n, cap;
	int oom;
};

static void client_line(void *ctx, const char *line, size_t len,
			unsigned int flags, uint64_t lineno)
{
	struct client_gaps *cg = ctx;
	struct in6_addr a;
	struct gw_rec r;
	uint16_t port;
	json_t *o;

	(void)lineno;
	if (line == NULL || (flags & LINE_LAST))
		return;
	if (memmem(line, len, cg->text, strlen(cg->text)) == NULL)
		return;
	if (rec_scan(line, len, &r) != REC_OK ||
	    (r.type != REC_GAP && r.type != REC_GAP_OPEN) ||
	    rec_endpoint(&r.client, &a, &port) < 0 ||
	    memcmp(&a, &cg->addr, sizeof(a)) != 0)
		return;
	o = json_loadb(line, len, 0, NULL);
	if (o == NULL)
		return;
	if (printable_json(o) < 0) {
		cg->oom = 1;
		json_decref(o);
		return;
	}
	if (cg->n == cg->cap) {
		size_t ncap = cg->cap ? cg->cap * 2 : 64;
		json_t **nr = realloc(cg->recs, ncap * sizeof(*nr));

		if (nr == NULL) {
			cg->oom = 1;
			json_decref(o);
			return;
		}
		cg->recs = nr;
		cg->cap = ncap;
	}
	cg->recs[cg->n++] = o;
}

/* By start; for one id, the gap record before its gap_open. */
static int by_start_then_gap(const void *a, const void *b)
{
	json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
	int64_t s = jrec_time(x, FIELD_START), t = jrec_time(y, FIELD_START);
	const char *ix = jrec_str(x, FIELD_ID), *iy = jrec_str(y, FIELD_ID);
	int c;

	if (s != t)
		return s < t ? -1 : 1;
	c = strcmp(ix ? ix : "", iy ? iy : "");
	if (c)
		return c;
	return strcmp(or_unknown(jrec_str(x, FIELD_TYPE)),
		      or_unknown(jrec_str(y, FIELD_TYPE)));	/* "gap" < "gap_open" */
}

int show_client(FILE *f, const char *addr, const char *const *files,
		unsigned int nfiles)
{
	struct client_gaps cg = { .text = addr };
	char err[4400], t1[40], d[32], canon[INET6_ADDRSTRLEN];
	const char *last_id = "";
	unsigned int k, shown = 0, reconnected = 0;
	int64_t silent_us = 0;
	int status = GW_EXIT_OK;
	uint8_t v4[4];
	size_t i;

	if (inet_pton(AF_INET, addr, v4) == 1) {
		addr_from_v4(&cg.addr, v4);
	} else if (inet_pton(AF_INET6, addr, &cg.addr) == 1) {
		/* The records write addresses compressed: look for that. */
		if (inet_ntop(AF_INET6, &cg.addr, canon, sizeof(canon)) != NULL)
			cg.text = canon;
	} else {
		fprintf(stderr, "gapwatch show: --client: '%s' is not an IPv4 or "
			"IPv6 address\n", addr);
		return GW_EXIT_USAGE;
	}
	for (k = 0; k < nfiles; k++)
		if (lines_read(files[k], client_line, &cg, err, sizeof(err)) < 0) {
			fprintf(stderr, "gapwatch: %s\n", err);
			status = GW_EXIT_READ;
		}
	if (cg.oom)
		fprintf(stderr, "gapwatch show: out of memory: some gaps are left out\n");
	qsort(cg.recs, cg.n, sizeof(*cg.recs), by_start_then_gap);
	for (i = 0; i < cg.n; i++) {
		json_t *o = cg.recs[i], *rc = json_object_get(o, FIELD_RECONNECT);
		const char *id = or_unknown(jrec_str(o, FIELD_ID));
		int open = strcmp(or_unknown(jrec_str(o, FIELD_TYPE)), RECORD_GAP) != 0;

		/* A gap_open whose gap came is told by the gap. */
		if (!strcmp(id, last_id))
			continue;
		last_id = id;
		if (!shown++)
			fprintf(f, "client %s: the gaps of every port, in time order\n", addr);
		gwt_format(jrec_time(o, FIELD_START), 1, t1, sizeof(t1));
		fprintf(f, "%s  %-22s %9s  %-20s %s", t1,
			or_unknown(jrec_str(o, FIELD_CLIENT)),
			gwt_format_dur((int64_t)(jrec_num(o, FIELD_DURATION_MS) * 1000),
				       d, sizeof(d)),
			or_unknown(jrec_str(o, FIELD_CAUSE)),
			open ? "still open" : or_unknown(jrec_str(o, FIELD_OUTCOME)));
		if (json_is_object(rc)) {
			reconnected++;
			fprintf(f, " -> port %.0f after %s (%s, %.0f candidate%s)",
				jrec_num(rc, FIELD_RECONNECT_CLIENT_PORT),
				gwt_format_dur((int64_t)(jrec_num(rc, FIELD_RECONNECT_DELAY_MS) *
							 1000), d, sizeof(d)),
				or_unknown(jrec_str(rc, FIELD_RECONNECT_CONFIDENCE)),
				jrec_num(rc, FIELD_RECONNECT_CANDIDATES),
				jrec_num(rc, FIELD_RECONNECT_CANDIDATES) == 1 ? "" : "s");
		}
		fprintf(f, "  %s\n", id);
		silent_us += (int64_t)(jrec_num(o, FIELD_DURATION_MS) * 1000);
	}
	for (i = 0; i < cg.n; i++)
		json_decref(cg.recs[i]);
	free(cg.recs);
	if (!shown) {
		fprintf(stderr, "gapwatch show: no gap of client %s in %u file%s\n",
			addr, nfiles, nfiles == 1 ? "" : "s");
		return GW_EXIT_READ;
	}
	fprintf(f, "%u gap%s, %s silent in all, %u reconnect%s\n", shown,
		shown == 1 ? "" : "s", gwt_format_dur(silent_us, d, sizeof(d)),
		reconnected, reconnected == 1 ? "" : "s");
	return status;
}

