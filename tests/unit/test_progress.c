/*
 * test_progress.c - the progress line (probe/progress.c) and how far a
 * capture has been read (capture_progress in probe/capture.c).
 *
 * The line is written into a memory stream; captures are written with
 * tests/tools/pcapw into a temporary directory.
 */
#include "capture.h"
#include "pcapw.h"
#include "progress.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

START_TEST(test_wanted)
{
	/* forced, quiet, input is a file, standard error a terminal */
	ck_assert_int_eq(progress_wanted(0, 0, 1, 1), 1);
	ck_assert_int_eq(progress_wanted(0, 0, 1, 0), 0);
	ck_assert_int_eq(progress_wanted(0, 0, 0, 1), 0);   /* live */
	ck_assert_int_eq(progress_wanted(1, 0, 0, 0), 1);
	ck_assert_int_eq(progress_wanted(1, 0, 1, 0), 1);
	ck_assert_int_eq(progress_wanted(1, 1, 1, 1), 0);   /* -q wins */
	ck_assert_int_eq(progress_wanted(0, 1, 1, 1), 0);
}
END_TEST

START_TEST(test_format)
{
	struct progress_state s = {
		.have_share = 1, .done = 420, .total = 1000, .packets = 77,
		.flows_open = 12, .sessions_open = 3, .sessions_total = 5,
	};
	char line[256];

	progress_format(line, sizeof(line), &s, 1234.4);
	ck_assert_str_eq(line, "skyprobe:  42.0% read, 1234 packets/s, 12 "
			 "flows open, 3 Skype sessions (5 in all)");
	s.done = s.total;
	progress_format(line, sizeof(line), &s, 0);
	ck_assert_ptr_nonnull(strstr(line, "100.0% read"));
	s.have_share = 0;
	progress_format(line, sizeof(line), &s, 0);
	ck_assert_ptr_nonnull(strstr(line, "skyprobe: 77 packets read, "));
	/* A file of size 0 has no share either. */
	s.have_share = 1;
	s.total = 0;
	progress_format(line, sizeof(line), &s, 0);
	ck_assert_ptr_nonnull(strstr(line, "77 packets read"));
}
END_TEST

static void sleep_ms(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

START_TEST(test_update_rate_and_clear)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	struct progress p;
	struct progress_state s = { .packets = 1000 };

	ck_assert_ptr_nonnull(out);
	progress_init(&p, out);
	progress_clear(&p);             /* nothing shown: nothing erased */
	progress_update(&p, &s);        /* within the interval: nothing */
	fflush(out);
	ck_assert_uint_eq(len, 0);
	sleep_ms(PROGRESS_INTERVAL_MS + 20);
	progress_update(&p, &s);
	progress_update(&p, &s);        /* at once again: nothing */
	fflush(out);
	ck_assert_uint_eq(p.shown, 1);
	ck_assert_int_eq(buf[0], '\r');
	ck_assert_ptr_nonnull(strstr(buf, "1000 packets read"));
	ck_assert_ptr_nonnull(strstr(buf, "\033[K"));
	progress_clear(&p);
	fflush(out);
	ck_assert_uint_ge(len, 4);
	ck_assert_str_eq(buf + len - 4, "\r\033[K");
	progress_clear(&p);             /* once only */
	fflush(out);
	ck_assert_str_eq(buf + len - 4, "\r\033[K");
	ck_assert_int_ne(memcmp(buf + len - 8, "\r\033[K\r\033[K", 8), 0);
	fclose(out);
	free(buf);
}
END_TEST

/* Write a 20-packet capture of link type dlt (framing fr), or pcapng. */
static void write_capture(const char *path, int ng, uint32_t dlt,
			  enum pcapw_framing fr)
{
	static uint8_t eth[PCAPW_MAX_FRAME], frm[PCAPW_MAX_FRAME + 128];
	struct pcapw_pkt p;
	struct pcapw w;

	memset(&p, 0, sizeof(p));
	p.ip_version = 4;
	p.proto = PCAPW_PROTO_UDP;
	pcapw_addr(p.src, "10.0.0.1");
	pcapw_addr(p.dst, "10.0.0.2");
	p.sport = 1;
	p.dport = 2;
	if (ng) {
		ck_assert_int_eq(pcapw_ng_open(&w, path), 0);
		ck_assert_int_eq(pcapw_ng_interface(&w, 1, 65535), 0);
	} else {
		ck_assert_int_eq(pcapw_open(&w, path, dlt, 65535), 0);
	}
	for (unsigned i = 0; i < 20; i++) {
		uint32_t n = pcapw_build(&p, eth, sizeof(eth));

		if (!ng && dlt != PCAPW_LINK_EN10MB)
			n = pcapw_relink(fr, eth, n, frm, sizeof(frm));
		else
			memcpy(frm, eth, n);
		ck_assert_int_eq(ng ? pcapw_ng_write(&w, 0, i * 1000u, frm, n, n) :
				 pcapw_write(&w, i * 1000u, frm, n, n), 0);
	}
	ck_assert_int_eq(pcapw_close(&w), 0);
}

/* Read to the end, checking that the share only grows to the size. */
static void read_through(const char *path)
{
	struct capture_opts o = { .file = path, .snaplen = 65535 };
	char err[512];
	struct capture *c = capture_open(&o, err, sizeof(err));
	struct capture_pkt pk[32];
	unsigned n, got = 0;
	uint64_t done = 0, total = 0, before = 0;
	FILE *fp;
	long size;

	ck_assert_msg(c != NULL, "%s", err);
	fp = fopen(path, "rb");
	ck_assert_ptr_nonnull(fp);
	fseek(fp, 0, SEEK_END);
	size = ftell(fp);
	fclose(fp);
	ck_assert_int_eq(capture_progress(c, &done, &total), 0);
	ck_assert_uint_eq(total, (uint64_t)size);
	ck_assert_uint_le(done, total);
	while (capture_next_batch(c, pk, 32, &n) == CAPTURE_PACKET) {
		got += n;
		ck_assert_int_eq(capture_progress(c, &done, &total), 0);
		ck_assert_uint_ge(done, before);
		ck_assert_uint_le(done, total);
		before = done;
	}
	ck_assert_uint_eq(got, 20);
	ck_assert_int_eq(capture_progress(c, &done, &total), 0);
	ck_assert_uint_eq(done, total);
	capture_close(c);
}

START_TEST(test_capture_progress)
{
	char dir[] = "/tmp/test_progress.XXXXXX", path[64];

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/t", dir);
	/* Read in place (mmap), through libpcap (PPP), through pcapng.c. */
	write_capture(path, 0, PCAPW_LINK_EN10MB, 0);
	read_through(path);
	write_capture(path, 0, PCAPW_LINK_PPP, PCAPW_FRAME_PPP);
	read_through(path);
	write_capture(path, 1, 0, 0);
	read_through(path);
	unlink(path);
	rmdir(dir);
}
END_TEST

START_TEST(test_capture_progress_pipe)
{
	char dir[] = "/tmp/test_progress.XXXXXX", path[64], fifo[64];
	char cmd[256], err[512];
	struct capture_opts o = { .snaplen = 65535 };
	struct capture *c;
	uint64_t done, total;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/t", dir);
	snprintf(fifo, sizeof(fifo), "%s/p", dir);
	write_capture(path, 0, PCAPW_LINK_PPP, PCAPW_FRAME_PPP);
	snprintf(cmd, sizeof(cmd), "mkfifo %s && (cat %s > %s &)", fifo, path,
		 fifo);
	ck_assert_int_eq(system(cmd), 0);
	o.file = fifo;
	c = capture_open(&o, err, sizeof(err));
	ck_assert_msg(c != NULL, "%s", err);
	ck_assert_int_eq(capture_progress(c, &done, &total), -1);
	capture_close(c);
	unlink(fifo);
	unlink(path);
	rmdir(dir);
}
END_TEST

static Suite *progress_suite(void)
{
	Suite *s = suite_create("progress");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_wanted);
	tcase_add_test(tc, test_format);
	tcase_add_test(tc, test_update_rate_and_clear);
	tcase_add_test(tc, test_capture_progress);
	tcase_add_test(tc, test_capture_progress_pipe);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(progress_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
