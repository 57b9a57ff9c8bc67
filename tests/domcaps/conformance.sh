#!/bin/bash
# 'capsprobe domain' against libvirt 11.3's own domaincapstest.c: every case
# it runs, replayed from libvirt's QMP recordings over a host tree faked as
# its harness fakes the host (scripts/domcaps-conformance says how), compared
# as fact sets with scripts/xml-facts.  libvirt's source package comes from
# scripts/libvirt-source (apt-get, cached); without it (offline, no apt) or
# without python3 this is a skip, with the reason.
. "$(dirname "$0")/../lib.sh"
top=$(cd "$(dirname "$0")/../.." && pwd)

"$top/scripts/domcaps-conformance" --capsprobe "$CAPSPROBE" >"$scratch/out" 2>&1
rc=$?
cat "$scratch/out"
# a skip says why, in the line scripts/test-summary counts
if [ $rc -eq 77 ]; then
	echo "SKIP: $(sed -n 's/^domcaps-conformance: SKIP: //p' "$scratch/out" | head -1)"
	exit 77
fi
while IFS= read -r line; do
	case $line in
	"agree "*) ok "${line#agree }" ;;
	"refused "*) ok "${line#refused }" ;;
	"differ "*) bad "${line#differ }" ;;
	esac
done <"$scratch/out"
summary=$(sed -n 's/^\([0-9]*\) of \([0-9]*\) cases agree$/\1 \2/p' "$scratch/out")
read -r agreed cases <<<"$summary"
check "the run ends with its summary" test -n "$summary"
check "every case has its line (${cases:-?})" \
	test "${cases:-0}" -eq "$(grep -c '^agree \|^refused \|^differ ' "$scratch/out")" -a "${cases:-0}" -ge 50
check "the exit status says whether all agreed (rc $rc)" \
	test "$rc" -eq "$([ "${agreed:-0}" = "${cases:-}" ] && echo 0 || echo 1)"

# The comparison bites: one case's expected document with a value changed,
# and one whose refusal is not libvirt's, must each differ.
src=$("$top/scripts/libvirt-source" 2>/dev/null) || exit 99
mkdir -p "$scratch/src/tests"
for p in domaincapstest.c domaincapsmock.c testutilsqemu.c testutils.c testutilshostcpus.h qemufirmwaredata; do
	cp -r "$src/tests/$p" "$scratch/src/tests/"
done
mkdir "$scratch/src/tests/qemucapabilitiesdata" "$scratch/src/tests/domaincapsdata"
for v in 9.2.0_x86_64 7.2.0_ppc; do
	cp "$src/tests/qemucapabilitiesdata/caps_$v".* "$scratch/src/tests/qemucapabilitiesdata/"
done
cp "$src"/tests/domaincapsdata/qemu_9.2.0*.x86_64.xml "$src"/tests/domaincapsdata/qemu_7.2.0.ppc.xml \
	"$scratch/src/tests/domaincapsdata/"
sed -i "0,/<value>vnc<\/value>/s//<value>vnk<\/value>/" "$scratch/src/tests/domaincapsdata/qemu_9.2.0-q35.x86_64.xml"
# a ppc recording that claims KVM: libvirt would not refuse it
sed -i '/"execute": "query-kvm"/,/"present"/{s/"enabled": false/"enabled": true/;s/"present": false/"present": true/}' \
	"$scratch/src/tests/qemucapabilitiesdata/caps_7.2.0_ppc.replies"
sed -n '/"execute": "query-kvm"/,/"present"/p' "$scratch/src/tests/qemucapabilitiesdata/caps_7.2.0_ppc.replies" |
	grep -q '"enabled": true' || exit 99
# a QEMU older than 6.2 (the 6.2 recording saying 5.2): refused as libvirt does
sed '/"execute": "query-version"/,/"major"/s/"major": 6/"major": 5/' \
	"$src/tests/qemucapabilitiesdata/caps_6.2.0_x86_64.replies" >"$scratch/src/tests/qemucapabilitiesdata/caps_5.2.0_x86_64.replies"
cp "$src/tests/qemucapabilitiesdata/caps_6.2.0_x86_64.xml" "$scratch/src/tests/qemucapabilitiesdata/caps_5.2.0_x86_64.xml"
grep -q '"major": 5' "$scratch/src/tests/qemucapabilitiesdata/caps_5.2.0_x86_64.replies" || exit 99
"$top/scripts/domcaps-conformance" --capsprobe "$CAPSPROBE" --source "$scratch/src" >"$scratch/bite" 2>&1
rc=$?
cat "$scratch/bite"
check "a changed expectation differs (rc $rc)" \
	eval '[ $rc -eq 1 ] && grep -q "^differ qemu_9.2.0-q35.x86_64: " "$scratch/bite" && grep -q "text=vnk" "$scratch/bite"'
check "the untouched cases still agree" grep -q "^agree qemu_9.2.0-tcg.x86_64$" "$scratch/bite"
check "QEMU 5.2 is refused with libvirt's words" \
	grep -qx "refused qemu_5.2.0-tcg.x86_64: QEMU version >= 6.2.0 is required, but 5.2.0 found" "$scratch/bite"
check "a KVM recording is not a refusal" eval '! grep -q "^refused qemu_7.2.0.ppc" "$scratch/bite"'
finish
