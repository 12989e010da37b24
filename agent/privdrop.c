/*
 * Dropping root.  meshd needs root only to create its sockets in a folder
 * such as /run/mesh that root owns; the overlay's UDP port (51830) needs
 * no privilege, and the state directory belongs to the mesh user in the
 * packages.  So, OpenNTPD's way: setgroups, setresgid, setresuid, and make
 * sure that root cannot come back.
 */
#include "config.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include "log.h"
#include "privdrop.h"

int
privdrop(const char *user, bool user_set, const char *state_dir)
{
	struct passwd *pw;
	uid_t uid;
	gid_t gid;

	if (geteuid() != 0)
		return 0;
	if (strcmp(user, "root") == 0) {
		log_info("user = root: staying root");
		return 0;
	}
	errno = 0;
	if ((pw = getpwnam(user)) == NULL) {
		if (!user_set && (errno == 0 || errno == ENOENT)) {
			log_info("no user %s here: staying root (set user = "
			    "NAME in meshd.conf to run as another)", user);
			return 0;
		}
		if (errno != 0 && errno != ENOENT) {
			int e = errno;
			log_warn("cannot look up user %s", user);
			return -e;
		}
		log_warnx("cannot become user %s (meshd.conf): no such user",
		    user);
		return -ENOENT;
	}
	uid = pw->pw_uid;
	gid = pw->pw_gid;
	if (uid == 0) {
		log_info("user %s is uid 0: staying root", user);
		return 0;
	}
	if (setgroups(1, &gid) < 0 || setresgid(gid, gid, gid) < 0 ||
	    setresuid(uid, uid, uid) < 0) {
		int e = errno;
		log_warn("cannot become user %s (uid %lu, gid %lu)", user,
		    (unsigned long)uid, (unsigned long)gid);
		return -e;
	}
	if (setuid(0) == 0 || seteuid(0) == 0) {
		log_warnx("became user %s but could become root again", user);
		return -EPERM;
	}
	/* access() checks the real ids, which are now the user's. */
	if (access(state_dir, W_OK | X_OK) < 0) {
		int e = errno;
		log_warn("state directory %s is not writable by user %s: give "
		    "it to %s (chown -R %s: %s), or set user = root",
		    state_dir, user, user, user, state_dir);
		return -e;
	}
	log_info("dropped root: running as user %s (uid %lu, gid %lu)", user,
	    (unsigned long)uid, (unsigned long)gid);
	return 0;
}
