#!/bin/bash
# capsprobe's host CPU decoding against libvirt 11.3's tests/cputestdata, read
# from libvirt's source package itself (scripts/cpu-conformance fetches it
# into a cache with apt-get): every DO_TEST_CPUID case of its cputest.c, and
# the committed copies in tests/fixtures/libvirt compared with it byte for
# byte.  Without the package (offline, no apt) this is a skip, with the reason.
. "$(dirname "$0")/../lib.sh"
top=$(cd "$(dirname "$0")/../.." && pwd)

conformance "$top/scripts/cpu-conformance" "$scratch/out" --capsprobe "$CAPSPROBE"
if [ $rc -eq 77 ]; then
	exit 77
fi
check "the run ends with its summary" test -n "${cases:-}"
check "the source's x86 cases and both fixture checks ran ($cases)" \
	test "${cases:-0}" -eq $(( $(grep -c '^ok   x86_64 \|^FAIL x86_64 ' "$scratch/out") + 2 )) -a "${cases:-0}" -gt 2
check "the exit status says whether all agreed (rc $rc, $disagreed disagreed)" \
	test "$rc" -eq "$([ "${disagreed:-1}" -eq 0 ] && echo 0 || echo 1)"
finish
