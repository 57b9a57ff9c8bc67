/* What virsh's host commands (nodeinfo.c, freecell.c, ...) share: their
 * integer options and the run: a root, a probe, a text or one error. */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>

#include "cli/cli.h"
#include "util/path.h"

int cli_int_arg(const struct cli *cl, const char *name, const char *arg, int *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(arg, &end, 10);
	if (errno || end == arg || *end || v < INT_MIN || v > INT_MAX)
		return cli_usage_error(cl->cmd, "numeric value '%s' for --%s is malformed or out of range", arg, name);
	*out = (int)v;
	return 0;
}

int cli_node_run(struct cli *cl, const char *sysroot, cli_node_fn *fn, void *arg)
{
	struct cp_root *root;
	char *text = NULL;
	int rc;

	if ((rc = cli_open_sysroot(sysroot, &root)) < 0)
		return cli_done(cl, cli_print_error(rc, EXIT_PROBE));
	rc = fn(root, arg, cl->format, &text);
	cp_root_free(root);
	if (rc < 0) {
		free(text);
		return cli_done(cl, cli_print_error(rc, EXIT_PROBE));
	}
	return cli_done(cl, cli_emit(cl, text));
}
