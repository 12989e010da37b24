/*
 * This node's own endpoints for its record: the address `listen` names,
 * when it names one; otherwise every address of every interface that is up
 * (not loopback, not IPv6 link-local, which needs a scope, not our own
 * overlay prefix), with the listen port.
 */
#include "config.h"

#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <string.h>

#include "overlay.h"

static bool
usable(const struct ifaddrs *ifa, const struct udp *u,
    const uint8_t prefix[static MESH_PREFIX_LEN])
{
	const struct sockaddr *sa = ifa->ifa_addr;

	if (sa == NULL || (ifa->ifa_flags & IFF_UP) == 0 ||
	    (ifa->ifa_flags & IFF_LOOPBACK) != 0)
		return false;
	if (sa->sa_family == AF_INET)
		return true;
	if (sa->sa_family != AF_INET6 || u->family == AF_INET)
		return false;
	const struct in6_addr *a = &((const struct sockaddr_in6 *)sa)->sin6_addr;
	return !IN6_IS_ADDR_LINKLOCAL(a) &&
	    memcmp(a->s6_addr, prefix, MESH_PREFIX_LEN) != 0;
}

size_t
endpoints_local(const struct udp *u, const uint8_t prefix[static MESH_PREFIX_LEN],
    struct mesh_endpoint *ep, size_t max)
{
	struct ifaddrs *ifs = NULL;
	size_t n = 0;

	if (u->bound_one) {
		if (max > 0)
			ep[n++] = u->bound;
		return n;
	}
	if (getifaddrs(&ifs) < 0)
		return 0;
	for (struct ifaddrs *i = ifs; i != NULL && n < max; i = i->ifa_next) {
		struct sockaddr_storage ss;
		struct mesh_endpoint e;
		bool dup = false;

		if (!usable(i, u, prefix))
			continue;
		memset(&ss, 0, sizeof(ss));
		memcpy(&ss, i->ifa_addr, i->ifa_addr->sa_family == AF_INET ?
		    sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6));
		((struct sockaddr_in *)&ss)->sin_port = htons(u->port);
		if (!udp_sa_to_ep(&ss, &e))
			continue;
		for (size_t k = 0; k < n; k++)
			dup |= memcmp(&ep[k], &e, sizeof(e)) == 0;
		if (!dup)
			ep[n++] = e;
	}
	freeifaddrs(ifs);
	return n;
}
