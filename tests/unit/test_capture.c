/*
 * test_capture.c - the capture file reader: classic pcap files read in
 * place (both byte orders, micro- and nanosecond stamps, cut and absurd
 * records, the BPF filter, batches) and the libpcap fallback.
 */
#include "capture.h"

#include <check.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAGIC_US 0xa1b2c3d4u
#define MAGIC_NS 0xa1b23c4du

/* A pcap file being built in memory. */
struct img {
	uint8_t b[4096];
	size_t  len;
	int     big_endian;
};

static void put32(struct img *m, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		m->b[m->len++] = (uint8_t)(m->big_endian ?
					   v >> (24 - 8 * i) : v >> (8 * i));
}

static void put16(struct img *m, uint16_t v)
{
	if (m->big_endian) {
		m->b[m->len++] = (uint8_t)(v >> 8);
		m->b[m->len++] = (uint8_t)v;
	} else {
		m->b[m->len++] = (uint8_t)v;
		m->b[m->len++] = (uint8_t)(v >> 8);
	}
}

static void file_header(struct img *m, uint32_t magic, uint32_t snaplen,
			uint32_t linktype)
{
	put32(m, magic);
	put16(m, 2);
	put16(m, 4);
	put32(m, 0);
	put32(m, 0);
	put32(m, snaplen);
	put32(m, linktype);
}

/* A record of caplen bytes, byte i = fill + i; only `avail` are written. */
static void record(struct img *m, uint32_t sec, uint32_t frac,
		   uint32_t caplen, uint32_t wirelen, uint8_t fill,
		   uint32_t avail)
{
	put32(m, sec);
	put32(m, frac);
	put32(m, caplen);
	put32(m, wirelen);
	for (uint32_t i = 0; i < avail; i++)
		m->b[m->len++] = (uint8_t)(fill + i);
}

static char path[64];

static struct capture *open_img(const struct img *m, const char *filter)
{
	struct capture_opts o = { .file = path, .filter = filter,
				  .snaplen = 65535 };
	char err[512] = "";
	struct capture *c;
	FILE *f;
	int fd;

	snprintf(path, sizeof(path), "/tmp/test_capture.XXXXXX");
	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	f = fdopen(fd, "wb");
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(m->b, 1, m->len, f), m->len);
	fclose(f);
	c = capture_open(&o, err, sizeof(err));
	ck_assert_msg(c != NULL, "open: %s", err);
	return c;
}

static void done(struct capture *c)
{
	capture_close(c);
	unlink(path);
}

static void expect_packet(struct capture *c, uint32_t caplen,
			  uint32_t wirelen, uint64_t ts_us, uint8_t fill)
{
	const uint8_t *d;
	uint32_t cl, wl;
	uint64_t ts;

	ck_assert_int_eq(capture_next(c, &d, &cl, &wl, &ts), CAPTURE_PACKET);
	ck_assert_uint_eq(cl, caplen);
	ck_assert_uint_eq(wl, wirelen);
	ck_assert_uint_eq(ts, ts_us);
	for (uint32_t i = 0; i < cl; i++)
		ck_assert_uint_eq(d[i], (uint8_t)(fill + i));
}

static enum capture_status next_status(struct capture *c)
{
	const uint8_t *d;
	uint32_t cl, wl;
	uint64_t ts;

	return capture_next(c, &d, &cl, &wl, &ts);
}

static void two_packets(int big_endian, uint32_t magic, uint32_t frac,
			uint64_t ts_us)
{
	struct img m = { .big_endian = big_endian };
	struct capture *c;

	file_header(&m, magic, 65535, 1);
	record(&m, 1000, frac, 20, 60, 0x10, 20);
	record(&m, 1001, 0, 14, 14, 0x80, 14);
	c = open_img(&m, NULL);
	ck_assert_int_eq(capture_linktype(c), DLT_EN10MB);
	ck_assert_int_eq(capture_is_live(c), 0);
	expect_packet(c, 20, 60, ts_us, 0x10);
	expect_packet(c, 14, 14, 1001000000ULL, 0x80);
	ck_assert_int_eq(next_status(c), CAPTURE_EOF);
	ck_assert_int_eq(next_status(c), CAPTURE_EOF);
	done(c);
}

START_TEST(little_endian_microseconds)
{
	two_packets(0, MAGIC_US, 123456, 1000123456ULL);
}
END_TEST

START_TEST(big_endian_microseconds)
{
	two_packets(1, MAGIC_US, 999999, 1000999999ULL);
}
END_TEST

START_TEST(little_endian_nanoseconds)
{
	two_packets(0, MAGIC_NS, 123456789, 1000123456ULL);
}
END_TEST

START_TEST(big_endian_nanoseconds)
{
	two_packets(1, MAGIC_NS, 999999999, 1000999999ULL);
}
END_TEST

/* Both byte orders and both magics are read in place (libpcap's batches
 * would hold one packet); a major version other than 2 is libpcap's. */
START_TEST(read_in_place)
{
	static const uint32_t magic[2] = { MAGIC_US, MAGIC_NS };
	struct capture_pkt pk[4];
	struct capture *c;
	unsigned n;

	for (int i = 0; i < 4; i++) {
		struct img m = { .big_endian = i & 1 };

		file_header(&m, magic[i >> 1], 65535, 1);
		record(&m, 1, 0, 14, 14, 0, 14);
		record(&m, 2, 0, 14, 14, 0, 14);
		c = open_img(&m, NULL);
		ck_assert_int_eq(capture_next_batch(c, pk, 4, &n),
				 CAPTURE_PACKET);
		ck_assert_uint_eq(n, 2);
		done(c);
	}
}
END_TEST

START_TEST(other_major_version)
{
	struct img m = { 0 };
	struct capture_opts o = { .snaplen = 65535 };
	char err[512] = "";
	FILE *f;
	int fd;

	file_header(&m, MAGIC_US, 65535, 1);
	m.b[4] = 3;
	snprintf(path, sizeof(path), "/tmp/test_capture.XXXXXX");
	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	f = fdopen(fd, "wb");
	fwrite(m.b, 1, m.len, f);
	fclose(f);
	o.file = path;
	ck_assert_ptr_null(capture_open(&o, err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, path));
	unlink(path);
}
END_TEST

/* The file is cut inside the second record's header. */
START_TEST(truncated_record_header)
{
	struct img m = { 0 };
	struct capture *c;

	file_header(&m, MAGIC_US, 65535, 1);
	record(&m, 5, 0, 20, 20, 1, 20);
	record(&m, 6, 0, 20, 20, 1, 0);
	m.len -= 7;
	c = open_img(&m, NULL);
	expect_packet(c, 20, 20, 5000000, 1);
	ck_assert_int_eq(next_status(c), CAPTURE_ERROR);
	ck_assert_ptr_nonnull(strstr(capture_error(c), path));
	ck_assert_ptr_nonnull(strstr(capture_error(c),
		"truncated dump file; tried to read 16 header bytes, only got 9"));
	ck_assert_ptr_null(strchr(capture_error(c), '\n'));
	done(c);
}
END_TEST

/* The file is cut inside the second record's data. */
START_TEST(truncated_record_data)
{
	struct img m = { 0 };
	struct capture *c;

	file_header(&m, MAGIC_US, 65535, 1);
	record(&m, 5, 0, 20, 20, 1, 20);
	record(&m, 6, 0, 30, 30, 1, 23);
	c = open_img(&m, NULL);
	expect_packet(c, 20, 20, 5000000, 1);
	ck_assert_int_eq(next_status(c), CAPTURE_ERROR);
	ck_assert_ptr_nonnull(strstr(capture_error(c), path));
	ck_assert_ptr_nonnull(strstr(capture_error(c),
		"tried to read 30 captured bytes, only got 23"));
	done(c);
}
END_TEST

/* A record longer than the file's snapshot length is cut to it (as
 * libpcap does) and the next record is still found. */
START_TEST(caplen_over_snaplen)
{
	struct img m = { 0 };
	struct capture *c;

	file_header(&m, MAGIC_US, 16, 1);
	record(&m, 1, 0, 40, 40, 3, 40);
	record(&m, 2, 0, 10, 10, 9, 10);
	c = open_img(&m, NULL);
	expect_packet(c, 16, 40, 1000000, 3);
	expect_packet(c, 10, 10, 2000000, 9);
	ck_assert_int_eq(next_status(c), CAPTURE_EOF);
	done(c);
}
END_TEST

/* A length no snapshot can have is an error, not a huge read. */
START_TEST(absurd_caplen)
{
	struct img m = { 0 };
	struct capture *c;

	file_header(&m, MAGIC_US, 65535, 1);
	record(&m, 1, 0, 0xfffffff0u, 60, 0, 30);
	c = open_img(&m, NULL);
	ck_assert_int_eq(next_status(c), CAPTURE_ERROR);
	ck_assert_ptr_nonnull(strstr(capture_error(c),
		"invalid packet capture length 4294967280"));
	done(c);
}
END_TEST

/* Batches: every packet of a batch stays valid; the end comes after. */
START_TEST(batches)
{
	struct img m = { 0 };
	struct capture_pkt pk[4];
	struct capture *c;
	unsigned n, i;

	file_header(&m, MAGIC_US, 65535, 1);
	for (i = 0; i < 6; i++)
		record(&m, i, 0, 14, 14, (uint8_t)(i * 16), 14);
	c = open_img(&m, NULL);
	ck_assert_int_eq(capture_next_batch(c, pk, 4, &n), CAPTURE_PACKET);
	ck_assert_uint_eq(n, 4);
	for (i = 0; i < 4; i++) {
		ck_assert_uint_eq(pk[i].data[0], i * 16);
		ck_assert_uint_eq(pk[i].ts_us, i * 1000000ULL);
	}
	ck_assert_int_eq(capture_next_batch(c, pk, 4, &n), CAPTURE_PACKET);
	ck_assert_uint_eq(n, 2);
	ck_assert_uint_eq(pk[1].data[13], 5 * 16 + 13);
	ck_assert_int_eq(capture_next_batch(c, pk, 4, &n), CAPTURE_EOF);
	ck_assert_uint_eq(n, 0);
	done(c);
}
END_TEST

/* An Ethernet frame of the given EtherType (rest zero). */
static void frame(struct img *m, uint32_t sec, uint16_t ethertype)
{
	record(m, sec, 0, 14, 14, 0, 0);
	memset(m->b + m->len, 0, 12);
	m->len += 12;
	m->b[m->len++] = (uint8_t)(ethertype >> 8);
	m->b[m->len++] = (uint8_t)ethertype;
}

START_TEST(filter_in_place)
{
	struct img m = { 0 };
	struct capture *c;
	const uint8_t *d;
	uint32_t cl, wl;
	uint64_t ts;

	file_header(&m, MAGIC_US, 65535, 1);
	frame(&m, 1, 0x0806);
	frame(&m, 2, 0x86dd);
	frame(&m, 3, 0x0806);
	c = open_img(&m, "ip6");
	ck_assert_int_eq(capture_next(c, &d, &cl, &wl, &ts), CAPTURE_PACKET);
	ck_assert_uint_eq(ts, 2000000);
	ck_assert_int_eq(next_status(c), CAPTURE_EOF);
	done(c);
}
END_TEST

START_TEST(bad_filter)
{
	struct img m = { 0 };
	struct capture_opts o = { .filter = "no such thing", .snaplen = 65535 };
	char err[512] = "";
	FILE *f;
	int fd;

	file_header(&m, MAGIC_US, 65535, 1);
	snprintf(path, sizeof(path), "/tmp/test_capture.XXXXXX");
	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	f = fdopen(fd, "wb");
	fwrite(m.b, 1, m.len, f);
	fclose(f);
	o.file = path;
	ck_assert_ptr_null(capture_open(&o, err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "bad filter 'no such thing'"));
	unlink(path);
}
END_TEST

/* LINKTYPE_RAW (101) is not read in place: libpcap maps it to DLT_RAW. */
START_TEST(fallback_to_libpcap)
{
	struct img m = { 0 };
	struct capture *c;

	file_header(&m, MAGIC_US, 65535, 101);
	record(&m, 7, 0, 20, 20, 0x45, 20);
	c = open_img(&m, NULL);
	ck_assert_int_eq(capture_linktype(c), DLT_RAW);
	expect_packet(c, 20, 20, 7000000, 0x45);
	ck_assert_int_eq(next_status(c), CAPTURE_EOF);
	done(c);
}
END_TEST

/* A corrupt header is libpcap's to report. */
START_TEST(corrupt_header)
{
	struct img m = { 0 };
	struct capture_opts o = { .snaplen = 65535 };
	char err[512] = "";
	FILE *f;
	int fd;

	file_header(&m, 0x12345678u, 65535, 1);
	snprintf(path, sizeof(path), "/tmp/test_capture.XXXXXX");
	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	f = fdopen(fd, "wb");
	fwrite(m.b, 1, m.len, f);
	fclose(f);
	o.file = path;
	ck_assert_ptr_null(capture_open(&o, err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, path));
	ck_assert_ptr_null(strchr(err, '\n'));
	unlink(path);
}
END_TEST

/* ---- a file truncated while read (issue 9 B) ------------------------- */

/* Several times the reader's buffer, so that a cut lands past what it
 * has read. */
#define BIG_RECS 2000
#define BIG_CAPLEN 3000u
#define BIG_REC (16 + BIG_CAPLEN)

/* BIG_RECS records of BIG_CAPLEN bytes (byte i of record r = r + i): a
 * file of several pages, at path. */
static struct capture *open_big(void)
{
	struct capture_opts o = { .file = path, .snaplen = 65535 };
	char err[512] = "";
	struct img h = { 0 };
	uint8_t data[BIG_CAPLEN];
	struct capture *c;
	FILE *f;
	int fd;

	snprintf(path, sizeof(path), "/tmp/test_capture.XXXXXX");
	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	f = fdopen(fd, "wb");
	ck_assert_ptr_nonnull(f);
	file_header(&h, MAGIC_US, 65535, 1);
	for (uint32_t r = 0; r < BIG_RECS; r++) {
		record(&h, r, 0, BIG_CAPLEN, BIG_CAPLEN, 0, 0);
		for (uint32_t i = 0; i < BIG_CAPLEN; i++)
			data[i] = (uint8_t)(r + i);
		ck_assert_uint_eq(fwrite(h.b, 1, h.len, f), h.len);
		ck_assert_uint_eq(fwrite(data, 1, BIG_CAPLEN, f), BIG_CAPLEN);
		h.len = 0;
	}
	fclose(f);
	c = capture_open(&o, err, sizeof(err));
	ck_assert_msg(c != NULL, "open: %s", err);
	return c;
}

/* Reads batches after `first` records until the end; every record must be
 * whole and in order.  Returns how many were read in all. */
static unsigned read_rest(struct capture *c, unsigned first,
			  enum capture_status *end)
{
	struct capture_pkt pk[8];
	unsigned n, got = first;

	while ((*end = capture_next_batch(c, pk, 8, &n)) == CAPTURE_PACKET)
		for (unsigned k = 0; k < n; k++, got++) {
			ck_assert_uint_eq(pk[k].ts_us, (uint64_t)got * 1000000u);
			ck_assert_uint_eq(pk[k].data[0], (uint8_t)got);
			ck_assert_uint_eq(pk[k].data[BIG_CAPLEN - 1],
					  (uint8_t)(got + BIG_CAPLEN - 1));
		}
	return got;
}

static void expect_cut_at(struct capture *c, unsigned rec)
{
	char want[128];

	snprintf(want, sizeof(want), "%s: truncated while reading at offset %u",
		 path, 24 + rec * BIG_REC);
	ck_assert_str_eq(capture_error(c), want);
}

/* Shrunk between two batches, far past what was read: the records wholly
 * before the new end are read, then the error names the offset of the
 * first one cut. */
START_TEST(truncated_between_batches)
{
	struct capture_pkt pk[8];
	struct capture *c = open_big();
	enum capture_status st;
	unsigned n;

	ck_assert_int_eq(capture_next_batch(c, pk, 8, &n), CAPTURE_PACKET);
	ck_assert_uint_eq(n, 8);
	ck_assert_int_eq(truncate(path, 24 + 1500 * BIG_REC + 100), 0);
	ck_assert_uint_eq(read_rest(c, 8, &st), 1500);
	ck_assert_int_eq(st, CAPTURE_ERROR);
	expect_cut_at(c, 1500);
	/* and it stays an error */
	ck_assert_int_eq(capture_next_batch(c, pk, 8, &n), CAPTURE_ERROR);
	done(c);
}
END_TEST

/* Shrunk at a record boundary: an error, not the end of the file. */
START_TEST(truncated_at_record_boundary)
{
	struct capture *c = open_big();
	enum capture_status st;

	ck_assert_int_eq(next_status(c), CAPTURE_PACKET);
	ck_assert_int_eq(truncate(path, 24 + 1200 * BIG_REC), 0);
	ck_assert_uint_eq(read_rest(c, 1, &st), 1200);
	ck_assert_int_eq(st, CAPTURE_ERROR);
	expect_cut_at(c, 1200);
	done(c);
}
END_TEST

/* Shrunk while a batch is held: the batch is whole (it was read before),
 * what had been read is handed out, then the error names the first
 * record the reader no longer found. */
START_TEST(truncated_under_a_batch)
{
	struct capture_pkt pk[8];
	struct capture *c = open_big();
	enum capture_status st;
	unsigned n, got;

	ck_assert_int_eq(capture_next_batch(c, pk, 8, &n), CAPTURE_PACKET);
	ck_assert_int_eq(truncate(path, 100), 0);
	for (unsigned k = 0; k < n; k++)
		ck_assert_uint_eq(pk[k].data[BIG_CAPLEN - 1],
				  (uint8_t)(k + BIG_CAPLEN - 1));
	got = read_rest(c, n, &st);
	ck_assert_uint_lt(got, BIG_RECS);
	ck_assert_int_eq(st, CAPTURE_ERROR);
	expect_cut_at(c, got);
	done(c);
}
END_TEST

/* One 14-byte packet at time want, read in place and through libpcap
 * (a pipe): both readers must give it alike. */
static void expect_both_readers(struct img *m, uint64_t want)
{
	struct capture_opts o = { .snaplen = 65535 };
	struct capture *c = open_img(m, NULL);
	char err[512] = "", dev[32];
	int p[2];

	expect_packet(c, 14, 14, want, 0);
	done(c);
	ck_assert_int_eq(pipe(p), 0);
	ck_assert_int_eq(write(p[1], m->b, m->len), (ssize_t)m->len);
	close(p[1]);
	snprintf(dev, sizeof(dev), "/dev/fd/%d", p[0]);
	o.file = dev;
	c = capture_open(&o, err, sizeof(err));
	ck_assert_msg(c != NULL, "open: %s", err);
	expect_packet(c, 14, 14, want, 0);
	capture_close(c);
	close(p[0]);
}

/* A corrupt fraction of a second (>= 2^31) and seconds past 2038: both
 * readers give the file's unsigned fields, the same time (found by
 * fuzz_capture: libpcap's sign extension wrapped the time). */
START_TEST(huge_time_fields_both_readers)
{
	struct img m = { 0 };
	const uint64_t want = 3000000000ULL * 1000000u + 3557595483u;

	file_header(&m, MAGIC_US, 65535, 1);
	record(&m, 3000000000u, 3557595483u, 14, 14, 0, 14);
	expect_both_readers(&m, want);
}
END_TEST

/* The same in a nanosecond file: its fraction, 2^31 and more, is scaled
 * as the file's unsigned number by both readers (libpcap scaled it after
 * sign-extending it; found by fuzz_capture). */
START_TEST(huge_nanosecond_fraction_both_readers)
{
	struct img m = { 0 };
	const uint64_t want = 7ULL * 1000000u + 2801795072u / 1000u;

	file_header(&m, MAGIC_NS, 65535, 1);
	record(&m, 7, 2801795072u, 14, 14, 0, 14);
	expect_both_readers(&m, want);
}
END_TEST

static Suite *capture_suite(void)
{
	Suite *s = suite_create("capture");
	TCase *tc = tcase_create("file");

	tcase_add_test(tc, little_endian_microseconds);
	tcase_add_test(tc, big_endian_microseconds);
	tcase_add_test(tc, little_endian_nanoseconds);
	tcase_add_test(tc, big_endian_nanoseconds);
	tcase_add_test(tc, read_in_place);
	tcase_add_test(tc, other_major_version);
	tcase_add_test(tc, truncated_record_header);
	tcase_add_test(tc, truncated_record_data);
	tcase_add_test(tc, caplen_over_snaplen);
	tcase_add_test(tc, absurd_caplen);
	tcase_add_test(tc, batches);
	tcase_add_test(tc, filter_in_place);
	tcase_add_test(tc, bad_filter);
	tcase_add_test(tc, fallback_to_libpcap);
	tcase_add_test(tc, corrupt_header);
	tcase_add_test(tc, truncated_between_batches);
	tcase_add_test(tc, truncated_at_record_boundary);
	tcase_add_test(tc, truncated_under_a_batch);
	tcase_add_test(tc, huge_time_fields_both_readers);
	tcase_add_test(tc, huge_nanosecond_fraction_both_readers);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(capture_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
