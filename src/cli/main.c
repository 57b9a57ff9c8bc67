/* capsprobe: libvirt's capabilities documents without a daemon.
 * main() finds the command and hands it the rest of the line; each command
 * (one file each in cli/) parses its options from its table, runs its
 * probes into a model, and prints the whole document only on success. */
#include "config.h"

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "util/str.h"
#include "util/suggest.h"

const struct cli_command *const cli_commands[] = {
	&cli_host, &cli_domain, &cli_record, &cli_emulators, &cli_cache,
	&cli_cpu_models, &cli_cpu_baseline, &cli_cpu_compare,
	&cli_nodeinfo, &cli_nodecpumap, &cli_freecell, &cli_freepages, &cli_nodememstats,
	&cli_nodecpustats, &cli_sysinfo, &cli_maxvcpus, &cli_nodesevinfo, &cli_hypervisor_cpu_models,
	&cli_hypervisor_cpu_compare, &cli_hypervisor_cpu_baseline, &cli_help,
};
const size_t cli_ncommands = sizeof(cli_commands) / sizeof(cli_commands[0]);

const struct cli_command *cli_find_command(const char *name)
{
	for (size_t i = 0; i < cli_ncommands; i++)
		if (strcmp(cli_commands[i]->name, name) == 0)
			return cli_commands[i];
	return NULL;
}

/* The nearest command's name, else all of them. */
static int unknown_command(const struct cli_command *cmd, const char *name)
{
	struct cp_suggest sg;
	struct cp_buf all = { 0 };
	char *hint;
	int rc;

	cp_suggest_init(&sg, name);
	for (size_t i = 0; i < cli_ncommands; i++) {
		cp_suggest_add(&sg, cli_commands[i]->name);
		cp_buf_printf(&all, "%s%s", i ? ", " : "", cli_commands[i]->name);
	}
	hint = cp_suggest_text(&sg, NULL);
	if (hint)
		rc = cli_usage_error(cmd, "unknown command '%s'; did you mean %s?", name, hint);
	else
		rc = cli_usage_error(cmd, "unknown command '%s'; the commands: %s", name, all.s);
	free(hint);
	cp_buf_free(&all);
	return rc;
}

/* `help [COMMAND]`: what --help prints, of capsprobe or of COMMAND. */
static const struct cli_opt help_opts[] = {
	CLI_OPT_HELP,
	{ 0 }
};

static int run_help(int argc, char **argv)
{
	struct cli cl = { .cmd = &cli_help };
	const struct cli_command *c = NULL;
	int id, rc;

	while ((id = cli_next(&cl, argc, argv)) != OPT_END)
		if ((rc = cli_common_opt(&cl, id, argv)) != OPT_NEXT)
			return rc;
	if (optind < argc && !(c = cli_find_command(argv[optind])))
		return cli_done(&cl, unknown_command(&cli_help, argv[optind]));
	if (c)
		optind++;
	if ((rc = cli_no_args(&cl, argc, argv)))
		return rc;
	cli_done(&cl, 0);
	if (c)
		cli_command_help(c);
	else
		cli_main_help();
	return cli_finish_output(EXIT_OK);
}

const struct cli_command cli_help = {
	.name = "help",
	.summary = "Print this help, or COMMAND's (as 'capsprobe COMMAND --help').",
	.operands = "[COMMAND] ",
	.opts = help_opts,
	.run = run_help,
};

/* The options main() takes before a command. */
static const char *const main_opts[] = { "--help", "--version", NULL };

static int unknown_main_option(const char *arg)
{
	struct cp_suggest sg;
	char *hint;
	int rc;

	cp_suggest_init(&sg, arg);
	for (size_t i = 0; main_opts[i]; i++)
		cp_suggest_add(&sg, main_opts[i]);
	hint = cp_suggest_text(&sg, NULL);
	rc = hint ? cli_usage_error(NULL, "unknown option '%s'; did you mean %s?", arg, hint)
		  : cli_usage_error(NULL, "unknown option '%s'", arg);
	free(hint);
	return rc;
}

/* `--list-options [COMMAND]` and `--list-commands`, for the bash
 * completion: what it offers comes from the tables, never a copy. */
static int list_for_completion(int argc, char **argv)
{
	const struct cli_command *c = NULL;

	if (strcmp(argv[1], "--list-commands") == 0) {
		if (argc > 2)
			return cli_usage_error(NULL, "unexpected argument '%s'", argv[2]);
		for (size_t i = 0; i < cli_ncommands; i++)
			printf("%s\n", cli_commands[i]->name);
		return cli_finish_output(EXIT_OK);
	}
	if (argc > 3)
		return cli_usage_error(NULL, "unexpected argument '%s'", argv[3]);
	if (argc == 3 && !(c = cli_find_command(argv[2])))
		return unknown_command(NULL, argv[2]);
	if (c)
		cli_list_options(c);
	else
		for (size_t i = 0; main_opts[i]; i++)
			printf("%s\n", main_opts[i]);
	return cli_finish_output(EXIT_OK);
}

/* Nothing to do: the write past the limit fails with EFBIG instead. */
static void on_xfsz(int sig)
{
	(void)sig;
}

int main(int argc, char **argv)
{
	const struct cli_command *cmd;
	/* A write past the file size limit (ulimit -f) would kill us with
	 * SIGXFSZ: caught, it fails with EFBIG and is handled as a full disk
	 * (the cache and recordings warn, a document is an error).  Caught
	 * rather than ignored, so that the programs we start get the default
	 * action back at exec. */
	struct sigaction sa = { .sa_handler = on_xfsz, .sa_flags = SA_RESTART };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGXFSZ, &sa, NULL);
	if (argc < 2)
		return cli_usage_error(NULL, "no command given");
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		cli_main_help();
		return cli_finish_output(EXIT_OK);
	}
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0) {
		printf("capsprobe %s\n", PACKAGE_VERSION);
		return cli_finish_output(EXIT_OK);
	}
	if (strcmp(argv[1], "--list-options") == 0 || strcmp(argv[1], "--list-commands") == 0)
		return list_for_completion(argc, argv);
	if (argv[1][0] == '-')
		return unknown_main_option(argv[1]);
	cmd = cli_find_command(argv[1]);
	if (!cmd)
		return unknown_command(NULL, argv[1]);
	return cmd->run(argc - 1, argv + 1);
}
