/*
 * Laying answers into the caller's buffer, nss-mdns style: a bump allocator
 * over [buf, buf + buflen).  Every region is reserved before anything is
 * written, so a short buffer fails with -ERANGE having written nothing, and
 * glibc retries with a bigger one.
 */
#include "config.h"

#include <assert.h>
#include <errno.h>
#include <stdalign.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include "nss-mesh.h"

struct bump {
	uintptr_t next;
	uintptr_t end;
};

static void *
bump_take(struct bump *b, size_t size, size_t align)
{
	uintptr_t p = (b->next + (align - 1)) & ~(uintptr_t)(align - 1);

	if (p < b->next || p > b->end || b->end - p < size)
		return NULL;
	b->next = p + size;
	return (void *)p;
}

int
mesh_fill_hostent(const char *name, size_t name_len, int af,
    const void *addrs, size_t naddr, struct hostent *h,
    char *buf, size_t buflen)
{
	struct bump b = { (uintptr_t)buf, (uintptr_t)buf + buflen };
	size_t alen = af == AF_INET ? 4 : 16;
	char **aliases, **list, *hname;
	unsigned char *data;

	if (naddr == 0)
		return -ENODATA;
	aliases = bump_take(&b, sizeof(char *), alignof(char *));
	list = bump_take(&b, (naddr + 1) * sizeof(char *), alignof(char *));
	data = bump_take(&b, naddr * alen, alignof(uint32_t));
	hname = bump_take(&b, name_len + 1, 1);
	if (aliases == NULL || list == NULL || data == NULL || hname == NULL)
		return -ERANGE;

	memcpy(data, addrs, naddr * alen);
	for (size_t i = 0; i < naddr; i++)
		list[i] = (char *)data + i * alen;
	list[naddr] = NULL;
	aliases[0] = NULL;
	memcpy(hname, name, name_len);
	hname[name_len] = '\0';

	h->h_name = hname;
	h->h_aliases = aliases;
	h->h_addrtype = af;
	h->h_length = (int)alen;
	h->h_addr_list = list;
	return 0;
}

int
mesh_fill_gaih(const struct mesh_resp *r, struct gaih_addrtuple **pat,
    char *buf, size_t buflen)
{
	struct bump b = { (uintptr_t)buf, (uintptr_t)buf + buflen };
	size_t n = (size_t)r->n6 + r->n4;
	struct gaih_addrtuple *t;
	char *name;

	if (n == 0)
		return -ENODATA;
	t = bump_take(&b, n * sizeof(*t), alignof(struct gaih_addrtuple));
	name = bump_take(&b, (size_t)r->name_len + 1, 1);
	if (t == NULL || name == NULL)
		return -ERANGE;

	memcpy(name, r->name, r->name_len);
	name[r->name_len] = '\0';
	memset(t, 0, n * sizeof(*t));
	/* The overlay addresses first: they are the ones that follow a
	 * machine wherever it goes.  glibc sorts by RFC 6724 afterwards. */
	for (size_t i = 0; i < n; i++) {
		t[i].next = i + 1 < n ? &t[i + 1] : NULL;
		t[i].name = name;
		if (i < r->n6) {
			t[i].family = AF_INET6;
			memcpy(t[i].addr, r->addr6[i], 16);
		} else {
			t[i].family = AF_INET;
			memcpy(t[i].addr, r->addr4[i - r->n6], 4);
		}
	}
	/* nscd hands us a tuple of its own in *pat: fill that one in place. */
	if (*pat != NULL)
		**pat = t[0];
	else
		*pat = &t[0];
	return 0;
}
