/* The QEMU prober: runs an emulator (one or two processes, overlapped) and
 * keeps the answers to a fixed table of questions (cp_answer_reduce() says
 * which are kept reduced).  The rules in rules.c turn those answers into
 * domain capabilities; the answers are what a cache stores.  Recordings
 * replay the conversations as QEMU held them.
 *
 * Passes follow libvirt: pass 1 starts QEMU with accel "kvm:tcg" and asks
 * everything (binary-wide questions and the accelerator's own); when pass 1
 * runs under KVM and TCG data is needed, pass 2 ("tcg") asks only the
 * accelerator-specific questions.  capsprobe starts pass 2 alongside pass 1
 * rather than after it, and skips it when the request does not need it. */
#ifndef CP_PROBE_PROBE_H
#define CP_PROBE_PROBE_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>

struct cp_replay;

/* The questions.  Accelerator-specific ones are marked (A): they are asked
 * in both passes; the others only in pass 1. */
enum cp_q {
	CP_Q_VERSION,		/* query-version */
	CP_Q_TARGET,		/* query-target */
	CP_Q_SCHEMA,		/* query-qmp-schema */
	CP_Q_KVM,		/* query-kvm */
	CP_Q_TYPES,		/* qom-list-types */
	CP_Q_MAX_CPU_PROPS,	/* qom-list-properties max-x86_64-cpu / max-arm-cpu */
	CP_Q_MACHINES,		/* (A) query-machines */
	CP_Q_NONE_MACHINE_PROPS,	/* qom-list-properties none-machine */
	CP_Q_PC_MACHINE_PROPS,	/* qom-list-properties generic-pc-machine (x86) */
	CP_Q_VIRT_MACHINE_PROPS,	/* qom-list-properties <virt|pseries canonical>-machine */
	CP_Q_CPU_DEFS,		/* (A) query-cpu-definitions */
	CP_Q_TPM_MODELS,	/* query-tpm-models */
	CP_Q_TPM_TYPES,		/* query-tpm-types */
	CP_Q_CMDLINE,		/* query-command-line-options */
	CP_Q_GIC,		/* query-gic-capabilities (arm) */
	CP_Q_SEV,		/* query-sev-capabilities (if sev-guest) */
	CP_Q_SGX,		/* query-sgx-capabilities (if sgx-epc) */
	CP_Q_EXPAND,		/* (A) host/max CPU expansion (static; full on ARM) */
	CP_Q_EXPAND_FULL,	/* (A) i386: full expansion of EXPAND's base model */
	CP_Q_EXPAND_NONMIG,	/* (A) x86: EXPAND with migratable=false */
	CP_Q_EXPAND_NONMIG_FULL,	/* (A) i386: full expansion of that */
	CP_Q_HV_EXPAND,		/* full host expansion with hv-passthrough (x86, ARM) */
	CP_Q_COUNT
};

struct cp_qanswer {
	bool asked;
	json_object *ret;	/* the "return" value; NULL when not asked or error */
	char err_class[64];	/* QMP error class when QEMU answered an error */
	char err_desc[256];
};

struct cp_qemu_pass {
	bool ran;
	char accel[8];		/* "kvm:tcg" or "tcg" */
	bool kvm;		/* this process ran under KVM (query-kvm) */
	struct cp_qanswer a[CP_Q_COUNT];
	/* JSON memory charged to the process budget for these answers
	 * (util/jsonmem.h), given back by cp_qemu_probe_free() */
	uint64_t mem;
};

struct cp_qemu_probe {
	char *binary;
	const char *arch;	/* libvirt arch of the binary (query-target mapped) */
	unsigned version;	/* major * 1000000 + minor * 1000 + micro */
	char *package;		/* query-version package string */
	bool kvm;		/* KVM usable through this binary (pass 1) */
	bool tcg;		/* the tcg-accel QOM type exists */
	struct cp_qemu_pass pass1;
	struct cp_qemu_pass pass2;	/* ran only when needed */
};

struct cp_probe_req {
	const char *binary;
	int64_t deadline_ms;	/* absolute, cp_clock_ms() units */
	bool need_tcg;		/* TCG data needed (virttype qemu) */
	bool light;		/* only VERSION, TARGET, KVM, TYPES, MACHINES (for <guest>) */
	/* NULL, or write <dir>/<version>-<arch>[-<variant>].replies, through
	 * record_fd, dir's descriptor from cp_record_dir_open() or
	 * cp_root_record_subdir() (record_dir names it in messages) */
	const char *record_dir;
	int record_fd;
	/* Start pass 2 together with pass 1 (when need_tcg): KVM is expected
	 * to work for this binary.  If it turns out not to, pass 2 is dropped;
	 * if KVM works although not expected, pass 2 runs after pass 1. */
	bool expect_kvm;
	/* Replay instead of running QEMU: the recorded pass 1 and pass 2
	 * (see replay.h; borrowed).  replay2 may be NULL when no TCG pass is
	 * recorded (then a needed pass 2 is an error). */
	struct cp_replay *replay1, *replay2;
};

/* Recording (record_dir): every question is asked, including those only
 * libvirt's cache needs, and pass 2 always runs when pass 1 has KVM, so
 * that one recording answers every request.  Variants in the file name:
 *   <version>-<arch>-kvm.replies   pass 1 (accel kvm:tcg) that ran under KVM
 *   <version>-<arch>-tcg.replies   pass 2 (accel tcg)
 *   <version>-<arch>.replies       pass 1 that ran without KVM (the only pass)
 * <arch> is libvirt's name of the binary's arch (i686 for qemu-system-i386). */

/* 0, or -errno with a message.  -ENOTSUP is a refusal of the binary for
 * what it is (a QEMU older than supported, an arch libvirt does not know):
 * the same binary always gets it, so the cache keeps it like an answer;
 * no other failure is -ENOTSUP. */
int cp_qemu_probe(const struct cp_probe_req *req, struct cp_qemu_probe *out);

/* What the probe keeps of an answer (*ret is replaced): the answers the
 * rules only ask "is X there?" become name sets (util/json.h): QOM types and
 * property lists their names, command-line options "OPTION" and
 * "OPTION.PARAMETER".  Those answers hold most of an x86 probe's JSON
 * objects; kept reduced, a cache load parses a fraction of what QEMU sent
 * and each lookup is a binary search.  Every way an answer enters a probe
 * (QEMU, a replay, a cache entry, a serialized probe) goes through this;
 * a reduced answer stays as it is. */
void cp_answer_reduce(enum cp_q q, json_object **ret);
void cp_qemu_probe_free(struct cp_qemu_probe *p);
/* Is q asked by a light probe too? */
bool cp_q_light(enum cp_q q);

/* The answer for virttype kvm (pass 1) or qemu (pass 2 when it ran, else
 * pass 1); binary-wide questions always come from pass 1. */
const struct cp_qanswer *cp_probe_answer(const struct cp_qemu_probe *p, bool kvm, enum cp_q q);

#endif
