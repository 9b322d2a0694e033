/*
 * filter.c - which gaps count: the report's filter options, parsed and
 * applied.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "filter.h"
#include "gwtime.h"

void filter_init(struct gw_filter *f)
{
	memset(f, 0, sizeof(*f));
	f->since_us = GWT_NONE;
	f->until_us = GWT_NONE;
}

void filter_free(struct gw_filter *f)
{
	unsigned int k;

	if (f == NULL)
		return;
	for (k = 0; k < f->ncauses; k++)
		free(f->causes[k]);
	f->ncauses = 0;
	for (k = 0; k < f->nhosts; k++)
		free(f->hosts[k]);
	f->nhosts = 0;
}

/* Calls item() for each comma-separated item of arg. */
static int each_item(const char *arg, int (*item)(struct gw_filter *, const char *),
		     struct gw_filter *f, char *err, size_t errlen,
		     const char *what)
{
	char buf[256], *tok, *save = NULL;

	if (strlen(arg) >= sizeof(buf)) {
		snprintf(err, errlen, "%s list is too long", what);
		return -1;
	}
	snprintf(buf, sizeof(buf), "%s", arg);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (item(f, tok) < 0) {
			snprintf(err, errlen, "'%s' is not a %s%s", tok, what,
				 f->ncauses >= FILTER_MAX_LIST ||
				 f->nports >= FILTER_MAX_LIST ||
				 f->nclients >= FILTER_MAX_LIST ?
				 " (or too many items)" : "");
			return -1;
		}
	}
	if (strspn(arg, ",") == strlen(arg)) {
		snprintf(err, errlen, "empty %s list", what);
		return -1;
	}
	return 0;
}

static int cause_item(struct gw_filter *f, const char *s)
{
	size_t k;

	if (f->ncauses >= FILTER_MAX_LIST || *s == '\0')
		return -1;
	for (k = 0; s[k]; k++)
		if (!((s[k] >= 'a' && s[k] <= 'z') || (s[k] >= '0' && s[k] <= '9') ||
		      s[k] == '_'))
			return -1;
	f->causes[f->ncauses] = strdup(s);
	if (f->causes[f->ncauses] == NULL)
		return -1;
	f->ncauses++;
	return 0;
}

static int port_item(struct gw_filter *f, const char *s)
{
	char *end;
	unsigned long p;

	if (f->nports >= FILTER_MAX_LIST || *s < '0' || *s > '9')
		return -1;
	p = strtoul(s, &end, 10);
	if (*end != '\0' || p == 0 || p > 65535)
		return -1;
	f->ports[f->nports++] = (uint16_t)p;
	return 0;
}

static int client_item(struct gw_filter *f, const char *s)
{
	if (f->nclients >= FILTER_MAX_LIST)
		return -1;
	if (prefix_parse(s, &f->clients[f->nclients]) < 0)
		return -1;
	f->nclients++;
	return 0;
}

static int host_item(struct gw_filter *f, const char *s)
{
	if (f->nhosts >= FILTER_MAX_LIST || *s == '\0')
		return -1;
	f->hosts[f->nhosts] = strdup(s);
	if (f->hosts[f->nhosts] == NULL)
		return -1;
	f->nhosts++;
	return 0;
}

int filter_add_host(struct gw_filter *f, const char *arg, char *err, size_t errlen)
{
	return each_item(arg, host_item, f, err, errlen, "host name");
}

int filter_add_cause(struct gw_filter *f, const char *arg, char *err, size_t errlen)
{
	return each_item(arg, cause_item, f, err, errlen, "cause name");
}

int filter_add_port(struct gw_filter *f, const char *arg, char *err, size_t errlen)
{
	return each_item(arg, port_item, f, err, errlen, "port (1-65535)");
}

int filter_add_client(struct gw_filter *f, const char *arg, char *err, size_t errlen)
{
	return each_item(arg, client_item, f, err, errlen, "client address or prefix");
}

int filter_match(const struct gw_filter *f, const struct filter_gap *g)
{
	unsigned int k;

	if (f->since_us != GWT_NONE && g->start_us < f->since_us)
		return 0;
	if (f->until_us != GWT_NONE && g->start_us >= f->until_us)
		return 0;
	if (g->dur_us < f->min_dur_us)
		return 0;
	if (f->ncauses) {
		for (k = 0; k < f->ncauses; k++)
			if (span_eq(g->cause, f->causes[k]))
				break;
		if (k == f->ncauses)
			return 0;
	}
	if (f->nports) {
		for (k = 0; k < f->nports; k++)
			if (f->ports[k] == g->server_port)
				break;
		if (k == f->nports)
			return 0;
	}
	return filter_match_client(f, g->client) && filter_match_host(f, g->host);
}

int filter_match_client(const struct gw_filter *f, const struct in6_addr *a)
{
	unsigned int k;

	for (k = 0; k < f->nclients; k++)
		if (prefix_match(&f->clients[k], a))
			return 1;
	return f->nclients == 0;
}

int filter_match_host(const struct gw_filter *f, const struct span *host)
{
	unsigned int k;

	for (k = 0; k < f->nhosts; k++)
		if (host && span_eq(host, f->hosts[k]))
			return 1;
	return f->nhosts == 0;
}
