/*
 * cause.h - a first classification of a gap from what the packets show.
 */
#ifndef GAPWATCH_CAUSE_H
#define GAPWATCH_CAUSE_H

#include <stddef.h>

#include "record.h"

/*
 * cause_classify - set rec->cause and write one sentence of evidence into
 * rec->evidence, from the record's facts alone (no other state).
 */
void cause_classify(struct gap_record *rec);

/*
 * cause_drops_verdict - one sentence on what the server's kernel dropped
 * of rec's flow over its window: how many and why, or "0 drops" when the
 * watcher proves it, or why it cannot.
 */
void cause_drops_verdict(const struct gap_record *rec, char *buf, size_t len);

/* Stable names and texts for reports. */
const char *cause_name(enum gap_cause c);
const char *cause_explanation(enum gap_cause c);
const char *cause_next_step(enum gap_cause c);

#endif
