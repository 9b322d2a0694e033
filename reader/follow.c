/*
 * follow.c - gapwatch report --follow: one report file read to its end,
 * then followed as gapwatchd appends to it, with a summary redrawn every
 * 2 s when something changed.
 *
 * agg_finish() is one-shot (it settles the open gaps, renumbers the
 * causes and sorts the points; a second call returns the first result),
 * so the live summary is kept here, fed by the aggregator's on_gap
 * callback: the aggregator still parses, filters and de-duplicates the
 * lines exactly as "report" does. A gap counts when its gap record
 * comes: a gap_open alone is a gap still going on, kept (the record
 * hook) until its gap record comes.
 *
 * Memory stays bounded whatever the file's size: the summary is fixed
 * tables (the top prefixes a Space-Saving sketch), and the aggregator,
 * which keeps a point and a few hashes per gap, is replaced by a new one
 * every FOLLOW_AGG_GAPS gaps (its de-duplication does not reach across
 * that: the daemon writes a gap record once, duplicates come from a file
 * read twice, which following does not do).
 *
 * Polling, not inotify: a rename rotation needs the directory watched
 * as well as the file, a copytruncate still needs the size compared, and
 * inotify tells nothing on NFS and some overlay file systems; a 250 ms
 * poll is one fstat() and one stat() and unseen behind a 2 s redraw.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "agg.h"
#include "follow.h"
#include "gwtime.h"
#include "htab.h"
#include "lines.h"
#include "out.h"
#include "prefix.h"
#include "printable.h"
#include "rec.h"
#include "tool.h"

#define FOLLOW_POLL_NS		250000000L
#define FOLLOW_REDRAW_US	2000000
#define FOLLOW_CHUNK		(64u * 1024)
#define FOLLOW_AGG_GAPS		200000	/* gaps per aggregator: ~20 MB */
#define FOLLOW_NAMES		32	/* causes, outcomes kept apart */
#define FOLLOW_NAME_LEN		40
#define FOLLOW_SHOW		8	/* causes, outcomes shown */
#define FOLLOW_SKETCH		512	/* prefixes counted: exact below that many */
#define FOLLOW_TOP		5	/* prefixes shown */
#define FOLLOW_LAST		10	/* latest gaps shown */
#define FOLLOW_RECENT_S		600	/* per-second counts: 10 minutes */
#define FOLLOW_OPEN		16384	/* open gaps tracked: a table of ~5 MB */

/* Causes or outcomes by name; past FOLLOW_NAMES names, "other". */
struct fw_name {
	char name[FOLLOW_NAME_LEN];
	uint64_t gaps;
};

struct fw_names {
	struct fw_name v[FOLLOW_NAMES];
	unsigned int n;
	uint64_t other;
};

/* A Space-Saving counter: gaps may over-count by at most err. */
struct fw_prefix {
	struct gw_prefix p;
	uint64_t gaps, err;
};

struct fw_last {
	int64_t start_us, dur_us;
	char client[56];
	char cause[FOLLOW_NAME_LEN];
};

/* A gap still going on: its gap_open read, its gap record not yet. */
struct fw_open {
	uint64_t h;			/* of its id */
	int64_t start_us;
	char client[56];
};

/* The gaps that started in one second, by record start time. */
struct fw_second {
	int64_t sec;
	uint64_t gaps;
};

struct follow {
	const char *path;
	const struct gw_filter *f;
	const char *ftext;
	int tty;

	/* the file */
	int fd;
	dev_t dev;
	ino_t ino;
	off_t off;			/* read so far */
	uint64_t lineno;
	char *buf;			/* a line being completed */
	size_t cap, fill;
	int skipping;			/* inside a line over LINES_MAX */
	int warned;			/* told that the path cannot be reopened */
	int broken;			/* stdout cannot be written */

	/* the lines */
	struct agg *agg;
	uint64_t agg_gaps;		/* gaps the current aggregator kept */
	uint64_t lines_before, bad_before;	/* of replaced aggregators */
	uint64_t too_long;

	/* the summary */
	int changed;
	uint64_t gaps;
	struct fw_names causes, outcomes;
	struct fw_prefix sketch[FOLLOW_SKETCH];
	unsigned int nsketch;
	struct fw_last last[FOLLOW_LAST];	/* a ring: gaps % FOLLOW_LAST */
	struct fw_second recent[FOLLOW_RECENT_S];
	struct htab open;		/* struct fw_open */
	uint64_t open_untracked;	/* gap_open records past FOLLOW_OPEN */
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int64_t clock_us(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* "12:31:07Z" */
static char *hms(int64_t us, char *buf, size_t len)
{
	char t[40], *p;

	gwt_format(us, 0, t, sizeof(t));
	p = strchr(t, 'T');
	snprintf(buf, len, "%s", p ? p + 1 : t);
	return buf;
}

/* ---- the summary ---- */

static void names_add(struct fw_names *t, const struct span *s, const char *none)
{
	char name[FOLLOW_NAME_LEN];
	unsigned int k;

	span_copy(s, name, sizeof(name));
	if (name[0] == '\0')
		snprintf(name, sizeof(name), "%s", none);
	printable_fix(name);
	for (k = 0; k < t->n; k++) {
		if (strcmp(t->v[k].name, name) == 0) {
			t->v[k].gaps++;
			return;
		}
	}
	if (t->n == FOLLOW_NAMES) {
		t->other++;
		return;
	}
	memcpy(t->v[t->n].name, name, sizeof(name));
	t->v[t->n++].gaps = 1;
}

static void sketch_add(struct follow *fw, const struct gw_prefix *p)
{
	struct fw_prefix *e, *min = NULL;
	unsigned int k;

	for (k = 0; k < fw->nsketch; k++) {
		e = &fw->sketch[k];
		if (e->p.len == p->len &&
		    memcmp(&e->p.addr, &p->addr, sizeof(p->addr)) == 0) {
			e->gaps++;
			return;
		}
		if (min == NULL || e->gaps < min->gaps)
			min = e;
	}
	if (fw->nsketch < FOLLOW_SKETCH) {
		fw->sketch[fw->nsketch++] = (struct fw_prefix){ *p, 1, 0 };
		return;
	}
	/* Space-Saving: the least counted prefix gives way, and its count
	 * is what the newcomer may be over-counted by. */
	*min = (struct fw_prefix){ *p, min->gaps + 1, min->gaps };
}

static void recent_add(struct follow *fw, int64_t start_us)
{
	int64_t sec = start_us / 1000000;
	struct fw_second *s = &fw->recent[(sec % FOLLOW_RECENT_S +
					   FOLLOW_RECENT_S) % FOLLOW_RECENT_S];

	if (s->sec == sec) {
		s->gaps++;
	} else if (s->sec < sec) {
		s->sec = sec;
		s->gaps = 1;
	}
	/* else older than the last 10 minutes of the data: not recent */
}

static uint64_t recent_count(const struct follow *fw, int64_t now_us, int64_t secs)
{
	int64_t from = now_us / 1000000 - secs;
	uint64_t n = 0;
	unsigned int k;

	for (k = 0; k < FOLLOW_RECENT_S; k++)
		if (fw->recent[k].sec > from)
			n += fw->recent[k].gaps;
	return n;
}

/* An agg_gap_fn: each gap the filter let through. */
static void on_gap(void *ctx, const struct gw_rec *r, int open)
{
	struct follow *fw = ctx;
	struct fw_last *l = &fw->last[fw->gaps % FOLLOW_LAST];
	struct in6_addr addr;
	struct gw_prefix p;

	/* agg_finish() is never called here: every gap told is closed. */
	(void)open;
	fw->gaps++;
	fw->agg_gaps++;
	names_add(&fw->causes, &r->cause, "unknown");
	names_add(&fw->outcomes, &r->outcome, "none");
	/* An endpoint that does not parse counts as "::", as in report. */
	if (rec_endpoint(&r->client, &addr, &(uint16_t){ 0 }) < 0)
		memset(&addr, 0, sizeof(addr));
	prefix_group(&addr, &p);
	sketch_add(fw, &p);
	recent_add(fw, r->start_us);
	l->start_us = r->start_us;
	l->dur_us = (r->has & REC_HAS_DURATION) ? r->duration_us :
		    r->end_us - r->start_us;
	span_copy(&r->client, l->client, sizeof(l->client));
	printable_fix(l->client);
	span_copy(&r->cause, l->cause, sizeof(l->cause));
	printable_fix(l->cause);
}

/* An agg_record_fn: a new gap_open the filter let through is a gap
 * going on until its gap record comes (whatever the filter says of that:
 * a gap's cause may change as it closes). */
static void on_record(void *ctx, const struct gw_rec *r, const char *line,
		      size_t len)
{
	struct follow *fw = ctx;
	struct fw_open *o;
	uint64_t h;

	(void)line;
	(void)len;
	if (r->type != REC_GAP_OPEN && r->type != REC_GAP)
		return;
	h = htab_hash(r->id.p, r->id.len);
	o = htab_find(&fw->open, h, NULL, NULL);
	if (r->type == REC_GAP) {
		if (o != NULL)
			htab_delete(&fw->open, o);
		return;
	}
	if (o != NULL)
		return;
	if (fw->open.live >= FOLLOW_OPEN ||
	    (o = htab_insert(&fw->open, h)) == NULL) {
		fw->open_untracked++;
		return;
	}
	o->start_us = r->start_us;
	span_copy(&r->client, o->client, sizeof(o->client));
	printable_fix(o->client);
}

static uint64_t bad_lines(const struct agg_lines *l)
{
	return l->not_json + l->not_object + l->truncated + l->bad_record;
}

static int cmp_name_desc(const void *x, const void *y)
{
	const struct fw_name *a = *(const struct fw_name *const *)x;
	const struct fw_name *b = *(const struct fw_name *const *)y;

	return (a->gaps < b->gaps) - (a->gaps > b->gaps);
}

static int cmp_prefix_desc(const void *x, const void *y)
{
	const struct fw_prefix *a = *(const struct fw_prefix *const *)x;
	const struct fw_prefix *b = *(const struct fw_prefix *const *)y;

	return (a->gaps < b->gaps) - (a->gaps > b->gaps);
}

/* The FOLLOW_SHOW commonest names, the rest as one "other" row. */
static void names_table(FILE *f, const char *title, const struct fw_names *t,
			uint64_t total)
{
	const struct fw_name *v[FOLLOW_NAMES];
	uint64_t other = t->other;
	unsigned int k;
	char a[32];

	for (k = 0; k < t->n; k++)
		v[k] = &t->v[k];
	qsort(v, t->n, sizeof(*v), cmp_name_desc);
	fprintf(f, "\n%-32s %10s %6s\n", title, "GAPS", "SHARE");
	for (k = 0; k < t->n; k++) {
		if (k >= FOLLOW_SHOW) {
			other += v[k]->gaps;
			continue;
		}
		fprintf(f, "%-32s %10s %5.1f%%\n", v[k]->name,
			out_count(v[k]->gaps, a, sizeof(a)),
			100.0 * (double)v[k]->gaps / (double)total);
	}
	if (other)
		fprintf(f, "%-32s %10s %5.1f%%\n", AGG_OTHER_NAME,
			out_count(other, a, sizeof(a)),
			100.0 * (double)other / (double)total);
}

static void prefix_table(FILE *f, const struct follow *fw)
{
	const struct fw_prefix *v[FOLLOW_SKETCH];
	unsigned int k;
	char a[32], p[64];

	for (k = 0; k < fw->nsketch; k++)
		v[k] = &fw->sketch[k];
	qsort(v, fw->nsketch, sizeof(*v), cmp_prefix_desc);
	fprintf(f, "\n%-32s %10s\n", "CLIENT PREFIX", "GAPS");
	for (k = 0; k < fw->nsketch && k < FOLLOW_TOP; k++)
		fprintf(f, "%-32s %10s%s\n", prefix_format(&v[k]->p, p, sizeof(p)),
			out_count(v[k]->gaps, a, sizeof(a)),
			v[k]->err ? " (at most)" : "");
}

static void last_table(FILE *f, const struct follow *fw)
{
	unsigned int k, n = fw->gaps < FOLLOW_LAST ? (unsigned int)fw->gaps :
			    FOLLOW_LAST;
	char t[40], d[32];

	fprintf(f, "\n%-20s  %-32s  %-24s %s\n", "LATEST GAPS", "CLIENT",
		"CAUSE", "DURATION");
	for (k = 0; k < n; k++) {
		const struct fw_last *l = &fw->last[(fw->gaps - 1 - k) % FOLLOW_LAST];

		fprintf(f, "%-20s  %-32s  %-24s %s\n",
			gwt_format(l->start_us, 0, t, sizeof(t)), l->client, l->cause,
			gwt_format_dur(l->dur_us, d, sizeof(d)));
	}
}

/* The gaps going on: how many, and the oldest. */
static void open_line(FILE *f, const struct follow *fw, int64_t now)
{
	const struct fw_open *o, *oldest = NULL;
	char a[32], b[32], t[40], d[32];
	size_t pos = 0;

	while ((o = htab_next(&fw->open, &pos)) != NULL)
		if (oldest == NULL || o->start_us < oldest->start_us)
			oldest = o;
	fprintf(f, "open now  %s", out_count(fw->open.live, a, sizeof(a)));
	if (fw->open_untracked)
		fprintf(f, " and %s more not tracked",
			out_count(fw->open_untracked, b, sizeof(b)));
	if (oldest != NULL)
		fprintf(f, " (the oldest: %s since %s, %s)", oldest->client,
			hms(oldest->start_us, t, sizeof(t)),
			gwt_format_dur(now > oldest->start_us ?
				       now - oldest->start_us : 0, d, sizeof(d)));
	fputc('\n', f);
}

/* The summary to stdout. Returns 0, or -1 told on stderr. */
static int draw(struct follow *fw)
{
	const struct agg_lines *l = agg_counts(fw->agg);
	int64_t now = clock_us(CLOCK_REALTIME);
	char a[32], b[32], c[32], t[40];
	FILE *f = stdout;

	fw->changed = 0;
	if (fw->tty)
		fputs("\033[H\033[2J", f);
	else
		fprintf(f, "--- %s\n", hms(now, t, sizeof(t)));
	fprintf(f, "gapwatch report --follow %s\n", fw->path);
	fprintf(f, "last update %s: %s lines read, %s bad lines skipped\n",
		hms(now, t, sizeof(t)),
		out_count(fw->lines_before + l->lines + fw->too_long, a, sizeof(a)),
		out_count(fw->bad_before + bad_lines(l) + fw->too_long, b, sizeof(b)));
	if (*fw->ftext)
		fprintf(f, "filter    %s\n", fw->ftext);
	fprintf(f, "gaps      %s (last minute %s, last 10 minutes %s)\n",
		out_count(fw->gaps, a, sizeof(a)),
		out_count(recent_count(fw, now, 60), b, sizeof(b)),
		out_count(recent_count(fw, now, 600), c, sizeof(c)));
	open_line(f, fw, now);
	if (fw->gaps) {
		names_table(f, "CAUSE", &fw->causes, fw->gaps);
		names_table(f, "OUTCOME", &fw->outcomes, fw->gaps);
		prefix_table(f, fw);
		last_table(f, fw);
	}
	if (fflush(f) != 0) {
		fw->broken = 1;
		fprintf(stderr, "gapwatch report: cannot write the summary: %s\n",
			strerror(errno));
		return -1;
	}
	return 0;
}

/* ---- the file ---- */

/* One whole line (or, last, the end of a file without a newline). */
static void fw_line(struct follow *fw, const char *line, size_t len, int last)
{
	const struct agg_lines *l;
	char where[4200];
	struct agg *fresh;

	fw->lineno++;
	fw->changed = 1;
	snprintf(where, sizeof(where), "%s:%llu", fw->path,
		 (unsigned long long)fw->lineno);
	agg_line(fw->agg, line, len, last, where);
	if (fw->agg_gaps < FOLLOW_AGG_GAPS)
		return;
	/* Out of memory: the full aggregator stays and grows, nothing is
	 * lost; the next gap tries again. */
	fresh = agg_new(fw->f, 0, on_gap, fw);
	if (fresh == NULL)
		return;
	agg_set_record_hook(fresh, on_record, fw);
	l = agg_counts(fw->agg);
	fw->lines_before += l->lines;
	fw->bad_before += bad_lines(l);
	agg_free(fw->agg);
	fw->agg = fresh;
	fw->agg_gaps = 0;
}

/* A line longer than any record (LINES_MAX): skipped, as report does. */
static void fw_too_long(struct follow *fw)
{
	fw->lineno++;
	fw->too_long++;
	fw->changed = 1;
	fprintf(stderr, "gapwatch: %s:%llu: line longer than 4 MiB: skipped\n",
		fw->path, (unsigned long long)fw->lineno);
}

/* Read the file to its end, line by line. Returns 0, or -1 told on stderr. */
static int fw_read(struct follow *fw)
{
	size_t from, start, k;
	char *nl, *nbuf;
	ssize_t n;

	while (!stop) {
		if (fw->cap - fw->fill < FOLLOW_CHUNK) {
			nbuf = realloc(fw->buf, fw->cap * 2);
			if (nbuf == NULL) {
				fprintf(stderr, "gapwatch report: %s: out of memory "
					"for a line of %zu bytes\n", fw->path, fw->fill);
				return -1;
			}
			fw->buf = nbuf;
			fw->cap *= 2;
		}
		n = read(fw->fd, fw->buf + fw->fill, fw->cap - fw->fill);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			fprintf(stderr, "gapwatch report: cannot read %s: %s\n",
				fw->path, strerror(errno));
			return -1;
		}
		if (n == 0)
			return 0;
		fw->off += n;
		/* What was buffered already holds no newline. */
		from = fw->fill;
		fw->fill += (size_t)n;
		start = 0;
		while ((nl = memchr(fw->buf + from, '\n', fw->fill - from)) != NULL) {
			k = (size_t)(nl - fw->buf);
			if (fw->skipping)
				fw->skipping = 0;
			else if (k - start > LINES_MAX)
				fw_too_long(fw);
			else
				fw_line(fw, fw->buf + start, k - start, 0);
			start = from = k + 1;
		}
		/* The rest is a line still being written: kept for the next
		 * read to complete. */
		memmove(fw->buf, fw->buf + start, fw->fill - start);
		fw->fill -= start;
		if (fw->fill > LINES_MAX) {
			/* Dropped up to its newline, told once. */
			if (!fw->skipping)
				fw_too_long(fw);
			fw->skipping = 1;
			fw->fill = 0;
		}
	}
	return 0;
}

/*
 * A new file, or the old one from its start: a last line left without
 * its newline ends there, and counts as report counts it.
 */
static void fw_restart(struct follow *fw, const char *how)
{
	if (fw->fill > 0 && !fw->skipping)
		fw_line(fw, fw->buf, fw->fill, 1);
	fw->fill = 0;
	fw->skipping = 0;
	fw->off = 0;
	fw->lineno = 0;
	fw->changed = 1;
	fprintf(stderr, "gapwatch report: %s was rotated; %s\n", fw->path, how);
}

/* The path cannot be looked at now: said once per rotation. */
static void fw_retry(struct follow *fw, const char *what)
{
	/* Between logrotate's rename and its create: the usual wait. */
	if (errno == ENOENT || fw->warned)
		return;
	fw->warned = 1;
	fprintf(stderr, "gapwatch report: cannot %s %s: %s; trying again\n", what,
		fw->path, strerror(errno));
}

/*
 * After logrotate: "copytruncate" cut the file short (it is shorter than
 * what was read: a file that grew past that again before this look is
 * not told apart, as with tail -F), "create" renamed it and made a new
 * one (the path is another inode). Returns 0, or -1 told on stderr.
 */
static int fw_rotate(struct follow *fw)
{
	struct stat st;
	int fd;

	if (fstat(fw->fd, &st) < 0) {
		fprintf(stderr, "gapwatch report: cannot stat %s: %s\n", fw->path,
			strerror(errno));
		return -1;
	}
	if (st.st_size < fw->off) {
		if (lseek(fw->fd, 0, SEEK_SET) < 0) {
			fprintf(stderr, "gapwatch report: cannot seek in %s: %s\n",
				fw->path, strerror(errno));
			return -1;
		}
		fw_restart(fw, "reading it again from the start (copytruncate)");
		return 0;
	}
	if (stat(fw->path, &st) < 0) {
		fw_retry(fw, "stat");
		return 0;
	}
	if (st.st_ino == fw->ino && st.st_dev == fw->dev)
		return 0;
	fd = open(fw->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		fw_retry(fw, "open");
		return 0;
	}
	/* What the daemon wrote to the old file before it reopened; lines it
	 * writes there after this are not seen (as with tail -F). */
	if (fw_read(fw) < 0) {
		close(fd);
		return -1;
	}
	if (fstat(fd, &st) < 0) {
		fprintf(stderr, "gapwatch report: cannot stat the new %s: %s\n",
			fw->path, strerror(errno));
		close(fd);
		return -1;
	}
	/* A read-only descriptor: nothing is lost if its close fails. */
	close(fw->fd);
	fw->fd = fd;
	fw->dev = st.st_dev;
	fw->ino = st.st_ino;
	fw->warned = 0;
	fw_restart(fw, "following the new file");
	return 0;
}

/* Open path at start. Returns -1 to go on, else the exit code (told). */
static int fw_open(struct follow *fw)
{
	unsigned char magic[2];
	struct stat st;
	ssize_t n;

	fw->fd = open(fw->path, O_RDONLY | O_CLOEXEC);
	if (fw->fd < 0) {
		fprintf(stderr, "gapwatch report: cannot open %s: %s\n", fw->path,
			strerror(errno));
		return GW_EXIT_READ;
	}
	n = pread(fw->fd, magic, sizeof(magic), 0);
	if (n < 0 || fstat(fw->fd, &st) < 0) {
		fprintf(stderr, "gapwatch report: cannot read %s: %s\n", fw->path,
			strerror(errno));
		return GW_EXIT_READ;
	}
	if (n == 2 && magic[0] == 0x1f && magic[1] == 0x8b) {
		fprintf(stderr, "gapwatch report: %s is gzip'd: --follow reads a "
			"plain file as it grows (gapwatch report without --follow "
			"reads it)\n", fw->path);
		return GW_EXIT_USAGE;
	}
	fw->dev = st.st_dev;
	fw->ino = st.st_ino;
	return -1;
}

/* Until a signal or an error: read, look for a rotation, redraw. */
static int fw_loop(struct follow *fw)
{
	const struct timespec tick = { 0, FOLLOW_POLL_NS };
	int64_t next = clock_us(CLOCK_MONOTONIC) + FOLLOW_REDRAW_US;

	while (!stop) {
		/* A signal cuts the sleep short: stop is looked at at once. */
		nanosleep(&tick, NULL);
		/* Read again after a rotation: the new file may hold lines. */
		if (fw_read(fw) < 0 || fw_rotate(fw) < 0 || fw_read(fw) < 0)
			return GW_EXIT_READ;
		if (clock_us(CLOCK_MONOTONIC) < next)
			continue;
		next = clock_us(CLOCK_MONOTONIC) + FOLLOW_REDRAW_US;
		if (fw->changed && draw(fw) < 0)
			return GW_EXIT_READ;
	}
	return GW_EXIT_OK;
}

int follow_run(const char *path, const struct gw_filter *f, const char *ftext)
{
	struct sigaction sa;
	struct follow *fw;
	int rc;

	fw = calloc(1, sizeof(*fw));
	if (fw == NULL) {
		fprintf(stderr, "gapwatch report: out of memory\n");
		return GW_EXIT_READ;
	}
	fw->path = path;
	fw->f = f;
	htab_init(&fw->open, sizeof(struct fw_open), 64, 2);
	fw->ftext = ftext;
	fw->tty = isatty(STDOUT_FILENO);
	fw->fd = -1;
	fw->cap = 2 * FOLLOW_CHUNK;
	fw->buf = malloc(fw->cap);
	fw->agg = agg_new(f, 0, on_gap, fw);
	if (fw->buf == NULL || fw->agg == NULL) {
		fprintf(stderr, "gapwatch report: out of memory\n");
		rc = GW_EXIT_READ;
		goto out;
	}
	agg_set_record_hook(fw->agg, on_record, fw);
	rc = fw_open(fw);
	if (rc >= 0)
		goto out;
	/* No SA_RESTART: the signal must end the poll's sleep. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGINT, &sa, NULL) < 0 || sigaction(SIGTERM, &sa, NULL) < 0) {
		fprintf(stderr, "gapwatch report: cannot handle SIGINT and SIGTERM: %s\n",
			strerror(errno));
		rc = GW_EXIT_READ;
		goto out;
	}
	if (fw_read(fw) < 0)
		rc = GW_EXIT_READ;
	else if (stop)
		rc = GW_EXIT_OK;	/* during the first read: one summary */
	else if (draw(fw) < 0)
		rc = GW_EXIT_READ;
	else
		rc = fw_loop(fw);
	/* The final summary, whatever ended the run, unless it was the
	 * output itself. */
	if (!fw->broken && draw(fw) < 0)
		rc = GW_EXIT_READ;
out:
	if (fw->fd >= 0)
		close(fw->fd);
	agg_free(fw->agg);
	htab_free(&fw->open);
	free(fw->buf);
	free(fw);
	return rc;
}
