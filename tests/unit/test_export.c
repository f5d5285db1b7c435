/*
 * test_export.c - the IPFIX exporter, read back by a libfixbuf collector
 * written here (its own record layouts, the element file in its model):
 * full and nfdump profiles, PEN substitution, RFC 5610 type records,
 * application names, statistics, rotation, reconfiguration, and TCP/UDP
 * collectors that are down, come up and go away; a TCP collector that
 * stops reading never blocks the exporter and what it never acknowledged
 * is counted; a file on a full filesystem always ends at a whole message.
 */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <glob.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <fixbuf/public.h>

#include "export.h"

#ifndef SKYPROBE_ELEMENTS_SOURCE
#define SKYPROBE_ELEMENTS_SOURCE "templates/skyprobe.xml"
#endif

#define PEN 32473
#define DOMAIN 4242

/* --- collector side ------------------------------------------------------- */

enum {
	ITID_FLOW = 1001, ITID_SESS, ITID_APP, ITID_APP_FIXED, ITID_STATS,
	ITID_TYPE
};

struct c_flow {
	uint64_t     start, end, oct, pkt, roct, rpkt, cpid, opid;
	fbVarfield_t app;
	uint8_t      src6[16], dst6[16];
	uint32_t     src4, dst4, sess;
	uint16_t     sport, dport, vlan, icmp4, icmp6;
	uint8_t      proto, tos, reason, role;
	uint8_t      iflags, uflags, riflags, ruflags, tcpbits;
	uint8_t      pad[1];
};

static fbInfoElementSpec_t c_flow_spec[] = {
	{"flowStartMilliseconds", 8, 0}, {"flowEndMilliseconds", 8, 0},
	{"octetDeltaCount", 8, 0}, {"packetDeltaCount", 8, 0},
	{"reverseOctetDeltaCount", 8, 0}, {"reversePacketDeltaCount", 8, 0},
	{"commonPropertiesId", 8, 0}, {"observationPointId", 8, 0},
	{"applicationId", FB_IE_VARLEN, 0},
	{"sourceIPv6Address", 16, 0}, {"destinationIPv6Address", 16, 0},
	{"sourceIPv4Address", 4, 0}, {"destinationIPv4Address", 4, 0},
	{"skypeSessionId", 4, 0},
	{"sourceTransportPort", 2, 0}, {"destinationTransportPort", 2, 0},
	{"vlanId", 2, 0}, {"icmpTypeCodeIPv4", 2, 0},
	{"icmpTypeCodeIPv6", 2, 0},
	{"protocolIdentifier", 1, 0}, {"ipClassOfService", 1, 0},
	{"flowEndReason", 1, 0}, {"skypeFlowRole", 1, 0},
	{"initialTCPFlags", 1, 0}, {"unionTCPFlags", 1, 0},
	{"reverseInitialTCPFlags", 1, 0}, {"reverseUnionTCPFlags", 1, 0},
	{"tcpControlBits", 1, 0}, {"paddingOctets", 1, 0},
	FB_IESPEC_NULL
};

struct c_sess {
	uint64_t start, connected, end, cpid;
	uint8_t  src6[16], dst6[16];
	uint32_t sess, src4, dst4, changes, refused;
	uint16_t sport, dport;
	uint8_t  reason, mode, login, version;
	uint8_t  pad[4];
};

static fbInfoElementSpec_t c_sess_spec[] = {
	{"skypeSessionStartMilliseconds", 8, 0},
	{"skypeSessionConnectedMilliseconds", 8, 0},
	{"skypeSessionEndMilliseconds", 8, 0},
	{"commonPropertiesId", 8, 0},
	{"sourceIPv6Address", 16, 0}, {"destinationIPv6Address", 16, 0},
	{"skypeSessionId", 4, 0},
	{"sourceIPv4Address", 4, 0}, {"destinationIPv4Address", 4, 0},
	{"skypeSupernodeChanges", 4, 0}, {"skypeRefusedSupernodes", 4, 0},
	{"sourceTransportPort", 2, 0}, {"destinationTransportPort", 2, 0},
	{"skypeSessionEndReason", 1, 0}, {"skypeTransportMode", 1, 0},
	{"skypeLoginPhase", 1, 0}, {"skypeVersion", 1, 0},
	{"paddingOctets", 4, 0},
	FB_IESPEC_NULL
};

/* Full profile: fixed-length scope (Wireshark needs it), names varlen. */
struct c_app {
	uint8_t      id[9];
	uint8_t      pad[7];
	fbVarfield_t name, desc;
};

static fbInfoElementSpec_t c_app_spec[] = {
	{"applicationId", 9, 0},
	{"paddingOctets", 7, 0},
	{"applicationName", FB_IE_VARLEN, 0},
	{"applicationDescription", FB_IE_VARLEN, 0},
	FB_IESPEC_NULL
};

/* The nfdump profile's fixed-length variant (scope observationDomainId). */
struct c_app_fixed {
	uint32_t domain;
	uint8_t  id[9];
	char     name[32];
	char     desc[64];
	uint8_t  pad[3];
};

static fbInfoElementSpec_t c_app_fixed_spec[] = {
	{"observationDomainId", 4, 0},
	{"applicationId", 9, 0},
	{"applicationName", 32, 0},
	{"applicationDescription", 64, 0},
	{"paddingOctets", 3, 0},
	FB_IESPEC_NULL
};

#define N_STATS 23
static const char *stats_names[N_STATS] = {
	"flowStartMilliseconds", "flowEndMilliseconds",
	"ignoredPacketTotalCount", "notSentFlowTotalCount",
	"notSentPacketTotalCount", "notSentOctetTotalCount",
	"exportedFlowRecordTotalCount", "skypeProbePacketsRead",
	"skypeProbeOctetsRead", "skypeProbePacketsDecoded",
	"skypeProbeRejectedTruncatedLink", "skypeProbeRejectedTruncatedIP",
	"skypeProbeRejectedBadIP", "skypeProbeRejectedTruncatedTransport",
	"skypeProbeRejectedBadTransport", "skypeProbeRejectedNotIP",
	"skypeProbeKernelDropped", "skypeProbeInterfaceDropped",
	"skypeProbeFlowsActive", "skypeProbeFlowsEvicted",
	"skypeProbeSessionsExported", "skypeProbeClientLimitHits",
	"skypeProbeFlowsExported",
};

struct c_stats {
	uint32_t domain;
	uint8_t  pad[4];
	uint64_t v[N_STATS];
};

static fbInfoElement_t c_cert[] = {
	FB_IE_INIT_FULL("initialTCPFlags", 6871, 14, 1,
			FB_IE_F_ENDIAN | FB_IE_F_REVERSIBLE, 0, 0, FB_UINT_8,
			NULL),
	FB_IE_INIT_FULL("unionTCPFlags", 6871, 15, 1,
			FB_IE_F_ENDIAN | FB_IE_F_REVERSIBLE, 0, 0, FB_UINT_8,
			NULL),
	FB_IE_NULL
};

#define MAXREC 32

/* Everything a collector saw in one stream. */
struct seen {
	int n_flow, n_sess, n_app, n_stats, n_type;
	int n_app_fixed;
	struct c_flow flow[MAXREC];
	int flow_is4[MAXREC];
	uint8_t flow_app[MAXREC][16];
	int flow_has_role[MAXREC], flow_has_iflags[MAXREC];
	int flow_has_tcpbits[MAXREC];
	int flow_has_cpid[MAXREC], flow_has_opid[MAXREC];
	int sess_has_cpid[MAXREC];
	struct c_sess sess[MAXREC];
	int sess_is4[MAXREC];
	uint8_t app_id[MAXREC][16];
	size_t app_id_len[MAXREC];
	char app_name[MAXREC][64];
	char app_desc[MAXREC][128];
	struct c_stats stats[MAXREC];
	uint32_t type_pen[64];
	uint16_t type_id[64];
	char type_name[64][64];
	uint32_t domain;
};

static const char *elements(void)
{
	const char *e = getenv("ELEMENTS");

	return e && *e ? e : SKYPROBE_ELEMENTS_SOURCE;
}

static void add_internal(fbSession_t *s, fbInfoModel_t *m,
			 fbInfoElementSpec_t *spec, uint16_t tid)
{
	GError *err = NULL;
	fbTemplate_t *t = fbTemplateAlloc(m);

	ck_assert_msg(fbTemplateAppendSpecArray(t, spec, 0, &err),
		      "%s", err ? err->message : "");
	ck_assert(fbSessionAddTemplate(s, TRUE, tid, t, &err) == tid);
}

/* The element file as a collector of a probe using PEN pen would have
 * it: with the enterprise numbers rewritten by hand. */
static fbInfoModel_t *collector_model(uint32_t pen)
{
	fbInfoModel_t *m = fbInfoModelAlloc();
	GError *err = NULL;
	gchar *text = NULL, *xml, **parts;
	char repl[64];

	fbInfoModelAddElementArray(m, c_cert);
	ck_assert(g_file_get_contents(elements(), &text, NULL, &err));
	parts = g_strsplit(text, ">32473<", -1);
	ck_assert_int_gt(g_strv_length(parts), 27);
	snprintf(repl, sizeof(repl), ">%u<", pen);
	xml = g_strjoinv(repl, parts);
	ck_assert_msg(fbInfoModelReadXMLData(m, xml, -1, &err), "%s",
		      err ? err->message : "");
	g_strfreev(parts);
	g_free(text);
	g_free(xml);
	return m;
}

static fbSession_t *collector_session(fbInfoModel_t *m)
{
	fbSession_t *s = fbSessionAlloc(m);
	fbInfoElementSpec_t stats_spec[N_STATS + 3];
	GError *err = NULL;
	fbTemplate_t *t;

	add_internal(s, m, c_flow_spec, ITID_FLOW);
	add_internal(s, m, c_sess_spec, ITID_SESS);
	add_internal(s, m, c_app_spec, ITID_APP);
	add_internal(s, m, c_app_fixed_spec, ITID_APP_FIXED);
	memset(stats_spec, 0, sizeof(stats_spec));
	stats_spec[0] = (fbInfoElementSpec_t){"observationDomainId", 4, 0};
	stats_spec[1] = (fbInfoElementSpec_t){"paddingOctets", 4, 0};
	for (int i = 0; i < N_STATS; i++)
		stats_spec[i + 2] =
			(fbInfoElementSpec_t){(char *)stats_names[i], 8, 0};
	add_internal(s, m, stats_spec, ITID_STATS);
	t = fbInfoElementAllocTypeTemplate(m, &err);
	ck_assert(t != NULL);
	ck_assert(fbSessionAddTemplate(s, TRUE, ITID_TYPE, t, &err));
	return s;
}

static int has(fbTemplate_t *t, const char *name)
{
	fbInfoElementSpec_t spec = {(char *)name, 0, 0};

	return fbTemplateContainsElementByName(t, &spec);
}

static void copy_var(uint8_t *to, size_t cap, size_t *len,
		     const fbVarfield_t *v)
{
	ck_assert_uint_le(v->len, cap);
	if (v->len)
		memcpy(to, v->buf, v->len);
	if (len)
		*len = v->len;
}

/*
 * No element of ours (PEN pen) shares its id with another element of the
 * same template, whatever that one's PEN: collectors such as nfacctd key
 * fields by id across PENs.
 */
static void assert_ids_distinct(fbTemplate_t *t, uint32_t pen)
{
	uint32_t n = fbTemplateCountElements(t);

	for (uint32_t i = 0; i < n; i++) {
		const fbInfoElement_t *a = fbTemplateGetIndexedIE(t, i);

		if (a->ent != pen)
			continue;
		for (uint32_t j = 0; j < n; j++) {
			const fbInfoElement_t *b = fbTemplateGetIndexedIE(t, j);

			ck_assert_msg(j == i || b->num != a->num,
				      "element %u/%u repeats the id of %u/%u",
				      a->ent, a->num, b->ent, b->num);
		}
	}
}

/* The id of our element name in the element file: the file alone
 * numbers the elements. */
static uint16_t file_id(const char *name)
{
	fbInfoModel_t *m = fbInfoModelAlloc();
	GError *err = NULL;
	const fbInfoElement_t *ie;
	uint16_t id;

	ck_assert(fbInfoModelReadXMLFile(m, elements(), &err));
	ie = fbInfoModelGetElementByName(m, name);
	ck_assert_msg(ie != NULL && ie->ent == PEN, "%s", name);
	id = ie->num;
	fbInfoModelFree(m);
	return id;
}

/* Set by tests that read thousands of flows: read_one counts them only. */
static int counting;

static void read_one(fBuf_t *fbuf, struct seen *sn, fbTemplate_t *t)
{
	GError *err = NULL;
	uint8_t buf[512];
	size_t len = sizeof(buf);
	uint16_t itid;

	if (fbInfoModelTypeInfoRecord(t))
		itid = ITID_TYPE;
	else if (has(t, "applicationName"))
		itid = has(t, "observationDomainId") ? ITID_APP_FIXED :
		       ITID_APP;
	else if (has(t, "notSentFlowTotalCount"))
		itid = ITID_STATS;
	else if (has(t, "skypeSessionEndReason"))
		itid = ITID_SESS;
	else if (has(t, "flowEndReason"))
		itid = ITID_FLOW;
	else
		ck_abort_msg("unexpected template");
	ck_assert(fBufSetInternalTemplate(fbuf, itid, &err));
	memset(buf, 0, sizeof(buf));
	ck_assert_msg(fBufNext(fbuf, buf, &len, &err), "%s",
		      err ? err->message : "");
	switch (itid) {
	case ITID_FLOW: {
		int i = sn->n_flow++;

		if (counting)           /* many records: counted only */
			break;
		ck_assert_int_lt(i, MAXREC);
		memcpy(&sn->flow[i], buf, sizeof(sn->flow[i]));
		copy_var(sn->flow_app[i], 16, NULL, &sn->flow[i].app);
		sn->flow_is4[i] = has(t, "sourceIPv4Address");
		sn->flow_has_role[i] = has(t, "skypeFlowRole");
		sn->flow_has_iflags[i] = has(t, "initialTCPFlags") ||
					 has(t, "reverseUnionTCPFlags");
		sn->flow_has_tcpbits[i] = has(t, "tcpControlBits");
		sn->flow_has_cpid[i] = has(t, "commonPropertiesId");
		sn->flow_has_opid[i] = has(t, "observationPointId");
		break;
	}
	case ITID_SESS: {
		int i = sn->n_sess++;

		memcpy(&sn->sess[i], buf, sizeof(sn->sess[i]));
		sn->sess_is4[i] = has(t, "sourceIPv4Address");
		sn->sess_has_cpid[i] = has(t, "commonPropertiesId");
		break;
	}
	case ITID_APP: {
		struct c_app *a = (struct c_app *)buf;
		int i = sn->n_app++;

		memcpy(sn->app_id[i], a->id, 9);
		sn->app_id_len[i] = 9;
		copy_var((uint8_t *)sn->app_name[i], 63, NULL, &a->name);
		copy_var((uint8_t *)sn->app_desc[i], 127, NULL, &a->desc);
		break;
	}
	case ITID_APP_FIXED: {
		struct c_app_fixed *a = (struct c_app_fixed *)buf;
		int i = sn->n_app++;

		sn->n_app_fixed++;
		ck_assert_uint_eq(a->domain, DOMAIN);
		memcpy(sn->app_id[i], a->id, 9);
		sn->app_id_len[i] = 9;
		/* NUL-padded fixed-length strings */
		ck_assert_int_eq(a->name[31], '\0');
		ck_assert_int_eq(a->desc[63], '\0');
		memcpy(sn->app_name[i], a->name, 32);
		memcpy(sn->app_desc[i], a->desc, 64);
		break;
	}
	case ITID_STATS:
		memcpy(&sn->stats[sn->n_stats++], buf, sizeof(struct c_stats));
		break;
	case ITID_TYPE: {
		fbInfoElementOptRec_t *r = (fbInfoElementOptRec_t *)buf;
		int i = sn->n_type++;

		ck_assert_int_lt(i, 64);
		sn->type_pen[i] = r->ie_pen;
		sn->type_id[i] = r->ie_id;
		copy_var((uint8_t *)sn->type_name[i], 63, NULL, &r->ie_name);
		break;
	}
	}
}

static void read_stream_pen(fbCollector_t *coll, struct seen *sn,
			    uint32_t pen)
{
	fbInfoModel_t *m = collector_model(pen);
	fbSession_t *s = collector_session(m);
	fBuf_t *fbuf = fBufAllocForCollection(s, coll);
	GError *err = NULL;
	fbTemplate_t *t;
	uint16_t tid;

	memset(sn, 0, sizeof(*sn));
	while ((t = fBufNextCollectionTemplate(fbuf, &tid, &err)) != NULL) {
		assert_ids_distinct(t, pen);
		read_one(fbuf, sn, t);
		sn->domain = fbSessionGetDomain(s);
	}
	ck_assert_msg(g_error_matches(err, FB_ERROR_DOMAIN, FB_ERROR_EOF),
		      "%s", err ? err->message : "");
	g_clear_error(&err);
	fBufFree(fbuf);
	fbInfoModelFree(m);
}

static void read_stream(fbCollector_t *coll, struct seen *sn)
{
	read_stream_pen(coll, sn, PEN);
}

static void read_file_pen(const char *path, struct seen *sn, uint32_t pen)
{
	GError *err = NULL;
	fbCollector_t *coll = fbCollectorAllocFile(NULL, path, &err);

	ck_assert_msg(coll != NULL, "%s: %s", path, err ? err->message : "");
	read_stream_pen(coll, sn, pen);
}

static void read_file(const char *path, struct seen *sn)
{
	read_file_pen(path, sn, PEN);
}

/* --- exporter side ---------------------------------------------------------- */

static char tmpdir[64];

static void make_tmpdir(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_export.XXXXXX");
	ck_assert(mkdtemp(tmpdir) != NULL);
}

static void remove_tmpdir(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	ck_assert_int_eq(system(cmd), 0);
}

/* A logger writing lines to fp: /dev/null where failures are expected. */
static struct logger *to_stream(struct logger *lg, FILE *fp)
{
	log_open(lg, LOG_LVL_INFO, LOG_DEST_STDERR, NULL);
	lg->stream = fp;
	return lg;
}

static void base_cfg(struct export_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->pen = PEN;
	cfg->observation_domain = DOMAIN;
	snprintf(cfg->elements_file, sizeof(cfg->elements_file), "%s",
		 elements());
}

static void add_file(struct export_config *cfg, const char *name,
		     enum export_profile profile, char *path_out)
{
	struct collector_cfg *c = &cfg->collectors[cfg->n_collectors++];

	c->kind = COLLECTOR_FILE;
	c->profile = profile;
	c->session_opid = 1;
	snprintf(c->path, sizeof(c->path), "%s/%s", tmpdir, name);
	if (path_out)
		strcpy(path_out, c->path);
}

static void add_net(struct export_config *cfg, enum collector_kind kind,
		    enum export_profile profile, uint16_t port)
{
	struct collector_cfg *c = &cfg->collectors[cfg->n_collectors++];

	c->kind = kind;
	c->profile = profile;
	c->session_opid = 1;
	strcpy(c->host, "127.0.0.1");
	snprintf(c->port, sizeof(c->port), "%u", port);
}

static void v4(uint8_t a[16], uint8_t b0, uint8_t b1, uint8_t b2, uint8_t b3)
{
	memset(a, 0, 16);
	a[10] = a[11] = 0xff;
	a[12] = b0;
	a[13] = b1;
	a[14] = b2;
	a[15] = b3;
}

static void v6(uint8_t a[16], uint16_t last)
{
	static const uint8_t pfx[4] = {0x20, 0x01, 0x0d, 0xb8};

	memset(a, 0, 16);
	memcpy(a, pfx, 4);
	a[14] = last >> 8;
	a[15] = last & 0xff;
}

/* Four flows: IPv4 TCP, IPv6 UDP Skype probe, ICMP, IPv4 Skype TCP. */
static void make_flows(struct flow f[4])
{
	memset(f, 0, 4 * sizeof(*f));
	v4(f[0].key.src, 10, 0, 0, 1);
	v4(f[0].key.dst, 192, 0, 2, 5);
	f[0].key.sport = 40000;
	f[0].key.dport = 443;
	f[0].key.proto = 6;
	f[0].key.ip_version = 4;
	f[0].start_us = 1700000000123456ULL;
	f[0].last_us = 1700000005678901ULL;
	f[0].octets[0] = 1000;
	f[0].octets[1] = 5000;
	f[0].packets[0] = 10;
	f[0].packets[1] = 8;
	f[0].init_flags[0] = 0x02;
	f[0].init_flags[1] = 0x12;
	f[0].union_flags[0] = 0x19;
	f[0].union_flags[1] = 0x18;
	f[0].tos = 0x10;
	f[0].vlan_id = 42;

	v6(f[1].key.src, 1);
	v6(f[1].key.dst, 2);
	f[1].key.sport = 33033;
	f[1].key.dport = 12345;
	f[1].key.proto = 17;
	f[1].key.ip_version = 6;
	f[1].start_us = 1700000001000999ULL;
	f[1].last_us = 1700000001500000ULL;
	f[1].octets[0] = 60;
	f[1].octets[1] = 80;
	f[1].packets[0] = 2;
	f[1].packets[1] = 3;
	f[1].role = ROLE_UDP_PROBE_POS;
	f[1].session_id = 77;

	v4(f[2].key.src, 10, 0, 0, 1);
	v4(f[2].key.dst, 10, 0, 0, 2);
	f[2].key.proto = 1;
	f[2].key.ip_version = 4;
	f[2].start_us = 1700000002000000ULL;
	f[2].last_us = 1700000002000000ULL;
	f[2].octets[0] = 84;
	f[2].octets[1] = 84;
	f[2].packets[0] = 1;
	f[2].packets[1] = 1;
	f[2].icmp_typecode = 0x0800;

	v4(f[3].key.src, 10, 0, 0, 1);
	v4(f[3].key.dst, 198, 51, 100, 7);
	f[3].key.sport = 50000;
	f[3].key.dport = 443;
	f[3].key.proto = 6;
	f[3].key.ip_version = 4;
	f[3].start_us = 1700000003000000ULL;
	f[3].last_us = 1700000063000000ULL;
	f[3].octets[0] = 4000000000ULL;
	f[3].octets[1] = 7;
	f[3].packets[0] = 3000000;
	f[3].packets[1] = 1;
	f[3].init_flags[0] = 0x02;
	f[3].union_flags[0] = 0x10;
	f[3].init_flags[1] = 0x12;
	f[3].union_flags[1] = 0x11;
	f[3].role = ROLE_SN_CONNECTION;
	f[3].session_id = 77;
}

static const enum flow_end_reason reasons[4] = {
	END_OF_FLOW, END_IDLE_TIMEOUT, END_ACTIVE_TIMEOUT, END_FORCED
};

static void make_sessions(struct session_rec s[3])
{
	memset(s, 0, 3 * sizeof(*s));
	s[0].session_id = 77;
	v4(s[0].client, 10, 0, 0, 1);
	v4(s[0].supernode, 198, 51, 100, 7);
	s[0].supernode_port = 443;
	s[0].client_port = 33033;
	s[0].start_ms = 1700000000000ULL;
	s[0].connected_ms = 1700000001000ULL;
	s[0].end_ms = 1700000100000ULL;
	s[0].supernode_changes = 2;
	s[0].refused_supernodes = 3;
	s[0].end_reason = SESS_END_SN_CLOSED;
	s[0].transport_mode = MODE_UDP_TCP;
	s[0].login_phase = LOGIN_L4;
	s[0].version = SKYPE_VER_2;

	s[1].session_id = 78;
	v6(s[1].client, 1);     /* no super node: "::" */
	s[1].start_ms = 1700000200000ULL;
	s[1].end_ms = 1700000300000ULL;
	s[1].end_reason = SESS_END_TIMEOUT;
	s[1].transport_mode = MODE_RESTRICTED_443;
	s[1].login_phase = LOGIN_FAILED;
	s[1].version = SKYPE_VER_1_4;

	s[2].session_id = 79;
	v4(s[2].client, 10, 0, 0, 9);   /* no super node: 0.0.0.0 */
	s[2].start_ms = 1700000400000ULL;
	s[2].end_ms = 1700000400500ULL;
	s[2].end_reason = SESS_END_SHUTDOWN;
}

static void make_stats(struct probe_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->packets_read = 1000;
	st->octets_read = 123456;
	st->packets_decoded = 979;
	for (int i = 1; i < DECODE_STATUS_MAX; i++)
		st->rejected[i] = (uint64_t)i;  /* 21 ignored */
	st->kernel_dropped = 5;
	st->iface_dropped = 6;
	st->flows_active = 7;
	st->flows_exported = 4;
	st->flows_evicted = 8;
	st->sessions_exported = 3;
	st->clients_limit_hits = 9;
	st->first_ts_ms = 1700000000123ULL;
	st->last_ts_ms = 1700000063000ULL;
}

/* Export the standard set of records and close. */
static void export_all(const struct export_config *cfg)
{
	struct flow f[4];
	struct session_rec s[3];
	struct probe_stats st;
	struct exporter *ex = exporter_new(cfg, NULL);

	ck_assert(ex != NULL);
	make_flows(f);
	make_sessions(s);
	make_stats(&st);
	for (int i = 0; i < 4; i++)
		exporter_flow(ex, &f[i], reasons[i]);
	for (int i = 0; i < 3; i++)
		exporter_session(ex, &s[i]);
	exporter_stats(ex, &st);
	exporter_tick(ex, (uint64_t)time(NULL));
	ck_assert_uint_eq(exporter_not_sent(ex), 0);
	exporter_free(ex);
}

static void assert_app_id(const uint8_t *id, uint32_t pen, uint32_t role)
{
	const uint8_t want[9] = {20, pen >> 24, pen >> 16, pen >> 8, pen,
				 0, 0, 0, role};

	ck_assert_mem_eq(id, want, 9);
}

/* Fields both profiles carry, exactly. */
static void assert_common_flows(const struct seen *sn, uint32_t pen)
{
	const struct c_flow *r;
	const uint8_t a6[16] = {0x20, 1, 0x0d, 0xb8, [15] = 1};
	const uint8_t b6[16] = {0x20, 1, 0x0d, 0xb8, [15] = 2};

	ck_assert_int_eq(sn->n_flow, 4);

	r = &sn->flow[0];
	ck_assert(sn->flow_is4[0]);
	ck_assert_uint_eq(r->start, 1700000000123ULL);
	ck_assert_uint_eq(r->end, 1700000005678ULL);
	ck_assert_uint_eq(r->src4, 0x0a000001);
	ck_assert_uint_eq(r->dst4, 0xc0000205);
	ck_assert_uint_eq(r->sport, 40000);
	ck_assert_uint_eq(r->dport, 443);
	ck_assert_uint_eq(r->proto, 6);
	ck_assert_uint_eq(r->oct, 1000);
	ck_assert_uint_eq(r->pkt, 10);
	ck_assert_uint_eq(r->roct, 5000);
	ck_assert_uint_eq(r->rpkt, 8);
	ck_assert_uint_eq(r->vlan, 42);
	ck_assert_uint_eq(r->tos, 0x10);
	ck_assert_uint_eq(r->icmp4, 0);
	ck_assert_uint_eq(r->reason, END_OF_FLOW);
	ck_assert_uint_eq(r->app.len, 0);

	r = &sn->flow[1];
	ck_assert(!sn->flow_is4[1]);
	ck_assert_uint_eq(r->start, 1700000001000ULL);
	ck_assert_uint_eq(r->end, 1700000001500ULL);
	ck_assert_mem_eq(r->src6, a6, 16);
	ck_assert_mem_eq(r->dst6, b6, 16);
	ck_assert_uint_eq(r->sport, 33033);
	ck_assert_uint_eq(r->dport, 12345);
	ck_assert_uint_eq(r->proto, 17);
	ck_assert_uint_eq(r->oct, 60);
	ck_assert_uint_eq(r->pkt, 2);
	ck_assert_uint_eq(r->roct, 80);
	ck_assert_uint_eq(r->rpkt, 3);
	ck_assert_uint_eq(r->icmp6, 0);
	ck_assert_uint_eq(r->reason, END_IDLE_TIMEOUT);
	ck_assert_uint_eq(r->app.len, 9);
	assert_app_id(sn->flow_app[1], pen, ROLE_UDP_PROBE_POS);

	r = &sn->flow[2];
	ck_assert(sn->flow_is4[2]);
	ck_assert_uint_eq(r->src4, 0x0a000001);
	ck_assert_uint_eq(r->dst4, 0x0a000002);
	ck_assert_uint_eq(r->proto, 1);
	ck_assert_uint_eq(r->icmp4, 0x0800);
	ck_assert_uint_eq(r->sport, 0);
	ck_assert_uint_eq(r->dport, 0);
	ck_assert_uint_eq(r->oct, 84);
	ck_assert_uint_eq(r->rpkt, 1);
	ck_assert_uint_eq(r->reason, END_ACTIVE_TIMEOUT);
	ck_assert_uint_eq(r->app.len, 0);

	r = &sn->flow[3];
	ck_assert(sn->flow_is4[3]);
	ck_assert_uint_eq(r->dst4, 0xc6336407);
	ck_assert_uint_eq(r->oct, 4000000000ULL);
	ck_assert_uint_eq(r->pkt, 3000000);
	ck_assert_uint_eq(r->start, 1700000003000ULL);
	ck_assert_uint_eq(r->end, 1700000063000ULL);
	ck_assert_uint_eq(r->reason, END_FORCED);
	ck_assert_uint_eq(r->app.len, 9);
	assert_app_id(sn->flow_app[3], pen, ROLE_SN_CONNECTION);
}

static void assert_app_names(const struct seen *sn, uint32_t pen)
{
	ck_assert_int_eq(sn->n_app, 9);
	for (int i = 0; i < 9; i++) {
		ck_assert_uint_eq(sn->app_id_len[i], 9);
		assert_app_id(sn->app_id[i], pen, (uint32_t)i + 1);
		ck_assert(sn->app_desc[i][0] != '\0');
	}
	ck_assert_str_eq(sn->app_name[0], "skype-udp-probe");
	ck_assert_str_eq(sn->app_name[3], "skype-supernode");
	ck_assert_str_eq(sn->app_name[8], "skype-contact-list");
}

static int type_named(const struct seen *sn, const char *name, uint32_t pen,
		      uint16_t id)
{
	for (int i = 0; i < sn->n_type; i++)
		if (strcmp(sn->type_name[i], name) == 0)
			return sn->type_pen[i] == pen && sn->type_id[i] == id;
	return 0;
}

START_TEST(full_profile_file)
{
	struct export_config cfg;
	char path[EXPORT_STR];
	struct seen *sn = calloc(1, sizeof(*sn));
	const struct c_flow *r;
	const struct c_sess *s;
	const struct c_stats *st;
	const uint8_t a6[16] = {0x20, 1, 0x0d, 0xb8, [15] = 1};
	const uint8_t zero[16] = {0};

	make_tmpdir();
	base_cfg(&cfg);
	add_file(&cfg, "full.ipfix", PROFILE_FULL, path);
	export_all(&cfg);
	read_file(path, sn);

	ck_assert_uint_eq(sn->domain, DOMAIN);
	assert_common_flows(sn, PEN);
	for (int i = 0; i < 4; i++) {
		ck_assert(sn->flow_has_role[i]);
		ck_assert(sn->flow_has_iflags[i]);
		ck_assert(!sn->flow_has_tcpbits[i]);
	}
	r = &sn->flow[0];
	ck_assert_uint_eq(r->iflags, 0x02);
	ck_assert_uint_eq(r->uflags, 0x19);
	ck_assert_uint_eq(r->riflags, 0x12);
	ck_assert_uint_eq(r->ruflags, 0x18);
	ck_assert_uint_eq(r->role, 0);
	ck_assert_uint_eq(r->sess, 0);
	ck_assert_uint_eq(sn->flow[1].role, ROLE_UDP_PROBE_POS);
	ck_assert_uint_eq(sn->flow[1].sess, 77);
	r = &sn->flow[3];
	ck_assert_uint_eq(r->role, ROLE_SN_CONNECTION);
	ck_assert_uint_eq(r->sess, 77);
	ck_assert_uint_eq(r->iflags, 0x02);
	ck_assert_uint_eq(r->uflags, 0x10);
	ck_assert_uint_eq(r->riflags, 0x12);
	ck_assert_uint_eq(r->ruflags, 0x11);

	/* the standard join key: commonPropertiesId = session id, 0 = none */
	for (int i = 0; i < 4; i++) {
		ck_assert(sn->flow_has_cpid[i]);
		ck_assert(!sn->flow_has_opid[i]);
		ck_assert_uint_eq(sn->flow[i].cpid, sn->flow[i].sess);
	}
	ck_assert_uint_eq(sn->flow[3].cpid, 77);

	ck_assert_int_eq(sn->n_sess, 3);
	for (int i = 0; i < 3; i++) {
		ck_assert(sn->sess_has_cpid[i]);
		ck_assert_uint_eq(sn->sess[i].cpid, sn->sess[i].sess);
	}
	s = &sn->sess[0];
	ck_assert(sn->sess_is4[0]);
	ck_assert_uint_eq(s->sess, 77);
	ck_assert_uint_eq(s->src4, 0x0a000001);
	ck_assert_uint_eq(s->dst4, 0xc6336407);
	ck_assert_uint_eq(s->sport, 33033);
	ck_assert_uint_eq(s->dport, 443);
	ck_assert_uint_eq(s->start, 1700000000000ULL);
	ck_assert_uint_eq(s->connected, 1700000001000ULL);
	ck_assert_uint_eq(s->end, 1700000100000ULL);
	ck_assert_uint_eq(s->changes, 2);
	ck_assert_uint_eq(s->refused, 3);
	ck_assert_uint_eq(s->reason, SESS_END_SN_CLOSED);
	ck_assert_uint_eq(s->mode, MODE_UDP_TCP);
	ck_assert_uint_eq(s->login, LOGIN_L4);
	ck_assert_uint_eq(s->version, SKYPE_VER_2);
	s = &sn->sess[1];
	ck_assert(!sn->sess_is4[1]);
	ck_assert_uint_eq(s->sess, 78);
	ck_assert_mem_eq(s->src6, a6, 16);
	ck_assert_mem_eq(s->dst6, zero, 16);
	ck_assert_uint_eq(s->connected, 0);
	ck_assert_uint_eq(s->end, 1700000300000ULL);
	ck_assert_uint_eq(s->reason, SESS_END_TIMEOUT);
	ck_assert_uint_eq(s->mode, MODE_RESTRICTED_443);
	ck_assert_uint_eq(s->login, LOGIN_FAILED);
	ck_assert_uint_eq(s->version, SKYPE_VER_1_4);
	s = &sn->sess[2];
	ck_assert(sn->sess_is4[2]);
	ck_assert_uint_eq(s->sess, 79);
	ck_assert_uint_eq(s->src4, 0x0a000009);
	ck_assert_uint_eq(s->dst4, 0);
	ck_assert_uint_eq(s->reason, SESS_END_SHUTDOWN);

	assert_app_names(sn, PEN);
	ck_assert_int_eq(sn->n_app_fixed, 0);

	ck_assert_int_eq(sn->n_stats, 1);
	st = &sn->stats[0];
	ck_assert_uint_eq(st->domain, DOMAIN);
	{
		const uint64_t want[N_STATS] = {
			1700000000123ULL, 1700000063000ULL, 21, 0, 0, 0, 4,
			1000, 123456, 979, 1, 2, 3, 4, 5, 6, 5, 6, 7, 8, 3, 9,
			4,
		};

		for (int i = 0; i < N_STATS; i++)
			ck_assert_msg(st->v[i] == want[i], "%s: %llu != %llu",
				      stats_names[i],
				      (unsigned long long)st->v[i],
				      (unsigned long long)want[i]);
	}

	/* RFC 5610: our 27 elements and the 4 CERT flag elements. */
	ck_assert_int_eq(sn->n_type, 31);
	ck_assert(type_named(sn, "skypeFlowRole", PEN,
			     file_id("skypeFlowRole")));
	ck_assert(type_named(sn, "skypeVersion", PEN,
			     file_id("skypeVersion")));
	ck_assert(type_named(sn, "skypeProbeFlowsExported", PEN,
			     file_id("skypeProbeFlowsExported")));
	/* the numbering: a block of its own, above IANA's and CERT's ids */
	ck_assert_uint_eq(file_id("skypeFlowRole"), 12001);
	ck_assert_uint_eq(file_id("skypeProbeFlowsExported"), 12027);
	ck_assert(type_named(sn, "reverseUnionTCPFlags", 6871, 0x4000 | 15));
	free(sn);
	remove_tmpdir();
}
END_TEST

START_TEST(nfdump_profile_file)
{
	struct export_config cfg;
	char path[EXPORT_STR];
	struct seen *sn = calloc(1, sizeof(*sn));

	make_tmpdir();
	base_cfg(&cfg);
	add_file(&cfg, "nfd.ipfix", PROFILE_NFDUMP, path);
	export_all(&cfg);
	read_file(path, sn);

	assert_common_flows(sn, PEN);
	for (int i = 0; i < 4; i++) {
		ck_assert(!sn->flow_has_role[i]);
		ck_assert(!sn->flow_has_iflags[i]);
		ck_assert(sn->flow_has_tcpbits[i]);
		ck_assert_uint_eq(sn->flow[i].role, 0);
		ck_assert_uint_eq(sn->flow[i].sess, 0);
	}
	ck_assert_uint_eq(sn->flow[0].tcpbits, 0x02 | 0x19 | 0x12 | 0x18);
	ck_assert_uint_eq(sn->flow[1].tcpbits, 0);
	ck_assert_uint_eq(sn->flow[3].tcpbits, 0x13);
	/* the session id in observationPointId, 0 = none; no
	 * commonPropertiesId (nfcapd drops it) */
	for (int i = 0; i < 4; i++) {
		ck_assert(sn->flow_has_opid[i]);
		ck_assert(!sn->flow_has_cpid[i]);
	}
	ck_assert_uint_eq(sn->flow[0].opid, 0);
	ck_assert_uint_eq(sn->flow[1].opid, 77);
	ck_assert_uint_eq(sn->flow[2].opid, 0);
	ck_assert_uint_eq(sn->flow[3].opid, 77);
	ck_assert_int_eq(sn->n_sess, 0);
	ck_assert_int_eq(sn->n_stats, 0);
	ck_assert_int_eq(sn->n_type, 0);
	assert_app_names(sn, PEN);
	ck_assert_int_eq(sn->n_app_fixed, 9);
	free(sn);
	remove_tmpdir();
}
END_TEST

/* session_observation_point: false leaves observationPointId out. */
START_TEST(nfdump_profile_without_opid)
{
	struct export_config cfg;
	char path[EXPORT_STR];
	struct seen *sn = calloc(1, sizeof(*sn));

	make_tmpdir();
	base_cfg(&cfg);
	add_file(&cfg, "nfd.ipfix", PROFILE_NFDUMP, path);
	cfg.collectors[0].session_opid = 0;
	export_all(&cfg);
	read_file(path, sn);

	assert_common_flows(sn, PEN);
	for (int i = 0; i < 4; i++) {
		ck_assert(!sn->flow_has_opid[i]);
		ck_assert(!sn->flow_has_cpid[i]);
		ck_assert_uint_eq(sn->flow[i].opid, 0);
		ck_assert(sn->flow_has_tcpbits[i]);
	}
	assert_app_names(sn, PEN);
	free(sn);
	remove_tmpdir();
}
END_TEST

START_TEST(other_pen)
{
	struct export_config cfg;
	char path[EXPORT_STR];
	struct seen *sn = calloc(1, sizeof(*sn));

	make_tmpdir();
	base_cfg(&cfg);
	cfg.pen = 4000000001u;
	add_file(&cfg, "pen.ipfix", PROFILE_FULL, path);
	export_all(&cfg);
	read_file_pen(path, sn, 4000000001u);
	assert_common_flows(sn, 4000000001u);
	ck_assert_uint_eq(sn->flow[1].role, ROLE_UDP_PROBE_POS);
	ck_assert_int_eq(sn->n_sess, 3);
	ck_assert_uint_eq(sn->sess[0].version, SKYPE_VER_2);
	ck_assert_int_eq(sn->n_stats, 1);
	ck_assert_uint_eq(sn->stats[0].v[N_STATS - 1], 4);
	assert_app_names(sn, 4000000001u);
	ck_assert(type_named(sn, "skypeFlowRole", 4000000001u,
			     file_id("skypeFlowRole")));
	ck_assert(type_named(sn, "skypeProbeClientLimitHits", 4000000001u,
			     file_id("skypeProbeClientLimitHits")));
	ck_assert(!type_named(sn, "skypeFlowRole", PEN,
			      file_id("skypeFlowRole")));
	free(sn);
	remove_tmpdir();
}
END_TEST

/* Records beyond one message: the buffer is emitted and refilled. */
START_TEST(many_flows_span_messages)
{
	struct export_config cfg;
	char path[EXPORT_STR];
	struct flow f[4];
	struct exporter *ex;
	fbCollector_t *coll;
	fbInfoModel_t *m;
	fBuf_t *fbuf;
	GError *err = NULL;
	struct c_flow r;
	fbTemplate_t *t;
	uint16_t tid;
	size_t len;
	uint32_t n = 0;
	uint64_t sum = 0;

	make_tmpdir();
	make_flows(f);
	base_cfg(&cfg);
	add_file(&cfg, "many.ipfix", PROFILE_FULL, path);
	ex = exporter_new(&cfg, NULL);
	ck_assert(ex != NULL);
	for (uint16_t i = 0; i < 3000; i++) {
		f[i % 4].key.sport = i;
		exporter_flow(ex, &f[i % 4], END_IDLE_TIMEOUT);
	}
	ck_assert_uint_eq(exporter_not_sent(ex), 0);
	exporter_free(ex);

	coll = fbCollectorAllocFile(NULL, path, &err);
	ck_assert(coll != NULL);
	m = collector_model(PEN);
	fbuf = fBufAllocForCollection(collector_session(m), coll);
	while ((t = fBufNextCollectionTemplate(fbuf, &tid, &err)) != NULL) {
		if (fbInfoModelTypeInfoRecord(t) ||
		    !has(t, "flowEndReason")) {
			/* options records, read into a scratch buffer */
			uint8_t junk[512];

			len = sizeof(junk);
			ck_assert(fBufSetInternalTemplate(fbuf,
				fbInfoModelTypeInfoRecord(t) ? ITID_TYPE :
				has(t, "applicationName") ? ITID_APP :
				ITID_STATS, &err));
			ck_assert(fBufNext(fbuf, junk, &len, &err));
			continue;
		}
		ck_assert(fBufSetInternalTemplate(fbuf, ITID_FLOW, &err));
		len = sizeof(r);
		ck_assert(fBufNext(fbuf, (uint8_t *)&r, &len, &err));
		ck_assert_uint_eq(r.reason, END_IDLE_TIMEOUT);
		ck_assert_uint_eq(r.sport, n);
		sum += r.oct;
		n++;
	}
	ck_assert_msg(g_error_matches(err, FB_ERROR_DOMAIN, FB_ERROR_EOF),
		      "read ended with: %s", err ? err->message : "no error");
	g_clear_error(&err);
	ck_assert_uint_eq(n, 3000);
	ck_assert_uint_eq(sum, 750ULL * (1000 + 60 + 84 + 4000000000ULL));
	fBufFree(fbuf);
	fbInfoModelFree(m);
	remove_tmpdir();
}
END_TEST

START_TEST(bad_config)
{
	struct export_config cfg;
	struct logger lg;
	char *text = NULL, want[300];
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);

	make_tmpdir();
	to_stream(&lg, out);
	base_cfg(&cfg);
	strcpy(cfg.elements_file, "/nonexistent/skyprobe.xml");
	ck_assert(exporter_new(&cfg, &lg) == NULL);
	base_cfg(&cfg);
	cfg.pen = 0;
	ck_assert(exporter_new(&cfg, &lg) == NULL);
	base_cfg(&cfg);
	add_file(&cfg, "no/such/dir/x.ipfix", PROFILE_FULL, NULL);
	ck_assert(exporter_new(&cfg, &lg) == NULL);
	fclose(out);
	/* Through the logger, one line each. */
	snprintf(want, sizeof(want), "skyprobe: error: export: enterprise "
		 "number 0 is reserved\nskyprobe: error: export: "
		 "%s/no/such/dir/x.ipfix: cannot write: No such file or "
		 "directory\n", tmpdir);
	ck_assert_ptr_nonnull(strstr(text, "skyprobe: error: "
				     "/nonexistent/skyprobe.xml: cannot read "
				     "element file: "));
	ck_assert_ptr_nonnull(strstr(text, want));
	free(text);
	remove_tmpdir();
}
END_TEST

/* --- ipfixDump -------------------------------------------------------------- */

static const char *enterprise_names[] = {
	"skypeFlowRole", "skypeSessionId", "skypeSessionStartMilliseconds",
	"skypeSessionConnectedMilliseconds", "skypeSessionEndMilliseconds",
	"skypeSessionEndReason", "skypeTransportMode", "skypeLoginPhase",
	"skypeSupernodeChanges", "skypeRefusedSupernodes", "skypeVersion",
	"skypeProbePacketsRead", "skypeProbeOctetsRead",
	"skypeProbePacketsDecoded", "skypeProbeRejectedTruncatedLink",
	"skypeProbeRejectedTruncatedIP", "skypeProbeRejectedBadIP",
	"skypeProbeRejectedTruncatedTransport",
	"skypeProbeRejectedBadTransport", "skypeProbeRejectedNotIP",
	"skypeProbeKernelDropped", "skypeProbeInterfaceDropped",
	"skypeProbeFlowsActive", "skypeProbeFlowsEvicted",
	"skypeProbeSessionsExported", "skypeProbeClientLimitHits",
	"skypeProbeFlowsExported",
};

static char *run_capture(const char *cmd)
{
	FILE *p = popen(cmd, "r");
	size_t cap = 1 << 20, n = 0, got;
	char *out = malloc(cap + 1);

	ck_assert(p != NULL && out != NULL);
	while ((got = fread(out + n, 1, cap - n, p)) > 0)
		n += got;
	out[n] = '\0';
	ck_assert_int_eq(pclose(p), 0);
	return out;
}

START_TEST(ipfixdump_names)
{
	struct export_config cfg;
	char path[EXPORT_STR], cmd[1024];
	char *out;

	if (system("ipfixDump --version >/dev/null 2>&1") != 0) {
		fprintf(stderr, "ipfixDump not installed: skipped\n");
		return;
	}
	make_tmpdir();
	base_cfg(&cfg);
	add_file(&cfg, "dump.ipfix", PROFILE_FULL, path);
	export_all(&cfg);
	/* With the element file ... */
	snprintf(cmd, sizeof(cmd), "ipfixDump --element-file '%s' --in '%s'",
		 elements(), path);
	out = run_capture(cmd);
	for (size_t i = 0; i < sizeof(enterprise_names) /
			       sizeof(enterprise_names[0]); i++)
		ck_assert_msg(strstr(out, enterprise_names[i]) != NULL,
			      "ipfixDump does not name %s", enterprise_names[i]);
	ck_assert(strstr(out, "reverseUnionTCPFlags") != NULL);
	ck_assert(strstr(out, "skype-supernode") != NULL);
	free(out);
	/* ... and from the RFC 5610 records alone. */
	snprintf(cmd, sizeof(cmd), "ipfixDump --rfc5610 --in '%s'", path);
	out = run_capture(cmd);
	for (size_t i = 0; i < sizeof(enterprise_names) /
			       sizeof(enterprise_names[0]); i++)
		ck_assert_msg(strstr(out, enterprise_names[i]) != NULL,
			      "ipfixDump --rfc5610 does not name %s",
			      enterprise_names[i]);
	free(out);
	remove_tmpdir();
}
END_TEST

/* --- rotation and reconfiguration ------------------------------------------- */

static int count_files(const char *pattern)
{
	glob_t g;
	int n;

	if (glob(pattern, 0, NULL, &g) != 0)
		return 0;
	n = (int)g.gl_pathc;
	globfree(&g);
	return n;
}

START_TEST(rotation_by_size)
{
	struct export_config cfg;
	char path[EXPORT_STR], pattern[EXPORT_STR + 8];
	struct flow f[4];
	struct exporter *ex;
	struct seen *sn = calloc(1, sizeof(*sn));
	uint64_t now;
	glob_t g;

	make_tmpdir();
	make_flows(f);
	base_cfg(&cfg);
	add_file(&cfg, "rot.ipfix", PROFILE_NFDUMP, path);
	cfg.collectors[0].rotate_bytes = 1;
	ex = exporter_new(&cfg, NULL);
	ck_assert(ex != NULL);
	/* Not before the first file's time: the names must sort in order. */
	now = (uint64_t)time(NULL);
	for (int i = 0; i < 3; i++) {
		exporter_flow(ex, &f[0], END_IDLE_TIMEOUT);
		exporter_tick(ex, now);
	}
	exporter_free(ex);
	snprintf(pattern, sizeof(pattern), "%s.*", path);
	/* Three files with one flow each, and the fourth, empty, open one. */
	ck_assert_int_eq(count_files(pattern), 4);
	ck_assert_int_eq(glob(pattern, 0, NULL, &g), 0);
	for (size_t i = 0; i < 3; i++) {
		read_file(g.gl_pathv[i], sn);
		ck_assert_int_eq(sn->n_flow, 1);
		ck_assert_int_eq(sn->n_app, 9);
	}
	globfree(&g);
	free(sn);
	remove_tmpdir();
}
END_TEST

START_TEST(reconfigure_keeps_unchanged)
{
	struct export_config cfg;
	char a[EXPORT_STR], b[EXPORT_STR], c[EXPORT_STR];
	struct flow f[4];
	struct exporter *ex;
	struct logger lg;
	struct seen *sn = calloc(1, sizeof(*sn));

	make_tmpdir();
	make_flows(f);
	base_cfg(&cfg);
	add_file(&cfg, "a.ipfix", PROFILE_FULL, a);
	add_file(&cfg, "b.ipfix", PROFILE_FULL, b);
	ex = exporter_new(&cfg, to_stream(&lg, stderr));
	ck_assert(ex != NULL);
	exporter_flow(ex, &f[0], END_IDLE_TIMEOUT);

	base_cfg(&cfg);
	add_file(&cfg, "b.ipfix", PROFILE_FULL, b);
	add_file(&cfg, "c.ipfix", PROFILE_FULL, c);
	ck_assert_int_eq(exporter_reconfigure(ex, &cfg), 0);
	exporter_flow(ex, &f[1], END_IDLE_TIMEOUT);

	/* A failed reconfiguration changes nothing. */
	add_file(&cfg, "no/such/dir/d.ipfix", PROFILE_FULL, NULL);
	{
		FILE *devnull = fopen("/dev/null", "w");

		lg.stream = devnull;
		ck_assert_int_eq(exporter_reconfigure(ex, &cfg), -1);
		lg.stream = stderr;
		fclose(devnull);
	}
	exporter_flow(ex, &f[2], END_IDLE_TIMEOUT);
	exporter_free(ex);

	read_file(a, sn);
	ck_assert_int_eq(sn->n_flow, 1);
	read_file(b, sn);
	ck_assert_int_eq(sn->n_flow, 3);
	ck_assert_int_eq(sn->n_app, 9);         /* one session, not two */
	read_file(c, sn);
	ck_assert_int_eq(sn->n_flow, 2);
	ck_assert_uint_eq(sn->flow[0].proto, 17);
	free(sn);
	remove_tmpdir();
}
END_TEST

/* A new PEN rebuilds the model; the file keeps what it had. */
START_TEST(reconfigure_new_pen)
{
	struct export_config cfg;
	char path[EXPORT_STR];
	struct flow f[4];
	struct exporter *ex;
	struct seen *sn = calloc(1, sizeof(*sn));

	make_tmpdir();
	make_flows(f);
	base_cfg(&cfg);
	add_file(&cfg, "pen.ipfix", PROFILE_FULL, path);
	ex = exporter_new(&cfg, NULL);
	ck_assert(ex != NULL);
	exporter_flow(ex, &f[1], END_IDLE_TIMEOUT);
	cfg.pen = 12345;
	ck_assert_int_eq(exporter_reconfigure(ex, &cfg), 0);
	exporter_flow(ex, &f[1], END_IDLE_TIMEOUT);
	exporter_free(ex);
	read_file(path, sn);
	ck_assert_int_eq(sn->n_flow, 2);
	assert_app_id(sn->flow_app[0], PEN, ROLE_UDP_PROBE_POS);
	assert_app_id(sn->flow_app[1], 12345, ROLE_UDP_PROBE_POS);
	ck_assert_int_eq(sn->n_app, 18);
	free(sn);
	remove_tmpdir();
}
END_TEST

/* --- network collectors ------------------------------------------------------ */

/* A loopback port nobody listens on (bound, then released). */
static uint16_t free_port(int type)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, type, 0);

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert(fd >= 0);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	close(fd);
	return ntohs(sa.sin_port);
}

static int listen_on(int type, uint16_t port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	int fd = socket(AF_INET, type, 0), one = 1;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sa.sin_port = htons(port);
	ck_assert(fd >= 0);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	if (type == SOCK_STREAM)
		ck_assert_int_eq(listen(fd, 4), 0);
	return fd;
}

START_TEST(tcp_down_counts_and_reconnects)
{
	struct export_config cfg;
	struct flow f[4];
	struct session_rec s[3];
	struct probe_stats st;
	struct exporter *ex;
	struct logger lg;
	struct seen *sn = calloc(1, sizeof(*sn));
	uint16_t port = free_port(SOCK_STREAM);
	uint64_t now = (uint64_t)time(NULL);
	struct pollfd pfd;
	int lfd, cfd = -1;
	fbCollector_t *coll;
	FILE *devnull = fopen("/dev/null", "w");

	make_flows(f);
	make_sessions(s);
	make_stats(&st);
	base_cfg(&cfg);
	add_net(&cfg, COLLECTOR_TCP, PROFILE_FULL, port);
	ex = exporter_new(&cfg, to_stream(&lg, devnull));
	ck_assert(ex != NULL);
	for (int i = 0; i < 4; i++)
		exporter_flow(ex, &f[i], reasons[i]);
	exporter_session(ex, &s[0]);
	exporter_stats(ex, &st);
	ck_assert_uint_eq(exporter_not_sent(ex), 6);
	exporter_tick(ex, now);         /* retry not due: backoff 1 s */
	exporter_flow(ex, &f[0], END_FORCED);
	ck_assert_uint_eq(exporter_not_sent(ex), 7);

	/* The collector comes up: the next retry connects. */
	lfd = listen_on(SOCK_STREAM, port);
	pfd.fd = lfd;
	pfd.events = POLLIN;
	for (int i = 0; i < 50 && cfd < 0; i++) {
		exporter_tick(ex, now + 1);
		if (poll(&pfd, 1, 20) == 1)
			cfd = accept(lfd, NULL, NULL);
	}
	ck_assert_int_ge(cfd, 0);
	for (int i = 0; i < 20; i++)    /* connect completes */
		exporter_tick(ex, now + 1);
	exporter_flow(ex, &f[1], END_IDLE_TIMEOUT);
	exporter_flow(ex, &f[3], END_IDLE_TIMEOUT);
	exporter_session(ex, &s[0]);
	exporter_tick(ex, now + 2);
	ck_assert_uint_eq(exporter_not_sent(ex), 7);
	exporter_free(ex);
	close(lfd);

	/* The stream carries templates again, then the records. */
	coll = fbCollectorAllocFP(NULL, fdopen(cfd, "r"));
	ck_assert(coll != NULL);
	read_stream(coll, sn);
	ck_assert_int_eq(sn->n_flow, 2);
	ck_assert_uint_eq(sn->flow[0].sport, 33033);
	ck_assert_uint_eq(sn->flow[1].role, ROLE_SN_CONNECTION);
	ck_assert_int_eq(sn->n_sess, 1);
	ck_assert_int_eq(sn->n_app, 9);
	ck_assert_int_eq(sn->n_type, 31);
	ck_assert_uint_eq(sn->domain, DOMAIN);
	free(sn);
	fclose(devnull);
}
END_TEST

START_TEST(tcp_collector_goes_away)
{
	struct export_config cfg;
	struct flow f[4];
	struct exporter *ex;
	struct logger lg;
	uint16_t port = free_port(SOCK_STREAM);
	uint64_t now = (uint64_t)time(NULL);
	int lfd = listen_on(SOCK_STREAM, port), cfd;
	FILE *devnull = fopen("/dev/null", "w");

	make_flows(f);
	base_cfg(&cfg);
	add_net(&cfg, COLLECTOR_TCP, PROFILE_FULL, port);
	ex = exporter_new(&cfg, to_stream(&lg, devnull));
	ck_assert(ex != NULL);
	cfd = accept(lfd, NULL, NULL);
	ck_assert_int_ge(cfd, 0);
	exporter_flow(ex, &f[0], END_IDLE_TIMEOUT);
	exporter_tick(ex, now);
	ck_assert_uint_eq(exporter_not_sent(ex), 0);
	close(cfd);
	close(lfd);
	/* The first write after the peer closed may still be accepted by
	 * the kernel; the RST makes a later one fail. */
	for (int i = 0; i < 10; i++) {
		exporter_flow(ex, &f[0], END_IDLE_TIMEOUT);
		exporter_tick(ex, now);
		usleep(20000);
	}
	ck_assert_uint_ge(exporter_not_sent(ex), 1);
	ck_assert_uint_le(exporter_not_sent(ex), 10);
	/* Down now: every further record is counted at once. */
	{
		uint64_t before = exporter_not_sent(ex);

		exporter_flow(ex, &f[1], END_IDLE_TIMEOUT);
		ck_assert_uint_eq(exporter_not_sent(ex), before + 1);
	}
	exporter_free(ex);
	fclose(devnull);
}
END_TEST

/* --- never blind, never stalled, never corrupt ------------------------------ */

static uint64_t mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* Bytes of whole IPFIX messages at the start of buf[0..len). */
static size_t whole_messages(const uint8_t *buf, size_t len, int *n)
{
	size_t off = 0;

	*n = 0;
	while (off + 16 <= len) {
		size_t mlen = (size_t)buf[off + 2] << 8 | buf[off + 3];

		ck_assert_uint_eq(buf[off] << 8 | buf[off + 1], 10);
		ck_assert_uint_ge(mlen, 16);
		if (off + mlen > len)
			break;
		off += mlen;
		(*n)++;
	}
	return off;
}

static uint8_t *slurp(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "r");
	uint8_t *buf;
	long size;

	ck_assert(fp != NULL);
	fseek(fp, 0, SEEK_END);
	size = ftell(fp);
	rewind(fp);
	buf = malloc((size_t)size + 1);
	ck_assert(buf != NULL);
	ck_assert_uint_eq(fread(buf, 1, (size_t)size, fp), (size_t)size);
	fclose(fp);
	*len = (size_t)size;
	return buf;
}

/* Flow records in an IPFIX file, read to a clean end of file. */
static int count_flows(const char *path)
{
	struct seen *sn = calloc(1, sizeof(*sn));
	int n;

	counting = 1;
	read_file(path, sn);
	counting = 0;
	n = sn->n_flow;
	free(sn);
	return n;
}

/*
 * A collector that accepts and never reads: the old exporter blocked up
 * to 2 s in each write, with the capture behind it.  Now no call waits;
 * once the queue is full whole messages are dropped and counted, and
 * what the collector's TCP stack never acknowledged is counted at close:
 * the records it can still read plus those counted equal those produced.
 */
START_TEST(tcp_stalled_collector_never_blocks)
{
	struct export_config cfg;
	struct flow f[4];
	struct exporter *ex;
	struct logger lg;
	uint16_t port = free_port(SOCK_STREAM);
	uint64_t now = (uint64_t)time(NULL), worst = 0, produced = 0;
	uint64_t not_sent;
	int lfd = listen_on(SOCK_STREAM, port), cfd, msgs;
	FILE *devnull = fopen("/dev/null", "w");
	size_t cap = 64u << 20, len = 0, whole;
	uint8_t *buf = malloc(cap);
	char path[EXPORT_STR];
	FILE *fp;
	ssize_t n;

	make_tmpdir();
	make_flows(f);
	base_cfg(&cfg);
	add_net(&cfg, COLLECTOR_TCP, PROFILE_FULL, port);
	ex = exporter_new(&cfg, to_stream(&lg, devnull));
	ck_assert(ex != NULL);
	cfd = accept(lfd, NULL, NULL);
	ck_assert_int_ge(cfd, 0);
	/* Until records are lost (queue and socket buffers full), and a
	 * while after; stop early if a call blocks. */
	for (int i = 0; i < 1000000 && worst < 1000000; i++) {
		uint64_t t0 = mono_us(), dt;

		exporter_flow(ex, &f[0], END_IDLE_TIMEOUT);
		produced++;
		if (i % 1000 == 999)
			exporter_tick(ex, now + (uint64_t)i / 1000);
		dt = mono_us() - t0;
		if (dt > worst)
			worst = dt;
		if (exporter_not_sent(ex) >= 20000)
			break;
	}
	ck_assert_msg(worst < 1000000, "an export call blocked %llu us",
		      (unsigned long long)worst);
	ck_assert_uint_ge(exporter_not_sent(ex), 20000);
	usleep(300000);                 /* the peer's delayed ACKs land */
	{
		uint64_t t0 = mono_us();

		exporter_finish(ex);    /* not reading: no wait at all */
		ck_assert_uint_lt(mono_us() - t0, 1000000);
	}
	not_sent = exporter_not_sent(ex);
	exporter_free(ex);

	/* What the collector can still read: whole messages only. */
	while (len < cap && (n = recv(cfd, buf + len, cap - len, 0)) > 0)
		len += (size_t)n;
	close(cfd);
	close(lfd);
	whole = whole_messages(buf, len, &msgs);
	ck_assert_int_gt(msgs, 1);
	snprintf(path, sizeof(path), "%s/got.ipfix", tmpdir);
	fp = fopen(path, "w");
	ck_assert_uint_eq(fwrite(buf, 1, whole, fp), whole);
	fclose(fp);
	ck_assert_uint_eq((uint64_t)count_flows(path) + not_sent, produced);
	free(buf);
	remove_tmpdir();
	fclose(devnull);
}
END_TEST

/*
 * A collector that reads the templates, then closes: the next message is
 * accepted by the kernel and answered with a reset, so it never arrives.
 * The old exporter counted it as exported; every record is lost here.
 */
START_TEST(tcp_unacknowledged_counted)
{
	struct export_config cfg;
	struct flow f[4];
	struct exporter *ex;
	struct logger lg;
	uint16_t port = free_port(SOCK_STREAM);
	uint64_t now = (uint64_t)time(NULL);
	int lfd = listen_on(SOCK_STREAM, port), cfd;
	FILE *devnull = fopen("/dev/null", "w");
	struct pollfd pfd;
	uint8_t buf[65536];

	make_flows(f);
	base_cfg(&cfg);
	add_net(&cfg, COLLECTOR_TCP, PROFILE_FULL, port);
	ex = exporter_new(&cfg, to_stream(&lg, devnull));
	ck_assert(ex != NULL);
	cfd = accept(lfd, NULL, NULL);
	ck_assert_int_ge(cfd, 0);
	/* Read everything sent so far, so that close sends FIN, not RST. */
	pfd.fd = cfd;
	pfd.events = POLLIN;
	while (poll(&pfd, 1, 300) == 1 && recv(cfd, buf, sizeof(buf), 0) > 0)
		;
	close(cfd);
	close(lfd);
	usleep(100000);
	for (int i = 0; i < 10; i++) {
		exporter_flow(ex, &f[0], END_IDLE_TIMEOUT);
		exporter_tick(ex, now);
		usleep(20000);
	}
	exporter_finish(ex);
	ck_assert_uint_eq(exporter_not_sent(ex), 10);
	exporter_free(ex);
	fclose(devnull);
}
END_TEST

/*
 * A full filesystem (a 128 KiB tmpfs, root only): the failed write is
 * cut off, the file ends at a whole message, writing resumes when space
 * is freed, and records read + records not sent = records produced.
 */
START_TEST(file_full_filesystem_stays_whole)
{
	struct export_config cfg;
	char path[EXPORT_STR], filler[EXPORT_STR + 8];
	struct flow f[4];
	struct exporter *ex;
	struct logger lg;
	uint64_t now = (uint64_t)time(NULL), produced = 0, not_sent;
	FILE *devnull = fopen("/dev/null", "w"), *fp;
	size_t len;
	uint8_t *buf;
	int msgs, after;

	make_tmpdir();
	/* A mount namespace of this test's own (Check forks one process per
	 * test): the tmpfs goes with the process, even when an assertion
	 * ends it early. */
	if (unshare(CLONE_NEWNS) < 0 ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
	    mount("tmpfs", tmpdir, "tmpfs", 0, "size=128k") < 0) {
		fprintf(stderr, "# skipped: cannot mount a tmpfs: %s\n",
			strerror(errno));
		remove_tmpdir();
		fclose(devnull);
		return;
	}
	snprintf(filler, sizeof(filler), "%s/filler", tmpdir);
	fp = fopen(filler, "w");
	for (int i = 0; i < 48 * 1024; i++)
		fputc('x', fp);
	ck_assert_int_eq(fclose(fp), 0);
	make_flows(f);
	base_cfg(&cfg);
	add_file(&cfg, "full.ipfix", PROFILE_FULL, path);
	ex = exporter_new(&cfg, to_stream(&lg, devnull));
	ck_assert(ex != NULL);
	/* Until the disk is full, and some more while it is. */
	for (int i = 0; i < 20000 && exporter_not_sent(ex) < 500; i++) {
		exporter_flow(ex, &f[i % 4 == 1 ? 1 : 0], END_IDLE_TIMEOUT);
		produced++;
		if (i % 50 == 49)
			exporter_tick(ex, now);
	}
	ck_assert_uint_ge(exporter_not_sent(ex), 500);
	buf = slurp(path, &len);
	ck_assert_uint_eq(whole_messages(buf, len, &msgs), len);
	free(buf);
	/* Space again: the next retry writes on after the last message. */
	ck_assert_int_eq(unlink(filler), 0);
	exporter_tick(ex, now + 2);
	for (int i = 0; i < 100; i++) {
		exporter_flow(ex, &f[0], END_IDLE_TIMEOUT);
		produced++;
	}
	exporter_tick(ex, now + 3);
	exporter_finish(ex);
	not_sent = exporter_not_sent(ex);
	exporter_free(ex);

	buf = slurp(path, &len);
	ck_assert_uint_eq(whole_messages(buf, len, &after), len);
	ck_assert_int_gt(after, msgs);
	free(buf);
	ck_assert_uint_eq((uint64_t)count_flows(path) + not_sent, produced);
	ck_assert_int_eq(umount(tmpdir), 0);
	remove_tmpdir();
	fclose(devnull);
}
END_TEST

/*
 * A reload that removes a TCP collector does not wait for it: what it
 * still had to send drains from the ticks that follow, and arrives whole.
 */
START_TEST(reconfigure_retires_tcp_without_waiting)
{
	struct export_config cfg;
	char path[EXPORT_STR];
	struct flow f[4];
	struct exporter *ex;
	struct logger lg;
	struct seen *sn = calloc(1, sizeof(*sn));
	uint16_t port = free_port(SOCK_STREAM);
	uint64_t now = (uint64_t)time(NULL);
	int lfd = listen_on(SOCK_STREAM, port), cfd;
	FILE *devnull = fopen("/dev/null", "w");
	fbCollector_t *coll;

	make_tmpdir();
	make_flows(f);
	base_cfg(&cfg);
	add_net(&cfg, COLLECTOR_TCP, PROFILE_FULL, port);
	ex = exporter_new(&cfg, to_stream(&lg, devnull));
	ck_assert(ex != NULL);
	cfd = accept(lfd, NULL, NULL);
	ck_assert_int_ge(cfd, 0);
	for (int i = 0; i < 4; i++)
		exporter_flow(ex, &f[i], reasons[i]);

	base_cfg(&cfg);
	add_file(&cfg, "after.ipfix", PROFILE_FULL, path);
	ck_assert_int_eq(exporter_reconfigure(ex, &cfg), 0);
	exporter_flow(ex, &f[0], END_IDLE_TIMEOUT);
	for (int i = 0; i < 20; i++) {
		exporter_tick(ex, now + (uint64_t)i);
		usleep(10000);
	}
	ck_assert_uint_eq(exporter_not_sent(ex), 0);
	exporter_free(ex);
	close(lfd);

	coll = fbCollectorAllocFP(NULL, fdopen(cfd, "r"));
	ck_assert(coll != NULL);
	read_stream(coll, sn);
	ck_assert_int_eq(sn->n_flow, 4);
	ck_assert_uint_eq(sn->flow[1].sport, 33033);
	read_file(path, sn);
	ck_assert_int_eq(sn->n_flow, 1);
	free(sn);
	remove_tmpdir();
	fclose(devnull);
}
END_TEST

START_TEST(udp_datagrams)
{
	struct export_config cfg;
	struct flow f[4];
	struct exporter *ex;
	uint16_t port = free_port(SOCK_DGRAM);
	int fd = listen_on(SOCK_DGRAM, port);
	uint8_t buf[65536];
	ssize_t n;
	int datagrams = 0, data_sets = 0, name_sets = 0;
	uint64_t now = (uint64_t)time(NULL);
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	make_flows(f);
	base_cfg(&cfg);
	add_net(&cfg, COLLECTOR_UDP, PROFILE_NFDUMP, port);
	cfg.collectors[0].template_refresh_s = 5;
	ex = exporter_new(&cfg, NULL);
	ck_assert(ex != NULL);
	exporter_flow(ex, &f[0], END_IDLE_TIMEOUT);
	exporter_tick(ex, now);
	exporter_tick(ex, now + 5);     /* template refresh */
	exporter_free(ex);
	while (poll(&pfd, 1, 200) == 1 &&
	       (n = recv(fd, buf, sizeof(buf), 0)) > 0) {
		size_t off = 16;

		ck_assert_int_ge(n, 16);
		ck_assert_uint_eq(buf[0] << 8 | buf[1], 10);
		ck_assert_uint_eq((size_t)(buf[2] << 8 | buf[3]), (size_t)n);
		ck_assert_uint_eq((uint32_t)buf[12] << 24 | buf[13] << 16 |
				  buf[14] << 8 | buf[15], DOMAIN);
		while (off + 4 <= (size_t)n) {
			unsigned set = buf[off] << 8 | buf[off + 1];
			unsigned len = buf[off + 2] << 8 | buf[off + 3];

			if (set == 256)
				data_sets++;
			/* nfcapd needs one name record per set */
			if (set == 260 || set == 263) {
				ck_assert_uint_eq(len, 4 + 4 + 9 + 32 + 64);
				name_sets++;
			}
			ck_assert_uint_ge(len, 4);
			off += len;
		}
		datagrams++;
	}
	close(fd);
	/* Templates + names, then the flow, then templates + names again. */
	ck_assert_int_ge(datagrams, 2);
	ck_assert_int_eq(data_sets, 1);
	ck_assert_int_eq(name_sets, 18);
}
END_TEST

static Suite *export_suite(void)
{
	Suite *s = suite_create("export");
	TCase *tc = tcase_create("export");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, full_profile_file);
	tcase_add_test(tc, nfdump_profile_file);
	tcase_add_test(tc, nfdump_profile_without_opid);
	tcase_add_test(tc, other_pen);
	tcase_add_test(tc, many_flows_span_messages);
	tcase_add_test(tc, bad_config);
	tcase_add_test(tc, ipfixdump_names);
	tcase_add_test(tc, rotation_by_size);
	tcase_add_test(tc, reconfigure_keeps_unchanged);
	tcase_add_test(tc, reconfigure_new_pen);
	tcase_add_test(tc, tcp_down_counts_and_reconnects);
	tcase_add_test(tc, tcp_collector_goes_away);
	tcase_add_test(tc, udp_datagrams);
	tcase_add_test(tc, tcp_stalled_collector_never_blocks);
	tcase_add_test(tc, tcp_unacknowledged_counted);
	tcase_add_test(tc, file_full_filesystem_stays_whole);
	tcase_add_test(tc, reconfigure_retires_tcp_without_waiting);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(export_suite());
	int failed;

	signal(SIGPIPE, SIG_IGN);       /* as the probe's main() does */
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
