/*
 * fanout.c - the worker key, in C and as classic BPF (see fanout.h).
 *
 * The hash is one cBPF can compute with its 32-bit ALU: the address's
 * four big-endian words folded as h = (h ^ w) * K, then h ^= h >> 16 so
 * that the high bits the multiplication mixed reach the low bits a small
 * modulus keeps.  An IPv4 address is its v4-mapped form: its first three
 * words are constant, so the program starts from their folded value.
 * The pair hash is hash(src) ^ hash(dst): the same both ways.
 *
 * The program keeps the addresses in scratch memory M[0..7] (src words,
 * dst words), the inside flags in M[8], the source's hash in M[9].
 * Conditional jumps reach 255 instructions at most: every long jump is a
 * BPF_JA (32-bit offset).
 */
#include "fanout.h"

#include <linux/filter.h>
#include <string.h>

#define HASH_K          0x9E3779B1u     /* 2^32 / golden ratio, odd */

#define ETHERTYPE_IPV4  0x0800
#define ETHERTYPE_IPV6  0x86dd
#define ETHERTYPE_VLAN  0x8100
#define ETHERTYPE_QINQ  0x88a8
#define ETHERTYPE_QINQ_OLD 0x9100
#define VLAN_TAGS       8       /* as decode.c's MAX_VLAN_TAGS */
#define ETHERTYPE_MPLS_UC 0x8847
#define ETHERTYPE_MPLS_MC 0x8848
#define ETHERTYPE_PPPOE 0x8864  /* session stage */
#define PPPOE_HLEN      8       /* session header and PPP protocol */
#define PPP_IPV4        0x0021
#define PPP_IPV6        0x0057
#define MPLS_LABELS     16      /* as decode.c's MAX_MPLS_LABELS */

#define M_SRC   0
#define M_DST   4
#define M_FLAGS 8
#define M_HASH  9

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static uint32_t fold(uint32_t h, uint32_t w)
{
	return (h ^ w) * HASH_K;
}

static uint32_t addr_hash(const uint8_t a[16])
{
	uint32_t h = 0;

	for (int i = 0; i < 4; i++)
		h = fold(h, be32(a + 4 * i));
	return h ^ h >> 16;
}

/* Is a inside one of the site's prefixes?  Only those its first byte
 * allows are compared, as masked words in memory order: the form
 * fanout_site_init() prepared them in, so a site must come from it. */
static int inside(const struct fanout_site *s, const uint8_t a[16])
{
	static const uint8_t v4_mapped[12] = {
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	uint64_t cand = memcmp(a, v4_mapped, 12) == 0 ? s->v4_first[a[12]] :
							 s->v6_first[a[0]];
	uint32_t w[4];

	if (!cand)
		return 0;
	memcpy(w, a, 16);
	do {
		unsigned i = (unsigned)__builtin_ctzll(cand);

		if ((((w[0] ^ s->net[i][0]) & s->mask[i][0]) |
		     ((w[1] ^ s->net[i][1]) & s->mask[i][1]) |
		     ((w[2] ^ s->net[i][2]) & s->mask[i][2]) |
		     ((w[3] ^ s->net[i][3]) & s->mask[i][3])) == 0)
			return 1;
		cand &= cand - 1;
	} while (cand);
	return 0;
}

uint32_t fanout_hash(const struct fanout_site *s, const struct pkt_view *pv)
{
	/* no prefixes (NULL or zeroed site): the pair, nothing to compare */
	int any = s && s->n_internal;
	int in_src, in_dst;

	if (pv->ip_version != 4 && pv->ip_version != 6)
		return 0;
	in_src = any && inside(s, pv->src);
	in_dst = any && inside(s, pv->dst);
	if (in_src && !in_dst)
		return addr_hash(pv->src);
	if (in_dst && !in_src)
		return addr_hash(pv->dst);
	return addr_hash(pv->src) ^ addr_hash(pv->dst);
}

/* ---- the program ---------------------------------------------------- */

#define MAX_LABELS 96
#define NO_LABEL   (-1)

/*
 * An emitter: jumps name labels, resolved once the program is complete
 * (all are forward).  tgt_* hold the label of each jump field.
 */
struct em {
	struct sock_filter *p;
	unsigned max, n;
	int err;
	int nlabels;
	unsigned lab[MAX_LABELS];
	int16_t tgt_k[FANOUT_MAX_INSNS];
	int8_t  tgt_t[FANOUT_MAX_INSNS];
	int8_t  tgt_f[FANOUT_MAX_INSNS];
};

static int label(struct em *e)
{
	if (e->nlabels == MAX_LABELS) {
		e->err = 1;
		return 0;
	}
	e->lab[e->nlabels] = ~0u;
	return e->nlabels++;
}

static void here(struct em *e, int l)
{
	e->lab[l] = e->n;
}

static void emit(struct em *e, uint16_t code, uint32_t k, int jt, int jf,
		 int kl)
{
	if (e->n >= e->max || e->n >= FANOUT_MAX_INSNS) {
		e->err = 1;
		return;
	}
	e->p[e->n] = (struct sock_filter){ code, 0, 0, k };
	e->tgt_t[e->n] = (int8_t)jt;
	e->tgt_f[e->n] = (int8_t)jf;
	e->tgt_k[e->n] = (int16_t)kl;
	e->n++;
}

static void stmt(struct em *e, uint16_t code, uint32_t k)
{
	emit(e, code, k, NO_LABEL, NO_LABEL, NO_LABEL);
}

static void ja(struct em *e, int l)
{
	emit(e, BPF_JMP | BPF_JA, 0, NO_LABEL, NO_LABEL, l);
}

/* if (A == k) goto t else goto f; NO_LABEL: the next instruction. */
static void jeq(struct em *e, uint32_t k, int t, int f)
{
	emit(e, BPF_JMP | BPF_JEQ | BPF_K, k, t, f, NO_LABEL);
}

/* Same, but jt/jf given as plain offsets. */
static void jeq_off(struct em *e, uint32_t k, unsigned jt, unsigned jf)
{
	emit(e, BPF_JMP | BPF_JEQ | BPF_K, k, NO_LABEL, NO_LABEL, NO_LABEL);
	if (!e->err) {
		e->p[e->n - 1].jt = (uint8_t)jt;
		e->p[e->n - 1].jf = (uint8_t)jf;
	}
}

static void resolve(struct em *e)
{
	for (unsigned i = 0; i < e->n && !e->err; i++) {
		struct sock_filter *f = &e->p[i];
		unsigned d;

		if (e->tgt_k[i] != NO_LABEL) {
			if (e->lab[e->tgt_k[i]] <= i)
				e->err = 1;
			f->k = e->lab[e->tgt_k[i]] - i - 1;
		}
		if (e->tgt_t[i] != NO_LABEL) {
			d = e->lab[e->tgt_t[i]] - i - 1;
			if (e->lab[e->tgt_t[i]] <= i || d > 255)
				e->err = 1;
			f->jt = (uint8_t)d;
		}
		if (e->tgt_f[i] != NO_LABEL) {
			d = e->lab[e->tgt_f[i]] - i - 1;
			if (e->lab[e->tgt_f[i]] <= i || d > 255)
				e->err = 1;
			f->jf = (uint8_t)d;
		}
	}
}

/* Bits [from, from + 32) of a prefix of len bits, as a word mask. */
static uint32_t word_mask(unsigned len, unsigned from)
{
	if (len <= from)
		return 0;
	if (len >= from + 32)
		return 0xffffffffu;
	return ~(0xffffffffu >> (len - from));
}

/*
 * Jump to `in` when the address at M[base..base+3] is inside one of the
 * prefixes, else fall through.  v4: the packet is IPv4, so only word 3
 * varies and a prefix's bits over the constant v4-mapped head are decided
 * here, as prefix_contains() would decide them.
 */
static void test_inside(struct em *e, const struct fanout_site *s,
			unsigned base, int v4, int in)
{
	static const uint8_t mapped[12] = {0,0,0,0,0,0,0,0,0,0,0xff,0xff};

	for (uint32_t i = 0; i < s->n_internal; i++) {
		const struct prefix *p = &s->internal[i];
		unsigned len = p->len, words, w, size;

		if (len > 128)
			continue;               /* contains nothing */
		if (v4) {
			struct prefix head = *p;
			uint32_t m;

			memcpy(head.addr, mapped, 12);
			head.len = (uint8_t)(len < 96 ? len : 96);
			if (!prefix_contains(&head, p->addr))
				continue;       /* no IPv4 address inside */
			if (len <= 96) {
				ja(e, in);      /* every IPv4 address inside */
				continue;
			}
			m = word_mask(len, 96);
			stmt(e, BPF_LD | BPF_MEM, base + 3);
			stmt(e, BPF_ALU | BPF_AND | BPF_K, m);
			jeq_off(e, be32(p->addr + 12) & m, 0, 1);
			ja(e, in);
			continue;
		}
		words = (len + 31) / 32;
		/* block size after each jeq: the words left, then the ja */
		size = 0;
		for (w = 0; w < words; w++)
			size += word_mask(len, 32 * w) == 0xffffffffu ? 2 : 3;
		size += 1;
		for (w = 0; w < words; w++) {
			uint32_t m = word_mask(len, 32 * w);

			stmt(e, BPF_LD | BPF_MEM, base + w);
			size--;
			if (m != 0xffffffffu) {
				stmt(e, BPF_ALU | BPF_AND | BPF_K, m);
				size--;
			}
			size--;                 /* the jeq */
			jeq_off(e, be32(p->addr + 4 * w) & m, 0, size);
		}
		ja(e, in);
	}
}

/* A = hash of the address at M[base..]. */
static void emit_hash(struct em *e, unsigned base, int v4)
{
	if (v4) {
		uint32_t c = fold(fold(fold(0, 0), 0), 0x0000ffffu);

		stmt(e, BPF_LD | BPF_MEM, base + 3);
		stmt(e, BPF_ALU | BPF_XOR | BPF_K, c);
		stmt(e, BPF_ALU | BPF_MUL | BPF_K, HASH_K);
	} else {
		stmt(e, BPF_LD | BPF_MEM, base);
		stmt(e, BPF_ALU | BPF_MUL | BPF_K, HASH_K);
		for (unsigned w = 1; w < 4; w++) {
			stmt(e, BPF_MISC | BPF_TAX, 0);
			stmt(e, BPF_LD | BPF_MEM, base + w);
			stmt(e, BPF_ALU | BPF_XOR | BPF_X, 0);
			stmt(e, BPF_ALU | BPF_MUL | BPF_K, HASH_K);
		}
	}
	stmt(e, BPF_MISC | BPF_TAX, 0);
	stmt(e, BPF_ALU | BPF_RSH | BPF_K, 16);
	stmt(e, BPF_ALU | BPF_XOR | BPF_X, 0);
}

/* From the addresses in M[] to the return value. */
static void emit_tail(struct em *e, const struct fanout_site *s, int v4)
{
	int src_in = label(e), src_done = label(e), dst_in = label(e),
	    dst_done = label(e), hs = label(e), hd = label(e),
	    pair = label(e);

	if (s && s->n_internal) {
		stmt(e, BPF_LD | BPF_IMM, 0);
		stmt(e, BPF_ST, M_FLAGS);
		test_inside(e, s, M_SRC, v4, src_in);
		ja(e, src_done);
		here(e, src_in);
		stmt(e, BPF_LD | BPF_IMM, 1);
		stmt(e, BPF_ST, M_FLAGS);
		here(e, src_done);
		test_inside(e, s, M_DST, v4, dst_in);
		ja(e, dst_done);
		here(e, dst_in);
		stmt(e, BPF_LD | BPF_MEM, M_FLAGS);
		stmt(e, BPF_ALU | BPF_OR | BPF_K, 2);
		stmt(e, BPF_ST, M_FLAGS);
		here(e, dst_done);
		stmt(e, BPF_LD | BPF_MEM, M_FLAGS);
		jeq(e, 1, hs, NO_LABEL);
		jeq(e, 2, hd, pair);
		here(e, hs);
		emit_hash(e, M_SRC, v4);
		stmt(e, BPF_RET | BPF_A, 0);
		here(e, hd);
		emit_hash(e, M_DST, v4);
		stmt(e, BPF_RET | BPF_A, 0);
	}
	here(e, pair);
	emit_hash(e, M_SRC, v4);
	stmt(e, BPF_ST, M_HASH);
	emit_hash(e, M_DST, v4);
	stmt(e, BPF_MISC | BPF_TAX, 0);
	stmt(e, BPF_LD | BPF_MEM, M_HASH);
	stmt(e, BPF_ALU | BPF_XOR | BPF_X, 0);
	stmt(e, BPF_RET | BPF_A, 0);
}

/* ld [x + off] of the IP header, as word, half or byte. */
static void ld_ip(struct em *e, uint16_t size, int skb, uint32_t off)
{
	stmt(e, BPF_LD | size | BPF_IND,
	     skb ? (uint32_t)SKF_NET_OFF + off : off);
}

/* X += k: the IP header is k bytes further on. */
static void x_add(struct em *e, uint32_t k)
{
	stmt(e, BPF_MISC | BPF_TXA, 0);
	stmt(e, BPF_ALU | BPF_ADD | BPF_K, k);
	stmt(e, BPF_MISC | BPF_TAX, 0);
}

/*
 * A = the ethertype after the tags, X = the offset of what follows it.
 * PPPoE sessions (DSL access networks) and MPLS label stacks, read as
 * decode.c reads them: the IP header after PPPoE's 8 bytes as its PPP
 * protocol says; after an MPLS stack's bottom label (at most
 * MPLS_LABELS), by its version nibble.  Then to v4chk / v6chk with X at
 * the IP header; anything else, ret0.
 */
static void emit_tunnels(struct em *e, int skb, int v4chk, int v6chk,
			 int ret0)
{
	int pppoe = label(e), mpls = label(e), mpls_ip = label(e);
	int bos[MPLS_LABELS];

	jeq(e, ETHERTYPE_PPPOE, pppoe, NO_LABEL);
	jeq(e, ETHERTYPE_MPLS_UC, mpls, NO_LABEL);
	jeq(e, ETHERTYPE_MPLS_MC, mpls, ret0);

	here(e, pppoe);
	ld_ip(e, BPF_H, skb, 6);
	stmt(e, BPF_ST, M_HASH);
	x_add(e, PPPOE_HLEN);
	stmt(e, BPF_LD | BPF_MEM, M_HASH);
	jeq(e, PPP_IPV4, v4chk, NO_LABEL);
	jeq(e, PPP_IPV6, v6chk, ret0);

	here(e, mpls);
	for (unsigned i = 0; i < MPLS_LABELS; i++) {
		bos[i] = label(e);
		ld_ip(e, BPF_B, skb, 4 * i + 2);
		stmt(e, BPF_ALU | BPF_AND | BPF_K, 0x01);
		jeq(e, 1, bos[i], NO_LABEL);
	}
	ja(e, ret0);
	for (unsigned i = 0; i < MPLS_LABELS; i++) {
		here(e, bos[i]);
		x_add(e, 4 * (i + 1));
		ja(e, mpls_ip);
	}
	here(e, mpls_ip);
	ld_ip(e, BPF_B, skb, 0);
	stmt(e, BPF_ALU | BPF_RSH | BPF_K, 4);
	jeq(e, 4, v4chk, NO_LABEL);
	jeq(e, 6, v6chk, ret0);
}

int fanout_cbpf_build(const struct fanout_site *s, int link_offset,
		      struct sock_filter *prog, unsigned max, unsigned *len)
{
	struct em e;
	int skb = link_offset == FANOUT_LINK_SKB;
	int v4, v6, v4chk, v6chk, ret0, et;

	*len = 0;
	if ((s && s->n_internal > FANOUT_MAX_PREFIXES) ||
	    (link_offset < 0 && !skb) || link_offset > 0xffff)
		return -1;
	memset(&e, 0, sizeof(e));
	e.p = prog;
	e.max = max;
	v4 = label(&e);
	v6 = label(&e);
	v4chk = label(&e);
	v6chk = label(&e);
	ret0 = label(&e);
	et = label(&e);

	/* X = offset of the IP header (from the network header, or from
	 * the frame's start); A = its ethertype. */
	stmt(&e, BPF_LDX | BPF_IMM, skb ? 0 : (uint32_t)link_offset);
	if (!skb && link_offset == 0) {
		/* raw IP: the version nibble says which */
		stmt(&e, BPF_LD | BPF_B | BPF_ABS, 0);
		stmt(&e, BPF_ALU | BPF_RSH | BPF_K, 4);
		jeq(&e, 4, v4, NO_LABEL);
		jeq(&e, 6, v6, ret0);
	} else {
		if (skb)
			stmt(&e, BPF_LD | BPF_W | BPF_ABS,
			     (uint32_t)SKF_AD_OFF + SKF_AD_PROTOCOL);
		else if (link_offset < 2)
			return -1;
		else
			stmt(&e, BPF_LD | BPF_H | BPF_ABS,
			     (uint32_t)link_offset - 2);
		/* in-band tags: each moves the IP header 4 bytes on */
		for (unsigned t = 1; t <= VLAN_TAGS; t++) {
			int tag = label(&e);

			jeq(&e, ETHERTYPE_VLAN, tag, NO_LABEL);
			jeq(&e, ETHERTYPE_QINQ, tag, NO_LABEL);
			jeq(&e, ETHERTYPE_QINQ_OLD, tag, et);
			here(&e, tag);
			stmt(&e, BPF_LDX | BPF_IMM,
			     (skb ? 0 : (uint32_t)link_offset) + 4 * t);
			/* the next type: the tag's last two bytes */
			stmt(&e, BPF_LD | BPF_H | BPF_ABS,
			     (skb ? (uint32_t)SKF_NET_OFF :
				    (uint32_t)link_offset) + 4 * t - 2);
		}
		here(&e, et);
		jeq(&e, ETHERTYPE_IPV4, v4chk, NO_LABEL);
		jeq(&e, ETHERTYPE_IPV6, v6chk, NO_LABEL);
		emit_tunnels(&e, skb, v4chk, v6chk, ret0);
		here(&e, v4chk);
		ld_ip(&e, BPF_B, skb, 0);
		stmt(&e, BPF_ALU | BPF_RSH | BPF_K, 4);
		jeq(&e, 4, v4, ret0);
		here(&e, v6chk);
		ld_ip(&e, BPF_B, skb, 0);
		stmt(&e, BPF_ALU | BPF_RSH | BPF_K, 4);
		jeq(&e, 6, v6, ret0);
	}
	here(&e, ret0);
	stmt(&e, BPF_RET | BPF_K, 0);

	/* IPv4: a header decode.c takes (IHL >= 5), its two addresses. */
	here(&e, v4);
	ld_ip(&e, BPF_B, skb, 0);
	stmt(&e, BPF_ALU | BPF_AND | BPF_K, 0x0f);
	stmt(&e, BPF_JMP | BPF_JGE | BPF_K, 5);
	if (!e.err)
		e.p[e.n - 1].jt = 1;    /* IHL 0..4: bad IP for decode.c */
	stmt(&e, BPF_RET | BPF_K, 0);
	ld_ip(&e, BPF_W, skb, 12);
	stmt(&e, BPF_ST, M_SRC + 3);
	ld_ip(&e, BPF_W, skb, 16);
	stmt(&e, BPF_ST, M_DST + 3);
	emit_tail(&e, s, 1);

	/* IPv6: the addresses at 8 and 24 (the whole header is needed, as
	 * decode.c needs it: the last load reaches its 40th byte). */
	here(&e, v6);
	for (unsigned w = 0; w < 4; w++) {
		ld_ip(&e, BPF_W, skb, 8 + 4 * w);
		stmt(&e, BPF_ST, M_SRC + w);
		ld_ip(&e, BPF_W, skb, 24 + 4 * w);
		stmt(&e, BPF_ST, M_DST + w);
	}
	emit_tail(&e, s, 0);

	resolve(&e);
	if (e.err)
		return -1;
	*len = e.n;
	return 0;
}

/* The words of p's address and its mask, in memory order. */
static void prepare(struct fanout_site *s, uint32_t i)
{
	const struct prefix *p = &s->internal[i];
	uint8_t m[16];
	unsigned len = p->len > 128 ? 128 : p->len;

	for (unsigned b = 0; b < 16; b++)
		m[b] = len >= 8 * (b + 1) ? 0xff : len <= 8 * b ? 0 :
		       (uint8_t)(0xff00u >> (len - 8 * b));
	memcpy(s->mask[i], m, 16);
	memcpy(s->net[i], p->addr, 16);
	for (unsigned k = 0; k < 4; k++)
		s->net[i][k] &= s->mask[i][k];
	/* which first bytes it may hold: of an IPv4 address (byte 12 of
	 * ::ffff:a.b.c.d, the prefix admitting ::ffff:0:0/96), of IPv6 */
	for (unsigned v = 0; v < 256; v++) {
		static const uint8_t v4_mapped[12] = {
			0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
		int v4 = ((v ^ p->addr[12]) & m[12]) == 0;

		for (unsigned b = 0; b < 12 && v4; b++)
			v4 = ((v4_mapped[b] ^ p->addr[b]) & m[b]) == 0;
		if (v4)
			s->v4_first[v] |= 1ull << i;
		if (((v ^ p->addr[0]) & m[0]) == 0)
			s->v6_first[v] |= 1ull << i;
	}
}

void fanout_site_init(struct fanout_site *s, const struct prefix *internal,
		      uint32_t n)
{
	static const char *const private_ranges[] = {
		"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16",
		"100.64.0.0/10", "169.254.0.0/16", "fc00::/7", "fe80::/10",
	};
	uint32_t i;

	memset(s, 0, sizeof(*s));
	if (n > FANOUT_MAX_PREFIXES)
		n = FANOUT_MAX_PREFIXES;
	for (i = 0; i < n; i++)
		s->internal[s->n_internal++] = internal[i];
	for (i = 0; !n && i < sizeof(private_ranges) /
				 sizeof(private_ranges[0]); i++)
		if (prefix_parse(private_ranges[i],
				 &s->internal[s->n_internal]) == PFX_OK)
			s->n_internal++;
	for (i = 0; i < s->n_internal; i++)
		prepare(s, i);
}
