/*
 * agent/http.c: the control socket's request-head parser.  Complete heads
 * parse, every prefix of one asks for more, malformed ones are refused, and
 * nothing over HTTP_REQ_MAX is taken.  Every call parses an exact-size heap
 * copy, so that under ASan a read past len is caught.
 */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "agent/http.h"

static struct http_req req;

static int
parse_n(const char *text, size_t len)
{
	char *copy = malloc(len ? len : 1);
	int rc;

	ck_assert_ptr_nonnull(copy);
	memcpy(copy, text, len);
	memset(&req, 0xaa, sizeof(req));
	rc = http_parse(copy, len, &req);
	free(copy);
	/* Whatever the verdict, the outputs are strings. */
	ck_assert_ptr_nonnull(memchr(req.method, '\0', sizeof(req.method)));
	ck_assert_ptr_nonnull(memchr(req.path, '\0', sizeof(req.path)));
	return rc;
}

static int
parse(const char *text)
{
	return parse_n(text, strlen(text));
}

START_TEST(complete)
{
	ck_assert_int_eq(parse("GET /v1/status HTTP/1.1\r\n"
	    "Host: localhost\r\nUser-Agent: meshctl\r\n\r\n"), 1);
	ck_assert_str_eq(req.method, "GET");
	ck_assert_str_eq(req.path, "/v1/status");

	ck_assert_int_eq(parse("POST /v1/resolve?name=nas.mesh&x=%20 HTTP/1.0"
	    "\r\n\r\n"), 1);
	ck_assert_str_eq(req.method, "POST");
	ck_assert_str_eq(req.path, "/v1/resolve?name=nas.mesh&x=%20");

	ck_assert_int_eq(parse("DELETE / HTTP/1.1\r\n\r\n"), 1);
	ck_assert_str_eq(req.method, "DELETE");
	ck_assert_str_eq(req.path, "/");
}
END_TEST

START_TEST(body_after_head)
{
	/* The head ends at the first empty line; what follows is not ours
	 * to judge here. */
	ck_assert_int_eq(parse("POST /x HTTP/1.1\r\nContent-Length: 3\r\n\r\n"
	    "abc"), 1);
	ck_assert_str_eq(req.path, "/x");
	ck_assert_int_eq(parse("GET /a HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\n\r\n"),
	    1);
	ck_assert_str_eq(req.path, "/a");
}
END_TEST

START_TEST(every_prefix_incomplete)
{
	static const char full[] = "GET /v1/hosts HTTP/1.1\r\nHost: x\r\n"
	    "Accept: application/json\r\n\r\n";

	for (size_t len = 0; len < sizeof(full) - 1; len++) {
		int rc = parse_n(full, len);
		if (rc != 0)
			ck_abort_msg("prefix of %zu bytes gave %d", len, rc);
		if (req.method[0] != '\0' || req.path[0] != '\0')
			ck_abort_msg("prefix of %zu bytes filled req", len);
	}
	ck_assert_int_eq(parse_n(full, sizeof(full) - 1), 1);
	ck_assert_str_eq(req.path, "/v1/hosts");
}
END_TEST

START_TEST(incomplete)
{
	ck_assert_int_eq(parse(""), 0);
	ck_assert_int_eq(parse("G"), 0);
	ck_assert_int_eq(parse("GET / HTTP/1.1\r\n"), 0);
	ck_assert_int_eq(parse("GET / HTTP/1.1\r\n\r"), 0);
	ck_assert_int_eq(parse("GET / HTTP/1.1\r\n\n"), 0);
	/* Bare LF is not a line end here: more is awaited (up to the
	 * limit, see limits_head). */
	ck_assert_int_eq(parse("GET / HTTP/1.1\n\n"), 0);
	/* Garbage without a head end is still just "not yet". */
	ck_assert_int_eq(parse("\x01\x02\x03"), 0);
}
END_TEST

START_TEST(malformed)
{
	static const char *bad[] = {
		"\r\n\r\n",
		" / HTTP/1.1\r\n\r\n",
		"GET\r\n\r\n",
		"GET /\r\n\r\n",
		"GET / \r\n\r\n",
		"GET  / HTTP/1.1\r\n\r\n",		/* two spaces */
		"GET /  HTTP/1.1\r\n\r\n",
		"GET / HTTP/1.1 \r\n\r\n",
		"get / HTTP/1.1\r\n\r\n",		/* methods are upper case */
		"Get / HTTP/1.1\r\n\r\n",
		"G3T / HTTP/1.1\r\n\r\n",
		"GET x HTTP/1.1\r\n\r\n",		/* path starts with '/' */
		"GET http://x/ HTTP/1.1\r\n\r\n",
		"GET * HTTP/1.1\r\n\r\n",
		"GET /a\tb HTTP/1.1\r\n\r\n",
		"GET /a\x7f HTTP/1.1\r\n\r\n",
		"GET /a\x80 HTTP/1.1\r\n\r\n",
		"GET /\xff HTTP/1.1\r\n\r\n",
		"GET /a\x01 HTTP/1.1\r\n\r\n",
		"GET / HTTP/2.0\r\n\r\n",
		"GET / HTTP/1.2\r\n\r\n",
		"GET / HTTP/1.10\r\n\r\n",
		"GET / HTTP/1\r\n\r\n",
		"GET / http/1.1\r\n\r\n",
		"GET / HTTP/1.1x\r\n\r\n",
		"GET / HTTP/1.1\rX\r\n\r\n",
		"\r\nGET / HTTP/1.1\r\n\r\n",		/* empty request line */
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc = parse(bad[i]);
		ck_assert_msg(rc == -1, "%zu gave %d", i, rc);
	}
}
END_TEST

START_TEST(nul_bytes)
{
	static const char m[] = "G\0T / HTTP/1.1\r\n\r\n";
	static const char p[] = "GET /a\0b HTTP/1.1\r\n\r\n";
	static const char v[] = "GET / HTTP/1.\0\r\n\r\n";

	ck_assert_int_eq(parse_n(m, sizeof(m) - 1), -1);
	ck_assert_int_eq(parse_n(p, sizeof(p) - 1), -1);
	ck_assert_int_eq(parse_n(v, sizeof(v) - 1), -1);
}
END_TEST

START_TEST(limits_method_and_path)
{
	char buf[600];

	/* Methods: up to 7 letters. */
	ck_assert_int_eq(parse("ABCDEFG / HTTP/1.1\r\n\r\n"), 1);
	ck_assert_str_eq(req.method, "ABCDEFG");
	ck_assert_int_eq(parse("ABCDEFGH / HTTP/1.1\r\n\r\n"), -1);
	/* Paths: up to 255 bytes. */
	memset(buf, 'p', sizeof(buf));
	memcpy(buf, "GET /", 5);
	memcpy(buf + 4 + 255, " HTTP/1.1\r\n\r\n", 14);
	ck_assert_int_eq(parse_n(buf, 4 + 255 + 13), 1);
	ck_assert_uint_eq(strlen(req.path), 255);
	memset(buf, 'p', sizeof(buf));
	memcpy(buf, "GET /", 5);
	memcpy(buf + 4 + 256, " HTTP/1.1\r\n\r\n", 14);
	ck_assert_int_eq(parse_n(buf, 4 + 256 + 13), -1);
}
END_TEST

/* A head of exactly total bytes: request line, one long header, CRLFCRLF. */
static char *
head_of(size_t total)
{
	static const char line[] = "GET /big HTTP/1.1\r\nX: ";
	char *s = malloc(total + 1);

	ck_assert_uint_gt(total, sizeof(line) + 4);
	ck_assert_ptr_nonnull(s);
	memcpy(s, line, sizeof(line) - 1);
	memset(s + sizeof(line) - 1, 'y', total - (sizeof(line) - 1) - 4);
	memcpy(s + total - 4, "\r\n\r\n", 5);
	return s;
}

START_TEST(limits_head)
{
	char *s;

	/* A head that fills the buffer exactly is taken... */
	s = head_of(HTTP_REQ_MAX);
	ck_assert_int_eq(parse_n(s, HTTP_REQ_MAX), 1);
	ck_assert_str_eq(req.path, "/big");
	/* ... but without its end the buffer is full: refused, not 0. */
	ck_assert_int_eq(parse_n(s, HTTP_REQ_MAX - 1), 0);
	memset(s + HTTP_REQ_MAX - 4, 'y', 4);
	ck_assert_int_eq(parse_n(s, HTTP_REQ_MAX), -1);
	free(s);
	/* A head longer than the limit is refused even when complete. */
	s = head_of(HTTP_REQ_MAX + 1);
	ck_assert_int_eq(parse_n(s, HTTP_REQ_MAX + 1), -1);
	free(s);
	s = head_of(3 * HTTP_REQ_MAX);
	ck_assert_int_eq(parse_n(s, 3 * HTTP_REQ_MAX), -1);
	free(s);
	/* A short head followed by a long body is fine. */
	s = head_of(2 * HTTP_REQ_MAX);
	memcpy(s, "GET /ok HTTP/1.1\r\n\r\n", 20);
	ck_assert_int_eq(parse_n(s, 2 * HTTP_REQ_MAX), 1);
	ck_assert_str_eq(req.path, "/ok");
	free(s);
}
END_TEST

static Suite *
http_suite(void)
{
	Suite *s = suite_create("http");
	TCase *tc;

	tc = tcase_create("parse");
	tcase_add_test(tc, complete);
	tcase_add_test(tc, body_after_head);
	tcase_add_test(tc, every_prefix_incomplete);
	tcase_add_test(tc, incomplete);
	tcase_add_test(tc, malformed);
	tcase_add_test(tc, nul_bytes);
	suite_add_tcase(s, tc);

	tc = tcase_create("limits");
	tcase_add_test(tc, limits_method_and_path);
	tcase_add_test(tc, limits_head);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(http_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
