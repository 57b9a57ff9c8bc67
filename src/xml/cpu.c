#include "config.h"

#include "xml/cpu.h"
#include "xml/writer.h"

const struct cp_xml_shape cp_cpu_shape[] = {
	{ "cpu/feature", CP_XML_ARRAY },
	{ "cpu/model", CP_XML_OBJECT },
	{ NULL, 0 }
};

char *cp_cpu_format(const struct cp_cpu_def *d, enum cp_doc_format f)
{
	bool guest = d->type == CP_CPU_GUEST;
	/* the model and vendor of host-passthrough and maximum CPUs are not
	 * printed */
	bool model = !guest || d->mode == CP_MODE_CUSTOM || d->mode == CP_MODE_HOST_MODEL;
	struct cp_xml x;

	cp_xml_init(&x, f, cp_cpu_shape);
	cp_xml_begin(&x, "cpu");
	/* a guest CPU with only topology or cache has no attributes */
	if (guest && (d->mode != CP_MODE_CUSTOM || d->model)) {
		cp_xml_attr(&x, "mode", "%s", cp_cpu_mode_names[d->mode]);
		if (d->mode == CP_MODE_CUSTOM)
			cp_xml_attr(&x, "match", "%s", cp_cpu_match_names[d->match]);
		if (d->check)
			cp_xml_attr(&x, "check", "%s", cp_cpu_check_names[d->check]);
	}
	if (!(!guest && d->arch) && !(model && (d->model || d->vendor)) && !d->nfeatures) {
		cp_xml_empty(&x);
		cp_xml_blank(&x);
		return cp_xml_finish(&x);
	}
	cp_xml_open(&x);
	if (!guest && d->arch)
		cp_xml_leaf(&x, "arch", "%s", d->arch);
	if (model && d->model) {
		cp_xml_begin(&x, "model");
		if (guest)
			cp_xml_attr(&x, "fallback", "%s", cp_cpu_fallback_names[d->fallback]);
		cp_xml_text(&x, "model", "%s", d->model);
	}
	if (model && d->vendor)
		cp_xml_leaf(&x, "vendor", "%s", d->vendor);
	if (d->addr_limit) {
		cp_xml_begin(&x, "maxphysaddr");
		cp_xml_attr(&x, "mode", "passthrough");
		cp_xml_attr(&x, "limit", "%u", d->addr_limit);
		cp_xml_empty(&x);
	}
	for (size_t i = 0; i < d->nfeatures; i++) {
		cp_xml_begin(&x, "feature");
		if (guest)
			cp_xml_attr(&x, "policy", "%s", cp_cpu_policy_names[d->features[i].policy]);
		cp_xml_attr(&x, "name", "%s", d->features[i].name);
		cp_xml_empty(&x);
	}
	cp_xml_close(&x, "cpu");
	cp_xml_blank(&x);
	return cp_xml_finish(&x);
}
