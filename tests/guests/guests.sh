#!/bin/bash
# <guest> golden tests: tests/fixtures/guests/<name>/ holds the guest part of
# a recorded tree (capsprobe/emulators, capsprobe/kvm and the light QMP
# conversations under capsprobe/qemu/, recorded with `capsprobe host
# --record`) and names in host-tree the host fixture it was recorded on.
# Overlaid on a copy of that tree, `capsprobe host --sysroot` must print
# <name>.xml byte for byte: the host fixture's expected <host> followed by
# libvirt 11.3's own <guest> sections for those emulators.  Also --emulator
# under --sysroot, and broken recordings.
. "$(dirname "$0")/../lib.sh" || exit 99

# tree NAME DIR: the overlaid sysroot of fixture NAME in DIR
tree() {
	local src=$FIXTURES/guests/$1
	mkdir -p "$2"
	cp -r "$FIXTURES/host/$(cat "$src/host-tree")/." "$2/"
	cp -r "$src/capsprobe/." "$2/capsprobe/"
}

# guests FILE: the arch names of FILE's guests, one line
guests() { sed -n "s/^    <arch name='\(.*\)'>$/\1/p" "$1" | tr '\n' ' '; }

n=0
for src in "$FIXTURES"/guests/*/; do
	[ -d "$src" ] || continue
	name=$(basename "$src")
	want=$FIXTURES/guests/$name.xml
	n=$((n + 1))
	tree "$name" "$scratch/$name"
	if ! capsprobe host --sysroot "$scratch/$name" >"$scratch/$name.xml" 2>"$scratch/$name.err"; then
		bad "$name: capsprobe failed: $(head -1 "$scratch/$name.err")"
	elif [ -s "$scratch/$name.err" ]; then
		bad "$name: stderr: $(head -1 "$scratch/$name.err")"
	elif cmp -s "$want" "$scratch/$name.xml"; then
		ok "$name: $(guests "$want")"
	else
		bad "$name: output differs"
		diff -u "$want" "$scratch/$name.xml" | head -40
	fi
done
check "at least one recorded guest tree" test "$n" -gt 0

name=epyc-milan-7-emulators
t=$scratch/$name
want=$FIXTURES/guests/$name.xml

# --no-guests: the host section alone
capsprobe host --no-guests --sysroot "$t" >"$scratch/ng.xml"
check "--no-guests prints no guest" test -z "$(guests "$scratch/ng.xml")"
check "--no-guests keeps the host" cmp -s "$scratch/ng.xml" \
	"$FIXTURES/host/$(cat "$FIXTURES/guests/$name/host-tree").xml"

# --emulator: the guests that emulator serves, as in the full document
capsprobe host --sysroot "$t" --emulator /usr/bin/qemu-system-arm >"$scratch/arm.xml" 2>"$scratch/err"
check "--emulator qemu-system-arm: armv6l and armv7l" test "$(guests "$scratch/arm.xml")" = "armv6l armv7l "
awk '/^  <guest>$/ { g = ""; keep = 0 } { g = g $0 "\n" }
	/^      <emulator>\/usr\/bin\/qemu-system-arm<\/emulator>$/ { keep = 1 }
	/^  <\/guest>$/ { if (keep) printf "%s\n", g }' "$want" >"$scratch/arm.want"
sed -n '/^  <guest>$/,/^  <\/guest>$/p; /^  <\/guest>$/{n;p}' "$scratch/arm.xml" >"$scratch/arm.got"
check "--emulator guests equal the full document's" cmp -s "$scratch/arm.want" "$scratch/arm.got"
capsprobe host --sysroot "$t" --emulator /usr/bin/qemu-system-x86_64 --emulator /usr/bin/qemu-system-s390x \
	>"$scratch/two.xml" 2>"$scratch/err"
# (qemu-system-x86_64 also serves i686 when no qemu-system-i386 is given)
check "two --emulator, arch order" test "$(guests "$scratch/two.xml")" = "i686 s390x x86_64 "
# an emulator the tree has no conversation for: a warning, the rest printed
capsprobe host --sysroot "$t" --emulator /usr/bin/qemu-system-x86_64 --emulator /opt/none/qemu-system-ppc64 \
	>"$scratch/one.xml" 2>"$scratch/err"
rc=$?
check "unrecorded --emulator: exit 0" test "$rc" -eq 0
check "unrecorded --emulator: one warning" \
	test "$(grep -c '^warning: no <guest> from /opt/none/qemu-system-ppc64' "$scratch/err")" -eq 1
check "unrecorded --emulator: the other guests" test "$(guests "$scratch/one.xml")" = "i686 x86_64 "
capsprobe host --sysroot "$t" --emulator /opt/none/qemu-system-ppc64 >"$scratch/out" 2>"$scratch/err"
rc=$?
check "only unrecorded --emulator: exit 2" test "$rc" -eq 2
check "only unrecorded --emulator: no output" test ! -s "$scratch/out"
check "only unrecorded --emulator: error line" grep -q '^error: every emulator failed to probe (1)$' "$scratch/err"

# a recorded conversation that is missing or broken leaves its guests out
cp -r "$t" "$scratch/broken"
rm -r "$scratch/broken/capsprobe/qemu/usr/bin/qemu-system-arm"
echo garbage >"$scratch/broken/capsprobe/qemu/usr/bin/qemu-system-s390x/7.2.22-s390x.replies"
capsprobe host --sysroot "$scratch/broken" >"$scratch/b.xml" 2>"$scratch/err"
rc=$?
check "broken recordings: exit 0" test "$rc" -eq 0
check "broken recordings: two warnings" test "$(grep -c '^warning: ' "$scratch/err")" -eq 2
check "broken recordings: warning names the arches" \
	grep -q '^warning: no <guest> from /usr/bin/qemu-system-arm (armv6l, armv7l): ' "$scratch/err"
check "broken recordings: the other guests" \
	test "$(guests "$scratch/b.xml")" = "aarch64 i686 loongarch64 riscv64 x86_64 "
check "broken recordings: a complete document" test "$(tail -c 17 "$scratch/b.xml" | head -c 15)" = "</capabilities>"

# a malformed emulators fact is an error, not a guess
printf 'x86_64 relative/qemu\n' >"$scratch/broken/capsprobe/emulators"
capsprobe host --sysroot "$scratch/broken" >"$scratch/out" 2>"$scratch/err"
rc=$?
check "malformed emulators fact: exit 2" test "$rc" -eq 2
check "malformed emulators fact: message" grep -q '^error: recorded /capsprobe/emulators: line 1 ' "$scratch/err"
# a tree without the fact (recorded with --no-guests) has no guests
rm "$scratch/broken/capsprobe/emulators"
capsprobe host --sysroot "$scratch/broken" >"$scratch/nf.xml" 2>"$scratch/err"
check "no emulators fact: no guests, exit 0" test $? -eq 0 -a -z "$(guests "$scratch/nf.xml")"

finish
