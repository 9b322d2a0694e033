/*
 * printable.h - a record's text made safe for a terminal.
 *
 * A report file can hold anything: a JSON string's escapes decode to
 * ESC, BEL and the C1 controls (U+0080 to U+009F, which some terminals
 * obey as CSI), and a record printed as it is could retitle the window,
 * hide lines or move the cursor. Each such character becomes '?'; the
 * rest, UTF-8 included, is kept.
 */
#ifndef GAPWATCH_PRINTABLE_H
#define GAPWATCH_PRINTABLE_H

#include <jansson.h>

/* printable_fix - s, in place; returns s. */
char *printable_fix(char *s);

/* printable_json - every string in v (through objects and arrays), in
 * place. Returns 0, or -1 when a string could not be replaced (out of
 * memory). */
int printable_json(json_t *v);

#endif
