/* capsprobe cpu-compare FILE: how a CPU compares with this host's, as
 * 'virsh cpu-compare' says it. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cpu/cpu.h"
#include "cpu/parse.h"
#include "host/host.h"
#include "util/path.h"

static const struct cli_opt opts[] = {
	{ OPT_FILE, "file", 0, VAL_FILE, "FILE", "the CPU definition (as the operand)" },
	{ OPT_ERROR, "error", 0, VAL_NONE, NULL, "an incompatible CPU is an error, with the reason" },
	{ OPT_SYSROOT, "sysroot", 's', VAL_DIR, "DIR", "the host CPU of the recorded tree DIR (as for host)" },
	{ OPT_HOST_CPU, "host-cpu", 0, VAL_FILE, "FILE",
	  "compare with the first CPU in FILE (a host <cpu> or\na <capabilities> document) instead of this host's" },
	{ OPT_VERBOSE, "verbose", 'v', VAL_NONE, NULL, "say why a CPU is incompatible" },
	CLI_OPT_FORMAT_TEXT,
	CLI_OPT_HELP,
	{ 0 }
};

/* The host CPU: --host-cpu's first definition, else what 'capsprobe host'
 * decodes (live, or from --sysroot). */
static int host_cpu(const char *file, const char *sysroot, struct cp_cpu_def *out)
{
	struct cp_host host = { 0 };
	struct cp_root *root;
	int rc;

	if (file) {
		struct cp_cpu_def *v;
		size_t n;

		if ((rc = cp_cpu_parse_file(file, CP_PARSE_AUTO, &v, &n)) < 0)
			return rc;
		*out = v[0];
		v[0] = (struct cp_cpu_def){ 0 };
		cp_cpu_defs_free(v, n);
		return 0;
	}
	if ((rc = cli_open_sysroot(sysroot, &root)) < 0)
		return rc;
	cp_verbose("reading the host CPU from %s", sysroot ? sysroot : "the live system");
	rc = cp_host_probe(root, &host);
	cp_root_free(root);
	if (rc == 0)
		cp_cpu_def_from_host(&host.cpu, out);
	cp_host_free(&host);
	return rc;
}

static int run(int argc, char **argv)
{
	struct cli cl = { .cmd = &cli_cpu_compare };
	const char *file = NULL, *sysroot = NULL, *host_file = NULL;
	struct cp_cpu_def *cpus = NULL, host = { 0 };
	size_t ncpus = 0;
	bool fail = false;
	char *why = NULL;
	int id, rc, verdict;

	while ((id = cli_next(&cl, argc, argv)) != OPT_END) {
		switch (id) {
		case OPT_FILE: file = optarg; break;
		case OPT_ERROR: fail = true; break;
		case OPT_SYSROOT: sysroot = optarg; break;
		case OPT_HOST_CPU: host_file = optarg; break;
		default:
			if ((rc = cli_common_opt(&cl, id, argv)) != OPT_NEXT)
				return rc;
		}
	}
	if ((rc = cli_file_operand(&cl, argc, argv, &file)))
		return rc;
	if (sysroot && host_file)
		return cli_done(&cl, cli_usage_error(cl.cmd, "--sysroot and --host-cpu exclude each other"));
	cli_done(&cl, 0);

	/* virsh compares the file's first CPU */
	if ((rc = cp_cpu_parse_file(file, CP_PARSE_AUTO, &cpus, &ncpus)) < 0 ||
	    (rc = host_cpu(host_file, sysroot, &host)) < 0)
		goto fail;
	if ((rc = cp_cpu_compare(&host, &cpus[0], &verdict, &why)) < 0) {
		char *msg = cp_strdup(cp_last_error());

		rc = cp_fail(rc, "failed to compare host CPU with %s: %s", file, msg);
		free(msg);
		goto fail;
	}
	cp_cpu_defs_free(cpus, ncpus);
	cp_cpu_def_free(&host);
	return cli_print_verdict(&cl, &(struct cli_verdict){ file, "host CPU", "Host CPU", fail }, verdict, why);
fail:
	cp_cpu_defs_free(cpus, ncpus);
	cp_cpu_def_free(&host);
	return cli_print_error(rc, EXIT_PROBE);
}

const struct cli_command cli_cpu_compare = {
	.name = "cpu-compare",
	.summary = "Compare a CPU with this host's, as 'virsh cpu-compare' does.",
	.operands = "FILE ",
	.operand_help =
		"      FILE              a CPU definition: a <cpu> element, a <capabilities>\n"
		"                        document (its host CPU) or a <domainCapabilities>\n"
		"                        document (its host-model CPU); the first one is\n"
		"                        compared; - reads standard input\n",
	.notes =
		"The host CPU is the one 'capsprobe host' prints; libvirt 11.3's x86\n"
		"algorithm and CPU map decide (x86 hosts only).  Exit status: 0 the host\n"
		"CPU is identical to the CPU or a superset of it, 3 the CPU is\n"
		"incompatible, 1 a usage error, 2 any other failure.\n",
	.opts = opts,
	.permute = true,
	.run = run,
};
