/*
 * meshd's event loop: epoll for file descriptors, a sorted list of timers
 * on CLOCK_MONOTONIC, signals through signalfd.  One thread.
 *
 * Why our own and not libevent/libuv: meshd watches a handful of sockets
 * and a few timers; the whole loop is ~200 lines we can read, test and
 * reason about, where a library would add a dependency to every install.
 */
#ifndef MESH_EVENT_H
#define MESH_EVENT_H

#include <stdbool.h>
#include <stdint.h>

struct ev_loop;
struct ev_timer;

enum { EV_READ = 1, EV_WRITE = 2 };

typedef void ev_io_cb(struct ev_loop *loop, int fd, int events, void *data);
typedef void ev_timer_cb(struct ev_loop *loop, struct ev_timer *t, void *data);
typedef void ev_signal_cb(struct ev_loop *loop, int signo, void *data);

struct ev_timer {
	struct ev_timer *next;
	uint64_t when_ms;
	ev_timer_cb *cb;
	void *data;
	bool armed;
};

struct ev_loop *ev_loop_new(void);
void ev_loop_free(struct ev_loop *loop);

/* Watch fd for events (EV_READ|EV_WRITE); 0 or -errno. */
int ev_io_add(struct ev_loop *loop, int fd, int events, ev_io_cb *cb, void *data);
int ev_io_set(struct ev_loop *loop, int fd, int events);
void ev_io_del(struct ev_loop *loop, int fd);

/* (Re)arm t to fire once after ms milliseconds; disarm with ev_timer_stop. */
void ev_timer_start(struct ev_loop *loop, struct ev_timer *t, uint64_t ms,
    ev_timer_cb *cb, void *data);
void ev_timer_stop(struct ev_loop *loop, struct ev_timer *t);

/* Deliver these signals through the loop (they are blocked otherwise). */
int ev_signal_add(struct ev_loop *loop, int signo, ev_signal_cb *cb, void *data);

uint64_t ev_now_ms(void);
/* Run until ev_loop_break; 0, or -errno when epoll itself fails. */
int ev_loop_run(struct ev_loop *loop);
void ev_loop_break(struct ev_loop *loop);

#endif
