/*
 * jrec.c - typed fields of a jansson record.
 */
#include <string.h>

#include "gwtime.h"
#include "jrec.h"

const char *jrec_str(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

int jrec_has_num(json_t *o, const char *key, double *v)
{
	json_t *x = json_object_get(o, key);

	if (!json_is_number(x))
		return 0;
	*v = json_number_value(x);
	return 1;
}

double jrec_num(json_t *o, const char *key)
{
	double v = 0;

	jrec_has_num(o, key, &v);
	return v;
}

int64_t jrec_time(json_t *o, const char *key)
{
	const char *s = jrec_str(o, key);
	int64_t us;

	if (s == NULL || gwt_parse_rfc3339(s, strlen(s), &us) < 0)
		return GWT_NONE;
	return us;
}
