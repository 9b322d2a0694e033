/*
 * gapwatch - read gapwatchd's reports: "gapwatch report" sums them up
 * (text, JSON, CSV or an HTML page), "gapwatch show ID" tells one gap's
 * story. See gapwatch(8).
 *
 * Exit codes: 0 ok, 1 a file could not be read (or show found no such
 * gap), 2 bad usage.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE		/* memmem, vasprintf, strptime, timegm, st_mtim */
#endif
#include <errno.h>
#include <getopt.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "gapwatch.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "unknown"
#endif

#define HTML_KEEP_DEFAULT	500

static void usage(FILE *f)
{
	fprintf(f,
"usage: gapwatch report [options] [FILE...]\n"
"       gapwatch show [--packets N] ID [FILE...]\n"
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
"  --max-gaps N          gaps listed in the HTML page (default %d, the longest)\n"
"  --now TIME            take TIME as now (for relative times; reproducible runs)\n"
"show options:\n"
"  --packets N           packets listed from the gap's pcap (default 60)\n",
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

	snprintf(buf + o, len - o, "%s%s %s", o ? " " : "", opt, val);
}

static int cmd_report(int argc, char **argv)
{
	enum { O_SINCE = 256, O_UNTIL, O_CLIENT, O_CAUSE, O_PORT, O_MIN,
	       O_JSON, O_CSV, O_HTML, O_MAX, O_NOW, O_HELP };
	static const struct option longopts[] = {
		{ "since", required_argument, NULL, O_SINCE },
		{ "until", required_argument, NULL, O_UNTIL },
		{ "client", required_argument, NULL, O_CLIENT },
		{ "cause", required_argument, NULL, O_CAUSE },
		{ "port", required_argument, NULL, O_PORT },
		{ "min-duration", required_argument, NULL, O_MIN },
		{ "json", no_argument, NULL, O_JSON },
		{ "csv", no_argument, NULL, O_CSV },
		{ "html", required_argument, NULL, O_HTML },
		{ "max-gaps", required_argument, NULL, O_MAX },
		{ "now", required_argument, NULL, O_NOW },
		{ "help", no_argument, NULL, O_HELP },
		{ NULL, 0, NULL, 0 },
	};
	const char *since = NULL, *until = NULL, *html = NULL, *now_arg = NULL;
	char err[4200], ftext[1024] = "", *end;
	struct gw_filter f;
	struct out_info info;
	const struct agg_result *r;
	struct agg *a = NULL;
	unsigned int nfiles, k, keep = HTML_KEEP_DEFAULT, flags = 0;
	int opt, json = 0, csv = 0, rc = GW_EXIT_OK;
	char **files;
	glob_t g;
	int64_t now;
	unsigned long ul;
	FILE *out = NULL;

	memset(&g, 0, sizeof(g));
	filter_init(&f);
	argv[0] = (char *)"gapwatch report";	/* for getopt's messages */
	while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (opt) {
		case O_SINCE:
			since = optarg;
			describe(ftext, sizeof(ftext), "--since", optarg);
			break;
		case O_UNTIL:
			until = optarg;
			describe(ftext, sizeof(ftext), "--until", optarg);
			break;
		case O_CLIENT:
			if (filter_add_client(&f, optarg, err, sizeof(err)) < 0)
				goto bad_arg;
			describe(ftext, sizeof(ftext), "--client", optarg);
			break;
		case O_CAUSE:
			if (filter_add_cause(&f, optarg, err, sizeof(err)) < 0)
				goto bad_arg;
			describe(ftext, sizeof(ftext), "--cause", optarg);
			break;
		case O_PORT:
			if (filter_add_port(&f, optarg, err, sizeof(err)) < 0)
				goto bad_arg;
			describe(ftext, sizeof(ftext), "--port", optarg);
			break;
		case O_MIN:
			if (gwt_parse_duration(optarg, &f.min_dur_us) < 0) {
				snprintf(err, sizeof(err), "'%s' is not a duration "
					 "(500ms, 2s, 1m; a bare number is ms)", optarg);
				goto bad_arg;
			}
			describe(ftext, sizeof(ftext), "--min-duration", optarg);
			break;
		case O_JSON:
			json = 1;
			break;
		case O_CSV:
			csv = 1;
			break;
		case O_HTML:
			html = optarg;
			break;
		case O_MAX:
			errno = 0;
			ul = strtoul(optarg, &end, 10);
			if (*optarg < '0' || *optarg > '9' || *end != '\0' ||
			    errno != 0 || ul > 100000) {
				snprintf(err, sizeof(err), "'%s' is not a number of "
					 "gaps (0-100000)", optarg);
				goto bad_arg;
			}
			keep = (unsigned int)ul;
			break;
		case O_NOW:
			now_arg = optarg;
			break;
		case O_HELP:
		case 'h':
			usage(stdout);
			filter_free(&f);
			return GW_EXIT_OK;
		default:
			usage(stderr);
			filter_free(&f);
			return GW_EXIT_USAGE;
		}
		continue;
bad_arg:
		fprintf(stderr, "gapwatch report: --%s: %s\n",
			longopts[opt - O_SINCE].name, err);
		filter_free(&f);
		return GW_EXIT_USAGE;
	}
	if (json + csv + (html != NULL) > 1) {
		fprintf(stderr, "gapwatch report: --json, --csv and --html go one at a time\n");
		filter_free(&f);
		return GW_EXIT_USAGE;
	}
	now = wall_now();
	if (now_arg && gwt_parse_arg(now_arg, now, &now) < 0) {
		fprintf(stderr, "gapwatch report: --now: '%s' is not a time\n", now_arg);
		filter_free(&f);
		return GW_EXIT_USAGE;
	}
	if (since && gwt_parse_arg(since, now, &f.since_us) < 0) {
		fprintf(stderr, "gapwatch report: --since: '%s' is not a time "
			"(RFC 3339 like 2026-11-25T09:00:00Z, or back from now like 1h)\n",
			since);
		filter_free(&f);
		return GW_EXIT_USAGE;
	}
	if (until && gwt_parse_arg(until, now, &f.until_us) < 0) {
		fprintf(stderr, "gapwatch report: --until: '%s' is not a time "
			"(RFC 3339 like 2026-11-25T09:00:00Z, or back from now like 1h)\n",
			until);
		filter_free(&f);
		return GW_EXIT_USAGE;
	}
	if (f.since_us != GWT_NONE && f.until_us != GWT_NONE && f.until_us <= f.since_us) {
		fprintf(stderr, "gapwatch report: --until is not after --since\n");
		filter_free(&f);
		return GW_EXIT_USAGE;
	}
	if (optind < argc) {
		files = argv + optind;
		nfiles = (unsigned int)(argc - optind);
	} else {
		files = default_files(&nfiles, &g);
	}
	if (html) {
		out = fopen(html, "w");
		if (out == NULL) {
			fprintf(stderr, "gapwatch report: cannot create %s: %s\n",
				html, strerror(errno));
			rc = GW_EXIT_READ;
			goto out;
		}
		flags |= AGG_KEEP_LONGEST;
	}
	if (csv) {
		flags |= AGG_CSV;
		out_csv_header(stdout);
	}
	a = agg_new(&f, flags, keep, stdout);
	if (a == NULL) {
		fprintf(stderr, "gapwatch report: out of memory\n");
		rc = GW_EXIT_READ;
		goto out;
	}
	for (k = 0; k < nfiles; k++) {
		if (agg_file(a, files[k], err, sizeof(err)) < 0) {
			fprintf(stderr, "gapwatch: %s\n", err);
			rc = GW_EXIT_READ;
		}
	}
	r = agg_finish(a, now);
	memset(&info, 0, sizeof(info));
	info.files = (const char *const *)files;
	info.nfiles = nfiles;
	info.filter = &f;
	info.filter_text = ftext;
	info.now_us = now;
	if (r->files_failed == nfiles) {
		fprintf(stderr, "gapwatch report: no file could be read\n");
		goto out;
	}
	if (json) {
		if (out_json(stdout, r, &info) < 0) {
			fprintf(stderr, "gapwatch report: cannot write the JSON\n");
			rc = GW_EXIT_READ;
		}
	} else if (html) {
		size_t n;
		char *const *longest = agg_longest(a, &n);

		if (html_write(out, r, &info, longest, n, keep) < 0 ||
		    fclose(out) != 0) {
			fprintf(stderr, "gapwatch report: cannot write %s: %s\n",
				html, strerror(errno));
			out = NULL;
			rc = GW_EXIT_READ;
			goto out;
		}
		out = NULL;
		fprintf(stderr, "gapwatch report: wrote %s (%llu gaps)\n", html,
			(unsigned long long)r->gaps);
	} else if (!csv) {
		out_text(stdout, r, &info);
	}
	if (fflush(stdout) != 0) {
		fprintf(stderr, "gapwatch report: cannot write the output: %s\n",
			strerror(errno));
		rc = GW_EXIT_READ;
	}
out:
	if (out)
		fclose(out);
	agg_free(a);
	filter_free(&f);
	if (g.gl_pathc)
		globfree(&g);
	return rc;
}

static int cmd_show(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "packets", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned long packets = 60;
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
		case 'h':
			usage(stdout);
			return GW_EXIT_OK;
		default:
			usage(stderr);
			return GW_EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "gapwatch show: which gap? (an id from the report, "
			"like 6b06a777-0-1)\n");
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
