#!/bin/bash
# Bad recorded trees (tests/fixtures/bad/<case>/): empty files, garbage,
# unreadable files (capsprobe/denied), absurd values, symlink loops and
# FIFOs.  Each run must end in a documented omission (exit 0, well-formed
# XML) or in one "error: ..." line with exit 2 and nothing on stdout; never
# a crash, a hang or half a document.
. "$(dirname "$0")/../lib.sh" || exit 99

BAD="$FIXTURES/bad"

# run <tree>: leaves $scratch/out, $scratch/err and $status (124: hung;
# the guard is far above what a run takes, loaded or not)
run() {
	timeout 300 "$CAPSPROBE" host --no-guests --sysroot "$1" >"$scratch/out" 2>"$scratch/err"
	status=$?
}
clean_outcome() {
	case $status in
	0) xmllint --noout "$scratch/out" 2>/dev/null ;;
	2) [ ! -s "$scratch/out" ] && [ "$(wc -l <"$scratch/err")" -eq 1 ] && grep -q '^error: ' "$scratch/err" ;;
	*) false ;;
	esac
}
has() { grep -qF -- "$1" "$scratch/out"; }
lacks() { ! grep -qF -- "$1" "$scratch/out"; }
# The lines of one element, e.g. section cache.
section() { sed -n "/^    <$1>/,/^    <\/$1>/p" "$scratch/out"; }

for tree in "$BAD"/*/; do
	name=$(basename "$tree")
	run "$tree"
	check "$name: exit $status is a clean outcome" clean_outcome
done

run "$BAD/empty-files"
check "empty files: exit 0" test "$status" -eq 0
check "  no <cpu><topology> (empty CPU lists fail nodeinfo)" lacks "<topology sockets="
check "  no <cpu><pages> (empty hugepage counters)" lacks "<pages unit='KiB' size='4'/>"
check "  real NUMA path with no usable cpumap: zero cells" has "<cells num='0'>"
check "  no <cache> (empty online list)" lacks "<cache>"

run "$BAD/garbage-numbers"
check "garbage: exit 0" test "$status" -eq 0
check "  zero cells (unparsable cpumaps are skipped)" has "<cells num='0'>"
check "  no <cache> (garbage cbm_mask fails resctrl)" lacks "<cache>"

run "$BAD/garbage-topology"
check "garbage topology ids: exit 0" test "$status" -eq 0
check "  nodeinfo fails on a negative core_id" lacks "<topology sockets="
check "  real path fails on cluster_id 4294967295, fake fails with nodeinfo: no <topology>" lacks "<topology>"
check "  host pages kept (only a node counter is bad)" has "<pages unit='KiB' size='2048'/>"
check "  unknown cache type stops the scan: banks unsorted" \
	test "$(section cache | grep -o "id='[0-9]' level='[0-9]'" | tr '\n' ' ')" = \
	"id='0' level='2' id='0' level='3' id='1' level='2' "
check "  stopped scan: no monitor" lacks "<monitor"
check "  stopped scan: no memory bandwidth" lacks "<memory_bandwidth>"

run "$BAD/denied"
check "unreadable files: exit 0" test "$status" -eq 0
check "  unreadable /proc/cpuinfo fails nodeinfo" lacks "<topology sockets="
check "  unreadable node MemTotal: no host pages" lacks "<pages unit='KiB' size='4'/>"
check "  unreadable die_id, then no nodeinfo: no <topology>" lacks "<topology>"
check "  unreadable L3_MON/num_rmids: no <cache>" lacks "<cache>"

run "$BAD/denied-dirs"
check "unreadable node and resctrl directories: exit 0" test "$status" -eq 0
check "  nodeinfo falls back to the CPU directory" has "<topology sockets='1' dies='1' clusters='1' cores='2' threads='1'/>"
check "  fake cell" has "<cells num='1'>"
check "  fake cell has no memory (no node could be summed)" lacks "<memory unit="
check "  fake cell ids: die and cluster 0" has "<cpu id='1' socket_id='0' die_id='0' cluster_id='0' core_id='1' siblings='1'/>"
check "  no <cache>" lacks "<cache>"

run "$BAD/absurd"
check "absurd values: exit 0" test "$status" -eq 0
check "  present 0-99999999 fails nodeinfo" lacks "<topology sockets="
check "  node999999999999 fails the real path; no nodeinfo: no <topology>" lacks "<topology>"
check "  hugepages-99999999999kB: no host pages" lacks "<pages unit='KiB' size='4'/>"
check "  no <cache>" lacks "<cache>"

run "$BAD/huge-cpu-ids"
check "CPU 65535: exit 0" test "$status" -eq 0
check "  listed in its cell" has "<cpu id='65535' socket_id='0' die_id='0' cluster_id='65535' core_id='1' siblings='65535'/>"
check "  in the L3 bank" has "cpus='0,65535'"

run "$BAD/symlink-loop"
check "symlink loops: exit 0" test "$status" -eq 0
check "  looping /proc/cpuinfo fails nodeinfo" lacks "<topology sockets="
check "  looping cache directory stops the scan after CPU 0" \
	test "$(section cache | grep -c '<bank')" -eq 2
check "  stopped scan: no monitor" lacks "<monitor"

run "$BAD/no-pagesize-fact"
check "no pagesize fact: exit 2" test "$status" -eq 2
check "  naming the fact" grep -q 'pagesize' "$scratch/err"

# FIFOs cannot live in git: make them in a copy of a good tree.  Opening a
# FIFO must not block and reading one is refused by the path layer.
cp -a "$FIXTURES/host/x86-2socket-2node-smt-resctrl" "$scratch/fifo"
for f in proc/cpuinfo sys/devices/system/node/node1/meminfo sys/devices/system/cpu/cpu3/topology/core_id \
	sys/devices/system/cpu/cpu9/cache/index3/size sys/fs/resctrl/info/MB/min_bandwidth \
	sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages; do
	rm -f "$scratch/fifo/$f"
	mkfifo "$scratch/fifo/$f"
done
run "$scratch/fifo"
check "FIFOs: no hang, exit 0" test "$status" -eq 0
check "  well-formed" clean_outcome
check "  no <topology> (nodeinfo and the real path both fail)" lacks "<topology>"
check "  no <cpu><pages>" lacks "<pages unit='KiB' size='4'/>"
check "  no <cache> (resctrl MB unreadable)" lacks "<cache>"

finish
