/* The CPU definitions of an input file, found where virsh's cpu-baseline
 * and cpu-compare find them (vshExtractCPUDefXMLs): the file is wrapped in
 * one element, so it may hold several documents, and each <cpu> at the top,
 * each <domain>'s <cpu>, each <capabilities>' host <cpu> and each
 * <domainCapabilities>' supported host-model <mode> is one definition,
 * read as libvirt's virCPUDefParseXML reads it. */
#ifndef CP_CPU_PARSE_H
#define CP_CPU_PARSE_H

#include <stddef.h>

#include "model/cpu.h"

enum cp_cpu_parse_as {
	/* libvirt's VIR_CPU_TYPE_AUTO (cpu-compare): a <cpu> with <arch> is a
	 * host CPU, any other a guest CPU */
	CP_PARSE_AUTO,
	/* cpu-baseline: a <cpu> with <arch> is a host CPU as virsh reads it
	 * (policies and match ignored); one without is taken as a guest CPU
	 * (virsh refuses it), and a domain capabilities' host-model gets the
	 * document's <arch> */
	CP_PARSE_BASELINE,
};

/* The largest input read, as virsh's limit. */
#define CP_CPU_MAX_INPUT (10u * 1024 * 1024)

/* Parse text (len bytes; name for messages).  0 and at least one
 * definition in *out (caller frees each with cp_cpu_def_free, then the
 * array); -EINVAL with the message set: not XML, no CPU, a definition
 * libvirt refuses. */
int cp_cpu_parse_text(const char *text, size_t len, const char *name, enum cp_cpu_parse_as as,
		      struct cp_cpu_def **out, size_t *n);
/* The same on a file's content ("-": standard input). */
int cp_cpu_parse_file(const char *path, enum cp_cpu_parse_as as, struct cp_cpu_def **out, size_t *n);
void cp_cpu_defs_free(struct cp_cpu_def *v, size_t n);

#endif
