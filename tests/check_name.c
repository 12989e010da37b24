/*
 * common/name.c: the ".mesh" gate of the NSS module, DNS label rules and
 * the canonical form every other part compares names in.
 */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "common/name.h"

/* is_mesh on a NUL-terminated string; *stem is poisoned first so that a
 * false answer which still wrote it would not go unnoticed by callers. */
static bool
is_mesh(const char *s, size_t *stem)
{
	*stem = (size_t)-1;
	return mesh_name_is_mesh(s, strlen(s), stem);
}

/* A string of n copies of c, plus tail; caller frees. */
static char *
repeat(char c, size_t n, const char *tail)
{
	size_t tl = strlen(tail);
	char *s = malloc(n + tl + 1);

	ck_assert_ptr_nonnull(s);
	memset(s, c, n);
	memcpy(s + n, tail, tl + 1);
	return s;
}

START_TEST(suffix_plain)
{
	size_t stem;

	ck_assert(is_mesh("nas.mesh", &stem));
	ck_assert_uint_eq(stem, 3);
	ck_assert(is_mesh("x.mesh", &stem));
	ck_assert_uint_eq(stem, 1);
}
END_TEST

START_TEST(suffix_case)
{
	static const char *names[] = {
		"nas.MESH", "nas.Mesh", "NAS.mEsH", "NaS.mesH", "nas.MESH.",
	};
	size_t stem;

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		ck_assert_msg(is_mesh(names[i], &stem), "%s", names[i]);
		ck_assert_uint_eq(stem, 3);
	}
}
END_TEST

START_TEST(suffix_trailing_dot)
{
	size_t stem;

	ck_assert(is_mesh("nas.mesh.", &stem));
	ck_assert_uint_eq(stem, 3);
	/* One trailing dot is the root; two is an empty label. */
	ck_assert(!is_mesh("nas.mesh..", &stem));
	ck_assert(!is_mesh(".", &stem));
	ck_assert(!is_mesh("", &stem));
}
END_TEST

START_TEST(suffix_bare)
{
	size_t stem;

	/* The suffix alone names nothing. */
	ck_assert(!is_mesh("mesh", &stem));
	ck_assert(!is_mesh("mesh.", &stem));
	ck_assert(!is_mesh("MESH", &stem));
	ck_assert(!is_mesh(".mesh", &stem));
	ck_assert(!is_mesh(".mesh.", &stem));
}
END_TEST

START_TEST(suffix_not_ours)
{
	static const char *names[] = {
		"nasmesh", "nas.mes", "nas.meshx", "nas.mesh.com", "nas-mesh",
		"nas.m esh", "nas.local", "example.com", "mesh.com", "nas.mesh.x.",
		"nas_mesh", "nas.mesh\t", "nas.mes.h",
	};
	size_t stem;

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		ck_assert_msg(!is_mesh(names[i], &stem), "%s", names[i]);
}
END_TEST

START_TEST(suffix_length_counts)
{
	size_t stem;

	/* The length given is what counts, not a NUL. */
	ck_assert(mesh_name_is_mesh("nas.mesh.com", 8, &stem));
	ck_assert_uint_eq(stem, 3);
	ck_assert(!mesh_name_is_mesh("nas.mesh", 7, &stem));
	ck_assert(!mesh_name_is_mesh("nas.mesh", 0, &stem));
}
END_TEST

START_TEST(suffix_overlong)
{
	size_t stem;
	/* 248 + ".mesh" = 253 bytes: the longest name that can be sent. */
	char *max = repeat('a', MESH_NAME_MAX - 5, ".mesh");
	char *max_dot = repeat('a', MESH_NAME_MAX - 5, ".mesh.");
	char *over = repeat('a', MESH_NAME_MAX - 4, ".mesh");
	char *over_dot = repeat('a', MESH_NAME_MAX - 4, ".mesh.");
	char *huge = repeat('a', 100000, ".mesh");

	ck_assert_uint_eq(strlen(max), MESH_NAME_MAX);
	ck_assert(is_mesh(max, &stem));
	ck_assert_uint_eq(stem, MESH_NAME_MAX - 5);
	ck_assert(is_mesh(max_dot, &stem));
	ck_assert(!is_mesh(over, &stem));
	ck_assert(!is_mesh(over_dot, &stem));
	ck_assert(!is_mesh(huge, &stem));
	free(max);
	free(max_dot);
	free(over);
	free(over_dot);
	free(huge);
}
END_TEST

START_TEST(suffix_embedded_dots)
{
	size_t stem;

	/* The gate only looks at the suffix; canon refuses what is not one
	 * label (see canon_embedded_dots). */
	ck_assert(is_mesh("a.b.mesh", &stem));
	ck_assert_uint_eq(stem, 3);
	ck_assert(is_mesh("nas.mesh.mesh", &stem));
	ck_assert_uint_eq(stem, 8);
	ck_assert(is_mesh("..mesh", &stem));
	ck_assert_uint_eq(stem, 1);
}
END_TEST

START_TEST(label_lengths)
{
	char l63[64], l64[65];
	const char *why = NULL;

	memset(l63, 'a', 63);
	l63[63] = '\0';
	memset(l64, 'b', 64);
	l64[64] = '\0';
	ck_assert(mesh_label_valid("a", 1, &why));
	ck_assert(mesh_label_valid("7", 1, &why));
	ck_assert(mesh_label_valid(l63, 63, &why));
	ck_assert(!mesh_label_valid(l64, 64, &why));
	ck_assert_str_eq(why, "is longer than 63 characters");
	why = NULL;
	ck_assert(!mesh_label_valid("", 0, &why));
	ck_assert_str_eq(why, "is empty");
	/* why may be NULL. */
	ck_assert(!mesh_label_valid("", 0, NULL));
	ck_assert(!mesh_label_valid(l64, 64, NULL));
}
END_TEST

START_TEST(label_hyphens)
{
	const char *why = NULL;

	ck_assert(mesh_label_valid("a-b", 3, &why));
	ck_assert(mesh_label_valid("a--b", 4, &why));
	ck_assert(mesh_label_valid("x1-2y", 5, &why));
	ck_assert(!mesh_label_valid("-ab", 3, &why));
	ck_assert_str_eq(why, "starts or ends with a hyphen");
	why = NULL;
	ck_assert(!mesh_label_valid("ab-", 3, &why));
	ck_assert_str_eq(why, "starts or ends with a hyphen");
	ck_assert(!mesh_label_valid("-", 1, &why));
}
END_TEST

START_TEST(label_bad_chars)
{
	static const char bad[] = "_. \t\n/\\@:*!~+=,;'\"\x7f\x80\xc3\xff";
	const char *why;
	char s[4] = "a?b";

	for (size_t i = 0; i < sizeof(bad) - 1; i++) {
		s[1] = bad[i];
		why = NULL;
		ck_assert_msg(!mesh_label_valid(s, 3, &why), "byte %#x",
		    (unsigned char)bad[i]);
		ck_assert_str_eq(why, "may hold only letters, digits and hyphens");
	}
	/* A NUL inside the given length is a bad character too. */
	ck_assert(!mesh_label_valid("a\0b", 3, &why));
	/* Every byte outside [A-Za-z0-9-] is refused, every one inside taken. */
	for (int c = 0; c < 256; c++) {
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-';
		s[1] = (char)c;
		ck_assert_msg(mesh_label_valid(s, 3, NULL) == ok, "byte %#x", c);
	}
}
END_TEST

START_TEST(label_case_insensitive)
{
	ck_assert(mesh_label_valid("NAS", 3, NULL));
	ck_assert(mesh_label_valid("NaS-01", 6, NULL));
}
END_TEST

/* Canonical form: out poisoned, must be NUL-terminated at the returned
 * length and untouched after it. */
static int
canon(const char *in, char out[MESH_NAME_MAX + 2])
{
	int n;

	memset(out, 'Z', MESH_NAME_MAX + 2);
	n = mesh_name_canon(in, strlen(in), out);
	ck_assert_int_eq(out[MESH_NAME_MAX + 1], 'Z');
	if (n >= 0) {
		ck_assert_uint_eq(strlen(out), (size_t)n);
		for (size_t i = (size_t)n + 1; i < MESH_NAME_MAX + 2; i++)
			ck_assert_int_eq(out[i], 'Z');
	}
	return n;
}

START_TEST(canon_forms)
{
	static const char *same[] = {
		"nas.mesh", "NAS.MESH", "Nas.Mesh.", "nAs.mEsH.",
	};
	char out[MESH_NAME_MAX + 2];

	for (size_t i = 0; i < sizeof(same) / sizeof(same[0]); i++) {
		ck_assert_int_eq(canon(same[i], out), 8);
		ck_assert_str_eq(out, "nas.mesh");
	}
	ck_assert_int_eq(canon("Web-01.MESH", out), 11);
	ck_assert_str_eq(out, "web-01.mesh");
	ck_assert_int_eq(canon("0.mesh", out), 6);
	ck_assert_str_eq(out, "0.mesh");
}
END_TEST

START_TEST(canon_refused)
{
	static const char *bad[] = {
		"nas", "nas.", "mesh", ".mesh", "nas.mesh..", "-nas.mesh",
		"nas-.mesh", "n_s.mesh", "n s.mesh", "nas.com", "",
	};
	char out[MESH_NAME_MAX + 2];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(canon(bad[i], out) == -1, "%s", bad[i]);
}
END_TEST

START_TEST(canon_embedded_dots)
{
	char out[MESH_NAME_MAX + 2];

	/* Names are exactly LABEL.mesh: one label before the suffix. */
	ck_assert_int_eq(canon("a.b.mesh", out), -1);
	ck_assert_int_eq(canon("nas.mesh.mesh", out), -1);
	ck_assert_int_eq(canon("..mesh", out), -1);
	ck_assert_int_eq(canon("a..mesh", out), -1);
}
END_TEST

START_TEST(canon_label_limit)
{
	char out[MESH_NAME_MAX + 2];
	char *l63 = repeat('Q', 63, ".Mesh.");
	char *l64 = repeat('q', 64, ".mesh");

	ck_assert_int_eq(canon(l63, out), 63 + 5);
	for (int i = 0; i < 63; i++)
		ck_assert_int_eq(out[i], 'q');
	ck_assert_str_eq(out + 63, ".mesh");
	ck_assert_int_eq(canon(l64, out), -1);
	free(l63);
	free(l64);
}
END_TEST

static Suite *
name_suite(void)
{
	Suite *s = suite_create("name");
	TCase *tc;

	tc = tcase_create("suffix");
	tcase_add_test(tc, suffix_plain);
	tcase_add_test(tc, suffix_case);
	tcase_add_test(tc, suffix_trailing_dot);
	tcase_add_test(tc, suffix_bare);
	tcase_add_test(tc, suffix_not_ours);
	tcase_add_test(tc, suffix_length_counts);
	tcase_add_test(tc, suffix_overlong);
	tcase_add_test(tc, suffix_embedded_dots);
	suite_add_tcase(s, tc);

	tc = tcase_create("label");
	tcase_add_test(tc, label_lengths);
	tcase_add_test(tc, label_hyphens);
	tcase_add_test(tc, label_bad_chars);
	tcase_add_test(tc, label_case_insensitive);
	suite_add_tcase(s, tc);

	tc = tcase_create("canon");
	tcase_add_test(tc, canon_forms);
	tcase_add_test(tc, canon_refused);
	tcase_add_test(tc, canon_embedded_dots);
	tcase_add_test(tc, canon_label_limit);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(name_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
