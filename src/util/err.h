/* Error reporting: functions return 0 or -errno; the one that detects a
 * failure forms the message once with cp_fail(), and the CLI prints it. */
#ifndef CP_UTIL_ERR_H
#define CP_UTIL_ERR_H

#include <stdarg.h>
#include <stdio.h>

#define CP_PRINTF(a, b) __attribute__((format(printf, a, b)))

/* Record the message for this thread and return code (a negative errno). */
int cp_fail(int code, const char *fmt, ...) CP_PRINTF(2, 3);
/* The last message recorded by cp_fail() in this thread ("" if none). */
const char *cp_last_error(void);
void cp_clear_error(void);

/* Every line capsprobe prints on stderr goes through one printer that
 * flattens the message: control characters (C0, DEL, C1; newlines and tabs
 * too) become spaces and bytes that are not well-formed UTF-8 become '?',
 * so no quoted text can move the cursor, recolour the terminal or forge a
 * line of its own. */
/* "error: ..." on stderr: the one error line of a failed command. */
void cp_error_line(const char *fmt, ...) CP_PRINTF(1, 2);
/* "warning: ..." on stderr. */
void cp_warn(const char *fmt, ...) CP_PRINTF(1, 2);
/* "capsprobe: ..." on stderr, only with --verbose. */
void cp_verbose(const char *fmt, ...) CP_PRINTF(1, 2);
void cp_set_verbose(int on);
/* --debug: "debug: ..." lines on stderr (the QMP traffic, see qmp/client.c). */
void cp_debug(const char *fmt, ...) CP_PRINTF(1, 2);
void cp_set_debug(int on);
int cp_is_debug(void);

/* text onto f flattened as above; the caller holds f's lock (flockfile). */
void cp_put_flat(FILE *f, const char *text);
/* text flattened as above, in a new string: for fields of the line-based
 * lists on stdout that quote what an emulator or a file said. */
char *cp_flat_dup(const char *text);

/* Out of memory is not recoverable for a one-shot CLI: report and exit 2. */
_Noreturn void cp_oom(void);
void *cp_malloc(size_t n);
void *cp_calloc(size_t n, size_t size);
void *cp_realloc(void *p, size_t n);
char *cp_strdup(const char *s);
char *cp_strndup(const char *s, size_t n);
char *cp_asprintf(const char *fmt, ...) CP_PRINTF(1, 2);

#endif
