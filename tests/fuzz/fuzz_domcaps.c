/* Fuzz target: every QEMU answer the rules interpret.  The input is a
 * probe (struct cp_qemu_probe) in a line layout that mutates well:
 *
 *   ARCH VIRTTYPE MACHINE                     the request; "-" = default
 *   {"binary":...,"arch":...,"version":N,"kvm":B,"tcg":B,
 *    "pass1":{"ran":B,"accel":S,"kvm":B},"pass2":{...}}     (one line)
 *   {"p":1,"q":"machines","ret":...[,"class":S,"desc":S]}   one per answer
 *
 * The lines are assembled into the serialized probe of cache/entry.h and
 * read with cp_probe_from_json() (what a cache load does), then run through
 * what `capsprobe domain` does after probing (resolve.c: arch family,
 * virttype, machine resolution; rules.c against the recorded domain host
 * tree; the XML printer) and through the <guest> code (guests.c). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include "fuzz.h"
#include "model/host.h"
#include "cache/store.h"
#include "model/domcaps.h"
#include "guests/guests.h"
#include "probe/probe.h"
#include "domcaps/resolve.h"
#include "domcaps/rules.h"
#include "xml/domcaps.h"

static struct cp_root *root;

static json_object *parse_line(const char *s, size_t len)
{
	struct json_tokener *tok = json_tokener_new_ex(64);
	json_object *o = json_tokener_parse_ex(tok, s, (int)len);

	if (o && !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		o = NULL;
	}
	json_tokener_free(tok);
	return o;
}

/* The pass object named by an answer line, with its "answers" member. */
static json_object *answers_of(json_object *probe, json_object *line)
{
	json_object *p, *pass, *ans;

	if (!json_object_object_get_ex(line, "p", &p) || !json_object_is_type(p, json_type_int))
		return NULL;
	if (!json_object_object_get_ex(probe, json_object_get_int(p) == 2 ? "pass2" : "pass1", &pass) ||
	    !json_object_is_type(pass, json_type_object))
		return NULL;
	if (!json_object_object_get_ex(pass, "answers", &ans)) {
		ans = json_object_new_object();
		json_object_object_add(pass, "answers", ans);
	}
	return json_object_is_type(ans, json_type_object) ? ans : NULL;
}

static json_object *assemble(const char *body)
{
	const char *nl = strchr(body, '\n');
	json_object *probe = parse_line(body, nl ? (size_t)(nl - body) : strlen(body));

	while (probe && nl) {
		const char *s = nl + 1;
		json_object *line, *q, *ans;

		nl = strchr(s, '\n');
		line = parse_line(s, nl ? (size_t)(nl - s) : strlen(s));
		if (line && json_object_object_get_ex(line, "q", &q) && json_object_is_type(q, json_type_string) &&
		    (ans = answers_of(probe, line)))
			json_object_object_add(ans, json_object_get_string(q), json_object_get(line));
		json_object_put(line);
	}
	return probe;
}

static const char *word(char **p)
{
	char *w = strsep(p, " ");

	return !w || !*w || !strcmp(w, "-") ? NULL : w;
}

/* resolve.c's pick_virttype(): NULL when the binary cannot serve it. */
static const char *virttype(const struct cp_qemu_probe *p, const char *vt)
{
	const char *best = p->kvm ? "kvm" : p->tcg ? "qemu" : NULL;

	vt = vt ? vt : best;
	if (!vt || (best && !strcmp(best, "qemu") && strcmp(vt, "qemu")))
		return NULL;
	if ((!strcmp(vt, "kvm") && !p->kvm) || (!strcmp(vt, "qemu") && !p->tcg) ||
	    (strcmp(vt, "kvm") && strcmp(vt, "qemu")))
		return NULL;
	return vt;
}

static void domain(const struct cp_qemu_probe *p, const char *arch, const char *vt, const char *want)
{
	struct cp_dc_request req = { 0 };
	struct cp_domcaps dc;
	char *machine = NULL;

	/* the order of cp_domain_caps() after its probe */
	arch = arch ? arch : p->arch;
	if (!cp_arch_same_family(p->arch, arch) || !(vt = virttype(p, vt)))
		return;
	req.kvm = !strcmp(vt, "kvm");
	if (cp_qemu_resolve_machine(cp_probe_answer(p, req.kvm, CP_Q_MACHINES)->ret, p->arch, want,
				    p->binary, &machine) < 0)
		return;
	if (cp_arch_binary_supports(p->arch, arch)) {
		req.arch = arch;
		req.machine = machine;
		cp_domcaps_init(&dc);
		if (cp_domcaps_build(root, p, &req, &dc) == 0) {
			char *xml = cp_domcaps_format(&dc, CP_DOC_XML);

			if (getenv("FUZZ_DEBUG"))
				fprintf(stderr, "%s %s %s: %zu bytes\n", arch, vt, machine, strlen(xml));
			free(xml);
		} else if (getenv("FUZZ_DEBUG")) {
			fprintf(stderr, "build: %s\n", cp_last_error());
		}
		cp_domcaps_free(&dc);
	}
	free(machine);
}

static void guest(const struct cp_qemu_probe *p, const char *arch)
{
	struct cp_host h = { 0 };

	h.guests = cp_calloc(1, sizeof(*h.guests));
	h.nguests = 1;
	cp_guest_from_probe(arch ? arch : p->arch ? p->arch : "x86_64", p->binary, p, &h.guests[0]);
	cp_host_free_guests(&h);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_str(data, size), *nl = strchr(s, '\n'), *hdr = s;
	const char *arch, *vt, *want;
	struct cp_qemu_probe p;
	json_object *o;

	root = fuzz_host_root();
	if (!nl)
		goto out;
	*nl = '\0';
	arch = word(&hdr);
	vt = word(&hdr);
	want = word(&hdr);
	if (!(o = assemble(nl + 1)))
		goto out;
	if (cp_probe_from_json(o, &p) == 0) {
		domain(&p, arch, vt, want);
		guest(&p, arch);
		cp_qemu_probe_free(&p);
	}
	json_object_put(o);
out:
	cp_clear_error();
	free(s);
	return 0;
}
