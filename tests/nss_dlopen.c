/*
 * Load a built libnss_mesh.so.2 with dlopen and call every exported entry
 * point against a running meshd, as glibc would (systemd's test-nss-hosts
 * idea).  Expects the meshd started by tests/dlopen.sh:
 *   self name argv[2] (its address argv[3]), "dual.mesh" = 10.0.0.1 10.0.0.2
 *   fd00::1, "v4only.mesh" = 10.0.0.9.
 */
#include "config.h"

#include <arpa/inet.h>
#include <dlfcn.h>
#include <errno.h>
#include <netdb.h>
#include <nss.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "minitest.h"

typedef enum nss_status gh4_fn(const char *, struct gaih_addrtuple **, char *,
    size_t, int *, int *, int32_t *);
typedef enum nss_status gh3_fn(const char *, int, struct hostent *, char *,
    size_t, int *, int *, int32_t *, char **);
typedef enum nss_status gh2_fn(const char *, int, struct hostent *, char *,
    size_t, int *, int *);
typedef enum nss_status gh1_fn(const char *, struct hostent *, char *, size_t,
    int *, int *);
typedef enum nss_status ga2_fn(const void *, socklen_t, int, struct hostent *,
    char *, size_t, int *, int *, int32_t *);
typedef enum nss_status ga1_fn(const void *, socklen_t, int, struct hostent *,
    char *, size_t, int *, int *);



/* st = CALL, asked again (3 times in all, at most) while it gets no
 * answer in the module's time (TRYAGAIN without ERANGE, which would mean
 * "a bigger buffer"): on a loaded 2-core machine under ASan the agent
 * may miss the 250 ms budget now and then, and a caller that gets
 * TRYAGAIN asks again.  An answer that is wrong is never asked again. */
#define ASK(call) do {							\
	int tries_ = 0;							\
	do								\
		st = (call);						\
	while (st == NSS_STATUS_TRYAGAIN && err != ERANGE &&		\
	    ++tries_ < 3 && (fprintf(stderr, "# no answer in time, "	\
	    "asked again: %s\n", #call), 1));				\
} while (0)

static void *
sym(void *h, const char *name)
{
	void *p = dlsym(h, name);

	if (p == NULL) {
		fprintf(stderr, "FAIL: %s not exported: %s\n", name, dlerror());
		exit(1);
	}
	return p;
}

static int
count_list(char **l)
{
	int n = 0;

	while (l && l[n])
		n++;
	return n;
}

int
main(int argc, char **argv)
{
	char buf[4096], *canon = NULL;
	struct gaih_addrtuple *pat;
	struct hostent he;
	int err, herr, n4 = 0, n6 = 0;
	int32_t ttl;
	uint8_t self[16], a6[16];
	enum nss_status st;
	void *h;

	if (argc != 4) {
		fprintf(stderr, "usage: nss_dlopen MODULE SELFNAME SELFADDR\n");
		return 2;
	}
	if ((h = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL)) == NULL) {
		fprintf(stderr, "FAIL: dlopen %s: %s\n", argv[1], dlerror());
		return 1;
	}
	inet_pton(AF_INET6, argv[3], self);
	gh4_fn *gh4 = (gh4_fn *)sym(h, "_nss_mesh_gethostbyname4_r");
	gh3_fn *gh3 = (gh3_fn *)sym(h, "_nss_mesh_gethostbyname3_r");
	gh2_fn *gh2 = (gh2_fn *)sym(h, "_nss_mesh_gethostbyname2_r");
	gh1_fn *gh1 = (gh1_fn *)sym(h, "_nss_mesh_gethostbyname_r");
	ga2_fn *ga2 = (ga2_fn *)sym(h, "_nss_mesh_gethostbyaddr2_r");
	ga1_fn *ga1 = (ga1_fn *)sym(h, "_nss_mesh_gethostbyaddr_r");
	/* Nothing else may be exported. */
	CHECK(dlsym(h, "mesh_query") == NULL, "mesh_query is exported");
	CHECK(dlsym(h, "mesh_fill_gaih") == NULL, "mesh_fill_gaih is exported");
	CHECK(dlsym(h, "mesh_name_is_mesh") == NULL, "mesh_name_is_mesh is exported");

	/* gethostbyname4_r: both families in one answer. */
	pat = NULL;
	ASK(gh4("dual.MESH.", &pat, buf, sizeof(buf), &err, &herr, &ttl));
	CHECK(st == NSS_STATUS_SUCCESS, "gh4 dual: status %d", st);
	for (struct gaih_addrtuple *t = pat; st == NSS_STATUS_SUCCESS && t; t = t->next) {
		CHECK(strcmp(t->name, "dual.mesh") == 0, "gh4 name %s", t->name);
		if (t->family == AF_INET)
			n4++;
		else if (t->family == AF_INET6)
			n6++;
	}
	CHECK(n4 == 2 && n6 == 1, "gh4 dual: %d v4, %d v6", n4, n6);
	CHECK(ttl > 0, "gh4 ttl %d", ttl);
	/* NULL ttlp is allowed. */
	pat = NULL;
	ASK(gh4(argv[2], &pat, buf, sizeof(buf), &err, &herr, NULL));
	CHECK(st == NSS_STATUS_SUCCESS && pat && pat->family == AF_INET6 &&
	    memcmp(pat->addr, self, 16) == 0, "gh4 self");
	/* nscd presets *pat: the first tuple is filled in place. */
	struct gaih_addrtuple preset = { 0 }, *pp = &preset;
	ASK(gh4("v4only.mesh", &pp, buf, sizeof(buf), &err, &herr, NULL));
	CHECK(st == NSS_STATUS_SUCCESS && pp == &preset &&
	    preset.family == AF_INET, "gh4 nscd preset");

	/* Not found, not ours, short buffer. */
	ASK(gh4("nobody.mesh", &pat, buf, sizeof(buf), &err, &herr, NULL));
	CHECK(st == NSS_STATUS_NOTFOUND && herr == HOST_NOT_FOUND,
	    "gh4 nobody: %d/%d", st, herr);
	ASK(gh4("example.com", &pat, buf, sizeof(buf), &err, &herr, NULL));
	CHECK(st == NSS_STATUS_UNAVAIL, "gh4 example.com: %d", st);
	ASK(gh4("dual.mesh", &pat, buf, 16, &err, &herr, NULL));
	CHECK(st == NSS_STATUS_TRYAGAIN && err == ERANGE &&
	    herr == NETDB_INTERNAL, "gh4 short buffer: %d/%d/%d", st, err, herr);

	/* gethostbyname3_r with canon and ttl; NO_DATA for a missing family. */
	ASK(gh3("dual.mesh", AF_INET, &he, buf, sizeof(buf), &err, &herr,
	    &ttl, &canon));
	CHECK(st == NSS_STATUS_SUCCESS && he.h_addrtype == AF_INET &&
	    he.h_length == 4 && count_list(he.h_addr_list) == 2 &&
	    canon && strcmp(canon, "dual.mesh") == 0, "gh3 dual v4");
	ASK(gh3("v4only.mesh", AF_INET6, &he, buf, sizeof(buf), &err, &herr,
	    NULL, NULL));
	CHECK(st == NSS_STATUS_NOTFOUND && herr == NO_DATA, "gh3 NO_DATA: %d/%d",
	    st, herr);
	ASK(gh2("dual.mesh", AF_INET6, &he, buf, sizeof(buf), &err, &herr));
	CHECK(st == NSS_STATUS_SUCCESS && he.h_length == 16 &&
	    count_list(he.h_addr_list) == 1, "gh2 dual v6");
	ASK(gh1("v4only.mesh", &he, buf, sizeof(buf), &err, &herr));
	CHECK(st == NSS_STATUS_SUCCESS && he.h_addrtype == AF_INET &&
	    strcmp(he.h_name, "v4only.mesh") == 0, "gh1 v4only");
	ASK(gh1("www.example.com", &he, buf, sizeof(buf), &err, &herr));
	CHECK(st == NSS_STATUS_UNAVAIL, "gh1 non-mesh: %d", st);

	/* Reverse lookups. */
	ASK(ga2(self, 16, AF_INET6, &he, buf, sizeof(buf), &err, &herr, &ttl));
	CHECK(st == NSS_STATUS_SUCCESS && strcmp(he.h_name, argv[2]) == 0 &&
	    count_list(he.h_aliases) == 0 && count_list(he.h_addr_list) == 1 &&
	    memcmp(he.h_addr_list[0], self, 16) == 0, "ga2 self");
	ASK(ga1(self, 16, AF_INET6, &he, buf, 8, &err, &herr));
	CHECK(st == NSS_STATUS_TRYAGAIN && err == ERANGE, "ga1 short buffer");
	memcpy(a6, self, 16);
	a6[15] ^= 1;	/* same /48, nobody holds it */
	ASK(ga1(a6, 16, AF_INET6, &he, buf, sizeof(buf), &err, &herr));
	CHECK(st == NSS_STATUS_NOTFOUND, "ga1 unknown in prefix: %d", st);
	inet_pton(AF_INET6, "2001:db8::1", a6);
	ASK(ga1(a6, 16, AF_INET6, &he, buf, sizeof(buf), &err, &herr));
	CHECK(st == NSS_STATUS_UNAVAIL, "ga1 non-mesh v6: %d", st);
	inet_pton(AF_INET, "10.0.0.1", a6);
	ASK(ga1(a6, 4, AF_INET, &he, buf, sizeof(buf), &err, &herr));
	CHECK(st == NSS_STATUS_UNAVAIL, "ga1 v4 is never ours: %d", st);

	dlclose(h);
	return checks_done();
}
