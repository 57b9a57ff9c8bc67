/* capsprobe hypervisor-cpu-compare FILE: how a CPU compares with the one
 * QEMU provides for an emulator, arch, machine and virttype, as 'virsh
 * hypervisor-cpu-compare' says it (the QEMU driver's x86 answer, from the
 * domain capabilities 'capsprobe domain' makes for the same request). */
#include "config.h"

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli/cli.h"
#include "cpu/cpu.h"
#include "cpu/parse.h"
#include "domcaps/resolve.h"
#include "model/domcaps.h"
#include "util/str.h"

static const struct cli_opt opts[] = {
	{ OPT_FILE, "file", 0, VAL_FILE, "FILE", "the CPU definition (as the operand)" },
	CLI_OPT_REQUEST,
	{ OPT_ERROR, "error", 0, VAL_NONE, NULL, "an incompatible CPU is an error, with the reason" },
	CLI_OPT_PROBE_TIMEOUT,
	CLI_OPT_REPLAY,
	CLI_OPT_CACHE,
	{ OPT_VERBOSE, "verbose", 'v', VAL_NONE, NULL, "say why a CPU is incompatible" },
	CLI_OPT_DEBUG,
	CLI_OPT_FORMAT_TEXT,
	CLI_OPT_HELP,
	{ 0 }
};

static int run(int argc, char **argv)
{
	struct cp_domain_args a = { 0 };
	struct cli cl = { .cmd = &cli_hypervisor_cpu_compare };
	struct cp_cpu_def *cpus = NULL;
	struct cp_domcaps dc;
	const char *file = NULL;
	size_t ncpus = 0;
	bool fail = false;
	char *why = NULL;
	int id, rc, verdict;

	while ((id = cli_next(&cl, argc, argv)) != OPT_END) {
		switch (id) {
		case OPT_FILE: file = optarg; break;
		case OPT_ERROR: fail = true; break;
		default:
			if (cli_request_opt(&a, id))
				break;
			if ((rc = cli_common_opt(&cl, id, argv)) != OPT_NEXT)
				return rc;
		}
	}
	if ((rc = cli_file_operand(&cl, argc, argv, &file)))
		return rc;

	/* virsh reads the file before it asks the driver; the first CPU is
	 * compared */
	if ((rc = cp_cpu_parse_file(file, CP_PARSE_AUTO, &cpus, &ncpus)) < 0)
		return cli_done(&cl, cli_print_error(rc, EXIT_PROBE));
	if ((rc = cli_domain_caps(&cl, &a, &dc)) != 0) {
		cp_cpu_defs_free(cpus, ncpus);
		return rc > 0 ? rc : cli_done(&cl, cli_print_error(rc, EXIT_PROBE));
	}
	cli_done(&cl, 0);
	rc = cp_cpu_hv_compare(&dc, &cpus[0], &verdict, &why);
	cp_domcaps_free(&dc);
	cp_cpu_defs_free(cpus, ncpus);
	if (rc < 0) {
		char *msg = cp_strdup(cp_last_error());

		rc = cp_fail(rc, "failed to compare hypervisor CPU with %s: %s", file, msg);
		free(msg);
		return cli_print_error(rc, EXIT_PROBE);
	}
	return cli_print_verdict(&cl,
				 &(struct cli_verdict){ file, "the CPU provided by hypervisor on the host",
							 "The CPU provided by hypervisor on the host", fail },
				 verdict, why);
}

const struct cli_command cli_hypervisor_cpu_compare = {
	.name = "hypervisor-cpu-compare",
	.summary = "Compare a CPU with the one QEMU provides, as 'virsh hypervisor-cpu-compare' does.",
	.operands = "FILE ",
	.operand_help =
		"      FILE              a CPU definition: a <cpu> element, a <domain>, a\n"
		"                        <capabilities> document (its host CPU) or a\n"
		"                        <domainCapabilities> document (its host-model CPU);\n"
		"                        the first one is compared; - reads standard input\n",
	.notes =
		"The CPU QEMU provides is the host-model CPU of the domain capabilities\n"
		"'capsprobe domain' prints for the same options (probed and cached the\n"
		"same way); libvirt 11.3's QEMU driver decides (x86 only).  Exit status:\n"
		"0 that CPU is identical to the CPU or a superset of it, 3 the CPU is\n"
		"incompatible (virsh exits 1), 1 a usage error, 2 any other failure.\n",
	.opts = opts,
	.permute = true,
	.run = run,
};
