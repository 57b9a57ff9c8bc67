#include "config.h"

#include <errno.h>
#include <string.h>

#include "util/err.h"
#include "util/libxml.h"
#include "util/str.h"
#include "xml/xpath.h"

static void dump_node(struct cp_buf *b, xmlDocPtr doc, xmlNodePtr node)
{
	xmlBufferPtr xb = cp_lx.xmlBufferCreate();

	if (!xb)
		cp_oom();
	cp_lx.xmlNodeDump(xb, doc, node, 0, 1);
	cp_buf_add(b, (const char *)cp_lx.xmlBufferContent(xb), (size_t)cp_lx.xmlBufferLength(xb));
	cp_buf_putc(b, '\n');
	cp_lx.xmlBufferFree(xb);
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
		xmlDocPtr out = cp_lx.xmlNewDoc(BAD_CAST "1.0");
		xmlNodePtr root = cp_lx.xmlNewDocNode(out, NULL, BAD_CAST "nodes", NULL);

		if (!out || !root)
			cp_oom();
		cp_lx.xmlDocSetRootElement(out, root);
		for (int i = 0; i < n; i++) {
			xmlNodePtr copy = cp_lx.xmlDocCopyNode(set->nodeTab[i], out, 1);

			if (copy && !cp_lx.xmlAddChild(root, copy))
				cp_lx.xmlFreeNode(copy);
		}
		dump_node(b, out, root);
		cp_lx.xmlFreeDoc(out);
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

	if (rc < 0 || (rc = cp_libxml_load("--xpath")) < 0)
		return rc;
	comp = cp_lx.xmlXPathCompile(BAD_CAST expr);
	if (!comp)
		return cp_fail(-EINVAL, "invalid XPath expression '%s'", expr);
	cp_lx.xmlXPathFreeCompExpr(comp);
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

	if (rc < 0 || (rc = cp_libxml_load("--xpath")) < 0)
		return rc;
	doc = cp_lx.xmlReadMemory(text, (int)strlen(text), "capabilities.xml", NULL,
			    XML_PARSE_NONET | XML_PARSE_NOBLANKS);
	if (!doc)
		return cp_fail(-EINVAL, "cannot parse the document for --xpath");
	ctx = cp_lx.xmlXPathNewContext(doc);
	if (!ctx)
		cp_oom();
	comp = cp_lx.xmlXPathCtxtCompile(ctx, BAD_CAST expr);
	if (comp)
		res = cp_lx.xmlXPathCompiledEval(comp, ctx);
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
		xmlChar *s = cp_lx.xmlXPathCastToString(res);

		cp_buf_printf(&b, "%s\n", (const char *)s);
		(*cp_lx.xmlFree)(s);
		break;
	}
	default:
		rc = cp_fail(-EINVAL, "XPath expression '%s' gives no printable result", expr);
		goto out;
	}
	*out = cp_buf_steal(&b);
out:
	cp_buf_free(&b);
	cp_lx.xmlXPathFreeObject(res);
	cp_lx.xmlXPathFreeCompExpr(comp);
	cp_lx.xmlXPathFreeContext(ctx);
	cp_lx.xmlFreeDoc(doc);
	return rc;
}
