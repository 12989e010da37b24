/*
 * common/atomic.c: what root's meshctl writes in a state directory that
 * another user (mesh) owns.  That user can plant a symlink or a hard link
 * at the target or at the temporary's name; nothing planted may be
 * followed, and the owner must be set on the file written, never by path.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/atomic.h"

/* An unprivileged uid:gid to hand files to (nobody:nogroup on Debian). */
#define TEST_UID	65534
#define TEST_GID	65534

static char dir[64];
static char victim[128];	/* outside dir: what an attacker aims at */
static char vdir[64];

static void
setup(void)
{
	int fd;

	snprintf(dir, sizeof(dir), "/tmp/check_atomic.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(vdir, sizeof(vdir), "/tmp/check_atomic_v.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(vdir));
	snprintf(victim, sizeof(victim), "%s/victim", vdir);
	fd = open(victim, O_WRONLY | O_CREAT | O_EXCL, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "orig", 4), 4);
	close(fd);
}

static void
teardown(void)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s' '%s'", dir, vdir);
	ck_assert_int_eq(system(cmd), 0);
}

/* The victim is as setup() left it: content, owner, mode. */
static void
victim_untouched(void)
{
	struct stat st;
	char buf[8];

	ck_assert_int_eq(read_small_file(victim, buf, sizeof(buf)), 4);
	ck_assert_mem_eq(buf, "orig", 4);
	ck_assert_int_eq(lstat(victim, &st), 0);
	ck_assert_uint_eq(st.st_uid, geteuid());
	ck_assert_uint_eq(st.st_gid, getegid());
	ck_assert_uint_eq(st.st_mode & 07777, 0600);
	ck_assert_uint_eq(st.st_nlink, 1);
}

/* path is a regular file (not a link) holding "new", mode mode. */
static void
written(const char *path, mode_t mode, struct stat *st)
{
	char buf[8];

	ck_assert_int_eq(lstat(path, st), 0);
	ck_assert_msg(S_ISREG(st->st_mode), "%s is not a regular file", path);
	ck_assert_uint_eq(st->st_nlink, 1);
	ck_assert_uint_eq(st->st_mode & 07777, mode);
	ck_assert_int_eq(read_small_file(path, buf, sizeof(buf)), 3);
	ck_assert_mem_eq(buf, "new", 3);
}

static void
owner_is(const struct stat *st, const char *what)
{
	if (geteuid() != 0) {
		fprintf(stderr, "check_atomic: %s: not root, so the owner "
		    "cannot be handed to %d: that assertion is skipped\n",
		    what, TEST_UID);
		return;
	}
	ck_assert_uint_eq(st->st_uid, TEST_UID);
	ck_assert_uint_eq(st->st_gid, TEST_GID);
}

/* As root uid:gid is TEST_*; otherwise our own (fchown to oneself works). */
static uid_t
test_uid(void)
{
	return geteuid() == 0 ? TEST_UID : geteuid();
}

static gid_t
test_gid(void)
{
	return geteuid() == 0 ? TEST_GID : getegid();
}

START_TEST(symlink_at_target_replaced)
{
	char path[128];
	struct stat st;

	snprintf(path, sizeof(path), "%s/invites", dir);
	ck_assert_int_eq(symlink(victim, path), 0);
	ck_assert_int_eq(atomic_write_owned(path, "new", 3, 0600, test_uid(),
	    test_gid()), 0);
	written(path, 0600, &st);
	owner_is(&st, "symlink at the target");
	victim_untouched();
}
END_TEST

START_TEST(symlink_at_tmp_not_followed)
{
	char path[128], tmp[192];
	struct stat st;

	snprintf(path, sizeof(path), "%s/node.key", dir);
	snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid());
	ck_assert_int_eq(symlink(victim, tmp), 0);
	ck_assert_int_eq(atomic_write_owned(path, "new", 3, 0644, test_uid(),
	    test_gid()), 0);
	written(path, 0644, &st);
	owner_is(&st, "symlink at the temporary");
	ck_assert_int_eq(lstat(tmp, &st), -1);
	ck_assert_int_eq(errno, ENOENT);
	victim_untouched();
}
END_TEST

/* A hard link to the victim at the temporary's name: O_TRUNC on it would
 * overwrite the victim, and fchown would hand it over. */
START_TEST(hardlink_at_tmp_not_reused)
{
	char path[128], tmp[192];
	struct stat st;

	snprintf(path, sizeof(path), "%s/records", dir);
	snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid());
	ck_assert_int_eq(link(victim, tmp), 0);
	ck_assert_int_eq(atomic_write_owned(path, "new", 3, 0644, test_uid(),
	    test_gid()), 0);
	written(path, 0644, &st);
	owner_is(&st, "hard link at the temporary");
	victim_untouched();
}
END_TEST

/* Replacing a file we hand over: the new one is owned too (the rename
 * brings the inode we fchown'd), and -1 leaves the creator's owner. */
START_TEST(owner_on_replace_and_default)
{
	char path[128];
	struct stat st;

	snprintf(path, sizeof(path), "%s/peers", dir);
	ck_assert_int_eq(atomic_write(path, "old", 3, 0644), 0);
	ck_assert_int_eq(lstat(path, &st), 0);
	ck_assert_uint_eq(st.st_uid, geteuid());
	ck_assert_int_eq(atomic_write_owned(path, "new", 3, 0644, test_uid(),
	    test_gid()), 0);
	written(path, 0644, &st);
	owner_is(&st, "replacing a file");
	ck_assert_int_eq(atomic_write_owned(path, "new", 3, 0600, (uid_t)-1,
	    (gid_t)-1), 0);
	written(path, 0600, &st);
	ck_assert_uint_eq(st.st_uid, geteuid());
}
END_TEST

START_TEST(owner_like_dir)
{
	uid_t uid;
	gid_t gid;

	ck_assert_int_eq(atomic_owner_like_dir(dir, &uid, &gid), 0);
	if (geteuid() != 0) {
		ck_assert_uint_eq(uid, (uid_t)-1);
		ck_assert_uint_eq(gid, (gid_t)-1);
		return;
	}
	ck_assert_uint_eq(uid, 0);
	ck_assert_int_eq(chown(dir, TEST_UID, TEST_GID), 0);
	ck_assert_int_eq(atomic_owner_like_dir(dir, &uid, &gid), 0);
	ck_assert_uint_eq(uid, TEST_UID);
	ck_assert_uint_eq(gid, TEST_GID);
	ck_assert_int_eq(atomic_owner_like_dir("/nonexistent/x", &uid, &gid),
	    -ENOENT);
}
END_TEST

static Suite *
atomic_suite(void)
{
	Suite *s = suite_create("atomic");
	TCase *tc = tcase_create("owned");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, symlink_at_target_replaced);
	tcase_add_test(tc, symlink_at_tmp_not_followed);
	tcase_add_test(tc, hardlink_at_tmp_not_reused);
	tcase_add_test(tc, owner_on_replace_and_default);
	tcase_add_test(tc, owner_like_dir);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(atomic_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
