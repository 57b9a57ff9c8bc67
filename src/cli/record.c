/* capsprobe record DIR: the host and every emulator, for a replay
 * elsewhere (see qemu/record.h). */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli/cli.h"
#include "record/record.h"

static const struct cli_opt opts[] = {
	{ OPT_EMULATOR, "emulator", 0, VAL_EMULATOR, "PATH", "only these emulators (repeatable), as for host" },
	CLI_OPT_EMULATORBIN,
	{ OPT_TIMEOUT, "timeout", 0, VAL_TEXT, "SECONDS", "limit for each emulator's probes (default 30)" },
	CLI_OPT_DEBUG,
	{ OPT_VERBOSE, "verbose", 'v', VAL_NONE, NULL, "say what is recorded" },
	CLI_OPT_HELP,
	{ 0 }
};

static int run(int argc, char **argv)
{
	struct cli cl = { .cmd = &cli_record };
	struct cp_record_opts o = { 0 };
	struct cp_record_stats st;
	char **paths;
	int id, rc = 0;

	/* options may follow DIR */
	while ((id = cli_next(&cl, argc, argv)) != OPT_END)
		if ((rc = cli_common_opt(&cl, id, argv)) != OPT_NEXT)
			return rc;
	if (optind >= argc || !*argv[optind])
		return cli_done(&cl, cli_usage_error(cl.cmd, "no directory given"));
	o.dir = argv[optind++];
	if ((rc = cli_no_args(&cl, argc, argv)))
		return rc;
	/* bare names found in PATH now: the recording holds paths */
	paths = cp_calloc(cl.nemulators + 1, sizeof(*paths));
	for (size_t i = 0; i < cl.nemulators && rc == 0; i++)
		if ((rc = cli_find_emulator(cl.emulators[i], NULL, &paths[i])) == 0)
			cl.emulators[i] = paths[i];
	o.emulators = cl.emulators;
	o.nemulators = cl.nemulators;
	o.timeout_ms = cl.timeout_ms;
	o.path_env = getenv("PATH");
	if (rc == 0)
		rc = cp_record(&o, &st);
	for (size_t i = 0; i < cl.nemulators; i++)
		free(paths[i]);
	free(paths);
	cli_done(&cl, 0);
	if (rc < 0)
		return cli_print_error(rc, EXIT_PROBE);
	printf("recorded the host, %u emulator(s) and %u domain request(s) in ", st.full, st.requests);
	flockfile(stdout);
	cp_put_flat(stdout, o.dir);
	funlockfile(stdout);
	putchar('\n');
	return cli_finish_output(EXIT_OK);
}

const struct cli_command cli_record = {
	.name = "record",
	.summary = "Record the host and every emulator into DIR, for a replay elsewhere.",
	.operands = "DIR ",
	.operand_help =
		"      DIR               the recording: must not exist, or be an empty\n"
		"                        directory of yours no one else can write\n",
	.notes =
		"Records what 'capsprobe host' reads (host files and facts, the emulator\n"
		"search), every emulator's whole QMP conversation (both passes where KVM\n"
		"works) and the host files the domain rules read for every arch, virttype\n"
		"and machine each emulator serves; then checks that the host document\n"
		"replays.  Replay, on any machine:\n"
		"  capsprobe host --sysroot DIR\n"
		"  capsprobe domain --sysroot DIR --emulator PATH [--arch A] [--machine M]\n"
		"                   [--virttype T]\n"
		"DIR holds the host's uuid source (/etc/machine-id or the SMBIOS uuid).\n"
		"The cache is neither read nor written.\n",
	.opts = opts,
	.permute = true,
	.run = run,
};
