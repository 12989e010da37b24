/* meshctl resolve NAME|ADDRESS: ask meshd exactly as the NSS module does. */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "common/name.h"
#include "common/nss_msg.h"
#include "meshctl.h"
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

int
cmd_resolve(struct ctl *ctl, int argc, char **argv)
{
	struct mesh_req req;
	struct mesh_resp resp;
	uint8_t bin[16];
	char buf[INET6_ADDRSTRLEN];
	const char *q;
	size_t stem, len;
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
	if (ctl->json) {
		json_t *addrs = json_array();
		for (size_t i = 0; i < resp.n6; i++)
			json_array_append_new(addrs, json_string(inet_ntop(
			    AF_INET6, resp.addr6[i], buf, sizeof(buf))));
		for (size_t i = 0; i < resp.n4; i++)
			json_array_append_new(addrs, json_string(inet_ntop(
			    AF_INET, resp.addr4[i], buf, sizeof(buf))));
		json_t *v = json_pack("{s:s, s:s, s:s#, s:I, s:o}", "query", q,
		    "status", status_text(resp.status), "name", resp.name,
		    (int)resp.name_len, "ttl", (json_int_t)resp.ttl,
		    "addresses", addrs);
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
	} else {
		fprintf(stderr, "meshctl: %s: %s\n", q, status_text(resp.status));
	}
	if (resp.status == MESH_ST_OK)
		return EXIT_OK;
	return resp.status == MESH_ST_NOTREADY ? EXIT_NOAGENT : EXIT_NOTFOUND;
}
