/*
 * report.h - gap and stats records as JSON Lines.
 *
 * Records are formatted by the caller's thread and handed to one writer
 * thread through a bounded queue, so a slow disk never stalls a verdict
 * loop. When the queue is full the record is dropped and counted, never
 * waited for.
 */
#ifndef GAPWATCH_REPORT_H
#define GAPWATCH_REPORT_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "record.h"

/* Lines the writer may be behind by before records are dropped. */
#define REPORT_QUEUE_LINES 65536

struct report;

/*
 * report_open - open path for appending ("-" is stdout) and start the
 * writer thread. run_id prefixes every gap id. Returns NULL with a reason
 * in err.
 */
struct report *report_open(const char *path, const char *run_id, char *err,
			   size_t errlen);

/*
 * report_close - write what is queued, stop the writer, close the file.
 * Accepts NULL.
 */
void report_close(struct report *r);

/* report_gap - queue one gap record. Returns 0, or -1 if dropped. */
int report_gap(struct report *r, const struct gap_record *rec);

/* report_json - queue any record; takes the reference to obj. */
int report_json(struct report *r, json_t *obj);

/* report_reopen - reopen the file at the writer's next turn (SIGHUP). */
void report_reopen(struct report *r);

/* report_run_id - the prefix of every gap id. */
const char *report_run_id(const struct report *r);

/* report_dropped - records dropped because the writer fell behind. */
uint64_t report_dropped(struct report *r);

/* report_write_errors - lines the writer could not write. */
uint64_t report_write_errors(struct report *r);

/*
 * report_gap_json - the JSON object of a gap record (new reference), for
 * the writer and for tests.
 */
json_t *report_gap_json(const struct gap_record *rec, const char *run_id);

#endif
