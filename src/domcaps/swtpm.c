/* swtpm detection and its cache entry: see swtpm.h. */
#include "config.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "qmp/process.h"
#include "domcaps/swtpm.h"
#include "util/err.h"
#include "util/jsonmem.h"
#include "util/str.h"

#define SWTPM_OUTPUT_MAX (64 * 1024)
/* ELF pieces we read are small; anything larger is not a real binary. */
#define ELF_MAX_PHDRS 256
#define ELF_MAX_TABLE (1u << 20)
/* swtpm -> libswtpm_libtpms -> libtpms: two levels reach every library. */
#define LIB_DEPTH 2

static const char *const tools[] = { "swtpm", "swtpm_setup", "swtpm_ioctl" };
enum { T_SWTPM, T_SETUP, T_IOCTL, T_COUNT };

/* Where the dynamic loader looks by default, multiarch first. */
static const char *const std_libdirs[] = {
#ifdef CP_TRIPLET
	"/lib/" CP_TRIPLET, "/usr/lib/" CP_TRIPLET, "/usr/local/lib/" CP_TRIPLET,
#endif
	"/lib64", "/usr/lib64", "/lib", "/usr/lib", "/usr/local/lib", "/usr/local/lib64",
};

/* ---- the fact ---- */

/* swtpm's capabilities JSON (a line of it) are a few hundred bytes;
 * priced before parsing (util/jsonmem.h), anything dearer is not JSON. */
#define SWTPM_MAX_COST ((uint64_t)16 << 20)

/* s as JSON, or NULL; *cost is charged until the caller gives it back. */
static json_object *parse_priced(const char *s, uint64_t *cost)
{
	size_t len = strlen(s);
	int why;

	while (len && strchr(" \t\r\n", s[len - 1]))
		len--;
	return cp_json_parse_priced(s, len, 64, SWTPM_MAX_COST, cost, &why);
}

int cp_swtpm_parse(const char *text, struct cp_swtpm *out)
{
	char *s = cp_strdup(text);
	json_object *caps, *features;
	uint64_t cost;

	memset(out, 0, sizeof(*out));
	cp_rstrip(s);
	if (strcmp(s, "none") == 0) {
		free(s);
		return 0;
	}
	out->usable = true;
	caps = parse_priced(s, &cost);
	free(s);
	if (!json_object_is_type(caps, json_type_object)) {
		json_object_put(caps);
		cp_json_budget_give(cost);
		cp_warn(CP_FACTS_DIR "/swtpm: not JSON; no TPM versions");
		return 0;
	}
	if (json_object_object_get_ex(caps, "features", &features) &&
	    json_object_is_type(features, json_type_array)) {
		size_t n = json_object_array_length(features);

		for (size_t i = 0; i < n; i++) {
			json_object *f = json_object_array_get_idx(features, i);
			const char *v = json_object_is_type(f, json_type_string) ? json_object_get_string(f) : "";

			if (strcmp(v, "tpm-1.2") == 0)
				out->tpm12 = true;
			else if (strcmp(v, "tpm-2.0") == 0)
				out->tpm20 = true;
		}
	}
	json_object_put(caps);
	cp_json_budget_give(cost);
	return 0;
}

/* ---- finding and running the tools ---- */

char *cp_find_in_path(const char *path_env, const char *name)
{
	char *copy, *save = NULL, *found = NULL;

	copy = cp_strdup(path_env && *path_env ? path_env : "/bin:/usr/bin");
	for (char *dir = strtok_r(copy, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
		char *f = cp_asprintf("%s/%s", dir, name);
		struct stat st;

		if (stat(f, &st) == 0 && S_ISREG(st.st_mode) && access(f, X_OK) == 0) {
			found = f;
			break;
		}
		free(f);
	}
	free(copy);
	return found;
}

/* All three tools, or false (none kept) when one is missing. */
static bool find_tools(const char *path_env, char *paths[T_COUNT])
{
	for (int i = 0; i < T_COUNT; i++) {
		paths[i] = cp_find_in_path(path_env, tools[i]);
		if (!paths[i]) {
			for (int k = 0; k < i; k++)
				free(paths[k]);
			return false;
		}
	}
	return true;
}

/* The fact text from `swtpm_setup --print-capabilities`: its JSON object
 * in one line; NULL (message formed) when it failed, timed out or printed
 * something else. */
static char *capabilities(const char *setup, int64_t deadline_ms)
{
	char *argv[] = { (char *)setup, (char *)"--print-capabilities", NULL };
	char *out = NULL, *text;
	uint64_t cost = 0;
	json_object *j;

	if (cp_proc_capture(argv, deadline_ms, SWTPM_OUTPUT_MAX, &out) < 0)
		return NULL;
	j = parse_priced(out, &cost);
	free(out);
	if (!json_object_is_type(j, json_type_object)) {
		json_object_put(j);
		cp_json_budget_give(cost);
		cp_fail(-EBADMSG, "%s printed no JSON object", setup);
		return NULL;
	}
	text = cp_asprintf("%s\n", json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN));
	json_object_put(j);
	cp_json_budget_give(cost);
	return text;
}

/* ---- ELF: which libraries swtpm loads ---- */

static bool pread_all(int fd, void *buf, size_t len, uint64_t off)
{
	return off <= (uint64_t)INT64_MAX && pread(fd, buf, len, (off_t)off) == (ssize_t)len;
}

/* The file offset of a virtual address, through the PT_LOAD holding it. */
static bool vaddr_offset(const ElfW(Phdr) *ph, size_t n, uint64_t vaddr, uint64_t *off)
{
	for (size_t i = 0; i < n; i++)
		if (ph[i].p_type == PT_LOAD && vaddr >= ph[i].p_vaddr &&
		    vaddr - ph[i].p_vaddr < ph[i].p_filesz) {
			*off = vaddr - ph[i].p_vaddr + ph[i].p_offset;
			return true;
		}
	return false;
}

int cp_elf_needed(const char *path, struct cp_strv *needed, char **runpath)
{
	ElfW(Ehdr) eh;
	ElfW(Phdr) *ph = NULL;
	ElfW(Dyn) *dyn = NULL;
	char *str = NULL;
	size_t ndyn = 0, dynsz = 0;
	uint64_t strtab = 0, strsz = 0, stroff, rp = UINT64_MAX, rpath = UINT64_MAX;
	int fd = open(path, O_RDONLY | O_CLOEXEC), rc = -ENOEXEC;

	*runpath = NULL;
	if (fd < 0)
		return -errno;
	if (!pread_all(fd, &eh, sizeof(eh), 0) || memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 ||
	    eh.e_ident[EI_CLASS] != (sizeof(void *) == 8 ? ELFCLASS64 : ELFCLASS32) ||
	    eh.e_phentsize != sizeof(ElfW(Phdr)) || eh.e_phnum == 0 || eh.e_phnum > ELF_MAX_PHDRS)
		goto out;
	ph = cp_calloc(eh.e_phnum, sizeof(*ph));
	if (!pread_all(fd, ph, eh.e_phnum * sizeof(*ph), eh.e_phoff))
		goto out;
	for (size_t i = 0; i < eh.e_phnum && !dyn; i++) {
		if (ph[i].p_type != PT_DYNAMIC)
			continue;
		if (ph[i].p_filesz > ELF_MAX_TABLE)
			goto out;
		dynsz = ph[i].p_filesz;
		ndyn = dynsz / sizeof(*dyn);
		dyn = cp_malloc(dynsz ? dynsz : 1);
		if (!pread_all(fd, dyn, dynsz, ph[i].p_offset))
			goto out;
	}
	rc = 0;		/* static: no libraries */
	if (!dyn)
		goto out;
	rc = -ENOEXEC;
	for (size_t i = 0; i < ndyn && dyn[i].d_tag != DT_NULL; i++) {
		if (dyn[i].d_tag == DT_STRTAB)
			strtab = dyn[i].d_un.d_ptr;
		else if (dyn[i].d_tag == DT_STRSZ)
			strsz = dyn[i].d_un.d_val;
	}
	if (!strsz || strsz > ELF_MAX_TABLE || !vaddr_offset(ph, eh.e_phnum, strtab, &stroff))
		goto out;
	str = cp_malloc(strsz + 1);
	if (!pread_all(fd, str, strsz, stroff))
		goto out;
	str[strsz] = '\0';
	for (size_t i = 0; i < ndyn && dyn[i].d_tag != DT_NULL; i++) {
		uint64_t v = dyn[i].d_un.d_val;

		if (v >= strsz)
			continue;
		if (dyn[i].d_tag == DT_NEEDED)
			cp_strv_push(needed, cp_strdup(str + v));
		else if (dyn[i].d_tag == DT_RUNPATH)
			rp = v;
		else if (dyn[i].d_tag == DT_RPATH)
			rpath = v;
	}
	/* the loader ignores DT_RPATH when DT_RUNPATH is there */
	if (rp != UINT64_MAX || rpath != UINT64_MAX)
		*runpath = cp_strdup(str + (rp != UINT64_MAX ? rp : rpath));
	rc = 0;
out:
	free(str);
	free(dyn);
	free(ph);
	close(fd);
	return rc;
}

/* ---- the key ---- */

static void identity(struct cp_buf *b, const char *path, const struct stat *st)
{
	cp_buf_printf(b, "%s %llu %llu %lld %lld.%09ld %lld.%09ld\n", path, (unsigned long long)st->st_dev,
		      (unsigned long long)st->st_ino, (long long)st->st_size,
		      (long long)st->st_mtim.tv_sec, st->st_mtim.tv_nsec,
		      (long long)st->st_ctim.tv_sec, st->st_ctim.tv_nsec);
}

static char *identity_of(const char *path)
{
	struct cp_buf b = { 0 };
	struct stat st;

	if (stat(path, &st) == 0)
		identity(&b, path, &st);
	else
		cp_buf_printf(&b, "%s -\n", path);
	return cp_buf_steal(&b);
}

/* Directories the loader searches for the libraries of elf: its runpath
 * ($ORIGIN expanded; entries with other tokens are skipped), then
 * LD_LIBRARY_PATH, then the default ones. */
static void lib_dirs(const char *elf, const char *runpath, struct cp_strv *dirs)
{
	const char *ldp = getenv("LD_LIBRARY_PATH");
	char *copy, *save = NULL, *real = realpath(elf, NULL), *origin;

	origin = cp_strdup(real ? real : elf);
	free(real);
	*(strrchr(origin, '/') ? strrchr(origin, '/') : origin) = '\0';
	copy = cp_strdup(runpath ? runpath : "");
	for (char *d = strtok_r(copy, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
		if (cp_startswith(d, "$ORIGIN") || cp_startswith(d, "${ORIGIN}"))
			cp_strv_push(dirs, cp_asprintf("%s%s", origin, d + (d[1] == '{' ? 9 : 7)));
		else if (!strchr(d, '$'))
			cp_strv_push(dirs, cp_strdup(d));
	}
	free(copy);
	free(origin);
	copy = cp_strdup(ldp ? ldp : "");
	save = NULL;
	for (char *d = strtok_r(copy, ":;", &save); d; d = strtok_r(NULL, ":;", &save))
		cp_strv_push(dirs, cp_strdup(d));
	free(copy);
	for (size_t i = 0; i < sizeof(std_libdirs) / sizeof(std_libdirs[0]); i++)
		cp_strv_push(dirs, cp_strdup(std_libdirs[i]));
}

/* An identity line for every copy of each library of elf whose name
 * contains match, in every directory the loader could take it from (a
 * copy appearing earlier in the search changes the key too), then the
 * same for the first copy's own libraries. */
static void lib_lines(struct cp_buf *b, const char *elf, const char *match, int depth, struct cp_strv *seen)
{
	struct cp_strv needed = { 0 }, dirs = { 0 };
	char *runpath = NULL;

	if (cp_elf_needed(elf, &needed, &runpath) < 0)
		return;
	lib_dirs(elf, runpath, &dirs);
	for (size_t i = 0; i < needed.n; i++) {
		char *first = NULL;
		bool dup = false;

		for (size_t k = 0; k < seen->n; k++)
			dup = dup || strcmp(seen->v[k], needed.v[i]) == 0;
		if (dup || !strstr(needed.v[i], match) || strchr(needed.v[i], '/'))
			continue;
		cp_strv_push(seen, cp_strdup(needed.v[i]));
		for (size_t k = 0; k < dirs.n; k++) {
			char *p = cp_asprintf("%s/%s", dirs.v[k], needed.v[i]);
			struct stat st;

			if (stat(p, &st) == 0 && S_ISREG(st.st_mode)) {
				identity(b, p, &st);
				if (!first) {
					first = p;
					continue;
				}
			}
			free(p);
		}
		if (first && depth > 1)
			lib_lines(b, first, match, depth - 1, seen);
		free(first);
	}
	cp_strv_free(&dirs);
	cp_strv_free(&needed);
	free(runpath);
}

static const char *const key_names[] = { "swtpm", "swtpm_setup", "swtpm_ioctl", "libs", "capsprobe" };
#define NKEYS (sizeof(key_names) / sizeof(key_names[0]))

static json_object *key_of(char *const paths[T_COUNT], const char *match)
{
	json_object *k = json_object_new_object();
	struct cp_strv seen = { 0 };
	struct cp_buf libs = { 0 };
	char *s;

	for (int i = 0; i < T_COUNT; i++) {
		s = identity_of(paths[i]);
		json_object_object_add(k, key_names[i], json_object_new_string(s));
		free(s);
	}
	lib_lines(&libs, paths[T_SWTPM], match, LIB_DEPTH, &seen);
	cp_strv_free(&seen);
	/* rewritten by ldconfig: libraries installed in directories of
	 * ld.so.conf that are not searched above */
	s = identity_of("/etc/ld.so.cache");
	cp_buf_puts(&libs, s);
	free(s);
	s = cp_buf_steal(&libs);
	json_object_object_add(k, "libs", json_object_new_string(s));
	free(s);
	json_object_object_add(k, "capsprobe", json_object_new_string(PACKAGE_VERSION));
	return k;
}

json_object *cp_swtpm_key(const char *path_env, const char *match)
{
	char *paths[T_COUNT];
	json_object *k;

	if (!find_tools(path_env, paths))
		return NULL;
	k = key_of(paths, match);
	for (int i = 0; i < T_COUNT; i++)
		free(paths[i]);
	return k;
}

/* ---- through the cache ---- */

/* The cached fact when the entry's key equals key; NULL otherwise (why
 * said under --verbose). */
static char *cached_fact(struct cp_cache *c, json_object *key)
{
	json_object *doc, *k, *fact;
	char *out = NULL;
	int rc = cp_cache_load_small(c, CP_CACHE_SWTPM, &doc);

	if (rc <= 0) {
		if (rc == 0)
			cp_verbose("swtpm: no cache entry");
		cp_clear_error();
		return NULL;
	}
	if (!json_object_object_get_ex(doc, "key", &k) || !json_object_object_get_ex(doc, "fact", &fact) ||
	    !json_object_is_type(fact, json_type_string)) {
		cp_verbose("cache entry %s/%s: malformed, ignored", cp_cache_path(c), CP_CACHE_SWTPM);
		json_object_put(doc);
		return NULL;
	}
	for (size_t i = 0; i < NKEYS; i++) {
		json_object *a, *b;

		if (!json_object_object_get_ex(k, key_names[i], &a) || !json_object_is_type(a, json_type_string) ||
		    !json_object_object_get_ex(key, key_names[i], &b) ||
		    strcmp(json_object_get_string(a), json_object_get_string(b)) != 0) {
			cp_verbose("swtpm: cache entry is stale: %s changed", key_names[i]);
			json_object_put(doc);
			return NULL;
		}
	}
	out = cp_strdup(json_object_get_string(fact));
	json_object_put(doc);
	return out;
}

static void store_fact(struct cp_cache *c, json_object *key, const char *setup, const char *fact)
{
	uint64_t cost;
	json_object *doc = json_object_new_object(), *caps = parse_priced(fact, &cost), *v;

	json_object_object_add(doc, "program", json_object_new_string(setup));
	if (json_object_object_get_ex(caps, "version", &v) && json_object_is_type(v, json_type_string))
		json_object_object_add(doc, "version", json_object_get(v));
	json_object_object_add(doc, "key", json_object_get(key));
	json_object_object_add(doc, "fact", json_object_new_string(fact));
	cp_cache_store_small(c, CP_CACHE_SWTPM, doc, false);	/* warns on failure; never fatal */
	json_object_put(caps);
	json_object_put(doc);
	cp_json_budget_give(cost);
}

/* One warning line, whatever the tool printed. */
static void warn_failed(void)
{
	char *m = cp_strdup(cp_last_error());

	for (char *q = m; *q; q++)
		if ((unsigned char)*q < ' ' || *q == 0x7f)
			*q = ' ';
	cp_warn("no TPM versions: swtpm_setup --print-capabilities failed: %s", m);
	free(m);
}

/* The live fact: nothing runs unless all three tools are there.  A failed
 * run is said and never cached: the next run asks again. */
static char *live_fact(struct cp_cache *c, bool refresh, int64_t deadline_ms)
{
	char *paths[T_COUNT], *fact = NULL;
	json_object *key = NULL;

	if (!find_tools(getenv("PATH"), paths)) {
		cp_verbose("swtpm: not in PATH");
		return cp_strdup("none\n");
	}
	/* keyed before swtpm_setup runs: a tool replaced meanwhile keys as
	 * the old one and runs again next time */
	if (c)
		key = key_of(paths, "tpms");
	if (key && !refresh && (fact = cached_fact(c, key))) {
		cp_verbose("swtpm: capabilities from the cache");
	} else {
		cp_verbose("swtpm: running %s --print-capabilities%s", paths[T_SETUP],
			   !c ? " (cache not used)" : refresh ? " (--refresh)" : "");
		fact = capabilities(paths[T_SETUP], deadline_ms);
		if (!fact) {
			warn_failed();
			cp_clear_error();
			fact = cp_strdup("{}\n");
		} else if (key) {
			store_fact(c, key, paths[T_SETUP], fact);
		}
	}
	json_object_put(key);
	for (int i = 0; i < T_COUNT; i++)
		free(paths[i]);
	return fact;
}

struct live_arg {
	struct cp_cache *cache;
	bool refresh;
	int64_t deadline_ms;
};

static int live_fact_fn(void *arg, char **text)
{
	struct live_arg *a = arg;

	*text = live_fact(a->cache, a->refresh, a->deadline_ms);
	return 0;
}

int cp_swtpm_get(const struct cp_root *r, struct cp_cache *c, bool refresh, int64_t deadline_ms,
		 struct cp_swtpm *out)
{
	struct live_arg arg = { c, refresh, deadline_ms };
	char *s = NULL;
	int rc = cp_fact(r, "swtpm", live_fact_fn, &arg, &s);

	memset(out, 0, sizeof(*out));
	if (rc < 0)
		return cp_fail(rc, "cannot read the recorded swtpm capabilities (fact swtpm): %s", strerror(-rc));
	rc = cp_swtpm_parse(s, out);
	free(s);
	return rc;
}
