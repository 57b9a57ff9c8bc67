#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "writer.h"

void cp_xml_escape(struct cp_buf *b, const char *s)
{
	while (*s) {
		const char *run = s;
		unsigned char c;

		/* copy runs of plain characters at once */
		while ((c = (unsigned char)*s) && c != '<' && c != '>' && c != '&' && c != '"' &&
		       c != '\'' && (c >= 0x20 || c == '\t' || c == '\n' || c == '\r'))
			s++;
		if (s > run)
			cp_buf_add(b, run, (size_t)(s - run));
		if (!c)
			break;
		switch (c) {
		case '<': cp_buf_add(b, "&lt;", 4); break;
		case '>': cp_buf_add(b, "&gt;", 4); break;
		case '&': cp_buf_add(b, "&amp;", 5); break;
		case '"': cp_buf_add(b, "&quot;", 6); break;
		case '\'': cp_buf_add(b, "&apos;", 6); break;
		default: break;	/* other control characters are dropped */
		}
		s++;
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

static void indent(struct cp_xml *x)
{
	static const char spaces[] = "                                ";
	size_t left = x->depth > 0 ? 2 * (size_t)x->depth : 0;

	while (left) {
		size_t n = left < sizeof(spaces) - 1 ? left : sizeof(spaces) - 1;

		cp_buf_add(&x->out, spaces, n);
		left -= n;
	}
}

static void end_tag(struct cp_xml *x, const char *name)
{
	cp_buf_add(&x->out, "</", 2);
	cp_buf_puts(&x->out, name);
	cp_buf_add(&x->out, ">\n", 2);
}

void cp_xml_begin(struct cp_xml *x, const char *name)
{
	indent(x);
	cp_buf_putc(&x->out, '<');
	cp_buf_puts(&x->out, name);
	x->in_tag = true;
}

void cp_xml_attr(struct cp_xml *x, const char *name, const char *fmt, ...)
{
	va_list ap;
	char tmp[128], *fr;

	cp_buf_putc(&x->out, ' ');
	cp_buf_puts(&x->out, name);
	cp_buf_add(&x->out, "='", 2);
	va_start(ap, fmt);
	cp_xml_escape(&x->out, vformat(fmt, ap, tmp, &fr));
	va_end(ap);
	cp_buf_putc(&x->out, '\'');
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
	x->depth--;
	indent(x);
	end_tag(x, name);
}

static void vtext(struct cp_xml *x, const char *name, const char *fmt, va_list ap)
{
	char tmp[128], *fr;

	cp_buf_putc(&x->out, '>');
	cp_xml_escape(&x->out, vformat(fmt, ap, tmp, &fr));
	end_tag(x, name);
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
