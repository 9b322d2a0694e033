/*
 * printable.c - a record's text made safe for a terminal.
 */
#include <stdlib.h>
#include <string.h>

#include "printable.h"

/* The bytes of a control character at s: 1 (C0, DEL), 2 (C1 in UTF-8),
 * or 0 for none. */
static size_t control_at(const unsigned char *s)
{
	if (s[0] < 0x20 || s[0] == 0x7f)
		return 1;
	if (s[0] == 0xc2 && s[1] >= 0x80 && s[1] <= 0x9f)
		return 2;
	return 0;
}

static int has_control(const char *s)
{
	for (; *s; s++)
		if (control_at((const unsigned char *)s))
			return 1;
	return 0;
}

char *printable_fix(char *s)
{
	unsigned char *r = (unsigned char *)s, *w = r;
	size_t n;

	while (*r) {
		if ((n = control_at(r)) != 0) {
			*w++ = '?';
			r += n;
		} else {
			*w++ = *r++;
		}
	}
	*w = '\0';
	return s;
}

int printable_json(json_t *v)
{
	const char *key;
	json_t *x;
	size_t k;
	char *copy;
	int rc = 0;

	switch (json_typeof(v)) {
	case JSON_OBJECT:
		json_object_foreach(v, key, x)
			rc |= printable_json(x);
		return rc;
	case JSON_ARRAY:
		json_array_foreach(v, k, x)
			rc |= printable_json(x);
		return rc;
	case JSON_STRING:
		/* A string with a NUL in it ends there for its readers. */
		if (!has_control(json_string_value(v)))
			return 0;
		if ((copy = strdup(json_string_value(v))) == NULL)
			return -1;
		rc = json_string_set(v, printable_fix(copy));
		free(copy);
		return rc;
	default:
		return 0;
	}
}
