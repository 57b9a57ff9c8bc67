#include "config.h"

#include <errno.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xpath.h>
#include <string.h>

#include "util/err.h"
#include "util/str.h"
#include "xpath.h"

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
	xmlBufferPtr xb = xmlBufferCreate();

	if (!xb)
		cp_oom();
	xmlNodeDump(xb, doc, node, 0, 1);
	cp_buf_add(b, (const char *)xmlBufferContent(xb), (size_t)xmlBufferLength(xb));
	cp_buf_putc(b, '\n');
	xmlBufferFree(xb);
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
		xmlDocPtr out = xmlNewDoc(BAD_CAST "1.0");
		xmlNodePtr root = xmlNewDocNode(out, NULL, BAD_CAST "nodes", NULL);

		if (!out || !root)
			cp_oom();
		xmlDocSetRootElement(out, root);
		for (int i = 0; i < n; i++) {
			xmlNodePtr copy = xmlDocCopyNode(set->nodeTab[i], out, 1);

			if (copy && !xmlAddChild(root, copy))
				xmlFreeNode(copy);
		}
		dump_node(b, out, root);
		xmlFreeDoc(out);
	}
}

int cp_xpath_check(const char *expr)
{
	xmlXPathCompExprPtr comp;

	xmlSetGenericErrorFunc(NULL, quiet);
	xmlSetStructuredErrorFunc(NULL, quiet_structured);
	comp = xmlXPathCompile(BAD_CAST expr);
	if (!comp)
		return cp_fail(-EINVAL, "invalid XPath expression '%s'", expr);
	xmlXPathFreeCompExpr(comp);
	return 0;
}

int cp_xpath_query(const char *text, const char *expr, bool wrap, char **out)
{
	xmlXPathContextPtr ctx = NULL;
	xmlXPathCompExprPtr comp = NULL;
	xmlXPathObjectPtr res = NULL;
	struct cp_buf b = { 0 };
	xmlDocPtr doc;
	int rc = 0;

	xmlSetGenericErrorFunc(NULL, quiet);
	xmlSetStructuredErrorFunc(NULL, quiet_structured);
	doc = xmlReadMemory(text, (int)strlen(text), "capabilities.xml", NULL,
			    XML_PARSE_NONET | XML_PARSE_NOBLANKS);
	if (!doc)
		return cp_fail(-EINVAL, "cannot parse the document for --xpath");
	ctx = xmlXPathNewContext(doc);
	if (!ctx)
		cp_oom();
	comp = xmlXPathCtxtCompile(ctx, BAD_CAST expr);
	if (comp)
		res = xmlXPathCompiledEval(comp, ctx);
	if (!comp || !res) {
		rc = cp_fail(-EINVAL, "invalid XPath expression '%s'", expr);
		goto out;
	}
	switch (res->type) {
	case XPATH_NODESET:
		print_nodes(&b, doc, res->nodesetval, wrap);
		break;
	case XPATH_STRING:
	case XPATH_NUMBER:
	case XPATH_BOOLEAN: {
		xmlChar *s = xmlXPathCastToString(res);

		cp_buf_printf(&b, "%s\n", (const char *)s);
		xmlFree(s);
		break;
	}
	default:
		rc = cp_fail(-EINVAL, "XPath expression '%s' gives no printable result", expr);
		goto out;
	}
	/* virsh ends what it prints with one more newline */
	cp_buf_putc(&b, '\n');
	*out = cp_buf_steal(&b);
out:
	cp_buf_free(&b);
	xmlXPathFreeObject(res);
	xmlXPathFreeCompExpr(comp);
	xmlXPathFreeContext(ctx);
	xmlFreeDoc(doc);
	return rc;
}
