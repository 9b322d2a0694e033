/*
 * log.h - messages to stderr (foreground) or syslog (daemon).
 *
 * log_warn() appends strerror(errno); log_warnx() does not. fatal() and
 * fatalx() are for start-up only: they exit with the given status.
 */
#ifndef GAPWATCH_LOG_H
#define GAPWATCH_LOG_H

#include <stdarg.h>

void log_init(const char *progname, int to_syslog);
void log_set_verbose(int verbose);
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void fatal(int status, const char *fmt, ...)
	__attribute__((format(printf, 2, 3), noreturn));
void fatalx(int status, const char *fmt, ...)
	__attribute__((format(printf, 2, 3), noreturn));

#endif
