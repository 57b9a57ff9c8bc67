#!/bin/bash
# `capsprobe domain` against misbehaving emulators (tests/fake-qemu): every
# fault is one clean `error:` line, exit 2, no document, and no emulator
# process left behind.  Also the version gate and the replay of a recorded
# conversation through a fake emulator process (the same files --sysroot
# replays in-process).
. "$(dirname "$0")/../lib.sh" || exit 99

[ -x "${FAKE_QEMU:-}" ] || { echo "SKIP: no fake-qemu (set FAKE_QEMU)"; exit 77; }
# a private copy, so that leftovers can be told from other tests' emulators
fake=$scratch/bin/qemu-system-x86_64
mkdir -p "$scratch/bin"
cp "$FAKE_QEMU" "$fake"
export TMPDIR=$scratch/tmp
mkdir -p "$TMPDIR"
# the KVM recordings replayed below were made where KVM worked
kvm_host || { echo "ERROR: cannot state the KVM facts"; exit 99; }

# fault NAME PATTERN [ARGS...]: CAPSPROBE_FAKE_FAULT=NAME fails cleanly
fault() {
	local name=$1 pat=$2 rc; shift 2
	CAPSPROBE_FAKE_FAULT=$name capsprobe domain --emulator "$fake" "$@" >"$scratch/out" 2>"$scratch/err"
	rc=$?
	if [ "$rc" -ne 2 ]; then
		bad "$name: exit $rc ($(head -1 "$scratch/err"))"
	elif [ -s "$scratch/out" ]; then
		bad "$name: printed something"
	elif [ "$(wc -l <"$scratch/err")" -ne 1 ] || ! grep -Eq "^error: $pat" "$scratch/err"; then
		bad "$name: stderr: $(head -3 "$scratch/err")"
	else
		ok "$name: $(cat "$scratch/err")"
	fi
}

fault exit-at-once "QEMU closed the QMP channel while waiting for the QMP greeting"
fault garbage "malformed QMP reply"
fault hang "timed out after [0-9.]+ s waiting for" --timeout 1
fault no-greeting "timed out after [0-9.]+ s waiting for the QMP greeting" --timeout 1
fault close-mid-reply "QEMU closed the QMP channel while waiting for the reply to"
fault huge-message "QMP message from .* is larger than"
fault deep-nesting "malformed QMP reply"
fault error-always "qmp_capabilities failed: fake error-always fault"
fault crash "QEMU closed the QMP channel while waiting for"
# a QEMU without the questions we ask
fault none "query-version failed: The command query-version has not been found"

# the version gate: a QEMU 5.2 (greeting and query-version)
cat >"$scratch/old.replies" <<'EOF'
# session accel=kvm:tcg binary=old
{"QMP": {"version": {"qemu": {"micro": 0, "minor": 2, "major": 5}, "package": ""}, "capabilities": []}}

{"execute": "query-version"}

{"return": {"qemu": {"micro": 0, "minor": 2, "major": 5}, "package": ""}}
EOF
CAPSPROBE_FAKE_REPLIES=$scratch/old.replies fault none "QEMU version >= 6.2.0 is required, but 5.2.0 found"

# a recorded conversation served by a fake emulator process: a whole document
rec=$FIXTURES/qemu/7.2.22-x86_64-kvm.replies
if CAPSPROBE_FAKE_REPLIES=$rec capsprobe domain --emulator "$fake" --machine q35 --virttype kvm \
	>"$scratch/doc.xml" 2>"$scratch/err" && grep -q "^  <machine>pc-q35-7.2</machine>$" "$scratch/doc.xml"; then
	ok "recorded conversation through a fake emulator"
else
	bad "recorded conversation through a fake emulator: $(head -1 "$scratch/err")"
fi

# the leftover check itself sees a process that is there
cp /bin/sleep "$scratch/bin/control-sleep"
"$scratch/bin/control-sleep" 30 &
control=$!
check "the leftover check sees a running process" appears "$scratch/bin/control-sleep"
kill "$control"
wait "$control" 2>/dev/null
check "no emulator process left behind" none_left "$scratch/bin/"
check "no temporary file left behind" test -z "$(ls -A "$TMPDIR")"
finish
