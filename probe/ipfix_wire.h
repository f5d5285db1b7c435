/*
 * ipfix_wire.h - owns what goes on the wire: the information model
 * (templates/skyprobe.xml and the CERT elements), the record layouts and
 * their templates per profile, the metadata that leads every stream (RFC
 * 5610 type records, application names) and the records built from
 * flows, sessions and statistics.  It knows nothing of connections.
 */
#ifndef SKYPROBE_IPFIX_WIRE_H
#define SKYPROBE_IPFIX_WIRE_H

#include <stdint.h>

#include <fixbuf/public.h>

#include "export.h"
#include "flow_table.h"
#include "log.h"
#include "session.h"
#include "stats.h"

#define IPFIX_APP_ID_LEN 9              /* engine, PEN, selector */
#define IPFIX_REC_MAX    192            /* the largest layout, stats */

/* The model and the numbers every record and template of it carries. */
struct ipfix_wire {
	fbInfoModel_t *model;
	uint32_t pen;
	uint32_t obs_domain;
	char     elements_file[EXPORT_STR]; /* as configured, "" = default */
};

/*
 * One record in its internal layout, ready for fBufAppend, with the
 * templates it goes out with: xtid[profile], 0 where that profile does
 * not carry it.  A flow record's applicationId points into app_id, so a
 * record is filled in place and never copied.
 */
struct ipfix_rec {
	uint16_t tid;                   /* internal template */
	uint16_t xtid[2];               /* PROFILE_FULL, PROFILE_NFDUMP */
	uint16_t size;
	uint8_t  app_id[IPFIX_APP_ID_LEN];
	union {
		uint64_t align;
		uint8_t  bytes[IPFIX_REC_MAX];
	} data;
};

/* Load the model for ec's PEN and element file.  0, or -1 (logged). */
int ipfix_wire_init(struct ipfix_wire *w, const struct export_config *ec,
		    struct logger *lg);
/* Whether ec asks for the model and numbers w has already. */
int ipfix_wire_same(const struct ipfix_wire *w,
		    const struct export_config *ec);
void ipfix_wire_free(struct ipfix_wire *w);

/* A libfixbuf session (fbSession_t, not a Skype session) holding every
 * template of the profile.  session_opid: the nfdump profile's flow
 * templates carry the session id in observationPointId (ignored by the
 * full profile, whose flows carry it in commonPropertiesId). */
fbSession_t *ipfix_session_new(const struct ipfix_wire *w,
			       enum export_profile profile, int session_opid,
			       GError **gerr);
/* Templates, type records and application names, in the order collectors
 * need them; sent at the start of a stream and at each refresh. */
int ipfix_write_metadata(const struct ipfix_wire *w, fBuf_t *fbuf,
			 enum export_profile profile, GError **gerr);

void ipfix_flow_rec(const struct ipfix_wire *w, const struct flow *f,
		    enum flow_end_reason reason, struct ipfix_rec *r);
void ipfix_session_rec(const struct session_rec *s, struct ipfix_rec *r);
void ipfix_stats_rec(const struct ipfix_wire *w, const struct probe_stats *st,
		     struct ipfix_rec *r);
/* A statistics record's per-collector part (RFC 7011 section 4.2). */
void ipfix_stats_rec_losses(struct ipfix_rec *r, uint64_t not_sent_flows,
			    uint64_t not_sent_packets,
			    uint64_t not_sent_octets, uint64_t exported_flows);

#endif
