/* meshctl: the command people type.  A table of subcommands, as wg(8). */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "meshctl/meshctl.h"
#include "agent/log.h"

#ifndef MESH_SYSCONFDIR
#define MESH_SYSCONFDIR "/etc"
#endif
#define DEFAULT_CONF MESH_SYSCONFDIR "/mesh/meshd.conf"

static const struct {
	const char *name;
	int (*fn)(struct ctl *, int, char **);
	const char *help;
} commands[] = {
	{ "init", cmd_init, "init --name NAME   make this machine a node of a new network" },
	{ "status", cmd_status, "status             this node and its agent" },
	{ "resolve", cmd_resolve, "resolve NAME|ADDR  what the NSS module answers" },
	{ "hosts", cmd_hosts, "hosts              every name the agent knows" },
	{ "invite", cmd_invite, "invite NAME [--ttl S] [--endpoint HOST:PORT]  a token for a new node" },
	{ "join", cmd_join, "join TOKEN         make this machine a member with a token" },
	{ "revoke", cmd_revoke, "revoke NAME        withdraw a member's certificate (CA holder)" },
	{ "members", cmd_members, "members [--json]   every member and its state" },
};

static void
usage(FILE *f)
{
	fprintf(f, "usage: meshctl [-c FILE] [--state-dir DIR] [--json] COMMAND [ARGS]\n\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  meshctl %s\n", commands[i].help);
	fprintf(f, "\n  -c, --config FILE   meshd's configuration (default %s)\n"
	    "      --state-dir DIR where the node's keys live (default: from "
	    "the configuration)\n"
	    "      --json          machine-readable output\n", DEFAULT_CONF);
}

void
print_json(json_t *v)
{
	char *s = json_dumps(v, JSON_INDENT(2) | JSON_SORT_KEYS);

	if (s != NULL)
		printf("%s\n", s);
	free(s);
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "state-dir", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *conf_path = DEFAULT_CONF, *state_dir = NULL;
	bool must_exist = false;
	struct ctl ctl;
	char err[512];
	int c, rc;

	memset(&ctl, 0, sizeof(ctl));
	log_init("meshctl", LOG_LVL_WARN, 0);
	/* "+": stop at the command, whose own options follow it. */
	while ((c = getopt_long(argc, argv, "+c:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c': conf_path = optarg; must_exist = true; break;
		case 's': state_dir = optarg; break;
		case 'j': ctl.json = true; break;
		case 'h': usage(stdout); return EXIT_OK;
		case 'V': printf("meshctl %s\n", PACKAGE_VERSION); return EXIT_OK;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (conf_init(&ctl.conf) < 0 ||
	    conf_load(&ctl.conf, conf_path, must_exist, err, sizeof(err)) < 0) {
		fprintf(stderr, "meshctl: %s\n", err);
		conf_free(&ctl.conf);
		return EXIT_ERR;
	}
	if (state_dir != NULL) {
		free(ctl.conf.state_dir);
		if ((ctl.conf.state_dir = strdup(state_dir)) == NULL)
			return EXIT_ERR;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(argv[optind], commands[i].name) == 0) {
			argv += optind;
			argc -= optind;
			optind = 1;	/* reset getopt for the command */
			rc = commands[i].fn(&ctl, argc, argv);
			conf_free(&ctl.conf);
			return rc;
		}
	}
	fprintf(stderr, "meshctl: unknown command '%s'\n\n", argv[optind]);
	usage(stderr);
	conf_free(&ctl.conf);
	return EXIT_USAGE;
}
