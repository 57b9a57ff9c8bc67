/* Fuzz target: a recorded QMP conversation (.replies, format in qmp.h) as
 * --sysroot replay reads it (qemu/replay.c): load (NUL-terminated, as
 * cp_read() gives it), pick each accel's session and answer the requests a
 * probe sends, some twice (used replies, then the last one repeated). */
#include "config.h"

#include <stdlib.h>

#include "fuzz.h"
#include "qmp/replay.h"

static const char *const requests[] = {
	"{\"execute\":\"qmp_capabilities\",\"id\":\"cp-1\"}",
	"{\"execute\":\"query-version\",\"id\":\"cp-2\"}",
	"{\"execute\":\"query-target\",\"id\":\"cp-3\"}",
	"{\"execute\":\"query-kvm\",\"id\":\"cp-4\"}",
	"{\"execute\":\"query-machines\",\"id\":\"cp-5\"}",
	"{\"execute\":\"qom-list-properties\",\"arguments\":{\"typename\":\"none-machine\"},\"id\":\"cp-6\"}",
	"{\"execute\":\"query-cpu-model-expansion\",\"arguments\":{\"type\":\"static\","
	"\"model\":{\"name\":\"host\"}},\"id\":\"cp-7\"}",
	"{\"execute\":\"query-machines\",\"id\":\"cp-8\"}",
	"{\"execute\":\"query-version\",\"arguments\":{},\"id\":\"cp-9\"}",
	"{\"execute\":\"query-nothing\",\"id\":\"cp-10\"}",
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const accels[] = { "kvm:tcg", "tcg", "kvm" };
	static json_object *req[sizeof(requests) / sizeof(requests[0])];
	char *text = fuzz_str(data, size);
	struct cp_replay *r;

	if (!req[0])
		for (size_t i = 0; i < sizeof(req) / sizeof(req[0]); i++)
			req[i] = json_tokener_parse(requests[i]);	/* kept for the process */
	if (cp_replay_load(text, size, "fuzz.replies", &r) == 0) {
		for (size_t a = 0; a < sizeof(accels) / sizeof(accels[0]); a++) {
			cp_replay_select(r, accels[a]);
			if (!cp_replay_greeting(r))
				abort();
			for (size_t i = 0; i < sizeof(req) / sizeof(req[0]); i++)
				json_object_put(cp_replay_respond(r, req[i]));
		}
		cp_replay_free(r);
	}
	cp_clear_error();
	free(text);
	return 0;
}
