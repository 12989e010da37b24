/*
 * How members are reached: `meshctl status NAME` (one member's path: its
 * own UDP endpoint or a relay, RTT, loss, traffic) and `meshctl graph`
 * (the whole mesh with its measured costs, as Graphviz dot).
 */
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

static void
bytes(char *out, size_t len, json_t *v)
{
	double b = (double)json_integer_value(v);

	if (b >= 1e9)
		snprintf(out, len, "%.1f GB", b / 1e9);
	else if (b >= 1e6)
		snprintf(out, len, "%.1f MB", b / 1e6);
	else if (b >= 1e3)
		snprintf(out, len, "%.1f kB", b / 1e3);
	else
		snprintf(out, len, "%.0f B", b);
}

static void
print_member(json_t *m)
{
	json_t *link = json_object_get(m, "link"), *ls, *rtt;
	char tx[32], rx[32];

	printf("Name:         %s.mesh\n", str(m, "name"));
	printf("Address:      %s\n", str(m, "address"));
	ls = json_object_get(m, "last_seen_s");
	if (json_is_integer(ls))
		printf("State:        %s (heard %llds ago)\n", str(m, "state"),
		    (long long)json_integer_value(ls));
	else
		printf("State:        %s (never heard)\n", str(m, "state"));
	if (strcmp(str(m, "via"), "self") == 0) {
		printf("Path:         this node\n");
		return;
	}
	rtt = json_object_get(link, "rtt_ms");
	if (json_is_true(json_object_get(link, "direct")))
		printf("Path:         direct, to %s\n", str(m, "endpoint"));
	else if (json_is_string(json_object_get(link, "relay")))
		printf("Path:         relayed by %s.mesh (end to end encrypted; "
		    "no direct path to %s)\n", str(link, "relay"),
		    str(m, "endpoint"));
	else
		printf("Path:         none now (last endpoint %s)\n",
		    str(m, "endpoint"));
	if (json_is_number(rtt))
		printf("RTT:          %.1f ms (own path), loss %.0f%%\n",
		    json_number_value(rtt),
		    json_number_value(json_object_get(link, "loss")) * 100);
	if (json_is_string(json_object_get(link, "cipher")))
		printf("Cipher:       %s (end to end)\n", str(link, "cipher"));
	bytes(tx, sizeof(tx), json_object_get(link, "tx_bytes"));
	bytes(rx, sizeof(rx), json_object_get(link, "rx_bytes"));
	printf("Traffic:      %s sent, %s received (IP packets)\n", tx, rx);
}

int
status_member(struct ctl *ctl, const char *name)
{
	char err[512], want[MESH_LABEL_MAX + 1];
	bool unreachable;
	json_t *v, *m, *found = NULL;
	size_t i, len = strcspn(name, ".");

	if (len > MESH_LABEL_MAX)
		len = MESH_LABEL_MAX;
	memcpy(want, name, len);
	want[len] = '\0';
	if ((v = ctl_get(ctl, "/v1/members", err, sizeof(err),
	    &unreachable)) == NULL) {
		fprintf(stderr, "meshctl: %s\n", err);
		return unreachable ? EXIT_NOAGENT : EXIT_ERR;
	}
	json_array_foreach(v, i, m)
		if (strcasecmp(str(m, "name"), want) == 0)
			found = m;
	if (found == NULL) {
		fprintf(stderr, "meshctl: %s: not a member of this network\n",
		    name);
		json_decref(v);
		return EXIT_NOTFOUND;
	}
	if (ctl->json)
		print_json(found);
	else
		print_member(found);
	json_decref(v);
	return EXIT_OK;
}

int
cmd_graph(struct ctl *ctl, int argc, char **argv)
{
	char err[512];
	bool unreachable;
	json_t *v;

	(void)argv;
	if (argc != 1) {
		fprintf(stderr, "usage: meshctl graph   (Graphviz dot: "
		    "meshctl graph | dot -Tpng > mesh.png)\n");
		return EXIT_USAGE;
	}
	if ((v = ctl_get(ctl, "/v1/graph", err, sizeof(err),
	    &unreachable)) == NULL) {
		fprintf(stderr, "meshctl: %s\n", err);
		return unreachable ? EXIT_NOAGENT : EXIT_ERR;
	}
	if (ctl->json)
		print_json(v);
	else
		fputs(str(v, "dot"), stdout);
	json_decref(v);
	return EXIT_OK;
}
