#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <sodium.h>

#include "agent/invites.h"
#include "records_fixture.h"

#define HOST "203.0.113.10:655"

static struct key ca, member, joiner;
static char dir[64], path[128];

static void
setup(void)
{
	key_new(&ca);
	key_new(&member);
	key_new(&joiner);
	snprintf(dir, sizeof(dir), "/tmp/check_invite.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/%s", dir, INVITE_FILE);
}

static void
teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}

/* What the joiner does with a token: decode it and prove the secret. */
static void
joiner_proof(const char *text, const struct key *k, uint8_t proof[32],
    struct invite_token *t)
{
	ck_assert_int_eq(invite_token_decode(text, t, NULL), 0);
	invite_proof(t->secret, t->net_id, k->pk, proof);
}

START_TEST(happy_path)
{
	struct invite_store *st;
	struct invite_token t;
	struct mesh_cert c;
	uint8_t proof[32], id[MESH_NETID_LEN];
	char text[INVITE_TEXT_MAX];
	int len;

	ck_assert_int_eq(invite_store_open(path, &st), 0);
	len = invite_create(st, "Laptop", HOST, member.pk, ca.pk, NOW, DAY,
	    text, sizeof(text));
	ck_assert_int_gt(len, 0);
	ck_assert_uint_eq(strlen(text), (size_t)len);
	ck_assert(strncmp(text, MESH_INVITE_PREFIX, 6) == 0);
	ck_assert_msg(len < 150, "token is %d characters: %s", len, text);
	joiner_proof(text, &joiner, proof, &t);
	ck_assert_str_eq(t.name, "laptop");
	ck_assert_str_eq(t.host, HOST);
	ck_assert_mem_eq(t.member_pk, member.pk, 32);
	cert_net_id(ca.pk, id);
	ck_assert_mem_eq(t.net_id, id, sizeof(id));
	ck_assert_uint_eq(t.expires, NOW + DAY);

	ck_assert_int_eq(invite_redeem(st, proof, "laptop", joiner.pk, NOW + 60,
	    ca.sk, 30 * DAY, &c), 0);
	ck_assert_int_eq(cert_verify(&c, ca.pk, NOW + 60), VR_OK);
	ck_assert_str_eq(c.name, "laptop");
	ck_assert_mem_eq(c.node_pk, joiner.pk, 32);
	invite_token_wipe(&t);
	invite_store_free(st);
}
END_TEST

START_TEST(reuse_refused)
{
	struct invite_store *st;
	struct invite_token t;
	struct mesh_cert c, first;
	struct key thief;
	uint8_t proof[32], proof2[32];
	char text[INVITE_TEXT_MAX];

	key_new(&thief);
	ck_assert_int_eq(invite_store_open(path, &st), 0);
	ck_assert_int_gt(invite_create(st, "laptop", HOST, member.pk, ca.pk,
	    NOW, DAY, text, sizeof(text)), 0);
	joiner_proof(text, &joiner, proof, &t);
	ck_assert_int_eq(invite_redeem(st, proof, "laptop", joiner.pk, NOW,
	    ca.sk, DAY, &c), 0);
	first = c;
	/* Somebody else with the same token: refused. */
	invite_proof(t.secret, t.net_id, thief.pk, proof2);
	ck_assert_int_eq(invite_redeem(st, proof2, "laptop", thief.pk, NOW,
	    ca.sk, DAY, &c), -EALREADY);
	/* The joiner's proof replayed for another key: no such invite. */
	ck_assert_int_eq(invite_redeem(st, proof, "laptop", thief.pk, NOW,
	    ca.sk, DAY, &c), -EACCES);
	/* The joiner itself again (its answer was lost): the certificate
	 * it got the first time, not a newer one. */
	ck_assert_int_eq(invite_redeem(st, proof, "laptop", joiner.pk, NOW + 5,
	    ca.sk, DAY, &c), 0);
	ck_assert_mem_eq(c.node_pk, joiner.pk, 32);
	ck_assert_mem_eq(&c, &first, sizeof(c));
	invite_store_free(st);

	/* Used stays used across a restart, and keeps its certificate:
	 * even past the invite's expiry. */
	ck_assert_int_eq(invite_store_open(path, &st), 0);
	ck_assert_uint_eq(invite_store_count(st), 1);
	ck_assert_int_eq(invite_redeem(st, proof2, "laptop", thief.pk, NOW,
	    ca.sk, DAY, &c), -EALREADY);
	ck_assert_int_eq(invite_redeem(st, proof, "laptop", joiner.pk,
	    NOW + DAY + 10, ca.sk, DAY, &c), 0);
	ck_assert_mem_eq(&c, &first, sizeof(c));
	invite_token_wipe(&t);
	invite_store_free(st);
}
END_TEST

START_TEST(expired_refused)
{
	struct invite_store *st;
	struct invite_token t;
	struct mesh_cert c;
	uint8_t proof[32];
	char text[INVITE_TEXT_MAX];

	ck_assert_int_eq(invite_store_open(path, &st), 0);
	ck_assert_int_gt(invite_create(st, "laptop", HOST, member.pk, ca.pk,
	    NOW, 3600, text, sizeof(text)), 0);
	joiner_proof(text, &joiner, proof, &t);
	ck_assert_int_eq(invite_redeem(st, proof, "laptop", joiner.pk,
	    NOW + 3600, ca.sk, DAY, &c), -EKEYEXPIRED);
	ck_assert_int_eq(invite_redeem(st, proof, "laptop", joiner.pk,
	    NOW + 3599, ca.sk, DAY, &c), 0);
	invite_token_wipe(&t);
	invite_store_free(st);
}
END_TEST

START_TEST(wrong_secret_refused)
{
	struct invite_store *st;
	struct invite_token t;
	struct mesh_cert c;
	uint8_t proof[32];
	char text[INVITE_TEXT_MAX];

	ck_assert_int_eq(invite_store_open(path, &st), 0);
	ck_assert_int_gt(invite_create(st, "laptop", HOST, member.pk, ca.pk,
	    NOW, DAY, text, sizeof(text)), 0);
	ck_assert_int_eq(invite_token_decode(text, &t, NULL), 0);
	for (size_t i = 0; i < sizeof(t.secret); i++) {
		t.secret[i] ^= 1;
		invite_proof(t.secret, t.net_id, joiner.pk, proof);
		ck_assert_int_eq(invite_redeem(st, proof, "laptop", joiner.pk,
		    NOW, ca.sk, DAY, &c), -EACCES);
		t.secret[i] ^= 1;
	}
	/* A proof of another network (same secret): refused as well. */
	t.net_id[0] ^= 1;
	invite_proof(t.secret, t.net_id, joiner.pk, proof);
	ck_assert_int_eq(invite_redeem(st, proof, "laptop", joiner.pk, NOW,
	    ca.sk, DAY, &c), -EACCES);
	ck_assert_uint_eq(c.serial, 0);	/* nothing issued */
	invite_token_wipe(&t);
	invite_store_free(st);
}
END_TEST

START_TEST(wrong_name_refused)
{
	struct invite_store *st;
	struct invite_token t;
	struct mesh_cert c;
	uint8_t proof[32];
	char text[INVITE_TEXT_MAX];

	ck_assert_int_eq(invite_store_open(path, &st), 0);
	ck_assert_int_gt(invite_create(st, "laptop", HOST, member.pk, ca.pk,
	    NOW, DAY, text, sizeof(text)), 0);
	joiner_proof(text, &joiner, proof, &t);
	ck_assert_int_eq(invite_redeem(st, proof, "server", joiner.pk, NOW,
	    ca.sk, DAY, &c), -EPERM);
	ck_assert_int_eq(invite_redeem(st, proof, "", joiner.pk, NOW,
	    ca.sk, DAY, &c), -EPERM);
	/* Still unused: the right name works after. */
	ck_assert_int_eq(invite_redeem(st, proof, "LAPTOP", joiner.pk, NOW,
	    ca.sk, DAY, &c), 0);
	invite_token_wipe(&t);
	invite_store_free(st);
}
END_TEST

START_TEST(replaced_invite)
{
	struct invite_store *st;
	struct invite_token t1, t2;
	struct mesh_cert c;
	uint8_t p1[32], p2[32];
	char text1[INVITE_TEXT_MAX], text2[INVITE_TEXT_MAX];

	ck_assert_int_eq(invite_store_open(path, &st), 0);
	ck_assert_int_gt(invite_create(st, "laptop", HOST, member.pk, ca.pk,
	    NOW, DAY, text1, sizeof(text1)), 0);
	ck_assert_int_gt(invite_create(st, "laptop", HOST, member.pk, ca.pk,
	    NOW, DAY, text2, sizeof(text2)), 0);
	ck_assert_str_ne(text1, text2);
	ck_assert_uint_eq(invite_store_count(st), 1);
	joiner_proof(text1, &joiner, p1, &t1);
	joiner_proof(text2, &joiner, p2, &t2);
	ck_assert_int_eq(invite_redeem(st, p1, "laptop", joiner.pk, NOW,
	    ca.sk, DAY, &c), -EACCES);
	ck_assert_int_eq(invite_redeem(st, p2, "laptop", joiner.pk, NOW,
	    ca.sk, DAY, &c), 0);
	/* Long after expiry, spent invites are forgotten. */
	ck_assert_int_gt(invite_create(st, "other", HOST, member.pk, ca.pk,
	    NOW + DAY + INVITE_KEEP_USED + 1, DAY, text1, sizeof(text1)), 0);
	ck_assert_uint_eq(invite_store_count(st), 1);
	invite_token_wipe(&t1);
	invite_token_wipe(&t2);
	invite_store_free(st);
}
END_TEST

START_TEST(store_file)
{
	struct invite_store *st;
	struct stat sb;
	char text[INVITE_TEXT_MAX], bad[200];
	FILE *f;

	ck_assert_int_eq(invite_store_open(path, &st), 0);
	ck_assert_int_gt(invite_create(st, "laptop", HOST, member.pk, ca.pk,
	    NOW, DAY, text, sizeof(text)), 0);
	invite_store_free(st);
	ck_assert_int_eq(stat(path, &sb), 0);
	ck_assert_uint_eq(sb.st_mode & 0777, 0600);	/* it holds secrets */
	ck_assert_int_eq(truncate(path, sb.st_size - 1), 0);
	ck_assert_int_eq(invite_store_open(path, &st), -EINVAL);
	ck_assert_ptr_null(st);
	f = fopen(path, "w");
	fputs("garbage", f);
	fclose(f);
	ck_assert_int_eq(invite_store_open(path, &st), -EINVAL);

	/* A store whose file cannot be written issues no token. */
	snprintf(bad, sizeof(bad), "%s/missing/%s", dir, INVITE_FILE);
	ck_assert_int_eq(invite_store_open(bad, &st), 0);
	text[0] = '\0';
	ck_assert_int_eq(invite_create(st, "laptop", HOST, member.pk, ca.pk,
	    NOW, DAY, text, sizeof(text)), -ENOENT);
	ck_assert_str_eq(text, "");
	ck_assert_uint_eq(invite_store_count(st), 0);
	/* Bad arguments. */
	ck_assert_int_eq(invite_create(st, "no_name", HOST, member.pk, ca.pk,
	    NOW, DAY, text, sizeof(text)), -EINVAL);
	ck_assert_int_eq(invite_create(st, "laptop", "has space:1", member.pk,
	    ca.pk, NOW, DAY, text, sizeof(text)), -EINVAL);
	ck_assert_int_eq(invite_create(st, "laptop", "", member.pk,
	    ca.pk, NOW, DAY, text, sizeof(text)), -EINVAL);
	invite_store_free(st);
}
END_TEST

START_TEST(token_roundtrip)
{
	struct invite_token t, d;
	char text[INVITE_TEXT_MAX];
	int len;

	memset(&t, 0, sizeof(t));
	t.expires = 0x0102030405060708ull;
	randombytes_buf(t.net_id, sizeof(t.net_id));
	randombytes_buf(t.member_pk, sizeof(t.member_pk));
	randombytes_buf(t.secret, sizeof(t.secret));
	/* The largest token fits INVITE_TEXT_MAX. */
	memset(t.host, 'h', MESH_INVITE_HOST_MAX);
	memset(t.name, 'n', MESH_LABEL_MAX);
	len = invite_token_encode(&t, text, sizeof(text));
	ck_assert_int_gt(len, 0);
	ck_assert_uint_eq((size_t)len + 1, INVITE_TEXT_MAX);
	ck_assert_int_eq(invite_token_decode(text, &d, NULL), 0);
	ck_assert_int_eq(memcmp(&t, &d, sizeof(t)), 0);
	ck_assert_int_eq(invite_token_encode(&t, text, (size_t)len), -ENOSPC);
	/* The smallest. */
	memset(t.host, 0, sizeof(t.host));
	memset(t.name, 0, sizeof(t.name));
	snprintf(t.host, sizeof(t.host), "h");
	snprintf(t.name, sizeof(t.name), "n");
	len = invite_token_encode(&t, text, sizeof(text));
	ck_assert_int_gt(len, 0);
	ck_assert_int_eq(invite_token_decode(text, &d, NULL), 0);
	ck_assert_int_eq(memcmp(&t, &d, sizeof(t)), 0);
	/* Only base64url characters after the prefix. */
	for (int i = 6; i < len; i++)
		ck_assert(strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstu"
		    "vwxyz0123456789-_", text[i]) != NULL);
	snprintf(t.name, sizeof(t.name), "Upper");
	ck_assert_int_eq(invite_token_encode(&t, text, sizeof(text)), -EINVAL);
}
END_TEST

START_TEST(garbage_tokens)
{
	static const char *bad[] = {
		"", "mesh1", "mesh1-", "mesh2-AAAA", "MESH1-AAAA", "mesh1-!!!!",
		"mesh1-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
		"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
		"mesh1-AAAA=", " mesh1-AAAA",
	};
	struct invite_token t, d;
	char text[INVITE_TEXT_MAX], mod[INVITE_TEXT_MAX + 8];
	const char *why;
	int len;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why = NULL;
		ck_assert_int_eq(invite_token_decode(bad[i], &d, &why), -EINVAL);
		ck_assert_ptr_nonnull(why);
	}
	memset(&t, 0, sizeof(t));
	snprintf(t.host, sizeof(t.host), "example.org:655");
	snprintf(t.name, sizeof(t.name), "laptop");
	t.secret[0] = 7;
	len = invite_token_encode(&t, text, sizeof(text));
	ck_assert_int_gt(len, 0);
	/* Any one character changed, dropped, or added: refused. */
	for (int i = 0; i < len; i++) {
		snprintf(mod, sizeof(mod), "%s", text);
		mod[i] = mod[i] == 'A' ? 'B' : 'A';
		ck_assert_msg(invite_token_decode(mod, &d, &why) == -EINVAL,
		    "changed char %d accepted", i);
		snprintf(mod, sizeof(mod), "%s", text);
		memmove(mod + i, mod + i + 1, (size_t)(len - i));
		ck_assert_msg(invite_token_decode(mod, &d, &why) == -EINVAL,
		    "dropped char %d accepted", i);
	}
	snprintf(mod, sizeof(mod), "%sA", text);
	ck_assert_int_eq(invite_token_decode(mod, &d, &why), -EINVAL);
	snprintf(mod, sizeof(mod), "%s\n", text);
	ck_assert_int_eq(invite_token_decode(mod, &d, &why), -EINVAL);
	/* Random bytes behind the prefix. */
	for (int i = 0; i < 1000; i++) {
		uint8_t rnd[120];
		size_t n = 1 + randombytes_uniform(sizeof(rnd));
		randombytes_buf(rnd, n);
		snprintf(mod, sizeof(mod), "%s", MESH_INVITE_PREFIX);
		sodium_bin2base64(mod + 6, sizeof(mod) - 6, rnd, n,
		    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
		ck_assert_int_eq(invite_token_decode(mod, &d, &why), -EINVAL);
	}
}
END_TEST

/* A version 1 file (no certificates kept) is read: its unused invite
 * still works, its used one still refuses other keys. */
START_TEST(old_file_read)
{
	struct invite_store *st;
	struct mesh_cert c, first;
	struct key other;
	uint8_t b[16 + 2 * 128], sec[2][MESH_INVITE_SECRET_LEN];
	uint8_t net[MESH_NETID_LEN], proof[32];
	FILE *f;

	key_new(&other);
	memset(b, 0, sizeof(b));
	memcpy(b, "MINV", 4);
	b[4] = 1;
	b[8] = 2;
	randombytes_buf(sec, sizeof(sec));
	cert_net_id(ca.pk, net);
	for (int i = 0; i < 2; i++) {
		uint8_t *e = b + 16 + i * 128;
		memcpy(e, i ? "used" : "fresh", i ? 4 : 5);
		memcpy(e + 64, sec[i], MESH_INVITE_SECRET_LEN);
		mesh_put_le64(e + 64 + MESH_INVITE_SECRET_LEN, NOW + DAY);
		if (i) {
			mesh_put_le64(e + 72 + MESH_INVITE_SECRET_LEN, NOW);
			memcpy(e + 80 + MESH_INVITE_SECRET_LEN, other.pk, 32);
		}
	}
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(b, 1, sizeof(b), f), sizeof(b));
	fclose(f);
	ck_assert_int_eq(invite_store_open(path, &st), 0);
	ck_assert_uint_eq(invite_store_count(st), 2);
	invite_proof(sec[0], net, joiner.pk, proof);
	ck_assert_int_eq(invite_redeem(st, proof, "fresh", joiner.pk, NOW,
	    ca.sk, DAY, &c), 0);
	first = c;
	invite_proof(sec[1], net, joiner.pk, proof);
	ck_assert_int_eq(invite_redeem(st, proof, "used", joiner.pk, NOW,
	    ca.sk, DAY, &c), -EALREADY);
	invite_store_free(st);
	/* Written back as version 2, the certificate kept. */
	ck_assert_int_eq(invite_store_open(path, &st), 0);
	invite_proof(sec[0], net, joiner.pk, proof);
	ck_assert_int_eq(invite_redeem(st, proof, "fresh", joiner.pk, NOW + 9,
	    ca.sk, DAY, &c), 0);
	ck_assert_mem_eq(&c, &first, sizeof(c));
	invite_store_free(st);
}
END_TEST

/* meshctl invite and meshd's redeem update the file at once: with the
 * lock, both changes land (without it, each would write back what it
 * read, and one would be lost). */
START_TEST(concurrent_updates)
{
	struct invite_store *st;
	int go[2], status;
	pid_t pid[2];
	char c = 0;

	ck_assert_int_eq(pipe(go), 0);
	for (int i = 0; i < 2; i++) {
		pid[i] = fork();
		ck_assert_int_ge(pid[i], 0);
		if (pid[i] == 0) {
			char text[INVITE_TEXT_MAX];
			int rc;
			close(go[1]);
			if (read(go[0], &c, 1) != 0)
				_exit(3);
			if (invite_store_open(path, &st) != 0)
				_exit(2);
			usleep(100000);		/* read, then think */
			rc = invite_create(st, i ? "two" : "one", HOST,
			    member.pk, ca.pk, NOW, DAY, text, sizeof(text));
			invite_store_free(st);
			_exit(rc > 0 ? 0 : 1);
		}
	}
	close(go[0]);
	close(go[1]);			/* both go */
	for (int i = 0; i < 2; i++) {
		ck_assert_int_eq(waitpid(pid[i], &status, 0), pid[i]);
		ck_assert(WIFEXITED(status));
		ck_assert_int_eq(WEXITSTATUS(status), 0);
	}
	ck_assert_int_eq(invite_store_open(path, &st), 0);
	ck_assert_uint_eq(invite_store_count(st), 2);
	invite_store_free(st);
}
END_TEST

static Suite *
invite_suite(void)
{
	Suite *s = suite_create("invite");
	TCase *tc = tcase_create("invite");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, happy_path);
	tcase_add_test(tc, reuse_refused);
	tcase_add_test(tc, expired_refused);
	tcase_add_test(tc, wrong_secret_refused);
	tcase_add_test(tc, wrong_name_refused);
	tcase_add_test(tc, replaced_invite);
	tcase_add_test(tc, store_file);
	tcase_add_test(tc, token_roundtrip);
	tcase_add_test(tc, garbage_tokens);
	tcase_add_test(tc, old_file_read);
	tcase_add_test(tc, concurrent_updates);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return run_suite(invite_suite());
}
