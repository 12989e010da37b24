/* meshctl hosts: every name the agent answers for. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "meshctl/meshctl.h"

int
cmd_hosts(struct ctl *ctl, int argc, char **argv)
{
	char err[512];
	bool unreachable;
	json_t *hosts, *h;
	size_t i;

	(void)argv;
	if (argc != 1) {
		fprintf(stderr, "usage: meshctl hosts\n");
		return EXIT_USAGE;
	}
	hosts = ctl_get(ctl, "/v1/hosts", err, sizeof(err), &unreachable);
	if (hosts == NULL) {
		fprintf(stderr, "meshctl: %s\n", err);
		return unreachable ? EXIT_NOAGENT : EXIT_ERR;
	}
	if (ctl->json) {
		print_json(hosts);
	} else {
		printf("%-24s %-8s %s\n", "Name", "Source", "Addresses");
		json_array_foreach(hosts, i, h) {
			json_t *a, *addrs = json_object_get(h, "addresses");
			size_t j;
			const char *name = json_string_value(json_object_get(h, "name"));
			const char *src = json_string_value(json_object_get(h, "source"));
			printf("%-24s %-8s", name ? name : "?", src ? src : "?");
			json_array_foreach(addrs, j, a)
				printf("%s%s", j ? ", " : " ",
				    json_string_value(a) ? json_string_value(a) : "?");
			printf("%s\n", json_is_true(json_object_get(h, "stale")) ?
			    " (stale)" : "");
		}
	}
	json_decref(hosts);
	return EXIT_OK;
}
