#!/bin/bash
# Live domain tests: run the real QEMU (skipped, exit 77, without
# /usr/bin/qemu-system-x86_64).  On the machine kind the golden expectations
# were recorded on (same CPU model name) the documents must be libvirt
# 11.3's byte for byte: with KVM usable, libvirt's KVM documents; without,
# libvirt's documents of the same machine with /dev/kvm gone; TCG ones
# either way.  Elsewhere only their shape is checked.  Every
# run must leave no QEMU process and no temporary file behind; bad requests
# and bad emulators must give one clean error line.
. "$(dirname "$0")/../lib.sh" || exit 99

qemu=/usr/bin/qemu-system-x86_64
[ -x "$qemu" ] || { echo "SKIP: no $qemu"; exit 77; }
dom=$FIXTURES/domain
export TMPDIR=$scratch/tmp
mkdir -p "$TMPDIR"

# Leftovers are looked for with a private name for the emulator (other
# tests may run QEMU at the same time).
mkdir -p "$scratch/bin"
ln -s "$qemu" "$scratch/bin/qemu-system-x86_64"
priv=$scratch/bin/qemu-system-x86_64

model() { grep -m1 '^model name' "$1" 2>/dev/null; }
same_host=
if [ "$(model /proc/cpuinfo)" = "$(model "$dom/host-x86_64-amd/proc/cpuinfo")" ]; then
	same_host=1
fi
kvm=
[ -r /dev/kvm ] && [ -w /dev/kvm ] && kvm=1

# case NAME ARGS...: a successful probe, compared with libvirt's document
# NAME.xml
case_ok() {
	local name=$1; shift
	if ! capsprobe domain --emulator "$qemu" "$@" >"$scratch/$name.xml" 2>"$scratch/$name.err"; then
		bad "$name: capsprobe failed: $(head -1 "$scratch/$name.err")"
	elif [ -s "$scratch/$name.err" ]; then
		bad "$name: unexpected stderr: $(head -1 "$scratch/$name.err")"
	elif [ -n "$same_host" ]; then
		if cmp -s "$dom/$name.xml" "$scratch/$name.xml"; then
			ok "$name (libvirt's document)"
		else
			bad "$name: differs from libvirt's document"
			diff -u "$dom/$name.xml" "$scratch/$name.xml" | head -20
		fi
	elif grep -q "^  <path>$qemu</path>$" "$scratch/$name.xml" && tail -2 "$scratch/$name.xml" | grep -q '^</domainCapabilities>$'; then
		ok "$name (shape only: not the recorded machine kind)"
	else
		bad "$name: not a domainCapabilities document"
	fi
}

if [ -n "$kvm" ]; then
	case_ok x86_64-q35-kvm --machine q35 --virttype kvm
	case_ok x86_64-pc-kvm --machine pc --virttype kvm
	case_ok x86_64-default
else
	skip "kvm cases (/dev/kvm unusable)"
	# no KVM: the default virttype is qemu, and KVM is refused as libvirt does
	case_ok x86_64-nokvm-default
	case_ok x86_64-nokvm-q35 --machine q35
	err_kvm=1
fi
case_ok x86_64-q35-qemu --machine q35 --virttype qemu
case_ok x86_64-pc-qemu --machine pc --virttype qemu

# err WHAT STATUS MESSAGE ARGS...: exit status, one exact stderr line, no output
err() {
	local what=$1 want_rc=$2 want=$3 rc; shift 3
	${runner:-capsprobe} domain "$@" >"$scratch/out" 2>"$scratch/err"
	rc=$?
	if [ "$rc" -ne "$want_rc" ]; then
		bad "$what: exit $rc, wanted $want_rc ($(head -1 "$scratch/err"))"
	elif [ -s "$scratch/out" ]; then
		bad "$what: printed a document"
	elif [ "$(wc -l <"$scratch/err")" -ne 1 ] || [ "$(cat "$scratch/err")" != "error: $want" ]; then
		bad "$what: stderr was: $(cat "$scratch/err")"
	else
		ok "$what"
	fi
}

printf 'not a binary\n' >"$scratch/noexec"
chmod 644 "$scratch/noexec"
err "unknown machine" 2 "the machine 'q53' is not supported by emulator '$qemu'; did you mean 'q35'?" \
	--emulator "$qemu" --machine q53
err "unknown arch" 1 "unknown architecture: x86-64; did you mean 'x86_64'? (see 'capsprobe domain --help')" \
	--emulator "$qemu" --arch x86-64
err "unknown virttype" 1 "unknown virttype: bar; valid: kvm, qemu (see 'capsprobe domain --help')" \
	--emulator "$qemu" --virttype bar
err "arch of another family" 2 "architecture from emulator 'x86_64' doesn't match given architecture 'aarch64'" \
	--emulator "$qemu" --arch aarch64
if [ -x /usr/bin/qemu-system-aarch64 ]; then
	err "kvm on aarch64" 2 "the accel 'kvm' is not supported by '/usr/bin/qemu-system-aarch64' on this host" \
		--emulator /usr/bin/qemu-system-aarch64 --virttype kvm
else
	skip "kvm on aarch64 (no /usr/bin/qemu-system-aarch64)"
fi
if [ -x /usr/bin/qemu-system-i386 ]; then
	err "i386 emulator, x86_64 guest" 2 "Emulator '/usr/bin/qemu-system-i386' does not support arch 'x86_64'" \
		--emulator /usr/bin/qemu-system-i386 --arch x86_64
else
	skip "i386 emulator, x86_64 guest (no /usr/bin/qemu-system-i386)"
fi
[ -z "${err_kvm:-}" ] ||
	err "kvm without /dev/kvm" 2 "the accel 'kvm' is not supported by '$qemu' on this host" \
		--emulator "$qemu" --virttype kvm
err "missing emulator" 2 "$scratch/none: no such file" --emulator "$scratch/none"
err "directory as emulator" 2 "$scratch: is a directory" --emulator "$scratch"
err "non-executable emulator" 2 "$scratch/noexec: is not executable" --emulator "$scratch/noexec"
err "/bin/true as emulator" 2 "/bin/true: not a QEMU (it exited with status 0 without a QMP greeting)" \
	--emulator /bin/true
err "bad timeout" 1 "invalid --timeout 'x' (seconds, > 0) (see 'capsprobe domain --help')" --timeout x
# no qemu-system-x86_64 in PATH (and no /usr/libexec/qemu-kvm on Debian)
empty_path() { env PATH="$scratch" "$CAPSPROBE" "$@"; }
if [ -x /usr/libexec/qemu-kvm ]; then
	skip "no emulator in PATH (/usr/libexec/qemu-kvm is found anyway)"
else
	runner=empty_path err "no emulator in PATH" 2 "unable to find any emulator to serve 'x86_64' architecture" --arch x86_64
fi

# runs that end in every way, with the private name
# (uncached: each must start QEMU)
capsprobe domain --no-cache --emulator "$priv" --machine q35 --virttype qemu >/dev/null 2>&1
capsprobe domain --no-cache --emulator "$priv" --machine foo >/dev/null 2>&1
capsprobe domain --no-cache --emulator "$priv" --timeout 0.05 >/dev/null 2>&1
# (directly, not through the capsprobe function: the signal must reach it)
# SIGTERMed once its QEMU runs (seen in /proc; a minute at most)
"$CAPSPROBE" domain --no-cache --emulator "$priv" --virttype qemu >/dev/null 2>&1 &
seen=
for i in $(seq 600); do
	[ -n "$(live "$priv -S")" ] && { seen=1; break; }
	kill -0 $! 2>/dev/null || break
	sleep 0.1
done
kill -TERM $! 2>/dev/null
wait $!
check "SIGTERM while QEMU ran" test -n "$seen"
check "no QEMU process left behind" none_left "$scratch/bin/"
check "no temporary file left behind" test -z "$(ls -A "$TMPDIR")"
finish
