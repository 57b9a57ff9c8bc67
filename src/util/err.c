#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/err.h"

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

/* Length of the well-formed UTF-8 sequence at s (no overlongs, surrogates
 * or code points past U+10FFFF), 0 if there is none. */
static size_t utf8_len(const unsigned char *s)
{
	size_t n;
	unsigned cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4, cp = s[0] & 0x07;
	else
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)	/* also stops at the NUL */
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || cp > 0x10ffff ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

void cp_put_flat(FILE *f, const char *text)
{
	const unsigned char *s = (const unsigned char *)text;

	while (*s) {
		size_t n = utf8_len(s);

		if (n == 0) {
			putc_unlocked('?', f);
			s++;
		} else if (*s < 0x20 || *s == 0x7f || (n == 2 && s[0] == 0xc2 && s[1] < 0xa0)) {
			/* C0, DEL and C1 (U+0080..U+009F): terminal controls */
			putc_unlocked(' ', f);
			s += n;
		} else {
			for (size_t i = 0; i < n; i++)
				putc_unlocked(s[i], f);
			s += n;
		}
	}
}

char *cp_flat_dup(const char *text)
{
	char *buf = NULL;
	size_t len;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		cp_oom();
	cp_put_flat(f, text);
	if (fclose(f) != 0)
		cp_oom();
	return buf;
}

/* The one way a line reaches stderr: prefix, then the message flattened
 * (an emulator's or a file's text may hold anything), then a newline,
 * written whole even when pool threads print at once. */
static void vline(const char *prefix, const char *fmt, va_list ap)
{
	char *msg = NULL;

	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	flockfile(stderr);
	fputs(prefix, stderr);
	cp_put_flat(stderr, msg ? msg : "(message lost: out of memory)");
	putc_unlocked('\n', stderr);
	funlockfile(stderr);
	free(msg);
}

void cp_error_line(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vline("error: ", fmt, ap);
	va_end(ap);
}

void cp_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vline("warning: ", fmt, ap);
	va_end(ap);
}

void cp_set_verbose(int on)
{
	verbose = on;
}

void cp_verbose(const char *fmt, ...)
{
	va_list ap;

	if (!verbose)
		return;
	va_start(ap, fmt);
	vline("capsprobe: ", fmt, ap);
	va_end(ap);
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
	va_start(ap, fmt);
	vline("debug: ", fmt, ap);
	va_end(ap);
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
