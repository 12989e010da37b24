/* meshctl resolve NAME|ADDRESS: ask meshd exactly as the NSS module does. */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "meshctl/meshctl.h"
#include "common/name.h"
#include "common/nss_msg.h"
#include "nss/nss-mesh.h"

static const char *
status_text(int st)
{
	switch (st) {
	case MESH_ST_OK: return "ok";
	case MESH_ST_NOTFOUND: return "not found";
	case MESH_ST_NOTMINE: return "not a mesh name";
	case MESH_ST_BADREQ: return "malformed request";
	case MESH_ST_NOTREADY: return "agent not ready";
	default: return "unknown";
	}
}

/* Is the answer from a stale record (its member's record expired, RFC
 * 8767's serve-stale)?  Only meshd's control API knows; a caller who may
 * not reach it (not root, not in group mesh) just is not told. */
static bool
answer_stale(const struct ctl *ctl, const struct mesh_resp *resp)
{
	char err[512], name[sizeof(resp->name) + 1];
	bool unreachable, stale = false;
	json_t *hosts, *h;
	size_t i;

	if (resp->status != MESH_ST_OK)
		return false;
	snprintf(name, sizeof(name), "%.*s", (int)resp->name_len, resp->name);
	if ((hosts = ctl_get(ctl, "/v1/hosts", err, sizeof(err),
	    &unreachable)) == NULL)
		return false;
	json_array_foreach(hosts, i, h) {
		const char *n = json_string_value(json_object_get(h, "name"));
		if (n != NULL && strcmp(n, name) == 0)
			stale = json_is_true(json_object_get(h, "stale"));
	}
	json_decref(hosts);
	return stale;
}

int
cmd_resolve(struct ctl *ctl, int argc, char **argv)
{
	struct mesh_req req;
	struct mesh_resp resp;
	uint8_t bin[16];
	char buf[INET6_ADDRSTRLEN];
	const char *q;
	size_t stem, len;
	bool stale;
	int rc;

	if (argc != 2) {
		fprintf(stderr, "usage: meshctl resolve NAME.mesh|ADDRESS\n");
		return EXIT_USAGE;
	}
	q = argv[1];
	len = strlen(q);
	if (inet_pton(AF_INET6, q, bin) == 1)
		mesh_req_byaddr(&req, AF_INET6, bin);
	else if (inet_pton(AF_INET, q, bin) == 1)
		mesh_req_byaddr(&req, AF_INET, bin);
	else if (mesh_name_is_mesh(q, len, &stem))
		mesh_req_byname(&req, q, q[len - 1] == '.' ? len - 1 : len);
	else {
		fprintf(stderr, "meshctl: '%s' is not under .mesh: the NSS module "
		    "passes it on to the next source in nsswitch.conf\n", q);
		return EXIT_NOTFOUND;
	}
	rc = mesh_query_at(ctl->conf.nss_socket, &req, &resp);
	if (rc < 0) {
		fprintf(stderr, "meshctl: meshd is not answering on %s: %s\n",
		    ctl->conf.nss_socket, strerror(-rc));
		return EXIT_NOAGENT;
	}
	stale = answer_stale(ctl, &resp);
	if (ctl->json) {
		json_t *addrs = json_array();
		for (size_t i = 0; i < resp.n6; i++)
			json_array_append_new(addrs, json_string(inet_ntop(
			    AF_INET6, resp.addr6[i], buf, sizeof(buf))));
		for (size_t i = 0; i < resp.n4; i++)
			json_array_append_new(addrs, json_string(inet_ntop(
			    AF_INET, resp.addr4[i], buf, sizeof(buf))));
		json_t *v = json_pack("{s:s, s:s, s:s#, s:I, s:o, s:b}", "query",
		    q, "status", status_text(resp.status), "name", resp.name,
		    (int)resp.name_len, "ttl", (json_int_t)resp.ttl,
		    "addresses", addrs, "stale", stale);
		print_json(v);
		json_decref(v);
	} else if (resp.status == MESH_ST_OK) {
		/* The shape of 'getent hosts': address, then name. */
		for (size_t i = 0; i < resp.n6; i++)
			printf("%-39s %.*s\n", inet_ntop(AF_INET6, resp.addr6[i],
			    buf, sizeof(buf)), (int)resp.name_len, resp.name);
		for (size_t i = 0; i < resp.n4; i++)
			printf("%-39s %.*s\n", inet_ntop(AF_INET, resp.addr4[i],
			    buf, sizeof(buf)), (int)resp.name_len, resp.name);
		if (stale)
			fprintf(stderr, "meshctl: %.*s: stale: its record has "
			    "expired and it has not been heard from since; this "
			    "is its last known address\n", (int)resp.name_len,
			    resp.name);
	} else {
		fprintf(stderr, "meshctl: %s: %s\n", q, status_text(resp.status));
	}
	if (resp.status == MESH_ST_OK)
		return EXIT_OK;
	return resp.status == MESH_ST_NOTREADY ? EXIT_NOAGENT : EXIT_NOTFOUND;
}
