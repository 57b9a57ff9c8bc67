#!/bin/bash
# Well-formed QMP carrying answers that make no sense, one at a time in a
# copy of a real recording replayed by the fake emulator: each is one error
# line naming the emulator and what was wrong, exit 2, no document.  The
# unedited recording is the control (it gives the document).
. "$(dirname "$0")/../lib.sh" || exit 99

[ -x "${FAKE_QEMU:-}" ] || { echo "SKIP: no fake-qemu (set FAKE_QEMU)"; exit 77; }
command -v perl >/dev/null || { echo "SKIP: no perl to edit the recordings"; exit 77; }
kvm_host || { echo "ERROR: cannot state the KVM facts"; exit 99; }
bin=$scratch/bin
fake=$bin/qemu-system-x86_64
mkdir -p "$bin"
cp "$FAKE_QEMU" "$fake"
rec=$FIXTURES/qemu/7.2.22-x86_64-kvm.replies

# edit CMD JSON: the recording with the reply to CMD's (first) call
# replaced by {"return": JSON} (same id), into $scratch/replies
edit() { edit_reply "$rec" "$1" "$2" "$scratch/replies"; }
# want CMD JSON TEXT: with that reply, exit 2, one error line with TEXT
want() {
	local rc
	edit "$1" "$2" || { bad "$1: not found in the recording"; return; }
	CAPSPROBE_FAKE_REPLIES=$scratch/replies PATH=$bin \
		capsprobe domain --no-cache --emulator "$fake" --machine q35 --virttype kvm >"$scratch/out" 2>"$scratch/err"
	rc=$?
	check "$1 answering $2: exit 2 (rc $rc)" test $rc -eq 2
	check "  one error line: $3 ($(head -1 "$scratch/err"))" \
		eval "[ \$(wc -l <'$scratch/err') -eq 1 ] && grep -qF -- \"error: $3\" '$scratch/err'"
	check "  no document" test ! -s "$scratch/out"
}

CAPSPROBE_FAKE_REPLIES=$rec PATH=$bin capsprobe domain --no-cache --emulator "$fake" --machine q35 --virttype kvm \
	>"$scratch/out" 2>"$scratch/err"
check "control: the recording as made gives the document" \
	eval "[ \$? -eq 0 ] && grep -q '<domainCapabilities>' '$scratch/out'"

want query-version '{"qemu": {"major": 7, "minor": "2", "micro": 22}, "package": ""}' \
	"malformed QMP reply from $fake: query-version: return.qemu.minor is not a 32-bit integer"
want query-version '{"qemu": {"major": 7, "minor": 1000, "micro": 0}, "package": ""}' \
	"malformed QMP reply from $fake: query-version has no valid version"
want query-version '{"qemu": {"major": 2, "minor": 0, "micro": 0}, "package": ""}' \
	"QEMU version >= "
want query-target '{}' "malformed QMP reply from $fake: query-target: return.arch is missing"
want query-machines '[{"name": "q35", "cpu-max": "many"}]' "malformed QMP reply from $fake: query-machines: "
want query-target '{"arch": "pdp11"}' "$fake: unknown architecture 'pdp11' reported by the emulator"
finish
