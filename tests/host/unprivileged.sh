#!/bin/bash
# An unprivileged run on the live host degrades as documented and never
# fails: no dac secmodel, the uuid from /etc/machine-id, a complete document.
# Run as root, it drops to nobody (setpriv; skipped (77) without it); run as
# another user, it runs as that user.
. "$(dirname "$0")/../lib.sh" || exit 99
if [ "$(id -u)" -eq 0 ]; then
	command -v setpriv >/dev/null || { echo "SKIP: running as root and no setpriv to become nobody"; exit 77; }
	as_nobody() { setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"; }
else
	as_nobody() { "$@"; }
fi
command -v xmllint >/dev/null || { echo "SKIP: needs xmllint"; exit 77; }

cp "$CAPSPROBE" "$scratch/capsprobe" && chmod 755 "$scratch" "$scratch/capsprobe"
run_nobody() { as_nobody ${CAPSPROBE_WRAPPER:-} "$scratch/capsprobe" host --no-guests >"$scratch/out.xml" 2>"$scratch/err"; }
check "runs as nobody" run_nobody
check "well-formed" xmllint --noout "$scratch/out.xml"
check "complete" grep -q '^</capabilities>$' "$scratch/out.xml"
check "no dac secmodel" bash -c "! grep -q '<model>dac</model>' '$scratch/out.xml'"
check "the none secmodel" grep -q '<model>none</model>' "$scratch/out.xml"
check "still a CPU arch" grep -q '<arch>' "$scratch/out.xml"
if [ -s /etc/machine-id ] && [ ! -r /sys/class/dmi/id/product_uuid ]; then
	id=$(head -c 32 /etc/machine-id)
	want="${id:0:8}-${id:8:4}-${id:12:4}-${id:16:4}-${id:20:12}"
	check "uuid from machine-id" grep -q "<uuid>$want</uuid>" "$scratch/out.xml"
else
	skip "uuid from machine-id (no /etc/machine-id, or a DMI product_uuid that comes first)"
fi
# A root run prints the same document apart from what needs privilege.
if [ "$(id -u)" -eq 0 ]; then
	capsprobe host --no-guests >"$scratch/root.xml"
	check "root run is complete" grep -q '^</capabilities>$' "$scratch/root.xml"
fi
finish
