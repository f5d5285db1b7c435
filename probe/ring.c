/*
 * ring.c - live capture through our own TPACKET_V3 AF_PACKET ring.
 *
 * The kernel fills blocks of packets; we walk a block's packet list in
 * place and hand the packets over in batches, so a batch stays valid
 * together (the caller prefetches their flows), with no copy and no
 * system call per packet.  A block goes back to the kernel only when the
 * next call moves past it.
 *
 * Nothing in the ring is trusted: a block's first packet offset, each
 * packet's header, tp_mac, tp_snaplen and tp_next_offset are checked
 * against the block before use; a packet that does not fit ends the
 * block (the rest of it is skipped, the block is returned).
 *
 * The socket is created with protocol 0, which receives nothing; the
 * filter and the ring are set up, and only bind() (protocol ETH_P_ALL,
 * the interface) starts the packets.  So no packet from before the
 * filter, or from another interface, reaches the ring, and there is
 * nothing to drain.
 *
 * Linux takes the 802.1Q tag out of every received frame before the
 * packet sockets see it (skb_vlan_untag, or the NIC's offload) and
 * reports it beside the frame.  The tag is written back in front of the
 * ethertype, into the room PACKET_RESERVE keeps before each frame (as
 * libpcap does), so the VLAN id stays in the flow key.
 */
#include "ring.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <pcap/pcap.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#define VLAN_TAG_LEN    4
#define ETH_ADDRS_LEN   12
#define BLOCK_MIN       (1u << 20)

struct ring {
	int      fd;
	int      linktype;
	int      cooked;            /* SOCK_DGRAM: no link header */
	int      loopback;          /* skip loopback's outgoing copies */
	uint8_t *map;
	size_t   map_len;
	uint32_t block_size;
	uint32_t nblocks;
	uint32_t cur;               /* block being read (or next to read) */
	int      held;              /* cur is ours, not yet returned */
	uint32_t left;              /* its packets not yet handed over */
	uint32_t off;               /* offset of the next one in the block */
	uint32_t pf;                /* lines before this offset prefetched */
	uint32_t snaplen;
	uint64_t drops;             /* PACKET_STATISTICS resets on read */
	uint64_t ifdrops_base;      /* interface counter at open */
	char     ifname[IF_NAMESIZE];
	char     err[256];
};

static uint8_t *block_at(const struct ring *r, uint32_t i)
{
	return r->map + (size_t)i * r->block_size;
}

static int64_t if_stat(const char *ifname, const char *name)
{
	char path[128];
	unsigned long long v;
	FILE *fp;
	int ok;

	snprintf(path, sizeof(path), "/sys/class/net/%s/statistics/%s",
		 ifname, name);
	fp = fopen(path, "re");
	if (!fp)
		return -1;
	ok = fscanf(fp, "%llu", &v) == 1;
	fclose(fp);
	return ok ? (int64_t)v : -1;
}

/*
 * What the interface could not take in: rx_missed_errors + rx_fifo_errors,
 * as libpcap counts ps_ifdrop.  Not rx_dropped: that is the stack's own
 * (a protocol it does not handle, IPv6 disabled, ...), packets the capture
 * still saw.  -1 when neither can be read.
 */
static int64_t if_rx_dropped(const char *ifname)
{
	int64_t missed = if_stat(ifname, "rx_missed_errors");
	int64_t fifo = if_stat(ifname, "rx_fifo_errors");

	if (missed < 0 && fifo < 0)
		return -1;
	return (missed > 0 ? missed : 0) + (fifo > 0 ? fifo : 0);
}

uint16_t ring_fanout_group_id(void)
{
	uint16_t id = (uint16_t)(getpid() & 0xffff);

	return id ? id : 1;
}

int ring_join_fanout(int fd, uint16_t group, const struct fanout_site *s,
		     char *err, size_t errlen)
{
	static const struct fanout_site none;
	struct sock_filter insns[FANOUT_MAX_INSNS];
	struct sock_fprog fp;
	unsigned len;
	/* the id in the low half, type and flags in the high half (an
	 * int in the kernel's words; DEFRAG is its sign bit) */
	uint32_t arg = group |
		(uint32_t)(PACKET_FANOUT_CBPF | PACKET_FANOUT_FLAG_DEFRAG) << 16;

	if (fanout_cbpf_build(s ? s : &none, FANOUT_LINK_SKB, insns,
			      FANOUT_MAX_INSNS, &len) < 0) {
		snprintf(err, errlen, "fanout program does not fit in %u "
			 "instructions", FANOUT_MAX_INSNS);
		return -1;
	}
	if (setsockopt(fd, SOL_PACKET, PACKET_FANOUT, &arg, sizeof(arg)) < 0) {
		snprintf(err, errlen, "cannot join fanout group %u: %s",
			 group, strerror(errno));
		return -1;
	}
	/* Until the program is set the group sends everything to its first
	 * socket: the caller starts reading once all workers joined. */
	fp.len = (unsigned short)len;
	fp.filter = insns;
	if (setsockopt(fd, SOL_PACKET, PACKET_FANOUT_DATA, &fp,
		       sizeof(fp)) < 0) {
		snprintf(err, errlen, "cannot set the fanout program of "
			 "group %u: %s", group, strerror(errno));
		return -1;
	}
	return 0;
}

/* Compile the expression for the link type and attach it; "" accepts
 * everything, cut to the snap length (the kernel cuts to the filter's
 * return value). */
static int attach_filter(struct ring *r, const char *filter, char *err,
			 size_t errlen)
{
	pcap_t *dead = pcap_open_dead(r->linktype, (int)r->snaplen);
	struct bpf_program prog;
	struct sock_fprog fp;
	int rc;

	if (!dead) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (pcap_compile(dead, &prog, filter ? filter : "", 1,
			 PCAP_NETMASK_UNKNOWN) < 0) {
		snprintf(err, errlen, "bad filter '%s': %s", filter,
			 pcap_geterr(dead));
		pcap_close(dead);
		return -1;
	}
	fp.len = (unsigned short)prog.bf_len;
	fp.filter = (struct sock_filter *)prog.bf_insns;  /* same layout */
	rc = setsockopt(r->fd, SOL_SOCKET, SO_ATTACH_FILTER, &fp, sizeof(fp));
	if (rc < 0)
		snprintf(err, errlen, "interface %s: cannot attach the "
			 "filter: %s", r->ifname, strerror(errno));
	pcap_freecode(&prog);
	pcap_close(dead);
	return rc;
}

static int setup_ring(struct ring *r, uint64_t size, char *err,
		      size_t errlen)
{
	struct tpacket_req3 req;
	uint32_t frame;
	int v = TPACKET_V3, reserve = VLAN_TAG_LEN;

	if (setsockopt(r->fd, SOL_PACKET, PACKET_VERSION, &v, sizeof(v)) < 0 ||
	    setsockopt(r->fd, SOL_PACKET, PACKET_RESERVE, &reserve,
		       sizeof(reserve)) < 0) {
		snprintf(err, errlen, "interface %s: TPACKET_V3: %s",
			 r->ifname, strerror(errno));
		return -1;
	}
	/* A block must hold the largest frame: headers, room, snap length. */
	frame = TPACKET_ALIGN(TPACKET_ALIGN(sizeof(struct tpacket3_hdr)) +
			      sizeof(struct sockaddr_ll) + 16 + VLAN_TAG_LEN +
			      r->snaplen);
	r->block_size = BLOCK_MIN;
	while (r->block_size < frame)
		r->block_size <<= 1;
	if (size == 0)
		size = RING_DEFAULT_SIZE;
	if (size / r->block_size > 65536)
		size = (uint64_t)r->block_size * 65536;
	r->nblocks = (uint32_t)(size / r->block_size);
	if (r->nblocks < 2)
		r->nblocks = 2;
	memset(&req, 0, sizeof(req));
	req.tp_block_size = r->block_size;
	req.tp_block_nr = r->nblocks;
	req.tp_frame_size = TPACKET_ALIGNMENT << 7;     /* V3: bookkeeping */
	req.tp_frame_nr = r->block_size / req.tp_frame_size * r->nblocks;
	req.tp_retire_blk_tov = RING_BLOCK_TIMEOUT_MS;
	if (setsockopt(r->fd, SOL_PACKET, PACKET_RX_RING, &req,
		       sizeof(req)) < 0) {
		snprintf(err, errlen, "interface %s: cannot set up a %u x %u "
			 "byte ring: %s", r->ifname, r->nblocks,
			 r->block_size, strerror(errno));
		return -1;
	}
	r->map_len = (size_t)r->block_size * r->nblocks;
	/* The ring's pages are the kernel's: never swapped, no need to lock
	 * them.  Writable: a VLAN tag is written back in place. */
	r->map = mmap(NULL, r->map_len, PROT_READ | PROT_WRITE, MAP_SHARED,
		      r->fd, 0);
	if (r->map == MAP_FAILED) {
		r->map = NULL;
		snprintf(err, errlen, "interface %s: cannot map the ring: %s",
			 r->ifname, strerror(errno));
		return -1;
	}
	return 0;
}

/* The interface's hardware type: ARPHRD_*, or -1. */
static int if_hwtype(int fd, const char *ifname)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (ioctl(fd, SIOCGIFHWADDR, &ifr) < 0)
		return -1;
	return ifr.ifr_hwaddr.sa_family;
}

struct ring *ring_open(const struct ring_opts *o, char *err, size_t errlen)
{
	struct ring *r = calloc(1, sizeof(*r));
	struct sockaddr_ll sll;
	unsigned ifindex;
	int hw, probe;
	int64_t d;

	if (!r) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	r->fd = -1;
	snprintf(r->ifname, sizeof(r->ifname), "%s", o->interface);
	r->snaplen = o->snaplen ? o->snaplen : 262144;
	ifindex = if_nametoindex(o->interface);
	if (strlen(o->interface) >= IF_NAMESIZE || ifindex == 0) {
		snprintf(err, errlen, "interface %s: no such interface",
			 o->interface);
		goto fail;
	}
	/* The hardware type decides the socket type. */
	probe = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	if (probe < 0) {
		snprintf(err, errlen, "interface %s: %s", o->interface,
			 errno == EPERM || errno == EACCES ?
			 "permission denied (run as root or grant CAP_NET_RAW)" :
			 strerror(errno));
		goto fail;
	}
	hw = if_hwtype(probe, o->interface);
	close(probe);
	r->cooked = hw != ARPHRD_ETHER && hw != ARPHRD_LOOPBACK;
	r->loopback = hw == ARPHRD_LOOPBACK;
	r->linktype = r->cooked ? DLT_RAW : DLT_EN10MB;
	r->fd = socket(AF_PACKET, (r->cooked ? SOCK_DGRAM : SOCK_RAW) |
		       SOCK_CLOEXEC, 0);
	if (r->fd < 0) {
		snprintf(err, errlen, "interface %s: %s", o->interface,
			 strerror(errno));
		goto fail;
	}
	if (attach_filter(r, o->filter, err, errlen) < 0 ||
	    setup_ring(r, o->buffer_size, err, errlen) < 0)
		goto fail;
	memset(&sll, 0, sizeof(sll));
	sll.sll_family = AF_PACKET;
	sll.sll_protocol = htons(ETH_P_ALL);
	sll.sll_ifindex = (int)ifindex;
	if (bind(r->fd, (struct sockaddr *)&sll, sizeof(sll)) < 0) {
		snprintf(err, errlen, "interface %s: cannot bind: %s",
			 o->interface, strerror(errno));
		goto fail;
	}
	if (o->promiscuous) {
		struct packet_mreq mr;

		memset(&mr, 0, sizeof(mr));
		mr.mr_ifindex = (int)ifindex;
		mr.mr_type = PACKET_MR_PROMISC;   /* undone when closed */
		if (setsockopt(r->fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr,
			       sizeof(mr)) < 0) {
			snprintf(err, errlen, "interface %s: promiscuous "
				 "mode: %s", o->interface, strerror(errno));
			goto fail;
		}
	}
	if (o->fanout_group) {
		char why[200];

		if (ring_join_fanout(r->fd, o->fanout_group, o->fanout_site,
				     why, sizeof(why)) < 0) {
			snprintf(err, errlen, "interface %s: %s",
				 o->interface, why);
			goto fail;
		}
	}
	d = if_rx_dropped(r->ifname);
	r->ifdrops_base = d > 0 ? (uint64_t)d : 0;
	return r;
fail:
	ring_close(r);
	return NULL;
}

void ring_close(struct ring *r)
{
	if (!r)
		return;
	if (r->map)
		munmap(r->map, r->map_len);
	if (r->fd >= 0)
		close(r->fd);
	free(r);
}

int ring_linktype(const struct ring *r)
{
	return r->linktype;
}

const char *ring_error(const struct ring *r)
{
	return r->err;
}

static void release_block(struct ring *r)
{
	struct tpacket_block_desc *bd = (void *)block_at(r, r->cur);

	__atomic_store_n(&bd->hdr.bh1.block_status, TP_STATUS_KERNEL,
			 __ATOMIC_RELEASE);
	r->held = 0;
	r->left = 0;
	r->pf = 0;
	r->cur = (r->cur + 1) % r->nblocks;
}

/* Take the current block if the kernel handed it over: 1, else 0. */
static int take_block(struct ring *r)
{
	struct tpacket_block_desc *bd = (void *)block_at(r, r->cur);
	uint32_t first;

	if (!(__atomic_load_n(&bd->hdr.bh1.block_status, __ATOMIC_ACQUIRE) &
	      TP_STATUS_USER))
		return 0;
	r->held = 1;
	first = bd->hdr.bh1.offset_to_first_pkt;
	r->left = bd->hdr.bh1.num_pkts;
	r->off = first;
	if (first < sizeof(*bd) || first >= r->block_size)
		r->left = 0;            /* corrupt: give it back */
	return 1;
}

/* The socket failed (interface gone, ...): say why. */
static enum capture_status sock_error(struct ring *r)
{
	int e = 0;
	socklen_t len = sizeof(e);

	if (getsockopt(r->fd, SOL_SOCKET, SO_ERROR, &e, &len) < 0)
		e = errno;
	snprintf(r->err, sizeof(r->err), "%s: %s", r->ifname,
		 e == ENETDOWN ? "the interface went down" :
		 e ? strerror(e) : "socket error");
	return CAPTURE_ERROR;
}

/*
 * The packet at r->off into *pk: 1 when handed over, 0 when skipped (a
 * loopback's outgoing copy), -1 when it does not fit in the block.
 */
static int one_packet(struct ring *r, uint8_t *blk, struct capture_pkt *pk)
{
	struct tpacket3_hdr *h;
	const struct sockaddr_ll *sll;
	uint32_t room = r->block_size - r->off, mac, snap, sll_off;
	uint8_t *frame;

	sll_off = TPACKET_ALIGN(sizeof(struct tpacket3_hdr));
	if (room < sll_off + sizeof(struct sockaddr_ll))
		return -1;
	h = (struct tpacket3_hdr *)(blk + r->off);
	mac = h->tp_mac;
	snap = h->tp_snaplen;
	if (mac < sll_off + sizeof(struct sockaddr_ll) || mac > room ||
	    snap > room - mac)
		return -1;
	sll = (const struct sockaddr_ll *)(blk + r->off + sll_off);
	if (r->loopback && sll->sll_pkttype == PACKET_OUTGOING)
		return 0;               /* seen again as it comes in */
	frame = blk + r->off + mac;
	pk->data = frame;
	pk->caplen = snap;
	pk->wirelen = h->tp_len;
	pk->ts_us = (uint64_t)h->tp_sec * 1000000u + h->tp_nsec / 1000u;
	pk->linktype = r->linktype;
	if (!r->cooked && (h->tp_status & TP_STATUS_VLAN_VALID) &&
	    snap >= ETH_ADDRS_LEN &&
	    mac >= sll_off + sizeof(struct sockaddr_ll) + VLAN_TAG_LEN) {
		uint16_t tpid = (h->tp_status & TP_STATUS_VLAN_TPID_VALID) ?
				h->hv1.tp_vlan_tpid : ETH_P_8021Q;
		uint16_t tci = h->hv1.tp_vlan_tci;

		/* addresses 4 bytes back, the tag between them and the
		 * ethertype */
		memmove(frame - VLAN_TAG_LEN, frame, ETH_ADDRS_LEN);
		frame -= VLAN_TAG_LEN;
		frame[12] = (uint8_t)(tpid >> 8);
		frame[13] = (uint8_t)tpid;
		frame[14] = (uint8_t)(tci >> 8);
		frame[15] = (uint8_t)tci;
		pk->data = frame;
		pk->caplen += VLAN_TAG_LEN;
		pk->wirelen += VLAN_TAG_LEN;
	}
	if (pk->caplen > r->snaplen)
		pk->caplen = r->snaplen;
	return 1;
}

/*
 * The kernel wrote the block from another core: every packet header and
 * the first lines of its frame are cache misses.  The block is filled
 * front to back, so asking for the lines up to RING_PREFETCH_AHEAD bytes
 * ahead overlaps those misses (as the file reader does).  Lines past the
 * last packet are still inside the mapping.
 */
#define RING_PREFETCH_AHEAD 8192u

static inline void ring_prefetch(struct ring *r, const uint8_t *blk)
{
	uint32_t upto = r->off + RING_PREFETCH_AHEAD;

	if (upto > r->block_size)
		upto = r->block_size;
	for (; r->pf < upto; r->pf += 64)
		__builtin_prefetch(blk + r->pf);
}

enum capture_status ring_next_batch(struct ring *r, struct capture_pkt *pkts,
				    unsigned max, unsigned *n, int timeout_ms)
{
	*n = 0;
	/* An empty block, or one holding only skipped or corrupt packets,
	 * is passed by; at most one wait per call. */
	for (uint32_t tries = 0; tries <= r->nblocks && *n == 0; tries++) {
		uint8_t *blk;

		if (r->held && r->left == 0)
			release_block(r);
		if (!r->held && !take_block(r)) {
			struct pollfd pfd = { .fd = r->fd, .events = POLLIN };
			int rc;

			if (tries)
				break;
			rc = poll(&pfd, 1, timeout_ms);
			if (rc < 0 && errno != EINTR) {
				snprintf(r->err, sizeof(r->err), "%s: poll: %s",
					 r->ifname, strerror(errno));
				return CAPTURE_ERROR;
			}
			if (rc > 0 && (pfd.revents & (POLLERR | POLLNVAL)))
				return sock_error(r);
			if (!take_block(r))
				return CAPTURE_TIMEOUT;
		}
		blk = block_at(r, r->cur);
		if (r->pf < r->off)     /* a new block */
			r->pf = r->off & ~(uint32_t)63;
		while (*n < max && r->left > 0) {
			const struct tpacket3_hdr *h =
				(const void *)(blk + r->off);
			int k;

			ring_prefetch(r, blk);
			k = one_packet(r, blk, &pkts[*n]);
			uint32_t next;

			if (k < 0) {
				r->left = 0;    /* corrupt: skip the rest */
				break;
			}
			*n += (unsigned)k;
			next = h->tp_next_offset;
			if (--r->left == 0)
				break;
			if (next == 0 || next >= r->block_size - r->off) {
				r->left = 0;
				break;
			}
			r->off += next;
		}
	}
	return *n ? CAPTURE_PACKET : CAPTURE_TIMEOUT;
}

int ring_drops(struct ring *r, uint64_t *drops, uint64_t *ifdrops)
{
	struct tpacket_stats_v3 st;
	socklen_t len = sizeof(st);
	int64_t d;

	*drops = *ifdrops = 0;
	if (getsockopt(r->fd, SOL_PACKET, PACKET_STATISTICS, &st, &len) < 0)
		return -1;
	r->drops += st.tp_drops;        /* the kernel zeroed its counters */
	*drops = r->drops;
	d = if_rx_dropped(r->ifname);
	if (d >= 0 && (uint64_t)d >= r->ifdrops_base)
		*ifdrops = (uint64_t)d - r->ifdrops_base;
	return 0;
}
