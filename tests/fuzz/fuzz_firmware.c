/* Fuzz target: one QEMU firmware descriptor file (qemu/firmware.h), parsed
 * as cp_fw_load() parses each file of the descriptor directories (its text
 * NUL-terminated, as cp_read() gives it), then turned into <os> for a few
 * (arch, machine) pairs against the recorded domain host tree, whose
 * firmware images exist. */
#include "config.h"

#include <stdlib.h>

#include "fuzz.h"
#include "domcaps/firmware.h"

static const char *const pairs[][2] = {
	{ "x86_64", "pc-q35-7.2" }, { "x86_64", "pc-i440fx-7.2" }, { "i686", "pc-q35-7.2" },
	{ "aarch64", "virt-7.2" }, { "armv7l", "virt" }, { "riscv64", "virt" },
};

static struct cp_root *root;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cp_fw_list l = { 0 };
	struct cp_fw_desc d;
	char *text;

	root = fuzz_host_root();
	/* cp_fw_load() refuses larger files before parsing */
	if (size > CP_FW_DESC_MAX)
		return 0;
	text = fuzz_str(data, size);
	if (cp_fw_parse("/usr/share/qemu/firmware/50-fuzz.json", text, size, &d) == 0) {
		d.name = cp_strdup("50-fuzz.json");
		l.v = &d;
		l.n = 1;
		for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
			struct cp_domcaps dc;

			cp_domcaps_init(&dc);
			cp_fw_fill_os(root, &l, pairs[i][0], pairs[i][1], NULL, &dc.os);
			cp_domcaps_free(&dc);
		}
		cp_fw_desc_free(&d);
	}
	cp_clear_error();
	free(text);
	return 0;
}
