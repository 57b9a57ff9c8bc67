#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "cpu.h"
#include "nonx86_cpumap.h"

/* ppc64 host CPU (derivation §10.2): the first map model whose masked PVR
 * matches gives <model> and its vendor; no features. */

int cp_ppc_decode(uint32_t pvr, struct cp_host_cpu *cpu)
{
	for (size_t i = 0; i < cp_ppc_npvrs; i++) {
		const struct cp_ppc_pvr *p = &cp_ppc_pvrs[i];

		if ((pvr & p->mask) == p->value) {
			cpu->model = cp_strdup(p->model);
			if (p->vendor)
				cpu->vendor = cp_strdup(p->vendor);
			return 0;
		}
	}
	return cp_fail(-ENOENT, "ppc64: no CPU model with PVR 0x%08x", pvr);
}

int cp_cpu_ppc(const struct cp_root *r, struct cp_host_cpu *cpu)
{
	uint64_t pvr;
	char *s;
	int rc = cp_fact_read(r, "pvr", &s);

	if (rc == -ENOENT && cp_root_live(r)) {
#if defined(__powerpc64__) || defined(__powerpc__)
		unsigned long v;
		char text[16];

		__asm__("mfpvr %0" : "=r"(v));
		snprintf(text, sizeof(text), "0x%08x\n", (unsigned)v);
		cp_fact_write(r, "pvr", text);
		return cp_ppc_decode((uint32_t)v, cpu);
#else
		return cp_fail(-ENOTSUP, "ppc64: the PVR is readable only by a ppc64 build");
#endif
	}
	if (rc < 0)
		return cp_fail(rc, "ppc64: recorded tree has no readable " CP_FACTS_DIR "/pvr");
	rc = cp_parse_u64(s, 16, true, &pvr);
	free(s);
	if (rc < 0 || pvr > UINT32_MAX)
		return cp_fail(-EINVAL, "ppc64: recorded " CP_FACTS_DIR "/pvr is not a 32-bit number");
	return cp_ppc_decode((uint32_t)pvr, cpu);
}
