#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/cpulist.h"
#include "util/str.h"

void cp_cpuset_set(struct cp_cpuset *set, unsigned cpu)
{
	size_t w = cpu / 64;

	if (w >= set->nwords) {
		size_t n = w + 1;

		set->bits = cp_realloc(set->bits, n * sizeof(*set->bits));
		memset(set->bits + set->nwords, 0, (n - set->nwords) * sizeof(*set->bits));
		set->nwords = n;
	}
	set->bits[w] |= UINT64_C(1) << (cpu % 64);
}

bool cp_cpuset_has(const struct cp_cpuset *set, unsigned cpu)
{
	size_t w = cpu / 64;

	return w < set->nwords && (set->bits[w] >> (cpu % 64)) & 1;
}

unsigned cp_cpuset_count(const struct cp_cpuset *set)
{
	unsigned n = 0;

	for (size_t i = 0; i < set->nwords; i++)
		n += (unsigned)__builtin_popcountll(set->bits[i]);
	return n;
}

bool cp_cpuset_equal(const struct cp_cpuset *a, const struct cp_cpuset *b)
{
	size_t n = a->nwords > b->nwords ? a->nwords : b->nwords;

	for (size_t i = 0; i < n; i++) {
		uint64_t x = i < a->nwords ? a->bits[i] : 0;
		uint64_t y = i < b->nwords ? b->bits[i] : 0;

		if (x != y)
			return false;
	}
	return true;
}

int cp_cpuset_next(const struct cp_cpuset *set, unsigned from)
{
	for (size_t w = from / 64; w < set->nwords; w++) {
		uint64_t v = set->bits[w];

		if (w == from / 64)
			v &= ~UINT64_C(0) << (from % 64);
		if (v)
			return (int)(w * 64 + (unsigned)__builtin_ctzll(v));
	}
	return -1;
}

void cp_cpuset_free(struct cp_cpuset *set)
{
	free(set->bits);
	set->bits = NULL;
	set->nwords = 0;
}

static int parse_num(const char **p, unsigned *out)
{
	unsigned long v = 0;

	if (!isdigit((unsigned char)**p))
		return -EINVAL;
	while (isdigit((unsigned char)**p)) {
		v = v * 10 + (unsigned long)(**p - '0');
		if (v > CP_CPU_MAX)
			return -ERANGE;
		(*p)++;
	}
	*out = (unsigned)v;
	return 0;
}

int cp_cpuset_parse_list(const char *s, struct cp_cpuset *out)
{
	struct cp_cpuset set = { 0 };
	const char *p = s;
	int rc = 0;

	while (*p && !isspace((unsigned char)*p)) {
		unsigned a, b;

		if ((rc = parse_num(&p, &a)) < 0)
			goto fail;
		b = a;
		if (*p == '-') {
			p++;
			if ((rc = parse_num(&p, &b)) < 0)
				goto fail;
			if (b < a) {
				rc = -EINVAL;
				goto fail;
			}
		}
		for (unsigned c = a; c <= b; c++)
			cp_cpuset_set(&set, c);
		if (*p == ',')
			p++;
		else if (*p && !isspace((unsigned char)*p)) {
			rc = -EINVAL;
			goto fail;
		}
	}
	while (isspace((unsigned char)*p))
		p++;
	if (*p) {
		rc = -EINVAL;
		goto fail;
	}
	*out = set;
	return 0;
fail:
	cp_cpuset_free(&set);
	return rc;
}

int cp_cpuset_parse_mask(const char *s, struct cp_cpuset *out)
{
	struct cp_cpuset set = { 0 };
	size_t ngroups = 1, len;
	const char *p;
	unsigned group;

	len = strlen(s);
	while (len && isspace((unsigned char)s[len - 1]))
		len--;
	if (!len)
		return -EINVAL;
	for (p = s; p < s + len; p++)
		if (*p == ',')
			ngroups++;
	if (ngroups * 32 > CP_CPU_MAX + 32)
		return -ERANGE;
	group = (unsigned)ngroups;
	p = s;
	while (group--) {
		unsigned long v = 0;
		int digits = 0;

		while (p < s + len && *p != ',') {
			int d;

			if (!isxdigit((unsigned char)*p) || ++digits > 8) {
				cp_cpuset_free(&set);
				return -EINVAL;
			}
			d = isdigit((unsigned char)*p) ? *p - '0' : (tolower((unsigned char)*p) - 'a' + 10);
			v = v * 16 + (unsigned long)d;
			p++;
		}
		if (!digits) {
			cp_cpuset_free(&set);
			return -EINVAL;
		}
		for (unsigned bit = 0; bit < 32; bit++) {
			if (!(v >> bit & 1))
				continue;
			/* the last group may reach past CP_CPU_MAX: such an id
			 * is an error here as in a list (found by fuzzing) */
			if (group * 32 + bit > CP_CPU_MAX) {
				cp_cpuset_free(&set);
				return -ERANGE;
			}
			cp_cpuset_set(&set, group * 32 + bit);
		}
		if (p < s + len)
			p++;
	}
	*out = set;
	return 0;
}

char *cp_cpuset_format(const struct cp_cpuset *set)
{
	struct cp_buf b = { 0 };
	int cpu = cp_cpuset_next(set, 0);

	while (cpu >= 0) {
		int last = cpu;

		while (cp_cpuset_has(set, (unsigned)last + 1))
			last++;
		if (b.len)
			cp_buf_putc(&b, ',');
		if (last > cpu)
			cp_buf_printf(&b, "%d-%d", cpu, last);
		else
			cp_buf_printf(&b, "%d", cpu);
		cpu = cp_cpuset_next(set, (unsigned)last + 1);
	}
	return cp_buf_steal(&b);
}

const char *cp_cpus_strerror(int rc)
{
	static char range[64];

	if (rc != -ERANGE)
		return strerror(-rc);
	snprintf(range, sizeof(range), "a CPU id above %u (not supported)", CP_CPU_MAX);
	return range;
}
