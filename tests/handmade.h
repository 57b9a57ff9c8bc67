/* Test helper: QEMU answers recorded by hand (one JSON object per process,
 * keyed by the questions' cp_q_names, see
 * tests/fixtures/qemu/handmade/README.md) loaded
 * into a cp_qemu_probe, so the rules can run without the prober. */
#ifndef CP_TEST_HANDMADE_H
#define CP_TEST_HANDMADE_H

#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "cache/store.h"
#include "probe/probe.h"
#include "util/err.h"

/* Fill one pass from a parsed object; {"error": {...}} entries become QMP
 * errors. */
static inline void handmade_pass(json_object *o, const char *accel, struct cp_qemu_pass *ps)
{
	json_object *kvm, *en;

	memset(ps, 0, sizeof(*ps));
	ps->ran = true;
	strncpy(ps->accel, accel, sizeof(ps->accel) - 1);
	if (json_object_object_get_ex(o, "kvm", &kvm) &&
	    json_object_object_get_ex(kvm, "enabled", &en))
		ps->kvm = json_object_get_boolean(en);
	for (int q = 0; q < CP_Q_COUNT; q++) {
		json_object *v, *err, *cls;

		if (!cp_q_names[q] || !json_object_object_get_ex(o, cp_q_names[q], &v))
			continue;
		ps->a[q].asked = true;
		if (json_object_is_type(v, json_type_object) &&
		    json_object_object_get_ex(v, "error", &err) && json_object_object_length(v) == 1) {
			if (json_object_object_get_ex(err, "class", &cls))
				strncpy(ps->a[q].err_class, json_object_get_string(cls),
					sizeof(ps->a[q].err_class) - 1);
			continue;
		}
		ps->a[q].ret = json_object_get(v);
		cp_answer_reduce((enum cp_q)q, &ps->a[q].ret);
	}
}

static inline void handmade_pass_free(struct cp_qemu_pass *ps)
{
	for (int q = 0; q < CP_Q_COUNT; q++)
		json_object_put(ps->a[q].ret);
	memset(ps, 0, sizeof(*ps));
}

static inline json_object *handmade_read(const char *path)
{
	json_object *o = json_object_from_file(path);

	if (!o)
		cp_fail(-EBADMSG, "%s: %s", path, json_util_get_last_err());
	return o;
}

/* pass1 answers from file1 (accel kvm:tcg), pass2 from file2 (tcg) or none.
 * arch is the libvirt arch of the binary. */
static inline int handmade_load(const char *binary, const char *arch, const char *file1,
				const char *file2, struct cp_qemu_probe *p)
{
	json_object *o;

	memset(p, 0, sizeof(*p));
	if (!(o = handmade_read(file1)))
		return -EBADMSG;
	handmade_pass(o, "kvm:tcg", &p->pass1);
	json_object_put(o);
	if (file2) {
		if (!(o = handmade_read(file2))) {
			handmade_pass_free(&p->pass1);
			return -EBADMSG;
		}
		handmade_pass(o, "tcg", &p->pass2);
		json_object_put(o);
	}
	p->binary = cp_strdup(binary);
	p->arch = arch;
	p->kvm = p->pass1.kvm;
	p->tcg = true;
	return 0;
}

static inline void handmade_free(struct cp_qemu_probe *p)
{
	handmade_pass_free(&p->pass1);
	handmade_pass_free(&p->pass2);
	free(p->binary);
	free(p->package);
	memset(p, 0, sizeof(*p));
}

#endif
