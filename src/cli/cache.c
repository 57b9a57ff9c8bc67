/* capsprobe cache [list|clear]: the probe cache's entries. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "cache/store.h"
#include "util/json.h"
#include "util/str.h"
#include "util/suggest.h"

static const struct cli_opt opts[] = {
	{ OPT_CACHE_DIR, "cache-dir", 0, VAL_CACHE_DIR, "DIR", "the cache directory (default: see FILES in\ncapsprobe(1))" },
	{ OPT_VERBOSE, "verbose", 'v', VAL_NONE, NULL, "say which directory and how many entries" },
	CLI_OPT_FORMAT_TEXT,
	CLI_OPT_HELP,
	{ 0 }
};

static const char *const actions[] = { "list", "clear", NULL };

static int unknown_action(const char *action)
{
	struct cp_suggest sg;
	char *hint;
	int rc;

	cp_suggest_init(&sg, action);
	for (size_t i = 0; actions[i]; i++)
		cp_suggest_add(&sg, actions[i]);
	hint = cp_suggest_text(&sg, NULL);
	rc = hint ? cli_usage_error(&cli_cache, "unknown action '%s'; did you mean %s?", action, hint)
		  : cli_usage_error(&cli_cache, "unknown action '%s' (list or clear)", action);
	free(hint);
	return rc;
}

static int run(int argc, char **argv)
{
	struct cli cl = { .cmd = &cli_cache };
	struct cp_cache_entry *v = NULL;
	struct cp_buf out = { 0 };
	struct cp_cache *cache;
	const char *action = "list";
	size_t n = 0;
	unsigned removed = 0;
	json_object *list;
	int id, rc;

	/* options may follow the action ("cache clear --cache-dir DIR") */
	while ((id = cli_next(&cl, argc, argv)) != OPT_END)
		if ((rc = cli_common_opt(&cl, id, argv)) != OPT_NEXT)
			return rc;
	if (optind < argc)
		action = argv[optind++];
	if (strcmp(action, "list") && strcmp(action, "clear"))
		return cli_done(&cl, unknown_action(action));
	if ((rc = cli_no_args(&cl, argc, argv)) || (rc = cli_check(&cl)))
		return rc;

	rc = cp_cache_open(cli_cache_dir(&cl.co), false, &cache);
	if (rc == -ENOENT) {
		/* no directory: nothing cached, nothing to remove */
		cp_verbose("%s", *cp_last_error() ? cp_last_error() : "no cache directory");
		cp_clear_error();
		if (strcmp(action, "list") || cl.format != CP_DOC_JSON)
			return EXIT_OK;
		/* JSON: the empty list */
		if (!(list = json_object_new_array()))
			cp_oom();
		return cli_emit_list(&cl, &out, "entries", list);
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
	if (!(list = json_object_new_array()))
		cp_oom();
	for (size_t i = 0; i < n; i++) {
		json_object *e = json_object_new_object();
		char when[32] = "-";
		time_t t = (time_t)v[i].written;
		struct tm tm;
		/* an entry's text is what a file in the directory says */
		char *emu = cp_flat_dup(v[i].emulator ? v[i].emulator : "(unreadable)");
		char *ver = cp_flat_dup(v[i].qemu_version ? v[i].qemu_version : "-");

		if (v[i].written > 0 && gmtime_r(&t, &tm))
			strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
		cp_buf_printf(&out, "%s\t%s\t%s\t%llu\n", emu, ver, when, (unsigned long long)v[i].size);
		/* JSON: null for what the entry does not say */
		if (!e)
			cp_oom();
		json_object_object_add(e, "emulator", v[i].emulator ? cp_json_string(v[i].emulator) : NULL);
		json_object_object_add(e, "qemuVersion", v[i].qemu_version ? cp_json_string(v[i].qemu_version) : NULL);
		json_object_object_add(e, "written", strcmp(when, "-") ? json_object_new_string(when) : NULL);
		json_object_object_add(e, "size", json_object_new_uint64(v[i].size));
		json_object_array_add(list, e);
		free(emu);
		free(ver);
	}
	cp_cache_entries_free(v, n);
	return cli_emit_list(&cl, &out, "entries", list);
fail:
	return cli_print_error(rc, EXIT_PROBE);
}

const struct cli_command cli_cache = {
	.name = "cache",
	.summary = "List the probe cache ('cache [list]') or empty it ('cache clear').",
	.operands = "[list|clear] ",
	.notes =
		"'cache' or 'cache list' prints one line per entry, four fields separated\n"
		"by one tab: the emulator (\"(unreadable)\" for an entry that cannot be\n"
		"read), its QEMU version, when the entry was written (ISO 8601, UTC) and\n"
		"its size in bytes.  A missing cache directory lists nothing.\n"
		"'cache clear' removes every entry (and nothing else in the directory).\n",
	.opts = opts,
	.permute = true,
	.run = run,
};
