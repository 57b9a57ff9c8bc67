#!/bin/bash
# Golden domain tests: each case in tests/fixtures/domain/cases is replayed
# (no QEMU runs) from the recorded QMP conversations in tests/fixtures/qemu
# and a recorded host tree, and must print libvirt 11.3's own document for
# that request byte for byte.  Expectations are libvirt's: there is no
# CAPSPROBE_REGEN here.
. "$(dirname "$0")/../lib.sh" || exit 99

dom=$FIXTURES/domain
n=0
while read -r name host facts replies args; do
	case $name in ''|'#'*) continue ;; esac
	n=$((n + 1))
	root=$scratch/$name
	cp -r "$dom/$host" "$root"
	if [ "$facts" != - ]; then
		for f in ${facts//,/ }; do
			mkdir -p "$root/capsprobe"
			printf '%s\n' "${f#*=}" >"$root/capsprobe/${f%%=*}"
		done
	fi
	# shellcheck disable=SC2086
	set -- $args
	emu=
	while [ $# -gt 0 ]; do
		[ "$1" = --emulator ] && emu=$2
		shift
	done
	mkdir -p "$root/capsprobe/qemu$emu"
	cp "$FIXTURES/qemu/$replies"*.replies "$root/capsprobe/qemu$emu/"
	# shellcheck disable=SC2086
	if ! capsprobe domain --sysroot "$root" $args >"$scratch/$name.xml" 2>"$scratch/$name.err"; then
		bad "$name: capsprobe failed: $(head -1 "$scratch/$name.err")"
		continue
	fi
	if cmp -s "$dom/$name.xml" "$scratch/$name.xml"; then
		ok "$name"
	else
		bad "$name: output differs from libvirt's"
		diff -u "$dom/$name.xml" "$scratch/$name.xml" | head -20
	fi
done <"$dom/cases"
check "at least one case" test "$n" -gt 0

# replay starts no process: no emulator needs to exist or be found
root=$scratch/x86_64-q35-kvm
if out=$(PATH=/nonexistent capsprobe domain --sysroot "$root" --emulator /usr/bin/qemu-system-x86_64 \
	--machine q35 2>&1 >/dev/null); then
	ok "replay with an empty PATH"
else
	bad "replay with an empty PATH: $out"
fi
# replay answers the emulator search from the recorded binaries
if capsprobe domain --sysroot "$root" --arch x86_64 --machine q35 --virttype kvm | cmp -s - "$dom/x86_64-q35-kvm.xml"; then
	ok "replay: emulator found by arch"
else
	bad "replay: emulator found by arch"
fi
err=$(capsprobe domain --sysroot "$root" --arch aarch64 2>&1 >/dev/null)
check "replay: no recorded aarch64 emulator" test "$err" = "error: unable to find any emulator to serve 'aarch64' architecture"
err=$(capsprobe domain --sysroot "$root" --emulator /usr/bin/qemu-system-x86_64 --machine foo 2>&1 >/dev/null)
check "replay: unknown machine, libvirt's message and every machine ($err)" \
	eval 'case $err in "error: the machine '"'foo'"' is not supported by emulator '"'/usr/bin/qemu-system-x86_64'"'; valid: "*", q35"*) ;; *) false ;; esac'
err=$(capsprobe domain --sysroot "$root" --emulator /usr/bin/qemu-system-x86_64 --machine q53 2>&1 >/dev/null)
check "replay: a mistyped machine, the nearest" \
	test "$err" = "error: the machine 'q53' is not supported by emulator '/usr/bin/qemu-system-x86_64'; did you mean 'q35'?"
finish
