/*
 * export.c - IPFIX exporting process (libfixbuf): owns every collector
 * connection, the information model, the templates and the record layouts.
 *
 * Each collector has its own fbSession/fBuf, built from scratch whenever the
 * collector (re)connects or a file is (re)opened, so templates, RFC 5610
 * type records and application-name options records always lead the stream.
 * Buffers run in manual mode: we emit ourselves, so we know exactly which
 * records a failed emit lost and can count them as not sent.
 *
 * TCP does not use fbExporterAllocNet: its connect() and write() block, and
 * a collector that silently drops SYNs would stall the capture for minutes.
 * We connect a non-blocking socket ourselves, then hand it to libfixbuf as
 * a stream (fbExporterAllocFP) with a send timeout.  SIGPIPE must be
 * ignored by the program (main does); a dead peer then shows up as EPIPE.
 *
 * Internal record structs are laid out by field size, largest first, with
 * explicit padding, because libfixbuf's internal template is the packed
 * byte layout of the struct.
 */
#include "export.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <fixbuf/public.h>

#ifndef SKYPROBE_ELEMENTS_INSTALLED
#define SKYPROBE_ELEMENTS_INSTALLED "/usr/local/share/skyprobe/skyprobe.xml"
#endif
#ifndef SKYPROBE_ELEMENTS_SOURCE
#define SKYPROBE_ELEMENTS_SOURCE "templates/skyprobe.xml"
#endif

#define PEN_DEFAULT        32473        /* RFC 5612, used in skyprobe.xml */
#define PEN_PANA_L7_PEN    20           /* RFC 6759 classification engine */
#define APP_ID_LEN         9            /* engine, PEN, selector */

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

#define REFRESH_DEFAULT_S  600          /* UDP template refresh when 0 */
#define BACKOFF_MAX_S      60
#define CONNECT_TIMEOUT_S  10           /* non-blocking connect give-up */
#define START_CONNECT_MS   1000         /* wait at start only */
#define SEND_TIMEOUT_S     2            /* longest a stalled TCP peer blocks */

/* Spec flags: which templates an element goes into. */
#define SP_INT   0x1                    /* internal only (padding) */
#define SP_FULL  0x2                    /* full profile external */
#define SP_NFD   0x4                    /* nfdump profile external */
#define SP_APP   0x8                    /* nfdump: only in 264 and 265 */
#define SP_ALL   (SP_INT | SP_FULL | SP_NFD | SP_APP)

/* --- record layouts ------------------------------------------------------ */

struct flow4_rec {
	uint64_t     start_ms;
	uint64_t     end_ms;
	uint64_t     octets;
	uint64_t     packets;
	uint64_t     rev_octets;
	uint64_t     rev_packets;
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

#define FLOW_SPEC_HEAD \
	{"flowStartMilliseconds",    8, 0}, \
	{"flowEndMilliseconds",      8, 0}, \
	{"octetDeltaCount",          8, 0}, \
	{"packetDeltaCount",         8, 0}, \
	{"reverseOctetDeltaCount",   8, 0}, \
	{"reversePacketDeltaCount",  8, 0}, \
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

#define SESS_SPEC_TIMES \
	{"skypeSessionStartMilliseconds",     8, 0}, \
	{"skypeSessionConnectedMilliseconds", 8, 0}, \
	{"skypeSessionEndMilliseconds",       8, 0}

static fbInfoElementSpec_t sess4_spec[] = {
	SESS_SPEC_TIMES,
	{"skypeSessionId",                    4, 0},
	{"sourceIPv4Address",                 4, 0},
	{"destinationIPv4Address",            4, 0},
	{"skypeSupernodeChanges",             4, 0},
	{"skypeRefusedSupernodes",            4, 0},
	SESS_SPEC_TAIL
};

static fbInfoElementSpec_t sess6_spec[] = {
	SESS_SPEC_TIMES,
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
_Static_assert(sizeof(struct flow4_rec) == 96, "flow4_rec layout");
_Static_assert(sizeof(struct flow6_rec) == 120, "flow6_rec layout");
_Static_assert(sizeof(struct sess4_rec) == 56, "sess4_rec layout");
_Static_assert(sizeof(struct sess6_rec) == 80, "sess6_rec layout");
_Static_assert(sizeof(struct stats_rec) == 8 + 23 * 8, "stats_rec layout");
_Static_assert(offsetof(struct flow4_rec, src) == 64, "flow4_rec varfield");
/* exporter_flow() fills the common head through the v4 view. */
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

/* --- state --------------------------------------------------------------- */

/* Records counted together: what one append or one message carries. */
struct tally {
	uint64_t records;
	uint64_t flows;
	uint64_t packets;
	uint64_t octets;
};

enum coll_state { COLL_DOWN, COLL_CONNECTING, COLL_UP };

struct collector {
	struct collector_cfg cfg;
	enum coll_state state;
	fBuf_t   *fbuf;                 /* owns session and exporter */
	FILE     *fp;                   /* TCP stream or file we opened */
	int       fp_owned;             /* not stdout */
	int       connect_fd;           /* COLL_CONNECTING */
	int       opened_once;          /* files: truncate the first time only */
	int       dirty;                /* something appended since emit */
	uint64_t  connect_start_s;
	uint64_t  retry_at_s;
	uint32_t  backoff_s;
	uint64_t  opened_s;             /* file rotation by time */
	uint64_t  last_refresh_s;
	char      why[128];             /* last failure, for messages */
	struct tally pending;           /* in the buffer, not yet emitted */
	struct tally not_sent;
	uint64_t  flows_sent;
};

struct exporter {
	fbInfoModel_t *model;
	uint32_t  pen;
	uint32_t  obs_domain;
	char      elements_file[CFG_STR];
	FILE     *log;
	uint64_t  now_s;
	uint64_t  not_sent_closed;      /* from collectors removed since */
	uint32_t  n;
	struct collector coll[CFG_MAX_COLLECTORS];
};

/* --- small helpers ------------------------------------------------------- */

static void say(const struct exporter *ex, const struct collector *c,
		const char *what, const char *detail)
{
	const struct collector_cfg *cc = &c->cfg;

	if (!ex->log)
		return;
	if (cc->kind == COLLECTOR_FILE)
		fprintf(ex->log, "export: %s: %s%s%s\n", cc->path, what,
			detail ? ": " : "", detail ? detail : "");
	else
		fprintf(ex->log, "export: %s://%s:%s: %s%s%s\n",
			cc->kind == COLLECTOR_TCP ? "tcp" : "udp", cc->host,
			cc->port, what, detail ? ": " : "", detail ? detail : "");
}

static void tally_add(struct tally *to, const struct tally *t)
{
	to->records += t->records;
	to->flows += t->flows;
	to->packets += t->packets;
	to->octets += t->octets;
}

static uint32_t v4_of(const uint8_t a[16])
{
	return (uint32_t)a[12] << 24 | (uint32_t)a[13] << 16 |
	       (uint32_t)a[14] << 8 | a[15];
}

static int all_zero(const uint8_t a[16])
{
	for (int i = 0; i < 16; i++)
		if (a[i])
			return 0;
	return 1;
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

static int same_collector(const struct collector_cfg *a,
			  const struct collector_cfg *b)
{
	return a->kind == b->kind && a->profile == b->profile &&
	       strcmp(a->host, b->host) == 0 &&
	       strcmp(a->port, b->port) == 0 &&
	       strcmp(a->path, b->path) == 0 &&
	       a->template_refresh_s == b->template_refresh_s &&
	       a->rotate_s == b->rotate_s &&
	       a->rotate_bytes == b->rotate_bytes;
}

/* --- information model ----------------------------------------------------- */

static const char *elements_path(const struct skyprobe_config *cfg)
{
	if (cfg->elements_file[0])
		return cfg->elements_file;
	if (access(SKYPROBE_ELEMENTS_INSTALLED, R_OK) == 0)
		return SKYPROBE_ELEMENTS_INSTALLED;
	return SKYPROBE_ELEMENTS_SOURCE;
}

/* The file is written for PEN 32473; another PEN replaces every
 * enterprise id in the text before libfixbuf parses it. */
static int load_elements(fbInfoModel_t *model, const char *path,
			 uint32_t pen, FILE *err)
{
	static const char tag[] = "<cert:enterpriseId>32473</cert:enterpriseId>";
	gchar *text = NULL, *xml;
	gsize len = 0;
	GError *gerr = NULL;
	int ok;

	if (!g_file_get_contents(path, &text, &len, &gerr)) {
		fprintf(err, "%s: cannot read element file: %s\n", path,
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
		fprintf(err, "%s: bad element file: %s\n", path, gerr->message);
		g_clear_error(&gerr);
		return -1;
	}
	if (!fbInfoModelGetElementByName(model, "skypeFlowRole") ||
	    !fbInfoModelGetElementByName(model, "skypeProbeFlowsExported")) {
		fprintf(err, "%s: element file lacks skyprobe elements\n",
			path);
		return -1;
	}
	return 0;
}

static fbInfoModel_t *model_new(const struct skyprobe_config *cfg, FILE *err)
{
	fbInfoModel_t *model = fbInfoModelAlloc();

	if (!fbInfoModelGetElementByName(model, "initialTCPFlags"))
		fbInfoModelAddElementArray(model, cert_elements);
	if (load_elements(model, elements_path(cfg), cfg->pen, err) < 0) {
		fbInfoModelFree(model);
		return NULL;
	}
	return model;
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

static fbSession_t *session_new(const struct exporter *ex,
				enum export_profile profile, GError **gerr)
{
	fbSession_t *s = fbSessionAlloc(ex->model);
	uint32_t fl = profile == PROFILE_FULL ? SP_FULL : SP_NFD;
	int rc = 0;

	fbSessionSetDomain(s, ex->obs_domain);
	if (profile == PROFILE_FULL)
		fl |= SP_APP;
	rc |= add_pair(s, ex->model, flow4_spec, fl, TID_FLOW4, 0, gerr);
	rc |= add_pair(s, ex->model, flow6_spec, fl, TID_FLOW6, 0, gerr);
	if (profile == PROFILE_NFDUMP) {
		/*
		 * nfdump 1.7.1 names an empty applicationId after some
		 * entry of its name table (its lookup takes ids of
		 * different lengths for equal), so flows that are not
		 * Skype go out without the element (256, 257) and Skype
		 * flows with it (264, 265).  Same internal record.
		 */
		rc |= add_template(s, ex->model, flow4_spec, fl | SP_APP,
				   TID_FLOW4_APP, FALSE, 0, gerr);
		rc |= add_template(s, ex->model, flow6_spec, fl | SP_APP,
				   TID_FLOW6_APP, FALSE, 0, gerr);
		rc |= add_pair(s, ex->model, appname_fixed_spec, fl,
			       TID_APPNAME, 1, gerr);
		rc |= add_pair(s, ex->model, appname_fixed_spec, fl,
			       TID_APPNAME_ALT, 1, gerr);
	} else {
		rc |= add_pair(s, ex->model, appname_spec, fl, TID_APPNAME, 1,
			       gerr);
		rc |= add_pair(s, ex->model, sess4_spec, fl, TID_SESS4, 0,
			       gerr);
		rc |= add_pair(s, ex->model, sess6_spec, fl, TID_SESS6, 0,
			       gerr);
		rc |= add_pair(s, ex->model, stats_spec, fl, TID_STATS, 1,
			       gerr);
		rc |= add_typeinfo_template(s, ex->model, gerr);
	}
	if (rc) {
		fbSessionFree(s);
		return NULL;
	}
	return s;
}

/* RFC 5610 type records for the enterprise elements our templates use. */
static int write_typeinfo(const struct exporter *ex, fBuf_t *fbuf,
			  GError **gerr)
{
	fbInfoModelIter_t it;
	const fbInfoElement_t *ie;

	fbInfoModelIterInit(&it, ex->model);
	while ((ie = fbInfoModelIterNext(&it)) != NULL) {
		int ours = ie->ent == ex->pen ||
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

static int append_appname(const struct exporter *ex, fBuf_t *fbuf,
			  enum export_profile profile, uint32_t role,
			  GError **gerr)
{
	const char *name = app_names[role].name;
	const char *desc = app_names[role].description;
	struct appname_fixed_rec fx;
	struct appname_rec r;

	if (profile == PROFILE_NFDUMP) {
		memset(&fx, 0, sizeof(fx));
		fx.obs_domain = ex->obs_domain;
		make_app_id(fx.app_id, ex->pen, role);
		strncpy(fx.name, name, sizeof(fx.name) - 1);
		strncpy(fx.description, desc, sizeof(fx.description) - 1);
		return fBufAppend(fbuf, (uint8_t *)&fx, sizeof(fx), gerr);
	}
	memset(&r, 0, sizeof(r));
	make_app_id(r.app_id, ex->pen, role);
	r.name.buf = (uint8_t *)name;
	r.name.len = strlen(name);
	r.description.buf = (uint8_t *)desc;
	r.description.len = strlen(desc);
	return fBufAppend(fbuf, (uint8_t *)&r, sizeof(r), gerr);
}

static int write_appnames(const struct exporter *ex, struct collector *c,
			  GError **gerr)
{
	int nfd = c->cfg.profile == PROFILE_NFDUMP;

	for (uint32_t role = ROLE_NONE + 1; role < ROLE_MAX; role++) {
		uint16_t tid = nfd && role % 2 == 0 ? TID_APPNAME_ALT :
			       TID_APPNAME;

		if (!fBufSetInternalTemplate(c->fbuf, tid, gerr) ||
		    !fBufSetExportTemplate(c->fbuf, tid, gerr) ||
		    !append_appname(ex, c->fbuf, c->cfg.profile, role, gerr))
			return -1;
	}
	return 0;
}

/*
 * Every template session_new() adds, in the order they are sent.
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
static int write_metadata(const struct exporter *ex, struct collector *c,
			  GError **gerr)
{
	fbSession_t *s = fBufGetSession(c->fbuf);
	int rc;

	fBufSetAutomaticMode(c->fbuf, TRUE);
	if (c->cfg.profile == PROFILE_NFDUMP) {
		rc = export_list(s, nfdump_template_order,
				 N_OF(nfdump_template_order), gerr);
	} else {
		rc = export_list(s, (const uint16_t[]){ TID_TYPEINFO }, 1,
				 gerr);
		if (!rc)
			rc = write_typeinfo(ex, c->fbuf, gerr);
		if (!rc)
			rc = export_list(s, full_template_order,
					 N_OF(full_template_order), gerr);
	}
	if (!rc && write_appnames(ex, c, gerr) < 0)
		rc = -1;
	fBufSetAutomaticMode(c->fbuf, FALSE);
	c->dirty = 1;
	return rc;
}

/* --- collector life cycle -------------------------------------------------- */

static void collector_close(struct collector *c)
{
	if (c->fbuf)
		fBufFree(c->fbuf);      /* frees session and exporter */
	c->fbuf = NULL;
	if (c->fp && c->fp_owned)
		fclose(c->fp);
	else if (c->fp)
		fflush(c->fp);
	c->fp = NULL;
	if (c->connect_fd >= 0)
		close(c->connect_fd);
	c->connect_fd = -1;
}

/* Give up on the current connection: what it had buffered is lost. */
static void collector_down(struct exporter *ex, struct collector *c,
			   const char *why)
{
	int was_up = c->state == COLL_UP;
	char msg[160];

	snprintf(c->why, sizeof(c->why), "%s", why);
	tally_add(&c->not_sent, &c->pending);
	memset(&c->pending, 0, sizeof(c->pending));
	c->dirty = 0;
	collector_close(c);
	c->state = COLL_DOWN;
	c->retry_at_s = ex->now_s + c->backoff_s;
	if (was_up || c->backoff_s == 1) {
		snprintf(msg, sizeof(msg), "unavailable, retrying in %us",
			 c->backoff_s);
		say(ex, c, msg, why);
	}
	c->backoff_s = c->backoff_s * 2 > BACKOFF_MAX_S ?
		       BACKOFF_MAX_S : c->backoff_s * 2;
}

static void collector_fail(struct exporter *ex, struct collector *c,
			   GError **gerr)
{
	collector_down(ex, c, *gerr ? (*gerr)->message : "error");
	g_clear_error(gerr);
}

/* Build session and buffer on an exporter; send the metadata. */
static int collector_attach(struct exporter *ex, struct collector *c,
			    fbExporter_t *exp)
{
	GError *gerr = NULL;
	fbSession_t *s = session_new(ex, c->cfg.profile, &gerr);

	if (!s) {
		say(ex, c, "cannot build templates", gerr ? gerr->message : "");
		g_clear_error(&gerr);
		fbExporterClose(exp);
		return -1;
	}
	c->fbuf = fBufAllocForExport(s, exp);
	c->state = COLL_UP;
	c->last_refresh_s = ex->now_s;
	if (write_metadata(ex, c, &gerr) < 0) {
		collector_fail(ex, c, &gerr);
		return -1;
	}
	return 0;
}

/* Rotated files are PATH.YYYYmmddHHMMSS (UTC, opening time), with -N
 * added when that name exists already. */
static FILE *open_rotated(const struct collector *c, uint64_t now_s)
{
	char base[CFG_STR + 32], name[CFG_STR + 48];
	time_t t = (time_t)now_s;
	struct tm tm;
	FILE *fp = NULL;

	gmtime_r(&t, &tm);
	snprintf(base, sizeof(base), "%s.%04d%02d%02d%02d%02d%02d",
		 c->cfg.path, tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
		 tm.tm_hour, tm.tm_min, tm.tm_sec);
	for (int i = 0; i < 1000; i++) {
		if (i == 0)
			snprintf(name, sizeof(name), "%s", base);
		else
			snprintf(name, sizeof(name), "%s-%d", base, i);
		fp = fopen(name, "wx");
		if (fp || errno != EEXIST)
			break;
	}
	return fp;
}

static int file_open(struct exporter *ex, struct collector *c)
{
	if (strcmp(c->cfg.path, "-") == 0) {
		c->fp = stdout;
		c->fp_owned = 0;
	} else {
		if (c->cfg.rotate_s || c->cfg.rotate_bytes)
			c->fp = open_rotated(c, ex->now_s);
		else    /* after a failure, keep what was written */
			c->fp = fopen(c->cfg.path, c->opened_once ? "a" : "w");
		if (!c->fp) {
			collector_down(ex, c, strerror(errno));
			return -1;
		}
		c->fp_owned = 1;
	}
	c->opened_once = 1;
	c->opened_s = ex->now_s;
	return collector_attach(ex, c, fbExporterAllocFP(c->fp));
}

static int udp_open(struct exporter *ex, struct collector *c)
{
	fbConnSpec_t spec = FB_CONNSPEC_INIT;

	spec.transport = FB_UDP;        /* the default, SCTP, aborts */
	spec.host = c->cfg.host;
	spec.svc = c->cfg.port;
	return collector_attach(ex, c, fbExporterAllocNet(&spec));
}

/* Start a non-blocking connect; COLL_CONNECTING until it completes. */
static int tcp_start(struct exporter *ex, struct collector *c)
{
	struct addrinfo hints, *res = NULL, *ai;
	int fd = -1, rc;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	rc = getaddrinfo(c->cfg.host, c->cfg.port, &hints, &res);
	if (rc != 0) {
		collector_down(ex, c, gai_strerror(rc));
		return -1;
	}
	for (ai = res; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
			    ai->ai_protocol);
		if (fd < 0)
			continue;
		fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0 ||
		    errno == EINPROGRESS)
			break;
		close(fd);
		fd = -1;
	}
	rc = errno;
	freeaddrinfo(res);
	if (fd < 0) {
		collector_down(ex, c, strerror(rc));
		return -1;
	}
	c->connect_fd = fd;
	c->connect_start_s = ex->now_s;
	c->state = COLL_CONNECTING;
	return 0;
}

/* Poll a connect in progress for up to wait_ms; attach when it is done. */
static void tcp_check(struct exporter *ex, struct collector *c, int wait_ms)
{
	struct pollfd pfd = { .fd = c->connect_fd, .events = POLLOUT };
	struct timeval tv = { .tv_sec = SEND_TIMEOUT_S };
	int soerr = 0, fd = c->connect_fd;
	socklen_t len = sizeof(soerr);

	if (poll(&pfd, 1, wait_ms) == 0) {
		if (ex->now_s - c->connect_start_s >= CONNECT_TIMEOUT_S)
			collector_down(ex, c, "connect timed out");
		return;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) < 0)
		soerr = errno;
	if (soerr) {
		collector_down(ex, c, strerror(soerr));
		return;
	}
	/* Blocking from now on, but never for more than SEND_TIMEOUT_S. */
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	c->fp = fdopen(fd, "w");
	if (!c->fp) {
		collector_down(ex, c, strerror(errno));
		return;
	}
	c->connect_fd = -1;
	c->fp_owned = 1;
	setvbuf(c->fp, NULL, _IONBF, 0);   /* one write per message */
	if (collector_attach(ex, c, fbExporterAllocFP(c->fp)) == 0) {
		if (c->backoff_s > 1)
			say(ex, c, "connected", NULL);
		c->backoff_s = 1;
	}
}

static void collector_open(struct exporter *ex, struct collector *c)
{
	switch (c->cfg.kind) {
	case COLLECTOR_FILE:
		file_open(ex, c);
		break;
	case COLLECTOR_UDP:
		udp_open(ex, c);
		break;
	case COLLECTOR_TCP:
		tcp_start(ex, c);
		break;
	}
}

static void collector_init(struct collector *c, const struct collector_cfg *cc)
{
	memset(c, 0, sizeof(*c));
	c->cfg = *cc;
	c->connect_fd = -1;
	c->backoff_s = 1;
	c->state = COLL_DOWN;
}

/*
 * First open, where errors are the caller's: a file that cannot be
 * opened is a configuration error, an unreachable network collector is
 * not (it is retried).
 */
static int collector_first_open(struct exporter *ex, struct collector *c,
				const struct collector_cfg *cc, int append,
				FILE *err)
{
	collector_init(c, cc);
	c->opened_once = append;
	if (cc->kind == COLLECTOR_FILE) {
		FILE *log = ex->log;
		int rc;

		ex->log = NULL;         /* one message, below */
		rc = file_open(ex, c);
		ex->log = log;
		if (rc < 0) {
			fprintf(err, "export: %s: cannot write: %s\n",
				cc->path, c->why);
			collector_close(c);
			return -1;
		}
		return 0;
	}
	collector_open(ex, c);
	if (c->state == COLL_CONNECTING)
		tcp_check(ex, c, START_CONNECT_MS);
	return 0;
}

/* --- appending ------------------------------------------------------------- */

static int emit(struct exporter *ex, struct collector *c)
{
	GError *gerr = NULL;

	if (!c->fbuf)
		return -1;
	if (!c->dirty)
		return 0;
	if (!fBufEmit(c->fbuf, &gerr)) {
		collector_fail(ex, c, &gerr);
		return -1;
	}
	if (c->fp && c->fp_owned && fflush(c->fp) != 0) {
		collector_down(ex, c, strerror(errno));
		return -1;
	}
	c->flows_sent += c->pending.flows;
	memset(&c->pending, 0, sizeof(c->pending));
	c->dirty = 0;
	return 0;
}

/* tid: the internal template; xtid: the template it goes out with. */
static void append(struct exporter *ex, struct collector *c, uint16_t tid,
		   uint16_t xtid, void *rec, size_t size,
		   const struct tally *t)
{
	GError *gerr = NULL;

	if (c->state != COLL_UP) {
		tally_add(&c->not_sent, t);
		return;
	}
	if (!fBufSetInternalTemplate(c->fbuf, tid, &gerr) ||
	    !fBufSetExportTemplate(c->fbuf, xtid, &gerr))
		goto fail;
	if (fBufAppend(c->fbuf, rec, size, &gerr))
		goto done;
	if (!g_error_matches(gerr, FB_ERROR_DOMAIN, FB_ERROR_EOM))
		goto fail;
	/* Message full: send it and start the next one with this record. */
	g_clear_error(&gerr);
	if (emit(ex, c) < 0) {
		tally_add(&c->not_sent, t);
		return;
	}
	if (!fBufSetInternalTemplate(c->fbuf, tid, &gerr) ||
	    !fBufSetExportTemplate(c->fbuf, xtid, &gerr) ||
	    !fBufAppend(c->fbuf, rec, size, &gerr))
		goto fail;
done:
	tally_add(&c->pending, t);
	c->dirty = 1;
	return;
fail:
	tally_add(&c->pending, t);
	collector_fail(ex, c, &gerr);
}

/* --- public interface ------------------------------------------------------ */

static int exporter_open_all(struct exporter *ex,
			     const struct skyprobe_config *cfg, int append,
			     FILE *err)
{
	for (uint32_t i = 0; i < cfg->n_collectors; i++) {
		if (collector_first_open(ex, &ex->coll[i], &cfg->collectors[i],
					 append, err) < 0) {
			for (uint32_t j = 0; j < i; j++)
				collector_close(&ex->coll[j]);
			ex->n = 0;
			return -1;
		}
		ex->n = i + 1;
	}
	return 0;
}

static int check_cfg(const struct skyprobe_config *cfg, FILE *err)
{
	if (cfg->n_collectors > CFG_MAX_COLLECTORS) {
		fprintf(err, "export: at most %d collectors\n",
			CFG_MAX_COLLECTORS);
		return -1;
	}
	if (cfg->pen == 0 || cfg->pen == 6871 || cfg->pen == 29305) {
		fprintf(err, "export: enterprise number %u is reserved\n",
			cfg->pen);
		return -1;
	}
	return 0;
}

struct exporter *exporter_new(const struct skyprobe_config *cfg, FILE *err)
{
	struct exporter *ex;

	if (check_cfg(cfg, err) < 0)
		return NULL;
	ex = calloc(1, sizeof(*ex));
	if (!ex) {
		fprintf(err, "export: out of memory\n");
		return NULL;
	}
	ex->log = err;
	ex->now_s = (uint64_t)time(NULL);
	ex->pen = cfg->pen;
	ex->obs_domain = cfg->observation_domain;
	snprintf(ex->elements_file, sizeof(ex->elements_file), "%s",
		 cfg->elements_file);
	ex->model = model_new(cfg, err);
	if (!ex->model || exporter_open_all(ex, cfg, 0, err) < 0) {
		if (ex->model)
			fbInfoModelFree(ex->model);
		free(ex);
		return NULL;
	}
	return ex;
}

static void collector_finish(struct exporter *ex, struct collector *c)
{
	emit(ex, c);
	ex->not_sent_closed += c->not_sent.records;
	collector_close(c);
}

/* A new PEN, domain or element file: new model, every collector anew.
 * Files are closed before they are reopened, so failure leaves none. */
static int exporter_rebuild(struct exporter *ex,
			    const struct skyprobe_config *cfg, FILE *err)
{
	fbInfoModel_t *model = model_new(cfg, err);

	if (!model)
		return -1;
	for (uint32_t i = 0; i < ex->n; i++)
		collector_finish(ex, &ex->coll[i]);
	ex->n = 0;
	fbInfoModelFree(ex->model);
	ex->model = model;
	ex->pen = cfg->pen;
	ex->obs_domain = cfg->observation_domain;
	snprintf(ex->elements_file, sizeof(ex->elements_file), "%s",
		 cfg->elements_file);
	return exporter_open_all(ex, cfg, 1, err);   /* files: keep data */
}

/*
 * Collectors with an unchanged spec keep their connection and buffer; new
 * ones are opened before removed ones are flushed and closed, so a failure
 * leaves the old set working.
 */
int exporter_reconfigure(struct exporter *ex,
			 const struct skyprobe_config *cfg, FILE *err)
{
	struct collector *next;
	int keep[CFG_MAX_COLLECTORS] = {0}, fresh[CFG_MAX_COLLECTORS] = {0};
	uint32_t i, j;

	if (check_cfg(cfg, err) < 0)
		return -1;
	ex->log = err;
	if (cfg->pen != ex->pen || cfg->observation_domain != ex->obs_domain ||
	    strcmp(cfg->elements_file, ex->elements_file) != 0)
		return exporter_rebuild(ex, cfg, err);
	next = calloc(CFG_MAX_COLLECTORS, sizeof(*next));
	if (!next) {
		fprintf(err, "export: out of memory\n");
		return -1;
	}
	for (i = 0; i < cfg->n_collectors; i++) {
		for (j = 0; j < ex->n; j++)
			if (!keep[j] && same_collector(&ex->coll[j].cfg,
						       &cfg->collectors[i]))
				break;
		if (j < ex->n) {
			keep[j] = 1;
			next[i] = ex->coll[j];
			continue;
		}
		if (collector_first_open(ex, &next[i], &cfg->collectors[i], 0,
					 err) < 0) {
			for (j = 0; j < i; j++)
				if (fresh[j])
					collector_close(&next[j]);
			free(next);
			return -1;
		}
		fresh[i] = 1;
	}
	for (j = 0; j < ex->n; j++)
		if (!keep[j])
			collector_finish(ex, &ex->coll[j]);
	memcpy(ex->coll, next, sizeof(ex->coll));
	ex->n = cfg->n_collectors;
	free(next);
	return 0;
}

void exporter_flow(struct exporter *ex, const struct flow *f,
		   enum flow_end_reason reason)
{
	union {
		struct flow4_rec v4;
		struct flow6_rec v6;
	} r;
	uint8_t app_id[APP_ID_LEN];
	fbVarfield_t app = { 0, NULL };
	const struct flow_key *k = &f->key;
	int is4 = pkt_is_v4(k->src) && pkt_is_v4(k->dst);
	int icmp = k->proto == 1 || k->proto == 58;
	struct tally t = {
		.records = 1, .flows = 1,
		.packets = (uint64_t)f->packets[0] + f->packets[1],
		.octets = f->octets[0] + f->octets[1],
	};

	if (f->role > ROLE_NONE && f->role < ROLE_MAX) {
		make_app_id(app_id, ex->pen, f->role);
		app.buf = app_id;
		app.len = sizeof(app_id);
	}
	memset(&r, 0, sizeof(r));
	/* The v4 and v6 layouts agree up to the addresses. */
	r.v4.start_ms = f->start_us / 1000;
	r.v4.end_ms = f->last_us / 1000;
	r.v4.octets = f->octets[0];
	r.v4.packets = f->packets[0];
	r.v4.rev_octets = f->octets[1];
	r.v4.rev_packets = f->packets[1];
	r.v4.app_id = app;
	if (is4) {
		struct flow4_rec *p = &r.v4;

		p->src = v4_of(k->src);
		p->dst = v4_of(k->dst);
#define FILL_TAIL(p) do { \
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
		FILL_TAIL(p);
	} else {
		struct flow6_rec *p = &r.v6;

		memcpy(p->src, k->src, 16);
		memcpy(p->dst, k->dst, 16);
		FILL_TAIL(p);
	}
#undef FILL_TAIL
	for (uint32_t i = 0; i < ex->n; i++) {
		uint16_t tid = is4 ? TID_FLOW4 : TID_FLOW6;
		uint16_t xtid = tid;

		if (ex->coll[i].cfg.profile == PROFILE_NFDUMP &&
		    f->role != ROLE_NONE)
			xtid = is4 ? TID_FLOW4_APP : TID_FLOW6_APP;
		append(ex, &ex->coll[i], tid, xtid, &r,
		       is4 ? sizeof(r.v4) : sizeof(r.v6), &t);
	}
}

void exporter_session(struct exporter *ex, const struct session_rec *s)
{
	union {
		struct sess4_rec v4;
		struct sess6_rec v6;
	} r;
	static const struct tally t = { .records = 1 };
	int is4 = pkt_is_v4(s->client) &&
		  (pkt_is_v4(s->supernode) || all_zero(s->supernode));
	uint16_t tid = is4 ? TID_SESS4 : TID_SESS6;

	memset(&r, 0, sizeof(r));
#define FILL_SESS(p) do { \
	(p)->start_ms = s->start_ms; \
	(p)->connected_ms = s->connected_ms; \
	(p)->end_ms = s->end_ms; \
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
	if (is4) {
		FILL_SESS(&r.v4);
		r.v4.client = v4_of(s->client);
		r.v4.supernode = all_zero(s->supernode) ? 0 :
				 v4_of(s->supernode);
	} else {
		FILL_SESS(&r.v6);
		memcpy(r.v6.client, s->client, 16);
		memcpy(r.v6.supernode, s->supernode, 16);
	}
#undef FILL_SESS
	for (uint32_t i = 0; i < ex->n; i++)
		if (ex->coll[i].cfg.profile == PROFILE_FULL)
			append(ex, &ex->coll[i], tid, tid, &r,
			       is4 ? sizeof(r.v4) : sizeof(r.v6), &t);
}

void exporter_stats(struct exporter *ex, const struct probe_stats *st)
{
	static const struct tally t = { .records = 1 };
	struct stats_rec r;

	memset(&r, 0, sizeof(r));
	r.obs_domain = ex->obs_domain;
	r.first_ms = st->first_ts_ms;
	r.last_ms = st->last_ts_ms;
	r.ignored_packets = stats_ignored_packets(st);
	r.packets_read = st->packets_read;
	r.octets_read = st->octets_read;
	r.packets_decoded = st->packets_decoded;
	for (int i = 1; i < DECODE_STATUS_MAX; i++)
		r.rejected[i - 1] = st->rejected[i];
	r.kernel_dropped = st->kernel_dropped;
	r.iface_dropped = st->iface_dropped;
	r.flows_active = st->flows_active;
	r.flows_evicted = st->flows_evicted;
	r.sessions_exported = st->sessions_exported;
	r.client_limit_hits = st->clients_limit_hits;
	r.flows_exported = st->flows_exported;
	for (uint32_t i = 0; i < ex->n; i++) {
		struct collector *c = &ex->coll[i];

		if (c->cfg.profile != PROFILE_FULL)
			continue;
		/* This collector's own losses (RFC 7011 section 4.2). */
		r.not_sent_flows = c->not_sent.flows;
		r.not_sent_packets = c->not_sent.packets;
		r.not_sent_octets = c->not_sent.octets;
		r.exported_flows = c->flows_sent + c->pending.flows;
		append(ex, c, TID_STATS, TID_STATS, &r, sizeof(r), &t);
	}
}

static void refresh(struct exporter *ex, struct collector *c)
{
	GError *gerr = NULL;
	uint32_t every = c->cfg.template_refresh_s ?
			 c->cfg.template_refresh_s : REFRESH_DEFAULT_S;

	if (c->cfg.kind != COLLECTOR_UDP ||
	    ex->now_s - c->last_refresh_s < every)
		return;
	c->last_refresh_s = ex->now_s;
	/* Emit first so that a failure cannot take data records with it. */
	if (emit(ex, c) < 0)
		return;
	if (write_metadata(ex, c, &gerr) < 0)
		collector_fail(ex, c, &gerr);
}

/* Files: close and start the next one; its not-sent count carries on. */
static void rotate(struct exporter *ex, struct collector *c)
{
	const struct collector_cfg *cc = &c->cfg;
	long size;

	if (cc->kind != COLLECTOR_FILE || !c->fp_owned ||
	    (!cc->rotate_s && !cc->rotate_bytes))
		return;
	size = ftell(c->fp);
	if ((cc->rotate_s && ex->now_s - c->opened_s >= cc->rotate_s) ||
	    (cc->rotate_bytes && size >= 0 &&
	     (uint64_t)size >= cc->rotate_bytes)) {
		if (emit(ex, c) < 0)
			return;
		collector_close(c);
		c->state = COLL_DOWN;
		file_open(ex, c);
	}
}

void exporter_tick(struct exporter *ex, uint64_t now_s)
{
	ex->now_s = now_s;
	for (uint32_t i = 0; i < ex->n; i++) {
		struct collector *c = &ex->coll[i];

		/* A clock stepped back must not postpone retries for long. */
		if (c->retry_at_s > now_s + BACKOFF_MAX_S)
			c->retry_at_s = now_s;
		if (c->last_refresh_s > now_s)
			c->last_refresh_s = now_s;
		if (c->state == COLL_DOWN && now_s >= c->retry_at_s)
			collector_open(ex, c);
		if (c->state == COLL_CONNECTING)
			tcp_check(ex, c, 0);
		if (c->state != COLL_UP)
			continue;
		refresh(ex, c);
		emit(ex, c);
		if (c->state == COLL_UP)
			rotate(ex, c);
	}
}

uint64_t exporter_not_sent(const struct exporter *ex)
{
	uint64_t n = ex->not_sent_closed;

	for (uint32_t i = 0; i < ex->n; i++)
		n += ex->coll[i].not_sent.records;
	return n;
}

void exporter_free(struct exporter *ex)
{
	if (!ex)
		return;
	for (uint32_t i = 0; i < ex->n; i++)
		collector_finish(ex, &ex->coll[i]);
	fbInfoModelFree(ex->model);
	free(ex);
}
