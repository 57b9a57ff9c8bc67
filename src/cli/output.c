/* What a command prints: the whole document or list, or one error line. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
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
