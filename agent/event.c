#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "event.h"

#define EV_MAX_SIGNALS 8

struct ev_io {
	int fd;
	int events;
	ev_io_cb *cb;
	void *data;
};

struct ev_loop {
	int epfd;
	bool stop;
	/* fd-indexed, grown on demand, as redis' ae does. */
	struct ev_io *io;
	int nio;
	/* Timers sorted by deadline; meshd has a handful, so a list will do. */
	struct ev_timer *timers;
	int sigfd;
	sigset_t sigmask;
	struct { int signo; ev_signal_cb *cb; void *data; } sig[EV_MAX_SIGNALS];
	int nsig;
};

uint64_t
ev_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

struct ev_loop *
ev_loop_new(void)
{
	struct ev_loop *loop = calloc(1, sizeof(*loop));

	if (loop == NULL)
		return NULL;
	loop->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (loop->epfd < 0) {
		free(loop);
		return NULL;
	}
	loop->sigfd = -1;
	sigemptyset(&loop->sigmask);
	return loop;
}

void
ev_loop_free(struct ev_loop *loop)
{
	if (loop == NULL)
		return;
	if (loop->sigfd >= 0)
		close(loop->sigfd);
	close(loop->epfd);
	free(loop->io);
	free(loop);
}

static uint32_t
to_epoll(int events)
{
	return ((events & EV_READ) ? EPOLLIN : 0) |
	    ((events & EV_WRITE) ? EPOLLOUT : 0);
}

int
ev_io_add(struct ev_loop *loop, int fd, int events, ev_io_cb *cb, void *data)
{
	struct epoll_event ev = { .events = to_epoll(events), .data.fd = fd };

	if (fd < 0)
		return -EBADF;
	if (fd >= loop->nio) {
		int n = fd < 64 ? 64 : fd * 2;
		struct ev_io *io = realloc(loop->io, (size_t)n * sizeof(*io));
		if (io == NULL)
			return -ENOMEM;
		memset(io + loop->nio, 0, (size_t)(n - loop->nio) * sizeof(*io));
		loop->io = io;
		loop->nio = n;
	}
	if (epoll_ctl(loop->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
		return -errno;
	loop->io[fd] = (struct ev_io){ fd, events, cb, data };
	return 0;
}

int
ev_io_set(struct ev_loop *loop, int fd, int events)
{
	struct epoll_event ev = { .events = to_epoll(events), .data.fd = fd };

	if (fd < 0 || fd >= loop->nio || loop->io[fd].cb == NULL)
		return -EBADF;
	if (epoll_ctl(loop->epfd, EPOLL_CTL_MOD, fd, &ev) < 0)
		return -errno;
	loop->io[fd].events = events;
	return 0;
}

void
ev_io_del(struct ev_loop *loop, int fd)
{
	if (fd < 0 || fd >= loop->nio || loop->io[fd].cb == NULL)
		return;
	epoll_ctl(loop->epfd, EPOLL_CTL_DEL, fd, NULL);
	loop->io[fd].cb = NULL;
	loop->io[fd].events = 0;
}

void
ev_timer_stop(struct ev_loop *loop, struct ev_timer *t)
{
	struct ev_timer **pp;

	if (!t->armed)
		return;
	for (pp = &loop->timers; *pp != NULL; pp = &(*pp)->next)
		if (*pp == t) {
			*pp = t->next;
			break;
		}
	t->armed = false;
	t->next = NULL;
}

void
ev_timer_start(struct ev_loop *loop, struct ev_timer *t, uint64_t ms,
    ev_timer_cb *cb, void *data)
{
	struct ev_timer **pp;

	ev_timer_stop(loop, t);
	t->when_ms = ev_now_ms() + ms;
	t->cb = cb;
	t->data = data;
	for (pp = &loop->timers; *pp != NULL && (*pp)->when_ms <= t->when_ms;
	    pp = &(*pp)->next)
		;
	t->next = *pp;
	*pp = t;
	t->armed = true;
}

static void
signal_ready(struct ev_loop *loop, int fd, int events, void *data)
{
	struct signalfd_siginfo si;

	(void)events;
	(void)data;
	while (read(fd, &si, sizeof(si)) == (ssize_t)sizeof(si))
		for (int i = 0; i < loop->nsig; i++)
			if (loop->sig[i].signo == (int)si.ssi_signo)
				loop->sig[i].cb(loop, (int)si.ssi_signo,
				    loop->sig[i].data);
}

int
ev_signal_add(struct ev_loop *loop, int signo, ev_signal_cb *cb, void *data)
{
	int fd, rc;

	if (loop->nsig == EV_MAX_SIGNALS)
		return -ENOSPC;
	sigaddset(&loop->sigmask, signo);
	if (sigprocmask(SIG_BLOCK, &loop->sigmask, NULL) < 0)
		return -errno;
	fd = signalfd(loop->sigfd, &loop->sigmask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (loop->sigfd < 0) {
		loop->sigfd = fd;
		if ((rc = ev_io_add(loop, fd, EV_READ, signal_ready, NULL)) < 0)
			return rc;
	}
	loop->sig[loop->nsig].signo = signo;
	loop->sig[loop->nsig].cb = cb;
	loop->sig[loop->nsig].data = data;
	loop->nsig++;
	return 0;
}

void
ev_loop_break(struct ev_loop *loop)
{
	loop->stop = true;
}

static void
run_timers(struct ev_loop *loop)
{
	uint64_t now = ev_now_ms();

	while (loop->timers != NULL && loop->timers->when_ms <= now) {
		struct ev_timer *t = loop->timers;
		loop->timers = t->next;
		t->next = NULL;
		t->armed = false;
		t->cb(loop, t, t->data);	/* may re-arm t */
	}
}

int
ev_loop_run(struct ev_loop *loop)
{
	struct epoll_event evs[64];

	loop->stop = false;
	while (!loop->stop) {
		int timeout = -1;
		if (loop->timers != NULL) {
			uint64_t now = ev_now_ms();
			uint64_t when = loop->timers->when_ms;
			timeout = when <= now ? 0 :
			    (when - now > 60000 ? 60000 : (int)(when - now));
		}
		int n = epoll_wait(loop->epfd, evs, 64, timeout);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		for (int i = 0; i < n && !loop->stop; i++) {
			int fd = evs[i].data.fd;
			int got = ((evs[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP))
			    ? EV_READ : 0) | ((evs[i].events & EPOLLOUT) ? EV_WRITE : 0);
			/* An earlier callback in this turn may have removed
			 * or changed this fd: re-check before calling. */
			if (fd >= loop->nio || loop->io[fd].cb == NULL ||
			    (loop->io[fd].events & got) == 0)
				continue;
			loop->io[fd].cb(loop, fd, got & loop->io[fd].events,
			    loop->io[fd].data);
		}
		run_timers(loop);
	}
	return 0;
}
