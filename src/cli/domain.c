/* capsprobe domain: an emulator's <domainCapabilities>, as
 * 'virsh domcapabilities'. */
#include "config.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cache/store.h"
#include "model/domcaps.h"
#include "domcaps/resolve.h"
#include "util/path.h"
#include "xml/domcaps.h"
#include "xml/stable.h"

static const struct cli_opt opts[] = {
	{ OPT_EMULATOR, "emulator", 0, VAL_EMULATOR, "PATH",
	  "the QEMU system emulator (alias --emulatorbin);\ndefault: qemu-system-<arch> in PATH, as libvirt\n"
	  "finds it (also /usr/libexec/qemu-kvm)" },
	CLI_OPT_EMULATORBIN,
	{ OPT_ARCH, "arch", 0, VAL_ARCH, "ARCH",
	  "guest arch (libvirt's names: x86_64, i686,\naarch64, ...); default: the emulator's own" },
	{ OPT_MACHINE, "machine", 0, VAL_MACHINE, "TYPE",
	  "machine type or alias (q35, pc, virt, ...);\ndefault: the one libvirt would choose" },
	{ OPT_VIRTTYPE, "virttype", 0, VAL_VIRTTYPE, "TYPE",
	  "kvm or qemu; default: kvm when /dev/kvm works\nfor the emulator, else qemu" },
	{ OPT_TIMEOUT, "timeout", 0, VAL_TEXT, "SECONDS", "limit for the whole probe (default 30)" },
	{ OPT_SYSROOT, "sysroot", 's', VAL_DIR, "DIR",
	  "start no QEMU: replay the conversations recorded\nin DIR/capsprobe/qemu/<emulator path>/ and read\n"
	  "host facts from DIR" },
	{ OPT_RECORD, "record", 0, VAL_DIR, "DIR",
	  "also record host facts and the QMP conversation\ninto DIR, which then works as a --sysroot" },
	{ OPT_RECORD_QMP, "record-qmp", 0, VAL_DIR, "DIR",
	  "write each pass's QMP conversation to\nDIR/<qemu-version>-<arch>[-kvm|-tcg].replies" },
	CLI_OPT_CACHE,
	CLI_OPT_FORMAT_XML,
	CLI_OPT_XPATH,
	CLI_OPT_STABLE,
	CLI_OPT_DEBUG,
	CLI_OPT_VERBOSE_PROBE,
	CLI_OPT_HELP,
	{ 0 }
};

static int run(int argc, char **argv)
{
	struct cp_domain_args a = { 0 };
	struct cli cl = { .cmd = &cli_domain };
	struct cp_domcaps dc;
	int id, rc;

	while ((id = cli_next(&cl, argc, argv)) != OPT_END) {
		switch (id) {
		case OPT_RECORD_QMP: a.record_qmp = optarg; break;
		case OPT_RECORD: a.record = optarg; break;
		default:
			if (cli_request_opt(&a, id))
				break;
			if ((rc = cli_common_opt(&cl, id, argv)) != OPT_NEXT)
				return rc;
		}
	}
	if ((rc = cli_no_args(&cl, argc, argv)))
		return rc;
	if ((rc = cli_domain_caps(&cl, &a, &dc)) > 0)
		return rc;
	if (rc < 0)
		return cli_done(&cl, cli_print_error(rc, EXIT_PROBE));
	cp_verbose("emulator %s, arch %s, machine %s, virttype %s", dc.path ? dc.path : "-",
		   dc.arch ? dc.arch : "-", dc.machine ? dc.machine : "-", dc.domain ? dc.domain : "-");
	if (cl.stable)
		cp_domcaps_stabilize(&dc);
	{
		char *doc = cp_domcaps_format(&dc, cl.format);

		cp_domcaps_free(&dc);
		return cli_done(&cl, cli_emit(&cl, doc));
	}
}

const struct cli_command cli_domain = {
	.name = "domain",
	.summary = "Print an emulator's <domainCapabilities>, as 'virsh domcapabilities' does.",
	.notes =
		"QEMU's answers are cached as for 'capsprobe host'; firmware descriptors\n"
		"and host facts are read afresh every run.  --sysroot, --record and\n"
		"--record-qmp bypass the cache.  Their DIR: a directory of yours no one\n"
		"else can write (made when missing); links in it are not followed.\n",
	.opts = opts,
	.run = run,
};
