/* capsprobe nodecpumap: 'virsh nodecpumap'. */
#include "config.h"

#include <getopt.h>

#include "cli/cli.h"
#include "host/host.h"
#include "text/node.h"

static const struct cli_opt opts[] = {
	{ OPT_PRETTY, "pretty", 0, VAL_NONE, NULL, "the online CPUs as a list (0-3,8) instead of y/-" },
	CLI_OPT_SYSROOT_NODE,
	CLI_OPT_FORMAT_TEXT,
	CLI_OPT_HELP,
	{ 0 }
};

static int probe(const struct cp_root *r, void *arg, enum cp_doc_format f, char **text)
{
	struct cp_node_cpumap m;
	int rc = cp_probe_cpumap(r, &m);

	if (rc == 0)
		*text = f == CP_DOC_JSON ? cp_json_cpumap(&m) : cp_text_cpumap(&m, *(bool *)arg);
	cp_node_cpumap_free(&m);
	return rc;
}

static int run(int argc, char **argv)
{
	struct cli cl = { .cmd = &cli_nodecpumap };
	const char *sysroot = NULL;
	bool pretty = false;
	int id, rc;

	while ((id = cli_next(&cl, argc, argv)) != OPT_END) {
		switch (id) {
		case OPT_SYSROOT: sysroot = optarg; break;
		case OPT_PRETTY: pretty = true; break;
		default:
			if ((rc = cli_common_opt(&cl, id, argv)) != OPT_NEXT)
				return rc;
		}
	}
	if ((rc = cli_no_args(&cl, argc, argv)))
		return rc;
	return cli_node_run(&cl, sysroot, probe, &pretty);
}

const struct cli_command cli_nodecpumap = {
	.name = "nodecpumap",
	.summary = "Print the host's present and online CPUs, as 'virsh nodecpumap' does.",
	.opts = opts,
	.run = run,
};
