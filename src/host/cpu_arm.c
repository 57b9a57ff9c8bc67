#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef __aarch64__
#include <sys/auxv.h>
#endif

#include "host/cpu.h"
#include "cpumap/nonx86_cpumap.h"

/* aarch64 host CPU (virCPUarmGetHost): the model from MIDR_EL1's part
 * number, the vendor from its implementer, features from AT_HWCAP. */

/* Kernel names of AT_HWCAP bits 0-31, as libvirt prints them. */
static const char *const hwcap_names[32] = {
	"fp", "asimd", "evtstrm", "aes", "pmull", "sha1", "sha2", "crc32",
	"atomics", "fphp", "asimdhp", "cpuid", "asimdrdm", "jscvt", "fcma", "lrcpc",
	"dcpop", "sha3", "sm3", "sm4", "asimddp", "sha512", "sve", "asimdfhm",
	"dit", "uscat", "ilrcpc", "flagm", "ssbs", "sb", "paca", "pacg",
};

#define HWCAP_CPUID_BIT 11

int cp_arm_decode(uint64_t midr, uint64_t hwcap, struct cp_host_cpu *cpu)
{
	unsigned part = (unsigned)(midr >> 4) & 0xfff;
	unsigned impl = (unsigned)(midr >> 24) & 0xff;
	const struct cp_arm_vendor *vendor = NULL;
	size_t i;

	/* Without HWCAP_CPUID the kernel does not emulate MIDR reads. */
	if (!(hwcap & (1u << HWCAP_CPUID_BIT)))
		return cp_fail(-ENOENT, "aarch64: CPUID registers unavailable (no HWCAP_CPUID)");
	/* The part number alone picks the model: map order breaks ties. */
	for (i = 0; i < cp_arm_nmodels && cp_arm_models[i].part != part; i++)
		;
	if (i == cp_arm_nmodels)
		return cp_fail(-ENOENT, "aarch64: no CPU model with part number 0x%03x", part);
	cpu->model = cp_strdup(cp_arm_models[i].name);
	/* An unknown implementer fails after the model was set, so libvirt
	 * prints the model alone; implementer 0 means "none" and is fine. */
	if (impl) {
		for (i = 0; i < cp_arm_nvendors && cp_arm_vendors[i].implementer != impl; i++)
			;
		if (i == cp_arm_nvendors)
			return cp_fail(-ENOENT, "aarch64: no CPU vendor with implementer 0x%02x", impl);
		vendor = &cp_arm_vendors[i];
		cpu->vendor = cp_strdup(vendor->name);
	}
	for (unsigned bit = 0; bit < 32; bit++)
		if (hwcap & (1ull << bit))
			cp_strv_push(&cpu->features, cp_strdup(hwcap_names[bit]));
	return 0;
}

static int hwcap_live(void *arg, char **text)
{
	(void)arg;
#ifdef __aarch64__
	*text = cp_asprintf("0x%016llx\n", (unsigned long long)getauxval(AT_HWCAP));
	return 0;
#else
	/* only an aarch64 build can see an aarch64 auxiliary vector */
	(void)text;
	return -ENOTSUP;
#endif
}

static int read_hwcap(const struct cp_root *r, uint64_t *hwcap)
{
	char *s;
	int rc = cp_fact(r, "hwcap", hwcap_live, NULL, &s);

	if (rc == -ENOTSUP && cp_root_live(r))
		return cp_fail(rc, "aarch64: AT_HWCAP is readable only by an aarch64 build");
	if (rc < 0)
		return cp_fail(rc, "aarch64: cannot read the hwcap fact: %s", strerror(-rc));
	rc = cp_parse_u64(s, 16, true, hwcap);
	free(s);
	if (rc < 0)
		return cp_fail(rc, "aarch64: recorded " CP_FACTS_DIR "/hwcap is not a number");
	return 0;
}

/* libvirt executes "mrs MIDR_EL1", which the kernel emulates on whichever
 * core the thread runs on; on big.LITTLE systems the answer depends on the
 * scheduler.  cpu0's sysfs copy (Linux 4.11+) is deterministic and can be
 * recorded, so it is used; only a live aarch64 build without that file
 * falls back to the instruction. */
static int read_midr(const struct cp_root *r, uint64_t *midr)
{
	char *s;
	int rc = cp_read_str(r, &s, "/sys/devices/system/cpu/cpu0/regs/identification/midr_el1");

#ifdef __aarch64__
	if (rc == -ENOENT && cp_root_live(r)) {
		uint64_t v;

		__asm__("mrs %0, MIDR_EL1" : "=r"(v));
		*midr = v;
		return 0;
	}
#endif
	if (rc < 0)
		return cp_fail(rc, "aarch64: cannot read cpu0's midr_el1: %s", strerror(-rc));
	rc = cp_parse_u64(s, 0, false, midr);
	free(s);
	if (rc < 0)
		return cp_fail(rc, "aarch64: cpu0's midr_el1 is not a number");
	return 0;
}

int cp_cpu_arm(const struct cp_root *r, struct cp_host_cpu *cpu)
{
	uint64_t hwcap, midr;
	int rc;

	if ((rc = read_hwcap(r, &hwcap)) < 0)
		return rc;
	if (!(hwcap & (1u << HWCAP_CPUID_BIT)))
		return cp_arm_decode(0, hwcap, cpu);	/* fails like libvirt, before MIDR */
	if ((rc = read_midr(r, &midr)) < 0)
		return rc;
	return cp_arm_decode(midr, hwcap, cpu);
}
