/* Fuzz target: QMP framing and parsing (qemu/qmp.c) through its real entry
 * points, with no seam: the input is what QEMU would send, written into one
 * end of a socketpair that is then shut for writing; the client reads the
 * greeting and runs commands (ids cp-1, cp-2, ...) until the channel fails,
 * recording everything as a --record-qmp run would.  The first input byte
 * picks the limits: odd = tiny caps (message size, total, depth), so the
 * cap paths are reached with small inputs; the rest is the stream. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fuzz.h"
#include "qmp/process.h"
#include "qmp/client.h"

/* What fits in a socketpair's buffer without a reader thread. */
#define STREAM_MAX 65536

static FILE *sink;

static void close_sink(void)
{
	fclose(sink);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct cp_qmp_limits tiny = { .max_msg = 512, .max_total = 4096, .max_depth = 4 };
	struct cp_qmp *q;
	int sv[2];

	if (!sink) {
		if (!(sink = fopen("/dev/null", "w")))
			abort();
		atexit(close_sink);
	}
	if (size < 1 || size - 1 > STREAM_MAX)
		return 0;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		abort();
	if (size > 1 && write(sv[1], data + 1, size - 1) != (ssize_t)(size - 1))
		abort();
	shutdown(sv[1], SHUT_WR);
	q = cp_qmp_new(sv[0], NULL, data[0] & 1 ? &tiny : NULL);
	cp_qmp_set_deadline(q, cp_clock_ms() + 10000);
	cp_qmp_record(q, sink);
	if (cp_qmp_greeting(q, NULL) == 0) {
		json_object *args = json_object_new_object();

		json_object_object_add(args, "typename", json_object_new_string("none-machine"));
		for (int i = 0; i < 256; i++) {
			struct cp_qmp_error err;
			json_object *ret = NULL;
			int rc = cp_qmp_command(q, i % 2 ? "qom-list-properties" : "query-version",
						i % 2 ? args : NULL, &ret, &err);

			json_object_put(ret);
			if (rc < 0 && rc != -EREMOTEIO)
				break;
		}
		json_object_put(args);
	}
	cp_qmp_free(q);
	close(sv[0]);
	close(sv[1]);
	cp_clear_error();
	return 0;
}
