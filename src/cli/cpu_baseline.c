/* capsprobe cpu-baseline FILE...: the CPU every given CPU can run, as
 * 'virsh cpu-baseline' computes it. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "cli/cli.h"
#include "cpu/cpu.h"
#include "cpu/parse.h"
#include "host/arch.h"
#include "xml/cpu.h"

static const struct cli_opt opts[] = {
	{ OPT_FILE, "file", 0, VAL_FILE, "FILE", "a file of CPU definitions (as an operand; repeatable)" },
	{ OPT_FEATURES, "features", 0, VAL_NONE, NULL, "list every feature of the model, not only the\nchanges to it" },
	{ OPT_MIGRATABLE, "migratable", 0, VAL_NONE, NULL, "leave out the features that block migration" },
	{ OPT_ARCH, "arch", 0, VAL_ARCH, "ARCH",
	  "the arch of guest CPUs when no CPU names one\n(default: this machine's)" },
	CLI_OPT_FORMAT_XML,
	CLI_OPT_HELP,
	{ 0 }
};

static int run(int argc, char **argv)
{
	struct cli cl = { .cmd = &cli_cpu_baseline };
	const char **files = cp_calloc((size_t)argc + 1, sizeof(*files));
	size_t nfiles = 0, ncpus = 0;
	struct cp_cpu_def *cpus = NULL, out;
	bool expand = false, migratable = false;
	const char *host_arch = NULL;
	struct utsname u;
	int id, rc = 0;

	while ((id = cli_next(&cl, argc, argv)) != OPT_END) {
		switch (id) {
		case OPT_FILE: files[nfiles++] = optarg; break;
		case OPT_FEATURES: expand = true; break;
		case OPT_MIGRATABLE: migratable = true; break;
		case OPT_ARCH: host_arch = optarg; break;
		default:
			if ((rc = cli_common_opt(&cl, id, argv)) != OPT_NEXT) {
				free(files);
				return rc;
			}
		}
	}
	while (optind < argc)
		files[nfiles++] = argv[optind++];
	/* (a shared option left OPT_NEXT in rc) */
	rc = 0;
	cli_done(&cl, 0);
	for (size_t i = 0; i < nfiles; i++)
		if (!*files[i]) {
			free(files);
			return cli_usage_error(&cli_cpu_baseline, "an empty file name");
		}
	if (!nfiles) {
		free(files);
		return cli_usage_error(&cli_cpu_baseline, "no file given");
	}

	/* every file's CPUs, in order */
	for (size_t i = 0; i < nfiles && rc == 0; i++) {
		struct cp_cpu_def *v;
		size_t n;

		if ((rc = cp_cpu_parse_file(files[i], CP_PARSE_BASELINE, &v, &n)) < 0)
			break;
		cpus = cp_realloc(cpus, (ncpus + n) * sizeof(*cpus));
		memcpy(cpus + ncpus, v, n * sizeof(*v));
		ncpus += n;
		free(v);
	}
	free(files);
	/* CPUs that name no arch (guest CPUs) are taken to be this machine's
	 * when none names one */
	if (!host_arch && uname(&u) == 0)
		host_arch = cp_arch_from_uname(u.machine);
	if (rc == 0)
		rc = cp_cpu_baseline(cpus, ncpus, host_arch, expand, migratable, &out);
	cp_cpu_defs_free(cpus, ncpus);
	if (rc < 0)
		return cli_print_error(rc, EXIT_PROBE);
	{
		char *doc = cp_cpu_format(&out, cl.format);

		cp_cpu_def_free(&out);
		return cli_emit(&cl, doc);
	}
}

const struct cli_command cli_cpu_baseline = {
	.name = "cpu-baseline",
	.summary = "Print the CPU that all given CPUs can run, as 'virsh cpu-baseline' does.",
	.operands = "FILE... ",
	.operand_help =
		"      FILE              CPU definitions: <cpu> elements, <capabilities>\n"
		"                        documents (their host CPU) or <domainCapabilities>\n"
		"                        documents (their host-model CPU), several a file;\n"
		"                        - reads standard input\n",
	.notes =
		"libvirt 11.3's x86 algorithm and CPU map, as the QEMU driver answers (the\n"
		"features QEMU does not know are left out); x86 CPUs only.  Unlike virsh,\n"
		"guest CPUs (no <arch>: a domain's, a baseline's, a host-model's) are taken\n"
		"with their feature policies, of the arch the others name (else --arch,\n"
		"else this machine's), and several files may be given.\n",
	.opts = opts,
	.permute = true,
	.run = run,
};
