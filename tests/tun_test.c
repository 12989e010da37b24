/*
 * A tiny driver for agent/tun-linux.c, used by tests/tun.sh (root, in a
 * network namespace of its own):
 *
 *   tun_test NAME ADDR PREFIX MTU [CMD ARG...]
 *
 * creates TUN device NAME, gives it MTU, ADDR/128 and a route for
 * PREFIX/48 (PREFIX written as an IPv6 address, e.g. fd6d:1:2::), then runs
 * CMD while it holds the device (the device goes when the fd closes) and
 * exits with CMD's status.  Failures print tun.h's message and exit 1.
 */
#include "config.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>

#include "agent/tun.h"

int
main(int argc, char **argv)
{
	char err[TUN_ERR_LEN], ifname[TUN_NAME_MAX];
	uint8_t addr[16], prefix[16];
	unsigned long mtu;
	int fd, status;
	pid_t pid;

	if (argc < 5 || inet_pton(AF_INET6, argv[2], addr) != 1 ||
	    inet_pton(AF_INET6, argv[3], prefix) != 1) {
		fprintf(stderr, "usage: tun_test NAME ADDR PREFIX MTU "
		    "[CMD ARG...]\n");
		return 2;
	}
	mtu = strtoul(argv[4], NULL, 10);
	fd = tun_open(argv[1], false, ifname, err);
	if (fd < 0) {
		fprintf(stderr, "tun_test: %s\n", err);
		return 1;
	}
	if (tun_setup(ifname, (unsigned)mtu, addr, prefix, err) < 0) {
		fprintf(stderr, "tun_test: %s\n", err);
		return 1;
	}
	printf("tun_test: %s is up\n", ifname);
	fflush(stdout);
	if (argc == 5)
		return 0;
	pid = fork();
	if (pid < 0)
		return 1;
	if (pid == 0) {
		execvp(argv[5], argv + 5);
		perror(argv[5]);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) < 0)
		return 1;
	tun_close(fd);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}
