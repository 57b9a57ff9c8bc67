/* Error reporting: functions return 0 or -errno; the one that detects a
 * failure forms the message once with cp_fail(), and the CLI prints it. */
#ifndef CP_ERR_H
#define CP_ERR_H

#include <stdarg.h>

#define CP_PRINTF(a, b) __attribute__((format(printf, a, b)))

/* Record the message for this thread and return code (a negative errno). */
int cp_fail(int code, const char *fmt, ...) CP_PRINTF(2, 3);
/* The last message recorded by cp_fail() in this thread ("" if none). */
const char *cp_last_error(void);
void cp_clear_error(void);

/* "warning: ..." on stderr; silenced by cp_set_quiet(). */
void cp_warn(const char *fmt, ...) CP_PRINTF(1, 2);
/* "capsprobe: ..." on stderr, only with --verbose. */
void cp_verbose(const char *fmt, ...) CP_PRINTF(1, 2);
void cp_set_verbose(int on);
int cp_is_verbose(void);
/* --debug: "debug: ..." lines on stderr (the QMP traffic, see qmp.c). */
void cp_debug(const char *fmt, ...) CP_PRINTF(1, 2);
void cp_set_debug(int on);
int cp_is_debug(void);

/* Out of memory is not recoverable for a one-shot CLI: report and exit 2. */
_Noreturn void cp_oom(void);
void *cp_malloc(size_t n);
void *cp_calloc(size_t n, size_t size);
void *cp_realloc(void *p, size_t n);
char *cp_strdup(const char *s);
char *cp_strndup(const char *s, size_t n);
char *cp_asprintf(const char *fmt, ...) CP_PRINTF(1, 2);

#endif
