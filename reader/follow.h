/*
 * follow.h - gapwatch report --follow: a live summary of one report file
 * as gapwatchd appends to it, across logrotate's rotations.
 */
#ifndef GAPWATCH_FOLLOW_H
#define GAPWATCH_FOLLOW_H

#include "filter.h"

/*
 * follow_run - read path (plain, not gzip'd) to its end, write the
 * summary of the gaps that f lets through to stdout, then follow what is
 * appended and redraw every 2 s when something changed, until SIGINT or
 * SIGTERM. ftext: the filter options as given, for the header (may be
 * ""). f is borrowed for the run. Returns the exit code: GW_EXIT_OK after
 * the final summary on a signal; GW_EXIT_READ when path cannot be opened
 * or read, or stdout cannot be written; GW_EXIT_USAGE for a gzip'd file.
 * Installs handlers for SIGINT and SIGTERM.
 */
int follow_run(const char *path, const struct gw_filter *f, const char *ftext);

#endif
