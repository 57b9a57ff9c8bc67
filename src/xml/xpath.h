/* --xpath and --wrap: query a printed document the way newer virsh does.
 * Node sets print one node per line with libxml2's serializer (so
 * attributes are double-quoted there, as in virsh); --wrap copies the nodes
 * into a <nodes> element.  Unlike virsh, string, number and boolean results
 * print as values, one line with no empty line after it, and an invalid
 * expression is an error. */
#ifndef CP_XML_XPATH_H
#define CP_XML_XPATH_H

#include <stdbool.h>

/* Bounds on an expression, checked before libxml2 sees it: its length in
 * bytes, and how deep ( and [ nest outside string literals. */
#define CP_XPATH_MAX_LEN 16384u
#define CP_XPATH_MAX_DEPTH 256u

/* 0 if expr is within the bounds and compiles; else -EINVAL with the
 * message set. */
int cp_xpath_check(const char *expr);

/* *out is the text to print (caller frees).  0, or -EINVAL with the
 * message set for an invalid expression or document. */
int cp_xpath_query(const char *doc, const char *expr, bool wrap, char **out);

#endif
