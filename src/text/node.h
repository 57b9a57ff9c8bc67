/* Text printers of the node model (model/node.h): virsh 11.3's output of
 * nodeinfo, nodecpumap, freecell, freepages, nodememstats and nodecpustats,
 * byte for byte, including the empty line virsh ends each command's output
 * with.  Pure functions: each returns the whole text (malloc'd). */
#ifndef CP_TEXT_NODE_H
#define CP_TEXT_NODE_H

#include <stdbool.h>

#include "model/node.h"

char *cp_text_nodeinfo(const struct cp_node_info *ni);
char *cp_text_cpumap(const struct cp_node_cpumap *m, bool pretty);
char *cp_text_freecell(const struct cp_node_free *f);
char *cp_text_freepages(const struct cp_node_pages *p);
char *cp_text_memstats(const struct cp_node_memstats *m);
char *cp_text_cpustats(const struct cp_node_cpustats *s);

/* The same facts as --format json (one schema each under man/schemas/,
 * named after the command): numbers as numbers, in the units the text
 * prints (KiB, nanoseconds, percent to the text's one decimal), ending in
 * a newline. */
char *cp_json_nodeinfo(const struct cp_node_info *ni);
/* the online CPUs below present, whatever --pretty says */
char *cp_json_cpumap(const struct cp_node_cpumap *m);
char *cp_json_freecell(const struct cp_node_free *f);
char *cp_json_freepages(const struct cp_node_pages *p);
/* the fields the source filled (virsh prints ":  0 KiB" for the others) */
char *cp_json_memstats(const struct cp_node_memstats *m);
char *cp_json_cpustats(const struct cp_node_cpustats *s);

#endif
