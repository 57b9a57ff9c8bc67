/* capsprobe nodeinfo: 'virsh nodeinfo'. */
#include "config.h"

#include <getopt.h>

#include "cli/cli.h"
#include "host/host.h"
#include "text/node.h"

static const struct cli_opt opts[] = {
	CLI_OPT_SYSROOT_NODE,
	CLI_OPT_FORMAT_TEXT,
	CLI_OPT_HELP,
	{ 0 }
};

static int probe(const struct cp_root *r, void *arg, enum cp_doc_format f, char **text)
{
	struct cp_node_info ni;
	int rc = cp_probe_node_info(r, &ni);

	(void)arg;
	if (rc == 0)
		*text = f == CP_DOC_JSON ? cp_json_nodeinfo(&ni) : cp_text_nodeinfo(&ni);
	return rc;
}

static int run(int argc, char **argv)
{
	struct cli cl = { .cmd = &cli_nodeinfo };
	const char *sysroot = NULL;
	int id, rc;

	while ((id = cli_next(&cl, argc, argv)) != OPT_END) {
		if (id == OPT_SYSROOT)
			sysroot = optarg;
		else if ((rc = cli_common_opt(&cl, id, argv)) != OPT_NEXT)
			return rc;
	}
	if ((rc = cli_no_args(&cl, argc, argv)))
		return rc;
	return cli_node_run(&cl, sysroot, probe, NULL);
}

const struct cli_command cli_nodeinfo = {
	.name = "nodeinfo",
	.summary = "Print the host's CPU and memory summary, as 'virsh nodeinfo' does.",
	.opts = opts,
	.run = run,
};
