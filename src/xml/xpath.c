#include "config.h"

#include <dlfcn.h>
#include <errno.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xpath.h>
#include <string.h>

#include "util/err.h"
#include "util/str.h"
#include "xml/xpath.h"

/* libxml2 drags ICU and libstdc++ in with it: loading it costs more than a
 * whole warm probe, so it is loaded only when --xpath is used. */
#define CP_LIBXML_FUNCS(X) \
	X(xmlSetGenericErrorFunc) \
	X(xmlSetStructuredErrorFunc) \
	X(xmlReadMemory) \
	X(xmlFreeDoc) \
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

static struct {
	void *handle;
#define X(name) __typeof__(&name) name;
	CP_LIBXML_FUNCS(X)
#undef X
	xmlFreeFunc *xmlFree;	/* a variable, not a function */
} lx;

static int load_libxml(void)
{
	void *h;

	if (lx.handle)
		return 0;
	h = dlopen("libxml2.so.2", RTLD_NOW | RTLD_LOCAL);
	if (!h)
		return cp_fail(-ENOENT, "--xpath needs libxml2 (libxml2.so.2): %s", dlerror());
#define X(name)							\
	lx.name = (__typeof__(&name))dlsym(h, #name);		\
	if (!lx.name)						\
		goto missing;
	CP_LIBXML_FUNCS(X)
#undef X
	lx.xmlFree = (xmlFreeFunc *)dlsym(h, "xmlFree");
	if (!lx.xmlFree)
		goto missing;
	lx.handle = h;
	return 0;
missing:
	dlclose(h);
	return cp_fail(-ENOENT, "--xpath: libxml2.so.2 lacks a function capsprobe needs");
}

/* libxml2 prints its own diagnostics to stderr; ours is one line. */
static void quiet(void *ctx, const char *msg, ...)
{
	(void)ctx;
	(void)msg;
}

static void quiet_structured(void *ctx, xmlErrorPtr err)
{
	(void)ctx;
	(void)err;
}

static void dump_node(struct cp_buf *b, xmlDocPtr doc, xmlNodePtr node)
{
	xmlBufferPtr xb = lx.xmlBufferCreate();

	if (!xb)
		cp_oom();
	lx.xmlNodeDump(xb, doc, node, 0, 1);
	cp_buf_add(b, (const char *)lx.xmlBufferContent(xb), (size_t)lx.xmlBufferLength(xb));
	cp_buf_putc(b, '\n');
	lx.xmlBufferFree(xb);
}

static void print_nodes(struct cp_buf *b, xmlDocPtr doc, xmlNodeSetPtr set, bool wrap)
{
	int n = set ? set->nodeNr : 0;

	if (!wrap) {
		for (int i = 0; i < n; i++)
			dump_node(b, doc, set->nodeTab[i]);
		return;
	}
	/* virsh copies every match under <nodes>: attributes become its
	 * attributes and adjacent text merges, as libxml2's tree rules say. */
	{
		xmlDocPtr out = lx.xmlNewDoc(BAD_CAST "1.0");
		xmlNodePtr root = lx.xmlNewDocNode(out, NULL, BAD_CAST "nodes", NULL);

		if (!out || !root)
			cp_oom();
		lx.xmlDocSetRootElement(out, root);
		for (int i = 0; i < n; i++) {
			xmlNodePtr copy = lx.xmlDocCopyNode(set->nodeTab[i], out, 1);

			if (copy && !lx.xmlAddChild(root, copy))
				lx.xmlFreeNode(copy);
		}
		dump_node(b, out, root);
		lx.xmlFreeDoc(out);
	}
}

/* libxml2 compiles and evaluates recursively, and 2.9 sets no bound on
 * the compiler's depth: tens of thousands of nested parentheses overflow
 * the stack.  No real query comes near these bounds (see capsprobe(1)). */
static int check_bounds(const char *expr)
{
	size_t len = strlen(expr);
	unsigned depth = 0;
	char quote = 0;

	if (len > CP_XPATH_MAX_LEN)
		return cp_fail(-EINVAL, "the XPath expression is longer than %u bytes", CP_XPATH_MAX_LEN);
	for (const char *c = expr; *c; c++) {
		if (quote) {
			if (*c == quote)	/* XPath 1.0 literals have no escapes */
				quote = 0;
		} else if (*c == '\'' || *c == '"') {
			quote = *c;
		} else if (*c == '(' || *c == '[') {
			if (++depth > CP_XPATH_MAX_DEPTH)
				return cp_fail(-EINVAL, "the XPath expression nests parentheses and "
					       "brackets deeper than %u levels", CP_XPATH_MAX_DEPTH);
		} else if ((*c == ')' || *c == ']') && depth) {
			depth--;
		}
	}
	return 0;
}

int cp_xpath_check(const char *expr)
{
	xmlXPathCompExprPtr comp;
	int rc = check_bounds(expr);

	if (rc < 0 || (rc = load_libxml()) < 0)
		return rc;
	lx.xmlSetGenericErrorFunc(NULL, quiet);
	lx.xmlSetStructuredErrorFunc(NULL, quiet_structured);
	comp = lx.xmlXPathCompile(BAD_CAST expr);
	if (!comp)
		return cp_fail(-EINVAL, "invalid XPath expression '%s'", expr);
	lx.xmlXPathFreeCompExpr(comp);
	return 0;
}

int cp_xpath_query(const char *text, const char *expr, bool wrap, char **out)
{
	xmlXPathContextPtr ctx = NULL;
	xmlXPathCompExprPtr comp = NULL;
	xmlXPathObjectPtr res = NULL;
	struct cp_buf b = { 0 };
	xmlDocPtr doc;
	int rc = check_bounds(expr);

	if (rc < 0 || (rc = load_libxml()) < 0)
		return rc;
	lx.xmlSetGenericErrorFunc(NULL, quiet);
	lx.xmlSetStructuredErrorFunc(NULL, quiet_structured);
	doc = lx.xmlReadMemory(text, (int)strlen(text), "capabilities.xml", NULL,
			    XML_PARSE_NONET | XML_PARSE_NOBLANKS);
	if (!doc)
		return cp_fail(-EINVAL, "cannot parse the document for --xpath");
	ctx = lx.xmlXPathNewContext(doc);
	if (!ctx)
		cp_oom();
	comp = lx.xmlXPathCtxtCompile(ctx, BAD_CAST expr);
	if (comp)
		res = lx.xmlXPathCompiledEval(comp, ctx);
	if (!comp || !res) {
		rc = cp_fail(-EINVAL, "invalid XPath expression '%s'", expr);
		goto out;
	}
	switch (res->type) {
	case XPATH_NODESET:
		print_nodes(&b, doc, res->nodesetval, wrap);
		/* virsh ends a node list with one more newline; a value is one
		 * line, as a shell's $(...) wants it */
		cp_buf_putc(&b, '\n');
		break;
	case XPATH_STRING:
	case XPATH_NUMBER:
	case XPATH_BOOLEAN: {
		xmlChar *s = lx.xmlXPathCastToString(res);

		cp_buf_printf(&b, "%s\n", (const char *)s);
		(*lx.xmlFree)(s);
		break;
	}
	default:
		rc = cp_fail(-EINVAL, "XPath expression '%s' gives no printable result", expr);
		goto out;
	}
	*out = cp_buf_steal(&b);
out:
	cp_buf_free(&b);
	lx.xmlXPathFreeObject(res);
	lx.xmlXPathFreeCompExpr(comp);
	lx.xmlXPathFreeContext(ctx);
	lx.xmlFreeDoc(doc);
	return rc;
}
