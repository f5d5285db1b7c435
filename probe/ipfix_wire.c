/*
 * ipfix_wire.c - owns what goes on the wire: the information model, the
 * record layouts and their templates per profile, the metadata that leads
 * every stream, and the records built from flows, sessions and statistics.
 *
 * Internal record structs are laid out by field size, largest first, with
 * explicit padding, because libfixbuf's internal template is the packed
 * byte layout of the struct.
 */
#include "ipfix_wire.h"

#include <stddef.h>
#include <string.h>
#include <unistd.h>

#ifndef SKYPROBE_ELEMENTS_INSTALLED
#define SKYPROBE_ELEMENTS_INSTALLED "/usr/local/share/skyprobe/skyprobe.xml"
#endif
#ifndef SKYPROBE_ELEMENTS_SOURCE
#define SKYPROBE_ELEMENTS_SOURCE "templates/skyprobe.xml"
#endif

#define PEN_DEFAULT        32473        /* RFC 5612, used in skyprobe.xml */
#define PEN_PANA_L7_PEN    20           /* RFC 6759 classification engine */
#define APP_ID_LEN         IPFIX_APP_ID_LEN

/* Template ids: fixed so that records can be told apart in tests and by
 * collectors across reconnects; the internal ids reuse the same numbers. */
enum {
	TID_FLOW4 = 256,
	TID_FLOW6 = 257,
	TID_SESS4 = 258,
	TID_SESS6 = 259,
	TID_APPNAME = 260,
	TID_STATS = 261,
	TID_TYPEINFO = 262,
	TID_APPNAME_ALT = 263,          /* nfdump profile, see appname_fixed */
	TID_FLOW4_APP = 264,            /* nfdump profile, Skype flows */
	TID_FLOW6_APP = 265,
};

/* Spec flags: which templates an element goes into. */
#define SP_INT   0x1                    /* internal only (padding) */
#define SP_FULL  0x2                    /* full profile external */
#define SP_NFD   0x4                    /* nfdump profile external */
#define SP_APP   0x8                    /* nfdump: only in 264 and 265 */
#define SP_OPID  0x10                   /* nfdump: session in opid */
#define SP_ALL   (SP_INT | SP_FULL | SP_NFD | SP_APP | SP_OPID)

/* --- record layouts ------------------------------------------------------ */

struct flow4_rec {
	uint64_t     start_ms;
	uint64_t     end_ms;
	uint64_t     octets;
	uint64_t     packets;
	uint64_t     rev_octets;
	uint64_t     rev_packets;
	uint64_t     common_id;         /* commonPropertiesId = session */
	uint64_t     opid;              /* observationPointId = session */
	fbVarfield_t app_id;
	uint32_t     src;               /* host order */
	uint32_t     dst;
	uint32_t     session_id;
	uint16_t     sport;
	uint16_t     dport;
	uint16_t     vlan_id;
	uint16_t     icmp_typecode;
	uint8_t      proto;
	uint8_t      tos;
	uint8_t      end_reason;
	uint8_t      role;
	uint8_t      init_flags;
	uint8_t      union_flags;
	uint8_t      rev_init_flags;
	uint8_t      rev_union_flags;
	uint8_t      tcp_flags;         /* nfdump: union of both directions */
	uint8_t      pad[3];
};

struct flow6_rec {
	uint64_t     start_ms;
	uint64_t     end_ms;
	uint64_t     octets;
	uint64_t     packets;
	uint64_t     rev_octets;
	uint64_t     rev_packets;
	uint64_t     common_id;         /* commonPropertiesId = session */
	uint64_t     opid;              /* observationPointId = session */
	fbVarfield_t app_id;
	uint8_t      src[16];
	uint8_t      dst[16];
	uint32_t     session_id;
	uint16_t     sport;
	uint16_t     dport;
	uint16_t     vlan_id;
	uint16_t     icmp_typecode;
	uint8_t      proto;
	uint8_t      tos;
	uint8_t      end_reason;
	uint8_t      role;
	uint8_t      init_flags;
	uint8_t      union_flags;
	uint8_t      rev_init_flags;
	uint8_t      rev_union_flags;
	uint8_t      tcp_flags;
	uint8_t      pad[3];
};

/*
 * The session id travels three ways: skypeSessionId (ours, full), and as
 * a standard join key for collectors without skyprobe.xml:
 * commonPropertiesId (RFC 5473, full) and observationPointId (nfdump
 * profile, the one such element nfcapd 1.7.1 keeps; per collector,
 * session_observation_point).  0 = no session, in every flow record.
 */
#define FLOW_SPEC_HEAD \
	{"flowStartMilliseconds",    8, 0}, \
	{"flowEndMilliseconds",      8, 0}, \
	{"octetDeltaCount",          8, 0}, \
	{"packetDeltaCount",         8, 0}, \
	{"reverseOctetDeltaCount",   8, 0}, \
	{"reversePacketDeltaCount",  8, 0}, \
	{"commonPropertiesId",       8, SP_FULL}, \
	{"observationPointId",       8, SP_OPID}, \
	{"applicationId",            FB_IE_VARLEN, SP_APP}

#define FLOW_SPEC_TAIL \
	{"skypeSessionId",           4, SP_FULL}, \
	{"sourceTransportPort",      2, 0}, \
	{"destinationTransportPort", 2, 0}, \
	{"vlanId",                   2, 0}

#define FLOW_SPEC_BYTES \
	{"protocolIdentifier",       1, 0}, \
	{"ipClassOfService",         1, 0}, \
	{"flowEndReason",            1, 0}, \
	{"skypeFlowRole",            1, SP_FULL}, \
	{"initialTCPFlags",          1, SP_FULL}, \
	{"unionTCPFlags",            1, SP_FULL}, \
	{"reverseInitialTCPFlags",   1, SP_FULL}, \
	{"reverseUnionTCPFlags",     1, SP_FULL}, \
	{"tcpControlBits",           1, SP_NFD}, \
	{"paddingOctets",            3, SP_INT}, \
	FB_IESPEC_NULL

static fbInfoElementSpec_t flow4_spec[] = {
	FLOW_SPEC_HEAD,
	{"sourceIPv4Address",        4, 0},
	{"destinationIPv4Address",   4, 0},
	FLOW_SPEC_TAIL,
	{"icmpTypeCodeIPv4",         2, 0},
	FLOW_SPEC_BYTES
};

static fbInfoElementSpec_t flow6_spec[] = {
	FLOW_SPEC_HEAD,
	{"sourceIPv6Address",        16, 0},
	{"destinationIPv6Address",   16, 0},
	FLOW_SPEC_TAIL,
	{"icmpTypeCodeIPv6",         2, 0},
	FLOW_SPEC_BYTES
};

struct sess4_rec {
	uint64_t start_ms;
	uint64_t connected_ms;
	uint64_t end_ms;
	uint64_t common_id;             /* commonPropertiesId = session */
	uint32_t session_id;
	uint32_t client;                /* host order */
	uint32_t supernode;
	uint32_t sn_changes;
	uint32_t refused;
	uint16_t client_port;
	uint16_t sn_port;
	uint8_t  end_reason;
	uint8_t  mode;
	uint8_t  login_phase;
	uint8_t  version;
	uint8_t  pad[4];
};

struct sess6_rec {
	uint64_t start_ms;
	uint64_t connected_ms;
	uint64_t end_ms;
	uint64_t common_id;
	uint8_t  client[16];
	uint8_t  supernode[16];
	uint32_t session_id;
	uint32_t sn_changes;
	uint32_t refused;
	uint16_t client_port;
	uint16_t sn_port;
	uint8_t  end_reason;
	uint8_t  mode;
	uint8_t  login_phase;
	uint8_t  version;
	uint8_t  pad[4];
};

#define SESS_SPEC_TAIL \
	{"sourceTransportPort",               2, 0}, \
	{"destinationTransportPort",          2, 0}, \
	{"skypeSessionEndReason",             1, 0}, \
	{"skypeTransportMode",                1, 0}, \
	{"skypeLoginPhase",                   1, 0}, \
	{"skypeVersion",                      1, 0}, \
	{"paddingOctets",                     4, SP_INT}, \
	FB_IESPEC_NULL

#define SESS_SPEC_HEAD \
	{"skypeSessionStartMilliseconds",     8, 0}, \
	{"skypeSessionConnectedMilliseconds", 8, 0}, \
	{"skypeSessionEndMilliseconds",       8, 0}, \
	{"commonPropertiesId",                8, 0}

static fbInfoElementSpec_t sess4_spec[] = {
	SESS_SPEC_HEAD,
	{"skypeSessionId",                    4, 0},
	{"sourceIPv4Address",                 4, 0},
	{"destinationIPv4Address",            4, 0},
	{"skypeSupernodeChanges",             4, 0},
	{"skypeRefusedSupernodes",            4, 0},
	SESS_SPEC_TAIL
};

static fbInfoElementSpec_t sess6_spec[] = {
	SESS_SPEC_HEAD,
	{"sourceIPv6Address",                 16, 0},
	{"destinationIPv6Address",            16, 0},
	{"skypeSessionId",                    4, 0},
	{"skypeSupernodeChanges",             4, 0},
	{"skypeRefusedSupernodes",            4, 0},
	SESS_SPEC_TAIL
};

/*
 * The scope has its fixed length: Wireshark (4.0) keeps no options
 * template with a variable-length scope field and reports every name
 * record as malformed ("no template found").
 */
struct appname_rec {
	uint8_t      app_id[APP_ID_LEN]; /* scope */
	uint8_t      pad[7];
	fbVarfield_t name;
	fbVarfield_t description;
};

static fbInfoElementSpec_t appname_spec[] = {
	{"applicationId",          APP_ID_LEN, 0},
	{"paddingOctets",          7, SP_INT},
	{"applicationName",        FB_IE_VARLEN, 0},
	{"applicationDescription", FB_IE_VARLEN, 0},
	FB_IESPEC_NULL
};

/*
 * nfcapd 1.7.1 skips scope fields and expects fixed lengths in this
 * options template (variable lengths or an applicationId scope garble
 * the names), so the nfdump profile scopes by observationDomainId and
 * sends NUL-padded fixed-length fields.  It also steps through a set
 * by the record length without the scope, so each record goes in a set
 * of its own: two identical templates, used in turn.
 */
#define APP_NAME_LEN  32
#define APP_DESC_LEN  64

struct appname_fixed_rec {
	uint32_t obs_domain;            /* scope */
	uint8_t  app_id[APP_ID_LEN];
	char     name[APP_NAME_LEN];
	char     description[APP_DESC_LEN];
	uint8_t  pad[3];
};

static fbInfoElementSpec_t appname_fixed_spec[] = {
	{"observationDomainId",    4, 0},
	{"applicationId",          APP_ID_LEN, 0},
	{"applicationName",        APP_NAME_LEN, 0},
	{"applicationDescription", APP_DESC_LEN, 0},
	{"paddingOctets",          3, SP_INT},
	FB_IESPEC_NULL
};

/* RFC 7011 sections 4.1 and 4.2 in one record, plus our own counters. */
struct stats_rec {
	uint32_t obs_domain;            /* scope */
	uint8_t  pad[4];
	uint64_t first_ms;
	uint64_t last_ms;
	uint64_t ignored_packets;
	uint64_t not_sent_flows;
	uint64_t not_sent_packets;
	uint64_t not_sent_octets;
	uint64_t exported_flows;
	uint64_t packets_read;
	uint64_t octets_read;
	uint64_t packets_decoded;
	uint64_t rejected[DECODE_STATUS_MAX - 1];
	uint64_t kernel_dropped;
	uint64_t iface_dropped;
	uint64_t flows_active;
	uint64_t flows_evicted;
	uint64_t sessions_exported;
	uint64_t client_limit_hits;
	uint64_t flows_exported;
};

static fbInfoElementSpec_t stats_spec[] = {
	{"observationDomainId",                  4, 0},
	{"paddingOctets",                        4, SP_INT},
	{"flowStartMilliseconds",                8, 0},
	{"flowEndMilliseconds",                  8, 0},
	{"ignoredPacketTotalCount",              8, 0},
	{"notSentFlowTotalCount",                8, 0},
	{"notSentPacketTotalCount",              8, 0},
	{"notSentOctetTotalCount",               8, 0},
	{"exportedFlowRecordTotalCount",         8, 0},
	{"skypeProbePacketsRead",                8, 0},
	{"skypeProbeOctetsRead",                 8, 0},
	{"skypeProbePacketsDecoded",             8, 0},
	{"skypeProbeRejectedTruncatedLink",      8, 0},
	{"skypeProbeRejectedTruncatedIP",        8, 0},
	{"skypeProbeRejectedBadIP",              8, 0},
	{"skypeProbeRejectedTruncatedTransport", 8, 0},
	{"skypeProbeRejectedBadTransport",       8, 0},
	{"skypeProbeRejectedNotIP",              8, 0},
	{"skypeProbeKernelDropped",              8, 0},
	{"skypeProbeInterfaceDropped",           8, 0},
	{"skypeProbeFlowsActive",                8, 0},
	{"skypeProbeFlowsEvicted",               8, 0},
	{"skypeProbeSessionsExported",           8, 0},
	{"skypeProbeClientLimitHits",            8, 0},
	{"skypeProbeFlowsExported",              8, 0},
	FB_IESPEC_NULL
};

/* The rejected[] columns above follow enum decode_status from 1 on. */
_Static_assert(DECODE_STATUS_MAX == 7, "stats_spec rejected columns");
_Static_assert(sizeof(struct flow4_rec) == 112, "flow4_rec layout");
_Static_assert(sizeof(struct flow6_rec) == 136, "flow6_rec layout");
_Static_assert(sizeof(struct sess4_rec) == 64, "sess4_rec layout");
_Static_assert(sizeof(struct sess6_rec) == 88, "sess6_rec layout");
_Static_assert(sizeof(struct stats_rec) == 8 + 23 * 8, "stats_rec layout");
_Static_assert(offsetof(struct flow4_rec, src) == 80, "flow4_rec varfield");
/* ipfix_flow_rec() fills the common head through the v4 view. */
_Static_assert(offsetof(struct flow4_rec, app_id) ==
	       offsetof(struct flow6_rec, app_id), "flow head layout");
_Static_assert(sizeof(struct appname_fixed_rec) == 112, "appname layout");
_Static_assert(offsetof(struct appname_rec, name) == 16, "appname_rec layout");

/*
 * CERT elements the flow template uses.  libfixbuf 2.4's default model
 * lacks them; adding them reversible creates reverseInitialTCPFlags and
 * reverseUnionTCPFlags (6871/16398, 6871/16399) as well.
 */
static fbInfoElement_t cert_elements[] = {
	FB_IE_INIT_FULL("initialTCPFlags", 6871, 14, 1,
			FB_IE_F_ENDIAN | FB_IE_F_REVERSIBLE | FB_IE_FLAGS,
			0, 0, FB_UINT_8,
			"TCP flags of the first packet in the forward direction"),
	FB_IE_INIT_FULL("unionTCPFlags", 6871, 15, 1,
			FB_IE_F_ENDIAN | FB_IE_F_REVERSIBLE | FB_IE_FLAGS,
			0, 0, FB_UINT_8,
			"Union of the TCP flags of all packets after the first"
			" in the forward direction"),
	FB_IE_NULL
};

/* applicationName / applicationDescription per skypeFlowRole 1..9. */
static const struct {
	const char *name;
	const char *description;
} app_names[ROLE_MAX] = {
	[ROLE_UDP_PROBE_POS] = {"skype-udp-probe",
		"Skype UDP probe answered positively (signature steps 1-4)"},
	[ROLE_UDP_PROBE_NEG] = {"skype-udp-probe-negative",
		"Skype UDP probe answered negatively (51/53 byte answer)"},
	[ROLE_SN_REFUSED] = {"skype-supernode-refused",
		"Skype TCP handshake to a super node that refused it"},
	[ROLE_SN_CONNECTION] = {"skype-supernode",
		"Skype TCP connection to a super node (steps 6-9)"},
	[ROLE_RESTRICTED_443] = {"skype-restricted-443",
		"Skype in restricted mode over TCP port 443"},
	[ROLE_RESTRICTED_80] = {"skype-restricted-80",
		"Skype in restricted mode over TCP port 80"},
	[ROLE_LOGIN] = {"skype-login",
		"Skype login server exchange (L1-L4)"},
	[ROLE_SKYPEOUT] = {"skype-skypeout",
		"Skype SkypeOut gateway connection"},
	[ROLE_CONTACT_LIST] = {"skype-contact-list",
		"Skype contact-list server connection"},
};

/* --- small helpers ------------------------------------------------------- */

static uint32_t v4_of(const uint8_t a[16])
{
	return (uint32_t)a[12] << 24 | (uint32_t)a[13] << 16 |
	       (uint32_t)a[14] << 8 | a[15];
}

static int all_zero(const uint8_t a[16])
{
	static const uint8_t zero[16];

	return memcmp(a, zero, 16) == 0;
}

static void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

/* PANA-L7-PEN applicationId: engine 20, PEN, selector = role. */
static void make_app_id(uint8_t out[APP_ID_LEN], uint32_t pen, uint32_t role)
{
	out[0] = PEN_PANA_L7_PEN;
	put_be32(out + 1, pen);
	put_be32(out + 5, role);
}

/* --- information model ----------------------------------------------------- */

static const char *elements_path(const char *configured)
{
	if (configured[0])
		return configured;
	if (access(SKYPROBE_ELEMENTS_INSTALLED, R_OK) == 0)
		return SKYPROBE_ELEMENTS_INSTALLED;
	return SKYPROBE_ELEMENTS_SOURCE;
}

/* The file is written for PEN 32473; another PEN replaces every
 * enterprise id in the text before libfixbuf parses it. */
static int load_elements(fbInfoModel_t *model, const char *path,
			 uint32_t pen, struct logger *lg)
{
	static const char tag[] = "<cert:enterpriseId>32473</cert:enterpriseId>";
	gchar *text = NULL, *xml;
	gsize len = 0;
	GError *gerr = NULL;
	int ok;

	if (!g_file_get_contents(path, &text, &len, &gerr)) {
		log_error(lg, "%s: cannot read element file: %s", path,
			  gerr->message);
		g_clear_error(&gerr);
		return -1;
	}
	if (pen == PEN_DEFAULT) {
		xml = text;
	} else {
		char repl[64];
		gchar **parts = g_strsplit(text, tag, -1);

		snprintf(repl, sizeof(repl),
			 "<cert:enterpriseId>%u</cert:enterpriseId>", pen);
		xml = g_strjoinv(repl, parts);
		g_strfreev(parts);
		g_free(text);
	}
	ok = fbInfoModelReadXMLData(model, xml, -1, &gerr);
	g_free(xml);
	if (!ok) {
		log_error(lg, "%s: bad element file: %s", path, gerr->message);
		g_clear_error(&gerr);
		return -1;
	}
	if (!fbInfoModelGetElementByName(model, "skypeFlowRole") ||
	    !fbInfoModelGetElementByName(model, "skypeProbeFlowsExported")) {
		log_error(lg, "%s: element file lacks skyprobe elements",
			  path);
		return -1;
	}
	return 0;
}

int ipfix_wire_init(struct ipfix_wire *w, const struct export_config *ec,
		    struct logger *lg)
{
	fbInfoModel_t *model = fbInfoModelAlloc();

	if (!fbInfoModelGetElementByName(model, "initialTCPFlags"))
		fbInfoModelAddElementArray(model, cert_elements);
	if (load_elements(model, elements_path(ec->elements_file), ec->pen,
			  lg) < 0) {
		fbInfoModelFree(model);
		return -1;
	}
	w->model = model;
	w->pen = ec->pen;
	w->obs_domain = ec->observation_domain;
	snprintf(w->elements_file, sizeof(w->elements_file), "%s",
		 ec->elements_file);
	return 0;
}

int ipfix_wire_same(const struct ipfix_wire *w,
		    const struct export_config *ec)
{
	return ec->pen == w->pen && ec->observation_domain == w->obs_domain &&
	       strcmp(ec->elements_file, w->elements_file) == 0;
}

void ipfix_wire_free(struct ipfix_wire *w)
{
	if (w->model)
		fbInfoModelFree(w->model);
	w->model = NULL;
}

/* --- sessions and templates ---------------------------------------------- */

static int add_template(fbSession_t *s, fbInfoModel_t *model,
			fbInfoElementSpec_t *spec, uint32_t flags,
			uint16_t tid, int internal, uint16_t scope,
			GError **gerr)
{
	fbTemplate_t *t = fbTemplateAlloc(model);

	if (!fbTemplateAppendSpecArray(t, spec, flags, gerr)) {
		fbTemplateFreeUnused(t);
		return -1;
	}
	if (scope)
		fbTemplateSetOptionsScope(t, scope);
	if (!fbSessionAddTemplate(s, internal, tid, t, gerr)) {
		fbTemplateFreeUnused(t);
		return -1;
	}
	return 0;
}

static int add_pair(fbSession_t *s, fbInfoModel_t *model,
		    fbInfoElementSpec_t *spec, uint32_t ext_flags,
		    uint16_t tid, uint16_t scope, GError **gerr)
{
	if (add_template(s, model, spec, SP_ALL, tid, TRUE, scope, gerr) < 0)
		return -1;
	return add_template(s, model, spec, ext_flags, tid, FALSE, scope,
			    gerr);
}

static int add_typeinfo_template(fbSession_t *s, fbInfoModel_t *model,
				 GError **gerr)
{
	for (int internal = 0; internal < 2; internal++) {
		fbTemplate_t *t = fbInfoElementAllocTypeTemplate(model, gerr);

		if (!t)
			return -1;
		if (!fbSessionAddTemplate(s, internal, TID_TYPEINFO, t,
					  gerr)) {
			fbTemplateFreeUnused(t);
			return -1;
		}
	}
	return 0;
}

fbSession_t *ipfix_session_new(const struct ipfix_wire *w,
			       enum export_profile profile, int session_opid,
			       GError **gerr)
{
	fbSession_t *s = fbSessionAlloc(w->model);
	uint32_t fl = profile == PROFILE_FULL ? SP_FULL : SP_NFD;
	int rc = 0;

	fbSessionSetDomain(s, w->obs_domain);
	if (profile == PROFILE_FULL)
		fl |= SP_APP;
	else if (session_opid)
		fl |= SP_OPID;
	rc |= add_pair(s, w->model, flow4_spec, fl, TID_FLOW4, 0, gerr);
	rc |= add_pair(s, w->model, flow6_spec, fl, TID_FLOW6, 0, gerr);
	if (profile == PROFILE_NFDUMP) {
		/*
		 * nfdump 1.7.1 names an empty applicationId after some
		 * entry of its name table (its lookup takes ids of
		 * different lengths for equal), so flows that are not
		 * Skype go out without the element (256, 257) and Skype
		 * flows with it (264, 265).  Same internal record.
		 */
		rc |= add_template(s, w->model, flow4_spec, fl | SP_APP,
				   TID_FLOW4_APP, FALSE, 0, gerr);
		rc |= add_template(s, w->model, flow6_spec, fl | SP_APP,
				   TID_FLOW6_APP, FALSE, 0, gerr);
		rc |= add_pair(s, w->model, appname_fixed_spec, fl,
			       TID_APPNAME, 1, gerr);
		rc |= add_pair(s, w->model, appname_fixed_spec, fl,
			       TID_APPNAME_ALT, 1, gerr);
	} else {
		rc |= add_pair(s, w->model, appname_spec, fl, TID_APPNAME, 1,
			       gerr);
		rc |= add_pair(s, w->model, sess4_spec, fl, TID_SESS4, 0,
			       gerr);
		rc |= add_pair(s, w->model, sess6_spec, fl, TID_SESS6, 0,
			       gerr);
		rc |= add_pair(s, w->model, stats_spec, fl, TID_STATS, 1,
			       gerr);
		rc |= add_typeinfo_template(s, w->model, gerr);
	}
	if (rc) {
		fbSessionFree(s);
		return NULL;
	}
	return s;
}

/* RFC 5610 type records for the enterprise elements our templates use. */
static int write_typeinfo(const struct ipfix_wire *w, fBuf_t *fbuf,
			  GError **gerr)
{
	fbInfoModelIter_t it;
	const fbInfoElement_t *ie;

	fbInfoModelIterInit(&it, w->model);
	while ((ie = fbInfoModelIterNext(&it)) != NULL) {
		int ours = ie->ent == w->pen ||
			   (ie->ent == 6871 && (ie->num & 0x3fff) >= 14 &&
			    (ie->num & 0x3fff) <= 15);

		if (!ours)
			continue;
		if (!fbInfoElementWriteOptionsRecord(fbuf, ie, TID_TYPEINFO,
						     TID_TYPEINFO, gerr))
			return -1;
	}
	return 0;
}

static int append_appname(const struct ipfix_wire *w, fBuf_t *fbuf,
			  enum export_profile profile, uint32_t role,
			  GError **gerr)
{
	const char *name = app_names[role].name;
	const char *desc = app_names[role].description;
	struct appname_fixed_rec fx;
	struct appname_rec r;

	if (profile == PROFILE_NFDUMP) {
		memset(&fx, 0, sizeof(fx));
		fx.obs_domain = w->obs_domain;
		make_app_id(fx.app_id, w->pen, role);
		strncpy(fx.name, name, sizeof(fx.name) - 1);
		strncpy(fx.description, desc, sizeof(fx.description) - 1);
		return fBufAppend(fbuf, (uint8_t *)&fx, sizeof(fx), gerr);
	}
	memset(&r, 0, sizeof(r));
	make_app_id(r.app_id, w->pen, role);
	r.name.buf = (uint8_t *)name;
	r.name.len = strlen(name);
	r.description.buf = (uint8_t *)desc;
	r.description.len = strlen(desc);
	return fBufAppend(fbuf, (uint8_t *)&r, sizeof(r), gerr);
}

static int write_appnames(const struct ipfix_wire *w, fBuf_t *fbuf,
			  enum export_profile profile, GError **gerr)
{
	int nfd = profile == PROFILE_NFDUMP;

	for (uint32_t role = ROLE_NONE + 1; role < ROLE_MAX; role++) {
		uint16_t tid = nfd && role % 2 == 0 ? TID_APPNAME_ALT :
			       TID_APPNAME;

		if (!fBufSetInternalTemplate(fbuf, tid, gerr) ||
		    !fBufSetExportTemplate(fbuf, tid, gerr) ||
		    !append_appname(w, fbuf, profile, role, gerr))
			return -1;
	}
	return 0;
}

/*
 * Every template ipfix_session_new() adds, in the order they are sent.
 *
 * nfcapd 1.7.1 reads only the first template of an options template set
 * and skips the rest of the set, so the two application-name templates
 * must travel in sets of their own or the names sent with the second one
 * never reach nfdump.  libfixbuf opens a new set only when the set id
 * changes, hence the data and options templates in turn.
 */
static const uint16_t nfdump_template_order[] = {
	TID_FLOW4, TID_APPNAME, TID_FLOW6, TID_APPNAME_ALT,
	TID_FLOW4_APP, TID_FLOW6_APP,
};

static const uint16_t full_template_order[] = {
	TID_FLOW4, TID_FLOW6, TID_SESS4, TID_SESS6, TID_APPNAME, TID_STATS,
};

static int export_list(fbSession_t *s, const uint16_t *tids, size_t n,
		       GError **gerr)
{
	for (size_t i = 0; i < n; i++)
		if (!fbSessionExportTemplate(s, tids[i], gerr))
			return -1;
	return 0;
}

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

/*
 * Templates, then application names.  The full profile sends its RFC
 * 5610 type records before the templates that use them: a collector
 * that learns the types from them (ipfixDump --rfc5610) decodes a
 * template read earlier with the enterprise elements as octet arrays.
 * Automatic mode for this burst only: it may not fit one message, and
 * metadata records are resent with every refresh anyway, so they are
 * not counted.
 */
int ipfix_write_metadata(const struct ipfix_wire *w, fBuf_t *fbuf,
			 enum export_profile profile, GError **gerr)
{
	fbSession_t *s = fBufGetSession(fbuf);
	int rc;

	fBufSetAutomaticMode(fbuf, TRUE);
	if (profile == PROFILE_NFDUMP) {
		rc = export_list(s, nfdump_template_order,
				 N_OF(nfdump_template_order), gerr);
	} else {
		rc = export_list(s, (const uint16_t[]){ TID_TYPEINFO }, 1,
				 gerr);
		if (!rc)
			rc = write_typeinfo(w, fbuf, gerr);
		if (!rc)
			rc = export_list(s, full_template_order,
					 N_OF(full_template_order), gerr);
	}
	if (!rc && write_appnames(w, fbuf, profile, gerr) < 0)
		rc = -1;
	fBufSetAutomaticMode(fbuf, FALSE);
	return rc;
}
/* --- records ------------------------------------------------------------- */

_Static_assert(sizeof(struct stats_rec) <= IPFIX_REC_MAX &&
	       sizeof(struct flow6_rec) <= IPFIX_REC_MAX &&
	       sizeof(struct sess6_rec) <= IPFIX_REC_MAX, "IPFIX_REC_MAX");
_Static_assert(PROFILE_FULL == 0 && PROFILE_NFDUMP == 1, "ipfix_rec xtid");

static void rec_init(struct ipfix_rec *r, uint16_t tid, uint16_t xtid_full,
		     uint16_t xtid_nfdump, size_t size)
{
	memset(r, 0, sizeof(*r));
	r->tid = tid;
	r->xtid[PROFILE_FULL] = xtid_full;
	r->xtid[PROFILE_NFDUMP] = xtid_nfdump;
	r->size = (uint16_t)size;
}

#define FILL_FLOW_TAIL(p) do { \
	(p)->session_id = f->session_id; \
	(p)->sport = k->sport; \
	(p)->dport = k->dport; \
	(p)->vlan_id = f->vlan_id; \
	(p)->icmp_typecode = icmp ? f->icmp_typecode : 0; \
	(p)->proto = k->proto; \
	(p)->tos = f->tos; \
	(p)->end_reason = (uint8_t)reason; \
	(p)->role = f->role; \
	(p)->init_flags = f->init_flags[0]; \
	(p)->union_flags = f->union_flags[0]; \
	(p)->rev_init_flags = f->init_flags[1]; \
	(p)->rev_union_flags = f->union_flags[1]; \
	(p)->tcp_flags = f->init_flags[0] | f->union_flags[0] | \
			 f->init_flags[1] | f->union_flags[1]; \
} while (0)

void ipfix_flow_rec(const struct ipfix_wire *w, const struct flow *f,
		    enum flow_end_reason reason, struct ipfix_rec *r)
{
	const struct flow_key *k = &f->key;
	int is4 = pkt_is_v4(k->src) && pkt_is_v4(k->dst);
	int icmp = k->proto == 1 || k->proto == 58;
	uint16_t tid = is4 ? TID_FLOW4 : TID_FLOW6;
	/* nfdump: Skype flows carry applicationId, others do not (264, 265) */
	uint16_t nfd = f->role == ROLE_NONE ? tid :
		       is4 ? TID_FLOW4_APP : TID_FLOW6_APP;
	union {
		struct flow4_rec v4;
		struct flow6_rec v6;
	} u;
	struct flow4_rec *p4 = &u.v4;
	struct flow6_rec *p6 = &u.v6;

	memset(&u, 0, sizeof(u));
	rec_init(r, tid, tid, nfd, is4 ? sizeof(*p4) : sizeof(*p6));
	if (f->role > ROLE_NONE && f->role < ROLE_MAX) {
		make_app_id(r->app_id, w->pen, f->role);
		p4->app_id.buf = r->app_id;
		p4->app_id.len = sizeof(r->app_id);
	}
	/* The v4 and v6 layouts agree up to the addresses. */
	p4->start_ms = f->start_us / 1000;
	p4->end_ms = f->last_us / 1000;
	p4->octets = f->octets[0];
	p4->packets = f->packets[0];
	p4->rev_octets = f->octets[1];
	p4->rev_packets = f->packets[1];
	p4->common_id = f->session_id;
	p4->opid = f->session_id;
	if (is4) {
		p4->src = v4_of(k->src);
		p4->dst = v4_of(k->dst);
		FILL_FLOW_TAIL(p4);
	} else {
		memcpy(p6->src, k->src, 16);
		memcpy(p6->dst, k->dst, 16);
		FILL_FLOW_TAIL(p6);
	}
	memcpy(r->data.bytes, &u, r->size);
}

#define FILL_SESS(p) do { \
	(p)->start_ms = s->start_ms; \
	(p)->connected_ms = s->connected_ms; \
	(p)->end_ms = s->end_ms; \
	(p)->common_id = s->session_id; \
	(p)->session_id = s->session_id; \
	(p)->sn_changes = s->supernode_changes; \
	(p)->refused = s->refused_supernodes; \
	(p)->client_port = s->client_port; \
	(p)->sn_port = s->supernode_port; \
	(p)->end_reason = s->end_reason; \
	(p)->mode = s->transport_mode; \
	(p)->login_phase = s->login_phase; \
	(p)->version = s->version; \
} while (0)

/* Full profile only: nfdump has no use for session records. */
void ipfix_session_rec(const struct session_rec *s, struct ipfix_rec *r)
{
	int is4 = pkt_is_v4(s->client) &&
		  (pkt_is_v4(s->supernode) || all_zero(s->supernode));
	uint16_t tid = is4 ? TID_SESS4 : TID_SESS6;
	union {
		struct sess4_rec v4;
		struct sess6_rec v6;
	} u;
	struct sess4_rec *p4 = &u.v4;
	struct sess6_rec *p6 = &u.v6;

	memset(&u, 0, sizeof(u));
	rec_init(r, tid, tid, 0, is4 ? sizeof(*p4) : sizeof(*p6));
	if (is4) {
		FILL_SESS(p4);
		p4->client = v4_of(s->client);
		p4->supernode = all_zero(s->supernode) ? 0 :
				v4_of(s->supernode);
	} else {
		FILL_SESS(p6);
		memcpy(p6->client, s->client, 16);
		memcpy(p6->supernode, s->supernode, 16);
	}
	memcpy(r->data.bytes, &u, r->size);
}

/* Full profile only, like sessions. */
void ipfix_stats_rec(const struct ipfix_wire *w, const struct probe_stats *st,
		     struct ipfix_rec *r)
{
	struct stats_rec rec, *p = &rec;

	memset(&rec, 0, sizeof(rec));
	rec_init(r, TID_STATS, TID_STATS, 0, sizeof(rec));
	p->obs_domain = w->obs_domain;
	p->first_ms = st->first_ts_ms;
	p->last_ms = st->last_ts_ms;
	p->ignored_packets = stats_ignored_packets(st);
	p->packets_read = st->packets_read;
	p->octets_read = st->octets_read;
	p->packets_decoded = st->packets_decoded;
	for (int i = 1; i < DECODE_STATUS_MAX; i++)
		p->rejected[i - 1] = st->rejected[i];
	p->kernel_dropped = st->kernel_dropped;
	p->iface_dropped = st->iface_dropped;
	p->flows_active = st->flows_active;
	p->flows_evicted = st->flows_evicted;
	p->sessions_exported = st->sessions_exported;
	p->client_limit_hits = st->clients_limit_hits;
	p->flows_exported = st->flows_exported;
	memcpy(r->data.bytes, &rec, sizeof(rec));
}

void ipfix_stats_rec_losses(struct ipfix_rec *r, uint64_t not_sent_flows,
			    uint64_t not_sent_packets,
			    uint64_t not_sent_octets, uint64_t exported_flows)
{
	struct stats_rec rec;

	memcpy(&rec, r->data.bytes, sizeof(rec));
	rec.not_sent_flows = not_sent_flows;
	rec.not_sent_packets = not_sent_packets;
	rec.not_sent_octets = not_sent_octets;
	rec.exported_flows = exported_flows;
	memcpy(r->data.bytes, &rec, sizeof(rec));
}
