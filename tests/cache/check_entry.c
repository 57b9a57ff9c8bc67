/* The cache entry reader (cache/entry.h) on hand-written texts: each
 * malformed header, answer line and serialized probe is refused, each
 * well-formed variation the format allows loads with what it says, and
 * refusals for memory say which limit they met.  Pure functions: no files. */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cache/entry.h"
#include "probe/schema.h"
#include "util/err.h"
#include "util/json.h"
#include "util/jsonmem.h"
#include "util/str.h"

/* a serialized probe: pass 1 ran, pass 2 as given */
#define PROBE(pass2ran)                                                                                        \
	"{\"binary\":\"/usr/bin/qemu-system-x86_64\",\"arch\":\"x86_64\",\"version\":7002000,"                 \
	"\"package\":null,\"kvm\":true,\"tcg\":true,"                                                          \
	"\"pass1\":{\"ran\":true,\"accel\":\"kvm:tcg\",\"kvm\":true,\"answers\":{}},"                         \
	"\"pass2\":{\"ran\":" pass2ran ",\"accel\":\"tcg\",\"kvm\":false,\"answers\":{}}}"
#define KVM_RET "{\"enabled\":true,\"present\":true}"

/* header with n answers, then the lines */
static char *entry(int n, const char *lines)
{
	return cp_asprintf("{\"format\":%d,\"answers\":%d,\"probe\":" PROBE("true") "}\n%s", CP_CACHE_FORMAT, n,
			   lines);
}

/* Read and load text (req NULL: everything); the result of the first step
 * that fails, else 0 with *out filled (free with done()). */
static int load(const char *text, const struct cp_probe_req *req, struct cp_qemu_probe *out,
		struct cp_entry_charge *ch)
{
	struct cp_entry e;
	const char *why;
	int rc = cp_entry_read(text, strlen(text), &e, ch, &why);

	memset(out, 0, sizeof(*out));
	if (rc < 0)
		return rc;
	rc = cp_entry_probe(&e, req, out, ch);
	json_object_put(e.header);
	return rc;
}

static void done(struct cp_qemu_probe *p, struct cp_entry_charge *ch)
{
	p->pass1.mem += ch->cost;	/* as cp_cache_load: the probe holds the charge */
	cp_qemu_probe_free(p);
	ck_assert_uint_eq(cp_json_budget_used(), 0);
}

/* an entry of these lines is refused, and nothing stays charged */
static void refused(int n, const char *lines)
{
	struct cp_entry_charge ch = { .max = 1 << 30 };
	struct cp_qemu_probe p;
	char *t = entry(n, lines);
	int rc = load(t, NULL, &p, &ch);

	ck_assert_msg(rc == -EBADMSG, "loaded (%d): %s", rc, lines);
	cp_qemu_probe_free(&p);
	cp_json_budget_give(ch.cost);
	ck_assert_uint_eq(cp_json_budget_used(), 0);
	free(t);
}

START_TEST(headers)
{
	static const struct {
		const char *text, *why;
	} bad[] = {
		{ "", "truncated" },
		{ "{\"format\":5,\"answers\":0}", "truncated" },	/* no newline */
		{ "{\"format\":5,\n", "corrupt" },
		{ "[4]\n", "corrupt" },
		{ "{\"answers\":0}\n", "corrupt" },			/* no format */
		{ "{\"format\":\"4\"}\n", "corrupt" },
		{ "{\"format\":4,\"answers\":0}\n", "another format" },
		{ "{\"format\":5,\"answers\":\"1\"}\n", "corrupt" },
		{ "{\"format\":5,\"answers\":-1}\n", "corrupt" },
		{ "{\"format\":5,\"answers\":100}\n", "corrupt" },	/* more lines than bytes */
		{ "null\n", "corrupt" },
	};
	struct cp_entry_charge ch = { .max = 1 << 30 };
	struct cp_entry e;
	const char *why;

	ck_assert_int_eq(CP_CACHE_FORMAT, 5);	/* (the texts above) */
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_msg(cp_entry_read(bad[i].text, strlen(bad[i].text), &e, &ch, &why) == -EBADMSG, "%s",
			      bad[i].text);
		ck_assert_msg(why && strcmp(why, bad[i].why) == 0, "%s: %s", bad[i].text, why ? why : "(none)");
		ck_assert_ptr_null(e.header);
	}
	/* no "answers": none follow */
	ck_assert_int_eq(cp_entry_read("{\"format\":5}\n", 13, &e, &ch, &why), 0);
	ck_assert_ptr_null(why);
	ck_assert_uint_eq(e.answers, 0);
	ck_assert(e.body == e.end);
	json_object_put(e.header);
	cp_json_budget_give(ch.cost);
}
END_TEST

START_TEST(answer_lines_refused)
{
	static const char *const lines[] = {
		"[1]\n",
		"\n",
		"{\n",
		"{}\n",							/* nothing */
		"{\"p\":1,\"q\":\"kvm\"}\n",				/* no ret */
		"{\"p\":1,\"ret\":" KVM_RET "}\n",			/* no q */
		"{\"q\":\"kvm\",\"ret\":" KVM_RET "}\n",		/* no p */
		"{\"p\\u0020\":1,\"q\":\"kvm\",\"ret\":" KVM_RET "}\n",	/* an escaped name */
		"{p:1,\"q\":\"kvm\",\"ret\":" KVM_RET "}\n",
		"{\"p\" 1,\"q\":\"kvm\",\"ret\":" KVM_RET "}\n",	/* no colon */
		"{\"p\":,\"q\":\"kvm\",\"ret\":" KVM_RET "}\n",		/* no value */
		"{\"p\":}\n",
		"{\"p\":1,\"q\":]}\n",
		"{\"p\":1,\"q\"::1}\n",
		"{\"p\":1,\"q\":\"kvm\",\"ret\":{\"enabled\":true\n",	/* unterminated */
		"{\"p\":1,\"q\":\"kvm\",\"ret\":" KVM_RET "\n",		/* no closing brace */
		"{\"p\":3,\"q\":\"kvm\",\"ret\":" KVM_RET "}\n",
		"{\"p\":12,\"q\":\"kvm\",\"ret\":" KVM_RET "}\n",
		"{\"p\":\"1\",\"q\":\"kvm\",\"ret\":" KVM_RET "}\n",
		"{\"p\":1,\"p\":1,\"q\":\"kvm\",\"ret\":" KVM_RET "}\n",	/* repeated */
		"{\"p\":1,\"q\":\"kvm\",\"q\":\"kvm\",\"ret\":" KVM_RET "}\n",
		"{\"p\":1,\"q\":\"kvm2\",\"ret\":" KVM_RET "}\n",	/* unknown question */
		"{\"p\":1,\"q\":\"kv\\u006d\",\"ret\":" KVM_RET "}\n",	/* escaped question */
		"{\"p\":1,\"q\":7,\"ret\":" KVM_RET "}\n",
		"{\"p\":1,\"q\":\"kvm\",\"ret\":" KVM_RET ",\"x\":1}\n",	/* unknown member */
		"{\"p\":1,\"q\":\"kvm\",\"ret\":null,\"class\":\"E\",\"class\":\"E\"}\n",
		"{\"p\":1,\"q\":\"kvm\",\"ret\":null,\"desc\":\"d\",\"desc\":\"d\"}\n",
		"{\"p\":1,\"q\":\"kvm\",\"ret\":" KVM_RET ",}\n",	/* trailing comma */
		"{\"p\":1 \"q\":\"kvm\",\"ret\":" KVM_RET "}\n",	/* no comma */
		"{\"p\":1,\"q\":\"kvm\",\"ret\":" KVM_RET "} x\n",	/* after the object */
		"{\"p\":1,\"q\":\"kvm\",\"ret\":" KVM_RET "}}\n",
		/* an error answer has a null ret, string class and desc that fit */
		"{\"p\":1,\"q\":\"kvm\",\"ret\":" KVM_RET ",\"class\":\"GenericError\",\"desc\":\"no\"}\n",
		"{\"p\":1,\"q\":\"kvm\",\"ret\":null,\"class\":5,\"desc\":\"no\"}\n",
		"{\"p\":1,\"q\":\"kvm\",\"ret\":null,\"class\":\"E\",\"desc\":[\"no\"]}\n",
		"{\"p\":1,\"q\":\"kvm\",\"ret\":null,\"class\":\"E\",\"desc\":\"no\n",
		"{\"p\":1,\"q\":\"kvm\",\"ret\":null,\"class\":\"E\",\"desc\":{}}\n",
		/* the schema is an array; other answers the shape QEMU's have */
		"{\"p\":1,\"q\":\"schema\",\"ret\":{\"name\":\"x\"}}\n",
		"{\"p\":1,\"q\":\"kvm\",\"ret\":[]}\n",
		"{\"p\":1,\"q\":\"kvm\",\"ret\":{\"enabled\":1,\"present\":true}}\n",
		"{\"p\":1,\"q\":\"kvm\",\"ret\":tru}\n",
		/* the same answer twice */
		"{\"p\":1,\"q\":\"kvm\",\"ret\":" KVM_RET "}\n{\"p\":1,\"q\":\"kvm\",\"ret\":" KVM_RET "}\n",
	};
	char *big;

	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		int n = 0;

		for (const char *c = lines[i]; *c; c++)
			n += *c == '\n';
		refused(n, lines[i]);
	}
	/* an error class or description too long to keep */
	big = cp_asprintf("{\"p\":1,\"q\":\"kvm\",\"ret\":null,\"class\":\"%0*d\",\"desc\":\"d\"}\n", 64, 0);
	refused(1, big);
	free(big);
	big = cp_asprintf("{\"p\":1,\"q\":\"kvm\",\"ret\":null,\"class\":\"E\",\"desc\":\"%0*d\"}\n", 256, 0);
	refused(1, big);
	free(big);
	/* fewer or more lines than the header says */
	refused(2, "{\"p\":1,\"q\":\"kvm\",\"ret\":" KVM_RET "}\n");
	refused(1, "{\"p\":1,\"q\":\"kvm\",\"ret\":" KVM_RET "}\n{\"p\":1,\"q\":\"sev\",\"ret\":{}}\n");
	refused(0, "\n");
}
END_TEST

START_TEST(answer_lines_taken)
{
	struct cp_entry_charge ch = { .max = 1 << 30 };
	struct cp_probe_req light = { .binary = "x", .light = true };
	struct cp_qemu_probe p;
	json_object *v;
	char *t;

	/* blanks around everything, members in any order, an error answer */
	t = entry(3, " { \"ret\" :\t" KVM_RET " ,\"q\" : \"kvm\" , \"p\" : 1 } \r\n"
		     "{\"p\":1,\"q\":\"sev\",\"ret\":null,\"class\":\"GenericError\",\"desc\":\"SEV is off\"}\n"
		     "{\"desc\":null,\"class\":\"CommandNotFound\",\"ret\":null,\"q\":\"sgx\",\"p\":2}\n");
	ck_assert_int_eq(load(t, NULL, &p, &ch), 0);
	ck_assert_str_eq(p.binary, "/usr/bin/qemu-system-x86_64");
	ck_assert_str_eq(p.arch, "x86_64");
	ck_assert_uint_eq(p.version, 7002000);
	ck_assert(p.pass1.a[CP_Q_KVM].asked && p.pass2.ran);
	ck_assert(json_object_object_get_ex(p.pass1.a[CP_Q_KVM].ret, "present", &v) && json_object_get_boolean(v));
	ck_assert(p.pass1.a[CP_Q_SEV].asked && !p.pass1.a[CP_Q_SEV].ret);
	ck_assert_str_eq(p.pass1.a[CP_Q_SEV].err_class, "GenericError");
	ck_assert_str_eq(p.pass1.a[CP_Q_SEV].err_desc, "SEV is off");
	ck_assert(p.pass2.a[CP_Q_SGX].asked);
	ck_assert_str_eq(p.pass2.a[CP_Q_SGX].err_class, "CommandNotFound");
	ck_assert_str_eq(p.pass2.a[CP_Q_SGX].err_desc, "");
	done(&p, &ch);

	/* a light load never looks past "p" and "q" of a line it does not
	 * want, nor at pass 2 when TCG is not asked for */
	ch = (struct cp_entry_charge){ .max = 1 << 30 };
	ck_assert_int_eq(load(t, &light, &p, &ch), 0);
	ck_assert(p.pass1.a[CP_Q_KVM].asked && !p.pass1.a[CP_Q_SEV].asked && !p.pass2.ran);
	ck_assert(!p.pass2.a[CP_Q_SGX].asked);
	done(&p, &ch);
	free(t);
	t = entry(2, "{\"p\":1,\"q\":\"cpu_defs\",\"ret\":[[[not json\n"
		     "{\"q\":\"kvm\",\"p\":1,\"ret\":" KVM_RET "}\n");
	ch = (struct cp_entry_charge){ .max = 1 << 30 };
	ck_assert_int_eq(load(t, &light, &p, &ch), 0);
	ck_assert(p.pass1.a[CP_Q_KVM].asked && !p.pass1.a[CP_Q_CPU_DEFS].asked);
	done(&p, &ch);
	/* (a full load does look) */
	ch = (struct cp_entry_charge){ .max = 1 << 30 };
	ck_assert_int_eq(load(t, NULL, &p, &ch), -EBADMSG);
	cp_qemu_probe_free(&p);
	cp_json_budget_give(ch.cost);
	free(t);

	/* the schema is stored as the name set a probe keeps: a whole schema
	 * (an entry written before it was reduced) is refused */
	t = entry(1, "{\"p\":1,\"q\":\"schema\",\"ret\":[\"netdev_add/arg-type/+stream\",\"query-kvm\"]}\n");
	ch = (struct cp_entry_charge){ .max = 1 << 30 };
	ck_assert_int_eq(load(t, NULL, &p, &ch), 0);
	ck_assert(cp_json_name_set_has(p.pass1.a[CP_Q_SCHEMA].ret, "query-kvm"));
	ck_assert(cp_json_name_set_has(p.pass1.a[CP_Q_SCHEMA].ret, cp_schema_paths[CP_SCHEMA_NETDEV_STREAM]));
	done(&p, &ch);
	free(t);
	t = entry(1, "{\"p\":1,\"q\":\"schema\",\"ret\":[{\"name\":\"query-kvm\",\"meta-type\":\"command\"}]}\n");
	ch = (struct cp_entry_charge){ .max = 1 << 30 };
	ck_assert_int_eq(load(t, NULL, &p, &ch), -EBADMSG);
	cp_qemu_probe_free(&p);
	cp_json_budget_give(ch.cost);
	free(t);
}
END_TEST

/* Refusals for memory: over the entry's own limit (E2BIG), over the
 * process budget (ENOBUFS); the first one is the one kept. */
START_TEST(memory_refusals)
{
	struct cp_qemu_probe p;
	struct cp_entry_charge ch;
	char *schema = entry(1, "{\"p\":1,\"q\":\"schema\",\"ret\":[\"query-kvm\"]}\n");
	char *kvm = entry(1, "{\"p\":1,\"q\":\"kvm\",\"ret\":" KVM_RET "}\n");
	char *err = entry(1, "{\"p\":1,\"q\":\"kvm\",\"ret\":null,\"class\":\"GenericError\",\"desc\":\"no\"}\n");
	const char *texts[] = { schema, kvm, err };
	struct cp_entry e;
	const char *why;

	ch = (struct cp_entry_charge){ .max = 1 << 30 };
	ck_assert_ptr_null(cp_entry_refusal(&ch));
	/* a header too dear */
	ch = (struct cp_entry_charge){ .max = 16 };
	ck_assert_int_eq(cp_entry_read(kvm, strlen(kvm), &e, &ch, &why), -EBADMSG);
	ck_assert_int_eq(ch.why, -E2BIG);
	ck_assert_str_eq(cp_entry_refusal(&ch), "too large (its JSON would take too much memory)");
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		uint64_t header, all;

		/* what the header costs, and the whole entry */
		ch = (struct cp_entry_charge){ .max = 1 << 30 };
		ck_assert_int_eq(cp_entry_read(texts[i], strlen(texts[i]), &e, &ch, &why), 0);
		header = ch.cost;
		json_object_put(e.header);
		cp_json_budget_give(ch.cost);
		ch = (struct cp_entry_charge){ .max = 1 << 30 };
		ck_assert_int_eq(load(texts[i], NULL, &p, &ch), 0);
		all = ch.cost;
		done(&p, &ch);
		ck_assert_uint_gt(all, header);
		/* room for the header only: the answer is refused for size */
		ch = (struct cp_entry_charge){ .max = all - 1 };
		ck_assert_int_eq(load(texts[i], NULL, &p, &ch), -EBADMSG);
		ck_assert_msg(ch.why == -E2BIG, "%zu: %d", i, ch.why);
		cp_qemu_probe_free(&p);
		cp_json_budget_give(ch.cost);
		/* a budget with room for the header only: refused for it */
		cp_json_budget_set_limit(all - 1);
		ch = (struct cp_entry_charge){ .max = 1 << 30 };
		ck_assert_int_eq(load(texts[i], NULL, &p, &ch), -EBADMSG);
		ck_assert_msg(ch.why == -ENOBUFS, "%zu: %d", i, ch.why);
		ck_assert_str_eq(cp_entry_refusal(&ch), "not loaded (the memory budget for JSON is used up)");
		cp_qemu_probe_free(&p);
		cp_json_budget_give(ch.cost);
		cp_json_budget_set_limit(0);
		ck_assert_uint_eq(cp_json_budget_used(), 0);
	}
	free(schema);
	free(kvm);
	free(err);
}
END_TEST

/* serialized probes (cp_probe_from_json) that are refused, with the message */
START_TEST(serialized_probes)
{
	static const struct {
		const char *from, *to, *msg;
	} bad[] = {
		{ "\"version\":7002000", "\"version\":-1", "malformed serialized probe" },
		{ "\"version\":7002000", "\"version\":4294967296", "malformed serialized probe" },
		{ "\"version\":7002000", "\"version\":\"7\"", "malformed serialized probe" },
		{ "\"kvm\":true,\"tcg\"", "\"kvm\":1,\"tcg\"", "malformed serialized probe" },
		{ "\"tcg\":true", "\"tcg\":null", "malformed serialized probe" },
		{ "\"pass1\":", "\"pass0\":", "malformed serialized probe" },
		{ "\"pass2\":{\"ran\":true,\"accel\":\"tcg\",\"kvm\":false,\"answers\":{}}", "\"pass2\":[]",
		  "malformed serialized probe" },
		{ "\"binary\":\"/usr/bin/qemu-system-x86_64\"", "\"binary\":null", "malformed serialized probe" },
		{ "\"binary\":\"/usr/bin/qemu-system-x86_64\"", "\"binary\":5", "malformed serialized probe" },
		{ "\"arch\":\"x86_64\"", "\"arch\":\"vax\"", "malformed serialized probe" },
		{ "\"arch\":\"x86_64\"", "\"arch\":null", "malformed serialized probe" },
		{ "\"arch\":\"x86_64\"", "\"arch\":[]", "malformed serialized probe" },
		{ "\"package\":null", "\"package\":1", "malformed serialized probe" },
		{ "{\"ran\":true,\"accel\":\"kvm:tcg\"", "{\"ran\":1,\"accel\":\"kvm:tcg\"",
		  "malformed serialized probe answers" },
		{ "\"accel\":\"kvm:tcg\",\"kvm\":true", "\"accel\":\"kvm:tcg\"", "malformed serialized probe answers" },
		{ "\"accel\":\"kvm:tcg\"", "\"accel\":2", "malformed serialized probe answers" },
		{ "\"accel\":\"kvm:tcg\"",
		  "\"accel\":\"kvm:tcg:kvm:tcg:kvm:tcg:kvm:tcg:kvm:tcg:kvm:tcg:kvm:tcg:kvm:tcg:kvm:tcg\"",
		  "malformed serialized probe answers" },
		{ "\"kvm\":true,\"answers\":{}", "\"kvm\":true,\"answers\":[]", "malformed serialized probe answers" },
		{ "\"kvm\":true,\"answers\":{}", "\"kvm\":true,\"answers\":{\"bogus\":{\"ret\":1}}",
		  "malformed serialized probe answers" },
		{ "\"kvm\":true,\"answers\":{}", "\"kvm\":true,\"answers\":{\"kvm\":[]}",
		  "malformed serialized probe answers" },
		{ "\"kvm\":true,\"answers\":{}", "\"kvm\":true,\"answers\":{\"kvm\":{}}",
		  "malformed serialized probe answers" },
		{ "\"kvm\":true,\"answers\":{}", "\"kvm\":true,\"answers\":{\"kvm\":{\"ret\":null,\"class\":7}}",
		  "malformed serialized probe answers" },
		{ "\"kvm\":true,\"answers\":{}", "\"kvm\":true,\"answers\":{\"kvm\":{\"ret\":null,\"desc\":false}}",
		  "malformed serialized probe answers" },
	};
	const char *good = PROBE("true");
	struct cp_qemu_probe p;
	json_object *o;

	o = json_tokener_parse(good);
	ck_assert_int_eq(cp_probe_from_json(o, &p), 0);
	ck_assert_str_eq(p.arch, "x86_64");
	ck_assert_ptr_null(p.package);
	ck_assert(p.pass2.ran && !p.pass2.kvm && strcmp(p.pass2.accel, "tcg") == 0);
	cp_qemu_probe_free(&p);
	json_object_put(o);
	/* an error answer keeps its class and description */
	{
		char *s = cp_strdup(good), *at = strstr(s, "\"answers\":{}"), *t;

		ck_assert_ptr_nonnull(at);
		t = cp_asprintf("%.*s\"answers\":{\"sev\":{\"ret\":null,\"class\":\"GenericError\",\"desc\":\"off\"}}%s",
				(int)(at - s), s, at + strlen("\"answers\":{}"));
		o = json_tokener_parse(t);
		ck_assert_int_eq(cp_probe_from_json(o, &p), 0);
		ck_assert(p.pass1.a[CP_Q_SEV].asked);
		ck_assert_str_eq(p.pass1.a[CP_Q_SEV].err_class, "GenericError");
		ck_assert_str_eq(p.pass1.a[CP_Q_SEV].err_desc, "off");
		cp_qemu_probe_free(&p);
		json_object_put(o);
		free(t);
		free(s);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *at = strstr(good, bad[i].from);
		char *t;

		ck_assert_msg(at != NULL, "%s", bad[i].from);
		t = cp_asprintf("%.*s%s%s", (int)(at - good), good, bad[i].to, at + strlen(bad[i].from));
		o = json_tokener_parse(t);
		ck_assert_msg(o != NULL, "%s", t);
		cp_clear_error();
		ck_assert_msg(cp_probe_from_json(o, &p) == -EBADMSG, "taken: %s", t);
		ck_assert_str_eq(cp_last_error(), bad[i].msg);
		ck_assert_ptr_null(p.binary);
		json_object_put(o);
		free(t);
	}
	/* a probe entry whose "probe" is no probe */
	{
		struct cp_entry_charge ch = { .max = 1 << 30 };
		char *t = cp_asprintf("{\"format\":%d,\"answers\":0,\"probe\":[]}\n", CP_CACHE_FORMAT);

		ck_assert_int_eq(load(t, NULL, &p, &ch), -EBADMSG);
		cp_qemu_probe_free(&p);
		cp_json_budget_give(ch.cost);
		free(t);
		t = cp_asprintf("{\"format\":%d,\"answers\":0,\"probe\":" PROBE("1") "}\n", CP_CACHE_FORMAT);
		ch = (struct cp_entry_charge){ .max = 1 << 30 };
		ck_assert_int_eq(load(t, NULL, &p, &ch), -EBADMSG);
		cp_qemu_probe_free(&p);
		cp_json_budget_give(ch.cost);
		free(t);
	}
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("entry");
	TCase *tc = tcase_create("entry");

	tcase_add_test(tc, headers);
	tcase_add_test(tc, answer_lines_refused);
	tcase_add_test(tc, answer_lines_taken);
	tcase_add_test(tc, memory_refusals);
	tcase_add_test(tc, serialized_probes);
	suite_add_tcase(s, tc);
	return s;
}

#include "check_main.h"
