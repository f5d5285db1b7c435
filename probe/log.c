/*
 * log.c - leveled logging to stderr or syslog.
 */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <syslog.h>

void log_open(struct logger *lg, enum log_level level, enum log_dest dest)
{
	lg->level = level;
	lg->dest = dest;
	if (dest == LOG_SYSLOG)
		openlog("skyprobe", LOG_PID, LOG_DAEMON);
}

void log_close(struct logger *lg)
{
	if (lg && lg->dest == LOG_SYSLOG)
		closelog();
}

static int syslog_priority(enum log_level level)
{
	switch (level) {
	case LOG_LVL_ERROR:   return LOG_ERR;
	case LOG_LVL_WARNING: return LOG_WARNING;
	case LOG_LVL_INFO:    return LOG_INFO;
	default:              return LOG_DEBUG;
	}
}

void log_msg(const struct logger *lg, enum log_level level,
	     const char *fmt, ...)
{
	static const char *const names[] = {"error", "warning", "info",
					    "debug"};
	va_list ap;

	if (lg && level > lg->level)
		return;
	va_start(ap, fmt);
	if (lg && lg->dest == LOG_SYSLOG) {
		vsyslog(syslog_priority(level), fmt, ap);
	} else {
		fprintf(stderr, "skyprobe: %s: ", names[level]);
		vfprintf(stderr, fmt, ap);
		fputc('\n', stderr);
	}
	va_end(ap);
}
