/*
 * A kernel that refuses the TUN's offloads, for tests/overlay-plain.sh:
 * preloaded into meshd, this ioctl() fails TUNSETOFFLOAD with EINVAL (as
 * a kernel without TSO for TUN would) and passes everything else on.
 * meshd must then say so and run in plain mode.
 */
#define _GNU_SOURCE 1
#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <sys/ioctl.h>
#include <linux/if_tun.h>

/* Exported in spite of -fvisibility=hidden: it must interpose. */
__attribute__((visibility("default"))) int
ioctl(int fd, unsigned long req, ...)
{
	static int (*real)(int, unsigned long, void *);
	va_list ap;
	void *arg;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (req == TUNSETOFFLOAD) {
		errno = EINVAL;
		return -1;
	}
	if (real == NULL &&
	    (real = (int (*)(int, unsigned long, void *))dlsym(RTLD_NEXT,
	    "ioctl")) == NULL) {
		errno = ENOSYS;
		return -1;
	}
	return real(fd, req, arg);
}
