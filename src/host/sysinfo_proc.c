/* sysinfo where libvirt 11.3 reads no SMBIOS: /proc/cpuinfo on POWER and
 * ARM (ARM only when the SMBIOS tables give nothing), /proc/cpuinfo and
 * /proc/sysinfo on s390.
 *
 * libvirt finds each field with strstr() over the whole remaining text,
 * not line by line, and goes on from where the last match left it; the
 * same search is kept here so that the same files give the same document,
 * quirks included (a "cpu" inside a later key counts).  Where libvirt
 * would read out of bounds (a key with no ':' after it, an empty value
 * whose skipped spaces run past the line end), the value is taken as
 * missing or empty instead. */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "host/host.h"
#include "util/err.h"
#include "util/path.h"

/* libvirt's read limits: a larger file fails as it does in libvirt */
#define CPUINFO_MAX (1024 * 1024)
#define SYSINFO_MAX 8192

static bool space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

/* The value of the "KEY : value" whose KEY starts at key: from past the
 * ':' and the spaces after it (line ends included, as libvirt skips them)
 * to the line end, which libvirt looks for from the key (from_key) or
 * from the ':'.  *next is where libvirt goes on: past the skipped spaces;
 * NULL when there is no ':' at all.  NULL (no value) when no line end
 * follows. */
static char *line_value(const char *key, bool from_key, const char **next)
{
	const char *colon = strchr(key, ':'), *start, *eol;

	*next = NULL;
	if (!colon)
		return NULL;
	start = colon + 1;
	eol = strchr(from_key ? key : start, '\n');
	while (space(*start))
		start++;
	*next = start;
	if (!eol)
		return NULL;
	return cp_strndup(start, start <= eol ? (size_t)(eol - start) : 0);
}

/* "KEY : value" searched from base, or NULL; *next as line_value's */
static char *find_value(const char *base, const char *key, const char **next)
{
	const char *at = strstr(base, key);

	*next = NULL;
	return at ? line_value(at, false, next) : NULL;
}

/* <system> from "platform", then "model" and "machine" after it (POWER and
 * ARM alike); none when no field is set */
static void proc_system(const char *text, struct cp_sysinfo *out)
{
	const char *base = strstr(text, "platform"), *next;
	struct cp_sysinfo_system s = { 0 };

	if (!base)
		return;
	s.family = line_value(base, false, &next);
	s.serial = find_value(base, "model", &next);
	s.version = find_value(base, "machine", &next);
	if (!s.family && !s.serial && !s.version)
		return;
	out->system = cp_calloc(1, sizeof(*out->system));
	*out->system = s;
}

static struct cp_sysinfo_processor *add_processor(struct cp_sysinfo *out)
{
	out->processors = cp_realloc(out->processors, (out->nprocessors + 1) * sizeof(*out->processors));
	memset(&out->processors[out->nprocessors], 0, sizeof(*out->processors));
	return &out->processors[out->nprocessors++];
}

/* POWER: each "processor" with the "cpu" and "revision" after it */
static void ppc_processors(const char *text, struct cp_sysinfo *out)
{
	const char *base = text, *at, *next;

	while ((at = strstr(base, "processor"))) {
		struct cp_sysinfo_processor *p = add_processor(out);

		p->socket_destination = line_value(at, true, &next);
		if (!next)
			return;
		base = next;
		if ((at = strstr(base, "cpu"))) {
			p->type = line_value(at, false, &next);
			if (!next)
				return;
			base = next;
		}
		if ((at = strstr(base, "revision"))) {
			p->version = line_value(at, false, &next);
			if (!next)
				return;
			base = next;
		}
	}
}

/* ARM: one type for all ("model name", else "Processor"), and a processor
 * for each "processor"; none at all when there is no type line */
static void arm_processors(const char *text, struct cp_sysinfo *out)
{
	const char *at = strstr(text, "model name"), *base = text, *next;
	char *type;

	if (!at)
		at = strstr(text, "Processor");
	if (!at)
		return;
	type = line_value(at, true, &next);
	while ((at = strstr(base, "processor"))) {
		struct cp_sysinfo_processor *p = add_processor(out);

		p->socket_destination = line_value(at, true, &next);
		p->type = type ? cp_strdup(type) : NULL;
		if (!next)
			break;
		base = next;
	}
	free(type);
}

/* s390's "NAME ... D1 value D2" (D2 or the text's end): the value without
 * surrounding spaces, and the position of D2; NULL when NAME or D1 is
 * missing */
static const char *delimited(const char *base, const char *name, char d1, char d2, char **value)
{
	const char *s = strstr(base, name), *end, *last;

	*value = NULL;
	if (!s || !(s = strchr(s, d1)))
		return NULL;
	s++;
	end = strchr(s, d2);
	if (!end)
		end = s + strlen(s);
	while (s < end && space(*s))
		s++;
	for (last = end; last > s && space(last[-1]); last--)
		;
	*value = cp_strndup(s, (size_t)(last - s));
	return end;
}

/* "cpu number" as libvirt takes it: all digits, within unsigned int */
static bool cpu_number(const char *s, unsigned *n)
{
	char *end;
	unsigned long v;

	if (*s < '0' || *s > '9')
		return false;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v > UINT_MAX)
		return false;
	*n = (unsigned)v;
	return true;
}

/* s390's processors from /proc/cpuinfo: "vendor_id", each "processor N:"
 * line's version, identification and machine, then each "cpu number"'s
 * "cpu MHz static" as the max speed */
static int s390_processors(const char *text, struct cp_sysinfo *out)
{
	char *vendor, *line = NULL, *num = NULL;
	const char *at;
	int rc = 0;

	if (!(at = delimited(text, "vendor_id", ':', '\n', &vendor)))
		return cp_fail(-EINVAL, "/proc/cpuinfo has no 'vendor_id' line (an s390 host's has one)");
	while ((at = strstr(at, "processor ")) && (at = delimited(at, "processor ", ':', '\n', &line))) {
		struct cp_sysinfo_processor *p = add_processor(out);

		p->manufacturer = cp_strdup(vendor);
		if (!delimited(line, "version", '=', ',', &p->version) ||
		    !delimited(line, "identification", '=', ',', &p->serial_number) ||
		    !delimited(line, "machine", '=', '\n', &p->family)) {
			rc = cp_fail(-EINVAL, "/proc/cpuinfo: processor line '%s' lacks its version, "
				     "identification or machine", line);
			goto out;
		}
		free(line);
		line = NULL;
	}
	at = text;
	while ((at = strstr(at, "cpu number")) && (at = delimited(at, "cpu number", ':', '\n', &num))) {
		unsigned n;
		char *mhz;

		if (!cpu_number(num, &n)) {
			rc = cp_fail(-EINVAL, "/proc/cpuinfo: 'cpu number' '%s' is not a number", num);
			goto out;
		}
		free(num);
		num = NULL;
		/* libvirt stops at the first CPU it has no processor line for,
		 * or with no static frequency after it */
		if (n >= out->nprocessors || !(at = strstr(at, "cpu MHz static")) ||
		    !delimited(at, "cpu MHz static", ':', '\n', &mhz))
			break;
		free(out->processors[n].max_speed);
		out->processors[n].max_speed = mhz;
	}
out:
	free(vendor);
	free(line);
	free(num);
	return rc;
}

/* s390's <system> from /proc/sysinfo: all three fields or an error */
static int s390_system(const char *text, struct cp_sysinfo *out)
{
	static const struct {
		const char *key;
		size_t field;
	} fields[] = {
		{ "Manufacturer", offsetof(struct cp_sysinfo_system, manufacturer) },
		{ "Type", offsetof(struct cp_sysinfo_system, family) },
		{ "Sequence Code", offsetof(struct cp_sysinfo_system, serial) },
	};

	out->system = cp_calloc(1, sizeof(*out->system));
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		char **v = (char **)((char *)out->system + fields[i].field);

		if (!delimited(text, fields[i].key, ':', '\n', v))
			return cp_fail(-EINVAL, "/proc/sysinfo has no '%s' line", fields[i].key);
	}
	return 0;
}

/* a /proc file as libvirt reads it: whole, and no larger than max */
static int read_limited(const struct cp_root *r, const char *path, size_t max, char **text)
{
	size_t len;
	int rc = cp_read(r, text, &len, "%s", path);

	if (rc < 0)
		return cp_fail(rc, "cannot read %s: %s", path, strerror(-rc));
	if (len > max) {
		free(*text);
		*text = NULL;
		return cp_fail(-EFBIG, "%s is larger than libvirt reads (%zu bytes)", path, max);
	}
	return 0;
}

int cp_probe_sysinfo_proc(const struct cp_root *r, enum cp_sysinfo_source src, struct cp_sysinfo *out)
{
	char *cpuinfo = NULL, *sysinfo = NULL;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = read_limited(r, "/proc/cpuinfo", CPUINFO_MAX, &cpuinfo)) < 0)
		return rc;
	switch (src) {
	case CP_SYSINFO_PPC:
		ppc_processors(cpuinfo, out);
		proc_system(cpuinfo, out);
		break;
	case CP_SYSINFO_ARM:
		arm_processors(cpuinfo, out);
		proc_system(cpuinfo, out);
		break;
	case CP_SYSINFO_S390:
		if ((rc = s390_processors(cpuinfo, out)) < 0 ||
		    (rc = read_limited(r, "/proc/sysinfo", SYSINFO_MAX, &sysinfo)) < 0 ||
		    (rc = s390_system(sysinfo, out)) < 0)
			break;
		break;
	default:
		rc = cp_fail(-EINVAL, "no /proc source of sysinfo for this host");
	}
	if (rc < 0)
		cp_sysinfo_free(out);
	free(cpuinfo);
	free(sysinfo);
	return rc;
}
