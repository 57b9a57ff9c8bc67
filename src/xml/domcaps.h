/* The <domainCapabilities> printer: a pure function of the model. */
#ifndef CP_XML_DOMCAPS_H
#define CP_XML_DOMCAPS_H

#include "model/domcaps.h"

/* The document as `virsh domcapabilities` prints it (ending in a blank
 * line).  Caller frees. */
char *cp_domcaps_format(const struct cp_domcaps *dc);

#endif
