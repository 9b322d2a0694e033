/*
 * out.c - the aggregates for a terminal (at most 100 columns), for
 * scripts (one JSON object) and as CSV (one row per gap).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "addr.h"
#include "gwtime.h"
#include "out.h"
#include "geo.h"
#include "prefix.h"
#include "printable.h"
#include "schema.h"

#define BAR_WIDTH	30

char *out_count(uint64_t n, char *buf, size_t len)
{
	char tmp[32];
	size_t k, d, o = 0;

	snprintf(tmp, sizeof(tmp), "%" PRIu64, n);
	d = strlen(tmp);
	for (k = 0; k < d && o + 2 < len; k++) {
		if (k > 0 && (d - k) % 3 == 0)
			buf[o++] = ',';
		buf[o++] = tmp[k];
	}
	buf[o] = '\0';
	return buf;
}

static double pct(uint64_t part, uint64_t whole)
{
	return whole ? 100.0 * (double)part / (double)whole : 0.0;
}

static void bar(FILE *f, uint64_t n, uint64_t max)
{
	unsigned int k, w;

	w = max ? (unsigned int)((n * BAR_WIDTH + max - 1) / max) : 0;
	for (k = 0; k < w; k++)
		fputc('#', f);
}

/* "2026-11-25T12:31Z" */
static char *minute(int64_t us, char *buf, size_t len)
{
	char t[40];

	gwt_format(us, 0, t, sizeof(t));
	snprintf(buf, len, "%.16sZ", t);
	return buf;
}

static char *dur(int64_t us, char *buf, size_t len)
{
	return gwt_format_dur(us, buf, len);
}

static void skipped_line(FILE *f, const struct agg_lines *l)
{
	uint64_t skipped = l->not_json + l->not_object + l->truncated +
			   l->bad_record + l->too_long;
	char a[32];
	int first = 1;

	fprintf(f, "; %s skipped", out_count(skipped, a, sizeof(a)));
	if (skipped == 0) {
		fputc('\n', f);
		return;
	}
	fputs(" (", f);
#define PART(n, what) do {						\
		if (n) {						\
			fprintf(f, "%s%s %s", first ? "" : ", ",	\
				out_count(n, a, sizeof(a)), what);		\
			first = 0;					\
		}							\
	} while (0)
	PART(l->not_json, "not JSON");
	PART(l->not_object, "not an object");
	PART(l->truncated, "incomplete last line");
	PART(l->bad_record, "gap without id/start/duration");
	PART(l->too_long, "too long");
#undef PART
	fputs(")\n", f);
}

/* Where the probe ladders stop: said even when there is no gap. */
static void hops_table(FILE *f, const struct agg_result *r)
{
	char a[32], b[32];
	unsigned int i;

	if (!r->nhops)
		return;
	fprintf(f, "\n%-24s %8s %6s %8s %8s %11s %10s\n", "LADDERS STOP AFTER",
		"LADDERS", "SHARE", "PLAYERS", "PREFIXES", "STATE LOST", "PATH DOWN");
	for (i = 0; i < r->nhops; i++) {
		const struct agg_hop *h = &r->hops[i];

		fprintf(f, "%-24.24s %8s %5.1f%% %8s %8" PRIu64 " %10.0f%% %9.0f%%\n",
			h->addr, out_count(h->ladders, a, sizeof(a)),
			pct(h->ladders, r->ladders),
			out_count(h->players, b, sizeof(b)), h->prefixes,
			pct(h->state_lost, h->ladders), pct(h->path_down, h->ladders));
	}
	fprintf(f, "(%" PRIu64 " ladders, %" PRIu64 " hops; state lost: a fresh "
		"flow got through, so this flow's state was lost\n beyond the hop; "
		"path down: a fresh flow stopped there too)\n",
		r->ladders, r->hops_seen);
}

static const char *const where_titles[WHERE_KINDS] = {
	[WHERE_PREFIX] = "CLIENT NETWORK", [WHERE_ASN] = "CARRIER",
	[WHERE_COUNTRY] = "COUNTRY", [WHERE_HOP] = "BEHIND HOP",
};

static const char *const where_plurals[WHERE_KINDS] = {
	[WHERE_PREFIX] = "prefixes", [WHERE_ASN] = "carriers",
	[WHERE_COUNTRY] = "countries", [WHERE_HOP] = "hops",
};

char *out_hop_line(const struct where_result *w, const struct where_row *r,
		   char *buf, size_t len)
{
	char a[32];
	int n;

	n = snprintf(buf, len, "%s ladders: %.0f %% this flow's state lost, %.0f %% "
		     "the path down; %" PRIu64 " network%s",
		     out_count(r->ladders, a, sizeof(a)),
		     pct(r->state_lost, r->ladders), pct(r->path_down, r->ladders),
		     r->prefixes, r->prefixes == 1 ? "" : "s");
	if (w->have_asn && n >= 0 && (size_t)n < len)
		snprintf(buf + n, len - (size_t)n, ", %" PRIu64 " carrier%s",
			 r->asns, r->asns == 1 ? "" : "s");
	return buf;
}

/* Where: each kind's rows, the most excess gaps first, outliers marked. */
static void where_text(FILE *f, const struct where_result *w)
{
	char a[32], b[32], c[32], line[200];
	unsigned int k, i;

	if (w == NULL)
		return;
	if (!w->have_exposure) {
		fprintf(f, "\nwhere     no exposure records (gapwatchd --exposure-interval): "
			"no rates per network\n");
		return;
	}
	fprintf(f, "\nWHERE     %.1f gaps per 1,000 player-hours over %s player-hours\n",
		w->rate, out_count((uint64_t)(w->player_hours + 0.5), a, sizeof(a)));
	fprintf(f, "exposed   %s gaps; %s on networks without exposure, left out\n",
		out_count(w->gaps, b, sizeof(b)),
		out_count(w->gaps_unexposed, c, sizeof(c)));
	fprintf(f, "outlier   p < %g/m at the overall rate (m: the groups expecting "
		">= %.0f gaps), Poisson's spread times phi, the groups' own\n",
		WHERE_ALPHA, WHERE_MIN_EXPECTED);
	if (w->asn_unknown || w->country_unknown)
		fprintf(f, "unknown   %" PRIu64 " prefixes without a carrier, %" PRIu64
			" without a country in the --mmdb files\n",
			w->asn_unknown, w->country_unknown);
	for (k = 0; k < WHERE_KINDS; k++) {
		const struct where_kind_result *kr = &w->kind[k];

		if (kr->n == 0)
			continue;
		fprintf(f, "\n%-28s %8s %8s %9s %8s %6s %8s %s\n", where_titles[k],
			"GAPS", "PLAYERS", "PL-HOURS", "RATE", "x ALL", "EXCESS",
			"OUTLIER");
		for (i = 0; i < kr->n; i++) {
			const struct where_row *r = &kr->rows[i];

			fprintf(f, "%-28.28s %8s %8s %9.1f %8.1f %6.2f %8.0f %s\n",
				r->name, out_count(r->gaps, a, sizeof(a)),
				out_count(r->flows, b, sizeof(b)), r->player_hours,
				r->rate, w->rate > 0 ? r->rate / w->rate : 0.0,
				r->excess, r->outlier ? "yes" :
				r->tested ? "no" : "too few players");
			/* A carrier's own network: said in the summary. */
			if (r->explained_by[0] && r->rest_hours > 0)
				fprintf(f, "  explained by %.60s: %.1f without it (x ALL %.2f)\n",
					r->explained_by, r->rest_rate,
					w->rate > 0 ? r->rest_rate / w->rate : 0.0);
			if (k == WHERE_HOP && r->ladders)
				fprintf(f, "  %s\n", out_hop_line(w, r, line, sizeof(line)));
			if (k == WHERE_ASN && r->outlier && r->asn_ladders)
				fprintf(f, "  %.0f %% of %.40s's ladders stop after %s\n",
					pct(r->top_hop_ladders, r->asn_ladders),
					r->name, r->top_hop);
		}
		fprintf(f, "(%u %s, %u tested, %u outlier%s", kr->groups,
			where_plurals[k], kr->tested, kr->outliers,
			kr->outliers == 1 ? "" : "s");
		if (kr->explained)
			fprintf(f, ", %u explained by outlying carriers", kr->explained);
		fprintf(f, ", phi %.2f)\n", kr->dispersion);
	}
}

static json_t *where_json(const struct where_result *w)
{
	json_t *o, *kinds;
	unsigned int k, i;

	if (w == NULL)
		return json_null();
	o = json_pack("{s:b,s:I,s:I,s:f,s:I,s:I,s:I,s:f,s:f,s:i,s:I,s:I}",
		"exposure", w->have_exposure,
		"exposure_records", (json_int_t)w->exposure_records,
		"exposure_bad", (json_int_t)w->exposure_bad,
		"player_hours", w->player_hours,
		"flows", (json_int_t)w->flows,
		"gaps", (json_int_t)w->gaps,
		"gaps_unexposed", (json_int_t)w->gaps_unexposed,
		"rate_per_1000_player_hours", w->rate,
		"alpha", WHERE_ALPHA,
		"min_expected", (int)WHERE_MIN_EXPECTED,
		"asn_unknown", (json_int_t)w->asn_unknown,
		"country_unknown", (json_int_t)w->country_unknown);
	kinds = json_object();
	if (o == NULL || kinds == NULL) {
		json_decref(o);
		json_decref(kinds);
		return json_null();
	}
	for (k = 0; k < WHERE_KINDS; k++) {
		const struct where_kind_result *kr = &w->kind[k];
		json_t *rows = json_array();

		for (i = 0; rows && i < kr->n; i++) {
			const struct where_row *r = &kr->rows[i];
			json_t *row = json_pack("{s:s,s:I,s:I,s:f,s:f,s:f,s:f,s:f,s:b,s:b,s:I}",
				"name", r->name, "gaps", (json_int_t)r->gaps,
				"players", (json_int_t)r->flows,
				"player_hours", r->player_hours,
				"rate_per_1000_player_hours", r->rate,
				"expected", r->expected, "excess", r->excess,
				"p", r->p, "tested", r->tested, "outlier", r->outlier,
				"prefixes", (json_int_t)r->prefixes);

			if (row && r->explained_by[0])
				json_object_update_new(row, json_pack("{s:s,s:o}",
					"explained_by", r->explained_by,
					"rate_without_per_1000_player_hours",
					r->rest_hours > 0 ? json_real(r->rest_rate) : json_null()));
			if (row && k == WHERE_HOP)
				json_object_update_new(row, json_pack("{s:I,s:I,s:I,s:o}",
					"ladders", (json_int_t)r->ladders,
					"state_lost", (json_int_t)r->state_lost,
					"path_down", (json_int_t)r->path_down,
					"asns", w->have_asn ? json_integer((json_int_t)r->asns) :
							      json_null()));
			if (row && k == WHERE_ASN && r->asn_ladders)
				json_object_update_new(row, json_pack("{s:I,s:s,s:I}",
					"ladders", (json_int_t)r->asn_ladders,
					"top_hop", r->top_hop,
					"top_hop_ladders", (json_int_t)r->top_hop_ladders));
			json_array_append_new(rows, row);
		}
		json_object_set_new(kinds, where_kind_name(k), json_pack("{s:i,s:i,s:i,s:i,s:f,s:o}",
			"groups", (int)kr->groups, "tested", (int)kr->tested,
			"outliers", (int)kr->outliers, "explained", (int)kr->explained,
			"dispersion", kr->dispersion,
			"top", rows ? rows : json_null()));
	}
	json_object_set_new(o, "by", kinds);
	return o;
}

/* What the daemon's stats records say about its own losses: said even
 * when there is no gap, since packets it never saw may hide some. */
static void daemon_line(FILE *f, const struct agg_result *r)
{
	char a[32];

	if (!r->stats.records)
		return;
	fprintf(f, "daemon    %s flows seen;", out_count((uint64_t)r->stats.flows_created, a, sizeof(a)));
	if (!agg_stats_missed(&r->stats))
		fprintf(f, " inspector lost no packets");
	else
		fprintf(f, " INSPECTOR LOST PACKETS: unseen %" PRId64
			" (passed its queue unseen, %" PRId64
			" blind intervals), id_holes %" PRId64
			", queue_dropped %" PRId64
			", user_dropped %" PRId64 ", enobufs %" PRId64,
			r->stats.unseen, r->stats.blind_intervals,
			r->stats.id_holes, r->stats.queue_dropped,
			r->stats.user_dropped, r->stats.enobufs);
	if (r->stats.report_dropped)
		fprintf(f, "; %" PRId64 " RECORDS DROPPED by the daemon",
			r->stats.report_dropped);
	fputc('\n', f);
}

static void top_table(FILE *f, const char *title, const struct agg_top *top,
		      unsigned int n, const struct agg_result *r, int prefixes,
		      int same_day)
{
	char key[INET6_ADDRSTRLEN + 8], a[32], d[32], t[40];
	size_t w = strlen(title), k;
	unsigned int i;

	for (i = 0; i < n; i++) {
		if (prefixes)
			prefix_format(&top[i].key, key, sizeof(key));
		else
			addr_format(&top[i].key.addr, key, sizeof(key));
		if (strlen(key) > w)
			w = strlen(key);
	}
	fprintf(f, "\n%-*s %9s %9s %s  %-26s %s\n", (int)w, title, "GAPS",
		prefixes ? "CLIENTS" : "SILENT", prefixes ? "   SILENT" : "",
		"COMMONEST CAUSE", "LAST GAP");
	for (i = 0; i < n; i++) {
		const struct agg_top *e = &top[i];
		char cause[40];

		if (prefixes)
			prefix_format(&e->key, key, sizeof(key));
		else
			addr_format(&e->key.addr, key, sizeof(key));
		snprintf(cause, sizeof(cause), "%.19s %.0f%%",
			 e->cause < r->ncauses ? r->causes[e->cause].name : "-",
			 pct(e->cause_gaps, e->gaps));
		gwt_format(e->last_us, 0, t, sizeof(t));
		fprintf(f, "%-*s %9s", (int)w, key, out_count(e->gaps, a, sizeof(a)));
		if (prefixes)
			fprintf(f, " %9s %9s", out_count(e->clients, d, sizeof(d)),
				dur(e->silent_us, a, sizeof(a)));
		else
			fprintf(f, " %9s ", dur(e->silent_us, a, sizeof(a)));
		/* LAST GAP: the time alone when the window is one day. */
		k = same_day ? 11 : 5;
		fprintf(f, "  %-26s %.*s\n", cause, same_day ? 8 : 11,
			t + k);
	}
}

void out_text(FILE *f, const struct agg_result *r, const struct out_info *info)
{
	char a[32], b[32], c[32], t1[40], t2[40];
	const struct agg_lines *l = &r->lines;
	uint64_t max;
	unsigned int i;
	int same_day;

	fprintf(f, "gapwatch report: %u file%s, %s lines", info->nfiles,
		info->nfiles == 1 ? "" : "s", out_count(l->lines, a, sizeof(a)));
	if (r->files_failed)
		fprintf(f, " (%u file%s unreadable)", r->files_failed,
			r->files_failed == 1 ? "" : "s");
	skipped_line(f, l);
	if (info->filter_text && *info->filter_text)
		fprintf(f, "filter    %s (%s gaps left out)\n", info->filter_text,
			out_count(r->filtered, a, sizeof(a)));
	gwt_format(r->first_us, 0, t1, sizeof(t1));
	gwt_format(r->last_us, 0, t2, sizeof(t2));
	fprintf(f, "window    %s .. %s (%s)\n", t1, t2,
		r->first_us != GWT_NONE && r->last_us != GWT_NONE ?
		dur(r->last_us - r->first_us, a, sizeof(a)) : "no data");
	fprintf(f, "gaps      %s (%s closed, %s still open) in %s flow%s from %s client%s\n",
		out_count(r->gaps, a, sizeof(a)), out_count(r->closed, b, sizeof(b)),
		out_count(r->open, c, sizeof(c)), out_count(r->flows, t1, sizeof(t1)),
		r->flows == 1 ? "" : "s", out_count(r->clients, t2, sizeof(t2)),
		r->clients == 1 ? "" : "s");
	if (r->gaps == 0) {
		fprintf(f, "no gaps%s\n", r->filtered ? " match the filter" : "");
		daemon_line(f, r);
		hops_table(f, r);
		where_text(f, info->where);
		return;
	}
	fprintf(f, "rate      %.1f gaps/min", r->per_minute);
	if (r->nbusiest)
		fprintf(f, "; busiest minute %s with %s",
			minute(r->busiest[0].minute_us, t1, sizeof(t1)),
			out_count(r->busiest[0].gaps, a, sizeof(a)));
	fputc('\n', f);
	fprintf(f, "duration  median %s, p95 %s, max %s (closed gaps, nearest rank)\n",
		dur(r->median_us, a, sizeof(a)), dur(r->p95_us, b, sizeof(b)),
		dur(r->max_us, c, sizeof(c)));
	daemon_line(f, r);
	if (r->watched) {
		fprintf(f, "server    %s", out_count(r->server_dropped, a, sizeof(a)));
		fprintf(f, " of %s watched gaps: this server's kernel dropped the "
			"flow's packets (local_drop_*); %s: it dropped none of them, "
			"proven\n", out_count(r->watched, b, sizeof(b)),
			out_count(r->exonerated, c, sizeof(c)));
	}
	if (r->lost_packets)
		fprintf(f, "warning   %s gaps while the inspector lost packets "
			"(cause inspector_loss): not the network's\n",
			out_count(r->lost_packets, a, sizeof(a)));
	if (r->with_pcap || r->with_conntrack || r->with_probe || r->clusters) {
		fprintf(f, "evidence  %s with a pcap, %s with conntrack, %s with a probe",
			out_count(r->with_pcap, a, sizeof(a)),
			out_count(r->with_conntrack, b, sizeof(b)),
			out_count(r->with_probe, c, sizeof(c)));
		if (r->clusters)
			fprintf(f, "; %s bursts, the largest %" PRId64 " flows",
				out_count(r->clusters, a, sizeof(a)), r->big_cluster_size);
		fputc('\n', f);
	}

	fprintf(f, "\n%-24s %10s %8s %6s %10s %10s %10s\n", "CAUSE", "GAPS",
		"OPEN", "SHARE", "MEDIAN", "P95", "MAX");
	for (i = 0; i < r->ncauses; i++) {
		const struct agg_name *n = &r->causes[i];

		fprintf(f, "%-24.24s %10s %8s %5.1f%%", n->name,
			out_count(n->gaps, a, sizeof(a)), out_count(n->open, b, sizeof(b)),
			pct(n->gaps, r->gaps));
		if (n->gaps > n->open)
			fprintf(f, " %10s %10s", dur(n->median_us, a, sizeof(a)),
				dur(n->p95_us, b, sizeof(b)));
		else
			fprintf(f, " %10s %10s", "-", "-");
		fprintf(f, " %10s\n", n->gaps > n->open ?
			dur(n->max_us, c, sizeof(c)) : "-");
	}

	if (r->nhosts > 1) {
		fprintf(f, "\n%-24s %10s %8s %6s\n", "HOST", "GAPS", "OPEN", "SHARE");
		for (i = 0; i < r->nhosts; i++)
			fprintf(f, "%-24.24s %10s %8s %5.1f%%\n", r->hosts[i].name,
				out_count(r->hosts[i].gaps, a, sizeof(a)),
				out_count(r->hosts[i].open, b, sizeof(b)),
				pct(r->hosts[i].gaps, r->gaps));
		if (r->host_events)
			fprintf(f, "events    %s times gaps began within a second on "
				"several hosts (%s gaps): upstream of the servers; the "
				"largest %" PRIu64 " gaps on %u hosts at %s\n",
				out_count(r->host_events, a, sizeof(a)),
				out_count(r->host_event_gaps, b, sizeof(b)),
				r->big_event_gaps, r->big_event_hosts,
				minute(r->big_event_us, c, sizeof(c)));
	}

	hops_table(f, r);
	where_text(f, info->where);

	fprintf(f, "\n%-24s %10s %6s\n", "OUTCOME", "GAPS", "SHARE");
	for (i = 0; i < r->noutcomes; i++) {
		const struct agg_name *n = &r->outcomes[i];

		if (n->gaps == 0)
			continue;
		fprintf(f, "%-24.24s %10s %5.1f%%", n->name,
			out_count(n->gaps, a, sizeof(a)), pct(n->gaps, r->gaps));
		if (strcmp(n->name, "reconnected") == 0 && r->reconnects) {
			fprintf(f, "  after median %s, p95 %s",
				dur(r->reconnect_median_us, a, sizeof(a)),
				dur(r->reconnect_p95_us, b, sizeof(b)));
			if (r->reconnect_full + r->reconnect_high + r->reconnect_low)
				fprintf(f, "; matched: %" PRIu64 " sure, %" PRIu64
					" likely, %" PRIu64 " guessed (shared address)",
					r->reconnect_full, r->reconnect_high,
					r->reconnect_low);
		}
		else if (i == AGG_OUTCOME_OPEN)
			fprintf(f, "  no gap record yet (still silent, or the daemon stopped)");
		fputc('\n', f);
	}

	fprintf(f, "\n%-24s %10s\n", "DURATION", "GAPS");
	for (i = 0, max = 0; i < AGG_HIST_BINS; i++)
		if (r->hist[i] > max)
			max = r->hist[i];
	for (i = 0; i < AGG_HIST_BINS; i++) {
		char label[32];

		if (i == 0)
			snprintf(label, sizeof(label), "< %s",
				 gwt_format_edge(agg_hist_edges_ms[0], a, sizeof(a)));
		else if (i == AGG_HIST_BINS - 1)
			snprintf(label, sizeof(label), ">= %s",
				 gwt_format_edge(agg_hist_edges_ms[i - 1], a, sizeof(a)));
		else
			snprintf(label, sizeof(label), "%s - %s",
				 gwt_format_edge(agg_hist_edges_ms[i - 1], a, sizeof(a)),
				 gwt_format_edge(agg_hist_edges_ms[i], b, sizeof(b)));
		fprintf(f, "  %-22s %10s  ", label, out_count(r->hist[i], c, sizeof(c)));
		bar(f, r->hist[i], max);
		fputc('\n', f);
	}

	same_day = r->first_us != GWT_NONE && r->last_us != GWT_NONE &&
		   r->first_us / 86400000000LL == r->last_us / 86400000000LL;
	top_table(f, "TOP CLIENTS", r->top_clients, r->ntop_clients, r, 0, same_day);
	top_table(f, "TOP PREFIXES (/24, /48)", r->top_prefixes, r->ntop_prefixes,
		  r, 1, same_day);

	fprintf(f, "\n%-24s %10s\n", "BUSIEST MINUTES", "GAPS");
	for (i = 0; i < r->nbusiest; i++) {
		fprintf(f, "%-24s %10s  ", minute(r->busiest[i].minute_us, t1, sizeof(t1)),
			out_count(r->busiest[i].gaps, a, sizeof(a)));
		bar(f, r->busiest[i].gaps, r->busiest[0].gaps);
		fputc('\n', f);
	}
}

/* ---- JSON ---- */

static json_t *jtime(int64_t us)
{
	char buf[40];

	return us == GWT_NONE ? json_null() : json_string(gwt_format(us, 1, buf, sizeof(buf)));
}

static json_t *jms(int64_t us)
{
	return json_real((double)us / 1000.0);
}

static json_t *jtop(const struct agg_top *top, unsigned int n,
		    const struct agg_result *r, int prefixes)
{
	json_t *arr = json_array();
	char key[INET6_ADDRSTRLEN + 8];
	unsigned int i;

	for (i = 0; i < n; i++) {
		const struct agg_top *e = &top[i];
		json_t *o;

		if (prefixes)
			prefix_format(&e->key, key, sizeof(key));
		else
			addr_format(&e->key.addr, key, sizeof(key));
		o = json_pack("{s:s,s:I,s:o,s:s?,s:I,s:o}",
			      prefixes ? "prefix" : "client", key,
			      "gaps", (json_int_t)e->gaps,
			      "silent_ms", jms(e->silent_us),
			      "commonest_cause", e->cause < r->ncauses ?
			      r->causes[e->cause].name : NULL,
			      "commonest_cause_gaps", (json_int_t)e->cause_gaps,
			      "last_start", jtime(e->last_us));
		if (prefixes)
			json_object_set_new(o, "clients", json_integer((json_int_t)e->clients));
		json_array_append_new(arr, o);
	}
	return arr;
}

int out_json(FILE *f, const struct agg_result *r, const struct out_info *info)
{
	const struct agg_lines *l = &r->lines;
	json_t *o, *files, *causes, *outcomes, *hist, *busy;
	unsigned int i;
	int rc;

	files = json_array();
	for (i = 0; i < info->nfiles; i++)
		json_array_append_new(files, json_string(info->files[i]));
	causes = json_array();
	for (i = 0; i < r->ncauses; i++) {
		const struct agg_name *n = &r->causes[i];
		int closed = n->gaps > n->open;

		json_array_append_new(causes, json_pack("{s:s,s:I,s:I,s:o,s:o,s:o}",
			"cause", n->name, "gaps", (json_int_t)n->gaps,
			"open", (json_int_t)n->open,
			"median_ms", closed ? jms(n->median_us) : json_null(),
			"p95_ms", closed ? jms(n->p95_us) : json_null(),
			"max_ms", closed ? jms(n->max_us) : json_null()));
	}
	outcomes = json_array();
	for (i = 0; i < r->noutcomes; i++)
		json_array_append_new(outcomes, json_pack("{s:s,s:I}",
			"outcome", r->outcomes[i].name,
			"gaps", (json_int_t)r->outcomes[i].gaps));
	hist = json_array();
	for (i = 0; i < AGG_HIST_BINS; i++)
		json_array_append_new(hist, json_pack("{s:I,s:o,s:I}",
			"min_ms", (json_int_t)(i ? agg_hist_edges_ms[i - 1] : 0),
			"max_ms", i < AGG_HIST_BINS - 1 ?
			json_integer(agg_hist_edges_ms[i]) : json_null(),
			"gaps", (json_int_t)r->hist[i]));
	busy = json_array();
	for (i = 0; i < r->nbusiest; i++)
		json_array_append_new(busy, json_pack("{s:o,s:I}",
			"minute", jtime(r->busiest[i].minute_us),
			"gaps", (json_int_t)r->busiest[i].gaps));
	o = json_pack("{s:o,s:{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I}}",
		"files", files,
		"lines",
		"read", (json_int_t)l->lines, "blank", (json_int_t)l->blank,
		"gap", (json_int_t)l->gap, "gap_open", (json_int_t)l->gap_open,
		"stats", (json_int_t)l->stats, "probe", (json_int_t)l->probe,
		"exposure", (json_int_t)l->exposure,
		"other", (json_int_t)l->other,
		"not_json", (json_int_t)l->not_json,
		"not_object", (json_int_t)l->not_object,
		"truncated", (json_int_t)l->truncated,
		"bad_record", (json_int_t)l->bad_record,
		"too_long", (json_int_t)l->too_long);
	if (o == NULL)
		return -1;
	json_object_set_new(o, "files_unreadable", json_integer(r->files_failed));
	json_object_set_new(o, "window", json_pack("{s:o,s:o}",
		"start", jtime(r->first_us), "end", jtime(r->last_us)));
	json_object_set_new(o, "gaps", json_pack("{s:I,s:I,s:I,s:I}",
		"total", (json_int_t)r->gaps, "closed", (json_int_t)r->closed,
		"open", (json_int_t)r->open, "filtered_out", (json_int_t)r->filtered));
	json_object_set_new(o, "flows", json_integer((json_int_t)r->flows));
	json_object_set_new(o, "clients", json_integer((json_int_t)r->clients));
	json_object_set_new(o, "gaps_per_minute", json_real(r->per_minute));
	json_object_set_new(o, "percentiles", json_string("nearest-rank, closed gaps"));
	json_object_set_new(o, "duration", json_pack("{s:o,s:o,s:o}",
		"median_ms", jms(r->median_us), "p95_ms", jms(r->p95_us),
		"max_ms", jms(r->max_us)));
	json_object_set_new(o, "causes", causes);
	json_object_set_new(o, "outcomes", outcomes);
	{
		json_t *hosts = json_array();

		for (i = 0; hosts && i < r->nhosts; i++)
			json_array_append_new(hosts, json_pack("{s:s,s:I,s:I}",
				"host", r->hosts[i].name,
				"gaps", (json_int_t)r->hosts[i].gaps,
				"open", (json_int_t)r->hosts[i].open));
		json_object_set_new(o, "hosts", hosts ? hosts : json_null());
	}
	{
		json_t *hops = json_array();

		for (i = 0; hops && i < r->nhops; i++)
			json_array_append_new(hops, json_pack("{s:s,s:I,s:I,s:I,s:I,s:I}",
				"hop", r->hops[i].addr,
				"ladders", (json_int_t)r->hops[i].ladders,
				"players", (json_int_t)r->hops[i].players,
				"prefixes", (json_int_t)r->hops[i].prefixes,
				"state_lost", (json_int_t)r->hops[i].state_lost,
				"path_down", (json_int_t)r->hops[i].path_down));
		json_object_set_new(o, "probe_hops", json_pack("{s:I,s:I,s:o}",
			"ladders", (json_int_t)r->ladders,
			"hops", (json_int_t)r->hops_seen,
			"top", hops ? hops : json_null()));
		json_object_set_new(o, "host_events", json_pack("{s:I,s:I,s:I,s:I,s:o}",
			"events", (json_int_t)r->host_events,
			"gaps", (json_int_t)r->host_event_gaps,
			"largest_gaps", (json_int_t)r->big_event_gaps,
			"largest_hosts", (json_int_t)r->big_event_hosts,
			"largest_start", r->host_events ? jtime(r->big_event_us) : json_null()));
	}
	json_object_set_new(o, "where", where_json(info->where));
	json_object_set_new(o, "reconnect", json_pack("{s:I,s:o,s:o,s:{s:I,s:I,s:I}}",
		"gaps", (json_int_t)r->reconnects,
		"median_delay_ms", jms(r->reconnect_median_us),
		"p95_delay_ms", jms(r->reconnect_p95_us),
		"confidence", "full", (json_int_t)r->reconnect_full,
		"high", (json_int_t)r->reconnect_high,
		"low", (json_int_t)r->reconnect_low));
	json_object_set_new(o, "histogram", hist);
	json_object_set_new(o, "top_clients", jtop(r->top_clients, r->ntop_clients, r, 0));
	json_object_set_new(o, "top_prefixes", jtop(r->top_prefixes, r->ntop_prefixes, r, 1));
	json_object_set_new(o, "busiest_minutes", busy);
	json_object_set_new(o, "evidence", json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I}",
		"pcap", (json_int_t)r->with_pcap,
		"conntrack", (json_int_t)r->with_conntrack,
		"probe", (json_int_t)r->with_probe,
		"inspector_lost_packets", (json_int_t)r->lost_packets,
		"server_watched", (json_int_t)r->watched,
		"server_dropped", (json_int_t)r->server_dropped,
		"server_exonerated", (json_int_t)r->exonerated,
		"clusters", (json_int_t)r->clusters));
	if (r->stats.records)
		json_object_set_new(o, "daemon", json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I}",
			"stats_records", (json_int_t)r->stats.records,
			"flows_created", (json_int_t)r->stats.flows_created,
			"queue_dropped", (json_int_t)r->stats.queue_dropped,
			"user_dropped", (json_int_t)r->stats.user_dropped,
			"enobufs", (json_int_t)r->stats.enobufs,
			"report_dropped", (json_int_t)r->stats.report_dropped,
			FIELD_STATS_UNSEEN, (json_int_t)r->stats.unseen,
			FIELD_STATS_ID_HOLES, (json_int_t)r->stats.id_holes,
			FIELD_STATS_BLIND_INTERVALS, (json_int_t)r->stats.blind_intervals,
			FIELD_STATS_BLIND_MISSED, (json_int_t)r->stats.blind_missed));
	rc = json_dumpf(o, f, JSON_INDENT(2) | JSON_PRESERVE_ORDER |
			JSON_REAL_PRECISION(12));
	fputc('\n', f);
	json_decref(o);
	return rc;
}

/* ---- CSV ---- */

/* A text field; numbers are printed as they are. A record's text may
 * come from anywhere (a report file, a carrier's name in an MMDB file): a
 * cell a spreadsheet would run as a formula is quoted behind a "'". */
static void csv_field(FILE *f, const char *s, int last)
{
	int formula = s[0] != '\0' && strchr("=+-@\t\r", s[0]) != NULL;

	if (formula || strpbrk(s, ",\"\r\n") != NULL) {
		fputc('"', f);
		if (formula)
			fputc('\'', f);
		for (; *s; s++) {
			if (*s == '"')
				fputc('"', f);
			fputc(*s, f);
		}
		fputc('"', f);
	} else {
		fputs(s, f);
	}
	fputc(last ? '\n' : ',', f);
}

static void csv_span(FILE *f, const struct span *s)
{
	char buf[1024];

	csv_field(f, s->p ? printable_fix(span_copy(s, buf, sizeof(buf))) : "", 0);
}

void out_csv_header(FILE *f)
{
	fputs("id,state,proto,client,server,start,end,duration_ms,silent,cause,"
	      "outcome,reconnect_port,reconnect_delay_ms,server_retransmits,"
	      "client_retransmits,cluster,pcap,prefix,asn,as_org,country\n", f);
}

/* The client's network and, with --mmdb, its carrier and country: the
 * where analysis's groups, for a spreadsheet's pivot. */
static void csv_where(FILE *f, const struct gw_rec *r, struct geo *geo)
{
	struct geo_info gi = { 0, NULL, "" };
	struct in6_addr a;
	struct gw_prefix p;
	char buf[INET6_ADDRSTRLEN + 8];

	if (rec_endpoint(&r->client, &a, &(uint16_t){ 0 }) < 0) {
		fputs(",,,\n", f);
		return;
	}
	prefix_group(&a, &p);
	csv_field(f, prefix_format(&p, buf, sizeof(buf)), 0);
	if (geo)
		geo_lookup(geo, &p.addr, &gi);
	if (gi.asn)
		fprintf(f, "%u,", gi.asn);
	else
		fputc(',', f);
	csv_field(f, gi.as_org ? gi.as_org : "", 0);
	csv_field(f, gi.country, 1);
}

void out_csv_row(void *ctx, const struct gw_rec *r, int open)
{
	const struct out_csv *c = ctx;
	FILE *f = c->f;
	char t[48];
	int64_t d = (r->has & REC_HAS_DURATION) ? r->duration_us :
		    (r->has & REC_HAS_END) ? r->end_us - r->start_us : 0;

	csv_span(f, &r->id);
	csv_field(f, open ? "open" : "closed", 0);
	csv_span(f, &r->proto);
	csv_span(f, &r->client);
	csv_span(f, &r->server);
	csv_field(f, gwt_format(r->start_us, 1, t, sizeof(t)), 0);
	csv_field(f, !open && (r->has & REC_HAS_END) ?
		  gwt_format(r->end_us, 1, t, sizeof(t)) : "", 0);
	fprintf(f, "%" PRId64 ".%03d,", d / 1000, (int)(d % 1000));
	csv_span(f, &r->silent);
	csv_span(f, &r->cause);
	if (open)
		csv_field(f, "", 0);
	else
		csv_span(f, &r->outcome);
	if (!open && (r->has & REC_HAS_RECONNECT))
		fprintf(f, "%" PRId64 ",%" PRId64 ".%03d,", r->reconnect_port,
			r->reconnect_delay_us / 1000, (int)(r->reconnect_delay_us % 1000));
	else
		fputs(",,", f);
	fprintf(f, "%" PRId64 ",%" PRId64 ",", r->server_retransmits,
		r->client_retransmits);
	csv_span(f, &r->cluster_id);
	csv_span(f, &r->pcap);
	csv_where(f, r, c->geo);
}
