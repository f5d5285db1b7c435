/*
 * log.c - owns leveled logging: lines on stderr, or RFC 3164-style
 * datagrams ("<PRI>skyprobe[PID]: message", facility daemon) on an
 * AF_UNIX datagram socket we open ourselves, because glibc's syslog()
 * always sends to /dev/log and the tests need another path.  No timestamp
 * or host name: the syslog daemon adds both on receipt.
 */
#include "log.h"

#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <syslog.h>
#include <unistd.h>

#define MSG_MAX 1024

static const char *const level_names[] = {"error", "warning", "info",
					  "debug"};

static int syslog_priority(enum log_level level)
{
	switch (level) {
	case LOG_LVL_ERROR:   return LOG_ERR;
	case LOG_LVL_WARNING: return LOG_WARNING;
	case LOG_LVL_INFO:    return LOG_INFO;
	default:              return LOG_DEBUG;
	}
}

static int syslog_connect(const char *path)
{
	struct sockaddr_un sa;
	int fd, e;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

/* Syslog is unreachable: stderr for good, and say so there once. */
static void fall_back(struct logger *lg, int err)
{
	if (lg->fd >= 0)
		close(lg->fd);
	lg->fd = -1;
	lg->dest = LOG_DEST_STDERR;
	log_warn(lg, "syslog socket %s: %s; logging to stderr",
		 lg->socket_path, strerror(err));
}

static int send_dgram(int fd, const char *buf, size_t len)
{
	/* A daemon that is behind loses this message rather than stalling
	 * the capture (EAGAIN); the socket is ours, so no SIGPIPE either. */
	if (send(fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL) >= 0 ||
	    errno == EAGAIN)
		return 0;
	return -1;
}

static int send_syslog(struct logger *lg, enum log_level level,
		       const char *text)
{
	char buf[MSG_MAX + 64];
	int n;

	n = snprintf(buf, sizeof(buf), "<%d>skyprobe[%ld]: %s",
		     LOG_DAEMON | syslog_priority(level), (long)getpid(), text);
	if (n < 0)
		return -1;
	if ((size_t)n >= sizeof(buf))
		n = sizeof(buf) - 1;
	if (send_dgram(lg->fd, buf, (size_t)n) == 0)
		return 0;
	/* The daemon restarted and bound a new socket: connect again. */
	close(lg->fd);
	lg->fd = syslog_connect(lg->socket_path);
	if (lg->fd >= 0 && send_dgram(lg->fd, buf, (size_t)n) == 0)
		return 0;
	fall_back(lg, errno);
	return -1;
}

void log_open(struct logger *lg, enum log_level level, enum log_dest dest,
	      const char *socket_path)
{
	memset(lg, 0, sizeof(*lg));
	lg->level = level;
	lg->dest = dest;
	lg->fd = -1;
	lg->stream = stderr;
	snprintf(lg->socket_path, sizeof(lg->socket_path), "%s",
		 socket_path && *socket_path ? socket_path :
		 LOG_SOCKET_DEFAULT);
	if (dest != LOG_DEST_SYSLOG)
		return;
	lg->fd = syslog_connect(lg->socket_path);
	if (lg->fd < 0)
		fall_back(lg, errno);
}

/* By dest, not fd alone: a zeroed logger (stderr) has fd 0, stdin. */
void log_close(struct logger *lg)
{
	if (!lg || lg->dest != LOG_DEST_SYSLOG)
		return;
	if (lg->fd >= 0)
		close(lg->fd);
	lg->fd = -1;
	lg->dest = LOG_DEST_STDERR;
}

void log_msg(struct logger *lg, enum log_level level, const char *fmt, ...)
{
	char text[MSG_MAX];
	va_list ap;

	if (lg && level > lg->level)
		return;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (lg && lg->dest == LOG_DEST_SYSLOG &&
	    send_syslog(lg, level, text) == 0)
		return;
	fprintf(lg && lg->stream ? lg->stream : stderr, "skyprobe: %s: %s\n",
		level_names[level], text);
}

void log_lines(struct logger *lg, enum log_level level, const char *text)
{
	const char *nl;

	for (; text && *text; text = *nl ? nl + 1 : nl) {
		nl = strchrnul(text, '\n');
		if (nl > text)
			log_msg(lg, level, "%.*s", (int)(nl - text), text);
	}
}
