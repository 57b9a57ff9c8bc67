#!/bin/bash
# --emulator NAME (no slash) is looked for in PATH as execvp would, with no
# shell: each entry in order, an empty entry being the current directory,
# the first regular file that may be executed; under --sysroot among the
# recorded emulators.  A name found nowhere is one error line saying so.
. "$(dirname "$0")/../lib.sh" || exit 99
[ -x "${FAKE_QEMU:-}" ] || { echo "SKIP: no fake-qemu (FAKE_QEMU)"; exit 77; }

run() { # expected-status, args...
	local want=$1; shift
	capsprobe "$@" >"$scratch/out" 2>"$scratch/err"
	[ $? -eq "$want" ]
}
one_error_line() { [ "$(wc -l <"$scratch/err")" -eq 1 ] && grep -q '^error: ' "$scratch/err" && [ ! -s "$scratch/out" ]; }

# a fake emulator, and a decoy of the same name earlier in PATH that may not
# be executed (execvp goes on past it), and a directory of that name
fake() { # FILE: a wrapper replaying x86_64 answers
	printf '#!/bin/sh\nCAPSPROBE_FAKE_REPLIES=%s exec %s "$@"\n' \
		"'$FIXTURES/qemu/7.2.22-x86_64-kvm.replies'" "'$FAKE_QEMU'" >"$1"
	chmod +x "$1"
}
mkdir -p "$scratch/noexec" "$scratch/isdir/qemu-system-x86_64" "$scratch/bin"
fake "$scratch/noexec/qemu-system-x86_64"
chmod 644 "$scratch/noexec/qemu-system-x86_64"
fake "$scratch/bin/qemu-system-x86_64"
oldpath=$PATH

PATH=$scratch/noexec:$scratch/isdir:$scratch/bin:$oldpath
run 0 emulators --machines qemu-system-x86_64 --no-cache
check "emulators --machines NAME: found in PATH (exit 0)" test $? -eq 0
check "  past a file that may not be executed and a directory: the machines" grep -qx q35 "$scratch/out"
run 0 emulators --machines qemu-system-x86_64 -v
check "  the path found is the one probed" grep -qF "$scratch/bin/qemu-system-x86_64" "$scratch/err"

# an empty entry is the current directory (the path made absolute)
PATH=/nonexistent::$oldpath
(cd "$scratch/bin" && capsprobe emulators --machines qemu-system-x86_64 --no-cache -v) >"$scratch/out" 2>"$scratch/err"
check "an empty PATH entry: the current directory" eval 'grep -qx q35 "$scratch/out" && grep -qF "$scratch/bin/qemu-system-x86_64" "$scratch/err"'
PATH=$oldpath
(cd "$scratch/bin" && PATH=/nonexistent capsprobe emulators --machines qemu-system-x86_64 --no-cache) \
	>"$scratch/out" 2>"$scratch/err"
check "  and without one, not the current directory (exit $?)" one_error_line

# a name found nowhere
PATH=$scratch/noexec:$oldpath
for cmd in "emulators --machines" "domain --emulator" "host --emulator" "record $scratch/rec --emulator"; do
	# shellcheck disable=SC2086
	run 2 $cmd qemu-system-nowhere
	check "$cmd NAME found nowhere: exit 2, one error line" eval 'test $? -eq 0 && one_error_line'
	check "  saying so" grep -qx "error: qemu-system-nowhere: no such emulator in PATH" "$scratch/err"
done
check "record made nothing" test ! -e "$scratch/rec"
PATH=$oldpath
PATH=$scratch/noexec:$scratch/bin capsprobe domain --emulator qemu-system-x86_46 >/dev/null 2>"$scratch/err"
check "a mistyped name: the nearest QEMU program in PATH" \
	grep -qx "error: qemu-system-x86_46: no such emulator in PATH; did you mean 'qemu-system-x86_64'?" "$scratch/err"

# under --sysroot: among the recorded emulators, in the replaying PATH
root=$scratch/replay
cp -r "$FIXTURES/domain/host-x86_64-amd" "$root"
mkdir -p "$root/capsprobe/qemu/usr/bin/qemu-system-x86_64"
cp "$FIXTURES/qemu/7.2.22-x86_64"*.replies "$root/capsprobe/qemu/usr/bin/qemu-system-x86_64/"
PATH=/opt/nothing:/usr/bin capsprobe domain --sysroot "$root" --emulator qemu-system-x86_64 --machine q35 \
	>"$scratch/name.xml" 2>"$scratch/err"
check "domain --sysroot --emulator NAME: the recorded one in PATH" \
	grep -q '^  <path>/usr/bin/qemu-system-x86_64</path>$' "$scratch/name.xml"
capsprobe domain --sysroot "$root" --emulator /usr/bin/qemu-system-x86_64 --machine q35 >"$scratch/path.xml"
check "  the document of its path" cmp -s "$scratch/name.xml" "$scratch/path.xml"
PATH=/opt/nothing capsprobe domain --sysroot "$root" --emulator qemu-system-x86_64 >/dev/null 2>"$scratch/err"
check "  not in the replaying PATH: says so" \
	grep -qx "error: qemu-system-x86_64: no such emulator in PATH among the recorded ones" "$scratch/err"

# host --emulator NAME under --sysroot: as its path
t=$scratch/guests
mkdir -p "$t"
cp -r "$FIXTURES/host/$(cat "$FIXTURES/guests/epyc-milan-7-emulators/host-tree")/." "$t/"
cp -r "$FIXTURES/guests/epyc-milan-7-emulators/capsprobe/." "$t/capsprobe/"
PATH=/usr/bin capsprobe host --sysroot "$t" --emulator qemu-system-arm >"$scratch/hn.xml" 2>"$scratch/err"
capsprobe host --sysroot "$t" --emulator /usr/bin/qemu-system-arm >"$scratch/hp.xml" 2>&1
check "host --sysroot --emulator NAME: the document of its path" \
	eval 'grep -q "<emulator>/usr/bin/qemu-system-arm</emulator>" "$scratch/hn.xml" && cmp -s "$scratch/hn.xml" "$scratch/hp.xml"'
finish
