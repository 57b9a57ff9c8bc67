#!/bin/bash
# capsprobe's NUMA cells, cache banks and memory bandwidth against libvirt
# 11.3's tests/vircaps2xmldata, read from libvirt's source package itself
# (scripts/libvirt-source fetches it into a cache with apt-get): every
# DO_TEST_FULL case of its vircaps2xmltest.c.  Without the package (offline,
# no apt) this is a skip, with the reason.
. "$(dirname "$0")/../lib.sh"
top=$(cd "$(dirname "$0")/../.." && pwd)

conformance "$top/scripts/numa-conformance" "$scratch/out" --capsprobe "$CAPSPROBE"
[ $rc -eq 77 ] && exit 77
check "the run ends with its summary" test -n "${cases:-}"
check "every case has its line ($cases)" \
	test "${cases:-0}" -eq "$(grep -c '^ok   \|^FAIL ' "$scratch/out")" -a "${cases:-0}" -ge 14
check "the exit status says whether all agreed (rc $rc, $disagreed disagreed)" \
	test "$rc" -eq "$([ "${disagreed:-1}" -eq 0 ] && echo 0 || echo 1)"

# The comparison bites: the same source with one CPU's core_id changed in
# libvirt's expected document of one case must fail that case.
src=$("$top/scripts/libvirt-source" 2>/dev/null) || exit 99
mkdir -p "$scratch/src/tests"
grep -m1 'DO_TEST_FULL("resctrl",' "$src/tests/vircaps2xmltest.c" >"$scratch/src/tests/vircaps2xmltest.c"
mkdir "$scratch/src/tests/vircaps2xmldata"
cp -a "$src/tests/vircaps2xmldata/linux-resctrl" "$scratch/src/tests/vircaps2xmldata/"
sed "0,/core_id='1'/s//core_id='7'/" "$src/tests/vircaps2xmldata/vircaps-x86_64-resctrl.xml" \
	>"$scratch/src/tests/vircaps2xmldata/vircaps-x86_64-resctrl.xml"
"$top/scripts/numa-conformance" --capsprobe "$CAPSPROBE" --source "$scratch/src" >"$scratch/bite" 2>&1
rc=$?
check "a changed expectation fails its case (rc $rc)" \
	eval '[ $rc -eq 1 ] && grep -q "^FAIL x86_64 resctrl$" "$scratch/bite" && grep -q "core_id=.7." "$scratch/bite"'
finish
