/* The <sysinfo> document of virsh sysinfo (libvirt's virSysinfoFormat), a
 * pure function of model/node.h's struct cp_sysinfo. */
#ifndef CP_XML_SYSINFO_H
#define CP_XML_SYSINFO_H

#include "model/node.h"
#include "xml/writer.h"

/* The whole text virsh prints, or its JSON form
 * (man/schemas/sysinfo.schema.json); caller frees. */
char *cp_sysinfo_format(const struct cp_sysinfo *s, enum cp_doc_format f);
extern const struct cp_xml_shape cp_sysinfo_shape[];

#endif
