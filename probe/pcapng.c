/*
 * pcapng.c - pcapng reader with a link type per interface.
 *
 * Blocks (draft-ietf-opsawg-pcapng): a Section Header Block starts every
 * section and sets its byte order; Interface Description Blocks give each
 * interface its link type, snapshot length and timestamp resolution
 * (if_tsresol) and offset (if_tsoffset); Enhanced, Simple and obsolete
 * Packet Blocks carry packets.  Every other block is skipped.  A new
 * section forgets the interfaces of the one before, as the format says.
 *
 * Every length is checked against the block that holds it; the block
 * length against a ceiling and against its trailing copy.
 */
#include "pcapng.h"

#include <pcap/pcap.h>
#include <stdlib.h>
#include <string.h>

#define BT_IDB          0x00000001u
#define BT_PB           0x00000002u     /* obsolete Packet Block */
#define BT_SPB          0x00000003u
#define BT_EPB          0x00000006u
#define BOM             0x1A2B3C4Du
#define OPT_ENDOFOPT    0
#define OPT_IF_TSRESOL  9
#define OPT_IF_TSOFFSET 14
#define MIN_BLOCK       12u             /* type, length, trailing length */
/* libpcap's ceiling for a block. */
#define MAX_BLOCK       (16u * 1024u * 1024u)
#define MAX_INTERFACES  65536u

struct ng_if {
	int      linktype;
	uint32_t snaplen;
	uint64_t units;          /* timestamp units per second */
	int64_t  offset_s;       /* if_tsoffset */
	struct bpf_program prog;
	int      has_prog;
};

struct pcapng {
	FILE    *fp;
	uint8_t  prefix[4];
	size_t   prefix_len, prefix_off;
	int      swapped;
	uint8_t *buf;            /* the current block */
	size_t   cap;
	struct ng_if *ifs;
	uint32_t n_ifs, cap_ifs;
	int      first_linktype;
	char    *filter;
	char     source[256];
	char     err[PCAP_ERRBUF_SIZE + 300];
};

static uint32_t u32(const struct pcapng *r, const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return r->swapped ? __builtin_bswap32(v) : v;
}

static uint16_t u16(const struct pcapng *r, const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, 2);
	return r->swapped ? __builtin_bswap16(v) : v;
}

/* Read n bytes: the prefix first.  Returns the count read. */
static size_t rd(struct pcapng *r, uint8_t *dst, size_t n)
{
	size_t got = 0;

	while (got < n && r->prefix_off < r->prefix_len)
		dst[got++] = r->prefix[r->prefix_off++];
	if (got < n)
		got += fread(dst + got, 1, n - got, r->fp);
	return got;
}

static int fail(struct pcapng *r, const char *what)
{
	snprintf(r->err, sizeof(r->err), "%s: %s", r->source, what);
	return -1;
}

static int truncated(struct pcapng *r, size_t want, size_t got)
{
	if (ferror(r->fp))
		return fail(r, "read error");
	snprintf(r->err, sizeof(r->err), "%s: truncated pcapng dump file; "
		 "tried to read %zu bytes, only got %zu", r->source, want, got);
	return -1;
}

static int grow(struct pcapng *r, size_t n)
{
	uint8_t *b;

	if (n <= r->cap)
		return 0;
	b = realloc(r->buf, n);
	if (!b)
		return fail(r, "out of memory");
	r->buf = b;
	r->cap = n;
	return 0;
}

static void forget_interfaces(struct pcapng *r)
{
	for (uint32_t i = 0; i < r->n_ifs; i++)
		if (r->ifs[i].has_prog)
			pcap_freecode(&r->ifs[i].prog);
	r->n_ifs = 0;
}

/*
 * Read one whole block into r->buf (header and trailer included) and
 * return its type in *type and length in *len.  Returns 1, 0 at a clean
 * end of file, -1 on error.
 */
static int read_block(struct pcapng *r, uint32_t *type, uint32_t *len)
{
	uint8_t hdr[12];
	size_t got, hl = 8;

	if (grow(r, 64) < 0)
		return -1;
	got = rd(r, hdr, 8);
	if (got == 0 && !ferror(r->fp))
		return 0;
	if (got < 8)
		return truncated(r, 8, got);
	memcpy(type, hdr, 4);           /* the SHB type reads the same
					   either way */
	if (*type == PCAPNG_SHB_TYPE) {
		uint32_t bom;

		got = rd(r, hdr + 8, 4);
		if (got < 4)
			return truncated(r, 4, got);
		memcpy(&bom, hdr + 8, 4);
		if (bom == BOM)
			r->swapped = 0;
		else if (bom == __builtin_bswap32(BOM))
			r->swapped = 1;
		else
			return fail(r, "pcapng section header has a bad "
				    "byte-order magic");
		hl = 12;
	} else {
		*type = u32(r, hdr);
	}
	*len = u32(r, hdr + 4);
	if (*len < MIN_BLOCK || *len % 4 || *len > MAX_BLOCK || *len < hl) {
		snprintf(r->err, sizeof(r->err), "%s: pcapng block of type "
			 "0x%08x has a bad length %u", r->source, *type, *len);
		return -1;
	}
	if (grow(r, *len) < 0)
		return -1;
	memcpy(r->buf, hdr, hl);
	got = rd(r, r->buf + hl, *len - hl);
	if (got < *len - hl)
		return truncated(r, *len - hl, got);
	if (u32(r, r->buf + *len - 4) != *len)
		return fail(r, "pcapng block lengths at its start and end "
			    "differ");
	return 1;
}

static int section_header(struct pcapng *r, uint32_t len)
{
	if (len < 28)
		return fail(r, "pcapng section header too short");
	if (u16(r, r->buf + 12) != 1)
		return fail(r, "pcapng section of a major version other than 1");
	forget_interfaces(r);
	return 0;
}

static uint64_t pow_u64(uint64_t b, unsigned e)
{
	uint64_t v = 1;

	while (e--)
		v *= b;
	return v;
}

/* The options of an IDB: timestamp resolution and offset. */
static int idb_options(struct pcapng *r, struct ng_if *in, const uint8_t *p,
		       const uint8_t *end)
{
	while (p + 4 <= end) {
		uint16_t code = u16(r, p), olen = u16(r, p + 2);
		const uint8_t *v = p + 4;

		if (code == OPT_ENDOFOPT)
			break;
		if ((size_t)(end - v) < olen)
			return fail(r, "pcapng interface option runs past "
				    "its block");
		if (code == OPT_IF_TSRESOL && olen >= 1) {
			unsigned e = v[0] & 0x7f;

			if (v[0] & 0x80 ? e > 63 : e > 19)
				return fail(r, "pcapng interface has a "
					    "timestamp resolution too fine");
			in->units = v[0] & 0x80 ? (uint64_t)1 << e :
				    pow_u64(10, e);
		} else if (code == OPT_IF_TSOFFSET && olen >= 8) {
			uint64_t raw;

			/* A 64-bit value in the section's byte order. */
			memcpy(&raw, v, 8);
			in->offset_s = (int64_t)(r->swapped ?
						 __builtin_bswap64(raw) : raw);
		}
		p = v + ((olen + 3u) & ~3u);
	}
	return 0;
}

/* libpcap takes DLT_ values; LINKTYPE_RAW is the one of ours that
 * differs. */
static int compile_for(const struct pcapng *r, int linktype, uint32_t snaplen,
		       struct bpf_program *prog, char *msg, size_t msglen)
{
	pcap_t *dead = pcap_open_dead(linktype == 101 ? DLT_RAW : linktype,
				      snaplen ? (int)snaplen : 262144);
	int rc;

	if (!dead) {
		snprintf(msg, msglen, "out of memory");
		return -1;
	}
	rc = pcap_compile(dead, prog, r->filter, 1, PCAP_NETMASK_UNKNOWN);
	if (rc < 0)
		snprintf(msg, msglen, "%s", pcap_geterr(dead));
	pcap_close(dead);
	return rc;
}

/*
 * The filter for one interface.  libpcap refuses an expression that can
 * match nothing on a link type ("ip" on LINKTYPE_IPV6): when it compiles
 * for raw IP, the interface's packets are all filtered out instead.
 */
static int compile_filter(struct pcapng *r, struct ng_if *in)
{
	char msg[PCAP_ERRBUF_SIZE + 64], other[PCAP_ERRBUF_SIZE + 64];
	static struct bpf_insn reject = BPF_STMT(BPF_RET | BPF_K, 0);

	if (compile_for(r, in->linktype, in->snaplen, &in->prog, msg,
			sizeof(msg)) == 0) {
		in->has_prog = 1;
		return 0;
	}
	if (compile_for(r, DLT_RAW, 0, &in->prog, other, sizeof(other)) < 0) {
		snprintf(r->err, sizeof(r->err), "bad filter '%s': %s",
			 r->filter, msg);
		return -1;
	}
	pcap_freecode(&in->prog);
	in->prog.bf_len = 1;
	in->prog.bf_insns = malloc(sizeof(reject));
	if (!in->prog.bf_insns)
		return fail(r, "out of memory");
	memcpy(in->prog.bf_insns, &reject, sizeof(reject));
	in->has_prog = 1;
	return 0;
}

static int interface_block(struct pcapng *r, uint32_t len)
{
	struct ng_if *in;

	if (len < 20)
		return fail(r, "pcapng interface description too short");
	if (r->n_ifs == MAX_INTERFACES)
		return fail(r, "pcapng file with too many interfaces");
	if (r->n_ifs == r->cap_ifs) {
		uint32_t n = r->cap_ifs ? r->cap_ifs * 2 : 4;
		struct ng_if *ifs = realloc(r->ifs, n * sizeof(*ifs));

		if (!ifs)
			return fail(r, "out of memory");
		r->ifs = ifs;
		r->cap_ifs = n;
	}
	in = &r->ifs[r->n_ifs];
	memset(in, 0, sizeof(*in));
	in->linktype = u16(r, r->buf + 8);
	in->snaplen = u32(r, r->buf + 12);
	in->units = 1000000u;
	if (idb_options(r, in, r->buf + 16, r->buf + len - 4) < 0)
		return -1;
	if (r->filter && compile_filter(r, in) < 0)
		return -1;
	if (r->first_linktype < 0)
		r->first_linktype = in->linktype;
	r->n_ifs++;
	return 0;
}

static uint64_t to_us(const struct ng_if *in, uint64_t ts)
{
	uint64_t s = ts / in->units, frac = ts % in->units;
	int64_t sec = (int64_t)s + in->offset_s;

	if (sec < 0)
		sec = 0;
	return (uint64_t)sec * 1000000u +
	       (uint64_t)(((unsigned __int128)frac * 1000000u) / in->units);
}

/* Fill pk from a packet block; 1 when it is one, 0 to skip, -1 error. */
static int packet_block(struct pcapng *r, uint32_t type, uint32_t len,
			struct capture_pkt *pk)
{
	const uint8_t *b = r->buf;
	uint32_t ifid, caplen, origlen, body = len - MIN_BLOCK, fixed;
	uint64_t ts = 0;
	const struct ng_if *in;

	switch (type) {
	case BT_EPB:
	case BT_PB:
		fixed = 20;
		if (body < fixed)
			return fail(r, "pcapng packet block too short");
		ifid = type == BT_EPB ? u32(r, b + 8) : u16(r, b + 8);
		ts = (uint64_t)u32(r, b + 12) << 32 | u32(r, b + 16);
		caplen = u32(r, b + 20);
		origlen = u32(r, b + 24);
		break;
	case BT_SPB:
		fixed = 4;
		if (body < fixed)
			return fail(r, "pcapng simple packet block too short");
		ifid = 0;
		origlen = u32(r, b + 8);
		caplen = origlen;
		if (caplen > body - fixed)
			caplen = body - fixed;
		break;
	default:
		return 0;
	}
	if (ifid >= r->n_ifs) {
		snprintf(r->err, sizeof(r->err), "%s: a pcapng packet block "
			 "names interface %u, of %u described", r->source,
			 ifid, r->n_ifs);
		return -1;
	}
	in = &r->ifs[ifid];
	if (caplen > body - fixed) {
		snprintf(r->err, sizeof(r->err), "%s: a pcapng packet block "
			 "holds %u bytes, says %u", r->source, body - fixed,
			 caplen);
		return -1;
	}
	if (in->snaplen && caplen > in->snaplen)
		caplen = in->snaplen;
	pk->data = b + 8 + fixed;
	pk->caplen = caplen;
	pk->wirelen = origlen < caplen ? caplen : origlen;
	pk->ts_us = type == BT_SPB ? 0 : to_us(in, ts);
	pk->linktype = in->linktype;
	if (in->has_prog) {
		struct pcap_pkthdr h = {
			.caplen = pk->caplen,
			.len = pk->wirelen,
		};

		h.ts.tv_sec = (time_t)(pk->ts_us / 1000000u);
		h.ts.tv_usec = (suseconds_t)(pk->ts_us % 1000000u);
		if (!pcap_offline_filter(&in->prog, &h, pk->data))
			return 0;
	}
	return 1;
}

/* Interface and section blocks are taken in; 0 for every other block. */
static int control_block(struct pcapng *r, uint32_t type, uint32_t len)
{
	if (type == PCAPNG_SHB_TYPE)
		return section_header(r, len);
	if (type == BT_IDB)
		return interface_block(r, len);
	return 0;
}

struct pcapng *pcapng_open(FILE *fp, const uint8_t *prefix, size_t prefix_len,
			   const char *source, const char *filter,
			   char *err, size_t errlen)
{
	struct pcapng *r = calloc(1, sizeof(*r));
	uint32_t type, len;
	int rc;

	if (!r) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	r->fp = fp;
	r->first_linktype = -1;
	if (prefix_len > sizeof(r->prefix))
		prefix_len = sizeof(r->prefix);
	memcpy(r->prefix, prefix, prefix_len);
	r->prefix_len = prefix_len;
	snprintf(r->source, sizeof(r->source), "%s", source);
	if (filter && *filter && !(r->filter = strdup(filter))) {
		snprintf(err, errlen, "out of memory");
		free(r);
		return NULL;
	}
	rc = read_block(r, &type, &len);
	if (rc > 0 && type != PCAPNG_SHB_TYPE)
		rc = fail(r, "not a pcapng file");
	/* Up to the first interface: the file's link type. */
	while (rc > 0 && r->first_linktype < 0) {
		if (type == BT_EPB || type == BT_SPB || type == BT_PB) {
			rc = fail(r, "a pcapng packet block comes before any "
				  "interface description");
			break;
		}
		if (control_block(r, type, len) < 0)
			rc = -1;
		else if (r->first_linktype < 0)
			rc = read_block(r, &type, &len);
	}
	if (rc == 0)
		fail(r, "the pcapng file has no interface description block");
	if (rc <= 0) {
		snprintf(err, errlen, "%s", r->err);
		r->fp = NULL;   /* the caller's */
		pcapng_close(r);
		return NULL;
	}
	return r;
}

void pcapng_close(struct pcapng *r)
{
	if (!r)
		return;
	forget_interfaces(r);
	if (r->fp && r->fp != stdin)
		fclose(r->fp);
	free(r->ifs);
	free(r->buf);
	free(r->filter);
	free(r);
}

int pcapng_first_linktype(const struct pcapng *r)
{
	return r->first_linktype;
}

enum capture_status pcapng_next(struct pcapng *r, struct capture_pkt *pk)
{
	uint32_t type, len;
	int rc;

	for (;;) {
		rc = read_block(r, &type, &len);
		if (rc == 0)
			return CAPTURE_EOF;
		if (rc < 0 || control_block(r, type, len) < 0)
			return CAPTURE_ERROR;
		rc = packet_block(r, type, len, pk);
		if (rc < 0)
			return CAPTURE_ERROR;
		if (rc > 0)
			return CAPTURE_PACKET;
	}
}

const char *pcapng_error(const struct pcapng *r)
{
	return r->err;
}

FILE *pcapng_stream(const struct pcapng *r)
{
	return r->fp;
}
