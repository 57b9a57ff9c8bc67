/* Reading members of parsed JSON (QMP answers, firmware descriptors, the
 * probe cache) that may have any shape: a missing member, a member of the
 * wrong type and a non-object are all "absent", never a crash. */
#ifndef CP_UTIL_JSON_H
#define CP_UTIL_JSON_H

#include <stdbool.h>

#include <json-c/json.h>

/* Member key of o (any type), or NULL when o is NULL, not an object or has
 * no such member. */
json_object *cp_json_member(json_object *o, const char *key);
/* The same, but only a member of type t. */
json_object *cp_json_typed(json_object *o, const char *key, json_type t);
/* A string member's text, or NULL. */
const char *cp_json_str(json_object *o, const char *key);
/* Only a JSON true counts (libvirt reads QMP booleans that way). */
bool cp_json_true(json_object *o, const char *key);
/* The first element of array a (anything else: none) that is the string
 * name (key NULL) or an object whose string member key is name. */
json_object *cp_json_find_named(json_object *a, const char *key, const char *name);

/* Name sets: arrays of strings sorted by strcmp without duplicates. */
/* The names of array a as a new name set: string elements, and each
 * object element's string member key (with sub/subkey also
 * "name.SUBNAME" for the string member subkey of each object in its array
 * member sub).  Anything else in a is dropped; a non-array gives an empty
 * set.  A name set gives itself back (equal), so applying this twice is
 * harmless. */
json_object *cp_json_name_set(json_object *a, const char *key, const char *sub, const char *subkey);
/* Is name in the name set s (NULL or a non-array: no)? */
bool cp_json_name_set_has(json_object *s, const char *name);

/* Output of --format json. */
/* A JSON string of s that is valid UTF-8 whatever s holds: each ill-formed
 * sequence (an overlong form, a surrogate, a value past U+10FFFF, a stray
 * continuation byte, a truncated character) becomes U+FFFD, one for each
 * maximal subpart as Unicode recommends (and Python's "replace" does).  json-c then escapes quotes, backslashes and every control
 * character on output, as RFC 8259 asks. */
json_object *cp_json_string(const char *s);
/* o printed with two-space indentation and a final newline, malloc'd; o
 * is released. */
char *cp_json_finish(json_object *o);

#endif
