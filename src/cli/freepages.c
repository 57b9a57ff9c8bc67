/* capsprobe freepages: 'virsh freepages'. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli/cli.h"
#include "host/host.h"
#include "text/node.h"

static const struct cli_opt opts[] = {
	{ OPT_CELLNO, "cellno", 0, VAL_TEXT, "N", "NUMA cell N (-1: the whole host); needs --pagesize" },
	{ OPT_PAGESIZE, "pagesize", 0, VAL_TEXT, "SIZE",
	  "the page size: KiB, or with a suffix (2M, 1GiB, 4096b)" },
	{ OPT_ALL, "all", 0, VAL_NONE, NULL, "every NUMA cell, every page size (or --pagesize's)" },
	CLI_OPT_SYSROOT_NODE,
	CLI_OPT_FORMAT_TEXT,
	CLI_OPT_HELP,
	{ 0 }
};

struct args {
	bool all;
	int cell;
	unsigned kib;
};

/* vshCommandOptScaledInt with virScaleInteger: a number of KiB, or of the
 * unit its suffix names (b, k/KiB/kb, M/MiB/mb, ... e), at most
 * UINT_MAX KiB; then rounded up to whole KiB. */
static int parse_size(const char *s, unsigned *kib)
{
	unsigned long long v, scale = 1;
	const char *units = "kmgtpe";
	char *end;
	int base;

	if (!isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -EINVAL;
	if (!*end) {
		scale = 1024;
	} else if (!strcasecmp(end, "b") || !strcasecmp(end, "byte") || !strcasecmp(end, "bytes")) {
		scale = 1;
	} else {
		const char *u = strchr(units, tolower((unsigned char)*end));

		if (!*end || !u)
			return -EINVAL;
		if (!end[1] || !strcasecmp(end + 1, "iB"))
			base = 1024;
		else if (tolower((unsigned char)end[1]) == 'b' && !end[2])
			base = 1000;
		else
			return -EINVAL;
		for (const char *p = units; p <= u; p++)
			scale *= (unsigned long long)base;
	}
	if (v && v > UINT_MAX * 1024ull / scale)
		return -ERANGE;
	v *= scale;
	*kib = (unsigned)((v + 1023) / 1024);
	return 0;
}

static int probe(const struct cp_root *r, void *arg, enum cp_doc_format f, char **text)
{
	const struct args *a = arg;
	struct cp_host topo = { 0 };
	struct cp_node_pages p = { 0 };
	int rc = cp_node_topology(r, &topo);

	if (rc == 0)
		rc = cp_probe_freepages(r, &topo, a->all, a->cell, a->kib, &p);
	if (rc == 0)
		*text = f == CP_DOC_JSON ? cp_json_freepages(&p) : cp_text_freepages(&p);
	cp_node_pages_free(&p);
	cp_host_free(&topo);
	return rc;
}

static int run(int argc, char **argv)
{
	struct cli cl = { .cmd = &cli_freepages };
	struct args a = { 0 };
	const char *sysroot = NULL, *cellno = NULL, *size = NULL;
	int id, rc;

	while ((id = cli_next(&cl, argc, argv)) != OPT_END) {
		switch (id) {
		case OPT_SYSROOT: sysroot = optarg; break;
		case OPT_CELLNO: cellno = optarg; break;
		case OPT_PAGESIZE: size = optarg; break;
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
	if (size && parse_size(size, &a.kib) < 0)
		return cli_done(&cl, cli_usage_error(cl.cmd, "scaled numeric value '%s' for --pagesize is "
						     "malformed or out of range", size));
	if (!a.all) {
		if (!cellno)
			return cli_done(&cl, cli_usage_error(cl.cmd, "missing --cellno (or --all)"));
		if (cli_int_arg(&cl, "cellno", cellno, &a.cell))
			return cli_done(&cl, EXIT_USAGE);
		if (a.cell < -1)
			return cli_done(&cl, cli_usage_error(cl.cmd, "cell number must be non-negative integer or -1"));
		if (!size)
			return cli_done(&cl, cli_usage_error(cl.cmd, "missing --pagesize"));
	}
	return cli_node_run(&cl, sysroot, probe, &a);
}

const struct cli_command cli_freepages = {
	.name = "freepages",
	.summary = "Print the free pages of each size of the host's NUMA cells, as 'virsh freepages' does.",
	.opts = opts,
	.run = run,
};
