/*
 * agent/conf.c: meshd.conf.  Good files parse to the right values
 * (here); every bad line is refused with "file:line: what is wrong"
 * (check_conf_err.c); conf_load reads files (check_conf_load.c).
 */
#include "config.h"

#include <check.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/conf.h"
#include "agent/log.h"
#include "conf_fixture.h"

START_TEST(defaults)
{
	ck_assert_str_eq(c.state_dir, MESH_STATE_DIR);
	ck_assert_str_eq(c.nss_socket, MESH_NSS_SOCKET);
	ck_assert_str_eq(c.control_socket, MESH_CONTROL_SOCKET);
	ck_assert_int_eq(c.log_level, LOG_LVL_INFO);
	ck_assert_uint_eq(c.ttl, 60);
	ck_assert_uint_eq(c.dead_after, 5);
	ck_assert_str_eq(c.user, "mesh");
	ck_assert(!c.user_set);
	ck_assert_str_eq(c.tun, "mesh0");
	ck_assert(c.tun_offload);
	ck_assert(c.udp_gso);
	ck_assert(c.udp_gro);
	ck_assert_uint_eq(c.nhosts, 0);
	ck_assert_int_eq(parse(""), 0);
	ck_assert_uint_eq(c.ttl, 60);
}
END_TEST

START_TEST(good_file)
{
	const struct conf_host *h;

	ck_assert_int_eq(parse(
	    "# meshd.conf\n"
	    "state_dir = /var/lib/mesh-test\n"
	    "nss_socket = /run/x/nss.sock\n"
	    "control_socket=/run/x/ctl.sock\n"
	    "\n"
	    "log_level = debug\n"
	    "ttl = 0\n"
	    "host nas = 192.168.1.10 fd00::10   # the NAS\n"
	    "host Printer.MESH. = 10.0.0.7\n"
	    "\thost   web-01   =   10.0.0.8   10.0.0.9  \n"
	    "host v6only=fd6d::1\n"), 0);
	ck_assert_str_eq(c.state_dir, "/var/lib/mesh-test");
	ck_assert_str_eq(c.nss_socket, "/run/x/nss.sock");
	ck_assert_str_eq(c.control_socket, "/run/x/ctl.sock");
	ck_assert_int_eq(c.log_level, LOG_LVL_DEBUG);
	ck_assert_uint_eq(c.ttl, 0);
	ck_assert_uint_eq(c.nhosts, 4);

	ck_assert_ptr_nonnull(h = host("nas.mesh"));
	ck_assert_uint_eq(h->line, 8);
	ck_assert_uint_eq(h->n4, 1);
	ck_assert_uint_eq(h->n6, 1);
	has4(h, 0, "192.168.1.10");
	has6(h, 0, "fd00::10");
	ck_assert_ptr_nonnull(h = host("printer.mesh"));
	ck_assert_uint_eq(h->n4, 1);
	ck_assert_uint_eq(h->n6, 0);
	has4(h, 0, "10.0.0.7");
	ck_assert_ptr_nonnull(h = host("web-01.mesh"));
	ck_assert_uint_eq(h->n4, 2);
	has4(h, 0, "10.0.0.8");
	has4(h, 1, "10.0.0.9");
	ck_assert_ptr_nonnull(h = host("v6only.mesh"));
	ck_assert_uint_eq(h->n4, 0);
	has6(h, 0, "fd6d::1");
}
END_TEST

START_TEST(every_level_and_ttl)
{
	static const char *lv[] = { "error", "warn", "info", "debug" };
	char line[64];

	for (int i = 0; i < 4; i++) {
		snprintf(line, sizeof(line), "log_level = %s", lv[i]);
		ck_assert_int_eq(conf_line(&p, line, strlen(line)), 0);
		ck_assert_int_eq(c.log_level, i);
	}
	ck_assert_int_eq(parse("ttl = 86400\n"), 0);
	ck_assert_uint_eq(c.ttl, 86400);
	ck_assert_int_eq(parse("ttl=7\r\n"), 0);
	ck_assert_uint_eq(c.ttl, 7);
	ck_assert_int_eq(parse("dead_after = 2\n"), 0);
	ck_assert_uint_eq(c.dead_after, 2);
	ck_assert_int_eq(parse("dead_after=3600 # an hour\n"), 0);
	ck_assert_uint_eq(c.dead_after, 3600);
	ck_assert_int_eq(parse("tun = off\n"), 0);
	ck_assert_str_eq(c.tun, "");
	ck_assert_int_eq(parse("tun = mesh-7.x # the data plane\n"), 0);
	ck_assert_str_eq(c.tun, "mesh-7.x");
	ck_assert_int_eq(parse("tun = abcdefghijklmno\n"), 0);	/* 15: IFNAMSIZ - 1 */
	ck_assert_str_eq(c.tun, "abcdefghijklmno");
	ck_assert_int_eq(parse("tun_offload = off\n"), 0);
	ck_assert(!c.tun_offload);
	ck_assert_int_eq(parse("tun_offload=on # TSO\n"), 0);
	ck_assert(c.tun_offload);
	ck_assert(!c.chacha_only);
	ck_assert_int_eq(parse("cipher = chacha20-poly1305\n"), 0);
	ck_assert(c.chacha_only);
	ck_assert_int_eq(parse("cipher=auto # AES where it can\n"), 0);
	ck_assert(!c.chacha_only);
	ck_assert_int_eq(parse("udp_gso = off\nudp_gro=off # old kernel\n"), 0);
	ck_assert(!c.udp_gso);
	ck_assert(!c.udp_gro);
	ck_assert_int_eq(parse("udp_gso = on\n"), 0);
	ck_assert(c.udp_gso);
	ck_assert(!c.udp_gro);
	ck_assert_int_eq(parse("udp_gro\t=\ton\r\n"), 0);
	ck_assert(c.udp_gro);
	ck_assert(c.lan_discovery);	/* on by default */
	ck_assert_int_eq(parse("lan_discovery = off\n"), 0);
	ck_assert(!c.lan_discovery);
	ck_assert_int_eq(parse("lan_discovery=on # beacons\n"), 0);
	ck_assert(c.lan_discovery);
	ck_assert_int_eq(parse("user = root\n"), 0);
	ck_assert_str_eq(c.user, "root");
	ck_assert(c.user_set);
	ck_assert_int_eq(parse("user=_mesh-d.1 # a comment\n"), 0);
	ck_assert_str_eq(c.user, "_mesh-d.1");
	/* The last setting wins. */
	ck_assert_int_eq(parse("state_dir = /a\nstate_dir = /b\n"), 0);
	ck_assert_str_eq(c.state_dir, "/b");
}
END_TEST

START_TEST(comments_and_blanks)
{
	ck_assert_int_eq(parse(
	    "\n"
	    "   \n"
	    "\t \t\r\n"
	    "#\n"
	    "# host bad_name = nonsense\n"
	    "   # indented comment = with equals\n"
	    "ttl = 5# glued comment\n"
	    "#ttl = 6\n"), 0);
	ck_assert_uint_eq(c.ttl, 5);
	ck_assert_uint_eq(c.nhosts, 0);
	ck_assert_uint_eq(p.line, 8);
}
END_TEST

START_TEST(short_and_long_names_equal)
{
	static const char *spellings[] = {
		"nas", "nas.mesh", "NAS", "Nas.Mesh", "nas.mesh.", "NAS.MESH.",
	};
	char text[128];

	for (size_t i = 0; i < sizeof(spellings) / sizeof(spellings[0]); i++) {
		conf_free(&c);
		setup();
		snprintf(text, sizeof(text), "host %s = 10.0.0.1\n", spellings[i]);
		ck_assert_int_eq(parse(text), 0);
		ck_assert_uint_eq(c.nhosts, 1);
		ck_assert_str_eq(c.hosts[0].name, "nas.mesh");
	}
	/* ... and so two spellings are one host defined twice. */
	for (size_t i = 0; i < sizeof(spellings) / sizeof(spellings[0]); i++) {
		size_t j = (i + 1) % (sizeof(spellings) / sizeof(spellings[0]));
		snprintf(text, sizeof(text),
		    "host %s = 10.0.0.1\n#\nhost %s = 10.0.0.2\n",
		    spellings[i], spellings[j]);
		bad(text, 3, "host 'nas.mesh' is already defined on line 1");
	}
}
END_TEST

START_TEST(max_addresses)
{
	char text[2048];
	size_t n = 0;
	const struct conf_host *h;

	n += (size_t)snprintf(text + n, sizeof(text) - n, "host big =");
	for (int i = 0; i < MESH_ADDR4_MAX; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n, " 10.0.0.%d", i);
	for (int i = 0; i < MESH_ADDR6_MAX; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n, " fd6d::%x", i);
	ck_assert_int_eq(parse(text), 0);
	ck_assert_ptr_nonnull(h = host("big.mesh"));
	ck_assert_uint_eq(h->n4, MESH_ADDR4_MAX);
	ck_assert_uint_eq(h->n6, MESH_ADDR6_MAX);
	has4(h, 15, "10.0.0.15");
	has6(h, 15, "fd6d::f");

	/* One more of either family is one too many. */
	snprintf(text + n, sizeof(text) - n, " 10.0.0.99");
	bad(text, 1, "host 'big.mesh' has more than 16 IPv4 addresses");
	snprintf(text + n, sizeof(text) - n, " fd6d::99");
	bad(text, 1, "host 'big.mesh' has more than 16 IPv6 addresses");
}
END_TEST

START_TEST(longest_line)
{
	char *text = malloc(CONF_LINE_MAX + 2);

	/* A line of exactly CONF_LINE_MAX bytes is fine... */
	ck_assert_ptr_nonnull(text);
	memset(text, ' ', CONF_LINE_MAX);
	memcpy(text, "ttl = 9", 7);
	ck_assert_int_eq(conf_line(&p, text, CONF_LINE_MAX), 0);
	ck_assert_uint_eq(c.ttl, 9);
	/* ... one more byte is not. */
	text[CONF_LINE_MAX] = ' ';
	text[CONF_LINE_MAX + 1] = '\0';
	bad(text, 1, "line longer than 4096 bytes");
	free(text);
}
END_TEST

START_TEST(many_hosts)
{
	char line[64];

	for (int i = 0; i < CONF_HOSTS_MAX; i++) {
		snprintf(line, sizeof(line), "host h%d = 10.%d.%d.1", i,
		    i / 256, i % 256);
		ck_assert_int_eq(conf_line(&p, line, strlen(line)), 0);
	}
	ck_assert_uint_eq(c.nhosts, CONF_HOSTS_MAX);
	snprintf(line, sizeof(line), "host one-more = 10.255.255.1");
	ck_assert_int_eq(conf_line(&p, line, strlen(line)), -1);
	ck_assert_str_eq(p.err, FILE_NAME ":4097: more than 4096 host lines");
}
END_TEST

START_TEST(listen_and_peers)
{
	char host[CONF_HOSTPORT_MAX];
	uint16_t port;

	ck_assert_str_eq(c.listen, CONF_LISTEN_DEFAULT);
	ck_assert_int_eq(parse("listen = 0.0.0.0:4000\n"
	    "peer = a.example.org:51830\n"
	    "peer=[2001:db8::1]:1\n"
	    "peer = 192.0.2.1:65535   # comment\n"
	    "peer = a.example.org:51830\n"), 0);
	ck_assert_str_eq(c.listen, "0.0.0.0:4000");
	ck_assert_uint_eq(c.npeers, 4);	/* duplicates are meshd's business */
	ck_assert_str_eq(c.peers[0], "a.example.org:51830");
	ck_assert_str_eq(c.peers[1], "[2001:db8::1]:1");
	ck_assert_str_eq(c.peers[2], "192.0.2.1:65535");
	ck_assert_int_eq(parse("listen = [::1]:7\n"), 0);
	ck_assert_str_eq(c.listen, "[::1]:7");
	ck_assert(conf_hostport_split("[fe80::1]:80", host, sizeof(host), &port));
	ck_assert_str_eq(host, "fe80::1");
	ck_assert_uint_eq(port, 80);
	ck_assert(conf_hostport_split("h:1", host, sizeof(host), &port));
	ck_assert_str_eq(host, "h");
	ck_assert(!conf_hostport_split("h", host, sizeof(host), &port));
	ck_assert(!conf_hostport_split(":1", host, sizeof(host), &port));
	ck_assert(!conf_hostport_split("h:0", host, sizeof(host), &port));
	ck_assert(!conf_hostport_split("h:65536", host, sizeof(host), &port));
	ck_assert(!conf_hostport_split("h:+1", host, sizeof(host), &port));
	ck_assert(!conf_hostport_split("h:1x", host, sizeof(host), &port));
	ck_assert(!conf_hostport_split("::1:80", host, sizeof(host), &port));
	ck_assert(!conf_hostport_split("[::1]80", host, sizeof(host), &port));
	ck_assert(!conf_hostport_split("[]:80", host, sizeof(host), &port));
	ck_assert(!conf_hostport_split("abcdef:1", host, 4, &port));
}
END_TEST

static Suite *
conf_suite(void)
{
	Suite *s = suite_create("conf");
	TCase *tc;

	tc = tcase_create("good");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, defaults);
	tcase_add_test(tc, good_file);
	tcase_add_test(tc, every_level_and_ttl);
	tcase_add_test(tc, comments_and_blanks);
	tcase_add_test(tc, short_and_long_names_equal);
	tcase_add_test(tc, max_addresses);
	tcase_add_test(tc, longest_line);
	tcase_add_test(tc, many_hosts);
	tcase_add_test(tc, listen_and_peers);
	suite_add_tcase(s, tc);
	suite_add_tcase(s, conf_errors_tcase());
	suite_add_tcase(s, conf_load_tcase());
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(conf_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
