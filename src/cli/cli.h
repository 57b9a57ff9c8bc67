/* The command line: main.c dispatches to one file per command (host.c,
 * domain.c, record.c, emulators.c, cache.c).  Each command states its
 * options once, in a table of struct cli_opt; options.c makes getopt_long's
 * table, the --help text and the completion's option list (--list-options)
 * from it, so the three cannot disagree.  tests/cli/man.sh checks the man
 * page against the same table. */
#ifndef CP_CLI_H
#define CP_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/err.h"
#include "xml/writer.h"

struct cp_root;

enum {
	EXIT_OK = 0,
	EXIT_USAGE = 1,
	EXIT_PROBE = 2,
	/* cpu-compare, hypervisor-cpu-compare: the CPU is incompatible with
	 * the host's, or the hypervisor's */
	EXIT_INCOMPATIBLE = 3,
};

/* What an option is; a command's parser switches on it.  0 ends a table. */
enum cli_opt_id {
	OPT_END = 0,
	OPT_SYSROOT,
	OPT_RECORD,
	OPT_RECORD_QMP,
	OPT_NO_GUESTS,
	OPT_EMULATOR,
	OPT_ARCH,
	OPT_MACHINE,
	OPT_VIRTTYPE,
	OPT_MACHINES,
	OPT_TIMEOUT,
	OPT_CACHE_DIR,
	OPT_NO_CACHE,
	OPT_REFRESH,
	OPT_XPATH,
	OPT_WRAP,
	OPT_STABLE,
	OPT_DEBUG,
	OPT_VERBOSE,
	OPT_FILE,
	OPT_FEATURES,
	OPT_MIGRATABLE,
	OPT_ERROR,
	OPT_HOST_CPU,
	OPT_HELP,
	/* virsh's host commands */
	OPT_CELLNO,
	OPT_CELL,
	OPT_ALL,
	OPT_PAGESIZE,
	OPT_CPU,
	OPT_PERCENT,
	OPT_PRETTY,
	OPT_TYPE,
	OPT_FORMAT,
	OPT_MODEL,
};

/* What the bash completion offers for an option's argument; the names are
 * what --list-options prints after the option. */
enum cli_value {
	VAL_NONE,	/* the option takes no argument */
	VAL_TEXT,	/* free text: nothing to offer */
	VAL_DIR,	/* a directory */
	VAL_CACHE_DIR,	/* a directory, and the cache --machine reads */
	VAL_EMULATOR,	/* a QEMU emulator: a path, or a name found in PATH */
	VAL_ARCH,	/* libvirt's arch names */
	VAL_VIRTTYPE,	/* kvm, qemu */
	VAL_MACHINE,	/* the machine types of the emulator on the line */
	VAL_FILE,	/* a file */
	VAL_FORMAT_XML,	/* --format of an XML document: xml, json */
	VAL_FORMAT_TEXT,	/* --format of a text report: text, json */
};

struct cli_opt {
	enum cli_opt_id id;
	const char *name;	/* the long name, without "--" */
	char short_name;	/* 0: none */
	enum cli_value value;	/* VAL_NONE: no argument */
	const char *arg;	/* the argument's name in --help (DIR, PATH) */
	/* --help's text, lines separated by '\n'; NULL for an alias, which
	 * works and completes but is documented with the option it stands
	 * for */
	const char *help;
};

struct cli_command {
	const char *name;
	const char *summary;
	const char *operands;		/* NULL, or "DIR ": before [OPTION]... */
	const char *operand_help;	/* NULL, or lines before the options */
	const char *notes;		/* NULL, or lines after the options */
	const struct cli_opt *opts;	/* ends with OPT_END */
	bool permute;			/* options may follow the operands */
	int (*run)(int argc, char **argv);
};

/* The commands, each in its file; main.c lists them. */
extern const struct cli_command cli_host, cli_domain, cli_record, cli_emulators, cli_cache,
	cli_cpu_models, cli_cpu_baseline, cli_cpu_compare, cli_help;
/* virsh's read-only host commands, each in its file of that name */
extern const struct cli_command cli_nodeinfo, cli_nodecpumap, cli_freecell, cli_freepages,
	cli_nodememstats, cli_nodecpustats, cli_sysinfo;
/* virsh's hypervisor commands over the domain capabilities */
extern const struct cli_command cli_maxvcpus, cli_nodesevinfo, cli_hypervisor_cpu_models,
	cli_hypervisor_cpu_compare, cli_hypervisor_cpu_baseline;
extern const struct cli_command *const cli_commands[];
extern const size_t cli_ncommands;
/* NULL when there is none of that name. */
const struct cli_command *cli_find_command(const char *name);

/* Entries shared by several tables: each means (and fails) the same in
 * every command that lists it. */
/* --sysroot and --timeout of the commands that ask the domain capabilities */
#define CLI_OPT_REPLAY \
	{ OPT_SYSROOT, "sysroot", 's', VAL_DIR, "DIR", \
	  "start no QEMU: replay the conversations recorded\nin DIR and read host facts from DIR" }
#define CLI_OPT_PROBE_TIMEOUT \
	{ OPT_TIMEOUT, "timeout", 0, VAL_TEXT, "SECONDS", "limit for the whole probe (default 30)" }
#define CLI_OPT_CACHE \
	{ OPT_CACHE_DIR, "cache-dir", 0, VAL_CACHE_DIR, "DIR", \
	  "keep QEMU's answers in DIR (default: see FILES in\ncapsprobe(1))" }, \
	{ OPT_NO_CACHE, "no-cache", 0, VAL_NONE, NULL, \
	  "probe every emulator; neither read nor write the\ncache" }, \
	{ OPT_REFRESH, "refresh", 0, VAL_NONE, NULL, \
	  "probe every emulator and rewrite its cache entry" }
#define CLI_OPT_XPATH \
	{ OPT_XPATH, "xpath", 0, VAL_TEXT, "EXPR", \
	  "print only what EXPR selects: matching nodes one\nper line, or a string, number or boolean value" }, \
	{ OPT_WRAP, "wrap", 0, VAL_NONE, NULL, "with --xpath, put the nodes inside <nodes>" }
#define CLI_OPT_STABLE \
	{ OPT_STABLE, "stable", 0, VAL_NONE, NULL, \
	  "diff-friendly: sort enumerations, leave out values\nthat change from run to run (see capsprobe(1))" }
#define CLI_OPT_DEBUG \
	{ OPT_DEBUG, "debug", 0, VAL_NONE, NULL, "log the QMP traffic on standard error" }
/* host's and domain's --verbose (the other commands say what theirs tells) */
#define CLI_OPT_VERBOSE_PROBE \
	{ OPT_VERBOSE, "verbose", 'v', VAL_NONE, NULL, \
	  "say what is probed, from where, and what came\nfrom the cache" }
#define CLI_OPT_EMULATORBIN \
	{ OPT_EMULATOR, "emulatorbin", 0, VAL_EMULATOR, "PATH", NULL }
/* the request of the hypervisor commands: which emulator, arch, machine
 * and virt type's domain capabilities they answer from */
#define CLI_OPT_REQUEST \
	{ OPT_EMULATOR, "emulator", 0, VAL_EMULATOR, "PATH", \
	  "the QEMU system emulator (alias --emulatorbin);\ndefault: as 'capsprobe domain' finds it" }, \
	CLI_OPT_EMULATORBIN, \
	{ OPT_ARCH, "arch", 0, VAL_ARCH, "ARCH", "guest arch; default: the emulator's own" }, \
	{ OPT_MACHINE, "machine", 0, VAL_MACHINE, "TYPE", "machine type or alias; default: libvirt's choice" }, \
	{ OPT_VIRTTYPE, "virttype", 0, VAL_VIRTTYPE, "TYPE", \
	  "kvm or qemu; default: kvm when /dev/kvm works\nfor the emulator, else qemu" }
/* the --sysroot of virsh's host commands */
#define CLI_OPT_SYSROOT_NODE \
	{ OPT_SYSROOT, "sysroot", 's', VAL_DIR, "DIR", \
	  "read sysfs, procfs and recorded facts from DIR\n(a recorded tree) instead of the live host" }
/* --format: the output's default form (libvirt's XML, virsh's text) or
 * JSON, as man/schemas/ describes it */
#define CLI_OPT_FORMAT_XML \
	{ OPT_FORMAT, "format", 0, VAL_FORMAT_XML, "FORMAT", \
	  "xml (the default) or json (see capsprobe(1))" }
#define CLI_OPT_FORMAT_TEXT \
	{ OPT_FORMAT, "format", 0, VAL_FORMAT_TEXT, "FORMAT", \
	  "text (the default) or json (see capsprobe(1))" }
#define CLI_OPT_HELP \
	{ OPT_HELP, "help", 'h', VAL_NONE, NULL, "show this help" }

/* ---- options.c: parsing with a table ---- */

/* The probe cache options of host, domain and emulators. */
struct cache_opts {
	const char *dir;	/* --cache-dir; NULL: $CAPSPROBE_CACHE_DIR, else the default */
	bool off;		/* --no-cache */
	bool refresh;		/* --refresh */
};

/* One command's parse: what the shared options set.  Each command keeps
 * its own options in its switch and passes every other one to
 * cli_common_opt. */
struct cli {
	const struct cli_command *cmd;
	struct cache_opts co;
	int64_t timeout_ms;		/* --timeout; 0: the command's default */
	const char **emulators;		/* --emulator, repeatable (host, record) */
	size_t nemulators;
	bool stable;			/* --stable */
	const char *xpath;		/* --xpath */
	bool wrap;			/* --wrap */
	enum cp_doc_format format;	/* --format */
	/* getopt_long's view of cmd->opts, made by cli_next */
	void *longopts;
	char *shortopts;
};

#define OPT_NEXT (-1)

/* The next option of argv (its id, with optarg set), or OPT_END when none
 * is left (optind at the first operand); an unknown option or a missing
 * argument comes back as a negative id for cli_common_opt to report. */
int cli_next(struct cli *cl, int argc, char **argv);
/* A shared option, --help or a parse error: OPT_NEXT to go on, else the
 * exit status (cl then holds nothing). */
int cli_common_opt(struct cli *cl, int id, char **argv);
/* End a parse: cl holds nothing after it; returns status. */
int cli_done(struct cli *cl, int status);
/* No operand left after the command's own. */
int cli_no_args(struct cli *cl, int argc, char **argv);
/* The checks of the shared options, once all are parsed. */
int cli_check(struct cli *cl);

/* "error: MSG (see 'capsprobe CMD --help')"; returns EXIT_USAGE. */
int cli_usage_error(const struct cli_command *cmd, const char *fmt, ...) CP_PRINTF(2, 3);
void cli_command_help(const struct cli_command *c);
void cli_main_help(void);
/* --list-options [COMMAND]: one line per long option, "--NAME[ VALUE]". */
void cli_list_options(const struct cli_command *c);

/* ---- output.c ---- */

/* The one "error: ..." line of a failed command (the message formed where
 * the failure was found, else the errno's text); returns status. */
int cli_print_error(int rc, int status);
/* Print the whole document (or what --xpath selects of it) or nothing,
 * and free it; a failed write is a failure. */
int cli_emit(const struct cli *cl, char *doc);
/* A list command's output as --format asks: the lines in text, or the
 * object {NAME: list}; both are released. */
struct cp_buf;
struct json_object;
int cli_emit_list(const struct cli *cl, struct cp_buf *text, const char *name, struct json_object *list);
/* stdio output (help, version, the record summary) must have arrived
 * whole: a failed write is an error. */
int cli_finish_output(int status);
/* How cpu-compare and hypervisor-cpu-compare word their verdict: virsh's
 * name for the CPU compared with, in a line and starting one. */
struct cli_verdict {
	const char *file;	/* the CPU's file, as given */
	const char *other;	/* "host CPU" */
	const char *other_first;	/* "Host CPU" */
	bool fail;		/* --error */
};
/* A comparison's verdict (CP_CPU_*) as virsh prints it, or --format json's
 * {"file", "result"}: exit 0, or 3 for incompatible, when --error prints
 * one error line with why (freed here) instead. */
int cli_print_verdict(const struct cli *cl, const struct cli_verdict *v, int verdict, char *why);

/* ---- common.c: what several commands share ---- */

const char *cli_cache_dir(const struct cache_opts *co);
/* The cache for a live run that records nothing, or NULL (a warning). */
struct cp_cache *cli_open_cache(const struct cache_opts *co);
/* A --sysroot DIR that opens and holds a recorded tree, else the error
 * (exit 2) saying what is missing; *out is the root. */
int cli_open_sysroot(const char *dir, struct cp_root **out);
/* An --emulator argument as the path to use: one with a slash as given, a
 * bare name looked up in PATH as execvp would (under a replay root, among
 * the recorded emulators).  *out is the caller's. */
int cli_find_emulator(const char *arg, const struct cp_root *replay, char **out);

/* The domain capabilities of a (checked) request, as `capsprobe domain`
 * makes them: the usage and --sysroot errors are printed and come back as
 * the exit status (> 0, cl done); a failed probe as -errno, nothing printed
 * and cl not done, for the caller to report (or fall back from); 0 with dc
 * filled (the caller frees it). */
struct cp_domain_args;
struct cp_domcaps;
int cli_domain_caps(struct cli *cl, struct cp_domain_args *a, struct cp_domcaps *dc);
/* A request option (CLI_OPT_REQUEST's rows and --sysroot) into a, the
 * last of each given winning (an empty one is refused later): true when
 * id is one. */
bool cli_request_opt(struct cp_domain_args *a, int id);
/* The command's FILE: the --file option, else the first operand; a usage
 * error (printed, cl done, the status returned) when there is none or
 * another operand follows. */
int cli_file_operand(struct cli *cl, int argc, char **argv, const char **file);

/* ---- node.c: what virsh's host commands share ---- */

/* virsh's integer option (vshCommandOptInt): the whole argument a
 * decimal int, else the usage error (exit 1). */
int cli_int_arg(const struct cli *cl, const char *name, const char *arg, int *out);
/* Open the root (live, or --sysroot DIR), run fn on it, print the text it
 * makes in --format's form f, or the one error line (exit 2). */
typedef int cli_node_fn(const struct cp_root *r, void *arg, enum cp_doc_format f, char **text);
int cli_node_run(struct cli *cl, const char *sysroot, cli_node_fn *fn, void *arg);

#endif
