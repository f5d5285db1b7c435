/* fanout.h - placeholder until the ring branch lands (same interface). */
#ifndef SKYPROBE_FANOUT_H
#define SKYPROBE_FANOUT_H
#include <stdint.h>
#include "decode.h"
#include "values.h"
#define FANOUT_MAX_PREFIXES 64
struct fanout_site {
	uint32_t n_internal;
	struct prefix internal[FANOUT_MAX_PREFIXES];
};
uint32_t fanout_hash(const struct fanout_site *s, const struct pkt_view *pv);

/* The site's inside prefixes; without any, the private and link-local
 * ranges (RFC 1918, RFC 6598, RFC 3927, RFC 4193, RFC 4291 fe80::/10):
 * a client behind NAT or on a LAN capture is then still the key. */
void fanout_site_init(struct fanout_site *s, const struct prefix *internal,
		      uint32_t n);
#endif
