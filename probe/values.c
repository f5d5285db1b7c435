/*
 * values.c - the value grammar shared by the YAML loader and the command
 * line, and the prefix lookup the signature uses to tell inside hosts.
 */
#include "values.h"

#include <arpa/inet.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#define DAY 86400u

/* Plain decimal digits only: YAML's 0x, 0o, 1_000 and signs are refused. */
int value_parse_u64(const char *s, size_t len, uint64_t *v)
{
	uint64_t acc = 0;
	size_t i;

	if (len == 0 || len > 20)
		return -1;
	for (i = 0; i < len; i++) {
		unsigned d;

		if (s[i] < '0' || s[i] > '9')
			return -1;
		d = (unsigned)(s[i] - '0');
		if (acc > (UINT64_MAX - d) / 10)
			return -1;
		acc = acc * 10 + d;
	}
	*v = acc;
	return 0;
}

static size_t digits_len(const char *s)
{
	size_t n = 0;

	while (s[n] >= '0' && s[n] <= '9')
		n++;
	return n;
}

static int scale(uint64_t v, uint64_t mult, uint64_t *out)
{
	if (mult != 0 && v > UINT64_MAX / mult)
		return -1;
	*out = v * mult;
	return 0;
}

int value_parse_duration(const char *s, uint64_t *seconds)
{
	static const struct { char unit; uint64_t mult; } units[] = {
		{ 's', 1 }, { 'm', 60 }, { 'h', 3600 }, { 'd', DAY },
	};
	size_t n, i;
	uint64_t v;

	if (s == NULL)
		return -1;
	n = digits_len(s);
	if (value_parse_u64(s, n, &v) < 0)
		return -1;
	if (s[n] == '\0')
		return scale(v, 1, seconds);
	if (s[n + 1] != '\0')
		return -1;
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (s[n] == units[i].unit)
			return scale(v, units[i].mult, seconds);
	return -1;
}

/* K, M, G alone are binary (as in GNU dd); KB, MB, GB are decimal. */
int value_parse_size(const char *s, uint64_t *bytes)
{
	static const struct { const char *unit; uint64_t mult; } units[] = {
		{ "", 1 }, { "B", 1 },
		{ "k", 1ull << 10 }, { "K", 1ull << 10 }, { "KiB", 1ull << 10 },
		{ "kB", 1000 }, { "KB", 1000 },
		{ "M", 1ull << 20 }, { "MiB", 1ull << 20 }, { "MB", 1000000 },
		{ "G", 1ull << 30 }, { "GiB", 1ull << 30 },
		{ "GB", 1000000000 },
		{ "T", 1ull << 40 }, { "TiB", 1ull << 40 },
		{ "TB", 1000000000000ull },
	};
	size_t n, i;
	uint64_t v;

	if (s == NULL)
		return -1;
	n = digits_len(s);
	if (value_parse_u64(s, n, &v) < 0)
		return -1;
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (strcmp(s + n, units[i].unit) == 0)
			return scale(v, units[i].mult, bytes);
	return -1;
}


void addr_map_v4(uint8_t out[16], const uint8_t v4[4])
{
	memset(out, 0, 10);
	out[10] = 0xff;
	out[11] = 0xff;
	memcpy(out + 12, v4, 4);
}

int addr_is_v4_mapped(const uint8_t a[16])
{
	static const uint8_t pfx[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
					 0xff, 0xff };

	return memcmp(a, pfx, sizeof(pfx)) == 0;
}

int addr_parse(const char *s, uint8_t out[16])
{
	uint8_t v4[4];

	if (inet_pton(AF_INET, s, v4) == 1) {
		addr_map_v4(out, v4);
		return 4;
	}
	if (inet_pton(AF_INET6, s, out) == 1)
		return 6;
	return 0;
}

int prefix_contains(const struct prefix *p, const uint8_t addr[16])
{
	unsigned full = p->len / 8, rest = p->len % 8;

	if (p->len > 128 || memcmp(addr, p->addr, full) != 0)
		return 0;
	if (rest == 0)
		return 1;
	return ((addr[full] ^ p->addr[full]) & (0xff00u >> rest) & 0xff) == 0;
}

static int has_host_bits(const struct prefix *p)
{
	struct prefix net = *p;
	unsigned i;

	for (i = 0; i < 16; i++) {
		unsigned first = i * 8;

		if (first >= p->len)
			net.addr[i] = 0;
		else if (p->len - first < 8)
			net.addr[i] &= (uint8_t)(0xff00u >> (p->len - first));
	}
	return memcmp(net.addr, p->addr, 16) != 0;
}

enum prefix_err prefix_parse(const char *s, struct prefix *p)
{
	char addr[INET6_ADDRSTRLEN + 1];
	const char *slash = strchr(s, '/');
	size_t alen = slash ? (size_t)(slash - s) : strlen(s);
	uint64_t len;
	int family;

	if (alen >= sizeof(addr))
		return PFX_BAD_ADDR;
	memcpy(addr, s, alen);
	addr[alen] = '\0';
	family = addr_parse(addr, p->addr);
	if (family == 0)
		return PFX_BAD_ADDR;
	if (slash == NULL)
		len = family == 4 ? 32 : 128;
	else if (value_parse_u64(slash + 1, strlen(slash + 1), &len) < 0 ||
		 len > (family == 4 ? 32u : 128u))
		return family == 4 ? PFX_BAD_LEN4 : PFX_BAD_LEN6;
	p->len = (uint8_t)(family == 4 ? len + 96 : len);
	return has_host_bits(p) ? PFX_HOST_BITS : PFX_OK;
}

void addr_format(const uint8_t a[16], char *buf, size_t size)
{
	if (addr_is_v4_mapped(a))
		inet_ntop(AF_INET, a + 12, buf, (socklen_t)size);
	else
		inet_ntop(AF_INET6, a, buf, (socklen_t)size);
}

void prefix_format(const struct prefix *p, char *buf, size_t size)
{
	char addr[INET6_ADDRSTRLEN];
	int v4 = addr_is_v4_mapped(p->addr) && p->len >= 96;

	if (v4)
		inet_ntop(AF_INET, p->addr + 12, addr, sizeof(addr));
	else
		inet_ntop(AF_INET6, p->addr, addr, sizeof(addr));
	snprintf(buf, size, "%s/%u", addr, v4 ? p->len - 96u : p->len);
}

void value_format_duration(uint64_t s, char *buf, size_t size)
{
	if (s != 0 && s % DAY == 0)
		snprintf(buf, size, "%" PRIu64 "d", s / DAY);
	else if (s != 0 && s % 3600 == 0)
		snprintf(buf, size, "%" PRIu64 "h", s / 3600);
	else if (s != 0 && s % 60 == 0)
		snprintf(buf, size, "%" PRIu64 "m", s / 60);
	else
		snprintf(buf, size, "%" PRIu64 "s", s);
}

void value_format_size(uint64_t b, char *buf, size_t size)
{
	static const char *units[] = { "TiB", "GiB", "MiB", "KiB" };
	unsigned i;

	for (i = 0; i < 4; i++) {
		unsigned shift = 40 - 10 * i;

		if (b != 0 && b % (1ull << shift) == 0) {
			snprintf(buf, size, "%" PRIu64 "%s", b >> shift,
				 units[i]);
			return;
		}
	}
	snprintf(buf, size, "%" PRIu64, b);
}

int prefix_list_contains(const struct prefix *list, uint32_t n,
			 const uint8_t addr[16])
{
	for (uint32_t i = 0; i < n; i++)
		if (prefix_contains(&list[i], addr))
			return 1;
	return 0;
}

int addr_list_contains(const struct addr_list *l, const uint8_t addr[16])
{
	for (uint32_t i = 0; i < l->n && i < VALUES_MAX_ADDRS; i++)
		if (memcmp(l->addr[i], addr, 16) == 0)
			return 1;
	return 0;
}
