/* A small emitter for libvirt's XML layout: two-space indent, single-quoted
 * attributes, self-closed empty elements, text on the tag's line.  Values
 * are escaped as libvirt escapes them (< > & " ' as entities; control
 * characters other than tab, newline and return dropped). */
#ifndef CP_XML_WRITER_H
#define CP_XML_WRITER_H

#include "util/str.h"

struct cp_xml {
	struct cp_buf out;
	int depth;
	bool in_tag;	/* "<name attr=..." written, not yet closed */
};

/* Start "<name"; add attributes; then end with one of open/empty/text. */
void cp_xml_begin(struct cp_xml *x, const char *name);
void cp_xml_attr(struct cp_xml *x, const char *name, const char *fmt, ...) CP_PRINTF(3, 4);
/* "/>" */
void cp_xml_empty(struct cp_xml *x);
/* ">" newline, children follow at depth+1 until cp_xml_close(). */
void cp_xml_open(struct cp_xml *x);
void cp_xml_close(struct cp_xml *x, const char *name);
/* ">text</name>" */
void cp_xml_text(struct cp_xml *x, const char *name, const char *fmt, ...) CP_PRINTF(3, 4);

/* Shorthands for the common shapes. */
void cp_xml_leaf(struct cp_xml *x, const char *name, const char *fmt, ...) CP_PRINTF(3, 4);
void cp_xml_blank(struct cp_xml *x);

/* Append s escaped. */
void cp_xml_escape(struct cp_buf *b, const char *s);

#endif
