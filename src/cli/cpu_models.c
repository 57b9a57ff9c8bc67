/* capsprobe cpu-models ARCH: libvirt's CPU models for an arch, as 'virsh
 * cpu-models' lists them. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli/cli.h"
#include "cpu/cpu.h"
#include "host/arch.h"
#include "util/json.h"
#include "util/suggest.h"

static const struct cli_opt opts[] = {
	{ OPT_ARCH, "arch", 0, VAL_ARCH, "ARCH", "the architecture (instead of the operand)" },
	CLI_OPT_FORMAT_TEXT,
	CLI_OPT_HELP,
	{ 0 }
};

static int unknown_arch(const char *arch)
{
	struct cp_suggest sg;
	char *hint;
	int rc;

	cp_suggest_init(&sg, arch);
	for (size_t i = 0; i < cp_narches; i++)
		cp_suggest_add(&sg, cp_arches[i].name);
	hint = cp_suggest_text(&sg, NULL);
	rc = hint ? cli_usage_error(&cli_cpu_models, "unknown architecture '%s'; did you mean %s?", arch, hint)
		  : cli_usage_error(&cli_cpu_models, "unknown architecture '%s'", arch);
	free(hint);
	return rc;
}

static int run(int argc, char **argv)
{
	struct cli cl = { .cmd = &cli_cpu_models };
	struct cp_strv names = { 0 };
	const char *arch = NULL;
	bool any;
	int id, rc;

	while ((id = cli_next(&cl, argc, argv)) != OPT_END) {
		if (id == OPT_ARCH)
			arch = optarg;
		else if ((rc = cli_common_opt(&cl, id, argv)) != OPT_NEXT)
			return rc;
	}
	if (!arch && optind < argc)
		arch = argv[optind++];
	if (!arch || !*arch)
		return cli_done(&cl, cli_usage_error(cl.cmd, "no architecture given"));
	if ((rc = cli_no_args(&cl, argc, argv)))
		return rc;
	cli_done(&cl, 0);
	if (!cp_arch_find(arch))
		return unknown_arch(arch);
	if ((rc = cp_cpu_models(arch, &names, &any)) < 0)
		return cli_print_error(rc, EXIT_PROBE);
	if (cl.format == CP_DOC_JSON) {
		json_object *o = json_object_new_object(), *a = json_object_new_array();

		if (!o || !a)
			cp_oom();
		json_object_object_add(o, "arch", cp_json_string(arch));
		json_object_object_add(o, "allAccepted", json_object_new_boolean(any));
		for (size_t i = 0; i < names.n; i++)
			json_object_array_add(a, cp_json_string(names.v[i]));
		json_object_object_add(o, "models", a);
		cp_strv_free(&names);
		return cli_emit(&cl, cp_json_finish(o));
	}
	/* virsh ends its output with an empty line */
	if (any)
		printf("all CPU models are accepted\n");
	for (size_t i = 0; i < names.n; i++)
		printf("%s\n", names.v[i]);
	putchar('\n');
	cp_strv_free(&names);
	return cli_finish_output(EXIT_OK);
}

const struct cli_command cli_cpu_models = {
	.name = "cpu-models",
	.summary = "List libvirt's CPU models for ARCH, as 'virsh cpu-models' does.",
	.operands = "ARCH ",
	.operand_help = "      ARCH              a libvirt architecture name (x86_64, ppc64le, ...)\n",
	.notes =
		"The models come from libvirt 11.3's CPU map, in its order.  Arches whose\n"
		"libvirt CPU driver takes any model (aarch64, s390x, riscv64, ...) print\n"
		"\"all CPU models are accepted\".  An arch with no CPU driver is an error.\n",
	.opts = opts,
	.permute = true,
	.run = run,
};
