/* The record set's file and its export to the name store (records.h). */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/atomic.h"
#include "common/name.h"
#include "records.h"

size_t
recset_export(const struct recset *s, struct store_rec *out, size_t max,
    uint32_t ttl, uint64_t now)
{
	size_t n = 0;

	for (size_t i = 0; i < recset_count(s) && n < max; i++) {
		const struct mesh_record *r = recset_at_name(s, i);
		bool stale = recset_stale_at_name(s, i);
		struct store_rec *o;
		int len;

		if (stale && now >= r->expires &&
		    now - r->expires >= RECSET_STALE_MAX)
			continue;	/* kept to find it, no longer answered */
		o = &out[n++];

		memset(o, 0, sizeof(*o));
		/* A label is at most 63 bytes: "label.mesh" always fits. */
		len = snprintf(o->name, sizeof(o->name), "%s.%s",
		    r->cert.name, MESH_SUFFIX);
		o->name_len = (uint16_t)len;
		o->n6 = 1;
		memcpy(o->addr6[0], r->addr, 16);
		/* A stale answer is cached briefly: the member may be back
		 * with a fresh record any moment (RFC 8767 says 30 s). */
		o->ttl = stale && ttl > RECORDS_STALE_TTL ? RECORDS_STALE_TTL : ttl;
		o->source = SRC_PEER;
		o->stale = stale;
	}
	return n;
}

int
recset_save(const struct recset *s, const char *path)
{
	return recset_save_owned(s, path, (uid_t)-1, (gid_t)-1);
}

int
recset_save_owned(const struct recset *s, const char *path, uid_t uid,
    gid_t gid)
{
	uint8_t *buf;
	size_t len;
	int rc;

	if ((rc = recset_serialize(s, &buf, &len)) < 0)
		return rc;
	rc = atomic_write_owned(path, buf, len, 0644, uid, gid);
	free(buf);
	return rc;
}

int
recset_load(struct recset *s, const char *path, uint64_t now,
    struct recset_load_report *rep)
{
	struct stat st;
	uint8_t *buf;
	ssize_t n;
	int rc;

	if (rep != NULL)
		memset(rep, 0, sizeof(*rep));
	if (stat(path, &st) < 0)
		return -errno;
	if ((size_t)st.st_size > recset_file_max(s))
		return -EFBIG;
	/* One byte more than the size, so a file that grew is noticed. */
	if ((buf = malloc((size_t)st.st_size + 1)) == NULL)
		return -ENOMEM;
	n = read_small_file(path, buf, (size_t)st.st_size + 1);
	if (n < 0)
		rc = (int)n;
	else
		rc = recset_parse(s, buf, (size_t)n, now, rep);
	free(buf);
	return rc;
}
