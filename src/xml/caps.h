/* The <capabilities> printer: a pure function of the model. */
#ifndef CP_XML_CAPS_H
#define CP_XML_CAPS_H

#include "model/host.h"
#include "xml/writer.h"

/* The document as `virsh capabilities` prints it (ending in a blank line),
 * or its JSON form (man/schemas/capabilities.schema.json).  Caller frees. */
char *cp_caps_format(const struct cp_host *h, enum cp_doc_format f);
extern const struct cp_xml_shape cp_caps_shape[];

/* Largest unit of B, KiB, MiB, GiB, TiB, PiB that divides bytes exactly;
 * *value is bytes in that unit. */
const char *cp_exact_unit(uint64_t bytes, uint64_t *value);

#endif
