/*
 * cause.h - a first classification of a gap from what the packets show.
 */
#ifndef GAPWATCH_CAUSE_H
#define GAPWATCH_CAUSE_H

#include "record.h"

/*
 * cause_classify - set rec->cause and write one sentence of evidence into
 * rec->evidence, from the record's facts alone (no other state).
 */
void cause_classify(struct gap_record *rec);

/* Stable names and texts for reports. */
const char *cause_name(enum gap_cause c);
const char *cause_explanation(enum gap_cause c);
const char *cause_next_step(enum gap_cause c);

#endif
