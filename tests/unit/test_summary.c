/*
 * test_summary.c - the Skype summary (probe/summary.c): rows made by a
 * session record or by the flow records carrying its id, in either order;
 * the totals; the cap on listed sessions; the text and JSON forms.
 */
#include "summary.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void v4(uint8_t a[16], uint8_t last)
{
	memset(a, 0, 16);
	a[10] = a[11] = 0xff;
	a[12] = 192;
	a[13] = 0;
	a[14] = 2;
	a[15] = last;
}

static struct flow mkflow(uint32_t sid, uint8_t role, uint32_t pk0,
			  uint32_t pk1, uint64_t oc0, uint64_t oc1)
{
	struct flow f;

	memset(&f, 0, sizeof(f));
	f.session_id = sid;
	f.role = role;
	f.packets[0] = pk0;
	f.packets[1] = pk1;
	f.octets[0] = oc0;
	f.octets[1] = oc1;
	return f;
}

static struct session_rec mksession(uint32_t id, uint8_t client,
				    uint8_t sn, uint32_t refused)
{
	struct session_rec s;

	memset(&s, 0, sizeof(s));
	s.session_id = id;
	v4(s.client, client);
	if (sn)
		v4(s.supernode, sn);
	s.supernode_port = sn ? 33033 : 0;
	s.client_port = 1234;
	s.start_ms = 1153821601127ull;
	s.connected_ms = sn ? s.start_ms + 250 : 0;
	s.end_ms = s.start_ms + 4990;
	s.refused_supernodes = refused;
	s.end_reason = SESS_END_SN_CLOSED;
	s.transport_mode = MODE_UDP_TCP;
	s.login_phase = LOGIN_L4;
	s.version = SKYPE_VER_2;
	return s;
}

static char *as_json(const struct summary *sm)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);

	ck_assert_ptr_nonnull(out);
	ck_assert_int_eq(summary_write_json(sm, out), 0);
	fclose(out);
	return buf;
}

static char *as_text(const struct summary *sm)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);

	ck_assert_ptr_nonnull(out);
	summary_print(sm, out);
	fclose(out);
	return buf;
}

START_TEST(test_rows_and_totals)
{
	struct summary *sm = summary_new();
	struct flow f;
	struct session_rec s;
	char *j, *t;

	ck_assert_ptr_nonnull(sm);
	/* A flow of session 7 before its record, one after; session 8 has
	 * no flow; two flows of no session. */
	f = mkflow(7, ROLE_UDP_PROBE_POS, 2, 2, 97, 85);
	summary_flow(sm, &f);
	s = mksession(7, 70, 71, 2);
	summary_session(sm, &s);
	f = mkflow(7, ROLE_SN_CONNECTION, 15, 9, 1080, 1147);
	summary_flow(sm, &f);
	s = mksession(8, 70, 0, 1);     /* same client, never connected */
	summary_session(sm, &s);
	f = mkflow(0, ROLE_NONE, 1, 0, 60, 0);
	summary_flow(sm, &f);
	summary_flow(sm, &f);
	f = mkflow(0, 77, 1, 0, 60, 0); /* a role unknown to the names */
	summary_flow(sm, &f);

	j = as_json(sm);
	ck_assert_ptr_nonnull(strstr(j, "{\"session_id\":7,\"client\":"
		"\"192.0.2.70\",\"client_port\":1234,\"supernode\":\"192.0.2.71\","
		"\"supernode_port\":33033,\"mode\":\"udp+tcp\",\"mode_id\":1,"
		"\"version\":\"2.x\",\"version_id\":2,\"login_phase\":\"L4\","
		"\"login_phase_id\":4,\"start_ms\":1153821601127,"
		"\"connected_ms\":1153821601377,\"end_ms\":1153821606117,"
		"\"duration_ms\":4990,\"end_reason\":\"supernode-closed\","
		"\"end_reason_id\":1,\"supernode_changes\":0,"
		"\"refused_supernodes\":2,\"flows\":2,\"packets\":28,"
		"\"octets\":2409}"));
	ck_assert_ptr_nonnull(strstr(j, "\"session_id\":8,"));
	ck_assert_ptr_nonnull(strstr(j, "\"supernode\":\"-\",\"supernode_port\":0"));
	ck_assert_ptr_nonnull(strstr(j, "\"flows\":0,\"packets\":0,\"octets\":0}"));
	ck_assert_ptr_nonnull(strstr(j, "\"totals\":{\"clients\":1,"
		"\"sessions\":2,\"sessions_not_listed\":0,"
		"\"refused_supernodes\":3,\"flows\":5,\"session_flows\":2,"
		"\"flows_by_role\":{\"none\":2,\"udp-probe\":1,"
		"\"supernode\":1,\"unknown\":1}}"));
	free(j);

	t = as_text(sm);
	ck_assert_ptr_nonnull(strstr(t, "Skype sessions: 2\n"));
	ck_assert_ptr_nonnull(strstr(t, "192.0.2.70:1234"));
	ck_assert_ptr_nonnull(strstr(t, "2006-07-25T10:00:01.127Z +0.250s"));
	ck_assert_ptr_nonnull(strstr(t, "4.990s"));
	ck_assert_ptr_nonnull(strstr(t, "Skype clients: 1, sessions: 2, "
				     "refused super nodes: 3\n"));
	ck_assert_ptr_nonnull(strstr(t, "Flows by Skype role (5 flow "
		"records): none 2 udp-probe 1 supernode 1 unknown 1\n"));
	free(t);
	summary_free(sm);
}
END_TEST

START_TEST(test_flow_without_session_record)
{
	struct summary *sm = summary_new();
	struct flow f = mkflow(9, ROLE_LOGIN, 3, 3, 300, 300);
	char *t, *j;

	summary_flow(sm, &f);
	t = as_text(sm);
	ck_assert_ptr_nonnull(strstr(t, "(no record)"));
	ck_assert_ptr_nonnull(strstr(t, "Skype sessions: 0\n"));
	free(t);
	j = as_json(sm);
	ck_assert_ptr_nonnull(strstr(j, "{\"session_id\":9,\"flows\":1,"
				     "\"packets\":6,\"octets\":600}"));
	free(j);
	summary_free(sm);
}
END_TEST

START_TEST(test_cap)
{
	struct summary *sm = summary_new();
	struct session_rec s;
	char *j;

	for (uint32_t i = 1; i <= SUMMARY_MAX_ROWS + 10; i++) {
		s = mksession(i, (uint8_t)(i % 200), 1, 0);
		summary_session(sm, &s);
	}
	j = as_json(sm);
	ck_assert_ptr_nonnull(strstr(j, "\"sessions\":65546,"
				     "\"sessions_not_listed\":10,"));
	ck_assert_ptr_nonnull(strstr(j, "\"clients\":200,"));
	ck_assert_ptr_null(strstr(j, "\"session_id\":65537,"));
	ck_assert_ptr_nonnull(strstr(j, "\"session_id\":65536,"));
	free(j);
	summary_free(sm);
}
END_TEST

START_TEST(test_names)
{
	ck_assert_str_eq(summary_role_name(ROLE_SN_REFUSED), "supernode-refused");
	ck_assert_str_eq(summary_role_name(ROLE_CONTACT_LIST), "contact-list");
	ck_assert_str_eq(summary_role_name(ROLE_MAX), "unknown");
	ck_assert_str_eq(summary_mode_name(MODE_RESTRICTED_80), "restricted-80");
	ck_assert_str_eq(summary_version_name(SKYPE_VER_1_4), "1.4");
	ck_assert_str_eq(summary_login_name(LOGIN_RELAYED), "relayed");
	ck_assert_str_eq(summary_end_name(SESS_END_EVICTED), "evicted");
	ck_assert_str_eq(summary_end_name(99), "unknown");
}
END_TEST

static Suite *summary_suite(void)
{
	Suite *s = suite_create("summary");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_rows_and_totals);
	tcase_add_test(tc, test_flow_without_session_record);
	tcase_add_test(tc, test_cap);
	tcase_add_test(tc, test_names);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(summary_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
