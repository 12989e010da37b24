/* tests/conf_fixture.c: what the check_conf*.c files share. */
#ifndef MESH_TESTS_CONF_FIXTURE_H
#define MESH_TESTS_CONF_FIXTURE_H

#include <check.h>

#include "agent/conf.h"

#define FILE_NAME "t.conf"

extern struct conf c;
extern struct conf_parser p;

/* Checked fixture: a fresh conf and parser per test. */
void setup(void);
void teardown(void);
/* Feed text, '\n'-separated, to the parser; stop at the first error. */
int parse(const char *text);
/* text must fail on line, with an error that holds fragment. */
void bad(const char *text, unsigned line, const char *fragment);
const struct conf_host *host(const char *name);
void has4(const struct conf_host *h, unsigned i, const char *want);
void has6(const struct conf_host *h, unsigned i, const char *want);

/* The other files' test cases. */
TCase *conf_errors_tcase(void);
TCase *conf_load_tcase(void);

#endif
