/*
 * timefmt.c - RFC 3339 times.
 */
#include <stdio.h>
#include <time.h>

#include "timefmt.h"

char *timefmt_rfc3339(int64_t us, int frac, char *buf, size_t len)
{
	/* Floor division: a time before the epoch keeps a positive fraction. */
	time_t secs = (time_t)(us >= 0 ? us / 1000000 : (us - 999999) / 1000000);
	long long sub = (long long)(us - (int64_t)secs * 1000000);
	struct tm tm;

	if (gmtime_r(&secs, &tm) == NULL) {
		snprintf(buf, len, "invalid");
		return buf;
	}
	if (frac)
		snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%06lldZ",
			 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
			 tm.tm_hour, tm.tm_min, tm.tm_sec, sub);
	else
		snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02dZ",
			 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
			 tm.tm_hour, tm.tm_min, tm.tm_sec);
	return buf;
}
