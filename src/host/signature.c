/* The host CPU's signature as libvirt 11.3 reads it from /proc/cpuinfo
 * (virHostCPUReadSignature): the text its QEMU capabilities cache records
 * as hostCPUSignature and compares to decide an entry is out of date.
 * capsprobe's probe cache keys on it for the same reason (cache/key.c). */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "host/arch.h"
#include "host/host.h"

enum { VENDOR, NAME, FAMILY, MODEL, STEPPING, NFIELDS };

/* The fields each arch's signature is made of, in its order. */
struct sig_form {
	const char *arches[3];
	const char *keys[NFIELDS];
	unsigned n;
};

static const struct sig_form forms[] = {
	{ { "i686", "x86_64" }, { "vendor_id", "model name", "cpu family", "model", "stepping" }, 5 },
	{ { "ppc64", "ppc64le" }, { "cpu", "revision" }, 2 },
	{ { "s390", "s390x" }, { "vendor_id", "processor 0", "facilities" }, 3 },
};

/* g_strstrip's whitespace (ASCII: space, \t, \n, \v, \f, \r) */
static bool sp(char c)
{
	return c == ' ' || (c >= '\t' && c <= '\r');
}

static char *strip(const char *s, size_t n)
{
	while (n && sp(*s))
		s++, n--;
	while (n && sp(s[n - 1]))
		n--;
	return cp_strndup(s, n);
}

static char *format(const struct sig_form *f, char *const *v)
{
	if (f->n == 5)
		return cp_asprintf("%s, %s, family: %s, model: %s, stepping: %s", v[0], v[1], v[2], v[3], v[4]);
	if (f->n == 2)
		return cp_asprintf("%s, rev %s", v[0], v[1]);
	return cp_asprintf("%s, %s, facilities: %s", v[0], v[1], v[2]);
}

int cp_cpuinfo_signature(const char *text, size_t len, const char *arch, char **sig)
{
	const struct sig_form *f = NULL;
	char *v[NFIELDS] = { 0 };
	const char *p = text, *end = text + len;
	unsigned have = 0;

	*sig = NULL;
	for (size_t i = 0; arch && i < sizeof(forms) / sizeof(forms[0]) && !f; i++)
		for (size_t j = 0; j < 3 && forms[i].arches[j]; j++)
			if (strcmp(arch, forms[i].arches[j]) == 0)
				f = &forms[i];
	if (!f)
		return 0;
	while (p < end && have < f->n) {
		/* libvirt reads fgets() pieces of at most 1023 bytes: a piece
		 * of a longer line is a line of its own */
		size_t n = (size_t)(end - p), keylen;
		const char *nl = memchr(p, '\n', n), *colon;
		char piece[1024], *key;

		n = nl ? (size_t)(nl - p) + 1 : n;
		if (n > sizeof(piece) - 1)
			n = sizeof(piece) - 1;
		memcpy(piece, p, n);
		piece[n] = '\0';
		p += n;
		/* split at the first ": "; a piece without one is skipped */
		if (!(colon = strstr(piece, ": ")))
			continue;
		keylen = (size_t)(colon - piece);
		key = strip(piece, keylen);
		for (unsigned k = 0; k < f->n; k++)
			if (!v[k] && strcmp(key, f->keys[k]) == 0) {
				v[k] = strip(colon + 2, strlen(colon + 2));
				have++;
			}
		free(key);
	}
	if (have == f->n)
		*sig = format(f, v);
	for (unsigned k = 0; k < NFIELDS; k++)
		free(v[k]);
	return 0;
}

int cp_host_cpu_signature(const struct cp_root *r, char **sig)
{
	const char *text;
	char *machine = NULL;
	size_t len;
	int rc;

	*sig = NULL;
	if ((rc = cp_host_machine(r, &machine)) < 0)
		return rc;
	rc = cp_read_shared(r, &text, &len, "/proc/cpuinfo");
	if (rc < 0) {
		free(machine);
		return cp_fail(rc, "cannot read /proc/cpuinfo: %s", strerror(-rc));
	}
	rc = cp_cpuinfo_signature(text, len, cp_arch_from_uname(machine), sig);
	free(machine);
	return rc;
}
