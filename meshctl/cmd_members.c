/* meshctl members: who is in the network, in the spirit of consul members. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "meshctl/meshctl.h"

static const char *
str(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	return s != NULL && s[0] != '\0' ? s : "-";
}

int
cmd_members(struct ctl *ctl, int argc, char **argv)
{
	char err[512], last[32];
	bool unreachable;
	json_t *v, *m;
	size_t i;

	for (int k = 1; k < argc; k++) {
		if (strcmp(argv[k], "--json") == 0) {
			ctl->json = true;
		} else {
			fprintf(stderr, "usage: meshctl members [--json]\n");
			return EXIT_USAGE;
		}
	}
	v = ctl_get(ctl, "/v1/members", err, sizeof(err), &unreachable);
	if (v == NULL) {
		fprintf(stderr, "meshctl: %s\n", err);
		return unreachable ? EXIT_NOAGENT : EXIT_ERR;
	}
	if (ctl->json) {
		print_json(v);
		json_decref(v);
		return EXIT_OK;
	}
	printf("%-20s %-40s %-26s %-8s %-12s %s\n", "Name", "Address",
	    "Endpoint", "State", "Via", "Last seen");
	json_array_foreach(v, i, m) {
		json_t *ls = json_object_get(m, "last_seen_s");
		if (json_is_integer(ls))
			snprintf(last, sizeof(last), "%llds ago",
			    (long long)json_integer_value(ls));
		else
			snprintf(last, sizeof(last), "never");
		printf("%-20s %-40s %-26s %-8s %-12s %s\n", str(m, "name"),
		    str(m, "address"), str(m, "endpoint"), str(m, "state"),
		    str(m, "via"), last);
	}
	json_decref(v);
	return EXIT_OK;
}
