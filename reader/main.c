/*
 * gapwatch - read gapwatchd's reports: "gapwatch report" sums them up
 * (text, JSON, CSV or an HTML page), "gapwatch show ID" tells one gap's
 * story. See gapwatch(8).
 *
 * Exit codes: 0 ok, 1 a file could not be read (or show found no such
 * gap), 2 bad usage.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE		/* st_mtim */
#endif
#include <errno.h>
#include <getopt.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "agg.h"
#include "filter.h"
#include "follow.h"
#include "geo.h"
#include "gwtime.h"
#include "html.h"
#include "out.h"
#include "show.h"
#include "tool.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "unknown"
#endif

#define HTML_KEEP_DEFAULT	500

static void usage(FILE *f)
{
	fprintf(f,
"usage: gapwatch report [options] [FILE...]\n"
"       gapwatch show [--packets N] ID [FILE...]\n"
"       gapwatch show --client ADDR [FILE...]\n"
"       gapwatch --help | --version\n"
"\n"
"FILE: JSON Lines from gapwatchd, plain or gzip'd (default %s\n"
"and its rotated siblings, oldest first).\n"
"\n"
"report options:\n"
"  --since TIME          gaps that started at or after TIME (RFC 3339, or back\n"
"                        from now: 90s, 15m, 1h, 2d, 1w)\n"
"  --until TIME          gaps that started before TIME\n"
"  --client ADDR|PREFIX  by client address or prefix (198.18.0.0/16, 2001:db8::/32)\n"
"  --cause NAME          by cause (path_loss_to_server, ...)\n"
"  --port PORT           by the server's port\n"
"  --min-duration DUR    at least DUR long (500ms, 2s, 1m; a bare number is ms)\n"
"                        (lists: comma-separated, any item matches)\n"
"  --json                the aggregates as JSON\n"
"  --csv                 one CSV row per gap\n"
"  --html OUT.html       a self-contained HTML page\n"
"  --follow              the text summary, redrawn as one FILE grows (rotations\n"
"                        followed) until Ctrl-C\n"
"  --max-gaps N          gaps listed in the HTML page (default %d, the longest)\n"
"  --mmdb FILE           carriers and countries from an MMDB file (ASN or country;\n"
"                        repeatable, up to 4)\n"
"  --now TIME            take TIME as now (for relative times; reproducible runs)\n"
"show options:\n"
"  --packets N           packets listed from the gap's pcap (default 60)\n"
"  --client ADDR         one player's gaps across its ports and reconnects\n",
		GW_DEFAULT_REPORT, HTML_KEEP_DEFAULT);
}

static int64_t wall_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int cmp_mtime(const void *x, const void *y)
{
	const char *a = *(char *const *)x, *b = *(char *const *)y;
	struct stat sa, sb;

	if (stat(a, &sa) < 0 || stat(b, &sb) < 0)
		return strcmp(a, b);
	if (sa.st_mtim.tv_sec != sb.st_mtim.tv_sec)
		return sa.st_mtim.tv_sec < sb.st_mtim.tv_sec ? -1 : 1;
	if (sa.st_mtim.tv_nsec != sb.st_mtim.tv_nsec)
		return sa.st_mtim.tv_nsec < sb.st_mtim.tv_nsec ? -1 : 1;
	/* Same time: gaps.jsonl.2.gz is older than gaps.jsonl.1. */
	return strcmp(b, a);
}

/*
 * The default input: the report and what logrotate made of it
 * (gaps.jsonl.1, gaps.jsonl.2.gz, gaps.jsonl-20261125.gz), oldest first so
 * that the daemon's counters and the gaps read in the order written.
 */
static char **default_files(unsigned int *n, glob_t *g)
{
	static char *fallback[] = { (char *)GW_DEFAULT_REPORT };
	char **v;

	if (glob(GW_DEFAULT_REPORT "*", 0, NULL, g) != 0 || g->gl_pathc == 0) {
		*n = 1;
		return fallback;
	}
	v = g->gl_pathv;
	qsort(v, g->gl_pathc, sizeof(*v), cmp_mtime);
	*n = (unsigned int)g->gl_pathc;
	return v;
}

/* Appends "--opt value" to the filter's description. */
static void describe(char *buf, size_t len, const char *opt, const char *val)
{
	size_t o = strlen(buf);

	snprintf(buf + o, len - o, "%s--%s %s", o ? " " : "", opt, val);
}

/* What the report options asked for. */
struct report_opts {
	struct gw_filter f;
	const char *since, *until, *now_arg;
	const char *html;		/* the page's file, or NULL */
	int json, csv;
	int follow;			/* --follow: a live summary */
	const char *mmdb[GEO_MAX_FILES];	/* --mmdb files */
	unsigned int nmmdb;
	struct geo *geo;		/* opened from them, or NULL */
	unsigned int keep;		/* gaps listed in the HTML page */
	char ftext[1024];		/* the filter options, for the header */
};

enum { O_SINCE = 256, O_UNTIL, O_CLIENT, O_CAUSE, O_PORT, O_MIN, O_HOST,
       O_JSON, O_CSV, O_HTML, O_MAX, O_NOW, O_MMDB, O_FOLLOW, O_HELP };

static const struct option report_longopts[] = {
	{ "since", required_argument, NULL, O_SINCE },
	{ "until", required_argument, NULL, O_UNTIL },
	{ "client", required_argument, NULL, O_CLIENT },
	{ "cause", required_argument, NULL, O_CAUSE },
	{ "port", required_argument, NULL, O_PORT },
	{ "min-duration", required_argument, NULL, O_MIN },
	{ "host", required_argument, NULL, O_HOST },
	{ "json", no_argument, NULL, O_JSON },
	{ "csv", no_argument, NULL, O_CSV },
	{ "html", required_argument, NULL, O_HTML },
	{ "max-gaps", required_argument, NULL, O_MAX },
	{ "now", required_argument, NULL, O_NOW },
	{ "mmdb", required_argument, NULL, O_MMDB },
	{ "follow", no_argument, NULL, O_FOLLOW },
	{ "help", no_argument, NULL, O_HELP },
	{ NULL, 0, NULL, 0 },
};

/* One report option into o. Returns 0, or -1 with the reason in err. */
static int report_opt(struct report_opts *o, int opt, char *err, size_t errlen)
{
	unsigned long ul;
	char *end;

	switch (opt) {
	case O_SINCE:
		o->since = optarg;
		break;
	case O_UNTIL:
		o->until = optarg;
		break;
	case O_CLIENT:
		if (filter_add_client(&o->f, optarg, err, errlen) < 0)
			return -1;
		break;
	case O_CAUSE:
		if (filter_add_cause(&o->f, optarg, err, errlen) < 0)
			return -1;
		break;
	case O_PORT:
		if (filter_add_port(&o->f, optarg, err, errlen) < 0)
			return -1;
		break;
	case O_HOST:
		if (filter_add_host(&o->f, optarg, err, errlen) < 0)
			return -1;
		break;
	case O_MIN:
		if (gwt_parse_duration(optarg, &o->f.min_dur_us) < 0) {
			snprintf(err, errlen, "'%s' is not a duration "
				 "(500ms, 2s, 1m; a bare number is ms)", optarg);
			return -1;
		}
		break;
	case O_JSON:
		o->json = 1;
		return 0;
	case O_CSV:
		o->csv = 1;
		return 0;
	case O_HTML:
		o->html = optarg;
		return 0;
	case O_MAX:
		errno = 0;
		ul = strtoul(optarg, &end, 10);
		if (*optarg < '0' || *optarg > '9' || *end != '\0' ||
		    errno != 0 || ul > 100000) {
			snprintf(err, errlen, "'%s' is not a number of "
				 "gaps (0-100000)", optarg);
			return -1;
		}
		o->keep = (unsigned int)ul;
		return 0;
	case O_NOW:
		o->now_arg = optarg;
		return 0;
	case O_MMDB:
		if (o->nmmdb == GEO_MAX_FILES) {
			snprintf(err, errlen, "at most %d databases",
				 GEO_MAX_FILES);
			return -1;
		}
		o->mmdb[o->nmmdb++] = optarg;
		return 0;
	case O_FOLLOW:
		o->follow = 1;
		return 0;
	}
	/* The filter options: said in the report's header. */
	describe(o->ftext, sizeof(o->ftext), report_longopts[opt - O_SINCE].name,
		 optarg);
	return 0;
}

/*
 * The command line into o. Returns -1 to go on, else the exit code
 * (help given, or bad usage told).
 */
static int report_parse(int argc, char **argv, struct report_opts *o)
{
	char err[4200];
	int opt;

	argv[0] = (char *)"gapwatch report";	/* for getopt's messages */
	while ((opt = getopt_long(argc, argv, "h", report_longopts, NULL)) != -1) {
		if (opt == O_HELP || opt == 'h') {
			usage(stdout);
			return GW_EXIT_OK;
		}
		if (opt < O_SINCE || opt >= O_HELP) {
			usage(stderr);
			return GW_EXIT_USAGE;
		}
		if (report_opt(o, opt, err, sizeof(err)) < 0) {
			fprintf(stderr, "gapwatch report: --%s: %s\n",
				report_longopts[opt - O_SINCE].name, err);
			return GW_EXIT_USAGE;
		}
	}
	if (o->json + o->csv + (o->html != NULL) > 1) {
		fprintf(stderr, "gapwatch report: --json, --csv and --html go one at a time\n");
		return GW_EXIT_USAGE;
	}
	return -1;
}

/* A --since or --until into *us. Returns 0, or -1 told on stderr. */
static int report_time(const char *opt, const char *arg, int64_t now, int64_t *us)
{
	if (arg == NULL || gwt_parse_arg(arg, now, us) == 0)
		return 0;
	fprintf(stderr, "gapwatch report: --%s: '%s' is not a time "
		"(RFC 3339 like 2026-11-25T09:00:00Z, or back from now like 1h)\n",
		opt, arg);
	return -1;
}

/* Now, and the window from it. Returns 0, or -1 told on stderr. */
static int report_window(struct report_opts *o, int64_t *now)
{
	*now = wall_now();
	if (o->now_arg && gwt_parse_arg(o->now_arg, *now, now) < 0) {
		fprintf(stderr, "gapwatch report: --now: '%s' is not a time\n",
			o->now_arg);
		return -1;
	}
	if (report_time("since", o->since, *now, &o->f.since_us) < 0 ||
	    report_time("until", o->until, *now, &o->f.until_us) < 0)
		return -1;
	if (o->f.since_us != GWT_NONE && o->f.until_us != GWT_NONE &&
	    o->f.until_us <= o->f.since_us) {
		fprintf(stderr, "gapwatch report: --until is not after --since\n");
		return -1;
	}
	return 0;
}

/* The HTML page to out, which is closed. Returns the exit code. */
static int report_html(FILE *out, const struct report_opts *o, struct agg *a,
		       const struct agg_result *r, const struct out_info *info)
{
	size_t n;
	char *const *longest = agg_longest(a, &n);

	if (html_write(out, r, info, longest, n, o->keep) < 0 || fclose(out) != 0) {
		fprintf(stderr, "gapwatch report: cannot write %s: %s\n",
			o->html, strerror(errno));
		return GW_EXIT_READ;
	}
	fprintf(stderr, "gapwatch report: wrote %s (%llu gaps)\n", o->html,
		(unsigned long long)r->gaps);
	return GW_EXIT_OK;
}

/*
 * Read the files and write the report: out is the HTML page's file (NULL
 * without --html; closed here). Returns the exit code.
 */
static int report_run(const struct report_opts *o, char **files,
		      unsigned int nfiles, int64_t now, FILE *out)
{
	char err[4200];
	struct out_csv csv = { stdout, o->geo };
	struct out_info info;
	const struct agg_result *r;
	struct where *w;
	struct agg *a;
	unsigned int k;
	int rc = GW_EXIT_OK;

	if (o->csv)
		out_csv_header(stdout);
	a = agg_new(&o->f, o->html ? o->keep : 0, o->csv ? out_csv_row : NULL,
		    &csv);
	w = where_new(o->geo, &o->f);
	if (a == NULL || w == NULL) {
		fprintf(stderr, "gapwatch report: out of memory\n");
		if (out)
			fclose(out);
		agg_free(a);
		where_free(w);
		return GW_EXIT_READ;
	}
	agg_set_record_hook(a, where_record, w);
	for (k = 0; k < nfiles; k++) {
		if (agg_file(a, files[k], err, sizeof(err)) < 0) {
			fprintf(stderr, "gapwatch: %s\n", err);
			rc = GW_EXIT_READ;
		}
	}
	r = agg_finish(a, now);
	info = (struct out_info){ (const char *const *)files, nfiles, &o->f,
				  o->ftext, now, where_finish(w, r) };
	if (r->files_failed == nfiles) {
		fprintf(stderr, "gapwatch report: no file could be read\n");
		if (out)
			fclose(out);
		agg_free(a);
		where_free(w);
		return rc;
	}
	if (o->json) {
		if (out_json(stdout, r, &info) < 0) {
			fprintf(stderr, "gapwatch report: cannot write the JSON\n");
			rc = GW_EXIT_READ;
		}
	} else if (o->html) {
		if (report_html(out, o, a, r, &info) != GW_EXIT_OK) {
			agg_free(a);
			where_free(w);
			return GW_EXIT_READ;
		}
	} else if (!o->csv) {
		out_text(stdout, r, &info);
	}
	agg_free(a);
	where_free(w);
	if (fflush(stdout) != 0) {
		fprintf(stderr, "gapwatch report: cannot write the output: %s\n",
			strerror(errno));
		rc = GW_EXIT_READ;
	}
	return rc;
}

static int cmd_report(int argc, char **argv)
{
	struct report_opts o;
	unsigned int nfiles;
	char **files;
	FILE *out = NULL;
	int64_t now;
	glob_t g;
	int rc;

	memset(&o, 0, sizeof(o));
	memset(&g, 0, sizeof(g));
	filter_init(&o.f);
	o.keep = HTML_KEEP_DEFAULT;
	rc = report_parse(argc, argv, &o);
	if (rc < 0 && report_window(&o, &now) < 0)
		rc = GW_EXIT_USAGE;
	if (rc >= 0) {
		filter_free(&o.f);
		return rc;
	}
	if (o.follow) {
		/* One file as it grows: its rotated siblings are done with. */
		if (o.json || o.csv || o.html || o.nmmdb) {
			fprintf(stderr, "gapwatch report: --follow writes the text "
				"summary; --json, --csv, --html and --mmdb do not follow\n");
			rc = GW_EXIT_USAGE;
		} else if (argc - optind > 1) {
			fprintf(stderr, "gapwatch report: --follow follows one FILE, "
				"not %d\n", argc - optind);
			rc = GW_EXIT_USAGE;
		} else {
			rc = follow_run(optind < argc ? argv[optind] : GW_DEFAULT_REPORT,
					&o.f, o.ftext);
		}
		filter_free(&o.f);
		return rc;
	}
	if (o.nmmdb) {
		char err[4200];

		o.geo = geo_open(o.mmdb, o.nmmdb, err, sizeof(err));
		if (o.geo == NULL) {
			fprintf(stderr, "gapwatch report: --mmdb %s\n", err);
			filter_free(&o.f);
			return GW_EXIT_USAGE;
		}
	}
	if (optind < argc) {
		files = argv + optind;
		nfiles = (unsigned int)(argc - optind);
	} else {
		files = default_files(&nfiles, &g);
	}
	if (o.html) {
		out = fopen(o.html, "w");
		if (out == NULL)
			fprintf(stderr, "gapwatch report: cannot create %s: %s\n",
				o.html, strerror(errno));
	}
	rc = o.html && out == NULL ? GW_EXIT_READ :
	     report_run(&o, files, nfiles, now, out);
	geo_close(o.geo);
	filter_free(&o.f);
	if (g.gl_pathc)
		globfree(&g);
	return rc;
}

static int cmd_show(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "packets", required_argument, NULL, 'p' },
		{ "client", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned long packets = 60;
	const char *client = NULL;
	unsigned int nfiles;
	char **files, *end;
	glob_t g;
	int opt, rc;

	memset(&g, 0, sizeof(g));
	argv[0] = (char *)"gapwatch show";
	while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'p':
			errno = 0;
			packets = strtoul(optarg, &end, 10);
			if (*optarg < '0' || *optarg > '9' || *end != '\0' ||
			    errno != 0 || packets > 1000000) {
				fprintf(stderr, "gapwatch show: --packets: '%s' is "
					"not a number (0-1000000)\n", optarg);
				return GW_EXIT_USAGE;
			}
			break;
		case 'c':
			client = optarg;
			break;
		case 'h':
			usage(stdout);
			return GW_EXIT_OK;
		default:
			usage(stderr);
			return GW_EXIT_USAGE;
		}
	}
	if (client) {
		if (optind < argc) {
			files = argv + optind;
			nfiles = (unsigned int)(argc - optind);
		} else {
			files = default_files(&nfiles, &g);
		}
		rc = show_client(stdout, client, (const char *const *)files, nfiles);
		if (g.gl_pathc)
			globfree(&g);
		if (fflush(stdout) != 0)
			rc = GW_EXIT_READ;
		return rc;
	}
	if (optind >= argc) {
		fprintf(stderr, "gapwatch show: which gap? (an id from the report, "
			"like 6b06a77705f3a-0-1)\n");
		return GW_EXIT_USAGE;
	}
	if (optind + 1 < argc) {
		files = argv + optind + 1;
		nfiles = (unsigned int)(argc - optind - 1);
	} else {
		files = default_files(&nfiles, &g);
	}
	rc = show_gap(stdout, argv[optind], (const char *const *)files, nfiles,
		      (unsigned int)packets);
	if (g.gl_pathc)
		globfree(&g);
	if (fflush(stdout) != 0)
		rc = GW_EXIT_READ;
	return rc;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return GW_EXIT_USAGE;
	}
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return GW_EXIT_OK;
	}
	if (strcmp(argv[1], "-V") == 0 || strcmp(argv[1], "--version") == 0) {
		printf("gapwatch %s\n", PACKAGE_VERSION);
		return GW_EXIT_OK;
	}
	if (strcmp(argv[1], "report") == 0)
		return cmd_report(argc - 1, argv + 1);
	if (strcmp(argv[1], "show") == 0)
		return cmd_show(argc - 1, argv + 1);
	fprintf(stderr, "gapwatch: unknown command '%s' (report, show)\n", argv[1]);
	usage(stderr);
	return GW_EXIT_USAGE;
}
