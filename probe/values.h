/*
 * values.h - the value grammar shared by the YAML loader (config.c) and the
 * command line (main.c): plain decimal numbers, durations ("30s", "5m",
 * "1h", "2d"), sizes ("64MiB", "1GB", "512k"), IPv4/IPv6 addresses and
 * prefixes, and the site's prefix lookup.  No state, no allocation.
 *
 * Addresses are kept in the 128-bit form the decoder uses: IPv4 as
 * v4-mapped IPv6 (::ffff:a.b.c.d), so one comparison serves both families.
 */
#ifndef SKYPROBE_VALUES_H
#define SKYPROBE_VALUES_H

#include <stddef.h>
#include <stdint.h>

#define VALUES_MAX_ADDRS 32

struct prefix {
	uint8_t addr[16];               /* IPv4 as v4-mapped */
	uint8_t len;                    /* in bits, over the 128-bit form */
};

/* A short fixed list of host addresses (login servers and the like). */
struct addr_list {
	uint32_t n;
	uint8_t  addr[VALUES_MAX_ADDRS][16];
};

enum prefix_err { PFX_OK, PFX_BAD_ADDR, PFX_BAD_LEN4, PFX_BAD_LEN6,
		  PFX_HOST_BITS };

/* Plain decimal digits only (no sign, base prefix or separators). */
int value_parse_u64(const char *s, size_t len, uint64_t *v);
/* "30s", "5m", "1h", "2d" or plain seconds.  0 on success. */
int value_parse_duration(const char *s, uint64_t *seconds);
/* "64MiB", "1GB", "512k" or plain bytes; K, M, G alone are binary (as in
 * GNU dd), KB, MB, GB decimal.  0 on success. */
int value_parse_size(const char *s, uint64_t *bytes);
/* The shortest exact unit: 90 -> "90s", 300 -> "5m", 0 -> "0s". */
void value_format_duration(uint64_t s, char *buf, size_t size);
/* The largest binary unit that divides: 65536 -> "64KiB". */
void value_format_size(uint64_t b, char *buf, size_t size);

/* Returns 4 or 6 for the family parsed, 0 if s is no address. */
int addr_parse(const char *s, uint8_t out[16]);
void addr_format(const uint8_t a[16], char *buf, size_t size);
void addr_map_v4(uint8_t out[16], const uint8_t v4[4]);
int addr_is_v4_mapped(const uint8_t a[16]);

/* "ADDR" or "ADDR/LEN"; an IPv4 prefix is stored with its length + 96. */
enum prefix_err prefix_parse(const char *s, struct prefix *p);
void prefix_format(const struct prefix *p, char *buf, size_t size);
int prefix_contains(const struct prefix *p, const uint8_t addr[16]);
/* Is addr inside one of the n prefixes?  With n = 0, no. */
int prefix_list_contains(const struct prefix *list, uint32_t n,
			 const uint8_t addr[16]);
/* Is addr one of the list's addresses? */
int addr_list_contains(const struct addr_list *l, const uint8_t addr[16]);

#endif
