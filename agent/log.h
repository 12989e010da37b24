/* Logging for meshd and meshctl, after OpenNTPD's log.h. */
#ifndef MESH_LOG_H
#define MESH_LOG_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>

enum log_level { LOG_LVL_ERROR = 0, LOG_LVL_WARN, LOG_LVL_INFO, LOG_LVL_DEBUG };

/* Tag lines with name; to_syslog sends them to syslog instead of stderr. */
void log_init(const char *name, enum log_level level, int to_syslog);
void log_setlevel(enum log_level level);
enum log_level log_getlevel(void);
/* Parse "error", "warn", "info", "debug"; -1 when it is none of them. */
int log_parse_level(const char *s);

void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
_Noreturn void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
_Noreturn void fatalx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A line that strangers can cause, at most once per LOG_RL_MS:
 *   if (log_rl_allow(&rl, now_ms, &n)) { if (n) say "n more"; say it; }
 * and from a timer, so that a burst's tail is still counted:
 *   if ((n = log_rl_flush(&rl, now_ms)) > 0) say "n more". */
#define LOG_RL_MS	1000
struct log_rl {
	uint64_t last_ms;		/* of the last line; 0: none yet */
	uint64_t suppressed;		/* since then */
};
bool log_rl_allow(struct log_rl *rl, uint64_t now_ms, uint64_t *suppressed);
uint64_t log_rl_flush(struct log_rl *rl, uint64_t now_ms);

#endif
