#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/cpu.h"
#include "cpumap/nonx86_cpumap.h"

/* ppc64 host CPU (virCPUppc64GetHost): the first map model whose masked PVR
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

static int pvr_live(void *arg, char **text)
{
	(void)arg;
#if defined(__powerpc64__) || defined(__powerpc__)
	unsigned long v;

	__asm__("mfpvr %0" : "=r"(v));
	*text = cp_asprintf("0x%08x\n", (unsigned)v);
	return 0;
#else
	(void)text;
	return -ENOTSUP;
#endif
}

int cp_cpu_ppc(const struct cp_root *r, struct cp_host_cpu *cpu)
{
	uint64_t pvr;
	char *s;
	int rc = cp_fact(r, "pvr", pvr_live, NULL, &s);

	if (rc == -ENOTSUP && cp_root_live(r))
		return cp_fail(rc, "ppc64: the PVR is readable only by a ppc64 build");
	if (rc < 0)
		return cp_fail(rc, "ppc64: cannot read the pvr fact: %s", strerror(-rc));
	rc = cp_parse_u64(s, 16, true, &pvr);
	free(s);
	if (rc < 0 || pvr > UINT32_MAX)
		return cp_fail(-EINVAL, "ppc64: recorded " CP_FACTS_DIR "/pvr is not a 32-bit number");
	return cp_ppc_decode((uint32_t)pvr, cpu);
}
