#!/bin/bash
# cpu-compare and cpu-baseline against every x86 compare and baseline case
# of libvirt 11.3's tests/cputest.c, read from libvirt's source package
# (scripts/libvirt-source fetches it into a cache); the committed copies are
# checked to be libvirt's; and, when virsh 11.3 is installed, virsh itself
# runs the same CPUs (cpu-compare against this host, cpu-baseline,
# cpu-models for every arch) and must print what capsprobe prints.
# Without the source this is a skip, with the reason.
. "$(dirname "$0")/../lib.sh"
top=$(cd "$(dirname "$0")/../.." && pwd)

with_virsh=
if command -v virsh >/dev/null && [ "$(virsh --version 2>/dev/null)" = 11.3.0 ]; then
	with_virsh=--virsh
else
	echo "virsh 11.3.0 is not installed: libvirt's test data only"
fi
conformance "$top/scripts/cpu-cmds-conformance" "$scratch/out" --capsprobe "$CAPSPROBE" $with_virsh
[ $rc -eq 77 ] && exit 77
check "the run ends with its summary" test -n "${cases:-}"
# 35 compare (DO_TEST_COMPARE, DO_TEST_UPDATE), 9 + 13 baseline cases in 11.3
check "cputest.c's x86 cases and the fixture check ran ($cases)" test "${cases:-0}" -ge 58
check "the exit status says whether all agreed (rc $rc)" \
	test "$rc" -eq "$([ "${disagreed:-1}" -eq 0 ] && ! grep -q '^FAIL' "$scratch/out" && echo 0 || echo 1)"
if [ -n "$with_virsh" ]; then
	check "virsh ran too" grep -q '^virsh: [1-9][0-9]* runs' "$scratch/out"
fi
finish
