#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/str.h"

static void buf_grow(struct cp_buf *b, size_t need)
{
	b->cap = b->cap ? b->cap : 256;
	while (b->cap < need)
		b->cap *= 2;
	b->s = cp_realloc(b->s, b->cap);
}

static inline void buf_reserve(struct cp_buf *b, size_t extra)
{
	size_t need = b->len + extra + 1;

	if (need > b->cap)
		buf_grow(b, need);
}

char *cp_buf_extend(struct cp_buf *b, size_t n)
{
	char *p;

	buf_reserve(b, n);
	p = b->s + b->len;
	b->len += n;
	b->s[b->len] = '\0';
	return p;
}

void cp_buf_add(struct cp_buf *b, const char *s, size_t n)
{
	buf_reserve(b, n);
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

void cp_buf_puts(struct cp_buf *b, const char *s)
{
	cp_buf_add(b, s, strlen(s));
}

void cp_buf_putc(struct cp_buf *b, char c)
{
	buf_reserve(b, 1);
	b->s[b->len++] = c;
	b->s[b->len] = '\0';
}

void cp_buf_printf(struct cp_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		cp_oom();
	buf_reserve(b, (size_t)n);
	va_start(ap, fmt);
	vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

char *cp_buf_steal(struct cp_buf *b)
{
	char *s = b->s ? b->s : cp_strdup("");

	b->s = NULL;
	b->len = b->cap = 0;
	return s;
}

void cp_buf_free(struct cp_buf *b)
{
	free(b->s);
	b->s = NULL;
	b->len = b->cap = 0;
}

static int check_end(const char *end, bool trail_ws)
{
	if (trail_ws)
		while (isspace((unsigned char)*end))
			end++;
	return *end ? -EINVAL : 0;
}

int cp_parse_u64(const char *s, int base, bool trail_ws, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (!s || !*s || isspace((unsigned char)*s) || *s == '-' || *s == '+')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, base);
	if (errno == ERANGE)
		return -ERANGE;
	if (end == s || check_end(end, trail_ws))
		return -EINVAL;
	*out = v;
	return 0;
}

int cp_parse_i64(const char *s, int base, bool trail_ws, int64_t *out)
{
	char *end;
	long long v;

	if (!s || !*s || isspace((unsigned char)*s) || *s == '+')
		return -EINVAL;
	errno = 0;
	v = strtoll(s, &end, base);
	if (errno == ERANGE)
		return -ERANGE;
	if (end == s || check_end(end, trail_ws))
		return -EINVAL;
	*out = v;
	return 0;
}

char *cp_rstrip(char *s)
{
	size_t n = strlen(s);

	while (n && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';
	return s;
}

bool cp_startswith(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

bool cp_str_xml_clean(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p) {
		unsigned c = *p, n, cp;

		if (c < 0x20 || c == 0x7f)
			return false;
		if (c < 0x80) {
			p++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf)
			n = 1, cp = c & 0x1f;
		else if (c >= 0xe0 && c <= 0xef)
			n = 2, cp = c & 0x0f;
		else if (c >= 0xf0 && c <= 0xf4)
			n = 3, cp = c & 0x07;
		else
			return false;	/* a continuation byte, an overlong lead or past U+10FFFF */
		for (unsigned i = 1; i <= n; i++) {
			if ((p[i] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (p[i] & 0x3f);
		}
		/* overlong forms, surrogates, beyond Unicode, XML's two non-characters */
		if ((n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
		    (cp >= 0xd800 && cp <= 0xdfff) || cp == 0xfffe || cp == 0xffff)
			return false;
		p += n + 1;
	}
	return true;
}

int cp_natcmp(const char *a, const char *b)
{
	while (*a && *b) {
		if (isdigit((unsigned char)*a) && isdigit((unsigned char)*b)) {
			const char *ea = a, *eb = b;

			while (*a == '0' && isdigit((unsigned char)a[1]))
				a++;
			while (*b == '0' && isdigit((unsigned char)b[1]))
				b++;
			for (ea = a; isdigit((unsigned char)*ea); ea++)
				;
			for (eb = b; isdigit((unsigned char)*eb); eb++)
				;
			if (ea - a != eb - b)
				return (ea - a) < (eb - b) ? -1 : 1;
			for (; a < ea; a++, b++)
				if (*a != *b)
					return *a < *b ? -1 : 1;
			continue;
		}
		if (*a != *b)
			return (unsigned char)*a < (unsigned char)*b ? -1 : 1;
		a++;
		b++;
	}
	return *a ? 1 : *b ? -1 : 0;
}

void cp_strv_push(struct cp_strv *sv, char *owned)
{
	/* doubling: a flooding emulator's 70,000 names must not cost a copy
	 * of the list per name */
	if (sv->n + 2 > sv->cap) {
		sv->cap = sv->n + 2 < 8 ? 8 : 2 * (sv->n + 2);
		sv->v = cp_realloc(sv->v, sv->cap * sizeof(*sv->v));
	}
	sv->v[sv->n++] = owned;
	sv->v[sv->n] = NULL;
}

void cp_strv_free(struct cp_strv *sv)
{
	for (size_t i = 0; i < sv->n; i++)
		free(sv->v[i]);
	free(sv->v);
	sv->v = NULL;
	sv->n = sv->cap = 0;
}

static int natcmp_p(const void *a, const void *b)
{
	return cp_natcmp(*(char *const *)a, *(char *const *)b);
}

void cp_strv_sort_nat(struct cp_strv *sv)
{
	if (sv->n > 1)
		qsort(sv->v, sv->n, sizeof(*sv->v), natcmp_p);
}

static int strcmp_p(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void cp_strv_sort(struct cp_strv *sv)
{
	if (sv->n > 1)
		qsort(sv->v, sv->n, sizeof(*sv->v), strcmp_p);
}
