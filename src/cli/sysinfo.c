/* capsprobe sysinfo: 'virsh sysinfo'. */
#include "config.h"

#include <getopt.h>

#include "cli/cli.h"
#include "host/host.h"
#include "xml/sysinfo.h"

static const struct cli_opt opts[] = {
	CLI_OPT_SYSROOT_NODE,
	CLI_OPT_FORMAT_XML,
	CLI_OPT_HELP,
	{ 0 }
};

static int probe(const struct cp_root *r, void *arg, enum cp_doc_format f, char **text)
{
	struct cp_sysinfo s;
	int rc = cp_probe_sysinfo(r, &s);

	(void)arg;
	if (rc == 0)
		*text = cp_sysinfo_format(&s, f);
	cp_sysinfo_free(&s);
	return rc;
}

static int run(int argc, char **argv)
{
	struct cli cl = { .cmd = &cli_sysinfo };
	const char *sysroot = NULL;
	int id, rc;

	while ((id = cli_next(&cl, argc, argv)) != OPT_END) {
		switch (id) {
		case OPT_SYSROOT: sysroot = optarg; break;
		default:
			if ((rc = cli_common_opt(&cl, id, argv)) != OPT_NEXT)
				return rc;
		}
	}
	if ((rc = cli_no_args(&cl, argc, argv)))
		return rc;
	return cli_node_run(&cl, sysroot, probe, NULL);
}

const struct cli_command cli_sysinfo = {
	.name = "sysinfo",
	.summary = "Print the host's SMBIOS information, as 'virsh sysinfo' does.",
	.opts = opts,
	.run = run,
};
