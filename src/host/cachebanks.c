/* <cache> and <memory_bandwidth> (virCapabilitiesInitCaches,
 * virCapabilitiesInitResctrlMemory).
 *
 * resctrl's info directory is loaded first; any error there (other than its
 * absence) means no <cache> at all.  Then every online CPU's cache/index*
 * entries of level >= 2 become banks: an entry missing id, type, size or
 * shared_cpu_list is skipped; a missing level or any other error stops the
 * scan, keeping the banks found so far unsorted and leaving out the
 * monitors and memory bandwidth (libvirt returns before computing them).
 * Equal banks are listed once; a new bank gets one <control> per resctrl
 * type of its level.  A clean scan is sorted by (level, id), stably. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "host/sysfs.h"

#define CACHE_MIN_LEVEL 2

static const char *const cache_types[] = { "both", "code", "data" };	/* XML names */
static const char *const kernel_types[] = { "Unified", "Instruction", "Data" };
static const char *const resctrl_suffix[] = { "", "CODE", "DATA" };

struct rc_type {
	unsigned level, type;
	unsigned bits, min_cbm_bits, closids;
	uint64_t size;			/* of the first bank seen; 0: none yet */
};

struct resctrl {
	bool mb;
	unsigned mb_gran, mb_min, mb_closids;
	struct rc_type *types;
	size_t ntypes;
	bool mon;
	unsigned mon_max, mon_reuse;
	struct cp_strv mon_features;
};

static void resctrl_free(struct resctrl *rs)
{
	free(rs->types);
	cp_strv_free(&rs->mon_features);
}

static bool resctrl_empty(const struct resctrl *rs)
{
	return !rs->mb && !rs->mon && !rs->ntypes;
}

#define INFO "/sys/fs/resctrl/info"

static int info_uint(const struct cp_root *r, unsigned *v, const char *dir, const char *file)
{
	int rc = cp_sysfs_read_uint(r, v, INFO "/%s/%s", dir, file);

	if (rc < 0 && rc != -ENOENT)
		return cp_fail(rc, "bad " INFO "/%s/%s", dir, file);
	return rc;
}

/* Hex digits of any length (libvirt's bitmap-from-string); its bit count. */
static int popcount_hex(const char *s, unsigned *bits)
{
	unsigned n = 0;

	if (!*s)
		return -EINVAL;
	for (; *s; s++) {
		if (!isxdigit((unsigned char)*s))
			return -EINVAL;
		n += (unsigned)__builtin_popcount(isdigit((unsigned char)*s) ? *s - '0'
						  : tolower((unsigned char)*s) - 'a' + 10);
	}
	*bits = n;
	return 0;
}

static int load_cache_type(const struct cp_root *r, const char *name, struct resctrl *rs)
{
	struct rc_type t = { 0 };
	unsigned long long level;
	char *end, *mask;
	int rc;

	if (!isdigit((unsigned char)name[1]))
		return 0;
	errno = 0;
	level = strtoull(name + 1, &end, 10);
	if (errno || level > UINT32_MAX)
		return 0;
	for (t.type = 0; t.type < 3; t.type++)
		if (strcmp(end, resctrl_suffix[t.type]) == 0)
			break;
	if (t.type == 3)
		return 0;	/* L3_MON and friends */
	t.level = (unsigned)level;
	rc = info_uint(r, &t.closids, name, "num_closids");
	if (rc == -ENOENT)
		cp_verbose(INFO "/%s/num_closids does not exist", name);
	else if (rc < 0)
		return rc;
	rc = cp_read_str(r, &mask, INFO "/%s/cbm_mask", name);
	if (rc < 0)
		return cp_fail(rc, "cannot read " INFO "/%s/cbm_mask", name);
	rc = popcount_hex(mask, &t.bits);
	free(mask);
	/* No bits would divide by zero in libvirt; call it garbage. */
	if (rc < 0 || !t.bits)
		return cp_fail(-EINVAL, "cannot parse " INFO "/%s/cbm_mask", name);
	if ((rc = info_uint(r, &t.min_cbm_bits, name, "min_cbm_bits")) < 0)
		return rc == -ENOENT ? cp_fail(rc, "no " INFO "/%s/min_cbm_bits", name) : rc;
	for (size_t i = 0; i < rs->ntypes; i++)
		if (rs->types[i].level == t.level && rs->types[i].type == t.type)
			return cp_fail(-EINVAL, "duplicate resctrl cache type for level %u", t.level);
	rs->types = cp_realloc(rs->types, (rs->ntypes + 1) * sizeof(*rs->types));
	rs->types[rs->ntypes++] = t;
	return 0;
}

static int load_resctrl(const struct cp_root *r, struct resctrl *rs)
{
	struct cp_strv names;
	char *feat, *p, *nl;
	int rc = cp_list(r, &names, INFO);

	if (rc == -ENOENT)
		return 0;
	if (rc < 0)
		return cp_fail(rc, "cannot list " INFO ": %s", strerror(-rc));

	/* Memory bandwidth allocation: present iff bandwidth_gran is. */
	rc = info_uint(r, &rs->mb_gran, "MB", "bandwidth_gran");
	if (rc == 0) {
		if ((rc = info_uint(r, &rs->mb_min, "MB", "min_bandwidth")) < 0 ||
		    (rc = info_uint(r, &rs->mb_closids, "MB", "num_closids")) < 0) {
			if (rc == -ENOENT)
				rc = cp_fail(rc, "incomplete " INFO "/MB");
			goto out;
		}
		rs->mb = true;
	} else if (rc != -ENOENT) {
		goto out;
	}

	for (size_t i = 0; i < names.n; i++)
		if (names.v[i][0] == 'L' && (rc = load_cache_type(r, names.v[i], rs)) < 0)
			goto out;

	/* Monitoring: present iff num_rmids is. */
	rc = info_uint(r, &rs->mon_max, "L3_MON", "num_rmids");
	if (rc == -ENOENT) {
		rc = 0;
		goto out;
	}
	if (rc < 0)
		goto out;
	rc = info_uint(r, &rs->mon_reuse, "L3_MON", "max_threshold_occupancy");
	if (rc == -ENOENT)
		rs->mon_reuse = 0;
	else if (rc < 0)
		goto out;
	rc = cp_read(r, &feat, NULL, INFO "/L3_MON/mon_features");
	if (rc < 0) {
		rc = cp_fail(rc, "cannot read " INFO "/L3_MON/mon_features");
		goto out;
	}
	p = feat + strlen(feat);
	while (p > feat && p[-1] == '\n')
		*--p = '\0';
	if (!*feat) {
		free(feat);
		rc = cp_fail(-EINVAL, "empty " INFO "/L3_MON/mon_features");
		goto out;
	}
	for (p = feat; p; p = nl ? nl + 1 : NULL) {
		if ((nl = strchr(p, '\n')))
			*nl = '\0';
		cp_strv_push(&rs->mon_features, cp_strdup(p));
	}
	free(feat);
	rs->mon = true;
	rc = 0;
out:
	cp_strv_free(&names);
	return rc;
}

/* The controls of a new bank; a second size on one level is an error. */
static int bank_controls(struct resctrl *rs, struct cp_cache_bank *b)
{
	if (resctrl_empty(rs))
		return 0;
	for (unsigned type = 0; type < 3; type++) {
		struct rc_type *t = NULL;
		struct cp_cache_control *ctl;

		for (size_t i = 0; i < rs->ntypes; i++)
			if (rs->types[i].level == b->level && rs->types[i].type == type)
				t = &rs->types[i];
		if (!t)
			continue;
		if (t->size && t->size != b->size) {
			free(b->controls);
			b->controls = NULL;
			b->ncontrols = 0;
			return cp_fail(-EINVAL, "level %u cache size %llu does not match expected size %llu",
				       b->level, (unsigned long long)b->size, (unsigned long long)t->size);
		}
		t->size = b->size;
		b->controls = cp_realloc(b->controls, (b->ncontrols + 1) * sizeof(*b->controls));
		ctl = &b->controls[b->ncontrols++];
		ctl->granularity = b->size / t->bits;
		ctl->min = t->min_cbm_bits != 1 ? t->min_cbm_bits * ctl->granularity : 0;
		ctl->type = cache_types[type];
		ctl->max_allocs = t->closids;
	}
	return 0;
}

static bool bank_equal(const struct cp_cache_bank *a, const struct cp_cache_bank *b, const struct cp_cpuset *bcpus,
		       const struct cp_cpuset *acpus)
{
	return a->id == b->id && a->level == b->level && a->type == b->type && a->size == b->size &&
	       cp_cpuset_equal(acpus, bcpus);
}

/* One cache/indexN entry: 1 a bank was read, 0 skip it, < 0 stop. */
static int read_bank(const struct cp_root *r, int cpu, const char *index, struct cp_cache_bank *b,
		     struct cp_cpuset *cpus)
{
	const char *d = "/sys/devices/system/cpu";
	char *type = NULL, *size = NULL;
	int rc;

	rc = cp_sysfs_read_uint(r, &b->level, "%s/cpu%d/cache/%s/level", d, cpu, index);
	if (rc < 0)
		return cp_fail(rc, "bad %s/cpu%d/cache/%s/level", d, cpu, index);
	if (b->level < CACHE_MIN_LEVEL)
		return 0;
	if ((rc = cp_sysfs_read_uint(r, &b->id, "%s/cpu%d/cache/%s/id", d, cpu, index)) < 0)
		goto bad;
	if ((rc = cp_read_str(r, &type, "%s/cpu%d/cache/%s/type", d, cpu, index)) < 0)
		goto bad;
	if ((rc = cp_read_str(r, &size, "%s/cpu%d/cache/%s/size", d, cpu, index)) < 0)
		goto bad;
	if ((rc = cp_sysfs_read_cpus(r, cpus, "%s/cpu%d/cache/%s/shared_cpu_list", d, cpu, index)) < 0)
		goto bad;
	if ((rc = cp_sysfs_parse_scaled(size, &b->size)) < 0) {
		rc = cp_fail(rc, "bad cache size '%s' in %s/cpu%d/cache/%s", size, d, cpu, index);
		goto out;
	}
	for (unsigned i = 0; i < 3; i++)
		if (strcmp(type, kernel_types[i]) == 0)
			b->type = cache_types[i];
	rc = b->type ? 1 : cp_fail(-EINVAL, "unknown cache type '%s' in %s/cpu%d/cache/%s", type, d, cpu, index);
	goto out;
bad:
	/* A missing file skips the entry; anything else stops the scan. */
	if (rc == -ENOENT)
		rc = 0;
	else
		rc = cp_fail(rc, "cannot read cache %s of CPU %d", index, cpu);
out:
	if (rc <= 0)
		cp_cpuset_free(cpus);
	free(type);
	free(size);
	return rc;
}

/* Banks seen so far, found by (level, type, id, size) in an open-addressing
 * table of their indices: every CPU lists its banks again, so a linear
 * search would be O(CPUs x banks). */
struct bank_index {
	size_t *slot;		/* bank index + 1; 0 is free */
	size_t cap;		/* a power of two, at most half full */
};

static size_t bank_hash(const struct cp_cache_bank *b)
{
	uint64_t k = ((uint64_t)b->level << 56) ^ ((uint64_t)(uintptr_t)b->type << 40) ^ b->id ^ (b->size << 17);

	k ^= k >> 33;
	k *= 0xff51afd7ed558ccdull;
	k ^= k >> 33;
	return (size_t)k;
}

/* The slot of a bank equal to b, or the free slot where it would go. */
static size_t *bank_slot(const struct bank_index *ix, const struct cp_host *h, const struct cp_cpuset *sets,
			 const struct cp_cache_bank *b, const struct cp_cpuset *cpus)
{
	size_t i = bank_hash(b) & (ix->cap - 1);

	while (ix->slot[i] && !bank_equal(&h->banks[ix->slot[i] - 1], b, cpus, &sets[ix->slot[i] - 1]))
		i = (i + 1) & (ix->cap - 1);
	return &ix->slot[i];
}

static void bank_index_grow(struct bank_index *ix, const struct cp_host *h, const struct cp_cpuset *sets)
{
	ix->cap = ix->cap ? ix->cap * 2 : 64;
	free(ix->slot);
	ix->slot = cp_calloc(ix->cap, sizeof(*ix->slot));
	for (size_t j = 0; j < h->nbanks; j++)
		*bank_slot(ix, h, sets, &h->banks[j], &sets[j]) = j + 1;
}

/* 0 when the scan finished, < 0 when it stopped (banks so far are kept). */
static int scan_banks(const struct cp_root *r, struct resctrl *rs, const struct cp_cpuset *online, struct cp_host *h,
		      struct cp_cpuset **setsp)
{
	struct bank_index ix = { 0 };
	int rc = 0;

	bank_index_grow(&ix, h, *setsp);
	cp_cpuset_foreach(online, cpu) {
		struct cp_strv names;

		rc = cp_list(r, &names, "/sys/devices/system/cpu/cpu%d/cache", cpu);
		if (rc == -ENOENT) {
			rc = 0;
			continue;
		}
		if (rc < 0) {
			rc = cp_fail(rc, "cannot list the caches of CPU %d", cpu);
			break;
		}
		rc = 0;
		for (size_t i = 0; i < names.n && !rc; i++) {
			struct cp_cache_bank b = { 0 };
			struct cp_cpuset cpus = { 0 };
			size_t *slot;

			if (!cp_startswith(names.v[i], "index"))
				continue;
			rc = read_bank(r, cpu, names.v[i], &b, &cpus);
			if (rc <= 0)
				continue;
			rc = 0;
			slot = bank_slot(&ix, h, *setsp, &b, &cpus);
			if (*slot) {
				cp_cpuset_free(&cpus);
				continue;
			}
			if ((rc = bank_controls(rs, &b)) < 0) {
				cp_cpuset_free(&cpus);
				break;
			}
			b.cpus = cp_cpuset_format(&cpus);
			h->banks = cp_realloc(h->banks, (h->nbanks + 1) * sizeof(*h->banks));
			*setsp = cp_realloc(*setsp, (h->nbanks + 1) * sizeof(**setsp));
			(*setsp)[h->nbanks] = cpus;
			h->banks[h->nbanks++] = b;
			*slot = h->nbanks;
			if (h->nbanks * 2 > ix.cap)
				bank_index_grow(&ix, h, *setsp);
		}
		cp_strv_free(&names);
		if (rc < 0)
			break;
	}
	free(ix.slot);
	return rc;
}

static void add_monitor(const struct resctrl *rs, const char *prefix, struct cp_monitor *m)
{
	for (size_t i = 0; i < rs->mon_features.n; i++)
		if (cp_startswith(rs->mon_features.v[i], prefix))
			cp_strv_push(&m->features, cp_strdup(rs->mon_features.v[i]));
	/* A monitor type without features is not supported by this host. */
	m->present = m->features.n > 0;
	m->max_monitors = rs->mon_max;
}

int cp_probe_cachebanks(const struct cp_root *r, struct cp_host *h)
{
	struct resctrl rs = { 0 };
	struct cp_cpuset online = { 0 }, *sets = NULL;
	unsigned last_level = 0;
	int rc;

	if ((rc = load_resctrl(r, &rs)) < 0) {
		cp_verbose("no <cache>: %s", cp_last_error());
		goto out;
	}
	/* Offline CPUs have no cache information. */
	if ((rc = cp_sysfs_read_cpus(r, &online, "/sys/devices/system/cpu/online")) < 0) {
		if (rc == -ERANGE)
			cp_warn("no <cache>: the online CPU list holds %s", cp_cpus_strerror(rc));
		else
			cp_verbose("no <cache>: cannot read the online CPU list");
		goto out;
	}
	if (scan_banks(r, &rs, &online, h, &sets) < 0) {
		cp_verbose("cache scan stopped: %s", cp_last_error());
		goto out;
	}
	/* Stable insertion sort by (level, id). */
	for (size_t i = 1; i < h->nbanks; i++) {
		struct cp_cache_bank t = h->banks[i];
		size_t j = i;

		while (j && (h->banks[j - 1].level > t.level ||
			     (h->banks[j - 1].level == t.level && h->banks[j - 1].id > t.id))) {
			h->banks[j] = h->banks[j - 1];
			j--;
		}
		h->banks[j] = t;
	}
	for (size_t i = 0; i < h->nbanks; i++)
		if (h->banks[i].level > last_level)
			last_level = h->banks[i].level;
	/* One memory bandwidth controller per last-level cache. */
	for (size_t i = 0; rs.mb && i < h->nbanks; i++) {
		const struct cp_cache_bank *b = &h->banks[i];

		if (b->level != last_level)
			continue;
		h->membw = cp_realloc(h->membw, (h->nmembw + 1) * sizeof(*h->membw));
		h->membw[h->nmembw++] = (struct cp_membw_node){
			.id = b->id, .cpus = cp_strdup(b->cpus),
			.granularity = rs.mb_gran, .min = rs.mb_min, .max_allocs = rs.mb_closids,
		};
	}
	if (rs.mon) {
		add_monitor(&rs, "llc_", &h->cache_monitor);
		h->cache_monitor.level = 3;	/* resctrl monitors L3 only */
		h->cache_monitor.reuse_threshold = rs.mon_reuse;
		add_monitor(&rs, "mbm_", &h->membw_monitor);
	}
out:
	cp_clear_error();
	for (size_t i = 0; i < h->nbanks; i++)
		cp_cpuset_free(&sets[i]);
	free(sets);
	cp_cpuset_free(&online);
	resctrl_free(&rs);
	return 0;
}
