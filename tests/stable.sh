#!/bin/bash
# --stable: two live runs print the same document; the default output is
# untouched; the volatile values are gone; a replayed machine list (QEMU's
# hash order) comes out sorted after libvirt's preferred machine; domain
# documents keep libvirt's (already sorted) CPU model order.
. "$(dirname "$0")/lib.sh" || exit 99
[ -d "${scratch:-}" ] || { echo "ERROR: no scratch directory"; exit 99; }

# 1. the live host twice (with whatever emulators PATH has; the second run
# answers from the private cache the first one filled)
capsprobe host --stable >"$scratch/run1.xml" 2>"$scratch/err1"
rc1=$?
capsprobe host --stable --no-cache >"$scratch/run2.xml" 2>"$scratch/err2"
rc2=$?
check "live --stable: both runs exit 0 ($rc1, $rc2)" test "$rc1" -eq 0 -a "$rc2" -eq 0
check "live --stable: two runs, no difference" diff "$scratch/run1.xml" "$scratch/run2.xml"
check "live --stable: no <counter>" eval '! grep -q "<counter " "$scratch/run1.xml"'
check "live --stable: no page counts in NUMA cells" \
	eval '! grep -Eq "^          <pages unit=.KiB. size=.[0-9]+.>[0-9]+</pages>$" "$scratch/run1.xml"'

# 2. the default output is libvirt's: only those lines differ
capsprobe host --no-guests >"$scratch/default.xml"
capsprobe host --no-guests --stable >"$scratch/stable.xml"
diff "$scratch/default.xml" "$scratch/stable.xml" | grep '^[<>]' >"$scratch/delta"
check "default vs --stable: only <counter> and cell <pages> lines differ" \
	eval '! grep -Ev "^< +(<counter name=.tsc. |<pages unit=.KiB. size=.[0-9]+.>[0-9]+</pages>$)" "$scratch/delta"'

# 3. a replayed host with seven emulators (see tests/guests/guests.sh)
name=epyc-milan-7-emulators
src=$FIXTURES/guests/$name
t=$scratch/$name
mkdir -p "$t"
cp -r "$FIXTURES/host/$(cat "$src/host-tree")/." "$t/"
cp -r "$src/capsprobe/." "$t/capsprobe/"
capsprobe host --sysroot "$t" >"$scratch/g.default"
capsprobe host --sysroot "$t" --stable >"$scratch/g.stable"
# machines FILE N: the machine lines of the Nth guest
machines() { awk -v n="$2" '/^  <guest>$/ { g++ } g == n && /^      <machine/' "$1"; }
name_of() { sed 's/.*>\(.*\)<\/machine>$/\1/'; }
# numbers padded, so that byte order is capsprobe's (strverscmp) order
padded() {
	awk '{ s = $0; o = ""
		while (match(s, /[0-9]+/)) {
			o = o substr(s, 1, RSTART - 1) sprintf("%012d", substr(s, RSTART, RLENGTH))
			s = substr(s, RSTART + RLENGTH)
		}
		print o s }'
}
guests=$(grep -c '^  <guest>$' "$scratch/g.default")
check "replay: $guests guests" test "$guests" -ge 7
unsorted=0 bad_order=0
for ((i = 1; i <= guests; i++)); do
	machines "$scratch/g.default" $i >"$scratch/m.default"
	machines "$scratch/g.stable" $i >"$scratch/m.stable"
	[ "$(sort "$scratch/m.default")" = "$(sort "$scratch/m.stable")" ] || bad_order=$((bad_order + 1))
	[ "$(head -1 "$scratch/m.default")" = "$(head -1 "$scratch/m.stable")" ] || bad_order=$((bad_order + 1))
	# after the preferred machine and its aliases: sorted, numbers as numbers
	first=$(head -1 "$scratch/m.stable" | name_of)
	grep -v "canonical='$first'" "$scratch/m.stable" | tail -n +2 | name_of >"$scratch/rest"
	padded <"$scratch/rest" | LC_ALL=C sort -c 2>/dev/null || bad_order=$((bad_order + 1))
	grep -v "canonical='$first'" "$scratch/m.default" | tail -n +2 | name_of | padded | LC_ALL=C sort -c 2>/dev/null ||
		unsorted=$((unsorted + 1))
done
check "replay --stable: same machines, preferred first, the rest sorted" test "$bad_order" -eq 0
check "replay: the default order is QEMU's, not sorted ($unsorted guests)" test "$unsorted" -gt 0
check "replay --stable: the same guests otherwise" \
	test "$(grep -v '<machine' "$scratch/g.default" | sed -n '/<guest>/,$p')" = \
	"$(grep -v '<machine' "$scratch/g.stable" | sed -n '/<guest>/,$p')"

# 4. domain: libvirt's CPU model order is already sorted; --stable keeps it
dom=$FIXTURES/domain
root=$scratch/dom
cp -r "$dom/host-x86_64-amd" "$root"
mkdir -p "$root/capsprobe/qemu/usr/bin/qemu-system-x86_64"
cp "$FIXTURES/qemu/7.2.22-x86_64"*.replies "$root/capsprobe/qemu/usr/bin/qemu-system-x86_64/"
capsprobe domain --sysroot "$root" --emulator /usr/bin/qemu-system-x86_64 --machine q35 >"$scratch/d.default"
capsprobe domain --sysroot "$root" --emulator /usr/bin/qemu-system-x86_64 --machine q35 --stable \
	>"$scratch/d.stable"
check "domain --stable: libvirt's document unchanged" cmp -s "$dom/x86_64-q35-kvm.xml" "$scratch/d.stable"
check "domain --stable: = the default output" cmp -s "$scratch/d.default" "$scratch/d.stable"
finish
