/*
 * html.c - one self-contained HTML page: inline CSS and SVG, no
 * script, nothing fetched.
 *
 * The page must stay light with 100,000 gaps, so nothing is drawn per gap
 * beyond a few thousand: the timeline becomes a grid of time x duration
 * cells (the colour of the cell's commonest cause, the shade its count),
 * the rates and the histogram are bins, and the table lists the longest
 * gaps only (--max-gaps), each with its details shown by :target.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "addr.h"
#include "gwtime.h"
#include "html.h"
#include "jrec.h"
#include "out.h"
#include "prefix.h"
#include "schema.h"

/* Up to this many gaps the timeline draws one mark per gap. */
#define HTML_MAX_MARKS		3000

#define TL_COLS			200	/* timeline grid */
#define RATE_MAX_BINS		240

/* The plots' geometry, in SVG units (the page scales them). */
#define PW			1240
#define PAD_L			64
#define PAD_R			16
#define PAD_T			12
#define PAD_B			30

struct cause_colour {
	const char *cause;
	const char *colour;
};

static const struct cause_colour known_colours[] = {
	{ "path_loss_to_server", "#d62728" },
	{ "path_loss_to_client", "#ff7f0e" },
	{ "local_drop_invalid", "#9467bd" },
	{ "conntrack_destroyed", "#8c564b" },
	{ "conntrack_table_full", "#e377c2" },
	{ "nat_rebind", "#17becf" },
	{ "pmtu_blackhole", "#bcbd22" },
	{ "client_app_stall", "#1f77b4" },
	{ "server_app_stall", "#2ca02c" },
	{ "inspector_loss", "#393b79" },
	{ "unknown", "#8c8c8c" },
};

static const char *const palette[] = {
	"#aec7e8", "#ffbb78", "#98df8a", "#ff9896", "#c5b0d5", "#c49c94",
	"#f7b6d2", "#dbdb8d", "#9edae5", "#6b6ecf", "#e7ba52", "#843c39",
};

/* A fixed colour per known cause, else one from a palette. */
static const char *cause_colour(const char *cause, unsigned int index)
{
	size_t k;

	for (k = 0; k < sizeof(known_colours) / sizeof(known_colours[0]); k++)
		if (strcmp(known_colours[k].cause, cause) == 0)
			return known_colours[k].colour;
	return palette[index % (sizeof(palette) / sizeof(palette[0]))];
}

static void esc(FILE *f, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&#39;", f); break;
		default: fputc(*s, f); break;
		}
	}
}

/* An id made safe for an HTML id and a URL fragment. */
static void anchor(FILE *f, const char *id)
{
	fputs("g-", f);
	for (; *id; id++) {
		if ((*id >= 'a' && *id <= 'z') || (*id >= 'A' && *id <= 'Z') ||
		    (*id >= '0' && *id <= '9') || *id == '-' || *id == '_' ||
		    *id == '.')
			fputc(*id, f);
		else
			fprintf(f, "_%02x", (unsigned char)*id);
	}
}

static const char *colour_of(const struct agg_result *r, unsigned int c)
{
	return c < r->ncauses ? cause_colour(r->causes[c].name, c) : "#8c8c8c";
}

static const char *css =
":root{--fg:#1d2330;--muted:#687083;--line:#e4e7ed;--bg:#f4f5f8;--card:#fff;--accent:#2f5fb3}\n"
"*{box-sizing:border-box}\n"
"body{margin:0;background:var(--bg);color:var(--fg);"
"font:14px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,'DejaVu Sans',sans-serif}\n"
"main{max-width:1340px;margin:0 auto;padding:22px 28px 60px}\n"
"h1{font-size:22px;margin:0 0 2px}h2{font-size:15px;margin:0 0 10px}\n"
".sub{color:var(--muted)}\n"
".cards{display:grid;grid-template-columns:repeat(6,1fr);gap:12px;margin:16px 0}\n"
".card{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:10px 14px}\n"
".card b{display:block;font-size:22px;font-weight:650}\n"
".card span{color:var(--muted);font-size:11px;text-transform:uppercase;letter-spacing:.05em}\n"
".card small{color:var(--muted)}\n"
"section{background:var(--card);border:1px solid var(--line);border-radius:8px;"
"padding:14px 18px;margin:14px 0}\n"
".grid2{display:grid;grid-template-columns:minmax(0,1fr) minmax(0,1fr);gap:14px}\n"
".grid2 section{margin:0}\n"
"table{border-collapse:collapse;width:100%;font-variant-numeric:tabular-nums}\n"
"th,td{padding:4px 8px;border-bottom:1px solid var(--line);text-align:left;vertical-align:top}\n"
"th{font-size:11px;color:var(--muted);text-transform:uppercase;letter-spacing:.05em;font-weight:600}\n"
".n{text-align:right;white-space:nowrap}.nw{white-space:nowrap}\n"
".tight td{white-space:nowrap;font-size:12.5px;padding:3px 6px}.tight th{padding:3px 6px}\n"
".sw{display:inline-block;width:11px;height:11px;border-radius:3px;margin-right:6px;"
"vertical-align:-1px}\n"
".legend{display:flex;flex-wrap:wrap;gap:4px 16px;margin:0 0 8px;font-size:13px}\n"
".bar{height:8px;border-radius:4px;background:var(--accent);opacity:.8}\n"
".small{font-size:12px;color:var(--muted)}\n"
".warn{background:#fff6e6;border-color:#f0c36d}\n"
"svg{display:block;width:100%;height:auto}\n"
"svg text{font:11px system-ui,'DejaVu Sans',sans-serif;fill:#687083}\n"
"svg .grid{stroke:#e9ebf0;stroke-width:1}\n"
"code,.mono{font:12px ui-monospace,'DejaVu Sans Mono',monospace}\n"
"a{color:var(--accent);text-decoration:none}a:hover{text-decoration:underline}\n"
".gd{display:none;border-left:4px solid var(--c,#888);padding:6px 14px;margin:10px 0}\n"
".gd:target{display:block}\n"
".gd dl{display:grid;grid-template-columns:190px 1fr;gap:3px 12px;margin:8px 0}\n"
".gd dt{color:var(--muted)}.gd dd{margin:0}\n"
".gd pre{background:#f6f7f9;padding:4px 8px;border-radius:6px;overflow:auto;margin:0;"
"font:12px ui-monospace,'DejaVu Sans Mono',monospace;white-space:pre-wrap}\n"
"tr.sel td{background:#fafbfd}\n";

/* Nice tick steps for a time axis, seconds. */
static const int64_t time_steps[] = {
	1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800,
	21600, 43200, 86400, 172800, 604800, 1209600, 2592000,
};

static void time_label(int64_t us, int64_t step_s, int multi_day, char *buf, size_t len)
{
	char t[40];

	gwt_format(us, 0, t, sizeof(t));
	/* t = YYYY-MM-DDTHH:MM:SSZ */
	if (step_s >= 86400)
		snprintf(buf, len, "%.5s", t + 5);
	else if (step_s < 60)
		snprintf(buf, len, "%.8s", t + 11);
	else if (multi_day)
		snprintf(buf, len, "%.5s %.5s", t + 5, t + 11);
	else if (step_s < 60)
		snprintf(buf, len, "%.8s", t + 11);
	else
		snprintf(buf, len, "%.5s", t + 11);
}

/* Vertical grid lines and labels along the time axis. */
static void time_axis(FILE *f, int64_t t0, int64_t t1, int x0, int x1, int y0,
		      int y1)
{
	int64_t span = t1 - t0, step = time_steps[0] * 1000000, t;
	int multi_day = t0 / 86400000000LL != (t1 - 1) / 86400000000LL;
	size_t k;
	char lab[40];

	for (k = 0; k < sizeof(time_steps) / sizeof(time_steps[0]); k++) {
		step = time_steps[k] * 1000000;
		if (span / step <= 10)
			break;
	}
	if (span / step > 10)
		/* Months or years: whole days, ten ticks or fewer. */
		step = (span / 10 / 86400000000LL + 1) * 86400000000LL;
	for (t = (t0 / step + 1) * step; t < t1; t += step) {
		double x = x0 + (double)(t - t0) / (double)span * (x1 - x0);

		time_label(t, step / 1000000, multi_day, lab, sizeof(lab));
		fprintf(f, "<line class=\"grid\" x1=\"%.1f\" x2=\"%.1f\" y1=\"%d\" y2=\"%d\"/>"
			"<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>\n",
			x, x, y0, y1, x, y1 + 16, lab);
	}
}

static void legend(FILE *f, const struct agg_result *r)
{
	unsigned int c;
	char a[32];

	fputs("<div class=\"legend\">", f);
	for (c = 0; c < r->ncauses; c++) {
		fprintf(f, "<span><i class=\"sw\" style=\"background:%s\"></i>",
			colour_of(r, c));
		esc(f, r->causes[c].name);
		fprintf(f, " <span class=\"small\">%s</span></span>",
			out_count(r->causes[c].gaps, a, sizeof(a)));
	}
	fputs("</div>\n", f);
}

/*
 * The timeline: one lane per cause, so that each cause's moments show
 * (a burst of conntrack_destroyed at 10:03 would drown in a plot where
 * the commonest cause paints everything). Up to HTML_MAX_MARKS gaps each
 * is a bar from its start to its end; past that each lane is a strip of
 * TL_COLS cells shaded by their count.
 */
static void timeline(FILE *f, const struct agg_result *r)
{
	const int lane = r->ncauses > 8 ? 24 : 30, label_w = 190;
	const int x0 = label_w, x1 = PW - PAD_R, y0 = PAD_T;
	const int y1 = y0 + lane * (int)r->ncauses, H = y1 + PAD_B;
	int64_t t0 = r->first_us, t1 = r->last_us;
	uint32_t (*cells)[TL_COLS] = NULL;
	uint32_t lanemax[AGG_MAX_NAMES];
	double xs;
	size_t k;
	unsigned int c;
	int col;
	char a[32], b[32];

	if (t1 <= t0)
		t1 = t0 + 60000000;
	xs = (double)(x1 - x0) / (double)(t1 - t0);
	fputs("<section><h2>Gaps over time <span class=\"small\">(one lane per "
	      "cause, by start time)</span></h2>\n", f);
	fprintf(f, "<svg viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"timeline\">\n", PW, H);
	time_axis(f, t0, t1, x0, x1, y0, y1);
	for (c = 0; c < r->ncauses; c++) {
		int y = y0 + lane * (int)c;

		fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"%s\" "
			"fill-opacity=\".05\"/>", x0, y + 2, x1 - x0, lane - 4,
			colour_of(r, c));
		fprintf(f, "<rect x=\"4\" y=\"%d\" width=\"10\" height=\"10\" rx=\"2\" "
			"fill=\"%s\"/><text x=\"20\" y=\"%d\" style=\"fill:#1d2330\">",
			y + lane / 2 - 5, colour_of(r, c), y + lane / 2 + 4);
		esc(f, r->causes[c].name);
		fprintf(f, "</text><text x=\"%d\" y=\"%d\" text-anchor=\"end\">%s</text>\n",
			x0 - 8, y + lane / 2 + 4, out_count(r->causes[c].gaps, a, sizeof(a)));
	}
	if (r->npoints <= HTML_MAX_MARKS) {
		for (k = 0; k < r->npoints; k++) {
			const struct gap_point *p = &r->points[k];
			double x = x0 + (double)(p->start_us - t0) * xs;
			double w = (double)p->dur_us * xs;
			int h = (lane - 8) / 3;
			/* Three rows a lane, so that neighbours overlap less. */
			int y = y0 + lane * p->cause + 4 + (int)(k % 3) * h;

			if (p->start_us < t0 || p->start_us > t1)
				continue;
			if (w < 2.5)
				w = 2.5;
			if (x + w > x1)
				w = x1 - x;
			fprintf(f, "<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%d\" "
				"rx=\"1\" fill=\"%s\" fill-opacity=\".8\"%s/>\n", x, y, w,
				h, colour_of(r, p->cause),
				p->open ? " stroke=\"#1d2330\" stroke-width=\".8\"" : "");
		}
	} else {
		cells = calloc(r->ncauses ? r->ncauses : 1, sizeof(*cells));
		if (cells == NULL)
			goto out;
		memset(lanemax, 0, sizeof(lanemax));
		for (k = 0; k < r->npoints; k++) {
			const struct gap_point *p = &r->points[k];

			if (p->start_us < t0 || p->start_us > t1)
				continue;
			col = (int)((double)(p->start_us - t0) / (double)(t1 - t0) * TL_COLS);
			if (col >= TL_COLS)
				col = TL_COLS - 1;
			if (++cells[p->cause][col] > lanemax[p->cause])
				lanemax[p->cause] = cells[p->cause][col];
		}
		for (c = 0; c < r->ncauses; c++) {
			double cw = (double)(x1 - x0) / TL_COLS;

			for (col = 0; col < TL_COLS; col++) {
				uint32_t n = cells[c][col];

				if (n == 0)
					continue;
				/* Shaded against the lane's own busiest cell
				 * (square root: a single gap still shows). */
				fprintf(f, "<rect x=\"%.1f\" y=\"%d\" width=\"%.2f\" "
					"height=\"%d\" fill=\"%s\" fill-opacity=\"%.2f\">"
					"<title>%u gaps</title></rect>\n",
					x0 + col * cw, y0 + lane * (int)c + 3, cw + 0.25,
					lane - 6, colour_of(r, c),
					0.12 + 0.88 * sqrt((double)n / lanemax[c]), n);
			}
		}
	}
	fprintf(f, "<line x1=\"%d\" x2=\"%d\" y1=\"%d\" y2=\"%d\" stroke=\"#b8bdc8\"/>\n",
		x0, x1, y1, y1);
	fputs("</svg>\n", f);
	if (r->npoints > HTML_MAX_MARKS)
		fprintf(f, "<p class=\"small\">%s gaps in %d time bins of %s; each lane "
			"is shaded against its own busiest bin (hover for counts).</p>\n",
			out_count(r->npoints, a, sizeof(a)), TL_COLS,
			gwt_format_dur((t1 - t0) / TL_COLS, b, sizeof(b)));
	else
		fputs("<p class=\"small\">One bar per gap, from its start to its end; "
		      "outlined: still open.</p>\n", f);
out:
	fputs("</section>\n", f);
	free(cells);
}

/* Bin widths, seconds: the smallest that makes at most RATE_MAX_BINS. */
static const int64_t rate_steps_s[] = {
	1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 21600,
	43200, 86400,
};

/*
 * Gaps per minute, stacked by cause. Bins of a minute or more show the
 * bin's average per minute; in a window of a few minutes the bins are
 * shorter and show their count, since a rate per minute scaled up from
 * a few seconds would mislead.
 */
static void rate_chart(FILE *f, const struct agg_result *r)
{
	const int H = 220, x0 = PAD_L, x1 = PW - PAD_R, y0 = PAD_T, y1 = H - PAD_B;
	int64_t t0, t1, bin_us = 60000000;
	uint64_t (*bins)[AGG_MAX_NAMES] = NULL;
	size_t nbins, k, b;
	double maxrate = 0, scale, yv, step, per;
	unsigned int c;
	char a[32];

	t0 = r->first_us;
	t1 = r->last_us;
	if (t1 <= t0)
		t1 = t0 + 1000000;
	for (k = 0; k < sizeof(rate_steps_s) / sizeof(rate_steps_s[0]); k++) {
		bin_us = rate_steps_s[k] * 1000000;
		if ((t1 - t0) / bin_us < RATE_MAX_BINS && (bin_us >= 60000000 ||
		    (t1 - t0) / bin_us < 30))
			break;
	}
	if ((t1 - t0) / bin_us >= RATE_MAX_BINS)
		/* A window of months: whole days, RATE_MAX_BINS bins or fewer. */
		bin_us = ((t1 - t0) / RATE_MAX_BINS / 86400000000LL + 1) * 86400000000LL;
	/* per: what one gap in a bin adds to the bar */
	per = bin_us >= 60000000 ? 60e6 / (double)bin_us : 1.0;
	t0 = t0 / bin_us * bin_us;
	nbins = (size_t)((t1 - t0) / bin_us) + 1;
	bins = calloc(nbins, sizeof(*bins));
	if (bins == NULL)
		return;
	for (k = 0; k < r->npoints; k++) {
		const struct gap_point *p = &r->points[k];

		if (p->start_us < t0 || p->start_us >= t0 + (int64_t)nbins * bin_us)
			continue;
		bins[(p->start_us - t0) / bin_us][p->cause]++;
	}
	for (b = 0; b < nbins; b++) {
		uint64_t n = 0;

		for (c = 0; c < r->ncauses; c++)
			n += bins[b][c];
		if ((double)n * per > maxrate)
			maxrate = (double)n * per;
	}
	if (bin_us >= 60000000)
		fprintf(f, "<section><h2>Gaps per minute <span class=\"small\">(averaged "
			"over %s bins, stacked by cause)</span></h2>\n",
			gwt_format_dur(bin_us, a, sizeof(a)));
	else
		fprintf(f, "<section><h2>Gaps per %s <span class=\"small\">(a short "
			"window: counts per bin, stacked by cause)</span></h2>\n",
			gwt_format_dur(bin_us, a, sizeof(a)));
	legend(f, r);
	fprintf(f, "<svg viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"gaps per minute\">\n",
		PW, H);
	/* y ticks: 1, 2, 5 x 10^n, about four of them */
	step = pow(10, floor(log10(maxrate > 0 ? maxrate / 4 : 1)));
	if (maxrate / step > 20)
		step *= 5;
	else if (maxrate / step > 8)
		step *= 2;
	if (per == 1.0 && step < 1)
		step = 1;	/* counts: whole ticks */
	if (maxrate <= 0)
		maxrate = 1;
	scale = (y1 - y0) / (maxrate * 1.08);
	for (yv = step; yv <= maxrate * 1.08; yv += step)
		fprintf(f, "<line class=\"grid\" x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\"/>"
			"<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%g</text>\n",
			x0, x1, y1 - yv * scale, y1 - yv * scale, x0 - 6,
			y1 - yv * scale + 4, yv);
	time_axis(f, t0, t0 + (int64_t)nbins * bin_us, x0, x1, y0, y1);
	for (b = 0; b < nbins; b++) {
		double bw = (double)(x1 - x0) / nbins, x = x0 + b * bw, y = y1;
		uint64_t n = 0;

		for (c = 0; c < r->ncauses; c++)
			n += bins[b][c];
		if (n == 0)
			continue;
		fputs("<g>", f);
		for (c = 0; c < r->ncauses; c++) {
			double h;

			if (bins[b][c] == 0)
				continue;
			h = (double)bins[b][c] * per * scale;
			fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
				"fill=\"%s\"/>", x + 0.15 * bw, y - h,
				bw > 3 ? bw * 0.7 : bw, h, colour_of(r, c));
			y -= h;
		}
		time_label(t0 + (int64_t)b * bin_us, bin_us / 1000000, 1, a, sizeof(a));
		fprintf(f, "<title>%s: %" PRIu64 " gaps</title></g>\n", a, n);
	}
	fprintf(f, "<line x1=\"%d\" x2=\"%d\" y1=\"%d\" y2=\"%d\" stroke=\"#b8bdc8\"/>\n",
		x0, x1, y1, y1);
	fputs("</svg></section>\n", f);
	free(bins);
}

static void histogram(FILE *f, const struct agg_result *r)
{
	const int W = 640, H = 270, x0 = 52, x1 = W - 10, y0 = PAD_T + 14, y1 = H - 44;
	uint64_t h[AGG_HIST_BINS][AGG_MAX_NAMES], max = 0, tot;
	unsigned int b, c;
	size_t k;
	char a[32];

	memset(h, 0, sizeof(h));
	for (k = 0; k < r->npoints; k++) {
		int64_t ms = r->points[k].dur_us / 1000;

		for (b = 0; b < AGG_HIST_BINS - 1; b++)
			if (ms < agg_hist_edges_ms[b])
				break;
		h[b][r->points[k].cause]++;
	}
	for (b = 0; b < AGG_HIST_BINS; b++)
		if (r->hist[b] > max)
			max = r->hist[b];
	if (max == 0)
		max = 1;
	fputs("<section><h2>Gap durations</h2>\n", f);
	fprintf(f, "<svg viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"durations\">\n", W, H);
	for (b = 0; b < AGG_HIST_BINS; b++) {
		double bw = (double)(x1 - x0) / AGG_HIST_BINS, x = x0 + b * bw, y = y1;
		char lab[32];

		if (b == 0)
			snprintf(lab, sizeof(lab), "&lt;%s", gwt_format_edge(agg_hist_edges_ms[0], a, sizeof(a)));
		else if (b == AGG_HIST_BINS - 1)
			snprintf(lab, sizeof(lab), "\xe2\x89\xa5%s", gwt_format_edge(agg_hist_edges_ms[b - 1], a, sizeof(a)));
		else
			snprintf(lab, sizeof(lab), "%s", gwt_format_edge(agg_hist_edges_ms[b - 1], a, sizeof(a)));
		fputs("<g>", f);
		for (c = 0, tot = 0; c < r->ncauses; c++) {
			double hh;

			if (h[b][c] == 0)
				continue;
			hh = (double)h[b][c] / (double)max * (y1 - y0);
			fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"/>",
				x + 3, y - hh, bw - 6, hh, colour_of(r, c));
			y -= hh;
			tot += h[b][c];
		}
		fprintf(f, "<title>%s: %" PRIu64 " gaps</title></g>", lab, tot);
		fprintf(f, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>",
			x + bw / 2, y1 + 15, lab);
		if (tot)
			fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%s</text>\n",
				x + bw / 2, y - 4, out_count(tot, a, sizeof(a)));
	}
	fprintf(f, "<line x1=\"%d\" x2=\"%d\" y1=\"%d\" y2=\"%d\" stroke=\"#b8bdc8\"/>"
		"<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">gap duration (each bar: from the value under it "
		"to the next)</text>\n", x0, x1, y1, y1, (x0 + x1) / 2, y1 + 34);
	fputs("</svg></section>\n", f);
}

/* The hosts of the files, when there are several. */
static void host_table(FILE *f, const struct agg_result *r)
{
	unsigned int h;
	char a[32], b[32];

	if (r->nhosts < 2)
		return;
	fputs("<section><h2>By host</h2><table><tr><th>host</th><th class=\"n\">gaps</th>"
	      "<th class=\"n\">open</th></tr>\n", f);
	for (h = 0; h < r->nhosts; h++) {
		fputs("<tr><td class=\"nw\">", f);
		esc(f, r->hosts[h].name);
		fprintf(f, "</td><td class=\"n\">%s</td><td class=\"n\">%s</td></tr>\n",
			out_count(r->hosts[h].gaps, a, sizeof(a)),
			out_count(r->hosts[h].open, b, sizeof(b)));
	}
	fputs("</table>", f);
	if (r->host_events)
		fprintf(f, "<p class=\"small\">%s times gaps began within a second on "
			"several hosts (%s gaps): upstream of the servers.</p>",
			out_count(r->host_events, a, sizeof(a)),
			out_count(r->host_event_gaps, b, sizeof(b)));
	fputs("</section>\n", f);
}

static const char *const where_headings[WHERE_KINDS] = {
	[WHERE_PREFIX] = "client network", [WHERE_ASN] = "carrier",
	[WHERE_COUNTRY] = "country", [WHERE_HOP] = "behind hop",
};

/* Rate by network: one bar a row, the overall rate as a line, outliers
 * in red. */
static void where_chart(FILE *f, const struct where_result *w,
			const struct where_kind_result *kr)
{
	const int W = 760, LW = 220, BH = 18, H = (int)kr->n * (BH + 4) + 24;
	double max = w->rate;
	unsigned int i;
	int x;

	for (i = 0; i < kr->n; i++)
		if (kr->rows[i].rate > max)
			max = kr->rows[i].rate;
	if (max <= 0)
		return;
	fprintf(f, "<svg viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"rate by "
		"network\">\n", W, H);
	for (i = 0; i < kr->n; i++) {
		const struct where_row *r = &kr->rows[i];
		int y = (int)i * (BH + 4) + 4;

		fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">", LW - 6,
			y + BH - 5);
		esc(f, r->name);
		fprintf(f, "</text><rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" "
			"fill=\"%s\"><title>%.1f gaps per 1,000 player-hours</title></rect>\n",
			LW, y, (int)(r->rate / max * (W - LW - 60)), BH,
			r->outlier ? "#d0342c" : "#7f8ba3", r->rate);
	}
	x = LW + (int)(w->rate / max * (W - LW - 60));
	fprintf(f, "<line x1=\"%d\" x2=\"%d\" y1=\"0\" y2=\"%d\" stroke=\"#222\" "
		"stroke-dasharray=\"4 3\"/><text x=\"%d\" y=\"%d\">all: %.1f</text>\n",
		x, x, H - 16, x + 4, H - 4, w->rate);
	fputs("</svg>\n", f);
}

static void where_section(FILE *f, const struct where_result *w)
{
	char a[32], b[32], line[200];
	unsigned int k, i;

	if (w == NULL)
		return;
	fputs("<section id=\"where\"><h2>Where</h2>\n", f);
	if (!w->have_exposure) {
		fputs("<p>No exposure records (gapwatchd --exposure-interval): the "
		      "players of each network are unknown, so there are no rates.</p>"
		      "</section>\n", f);
		return;
	}
	fprintf(f, "<p>%.1f gaps per 1,000 player-hours over %s player-hours. An "
		"outlier's rate is above that at p &lt; %g/m (m: the groups of its "
		"kind that expect at least %.0f gaps), for a spread of Poisson's "
		"times &phi;, measured on the groups themselves; rows are ranked by "
		"the gaps in excess of the overall rate.</p>\n", w->rate,
		out_count((uint64_t)(w->player_hours + 0.5), a, sizeof(a)),
		WHERE_ALPHA, WHERE_MIN_EXPECTED);
	k = w->kind[WHERE_ASN].n ? WHERE_ASN : WHERE_PREFIX;
	if (w->kind[k].n)
		where_chart(f, w, &w->kind[k]);
	for (k = 0; k < WHERE_KINDS; k++) {
		const struct where_kind_result *kr = &w->kind[k];

		if (kr->n == 0)
			continue;
		fprintf(f, "<table class=\"tight\"><tr><th>%s</th><th class=\"n\">gaps"
			"</th><th class=\"n\">players</th><th class=\"n\">player-hours"
			"</th><th class=\"n\">rate</th><th class=\"n\">excess</th>"
			"<th>outlier</th></tr>\n", where_headings[k]);
		for (i = 0; i < kr->n; i++) {
			const struct where_row *r = &kr->rows[i];

			fputs("<tr><td class=\"nw\">", f);
			esc(f, r->name);
			fprintf(f, "</td><td class=\"n\">%s</td><td class=\"n\">%s</td>"
				"<td class=\"n\">%.1f</td><td class=\"n\">%.1f</td>"
				"<td class=\"n\">%.0f</td><td>%s</td></tr>\n",
				out_count(r->gaps, a, sizeof(a)),
				out_count(r->flows, b, sizeof(b)), r->player_hours,
				r->rate, r->excess, r->outlier ? "<b>yes</b>" :
				r->tested ? "no" : "too few players");
			if (k == WHERE_HOP && r->ladders) {
				fputs("<tr><td colspan=\"7\" class=\"small\">", f);
				esc(f, out_hop_line(w, r, line, sizeof(line)));
				fputs("</td></tr>\n", f);
			}
			if (r->explained_by[0]) {
				fputs("<tr><td colspan=\"7\" class=\"small\">explained by ", f);
				esc(f, r->explained_by);
				if (r->rest_hours > 0)
					fprintf(f, ": %.1f without it</td></tr>\n",
						r->rest_rate);
				else
					fputs(": a network of it</td></tr>\n", f);
			}
		}
		fprintf(f, "</table><p class=\"small\">%u groups, %u tested, %u "
			"outliers (%u explained by outlying carriers), &phi; %.2f.</p>\n",
			kr->groups, kr->tested, kr->outliers, kr->explained,
			kr->dispersion);
	}
	fputs("</section>\n", f);
}

static void cause_table(FILE *f, const struct agg_result *r)
{
	unsigned int c;
	char a[32], b[32];

	fputs("<section><h2>By cause</h2><table><tr><th>cause</th><th class=\"n\">gaps</th>"
	      "<th class=\"n\">open</th><th style=\"width:130px\">share</th>"
	      "<th class=\"n\">median</th><th class=\"n\">p95</th><th class=\"n\">max</th>"
	      "<th>what it means &middot; next step</th></tr>\n", f);
	for (c = 0; c < r->ncauses; c++) {
		const struct agg_name *n = &r->causes[c];
		int closed = n->gaps > n->open;
		double share = r->gaps ? 100.0 * (double)n->gaps / (double)r->gaps : 0;

		fprintf(f, "<tr><td class=\"nw\"><i class=\"sw\" style=\"background:%s\"></i>",
			colour_of(r, c));
		esc(f, n->name);
		fprintf(f, "</td><td class=\"n\">%s</td><td class=\"n\">%s</td>"
			"<td><div class=\"bar\" style=\"width:%.1f%%;background:%s\"></div>"
			"<span class=\"small\">%.1f%%</span></td>",
			out_count(n->gaps, a, sizeof(a)), out_count(n->open, b, sizeof(b)), share,
			colour_of(r, c), share);
		fprintf(f, "<td class=\"n\">%s</td>", closed ? gwt_format_dur(n->median_us, a, sizeof(a)) : "-");
		fprintf(f, "<td class=\"n\">%s</td>", closed ? gwt_format_dur(n->p95_us, a, sizeof(a)) : "-");
		fprintf(f, "<td class=\"n\">%s</td><td class=\"small\">",
			closed ? gwt_format_dur(n->max_us, a, sizeof(a)) : "-");
		esc(f, n->explanation);
		if (n->next_step && *n->next_step) {
			fputs(" &middot; <b>next:</b> ", f);
			esc(f, n->next_step);
		}
		fputs("</td></tr>\n", f);
	}
	fputs("</table><p class=\"small\">Median and p95 over the closed gaps, "
	      "nearest-rank.</p></section>\n", f);
}

static void outcome_table(FILE *f, const struct agg_result *r)
{
	unsigned int i;
	char a[32], b[32];

	fputs("<section><h2>Outcomes</h2><table><tr><th>outcome</th>"
	      "<th class=\"n\">gaps</th><th class=\"n\">share</th><th></th></tr>\n", f);
	for (i = 0; i < r->noutcomes; i++) {
		const struct agg_name *n = &r->outcomes[i];

		if (n->gaps == 0)
			continue;
		fputs("<tr><td>", f);
		esc(f, n->name);
		fprintf(f, "</td><td class=\"n\">%s</td><td class=\"n\">%.1f%%</td><td class=\"small\">",
			out_count(n->gaps, a, sizeof(a)),
			r->gaps ? 100.0 * (double)n->gaps / (double)r->gaps : 0);
		if (strcmp(n->name, "reconnected") == 0 && r->reconnects)
			fprintf(f, "reconnected after median %s, p95 %s",
				gwt_format_dur(r->reconnect_median_us, a, sizeof(a)),
				gwt_format_dur(r->reconnect_p95_us, b, sizeof(b)));
		else if (i == AGG_OUTCOME_OPEN)
			fputs("no gap record yet: still silent, or the daemon stopped", f);
		fputs("</td></tr>\n", f);
	}
	fputs("</table></section>\n", f);
}

static void top_table(FILE *f, const char *title, const struct agg_top *top,
		      unsigned int n, const struct agg_result *r, int prefixes)
{
	char key[INET6_ADDRSTRLEN + 8], a[32], t[40];
	unsigned int i;

	fprintf(f, "<section><h2>%s</h2><table class=\"tight\"><tr><th>%s</th><th class=\"n\">gaps</th>%s"
		"<th class=\"n\">silent</th><th>commonest cause</th><th>last gap (UTC)</th></tr>\n",
		title, prefixes ? "prefix" : "client",
		prefixes ? "<th class=\"n\">clients</th>" : "");
	for (i = 0; i < n; i++) {
		const struct agg_top *e = &top[i];

		if (prefixes)
			prefix_format(&e->key, key, sizeof(key));
		else
			addr_format(&e->key.addr, key, sizeof(key));
		fprintf(f, "<tr><td class=\"mono\">%s</td><td class=\"n\">%s</td>", key,
			out_count(e->gaps, a, sizeof(a)));
		if (prefixes)
			fprintf(f, "<td class=\"n\">%s</td>", out_count(e->clients, a, sizeof(a)));
		fprintf(f, "<td class=\"n\">%s</td><td><i class=\"sw\" style=\"background:%s\"></i>",
			gwt_format_dur(e->silent_us, a, sizeof(a)), colour_of(r, e->cause));
		if (e->cause < r->ncauses)
			esc(f, r->causes[e->cause].name);
		gwt_format(e->last_us, 0, t, sizeof(t));
		fprintf(f, " <span class=\"small\">%.0f%%</span></td><td class=\"small\">%.5s %.5s</td></tr>\n",
			e->gaps ? 100.0 * (double)e->cause_gaps / (double)e->gaps : 0,
			t + 5, t + 11);
	}
	fputs("</table></section>\n", f);
}

static void busiest(FILE *f, const struct agg_result *r)
{
	char a[32], t[40];
	unsigned int i;

	fputs("<section><h2>Busiest minutes</h2><table><tr><th>minute (UTC)</th>"
	      "<th class=\"n\">gaps</th><th style=\"width:45%\"></th></tr>\n", f);
	for (i = 0; i < r->nbusiest; i++) {
		gwt_format(r->busiest[i].minute_us, 0, t, sizeof(t));
		fprintf(f, "<tr><td>%.10s %.5s</td><td class=\"n\">%s</td><td><div class=\"bar\" "
			"style=\"width:%.1f%%\"></div></td></tr>\n", t, t + 11,
			out_count(r->busiest[i].gaps, a, sizeof(a)),
			100.0 * (double)r->busiest[i].gaps / (double)r->busiest[0].gaps);
	}
	fputs("</table></section>\n", f);
}

/* Index of a cause name, for its colour. */
static unsigned int cause_index(const struct agg_result *r, const char *name)
{
	unsigned int c;

	for (c = 0; name && c < r->ncauses; c++)
		if (strcmp(r->causes[c].name, name) == 0)
			return c;
	return AGG_MAX_NAMES;
}

static void dd(FILE *f, const char *term, const char *val)
{
	if (val == NULL || *val == '\0')
		return;
	fprintf(f, "<dt>%s</dt><dd>", term);
	esc(f, val);
	fputs("</dd>\n", f);
}

/* A nested object: on one line when small, else indented. */
static void dd_json(FILE *f, const char *term, json_t *v)
{
	char *s;

	if (v == NULL || json_is_null(v))
		return;
	s = json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10));
	if (s != NULL && strlen(s) > 100) {
		free(s);
		s = json_dumps(v, JSON_INDENT(1) | JSON_PRESERVE_ORDER |
			       JSON_REAL_PRECISION(10));
	}
	if (s == NULL)
		return;
	fprintf(f, "<dt>%s</dt><dd><pre>", term);
	esc(f, s);
	fputs("</pre></dd>\n", f);
	free(s);
}

static void gap_table(FILE *f, const struct agg_result *r, char *const *lines,
		      size_t n, unsigned int keep)
{
	json_t **objs;
	char a[32], b[64];
	size_t k;

	objs = calloc(n ? n : 1, sizeof(*objs));
	if (objs == NULL)
		return;
	for (k = 0; k < n; k++)
		objs[k] = json_loads(lines[k], 0, NULL);
	fprintf(f, "<section id=\"gaps\"><h2>The %s longest gaps</h2>\n",
		out_count(n, a, sizeof(a)));
	if (r->gaps > n)
		fprintf(f, "<p class=\"small\">Of %s gaps, the %s longest are listed "
			"(--max-gaps %u); <code>gapwatch report --csv</code> lists them "
			"all. Click an id for its details.</p>\n",
			out_count(r->gaps, a, sizeof(a)), out_count(n, b, sizeof(b)), keep);
	else
		fputs("<p class=\"small\">Click an id for its details.</p>\n", f);
	fputs("<table><tr><th>id</th><th>start (UTC)</th><th class=\"n\">duration</th>"
	      "<th>client</th><th>server</th><th>cause</th><th>outcome</th></tr>\n", f);
	for (k = 0; k < n; k++) {
		json_t *o = objs[k];
		const char *id, *start, *cause, *outcome;
		unsigned int ci;

		if (o == NULL)
			continue;
		id = jrec_str(o, FIELD_ID) ? jrec_str(o, FIELD_ID) : "?";
		start = jrec_str(o, FIELD_START);
		cause = jrec_str(o, FIELD_CAUSE);
		outcome = jrec_str(o, FIELD_OUTCOME);
		ci = cause_index(r, cause);
		fputs("<tr><td class=\"mono\"><a href=\"#", f);
		anchor(f, id);
		fputs("\">", f);
		esc(f, id);
		fprintf(f, "</a></td><td class=\"small\">%.10s %.12s</td><td class=\"n\">%s</td>"
			"<td class=\"mono\">",
			start ? start : "", start && strlen(start) > 11 ? start + 11 : "",
			gwt_format_dur((int64_t)(jrec_num(o, FIELD_DURATION_MS) * 1000.0), a, sizeof(a)));
		esc(f, jrec_str(o, FIELD_CLIENT));
		fputs("</td><td class=\"mono\">", f);
		esc(f, jrec_str(o, FIELD_SERVER));
		fprintf(f, "</td><td><i class=\"sw\" style=\"background:%s\"></i>",
			ci < AGG_MAX_NAMES ? colour_of(r, ci) : "#8c8c8c");
		esc(f, cause);
		fputs("</td><td>", f);
		esc(f, outcome ? outcome : "open");
		fputs("</td></tr>\n", f);
	}
	fputs("</table></section>\n", f);

	fputs("<section><h2>Gap details</h2><p class=\"small\">The gap whose id you "
	      "clicked shows here.</p>\n", f);
	for (k = 0; k < n; k++) {
		json_t *o = objs[k], *rc;
		const char *id, *cause;
		unsigned int ci;
		char line[256];

		if (o == NULL)
			continue;
		id = jrec_str(o, FIELD_ID) ? jrec_str(o, FIELD_ID) : "?";
		cause = jrec_str(o, FIELD_CAUSE);
		ci = cause_index(r, cause);
		fputs("<div class=\"gd\" id=\"", f);
		anchor(f, id);
		fprintf(f, "\" style=\"--c:%s\"><h2>gap ", ci < AGG_MAX_NAMES ?
			colour_of(r, ci) : "#8c8c8c");
		esc(f, id);
		fputs(" <a class=\"small\" href=\"#gaps\">back to the table</a></h2><dl>\n", f);
		snprintf(line, sizeof(line), "%s %s \xe2\x86\x92 %s",
			 jrec_str(o, FIELD_PROTO) ? jrec_str(o, FIELD_PROTO) : "",
			 jrec_str(o, FIELD_CLIENT) ? jrec_str(o, FIELD_CLIENT) : "?",
			 jrec_str(o, FIELD_SERVER) ? jrec_str(o, FIELD_SERVER) : "?");
		dd(f, "flow", line);
		dd(f, "start", jrec_str(o, FIELD_START));
		dd(f, "detected", jrec_str(o, FIELD_DETECTED));
		dd(f, "end", jrec_str(o, FIELD_END) ? jrec_str(o, FIELD_END) : "still open");
		snprintf(line, sizeof(line), "%s (threshold %.0f ms, heartbeat %.0f ms)",
			 gwt_format_dur((int64_t)(jrec_num(o, FIELD_DURATION_MS) * 1000), a, sizeof(a)),
			 jrec_num(o, FIELD_THRESHOLD_MS), jrec_num(o, FIELD_EXPECTED_INTERVAL_MS));
		dd(f, "duration", line);
		dd(f, "silent side", jrec_str(o, FIELD_SILENT));
		snprintf(line, sizeof(line), "client %.0f packets, %.0f retransmits; "
			 "server %.0f packets, %.0f retransmits; %.0f dup ACKs, %.0f zero windows",
			 jrec_num(o, FIELD_CLIENT_PACKETS), jrec_num(o, FIELD_CLIENT_RETRANSMITS),
			 jrec_num(o, FIELD_SERVER_PACKETS), jrec_num(o, FIELD_SERVER_RETRANSMITS),
			 jrec_num(o, FIELD_DUP_ACKS), jrec_num(o, FIELD_ZERO_WINDOWS));
		dd(f, "during the gap", line);
		rc = json_object_get(o, FIELD_RECONNECT);
		if (json_is_object(rc)) {
			snprintf(line, sizeof(line), "%s: from port %.0f after %s",
				 jrec_str(o, FIELD_OUTCOME) ? jrec_str(o, FIELD_OUTCOME) : "",
				 jrec_num(rc, FIELD_RECONNECT_CLIENT_PORT),
				 gwt_format_dur((int64_t)(jrec_num(rc, FIELD_RECONNECT_DELAY_MS) * 1000), a, sizeof(a)));
			dd(f, "outcome", line);
		} else {
			dd(f, "outcome", jrec_str(o, FIELD_OUTCOME) ? jrec_str(o, FIELD_OUTCOME) : "open");
		}
		dd(f, "cause", cause);
		dd(f, "evidence", jrec_str(o, FIELD_EVIDENCE));
		dd(f, "explanation", jrec_str(o, FIELD_EXPLANATION));
		dd(f, "next step", jrec_str(o, FIELD_NEXT_STEP));
		dd_json(f, "cluster", json_object_get(o, FIELD_CLUSTER));
		dd_json(f, "conntrack", json_object_get(o, FIELD_CONNTRACK));
		dd_json(f, "probe", json_object_get(o, FIELD_PROBE));
		dd_json(f, "ttl", json_object_get(o, FIELD_TTL));
		dd_json(f, "inspector", json_object_get(o, FIELD_INSPECTOR));
		dd_json(f, "local drops", json_object_get(o, FIELD_LOCAL_DROPS));
		dd_json(f, "server counters", json_object_get(o, FIELD_SERVER_COUNTERS));
		dd(f, "pcap", jrec_str(o, FIELD_PCAP));
		fputs("<dt>the whole story</dt><dd><code>gapwatch show ", f);
		esc(f, id);
		fputs("</code></dd></dl></div>\n", f);
	}
	fputs("</section>\n", f);
	for (k = 0; k < n; k++)
		json_decref(objs[k]);
	free(objs);
}

static void cards(FILE *f, const struct agg_result *r)
{
	char a[32], b[32], c[32];
	uint64_t rec = 0;
	unsigned int i;

	for (i = 0; i < r->noutcomes; i++)
		if (strcmp(r->outcomes[i].name, "reconnected") == 0)
			rec = r->outcomes[i].gaps;
	fputs("<div class=\"cards\">\n", f);
	fprintf(f, "<div class=\"card\"><span>gaps</span><b>%s</b><small>%s closed, %s open</small></div>\n",
		out_count(r->gaps, a, sizeof(a)), out_count(r->closed, b, sizeof(b)),
		out_count(r->open, c, sizeof(c)));
	fprintf(f, "<div class=\"card\"><span>per minute</span><b>%.1f</b><small>busiest %s</small></div>\n",
		r->per_minute, r->nbusiest ? out_count(r->busiest[0].gaps, a, sizeof(a)) : "-");
	fprintf(f, "<div class=\"card\"><span>median duration</span><b>%s</b><small>p95 %s</small></div>\n",
		gwt_format_dur(r->median_us, a, sizeof(a)),
		gwt_format_dur(r->p95_us, b, sizeof(b)));
	fprintf(f, "<div class=\"card\"><span>reconnected</span><b>%.0f%%</b><small>after median %s</small></div>\n",
		r->gaps ? 100.0 * (double)rec / (double)r->gaps : 0,
		r->reconnects ? gwt_format_dur(r->reconnect_median_us, a, sizeof(a)) : "-");
	fprintf(f, "<div class=\"card\"><span>clients</span><b>%s</b><small>in %s flow%s</small></div>\n",
		out_count(r->clients, a, sizeof(a)), out_count(r->flows, b, sizeof(b)),
		r->flows == 1 ? "" : "s");
	fprintf(f, "<div class=\"card\"><span>top cause</span><b style=\"font-size:14px;"
		"padding:6px 0 5px;white-space:nowrap;overflow:hidden;text-overflow:ellipsis\"><i class=\"sw\" style=\"background:%s\"></i>",
		r->ncauses ? colour_of(r, 0) : "#8c8c8c");
	esc(f, r->ncauses ? r->causes[0].name : "-");
	fprintf(f, "</b><small>%.0f%% of the gaps</small></div>\n",
		r->ncauses && r->gaps ? 100.0 * (double)r->causes[0].gaps / (double)r->gaps : 0);
	/* Is it the server? Only gaps the drop watcher saw can say. */
	if (r->watched)
		fprintf(f, "<div class=\"card\"><span>dropped by this server</span><b>%s</b>"
			"<small>of %s watched; %s proven not</small></div>\n",
			out_count(r->server_dropped, a, sizeof(a)),
			out_count(r->watched, b, sizeof(b)),
			out_count(r->exonerated, c, sizeof(c)));
	fputs("</div>\n", f);
}

static void warnings(FILE *f, const struct agg_result *r)
{
	const struct agg_lines *l = &r->lines;
	uint64_t skipped = l->not_json + l->not_object + l->truncated +
			   l->bad_record + l->too_long;
	char a[32];

	if (!skipped && !r->files_failed && !r->lost_packets &&
	    !agg_stats_missed(&r->stats) && !r->stats.report_dropped)
		return;
	fputs("<section class=\"warn\"><h2>Read this first</h2><ul>\n", f);
	if (r->files_failed)
		fprintf(f, "<li>%u file(s) could not be read (see the messages of "
			"<code>gapwatch report</code>).</li>\n", r->files_failed);
	if (skipped)
		fprintf(f, "<li>%s lines skipped: %" PRIu64 " not JSON, %" PRIu64
			" incomplete last line, %" PRIu64 " gap records without "
			"id/start/duration, %" PRIu64 " other.</li>\n",
			out_count(skipped, a, sizeof(a)), l->not_json, l->truncated,
			l->bad_record, l->not_object + l->too_long);
	if (r->lost_packets)
		fprintf(f, "<li>%s gaps happened while gapwatchd itself lost packets "
			"(cause inspector_loss): they are not the network's.</li>\n",
			out_count(r->lost_packets, a, sizeof(a)));
	if (agg_stats_missed(&r->stats))
		fprintf(f, "<li>The daemon's stats records show lost packets: "
			"unseen %" PRId64 " (passed its queue unseen, %" PRId64
			" blind intervals), id_holes %" PRId64 ", queue_dropped %"
			PRId64 ", user_dropped %" PRId64 ", enobufs %" PRId64
			".</li>\n", r->stats.unseen, r->stats.blind_intervals,
			r->stats.id_holes, r->stats.queue_dropped,
			r->stats.user_dropped, r->stats.enobufs);
	if (r->stats.report_dropped)
		fprintf(f, "<li>The daemon dropped %" PRId64 " records it could not "
			"write in time: these counts are short.</li>\n",
			r->stats.report_dropped);
	fputs("</ul></section>\n", f);
}

int html_write(FILE *f, const struct agg_result *r, const struct out_info *info,
	       char *const *longest, size_t nlongest, unsigned int keep)
{
	char t1[40], t2[40], a[32];
	unsigned int k;

	gwt_format(r->first_us, 0, t1, sizeof(t1));
	gwt_format(r->last_us, 0, t2, sizeof(t2));
	fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
	      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n", f);
	fprintf(f, "<title>gapwatch report %.16s \xe2\x80\x93 %.16s</title>\n", t1, t2);
	fprintf(f, "<style>\n%s</style></head><body><main>\n", css);
	fputs("<h1>gapwatch report</h1>\n<div class=\"sub\">", f);
	/* A window with no data is "-": no clock part to print. */
	fprintf(f, "%.10s %.5s \xe2\x80\x93 %.10s %.5s UTC (%s)", t1,
		strlen(t1) > 11 ? t1 + 11 : "", t2, strlen(t2) > 11 ? t2 + 11 : "",
		r->first_us != GWT_NONE && r->last_us != GWT_NONE ?
		gwt_format_dur(r->last_us - r->first_us, a, sizeof(a)) : "no data");
	fprintf(f, " &middot; %s lines from ", out_count(r->lines.lines, a, sizeof(a)));
	for (k = 0; k < info->nfiles && k < 4; k++) {
		fputs(k ? ", " : "", f);
		fputs("<span class=\"mono\">", f);
		esc(f, info->files[k]);
		fputs("</span>", f);
	}
	if (info->nfiles > 4)
		fprintf(f, " and %u more", info->nfiles - 4);
	if (info->filter_text && *info->filter_text) {
		fputs(" &middot; filter <span class=\"mono\">", f);
		esc(f, info->filter_text);
		fprintf(f, "</span> (%s gaps left out)", out_count(r->filtered, a, sizeof(a)));
	}
	fprintf(f, " &middot; made %s</div>\n", gwt_format(info->now_us, 0, t1, sizeof(t1)));
	cards(f, r);
	warnings(f, r);
	if (r->gaps == 0) {
		fputs("<section><h2>No gaps</h2><p>Nothing matched in these files.</p></section>\n", f);
	} else {
		timeline(f, r);
		rate_chart(f, r);
		fputs("<div class=\"grid2\">\n", f);
		histogram(f, r);
		outcome_table(f, r);
		fputs("</div>\n", f);
		cause_table(f, r);
		host_table(f, r);
		fputs("<div class=\"grid2\">\n", f);
		top_table(f, "Top clients", r->top_clients, r->ntop_clients, r, 0);
		top_table(f, "Top prefixes (/24, /48)", r->top_prefixes, r->ntop_prefixes, r, 1);
		fputs("</div>\n", f);
		busiest(f, r);
		where_section(f, info->where);
		gap_table(f, r, longest, nlongest, keep);
	}
	fputs("<p class=\"small\">Made by gapwatch report. All times UTC.</p>\n"
	      "</main></body></html>\n", f);
	return ferror(f) ? -1 : 0;
}
