#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/json.h"
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

/* ---- the JSON backend ---- */

struct cp_xml_frame {
	char *name;
	json_object *obj;
	bool attrs;	/* an attribute was added */
};

void cp_xml_init(struct cp_xml *x, enum cp_doc_format f, const struct cp_xml_shape *shape)
{
	*x = (struct cp_xml){ .json = f == CP_DOC_JSON, .shape = shape };
}

/* The flags of child under parent in the document's shape. */
static unsigned shape_of(const struct cp_xml *x, const char *parent, const char *child)
{
	size_t pl = strlen(parent);

	for (const struct cp_xml_shape *s = x->shape; s && s->path; s++) {
		const char *slash = strchr(s->path, '/');

		if (!slash || strcmp(slash + 1, child) != 0)
			continue;
		if ((slash - s->path == 1 && s->path[0] == '*') ||
		    ((size_t)(slash - s->path) == pl && strncmp(s->path, parent, pl) == 0))
			return s->flags;
	}
	return 0;
}

/* A value: a number when fmt is one integer conversion, else a string. */
static json_object *typed(const char *fmt, const char *v)
{
	const char *c = fmt;
	json_object *o = NULL;

	if (*c++ == '%') {
		c += strspn(c, "hljzt");
		if (*c && strchr("diu", *c) && !c[1]) {
			char *end;

			errno = 0;
			if (*c == 'u') {
				unsigned long long n = strtoull(v, &end, 10);

				if (!errno && end != v && !*end && *v != '-')
					o = json_object_new_uint64(n);
			} else {
				long long n = strtoll(v, &end, 10);

				if (!errno && end != v && !*end)
					o = json_object_new_int64(n);
			}
			if (o)
				return o;
		}
	}
	return cp_json_string(v);
}

static void json_begin(struct cp_xml *x, const char *name)
{
	if (x->nopen == x->capopen) {
		x->capopen = x->capopen ? 2 * x->capopen : 16;
		x->open = cp_realloc(x->open, x->capopen * sizeof(*x->open));
	}
	x->open[x->nopen++] = (struct cp_xml_frame){ .name = cp_strdup(name), .obj = json_object_new_object() };
	if (!x->open[x->nopen - 1].obj)
		cp_oom();
}

static void json_member(json_object *obj, const char *key, json_object *v)
{
	if (json_object_object_add(obj, key, v) < 0)
		cp_oom();
}

/* Close the innermost element, its value v (its object, or its text),
 * into its parent, or as the document's root. */
static void json_end(struct cp_xml *x, json_object *v)
{
	struct cp_xml_frame *f = &x->open[--x->nopen];

	if (!x->nopen) {
		json_object_put(x->root);
		x->root = json_object_new_object();
		if (!x->root)
			cp_oom();
		json_member(x->root, f->name, v);
	} else {
		struct cp_xml_frame *p = &x->open[x->nopen - 1];
		json_object *had = NULL, *a;

		json_object_object_get_ex(p->obj, f->name, &had);
		if (had && json_object_is_type(had, json_type_array)) {
			a = had;
		} else if (had || (shape_of(x, p->name, f->name) & CP_XML_ARRAY)) {
			/* a child the shape does not name that repeats keeps
			 * every value */
			if (!(a = json_object_new_array()))
				cp_oom();
			if (had)
				json_object_array_add(a, json_object_get(had));
			json_member(p->obj, f->name, a);
		} else {
			a = NULL;
		}
		if (a)
			json_object_array_add(a, v);
		else
			json_member(p->obj, f->name, v);
	}
	free(f->name);
}

static void json_text(struct cp_xml *x, const char *fmt, const char *v)
{
	struct cp_xml_frame *f = &x->open[x->nopen - 1];
	const char *parent = x->nopen > 1 ? x->open[x->nopen - 2].name : "";

	if (f->attrs || (shape_of(x, parent, f->name) & CP_XML_OBJECT)) {
		json_member(f->obj, "#text", typed(fmt, v));
		json_end(x, f->obj);
	} else {
		json_object_put(f->obj);
		json_end(x, typed(fmt, v));
	}
}

char *cp_xml_finish(struct cp_xml *x)
{
	char *s;

	if (!x->json)
		return cp_buf_steal(&x->out);
	/* a printer closes what it opens: anything left is dropped */
	while (x->nopen) {
		json_object_put(x->open[x->nopen - 1].obj);
		free(x->open[--x->nopen].name);
	}
	free(x->open);
	s = cp_json_finish(x->root ? x->root : json_object_new_object());
	cp_buf_free(&x->out);
	*x = (struct cp_xml){ 0 };
	return s;
}

/* ---- the XML backend (and the entry points of both) ---- */

void cp_xml_begin(struct cp_xml *x, const char *name)
{
	size_t w, nl;
	char *p;

	if (x->json) {
		json_begin(x, name);
		return;
	}
	w = indent_width(x);
	nl = strlen(name);
	p = cp_buf_extend(&x->out, w + 1 + nl);
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
	if (x->json) {
		json_member(x->open[x->nopen - 1].obj, name, typed(fmt, v));
		x->open[x->nopen - 1].attrs = true;
		free(fr);
		return;
	}
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
	if (x->json) {
		json_end(x, x->open[x->nopen - 1].obj);
		return;
	}
	cp_buf_add(&x->out, "/>\n", 3);
	x->in_tag = false;
}

void cp_xml_open(struct cp_xml *x)
{
	if (x->json)
		return;
	cp_buf_add(&x->out, ">\n", 2);
	x->in_tag = false;
	x->depth++;
}

void cp_xml_close(struct cp_xml *x, const char *name)
{
	size_t w, nl = strlen(name);
	char *p;

	if (x->json) {
		json_end(x, x->open[x->nopen - 1].obj);
		return;
	}
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

	if (x->json) {
		json_text(x, fmt, v);
		free(fr);
		return;
	}
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
	if (x->json)
		return;
	cp_buf_putc(&x->out, '\n');
}
