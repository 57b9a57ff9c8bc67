/* main() for the fuzz targets without libFuzzer: run LLVMFuzzerTestOneInput
 * once on every file of the given corpus directories (or files), so that
 * make check replays the corpora (regressions included) with any compiler
 * and under valgrind.  Without arguments the corpus is
 * $FIXTURES/fuzz/<FUZZ_TARGET>/.  Prints "1 passed, 0 failed" for
 * scripts/test-summary; any finding crashes or aborts the program. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

/* Optional hook a target may define (libFuzzer's name). */
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

static int run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	size_t len = 0, cap = 0, n;

	if (!f) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return -1;
	}
	do {
		if (len == cap) {
			cap = cap ? cap * 2 : 65536;
			buf = cp_realloc(buf, cap);
		}
		n = fread(buf + len, 1, cap - len, f);
		len += n;
	} while (n > 0);
	fclose(f);
	/* an exact-size copy, so that ASan or valgrind see reads past the end */
	{
		uint8_t *exact = cp_malloc(len ? len : 1);

		memcpy(exact, buf, len);
		free(buf);
		LLVMFuzzerTestOneInput(exact, len);
		free(exact);
	}
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Files of a directory in name order (a stable replay order). */
static int run_dir(const char *dir, unsigned *count)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char **names = NULL;
	size_t n = 0;
	int rc = 0;

	if (!d) {
		fprintf(stderr, "%s: %s\n", dir, strerror(errno));
		return -1;
	}
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		names = cp_realloc(names, (n + 1) * sizeof(*names));
		names[n++] = cp_asprintf("%s/%s", dir, e->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof(*names), cmp_str);
	for (size_t i = 0; i < n; i++) {
		if (rc == 0 && run_file(names[i]) < 0)
			rc = -1;
		else if (rc == 0)
			(*count)++;
		free(names[i]);
	}
	free(names);
	return rc;
}

int main(int argc, char **argv)
{
	unsigned count = 0;
	char *dflt = NULL;
	int rc = 0;

	if (LLVMFuzzerInitialize)
		LLVMFuzzerInitialize(&argc, &argv);
	if (argc < 2) {
		dflt = cp_asprintf("%s/fuzz/%s", fuzz_fixtures(), FUZZ_TARGET);
		rc = run_dir(dflt, &count);
	}
	for (int i = 1; i < argc && rc == 0; i++) {
		struct stat st;

		if (stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode))
			rc = run_dir(argv[i], &count);
		else if ((rc = run_file(argv[i])) == 0)
			count++;
	}
	free(dflt);
	if (rc < 0 || count == 0) {
		fprintf(stderr, "%s: no corpus replayed\n", FUZZ_TARGET);
		printf("0 passed, 1 failed\n");
		return 1;
	}
	printf("%s: %u inputs replayed\n1 passed, 0 failed\n", FUZZ_TARGET, count);
	return 0;
}
