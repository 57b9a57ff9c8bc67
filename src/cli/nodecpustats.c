/* capsprobe nodecpustats: 'virsh nodecpustats'. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <time.h>

#include "cli/cli.h"
#include "host/host.h"
#include "text/node.h"
#include "util/path.h"

static const struct cli_opt opts[] = {
	{ OPT_CPU, "cpu", 0, VAL_TEXT, "N", "CPU N's times only (-1: all CPUs)" },
	{ OPT_PERCENT, "percent", 0, VAL_NONE, NULL,
	  "the share of each time over one second (live only)" },
	CLI_OPT_SYSROOT_NODE,
	CLI_OPT_FORMAT_TEXT,
	CLI_OPT_HELP,
	{ 0 }
};

struct args {
	int cpu;
	bool percent;
};

static int probe(const struct cp_root *r, void *arg, enum cp_doc_format f, char **text)
{
	const struct args *a = arg;
	struct cp_node_cpustats s, s2;
	struct timespec second = { 1, 0 };
	int rc = cp_probe_cpustats(r, a->cpu, &s);

	if (rc == 0 && a->percent) {
		/* two samples a second apart, as virsh takes them */
		while (nanosleep(&second, &second) < 0 && errno == EINTR)
			;
		if ((rc = cp_probe_cpustats(r, a->cpu, &s2)) == 0)
			cp_cpustats_percent(&s, &s2, &s);
	}
	if (rc == 0)
		*text = f == CP_DOC_JSON ? cp_json_cpustats(&s) : cp_text_cpustats(&s);
	return rc;
}

static int run(int argc, char **argv)
{
	struct cli cl = { .cmd = &cli_nodecpustats };
	struct args a = { .cpu = CP_CPU_ALL };
	const char *sysroot = NULL, *cpu = NULL;
	int id, rc;

	while ((id = cli_next(&cl, argc, argv)) != OPT_END) {
		switch (id) {
		case OPT_SYSROOT: sysroot = optarg; break;
		case OPT_CPU: cpu = optarg; break;
		case OPT_PERCENT: a.percent = true; break;
		default:
			if ((rc = cli_common_opt(&cl, id, argv)) != OPT_NEXT)
				return rc;
		}
	}
	if ((rc = cli_no_args(&cl, argc, argv)))
		return rc;
	if (cpu && cli_int_arg(&cl, "cpu", cpu, &a.cpu))
		return cli_done(&cl, EXIT_USAGE);
	/* a recorded tree holds one sample: the shares would be 0/0 */
	if (a.percent && sysroot)
		return cli_done(&cl, cli_usage_error(cl.cmd, "--percent needs the live host (two samples a "
						     "second apart), not --sysroot"));
	return cli_node_run(&cl, sysroot, probe, &a);
}

const struct cli_command cli_nodecpustats = {
	.name = "nodecpustats",
	.summary = "Print the host's (or a CPU's) CPU times, as 'virsh nodecpustats' does.",
	.opts = opts,
	.run = run,
};
