#!/bin/bash
# `capsprobe host` probing many emulators at once: fake emulators
# (tests/fake-qemu behind small wrapper scripts named like QEMU binaries, in
# a directory that is the whole PATH) that are fast, slow, crashing or
# hanging.  A failed emulator is one warning line and its guests are left
# out; the document stays complete; every probe has its own deadline;
# exit 2 only when every probe failed; no emulator is left behind.
. "$(dirname "$0")/../lib.sh"

[ -x "${FAKE_QEMU:-}" ] || { echo "SKIP: no fake-qemu (set FAKE_QEMU)"; exit 77; }
fake=$scratch/fake-qemu
cp "$FAKE_QEMU" "$fake"
export TMPDIR=$scratch/tmp
mkdir -p "$TMPDIR"
rec=$FIXTURES/qemu

# emulator DIR NAME REPLIES [FAULT [DELAY]]: DIR/qemu-system-NAME
emulator() {
	local f=$1/qemu-system-$2
	mkdir -p "$1"
	{
		echo '#!/bin/sh'
		# every start is logged; a slow one also logs when its wait ended
		if [ -n "${5:-}" ]; then
			echo "echo \$(/bin/date +%s%N) \$(/bin/sleep $5; /bin/date +%s%N) >'$scratch/start.$2'"
		else
			echo "/bin/date +%s%N >'$scratch/start.$2'"
		fi
		echo "CAPSPROBE_FAKE_REPLIES='$3' CAPSPROBE_FAKE_FAULT='${4:-}' exec '$fake' \"\$@\""
	} >"$f"
	chmod +x "$f"
}

# guests FILE: the arch names of FILE's guests, one line
guests() { sed -n "s/^    <arch name='\(.*\)'>$/\1/p" "$1" | tr '\n' ' '; }

# many fast, three slow (1 s each), one crashing, one hanging
bin=$scratch/bin
emulator "$bin" alpha "$rec/7.2.22-riscv64.replies"
emulator "$bin" aarch64 "$rec/7.2.22-aarch64.replies"
emulator "$bin" i386 "$rec/7.2.22-i686-kvm.replies"
emulator "$bin" ppc64 "$rec/7.2.22-ppc64.replies"
emulator "$bin" riscv64 "$rec/7.2.22-riscv64.replies"
emulator "$bin" s390x "$rec/7.2.22-s390x.replies"
emulator "$bin" x86_64 "$rec/7.2.22-x86_64-kvm.replies"
emulator "$bin" m68k "$rec/7.2.22-riscv64.replies" "" 1
emulator "$bin" sh4 "$rec/7.2.22-riscv64.replies" "" 1
emulator "$bin" sh4eb "$rec/7.2.22-riscv64.replies" "" 1
emulator "$bin" ppc "$rec/7.2.22-ppc64.replies" crash
emulator "$bin" xtensa "$rec/7.2.22-riscv64.replies" hang

start=$(date +%s%N)
PATH=$bin capsprobe host --timeout 1.8 >"$scratch/out.xml" 2>"$scratch/err"
rc=$?
ms=$((($(date +%s%N) - start) / 1000000))
check "mixed emulators: exit 0 (rc $rc)" test "$rc" -eq 0
check "mixed emulators: guests of the working ones, in arch order" \
	test "$(guests "$scratch/out.xml")" = "alpha aarch64 i686 m68k ppc64 riscv64 s390x sh4 sh4eb x86_64 "
check "mixed emulators: two warning lines, nothing else" \
	test "$(wc -l <"$scratch/err")" -eq 2 -a "$(grep -c '^warning: no <guest> from ' "$scratch/err")" -eq 2
check "crashing emulator named" grep -q "^warning: no <guest> from $bin/qemu-system-ppc (ppc): " "$scratch/err"
check "hanging emulator timed out" \
	grep -Eq "^warning: no <guest> from $bin/qemu-system-xtensa \(xtensa\): .*timed out after " "$scratch/err"
if command -v xmllint >/dev/null; then
	check "mixed emulators: well-formed document" xmllint --noout "$scratch/out.xml"
fi
check "mixed emulators: complete document" test "$(tail -c 17 "$scratch/out.xml" | head -c 15)" = "</capabilities>"
check "the x86 guests have KVM" test "$(grep -c "<domain type='kvm'/>" "$scratch/out.xml")" -eq 2
# three 1 s emulators and a 1.8 s timeout: with one deadline for the whole
# run, the slow one started last would fail on two CPUs (or one)
check "each probe has its own deadline" test -z "$(grep -E 'm68k|sh4' "$scratch/err")"
# Parallel, shown by what happened rather than by how long it took (a
# loaded or sanitized machine is slow, not serial): with two or more CPUs,
# some emulator started while a slow one was still waiting.
overlap() {
	local f g s e t
	for f in "$scratch"/start.*; do
		read -r s e <"$f"
		[ -n "$e" ] || continue
		for g in "$scratch"/start.*; do
			[ "$g" != "$f" ] || continue
			read -r t _ <"$g"
			[ "$t" -gt "$s" ] && [ "$t" -lt "$e" ] && return 0
		done
	done
	return 1
}
if [ "$(nproc)" -ge 2 ]; then
	check "probes ran in parallel (${ms} ms; slow starts overlapped)" overlap
fi

# byte-identical run after run
PATH=$bin capsprobe host --timeout 1.8 >"$scratch/again.xml" 2>/dev/null
check "deterministic output" cmp -s "$scratch/out.xml" "$scratch/again.xml"

# --emulator picks among them; a renamed emulator serves the arch it reports
cp "$bin/qemu-system-x86_64" "$scratch/my-qemu"
capsprobe host --emulator "$bin/qemu-system-s390x" --emulator "$scratch/my-qemu" >"$scratch/e.xml" 2>"$scratch/err"
check "--emulator: exit 0" test $? -eq 0
check "--emulator: only those, renamed one by its arch" test "$(guests "$scratch/e.xml")" = "s390x x86_64 "
check "--emulator: printed path as given" grep -q "^      <emulator>$scratch/my-qemu</emulator>$" "$scratch/e.xml"
check "--emulator: no warning" test ! -s "$scratch/err"
capsprobe host --emulator "$scratch/nowhere/qemu-system-x86_64" >"$scratch/out" 2>"$scratch/err"
check "--emulator missing: exit 2" test $? -eq 2
check "--emulator missing: warning and error" \
	test "$(grep -c "^warning: no <guest> from $scratch/nowhere/qemu-system-x86_64 (i686, x86_64): .*no such file" "$scratch/err")" -eq 1 \
	-a "$(grep -c '^error: every emulator failed to probe (1)$' "$scratch/err")" -eq 1
capsprobe host --emulator "$bin/qemu-system-x86_64" --no-guests >/dev/null 2>&1
check "--emulator with --no-guests: usage error" test $? -eq 1

# every emulator failing: exit 2, one error line, no document
bad=$scratch/bad
for a in x86_64 aarch64 riscv64; do
	emulator "$bad" "$a" "$rec/7.2.22-riscv64.replies" exit-at-once
done
PATH=$bad capsprobe host >"$scratch/out" 2>"$scratch/err"
rc=$?
check "all failing: exit 2" test "$rc" -eq 2
check "all failing: no document" test ! -s "$scratch/out"
check "all failing: a warning each, then the error" \
	test "$(grep -c '^warning: no <guest> from ' "$scratch/err")" -eq 3 \
	-a "$(tail -1 "$scratch/err")" = "error: every emulator failed to probe (3)"

# no emulator at all: the host alone, exit 0, and one line saying why
mkdir -p "$scratch/empty"
PATH=$scratch/empty capsprobe host >"$scratch/out" 2>"$scratch/err"
check "no emulator: exit 0, no guest" test $? -eq 0 -a -z "$(guests "$scratch/out")"
check "no emulator: one warning says why there is no <guest>" \
	test "$(cat "$scratch/err")" = "warning: no QEMU emulator found (no qemu-system-* in PATH): the document lists no <guest>"
PATH=$scratch/empty capsprobe host -v >/dev/null 2>"$scratch/err"
check "no emulator, -v: the search is named" grep -q "^capsprobe: searched PATH=$scratch/empty for QEMU system emulators: 0 found$" "$scratch/err"

check "no emulator process left behind" none_left "$scratch/"
check "no temporary file left behind" test -z "$(ls -A "$TMPDIR")"
finish
