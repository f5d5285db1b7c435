/*
 * log.h - owns leveled logging: to stderr, or as RFC 3164-style datagrams
 * to a syslog socket (/dev/log by default), and the level and destination
 * value types the configuration stores.
 *
 * The logger is a value owned by main and handed to the modules that need
 * it, so there is no hidden global state; a NULL logger writes to stderr.
 * This header includes no other project header: config.h includes it.
 */
#ifndef SKYPROBE_LOG_H
#define SKYPROBE_LOG_H

#include <stdio.h>

/* LOG_DEST_, LOG_LVL_: <syslog.h> owns LOG_* (LOG_SYSLOG is 5 << 3). */
enum log_dest { LOG_DEST_STDERR, LOG_DEST_SYSLOG };
enum log_level { LOG_LVL_ERROR, LOG_LVL_WARNING, LOG_LVL_INFO, LOG_LVL_DEBUG };

#define LOG_SOCKET_DEFAULT "/dev/log"
#define LOG_SOCKET_MAX     108          /* sizeof sun_path, with its NUL */

struct logger {
	enum log_level level;
	enum log_dest  dest;
	int   fd;                       /* LOG_DEST_SYSLOG: connected socket */
	FILE *stream;                   /* LOG_DEST_STDERR: stderr */
	char  socket_path[LOG_SOCKET_MAX];
};

/*
 * socket_path: where syslog datagrams go (NULL or "" = /dev/log).  A
 * socket that cannot be reached makes the logger write to stderr, after
 * one warning there.
 */
void log_open(struct logger *lg, enum log_level level, enum log_dest dest,
	      const char *socket_path);
void log_close(struct logger *lg);
void log_msg(struct logger *lg, enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Each line of text (a memstream's report) as one message. */
void log_lines(struct logger *lg, enum log_level level, const char *text);

#define log_error(lg, ...) log_msg((lg), LOG_LVL_ERROR, __VA_ARGS__)
#define log_warn(lg, ...)  log_msg((lg), LOG_LVL_WARNING, __VA_ARGS__)
#define log_info(lg, ...)  log_msg((lg), LOG_LVL_INFO, __VA_ARGS__)
#define log_debug(lg, ...) log_msg((lg), LOG_LVL_DEBUG, __VA_ARGS__)

#endif
