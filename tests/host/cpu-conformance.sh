#!/bin/bash
# capsprobe's host CPU decoding against libvirt 11.3's tests/cputestdata,
# from the committed copy (tests/fixtures/libvirt/cputestdata, see its
# README): every CPUID/MSR dump decodes to the host <cpu> libvirt's
# cputest.c expects.  Runs without network; tests/host/cpu-conformance-libvirt.sh
# does the same from the fetched source package.
. "$(dirname "$0")/../lib.sh"
top=$(cd "$(dirname "$0")/../.." && pwd)

conformance "$top/scripts/cpu-conformance" "$scratch/out" --capsprobe "$CAPSPROBE" --data "$FIXTURES/libvirt/cputestdata"
check "the run ends with its summary" test -n "${cases:-}"
check "every case of the copy ran (61 DO_TEST_CPUID cases in libvirt 11.3's cputest.c)" \
	test "${cases:-0}" -eq "$(ls "$FIXTURES/libvirt/cputestdata" | grep -c -- '-host\.xml$')"
check "the exit status says whether all agreed (rc $rc, $disagreed disagreed)" \
	test "$rc" -eq "$([ "${disagreed:-1}" -eq 0 ] && echo 0 || echo 1)"

# the comparison bites: a dump with one feature bit cleared (Cooperlake's
# leaf 7 EBX bit 31, avx512vl) no longer agrees with its -host.xml
mkdir -p "$scratch/bitten"
cp "$FIXTURES/libvirt/cputestdata/x86_64-cpuid-Cooperlake-host.xml" "$scratch/bitten/"
sed "/eax_in='0x00000007' ecx_in='0x00'/s/ebx='0xd39ffffb'/ebx='0x539ffffb'/" \
	"$FIXTURES/libvirt/cputestdata/x86_64-cpuid-Cooperlake.xml" >"$scratch/bitten/x86_64-cpuid-Cooperlake.xml"
check "the bitten dump differs from libvirt's" \
	bash -c '! cmp -s "$1" "$2"' _ "$scratch/bitten/x86_64-cpuid-Cooperlake.xml" "$FIXTURES/libvirt/cputestdata/x86_64-cpuid-Cooperlake.xml"
"$top/scripts/cpu-conformance" --capsprobe "$CAPSPROBE" --data "$scratch/bitten" >"$scratch/bitten.out" 2>&1
bitten_rc=$?
check "a dump without avx512vl disagrees (exit $bitten_rc)" \
	test "$bitten_rc" -eq 1 -a "$(grep -c '^FAIL x86_64 Cooperlake' "$scratch/bitten.out")" -eq 1
finish
