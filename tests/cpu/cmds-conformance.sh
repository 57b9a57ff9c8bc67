#!/bin/bash
# cpu-compare and cpu-baseline against libvirt 11.3's tests/cputest.c, on
# the committed subset of its cputestdata (tests/fixtures/libvirt/cputest-cmds,
# see its README): every case gives libvirt's verdict or document.  Runs
# without the source; tests/cpu/cmds-conformance-libvirt.sh runs every case.
. "$(dirname "$0")/../lib.sh"
top=$(cd "$(dirname "$0")/../.." && pwd)
data=$FIXTURES/libvirt/cputest-cmds

run() { # data dir, output
	"$top/scripts/cpu-cmds-conformance" --capsprobe "$CAPSPROBE" --data "$1" >"$2" 2>&1
}
summary() { sed -n 's/^cpu-cmds-conformance: \([0-9]*\) cases, \([0-9]*\) agreed, \([0-9]*\) disagreed$/\1 \2 \3/p' "$1"; }

run "$data" "$scratch/out"
rc=$?
cat "$scratch/out"
while IFS= read -r line; do
	case $line in
	"ok   "*) ok "${line#ok   }" ;;
	"FAIL "*) bad "${line#FAIL }" ;;
	esac
done <"$scratch/out"
read -r cases agreed disagreed <<<"$(summary "$scratch/out")"
check "the run ends with its summary" test -n "${cases:-}"
check "every case of cases.list ran ($cases)" test "${cases:-0}" -eq "$(grep -vc '^#' "$data/cases.list")"
check "the exit status says all agreed (rc $rc)" test "$rc" -eq 0 -a "${disagreed:-1}" -eq 0

# the comparison bites: a wrong verdict, a changed expected document, an
# expected failure that succeeds
cp -r "$data" "$scratch/bitten"
sed -i 's/^compare host host IDENTICAL$/compare host host SUPERSET/' "$scratch/bitten/cases.list"
sed -i "s/name='xsave'/name='sse4.2'/" "$scratch/bitten/x86_64-baseline-features-result.xml"
sed -i -e "s/<vendor>AMD</<vendor>Intel</" -e "s/>Opteron_G3</>Penryn</" "$scratch/bitten/x86_64-baseline-incompatible-vendors.xml"
run "$scratch/bitten" "$scratch/bitten.out"
brc=$?
read -r bcases bagreed bdisagreed <<<"$(summary "$scratch/bitten.out")"
check "the three bitten cases disagree, the others agree (exit $brc, $bdisagreed disagreed)" \
	test "$brc" -eq 1 -a "${bdisagreed:-0}" -eq 3 -a "${bagreed:-0}" -eq $((cases - 3))
for c in "compare host/host" "baseline features:" "baseline incompatible-vendors"; do
	check "FAIL $c" grep -q "^FAIL $c" "$scratch/bitten.out"
done
finish
