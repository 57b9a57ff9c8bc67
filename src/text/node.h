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

#endif
