/* capsprobe hypervisor-cpu-models: 'virsh hypervisor-cpu-models', the
 * custom-mode CPU models of the domain capabilities (the usable ones, or
 * with --all every one), one a line. */
#include "config.h"

#include <getopt.h>
#include <stdbool.h>

#include "cli/cli.h"
#include "domcaps/resolve.h"
#include "model/domcaps.h"
#include "util/json.h"
#include "util/str.h"

static const struct cli_opt opts[] = {
	CLI_OPT_REQUEST,
	{ OPT_ALL, "all", 0, VAL_NONE, NULL, "every model QEMU knows for the arch, usable or not" },
	CLI_OPT_PROBE_TIMEOUT,
	CLI_OPT_REPLAY,
	CLI_OPT_CACHE,
	CLI_OPT_DEBUG,
	CLI_OPT_FORMAT_TEXT,
	CLI_OPT_HELP,
	{ 0 }
};

/* virsh selects //cpu//model[@usable='yes'] (--all: [@usable]): the
 * custom mode's models, which the document holds only when custom mode
 * is supported and has some. */
static bool listed(const struct cp_dc_cpu *cpu, size_t i, bool all)
{
	return cpu->custom == CP_DC_YES && (all || cpu->models[i].usable == CP_DC_USABLE_YES);
}

/* One name a line and virsh's empty line, or {"models": [...]}. */
static char *format(const struct cp_dc_cpu *cpu, bool all, enum cp_doc_format f)
{
	struct cp_buf b = { 0 };
	json_object *o, *a;

	if (f != CP_DOC_JSON) {
		for (size_t i = 0; i < cpu->nmodels; i++)
			if (listed(cpu, i, all))
				cp_buf_printf(&b, "%s\n", cpu->models[i].name);
		cp_buf_putc(&b, '\n');
		return cp_buf_steal(&b);
	}
	if (!(o = json_object_new_object()) || !(a = json_object_new_array()))
		cp_oom();
	for (size_t i = 0; i < cpu->nmodels; i++)
		if (listed(cpu, i, all))
			json_object_array_add(a, cp_json_string(cpu->models[i].name));
	json_object_object_add(o, "models", a);
	return cp_json_finish(o);
}

static int run(int argc, char **argv)
{
	struct cp_domain_args a = { 0 };
	struct cli cl = { .cmd = &cli_hypervisor_cpu_models };
	struct cp_domcaps dc;
	bool all = false;
	char *text;
	int id, rc;

	while ((id = cli_next(&cl, argc, argv)) != OPT_END) {
		switch (id) {
		case OPT_ALL: all = true; break;
		default:
			if (cli_request_opt(&a, id))
				break;
			if ((rc = cli_common_opt(&cl, id, argv)) != OPT_NEXT)
				return rc;
		}
	}
	if ((rc = cli_no_args(&cl, argc, argv)))
		return rc;
	if ((rc = cli_domain_caps(&cl, &a, &dc)) > 0)
		return rc;
	if (rc < 0)
		return cli_done(&cl, cli_print_error(rc, EXIT_PROBE));
	text = format(&dc.cpu, all, cl.format);
	cp_domcaps_free(&dc);
	return cli_done(&cl, cli_emit(&cl, text));
}

const struct cli_command cli_hypervisor_cpu_models = {
	.name = "hypervisor-cpu-models",
	.summary = "Print the CPU models a guest can use, as 'virsh hypervisor-cpu-models' does.",
	.notes =
		"The custom-mode models of the domain capabilities 'capsprobe domain'\n"
		"prints for the same options (probed and cached the same way).\n",
	.opts = opts,
	.run = run,
};
