/*
 * agent/conf.c: meshd.conf.  Good files parse to the right values; every
 * bad line is refused with "file:line: what is wrong".
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

#define FILE_NAME "t.conf"

static struct conf c;
static struct conf_parser p;

static void
setup(void)
{
	ck_assert_int_eq(conf_init(&c), 0);
	conf_parser_init(&p, &c, FILE_NAME);
}

static void
teardown(void)
{
	conf_free(&c);
}

/* Feed text, '\n'-separated, to the parser; stop at the first error. */
static int
parse(const char *text)
{
	const char *s = text, *nl;

	while (*s != '\0') {
		nl = strchr(s, '\n');
		size_t len = nl != NULL ? (size_t)(nl - s) : strlen(s);
		if (conf_line(&p, s, len) < 0)
			return -1;
		s += len + (nl != NULL);
	}
	return conf_finish(&p);
}

/* text must fail on line, with an error that holds fragment. */
static void
bad(const char *text, unsigned line, const char *fragment)
{
	char prefix[64];

	conf_free(&c);
	setup();
	ck_assert_msg(parse(text) == -1, "accepted: %s", text);
	snprintf(prefix, sizeof(prefix), FILE_NAME ":%u: ", line);
	ck_assert_msg(strncmp(p.err, prefix, strlen(prefix)) == 0,
	    "'%s' does not start with '%s'", p.err, prefix);
	ck_assert_msg(strstr(p.err, fragment) != NULL,
	    "'%s' does not say '%s'", p.err, fragment);
}

static const struct conf_host *
host(const char *name)
{
	for (size_t i = 0; i < c.nhosts; i++)
		if (strcmp(c.hosts[i].name, name) == 0)
			return &c.hosts[i];
	return NULL;
}

static void
has4(const struct conf_host *h, unsigned i, const char *want)
{
	char buf[INET_ADDRSTRLEN];

	ck_assert_uint_lt(i, h->n4);
	ck_assert_str_eq(inet_ntop(AF_INET, h->addr4[i], buf, sizeof(buf)), want);
}

static void
has6(const struct conf_host *h, unsigned i, const char *want)
{
	char buf[INET6_ADDRSTRLEN];

	ck_assert_uint_lt(i, h->n6);
	ck_assert_str_eq(inet_ntop(AF_INET6, h->addr6[i], buf, sizeof(buf)), want);
}

/* ---- good files ------------------------------------------------------------ */

START_TEST(defaults)
{
	ck_assert_str_eq(c.state_dir, MESH_STATE_DIR);
	ck_assert_str_eq(c.nss_socket, MESH_NSS_SOCKET);
	ck_assert_str_eq(c.control_socket, MESH_CONTROL_SOCKET);
	ck_assert_int_eq(c.log_level, LOG_LVL_INFO);
	ck_assert_uint_eq(c.ttl, 60);
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

/* ---- errors ----------------------------------------------------------------- */

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

/* ---- conf_load: files on disk ----------------------------------------------- */

static char tmpdir[64];

static void
load_setup(void)
{
	setup();
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/check_conf.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void
load_teardown(void)
{
	char cmd[128];

	teardown();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	ck_assert_int_eq(system(cmd), 0);
}

static const char *
write_file(const char *name, const void *data, size_t len)
{
	static char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	ck_assert_uint_eq(fwrite(data, 1, len, f), len);
	ck_assert_int_eq(fclose(f), 0);
	return path;
}

START_TEST(load_good)
{
	static const char text[] = "ttl = 30\nhost nas = 10.0.0.1\nhost b=fd6d::2";
	char err[512] = "";
	const char *path = write_file("good.conf", text, sizeof(text) - 1);

	ck_assert_int_eq(conf_load(&c, path, 1, err, sizeof(err)), 0);
	ck_assert_uint_eq(c.ttl, 30);
	ck_assert_uint_eq(c.nhosts, 2);
	ck_assert_str_eq(c.hosts[1].name, "b.mesh");
}
END_TEST

START_TEST(load_error_has_path_and_line)
{
	static const char text[] = "# x\n\nttl = 30\nttl = soon\nttl = 5\n";
	char err[512] = "", want[256];
	const char *path = write_file("bad.conf", text, sizeof(text) - 1);

	ck_assert_int_eq(conf_load(&c, path, 1, err, sizeof(err)), -1);
	snprintf(want, sizeof(want),
	    "%s:4: ttl must be a number of seconds, 0 to 86400", path);
	ck_assert_str_eq(err, want);
}
END_TEST

START_TEST(load_nul_byte)
{
	static const char text[] = "ttl = 30\nttl = 3\0\n";
	char err[512] = "", want[256];
	const char *path = write_file("nul.conf", text, sizeof(text) - 1);

	ck_assert_int_eq(conf_load(&c, path, 1, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s:2: line contains a NUL byte", path);
	ck_assert_str_eq(err, want);
}
END_TEST

START_TEST(load_long_line)
{
	char *text = malloc(CONF_LINE_MAX * 3);
	char err[512] = "", want[256];
	const char *path;

	ck_assert_ptr_nonnull(text);
	memset(text, '#', CONF_LINE_MAX * 3);
	text[0] = '\n';
	path = write_file("long.conf", text, CONF_LINE_MAX * 3);
	ck_assert_int_eq(conf_load(&c, path, 1, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s:2: line longer than 4096 bytes", path);
	ck_assert_str_eq(err, want);
	free(text);
}
END_TEST

START_TEST(load_missing)
{
	char err[512] = "", path[128];

	snprintf(path, sizeof(path), "%s/none.conf", tmpdir);
	ck_assert_int_eq(conf_load(&c, path, 0, err, sizeof(err)), 0);
	ck_assert_uint_eq(c.ttl, 60);
	ck_assert_int_eq(conf_load(&c, path, 1, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, path));
	ck_assert_ptr_nonnull(strstr(err, "No such file or directory"));
	/* A directory is not a file. */
	ck_assert_int_eq(conf_load(&c, tmpdir, 0, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, tmpdir));
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

	tc = tcase_create("errors");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, err_unknown_key);
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
	tcase_add_test(tc, err_listen_and_peer);
	tcase_add_test(tc, err_too_many_peers);
	suite_add_tcase(s, tc);

	tc = tcase_create("load");
	tcase_add_checked_fixture(tc, load_setup, load_teardown);
	tcase_add_test(tc, load_good);
	tcase_add_test(tc, load_error_has_path_and_line);
	tcase_add_test(tc, load_nul_byte);
	tcase_add_test(tc, load_long_line);
	tcase_add_test(tc, load_missing);
	suite_add_tcase(s, tc);
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
