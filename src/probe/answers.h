/* The JSON types libvirt 11.3 requires of QEMU's answers, checked once
 * where an answer enters a probe: an answer of the wrong shape fails the
 * probe, as it fails libvirt's (qemuMonitorJSONGet* report an error), and
 * never reaches the rules as "nothing there".  The rules are one table in
 * answers.c. */
#ifndef CP_PROBE_ANSWERS_H
#define CP_PROBE_ANSWERS_H

#include <stdbool.h>

#include <json-c/json.h>

#include "probe/probe.h"

/* 0 when ret (the "return" value, not NULL) has the shape libvirt needs
 * of question q, else -EPROTO with the message "malformed QMP reply from
 * BINARY: EXECUTE: return[2].name is missing".  arch: libvirt's arch of
 * the emulator ("" when not known yet).  reduced: ret is as a probe keeps
 * it (cp_answer_reduce(): name sets), as a cache entry stores it. */
int cp_answer_check(enum cp_q q, json_object *ret, const char *arch, bool reduced,
		    const char *execute, const char *binary);

#endif
