/* A CPU definition as libvirt's virCPUDefFormat prints it (what virsh
 * cpu-baseline prints), a pure function of model/cpu.h. */
#ifndef CP_XML_CPU_H
#define CP_XML_CPU_H

#include "model/cpu.h"
#include "xml/writer.h"

/* The <cpu> element and the blank line virsh prints after it, or its JSON
 * form (man/schemas/cpu.schema.json).  Caller frees. */
char *cp_cpu_format(const struct cp_cpu_def *d, enum cp_doc_format f);
extern const struct cp_xml_shape cp_cpu_shape[];

#endif
