/* capsprobe nodememstats: 'virsh nodememstats'. */
#include "config.h"

#include <getopt.h>

#include "cli/cli.h"
#include "host/host.h"
#include "text/node.h"

static const struct cli_opt opts[] = {
	{ OPT_CELL, "cell", 0, VAL_TEXT, "N", "NUMA cell N's statistics only (-1: the whole host)" },
	CLI_OPT_SYSROOT_NODE,
	CLI_OPT_FORMAT_TEXT,
	CLI_OPT_HELP,
	{ 0 }
};

static int probe(const struct cp_root *r, void *arg, enum cp_doc_format f, char **text)
{
	struct cp_node_memstats m;
	int rc = cp_probe_memstats(r, *(int *)arg, &m);

	if (rc == 0)
		*text = f == CP_DOC_JSON ? cp_json_memstats(&m) : cp_text_memstats(&m);
	cp_node_memstats_free(&m);
	return rc;
}

static int run(int argc, char **argv)
{
	struct cli cl = { .cmd = &cli_nodememstats };
	const char *sysroot = NULL, *cellarg = NULL;
	int cell = CP_CELL_NONE, id, rc;

	while ((id = cli_next(&cl, argc, argv)) != OPT_END) {
		switch (id) {
		case OPT_SYSROOT: sysroot = optarg; break;
		case OPT_CELL: cellarg = optarg; break;
		default:
			if ((rc = cli_common_opt(&cl, id, argv)) != OPT_NEXT)
				return rc;
		}
	}
	if ((rc = cli_no_args(&cl, argc, argv)))
		return rc;
	if (cellarg && cli_int_arg(&cl, "cell", cellarg, &cell))
		return cli_done(&cl, EXIT_USAGE);
	return cli_node_run(&cl, sysroot, probe, &cell);
}

const struct cli_command cli_nodememstats = {
	.name = "nodememstats",
	.summary = "Print the host's (or a NUMA cell's) memory statistics, as 'virsh nodememstats' does.",
	.opts = opts,
	.run = run,
};
