#!/bin/bash
# <graphics> lists rdp as libvirt 11.3 does (qemuRdpAvailable): when QEMU
# has a D-Bus display and the qemu-rdp helper is an executable in PATH.
# Replayed, the host's "qemu-rdp" fact says (a path, or an empty line; a
# tree without it has no helper); live, PATH is searched and recorded.
. "$(dirname "$0")/../lib.sh" || exit 99

dom=$FIXTURES/domain
root=$scratch/root
cp -r "$dom/host-x86_64-amd" "$root"
mkdir -p "$root/capsprobe/qemu/usr/bin/qemu-system-x86_64"
cp "$FIXTURES/qemu/7.2.22-x86_64"*.replies "$root/capsprobe/qemu/usr/bin/qemu-system-x86_64/"
args=(domain --sysroot "$root" --emulator /usr/bin/qemu-system-x86_64 --machine q35 --virttype kvm)
# libvirt's document with rdp where libvirt's enum order puts it
sed '/^        <value>vnc<\/value>$/a\        <value>rdp</value>' "$dom/x86_64-q35-kvm.xml" >"$scratch/with-rdp.xml"
check "the expectation has one more line" \
	test "$(($(wc -l <"$dom/x86_64-q35-kvm.xml") + 1))" -eq "$(wc -l <"$scratch/with-rdp.xml")"

capsprobe "${args[@]}" >"$scratch/none.xml"
check "no qemu-rdp fact: no rdp (libvirt's document)" cmp -s "$scratch/none.xml" "$dom/x86_64-q35-kvm.xml"
echo /usr/bin/qemu-rdp >"$root/capsprobe/qemu-rdp"
capsprobe "${args[@]}" >"$scratch/found.xml"
check "a qemu-rdp helper: rdp after vnc" cmp -s "$scratch/found.xml" "$scratch/with-rdp.xml"
echo >"$root/capsprobe/qemu-rdp"
capsprobe "${args[@]}" >"$scratch/empty.xml"
check "an empty qemu-rdp fact: no rdp" cmp -s "$scratch/empty.xml" "$dom/x86_64-q35-kvm.xml"

# live: through a fake emulator replaying the same conversation, PATH decides
[ -x "${FAKE_QEMU:-}" ] || { skip "live PATH search: no fake-qemu (set FAKE_QEMU)"; finish; exit; }
kvm_host || { echo "ERROR: cannot state the KVM facts"; exit 99; }
mkdir -p "$scratch/bin" "$scratch/rdp" "$scratch/noexec"
fake=$scratch/bin/qemu-system-x86_64
cp "$FAKE_QEMU" "$fake"
printf '#!/bin/sh\nexit 0\n' >"$scratch/rdp/qemu-rdp"
chmod 755 "$scratch/rdp/qemu-rdp"
printf '#!/bin/sh\nexit 0\n' >"$scratch/noexec/qemu-rdp"
chmod 644 "$scratch/noexec/qemu-rdp"
export CAPSPROBE_FAKE_REPLIES=$FIXTURES/qemu/7.2.22-x86_64-kvm.replies
live_doc() { # PATH OUT
	PATH=$1 capsprobe domain --emulator "$fake" --machine q35 --virttype kvm >"$2" 2>"$scratch/err"
}
has_rdp() { grep -q '^        <value>rdp</value>$' "$1"; }
live_doc "$scratch/rdp:$PATH" "$scratch/live-rdp.xml"
check "live: qemu-rdp in PATH gives rdp ($(head -1 "$scratch/err"))" has_rdp "$scratch/live-rdp.xml"
live_doc "$scratch/noexec:$PATH" "$scratch/live-noexec.xml"
check "live: a qemu-rdp that is not executable gives none" \
	eval 'grep -q "<value>vnc</value>" "$scratch/live-noexec.xml" && ! has_rdp "$scratch/live-noexec.xml"'
live_doc "$PATH" "$scratch/live-none.xml"
check "live: no qemu-rdp in PATH, none" \
	eval 'grep -q "<value>vnc</value>" "$scratch/live-none.xml" && ! has_rdp "$scratch/live-none.xml"'
# a recording keeps what PATH held (it asks the TCG process too)
cat "$FIXTURES/qemu/7.2.22-x86_64-kvm.replies" "$FIXTURES/qemu/7.2.22-x86_64-tcg.replies" >"$scratch/both.replies"
CAPSPROBE_FAKE_REPLIES=$scratch/both.replies PATH="$scratch/rdp:$PATH" capsprobe domain --emulator "$fake" --machine q35 --virttype kvm \
	--record "$scratch/rec" >/dev/null 2>"$scratch/err"
check "--record writes the helper's path as the qemu-rdp fact ($(head -1 "$scratch/err"))" \
	test "$(cat "$scratch/rec/capsprobe/qemu-rdp" 2>/dev/null)" = "$scratch/rdp/qemu-rdp"
check "no emulator process left behind" none_left "$scratch/bin/"
finish
