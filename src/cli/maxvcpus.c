/* capsprobe maxvcpus: 'virsh maxvcpus'.  virsh prints the <vcpu max> of
 * the default emulator's domain capabilities for the type; when those
 * cannot be had (no emulator, KVM not usable, a type the domain command
 * does not take) it asks the QEMU driver instead, which answers 16 for
 * no type or qemu (any case), KVM's own limit for kvm, else an error. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli/cli.h"
#include "domcaps/resolve.h"
#include "model/domcaps.h"
#include "util/hostdev.h"
#include "util/json.h"
#include "util/path.h"
#include "util/str.h"

static const struct cli_opt opts[] = {
	{ OPT_TYPE, "type", 0, VAL_VIRTTYPE, "TYPE", "the domain type: qemu or kvm (default: as the domain\ncommand chooses)" },
	CLI_OPT_REPLAY,
	CLI_OPT_PROBE_TIMEOUT,
	CLI_OPT_CACHE,
	CLI_OPT_DEBUG,
	CLI_OPT_FORMAT_TEXT,
	CLI_OPT_HELP,
	{ 0 }
};

/* virsh's number and empty line, or {"maxvcpus": N} */
static char *format(unsigned max, enum cp_doc_format f)
{
	json_object *o;

	if (f != CP_DOC_JSON)
		return cp_asprintf("%u\n\n", max);
	if (!(o = json_object_new_object()) || json_object_object_add(o, "maxvcpus", json_object_new_uint64(max)) < 0)
		cp_oom();
	return cp_json_finish(o);
}

/* The QEMU driver's answer (qemuConnectGetMaxVcpus). */
static int driver_max(const struct cp_root *r, void *arg, enum cp_doc_format f, char **text)
{
	const char *type = arg;
	char *s = NULL;
	uint64_t v;
	int rc;

	if (!type || strcasecmp(type, "qemu") == 0) {
		*text = format(16, f);
		return 0;
	}
	if (strcasecmp(type, "kvm") != 0)
		return cp_fail(-EINVAL, "invalid argument: unknown type '%s'", type);
	/* libvirt's wording for /dev/kvm that does not open */
	if ((rc = cp_fact(r, "kvm-max-vcpus", cp_hostdev_kvm_max_vcpus, NULL, &s)) < 0)
		return cp_fail(rc, "Unable to open /dev/kvm: %s", strerror(-rc));
	rc = cp_parse_u64(s, 10, true, &v);
	free(s);
	if (rc < 0 || v == 0 || v > INT32_MAX)
		return cp_fail(-EBADMSG, "KVM's vCPU limit (fact kvm-max-vcpus) is not a vCPU count");
	*text = format((unsigned)v, f);
	return 0;
}

static int run(int argc, char **argv)
{
	struct cp_domain_args a = { 0 };
	struct cli cl = { .cmd = &cli_maxvcpus };
	struct cp_domcaps dc;
	const char *type = NULL;
	int id, rc;

	while ((id = cli_next(&cl, argc, argv)) != OPT_END) {
		switch (id) {
		case OPT_TYPE: type = optarg; break;
		case OPT_SYSROOT: a.sysroot = optarg; break;
		default:
			if ((rc = cli_common_opt(&cl, id, argv)) != OPT_NEXT)
				return rc;
		}
	}
	if ((rc = cli_no_args(&cl, argc, argv)))
		return rc;
	/* virsh asks for the domain capabilities with the type as given; the
	 * types they refuse go straight to the driver */
	if (!type || strcmp(type, "kvm") == 0 || strcmp(type, "qemu") == 0) {
		a.virttype = type;
		if ((rc = cli_domain_caps(&cl, &a, &dc)) > 0)
			return rc;
		if (rc == 0) {
			unsigned max = dc.vcpu_max;

			cp_domcaps_free(&dc);
			if (max)
				return cli_done(&cl, cli_emit(&cl, format(max, cl.format)));
		}
	} else if ((rc = cli_check(&cl))) {
		return rc;
	}
	return cli_node_run(&cl, a.sysroot, driver_max, (void *)type);
}

const struct cli_command cli_maxvcpus = {
	.name = "maxvcpus",
	.summary = "Print the most vCPUs a guest may have, as 'virsh maxvcpus' does.",
	.notes =
		"The <vcpu max> of the default emulator's domain capabilities (see\n"
		"'capsprobe domain') for the type; when there are none (no emulator,\n"
		"KVM not usable), 16 for qemu or no type, KVM's limit for kvm.\n",
	.opts = opts,
	.run = run,
};
