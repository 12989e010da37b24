/* meshctl init --name NAME: this machine's key, and a new network. */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <sodium.h>

#include "meshctl/meshctl.h"
#include "agent/keys.h"
#include "agent/state.h"
#include "overlay/cert.h"

#define INIT_CERT_LIFETIME (365 * 86400ULL)

/* The first node's certificate, signed by the network key just made. */
static int
self_certify(const char *dir, char *err, size_t errlen)
{
	struct mesh_identity id;
	struct mesh_cert cert;
	unsigned char *ca_sk = NULL;
	int rc;

	if ((rc = identity_load_public(dir, &id, err, errlen)) < 0 ||
	    (rc = identity_load_ca_secret(dir, &ca_sk, err, errlen)) < 0)
		return rc;
	if (cert_issue(&cert, ca_sk, id.name, id.pk, (uint64_t)time(NULL),
	    INIT_CERT_LIFETIME) != VR_OK) {
		snprintf(err, errlen, "cannot issue a certificate for %s", id.name);
		rc = -EINVAL;
	} else if ((rc = state_write_cert(dir, &cert)) < 0) {
		snprintf(err, errlen, "cannot write %s/%s: %s", dir,
		    STATE_CERT_FILE, strerror(-rc));
	}
	sodium_free(ca_sk);
	return rc;
}

int
cmd_init(struct ctl *ctl, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "name", required_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 },
	};
	struct mesh_identity id;
	const char *name = NULL;
	char err[512], addr[INET6_ADDRSTRLEN], fp[IDENTITY_FP_LEN];
	int c, rc;

	while ((c = getopt_long(argc, argv, "n:", opts, NULL)) != -1) {
		if (c != 'n') {
			fprintf(stderr, "usage: meshctl init --name NAME\n");
			return EXIT_USAGE;
		}
		name = optarg;
	}
	if (name == NULL || optind != argc) {
		fprintf(stderr, "usage: meshctl init --name NAME\n");
		return EXIT_USAGE;
	}
	rc = identity_create(ctl->conf.state_dir, name, err, sizeof(err));
	if (rc < 0) {
		fprintf(stderr, "meshctl: %s\n", err);
		return rc == -EINVAL ? EXIT_USAGE : EXIT_ERR;
	}
	if (self_certify(ctl->conf.state_dir, err, sizeof(err)) < 0 ||
	    identity_load_public(ctl->conf.state_dir, &id, err, sizeof(err)) < 0) {
		fprintf(stderr, "meshctl: %s\n", err);
		return EXIT_ERR;
	}
	inet_ntop(AF_INET6, id.addr, addr, sizeof(addr));
	identity_fingerprint(id.pk, fp);
	if (ctl->json) {
		json_t *v = json_pack("{s:s, s:s, s:s, s:s}", "name", id.name,
		    "address", addr, "fingerprint", fp,
		    "state_dir", ctl->conf.state_dir);
		print_json(v);
		json_decref(v);
	} else {
		printf("%s\n", addr);
		fprintf(stderr, "meshctl: %s.mesh is a new node of a new network "
		    "(key %s, in %s); restart or reload meshd to answer for it\n",
		    id.name, fp, ctl->conf.state_dir);
	}
	return EXIT_OK;
}
