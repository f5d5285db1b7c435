/*
 * log.h - leveled logging to stderr or syslog.
 *
 * The logger is a value owned by main and handed to the modules that need
 * it, so there is no hidden global state; a NULL logger writes to stderr.
 */
#ifndef SKYPROBE_LOG_H
#define SKYPROBE_LOG_H

#include "config.h"

struct logger {
	enum log_level level;
	enum log_dest  dest;
};

void log_open(struct logger *lg, enum log_level level, enum log_dest dest);
void log_close(struct logger *lg);
void log_msg(const struct logger *lg, enum log_level level,
	     const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#define log_error(lg, ...) log_msg((lg), LOG_LVL_ERROR, __VA_ARGS__)
#define log_warn(lg, ...)  log_msg((lg), LOG_LVL_WARNING, __VA_ARGS__)
#define log_info(lg, ...)  log_msg((lg), LOG_LVL_INFO, __VA_ARGS__)
#define log_debug(lg, ...) log_msg((lg), LOG_LVL_DEBUG, __VA_ARGS__)

#endif
