#!/bin/bash
# `capsprobe host` probing many emulators at once: fake emulators
# (tests/fake-qemu behind small wrapper scripts named like QEMU binaries, in
# a directory that is the whole PATH) that are fast, slow, crashing or
# hanging.  A failed emulator is one warning line and its guests are left
# out; the document stays complete; every probe has its own deadline;
# probes run in parallel; exit 2 only when every probe failed; no emulator
# is left behind.  Nothing here races a sleep against a deadline: parallel
# probes are shown by two emulators that each wait for the other to start,
# the own deadlines by a probe that starts after a whole-run deadline would
# have passed, and the deadlines are far above what a probe takes.
. "$(dirname "$0")/../lib.sh" || exit 99

[ -x "${FAKE_QEMU:-}" ] || { echo "SKIP: no fake-qemu (set FAKE_QEMU)"; exit 77; }
fake=$scratch/fake-qemu
cp "$FAKE_QEMU" "$fake"
export TMPDIR=$scratch/tmp
mkdir -p "$TMPDIR"
rec=$FIXTURES/qemu

# emulator DIR NAME REPLIES [FAULT [OTHER]]: DIR/qemu-system-NAME, which
# logs when it starts (ns) in $scratch/start.NAME; with OTHER, it then waits
# until qemu-system-OTHER has started too (for as long as capsprobe lets it)
emulator() {
	local f=$1/qemu-system-$2
	mkdir -p "$1"
	{
		echo '#!/bin/sh'
		echo "/bin/date +%s%N >'$scratch/.start.$2' && /bin/mv '$scratch/.start.$2' '$scratch/start.$2'"
		if [ -n "${5:-}" ]; then
			echo "while [ ! -e '$scratch/start.$5' ]; do /bin/sleep 0.05; done"
		fi
		echo "CAPSPROBE_FAKE_REPLIES='$3' CAPSPROBE_FAKE_FAULT='${4:-}' exec '$fake' \"\$@\""
	} >"$f"
	chmod +x "$f"
}
# A limit for each probe that no working one reaches (a probe takes a
# fraction of a second), loaded, sanitized or under valgrind (the wrapper);
# only a hanging emulator waits it out.
T=20
[ -z "${CAPSPROBE_WRAPPER:-}" ] || T=120

# guests FILE: the arch names of FILE's guests, one line
guests() { sed -n "s/^    <arch name='\(.*\)'>$/\1/p" "$1" | tr '\n' ' '; }

# Many fast, one crashing, and two that start only together (sh4 waits for
# sh4eb and sh4eb for sh4): adjacent in libvirt's arch order, so two
# probes at once meet, one at a time never does (and times out).
bin=$scratch/bin
par=
[ "$(nproc)" -ge 2 ] && par=1
emulator "$bin" alpha "$rec/7.2.22-riscv64.replies"
emulator "$bin" aarch64 "$rec/7.2.22-aarch64.replies"
emulator "$bin" i386 "$rec/7.2.22-i686-kvm.replies"
emulator "$bin" m68k "$rec/7.2.22-riscv64.replies"
emulator "$bin" ppc64 "$rec/7.2.22-ppc64.replies"
emulator "$bin" riscv64 "$rec/7.2.22-riscv64.replies"
emulator "$bin" s390x "$rec/7.2.22-s390x.replies"
emulator "$bin" sh4 "$rec/7.2.22-riscv64.replies" "" ${par:+sh4eb}
emulator "$bin" sh4eb "$rec/7.2.22-riscv64.replies" "" ${par:+sh4}
emulator "$bin" x86_64 "$rec/7.2.22-x86_64-kvm.replies"
emulator "$bin" ppc "$rec/7.2.22-ppc64.replies" crash

# mixed PREFIX: the run, then its checks
mixed() {
	rm -f "$scratch"/start.*
	local t0=$(date +%s%N)
	PATH=$bin capsprobe host --timeout $T >"$scratch/$1.xml" 2>"$scratch/$1.err"
	rc=$?
	echo "($1: $((($(date +%s%N) - t0) / 1000000)) ms)"
}
mixed out
check "mixed emulators: exit 0 (rc $rc)" test "$rc" -eq 0
check "mixed emulators: guests of the working ones, in arch order" \
	test "$(guests "$scratch/out.xml")" = "alpha aarch64 i686 m68k ppc64 riscv64 s390x sh4 sh4eb x86_64 "
check "mixed emulators: one warning line, nothing else" \
	test "$(wc -l <"$scratch/out.err")" -eq 1 -a "$(grep -c '^warning: no <guest> from ' "$scratch/out.err")" -eq 1
check "crashing emulator named" grep -q "^warning: no <guest> from $bin/qemu-system-ppc (ppc): " "$scratch/out.err"
if command -v xmllint >/dev/null; then
	check "mixed emulators: well-formed document" xmllint --noout "$scratch/out.xml"
else
	skip "mixed emulators: well-formed document (no xmllint)"
fi
check "mixed emulators: complete document" test "$(tail -c 17 "$scratch/out.xml" | head -c 15)" = "</capabilities>"
check "the x86 guests have KVM" test "$(grep -c "<domain type='kvm'/>" "$scratch/out.xml")" -eq 2
# sh4 and sh4eb each waited for the other: had the probes run one at a
# time, the first would have timed out waiting (a warning, its guests gone)
if [ -n "$par" ]; then
	check "probes ran in parallel (sh4 and sh4eb met)" \
		eval 'grep -q "<arch name=.sh4.>" "$scratch/out.xml" && grep -q "<arch name=.sh4eb.>" "$scratch/out.xml"'
else
	skip "probes ran in parallel (one CPU: capsprobe probes one at a time)"
fi

# byte-identical run after run
mixed again
check "deterministic output" cmp -s "$scratch/out.xml" "$scratch/again.xml"
cmp -s "$scratch/out.xml" "$scratch/again.xml" || { diff -u "$scratch/out.xml" "$scratch/again.xml" | head -20; cat "$scratch/again.err"; }

# Each probe has its own deadline: with one CPU (taskset), capsprobe probes
# one at a time, and the hanging emulator comes first in arch order; the
# others start once it has timed out, after a deadline for the whole run
# would have passed, and must still succeed.
ts=$(command -v taskset)
cpu=$($ts -pc $$ 2>/dev/null | sed -n 's/^.*: \([0-9]*\).*$/\1/p')
if [ -n "$ts" ] && [ -n "$cpu" ] && "$ts" -c "$cpu" true 2>/dev/null; then
	one=$scratch/one
	emulator "$one" alpha "$rec/7.2.22-riscv64.replies" hang
	emulator "$one" aarch64 "$rec/7.2.22-aarch64.replies"
	emulator "$one" x86_64 "$rec/7.2.22-x86_64-kvm.replies"
	rm -f "$scratch"/start.*
	start=$(date +%s%N)
	PATH=$one "$ts" -c "$cpu" ${CAPSPROBE_WRAPPER:-} "$CAPSPROBE" host --timeout $T >"$scratch/one.xml" 2>"$scratch/one.err"
	rc=$?
	check "one at a time: exit 0 (rc $rc)" test "$rc" -eq 0
	check "hanging emulator timed out, the only warning" \
		test "$(wc -l <"$scratch/one.err")" -eq 1 -a \
		-n "$(grep -E "^warning: no <guest> from $one/qemu-system-alpha \(alpha\): .*timed out after " "$scratch/one.err")"
	# (a lower bound: a loaded machine only makes the start later)
	late=$(cat "$scratch/start.aarch64" 2>/dev/null || echo 0)
	check "one at a time: the next probe started after the hanging one's $T s" \
		test "$late" -ge $((start + T * 1000000000))
	check "each probe has its own deadline (the later ones succeeded)" \
		test "$(guests "$scratch/one.xml")" = "aarch64 i686 x86_64 "
else
	skip "each probe has its own deadline (no taskset to probe one at a time)"
fi

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
