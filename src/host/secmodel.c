#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "host/host.h"
#include "host/secmodel.h"

/* The QEMU driver's security stack (qemuSecurityInit, listed by
 * virQEMUDriverCreateCapabilities): the configured or
 * first enabled primary driver (selinux, apparmor, none), then DAC when
 * the daemon would be privileged. */

/* --- qemu.conf ----------------------------------------------------------
 * libvirt's config syntax: NAME = VALUE, VALUE a "string" or 'string', a
 * number or a [list] (which may span lines); '#' starts a comment. */

struct lexer {
	const char *p;
};

static void skip_space(struct lexer *lx, bool newlines)
{
	for (;;) {
		if (*lx->p == '#') {
			while (*lx->p && *lx->p != '\n')
				lx->p++;
		} else if (*lx->p == ' ' || *lx->p == '\t' || *lx->p == '\r' ||
			   (newlines && *lx->p == '\n')) {
			lx->p++;
		} else {
			return;
		}
	}
}

static int lex_string(struct lexer *lx, char **out)
{
	char q = *lx->p++;
	const char *start = lx->p;

	while (*lx->p && *lx->p != q && *lx->p != '\n')
		lx->p++;
	if (*lx->p != q)
		return -EINVAL;
	*out = cp_strndup(start, (size_t)(lx->p - start));
	lx->p++;
	return 0;
}

/* A value; strings are returned, numbers skipped (*out stays NULL). */
static int lex_scalar(struct lexer *lx, char **out)
{
	*out = NULL;
	if (*lx->p == '"' || *lx->p == '\'')
		return lex_string(lx, out);
	if (*lx->p == '-' || *lx->p == '+')
		lx->p++;
	if (!isdigit((unsigned char)*lx->p))
		return -EINVAL;
	while (isalnum((unsigned char)*lx->p))
		lx->p++;
	return 0;
}

static int parse_value(struct lexer *lx, char **str, struct cp_strv *list, bool *is_list)
{
	int rc;

	*is_list = *lx->p == '[';
	if (!*is_list)
		return lex_scalar(lx, str);
	lx->p++;
	for (;;) {
		char *item;

		skip_space(lx, true);
		if (*lx->p == ']') {
			lx->p++;
			return 0;
		}
		if ((rc = lex_scalar(lx, &item)) < 0)
			return rc;
		if (item)
			cp_strv_push(list, item);
		skip_space(lx, true);
		if (*lx->p == ',')
			lx->p++;
		else if (*lx->p != ']')
			return -EINVAL;
	}
}

static void set_str(char **dst, char *src)
{
	free(*dst);
	*dst = src;
}

int cp_qemu_conf_parse(const char *text, struct cp_qemu_conf *conf)
{
	struct lexer lx = { text };

	*conf = (struct cp_qemu_conf){ 0 };
	for (;;) {
		struct cp_strv list = { 0 };
		const char *name;
		size_t nlen;
		char *str = NULL;
		bool is_list;
		int rc;

		skip_space(&lx, true);
		if (!*lx.p)
			return 0;
		name = lx.p;
		while (isalnum((unsigned char)*lx.p) || *lx.p == '_' || *lx.p == '.')
			lx.p++;
		nlen = (size_t)(lx.p - name);
		skip_space(&lx, false);
		if (nlen == 0 || *lx.p != '=')
			goto bad;
		lx.p++;
		skip_space(&lx, false);
		rc = parse_value(&lx, &str, &list, &is_list);
		skip_space(&lx, false);
		if (rc < 0 || (*lx.p && *lx.p != '\n' && *lx.p != ';')) {
			free(str);
			cp_strv_free(&list);
			goto bad;
		}
		if (*lx.p)
			lx.p++;
		if (nlen == 4 && strncmp(name, "user", 4) == 0 && str) {
			set_str(&conf->user, str);
		} else if (nlen == 5 && strncmp(name, "group", 5) == 0 && str) {
			set_str(&conf->group, str);
		} else if (nlen == 15 && strncmp(name, "security_driver", 15) == 0) {
			cp_strv_free(&conf->security_driver);
			if (str)
				cp_strv_push(&conf->security_driver, str);
			else
				conf->security_driver = list;
			continue;
		} else {
			free(str);
		}
		cp_strv_free(&list);
	}
bad:
	cp_qemu_conf_free(conf);
	return -EINVAL;
}

void cp_qemu_conf_free(struct cp_qemu_conf *conf)
{
	free(conf->user);
	free(conf->group);
	cp_strv_free(&conf->security_driver);
	*conf = (struct cp_qemu_conf){ 0 };
}

/* --- users and groups ---------------------------------------------------
 * Read from the root's /etc/passwd and /etc/group, not through NSS, so a
 * recorded tree answers for the machine it was recorded on. */

static int db_lookup(const struct cp_root *r, const char *db, const char *name, uint32_t *id)
{
	char *text, *line, *save = NULL;
	size_t nlen = strlen(name);
	int rc;

	if ((rc = cp_read(r, &text, NULL, "%s", db)) < 0)
		return rc;
	rc = -ENOENT;
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *f2, *f3, *end;
		uint64_t v;

		/* name:password:id:... */
		if (strncmp(line, name, nlen) != 0 || line[nlen] != ':')
			continue;
		f2 = strchr(line + nlen + 1, ':');
		if (!f2)
			continue;
		f3 = f2 + 1;
		end = strchr(f3, ':');
		if (end)
			*end = '\0';
		if (cp_parse_u64(f3, 10, false, &v) == 0 && v <= UINT32_MAX) {
			*id = (uint32_t)v;
			rc = 0;
			break;
		}
	}
	free(text);
	return rc;
}

static int resolve(const struct cp_root *r, const char *db, const char *spec, uint32_t *id)
{
	uint64_t v;

	if (*spec == '+') {
		spec++;
	} else if (*spec && db_lookup(r, db, spec, id) == 0) {
		return 0;
	}
	/* libvirt falls back to reading an unknown name as a number */
	if (cp_parse_u64(spec, 10, false, &v) < 0 || v > UINT32_MAX)
		return -ENOENT;
	*id = (uint32_t)v;
	return 0;
}

int cp_resolve_user(const struct cp_root *r, const char *user, uint32_t *uid)
{
	return resolve(r, "/etc/passwd", user, uid);
}

int cp_resolve_group(const struct cp_root *r, const char *group, uint32_t *gid)
{
	return resolve(r, "/etc/group", group, gid);
}

/* --- primary drivers ---------------------------------------------------- */

static struct cp_secmodel *add_model(struct cp_host *h, const char *name)
{
	struct cp_secmodel *s;

	h->secmodels = cp_realloc(h->secmodels, (h->nsecmodels + 1) * sizeof(*h->secmodels));
	s = &h->secmodels[h->nsecmodels++];
	*s = (struct cp_secmodel){ .model = cp_strdup(name), .doi = cp_strdup("0") };
	return s;
}

/* libselinux's is_selinux_enabled(): a selinuxfs is mounted read-write at
 * /sys/fs/selinux (or the old /selinux) and /etc/selinux/config exists.
 * libselinux asks statfs(); through the path layer, selinuxfs's own
 * "enforce" file shows the mount, and the mount table its flags (a
 * read-only selinuxfs is how containers hide SELinux).  The table is read
 * only then, so recordings of other hosts do not carry it. */
static bool selinuxfs_rw(const struct cp_root *r, const char *dir)
{
	char *mounts, *line, *save = NULL;
	bool rw = true;

	if (cp_exists(r, "%s/enforce", dir) != 1)
		return false;
	if (cp_read(r, &mounts, NULL, "/proc/mounts") < 0)
		return true;
	for (line = strtok_r(mounts, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char dev[256], mnt[4096], type[64], opts[1024];

		/* the last matching mount is the visible one */
		if (sscanf(line, "%255s %4095s %63s %1023s", dev, mnt, type, opts) == 4 &&
		    strcmp(type, "selinuxfs") == 0 && strcmp(mnt, dir) == 0)
			rw = strcmp(opts, "rw") == 0 || cp_startswith(opts, "rw,");
	}
	free(mounts);
	return rw;
}

static bool selinux_enabled(const struct cp_root *r)
{
	return (selinuxfs_rw(r, "/sys/fs/selinux") || selinuxfs_rw(r, "/selinux")) &&
	       cp_exists(r, "/etc/selinux/config") == 1;
}

/* SELINUXTYPE from /etc/selinux/config; libselinux's default is targeted. */
static char *selinux_type(const struct cp_root *r)
{
	char *text, *line, *save = NULL, *type = NULL;

	if (cp_read(r, &text, NULL, "/etc/selinux/config") < 0)
		return cp_strdup("targeted");
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		while (isspace((unsigned char)*line))
			line++;
		if (cp_startswith(line, "SELINUXTYPE=")) {
			free(type);
			type = cp_strdup(cp_rstrip(line + 12));
		}
	}
	free(text);
	if (!type || !*type || strchr(type, '/')) {
		free(type);
		type = cp_strdup("targeted");
	}
	return type;
}

/* Base labels: kvm is the first line of virtual_domain_context, qemu the
 * second when there is one (TCG domains get their own type). */
static void selinux_model(const struct cp_root *r, struct cp_host *h)
{
	struct cp_secmodel *s = add_model(h, "selinux");
	char *type = selinux_type(r), *text, *nl;

	if (cp_read(r, &text, NULL, "/etc/selinux/%s/contexts/virtual_domain_context", type) < 0) {
		cp_warn("SELinux policy %s has no readable virtual_domain_context; no base labels", type);
		free(type);
		return;
	}
	free(type);
	nl = strchr(text, '\n');
	if (nl) {
		char *second = nl + 1, *nl2 = strchr(second, '\n');

		*nl = '\0';
		if (nl2)
			*nl2 = '\0';
		if (*second)
			s->label_qemu = cp_strdup(second);
	}
	s->label_kvm = cp_strdup(text);
	if (!s->label_qemu)
		s->label_qemu = cp_strdup(text);
	free(text);
}

/* libvirt checks that its own daemon is confined in enforce mode (by full
 * path, then by the name "libvirtd") and that both its profile templates
 * exist.  We cannot be the daemon, so either daemon's profile counts. */
static bool apparmor_enabled(const struct cp_root *r)
{
	char *profiles;
	bool confined;

	if (cp_read(r, &profiles, NULL, "/sys/kernel/security/apparmor/profiles") < 0)
		return false;
	confined = strstr(profiles, "libvirtd (enforce)") || strstr(profiles, "virtqemud (enforce)");
	free(profiles);
	return confined && cp_exists(r, "/etc/apparmor.d/libvirt/TEMPLATE.qemu") == 1 &&
	       cp_exists(r, "/etc/apparmor.d/libvirt/TEMPLATE.lxc") == 1;
}

static int privileged_live(void *arg, char **text)
{
	(void)arg;
	*text = cp_strdup(geteuid() == 0 ? "1\n" : "0\n");
	return 0;
}

int cp_host_privileged(const struct cp_root *r, bool *priv)
{
	char *s;
	int rc = cp_fact(r, "privileged", privileged_live, NULL, &s);

	if (rc < 0)
		return cp_fail(rc, "cannot tell whether the host run is privileged (fact privileged): %s",
			       strerror(-rc));
	cp_rstrip(s);
	*priv = strcmp(s, "1") == 0;
	rc = *priv || strcmp(s, "0") == 0 ? 0 : cp_fail(-EINVAL, "recorded " CP_FACTS_DIR "/privileged is not 0 or 1");
	free(s);
	return rc;
}

/* Build defaults for the QEMU user and group: Debian's, then Fedora's and
 * RHEL's, so that recordings of either family come out as their libvirt
 * would print them. */
static const char *const default_ids[][2] = {
	{ "libvirt-qemu", "libvirt-qemu" },
	{ "qemu", "qemu" },
};

static void dac_model(const struct cp_root *r, const struct cp_qemu_conf *conf, struct cp_host *h)
{
	struct cp_secmodel *s;
	uint32_t uid = 0, gid = 0;
	bool found = false;

	if (conf->user || conf->group) {
		/* an unset half takes the build default */
		const char *user = conf->user ? conf->user : default_ids[0][0];
		const char *group = conf->group ? conf->group : default_ids[0][1];

		if (cp_resolve_user(r, user, &uid) < 0 || cp_resolve_group(r, group, &gid) < 0) {
			/* libvirt's QEMU driver refuses to start; we still describe
			 * the host, without the DAC model. */
			cp_warn("qemu.conf user '%s' or group '%s' is unknown; no dac secmodel", user, group);
			return;
		}
		found = true;
	}
	for (size_t i = 0; !found && i < sizeof(default_ids) / sizeof(default_ids[0]); i++)
		found = cp_resolve_user(r, default_ids[i][0], &uid) == 0 &&
			cp_resolve_group(r, default_ids[i][1], &gid) == 0;
	if (!found) {
		cp_verbose("no QEMU user (libvirt-qemu or qemu) on this host; no dac secmodel");
		return;
	}
	s = add_model(h, "dac");
	s->label_kvm = cp_asprintf("+%u:+%u", (unsigned)uid, (unsigned)gid);
	s->label_qemu = cp_strdup(s->label_kvm);
}

int cp_probe_secmodel(const struct cp_root *r, struct cp_host *h)
{
	struct cp_qemu_conf conf = { 0 };
	bool priv;
	char *text;
	int rc;

	if ((rc = cp_host_privileged(r, &priv)) < 0)
		return rc;
	rc = cp_read(r, &text, NULL, "/etc/libvirt/qemu.conf");
	if (rc == 0) {
		if (cp_qemu_conf_parse(text, &conf) < 0)
			cp_warn("cannot parse /etc/libvirt/qemu.conf; using defaults");
		free(text);
	}
	if (conf.security_driver.n) {
		for (size_t i = 0; i < conf.security_driver.n; i++) {
			const char *d = conf.security_driver.v[i];

			if (strcmp(d, "selinux") == 0)
				selinux_model(r, h);
			else if (strcmp(d, "apparmor") == 0 || strcmp(d, "none") == 0)
				add_model(h, d);
			else
				cp_warn("qemu.conf security_driver '%s' is unknown; ignored", d);
		}
	} else if (selinux_enabled(r)) {
		selinux_model(r, h);
	} else if (apparmor_enabled(r)) {
		add_model(h, "apparmor");
	} else {
		add_model(h, "none");
	}
	if (priv)
		dac_model(r, &conf, h);
	cp_qemu_conf_free(&conf);
	return 0;
}
