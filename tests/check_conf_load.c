/*
 * agent/conf.c: conf_load reads files on disk and names the file and line
 * of what is wrong (part of tests/check_conf).
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/conf.h"
#include "conf_fixture.h"

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

TCase *
conf_load_tcase(void)
{
	TCase *tc = tcase_create("load");

	tcase_add_checked_fixture(tc, load_setup, load_teardown);
	tcase_add_test(tc, load_good);
	tcase_add_test(tc, load_error_has_path_and_line);
	tcase_add_test(tc, load_nul_byte);
	tcase_add_test(tc, load_long_line);
	tcase_add_test(tc, load_missing);
	return tc;
}
