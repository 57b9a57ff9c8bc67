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
#ifndef CP_QEMU_SCHEMA_H
#define CP_QEMU_SCHEMA_H

#include <json-c/json.h>
#include <stdbool.h>

struct cp_schema;

/* Index the answer (an array of entries) by name; NULL answer or garbage
 * gives an empty index.  The schema keeps its own reference. */
struct cp_schema *cp_schema_new(json_object *answer);
void cp_schema_free(struct cp_schema *s);

bool cp_schema_path_exists(const struct cp_schema *s, const char *path);
/* An entry of that name with meta-type "command". */
bool cp_schema_has_command(const struct cp_schema *s, const char *name);

#endif
