#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include "host/arch.h"
#include "host/host.h"
#include "cache/lookup.h"
#include "probe/probe.h"
#include "qmp/process.h"
#include "qmp/replay.h"
#include "domcaps/resolve.h"
#include "domcaps/rules.h"
#include "domcaps/swtpm.h"
#include "util/err.h"
#include "util/hostdev.h"
#include "util/json.h"
#include "util/str.h"
#include "util/suggest.h"

#define REPLAY_DIR CP_FACTS_DIR "/qemu"

/* libvirt's domain type names: any other word is not a virttype at all. */
static const char *const virttypes[] = {
	"qemu", "kqemu", "kvm", "xen", "lxc", "uml", "openvz", "test", "vmware", "hyperv",
	"vbox", "phyp", "parallels", "bhyve", "vz", "hvf", NULL,
};

/* Arch relations, as pairs (a, b). */
static const char *const native_pairs[][2] = {
	{ "x86_64", "i686" }, { "aarch64", "armv7l" },
	{ "ppc64", "ppc64le" }, { "ppc64le", "ppc64" },
};
static const char *const supports_pairs[][2] = {
	{ "x86_64", "i686" }, { "aarch64", "armv7l" }, { "armv7l", "armv6l" }, { "ppc64", "ppc64le" },
};
static const char *const families[][6] = {
	{ "i686", "x86_64" },
	{ "ppc", "ppcle", "ppc64", "ppc64le", "ppcemb" },
	{ "armv6l", "armv7l", "armv7b", "aarch64" },
	{ "s390", "s390x" },
};

static bool in_pairs(const char *const (*pairs)[2], size_t n, const char *a, const char *b)
{
	if (strcmp(a, b) == 0)
		return true;
	for (size_t i = 0; i < n; i++)
		if (strcmp(pairs[i][0], a) == 0 && strcmp(pairs[i][1], b) == 0)
			return true;
	return false;
}

#define NPAIRS(p) (sizeof(p) / sizeof((p)[0]))

bool cp_arch_native(const char *host, const char *guest)
{
	return in_pairs(native_pairs, NPAIRS(native_pairs), host, guest);
}

bool cp_arch_binary_supports(const char *binary, const char *guest)
{
	return in_pairs(supports_pairs, NPAIRS(supports_pairs), binary, guest);
}

static int family_of(const char *a)
{
	for (size_t f = 0; f < NPAIRS(families); f++)
		for (size_t i = 0; i < 6 && families[f][i]; i++)
			if (strcmp(families[f][i], a) == 0)
				return (int)f;
	return -1;
}

bool cp_arch_same_family(const char *a, const char *b)
{
	return strcmp(a, b) == 0 || (family_of(a) >= 0 && family_of(a) == family_of(b));
}

/* ---- finding the emulator ---- */

static char *search_path(const char *name, const char *path_env,
			 bool (*exists)(const char *, void *), void *ctx)
{
	const char *p = path_env && *path_env ? path_env : "/usr/local/bin:/usr/bin:/bin";

	while (*p) {
		size_t len = strcspn(p, ":");

		/* like execvp, skip relative entries: the result is printed as <path> */
		if (len && p[0] == '/') {
			char *cand = cp_asprintf("%.*s/%s", (int)len, p, name);

			if (exists(cand, ctx))
				return cand;
			free(cand);
		}
		p += len;
		if (*p == ':')
			p++;
	}
	return NULL;
}

static const char *qemu_name(const char *arch)
{
	const struct cp_arch *a = cp_arch_find(arch);

	return a ? a->qemu_name : arch;
}

int cp_qemu_find_binary(const char *host_arch, const char *arch, const char *path_env,
			bool (*exists)(const char *path, void *ctx), void *ctx, char **out)
{
	bool native = host_arch && cp_arch_native(host_arch, arch);
	char name[64];

	*out = NULL;
	/* an aarch64 host runs armv7l guests with its own emulator first */
	if (host_arch && strcmp(host_arch, "aarch64") == 0 && strcmp(arch, "armv7l") == 0)
		*out = search_path("qemu-system-aarch64", path_env, exists, ctx);
	if (!*out) {
		snprintf(name, sizeof(name), "qemu-system-%s", qemu_name(arch));
		*out = search_path(name, path_env, exists, ctx);
	}
	if (!*out && native) {
		snprintf(name, sizeof(name), "qemu-system-%s",
			 strcmp(host_arch, "ppc64le") == 0 ? "ppc64" : qemu_name(host_arch));
		*out = search_path(name, path_env, exists, ctx);
	}
	if (!*out && native && exists("/usr/libexec/qemu-kvm", ctx))
		*out = cp_strdup("/usr/libexec/qemu-kvm");
	if (!*out)
		return cp_fail(-ENOENT, "unable to find any emulator to serve '%s' architecture", arch);
	return 0;
}

struct where {
	const struct cp_root *root;
};

static bool live_exists(const char *path, void *ctx)
{
	struct stat st;

	(void)ctx;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

static bool replay_exists(const char *path, void *ctx)
{
	const struct where *w = ctx;

	return cp_is_dir(w->root, REPLAY_DIR "%s", path) > 0;
}

/* ---- errors that help ---- */

/* "; did you mean 'x'?" when one of the n valid words is near word, else
 * "; valid: a, b, ..." listing them all.  The caller frees it. */
static char *hint(const char *word, const char *const *valid, size_t n)
{
	struct cp_suggest sg;
	struct cp_buf b = { 0 };
	char *near;

	cp_suggest_init(&sg, word);
	for (size_t i = 0; i < n; i++)
		cp_suggest_add(&sg, valid[i]);
	if ((near = cp_suggest_text(&sg, NULL))) {
		cp_buf_printf(&b, "; did you mean %s?", near);
		free(near);
		return cp_buf_steal(&b);
	}
	cp_buf_puts(&b, "; valid:");
	for (size_t i = 0; i < n; i++)
		cp_buf_printf(&b, "%s %s", i ? "," : "", valid[i]);
	return cp_buf_steal(&b);
}

/* ---- machines ---- */

static int natcmp_p(const void *a, const void *b)
{
	return cp_natcmp(*(const char *const *)a, *(const char *const *)b);
}

static bool names(json_object *m, const char *what)
{
	const char *name = cp_json_str(m, "name"), *alias = cp_json_str(m, "alias");

	return (name && strcmp(name, what) == 0) || (alias && strcmp(alias, what) == 0);
}

int cp_qemu_resolve_machine(json_object *machines, const char *binary_arch,
			    const char *want, const char *emulator, char **out)
{
	const struct cp_arch *a = cp_arch_find(binary_arch);
	const char *pref = a ? a->preferred_machine : NULL;
	size_t n = machines && json_object_is_type(machines, json_type_array) ?
		   json_object_array_length(machines) : 0;
	json_object *first = NULL, *preferred = NULL, *qdefault = NULL, *pick;

	*out = NULL;
	for (size_t i = 0; i < n; i++) {
		json_object *m = json_object_array_get_idx(machines, i);
		const char *name = cp_json_str(m, "name");

		/* "none" is how capsprobe started QEMU, never a guest machine */
		if (!name || strcmp(name, "none") == 0)
			continue;
		if (want && names(m, want)) {
			*out = cp_strdup(name);
			return 0;
		}
		if (!first)
			first = m;
		if (pref && !preferred && names(m, pref))
			preferred = m;
		if (!qdefault && cp_json_true(m, "is-default"))
			qdefault = m;
	}
	if (want) {
		/* libvirt's message, and the machines and aliases it has */
		const char **valid = cp_calloc(2 * n + 1, sizeof(*valid));
		size_t nvalid = 0;
		char *h;
		int rc;

		for (size_t i = 0; i < n; i++) {
			json_object *m = json_object_array_get_idx(machines, i);
			const char *name = cp_json_str(m, "name"), *alias = cp_json_str(m, "alias");

			if (name && strcmp(name, "none"))
				valid[nvalid++] = name;
			if (name && strcmp(name, "none") && alias)
				valid[nvalid++] = alias;
		}
		/* QEMU lists them in its hash table's order */
		qsort(valid, nvalid, sizeof(*valid), natcmp_p);
		h = nvalid ? hint(want, valid, nvalid) : cp_strdup("");
		rc = cp_fail(-ENOENT, "the machine '%s' is not supported by emulator '%s'%s", want, emulator, h);
		free(h);
		free(valid);
		return rc;
	}
	/* libvirt moves its preferred machine first, else QEMU's default */
	pick = preferred ? preferred : qdefault ? qdefault : first;
	if (pick)
		*out = cp_strdup(cp_json_str(pick, "name"));
	return 0;
}

/* ---- host facts ---- */

static const char *host_arch(const struct cp_root *r)
{
	struct cp_host h;

	memset(&h, 0, sizeof(h));
	if (cp_probe_arch(r, &h) < 0) {
		cp_clear_error();
		return NULL;
	}
	return h.cpu.arch;
}

/* The arch a binary is likely built for, from its name alone (a hint for
 * starting the TCG pass early; the probe decides). */
static const char *arch_guess(const char *binary, const char *host)
{
	const char *base = strrchr(binary, '/');

	base = base ? base + 1 : binary;
	if (strncmp(base, "qemu-system-", 12) == 0) {
		base += 12;
		if (strcmp(base, "i386") == 0)
			return "i686";
		if (strcmp(base, "arm") == 0)
			return "armv7l";
		for (size_t i = 0; i < cp_narches; i++)
			if (strcmp(cp_arches[i].name, base) == 0)
				return cp_arches[i].name;
		return NULL;
	}
	return host;	/* qemu-kvm and friends */
}

/* ---- replay ---- */

static bool ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);

	return a >= b && strcmp(s + a - b, suffix) == 0;
}

static int load_one(const struct cp_root *r, const char *binary, const char *name, struct cp_replay **out)
{
	char *text = NULL, *what;
	size_t len = 0;
	int rc = cp_read(r, &text, &len, REPLAY_DIR "%s/%s", binary, name);

	what = cp_asprintf(REPLAY_DIR "%s/%s", binary, name);
	if (rc < 0)
		rc = cp_fail(rc, "cannot read the recorded conversation %s: %s", what, strerror(-rc));
	else
		rc = cp_replay_load(text, len, what, out);
	free(what);
	free(text);
	return rc;
}

int cp_qemu_load_replays(const struct cp_root *r, const char *binary, bool kvm_fact,
			 struct cp_replay **p1, struct cp_replay **p2, bool *kvm1)
{
	struct cp_strv names = { 0 };
	const char *kvm = NULL, *plain = NULL, *tcg = NULL;
	int rc = cp_list(r, &names, REPLAY_DIR "%s", binary);

	*p1 = *p2 = NULL;
	if (rc < 0)
		return cp_fail(rc, "%s: no such file (nothing recorded in %s%s)", binary, REPLAY_DIR, binary);
	for (size_t i = 0; i < names.n; i++) {
		const char *n = names.v[i];

		if (!ends_with(n, ".replies") || n[0] == '.')
			continue;
		if (ends_with(n, "-kvm.replies"))
			kvm = kvm ? kvm : n;
		else if (ends_with(n, "-tcg.replies"))
			tcg = tcg ? tcg : n;
		else
			plain = plain ? plain : n;
	}
	/* a KVM recording serves a host where KVM works, a plain one the rest */
	*kvm1 = kvm && (kvm_fact || !plain);
	rc = -ENOENT;
	if (*kvm1 || plain)
		rc = load_one(r, binary, *kvm1 ? kvm : plain, p1);
	else
		cp_fail(rc, "%s: no recorded conversation in %s%s", binary, REPLAY_DIR, binary);
	if (rc == 0 && *kvm1 && tcg)
		rc = load_one(r, binary, tcg, p2);
	cp_strv_free(&names);
	if (rc < 0) {
		cp_replay_free(*p1);
		*p1 = NULL;
	}
	return rc;
}

/* ---- the whole request ---- */

static bool known(const char *const *list, const char *s)
{
	for (; *list; list++)
		if (strcmp(*list, s) == 0)
			return true;
	return false;
}

int cp_domain_check_args(const struct cp_domain_args *a)
{
	char *h;
	int rc;

	if (a->virttype && !known(virttypes, a->virttype)) {
		/* near any of libvirt's names; listed: the two QEMU takes here */
		static const char *const qemu_types[] = { "kvm", "qemu" };
		size_t n = sizeof(virttypes) / sizeof(virttypes[0]) - 1;

		h = hint(a->virttype, (const char *const *)virttypes, n);
		if (strncmp(h, "; valid:", 8) == 0) {
			free(h);
			h = hint(a->virttype, qemu_types, 2);
		}
		rc = cp_fail(-EINVAL, "unknown virttype: %s%s", a->virttype, h);
		free(h);
		return rc;
	}
	if (a->arch && !cp_arch_find(a->arch)) {
		const char **names = cp_calloc(cp_narches, sizeof(*names));

		for (size_t i = 0; i < cp_narches; i++)
			names[i] = cp_arches[i].name;
		h = hint(a->arch, names, cp_narches);
		rc = cp_fail(-EINVAL, "unknown architecture: %s%s", a->arch, h);
		free(h);
		free(names);
		return rc;
	}
	return 0;
}

/* Which virttype, checked against what the binary offers (libvirt's
 * messages). */
static int pick_virttype(const struct cp_domain_args *a, const struct cp_qemu_probe *p,
			 const char *bin, bool *kvm)
{
	const char *best = p->kvm ? "kvm" : p->tcg ? "qemu" : NULL;
	const char *vt = a->virttype ? a->virttype : best;

	if (!vt)
		return cp_fail(-ENOTSUP, "Emulator '%s' does not support virt type 'qemu'", bin);
	if (best && strcmp(best, "qemu") == 0 && strcmp(vt, "qemu")) {
		const char *accel = strcmp(vt, "kvm") == 0 || strcmp(vt, "hvf") == 0 ? vt : "tcg";

		return cp_fail(-ENOTSUP, "the accel '%s' is not supported by '%s' on this host", accel, bin);
	}
	if ((strcmp(vt, "kvm") == 0 && !p->kvm) || (strcmp(vt, "qemu") == 0 && !p->tcg) ||
	    (strcmp(vt, "kvm") && strcmp(vt, "qemu")))
		return cp_fail(-ENOTSUP, "Emulator '%s' does not support virt type '%s'", bin, vt);
	*kvm = strcmp(vt, "kvm") == 0;
	return 0;
}

/* swtpm for the rules: live through the cache, replayed from the tree. */
struct swtpm_src {
	const struct cp_root *root;
	struct cp_cache *cache;
	bool refresh;
	int64_t deadline_ms;	/* the whole probe's */
};

static int get_swtpm(void *ctx, struct cp_swtpm *out)
{
	const struct swtpm_src *s = ctx;

	return cp_swtpm_get(s->root, s->cache, s->refresh, s->deadline_ms, out);
}

int cp_domain_caps(const struct cp_domain_args *a, struct cp_domcaps *dc)
{
	struct cp_root *root = NULL;
	struct cp_qemu_probe p;
	struct cp_probe_req req = { 0 };
	struct cp_replay *rp1 = NULL, *rp2 = NULL;
	const char *harch, *arch;
	char *bin = NULL, *machine = NULL, *recdir = NULL;
	bool live = !a->sysroot, kvm_fact, kvm = false, probed = false;
	struct where w;
	int rc, recfd = -1;

	memset(&p, 0, sizeof(p));
	if ((rc = cp_domain_check_args(a)) < 0)
		return rc;
	if (a->record && (a->sysroot || a->record_qmp))
		return cp_fail(-EINVAL, "--record records a live probe: not with --sysroot or --record-qmp");
	if ((rc = cp_root_new(a->sysroot, &root)) < 0)
		return rc;
	if (a->record && (rc = cp_root_record_into(root, a->record)) < 0)
		goto out;
	w.root = root;
	harch = host_arch(root);
	kvm_fact = cp_host_kvm_usable(root);

	if (a->emulator) {
		bin = cp_strdup(a->emulator);
		if (live && (rc = cp_proc_check_binary(bin)) < 0)
			goto out;
	} else {
		const char *want = a->arch ? a->arch : harch;

		if (!want) {
			rc = cp_fail(-ENOENT, "unknown host architecture: give --arch or --emulator");
			goto out;
		}
		rc = cp_qemu_find_binary(harch, want, getenv("PATH"),
					 live ? live_exists : replay_exists, &w, &bin);
		if (rc < 0)
			goto out;
	}
	if ((rc = cp_proc_check_path_text(bin)) < 0)
		goto out;

	req.binary = bin;
	req.deadline_ms = cp_clock_ms() + (a->timeout_ms > 0 ? a->timeout_ms : CP_DOMAIN_TIMEOUT_MS);
	req.need_tcg = a->virttype && strcmp(a->virttype, "kvm");
	if (live) {
		const char *g = arch_guess(bin, harch);

		req.expect_kvm = kvm_fact && (!g || !harch || cp_arch_native(harch, g));
	} else {
		rc = cp_qemu_load_replays(root, bin, kvm_fact, &rp1, &rp2, &req.expect_kvm);
		if (rc < 0)
			goto out;
		req.replay1 = rp1;
		req.replay2 = rp2;
	}
	if (a->record_qmp) {
		if ((rc = cp_record_dir_open(a->record_qmp, false, &recfd)) < 0)
			goto out;
		req.record_dir = a->record_qmp;
		req.record_fd = recfd;
	}
	if (a->record) {
		/* the layout replay reads: DIR/capsprobe/qemu/<binary>/ */
		char *rel;

		if (bin[0] != '/') {
			rc = cp_fail(-EINVAL, "--record needs an absolute emulator path, not %s", bin);
			goto out;
		}
		rel = cp_asprintf("%s%s", REPLAY_DIR, bin);
		recdir = cp_asprintf("%s%s", a->record, rel);
		rc = cp_root_record_subdir(root, rel, &recfd);
		free(rel);
		if (rc < 0)
			goto out;
		req.record_dir = recdir;
		req.record_fd = recfd;
	}

	{
		bool from_cache;

		rc = cp_probe_cached(live ? a->cache : NULL, &req, a->refresh, &p, &from_cache);
	}
	if (rc < 0)
		goto out;
	probed = true;

	/* the emulator's arch must be the one asked for, or able to run it */
	arch = a->arch ? a->arch : p.arch;
	if (!cp_arch_same_family(p.arch, arch)) {
		rc = cp_fail(-EINVAL, "architecture from emulator '%s' doesn't match given architecture '%s'",
			     p.arch, arch);
		goto out;
	}
	if ((rc = pick_virttype(a, &p, bin, &kvm)) < 0)
		goto out;
	rc = cp_qemu_resolve_machine(cp_probe_answer(&p, kvm, CP_Q_MACHINES)->ret, p.arch,
				     a->machine, bin, &machine);
	if (rc < 0)
		goto out;
	if (!cp_arch_binary_supports(p.arch, arch)) {
		rc = cp_fail(-EINVAL, "Emulator '%s' does not support arch '%s'", bin, arch);
		goto out;
	}
	{
		struct swtpm_src sw = { .root = root, .cache = live ? a->cache : NULL, .refresh = a->refresh,
					.deadline_ms = req.deadline_ms };
		struct cp_dc_request dreq = {
			.arch = arch, .machine = machine, .kvm = kvm,
			.swtpm = get_swtpm, .swtpm_ctx = &sw,
		};
		bool priv;

		/* As libvirt's session daemon, an unprivileged run also reads
		 * the user's firmware descriptors (qemuInteropFetchConfigs);
		 * the system daemon does not read root's. */
		rc = cp_host_privileged(root, &priv);
		if (rc == -ENOENT && !live) {
			/* a recording made before the fact was recorded */
			cp_clear_error();
			priv = true;
		} else if (rc < 0) {
			goto out;
		}
		if (!priv) {
			dreq.xdg_config_home = getenv("XDG_CONFIG_HOME");
			dreq.home = getenv("HOME");
		}
		rc = cp_domcaps_build(root, &p, &dreq, dc);
	}
out:
	if (probed)
		cp_qemu_probe_free(&p);
	cp_replay_free(rp1);
	cp_replay_free(rp2);
	free(machine);
	free(recdir);
	if (recfd >= 0)
		close(recfd);
	free(bin);
	cp_root_free(root);
	return rc;
}
