#!/bin/bash
# Hosts of any size (scripts/gen-host-tree): 8192 CPUs in 1024 NUMA nodes
# (a /proc/cpuinfo of ~9.5 MiB, past the old read cap), and a node
# of 70,000 memory blocks (past the old 65,536-entry listing cap).  Each must
# give the complete document, with no warning: every CPU in its cell, every
# cell and distance, every cache bank, the CPU model and features as a small
# host of the same facts has them.  Expected counts come from the generator's
# parameters.  With strace, every file is opened once.
. "$(dirname "$0")/../lib.sh" || exit 99
top=$(cd "$(dirname "$0")/../.." && pwd)
gen=$top/scripts/gen-host-tree
facts=$FIXTURES/host/x86-epyc-milan-kvm-2cpu

# the <cpu> element without its <topology> line: the same for any size
cpu_part() { sed -n '/^    <cpu>/,/^    <\/cpu>/p' "$1" | grep -v '<topology '; }
bulk_scratch

"$gen" --no-l1 --cpus 4 --nodes 1 --facts "$facts" "$scratch/small" || exit 99
capsprobe host --no-guests --sysroot "$scratch/small" >"$scratch/small.xml" 2>"$scratch/small.err"
rc=$?
check "4 CPUs: exit 0, no warning ($(head -1 "$scratch/small.err"))" \
	eval '[ $rc -eq 0 ] && [ ! -s "$scratch/small.err" ]'
check "4 CPUs: a CPU model and features" \
	eval 'grep -q "<model>" "$scratch/small.xml" && [ "$(grep -c "<feature " "$scratch/small.xml")" -gt 10 ]'

# (8192, the kernel's largest NR_CPUS on x86; 16384 CPUs are compared with
# libvirt by scripts/libvirt-host-doc, outside the suite: see NEWS)
cpus=8192 nodes=1024 threads=2 ccx=8
"$gen" --no-l1 --cpus $cpus --nodes $nodes --threads $threads --ccx $ccx --facts "$facts" "$bulk/big" || exit 99
check "the generated cpuinfo is past 8 MiB ($(stat -c %s "$bulk/big/proc/cpuinfo") bytes)" \
	test "$(stat -c %s "$bulk/big/proc/cpuinfo")" -gt $((8 << 20))
capsprobe host --no-guests --sysroot "$bulk/big" >"$scratch/big.xml" 2>"$scratch/big.err"
rc=$?
check "$cpus CPUs, $nodes nodes: exit 0, no warning ($(head -1 "$scratch/big.err"))" \
	eval '[ $rc -eq 0 ] && [ ! -s "$scratch/big.err" ]'
check "$cpus CPUs: the host CPU as on a small host (model, vendor, microcode, features)" \
	cmp -s <(cpu_part "$scratch/small.xml") <(cpu_part "$scratch/big.xml")
cores=$((cpus / threads))
# libvirt's nodeinfo: nodes x sockets x dies x clusters x cores x threads,
# or (when that does not add up) one node of all CPUs as cores
topo=$(grep -m1 '^      <topology ' "$scratch/big.xml" | grep -o "'[0-9]*'" | tr -d "'" | tr '\n' ' ')
check "$cpus CPUs: <topology> of the host CPU counts them all ($topo)" \
	eval 'echo "$topo" | awk -v n=$nodes -v c=$cpus "{ p = 1; for (i = 1; i <= NF; i++) p *= \$i; exit !(p == c || p * n == c) }"'
check "$nodes cells" grep -q "<cells num='$nodes'>" "$scratch/big.xml"
check "every CPU in a cell ($(grep -c '<cpu id=' "$scratch/big.xml"))" test "$(grep -c '<cpu id=' "$scratch/big.xml")" -eq $cpus
check "each cell lists its $((cpus / nodes)) CPUs" \
	test "$(grep -c "<cpus num='$((cpus / nodes))'>" "$scratch/big.xml")" -eq $nodes
check "every cell has $nodes distances" \
	test "$(grep -c '<sibling id=' "$scratch/big.xml")" -eq $((nodes * nodes))
check "every L2 and L3 bank ($(grep -c '<bank ' "$scratch/big.xml"))" \
	test "$(grep -c '<bank ' "$scratch/big.xml")" -eq $((cores + cores / ccx))
if command -v strace >/dev/null; then
	# (--seccomp-bpf stops only at the traced calls: several times faster)
	bpf=--seccomp-bpf
	strace -f $bpf -o /dev/null -e trace=openat true 2>/dev/null || bpf=
	strace -f $bpf -o "$scratch/trace" -e trace=openat,openat2 "$CAPSPROBE" host --no-guests --sysroot "$bulk/big" >/dev/null 2>&1
	# the files (not directories) opened for reading more than once
	again=$(grep -v 'O_DIRECTORY\|O_PATH\|ENOENT' "$scratch/trace" | grep -o 'openat2\?([0-9A-Z_]*, "[^"]*"' |
		sed 's/.*"\(.*\)"/\1/' | sort | uniq -d | head -3)
	check "every file opened once${again:+ (again: $again)}" test -z "$again"
	check "the trace saw the CPUs' files ($(grep -c "devices/system/cpu/cpu[0-9]" "$scratch/trace") opens)" \
		test "$(grep -c "devices/system/cpu/cpu[0-9]" "$scratch/trace")" -gt $cpus
else
	skip "every file opened once: strace is not installed"
fi

rm -rf "$bulk/big"
"$gen" --no-l1 --cpus 4 --nodes 1 --memory-blocks 70000 --facts "$facts" "$bulk/blocks" || exit 99
capsprobe host --no-guests --sysroot "$bulk/blocks" >"$scratch/blocks.xml" 2>"$scratch/blocks.err"
rc=$?
check "a node of 70,000 memory blocks: exit 0, no warning ($(head -1 "$scratch/blocks.err"))" \
	eval '[ $rc -eq 0 ] && [ ! -s "$scratch/blocks.err" ]'
check "a node of 70,000 memory blocks: the same document as without them" \
	cmp -s "$scratch/small.xml" "$scratch/blocks.xml"
# A CPU id above the 65536 capsprobe handles: said, never quietly dropped.
cp -a "$scratch/small" "$scratch/bigid"
sysd=$scratch/bigid/sys/devices/system
mv "$sysd/cpu/cpu3" "$sysd/cpu/cpu70000"
for f in online present possible; do echo "0-2,70000" >"$sysd/cpu/$f"; done
capsprobe host --no-guests --sysroot "$scratch/bigid" >"$scratch/bigid.xml" 2>"$scratch/bigid.err"
rc=$?
check "a CPU id of 70000: exit 0, a warning naming the limit ($(head -1 "$scratch/bigid.err"))" \
	eval '[ $rc -eq 0 ] && grep -q "^warning: .*CPU id above 65536" "$scratch/bigid.err"'
finish
