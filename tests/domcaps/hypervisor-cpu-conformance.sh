#!/bin/bash
# hypervisor-cpu-compare and hypervisor-cpu-baseline against virsh 11.3's
# embedded QEMU driver on this machine's QEMU (scripts/hypervisor-cpu-conformance
# --quick: libvirt's tests/cputestdata x86 CPUs and this project's documents
# as inputs, the request options, and requests both must refuse).  Skips (77,
# with the reason) without virsh 11.3, a qemu-system-x86_64 or libvirt's source.
. "$(dirname "$0")/../lib.sh" || exit 99
top=$(cd "$(dirname "$0")/../.." && pwd)

conformance "$top/scripts/hypervisor-cpu-conformance" "$scratch/out" --capsprobe "$CAPSPROBE" --quick
[ $rc -eq 77 ] && exit 77
check "the run ends with its summary" test -n "${cases:-}"
check "inputs, options and refusals ran ($cases)" test "${cases:-0}" -ge 250
check "the exit status says whether all agreed (rc $rc)" \
	test "$rc" -eq "$([ "${disagreed:-1}" -eq 0 ] && ! grep -q '^FAIL' "$scratch/out" && echo 0 || echo 1)"
finish
