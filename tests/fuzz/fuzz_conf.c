/*
 * libFuzzer target: the meshd.conf parser (agent/conf.c), fed a line at a
 * time as conf_load does.  The file is written by root, but meshctl and
 * `meshd -n` parse files a user points them at, and a parser that can be
 * crashed by a typo is a parser that will be.  Built by build-agent.sh.
 *
 * Invariants: an error is "fuzz.conf:LINE: message" for the line that
 * failed; a success leaves absolute paths, a known log level, a ttl in
 * range and hosts with canonical, distinct names and 1..32 addresses.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/conf.h"
#include "agent/log.h"
#include "common/name.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_conf(const struct conf *c)
{
	char canon[MESH_NAME_MAX + 1];

	if (c->state_dir[0] != '/' || c->nss_socket[0] != '/' ||
	    c->control_socket[0] != '/')
		abort();
	if (c->log_level < LOG_LVL_ERROR || c->log_level > LOG_LVL_DEBUG ||
	    c->ttl > 86400 || c->nhosts > CONF_HOSTS_MAX)
		abort();
	for (size_t i = 0; i < c->nhosts; i++) {
		const struct conf_host *h = &c->hosts[i];
		size_t len = strnlen(h->name, sizeof(h->name));
		if (len == sizeof(h->name) ||
		    mesh_name_canon(h->name, len, canon) != (int)len ||
		    strcmp(canon, h->name) != 0)
			abort();
		if (h->n4 > MESH_ADDR4_MAX || h->n6 > MESH_ADDR6_MAX ||
		    h->n4 + h->n6 == 0)
			abort();
		for (size_t j = 0; j < i; j++)
			if (strcmp(c->hosts[j].name, h->name) == 0)
				abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data, *end = s + size, *nl;
	struct conf_parser p;
	struct conf c;
	char prefix[32];
	int rc = 0;

	if (conf_init(&c) < 0)
		abort();
	conf_parser_init(&p, &c, "fuzz.conf");
	while (rc == 0 && s < end) {
		nl = memchr(s, '\n', (size_t)(end - s));
		size_t len = nl != NULL ? (size_t)(nl - s) : (size_t)(end - s);
		rc = conf_line(&p, s, len);
		s += len + (nl != NULL);
	}
	if (rc == 0)
		rc = conf_finish(&p);
	if (rc == 0) {
		check_conf(&c);
	} else {
		if (rc != -1 || memchr(p.err, '\0', sizeof(p.err)) == NULL)
			abort();
		snprintf(prefix, sizeof(prefix), "fuzz.conf:%u: ", p.line);
		if (strncmp(p.err, prefix, strlen(prefix)) != 0 ||
		    strlen(p.err) == strlen(prefix))
			abort();
	}
	conf_free(&c);
	return 0;
}
