/* capsprobe hypervisor-cpu-baseline FILE...: the CPU every given CPU can
 * run that QEMU can provide for an emulator, arch, machine and virttype, as
 * 'virsh hypervisor-cpu-baseline' computes it (the QEMU driver's x86
 * answer, from the domain capabilities 'capsprobe domain' makes). */
#include "config.h"

#include <getopt.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cpu/cpu.h"
#include "cpu/parse.h"
#include "domcaps/resolve.h"
#include "model/domcaps.h"
#include "util/str.h"
#include "xml/cpu.h"

static const struct cli_opt opts[] = {
	{ OPT_FILE, "file", 0, VAL_FILE, "FILE", "a file of CPU definitions (as an operand; repeatable)" },
	{ OPT_MODEL, "model", 0, VAL_TEXT, "MODEL", "instead of files: the CPU model MODEL, no features" },
	CLI_OPT_REQUEST,
	{ OPT_FEATURES, "features", 0, VAL_NONE, NULL, "list every feature of the model, not only the\nchanges to it" },
	{ OPT_MIGRATABLE, "migratable", 0, VAL_NONE, NULL, "leave out the features that block migration" },
	CLI_OPT_PROBE_TIMEOUT,
	CLI_OPT_REPLAY,
	CLI_OPT_CACHE,
	CLI_OPT_DEBUG,
	CLI_OPT_FORMAT_XML,
	CLI_OPT_HELP,
	{ 0 }
};

/* Every file's CPUs in order, or --model's bare model. */
static int read_cpus(const char *const *files, size_t nfiles, const char *model, struct cp_cpu_def **cpus,
		     size_t *ncpus)
{
	int rc = 0;

	*cpus = NULL;
	*ncpus = 0;
	if (model) {
		struct cp_buf b = { 0 };
		char *text;

		/* what virsh sends: <cpu><model>MODEL</model></cpu>, the name
		 * escaped so that it stays one name */
		cp_buf_printf(&b, "<cpu><model>");
		for (const char *p = model; *p; p++) {
			switch (*p) {
			case '<': cp_buf_printf(&b, "&lt;"); break;
			case '>': cp_buf_printf(&b, "&gt;"); break;
			case '&': cp_buf_printf(&b, "&amp;"); break;
			default: cp_buf_putc(&b, *p);
			}
		}
		cp_buf_printf(&b, "</model></cpu>");
		text = cp_buf_steal(&b);
		rc = cp_cpu_parse_text(text, strlen(text), "--model", CP_PARSE_AUTO, cpus, ncpus);
		free(text);
		return rc;
	}
	for (size_t i = 0; i < nfiles && rc == 0; i++) {
		struct cp_cpu_def *v;
		size_t n;

		if ((rc = cp_cpu_parse_file(files[i], CP_PARSE_AUTO, &v, &n)) < 0)
			break;
		*cpus = cp_realloc(*cpus, (*ncpus + n) * sizeof(**cpus));
		memcpy(*cpus + *ncpus, v, n * sizeof(*v));
		*ncpus += n;
		free(v);
	}
	return rc;
}

static int run(int argc, char **argv)
{
	struct cp_domain_args a = { 0 };
	struct cli cl = { .cmd = &cli_hypervisor_cpu_baseline };
	const char **files = cp_calloc((size_t)argc + 1, sizeof(*files));
	const char *model = NULL;
	struct cp_cpu_def *cpus = NULL, out;
	struct cp_domcaps dc;
	size_t nfiles = 0, ncpus = 0;
	bool expand = false, migratable = false;
	int id, rc;

	while ((id = cli_next(&cl, argc, argv)) != OPT_END) {
		switch (id) {
		case OPT_FILE: files[nfiles++] = optarg; break;
		case OPT_MODEL: model = optarg; break;
		case OPT_FEATURES: expand = true; break;
		case OPT_MIGRATABLE: migratable = true; break;
		default:
			if (cli_request_opt(&a, id))
				break;
			if ((rc = cli_common_opt(&cl, id, argv)) != OPT_NEXT) {
				free(files);
				return rc;
			}
		}
	}
	while (optind < argc)
		files[nfiles++] = argv[optind++];
	rc = 0;
	for (size_t i = 0; i < nfiles && !rc; i++)
		if (!*files[i])
			rc = cli_usage_error(cl.cmd, "an empty file name");
	if (!rc && model && nfiles)
		rc = cli_usage_error(cl.cmd, "Options --file and --model are mutually exclusive");
	if (!rc && model && !*model)
		rc = cli_usage_error(cl.cmd, "--model needs a CPU model name");
	if (!rc && !model && !nfiles)
		rc = cli_usage_error(cl.cmd, "no file given (or --model)");
	if (rc) {
		free(files);
		return cli_done(&cl, rc);
	}

	/* virsh reads the files before it asks the driver */
	rc = read_cpus(files, nfiles, model, &cpus, &ncpus);
	free(files);
	if (rc < 0)
		return cli_done(&cl, cli_print_error(rc, EXIT_PROBE));
	if ((rc = cli_domain_caps(&cl, &a, &dc)) != 0) {
		cp_cpu_defs_free(cpus, ncpus);
		return rc > 0 ? rc : cli_done(&cl, cli_print_error(rc, EXIT_PROBE));
	}
	rc = cp_cpu_hv_baseline(&dc, cpus, ncpus, expand, migratable, &out);
	cp_domcaps_free(&dc);
	cp_cpu_defs_free(cpus, ncpus);
	if (rc < 0)
		return cli_done(&cl, cli_print_error(rc, EXIT_PROBE));
	{
		char *doc = cp_cpu_format(&out, cl.format);

		cp_cpu_def_free(&out);
		return cli_done(&cl, cli_emit(&cl, doc));
	}
}

const struct cli_command cli_hypervisor_cpu_baseline = {
	.name = "hypervisor-cpu-baseline",
	.summary = "Print the CPU that all given CPUs and QEMU can run, as 'virsh hypervisor-cpu-baseline' does.",
	.operands = "FILE... ",
	.operand_help =
		"      FILE              CPU definitions: <cpu> elements, <domain>s,\n"
		"                        <capabilities> documents (their host CPU) or\n"
		"                        <domainCapabilities> documents (their host-model CPU),\n"
		"                        several a file; - reads standard input\n",
	.notes =
		"Only the CPU models QEMU lists in the domain capabilities 'capsprobe\n"
		"domain' prints for the same options (less the features that block\n"
		"them) and the features QEMU knows; libvirt 11.3's QEMU driver and x86\n"
		"CPU map decide (x86 only).  Unlike virsh, several files may be given.\n",
	.opts = opts,
	.permute = true,
	.run = run,
};
