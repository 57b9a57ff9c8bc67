#!/bin/bash
# cpu-compare and cpu-baseline against libvirt 11.3's tests/cputest.c, on
# the committed subset of its cputestdata (tests/fixtures/libvirt/cputest-cmds,
# see its README): every case gives libvirt's verdict or document.  Runs
# without the source; tests/cpu/cmds-conformance-libvirt.sh runs every case.
. "$(dirname "$0")/../lib.sh"
top=$(cd "$(dirname "$0")/../.." && pwd)
data=$FIXTURES/libvirt/cputest-cmds

conformance "$top/scripts/cpu-cmds-conformance" "$scratch/out" --capsprobe "$CAPSPROBE" --data "$data"
all=$cases
check "the run ends with its summary" test -n "${cases:-}"
check "every case of cases.list ran ($cases)" test "${cases:-0}" -eq "$(grep -vc '^#' "$data/cases.list")"
check "the exit status says all agreed (rc $rc)" test "$rc" -eq 0 -a "${disagreed:-1}" -eq 0

# the comparison bites: a wrong verdict, a changed expected document, an
# expected failure that succeeds
cp -r "$data" "$scratch/bitten"
sed -i 's/^compare host host IDENTICAL$/compare host host SUPERSET/' "$scratch/bitten/cases.list"
sed -i "s/name='xsave'/name='sse4.2'/" "$scratch/bitten/x86_64-baseline-features-result.xml"
sed -i -e "s/<vendor>AMD</<vendor>Intel</" -e "s/>Opteron_G3</>Penryn</" "$scratch/bitten/x86_64-baseline-incompatible-vendors.xml"
conformance_run "$top/scripts/cpu-cmds-conformance" "$scratch/bitten.out" --capsprobe "$CAPSPROBE" --data "$scratch/bitten"
check "the three bitten cases disagree, the others agree (exit $rc, $disagreed disagreed)" \
	test "$rc" -eq 1 -a "${disagreed:-0}" -eq 3 -a "${agreed:-0}" -eq $((all - 3))
for c in "compare host/host" "baseline features:" "baseline incompatible-vendors"; do
	check "FAIL $c" grep -q "^FAIL $c" "$scratch/bitten.out"
done
finish
