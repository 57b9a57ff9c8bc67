#!/bin/bash
# sysinfo where libvirt reads /proc, not SMBIOS (POWER, ARM without tables,
# s390): every /proc case of libvirt 11.3's tests/sysinfotest.c, read from
# its source package (scripts/libvirt-source), must print libvirt's expected
# document; then inputs libvirt's parsers trip on, which must give a
# document or one error line, never a crash.
. "$(dirname "$0")/../lib.sh" || exit 99
top=$(cd "$(dirname "$0")/../.." && pwd)

# tree DIR MACHINE [CPUINFO [SYSINFO]]: a host of that uname machine
tree() {
	local d=$1
	rm -rf "$d"
	mkdir -p "$d/capsprobe" "$d/proc"
	echo "$2" >"$d/capsprobe/uname-machine"
	[ -z "${3:-}" ] || cp "$3" "$d/proc/cpuinfo"
	[ -z "${4:-}" ] || cp "$4" "$d/proc/sysinfo"
}
# run DIR: capsprobe sysinfo over it; rc, $scratch/out, $scratch/err
run() {
	capsprobe sysinfo --sysroot "$1" >"$scratch/out" 2>"$scratch/err"
	rc=$?
}
# fails_cleanly WHAT WORDS: exit 2, one error line with WORDS, no output
fails_cleanly() {
	words=$2
	check "$1: exit 2 (rc $rc), one error line ($(head -1 "$scratch/err")), no document" \
		eval '[ $rc -eq 2 ] && [ ! -s "$scratch/out" ] && [ "$(wc -l <"$scratch/err")" -eq 1 ] &&
			grep -q "^error: .*$words" "$scratch/err"'
}

# ---- libvirt's own cases ----
if src=$("$top/scripts/libvirt-source" 2>"$scratch/why"); then
	data=$src/tests/sysinfodata
	n=0
	# TEST("NAME", FUNC) lines of the harness: the reader each case uses
	while read -r name func; do
		case $func in
		virSysinfoReadS390) machine=s390x ;;
		virSysinfoReadPPC) machine=ppc64 ;;
		virSysinfoReadARM) case $name in arm*) machine=armv7l ;; *) machine=aarch64 ;; esac ;;
		*) continue ;;	# DMI: dmidecode's text, checked on tables in sysinfo.sh
		esac
		if [ "$func" = virSysinfoReadARM ] && [ -f "$data/${name}sysinfo.data" ]; then
			# the harness feeds dmidecode's text, which an ARM host with
			# tables has; capsprobe reads the tables themselves
			skip "libvirt's $name: SMBIOS given as dmidecode text, not tables"
			continue
		fi
		sysinfo=
		[ "$func" = virSysinfoReadS390 ] && sysinfo=$data/${name}sysinfo.data
		tree "$scratch/$name" "$machine" "$data/${name}cpuinfo.data" "$sysinfo"
		run "$scratch/$name"
		# virsh adds a line end after the document
		{ cat "$data/${name}sysinfo.expect"; echo; } >"$scratch/want"
		check "libvirt's $name ($machine): its expected document (rc $rc: $(head -1 "$scratch/err"))" \
			cmp -s "$scratch/want" "$scratch/out"
		cmp -s "$scratch/want" "$scratch/out" || diff "$scratch/want" "$scratch/out" | head -10
		n=$((n + 1))
	done < <(sed -n 's/^ *TEST("\([^"]*\)", *\([A-Za-z0-9]*\));.*/\1 \2/p' "$src/tests/sysinfotest.c")
	check "the harness's /proc cases ran ($n)" test "$n" -ge 7
	# the comparison bites: one expected value changed must differ
	sed 's/POWER7 (raw)/POWER8 (raw)/' "$data/ppcsysinfo.expect" >"$scratch/ppc.expect"
	tree "$scratch/bite" ppc64 "$data/ppccpuinfo.data"
	run "$scratch/bite"
	check "a changed expectation differs" eval '! { cat "$scratch/ppc.expect"; echo; } | cmp -s - "$scratch/out"'
else
	skip "libvirt's sysinfotest cases: $(head -1 "$scratch/why")"
fi

# ---- what libvirt's parsers trip on ----
printf 'processor\t: 0\ncpu\t\t: POWER9 (raw)\nrevision\t: 2.2 (pvr 004e 1202)\n' >"$scratch/ppc1"
tree "$scratch/t" ppc64le "$scratch/ppc1"
run "$scratch/t"
check "ppc64le: a processor with its type and version (rc $rc)" \
	eval '[ $rc -eq 0 ] && grep -q "<entry name='"'"'type'"'"'>POWER9 (raw)</entry>" "$scratch/out" &&
		grep -q "<entry name='"'"'version'"'"'>2.2 (pvr 004e 1202)</entry>" "$scratch/out"'
# an empty value: libvirt's space skip runs into the next line; capsprobe
# keeps it empty and finds the next key where libvirt does
printf 'processor\t: \ncpu\t\t: POWER9\nplatform\t: PowerNV\n' >"$scratch/ppc2"
tree "$scratch/t" ppc64 "$scratch/ppc2"
run "$scratch/t"
check "ppc64: an empty value stays empty (rc $rc)" \
	eval '[ $rc -eq 0 ] && grep -q "<entry name='"'"'socket_destination'"'"'></entry>" "$scratch/out" &&
		grep -q "<entry name='"'"'family'"'"'>PowerNV</entry>" "$scratch/out"'
# keys with no ':' and a last line with no line end: no crash, no value
printf 'processor 0\ncpu\nplatform : PowerNV' >"$scratch/ppc3"
tree "$scratch/t" ppc64 "$scratch/ppc3"
run "$scratch/t"
check "ppc64: keys without ':' and no final line end: a document (rc $rc)" \
	eval '[ $rc -eq 0 ] && grep -q "^<sysinfo type=" "$scratch/out"'
: >"$scratch/empty"
tree "$scratch/t" aarch64 "$scratch/empty"
run "$scratch/t"
check "aarch64: an empty /proc/cpuinfo gives the empty document (rc $rc)" \
	eval '[ $rc -eq 0 ] && grep -qx "<sysinfo type='"'"'smbios'"'"'/>" "$scratch/out"'
# an ARM host with SMBIOS tables: libvirt reads them, not /proc/cpuinfo
tree "$scratch/t" aarch64 "$scratch/ppc1"
mkdir -p "$scratch/t/sys/firmware/dmi"
cp -r "$FIXTURES/host/x86-smbios-fixture/sys/firmware/dmi/tables" "$scratch/t/sys/firmware/dmi/"
run "$scratch/t"
check "aarch64 with SMBIOS tables: their document (rc $rc)" \
	cmp -s "$FIXTURES/host/x86-smbios-fixture.sysinfo.txt" "$scratch/out"
# tables that hold nothing (an end-of-table structure only): libvirt finds
# an empty document and reads /proc/cpuinfo after all
printf '\177\004\000\000\000\000' >"$scratch/t/sys/firmware/dmi/tables/DMI"
printf 'processor\t: 0\nmodel name\t: Neoverse-N1\n' >"$scratch/t/proc/cpuinfo"
run "$scratch/t"
check "aarch64 with empty SMBIOS tables: /proc/cpuinfo's processor (rc $rc)" \
	eval '[ $rc -eq 0 ] && grep -q "<entry name='"'"'type'"'"'>Neoverse-N1</entry>" "$scratch/out"'
tree "$scratch/t" ppc64 /dev/null
head -c $((1024 * 1024 + 1)) /dev/zero | tr '\0' 'p' >"$scratch/t/proc/cpuinfo"
run "$scratch/t"
fails_cleanly "ppc64: a /proc/cpuinfo over libvirt's 1 MiB" "larger than libvirt reads"
tree "$scratch/t" ppc64
run "$scratch/t"
fails_cleanly "ppc64: no /proc/cpuinfo" "cpuinfo"

# s390: both files, every field libvirt requires
s390cpu='vendor_id       : IBM/S390
# processors    : 2
processor 0: version = 00,  identification = 0A1B2C,  machine = 3931
processor 1: version = 00,  identification = 1A1B2C,  machine = 3931

cpu number      : 0
cpu MHz static  : 5200

cpu number      : 1
cpu MHz static  : 5200
'
s390sys='Manufacturer:         IBM
Type:                 3931
Sequence Code:        00000000000ABCDE
'
printf '%s' "$s390cpu" >"$scratch/s390cpu"
printf '%s' "$s390sys" >"$scratch/s390sys"
tree "$scratch/t" s390x "$scratch/s390cpu" "$scratch/s390sys"
run "$scratch/t"
check "s390x: two processors with their max speed, and the system (rc $rc)" \
	eval '[ $rc -eq 0 ] && [ "$(grep -c "<entry name='"'"'max_speed'"'"'>5200</entry>" "$scratch/out")" -eq 2 ] &&
		grep -q "<entry name='"'"'serial'"'"'>00000000000ABCDE</entry>" "$scratch/out"'
printf '%s' "$s390sys" | grep -v Sequence >"$scratch/s390sys2"
tree "$scratch/t" s390x "$scratch/s390cpu" "$scratch/s390sys2"
run "$scratch/t"
fails_cleanly "s390x: /proc/sysinfo without its Sequence Code" "Sequence Code"
tree "$scratch/t" s390x "$scratch/s390cpu"
run "$scratch/t"
fails_cleanly "s390x: no /proc/sysinfo" "sysinfo"
# libvirt reads at most 8192 bytes of /proc/sysinfo, and fails past that
{ printf '%s' "$s390sys"; head -c $((8192 - ${#s390sys} + 1)) /dev/zero | tr '\0' ' '; } >"$scratch/s390sys3"
tree "$scratch/t" s390x "$scratch/s390cpu" "$scratch/s390sys3"
run "$scratch/t"
fails_cleanly "s390x: a /proc/sysinfo of 8193 bytes" "larger than libvirt reads"
head -c 8192 "$scratch/s390sys3" >"$scratch/t/proc/sysinfo"
run "$scratch/t"
check "s390x: one of 8192 bytes is read (rc $rc)" test $rc -eq 0
printf '%s' "$s390cpu" | grep -v vendor_id >"$scratch/s390cpu2"
tree "$scratch/t" s390x "$scratch/s390cpu2" "$scratch/s390sys"
run "$scratch/t"
fails_cleanly "s390x: /proc/cpuinfo without vendor_id" "vendor_id"
printf '%s' "$s390cpu" | sed 's/identification = 1A1B2C, //' >"$scratch/s390cpu3"
tree "$scratch/t" s390x "$scratch/s390cpu3" "$scratch/s390sys"
run "$scratch/t"
fails_cleanly "s390x: a processor line without its identification" "identification"
printf '%s' "$s390cpu" | sed 's/^cpu number      : 1/cpu number      : x1/' >"$scratch/s390cpu4"
tree "$scratch/t" s390x "$scratch/s390cpu4" "$scratch/s390sys"
run "$scratch/t"
fails_cleanly "s390x: a cpu number that is no number" "not a number"
# a CPU number past the processors stops the speeds there, as in libvirt:
# CPU 1's speed after it is not read
printf '%s' "$s390cpu" | sed 's/^cpu number      : 1/cpu number      : 2/' >"$scratch/s390cpu5"
printf 'cpu number      : 1\ncpu MHz static  : 5200\n' >>"$scratch/s390cpu5"
tree "$scratch/t" s390x "$scratch/s390cpu5" "$scratch/s390sys"
run "$scratch/t"
check "s390x: a cpu number past the processors ends the speeds (rc $rc)" \
	eval '[ $rc -eq 0 ] && [ "$(grep -c "<entry name='"'"'max_speed'"'"'>" "$scratch/out")" -eq 1 ]'

tree "$scratch/t" sparc64 "$scratch/ppc1"
run "$scratch/t"
fails_cleanly "sparc64: libvirt has no sysinfo there" "not supported on sparc64"
finish
