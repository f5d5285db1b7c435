/*
 * capture.c - packet source through libpcap (files and live interfaces).
 *
 * Live captures are non-blocking, with our own poll() of at most
 * LIVE_READ_TIMEOUT_MS: libpcap's TPACKET_V3 reader may block without end
 * on a quiet link, whatever its read timeout.  So the main loop regains
 * control regularly (timeouts, statistics, export flushing run on wall
 * time) and a signal interrupts the wait.
 */
#include "capture.h"

#include <pcap/pcap.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LIVE_READ_TIMEOUT_MS 200

struct capture {
	pcap_t *p;
	int     live;
	int     linktype;
	char    source[256];
	char    err[PCAP_ERRBUF_SIZE + 300];
};

static int capture_set_filter(struct capture *c, const char *filter,
			      char *err, size_t errlen)
{
	struct bpf_program prog;

	if (!filter || !*filter)
		return 0;
	if (pcap_compile(c->p, &prog, filter, 1, PCAP_NETMASK_UNKNOWN) < 0) {
		snprintf(err, errlen, "bad filter '%s': %s", filter,
			 pcap_geterr(c->p));
		return -1;
	}
	if (pcap_setfilter(c->p, &prog) < 0) {
		snprintf(err, errlen, "cannot set filter on %s: %s",
			 c->source, pcap_geterr(c->p));
		pcap_freecode(&prog);
		return -1;
	}
	pcap_freecode(&prog);
	return 0;
}

static pcap_t *open_live(const struct capture_opts *o, char *err,
			 size_t errlen)
{
	char ebuf[PCAP_ERRBUF_SIZE] = "";
	pcap_t *p = pcap_create(o->interface, ebuf);
	int rc;

	if (!p) {
		snprintf(err, errlen, "interface %s: %s", o->interface, ebuf);
		return NULL;
	}
	pcap_set_snaplen(p, (int)o->snaplen);
	pcap_set_promisc(p, o->promiscuous);
	pcap_set_timeout(p, LIVE_READ_TIMEOUT_MS);
	if (o->buffer_size)
		pcap_set_buffer_size(p, (int)(o->buffer_size > INT32_MAX ?
					      INT32_MAX : o->buffer_size));
	rc = pcap_activate(p);
	if (rc >= 0 && pcap_setnonblock(p, 1, ebuf) < 0) {
		snprintf(err, errlen, "interface %s: %s", o->interface, ebuf);
		pcap_close(p);
		return NULL;
	}
	if (rc < 0) {
		snprintf(err, errlen, "interface %s: %s", o->interface,
			 rc == PCAP_ERROR_PERM_DENIED ?
			 "permission denied (run as root or grant CAP_NET_RAW)" :
			 rc == PCAP_ERROR_NO_SUCH_DEVICE ? "no such interface" :
			 pcap_geterr(p));
		pcap_close(p);
		return NULL;
	}
	return p;
}

struct capture *capture_open(const struct capture_opts *o, char *err,
			     size_t errlen)
{
	char ebuf[PCAP_ERRBUF_SIZE] = "";
	struct capture *c = calloc(1, sizeof(*c));

	if (!c) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (o->file && *o->file) {
		snprintf(c->source, sizeof(c->source), "%s",
			 strcmp(o->file, "-") ? o->file : "standard input");
		c->p = pcap_open_offline_with_tstamp_precision(o->file,
				PCAP_TSTAMP_PRECISION_MICRO, ebuf);
		if (!c->p)
			snprintf(err, errlen, "%s: %s", c->source, ebuf);
	} else if (o->interface && *o->interface) {
		snprintf(c->source, sizeof(c->source), "%s", o->interface);
		c->live = 1;
		c->p = open_live(o, err, errlen);
	} else {
		snprintf(err, errlen, "no capture source: give -r FILE or -i INTERFACE");
	}
	if (!c->p || capture_set_filter(c, o->filter, err, errlen) < 0) {
		capture_close(c);
		return NULL;
	}
	c->linktype = pcap_datalink(c->p);
	return c;
}

void capture_close(struct capture *c)
{
	if (!c)
		return;
	if (c->p)
		pcap_close(c->p);
	free(c);
}

int capture_linktype(const struct capture *c)
{
	return c->linktype;
}

const char *capture_linktype_name(const struct capture *c)
{
	const char *n = pcap_datalink_val_to_name(c->linktype);

	return n ? n : "unknown";
}

enum capture_status capture_next(struct capture *c, const uint8_t **data,
				 uint32_t *caplen, uint32_t *wirelen,
				 uint64_t *ts_us)
{
	struct pcap_pkthdr *h;
	const u_char *d;
	int rc = pcap_next_ex(c->p, &h, &d);

	switch (rc) {
	case 1:
		*data = d;
		*caplen = h->caplen;
		*wirelen = h->len;
		*ts_us = (uint64_t)h->ts.tv_sec * 1000000u +
			 (uint64_t)h->ts.tv_usec;
		return CAPTURE_PACKET;
	case 0:
		if (c->live) {
			struct pollfd pfd = {
				.fd = pcap_get_selectable_fd(c->p),
				.events = POLLIN,
			};

			poll(&pfd, 1, LIVE_READ_TIMEOUT_MS);
		}
		return CAPTURE_TIMEOUT;
	case PCAP_ERROR_BREAK:
		return c->live ? CAPTURE_TIMEOUT : CAPTURE_EOF;
	default:
		/* A truncated or corrupt file ends here, with libpcap's
		 * words for what was wrong. */
		snprintf(c->err, sizeof(c->err), "%s: %s", c->source,
			 pcap_geterr(c->p));
		return CAPTURE_ERROR;
	}
}

void capture_breakloop(struct capture *c)
{
	pcap_breakloop(c->p);
}

const char *capture_error(const struct capture *c)
{
	return c->err;
}

int capture_drops(struct capture *c, uint64_t *dropped, uint64_t *ifdropped)
{
	struct pcap_stat ps;

	*dropped = *ifdropped = 0;
	if (!c->live || pcap_stats(c->p, &ps) < 0)
		return -1;
	*dropped = ps.ps_drop;
	*ifdropped = ps.ps_ifdrop;
	return 0;
}

int capture_is_live(const struct capture *c)
{
	return c->live;
}

int capture_fd(const struct capture *c)
{
	return c->live ? pcap_get_selectable_fd(c->p) : -1;
}
