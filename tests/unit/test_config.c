/*
 * test_config.c - unit tests of probe/config.c: defaults, every section of
 * the YAML file, each kind of error with its exact message and position,
 * the value parsers, validation, the print/load round trip, the prefix
 * lookup and the example files shipped in config/.
 */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

static struct skyprobe_config cfg;
static char *errors;            /* what the last load wrote to err */
static size_t errors_len;

static void free_errors(void)
{
	free(errors);
	errors = NULL;
	errors_len = 0;
}

/* Load yaml over the defaults, capturing the messages in errors. */
static int load(const char *yaml)
{
	FILE *err;
	int n;

	free_errors();
	err = open_memstream(&errors, &errors_len);
	ck_assert_ptr_nonnull(err);
	config_defaults(&cfg);
	n = config_load_buffer(&cfg, "t.yaml", yaml, strlen(yaml), err);
	fclose(err);
	return n;
}

/* A load expected to fail with exactly these message lines. */
static void expect_errors(const char *yaml, int n, const char *lines)
{
	struct skyprobe_config defaults;

	config_defaults(&defaults);
	ck_assert_int_eq(load(yaml), n);
	ck_assert_str_eq(errors, lines);
	/* on failure nothing of the file may leak into the struct */
	ck_assert(memcmp(&cfg, &defaults, sizeof(cfg)) == 0);
}

static void v4(uint8_t out[16], uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
	memset(out, 0, 16);
	out[10] = 0xff;
	out[11] = 0xff;
	out[12] = a;
	out[13] = b;
	out[14] = c;
	out[15] = d;
}

static void assert_v4(const uint8_t got[16], uint8_t a, uint8_t b,
		      uint8_t c, uint8_t d)
{
	uint8_t want[16];

	v4(want, a, b, c, d);
	ck_assert_mem_eq(got, want, 16);
}

static void teardown(void)
{
	free_errors();
}

/* ---- defaults ----------------------------------------------------------- */

START_TEST(test_defaults)
{
	config_defaults(&cfg);
	ck_assert_str_eq(cfg.site_name, "");
	ck_assert_uint_eq(cfg.observation_domain, 1);
	ck_assert_uint_eq(cfg.n_internal, 0);
	ck_assert_str_eq(cfg.interface, "");
	ck_assert_str_eq(cfg.read_file, "");
	ck_assert_uint_eq(cfg.snaplen, 65535);
	ck_assert_int_eq(cfg.promiscuous, 1);
	ck_assert_uint_eq(cfg.buffer_size, 0);
	ck_assert_uint_eq(cfg.idle_timeout_s, 30);
	ck_assert_uint_eq(cfg.active_timeout_s, 300);
	ck_assert_uint_eq(cfg.max_flows, 1048576);
	ck_assert_int_eq(cfg.vlan_in_key, 1);
	ck_assert_uint_eq(cfg.n_collectors, 0);
	ck_assert_uint_eq(cfg.pen, 32473);
	ck_assert_uint_eq(cfg.stats_interval_s, 60);
	ck_assert_int_eq(cfg.sig_enabled, 1);
	ck_assert_int_eq(cfg.sig_udp_probe, 1);
	ck_assert_int_eq(cfg.sig_tcp_handshake, 1);
	ck_assert_int_eq(cfg.sig_restricted_443, 1);
	ck_assert_int_eq(cfg.sig_restricted_80, 1);
	ck_assert_int_eq(cfg.sig_login, 1);
	ck_assert_int_eq(cfg.sig_seqid, 1);
	ck_assert_uint_eq(cfg.login_servers.n, 2);
	assert_v4(cfg.login_servers.addr[0], 195, 215, 8, 141);
	assert_v4(cfg.login_servers.addr[1], 212, 72, 49, 141);
	ck_assert_uint_eq(cfg.skypeout_gateways.n, 2);
	assert_v4(cfg.skypeout_gateways.addr[0], 195, 215, 8, 140);
	assert_v4(cfg.skypeout_gateways.addr[1], 212, 72, 49, 155);
	ck_assert_uint_eq(cfg.contact_servers.n, 2);
	assert_v4(cfg.contact_servers.addr[0], 195, 215, 8, 142);
	assert_v4(cfg.contact_servers.addr[1], 212, 72, 49, 142);
	ck_assert_uint_eq(cfg.bootstrap_port, 33033);
	ck_assert_uint_eq(cfg.max_clients, 65536);
	ck_assert_uint_eq(cfg.client_expiry_s, 3600);
	ck_assert_uint_eq(cfg.max_sessions, 65536);
	ck_assert_uint_eq(cfg.session_timeout_s, 3600);
	ck_assert_int_eq(cfg.log_level, LOG_LVL_INFO);
	ck_assert_int_eq(cfg.log_dest, LOG_DEST_STDERR);
	ck_assert_str_eq(cfg.log_socket, "/dev/log");
	ck_assert_int_eq(config_validate(&cfg, NULL), 0);
}
END_TEST

/* ---- sections ----------------------------------------------------------- */

START_TEST(test_site)
{
	uint8_t want[16] = { 0x20, 0x01, 0x0d, 0xb8 };

	ck_assert_int_eq(load("site:\n"
			      "  name: berlin-dc1\n"
			      "  observation_domain: 42\n"
			      "  internal: [192.0.2.0/24, \"2001:db8::/32\","
			      " 10.1.2.3]\n"), 0);
	ck_assert_str_eq(errors, "");
	ck_assert_str_eq(cfg.site_name, "berlin-dc1");
	ck_assert_uint_eq(cfg.observation_domain, 42);
	ck_assert_uint_eq(cfg.n_internal, 3);
	assert_v4(cfg.internal[0].addr, 192, 0, 2, 0);
	ck_assert_uint_eq(cfg.internal[0].len, 120);
	ck_assert_mem_eq(cfg.internal[1].addr, want, 16);
	ck_assert_uint_eq(cfg.internal[1].len, 32);
	assert_v4(cfg.internal[2].addr, 10, 1, 2, 3);
	ck_assert_uint_eq(cfg.internal[2].len, 128);
}
END_TEST

START_TEST(test_site_single_prefix_and_null)
{
	ck_assert_int_eq(load("site:\n  internal: 10.0.0.0/8\n"), 0);
	ck_assert_uint_eq(cfg.n_internal, 1);
	ck_assert_uint_eq(cfg.internal[0].len, 104);
	ck_assert_int_eq(load("site:\n  internal:\n  observation_domain: 0\n"),
			 0);
	ck_assert_uint_eq(cfg.n_internal, 0);
	ck_assert_uint_eq(cfg.observation_domain, 0);
	ck_assert_int_eq(load("site:\n"), 0);      /* empty section */
}
END_TEST

START_TEST(test_capture)
{
	ck_assert_int_eq(load("capture:\n"
			      "  interface: eth0\n"
			      "  filter: \"not port 22\"\n"
			      "  snaplen: 128\n"
			      "  promiscuous: off\n"
			      "  buffer_size: 64MiB\n"
			      "  user: nobody\n"), 0);
	ck_assert_str_eq(cfg.interface, "eth0");
	ck_assert_str_eq(cfg.read_file, "");
	ck_assert_str_eq(cfg.bpf_filter, "not port 22");
	ck_assert_uint_eq(cfg.snaplen, 128);
	ck_assert_int_eq(cfg.promiscuous, 0);
	ck_assert_uint_eq(cfg.buffer_size, 64u << 20);
	ck_assert_str_eq(cfg.user, "nobody");
}
END_TEST

START_TEST(test_capture_file_replaces_interface)
{
#define FILE_YAML "capture: {file: /tmp/x.pcap}"
	config_defaults(&cfg);
	strcpy(cfg.interface, "eth0");
	ck_assert_int_eq(config_load_buffer(&cfg, "t.yaml", FILE_YAML,
					    strlen(FILE_YAML), NULL), 0);
	ck_assert_str_eq(cfg.read_file, "/tmp/x.pcap");
	ck_assert_str_eq(cfg.interface, "");
	ck_assert_int_eq(load("capture:\n  file: \"-\"\n  interface: \"\"\n"), 0);
	ck_assert_str_eq(cfg.read_file, "-");
	ck_assert_str_eq(cfg.interface, "");
}
END_TEST

START_TEST(test_flows)
{
	ck_assert_int_eq(load("flows:\n"
			      "  idle_timeout: 15\n"
			      "  active_timeout: 2h\n"
			      "  max_flows: 1000000\n"
			      "  vlan_in_key: no\n"), 0);
	ck_assert_uint_eq(cfg.idle_timeout_s, 15);
	ck_assert_uint_eq(cfg.active_timeout_s, 7200);
	ck_assert_uint_eq(cfg.max_flows, 1000000);
	ck_assert_int_eq(cfg.vlan_in_key, 0);
}
END_TEST

START_TEST(test_export)
{
	const struct collector_cfg *c;

	ck_assert_int_eq(load("export:\n"
			      "  pen: 12345\n"
			      "  stats_interval: 0\n"
			      "  elements_file: /usr/share/skyprobe/skyprobe.xml\n"
			      "  collectors:\n"
			      "    - type: udp\n"
			      "      host: 127.0.0.1\n"
			      "      port: 4739\n"
			      "      profile: nfdump\n"
			      "      template_refresh: 10m\n"
			      "    - type: file\n"
			      "      path: /var/lib/skyprobe/flows.ipfix\n"
			      "      rotate_interval: 1h\n"
			      "      rotate_size: 512MiB\n"
			      "    - type: tcp\n"
			      "      host: \"::1\"\n"
			      "      port: 04739\n"
			      "    - type: udp\n"
			      "      host: c.example\n"
			      "      port: 9995\n"
			      "    - tcp://[2001:db8::1]:4740\n"), 0);
	ck_assert_str_eq(errors, "");
	ck_assert_uint_eq(cfg.pen, 12345);
	ck_assert_uint_eq(cfg.stats_interval_s, 0);
	ck_assert_str_eq(cfg.elements_file, "/usr/share/skyprobe/skyprobe.xml");
	ck_assert_uint_eq(cfg.n_collectors, 5);
	c = &cfg.collectors[0];
	ck_assert_int_eq(c->kind, COLLECTOR_UDP);
	ck_assert_int_eq(c->profile, PROFILE_NFDUMP);
	ck_assert_str_eq(c->host, "127.0.0.1");
	ck_assert_str_eq(c->port, "4739");
	ck_assert_uint_eq(c->template_refresh_s, 600);
	c = &cfg.collectors[1];
	ck_assert_int_eq(c->kind, COLLECTOR_FILE);
	ck_assert_int_eq(c->profile, PROFILE_FULL);
	ck_assert_str_eq(c->path, "/var/lib/skyprobe/flows.ipfix");
	ck_assert_uint_eq(c->rotate_s, 3600);
	ck_assert_uint_eq(c->rotate_bytes, 512u << 20);
	ck_assert_uint_eq(c->template_refresh_s, 0);
	c = &cfg.collectors[2];
	ck_assert_int_eq(c->kind, COLLECTOR_TCP);
	ck_assert_str_eq(c->host, "::1");
	ck_assert_str_eq(c->port, "4739");
	ck_assert_uint_eq(c->template_refresh_s, 0);
	c = &cfg.collectors[3];
	ck_assert_int_eq(c->kind, COLLECTOR_UDP);
	ck_assert_uint_eq(c->template_refresh_s, 600);  /* UDP default */
	ck_assert_int_eq(c->profile, PROFILE_FULL);
	c = &cfg.collectors[4];
	ck_assert_int_eq(c->kind, COLLECTOR_TCP);
	ck_assert_str_eq(c->host, "2001:db8::1");
	ck_assert_str_eq(c->port, "4740");
}
END_TEST

/* session_observation_point: per collector, on by default, a boolean. */
START_TEST(test_export_session_opid)
{
	ck_assert_int_eq(load("export:\n"
			      "  collectors:\n"
			      "    - {type: udp, host: h, port: 1, "
			      "profile: nfdump}\n"
			      "    - {type: udp, host: h, port: 2, profile: nfdump,"
			      " session_observation_point: false}\n"
			      "    - {type: file, path: x, "
			      "session_observation_point: off}\n"
			      "    - {type: tcp, host: h, port: 3, "
			      "session_observation_point: yes}\n"
			      "    - udp://h:4\n"), 0);
	ck_assert_str_eq(errors, "");
	ck_assert_uint_eq(cfg.n_collectors, 5);
	ck_assert_int_eq(cfg.collectors[0].session_opid, 1);
	ck_assert_int_eq(cfg.collectors[1].session_opid, 0);
	ck_assert_int_eq(cfg.collectors[2].session_opid, 0);
	ck_assert_int_eq(cfg.collectors[3].session_opid, 1);
	ck_assert_int_eq(cfg.collectors[4].session_opid, 1);
	expect_errors("export:\n  collectors:\n"
		      "    - {type: udp, host: h, port: 1, "
		      "session_observation_point: 2}\n", 1,
		      "t.yaml:3:64: invalid value '2' for "
		      "'export.collectors[0].session_observation_point', "
		      "expected a boolean: true, false, yes, no, on or off\n");
}
END_TEST

START_TEST(test_signature)
{
	uint8_t v6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };

	ck_assert_int_eq(load("signature:\n"
			      "  enabled: false\n"
			      "  udp_probe: no\n"
			      "  tcp_handshake: off\n"
			      "  restricted_443: false\n"
			      "  restricted_80: false\n"
			      "  login: false\n"
			      "  seqid: false\n"
			      "  login_servers: [198.51.100.1]\n"
			      "  skypeout_gateways: [\"2001:db8::1\", 198.51.100.2]\n"
			      "  contact_list_servers: []\n"
			      "  bootstrap_port: 1234\n"
			      "  max_clients: 100\n"
			      "  client_expiry: 2d\n"
			      "  max_sessions: 200\n"
			      "  session_timeout: 90m\n"), 0);
	ck_assert_int_eq(cfg.sig_enabled, 0);
	ck_assert_int_eq(cfg.sig_udp_probe, 0);
	ck_assert_int_eq(cfg.sig_tcp_handshake, 0);
	ck_assert_int_eq(cfg.sig_restricted_443, 0);
	ck_assert_int_eq(cfg.sig_restricted_80, 0);
	ck_assert_int_eq(cfg.sig_login, 0);
	ck_assert_int_eq(cfg.sig_seqid, 0);
	ck_assert_uint_eq(cfg.login_servers.n, 1);
	assert_v4(cfg.login_servers.addr[0], 198, 51, 100, 1);
	ck_assert_uint_eq(cfg.skypeout_gateways.n, 2);
	ck_assert_mem_eq(cfg.skypeout_gateways.addr[0], v6, 16);
	assert_v4(cfg.skypeout_gateways.addr[1], 198, 51, 100, 2);
	ck_assert_uint_eq(cfg.contact_servers.n, 0);
	ck_assert_uint_eq(cfg.bootstrap_port, 1234);
	ck_assert_uint_eq(cfg.max_clients, 100);
	ck_assert_uint_eq(cfg.client_expiry_s, 2 * 86400);
	ck_assert_uint_eq(cfg.max_sessions, 200);
	ck_assert_uint_eq(cfg.session_timeout_s, 5400);
}
END_TEST

START_TEST(test_logging)
{
	ck_assert_int_eq(load("logging:\n  level: debug\n"
			      "  destination: syslog\n"), 0);
	ck_assert_int_eq(cfg.log_level, LOG_LVL_DEBUG);
	ck_assert_int_eq(cfg.log_dest, LOG_DEST_SYSLOG);
	ck_assert_int_eq(load("logging: {level: error}\n"), 0);
	ck_assert_int_eq(cfg.log_level, LOG_LVL_ERROR);
	ck_assert_int_eq(load("logging: {level: warning}\n"), 0);
	ck_assert_int_eq(cfg.log_level, LOG_LVL_WARNING);
	ck_assert_int_eq(cfg.log_dest, LOG_DEST_STDERR);
	ck_assert_str_eq(cfg.log_socket, "/dev/log");
}
END_TEST

START_TEST(test_logging_syslog_socket)
{
	char text[200];
	char *printed = NULL;
	size_t len = 0;
	FILE *out;

	ck_assert_int_eq(load("logging:\n  destination: syslog\n"
			      "  syslog_socket: /run/test/log\n"), 0);
	ck_assert_int_eq(cfg.log_dest, LOG_DEST_SYSLOG);
	ck_assert_str_eq(cfg.log_socket, "/run/test/log");
	/* --check-config prints it. */
	out = open_memstream(&printed, &len);
	config_print(&cfg, out);
	fclose(out);
	ck_assert_ptr_nonnull(strstr(printed, "\nlogging:\n  level: info\n"
				     "  destination: syslog\n"
				     "  syslog_socket: \"/run/test/log\"\n"));
	free(printed);
	/* At most sun_path's 107 bytes. */
	memset(text, 0, sizeof(text));
	strcpy(text, "logging: {syslog_socket: /");
	memset(text + strlen(text), 'x', 107);
	strcat(text, "}\n");
	ck_assert_int_eq(load(text), 1);
	ck_assert_ptr_nonnull(strstr(errors, "'logging.syslog_socket' is too long "
				     "(108 bytes), expected at most 107 bytes"));
}
END_TEST

START_TEST(test_booleans)
{
	static const struct { const char *text; int value; } cases[] = {
		{ "true", 1 }, { "yes", 1 }, { "on", 1 },
		{ "false", 0 }, { "no", 0 }, { "off", 0 },
	};
	char yaml[64];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(yaml, sizeof(yaml), "flows: {vlan_in_key: %s}",
			 cases[i].text);
		ck_assert_int_eq(load(yaml), 0);
		ck_assert_int_eq(cfg.vlan_in_key, cases[i].value);
	}
}
END_TEST

START_TEST(test_merge_keeps_unset_keys)
{
	static const char a[] = "flows: {max_flows: 7}";
	static const char b[] = "flows: {idle_timeout: 9}";

	config_defaults(&cfg);
	ck_assert_int_eq(config_load_buffer(&cfg, "a", a, strlen(a), NULL), 0);
	ck_assert_int_eq(config_load_buffer(&cfg, "b", b, strlen(b), NULL), 0);
	ck_assert_uint_eq(cfg.max_flows, 7);
	ck_assert_uint_eq(cfg.idle_timeout_s, 9);
	ck_assert_uint_eq(cfg.active_timeout_s, 300);
}
END_TEST

/* ---- errors ------------------------------------------------------------- */

START_TEST(test_error_unknown_key_suggestion)
{
	expect_errors("flows:\n  idle_timout: 30s\n", 1,
		      "t.yaml:2:3: unknown key 'idle_timout' in 'flows', "
		      "did you mean 'idle_timeout'?\n");
	expect_errors("capture:\n  promisc: true\n", 1,
		      "t.yaml:2:3: unknown key 'promisc' in 'capture', "
		      "did you mean 'promiscuous'?\n");
	expect_errors("flow:\n  max_flows: 1\n", 1,
		      "t.yaml:1:1: unknown key 'flow' at the top level, "
		      "did you mean 'flows'?\n");
}
END_TEST

START_TEST(test_error_unknown_key_list)
{
	expect_errors("colour: red\n", 1,
		      "t.yaml:1:1: unknown key 'colour' at the top level, "
		      "expected one of site, capture, flows, export, "
		      "signature, logging\n");
	expect_errors("logging:\n  color: red\n", 1,
		      "t.yaml:2:3: unknown key 'color' in 'logging', "
		      "expected one of level, destination, syslog_socket\n");
}
END_TEST

START_TEST(test_error_wrong_type)
{
	expect_errors("flows: 5\n", 1,
		      "t.yaml:1:8: 'flows' is a scalar, expected a mapping\n");
	expect_errors("flows:\n  max_flows: {a: 1}\n", 1,
		      "t.yaml:2:14: 'flows.max_flows' is a mapping, expected "
		      "an integer from 1 to 268435456\n");
	expect_errors("site:\n  name: [a, b]\n", 1,
		      "t.yaml:2:9: 'site.name' is a sequence, expected a "
		      "string of at most 255 bytes\n");
	expect_errors("site:\n  internal: {a: 1}\n", 1,
		      "t.yaml:2:13: 'site.internal' is a mapping, expected a "
		      "list of prefixes such as [192.0.2.0/24, "
		      "\"2001:db8::/32\"]\n");
	expect_errors("site:\n  internal: [[10.0.0.0/8]]\n", 1,
		      "t.yaml:2:14: 'site.internal[0]' is a sequence, expected "
		      "a prefix such as 192.0.2.0/24 or 2001:db8::/32\n");
	expect_errors("- site\n", 1,
		      "t.yaml:1:1: the top level is a sequence, expected a "
		      "mapping with keys site, capture, flows, export, "
		      "signature, logging\n");
	expect_errors("? [a]\n: 1\n", 1,
		      "t.yaml:1:3: key at the top level is a sequence, "
		      "expected a name\n");
}
END_TEST

START_TEST(test_error_out_of_range)
{
	expect_errors("capture:\n  snaplen: 63\n", 1,
		      "t.yaml:2:12: value '63' for 'capture.snaplen' is out "
		      "of range, expected an integer from 64 to 262144\n");
	expect_errors("flows:\n  idle_timeout: 0s\n", 1,
		      "t.yaml:2:17: value '0s' for 'flows.idle_timeout' is out "
		      "of range, expected a duration from 1s to 1d (a number "
		      "with an optional unit s, m, h or d)\n");
	expect_errors("export:\n  pen: 0\n", 1,
		      "t.yaml:2:8: value '0' for 'export.pen' is out of range, "
		      "expected an integer from 1 to 4294967295\n");
	expect_errors("export:\n  pen: 4294967296\n", 1,
		      "t.yaml:2:8: value '4294967296' for 'export.pen' is out "
		      "of range, expected an integer from 1 to 4294967295\n");
	expect_errors("export:\n  collectors:\n"
		      "    - {type: udp, host: h, port: 65536}\n", 1,
		      "t.yaml:3:34: value '65536' for "
		      "'export.collectors[0].port' is out of range, expected "
		      "an integer from 1 to 65535\n");
	expect_errors("capture:\n  buffer_size: 2GiB\n", 1,
		      "t.yaml:2:16: value '2GiB' for 'capture.buffer_size' is "
		      "out of range, expected a size from 0 to 2147483647 "
		      "bytes (units B, KiB, MiB, GiB, KB, MB, GB)\n");
}
END_TEST

START_TEST(test_error_invalid_values)
{
	expect_errors("capture:\n  promiscuous: maybe\n", 1,
		      "t.yaml:2:16: invalid value 'maybe' for "
		      "'capture.promiscuous', expected a boolean: true, false, "
		      "yes, no, on or off\n");
	expect_errors("capture:\n  snaplen: 0x100\n", 1,
		      "t.yaml:2:12: invalid value '0x100' for "
		      "'capture.snaplen', expected an integer from 64 to "
		      "262144\n");
	expect_errors("flows:\n  active_timeout: 5 min\n", 1,
		      "t.yaml:2:19: invalid value '5 min' for "
		      "'flows.active_timeout', expected a duration from 1s to "
		      "7d (a number with an optional unit s, m, h or d)\n");
	expect_errors("logging:\n  level: verbose\n", 1,
		      "t.yaml:2:10: invalid value 'verbose' for "
		      "'logging.level', expected error, warning, info or "
		      "debug\n");
	expect_errors("flows:\n  max_flows:\n", 1,
		      "t.yaml:2:3: missing value for 'flows.max_flows', "
		      "expected an integer from 1 to 268435456\n");
}
END_TEST

START_TEST(test_error_addresses)
{
	expect_errors("site:\n  internal: [10.0.0.0/33]\n", 1,
		      "t.yaml:2:14: invalid prefix '10.0.0.0/33' for "
		      "'site.internal[0]', expected a prefix length from 0 to "
		      "32 for IPv4\n");
	expect_errors("site:\n  internal: [\"2001:db8::/129\"]\n", 1,
		      "t.yaml:2:14: invalid prefix '2001:db8::/129' for "
		      "'site.internal[0]', expected a prefix length from 0 to "
		      "128 for IPv6\n");
	expect_errors("site:\n  internal: [10.0.0.300/8]\n", 1,
		      "t.yaml:2:14: invalid prefix '10.0.0.300/8' for "
		      "'site.internal[0]', expected an IPv4 or IPv6 address "
		      "with an optional /length\n");
	expect_errors("site:\n  internal: [192.0.2.1/24]\n", 1,
		      "t.yaml:2:14: prefix '192.0.2.1/24' for "
		      "'site.internal[0]' has host bits set, expected "
		      "192.0.2.0/24\n");
	expect_errors("signature:\n  login_servers: [1.2.3.4, 1.2.3]\n", 1,
		      "t.yaml:2:28: invalid address '1.2.3' for "
		      "'signature.login_servers[1]', expected an IPv4 or IPv6 "
		      "address\n");
}
END_TEST

START_TEST(test_error_duplicate_key)
{
	expect_errors("capture:\n  snaplen: 100\n  user: x\n  snaplen: 200\n",
		      1, "t.yaml:4:3: duplicate key 'snaplen' in 'capture', "
		      "first given at line 2, expected each key once\n");
	expect_errors("flows: {}\nflows: {}\n", 1,
		      "t.yaml:2:1: duplicate key 'flows' at the top level, "
		      "first given at line 1, expected each key once\n");
}
END_TEST

START_TEST(test_error_empty_file)
{
	static const char msg[] =
		"t.yaml:1:1: the file is empty, expected a mapping with keys "
		"site, capture, flows, export, signature, logging\n";

	expect_errors("", 1, msg);
	expect_errors("# only a comment\n\n", 1, msg);
	expect_errors("---\n", 1, msg);
}
END_TEST

START_TEST(test_error_syntax)
{
	expect_errors("site:\n  name: [a\ncapture: {}\n", 1,
		      "t.yaml:3:8: YAML syntax error: did not find expected "
		      "',' or ']' (while parsing a flow sequence at line 2, "
		      "column 9)\n");
	expect_errors("flows:\n  idle_timeout: 1\n bad: 2\n", 1,
		      "t.yaml:3:2: YAML syntax error: did not find expected "
		      "key (while parsing a block mapping at line 1, "
		      "column 1)\n");
	expect_errors("site:\n  name: \"\xff\"\n", 1,
		      "t.yaml:2:10: invalid input: invalid leading UTF-8 "
		      "octet (byte 0xff), expected UTF-8 text\n");
	expect_errors("flows: {}\n---\nsite: {}\n", 1,
		      "t.yaml:3:1: a second YAML document starts here, "
		      "expected a single document\n");
}
END_TEST

START_TEST(test_error_interface_and_file)
{
	expect_errors("capture:\n  interface: eth0\n  snaplen: 100\n"
		      "  file: a.pcap\n", 1,
		      "t.yaml:4:3: both 'capture.interface' and 'capture.file' "
		      "are set, expected exactly one of them\n");
}
END_TEST

START_TEST(test_error_collectors)
{
	expect_errors("export:\n  collectors:\n"
		      "    - type: udp\n      host: h\n      port: 1\n"
		      "      path: /x\n"
		      "    - type: file\n"
		      "    - {host: h}\n"
		      "    - type: sctp\n"
		      "    - udp://h\n", 5,
		      "t.yaml:6:7: key 'path' does not apply to a udp "
		      "collector in 'export.collectors[0]', expected one of "
		      "type, host, port, profile, template_refresh, "
		      "session_observation_point\n"
		      "t.yaml:7:7: missing key 'path' in "
		      "'export.collectors[1]', a file collector needs it\n"
		      "t.yaml:8:7: missing key 'type' in "
		      "'export.collectors[2]', expected tcp, udp or file\n"
		      "t.yaml:9:13: invalid value 'sctp' for "
		      "'export.collectors[3].type', expected tcp, udp or file\n"
		      "t.yaml:10:7: invalid collector 'udp://h' for "
		      "'export.collectors[4]', expected tcp://HOST:PORT, "
		      "udp://HOST:PORT or a file path\n");
}
END_TEST

START_TEST(test_error_too_many)
{
	char yaml[2048] = "export:\n  collectors:\n";
	int i;

	for (i = 0; i <= CFG_MAX_COLLECTORS; i++)
		strcat(yaml, "    - out.ipfix\n");
	expect_errors(yaml, 1, "t.yaml:19:7: too many entries in "
		      "'export.collectors' (17), expected at most 16\n");
}
END_TEST

START_TEST(test_error_strings)
{
	char yaml[512] = "site:\n  name: ";

	memset(yaml + strlen(yaml), 'x', 300);
	expect_errors(yaml, 1, "t.yaml:2:9: value for 'site.name' is too "
		      "long (300 bytes), expected at most 255 bytes\n");
	expect_errors("site:\n  name: \"a\\0b\"\n", 1,
		      "t.yaml:2:9: value for 'site.name' contains a NUL byte, "
		      "expected text\n");
	/* untrusted text in messages is bounded and made printable */
	expect_errors("flows:\n  \"a\\tb\": 1\n", 1,
		      "t.yaml:2:3: unknown key 'a?b' in 'flows', expected one "
		      "of idle_timeout, active_timeout, max_flows, "
		      "vlan_in_key\n");
}
END_TEST

START_TEST(test_error_all_reported)
{
	expect_errors("site:\n"
		      "  internal: [10.0.0.0/33]\n"
		      "capture:\n"
		      "  snaplen: 10\n"
		      "  snaplen: 100\n"
		      "flows:\n"
		      "  idle_timout: 30s\n"
		      "  active_timeout: 0\n"
		      "export:\n"
		      "  pen: 0\n"
		      "logging: []\n", 7,
		      "t.yaml:2:14: invalid prefix '10.0.0.0/33' for "
		      "'site.internal[0]', expected a prefix length from 0 to "
		      "32 for IPv4\n"
		      "t.yaml:4:12: value '10' for 'capture.snaplen' is out of "
		      "range, expected an integer from 64 to 262144\n"
		      "t.yaml:5:3: duplicate key 'snaplen' in 'capture', first "
		      "given at line 4, expected each key once\n"
		      "t.yaml:7:3: unknown key 'idle_timout' in 'flows', did "
		      "you mean 'idle_timeout'?\n"
		      "t.yaml:8:19: value '0' for 'flows.active_timeout' is out "
		      "of range, expected a duration from 1s to 7d (a number "
		      "with an optional unit s, m, h or d)\n"
		      "t.yaml:10:8: value '0' for 'export.pen' is out of range, "
		      "expected an integer from 1 to 4294967295\n"
		      "t.yaml:11:10: 'logging' is a sequence, expected a "
		      "mapping\n");
}
END_TEST

START_TEST(test_load_file_missing)
{
	char *out = NULL;
	size_t len = 0;
	FILE *err = open_memstream(&out, &len);

	config_defaults(&cfg);
	ck_assert_int_eq(config_load_file(&cfg, "/nonexistent/x.yaml", err), 1);
	fclose(err);
	ck_assert_str_eq(out, "/nonexistent/x.yaml: cannot open: No such file "
			 "or directory\n");
	free(out);
}
END_TEST

/* ---- value parsers ------------------------------------------------------ */

START_TEST(test_durations)
{
	static const struct { const char *text; uint64_t s; } ok[] = {
		{ "0", 0 }, { "45", 45 }, { "30s", 30 }, { "5m", 300 },
		{ "2h", 7200 }, { "3d", 259200 }, { "007s", 7 },
	};
	static const char *bad[] = {
		"", "s", "5x", "-1", "1.5h", "5 m", " 5", "5s ", "5ms", "5M",
		"+5", "1_000", "99999999999999999999d", "213503982334602d",
	};
	uint64_t v;
	size_t i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		v = 12345;
		ck_assert_int_eq(value_parse_duration(ok[i].text, &v), 0);
		ck_assert_uint_eq(v, ok[i].s);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(value_parse_duration(bad[i], &v) != 0,
			      "'%s' accepted", bad[i]);
}
END_TEST

START_TEST(test_sizes)
{
	static const struct { const char *text; uint64_t b; } ok[] = {
		{ "0", 0 }, { "4096", 4096 }, { "10B", 10 },
		{ "1k", 1024 }, { "1K", 1024 }, { "1KiB", 1024 },
		{ "1KB", 1000 }, { "1kB", 1000 },
		{ "2M", 2u << 20 }, { "2MiB", 2u << 20 }, { "2MB", 2000000 },
		{ "3G", 3ull << 30 }, { "3GiB", 3ull << 30 },
		{ "3GB", 3000000000ull }, { "1TiB", 1ull << 40 },
	};
	static const char *bad[] = {
		"", "K", "1.5M", "1 MiB", "1Mib", "1m", "1kiB", "-1", "1KiBB",
		"20000000000G", "18446744073709551616",
	};
	uint64_t v;
	size_t i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		ck_assert_int_eq(value_parse_size(ok[i].text, &v), 0);
		ck_assert_uint_eq(v, ok[i].b);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(value_parse_size(bad[i], &v) != 0,
			      "'%s' accepted", bad[i]);
}
END_TEST

START_TEST(test_collector_spec)
{
	struct collector_cfg c;

	ck_assert_int_eq(config_parse_collector("tcp://collector.example:4739",
						&c), 0);
	ck_assert_int_eq(c.kind, COLLECTOR_TCP);
	ck_assert_int_eq(c.profile, PROFILE_FULL);
	ck_assert_str_eq(c.host, "collector.example");
	ck_assert_str_eq(c.port, "4739");
	ck_assert_uint_eq(c.template_refresh_s, 0);

	ck_assert_int_eq(config_parse_collector("udp://127.0.0.1:9995", &c), 0);
	ck_assert_int_eq(c.kind, COLLECTOR_UDP);
	ck_assert_str_eq(c.host, "127.0.0.1");
	ck_assert_str_eq(c.port, "9995");
	ck_assert_uint_eq(c.template_refresh_s, 600);

	ck_assert_int_eq(config_parse_collector("udp://[2001:db8::1]:4739",
						&c), 0);
	ck_assert_int_eq(c.kind, COLLECTOR_UDP);
	ck_assert_str_eq(c.host, "2001:db8::1");
	ck_assert_str_eq(c.port, "4739");

	ck_assert_int_eq(config_parse_collector("/var/lib/x.ipfix", &c), 0);
	ck_assert_int_eq(c.kind, COLLECTOR_FILE);
	ck_assert_str_eq(c.path, "/var/lib/x.ipfix");
	ck_assert_str_eq(c.host, "");
	ck_assert_uint_eq(c.rotate_s, 0);
	ck_assert_uint_eq(c.rotate_bytes, 0);

	ck_assert_int_eq(config_parse_collector("-", &c), 0);
	ck_assert_int_eq(c.kind, COLLECTOR_FILE);
	ck_assert_str_eq(c.path, "-");
}
END_TEST

START_TEST(test_collector_spec_invalid)
{
	static const char *bad[] = {
		"", "udp://", "udp://host", "udp://:4739", "udp://h:",
		"udp://h:0", "udp://h:65536", "udp://h:47x", "tcp://::1:4739",
		"tcp://[::1]4739", "tcp://[::1:4739", "tcp://[]:4739",
	};
	struct collector_cfg c;
	size_t i;

	memset(&c, 0x5a, sizeof(c));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(config_parse_collector(bad[i], &c) != 0,
			      "'%s' accepted", bad[i]);
	ck_assert_int_eq(c.host[0], 0x5a);      /* untouched on failure */
	ck_assert_int_ne(config_parse_collector(NULL, &c), 0);
}
END_TEST

/* ---- validation --------------------------------------------------------- */

static int validate(const struct skyprobe_config *c)
{
	FILE *err;
	int n;

	free_errors();
	err = open_memstream(&errors, &errors_len);
	n = config_validate(c, err);
	fclose(err);
	return n;
}

START_TEST(test_validate)
{
	config_defaults(&cfg);
	ck_assert_int_eq(validate(&cfg), 0);
	ck_assert_str_eq(errors, "");

	strcpy(cfg.interface, "eth0");
	strcpy(cfg.read_file, "x.pcap");
	cfg.snaplen = 10;
	ck_assert_int_eq(validate(&cfg), 2);
	ck_assert_str_eq(errors,
			 "configuration: 'capture.snaplen' is 10, out of range, "
			 "expected an integer from 64 to 262144\n"
			 "configuration: both a capture interface and a "
			 "capture file are set, expected exactly one of them\n");

	config_defaults(&cfg);
	cfg.active_timeout_s = 10;      /* a warning, not a problem */
	ck_assert_int_eq(validate(&cfg), 0);
	ck_assert_str_eq(errors,
			 "configuration: warning: 'flows.active_timeout' (10s) "
			 "is shorter than 'flows.idle_timeout' (30s), expected "
			 "active_timeout >= idle_timeout\n");

	config_defaults(&cfg);
	cfg.n_collectors = CFG_MAX_COLLECTORS + 1;
	ck_assert_int_eq(validate(&cfg), 1);
	ck_assert_str_eq(errors, "configuration: 17 collectors, expected at "
			 "most 16\n");

	config_defaults(&cfg);
	cfg.n_collectors = 2;
	ck_assert_int_eq(config_parse_collector("udp://h:1",
						&cfg.collectors[0]), 0);
	cfg.collectors[0].template_refresh_s = 0;
	cfg.collectors[1].kind = COLLECTOR_FILE;
	ck_assert_int_eq(validate(&cfg), 2);
	ck_assert_str_eq(errors,
			 "configuration: 'export.collectors[0].template_refresh'"
			 " is 0s, out of range, expected a duration from 1s to "
			 "1d (a number with an optional unit s, m, h or d)\n"
			 "configuration: 'export.collectors[1].path' is empty, "
			 "expected a file path or - for standard output\n");
}
END_TEST

/* ---- printing ----------------------------------------------------------- */

static const char rich_yaml[] =
	"site:\n"
	"  name: \"quote \\\" back \\\\ tab \\t\"\n"
	"  observation_domain: 4294967295\n"
	"  internal: [192.0.2.0/24, \"2001:db8::/32\", 0.0.0.0/0, \"::/0\","
	" 10.9.8.7]\n"
	"capture:\n"
	"  file: /tmp/some trace.pcap\n"
	"  filter: \"tcp or (udp and port 53)\"\n"
	"  snaplen: 96\n"
	"  promiscuous: false\n"
	"  buffer_size: 1000001\n"
	"  user: \"#nobody: x\"\n"
	"flows:\n"
	"  idle_timeout: 61\n"
	"  active_timeout: 1d\n"
	"  max_flows: 5\n"
	"  vlan_in_key: false\n"
	"export:\n"
	"  pen: 1\n"
	"  stats_interval: 0\n"
	"  elements_file: /x.xml\n"
	"  collectors:\n"
	"    - udp://[::1]:1\n"
	"    - {type: tcp, host: a.example, port: 65535, profile: nfdump,"
	" session_observation_point: false}\n"
	"    - {type: file, path: '-', rotate_interval: 90m,"
	" rotate_size: 3KB}\n"
	"    - {type: udp, host: b, port: 2, template_refresh: 7s}\n"
	"signature:\n"
	"  enabled: false\n"
	"  seqid: false\n"
	"  login_servers: [\"2001:db8::1\"]\n"
	"  skypeout_gateways: []\n"
	"  bootstrap_port: 65535\n"
	"  max_clients: 1\n"
	"  client_expiry: 1s\n"
	"  max_sessions: 268435456\n"
	"  session_timeout: 30d\n"
	"logging:\n"
	"  level: debug\n"
	"  destination: syslog\n"
	"  syslog_socket: /tmp/skyprobe log\n";

static void assert_round_trip(const struct skyprobe_config *orig)
{
	struct skyprobe_config again;
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);
	FILE *err;

	config_print(orig, out);
	fclose(out);
	free_errors();
	err = open_memstream(&errors, &errors_len);
	config_defaults(&again);
	ck_assert_int_eq(config_load_buffer(&again, "printed", text, len, err),
			 0);
	fclose(err);
	ck_assert_str_eq(errors, "");
	ck_assert(memcmp(orig, &again, sizeof(again)) == 0);
	free(text);
}

START_TEST(test_print_round_trip)
{
	config_defaults(&cfg);
	assert_round_trip(&cfg);
	ck_assert_int_eq(load(rich_yaml), 0);
	ck_assert_str_eq(errors, "");
	ck_assert_str_eq(cfg.site_name, "quote \" back \\ tab \t");
	ck_assert_uint_eq(cfg.n_collectors, 4);
	ck_assert_uint_eq(cfg.collectors[2].rotate_bytes, 3000);
	assert_round_trip(&cfg);
}
END_TEST

START_TEST(test_print_format)
{
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);

	ck_assert_int_eq(load("flows: {idle_timeout: 90}\n"
			      "export: {collectors: [udp://h:1]}\n"), 0);
	config_print(&cfg, out);
	fclose(out);
	ck_assert_ptr_nonnull(strstr(text, "\nflows:\n  idle_timeout: 90s\n"
				     "  active_timeout: 5m\n"));
	ck_assert_ptr_nonnull(strstr(text, "  collectors:\n    - type: udp\n"
				     "      host: \"h\"\n      port: 1\n"
				     "      profile: full\n"
				     "      template_refresh: 10m\n"));
	ck_assert_ptr_nonnull(strstr(text, "  login_servers: "
				     "[\"195.215.8.141\", \"212.72.49.141\"]\n"));
	free(text);
}
END_TEST

/* ---- internal prefixes -------------------------------------------------- */

START_TEST(test_is_internal)
{
	uint8_t a[16] = { 0x20, 0x01, 0x0d, 0xb8, 0xff, 0xff };
	uint8_t b[16] = { 0x20, 0x01, 0x0d, 0xb9 };

	config_defaults(&cfg);
	v4(a, 192, 0, 2, 1);
	ck_assert_int_eq(prefix_list_contains(cfg.internal, cfg.n_internal, a), 0);   /* no prefixes */
	ck_assert_int_eq(load("site:\n  internal: [192.0.2.0/24, "
			      "10.128.0.0/9, \"2001:db8::/32\"]\n"), 0);
	v4(a, 192, 0, 2, 0);
	ck_assert_int_eq(prefix_list_contains(cfg.internal, cfg.n_internal, a), 1);
	v4(a, 192, 0, 2, 255);
	ck_assert_int_eq(prefix_list_contains(cfg.internal, cfg.n_internal, a), 1);
	v4(a, 192, 0, 3, 0);
	ck_assert_int_eq(prefix_list_contains(cfg.internal, cfg.n_internal, a), 0);
	v4(a, 10, 128, 0, 1);
	ck_assert_int_eq(prefix_list_contains(cfg.internal, cfg.n_internal, a), 1);
	v4(a, 10, 127, 255, 255);
	ck_assert_int_eq(prefix_list_contains(cfg.internal, cfg.n_internal, a), 0);
	memset(a, 0, sizeof(a));
	a[0] = 0x20; a[1] = 0x01; a[2] = 0x0d; a[3] = 0xb8; a[15] = 7;
	ck_assert_int_eq(prefix_list_contains(cfg.internal, cfg.n_internal, a), 1);
	ck_assert_int_eq(prefix_list_contains(cfg.internal, cfg.n_internal, b), 0);
	/* 192.0.2.1 as a plain (not mapped) IPv6 address is not inside */
	memset(a, 0, sizeof(a));
	a[12] = 192; a[14] = 2; a[15] = 1;
	ck_assert_int_eq(prefix_list_contains(cfg.internal, cfg.n_internal, a), 0);

	ck_assert_int_eq(load("site: {internal: 0.0.0.0/0}\n"), 0);
	v4(a, 8, 8, 8, 8);
	ck_assert_int_eq(prefix_list_contains(cfg.internal, cfg.n_internal, a), 1);
	ck_assert_int_eq(prefix_list_contains(cfg.internal, cfg.n_internal, b), 0);  /* v6 outside */
}
END_TEST

/* ---- the example files -------------------------------------------------- */

/* Loads config/NAME; 0 when it is not there (then the check is skipped). */
static int check_shipped(const char *name)
{
	char path[4096];
	const char *top = getenv("top_srcdir");
	FILE *probe;
	int n;

	snprintf(path, sizeof(path), "%s/config/%s", top ? top : "../..",
		 name);
	probe = fopen(path, "r");
	if (probe == NULL) {
		fprintf(stderr, "skipped: %s not found\n", path);
		return 0;
	}
	fclose(probe);
	config_defaults(&cfg);
	n = config_load_file(&cfg, path, stderr);
	ck_assert_msg(n == 0, "%s: %d problems", path, n);
	ck_assert_int_eq(config_validate(&cfg, stderr), 0);
	assert_round_trip(&cfg);
	return 1;
}

START_TEST(test_shipped_files)
{
	if (check_shipped("site.yaml")) {
		ck_assert_str_eq(cfg.site_name, "berlin-dc1");
		ck_assert_str_eq(cfg.interface, "eth0");
		ck_assert_uint_eq(cfg.n_collectors, 2);
	}
	if (check_shipped("egress-live.yaml"))
		ck_assert_str_eq(cfg.interface, "eth1");
	if (check_shipped("offline.yaml")) {
		ck_assert_str_eq(cfg.read_file, "trace.pcap");
		ck_assert_int_eq(cfg.collectors[0].kind, COLLECTOR_FILE);
	}
}
END_TEST

static Suite *config_suite(void)
{
	Suite *s = suite_create("config");
	TCase *tc = tcase_create("config");

	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_add_test(tc, test_defaults);
	tcase_add_test(tc, test_site);
	tcase_add_test(tc, test_site_single_prefix_and_null);
	tcase_add_test(tc, test_capture);
	tcase_add_test(tc, test_capture_file_replaces_interface);
	tcase_add_test(tc, test_flows);
	tcase_add_test(tc, test_export);
	tcase_add_test(tc, test_export_session_opid);
	tcase_add_test(tc, test_signature);
	tcase_add_test(tc, test_logging);
	tcase_add_test(tc, test_logging_syslog_socket);
	tcase_add_test(tc, test_booleans);
	tcase_add_test(tc, test_merge_keeps_unset_keys);
	tcase_add_test(tc, test_error_unknown_key_suggestion);
	tcase_add_test(tc, test_error_unknown_key_list);
	tcase_add_test(tc, test_error_wrong_type);
	tcase_add_test(tc, test_error_out_of_range);
	tcase_add_test(tc, test_error_invalid_values);
	tcase_add_test(tc, test_error_addresses);
	tcase_add_test(tc, test_error_duplicate_key);
	tcase_add_test(tc, test_error_empty_file);
	tcase_add_test(tc, test_error_syntax);
	tcase_add_test(tc, test_error_interface_and_file);
	tcase_add_test(tc, test_error_collectors);
	tcase_add_test(tc, test_error_too_many);
	tcase_add_test(tc, test_error_strings);
	tcase_add_test(tc, test_error_all_reported);
	tcase_add_test(tc, test_load_file_missing);
	tcase_add_test(tc, test_durations);
	tcase_add_test(tc, test_sizes);
	tcase_add_test(tc, test_collector_spec);
	tcase_add_test(tc, test_collector_spec_invalid);
	tcase_add_test(tc, test_validate);
	tcase_add_test(tc, test_print_round_trip);
	tcase_add_test(tc, test_print_format);
	tcase_add_test(tc, test_is_internal);
	tcase_add_test(tc, test_shipped_files);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(config_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
