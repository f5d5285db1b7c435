#include "fanout.h"
static uint32_t h32(const uint8_t a[16])
{
	uint32_t h = 0;
	for (int i = 0; i < 16; i += 4)
		h = (h ^ ((uint32_t)a[i] << 24 | (uint32_t)a[i + 1] << 16 |
			  (uint32_t)a[i + 2] << 8 | a[i + 3])) * 0x9E3779B1u;
	return h ^ (h >> 16);
}
uint32_t fanout_hash(const struct fanout_site *s, const struct pkt_view *pv)
{
	int si = prefix_list_contains(s->internal, s->n_internal, pv->src);
	int di = prefix_list_contains(s->internal, s->n_internal, pv->dst);
	if (si && !di)
		return h32(pv->src);
	if (di && !si)
		return h32(pv->dst);
	return h32(pv->src) ^ h32(pv->dst);
}
void fanout_site_init(struct fanout_site *s, const struct prefix *internal,
		      uint32_t n)
{
	static const char *const private_ranges[] = {
		"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16",
		"100.64.0.0/10", "169.254.0.0/16", "fc00::/7", "fe80::/10",
	};
	uint32_t i;

	if (n > FANOUT_MAX_PREFIXES)
		n = FANOUT_MAX_PREFIXES;
	s->n_internal = 0;
	for (i = 0; i < n; i++)
		s->internal[s->n_internal++] = internal[i];
	if (n)
		return;
	for (i = 0; i < sizeof(private_ranges) / sizeof(private_ranges[0]); i++)
		if (prefix_parse(private_ranges[i], &s->internal[s->n_internal]) == PFX_OK)
			s->n_internal++;
}
