/*
 * meshctl revoke NAME: on the node holding network.key, withdraw every
 * certificate of NAME's key.  The signed revocation is appended to the
 * state directory's `revocations` file; meshd notices the file change
 * within a second, keeps the revocation (dropping NAME's record) and
 * spreads it to every member.  NAME's key is found in the record set.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <sodium.h>

#include "meshctl/meshctl.h"
#include "agent/keys.h"
#include "agent/records.h"
#include "agent/state.h"
#include "overlay/cert.h"
#include "overlay/recset.h"
#include "common/atomic.h"

int
cmd_revoke(struct ctl *ctl, int argc, char **argv)
{
	struct mesh_revocation rv;
	struct mesh_rev_wire w;
	struct mesh_identity id;
	const struct mesh_record *r;
	struct recset *rs = NULL;
	unsigned char *ca_sk = NULL;
	uint8_t buf[STATE_REVOCATIONS_MAX * sizeof(struct mesh_rev_wire)];
	char err[512], path[4096];
	uint64_t now = (uint64_t)time(NULL);
	ssize_t n;
	int rc, ret = EXIT_ERR;

	if (argc != 2) {
		fprintf(stderr, "usage: meshctl revoke NAME\n");
		return EXIT_USAGE;
	}
	if (identity_load_public(ctl->conf.state_dir, &id, err, sizeof(err)) < 0 ||
	    identity_load_ca_secret(ctl->conf.state_dir, &ca_sk, err,
	    sizeof(err)) < 0) {
		fprintf(stderr, "meshctl: %s (revocations are made on the node "
		    "that holds the network key)\n", err);
		return EXIT_ERR;
	}
	if ((rs = recset_new(id.ca_pk, 0)) == NULL ||
	    state_path(path, sizeof(path), ctl->conf.state_dir, RECSET_FILE) < 0)
		goto out;
	recset_load(rs, path, now, NULL);
	if ((r = recset_by_name(rs, argv[1])) == NULL) {
		fprintf(stderr, "meshctl: no member named '%s' in %s\n", argv[1],
		    path);
		goto out;
	}
	if (memcmp(r->cert.node_pk, id.pk, MESH_KEY_LEN) == 0) {
		fprintf(stderr, "meshctl: '%s' is this node\n", argv[1]);
		goto out;
	}
	rev_make(&rv, ca_sk, id.ca_pk, MESH_REV_KEY, 0, r->cert.node_pk, now,
	    UINT64_MAX);
	rev_encode(&rv, &w);
	if (state_path(path, sizeof(path), ctl->conf.state_dir,
	    STATE_REVOCATIONS_FILE) < 0)
		goto out;
	n = read_small_file(path, buf, sizeof(buf) - sizeof(w));
	if (n == -ENOENT)
		n = 0;
	if (n < 0) {
		fprintf(stderr, "meshctl: %s: %s\n", path, strerror((int)-n));
		goto out;
	}
	n -= n % (ssize_t)sizeof(w);
	memcpy(buf + n, &w, sizeof(w));
	if ((rc = state_write_owned(ctl->conf.state_dir, STATE_REVOCATIONS_FILE,
	    buf, (size_t)n + sizeof(w), 0644)) < 0) {
		fprintf(stderr, "meshctl: cannot write %s: %s\n", path,
		    strerror(-rc));
		goto out;
	}
	printf("revoked %s.mesh; meshd spreads it to every member\n",
	    r->cert.name);
	ret = EXIT_OK;
out:
	sodium_free(ca_sk);
	recset_free(rs);
	return ret;
}
