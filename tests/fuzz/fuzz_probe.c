/* Fuzz target: the prober's own reading of QEMU's answers (qemu/probe.c:
 * version gate, target arch, KVM state, which questions to ask next and
 * with which arguments, CPU model expansions fed back into the next
 * question) over the real QMP client.  The input is a .replies
 * conversation, served by the in-process replay peer (qemu/replay.h) as
 * --sysroot does: pass 1 from its "kvm:tcg" session, the overlapped TCG
 * pass from its "tcg" session (else the first one).  A probe that succeeds
 * is serialized and read back as the cache does. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include "fuzz.h"
#include "cache/store.h"
#include "probe/probe.h"
#include "qmp/process.h"
#include "qmp/replay.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_str(data, size);
	struct cp_replay *r1 = NULL, *r2 = NULL;
	struct cp_qemu_probe p, back;

	if (cp_replay_load(text, size, "fuzz.replies", &r1) == 0 &&
	    cp_replay_load(text, size, "fuzz.replies", &r2) == 0) {
		struct cp_probe_req req = {
			.binary = "/usr/bin/qemu-system-x86_64",
			.deadline_ms = cp_clock_ms() + 10000,
			.need_tcg = true,
			.expect_kvm = true,
			.replay1 = r1,
			.replay2 = r2,
		};

		if (cp_qemu_probe(&req, &p) == 0) {
			json_object *o = cp_probe_to_json(&p);

			if (cp_probe_from_json(o, &back) == 0)
				cp_qemu_probe_free(&back);
			json_object_put(o);
			cp_qemu_probe_free(&p);
		} else if (getenv("FUZZ_DEBUG")) {
			fprintf(stderr, "probe: %s\n", cp_last_error());
		}
	}
	cp_replay_free(r1);
	cp_replay_free(r2);
	cp_clear_error();
	free(text);
	return 0;
}
