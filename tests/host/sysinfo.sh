#!/bin/bash
# sysinfo over good and malformed SMBIOS tables.  Each table is given to
# capsprobe twice: as a tree (--sysroot) and as the live host's
# /sys/firmware/dmi/tables in a private mount namespace, where libvirt
# 11.3's virsh (its dmidecode) reads the same table when both are
# installed: capsprobe must print what virsh prints, or fail where virsh
# fails (exit 2, one error line, nothing on standard output).  Without
# them, only the no-crash half holds.  Also: `host --record` records the
# tables, and the recording replays.
. "$(dirname "$0")/../lib.sh" || exit 99

fixture=$FIXTURES/host/x86-smbios-fixture
golden=$FIXTURES/host/x86-smbios-fixture.sysinfo.txt
tables=sys/firmware/dmi/tables
cp -a "$fixture" "$scratch/tree"

# namespaces: root, unshare, and a /sys/firmware to mount over
ns_ok=
if [ "$(id -u)" -eq 0 ] && command -v unshare >/dev/null && [ -d /sys/firmware ] &&
	unshare -m true 2>/dev/null; then
	ns_ok=1
fi
virsh_ok=
if [ -n "$ns_ok" ] && command -v dmidecode >/dev/null &&
	virsh --version 2>/dev/null | grep -q '^11\.3\.'; then
	virsh_ok=1
	mkdir -p "$scratch/embed"
fi
[ -n "$virsh_ok" ] || skip "no root namespace, dmidecode or libvirt 11.3's virsh: no comparison with virsh"

# in_ns DIR CMD...: CMD with DIR's two files as the live SMBIOS tables
in_ns() {
	local dir=$1
	shift
	unshare -m sh -c 'mount -t tmpfs none /sys/firmware && mkdir -p /sys/firmware/dmi/tables &&
		cp "$0"/* /sys/firmware/dmi/tables/ && exec "$@"' "$dir" "$@"
}

# structs DMI: "TYPE OFFSET LENGTH END" of each structure, dmidecode's walk
structs() {
	od -An -v -tu1 -w1 "$1" | awk '{ b[n++] = $1 }
		END { o = 0
		      while (o + 4 <= n) { t = b[o]; l = b[o + 1]; if (l < 4) break
			e = o + l; while (e + 1 < n && (b[e] || b[e + 1])) e++; e += 2
			if (e > n) break; print t, o, l, e; o = e; if (t == 127) break } }'
}
# poke FILE OFFSET BYTE
poke() { printf "\\x$(printf %02x "$3")" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none; }
# nth TYPE N: the offset of the Nth structure of TYPE (from 1)
nth() { structs "$scratch/good/DMI" | awk -v t="$1" -v n="$2" '$1 == t && ++k == n { print $2 }'; }

mkdir -p "$scratch/good"
cp "$fixture/$tables"/* "$scratch/good/"
check "the fixture's table walks to its end-of-table marker" \
	test "$(structs "$scratch/good/DMI" | tail -1 | cut -d' ' -f1)" = 127

# case NAME: a copy of the good tables in $scratch/cases/NAME to damage
case_dir() { rm -rf "$scratch/cases/$1"; mkdir -p "$scratch/cases/$1"; cp "$scratch/good"/* "$scratch/cases/$1/"; echo "$scratch/cases/$1"; }

# compare NAME: capsprobe over the case, as a tree and live, against virsh
compare() {
	local name=$1 dir=$scratch/cases/$1 rc lrc vrc
	rm -rf "$scratch/tree/$tables"
	mkdir -p "$scratch/tree/$tables"
	cp "$dir"/* "$scratch/tree/$tables/"
	capsprobe sysinfo --sysroot "$scratch/tree" >"$scratch/out" 2>"$scratch/err"
	rc=$?
	check "$name: exit 0, or 2 with one error line and no output (got $rc)" \
		test "$rc" -eq 0 -o \( "$rc" -eq 2 -a ! -s "$scratch/out" -a "$(wc -l <"$scratch/err")" -eq 1 \)
	[ $rc -eq 2 ] && check "$name: the line is an error line" grep -q '^error: ' "$scratch/err"
	[ -n "$ns_ok" ] || return
	in_ns "$dir" "$CAPSPROBE" sysinfo >"$scratch/live" 2>"$scratch/live.err"
	lrc=$?
	check "$name: the live run agrees with the tree's" \
		test $lrc -eq $rc -a "$(cmp -s "$scratch/out" "$scratch/live" && echo same)" = same
	[ -n "$virsh_ok" ] || return
	in_ns "$dir" virsh -c "qemu:///embed?root=$scratch/embed" sysinfo >"$scratch/want" 2>"$scratch/want.err"
	vrc=$?
	if [ $vrc -eq 0 ]; then
		if [ $rc -eq 0 ] && cmp -s "$scratch/want" "$scratch/out"; then
			ok "$name: virsh's output"
		else
			bad "$name: not virsh's output ($rc: $(head -1 "$scratch/err"))"
			diff -u "$scratch/want" "$scratch/out" | head -20
		fi
	else
		check "$name: fails as virsh does ($(tail -1 "$scratch/want.err"))" test $rc -eq 2
	fi
}

case_dir good >/dev/null
compare good
check "good: the golden" cmp "$golden" "$scratch/out"

# BIOS vendor: a string index past the strings ("<BAD INDEX>")
d=$(case_dir bad-index); poke "$d/DMI" $(( $(nth 0 1) + 4 )) 9; compare bad-index
check "bad-index: dmidecode's <BAD INDEX>" grep -q "&lt;BAD INDEX&gt;" "$scratch/out"
# a header shorter than 4 bytes: the walk stops before the second board
d=$(case_dir short-header); poke "$d/DMI" $(( $(nth 2 2) + 1 )) 2; compare short-header
# a length past the end of the table
d=$(case_dir long-length); poke "$d/DMI" $(( $(nth 17 3) + 1 )) 255; compare long-length
# a structure cut off in its strings, and one cut in its header
d=$(case_dir cut-strings); head -c $(( $(nth 4 2) + 30 )) "$scratch/good/DMI" >"$d/DMI"; compare cut-strings
d=$(case_dir cut-header); head -c $(( $(nth 4 1) + 2 )) "$scratch/good/DMI" >"$d/DMI"; compare cut-header
d=$(case_dir empty-table); : >"$d/DMI"; compare empty-table
# strings without their double NUL at the very end
d=$(case_dir no-terminator); head -c $(( $(wc -c <"$scratch/good/DMI") - 1 )) "$scratch/good/DMI" >"$d/DMI"
compare no-terminator
# the entry point: a bad checksum, cut short, a length past its buffer, unknown
d=$(case_dir ep-checksum); poke "$d/smbios_entry_point" 5 0; compare ep-checksum
check "ep-checksum: libvirt's message" grep -q 'Host SMBIOS information is not available' "$scratch/err"
d=$(case_dir ep-short); head -c 10 "$scratch/good/smbios_entry_point" >"$d/smbios_entry_point"; compare ep-short
d=$(case_dir ep-length); poke "$d/smbios_entry_point" 6 255; compare ep-length
d=$(case_dir ep-garbage); printf 'garbage garbage garbage!' >"$d/smbios_entry_point"; compare ep-garbage
# a memory device whose part number reads as an OEM string line that does
# not exist: libvirt asks dmidecode for string 7 and gives up on sysinfo
d=$(case_dir oem-phantom)
o=$(grep -obUa 'MTC20F2085S1RC48BA1' "$d/DMI" | cut -d: -f1)
printf 'String 7: x.y000000' | dd of="$d/DMI" bs=1 seek="$o" conv=notrunc status=none
compare oem-phantom
# ... one that reads as an OEM string line (libvirt adds it to the OEM
# strings), and ones that do not parse or name no string (libvirt gives up)
for c in "oem-malformed:String x: 000000000" "oem-minus:String -1: a.b.c.d." "oem-extra:String 1: leak xyz!"; do
	d=$(case_dir "${c%%:*}")
	o=$(grep -obUa 'MTC20F2085S1RC48BA1' "$d/DMI" | cut -d: -f1)
	printf '%s' "${c#*:}" | dd of="$d/DMI" bs=1 seek="$o" conv=notrunc status=none
	compare "${c%%:*}"
done
check "oem-extra: the part number is an OEM string too" grep -q '<entry>leak xyz!</entry>' "$scratch/out"
# every byte of the BIOS structure zero, then 0xff
for v in 0 255; do
	d=$(case_dir "bios-$v")
	s=$(nth 0 1)
	for i in $(seq 4 23); do poke "$d/DMI" $((s + i)) $v; done
	compare "bios-$v"
done
# processor families: one out of the spec, 0xBE named by the maker, family 2
for f in 0 0xBE 0x3F; do
	d=$(case_dir "family-$f"); poke "$d/DMI" $(( $(nth 4 1) + 6 )) $f; compare "family-$f"
done
d=$(case_dir family-2); poke "$d/DMI" $(( $(nth 4 1) + 6 )) 0xFE; poke "$d/DMI" $(( $(nth 4 1) + 0x28 )) 0x02
poke "$d/DMI" $(( $(nth 4 1) + 0x29 )) 0x02; compare family-2
# one whose signature capsprobe does not decode (80386): its own error, not a guess
d=$(case_dir family); poke "$d/DMI" $(( $(nth 4 1) + 6 )) 5
rm -rf "$scratch/tree/$tables"; mkdir -p "$scratch/tree/$tables"; cp "$d"/* "$scratch/tree/$tables/"
capsprobe sysinfo --sysroot "$scratch/tree" >"$scratch/out" 2>"$scratch/err"
check "family: exit 2, nothing printed, one line naming the family" \
	test $? -eq 2 -a ! -s "$scratch/out" -a "$(wc -l <"$scratch/err")" -eq 1
check "family: says which" grep -q '^error: processor family 0x05' "$scratch/err"
# no tables at all: libvirt's error
rm -rf "$scratch/tree/$tables"
capsprobe sysinfo --sysroot "$scratch/tree" >"$scratch/out" 2>"$scratch/err"
check "no tables: exit 2, libvirt's one line" \
	test $? -eq 2 -a ! -s "$scratch/out" -a "$(cat "$scratch/err")" = "error: Host SMBIOS information is not available"

# a host where libvirt reads no sysinfo at all, tables or not
cp -a "$fixture/$tables" "$scratch/tree/$tables"
printf 'sparc64\n' >"$scratch/tree/capsprobe/uname-machine"
capsprobe sysinfo --sysroot "$scratch/tree" >"$scratch/out" 2>"$scratch/err"
check "sparc64: exit 2, one error line, not the SMBIOS document" \
	test $? -eq 2 -a ! -s "$scratch/out" -a "$(wc -l <"$scratch/err")" -eq 1
check "sparc64: says it is not supported" grep -q '^error: host sysinfo extraction is not supported on sparc64' "$scratch/err"

# host --record records the tables; the recording replays
if [ -n "$ns_ok" ]; then
	in_ns "$scratch/good" "$CAPSPROBE" host --no-guests --record "$scratch/rec" >/dev/null 2>"$scratch/rec.err"
	check "host --record over the fixture's tables works ($(head -1 "$scratch/rec.err"))" test $? -eq 0
	check "the recording holds the tables" cmp "$scratch/good/DMI" "$scratch/rec/$tables/DMI"
	capsprobe sysinfo --sysroot "$scratch/rec" >"$scratch/out" 2>"$scratch/err"
	check "sysinfo replays from the recording" cmp "$golden" "$scratch/out"
else
	skip "no root namespace: recording the tables is not checked"
fi
finish
