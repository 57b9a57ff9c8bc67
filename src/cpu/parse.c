#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cpu/parse.h"
#include "host/arch.h"
#include "util/err.h"
#include "util/libxml.h"
#include "util/str.h"

/* libxml2's first error of a parse, for the one error line. */
struct parse_error {
	int line;
	char msg[256];
	bool set;
};

static void keep_first(void *ctx, xmlErrorPtr err)
{
	struct parse_error *pe = ctx;
	size_t n;

	if (pe->set || !err)
		return;
	pe->set = true;
	pe->line = err->line;
	snprintf(pe->msg, sizeof(pe->msg), "%s", err->message ? err->message : "malformed");
	n = strlen(pe->msg);
	while (n && (pe->msg[n - 1] == '\n' || pe->msg[n - 1] == ' '))
		pe->msg[--n] = '\0';
}

static void ignore(void *ctx, xmlErrorPtr err)
{
	(void)ctx;
	(void)err;
}

static bool is_elem(xmlNodePtr n, const char *name)
{
	return n->type == XML_ELEMENT_NODE && !n->ns && strcmp((const char *)n->name, name) == 0;
}

static xmlNodePtr first_child(xmlNodePtr n, const char *name)
{
	for (xmlNodePtr c = n->children; c; c = c->next)
		if (is_elem(c, name))
			return c;
	return NULL;
}

/* An attribute's value, NULL when absent (caller frees). */
static char *prop(xmlNodePtr n, const char *name)
{
	xmlChar *v = cp_lx.xmlGetProp(n, BAD_CAST name);
	char *s = v ? cp_strdup((const char *)v) : NULL;

	if (v)
		(*cp_lx.xmlFree)(v);
	return s;
}

/* XPath's string(./name[1]): the first such child's text, NULL when there
 * is none or it is empty (as libvirt's virXPathString). */
static char *child_text(xmlNodePtr n, const char *name)
{
	xmlNodePtr c = first_child(n, name);
	xmlChar *v;
	char *s = NULL;

	if (!c || !(v = cp_lx.xmlNodeGetContent(c)))
		return NULL;
	if (*v)
		s = cp_strdup((const char *)v);
	(*cp_lx.xmlFree)(v);
	return s;
}

/* An enumerated attribute: its index in names, or def when absent. */
static int prop_enum(xmlNodePtr n, const char *attr, const char *const *names, int def, int *out)
{
	char *v = prop(n, attr);

	*out = def;
	if (!v)
		return 0;
	for (int i = 0; names[i]; i++)
		if (strcmp(v, names[i]) == 0) {
			*out = i;
			free(v);
			return 0;
		}
	cp_fail(-EINVAL, "Invalid value for attribute '%s' in element '%s': '%s'", attr,
		(const char *)n->name, v);
	free(v);
	return -EINVAL;
}

static const char *const on_off[] = { "on", "off", NULL };

/* virCPUDefParseXML on one node (forced_guest: a domain capabilities'
 * host-model, which virsh strips of its attributes first). */
static int parse_cpu(xmlNodePtr node, enum cp_cpu_parse_as as, bool forced_guest, struct cp_cpu_def *d)
{
	bool has_arch = first_child(node, "arch") != NULL;
	xmlNodePtr mp;
	char *s = NULL;
	int rc = -EINVAL, v, nfeat = 0;

	*d = (struct cp_cpu_def){ .type = CP_CPU_GUEST };
	if (!forced_guest && has_arch) {
		if (as == CP_PARSE_AUTO && (s = prop(node, "match"))) {
			cp_fail(rc, "'arch' element cannot be used inside 'cpu' element with 'match' attribute'");
			goto out;
		}
		d->type = CP_CPU_HOST;
	}

	if (!forced_guest && (s = prop(node, "mode"))) {
		if (d->type == CP_CPU_HOST) {
			cp_fail(rc, "Attribute mode is only allowed for guest CPU");
			goto out;
		}
		for (d->mode = 0; cp_cpu_mode_names[d->mode] && strcmp(s, cp_cpu_mode_names[d->mode]); d->mode++)
			;
		if (!cp_cpu_mode_names[d->mode]) {
			cp_fail(rc, "Invalid mode attribute '%s'", s);
			goto out;
		}
	}
	free(s);
	s = NULL;
	if (!forced_guest) {
		if (prop_enum(node, "migratable", on_off, -1, &v) < 0)
			goto out;
		if (v >= 0 && d->mode != CP_MODE_HOST_PASSTHROUGH && d->mode != CP_MODE_MAXIMUM) {
			cp_fail(rc, "Attribute migratable is only allowed for 'host-passthrough' / 'maximum' CPU mode");
			goto out;
		}
		if (d->type == CP_CPU_GUEST &&
		    (prop_enum(node, "match", cp_cpu_match_names, CP_MATCH_EXACT, &d->match) < 0 ||
		     prop_enum(node, "check", cp_cpu_check_names, 0, &d->check) < 0 ||
		     prop_enum(node, "deprecated_features", on_off, -1, &v) < 0))
			goto out;
	}

	if (d->type == CP_CPU_HOST) {
		if (!(d->arch = child_text(node, "arch"))) {
			cp_fail(rc, "Missing CPU architecture");
			goto out;
		}
		if (!cp_arch_find(d->arch)) {
			cp_fail(rc, "Unknown architecture %s", d->arch);
			goto out;
		}
	}
	d->model = child_text(node, "model");
	if (!d->model && d->type == CP_CPU_HOST) {
		cp_fail(rc, "Missing CPU model name");
		goto out;
	}
	if (d->type == CP_CPU_GUEST && d->mode != CP_MODE_HOST_PASSTHROUGH && d->mode != CP_MODE_MAXIMUM) {
		xmlNodePtr m = first_child(node, "model");

		if (m && (s = prop(m, "fallback"))) {
			for (d->fallback = 0; cp_cpu_fallback_names[d->fallback] &&
			     strcmp(s, cp_cpu_fallback_names[d->fallback]); d->fallback++)
				;
			if (!cp_cpu_fallback_names[d->fallback]) {
				cp_fail(rc, "Invalid fallback attribute");
				goto out;
			}
			free(s);
		}
		if (m && (s = prop(m, "vendor_id"))) {
			if (strlen(s) != 12) {
				cp_fail(rc, "vendor_id must be exactly 12 characters long");
				goto out;
			}
			if (strchr(s, ',')) {
				cp_fail(rc, "vendor id is invalid");
				goto out;
			}
		}
	}
	free(s);
	s = NULL;
	d->vendor = child_text(node, "vendor");
	if (d->vendor && !d->model) {
		cp_fail(rc, "CPU vendor specified without CPU model");
		goto out;
	}

	for (xmlNodePtr c = node->children; c; c = c->next)
		nfeat += is_elem(c, "feature");
	if (nfeat && !d->model && d->type == CP_CPU_GUEST && d->mode == CP_MODE_CUSTOM) {
		cp_fail(rc, "Non-empty feature list specified without CPU model");
		goto out;
	}
	for (xmlNodePtr c = node->children; c; c = c->next) {
		int policy = CP_POLICY_NONE;

		if (!is_elem(c, "feature"))
			continue;
		if (d->type == CP_CPU_GUEST) {
			policy = CP_POLICY_REQUIRE;
			if ((s = prop(c, "policy"))) {
				for (policy = 0; cp_cpu_policy_names[policy] && strcmp(s, cp_cpu_policy_names[policy]);
				     policy++)
					;
				if (!cp_cpu_policy_names[policy]) {
					cp_fail(rc, "Invalid CPU feature policy");
					goto out;
				}
				free(s);
			}
		}
		s = prop(c, "name");
		if (!s || !*s) {
			cp_fail(rc, "Invalid CPU feature name");
			goto out;
		}
		if (cp_cpu_def_find_feature(d, s)) {
			cp_fail(rc, "CPU feature '%s' specified more than once", s);
			goto out;
		}
		cp_cpu_def_add_feature(d, s, policy);
		free(s);
		s = NULL;
	}
	/* <maxphysaddr>: only its limit is used (a hypervisor baseline keeps
	 * the smallest), but a malformed one is refused as libvirt does */
	if ((mp = first_child(node, "maxphysaddr"))) {
		char *end;
		unsigned long v;
		bool passthrough;

		if (!(s = prop(mp, "mode"))) {
			cp_fail(rc, "Missing required attribute 'mode' in element 'maxphysaddr'");
			goto out;
		}
		if (strcmp(s, "passthrough") != 0 && strcmp(s, "emulate") != 0) {
			cp_fail(rc, "Invalid value for attribute 'mode' in element 'maxphysaddr': '%s'.", s);
			goto out;
		}
		passthrough = strcmp(s, "passthrough") == 0;
		free(s);
		if ((s = prop(mp, "limit"))) {
			errno = 0;
			v = strtoul(s, &end, 10);
			if (!*s || *end || errno || v == 0 || v > UINT_MAX || *s == '-' || *s == '+') {
				cp_fail(rc, "Invalid value for attribute 'limit' in element 'maxphysaddr': '%s'. "
					"Expected non-zero integer value", s);
				goto out;
			}
			if (!passthrough) {
				cp_fail(rc, "attribute 'limit' is only supported for maxphysaddr mode 'passthrough'");
				goto out;
			}
			d->addr_limit = (unsigned)v;
			free(s);
		}
		s = NULL;
	}
	rc = 0;
out:
	free(s);
	if (rc < 0)
		cp_cpu_def_free(d);
	return rc;
}

void cp_cpu_defs_free(struct cp_cpu_def *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		cp_cpu_def_free(&v[i]);
	free(v);
}

struct found {
	xmlNodePtr *v;
	char **arch;			/* a domain capabilities' <arch>, else NULL */
	size_t n;
};

static void add_node(struct found *f, xmlNodePtr n, char *arch)
{
	f->v = cp_realloc(f->v, (f->n + 1) * sizeof(*f->v));
	f->arch = cp_realloc(f->arch, (f->n + 1) * sizeof(*f->arch));
	f->v[f->n] = n;
	f->arch[f->n++] = arch;
}

/* virsh's /container/cpu | /container/domain/cpu |
 * /container/capabilities/host/cpu |
 * /container/domainCapabilities/cpu/mode[@name='host-model' and
 * @supported='yes'], in document order. */
static void find_cpus(xmlNodePtr root, struct found *f)
{
	for (xmlNodePtr c = root->children; c; c = c->next) {
		if (is_elem(c, "cpu")) {
			add_node(f, c, NULL);
		} else if (is_elem(c, "domain")) {
			for (xmlNodePtr k = c->children; k; k = k->next)
				if (is_elem(k, "cpu"))
					add_node(f, k, NULL);
		} else if (is_elem(c, "capabilities")) {
			for (xmlNodePtr h = c->children; h; h = h->next)
				if (is_elem(h, "host"))
					for (xmlNodePtr k = h->children; k; k = k->next)
						if (is_elem(k, "cpu"))
							add_node(f, k, NULL);
		} else if (is_elem(c, "domainCapabilities")) {
			for (xmlNodePtr k = c->children; k; k = k->next) {
				if (!is_elem(k, "cpu"))
					continue;
				for (xmlNodePtr m = k->children; m; m = m->next) {
					char *name, *sup;
					bool hm;

					if (!is_elem(m, "mode"))
						continue;
					name = prop(m, "name");
					sup = prop(m, "supported");
					hm = name && sup && strcmp(name, "host-model") == 0 && strcmp(sup, "yes") == 0;
					free(name);
					free(sup);
					if (hm)
						add_node(f, m, child_text(c, "arch"));
				}
			}
		}
	}
}

int cp_cpu_parse_text(const char *text, size_t len, const char *name, enum cp_cpu_parse_as as,
		      struct cp_cpu_def **out, size_t *n)
{
	struct parse_error pe = { 0 };
	struct found f = { 0 };
	struct cp_buf b = { 0 };
	const char *doc = text, *end;
	xmlDocPtr xd;
	int rc;

	*out = NULL;
	*n = 0;
	if ((rc = cp_libxml_load("reading CPU definitions")) < 0)
		return rc;
	if (memchr(text, '\0', len))
		return cp_fail(-EINVAL, "%s: not an XML document (it holds a NUL byte)", name);
	/* an XML declaration cannot follow the wrapper's start tag */
	if (len >= 5 && memcmp(text, "<?xml", 5) == 0 && (end = strstr(text, "?>")))
		doc = end + 2;
	cp_buf_puts(&b, "<container>");
	cp_buf_add(&b, doc, len - (size_t)(doc - text));
	cp_buf_puts(&b, "</container>");
	cp_lx.xmlSetStructuredErrorFunc(&pe, keep_first);
	xd = cp_lx.xmlReadMemory(b.s, (int)b.len, name, NULL, XML_PARSE_NONET);
	cp_lx.xmlSetStructuredErrorFunc(NULL, ignore);
	cp_buf_free(&b);
	if (!xd) {
		if (pe.set)
			return cp_fail(-EINVAL, "%s: not a well-formed XML document: line %d: %s", name, pe.line, pe.msg);
		return cp_fail(-EINVAL, "%s: not a well-formed XML document", name);
	}
	find_cpus(cp_lx.xmlDocGetRootElement(xd), &f);
	if (f.n == 0) {
		rc = cp_fail(-EINVAL, "%s does not contain any <cpu> element or valid domain XML, host "
			     "capabilities XML, or domain capabilities XML", name);
		goto done;
	}
	*out = cp_calloc(f.n, sizeof(**out));
	for (size_t i = 0; i < f.n; i++) {
		bool dc = f.v[i]->name && strcmp((const char *)f.v[i]->name, "mode") == 0;

		if ((rc = parse_cpu(f.v[i], as, dc, &(*out)[i])) < 0) {
			char *msg = cp_strdup(cp_last_error());

			if (f.n > 1)
				cp_fail(rc, "%s: CPU %zu of %zu: %s", name, i + 1, f.n, msg);
			else
				cp_fail(rc, "%s: %s", name, msg);
			free(msg);
			cp_cpu_defs_free(*out, i);
			*out = NULL;
			goto done;
		}
		if (dc && as == CP_PARSE_BASELINE && f.arch[i]) {
			(*out)[i].arch = f.arch[i];
			f.arch[i] = NULL;
		}
	}
	*n = f.n;
	rc = 0;
done:
	for (size_t i = 0; i < f.n; i++)
		free(f.arch[i]);
	free(f.arch);
	free(f.v);
	cp_lx.xmlFreeDoc(xd);
	return rc;
}

int cp_cpu_parse_file(const char *path, enum cp_cpu_parse_as as, struct cp_cpu_def **out, size_t *n)
{
	struct cp_buf b = { 0 };
	int fd, rc = 0;

	*out = NULL;
	*n = 0;
	fd = strcmp(path, "-") == 0 ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return cp_fail(-errno, "cannot open %s: %s", path, strerror(errno));
	cp_buf_add(&b, "", 0);
	for (;;) {
		char chunk[65536];
		ssize_t got = read(fd, chunk, sizeof(chunk));

		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			rc = cp_fail(-errno, "cannot read %s: %s", path, strerror(errno));
			break;
		}
		if (got == 0)
			break;
		if (b.len + (size_t)got > CP_CPU_MAX_INPUT) {
			rc = cp_fail(-EFBIG, "%s is larger than %u MiB", path, CP_CPU_MAX_INPUT >> 20);
			break;
		}
		cp_buf_add(&b, chunk, (size_t)got);
	}
	if (fd != STDIN_FILENO)
		close(fd);
	if (rc == 0)
		rc = cp_cpu_parse_text(b.s, b.len, path, as, out, n);
	cp_buf_free(&b);
	return rc;
}
