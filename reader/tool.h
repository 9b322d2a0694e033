/*
 * tool.h - what every part of gapwatch(8) agrees on: its exit codes and
 * where gapwatchd's report is by default.
 */
#ifndef GAPWATCH_TOOL_H
#define GAPWATCH_TOOL_H

/* Where gapwatchd writes by default; rotated siblings are read too. */
#define GW_DEFAULT_REPORT	"/var/log/gapwatch/gaps.jsonl"

/* Exit codes of gapwatch(8). */
#define GW_EXIT_OK		0
#define GW_EXIT_READ		1	/* a file could not be read */
#define GW_EXIT_USAGE		2

#endif
