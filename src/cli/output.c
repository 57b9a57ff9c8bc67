/* What a command prints: the whole document or list, or one error line. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cpu/cpu.h"
#include "util/json.h"
#include "util/str.h"
#include "xml/xpath.h"

int cli_print_error(int rc, int status)
{
	cp_error_line("%s", *cp_last_error() ? cp_last_error() : strerror(rc < 0 ? -rc : EIO));
	return status;
}

int cli_emit(const struct cli *cl, char *doc)
{
	size_t len;
	int err;

	if (cl->xpath) {
		char *sel;

		if (cp_xpath_query(doc, cl->xpath, cl->wrap, &sel) < 0) {
			free(doc);
			return cli_print_error(-EINVAL, EXIT_PROBE);
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

int cli_finish_output(int status)
{
	int err = fflush(stdout) == 0 ? (ferror(stdout) ? EIO : 0) : errno;

	if (err) {
		cp_error_line("cannot write output: %s", strerror(err));
		return EXIT_PROBE;
	}
	return status;
}

int cli_emit_list(const struct cli *cl, struct cp_buf *text, const char *name, struct json_object *list)
{
	json_object *o;

	cp_buf_puts(text, "");
	if (cl->format != CP_DOC_JSON) {
		json_object_put(list);
		return cli_emit(cl, cp_buf_steal(text));
	}
	if (!(o = json_object_new_object()))
		cp_oom();
	json_object_object_add(o, name, list);
	cp_buf_free(text);
	return cli_emit(cl, cp_json_finish(o));
}

int cli_print_verdict(const struct cli *cl, const struct cli_verdict *v, int verdict, char *why)
{
	static const char *const results[] = {
		[CP_CPU_INCOMPATIBLE] = "incompatible",
		[CP_CPU_IDENTICAL] = "identical",
		[CP_CPU_SUPERSET] = "superset",
	};
	int status = verdict == CP_CPU_INCOMPATIBLE ? EXIT_INCOMPATIBLE : EXIT_OK;

	if (verdict == CP_CPU_INCOMPATIBLE) {
		const char *reason = why ? why : "unknown reason";

		if (v->fail)
			cp_error_line("the CPU described in %s is incompatible with %s: %s", v->file, v->other, reason);
		else
			cp_verbose("incompatible: %s", reason);
	}
	free(why);
	if (verdict == CP_CPU_INCOMPATIBLE && v->fail)
		return EXIT_INCOMPATIBLE;
	if (cl->format == CP_DOC_JSON) {
		json_object *o = json_object_new_object();
		int rc;

		if (!o)
			cp_oom();
		json_object_object_add(o, "file", cp_json_string(v->file));
		json_object_object_add(o, "result", json_object_new_string(results[verdict]));
		rc = cli_emit(cl, cp_json_finish(o));
		return rc == EXIT_OK ? status : rc;
	}
	if (verdict == CP_CPU_INCOMPATIBLE)
		printf("CPU described in %s is incompatible with %s\n\n", v->file, v->other);
	else if (verdict == CP_CPU_IDENTICAL)
		printf("CPU described in %s is identical to %s\n\n", v->file, v->other);
	else
		printf("%s is a superset of CPU described in %s\n\n", v->other_first, v->file);
	return cli_finish_output(status);
}
