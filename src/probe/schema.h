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
void cp_schema_free(struct cp_schema *s);

/* Past the JSON value at p (leading whitespace not skipped), following
 * only strings and nesting (no full validation), or NULL when it does not
 * end before end. */
const char *cp_json_skip(const char *p, const char *end);

bool cp_schema_path_exists(const struct cp_schema *s, const char *path);
/* An entry of that name with meta-type "command". */
bool cp_schema_has_command(const struct cp_schema *s, const char *name);

/* The paths the domain rules ask of the schema, by CP_SCHEMA_*. */
enum cp_schema_path {
	CP_SCHEMA_SDL,
	CP_SCHEMA_EGL_HEADLESS,
	CP_SCHEMA_DISPLAY_DBUS,
	CP_SCHEMA_BITMAP_TRANSFORM,
	CP_SCHEMA_NETDEV_STREAM,
	CP_SCHEMA_PATH_COUNT
};
extern const char *const cp_schema_paths[CP_SCHEMA_PATH_COUNT];

/* A probe keeps the schema (about 190 KB on x86) as a name set
 * (util/json.h): the names of its commands and those of cp_schema_paths
 * that exist (a path has a '/', a command name never has one here), which is
 * all the prober and the rules ask of it.  A name set is returned as it is
 * (a new reference), so a reduced answer reduces to itself.  New reference. */
json_object *cp_schema_reduce(json_object *answer);

#endif
