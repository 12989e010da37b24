/*
 * meshctl invite NAME [--ttl SECONDS] [--endpoint HOST:PORT]...
 * On a node that holds network.key: remember an invite in the invites
 * file and print its token.  The token carries one endpoint (the first
 * given, or this node's first non-loopback address with the listen port).
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sodium.h>

#include "meshctl/meshctl.h"
#include "agent/invites.h"
#include "agent/keys.h"
#include "agent/state.h"
#include "common/atomic.h"

static void
usage(void)
{
	fprintf(stderr, "usage: meshctl invite NAME [--ttl SECONDS] "
	    "[--endpoint HOST:PORT]...\n");
}

/* This node's first usable address, IPv4 first, with port. */
static int
default_endpoint(const struct ctl *ctl, char *out, size_t len)
{
	char host[CONF_HOSTPORT_MAX], a[INET6_ADDRSTRLEN];
	struct ifaddrs *ifs, *best = NULL;
	uint16_t port;

	if (!conf_hostport_split(ctl->conf.listen, host, sizeof(host), &port) ||
	    getifaddrs(&ifs) < 0)
		return -EINVAL;
	for (struct ifaddrs *i = ifs; i != NULL; i = i->ifa_next) {
		if (i->ifa_addr == NULL || (i->ifa_flags & IFF_UP) == 0 ||
		    (i->ifa_flags & IFF_LOOPBACK) != 0)
			continue;
		if (i->ifa_addr->sa_family == AF_INET) {
			best = i;
			break;
		}
		if (i->ifa_addr->sa_family == AF_INET6 && best == NULL &&
		    !IN6_IS_ADDR_LINKLOCAL(&((struct sockaddr_in6 *)
		    i->ifa_addr)->sin6_addr) && strchr(host, '.') == NULL)
			best = i;
	}
	if (best == NULL) {
		freeifaddrs(ifs);
		return -ENOENT;
	}
	if (best->ifa_addr->sa_family == AF_INET) {
		inet_ntop(AF_INET, &((struct sockaddr_in *)best->ifa_addr)->sin_addr,
		    a, sizeof(a));
		snprintf(out, len, "%s:%u", a, port);
	} else {
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)best->ifa_addr)->sin6_addr,
		    a, sizeof(a));
		snprintf(out, len, "[%s]:%u", a, port);
	}
	freeifaddrs(ifs);
	return 0;
}

int
cmd_invite(struct ctl *ctl, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "ttl", required_argument, NULL, 't' },
		{ "endpoint", required_argument, NULL, 'e' },
		{ NULL, 0, NULL, 0 },
	};
	struct mesh_identity id;
	struct invite_store *st = NULL;
	unsigned char *ca_sk = NULL;
	char err[512], endpoint[CONF_HOSTPORT_MAX] = "", path[4096];
	char host[CONF_HOSTPORT_MAX], token[INVITE_TEXT_MAX];
	unsigned long ttl = INVITE_LIFETIME_DEFAULT;
	uint16_t port;
	char *ep;
	uid_t uid;
	gid_t gid;
	int c, rc;

	/* optind 0 makes glibc start over, so NAME may come first. */
	optind = 0;
	while ((c = getopt_long(argc, argv, "t:e:", opts, NULL)) != -1) {
		switch (c) {
		case 't':
			errno = 0;
			ttl = strtoul(optarg, &ep, 10);
			if (errno != 0 || *ep != '\0' || ttl == 0 ||
			    ttl > 365UL * 86400) {
				fprintf(stderr, "meshctl: --ttl takes seconds, "
				    "1 to 31536000\n");
				return EXIT_USAGE;
			}
			break;
		case 'e':
			if (!conf_hostport_split(optarg, host, sizeof(host), &port) ||
			    strlen(optarg) > MESH_INVITE_HOST_MAX) {
				fprintf(stderr, "meshctl: --endpoint takes HOST:PORT "
				    "or [ADDRESS]:PORT, at most %d characters\n",
				    MESH_INVITE_HOST_MAX);
				return EXIT_USAGE;
			}
			/* The token holds one; the first one given wins. */
			if (endpoint[0] == '\0')
				snprintf(endpoint, sizeof(endpoint), "%s", optarg);
			break;
		default:
			usage();
			return EXIT_USAGE;
		}
	}
	if (optind + 1 != argc) {
		usage();
		return EXIT_USAGE;
	}
	if (identity_load_public(ctl->conf.state_dir, &id, err, sizeof(err)) < 0 ||
	    identity_load_ca_secret(ctl->conf.state_dir, &ca_sk, err,
	    sizeof(err)) < 0) {
		fprintf(stderr, "meshctl: %s (invites are made on the node "
		    "that holds the network key)\n", err);
		return EXIT_ERR;
	}
	sodium_free(ca_sk);
	if (endpoint[0] == '\0' && default_endpoint(ctl, endpoint,
	    sizeof(endpoint)) < 0) {
		fprintf(stderr, "meshctl: this machine has no address to put in "
		    "the token: give --endpoint HOST:PORT\n");
		return EXIT_ERR;
	}
	/* As root, the file gets the state directory's owner (meshd, as
	 * mesh, rewrites it when a token is redeemed). */
	if ((rc = atomic_owner_like_dir(ctl->conf.state_dir, &uid, &gid)) < 0) {
		uid = (uid_t)-1;
		gid = (gid_t)-1;
	}
	if (state_path(path, sizeof(path), ctl->conf.state_dir, INVITE_FILE) < 0 ||
	    invite_store_open_owned(path, uid, gid, &st) < 0) {
		fprintf(stderr, "meshctl: %s: cannot read the invites\n", path);
		return EXIT_ERR;
	}
	if (rc == 0)
		rc = invite_create(st, argv[optind], endpoint, id.pk, id.ca_pk,
		    (uint64_t)time(NULL), ttl, token, sizeof(token));
	invite_store_free(st);
	if (rc < 0) {
		fprintf(stderr, "meshctl: cannot make an invite for '%s': %s\n",
		    argv[optind], rc == -EINVAL ? "not a valid name" :
		    strerror(-rc));
		return rc == -EINVAL ? EXIT_USAGE : EXIT_ERR;
	}
	printf("%s\n", token);
	sodium_memzero(token, sizeof(token));
	return EXIT_OK;
}
