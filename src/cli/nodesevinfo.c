/* capsprobe nodesevinfo: 'virsh nodesevinfo'.  libvirt answers from the
 * default emulator's capabilities: SEV when QEMU has the sev-guest object
 * and query-sev-capabilities answers (the same facts as the domain
 * capabilities' <sev>), plus the platform keys that answer carries. */
#include "config.h"

#include <errno.h>
#include <getopt.h>

#include "cli/cli.h"
#include "domcaps/resolve.h"
#include "model/domcaps.h"
#include "util/json.h"
#include "util/str.h"

static const struct cli_opt opts[] = {
	CLI_OPT_REPLAY,
	CLI_OPT_PROBE_TIMEOUT,
	CLI_OPT_CACHE,
	CLI_OPT_DEBUG,
	CLI_OPT_FORMAT_TEXT,
	CLI_OPT_HELP,
	{ 0 }
};

/* The same as one JSON object, members named as virsh's lines. */
static char *format_json(const struct cp_dc_sev *sev)
{
	json_object *o = json_object_new_object();

	if (!o)
		cp_oom();
	json_object_object_add(o, "pdh", cp_json_string(sev->pdh));
	json_object_object_add(o, "cert-chain", cp_json_string(sev->cert_chain));
	if (sev->cpu0_id)
		json_object_object_add(o, "cpu0-id", cp_json_string(sev->cpu0_id));
	json_object_object_add(o, "cbitpos", json_object_new_uint64(sev->cbitpos));
	json_object_object_add(o, "reduced-phys-bits", json_object_new_uint64(sev->reduced_phys_bits));
	json_object_object_add(o, "max-guests", json_object_new_uint64(sev->max_guests));
	json_object_object_add(o, "max-es-guests", json_object_new_uint64(sev->max_es_guests));
	return cp_json_finish(o);
}

/* virsh's "%-18s: %s" lines, in the driver's order, and its empty line. */
static int format(const struct cp_dc_sev *sev, enum cp_doc_format f, char **text)
{
	struct cp_buf b = { 0 };

	if (sev->supported != CP_DC_YES)
		return cp_fail(-ENOTSUP, "Operation not supported: QEMU does not support SEV guest");
	/* libvirt's probe fails without them, and so has no SEV */
	if (!sev->pdh || !sev->cert_chain)
		return cp_fail(-EBADMSG, "query-sev-capabilities reply was missing '%s' field",
			       sev->pdh ? "cert-chain" : "pdh");
	if (f == CP_DOC_JSON) {
		*text = format_json(sev);
		return 0;
	}
	cp_buf_printf(&b, "%-18s: %s\n", "pdh", sev->pdh);
	cp_buf_printf(&b, "%-18s: %s\n", "cert-chain", sev->cert_chain);
	if (sev->cpu0_id)
		cp_buf_printf(&b, "%-18s: %s\n", "cpu0-id", sev->cpu0_id);
	cp_buf_printf(&b, "%-18s: %u\n", "cbitpos", sev->cbitpos);
	cp_buf_printf(&b, "%-18s: %u\n", "reduced-phys-bits", sev->reduced_phys_bits);
	cp_buf_printf(&b, "%-18s: %u\n", "max-guests", sev->max_guests);
	cp_buf_printf(&b, "%-18s: %u\n\n", "max-es-guests", sev->max_es_guests);
	*text = cp_buf_steal(&b);
	return 0;
}

static int run(int argc, char **argv)
{
	struct cp_domain_args a = { 0 };
	struct cli cl = { .cmd = &cli_nodesevinfo };
	struct cp_domcaps dc;
	char *text = NULL;
	int id, rc;

	while ((id = cli_next(&cl, argc, argv)) != OPT_END) {
		if (id == OPT_SYSROOT)
			a.sysroot = optarg;
		else if ((rc = cli_common_opt(&cl, id, argv)) != OPT_NEXT)
			return rc;
	}
	if ((rc = cli_no_args(&cl, argc, argv)))
		return rc;
	if ((rc = cli_domain_caps(&cl, &a, &dc)) > 0)
		return rc;
	if (rc == 0) {
		rc = format(&dc.features.sev, cl.format, &text);
		cp_domcaps_free(&dc);
	}
	if (rc < 0)
		return cli_done(&cl, cli_print_error(rc, EXIT_PROBE));
	return cli_done(&cl, cli_emit(&cl, text));
}

const struct cli_command cli_nodesevinfo = {
	.name = "nodesevinfo",
	.summary = "Print the host's AMD SEV platform data, as 'virsh nodesevinfo' does.",
	.notes =
		"From the default emulator, as 'capsprobe domain' with no options finds\n"
		"it; an error when that QEMU cannot run SEV guests.\n",
	.opts = opts,
	.run = run,
};
