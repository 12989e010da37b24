/* sd_notify(3) by hand: one datagram to $NOTIFY_SOCKET, so that the
 * systemd unit can be Type=notify without linking libsystemd. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "agent.h"

void
notify_systemd(const char *state)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	const char *path = getenv("NOTIFY_SOCKET");
	socklen_t len;
	size_t pl;
	int fd;

	if (path == NULL || (path[0] != '/' && path[0] != '@'))
		return;
	pl = strlen(path);
	if (pl >= sizeof(sa.sun_path))
		return;
	memcpy(sa.sun_path, path, pl);
	if (sa.sun_path[0] == '@')
		sa.sun_path[0] = '\0';	/* abstract namespace */
	len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + pl);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	sendto(fd, state, strlen(state), MSG_NOSIGNAL, (struct sockaddr *)&sa, len);
	close(fd);
}
