/*
 * gwtime.c - parsing times and durations; printing them short. The
 * RFC 3339 text itself comes from timefmt.c, as gapwatchd writes it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gwtime.h"
#include "timefmt.h"

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian; H. Hinnant). */
static int64_t days_from_civil(int64_t y, unsigned int m, unsigned int d)
{
	int64_t era;
	unsigned int yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned int)(y - era * 400);
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static int fixed_num(const char *p, const char *end, int n, unsigned int *v)
{
	int k;

	if (end - p < n)
		return -1;
	*v = 0;
	for (k = 0; k < n; k++) {
		if (p[k] < '0' || p[k] > '9')
			return -1;
		*v = *v * 10 + (unsigned int)(p[k] - '0');
	}
	return 0;
}

int gwt_parse_rfc3339(const char *s, size_t len, int64_t *us)
{
	const char *p = s, *end = s + len;
	unsigned int Y, M, D, h = 0, m = 0, sec = 0, oh, om;
	int64_t frac = 0, scale = 100000, t;
	int sign;

	if (fixed_num(p, end, 4, &Y) < 0 || end - p < 10 || p[4] != '-' ||
	    fixed_num(p + 5, end, 2, &M) < 0 || p[7] != '-' ||
	    fixed_num(p + 8, end, 2, &D) < 0)
		return -1;
	p += 10;
	if (M < 1 || M > 12 || D < 1 || D > 31)
		return -1;
	if (p < end && (*p == 'T' || *p == 't' || *p == ' ')) {
		p++;
		if (fixed_num(p, end, 2, &h) < 0 || end - p < 5 || p[2] != ':' ||
		    fixed_num(p + 3, end, 2, &m) < 0)
			return -1;
		p += 5;
		if (p < end && *p == ':') {
			if (fixed_num(p + 1, end, 2, &sec) < 0)
				return -1;
			p += 3;
			if (p < end && *p == '.') {
				p++;
				if (p >= end || *p < '0' || *p > '9')
					return -1;
				for (; p < end && *p >= '0' && *p <= '9'; p++) {
					frac += (*p - '0') * scale;
					scale /= 10;
				}
			}
		}
		if (h > 23 || m > 59 || sec > 60)
			return -1;
	} else if (p != end) {
		return -1;
	}
	t = (days_from_civil(Y, M, D) * 86400 + h * 3600 + m * 60 + sec) *
	    1000000 + frac;
	if (p < end && (*p == 'Z' || *p == 'z')) {
		p++;
	} else if (p < end && (*p == '+' || *p == '-')) {
		sign = *p == '+' ? 1 : -1;
		p++;
		if (fixed_num(p, end, 2, &oh) < 0)
			return -1;
		p += 2;
		if (p < end && *p == ':')
			p++;
		if (fixed_num(p, end, 2, &om) < 0 || oh > 23 || om > 59)
			return -1;
		p += 2;
		/* 12:00+02:00 is 10:00Z. */
		t -= sign * (int64_t)(oh * 3600 + om * 60) * 1000000;
	}
	if (p != end)
		return -1;
	*us = t;
	return 0;
}

/* A number with an optional fraction and a unit; unit_us for none. */
/* v units of unit_us microseconds into *us; -1 beyond int64's range
 * (converting such a double would be undefined). */
static int scaled(double v, int64_t unit_us, int64_t *us)
{
	double d = v * (double)unit_us + 0.5;

	if (!(d < 9.2e18))
		return -1;
	*us = (int64_t)d;
	return 0;
}

static int number_unit(const char *s, int64_t bare_us, int64_t *us)
{
	static const struct { const char *unit; int64_t us; } units[] = {
		{ "us", 1 }, { "ms", 1000 }, { "s", 1000000 },
		{ "sec", 1000000 }, { "m", 60000000 }, { "min", 60000000 },
		{ "h", 3600000000LL }, { "d", 86400000000LL },
		{ "w", 604800000000LL },
	};
	char *end;
	double v;
	size_t k;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || end == s || v < 0)
		return -1;
	if (*end == '\0')
		return scaled(v, bare_us, us);
	for (k = 0; k < sizeof(units) / sizeof(units[0]); k++)
		if (strcmp(end, units[k].unit) == 0)
			return scaled(v, units[k].us, us);
	return -1;
}

int gwt_parse_arg(const char *s, int64_t now_us, int64_t *us)
{
	int64_t d;
	char *end;
	long long e;

	if (strcmp(s, "now") == 0) {
		*us = now_us;
		return 0;
	}
	if (s[0] == '@') {
		errno = 0;
		e = strtoll(s + 1, &end, 10);
		if (errno != 0 || end == s + 1 || *end != '\0' ||
		    e > INT64_MAX / 1000000 || e < 0)
			return -1;
		*us = e * 1000000;
		return 0;
	}
	if (gwt_parse_rfc3339(s, strlen(s), us) == 0)
		return 0;
	/* "1h": a duration back from now; a bare number is ambiguous. */
	if (strspn(s, "0123456789.") == strlen(s))
		return -1;
	if (number_unit(s, 0, &d) < 0)
		return -1;
	*us = now_us - d;
	return 0;
}

int gwt_parse_duration(const char *s, int64_t *us)
{
	return number_unit(s, 1000, us);
}

char *gwt_format(int64_t us, int frac, char *buf, size_t len)
{
	if (us == GWT_NONE) {
		snprintf(buf, len, "-");
		return buf;
	}
	return timefmt_rfc3339(us, frac, buf, len);
}

char *gwt_format_edge(int64_t ms, char *buf, size_t len)
{
	if (ms < 1000)
		snprintf(buf, len, "%lldms", (long long)ms);
	else if (ms < 60000 || ms % 60000)
		snprintf(buf, len, "%llds", (long long)(ms / 1000));
	else
		snprintf(buf, len, "%lldm", (long long)(ms / 60000));
	return buf;
}

char *gwt_format_dur(int64_t us, char *buf, size_t len)
{
	double v = (double)us;

	if (us < 0)
		snprintf(buf, len, "-");
	else if (us < 1000000)
		snprintf(buf, len, "%.0f ms", v / 1e3);
	else if (us < 10000000)
		snprintf(buf, len, "%.2f s", v / 1e6);
	else if (us < 60000000)
		snprintf(buf, len, "%.1f s", v / 1e6);
	else if (us < 3600000000LL)
		snprintf(buf, len, "%.1f min", v / 6e7);
	else if (us < 2 * 86400000000LL)
		snprintf(buf, len, "%.1f h", v / 3.6e9);
	else
		snprintf(buf, len, "%.1f d", v / 8.64e10);
	return buf;
}
