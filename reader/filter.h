/*
 * filter.h - which gaps a report counts: the --since, --until, --cause,
 * --port, --client, --host and --min-duration options.
 */
#ifndef GAPWATCH_FILTER_H
#define GAPWATCH_FILTER_H

#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>

#include "prefix.h"
#include "span.h"

#define FILTER_MAX_LIST		32

struct gw_filter {
	int64_t since_us;		/* GWT_NONE: unbounded */
	int64_t until_us;
	int64_t min_dur_us;		/* 0: none */
	unsigned int ncauses;
	char *causes[FILTER_MAX_LIST];	/* owned: filter_free */
	unsigned int nports;
	uint16_t ports[FILTER_MAX_LIST];	/* server ports */
	unsigned int nclients;
	struct gw_prefix clients[FILTER_MAX_LIST];
	unsigned int nhosts;
	char *hosts[FILTER_MAX_LIST];	/* owned: filter_free */
};

/* filter_init - a filter that lets every gap through. */
void filter_init(struct gw_filter *f);

/* filter_free - free the cause names. Accepts NULL. */
void filter_free(struct gw_filter *f);

/*
 * filter_add_cause, filter_add_port, filter_add_client - add the
 * comma-separated items of arg (a gap matches if it matches any item of
 * each kind given). Clients are addresses or prefixes (198.18.0.0/16,
 * 2001:db8::/32). Return 0, or -1 with the offending item in err.
 */
int filter_add_cause(struct gw_filter *f, const char *arg, char *err, size_t errlen);
int filter_add_port(struct gw_filter *f, const char *arg, char *err, size_t errlen);
int filter_add_client(struct gw_filter *f, const char *arg, char *err, size_t errlen);
int filter_add_host(struct gw_filter *f, const char *arg, char *err, size_t errlen);

/* What filter_match looks at in a gap. */
struct filter_gap {
	int64_t start_us;
	int64_t dur_us;
	const struct span *cause;
	uint16_t server_port;
	const struct in6_addr *client;
	const struct span *host;	/* may be empty: a record of no host */
};

/* filter_match - 1 when f lets the gap through, else 0. */
int filter_match(const struct gw_filter *f, const struct filter_gap *g);

/*
 * filter_match_client, filter_match_host - 1 when f's --client (--host)
 * items let a through (or there are none), else 0: filter_match's parts,
 * for records that are not gaps (exposure). host may be NULL.
 */
int filter_match_client(const struct gw_filter *f, const struct in6_addr *a);
int filter_match_host(const struct gw_filter *f, const struct span *host);

#endif
