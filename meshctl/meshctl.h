/* meshctl: one file per command, this header lists them. */
#ifndef MESH_MESHCTL_H
#define MESH_MESHCTL_H

#include <stdbool.h>
#include <jansson.h>

#include "agent/conf.h"

/* Exit codes, documented in meshctl(8). */
enum {
	EXIT_OK = 0,
	EXIT_ERR = 1,		/* something failed; the message says what */
	EXIT_USAGE = 2,		/* bad command line */
	EXIT_NOAGENT = 3,	/* meshd is not running or not answering */
	EXIT_NOTFOUND = 4,	/* resolve: no such name or address */
};

struct ctl {
	struct conf conf;	/* meshd.conf, for state_dir and sockets */
	bool json;
};

/* ctl_client.c: GET a path on meshd's control socket.  The parsed body, or
 * NULL with err set; *unreachable tells "no agent" from other failures. */
json_t *ctl_get(const struct ctl *ctl, const char *path, char *err,
    size_t errlen, bool *unreachable);

/* Print v as indented JSON on stdout. */
void print_json(json_t *v);

int cmd_init(struct ctl *ctl, int argc, char **argv);
int cmd_status(struct ctl *ctl, int argc, char **argv);
int cmd_resolve(struct ctl *ctl, int argc, char **argv);
int cmd_hosts(struct ctl *ctl, int argc, char **argv);
int cmd_invite(struct ctl *ctl, int argc, char **argv);
int cmd_join(struct ctl *ctl, int argc, char **argv);
int cmd_revoke(struct ctl *ctl, int argc, char **argv);
int cmd_members(struct ctl *ctl, int argc, char **argv);

#endif
