/* capsprobe freecell: 'virsh freecell'. */
#include "config.h"

#include <getopt.h>

#include "cli/cli.h"
#include "host/host.h"
#include "text/node.h"

static const struct cli_opt opts[] = {
	{ OPT_CELLNO, "cellno", 0, VAL_TEXT, "N", "the free memory of NUMA cell N only" },
	{ OPT_ALL, "all", 0, VAL_NONE, NULL, "the free memory of every NUMA cell, and their total" },
	CLI_OPT_SYSROOT_NODE,
	CLI_OPT_FORMAT_TEXT,
	CLI_OPT_HELP,
	{ 0 }
};

struct args {
	bool all, one;
	int cell;
};

static int probe(const struct cp_root *r, void *arg, enum cp_doc_format fmt, char **text)
{
	const struct args *a = arg;
	struct cp_host topo = { 0 };
	struct cp_node_free f = { 0 };
	int rc = 0;

	/* --all walks the cells of the <capabilities> topology */
	if (a->all)
		rc = cp_node_topology(r, &topo);
	if (rc == 0)
		rc = cp_probe_freecell(r, a->all ? &topo : NULL, a->one, a->cell, &f);
	if (rc == 0)
		*text = fmt == CP_DOC_JSON ? cp_json_freecell(&f) : cp_text_freecell(&f);
	cp_node_free_free(&f);
	cp_host_free(&topo);
	return rc;
}

static int run(int argc, char **argv)
{
	struct cli cl = { .cmd = &cli_freecell };
	struct args a = { 0 };
	const char *sysroot = NULL, *cellno = NULL;
	int id, rc;

	while ((id = cli_next(&cl, argc, argv)) != OPT_END) {
		switch (id) {
		case OPT_SYSROOT: sysroot = optarg; break;
		case OPT_CELLNO: cellno = optarg; break;
		case OPT_ALL: a.all = true; break;
		default:
			if ((rc = cli_common_opt(&cl, id, argv)) != OPT_NEXT)
				return rc;
		}
	}
	if ((rc = cli_no_args(&cl, argc, argv)))
		return rc;
	if (a.all && cellno)
		return cli_done(&cl, cli_usage_error(cl.cmd, "--all and --cellno exclude each other"));
	if (cellno && cli_int_arg(&cl, "cellno", cellno, &a.cell))
		return cli_done(&cl, EXIT_USAGE);
	a.one = cellno != NULL;
	return cli_node_run(&cl, sysroot, probe, &a);
}

const struct cli_command cli_freecell = {
	.name = "freecell",
	.summary = "Print the free memory of the host or of its NUMA cells, as 'virsh freecell' does.",
	.opts = opts,
	.run = run,
};
