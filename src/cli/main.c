/* capsprobe: libvirt's capabilities documents without a daemon.
 * The CLI is a table of commands; each parses its own options, runs its
 * probes into a model, and prints the whole document only on success. */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "host/host.h"
#include "qemu/cache.h"
#include "qemu/domcaps.h"
#include "qemu/cached.h"
#include "qemu/guests.h"
#include "qemu/process.h"
#include "qemu/record.h"
#include "qemu/resolve.h"
#include "util/err.h"
#include "util/path.h"
#include "xml/caps.h"
#include "xml/xpath.h"
#include "xml/domcaps.h"
#include "xml/stable.h"

enum {
	EXIT_OK = 0,
	EXIT_USAGE = 1,
	EXIT_PROBE = 2,
};

struct command {
	const char *name;
	const char *summary;
	const char *usage;	/* options, one per line, as printed by --help */
	const char *notes;	/* NULL, or lines printed after the options */
	int (*run)(int argc, char **argv);
	const char *args;	/* NULL, or the operands before [OPTION]... in --help */
};

static const struct command *find_command(const char *name);

static const char exit_help[] =
	"Exit status:\n"
	"  0  the document (or list) was printed\n"
	"  1  usage error (unknown command or option, bad argument)\n"
	"  2  probe failure, or (host) every emulator failed to probe; nothing\n"
	"     is printed on standard output.  Also: the output could not be\n"
	"     written (a full disk, a file size limit)\n";

static int usage_error(const char *cmd, const char *fmt, ...) CP_PRINTF(2, 3);

static int usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		cp_oom();
	va_end(ap);
	cp_error_line("%s (see 'capsprobe %s%s--help')", msg, cmd ? cmd : "", cmd ? " " : "");
	free(msg);
	return EXIT_USAGE;
}

/* The one "error: ..." line of a failed command, as virsh prints it: the
 * message formed where the failure was found (else the errno's text). */
static int print_error(int rc, int status)
{
	cp_error_line("%s", *cp_last_error() ? cp_last_error() : strerror(rc < 0 ? -rc : EIO));
	return status;
}

/* --debug and --stable, shared by the commands that probe. */
#define DEBUG_LONGOPT { "debug", no_argument, NULL, 'D' }
#define DEBUG_USAGE \
	"      --debug           log the QMP traffic on standard error\n"
#define STABLE_LONGOPT { "stable", no_argument, NULL, 'S' }
#define STABLE_USAGE \
	"      --stable          diff-friendly: sort enumerations, leave out values\n" \
	"                        that change from run to run (see capsprobe(1))\n"
static bool opt_stable;

/* --xpath/--wrap, shared by the commands that print a document. */
static const char *opt_xpath;
static bool opt_wrap;

#define XPATH_LONGOPTS \
	{ "xpath", required_argument, NULL, 'X' }, \
	{ "wrap", no_argument, NULL, 'W' }

#define XPATH_USAGE \
	"      --xpath EXPR      print only what EXPR selects: matching nodes one\n" \
	"                        per line, or a string, number or boolean value\n" \
	"      --wrap            with --xpath, put the nodes inside <nodes>\n"

/* The expression is checked before anything is probed. */
static int check_xpath_opts(const char *cmd)
{
	if (opt_wrap && !opt_xpath)
		return usage_error(cmd, "--wrap needs --xpath");
	if (opt_xpath && cp_xpath_check(opt_xpath) < 0)
		return usage_error(cmd, "%s", cp_last_error());
	return 0;
}

/* Print the whole document (or what --xpath selects of it) or nothing;
 * a failed write is a failure. */
static int emit(char *doc)
{
	size_t len;
	int err;

	if (opt_xpath) {
		char *sel;

		if (cp_xpath_query(doc, opt_xpath, opt_wrap, &sel) < 0) {
			free(doc);
			return print_error(-EINVAL, EXIT_PROBE);
		}
		free(doc);
		doc = sel;
	}
	/* The document in write()s of its own: stdio would copy it through
	 * its buffer a few KB at a time. */
	len = strlen(doc);
	err = fflush(stdout) == 0 ? 0 : errno;
	for (const char *p = doc; !err && len;) {
		ssize_t n = write(STDOUT_FILENO, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			err = n < 0 ? errno : EIO;
			break;
		}
		p += n;
		len -= (size_t)n;
	}
	free(doc);
	if (err) {
		cp_error_line("cannot write output: %s", strerror(err));
		return EXIT_PROBE;
	}
	return EXIT_OK;
}

/* What went to standard output through stdio (help, version, the record
 * summary) must have arrived whole: a failed write is an error, as for a
 * document. */
static int finish_output(int status)
{
	int err = fflush(stdout) == 0 ? (ferror(stdout) ? EIO : 0) : errno;

	if (err) {
		cp_error_line("cannot write output: %s", strerror(err));
		return EXIT_PROBE;
	}
	return status;
}

static void command_help(const struct command *c)
{
	printf("Usage: capsprobe %s %s[OPTION]...\n%s\n\nOptions:\n%s  -h, --help            show this help\n\n%s%s%s",
	       c->name, c->args ? c->args : "", c->summary, c->usage, c->notes ? c->notes : "", c->notes ? "\n" : "", exit_help);
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

/* The probe cache options of host, domain and emulators. */
struct cache_opts {
	const char *dir;	/* --cache-dir; NULL: $CAPSPROBE_CACHE_DIR, else the default */
	bool off;		/* --no-cache */
	bool refresh;		/* --refresh */
};

#define CACHE_LONGOPTS \
	{ "cache-dir", required_argument, NULL, 'C' }, \
	{ "no-cache", no_argument, NULL, 'N' }, \
	{ "refresh", no_argument, NULL, 'F' }

#define CACHE_USAGE \
	"      --cache-dir DIR   keep QEMU's answers in DIR (default: see FILES in\n" \
	"                        capsprobe(1))\n" \
	"      --no-cache        probe every emulator; neither read nor write the\n" \
	"                        cache\n" \
	"      --refresh         probe every emulator and rewrite its cache entry\n"

static void cache_opt(struct cache_opts *co, int c, const char *arg)
{
	switch (c) {
	case 'C': co->dir = arg; break;
	case 'N': co->off = true; break;
	case 'F': co->refresh = true; break;
	}
}

static const char *cache_dir(const struct cache_opts *co)
{
	const char *env = getenv("CAPSPROBE_CACHE_DIR");

	return co->dir ? co->dir : env && *env ? env : NULL;
}

static int check_cache_opts(const char *cmd, const struct cache_opts *co)
{
	if (co->off && co->refresh)
		return usage_error(cmd, "--no-cache and --refresh exclude each other");
	if (co->dir && !*co->dir)
		return usage_error(cmd, "--cache-dir needs a directory");
	return 0;
}

/* The cache for a live run that records nothing, or NULL: a cache that
 * cannot be used (unsafe directory, no home) is a warning, and the run
 * goes on uncached. */
static struct cp_cache *open_cache(const struct cache_opts *co)
{
	struct cp_cache *c;

	if (co->off) {
		cp_verbose("probe cache: not used (--no-cache)");
		return NULL;
	}
	if (cp_cache_open(cache_dir(co), true, &c) < 0) {
		cp_warn("%s; not using the cache", *cp_last_error() ? cp_last_error() : "no cache directory");
		cp_clear_error();
		return NULL;
	}
	cp_verbose("probe cache: %s", cp_cache_path(c));
	return c;
}

/* What the options several commands share set; each command keeps its own
 * options in its switch and passes every other one to common_opt, so each
 * shared option means (and fails) the same everywhere. */
struct cli {
	const char *cmd;		/* the command's name, for the messages */
	struct cache_opts co;
	int64_t timeout_ms;		/* --timeout; 0: the command's default */
	const char **emulators;		/* --emulator, repeatable (host, record) */
	size_t nemulators;
};

#define OPT_NEXT (-1)

/* End a parse that failed or asked for help: cl holds nothing after it. */
static int cli_done(struct cli *cl, int status)
{
	free(cl->emulators);
	cl->emulators = NULL;
	return status;
}

/* A shared option, --help or a getopt error (getopt returns only what the
 * command's table lists): OPT_NEXT to go on, else the exit status. */
static int common_opt(struct cli *cl, int c, char **argv)
{
	switch (c) {
	case 'e':
		if (!*optarg)
			return cli_done(cl, usage_error(cl->cmd, "--emulator needs a path"));
		cl->emulators = cp_realloc(cl->emulators, (cl->nemulators + 1) * sizeof(*cl->emulators));
		cl->emulators[cl->nemulators++] = optarg;
		break;
	case 'T':
		if (parse_timeout(optarg, &cl->timeout_ms) < 0)
			return cli_done(cl, usage_error(cl->cmd, "invalid --timeout '%s' (seconds, > 0)", optarg));
		break;
	case 'C': case 'N': case 'F': cache_opt(&cl->co, c, optarg); break;
	case 'X': opt_xpath = optarg; break;
	case 'W': opt_wrap = true; break;
	case 'S': opt_stable = true; break;
	case 'D': cp_set_debug(1); break;
	case 'v': cp_set_verbose(1); break;
	case 'h': command_help(find_command(cl->cmd)); return cli_done(cl, finish_output(EXIT_OK));
	case ':': return cli_done(cl, usage_error(cl->cmd, "option '%s' needs an argument", argv[optind - 1]));
	default: return cli_done(cl, usage_error(cl->cmd, "unknown option '%s'", argv[optind - 1]));
	}
	return OPT_NEXT;
}

/* No operand left after the command's own. */
static int cli_no_args(struct cli *cl, int argc, char **argv)
{
	if (optind < argc)
		return cli_done(cl, usage_error(cl->cmd, "unexpected argument '%s'", argv[optind]));
	return 0;
}

/* The checks of the shared options, once all are parsed; the ones a command
 * does not take are unset and pass. */
static int cli_check(struct cli *cl)
{
	int rc;

	if ((rc = check_cache_opts(cl->cmd, &cl->co)) || (rc = check_xpath_opts(cl->cmd)))
		return cli_done(cl, rc);
	return 0;
}

static int run_host(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "sysroot", required_argument, NULL, 's' },
		{ "record", required_argument, NULL, 'r' },
		{ "no-guests", no_argument, NULL, 'G' },
		{ "emulator", required_argument, NULL, 'e' },
		{ "emulatorbin", required_argument, NULL, 'e' },
		{ "timeout", required_argument, NULL, 'T' },
		CACHE_LONGOPTS,
		XPATH_LONGOPTS,
		STABLE_LONGOPT,
		DEBUG_LONGOPT,
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	const char *sysroot = NULL, *record = NULL;
	struct cli cl = { .cmd = "host" };
	struct cp_host host = { 0 };
	struct cp_guests_opts go = { 0 };
	struct cp_guests_stats st;
	bool no_guests = false;
	struct cp_root *root;
	int c, rc;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:s:hv", opts, NULL)) != -1) {
		switch (c) {
		case 's': sysroot = optarg; break;
		case 'r': record = optarg; break;
		case 'G': no_guests = true; break;
		default:
			if ((rc = common_opt(&cl, c, argv)) != OPT_NEXT)
				return rc;
		}
	}
	if ((rc = cli_no_args(&cl, argc, argv)))
		return rc;
	if (no_guests && cl.nemulators)
		return cli_done(&cl, usage_error("host", "--no-guests and --emulator exclude each other"));
	if ((rc = cli_check(&cl)))
		return rc;
	go.emulators = cl.emulators;
	go.nemulators = cl.nemulators;
	go.timeout_ms = cl.timeout_ms;

	if ((rc = cp_root_new(sysroot, &root)) < 0)
		goto fail;
	if (record && (rc = cp_root_record_into(root, record)) < 0) {
		cp_root_free(root);
		goto fail;
	}
	cp_verbose("reading host facts from %s", sysroot ? sysroot : "the live system");
	rc = cp_host_probe(root, &host);
	if (rc == 0 && !no_guests) {
		go.path_env = getenv("PATH");
		/* conversations are recorded from live emulators only */
		go.record = sysroot ? NULL : record;
		/* replays and recordings never touch the cache */
		if (!sysroot && !record)
			go.cache = open_cache(&cl.co);
		go.refresh = cl.co.refresh;
		rc = cp_guests_probe(root, host.cpu.arch, &go, &host, &st);
		cp_cache_close(go.cache);
		if (rc == 0)
			cp_verbose("%u emulator(s) %s, %u failed", st.probed,
				   sysroot ? "replayed" : "probed or answered from the cache", st.failed);
		if (rc == 0 && st.probed && st.failed == st.probed)
			rc = cp_fail(-EIO, "every emulator failed to probe (%u)", st.failed);
	} else if (rc == 0) {
		cp_verbose("no guests: no emulator started");
	}
	cp_root_free(root);
	cli_done(&cl, 0);
	if (rc < 0) {
		cp_host_free(&host);
		goto fail;
	}
	if (opt_stable)
		cp_host_stabilize(&host);
	{
		char *doc = cp_caps_format(&host);

		cp_host_free(&host);
		return emit(doc);
	}
fail:
	return print_error(rc, EXIT_PROBE);
}

static int run_domain(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "emulator", required_argument, NULL, 'e' },
		{ "emulatorbin", required_argument, NULL, 'e' },
		{ "arch", required_argument, NULL, 'a' },
		{ "machine", required_argument, NULL, 'm' },
		{ "virttype", required_argument, NULL, 't' },
		{ "timeout", required_argument, NULL, 'T' },
		{ "sysroot", required_argument, NULL, 's' },
		{ "record-qmp", required_argument, NULL, 'R' },
		{ "record", required_argument, NULL, 'r' },
		CACHE_LONGOPTS,
		XPATH_LONGOPTS,
		STABLE_LONGOPT,
		DEBUG_LONGOPT,
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	struct cp_domain_args a = { 0 };
	struct cli cl = { .cmd = "domain" };
	struct cp_domcaps dc;
	int c, rc;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:s:hv", opts, NULL)) != -1) {
		switch (c) {
		/* one emulator, the last given; an empty one is refused below */
		case 'e': a.emulator = optarg; break;
		case 'a': a.arch = optarg; break;
		case 'm': a.machine = optarg; break;
		case 't': a.virttype = optarg; break;
		case 's': a.sysroot = optarg; break;
		case 'R': a.record_qmp = optarg; break;
		case 'r': a.record = optarg; break;
		default:
			if ((rc = common_opt(&cl, c, argv)) != OPT_NEXT)
				return rc;
		}
	}
	if ((rc = cli_no_args(&cl, argc, argv)))
		return rc;
	if (a.emulator && !*a.emulator)
		return usage_error("domain", "--emulator needs a path");
	a.timeout_ms = cl.timeout_ms;
	if (cp_domain_check_args(&a) < 0)
		return usage_error("domain", "%s", cp_last_error());
	if ((rc = cli_check(&cl)))
		return rc;

	cp_domcaps_init(&dc);
	/* replays and recordings never touch the cache */
	if (!a.sysroot && !a.record && !a.record_qmp)
		a.cache = open_cache(&cl.co);
	a.refresh = cl.co.refresh;
	cp_verbose("reading host facts and firmware descriptors from %s",
		   a.sysroot ? a.sysroot : "the live system");
	rc = cp_domain_caps(&a, &dc);
	cp_cache_close(a.cache);
	if (rc < 0) {
		cp_domcaps_free(&dc);
		return print_error(rc, EXIT_PROBE);
	}
	cp_verbose("emulator %s, arch %s, machine %s, virttype %s", dc.path ? dc.path : "-",
		   dc.arch ? dc.arch : "-", dc.machine ? dc.machine : "-", dc.domain ? dc.domain : "-");
	if (opt_stable)
		cp_domcaps_stabilize(&dc);
	{
		char *doc = cp_domcaps_format(&dc);

		cp_domcaps_free(&dc);
		return emit(doc);
	}
}

static void format_version(unsigned v, char out[32])
{
	snprintf(out, 32, "%u.%u.%u", v / 1000000, v / 1000 % 1000, v % 1000);
}

/* `emulators --machines PATH`, for shell completion (documented in the man
 * page, not in --help): PATH's machine names and aliases in libvirt's
 * order, one per line, from its cache entry when one is valid, else from a
 * light probe (which fills the entry). */
static int list_machines(const char *bin, const struct cache_opts *co, int64_t timeout_ms)
{
	struct cp_probe_req req = {
		.binary = bin,
		.light = true,
		.deadline_ms = cp_clock_ms() + (timeout_ms > 0 ? timeout_ms : CP_GUEST_TIMEOUT_MS),
	};
	struct cp_guest_machine *m = NULL;
	struct cp_buf out = { 0 };
	struct cp_qemu_probe p;
	struct cp_cache *c;
	size_t n = 0;
	bool cached;
	int rc;

	if ((rc = cp_proc_check_binary(bin)) < 0)
		return print_error(rc, EXIT_PROBE);
	c = open_cache(co);
	rc = cp_probe_cached(c, &req, co->refresh, &p, &cached);
	cp_cache_close(c);
	if (rc < 0)
		return print_error(rc, EXIT_PROBE);
	cp_guest_machines(cp_probe_answer(&p, p.kvm, CP_Q_MACHINES)->ret, p.arch, &m, &n);
	for (size_t i = 0; i < n; i++) {
		/* the names are the emulator's: one line each, whatever they hold */
		char *name = cp_flat_dup(m[i].name);

		cp_buf_printf(&out, "%s\n", name);
		free(name);
		free(m[i].name);
		free(m[i].canonical);
	}
	free(m);
	cp_qemu_probe_free(&p);
	cp_buf_puts(&out, "");
	return emit(cp_buf_steal(&out));
}

/* One line per emulator, tab-separated: PATH ARCH VERSION KVM CACHED (see
 * the command's notes); "-" where a failed probe knows nothing. */
static int run_emulators(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "timeout", required_argument, NULL, 'T' },
		CACHE_LONGOPTS,
		{ "machines", required_argument, NULL, 'M' },
		DEBUG_LONGOPT,
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	const char *machines_of = NULL;
	struct cli cl = { .cmd = "emulators" };
	struct cp_guests_opts go = { 0 };
	struct cp_emulator *v = NULL;
	struct cp_host host = { 0 };
	struct cp_buf out = { 0 };
	struct cp_root *root;
	size_t n = 0;
	int c, rc;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:hv", opts, NULL)) != -1) {
		switch (c) {
		case 'M': machines_of = optarg; break;
		default:
			if ((rc = common_opt(&cl, c, argv)) != OPT_NEXT)
				return rc;
		}
	}
	if ((rc = cli_no_args(&cl, argc, argv)) || (rc = cli_check(&cl)))
		return rc;
	if (machines_of) {
		if (!*machines_of)
			return usage_error("emulators", "--machines needs a path");
		return list_machines(machines_of, &cl.co, cl.timeout_ms);
	}
	go.timeout_ms = cl.timeout_ms;

	/* the host's arch decides the native fallbacks of the search */
	if ((rc = cp_root_new(NULL, &root)) < 0)
		return print_error(rc, EXIT_PROBE);
	if (cp_probe_arch(root, &host) < 0)
		cp_clear_error();
	cp_root_free(root);
	go.path_env = getenv("PATH");
	go.cache = open_cache(&cl.co);
	go.refresh = cl.co.refresh;
	rc = cp_emulators_probe(host.cpu.arch, &go, &v, &n);	/* a static name */
	cp_cache_close(go.cache);
	if (rc < 0)
		return print_error(rc, EXIT_PROBE);
	for (size_t i = 0; i < n; i++) {
		char ver[32];

		if (!v[i].arch) {
			cp_warn("%s: %s", v[i].binary, v[i].error ? v[i].error : "probe failed");
			/* a path with a control character would break the lines */
			if (cp_str_xml_clean(v[i].binary))
				cp_buf_printf(&out, "%s\t-\t-\t-\tno\n", v[i].binary);
			continue;
		}
		format_version(v[i].version, ver);
		cp_buf_printf(&out, "%s\t%s\t%s\t%s\t%s\n", v[i].binary, v[i].arch, ver,
			      v[i].kvm ? "yes" : "no", v[i].cached ? "yes" : "no");
	}
	cp_emulators_free(v, n);
	cp_buf_puts(&out, "");
	return emit(cp_buf_steal(&out));
}

/* `record DIR`: see qemu/record.h. */
static int run_record(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "emulator", required_argument, NULL, 'e' },
		{ "emulatorbin", required_argument, NULL, 'e' },
		{ "timeout", required_argument, NULL, 'T' },
		DEBUG_LONGOPT,
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	struct cli cl = { .cmd = "record" };
	struct cp_record_opts o = { 0 };
	struct cp_record_stats st;
	int c, rc;

	optind = 1;
	opterr = 0;
	/* options may follow DIR */
	while ((c = getopt_long(argc, argv, ":hv", opts, NULL)) != -1)
		if ((rc = common_opt(&cl, c, argv)) != OPT_NEXT)
			return rc;
	if (optind >= argc || !*argv[optind])
		return cli_done(&cl, usage_error("record", "no directory given"));
	o.dir = argv[optind++];
	if ((rc = cli_no_args(&cl, argc, argv)))
		return rc;
	o.emulators = cl.emulators;
	o.nemulators = cl.nemulators;
	o.timeout_ms = cl.timeout_ms;
	o.path_env = getenv("PATH");
	rc = cp_record(&o, &st);
	cli_done(&cl, 0);
	if (rc < 0)
		return print_error(rc, EXIT_PROBE);
	printf("recorded the host, %u emulator(s) and %u domain request(s) in ", st.full, st.requests);
	flockfile(stdout);
	cp_put_flat(stdout, o.dir);
	funlockfile(stdout);
	putchar('\n');
	return finish_output(EXIT_OK);
}

/* `cache [list]` and `cache clear`. */
static int run_cache(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "cache-dir", required_argument, NULL, 'C' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	struct cli cl = { .cmd = "cache" };
	struct cp_cache_entry *v = NULL;
	struct cp_buf out = { 0 };
	struct cp_cache *cache;
	const char *action = "list";
	size_t n = 0;
	unsigned removed = 0;
	int c, rc;

	optind = 1;
	opterr = 0;
	/* options may follow the action ("cache clear --cache-dir DIR") */
	while ((c = getopt_long(argc, argv, ":hv", opts, NULL)) != -1)
		if ((rc = common_opt(&cl, c, argv)) != OPT_NEXT)
			return rc;
	if (optind < argc)
		action = argv[optind++];
	if (strcmp(action, "list") && strcmp(action, "clear"))
		return usage_error("cache", "unknown action '%s' (list or clear)", action);
	if ((rc = cli_no_args(&cl, argc, argv)) || (rc = cli_check(&cl)))
		return rc;

	rc = cp_cache_open(cache_dir(&cl.co), false, &cache);
	if (rc == -ENOENT) {
		/* no directory: nothing cached, nothing to remove */
		cp_verbose("%s", *cp_last_error() ? cp_last_error() : "no cache directory");
		cp_clear_error();
		return EXIT_OK;
	}
	if (rc < 0)
		goto fail;
	cp_verbose("probe cache: %s", cp_cache_path(cache));
	if (strcmp(action, "clear") == 0) {
		rc = cp_cache_clear(cache, &removed);
		if (rc == 0)
			cp_verbose("removed %u entr%s", removed, removed == 1 ? "y" : "ies");
		cp_cache_close(cache);
		if (rc < 0)
			goto fail;
		return EXIT_OK;
	}
	rc = cp_cache_list(cache, &v, &n);
	cp_cache_close(cache);
	if (rc < 0)
		goto fail;
	for (size_t i = 0; i < n; i++) {
		char when[32] = "-";
		time_t t = (time_t)v[i].written;
		struct tm tm;
		/* an entry's text is what a file in the directory says */
		char *emu = cp_flat_dup(v[i].emulator ? v[i].emulator : "(unreadable)");
		char *ver = cp_flat_dup(v[i].qemu_version ? v[i].qemu_version : "-");

		if (v[i].written > 0 && gmtime_r(&t, &tm))
			strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
		cp_buf_printf(&out, "%s\t%s\t%s\t%llu\n", emu, ver, when, (unsigned long long)v[i].size);
		free(emu);
		free(ver);
	}
	cp_cache_entries_free(v, n);
	cp_buf_puts(&out, "");
	return emit(cp_buf_steal(&out));
fail:
	return print_error(rc, EXIT_PROBE);
}

static const struct command commands[] = {
	{
		"host",
		"Print the host's <capabilities> document, as 'virsh capabilities' does.",
		"      --sysroot DIR     read sysfs, procfs, /dev, recorded CPUID/MSR facts\n"
		"                        and recorded QMP conversations from DIR instead\n"
		"                        of the live host\n"
		"      --record DIR      also copy everything read (and each emulator's\n"
		"                        conversation) into DIR, which then works as a\n"
		"                        --sysroot (see scripts/record-host)\n"
		"      --emulator PATH   only the guests of this QEMU emulator\n"
		"                        (repeatable): those libvirt would list if the\n"
		"                        given ones were the only emulators installed\n"
		"      --no-guests       print no <guest> element (start no emulator)\n"
		"      --timeout SECONDS limit for each emulator's probe (default 30)\n"
		CACHE_USAGE
		XPATH_USAGE
		STABLE_USAGE
		DEBUG_USAGE
		"  -v, --verbose         say what is probed, from where, and what came\n"
		"                        from the cache\n",
		"Emulators are probed in parallel, as many at once as there are CPUs; one\n"
		"that fails to probe is left out with a warning on standard error.\n"
		"QEMU's answers are cached (never the document): an entry is used only\n"
		"while the emulator binary, QEMU's module directories, the kernel, the\n"
		"CPU microcode and signature, /dev/kvm and capsprobe are unchanged.\n"
		"--sysroot and --record bypass the cache.  --record DIR: a directory of\n"
		"yours no one else can write (made when missing); links in it are not\n"
		"followed.\n",
		run_host,
		NULL,
	},
	{
		"domain",
		"Print an emulator's <domainCapabilities>, as 'virsh domcapabilities' does.",
		"      --emulator PATH   the QEMU system emulator (alias --emulatorbin);\n"
		"                        default: qemu-system-<arch> in PATH, as libvirt\n"
		"                        finds it (also /usr/libexec/qemu-kvm)\n"
		"      --arch ARCH       guest arch (libvirt's names: x86_64, i686,\n"
		"                        aarch64, ...); default: the emulator's own\n"
		"      --machine TYPE    machine type or alias (q35, pc, virt, ...);\n"
		"                        default: the one libvirt would choose\n"
		"      --virttype TYPE   kvm or qemu; default: kvm when /dev/kvm works\n"
		"                        for the emulator, else qemu\n"
		"      --timeout SECONDS limit for the whole probe (default 30)\n"
		"      --sysroot DIR     start no QEMU: replay the conversations recorded\n"
		"                        in DIR/capsprobe/qemu/<emulator path>/ and read\n"
		"                        host facts from DIR\n"
		"      --record DIR      also record host facts and the QMP conversation\n"
		"                        into DIR, which then works as a --sysroot\n"
		"      --record-qmp DIR  write each pass's QMP conversation to\n"
		"                        DIR/<qemu-version>-<arch>[-kvm|-tcg].replies\n"
		CACHE_USAGE
		XPATH_USAGE
		STABLE_USAGE
		DEBUG_USAGE
		"  -v, --verbose         say what is probed, from where, and what came\n"
		"                        from the cache\n",
		"QEMU's answers are cached as for 'capsprobe host'; firmware descriptors\n"
		"and host facts are read afresh every run.  --sysroot, --record and\n"
		"--record-qmp bypass the cache.  Their DIR: a directory of yours no one\n"
		"else can write (made when missing); links in it are not followed.\n",
		run_domain,
		NULL,
	},
	{
		"record",
		"Record the host and every emulator into DIR, for a replay elsewhere.",
		"      DIR               the recording: must not exist, or be an empty\n"
		"                        directory of yours no one else can write\n"
		"      --emulator PATH   only these emulators (repeatable), as for host\n"
		"      --timeout SECONDS limit for each emulator's probes (default 30)\n"
		DEBUG_USAGE
		"  -v, --verbose         say what is recorded\n",
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
		run_record,
		"DIR ",
	},
	{
		"emulators",
		"List the QEMU system emulators found, one line each.",
		"      --timeout SECONDS limit for each emulator's probe (default 30)\n"
		CACHE_USAGE
		DEBUG_USAGE
		"  -v, --verbose         say what is probed and what came from the cache\n",
		"The emulators are those 'capsprobe host' would print guests for (libvirt's\n"
		"search over PATH), each binary once, in the order of the first arch it\n"
		"serves.  Each line has five fields separated by one tab:\n"
		"  PATH     the emulator\n"
		"  ARCH     the arch it emulates (libvirt's name: x86_64, i686, armv7l, ...)\n"
		"  VERSION  QEMU's version, MAJOR.MINOR.MICRO\n"
		"  KVM      yes when KVM is usable through it, else no\n"
		"  CACHED   yes when its answers came from a valid cache entry; no when\n"
		"           it was probed now (which, with the cache on, fills the entry)\n"
		"An emulator that fails to probe is listed as PATH - - - no, with a\n"
		"warning on standard error saying why.\n",
		run_emulators,
		NULL,
	},
	{
		"cache",
		"List the probe cache ('cache [list]') or empty it ('cache clear').",
		"      --cache-dir DIR   the cache directory (default: see FILES in\n"
		"                        capsprobe(1))\n"
		"  -v, --verbose         say which directory and how many entries\n",
		"'cache' or 'cache list' prints one line per entry, four fields separated\n"
		"by one tab: the emulator (\"(unreadable)\" for an entry that cannot be\n"
		"read), its QEMU version, when the entry was written (ISO 8601, UTC) and\n"
		"its size in bytes.  A missing cache directory lists nothing.\n"
		"'cache clear' removes every entry (and nothing else in the directory).\n",
		run_cache,
		"[list|clear] ",
	},
};

static const struct command *find_command(const char *name)
{
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

static void main_help(void)
{
	printf("Usage: capsprobe COMMAND [OPTION]...\n"
	       "Print libvirt's host and hypervisor capability documents without a daemon.\n\n"
	       "Commands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		printf("  %-9s %s\n", commands[i].name, commands[i].summary);
	printf("\nOptions:\n"
	       "  -h, --help     show this help ('capsprobe COMMAND --help' for a command's)\n"
	       "  -V, --version  show the version\n\n%s", exit_help);
}

/* Nothing to do: the write past the limit fails with EFBIG instead. */
static void on_xfsz(int sig)
{
	(void)sig;
}

int main(int argc, char **argv)
{
	const struct command *cmd;
	/* A write past the file size limit (ulimit -f) would kill us with
	 * SIGXFSZ: caught, it fails with EFBIG and is handled as a full disk
	 * (the cache and recordings warn, a document is an error).  Caught
	 * rather than ignored, so that the programs we start get the default
	 * action back at exec. */
	struct sigaction sa = { .sa_handler = on_xfsz, .sa_flags = SA_RESTART };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGXFSZ, &sa, NULL);
	if (argc < 2)
		return usage_error(NULL, "no command given");
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		main_help();
		return finish_output(EXIT_OK);
	}
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0) {
		printf("capsprobe %s\n", PACKAGE_VERSION);
		return finish_output(EXIT_OK);
	}
	if (argv[1][0] == '-')
		return usage_error(NULL, "unknown option '%s'", argv[1]);
	cmd = find_command(argv[1]);
	if (!cmd)
		return usage_error(NULL, "unknown command '%s'", argv[1]);
	return cmd->run(argc - 1, argv + 1);
}
