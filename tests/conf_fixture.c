/*
 * What the meshd.conf tests share: a parser on a fresh conf for each test,
 * and checks for what it made of a text.
 */
#include "config.h"

#include <check.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "agent/conf.h"
#include "conf_fixture.h"

struct conf c;
struct conf_parser p;

void
setup(void)
{
	ck_assert_int_eq(conf_init(&c), 0);
	conf_parser_init(&p, &c, FILE_NAME);
}

void
teardown(void)
{
	conf_free(&c);
}

/* Feed text, '\n'-separated, to the parser; stop at the first error. */
int
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
void
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

const struct conf_host *
host(const char *name)
{
	for (size_t i = 0; i < c.nhosts; i++)
		if (strcmp(c.hosts[i].name, name) == 0)
			return &c.hosts[i];
	return NULL;
}

void
has4(const struct conf_host *h, unsigned i, const char *want)
{
	char buf[INET_ADDRSTRLEN];

	ck_assert_uint_lt(i, h->n4);
	ck_assert_str_eq(inet_ntop(AF_INET, h->addr4[i], buf, sizeof(buf)), want);
}

void
has6(const struct conf_host *h, unsigned i, const char *want)
{
	char buf[INET6_ADDRSTRLEN];

	ck_assert_uint_lt(i, h->n6);
	ck_assert_str_eq(inet_ntop(AF_INET6, h->addr6[i], buf, sizeof(buf)), want);
}
