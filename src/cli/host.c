/* capsprobe host: the <capabilities> document, as 'virsh capabilities'. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>

#include "cli/cli.h"
#include "host/host.h"
#include "cache/store.h"
#include "guests/guests.h"
#include "util/path.h"
#include "xml/caps.h"
#include "xml/stable.h"

static const struct cli_opt opts[] = {
	{ OPT_SYSROOT, "sysroot", 's', VAL_DIR, "DIR",
	  "read sysfs, procfs, /dev, recorded CPUID/MSR facts\nand recorded QMP conversations from DIR instead\n"
	  "of the live host" },
	{ OPT_RECORD, "record", 0, VAL_DIR, "DIR",
	  "also copy everything read (and each emulator's\nconversation) into DIR, which then works as a\n"
	  "--sysroot (see scripts/record-host)" },
	{ OPT_EMULATOR, "emulator", 0, VAL_EMULATOR, "PATH",
	  "only the guests of this QEMU emulator\n(repeatable): those libvirt would list if the\n"
	  "given ones were the only emulators installed" },
	CLI_OPT_EMULATORBIN,
	{ OPT_NO_GUESTS, "no-guests", 0, VAL_NONE, NULL, "print no <guest> element (start no emulator)" },
	{ OPT_TIMEOUT, "timeout", 0, VAL_TEXT, "SECONDS", "limit for each emulator's probe (default 30)" },
	CLI_OPT_CACHE,
	CLI_OPT_FORMAT_XML,
	CLI_OPT_XPATH,
	CLI_OPT_STABLE,
	CLI_OPT_DEBUG,
	CLI_OPT_VERBOSE_PROBE,
	CLI_OPT_HELP,
	{ 0 }
};

/* The given emulators as paths (a bare name found in PATH, or among the
 * recorded ones under --sysroot); cl's list then owns them in *paths. */
static int find_emulators(struct cli *cl, const struct cp_root *root, bool replay, char ***paths)
{
	int rc = 0;

	*paths = cp_calloc(cl->nemulators + 1, sizeof(**paths));
	for (size_t i = 0; i < cl->nemulators && rc == 0; i++)
		if ((rc = cli_find_emulator(cl->emulators[i], replay ? root : NULL, &(*paths)[i])) == 0)
			cl->emulators[i] = (*paths)[i];
	return rc;
}

static void free_paths(char **paths)
{
	for (size_t i = 0; paths && paths[i]; i++)
		free(paths[i]);
	free(paths);
}

static int run(int argc, char **argv)
{
	const char *sysroot = NULL, *record = NULL;
	struct cli cl = { .cmd = &cli_host };
	struct cp_host host = { 0 };
	struct cp_guests_opts go = { 0 };
	struct cp_guests_stats st;
	bool no_guests = false;
	struct cp_root *root;
	char **paths = NULL;
	int id, rc;

	while ((id = cli_next(&cl, argc, argv)) != OPT_END) {
		switch (id) {
		case OPT_SYSROOT: sysroot = optarg; break;
		case OPT_RECORD: record = optarg; break;
		case OPT_NO_GUESTS: no_guests = true; break;
		default:
			if ((rc = cli_common_opt(&cl, id, argv)) != OPT_NEXT)
				return rc;
		}
	}
	if ((rc = cli_no_args(&cl, argc, argv)))
		return rc;
	if (no_guests && cl.nemulators)
		return cli_done(&cl, cli_usage_error(cl.cmd, "--no-guests and --emulator exclude each other"));
	if ((rc = cli_check(&cl)))
		return rc;

	if ((rc = cli_open_sysroot(sysroot, &root)) < 0)
		goto fail;
	if ((rc = find_emulators(&cl, root, sysroot != NULL, &paths)) < 0 ||
	    (record && (rc = cp_root_record_into(root, record)) < 0)) {
		cp_root_free(root);
		goto fail;
	}
	go.emulators = cl.emulators;
	go.nemulators = cl.nemulators;
	go.timeout_ms = cl.timeout_ms;
	cp_verbose("reading host facts from %s", sysroot ? sysroot : "the live system");
	rc = cp_host_probe(root, &host);
	/* a recording replays the host commands too */
	if (rc == 0 && record)
		cp_node_probe_all(root);
	if (rc == 0 && !no_guests) {
		go.path_env = getenv("PATH");
		/* conversations are recorded from live emulators only */
		go.record = sysroot ? NULL : record;
		/* replays and recordings never touch the cache */
		if (!sysroot && !record)
			go.cache = cli_open_cache(&cl.co);
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
	if (rc < 0) {
		cp_host_free(&host);
		goto fail;
	}
	free_paths(paths);
	if (cl.stable)
		cp_host_stabilize(&host);
	{
		char *doc = cp_caps_format(&host, cl.format);

		cp_host_free(&host);
		return cli_done(&cl, cli_emit(&cl, doc));
	}
fail:
	free_paths(paths);
	return cli_done(&cl, cli_print_error(rc, EXIT_PROBE));
}

const struct cli_command cli_host = {
	.name = "host",
	.summary = "Print the host's <capabilities> document, as 'virsh capabilities' does.",
	.notes =
		"Emulators are probed in parallel, as many at once as there are CPUs; one\n"
		"that fails to probe is left out with a warning on standard error.\n"
		"QEMU's answers are cached (never the document): an entry is used only\n"
		"while the emulator binary, QEMU's module directories, the kernel, the\n"
		"CPU microcode and signature, /dev/kvm and capsprobe are unchanged.\n"
		"--sysroot and --record bypass the cache.  --record DIR: a directory of\n"
		"yours no one else can write (made when missing); links in it are not\n"
		"followed.\n",
	.opts = opts,
	.run = run,
};
