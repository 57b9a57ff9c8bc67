/* A small emitter for libvirt's XML layout: two-space indent, single-quoted
 * attributes, self-closed empty elements, text on the tag's line.  Values
 * are escaped as libvirt escapes them (< > & " ' as entities; control
 * characters other than tab, newline and return dropped).
 *
 * The same calls build the --format json form of a document, so a printer
 * states its document once and both forms hold the same facts:
 *   - the root element is the one member of the top object;
 *   - an element is an object, an attribute a member of it, a child element
 *     a member named by its tag;
 *   - an element with only text is that text, unless it has attributes or
 *     its shape says CP_XML_OBJECT: then an object whose member "#text"
 *     holds the text;
 *   - a value formatted by one %d, %i or %u conversion (any length
 *     modifier) is a JSON number, any other value a string;
 *   - the children the document's shape table marks CP_XML_ARRAY are
 *     always arrays, even of one; another repeated child becomes an array
 *     too, so nothing is lost (the schemas under man/schemas/ say which are
 *     arrays: tests/xml/json.sh checks the output against them). */
#ifndef CP_XML_WRITER_H
#define CP_XML_WRITER_H

#include <json-c/json.h>

#include "util/str.h"

enum cp_doc_format {
	CP_DOC_XML,	/* the document as libvirt prints it */
	CP_DOC_JSON,
};

/* A document's JSON shape: one entry per child element that is not
 * "a single member", keyed by "parent/child" tag names ("*" for any
 * parent); ends with { NULL }. */
#define CP_XML_ARRAY 1u		/* the child may repeat: always an array */
#define CP_XML_OBJECT 2u	/* a text element that may carry attributes */
struct cp_xml_shape {
	const char *path;
	unsigned flags;
};

struct cp_xml_frame;

struct cp_xml {
	struct cp_buf out;
	int depth;
	bool in_tag;	/* "<name attr=..." written, not yet closed */
	/* JSON (cp_xml_init): the open elements, innermost last, and the
	 * finished root */
	bool json;
	const struct cp_xml_shape *shape;
	struct cp_xml_frame *open;
	size_t nopen, capopen;
	json_object *root;
};

/* A writer for format f ({ 0 } is an XML writer too). */
void cp_xml_init(struct cp_xml *x, enum cp_doc_format f, const struct cp_xml_shape *shape);
/* The whole document (XML, or JSON ending in a newline); the caller frees
 * it, x holds nothing after. */
char *cp_xml_finish(struct cp_xml *x);

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
