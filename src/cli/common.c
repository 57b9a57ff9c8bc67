/* What several commands share: the probe cache, a --sysroot tree, and
 * finding an --emulator given by name. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cache/store.h"
#include "domcaps/resolve.h"
#include "model/domcaps.h"
#include "util/path.h"
#include "util/str.h"
#include "util/suggest.h"

/* where a recorded tree keeps each emulator's conversations */
#define REPLAY_DIR CP_FACTS_DIR "/qemu"

const char *cli_cache_dir(const struct cache_opts *co)
{
	const char *env = getenv("CAPSPROBE_CACHE_DIR");

	return co->dir ? co->dir : env && *env ? env : NULL;
}

/* A cache that cannot be used (unsafe directory, no home) is a warning,
 * and the run goes on uncached. */
struct cp_cache *cli_open_cache(const struct cache_opts *co)
{
	struct cp_cache *c;

	if (co->off) {
		cp_verbose("probe cache: not used (--no-cache)");
		return NULL;
	}
	if (cp_cache_open(cli_cache_dir(co), true, &c) < 0) {
		cp_warn("%s; not using the cache", *cp_last_error() ? cp_last_error() : "no cache directory");
		cp_clear_error();
		return NULL;
	}
	cp_verbose("probe cache: %s", cp_cache_path(c));
	return c;
}

int cli_open_sysroot(const char *dir, struct cp_root **out)
{
	const char *facts = getenv("CAPSPROBE_FACTS");
	int rc, has_proc, has_sys;

	if ((rc = cp_root_new(dir, out)) < 0 || !dir)
		return rc;
	/* every recording (record, --record, scripts/record-host) has its
	 * facts directory; stated facts stand in for it */
	if ((rc = cp_is_dir(*out, CP_FACTS_DIR)) > 0 || (facts && *facts))
		return 0;
	if (rc == 0) {
		has_proc = cp_is_dir(*out, "/proc") > 0;
		has_sys = cp_is_dir(*out, "/sys") > 0;
		rc = cp_fail(-ENOENT, "%s is not a recorded tree: it has no capsprobe/ directory of "
			     "recorded facts%s (make one with 'capsprobe record DIR' or --record DIR)", dir,
			     has_proc && has_sys ? "" : has_proc ? ", nor sys/" : has_sys ? ", nor proc/" :
			     ", nor proc/ or sys/");
	} else {
		rc = cp_fail(rc, "cannot read sysroot %s: %s", dir, strerror(-rc));
	}
	cp_root_free(*out);
	*out = NULL;
	return rc;
}

static bool runnable(const char *path, const struct cp_root *replay)
{
	struct stat st;

	if (replay)
		return cp_is_dir(replay, REPLAY_DIR "%s", path) > 0;
	/* what execve would run: a regular file with an x bit we may use */
	return stat(path, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0111) &&
	       access(path, X_OK) == 0;
}

/* A name found nowhere, and (live) the nearest QEMU program in PATH. */
static int not_found(const char *arg, const struct cp_root *replay)
{
	const char *p = getenv("PATH");
	struct cp_strv names = { 0 };
	struct cp_suggest sg;
	char *near = NULL;
	int rc;

	if (!p)
		p = "/bin:/usr/bin";
	cp_suggest_init(&sg, arg);
	for (; !replay && *p; p += strcspn(p, ":"), p += *p == ':') {
		size_t len = strcspn(p, ":");
		char *dir = cp_strndup(p, len);
		DIR *d = opendir(len ? dir : ".");
		struct dirent *e;

		free(dir);
		while (d && (e = readdir(d)))
			if (cp_startswith(e->d_name, "qemu-"))
				cp_strv_push(&names, cp_strdup(e->d_name));
		if (d)
			closedir(d);
	}
	cp_strv_sort_nat(&names);
	for (size_t i = 0; i < names.n; i++)
		cp_suggest_add(&sg, names.v[i]);
	near = cp_suggest_text(&sg, NULL);
	rc = cp_fail(-ENOENT, "%s: no such emulator in PATH%s%s%s%s", arg, replay ? " among the recorded ones" : "",
		     near ? "; did you mean " : "", near ? near : "", near ? "?" : "");
	free(near);
	cp_strv_free(&names);
	return rc;
}

int cli_find_emulator(const char *arg, const struct cp_root *replay, char **out)
{
	const char *p = getenv("PATH");
	char cwd[PATH_MAX];
	bool have_cwd = getcwd(cwd, sizeof(cwd)) != NULL;

	*out = NULL;
	if (strchr(arg, '/')) {
		*out = cp_strdup(arg);
		return 0;
	}
	/* execvp's search: each entry in order, an empty one being the
	 * current directory, and without PATH the system's default */
	if (!p)
		p = "/bin:/usr/bin";
	for (;;) {
		size_t len = strcspn(p, ":");
		char *cand;

		if (len == 0)
			cand = cp_strdup(arg);
		else
			cand = cp_asprintf("%.*s/%s", (int)len, p, arg);
		/* the path is printed (<path>) and recorded: make it absolute */
		if (cand[0] != '/' && have_cwd) {
			char *abs = cp_asprintf("%s/%s", cwd, cand);

			free(cand);
			cand = abs;
		}
		if (runnable(cand, replay)) {
			*out = cand;
			return 0;
		}
		free(cand);
		if (!p[len])
			break;
		p += len + 1;
	}
	return not_found(arg, replay);
}

int cli_domain_caps(struct cli *cl, struct cp_domain_args *a, struct cp_domcaps *dc)
{
	char *emulator = NULL;
	int rc;

	if (a->emulator && !*a->emulator)
		return cli_done(cl, cli_usage_error(cl->cmd, "--emulator needs a path"));
	a->timeout_ms = cl->timeout_ms;
	if (cp_domain_check_args(a) < 0)
		return cli_done(cl, cli_usage_error(cl->cmd, "%s", cp_last_error()));
	if ((rc = cli_check(cl)))
		return rc;
	/* the tree, and a bare emulator name, checked before any probe */
	if (a->sysroot || (a->emulator && !strchr(a->emulator, '/'))) {
		struct cp_root *root = NULL;

		rc = cli_open_sysroot(a->sysroot, &root);
		if (rc == 0 && a->emulator &&
		    (rc = cli_find_emulator(a->emulator, a->sysroot ? root : NULL, &emulator)) == 0)
			a->emulator = emulator;
		cp_root_free(root);
		if (rc < 0)
			return cli_done(cl, cli_print_error(rc, EXIT_PROBE));
	}

	cp_domcaps_init(dc);
	/* replays and recordings never touch the cache */
	if (!a->sysroot && !a->record && !a->record_qmp)
		a->cache = cli_open_cache(&cl->co);
	a->refresh = cl->co.refresh;
	cp_verbose("reading host facts and firmware descriptors from %s",
		   a->sysroot ? a->sysroot : "the live system");
	rc = cp_domain_caps(a, dc);
	cp_cache_close(a->cache);
	a->cache = NULL;
	if (emulator)
		a->emulator = NULL;	/* freed here */
	free(emulator);
	if (rc < 0)
		cp_domcaps_free(dc);
	return rc;
}

bool cli_request_opt(struct cp_domain_args *a, int id)
{
	switch (id) {
	case OPT_EMULATOR: a->emulator = optarg; return true;
	case OPT_ARCH: a->arch = optarg; return true;
	case OPT_MACHINE: a->machine = optarg; return true;
	case OPT_VIRTTYPE: a->virttype = optarg; return true;
	case OPT_SYSROOT: a->sysroot = optarg; return true;
	default: return false;
	}
}

int cli_file_operand(struct cli *cl, int argc, char **argv, const char **file)
{
	if (!*file && optind < argc)
		*file = argv[optind++];
	if (!*file || !**file)
		return cli_done(cl, cli_usage_error(cl->cmd, "no file given"));
	return cli_no_args(cl, argc, argv);
}
