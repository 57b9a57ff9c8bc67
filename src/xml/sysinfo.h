/* The <sysinfo> document of virsh sysinfo (libvirt's virSysinfoFormat), a
 * pure function of model/node.h's struct cp_sysinfo. */
#ifndef CP_XML_SYSINFO_H
#define CP_XML_SYSINFO_H

#include "model/node.h"

/* The whole text virsh prints; caller frees. */
char *cp_sysinfo_format(const struct cp_sysinfo *s);

#endif
