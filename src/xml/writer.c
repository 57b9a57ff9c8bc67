#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xml/writer.h"

/* Per byte: 0 plain, 1 dropped (control characters other than tab,
 * newline and return), else the index of its entity.  NUL ends a value. */
static const unsigned char esc_class[256] = {
	[0x00 ... 0x08] = 1, [0x0b ... 0x0c] = 1, [0x0e ... 0x1f] = 1,
	['"'] = 2, ['&'] = 3, ['\''] = 4, ['<'] = 5, ['>'] = 6,
};

static const struct {
	char s[7];
	unsigned char len;
} entities[] = {
	[2] = { "&quot;", 6 }, [3] = { "&amp;", 5 }, [4] = { "&apos;", 6 },
	[5] = { "&lt;", 4 }, [6] = { "&gt;", 4 },
};

/* Length of the run at s that needs no escaping (up to a special byte or
 * the NUL). */
static size_t plain_len(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	for (;;) {
		if (esc_class[p[0]])
			return (size_t)(p - (const unsigned char *)s);
		if (esc_class[p[1]])
			return (size_t)(p + 1 - (const unsigned char *)s);
		if (esc_class[p[2]])
			return (size_t)(p + 2 - (const unsigned char *)s);
		if (esc_class[p[3]])
			return (size_t)(p + 3 - (const unsigned char *)s);
		p += 4;
	}
}

void cp_xml_escape(struct cp_buf *b, const char *s)
{
	for (;;) {
		size_t n = plain_len(s);
		unsigned char k;

		if (n)
			cp_buf_add(b, s, n);
		s += n;
		if (!*s)
			return;
		k = esc_class[(unsigned char)*s++];
		if (k > 1)
			cp_buf_add(b, entities[k].s, entities[k].len);
	}
}

/* The formatted value: for fmt "%s" (most values) its argument as is,
 * else formatted into tmp, or into a new string (*fr) when longer. */
static const char *vformat(const char *fmt, va_list ap, char tmp[128], char **fr)
{
	va_list cp;
	int n;

	*fr = NULL;
	if (fmt[0] == '%' && fmt[1] == 's' && !fmt[2])
		return va_arg(ap, const char *);
	va_copy(cp, ap);
	n = vsnprintf(tmp, 128, fmt, cp);
	va_end(cp);
	if (n < 0)
		cp_oom();
	if (n < 128)
		return tmp;
	if (vasprintf(fr, fmt, ap) < 0)
		cp_oom();
	return *fr;
}

/* Each piece of markup below is written with one cp_buf_extend(); values
 * with nothing to escape (nearly all) are copied into it too. */

static size_t indent_width(const struct cp_xml *x)
{
	return x->depth > 0 ? 2 * (size_t)x->depth : 0;
}

/* "</name>" newline at p */
static void put_end_tag(char *p, const char *name, size_t nl)
{
	p[0] = '<';
	p[1] = '/';
	memcpy(p + 2, name, nl);
	p[2 + nl] = '>';
	p[3 + nl] = '\n';
}

void cp_xml_begin(struct cp_xml *x, const char *name)
{
	size_t w = indent_width(x), nl = strlen(name);
	char *p = cp_buf_extend(&x->out, w + 1 + nl);

	memset(p, ' ', w);
	p[w] = '<';
	memcpy(p + w + 1, name, nl);
	x->in_tag = true;
}

void cp_xml_attr(struct cp_xml *x, const char *name, const char *fmt, ...)
{
	va_list ap;
	char tmp[128], *fr, *p;
	const char *v;
	size_t nl = strlen(name), vl;
	bool plain;

	va_start(ap, fmt);
	v = vformat(fmt, ap, tmp, &fr);
	va_end(ap);
	vl = plain_len(v);
	plain = !v[vl];
	/* " name='" and the plain start of the value, then the rest */
	p = cp_buf_extend(&x->out, nl + 3 + vl + plain);
	p[0] = ' ';
	memcpy(p + 1, name, nl);
	p[1 + nl] = '=';
	p[2 + nl] = '\'';
	memcpy(p + 3 + nl, v, vl);
	if (plain) {
		p[3 + nl + vl] = '\'';
	} else {
		cp_xml_escape(&x->out, v + vl);
		cp_buf_putc(&x->out, '\'');
	}
	free(fr);
}

void cp_xml_empty(struct cp_xml *x)
{
	cp_buf_add(&x->out, "/>\n", 3);
	x->in_tag = false;
}

void cp_xml_open(struct cp_xml *x)
{
	cp_buf_add(&x->out, ">\n", 2);
	x->in_tag = false;
	x->depth++;
}

void cp_xml_close(struct cp_xml *x, const char *name)
{
	size_t w, nl = strlen(name);
	char *p;

	x->depth--;
	w = indent_width(x);
	p = cp_buf_extend(&x->out, w + 4 + nl);
	memset(p, ' ', w);
	put_end_tag(p + w, name, nl);
}

static void vtext(struct cp_xml *x, const char *name, const char *fmt, va_list ap)
{
	char tmp[128], *fr, *p;
	const char *v = vformat(fmt, ap, tmp, &fr);
	size_t nl = strlen(name), vl = plain_len(v);

	if (!v[vl]) {
		p = cp_buf_extend(&x->out, 1 + vl + 4 + nl);
		p[0] = '>';
		memcpy(p + 1, v, vl);
		put_end_tag(p + 1 + vl, name, nl);
	} else {
		cp_buf_putc(&x->out, '>');
		cp_xml_escape(&x->out, v);
		put_end_tag(cp_buf_extend(&x->out, 4 + nl), name, nl);
	}
	x->in_tag = false;
	free(fr);
}

void cp_xml_text(struct cp_xml *x, const char *name, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vtext(x, name, fmt, ap);
	va_end(ap);
}

void cp_xml_leaf(struct cp_xml *x, const char *name, const char *fmt, ...)
{
	va_list ap;

	cp_xml_begin(x, name);
	va_start(ap, fmt);
	vtext(x, name, fmt, ap);
	va_end(ap);
}

void cp_xml_blank(struct cp_xml *x)
{
	cp_buf_putc(&x->out, '\n');
}
