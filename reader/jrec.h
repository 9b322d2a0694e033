/*
 * jrec.h - a field of a record parsed with jansson (show and the HTML
 * details read whole records), by a schema.h name.
 */
#ifndef GAPWATCH_JREC_H
#define GAPWATCH_JREC_H

#include <stdint.h>

#include <jansson.h>

/* jrec_str - the string field key of o, or NULL (absent, null, not a string). */
const char *jrec_str(json_t *o, const char *key);

/* jrec_has_num - 1 and *v set when o's field key is a number, else 0. */
int jrec_has_num(json_t *o, const char *key, double *v);

/* jrec_num - the number field key of o, 0 when it is none. */
double jrec_num(json_t *o, const char *key);

/* jrec_time - the RFC 3339 field key of o in microseconds, or GWT_NONE. */
int64_t jrec_time(json_t *o, const char *key);

#endif
