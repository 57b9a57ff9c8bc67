/* libxml2, loaded at run time by the few commands that read XML (--xpath,
 * cpu-baseline, cpu-compare): linked, it would be loaded by every run, and
 * it drags ICU and libstdc++ in, which costs more than a whole warm probe.
 * Only the types and macros of libxml2's headers are used at build time. */
#ifndef CP_UTIL_LIBXML_H
#define CP_UTIL_LIBXML_H

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xpath.h>

#define CP_LIBXML_FUNCS(X) \
	X(xmlSetGenericErrorFunc) \
	X(xmlSetStructuredErrorFunc) \
	X(xmlReadMemory) \
	X(xmlFreeDoc) \
	X(xmlDocGetRootElement) \
	X(xmlGetProp) \
	X(xmlNodeGetContent) \
	X(xmlXPathNewContext) \
	X(xmlXPathFreeContext) \
	X(xmlXPathCompile) \
	X(xmlXPathCtxtCompile) \
	X(xmlXPathCompiledEval) \
	X(xmlXPathFreeCompExpr) \
	X(xmlXPathFreeObject) \
	X(xmlXPathCastToString) \
	X(xmlBufferCreate) \
	X(xmlBufferFree) \
	X(xmlBufferContent) \
	X(xmlBufferLength) \
	X(xmlNodeDump) \
	X(xmlNewDoc) \
	X(xmlNewDocNode) \
	X(xmlDocSetRootElement) \
	X(xmlDocCopyNode) \
	X(xmlAddChild) \
	X(xmlFreeNode)

struct cp_libxml {
	void *handle;
#define CP_LIBXML_PTR(name) __typeof__(&name) name;
	CP_LIBXML_FUNCS(CP_LIBXML_PTR)
#undef CP_LIBXML_PTR
	xmlFreeFunc *xmlFree;	/* a variable, not a function */
};

/* Filled by cp_libxml_load(). */
extern struct cp_libxml cp_lx;

/* Load libxml2 once and silence its own diagnostics (callers report one
 * line); what names the feature that needs it, for the error message.
 * 0, or -ENOENT with the message set. */
int cp_libxml_load(const char *what);

#endif
