#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "writer.h"

void cp_xml_escape(struct cp_buf *b, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		switch (c) {
		case '<': cp_buf_puts(b, "&lt;"); break;
		case '>': cp_buf_puts(b, "&gt;"); break;
		case '&': cp_buf_puts(b, "&amp;"); break;
		case '"': cp_buf_puts(b, "&quot;"); break;
		case '\'': cp_buf_puts(b, "&apos;"); break;
		default:
			if (c < 0x20 && c != '\t' && c != '\n' && c != '\r')
				break;
			cp_buf_putc(b, (char)c);
		}
	}
}

static char *vformat(const char *fmt, va_list ap)
{
	char *s;

	if (vasprintf(&s, fmt, ap) < 0)
		cp_oom();
	return s;
}

static void indent(struct cp_xml *x)
{
	for (int i = 0; i < x->depth; i++)
		cp_buf_puts(&x->out, "  ");
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
	char *v;

	va_start(ap, fmt);
	v = vformat(fmt, ap);
	va_end(ap);
	cp_buf_printf(&x->out, " %s='", name);
	cp_xml_escape(&x->out, v);
	cp_buf_putc(&x->out, '\'');
	free(v);
}

void cp_xml_empty(struct cp_xml *x)
{
	cp_buf_puts(&x->out, "/>\n");
	x->in_tag = false;
}

void cp_xml_open(struct cp_xml *x)
{
	cp_buf_puts(&x->out, ">\n");
	x->in_tag = false;
	x->depth++;
}

void cp_xml_close(struct cp_xml *x, const char *name)
{
	x->depth--;
	indent(x);
	cp_buf_printf(&x->out, "</%s>\n", name);
}

static void vtext(struct cp_xml *x, const char *name, const char *fmt, va_list ap)
{
	char *v = vformat(fmt, ap);

	cp_buf_putc(&x->out, '>');
	cp_xml_escape(&x->out, v);
	cp_buf_printf(&x->out, "</%s>\n", name);
	x->in_tag = false;
	free(v);
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
