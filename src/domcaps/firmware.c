#include "config.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "host/arch.h"
#include "domcaps/firmware.h"
#include "util/json.h"
#include "util/jsonmem.h"

/* The directories, lowest priority first; the user's one is appended by
 * cp_fw_load for a session daemon. */
static const char *const system_dirs[] = {
	"/usr/share/qemu/firmware",
	"/etc/qemu/firmware",
};

const char *const cp_fw_legacy_loaders[] = {
	"/usr/share/OVMF/OVMF_CODE.fd",
	"/usr/share/OVMF/OVMF_CODE.secboot.fd",
	"/usr/share/AAVMF/AAVMF_CODE.fd",
	"/usr/share/AAVMF/AAVMF32_CODE.fd",
	NULL,
};

struct name_bit {
	const char *name;
	unsigned bit;
};

static const struct name_bit interfaces[] = {
	{ "bios", CP_FW_IF_BIOS },
	{ "openfirmware", CP_FW_IF_OPENFIRMWARE },
	{ "uboot", CP_FW_IF_UBOOT },
	{ "uefi", CP_FW_IF_UEFI },
};

static const struct name_bit features[] = {
	{ "acpi-s3", CP_FW_FEAT_ACPI_S3 },
	{ "acpi-s4", CP_FW_FEAT_ACPI_S4 },
	{ "amd-sev", CP_FW_FEAT_AMD_SEV },
	{ "amd-sev-es", CP_FW_FEAT_AMD_SEV_ES },
	{ "amd-sev-snp", CP_FW_FEAT_AMD_SEV_SNP },
	{ "enrolled-keys", CP_FW_FEAT_ENROLLED_KEYS },
	{ "requires-smm", CP_FW_FEAT_REQUIRES_SMM },
	{ "secure-boot", CP_FW_FEAT_SECURE_BOOT },
	{ "verbose-dynamic", CP_FW_FEAT_VERBOSE_DYNAMIC },
	{ "verbose-static", CP_FW_FEAT_VERBOSE_STATIC },
	{ "intel-tdx", CP_FW_FEAT_INTEL_TDX },
	{ "host-uefi-vars", CP_FW_FEAT_HOST_UEFI_VARS },
};

static const struct name_bit devices[] = {
	{ "flash", CP_FW_DEV_FLASH },
	{ "kernel", CP_FW_DEV_KERNEL },
	{ "memory", CP_FW_DEV_MEMORY },
};

static const struct name_bit modes[] = {
	{ "split", CP_FW_MODE_SPLIT },
	{ "combined", CP_FW_MODE_COMBINED },
	{ "stateless", CP_FW_MODE_STATELESS },
};

/* QEMU target names that differ from libvirt's arch names. */
static const struct { const char *qemu, *libvirt; } qemu_arches[] = {
	{ "i386", "i686" },
	{ "arm", "armv7l" },
	{ "or32", "openrisc" },
};

#define NITEMS(a) (sizeof(a) / sizeof((a)[0]))

static int lookup(const struct name_bit *t, size_t n, const char *name, unsigned *bit)
{
	for (size_t i = 0; i < n; i++) {
		if (strcmp(t[i].name, name) == 0) {
			*bit = t[i].bit;
			return 0;
		}
	}
	return -ENOENT;
}

void cp_fw_desc_free(struct cp_fw_desc *d)
{
	free(d->name);
	free(d->path);
	free(d->executable);
	free(d->executable_format);
	free(d->nvram_template);
	free(d->nvram_format);
	for (size_t i = 0; i < d->ntargets; i++) {
		free(d->targets[i].arch);
		cp_strv_free(&d->targets[i].machines);
	}
	free(d->targets);
	memset(d, 0, sizeof(*d));
}

void cp_fw_list_free(struct cp_fw_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		cp_fw_desc_free(&l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

static int parse_interfaces(const char *path, json_object *doc, struct cp_fw_desc *d)
{
	json_object *a = cp_json_typed(doc, "interface-types", json_type_array);

	if (!a)
		return cp_fail(-EINVAL, "%s: missing 'interface-types' array", path);
	for (size_t i = 0; i < json_object_array_length(a); i++) {
		json_object *it = json_object_array_get_idx(a, i);
		const char *s = json_object_is_type(it, json_type_string) ?
				json_object_get_string(it) : NULL;
		unsigned bit;

		if (!s || lookup(interfaces, NITEMS(interfaces), s, &bit) < 0)
			return cp_fail(-EINVAL, "%s: unknown interface type '%s'", path,
				       s ? s : "(not a string)");
		d->interfaces |= bit;
	}
	return 0;
}

static int parse_flash_file(const char *path, json_object *m, const char *key,
			    char **filename, char **format)
{
	json_object *f = cp_json_typed(m, key, json_type_object);
	const char *fn, *fmt;

	if (!f)
		return cp_fail(-EINVAL, "%s: missing 'mapping.%s'", path, key);
	fn = cp_json_str(f, "filename");
	fmt = cp_json_str(f, "format");
	if (!fn || !fmt)
		return cp_fail(-EINVAL, "%s: missing 'mapping.%s.%s'", path, key,
			       fn ? "format" : "filename");
	*filename = cp_strdup(fn);
	*format = cp_strdup(fmt);
	return 0;
}

static int parse_mapping(const char *path, json_object *doc, struct cp_fw_desc *d)
{
	json_object *m = cp_json_typed(doc, "mapping", json_type_object);
	const char *s;
	unsigned v;
	int rc;

	if (!m)
		return cp_fail(-EINVAL, "%s: missing 'mapping' object", path);
	s = cp_json_str(m, "device");
	if (!s || lookup(devices, NITEMS(devices), s, &v) < 0)
		return cp_fail(-EINVAL, "%s: unknown mapping device '%s'", path,
			       s ? s : "(missing)");
	d->device = v;
	if (d->device != CP_FW_DEV_FLASH) {
		s = cp_json_str(m, "filename");
		if (!s)
			return cp_fail(-EINVAL, "%s: missing 'mapping.filename'", path);
		d->executable = cp_strdup(s);
		return 0;
	}
	if (json_object_object_get_ex(m, "mode", NULL)) {
		s = cp_json_str(m, "mode");
		if (!s || lookup(modes, NITEMS(modes), s, &v) < 0)
			return cp_fail(-EINVAL, "%s: unknown flash mode '%s'", path,
				       s ? s : "(not a string)");
		d->mode = v;
	}
	rc = parse_flash_file(path, m, "executable", &d->executable, &d->executable_format);
	if (rc < 0 || d->mode != CP_FW_MODE_SPLIT)
		return rc;
	return parse_flash_file(path, m, "nvram-template", &d->nvram_template, &d->nvram_format);
}

static const char *arch_from_qemu(const char *name)
{
	const struct cp_arch *a;

	for (size_t i = 0; i < NITEMS(qemu_arches); i++)
		if (strcmp(qemu_arches[i].qemu, name) == 0)
			return qemu_arches[i].libvirt;
	a = cp_arch_find(name);
	return a ? a->name : NULL;
}

static int parse_targets(const char *path, json_object *doc, struct cp_fw_desc *d)
{
	json_object *a = cp_json_typed(doc, "targets", json_type_array);
	size_t n;

	if (!a)
		return cp_fail(-EINVAL, "%s: missing 'targets' array", path);
	n = json_object_array_length(a);
	d->targets = cp_calloc(n ? n : 1, sizeof(*d->targets));
	for (size_t i = 0; i < n; i++) {
		json_object *t = json_object_array_get_idx(a, i);
		struct cp_fw_target *ft = &d->targets[d->ntargets];
		const char *qarch = json_object_is_type(t, json_type_object) ?
				    cp_json_str(t, "architecture") : NULL;
		const char *arch;
		json_object *ms;

		if (!qarch)
			return cp_fail(-EINVAL, "%s: target %zu has no 'architecture'", path, i);
		arch = arch_from_qemu(qarch);
		if (!arch)
			return cp_fail(-EINVAL, "%s: unknown architecture '%s'", path, qarch);
		ms = cp_json_typed(t, "machines", json_type_array);
		if (!ms)
			return cp_fail(-EINVAL, "%s: target %zu has no 'machines' array", path, i);
		ft->arch = cp_strdup(arch);
		d->ntargets++;
		for (size_t j = 0; j < json_object_array_length(ms); j++) {
			json_object *m = json_object_array_get_idx(ms, j);

			if (!json_object_is_type(m, json_type_string))
				return cp_fail(-EINVAL, "%s: machine %zu of target %zu is not a string",
					       path, j, i);
			cp_strv_push(&ft->machines, cp_strdup(json_object_get_string(m)));
		}
	}
	return 0;
}

static int parse_features(const char *path, json_object *doc, struct cp_fw_desc *d)
{
	json_object *a = cp_json_typed(doc, "features", json_type_array);

	if (!a)
		return cp_fail(-EINVAL, "%s: missing 'features' array", path);
	for (size_t i = 0; i < json_object_array_length(a); i++) {
		json_object *it = json_object_array_get_idx(a, i);
		unsigned bit;

		/* Unknown features are ignored: descriptors outlive parsers. */
		if (json_object_is_type(it, json_type_string) &&
		    lookup(features, NITEMS(features), json_object_get_string(it), &bit) == 0)
			d->features |= bit;
	}
	return 0;
}

/* Line and column (1-based) of byte offset off in text. */
static void position(const char *text, size_t off, unsigned *line, unsigned *col)
{
	*line = 1;
	*col = 1;
	for (size_t i = 0; i < off && text[i]; i++) {
		if (text[i] == '\n') {
			(*line)++;
			*col = 1;
		} else {
			(*col)++;
		}
	}
}

static int parse_json(const char *path, const char *text, size_t len, json_object **out)
{
	json_tokener *tok = json_tokener_new();
	enum json_tokener_error jerr;
	json_object *doc;
	size_t end;
	unsigned line, col;

	if (!tok)
		cp_oom();
	if (len > INT32_MAX)
		len = INT32_MAX;
	doc = json_tokener_parse_ex(tok, text, (int)len);
	jerr = json_tokener_get_error(tok);
	end = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	if (doc && jerr == json_tokener_success) {
		/* Only whitespace may follow the document. */
		while (end < len && strchr(" \t\r\n", text[end]))
			end++;
		if (end == len) {
			*out = doc;
			return 0;
		}
		json_object_put(doc);
		position(text, end, &line, &col);
		return cp_fail(-EINVAL, "%s:%u:%u: unexpected text after the JSON document",
			       path, line, col);
	}
	json_object_put(doc);
	if (jerr == json_tokener_continue || jerr == json_tokener_success) {
		position(text, len, &line, &col);
		return cp_fail(-EINVAL, "%s:%u:%u: unexpected end of JSON", path, line, col);
	}
	position(text, end, &line, &col);
	return cp_fail(-EINVAL, "%s:%u:%u: bad JSON: %s", path, line, col,
		       json_tokener_error_desc(jerr));
}

int cp_fw_parse(const char *path, const char *text, size_t len, struct cp_fw_desc *out)
{
	json_object *doc = NULL;
	struct cp_json_scan sc;
	uint64_t cost;
	int rc;

	memset(out, 0, sizeof(*out));
	if (len > CP_FW_DESC_MAX)
		return cp_fail(-EFBIG, "%s: larger than %d bytes", path, CP_FW_DESC_MAX);
	if (memchr(text, '\0', len))
		return cp_fail(-EINVAL, "%s: contains a NUL byte", path);
	/* priced before json-c builds it (util/jsonmem.h) */
	cp_json_scan_init(&sc);
	cp_json_scan_all(&sc, text, len);
	cost = cp_json_scan_cost(&sc);
	if (cost > CP_FW_DESC_MAX_COST)
		return cp_fail(-EFBIG, "%s: its JSON would take more than %llu MiB of memory once parsed",
			       path, CP_MIB(CP_FW_DESC_MAX_COST));
	if (cp_json_budget_take(cost) < 0)
		return cp_fail(-ENOBUFS, "%s: does not fit in the %llu MiB of memory capsprobe allows "
			       "for JSON at once", path, CP_MIB(cp_json_budget_limit()));
	rc = parse_json(path, text, len, &doc);
	if (rc < 0) {
		cp_json_budget_give(cost);
		return rc;
	}
	if (!json_object_is_type(doc, json_type_object))
		rc = cp_fail(-EINVAL, "%s: not a JSON object", path);
	if (rc == 0)
		rc = parse_interfaces(path, doc, out);
	if (rc == 0)
		rc = parse_mapping(path, doc, out);
	if (rc == 0)
		rc = parse_targets(path, doc, out);
	if (rc == 0)
		rc = parse_features(path, doc, out);
	json_object_put(doc);
	cp_json_budget_give(cost);
	if (rc < 0)
		cp_fw_desc_free(out);
	else
		out->path = cp_strdup(path);
	return rc;
}

/* A descriptor file found in one of the directories; prio orders the
 * directories (a later one replaces the same name in an earlier one). */
struct entry {
	char *name;
	char *path;
	size_t prio;
};

static int entry_cmp(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	return c ? c : (x->prio > y->prio) - (x->prio < y->prio);
}

static int scan_dir(const struct cp_root *r, const char *dir, size_t prio, struct entry **ents, size_t *n)
{
	struct cp_strv names;
	int rc = cp_list(r, &names, "%s", dir);

	if (rc == -ENOENT || rc == -ENOTDIR)
		return 0;
	if (rc < 0)
		return cp_fail(rc, "cannot list %s: %s", dir, strerror(-rc));
	*ents = cp_realloc(*ents, (*n + names.n + 1) * sizeof(**ents));
	for (size_t i = 0; i < names.n; i++) {
		const char *name = names.v[i];
		char *path;

		/* Hidden files are editor and package-manager leftovers. */
		if (name[0] == '.')
			continue;
		path = cp_asprintf("%s/%s", dir, name);
		/* A directory does not take part in the override. */
		if (cp_is_dir(r, "%s", path) > 0) {
			free(path);
			continue;
		}
		(*ents)[*n].name = cp_strdup(name);
		(*ents)[*n].path = path;
		(*ents)[*n].prio = prio;
		(*n)++;
	}
	cp_strv_free(&names);
	return 0;
}

/* Sort by name, keep the highest-priority file of each name: O(n log n),
 * as a directory may hold tens of thousands of names. */
static size_t dedup(struct entry *ents, size_t n)
{
	size_t out = 0;

	if (n)
		qsort(ents, n, sizeof(*ents), entry_cmp);
	for (size_t i = 0; i < n; i++) {
		if (i + 1 < n && strcmp(ents[i].name, ents[i + 1].name) == 0) {
			free(ents[i].name);
			free(ents[i].path);
			continue;
		}
		ents[out++] = ents[i];
	}
	return out;
}

int cp_fw_load(const struct cp_root *r, const char *xdg_config_home, const char *home,
	       struct cp_fw_list *out)
{
	struct entry *ents = NULL;
	size_t nents = 0;
	char *user = NULL;
	int rc = 0;

	out->v = NULL;
	out->n = 0;
	if (xdg_config_home && *xdg_config_home == '/')
		user = cp_asprintf("%s/qemu/firmware", xdg_config_home);
	else if (home && *home == '/')	/* a relative one names nothing */
		user = cp_asprintf("%s/.config/qemu/firmware", home);
	for (size_t i = 0; i < NITEMS(system_dirs) && rc == 0; i++)
		rc = scan_dir(r, system_dirs[i], i, &ents, &nents);
	if (rc == 0 && user)
		rc = scan_dir(r, user, NITEMS(system_dirs), &ents, &nents);
	free(user);
	/* Every descriptor is read, as libvirt does: a cap would quietly list
	 * fewer loaders.  Each one's size and parse cost are bounded above. */
	nents = dedup(ents, nents);
	for (size_t i = 0; i < nents; i++) {
		struct cp_fw_desc d;
		char *text = NULL;
		size_t len = 0;
		int e;

		if (rc < 0)
			goto next;
		e = cp_read(r, &text, &len, "%s", ents[i].path);
		if (e < 0) {
			cp_warn("skipping firmware descriptor %s: %s", ents[i].path,
				strerror(-e));
			goto next;
		}
		/* An empty file masks lower-priority files of the same name. */
		if (len == 0)
			goto next;
		if (cp_fw_parse(ents[i].path, text, len, &d) < 0) {
			cp_warn("skipping firmware descriptor %s", cp_last_error());
			goto next;
		}
		d.name = cp_strdup(ents[i].name);
		out->v = cp_realloc(out->v, (out->n + 1) * sizeof(*out->v));
		out->v[out->n++] = d;
next:
		free(text);
		free(ents[i].name);
		free(ents[i].path);
	}
	free(ents);
	if (rc < 0)
		cp_fw_list_free(out);
	return rc;
}

bool cp_fw_glob(const char *p, const char *s)
{
	/* Iterative matcher: remember the last '*' and retry from there. */
	const char *star = NULL, *resume = NULL;

	while (*s) {
		if (*p == '*') {
			star = ++p;
			resume = s;
		} else if (*p == '?' || *p == *s) {
			p++;
			s++;
		} else if (star) {
			p = star;
			s = ++resume;
		} else {
			return false;
		}
	}
	while (*p == '*')
		p++;
	return *p == '\0';
}

bool cp_fw_matches(const struct cp_fw_desc *d, const char *arch, const char *machine)
{
	for (size_t i = 0; i < d->ntargets; i++) {
		const struct cp_fw_target *t = &d->targets[i];

		if (strcmp(t->arch, arch) != 0)
			continue;
		for (size_t j = 0; j < t->machines.n; j++)
			if (cp_fw_glob(t->machines.v[j], machine))
				return true;
	}
	return false;
}

/* Add path to the loader values if it exists in r and is not there yet. */
static int add_loader(const struct cp_root *r, struct cp_dc_enum *values, const char *path)
{
	int e = cp_exists(r, "%s", path);

	if (e < 0)
		cp_verbose("cannot check firmware %s: %s", path, strerror(-e));
	if (e <= 0)
		return 0;
	return cp_dc_enum_add(values, path);
}

int cp_fw_fill_os(const struct cp_root *r, const struct cp_fw_list *l, const char *arch,
		  const char *machine, const char *const *fallback, struct cp_dc_os *os)
{
	struct cp_dc_loader *ld = &os->loader;
	bool secure = false, have_loader = false;
	int rc = 0;

	os->supported = CP_DC_YES;
	ld->supported = CP_DC_YES;
	cp_dc_enum_report(&os->firmware);
	for (size_t i = 0; i < l->n && rc == 0; i++) {
		const struct cp_fw_desc *d = &l->v[i];

		if (!cp_fw_matches(d, arch, machine))
			continue;
		if (d->interfaces & CP_FW_IF_BIOS)
			rc = cp_dc_enum_add(&os->firmware, "bios");
		if (rc == 0 && (d->interfaces & CP_FW_IF_UEFI))
			rc = cp_dc_enum_add(&os->firmware, "efi");
		if (d->features & CP_FW_FEAT_REQUIRES_SMM)
			secure = true;
		/* Kernel mappings name no loader. */
		if (rc == 0 && d->device != CP_FW_DEV_KERNEL) {
			have_loader = true;
			rc = add_loader(r, &ld->values, d->executable);
		}
	}
	/* The legacy list stands in only when no descriptor names a loader for
	 * this machine; a named loader that does not exist leaves the list empty. */
	if (!have_loader) {
		for (const char *const *p = fallback ? fallback : cp_fw_legacy_loaders;
		     *p && rc == 0; p++)
			rc = add_loader(r, &ld->values, *p);
	}
	if (rc == 0)
		rc = cp_dc_enum_add(&ld->type, "rom");
	if (rc == 0)
		rc = cp_dc_enum_add(&ld->type, "pflash");
	if (rc == 0)
		rc = cp_dc_enum_add(&ld->readonly, "yes");
	if (rc == 0)
		rc = cp_dc_enum_add(&ld->readonly, "no");
	if (rc == 0 && secure)
		rc = cp_dc_enum_add(&ld->secure, "yes");
	if (rc == 0)
		rc = cp_dc_enum_add(&ld->secure, "no");
	return rc;
}
