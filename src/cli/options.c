/* Parsing with a command's option table: getopt_long's table, --help and
 * --list-options are all made from struct cli_opt, and every usage error
 * names what would have been valid. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "util/str.h"
#include "util/suggest.h"
#include "xml/xpath.h"

/* getopt_long's value for a long option: above every short option's */
#define LONG_VAL(id) (0x100 + (int)(id))
/* what cli_next returns for getopt's errors */
#define BAD_OPTION (-2)
#define NO_ARGUMENT (-3)

static const char exit_help[] =
	"Exit status:\n"
	"  0  the document (or list) was printed\n"
	"  1  usage error (unknown command or option, bad argument)\n"
	"  2  probe failure, or (host) every emulator failed to probe; nothing\n"
	"     is printed on standard output.  Also: the output could not be\n"
	"     written (a full disk, a file size limit)\n";

/* Where --help's text starts on a line. */
#define HELP_COLUMN 24

int cli_usage_error(const struct cli_command *cmd, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		cp_oom();
	va_end(ap);
	cp_error_line("%s (see 'capsprobe %s%s--help')", msg, cmd ? cmd->name : "", cmd ? " " : "");
	free(msg);
	return EXIT_USAGE;
}

void cli_command_help(const struct cli_command *c)
{
	printf("Usage: capsprobe %s %s[OPTION]...\n%s\n\nOptions:\n%s", c->name,
	       c->operands ? c->operands : "", c->summary, c->operand_help ? c->operand_help : "");
	for (const struct cli_opt *o = c->opts; o->id; o++) {
		char left[64];
		const char *line = o->help;
		int n;

		if (!line)
			continue;
		if (o->short_name)
			n = snprintf(left, sizeof(left), "  -%c, --%s", o->short_name, o->name);
		else
			n = snprintf(left, sizeof(left), "      --%s", o->name);
		if (o->value != VAL_NONE && n >= 0 && (size_t)n < sizeof(left))
			snprintf(left + n, sizeof(left) - (size_t)n, " %s", o->arg ? o->arg : "ARG");
		/* the first line beside the option, or below it when the
		 * option is too wide; the others under the first */
		n = printf("%s", left);
		if (n >= HELP_COLUMN)
			printf("\n%*s", HELP_COLUMN, "");
		else
			printf("%*s", HELP_COLUMN - n, "");
		for (;;) {
			size_t len = strcspn(line, "\n");

			printf("%.*s\n", (int)len, line);
			if (!line[len])
				break;
			line += len + 1;
			printf("%*s", HELP_COLUMN, "");
		}
	}
	printf("\n%s%s%s", c->notes ? c->notes : "", c->notes ? "\n" : "", exit_help);
}

void cli_main_help(void)
{
	int w = 0;

	printf("Usage: capsprobe COMMAND [OPTION]...\n"
	       "Print libvirt's host and hypervisor capability documents without a daemon.\n\n"
	       "Commands:\n");
	for (size_t i = 0; i < cli_ncommands; i++)
		if ((int)strlen(cli_commands[i]->name) > w)
			w = (int)strlen(cli_commands[i]->name);
	for (size_t i = 0; i < cli_ncommands; i++)
		printf("  %-*s %s\n", w, cli_commands[i]->name, cli_commands[i]->summary);
	printf("\nOptions:\n"
	       "  -h, --help     show this help ('capsprobe COMMAND --help' for a command's)\n"
	       "  -V, --version  show the version\n\n%s", exit_help);
}

static const char *const value_names[] = {
	[VAL_NONE] = NULL,
	[VAL_TEXT] = "text",
	[VAL_DIR] = "dir",
	[VAL_CACHE_DIR] = "cache-dir",
	[VAL_EMULATOR] = "emulator",
	[VAL_ARCH] = "arch",
	[VAL_VIRTTYPE] = "virttype",
	[VAL_MACHINE] = "machine",
	[VAL_FILE] = "file",
	[VAL_FORMAT_XML] = "format-xml",
	[VAL_FORMAT_TEXT] = "format-text",
};

void cli_list_options(const struct cli_command *c)
{
	for (const struct cli_opt *o = c->opts; o->id; o++) {
		const char *v = value_names[o->value];

		printf("--%s%s%s\n", o->name, v ? " " : "", v ? v : "");
	}
}

static void cli_done_tables(struct cli *cl)
{
	free(cl->longopts);
	cl->longopts = NULL;
	free(cl->shortopts);
	cl->shortopts = NULL;
}

int cli_next(struct cli *cl, int argc, char **argv)
{
	struct option *lo = cl->longopts;
	int c;

	if (!lo) {
		struct cp_buf s = { 0 };
		size_t n = 0;

		for (const struct cli_opt *o = cl->cmd->opts; o->id; o++)
			n++;
		lo = cp_calloc(n + 1, sizeof(*lo));
		/* '+': the first operand ends the options, unless the command
		 * takes options after its operands; ':': report a missing
		 * argument apart from an unknown option */
		cp_buf_puts(&s, cl->cmd->permute ? ":" : "+:");
		for (size_t i = 0; i < n; i++) {
			const struct cli_opt *o = &cl->cmd->opts[i];

			lo[i].name = o->name;
			lo[i].has_arg = o->value == VAL_NONE ? no_argument : required_argument;
			lo[i].val = LONG_VAL(o->id);
			if (o->short_name)
				cp_buf_printf(&s, "%c%s", o->short_name, o->value == VAL_NONE ? "" : ":");
		}
		cl->longopts = lo;
		cl->shortopts = cp_buf_steal(&s);
		optind = 1;
		opterr = 0;
	}
	c = getopt_long(argc, argv, cl->shortopts, lo, NULL);
	if (c == -1) {
		/* the tables are getopt's alone */
		cli_done_tables(cl);
		return OPT_END;
	}
	if (c == '?')
		return BAD_OPTION;
	if (c == ':')
		return NO_ARGUMENT;
	if (c >= LONG_VAL(0))
		return c - LONG_VAL(0);
	for (const struct cli_opt *o = cl->cmd->opts; o->id; o++)
		if (o->short_name == c)
			return o->id;
	return BAD_OPTION;
}

int cli_done(struct cli *cl, int status)
{
	free(cl->emulators);
	cl->emulators = NULL;
	cli_done_tables(cl);
	return status;
}

/* The commands other than cl's whose table has the option NAME, as
 * "host, domain"; NULL if none. */
static char *taken_by(const struct cli *cl, const char *name, size_t len)
{
	struct cp_buf b = { 0 };

	for (size_t i = 0; i < cli_ncommands; i++) {
		const struct cli_command *c = cli_commands[i];

		if (c == cl->cmd)
			continue;
		for (const struct cli_opt *o = c->opts; o->id; o++) {
			if (strlen(o->name) == len && strncmp(o->name, name, len) == 0) {
				cp_buf_printf(&b, "%s%s", b.len ? ", " : "", c->name);
				break;
			}
		}
	}
	return b.len ? cp_buf_steal(&b) : NULL;
}

/* An option getopt did not take: a short one, an ambiguous abbreviation, a
 * typo of one of the command's, another command's, or none of these. */
static int unknown_option(struct cli *cl, char **argv)
{
	const char *arg = argv[optind - 1], *name;
	struct cp_suggest sg;
	struct cp_buf amb = { 0 };
	size_t len, nprefix = 0;
	char *hint, *other;
	int rc;

	if (optopt > 0 && optopt < LONG_VAL(0))
		return cli_usage_error(cl->cmd, "unknown option '-%c'", optopt);
	if (strncmp(arg, "--", 2) != 0)
		return cli_usage_error(cl->cmd, "unknown option '%s'", arg);
	name = arg + 2;
	len = strcspn(name, "=");
	/* getopt knows the option: "--no-guests=x" */
	if (optopt >= LONG_VAL(0))
		return cli_usage_error(cl->cmd, "option '--%.*s' takes no argument", (int)len, name);
	/* getopt takes an abbreviation of one option: of several it is
	 * ambiguous (an alias and its option are one) */
	for (const struct cli_opt *o = cl->cmd->opts; o->id; o++) {
		bool seen = false;

		if (strncmp(o->name, name, len) != 0)
			continue;
		for (const struct cli_opt *p = cl->cmd->opts; p < o; p++)
			seen |= p->id == o->id && strncmp(p->name, name, len) == 0;
		if (seen)
			continue;
		cp_buf_printf(&amb, "%s--%s", amb.len ? ", " : "", o->name);
		nprefix++;
	}
	if (len && nprefix > 1) {
		rc = cli_usage_error(cl->cmd, "option '--%.*s' is ambiguous: %s", (int)len, name, amb.s);
		cp_buf_free(&amb);
		return rc;
	}
	cp_buf_free(&amb);
	{
		char *word = cp_strndup(name, len);

		cp_suggest_init(&sg, word);
		for (const struct cli_opt *o = cl->cmd->opts; o->id; o++)
			cp_suggest_add(&sg, o->name);
		hint = cp_suggest_text(&sg, "--");
		free(word);
	}
	other = taken_by(cl, name, len);
	if (hint)
		rc = cli_usage_error(cl->cmd, "unknown option '--%.*s'; did you mean %s?", (int)len, name, hint);
	else if (other)
		rc = cli_usage_error(cl->cmd, "unknown option '--%.*s' for %s (%s take%s it)", (int)len, name,
				     cl->cmd->name, other, strchr(other, ',') ? "" : "s");
	else
		rc = cli_usage_error(cl->cmd, "unknown option '--%.*s'", (int)len, name);
	free(hint);
	free(other);
	return rc;
}

/* --format's value for cl's command: json, or the name of its default
 * form. */
static int parse_format(struct cli *cl, const char *s)
{
	const char *def = "text";

	for (const struct cli_opt *o = cl->cmd->opts; o->id; o++)
		if (o->id == OPT_FORMAT && o->value == VAL_FORMAT_XML)
			def = "xml";
	if (strcmp(s, "json") == 0)
		cl->format = CP_DOC_JSON;
	else if (strcmp(s, def) == 0)
		cl->format = CP_DOC_XML;
	else
		return cli_usage_error(cl->cmd, "invalid --format '%s' (%s or json)", s, def);
	return 0;
}

/* Seconds, possibly fractional, > 0 and at most a day. */
static int parse_timeout(const char *s, int64_t *ms)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !(v > 0) || v > 86400)
		return -EINVAL;
	*ms = (int64_t)(v * 1000 + 0.5);
	if (*ms < 1)
		*ms = 1;
	return 0;
}

int cli_common_opt(struct cli *cl, int id, char **argv)
{
	switch (id) {
	case OPT_EMULATOR:
		if (!*optarg)
			return cli_done(cl, cli_usage_error(cl->cmd, "--emulator needs a path"));
		cl->emulators = cp_realloc(cl->emulators, (cl->nemulators + 1) * sizeof(*cl->emulators));
		cl->emulators[cl->nemulators++] = optarg;
		break;
	case OPT_TIMEOUT:
		if (parse_timeout(optarg, &cl->timeout_ms) < 0)
			return cli_done(cl, cli_usage_error(cl->cmd, "invalid --timeout '%s' (seconds, > 0)", optarg));
		break;
	case OPT_CACHE_DIR: cl->co.dir = optarg; break;
	case OPT_NO_CACHE: cl->co.off = true; break;
	case OPT_REFRESH: cl->co.refresh = true; break;
	case OPT_XPATH: cl->xpath = optarg; break;
	case OPT_FORMAT:
		if (parse_format(cl, optarg))
			return cli_done(cl, EXIT_USAGE);
		break;
	case OPT_WRAP: cl->wrap = true; break;
	case OPT_STABLE: cl->stable = true; break;
	case OPT_DEBUG: cp_set_debug(1); break;
	case OPT_VERBOSE: cp_set_verbose(1); break;
	case OPT_HELP:
		cli_command_help(cl->cmd);
		return cli_done(cl, cli_finish_output(EXIT_OK));
	case NO_ARGUMENT:
		return cli_done(cl, cli_usage_error(cl->cmd, "option '%s' needs an argument", argv[optind - 1]));
	default:
		return cli_done(cl, unknown_option(cl, argv));
	}
	return OPT_NEXT;
}

int cli_no_args(struct cli *cl, int argc, char **argv)
{
	if (optind < argc)
		return cli_done(cl, cli_usage_error(cl->cmd, "unexpected argument '%s'", argv[optind]));
	return 0;
}

int cli_check(struct cli *cl)
{
	const char *why = NULL;

	if (cl->co.off && cl->co.refresh)
		why = "--no-cache and --refresh exclude each other";
	else if (cl->co.dir && !*cl->co.dir)
		why = "--cache-dir needs a directory";
	else if (cl->wrap && !cl->xpath)
		why = "--wrap needs --xpath";
	else if (cl->xpath && cl->format == CP_DOC_JSON)
		why = "--xpath selects from the XML document: it does not take --format json";
	if (why)
		return cli_done(cl, cli_usage_error(cl->cmd, "%s", why));
	/* the expression is checked before anything is probed */
	if (cl->xpath && cp_xpath_check(cl->xpath) < 0)
		return cli_done(cl, cli_usage_error(cl->cmd, "%s", cp_last_error()));
	return 0;
}
