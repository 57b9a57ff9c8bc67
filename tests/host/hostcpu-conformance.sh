#!/bin/bash
# capsprobe's nodeinfo, host <cpu><topology> and CPU signature against
# libvirt 11.3's tests/virhostcpudata, read from libvirt's source package
# itself (scripts/libvirt-source fetches it into a cache with apt-get): every
# nodeData case of its virhostcputest.c (x86_64, ppc, ppc64 with subcores,
# s390x, aarch64, armv6l).  Without the package (offline, no apt) this is a
# skip, with the reason.
. "$(dirname "$0")/../lib.sh"
top=$(cd "$(dirname "$0")/../.." && pwd)
sig=${CPU_SIGNATURE:-$top/tests/host/cpu-signature}
[ -x "$sig" ] || { echo "ERROR: no tests/host/cpu-signature (make check builds it)"; exit 99; }

conformance "$top/scripts/hostcpu-conformance" "$scratch/out" --capsprobe "$CAPSPROBE" --signature "$sig"
[ $rc -eq 77 ] && exit 77
check "the run ends with its summary" test -n "${cases:-}"
src=$("$top/scripts/libvirt-source" 2>/dev/null) || exit 99
n=$(sed -n '/nodeData\[\] = {/,/};/p' "$src/tests/virhostcputest.c" | grep -c '^ *{"')
check "every case has its line ($cases of the harness's $n, at least 21)" \
	test "${cases:-0}" -eq "$(grep -c '^ok   \|^FAIL ' "$scratch/out")" -a "${cases:-0}" -eq "$n" -a "$n" -ge 21
check "nodeinfo, <cpu> topology and signatures were all compared" \
	grep -qx 'compared: nodeinfo, <cpu> topology, signature' "$scratch/out"
check "the exit status says whether all agreed (rc $rc, $disagreed disagreed)" \
	test "$rc" -eq "$([ "${disagreed:-1}" -eq 0 ] && echo 0 || echo 1)"

# The native trees of tests/fixtures/host are what scripts/gen-native-hosts
# makes from this source (their files libvirt's, verbatim or derived as
# that script says), with libvirt's expectations copied beside them.
"$top/scripts/gen-native-hosts" --source "$src" "$scratch/native" >/dev/null 2>"$scratch/gen.err"
grc=$?
check "gen-native-hosts remakes the native trees (exit $grc $(head -1 "$scratch/gen.err"))" test $grc -eq 0
for t in "$scratch"/native/*/; do
	t=$(basename "$t")
	check "tests/fixtures/host/$t is what gen-native-hosts makes" \
		diff -r --no-dereference "$scratch/native/$t" "$FIXTURES/host/$t"
	for f in "$scratch/native/$t".virhostcpu.*; do
		check "  $(basename "$f") is libvirt's" cmp "$f" "$FIXTURES/host/$(basename "$f")"
	done
done
check "three native trees remade" test "$(ls -d "$scratch"/native/*/ | wc -l)" -eq 3

# The comparison bites: the same source with one expectation changed must
# fail that case, each of the three ways.  subcores2 (ppc64, subcores with
# offline cores) has all three.
mkdir -p "$scratch/src/tests/virhostcpudata" "$scratch/src/src"
cp -a "$src/src/cpu" "$scratch/src/src/"
cp "$src/tests/virhostcpumock.c" "$scratch/src/tests/"
{
	echo '    const struct linuxTestHostCPUData nodeData[] = {'
	grep -m1 '{"subcores2", VIR_ARCH_PPC64},' "$src/tests/virhostcputest.c"
	echo '    };'
} >"$scratch/src/tests/virhostcputest.c"
d=$scratch/src/tests/virhostcpudata
cp -a "$src/tests/virhostcpudata/linux-subcores2" "$src/tests/virhostcpudata/linux-ppc64-subcores2".* "$d/"
bite() {
	local what=$1 file=$2 expr=$3 grep=$4
	cp "$src/tests/virhostcpudata/$file" "$d/$file"
	sed -i "$expr" "$d/$file"
	check "$what: the changed file differs" bash -c '! cmp -s "$1" "$2"' _ "$src/tests/virhostcpudata/$file" "$d/$file"
	"$top/scripts/hostcpu-conformance" --capsprobe "$CAPSPROBE" --signature "$sig" --source "$scratch/src" >"$scratch/bite" 2>&1
	local brc=$?
	check "$what: a changed expectation fails its case (exit $brc)" \
		eval '[ $brc -eq 1 ] && grep -q "^FAIL ppc64 subcores2$" "$scratch/bite" && grep -q "$grep" "$scratch/bite"'
	cp "$src/tests/virhostcpudata/$file" "$d/$file"
}
bite "threads" linux-ppc64-subcores2.expected 's/Threads: 8/Threads: 4/' '^    nodeinfo: libvirt .*Threads: 4$'
bite "CPUs" linux-ppc64-subcores2.expected 's|CPUs: 64/160|CPUs: 20/160|' '^    nodeinfo: capsprobe CPUs: 64/160'
bite "signature" linux-ppc64-subcores2.signature 's/rev 2.1/rev 2.0/' '^    signature: libvirt .*rev 2.0'
# the untouched copy agrees (so the failures above are the changes')
"$top/scripts/hostcpu-conformance" --capsprobe "$CAPSPROBE" --signature "$sig" --source "$scratch/src" >"$scratch/bite" 2>&1
check "the unchanged one-case copy agrees (exit $?)" grep -q '^hostcpu-conformance: 1 cases, 1 agreed, 0 disagreed$' "$scratch/bite"
finish
