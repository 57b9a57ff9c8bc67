/* The <domainCapabilities> printer: a pure function of the model. */
#ifndef CP_XML_DOMCAPS_H
#define CP_XML_DOMCAPS_H

#include "model/domcaps.h"
#include "xml/writer.h"

/* The document as `virsh domcapabilities` prints it (ending in a blank
 * line), or its JSON form (man/schemas/domainCapabilities.schema.json).
 * Caller frees. */
char *cp_domcaps_format(const struct cp_domcaps *dc, enum cp_doc_format f);
extern const struct cp_xml_shape cp_domcaps_shape[];

#endif
