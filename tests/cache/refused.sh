#!/bin/bash
# An emulator refused for what it is (an arch libvirt does not know, a QEMU
# older than supported) is remembered in the cache like an answer: a warm
# run gives the same one error line without starting it; a change of the
# binary, --refresh or --no-cache probe again; a failure that is not a
# refusal (a crash) is never remembered.
#
# The emulator is a script that logs each start and runs tests/fake-qemu on
# a copy of a real recording whose one reply is edited.
. "$(dirname "$0")/../lib.sh" || exit 99

[ -x "${FAKE_QEMU:-}" ] || { echo "SKIP: no fake-qemu (set FAKE_QEMU)"; exit 77; }
command -v perl >/dev/null || { echo "SKIP: no perl to edit the recordings"; exit 77; }
kvm_host || { echo "ERROR: cannot state the KVM facts"; exit 99; }
bin=$scratch/bin
emu=$bin/qemu-system-x86_64
log=$scratch/starts
cache=$scratch/c
rec=$FIXTURES/qemu/7.2.22-x86_64-kvm.replies
mkdir -p "$bin"
logged_emulator "$emu" "$log"

# edit CMD JSON: the recording with CMD's reply replaced, into $scratch/replies
edit() { edit_reply "$rec" "$1" "$2" "$scratch/replies"; }
export CAPSPROBE_FAKE_REPLIES=$scratch/replies
# dom NAME ARGS...: `domain` on the emulator; sets $rc and $new (starts)
dom() {
	local name=$1 before; shift
	before=$(starts)
	PATH=$bin capsprobe domain --emulator "$emu" --machine q35 --virttype kvm "$@" \
		>"$scratch/$name" 2>"$scratch/$name.err"
	rc=$?
	new=$(($(starts) - before))
}
one_error() { [ "$(wc -l <"$scratch/$1.err")" -eq 1 ] && grep -qF -- "error: $2" "$scratch/$1.err"; }

# ---- an arch libvirt does not know ----
edit query-target '{"arch": "pdp11"}' || { echo "ERROR: no query-target in $rec"; exit 99; }
msg="$emu: unknown architecture 'pdp11' reported by the emulator"
dom cold --cache-dir "$cache"
check "unknown arch, cold: exit 2, probed ($new start)" test $rc -eq 2 -a "$new" -ge 1
check "  one error line ($(head -1 "$scratch/cold.err"))" one_error cold "$msg"
check "  no document" test ! -s "$scratch/cold"
check "  an entry remembers it" grep -qF "\"refused\":\"$emu: unknown architecture 'pdp11'" "$cache"/*.json
dom warm --cache-dir "$cache"
check "warm: exit 2, the emulator not started ($new)" test $rc -eq 2 -a "$new" -eq 0
check "  the same error line" cmp -s "$scratch/cold.err" "$scratch/warm.err"
dom warmv --cache-dir "$cache" -v
check "  --verbose says it came from the cache" grep -q "refused by an earlier probe (cache)" "$scratch/warmv.err"
PATH=$bin capsprobe cache list --cache-dir "$cache" >"$scratch/list" 2>&1
check "cache list: the refused emulator listed ($(grep -F "$emu" "$scratch/list"))" \
	grep -q "^$emu	-	" "$scratch/list"
dom refresh --cache-dir "$cache" --refresh
check "--refresh: probed again ($new)" test $rc -eq 2 -a "$new" -ge 1
dom nocache --cache-dir "$cache" --no-cache
check "--no-cache: probed again ($new)" test $rc -eq 2 -a "$new" -ge 1
# the binary changes (an upgrade): its new answers count
cp "$rec" "$scratch/replies"
sleep 0.01
touch "$emu"
dom upgraded --cache-dir "$cache"
check "changed binary: probed again, its document ($new, $(head -1 "$scratch/upgraded.err"))" \
	eval 'test $rc -eq 0 -a "$new" -ge 1 && grep -q "<domainCapabilities>" "$scratch/upgraded"'

# ---- a QEMU older than supported ----
rm -rf "$cache"
edit query-version '{"qemu": {"major": 2, "minor": 0, "micro": 0}, "package": ""}'
touch "$emu"
dom old1 --cache-dir "$cache"
check "old QEMU, cold: exit 2, one error line ($(head -1 "$scratch/old1.err"))" \
	eval 'test $rc -eq 2 && one_error old1 "QEMU version >= "'
dom old2 --cache-dir "$cache"
check "  warm: the same line, not started ($new)" \
	eval 'test $rc -eq 2 -a "$new" -eq 0 && cmp -s "$scratch/old1.err" "$scratch/old2.err"'

# ---- `host`: the refused emulator is left out, warm without a start ----
rm -rf "$cache"
edit query-target '{"arch": "pdp11"}'
touch "$emu"
before=$(starts)
PATH=$bin capsprobe host --cache-dir "$cache" >"$scratch/h1" 2>"$scratch/h1.err"
rc1=$? n1=$(($(starts) - before))
before=$(starts)
PATH=$bin capsprobe host --cache-dir "$cache" >"$scratch/h2" 2>"$scratch/h2.err"
rc2=$? n2=$(($(starts) - before))
check "host, cold: probed it ($n1), rc $rc1" test "$n1" -ge 1
check "host, warm: not started ($n2), same exit ($rc2) and output" \
	eval 'test "$n2" -eq 0 -a $rc1 -eq $rc2 && cmp -s "$scratch/h1" "$scratch/h2" && cmp -s "$scratch/h1.err" "$scratch/h2.err"'
check "  no <guest> for it" eval '! grep -q "<emulator>$emu</emulator>" "$scratch/h1"'

# ---- a failure that is not a refusal is not remembered ----
rm -rf "$cache"
cp "$rec" "$scratch/replies"
touch "$emu"
CAPSPROBE_FAKE_FAULT=crash dom crash1 --cache-dir "$cache"
check "a crashing emulator: exit 2 ($(head -1 "$scratch/crash1.err"))" test $rc -eq 2
check "  no entry written" test -z "$(ls "$cache" 2>/dev/null | grep -E '^[0-9a-f]{64}\.json$')"
CAPSPROBE_FAKE_FAULT=crash dom crash2 --cache-dir "$cache"
check "  the next run starts it again ($new)" test "$new" -ge 1
check "no emulator process left behind" none_left "$scratch/fake-qemu"
finish
