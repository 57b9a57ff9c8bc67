#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"

static _Thread_local char last_error[1024];
static int verbose;
static int debug;

int cp_fail(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(last_error, sizeof(last_error), fmt, ap);
	va_end(ap);
	return code;
}

const char *cp_last_error(void)
{
	return last_error;
}

void cp_clear_error(void)
{
	last_error[0] = '\0';
}

void cp_warn(const char *fmt, ...)
{
	va_list ap;

	/* one whole line even when pool threads warn at once */
	flockfile(stderr);
	fputs("warning: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	funlockfile(stderr);
}

void cp_set_verbose(int on)
{
	verbose = on;
}

int cp_is_verbose(void)
{
	return verbose;
}

void cp_verbose(const char *fmt, ...)
{
	va_list ap;

	if (!verbose)
		return;
	flockfile(stderr);
	fputs("capsprobe: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	funlockfile(stderr);
}

void cp_set_debug(int on)
{
	debug = on;
}

int cp_is_debug(void)
{
	return debug;
}

void cp_debug(const char *fmt, ...)
{
	va_list ap;

	if (!debug)
		return;
	flockfile(stderr);
	fputs("debug: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	funlockfile(stderr);
}

void cp_oom(void)
{
	fputs("error: out of memory\n", stderr);
	exit(2);
}

void *cp_malloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p)
		cp_oom();
	return p;
}

void *cp_calloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (!p)
		cp_oom();
	return p;
}

void *cp_realloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		cp_oom();
	return p;
}

char *cp_strdup(const char *s)
{
	char *d = strdup(s);

	if (!d)
		cp_oom();
	return d;
}

char *cp_strndup(const char *s, size_t n)
{
	char *d = strndup(s, n);

	if (!d)
		cp_oom();
	return d;
}

char *cp_asprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (r < 0)
		cp_oom();
	return s;
}
