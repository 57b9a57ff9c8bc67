/* capsprobe emulators: the QEMU system emulators found, one line each;
 * --machines PATH: one emulator's machine types. */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli/cli.h"
#include "host/host.h"
#include "cache/store.h"
#include "cache/lookup.h"
#include "guests/guests.h"
#include "qmp/process.h"
#include "util/json.h"
#include "util/path.h"
#include "util/str.h"

static const struct cli_opt opts[] = {
	{ OPT_TIMEOUT, "timeout", 0, VAL_TEXT, "SECONDS", "limit for each emulator's probe (default 30)" },
	CLI_OPT_CACHE,
	{ OPT_MACHINES, "machines", 0, VAL_EMULATOR, "PATH",
	  "list only PATH's machine types and aliases, one\nper line in libvirt's order (the preferred one\n"
	  "first); the shell completion uses it" },
	CLI_OPT_DEBUG,
	{ OPT_VERBOSE, "verbose", 'v', VAL_NONE, NULL, "say what is probed and what came from the cache" },
	CLI_OPT_FORMAT_TEXT,
	CLI_OPT_HELP,
	{ 0 }
};

static void format_version(unsigned v, char out[32])
{
	snprintf(out, 32, "%u.%u.%u", v / 1000000, v / 1000 % 1000, v % 1000);
}

/* `emulators --machines PATH`: PATH's machine names and aliases in
 * libvirt's order, one per line, from its cache entry when one is valid,
 * else from a light probe (which fills the entry). */
static int list_machines(const struct cli *cl, const char *arg)
{
	struct cp_probe_req req = {
		.light = true,
		.deadline_ms = cp_clock_ms() + (cl->timeout_ms > 0 ? cl->timeout_ms : CP_GUEST_TIMEOUT_MS),
	};
	struct cp_guest_machine *m = NULL;
	struct cp_buf out = { 0 };
	json_object *names = json_object_new_array();
	struct cp_qemu_probe p;
	struct cp_cache *c;
	char *bin;
	size_t n = 0;
	bool cached;
	int rc;

	if (!names)
		cp_oom();
	if ((rc = cli_find_emulator(arg, NULL, &bin)) < 0 || (rc = cp_proc_check_binary(bin)) < 0) {
		json_object_put(names);
		free(bin);
		return cli_print_error(rc, EXIT_PROBE);
	}
	req.binary = bin;
	c = cli_open_cache(&cl->co);
	rc = cp_probe_cached(c, &req, cl->co.refresh, &p, &cached);
	cp_cache_close(c);
	free(bin);
	if (rc < 0) {
		json_object_put(names);
		return cli_print_error(rc, EXIT_PROBE);
	}
	cp_guest_machines(cp_probe_answer(&p, p.kvm, CP_Q_MACHINES)->ret, p.arch, &m, &n);
	for (size_t i = 0; i < n; i++) {
		/* the names are the emulator's: one line each, whatever they hold */
		char *name = cp_flat_dup(m[i].name);

		cp_buf_printf(&out, "%s\n", name);
		free(name);
		json_object_array_add(names, cp_json_string(m[i].name));
		free(m[i].name);
		free(m[i].canonical);
	}
	free(m);
	cp_qemu_probe_free(&p);
	return cli_emit_list(cl, &out, "machines", names);
}

/* One emulator of the list as JSON: the fields of its line, those a
 * failed probe does not know left out. */
static json_object *emulator_json(const struct cp_emulator *e)
{
	json_object *o = json_object_new_object();
	char ver[32];

	if (!o)
		cp_oom();
	json_object_object_add(o, "path", cp_json_string(e->binary));
	if (e->arch) {
		format_version(e->version, ver);
		json_object_object_add(o, "arch", cp_json_string(e->arch));
		json_object_object_add(o, "version", json_object_new_string(ver));
		json_object_object_add(o, "kvm", json_object_new_boolean(e->kvm));
	}
	json_object_object_add(o, "cached", json_object_new_boolean(e->arch && e->cached));
	return o;
}

/* One line per emulator, tab-separated: PATH ARCH VERSION KVM CACHED (see
 * the command's notes); "-" where a failed probe knows nothing. */
static int run(int argc, char **argv)
{
	const char *machines_of = NULL;
	struct cli cl = { .cmd = &cli_emulators };
	struct cp_guests_opts go = { 0 };
	struct cp_emulator *v = NULL;
	struct cp_host host = { 0 };
	struct cp_buf out = { 0 };
	json_object *list;
	struct cp_root *root;
	size_t n = 0;
	int id, rc;

	while ((id = cli_next(&cl, argc, argv)) != OPT_END) {
		switch (id) {
		case OPT_MACHINES: machines_of = optarg; break;
		default:
			if ((rc = cli_common_opt(&cl, id, argv)) != OPT_NEXT)
				return rc;
		}
	}
	if ((rc = cli_no_args(&cl, argc, argv)) || (rc = cli_check(&cl)))
		return rc;
	if (machines_of) {
		if (!*machines_of)
			return cli_done(&cl, cli_usage_error(cl.cmd, "--machines needs a path"));
		return cli_done(&cl, list_machines(&cl, machines_of));
	}
	go.timeout_ms = cl.timeout_ms;

	/* the host's arch decides the native fallbacks of the search */
	if ((rc = cp_root_new(NULL, &root)) < 0)
		return cli_done(&cl, cli_print_error(rc, EXIT_PROBE));
	if (cp_probe_arch(root, &host) < 0)
		cp_clear_error();
	cp_root_free(root);
	go.path_env = getenv("PATH");
	go.cache = cli_open_cache(&cl.co);
	go.refresh = cl.co.refresh;
	rc = cp_emulators_probe(host.cpu.arch, &go, &v, &n);	/* a static name */
	cp_cache_close(go.cache);
	if (rc < 0)
		return cli_done(&cl, cli_print_error(rc, EXIT_PROBE));
	if (!(list = json_object_new_array()))
		cp_oom();
	for (size_t i = 0; i < n; i++) {
		char ver[32];

		json_object_array_add(list, emulator_json(&v[i]));
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
	return cli_done(&cl, cli_emit_list(&cl, &out, "emulators", list));
}

const struct cli_command cli_emulators = {
	.name = "emulators",
	.summary = "List the QEMU system emulators found, one line each.",
	.notes =
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
	.opts = opts,
	.run = run,
};
