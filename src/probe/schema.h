/* Queries over QEMU's query-qmp-schema answer with libvirt's path
 * mini-language, e.g. "query-display-options/ret-type/+sdl".
 *
 * A path starts with a command or event name; then, per schema entry met:
 *   command   "arg-type" | "ret-type" selects the type to continue with
 *   object    NAME member, *NAME optional member, +CASE union variant,
 *             $FEAT the object has feature FEAT (last component)
 *   array     transparent: continues with the element type
 *   alternate each member type is tried in turn
 *   enum      ^VALUE the value exists (optionally followed by $FEAT of it)
 *   builtin   !JSONTYPE the json-type matches
 * A path exists when every component is consumed. */
#ifndef CP_PROBE_SCHEMA_H
#define CP_PROBE_SCHEMA_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

struct cp_schema;

/* Index the answer (an array of entries) by name; NULL answer or garbage
 * gives an empty index.  The schema keeps its own reference. */
struct cp_schema *cp_schema_new(json_object *answer);
/* The same from the answer's JSON text (len bytes, borrowed: it must outlive
 * the schema; every scan stops at len), indexed without
 * parsing: an entry is parsed only when a query reaches it.  QEMU's x86
 * schema is about 190 KB and a domain's queries touch a few hundred of its
 * thousands of entries; a cache load keeps it as text for this (probe.h). */
struct cp_schema *cp_schema_new_text(const char *text, size_t len);
void cp_schema_free(struct cp_schema *s);

/* Past the JSON value at p (leading whitespace not skipped), following
 * only strings and nesting (no full validation), or NULL when it does not
 * end before end. */
const char *cp_json_skip(const char *p, const char *end);

bool cp_schema_path_exists(const struct cp_schema *s, const char *path);
/* An entry of that name with meta-type "command". */
bool cp_schema_has_command(const struct cp_schema *s, const char *name);

#endif
