/*
 * agent/conf.c: every bad meshd.conf line is refused with "file:line:
 * what is wrong" (part of tests/check_conf).
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <string.h>

#include "agent/conf.h"
#include "conf_fixture.h"

START_TEST(err_listen_and_peer)
{
	bad("listen = localhost:51830\n", 1, "listen must be an IP address");
	bad("listen = 0.0.0.0\n", 1, "listen must be HOST:PORT");
	bad("listen = [::]:0\n", 1, "listen must be HOST:PORT");
	bad("listen = ::1:5\n", 1, "listen must be HOST:PORT");
	bad("peer = host\n", 1, "peer must be HOST:PORT");
	bad("peer = a b:1\n", 1, "peer must be HOST:PORT");
	bad("peer = x:99999\n", 1, "peer must be HOST:PORT");
	bad("peer =\n", 1, "'peer' needs a value");
	bad("\npeer = aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaa:1\n", 2, "too long");
}
END_TEST

START_TEST(err_too_many_peers)
{
	char line[64];

	for (int i = 0; i < CONF_PEERS_MAX; i++) {
		int n = snprintf(line, sizeof(line), "peer = h%d:1", i);
		ck_assert_int_eq(conf_line(&p, line, (size_t)n), 0);
	}
	ck_assert_int_eq(conf_line(&p, "peer = x:1", 10), -1);
	ck_assert_msg(strstr(p.err, "more than") != NULL, "%s", p.err);
}
END_TEST

START_TEST(err_unknown_key)
{
	bad("foo = bar\n", 1, "unknown key 'foo'");
	bad("ttl = 5\n\nTTL = 5\n", 3, "unknown key 'TTL'");
	bad("statedir = /x\n", 1, "unknown key 'statedir'");
	bad("ttl 5 = 3\n", 1, "unexpected '5' before '='");
}
END_TEST

START_TEST(err_missing_equals)
{
	bad("ttl 5\n", 1, "expected 'key = value'");
	bad("# ok\nstate_dir /var/lib/mesh\n", 2, "expected 'key = value'");
	bad("host nas 10.0.0.1\n", 1, "expected 'key = value'");
	bad("ttl # = 5\n", 1, "expected 'key = value'");
	bad("= 5\n", 1, "expected 'key = value'");
	bad("=\n", 1, "expected 'key = value'");
}
END_TEST

START_TEST(err_missing_value)
{
	bad("ttl =\n", 1, "'ttl' needs a value");
	bad("state_dir =   # nothing\n", 1, "'state_dir' needs a value");
	bad("host nas =\n", 1, "host 'nas.mesh' needs at least one address");
	bad("host = 10.0.0.1\n", 1, "expected 'host NAME = ADDRESS...'");
	bad("host a b = 10.0.0.1\n", 1, "expected 'host NAME = ADDRESS...'");
	bad("host=nas 10.0.0.1\n", 1, "expected 'host NAME = ADDRESS...'");
}
END_TEST

START_TEST(err_bad_address)
{
	static const char *addrs[] = {
		"1.2.3", "1.2.3.4.5", "256.1.1.1", "1.2.3.4/24", "10.0.0.x",
		"fd6d::1::2", "fe80::1%eth0", "gggg::1", "nas.mesh", "-",
		"0x0a000001", "1.2.3.4:80",
	};
	char text[128];

	for (size_t i = 0; i < sizeof(addrs) / sizeof(addrs[0]); i++) {
		char want[96];
		snprintf(text, sizeof(text), "host nas = 10.0.0.1 %s\n", addrs[i]);
		snprintf(want, sizeof(want),
		    "'%s' is not an IPv4 or IPv6 address", addrs[i]);
		bad(text, 1, want);
	}
	/* An absurdly long word is quoted, cut short. */
	bad("host nas = 1111111111111111111111111111111111111111111111111111"
	    "11111111111111111111111111111111111111111111111111\n", 1,
	    "is not an IPv4 or IPv6 address");
	ck_assert_uint_lt(strlen(p.err), 200);
}
END_TEST

START_TEST(err_bad_host_name)
{
	bad("host na_s = 10.0.0.1\n", 1,
	    "host name 'na_s' may hold only letters, digits and hyphens");
	bad("host -nas = 10.0.0.1\n", 1,
	    "host name '-nas' starts or ends with a hyphen");
	bad("host nas-.mesh = 10.0.0.1\n", 1,
	    "host name 'nas-.mesh' starts or ends with a hyphen");
	bad("host a.b = 10.0.0.1\n", 1,
	    "host name 'a.b' may hold only letters, digits and hyphens");
	bad("host a.b.mesh = 10.0.0.1\n", 1,
	    "host name 'a.b.mesh' may hold only letters, digits and hyphens");
	bad("host nas.com = 10.0.0.1\n", 1, "host name 'nas.com'");
	bad("host .mesh = 10.0.0.1\n", 1, "host name '.mesh'");
	/* "mesh" alone is a label like any other: the host "mesh.mesh". */
	conf_free(&c);
	setup();
	ck_assert_int_eq(parse("host mesh = 10.0.0.1\n"), 0);
	ck_assert_str_eq(c.hosts[0].name, "mesh.mesh");
}
END_TEST

START_TEST(err_long_host_name)
{
	char text[256];

	snprintf(text, sizeof(text), "host %.*s = 10.0.0.1\n", 64,
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
	bad(text, 1, "is longer than 63 characters");
	snprintf(text, sizeof(text), "host %.*s.mesh = 10.0.0.1\n", 64,
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
	bad(text, 1, "is longer than 63 characters");
	/* 63 is the limit, inclusive. */
	conf_free(&c);
	setup();
	snprintf(text, sizeof(text), "host %.*s = 10.0.0.1\n", 63,
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
	ck_assert_int_eq(parse(text), 0);
}
END_TEST

START_TEST(err_duplicate_host)
{
	bad("host nas = 10.0.0.1\nhost web = 10.0.0.2\nhost nas = 10.0.0.3\n",
	    3, "host 'nas.mesh' is already defined on line 1");
}
END_TEST

START_TEST(err_nul_byte)
{
	static const char line[] = "ttl = 5\0 junk";

	ck_assert_int_eq(conf_line(&p, line, sizeof(line) - 1), -1);
	ck_assert_str_eq(p.err, FILE_NAME ":1: line contains a NUL byte");
}
END_TEST

START_TEST(err_relative_path)
{
	bad("state_dir = var/lib/mesh\n", 1, "state_dir must be an absolute path");
	bad("nss_socket = nss.sock\n", 1, "nss_socket must be an absolute path");
	bad("control_socket = ./ctl\n", 1,
	    "control_socket must be an absolute path");
	bad("state_dir = /var/lib mesh\n", 1,
	    "state_dir must be one path without spaces");
}
END_TEST

START_TEST(err_log_level)
{
	static const char *bad_levels[] = {
		"loud", "DEBUG", "Info", "4", "debug2", "warning", "info debug",
		"debugdebugdebugdebug",
	};
	char text[64];

	for (size_t i = 0; i < sizeof(bad_levels) / sizeof(bad_levels[0]); i++) {
		snprintf(text, sizeof(text), "log_level = %s\n", bad_levels[i]);
		bad(text, 1, "log_level must be error, warn, info or debug");
	}
}
END_TEST

START_TEST(err_ttl)
{
	static const char *bad_ttls[] = {
		"-1", "86401", "1x", "x", "+5", " 5 5", "0x10", "1e3",
		"99999999999999999999", "18446744073709551617", "4294967296",
		"5.0",
	};
	char text[64];

	for (size_t i = 0; i < sizeof(bad_ttls) / sizeof(bad_ttls[0]); i++) {
		snprintf(text, sizeof(text), "ttl = %s\n", bad_ttls[i]);
		bad(text, 1, "ttl must be a number of seconds, 0 to 86400");
	}
}
END_TEST

START_TEST(err_dead_after)
{
	static const char *bad_values[] = {
		"0", "1", "3601", "-5", "5s", "", "4294967301",
	};
	char text[64];

	for (size_t i = 0; i < sizeof(bad_values) / sizeof(bad_values[0]); i++) {
		snprintf(text, sizeof(text), "\ndead_after = %s\n", bad_values[i]);
		bad(text, 2, bad_values[i][0] == '\0' ? "'dead_after' needs a value" :
		    "dead_after must be a number of seconds, 2 to 3600");
	}
}
END_TEST

START_TEST(err_tun)
{
	bad("tun = \n", 1, "'tun' needs a value");
	bad("tun = abcdefghijklmnop\n", 1, "tun must be an interface name of at most 15");
	bad("tun = mesh/0\n", 1, "tun must be an interface name");
	bad("tun = me sh\n", 1, "tun must be an interface name");
	bad("tun_offload = \n", 1, "'tun_offload' needs a value");
	bad("tun_offload = yes\n", 1, "tun_offload must be on or off, not 'yes'");
	bad("tun_offload = on off\n", 1, "tun_offload must be on or off, not 'on off'");
	bad("tun_offload = ON\n", 1, "tun_offload must be on or off");
}
END_TEST

START_TEST(err_cipher)
{
	bad("cipher = \n", 1, "'cipher' needs a value");
	bad("cipher = aes\n", 1, "cipher must be auto");
	bad("cipher = chacha20\n", 1, "cipher must be auto");
	bad("cipher = AUTO\n", 1, "cipher must be auto");
}
END_TEST

START_TEST(err_udp_offloads)
{
	bad("udp_gso = \n", 1, "'udp_gso' needs a value");
	bad("udp_gso = yes\n", 1, "udp_gso must be on or off, not 'yes'");
	bad("udp_gso = On\n", 1, "udp_gso must be on or off, not 'On'");
	bad("udp_gso = on off\n", 1, "udp_gso must be on or off, not 'on off'");
	bad("\nudp_gro = 1\n", 2, "udp_gro must be on or off, not '1'");
	bad("udp_gro = offf\n", 1, "udp_gro must be on or off, not 'offf'");
	bad("udp_offload = off\n", 1, "unknown key 'udp_offload'");
}
END_TEST

START_TEST(err_lan)
{
	bad("lan_discovery = \n", 1, "'lan_discovery' needs a value");
	bad("lan_discovery = yes\n", 1, "lan_discovery must be on or off");
	bad("lan_discovery = On\n", 1, "lan_discovery must be on or off");
	bad("lan_discovery = on off\n", 1, "lan_discovery must be on or off");
	bad("lan_discovery = offf\n", 1, "lan_discovery must be on or off");
}
END_TEST

START_TEST(err_user)
{
	bad("user = \n", 1, "'user' needs a value");
	bad("user = -mesh\n", 1, "user must be a user name");
	bad("user = me sh\n", 1, "user must be a user name");
	bad("user = mesh/x\n", 1, "user must be a user name");
	bad("user = abcdefghijklmnopqrstuvwxyz0123456\n", 1,
	    "at most 32 characters");
}
END_TEST

TCase *
conf_errors_tcase(void)
{
	TCase *tc = tcase_create("errors");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, err_listen_and_peer);
	tcase_add_test(tc, err_too_many_peers);
	tcase_add_test(tc, err_unknown_key);
	tcase_add_test(tc, err_tun);
	tcase_add_test(tc, err_cipher);
	tcase_add_test(tc, err_udp_offloads);
	tcase_add_test(tc, err_lan);
	tcase_add_test(tc, err_missing_equals);
	tcase_add_test(tc, err_missing_value);
	tcase_add_test(tc, err_bad_address);
	tcase_add_test(tc, err_bad_host_name);
	tcase_add_test(tc, err_long_host_name);
	tcase_add_test(tc, err_duplicate_host);
	tcase_add_test(tc, err_nul_byte);
	tcase_add_test(tc, err_relative_path);
	tcase_add_test(tc, err_log_level);
	tcase_add_test(tc, err_ttl);
	tcase_add_test(tc, err_dead_after);
	tcase_add_test(tc, err_user);
	return tc;
}
