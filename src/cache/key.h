/* The probe cache's key: every input that can change QEMU's answers (the
 * cp_ck fields), computed from the live system before QEMU starts.  An
 * entry stores each field in full and a load compares every one of them. */
#ifndef CP_CACHE_KEY_H
#define CP_CACHE_KEY_H

#include <time.h>

/* Debian's multiarch directory name of the build's own arch (libraries in
 * /usr/lib/<triplet>, QEMU's modules in /usr/lib/<triplet>/qemu). */
#if defined(__x86_64__)
#define CP_TRIPLET "x86_64-linux-gnu"
#elif defined(__i386__)
#define CP_TRIPLET "i386-linux-gnu"
#elif defined(__aarch64__)
#define CP_TRIPLET "aarch64-linux-gnu"
#elif defined(__arm__)
#define CP_TRIPLET "arm-linux-gnueabihf"
#elif defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define CP_TRIPLET "powerpc64le-linux-gnu"
#elif defined(__powerpc64__)
#define CP_TRIPLET "powerpc64-linux-gnu"
#elif defined(__s390x__)
#define CP_TRIPLET "s390x-linux-gnu"
#elif defined(__riscv) && __riscv_xlen == 64
#define CP_TRIPLET "riscv64-linux-gnu"
#elif defined(__loongarch64)
#define CP_TRIPLET "loongarch64-linux-gnu"
#endif

/* The key fields, all stored and compared as strings. */
enum cp_ck {
	CP_CK_BINARY,		/* emulator path as given */
	CP_CK_DEV,		/* st_dev of the binary (stat follows symlinks) */
	CP_CK_INO,
	CP_CK_SIZE,
	CP_CK_MTIME,		/* "sec.nsec" */
	CP_CK_CTIME,
	CP_CK_MODULES,		/* listing of QEMU's module directories, see cache/key.c */
	CP_CK_KERNEL,		/* uname release + " " + version */
	CP_CK_MICROCODE,	/* /proc/cpuinfo microcode values, "" when none */
	CP_CK_SIGNATURE,	/* x86 CPUID leaf 1 EAX, aarch64 MIDR_EL1, then
				 * libvirt's /proc/cpuinfo signature; else "" */
	CP_CK_KVM,		/* "1" when /dev/kvm opens read-write */
	CP_CK_ENV,		/* CAPSPROBE_FAKE_* variables the emulator sees */
	CP_CK_CAPSPROBE,	/* PACKAGE_VERSION */
	CP_CK_COUNT
};

/* JSON member name of each key field. */
extern const char *const cp_cache_key_names[CP_CK_COUNT];

struct cp_cache_key {
	char *f[CP_CK_COUNT];
};

/* Key inputs that tests replace so they never depend on the live host.
 * A NULL pointer (or a NULL struct) means the live source. */
struct cp_cache_inputs {
	const char *const *module_dirs;	/* NULL-terminated; NULL: QEMU's search path */
	const char *const *so_dirs;	/* NULL-terminated: *.so only and memoized, as the
					 * binary's own directory; with module_dirs, either
					 * set: these two lists only */
	const struct timespec *clock;	/* CLOCK_REALTIME: when a memo's listing is taken */
	const char *cpuinfo_path;	/* "/proc/cpuinfo" */
	const char *kernel;		/* uname */
	const char *signature;		/* CPUID / MIDR */
	const char *version;		/* PACKAGE_VERSION */
};

struct cp_cache;

/* The key of binary on this system.  -errno (message formed) when the
 * binary cannot be stat'ed; other inputs that cannot be read key as
 * absent ("" or "-").  With a cache c (may be NULL), the *.so names of the
 * binary's directory are memoized in it (CP_CACHE_MODULES, see cache/key.c);
 * the key is the same either way. */
int cp_cache_key_get(struct cp_cache *c, const char *binary, const struct cp_cache_inputs *in,
		     struct cp_cache_key *out);
void cp_cache_key_free(struct cp_cache_key *k);

#endif
