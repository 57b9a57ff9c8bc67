#!/bin/bash
# `capsprobe record DIR` round trip with fake emulators (tests/fake-qemu
# behind wrapper scripts named like QEMU binaries, in a directory that is
# the whole emulator PATH): record, then replay `host` and many `domain`
# requests from a moved copy of DIR, with the fake emulators gone, and
# compare each with the live output (documents, errors and exit statuses).
. "$(dirname "$0")/lib.sh" || exit 99
[ -d "${scratch:-}" ] || { echo "ERROR: no scratch directory"; exit 99; }

[ -x "${FAKE_QEMU:-}" ] || { echo "SKIP: no fake-qemu (set FAKE_QEMU)"; exit 77; }
fake=$scratch/fake-qemu
cp "$FAKE_QEMU" "$fake"
export TMPDIR=$scratch/tmp
mkdir -p "$TMPDIR"
# the KVM recordings replayed below were made where KVM worked
kvm_host || { echo "ERROR: cannot state the KVM facts"; exit 99; }
rec=$FIXTURES/qemu

# emulator NAME REPLIES...: $bin/qemu-system-NAME answering from the
# given recordings (a KVM pass 1 and its TCG pass 2 in one file)
bin=$scratch/bin
mkdir -p "$bin"
emulator() {
	local f=$bin/qemu-system-$1
	shift
	cat "$@" >"$f.replies"
	printf '#!/bin/sh\nCAPSPROBE_FAKE_REPLIES=%s exec %s "$@"\n' "'$f.replies'" "'$fake'" >"$f"
	chmod +x "$f"
}
emulator x86_64 "$rec/7.2.22-x86_64-kvm.replies" "$rec/7.2.22-x86_64-tcg.replies"
emulator i386 "$rec/7.2.22-i686-kvm.replies" "$rec/7.2.22-i686-tcg.replies"
emulator aarch64 "$rec/7.2.22-aarch64.replies"
emulator riscv64 "$rec/7.2.22-riscv64.replies"
emulator s390x "$rec/7.2.22-s390x.replies"
emulator ppc64 "$rec/7.2.22-ppc64.replies"

# live: the host (and its emulators) as they are now
# the live side probes each emulator once (its own cache); the replay below
# reads only the recording
export CAPSPROBE_CACHE_DIR=$scratch/cache
live() { PATH=$bin capsprobe "$@"; }

dir=$scratch/rec
PATH=$bin capsprobe record "$dir" >"$scratch/out" 2>"$scratch/err"
rc=$?
check "record: exit 0 (rc $rc: $(head -1 "$scratch/err"))" test "$rc" -eq 0
check "record: one summary line" \
	grep -qx "recorded the host, 6 emulator(s) and [0-9]* domain request(s) in $dir" "$scratch/out"
check "record: nothing on stderr" test ! -s "$scratch/err"
check "record: the emulator search" test -s "$dir/capsprobe/emulators"
for e in x86_64 i386; do
	check "record: $e: both passes" \
		test -s "$dir/capsprobe/qemu$bin/qemu-system-$e/7.2.22-$( [ $e = i386 ] && echo i686 || echo $e)-tcg.replies"
done
check "record: full conversations (schema asked)" \
	grep -q '"execute": "query-qmp-schema"' "$dir/capsprobe/qemu$bin/qemu-system-aarch64/7.2.22-aarch64.replies"

# "another machine": a moved copy, the fake emulators removed
live host >"$scratch/host.live" 2>&1
for e in x86_64 i386 aarch64 riscv64 s390x ppc64; do
	for args in "" "--virttype qemu" "--virttype kvm" "--machine q35" "--machine pc" "--machine virt" \
		"--arch i686" "--arch armv7l --virttype qemu" "--machine no-such-machine"; do
		n=$e${args// /_}
		live domain --emulator "$bin/qemu-system-$e" $args >"$scratch/$n.live" 2>&1
		echo "rc $?" >>"$scratch/$n.live"
	done
done
# --debug: the QMP traffic on stderr, one line per message, cut at 4 KiB
x86=$bin/qemu-system-x86_64
live domain --emulator "$x86" --no-cache >"$scratch/plain.xml"
live domain --emulator "$x86" --no-cache --debug >"$scratch/dbg.xml" 2>"$scratch/dbg.err"
check "--debug: the document is unchanged" cmp -s "$scratch/plain.xml" "$scratch/dbg.xml"
check "--debug: only 'debug: qmp PATH ->|<- {...}' lines" \
	test "$(grep -cv "^debug: qmp $x86 \(->\|<-\) {" "$scratch/dbg.err")" -eq 0
check "--debug: requests and replies" \
	grep -q "^debug: qmp $x86 -> {\"execute\":\"query-qmp-schema\"" "$scratch/dbg.err"
check "--debug: the schema reply cut at 4096 bytes" grep -Eq '\.\.\. \([0-9]{5,} bytes\)$' "$scratch/dbg.err"
check "--debug: no line longer than 4 KiB and a little" test "$(awk '{ if (length > m) m = length } END { print m }' "$scratch/dbg.err")" -lt 4300

mv "$dir" "$scratch/moved"
rm -rf "$scratch/bin"
# the recording carries what was stated: replay it without
unset CAPSPROBE_FACTS
check "record: the stated KVM facts recorded" \
	cmp -s "$FIXTURES/domain/host-x86_64-amd/capsprobe/kvm-max-vcpus" "$scratch/moved/capsprobe/kvm-max-vcpus"

capsprobe host --sysroot "$scratch/moved" >"$scratch/host.replay" 2>&1
check "replay: host = live host" cmp -s "$scratch/host.live" "$scratch/host.replay"
same=0 differ=0
for e in x86_64 i386 aarch64 riscv64 s390x ppc64; do
	for args in "" "--virttype qemu" "--virttype kvm" "--machine q35" "--machine pc" "--machine virt" \
		"--arch i686" "--arch armv7l --virttype qemu" "--machine no-such-machine"; do
		n=$e${args// /_}
		capsprobe domain --sysroot "$scratch/moved" --emulator "$bin/qemu-system-$e" $args \
			>"$scratch/$n.replay" 2>&1
		echo "rc $?" >>"$scratch/$n.replay"
		if cmp -s "$scratch/$n.live" "$scratch/$n.replay"; then
			same=$((same + 1))
		else
			differ=$((differ + 1))
			bad "replay: domain --emulator qemu-system-$e $args differs"
			diff "$scratch/$n.live" "$scratch/$n.replay" | head -10
		fi
	done
done
check "replay: $same domain requests (documents and errors) = live" test "$differ" -eq 0 -a "$same" -eq 54
check "replay: some requests printed documents" \
	test "$(grep -l '^rc 0$' "$scratch"/*.replay | wc -l)" -ge 20

capsprobe domain --sysroot "$scratch/moved" --emulator "$x86" --debug >/dev/null 2>"$scratch/dbg.err"
check "--debug under --sysroot: the replayed conversation" \
	grep -q "^debug: qmp $x86 <- {\"return\"" "$scratch/dbg.err"

# usage and refusals: one error line each
capsprobe record >"$scratch/out" 2>"$scratch/err"
check "record without DIR: exit 1, one error line" \
	test $? -eq 1 -a "$(wc -l <"$scratch/err")" -eq 1 -a ! -s "$scratch/out"
capsprobe record "$scratch/moved" >"$scratch/out" 2>"$scratch/err"
rc=$?
check "record into a non-empty DIR: exit 2" test "$rc" -eq 2 -a ! -s "$scratch/out"
check "record into a non-empty DIR: one error line" \
	test "$(cat "$scratch/err")" = "error: $scratch/moved exists and is not empty"
: >"$scratch/file"
capsprobe record "$scratch/file" >/dev/null 2>"$scratch/err"
check "record into a file: exit 2, one error line" test $? -eq 2 -a "$(wc -l <"$scratch/err")" -eq 1
finish
