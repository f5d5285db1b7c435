/*
 * collector-test: the end-to-end tests' independent IPFIX collector.
 *
 * Owns: reading IPFIX from a file, stdin or a TCP/UDP listener with
 * libfixbuf only, and printing every data record (options records
 * included) as one JSON object per line.  It shares no code with the
 * probe on purpose: it is the oracle the probe's exporter is checked
 * against, so a bug in the probe's encoder cannot hide itself here.
 *
 * Decoding is generic: every external template is added to the session
 * as the internal template with the same id, so libfixbuf transcodes a
 * record into its packed in-memory layout (fields in template order,
 * each of its wire length, varlen fields as fbVarfield_t, lists as their
 * list structs) which is then walked element by element.
 *
 * Output conventions (the tests depend on them): keys "_tid", "_odid",
 * "_options" (options records only), then the elements in template order
 * under their model names, "_PEN_ID" when no name is known, "#2", "#3"
 * on repeats; paddingOctets is left out; basicList and subTemplate(Multi)
 * List values are null.  RFC 5610 type records only teach the model
 * element names and are not printed.
 *
 * Exit status: 0 ok (including --count reached and --timeout expired),
 * 1 input error, 2 usage error.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fixbuf/public.h>

#define EXIT_INPUT		1
#define EXIT_USAGE		2

/* A record's in-memory size is a uint16_t in libfixbuf. */
#define RECORD_BUF_SIZE		65536

/* Seconds between the NTP epoch (1900) and the Unix epoch (1970). */
#define NTP_EPOCH_OFFSET	2208988800ULL

#define IANA_PADDING_OCTETS	210

/*
 * Internal template id for RFC 5610 type records.  libfixbuf's own
 * automatic insert keeps its template in one session only, and a UDP
 * listener makes a fresh session per exporter, so the collector reads
 * these records itself with a template that every cloned session copies.
 */
#define TYPE_INFO_TID		0xfff0

enum input_kind {
	INPUT_FILE,
	INPUT_TCP,
	INPUT_UDP,
};

struct options {
	const char	*elements_path;
	const char	*pen_text;
	const char	*output_path;
	const char	*ready_path;
	const char	*input_path;
	char		*listen_host;
	char		*listen_port;
	enum input_kind	 input;
	uint64_t	 count;		/* 0: unlimited */
	unsigned int	 timeout;	/* 0: none */
};

/*
 * State shared with the timeout thread: the output lock makes sure a
 * timeout never cuts a JSON line in half.
 */
struct output {
	FILE		*fp;
	GMutex		 lock;
	uint64_t	 printed;
	uint64_t	 limit;
	unsigned int	 timeout;
	GMutex		 done_lock;
	GCond		 done_cond;
	gboolean	 done;
};

struct collector {
	fbInfoModel_t	*model;
	fbSession_t	*session;
	struct output	*out;
	uint8_t		*record;
};

static const char usage_text[] =
"usage: collector-test [options] FILE|-\n"
"       collector-test [options] --listen tcp://HOST:PORT|udp://HOST:PORT\n"
"Print every IPFIX data record as one JSON object per line.\n"
"  --elements FILE   load element definitions (IANA registry XML);\n"
"                    default: $ELEMENTS if set\n"
"  --pen N           replace the enterprise id of every element in the\n"
"                    --elements file by N\n"
"  --count N         exit 0 after N data records\n"
"  --timeout S       exit 0 after S seconds\n"
"  --listen URL      collect from the network instead of a file\n"
"  --ready-file PATH write the bound port to PATH once listening\n"
"  -o FILE           write the records to FILE (default: stdout)\n"
"  --help            show this help\n";

static void
usage_error(const char *msg, const char *arg)
{
	fprintf(stderr, "collector-test: %s%s%s\n", msg,
	    arg ? ": " : "", arg ? arg : "");
	fputs("Try 'collector-test --help'.\n", stderr);
	exit(EXIT_USAGE);
}

static uint64_t
parse_number(const char *text, const char *what, uint64_t max)
{
	char *end;
	unsigned long long value;

	errno = 0;
	value = strtoull(text, &end, 10);
	if (errno || end == text || *end != '\0' || text[0] == '-' ||
	    value > max)
		usage_error(what, text);
	return value;
}

static void
parse_listen(struct options *opt, const char *url)
{
	const char *rest, *colon;

	if (strncmp(url, "tcp://", 6) == 0)
		opt->input = INPUT_TCP;
	else if (strncmp(url, "udp://", 6) == 0)
		opt->input = INPUT_UDP;
	else
		usage_error("--listen needs tcp://HOST:PORT or udp://HOST:PORT",
		    url);
	rest = url + 6;
	colon = strrchr(rest, ':');
	if (!colon || colon[1] == '\0')
		usage_error("--listen needs a port", url);
	parse_number(colon + 1, "bad port", 65535);
	/* [v6addr]:port */
	if (rest[0] == '[' && colon > rest && colon[-1] == ']')
		opt->listen_host = g_strndup(rest + 1, colon - rest - 2);
	else
		opt->listen_host = g_strndup(rest, colon - rest);
	if (opt->listen_host[0] == '\0' || strcmp(opt->listen_host, "*") == 0) {
		g_free(opt->listen_host);
		opt->listen_host = NULL;
	}
	opt->listen_port = g_strdup(colon + 1);
}

static void
parse_options(struct options *opt, int argc, char **argv)
{
	enum { OPT_ELEMENTS = 256, OPT_PEN, OPT_COUNT, OPT_TIMEOUT,
	    OPT_LISTEN, OPT_READY, OPT_HELP };
	static const struct option longopts[] = {
		{ "elements",	required_argument, NULL, OPT_ELEMENTS },
		{ "pen",	required_argument, NULL, OPT_PEN },
		{ "count",	required_argument, NULL, OPT_COUNT },
		{ "timeout",	required_argument, NULL, OPT_TIMEOUT },
		{ "listen",	required_argument, NULL, OPT_LISTEN },
		{ "ready-file",	required_argument, NULL, OPT_READY },
		{ "help",	no_argument,	   NULL, OPT_HELP },
		{ NULL,		0,		   NULL, 0 },
	};
	const char *listen_url = NULL;
	int c;

	memset(opt, 0, sizeof(*opt));
	opt->elements_path = getenv("ELEMENTS");
	if (opt->elements_path && opt->elements_path[0] == '\0')
		opt->elements_path = NULL;
	while ((c = getopt_long(argc, argv, "o:h", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_ELEMENTS:
			opt->elements_path = optarg;
			break;
		case OPT_PEN:
			parse_number(optarg, "bad --pen", UINT32_MAX);
			opt->pen_text = optarg;
			break;
		case OPT_COUNT:
			opt->count = parse_number(optarg, "bad --count",
			    UINT64_MAX);
			break;
		case OPT_TIMEOUT:
			opt->timeout = parse_number(optarg, "bad --timeout",
			    86400);
			break;
		case OPT_LISTEN:
			listen_url = optarg;
			break;
		case OPT_READY:
			opt->ready_path = optarg;
			break;
		case 'o':
			opt->output_path = optarg;
			break;
		case 'h':
		case OPT_HELP:
			fputs(usage_text, stdout);
			exit(EXIT_SUCCESS);
		default:
			usage_error("bad option", NULL);
		}
	}
	if (listen_url) {
		if (optind != argc)
			usage_error("--listen takes no FILE", argv[optind]);
		parse_listen(opt, listen_url);
		return;
	}
	if (optind != argc - 1)
		usage_error("need exactly one FILE (or - or --listen)", NULL);
	opt->input = INPUT_FILE;
	opt->input_path = argv[optind];
	if (opt->ready_path)
		usage_error("--ready-file needs --listen", NULL);
}

/*
 * The probe loads its element file with its own enterprise number, so
 * the oracle must be able to do the same substitution.
 */
static gboolean
load_elements(fbInfoModel_t *model, const struct options *opt, GError **err)
{
	GRegex *re;
	gchar *xml, *replaced, *replacement;
	gsize len;
	gboolean ok;

	if (!opt->elements_path)
		return TRUE;
	if (!opt->pen_text)
		return fbInfoModelReadXMLFile(model, opt->elements_path, err);
	if (!g_file_get_contents(opt->elements_path, &xml, &len, err))
		return FALSE;
	re = g_regex_new("(<(?:[A-Za-z_][\\w.-]*:)?enterpriseId>)\\s*[0-9]+"
	    "\\s*(</(?:[A-Za-z_][\\w.-]*:)?enterpriseId>)", 0, 0, NULL);
	replacement = g_strdup_printf("\\g<1>%s\\g<2>", opt->pen_text);
	replaced = g_regex_replace(re, xml, len, 0, replacement, 0, err);
	ok = replaced != NULL &&
	    fbInfoModelReadXMLData(model, replaced, strlen(replaced), err);
	g_free(replaced);
	g_free(replacement);
	g_regex_unref(re);
	g_free(xml);
	return ok;
}

/* ---- JSON output ------------------------------------------------------ */

static void
json_string(FILE *fp, const uint8_t *buf, size_t len)
{
	gboolean utf8 = g_utf8_validate((const gchar *)buf, len, NULL);
	size_t i;

	fputc('"', fp);
	for (i = 0; i < len; i++) {
		uint8_t c = buf[i];

		if (c == '"' || c == '\\')
			fprintf(fp, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", fp);
		else if (c == '\t')
			fputs("\\t", fp);
		else if (c == '\r')
			fputs("\\r", fp);
		else if (c < 0x20 || c == 0x7f || (c >= 0x80 && !utf8))
			/* invalid UTF-8 is shown as Latin-1 code points */
			fprintf(fp, "\\u%04x", c);
		else
			fputc(c, fp);
	}
	fputc('"', fp);
}

static void
json_hex(FILE *fp, const uint8_t *buf, size_t len)
{
	size_t i;

	fputc('"', fp);
	for (i = 0; i < len; i++)
		fprintf(fp, "%02x", buf[i]);
	fputc('"', fp);
}

/*
 * libfixbuf has already converted endian-flagged fixed fields of the
 * internal layout to host order, for whatever length the template gave
 * (reduced-length encoding keeps the reduced length).
 */
static uint64_t
host_unsigned(const uint8_t *p, uint16_t len)
{
	uint8_t u8;
	uint16_t u16;
	uint32_t u32;
	uint64_t u64 = 0;

	switch (len) {
	case 1:
		memcpy(&u8, p, 1);
		return u8;
	case 2:
		memcpy(&u16, p, 2);
		return u16;
	case 4:
		memcpy(&u32, p, 4);
		return u32;
	case 8:
		memcpy(&u64, p, 8);
		return u64;
	default:
		/* odd widths: byte-swapped to host order like the rest */
		memcpy(&u64, p, len > 8 ? 8 : len);
		if (G_BYTE_ORDER == G_BIG_ENDIAN)
			u64 >>= 8 * (8 - (len > 8 ? 8 : len));
		return u64;
	}
}

static int64_t
host_signed(const uint8_t *p, uint16_t len)
{
	uint64_t u = host_unsigned(p, len);
	unsigned int bits = 8 * (len > 8 ? 8 : len);

	if (bits < 64 && (u & (1ULL << (bits - 1))))
		u |= ~0ULL << bits;
	return (int64_t)u;
}

static void
json_double(FILE *fp, double d)
{
	if (isfinite(d))
		fprintf(fp, "%.17g", d);
	else
		fputs("null", fp);
}

static void
json_float(FILE *fp, const uint8_t *p, uint16_t len)
{
	float f;
	double d;

	if (len == 4) {
		memcpy(&f, p, 4);
		json_double(fp, f);
	} else if (len == 8) {
		memcpy(&d, p, 8);
		json_double(fp, d);
	} else {
		json_hex(fp, p, len);
	}
}

static void
json_address(FILE *fp, int family, const uint8_t *p, uint16_t len)
{
	char text[INET6_ADDRSTRLEN];
	uint32_t v4;

	if (family == AF_INET && len == 4) {
		/* host order after transcoding */
		memcpy(&v4, p, 4);
		v4 = htonl(v4);
		inet_ntop(AF_INET, &v4, text, sizeof(text));
	} else if (family == AF_INET6 && len == 16) {
		inet_ntop(AF_INET6, p, text, sizeof(text));
	} else {
		json_hex(fp, p, len);
		return;
	}
	fprintf(fp, "\"%s\"", text);
}

static void
json_mac(FILE *fp, const uint8_t *p, uint16_t len)
{
	uint16_t i;

	fputc('"', fp);
	for (i = 0; i < len; i++)
		fprintf(fp, "%s%02x", i ? ":" : "", p[i]);
	fputc('"', fp);
}

/* NTP timestamps: 32 bits of seconds since 1900, 32 bits of fraction. */
static void
json_ntp(FILE *fp, const uint8_t *p, uint16_t len, uint64_t per_second)
{
	uint64_t ntp, seconds, fraction;

	if (len != 8) {
		json_hex(fp, p, len);
		return;
	}
	ntp = host_unsigned(p, 8);
	seconds = ntp >> 32;
	fraction = ntp & 0xffffffffULL;
	fprintf(fp, "%" PRId64,
	    ((int64_t)seconds - (int64_t)NTP_EPOCH_OFFSET) *
	    (int64_t)per_second + (int64_t)((fraction * per_second) >> 32));
}

/* Bytes a field takes in libfixbuf's internal record layout. */
static size_t
internal_size(const fbInfoElement_t *ie, const fbInfoElement_t *canon)
{
	if (ie->len != FB_IE_VARLEN)
		return ie->len;
	if (canon->type == FB_BASIC_LIST || ie->num == FB_IE_BASIC_LIST)
		return sizeof(fbBasicList_t);
	if (canon->type == FB_SUB_TMPL_LIST ||
	    ie->num == FB_IE_SUBTEMPLATE_LIST)
		return sizeof(fbSubTemplateList_t);
	if (canon->type == FB_SUB_TMPL_MULTI_LIST ||
	    ie->num == FB_IE_SUBTEMPLATE_MULTILIST)
		return sizeof(fbSubTemplateMultiList_t);
	return sizeof(fbVarfield_t);
}

static gboolean
is_list(const fbInfoElement_t *canon)
{
	return canon->type == FB_BASIC_LIST ||
	    canon->type == FB_SUB_TMPL_LIST ||
	    canon->type == FB_SUB_TMPL_MULTI_LIST;
}

static void
json_value(FILE *fp, const fbInfoElement_t *ie, const fbInfoElement_t *canon,
    const uint8_t *p)
{
	fbVarfield_t var;
	const uint8_t *data = p;
	uint16_t len = ie->len;

	if (is_list(canon)) {
		fputs("null", fp);
		return;
	}
	if (ie->len == FB_IE_VARLEN) {
		memcpy(&var, p, sizeof(var));
		data = var.buf;
		len = (uint16_t)var.len;
		if (len == 0)
			data = (const uint8_t *)"";
	}
	switch (canon->type) {
	case FB_UINT_8:
	case FB_UINT_16:
	case FB_UINT_32:
	case FB_UINT_64:
	case FB_DT_SEC:
	case FB_DT_MILSEC:
		if (len == 0 || len > 8)
			json_hex(fp, data, len);
		else
			fprintf(fp, "%" PRIu64, host_unsigned(data, len));
		break;
	case FB_INT_8:
	case FB_INT_16:
	case FB_INT_32:
	case FB_INT_64:
		if (len == 0 || len > 8)
			json_hex(fp, data, len);
		else
			fprintf(fp, "%" PRId64, host_signed(data, len));
		break;
	case FB_FLOAT_32:
	case FB_FLOAT_64:
		json_float(fp, data, len);
		break;
	case FB_BOOL:
		/* RFC 7011 6.1.5: true is 1, false is 2 */
		fputs(len == 1 && data[0] == 1 ? "true" : "false", fp);
		break;
	case FB_MAC_ADDR:
		json_mac(fp, data, len);
		break;
	case FB_STRING:
		/* fixed-length strings are NUL padded: the padding is not text */
		if (ie->len != FB_IE_VARLEN) {
			const uint8_t *nul = memchr(data, '\0', len);

			if (nul)
				len = (uint16_t)(nul - data);
		}
		json_string(fp, data, len);
		break;
	case FB_DT_MICROSEC:
		json_ntp(fp, data, len, 1000000ULL);
		break;
	case FB_DT_NANOSEC:
		json_ntp(fp, data, len, 1000000000ULL);
		break;
	case FB_IP4_ADDR:
		json_address(fp, AF_INET, data, len);
		break;
	case FB_IP6_ADDR:
		json_address(fp, AF_INET6, data, len);
		break;
	default:
		json_hex(fp, data, len);
		break;
	}
}

/* "_PEN_ID" for elements that neither the model nor RFC 5610 named. */
static char *
element_name(const fbInfoElement_t *ie, const fbInfoElement_t *canon)
{
	if (!canon || (canon->flags & FB_IE_F_ALIEN) || !canon->ref.name)
		return g_strdup_printf("_%" PRIu32 "_%u", ie->ent, ie->num);
	return g_strdup(canon->ref.name);
}

/* 1 for the first occurrence of this element in the template, 2, ... */
static unsigned int
occurrence(fbTemplate_t *tmpl, uint32_t index)
{
	const fbInfoElement_t *ie = fbTemplateGetIndexedIE(tmpl, index);
	unsigned int n = 1;
	uint32_t i;

	for (i = 0; i < index; i++) {
		const fbInfoElement_t *prev = fbTemplateGetIndexedIE(tmpl, i);

		if (prev->ent == ie->ent && prev->num == ie->num)
			n++;
	}
	return n;
}

static void
print_record(FILE *fp, fbTemplate_t *tmpl, uint16_t tid, uint32_t odid,
    const uint8_t *record, size_t record_len)
{
	uint32_t count = fbTemplateCountElements(tmpl);
	uint32_t i;
	size_t offset = 0;

	fprintf(fp, "{\"_tid\":%u,\"_odid\":%" PRIu32, tid, odid);
	if (fbTemplateGetOptionsScope(tmpl))
		fputs(",\"_options\":true", fp);
	for (i = 0; i < count; i++) {
		const fbInfoElement_t *ie = fbTemplateGetIndexedIE(tmpl, i);
		const fbInfoElement_t *canon = ie->ref.canon;
		size_t size = internal_size(ie, canon);
		unsigned int n;
		char *name;

		if (offset + size > record_len)
			break;
		if (ie->ent == 0 && ie->num == IANA_PADDING_OCTETS) {
			offset += size;
			continue;
		}
		name = element_name(ie, canon);
		n = occurrence(tmpl, i);
		fputc(',', fp);
		if (n > 1) {
			char *key = g_strdup_printf("%s#%u", name, n);

			json_string(fp, (const uint8_t *)key, strlen(key));
			g_free(key);
		} else {
			json_string(fp, (const uint8_t *)name, strlen(name));
		}
		fputc(':', fp);
		json_value(fp, ie, canon, record + offset);
		g_free(name);
		offset += size;
	}
	fputs("}\n", fp);
	fflush(fp);
}

/* ---- template handling ------------------------------------------------ */

/*
 * Every external template becomes the internal template of the same id,
 * so the transcoder keeps every field, in order, at its wire length.
 */
static void
on_new_template(fbSession_t *session, uint16_t tid, fbTemplate_t *tmpl,
    void *app_ctx, void **tmpl_ctx, fbTemplateCtxFree_fn *free_fn)
{
	GError *err = NULL;

	(void)app_ctx;
	(void)tmpl_ctx;
	(void)free_fn;
	if (!fbSessionAddTemplate(session, TRUE, tid, tmpl, &err)) {
		fprintf(stderr, "collector-test: template %u: %s\n", tid,
		    err->message);
		g_clear_error(&err);
	}
}

static gboolean
add_type_template(fbSession_t *session, GError **err)
{
	fbTemplate_t *tmpl;

	tmpl = fbInfoElementAllocTypeTemplate(fbSessionGetInfoModel(session),
	    err);
	if (!tmpl)
		return FALSE;
	if (!fbSessionAddTemplate(session, TRUE, TYPE_INFO_TID, tmpl, err)) {
		fbTemplateFreeUnused(tmpl);
		return FALSE;
	}
	return TRUE;
}

/* ---- reading ---------------------------------------------------------- */

enum read_result {
	READ_MORE,	/* end of message in manual mode: wait again */
	READ_END,	/* end of this input (file EOF, peer closed) */
	READ_LIMIT,	/* --count reached */
	READ_ERROR,
};

/* Teach the model the element an RFC 5610 type record describes. */
static gboolean
learn_element(fBuf_t *fbuf, GError **err)
{
	fbInfoElementOptRec_t type_rec;
	size_t len = sizeof(type_rec);

	if (!fBufSetInternalTemplate(fbuf, TYPE_INFO_TID, err))
		return FALSE;
	memset(&type_rec, 0, sizeof(type_rec));
	if (!fBufNext(fbuf, (uint8_t *)&type_rec, &len, err))
		return FALSE;
	/* refused for PEN 0 (IANA's own elements): nothing to learn */
	fbInfoElementAddOptRecElement(
	    fbSessionGetInfoModel(fBufGetSession(fbuf)), &type_rec);
	return TRUE;
}

static gboolean
emit(struct collector *col, fBuf_t *fbuf, fbTemplate_t *tmpl, uint16_t tid,
    size_t len)
{
	struct output *out = col->out;
	uint32_t odid = fbSessionGetDomain(fBufGetSession(fbuf));
	gboolean more;

	g_mutex_lock(&out->lock);
	print_record(out->fp, tmpl, tid, odid, col->record, len);
	out->printed++;
	more = out->limit == 0 || out->printed < out->limit;
	g_mutex_unlock(&out->lock);
	return more;
}

static enum read_result
read_records(struct collector *col, fBuf_t *fbuf, GError **err)
{
	for (;;) {
		fbTemplate_t *tmpl;
		uint16_t tid = 0;
		size_t len = RECORD_BUF_SIZE;

		tmpl = fBufNextCollectionTemplate(fbuf, &tid, err);
		if (tmpl == NULL)
			break;
		if (fbInfoModelTypeInfoRecord(tmpl)) {
			if (!learn_element(fbuf, err))
				break;
			continue;
		}
		if (!fBufSetInternalTemplate(fbuf, tid, err))
			return READ_ERROR;
		memset(col->record, 0, fbTemplateGetIELenOfMemBuffer(tmpl));
		if (!fBufNext(fbuf, col->record, &len, err))
			break;
		/* the template of the record just read, in case it changed */
		tmpl = fBufGetCollectionTemplate(fbuf, &tid);
		if (!emit(col, fbuf, tmpl, tid, len)) {
			fBufListFree(tmpl, col->record);
			return READ_LIMIT;
		}
		fBufListFree(tmpl, col->record);
	}
	if (g_error_matches(*err, FB_ERROR_DOMAIN, FB_ERROR_EOM)) {
		g_clear_error(err);
		return READ_MORE;
	}
	if (g_error_matches(*err, FB_ERROR_DOMAIN, FB_ERROR_EOF)) {
		g_clear_error(err);
		return READ_END;
	}
	return READ_ERROR;
}

static int
collect_file(struct collector *col, const char *path)
{
	fbCollector_t *reader;
	fBuf_t *fbuf;
	GError *err = NULL;
	enum read_result result;
	int status = EXIT_SUCCESS;

	reader = fbCollectorAllocFile(NULL, path, &err);
	if (!reader) {
		fprintf(stderr, "collector-test: %s: %s\n", path, err->message);
		g_clear_error(&err);
		return EXIT_INPUT;
	}
	fbuf = fBufAllocForCollection(col->session, reader);
	/* the fBuf owns the session and frees it */
	col->session = NULL;
	result = read_records(col, fbuf, &err);
	if (result == READ_ERROR || result == READ_MORE) {
		fprintf(stderr, "collector-test: %s: %s\n", path,
		    err ? err->message : "unexpected end of message");
		status = EXIT_INPUT;
	}
	g_clear_error(&err);
	fBufFree(fbuf);
	return status;
}

/*
 * With port 0 the kernel picks the port; libfixbuf does not say which,
 * so look for the one socket of ours bound to a non-zero port.
 */
static unsigned int
bound_port(int sock_type)
{
	int fd;

	for (fd = 3; fd < 1024; fd++) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		int type;
		socklen_t tl = sizeof(type);

		if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tl) != 0 ||
		    type != sock_type)
			continue;
		if (getsockname(fd, (struct sockaddr *)&ss, &sl) != 0)
			continue;
		if (ss.ss_family == AF_INET)
			return ntohs(((struct sockaddr_in *)&ss)->sin_port);
		if (ss.ss_family == AF_INET6)
			return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	}
	return 0;
}

static gboolean
write_ready_file(const struct options *opt)
{
	unsigned int port = atoi(opt->listen_port);
	char *text, *tmp;
	gboolean ok;
	GError *err = NULL;

	if (port == 0)
		port = bound_port(opt->input == INPUT_TCP ?
		    SOCK_STREAM : SOCK_DGRAM);
	text = g_strdup_printf("%u\n", port);
	/* written whole then renamed: a test polling it never sees half */
	tmp = g_strdup_printf("%s.tmp", opt->ready_path);
	ok = g_file_set_contents(tmp, text, -1, &err) &&
	    rename(tmp, opt->ready_path) == 0;
	if (!ok)
		fprintf(stderr, "collector-test: %s: %s\n", opt->ready_path,
		    err ? err->message : strerror(errno));
	g_clear_error(&err);
	g_free(tmp);
	g_free(text);
	return ok;
}

static int
collect_listen(struct collector *col, const struct options *opt)
{
	fbConnSpec_t spec;
	fbListener_t *listener;
	GError *err = NULL;
	int status = EXIT_SUCCESS;

	memset(&spec, 0, sizeof(spec));
	/* FB_CONNSPEC_INIT means SCTP, which this libfixbuf lacks */
	spec.transport = opt->input == INPUT_TCP ? FB_TCP : FB_UDP;
	spec.host = opt->listen_host;
	spec.svc = opt->listen_port;
	listener = fbListenerAlloc(&spec, col->session, NULL, NULL, &err);
	if (!listener) {
		fprintf(stderr, "collector-test: listen: %s\n", err->message);
		g_clear_error(&err);
		return EXIT_INPUT;
	}
	if (opt->ready_path && !write_ready_file(opt)) {
		fbListenerFree(listener);
		return EXIT_INPUT;
	}
	for (;;) {
		fBuf_t *fbuf = fbListenerWait(listener, &err);
		enum read_result result;

		if (!fbuf) {
			if (g_error_matches(err, FB_ERROR_DOMAIN,
			    FB_ERROR_NLREAD) || g_error_matches(err,
			    FB_ERROR_DOMAIN, FB_ERROR_EOM)) {
				g_clear_error(&err);
				continue;
			}
			fprintf(stderr, "collector-test: listen: %s\n",
			    err->message);
			status = EXIT_INPUT;
			break;
		}
		/* at end of message, go back to the listener's poll */
		fBufSetAutomaticMode(fbuf, FALSE);
		result = read_records(col, fbuf, &err);
		if (result == READ_LIMIT)
			break;
		if (result == READ_END) {
			/* peer closed: keep waiting for other exporters */
			if (opt->input == INPUT_TCP)
				fBufFree(fbuf);
			continue;
		}
		if (result == READ_ERROR) {
			if (g_error_matches(err, FB_ERROR_DOMAIN,
			    FB_ERROR_NLREAD)) {
				/* interrupted or connection reset */
				g_clear_error(&err);
				if (opt->input == INPUT_TCP)
					fBufFree(fbuf);
				continue;
			}
			fprintf(stderr, "collector-test: input: %s\n",
			    err->message);
			status = EXIT_INPUT;
			break;
		}
	}
	g_clear_error(&err);
	fbListenerFree(listener);
	return status;
}

/* ---- timeout ---------------------------------------------------------- */

/*
 * Blocking reads (stdin, sockets) cannot be interrupted portably through
 * libfixbuf, so on timeout the whole process leaves with _exit(0), after
 * taking the output lock so that the last line printed is complete.
 */
static gpointer
timeout_thread(gpointer data)
{
	struct output *out = data;
	gint64 end = g_get_monotonic_time() +
	    (gint64)out->timeout * G_TIME_SPAN_SECOND;

	g_mutex_lock(&out->done_lock);
	while (!out->done) {
		if (!g_cond_wait_until(&out->done_cond, &out->done_lock, end))
			break;
	}
	if (out->done) {
		g_mutex_unlock(&out->done_lock);
		return NULL;
	}
	g_mutex_unlock(&out->done_lock);
	g_mutex_lock(&out->lock);
	fflush(out->fp);
	_exit(EXIT_SUCCESS);
	return NULL;
}

static void
stop_timeout(struct output *out, GThread *thread)
{
	if (!thread)
		return;
	g_mutex_lock(&out->done_lock);
	out->done = TRUE;
	g_cond_signal(&out->done_cond);
	g_mutex_unlock(&out->done_lock);
	g_thread_join(thread);
}

int
main(int argc, char **argv)
{
	struct options opt;
	struct output out;
	struct collector col;
	GThread *timer = NULL;
	GError *err = NULL;
	int status;

	parse_options(&opt, argc, argv);

	memset(&out, 0, sizeof(out));
	g_mutex_init(&out.lock);
	g_mutex_init(&out.done_lock);
	g_cond_init(&out.done_cond);
	out.limit = opt.count;
	out.timeout = opt.timeout;
	out.fp = stdout;
	if (opt.output_path && strcmp(opt.output_path, "-") != 0) {
		out.fp = fopen(opt.output_path, "w");
		if (!out.fp) {
			fprintf(stderr, "collector-test: %s: %s\n",
			    opt.output_path, strerror(errno));
			return EXIT_INPUT;
		}
	}

	memset(&col, 0, sizeof(col));
	col.out = &out;
	col.model = fbInfoModelAlloc();
	if (!load_elements(col.model, &opt, &err)) {
		fprintf(stderr, "collector-test: %s: %s\n", opt.elements_path,
		    err->message);
		g_clear_error(&err);
		fbInfoModelFree(col.model);
		return EXIT_INPUT;
	}
	col.record = g_malloc0(RECORD_BUF_SIZE);
	col.session = fbSessionAlloc(col.model);
	if (!add_type_template(col.session, &err)) {
		fprintf(stderr, "collector-test: %s\n", err->message);
		g_clear_error(&err);
		return EXIT_INPUT;
	}
	/* cloned into every session a listener creates */
	fbSessionAddNewTemplateCallback(col.session, on_new_template, NULL);

	if (opt.timeout)
		timer = g_thread_new("timeout", timeout_thread, &out);

	if (opt.input == INPUT_FILE)
		status = collect_file(&col, opt.input_path);
	else
		status = collect_listen(&col, &opt);
	/* still ours unless an fBuf took it over */
	if (col.session)
		fbSessionFree(col.session);

	stop_timeout(&out, timer);
	if (out.fp != stdout)
		fclose(out.fp);
	g_free(col.record);
	fbInfoModelFree(col.model);
	g_free(opt.listen_host);
	g_free(opt.listen_port);
	g_mutex_clear(&out.lock);
	g_mutex_clear(&out.done_lock);
	g_cond_clear(&out.done_cond);
	return status;
}
