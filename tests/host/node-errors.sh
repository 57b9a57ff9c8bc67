#!/bin/bash
# Bad input to the host commands: a usage error (bad number, bad size,
# excluding options) is exit 1, a host that lacks what was asked (no such
# cell, page size or CPU; a tree without the files) exit 2; always one
# "error: " line on standard error and nothing on standard output.
. "$(dirname "$0")/../lib.sh" || exit 99

tree=$FIXTURES/host/x86-2socket-2node-smt-resctrl
expect() { # STATUS PATTERN COMMAND...: fails so, with one line matching PATTERN
	local want=$1 pat=$2 rc
	shift 2
	capsprobe "$@" >"$scratch/out" 2>"$scratch/err"
	rc=$?
	check "'$*': exit $want (got $rc), one error line, no output" \
		test $rc -eq "$want" -a ! -s "$scratch/out" -a "$(wc -l <"$scratch/err")" -eq 1
	check "'$*': says '$pat' ($(head -1 "$scratch/err"))" grep -q "^error: .*$pat" "$scratch/err"
}
# usage errors
expect 1 "malformed or out of range" freecell --cellno x --sysroot "$tree"
expect 1 "malformed or out of range" freecell --cellno 99999999999 --sysroot "$tree"
expect 1 "exclude each other" freecell --all --cellno 0 --sysroot "$tree"
expect 1 "pagesize" freepages --cellno 0 --pagesize 2Q --sysroot "$tree"
expect 1 "pagesize" freepages --cellno 0 --pagesize -4 --sysroot "$tree"
expect 1 "pagesize" freepages --cellno 0 --pagesize 5T --sysroot "$tree"
expect 1 "missing --pagesize" freepages --cellno 0 --sysroot "$tree"
expect 1 "missing --cellno" freepages --sysroot "$tree"
expect 1 "non-negative integer or -1" freepages --cellno -2 --pagesize 4 --sysroot "$tree"
expect 1 "malformed or out of range" nodememstats --cell 1x --sysroot "$tree"
expect 1 "malformed or out of range" nodecpustats --cpu '' --sysroot "$tree"
expect 1 "needs the live host" nodecpustats --percent --sysroot "$tree"
expect 1 "unexpected argument" nodeinfo extra --sysroot "$tree"
# the host lacks it
expect 2 "start cell 7 out of range (0-1)" freecell --cellno 7 --sysroot "$tree"
expect 2 "page size 3 is not available on node 0" freepages --cellno 0 --pagesize 3 --sysroot "$tree"
expect 2 "start cell 5 out of range (0-1)" freepages --cellno 5 --pagesize 4 --sysroot "$tree"
expect 2 "out of range (0-1)" nodememstats --cell 2 --sysroot "$tree"
expect 2 "Invalid cpuNum 99" nodecpustats --cpu 99 --sysroot "$tree"
expect 2 "NUMA isn't available" nodememstats --cell 1 --sysroot "$FIXTURES/host/x86-no-numa-dir"
# a tree without the files
cp -a "$tree" "$scratch/t"
rm "$scratch/t/proc/stat" "$scratch/t/proc/meminfo"
expect 2 "/proc/stat" nodecpustats --sysroot "$scratch/t"
expect 2 "/proc/meminfo" nodememstats --sysroot "$scratch/t"
rm "$scratch/t/sys/devices/system/node/node1/meminfo"
expect 2 "node1/meminfo" nodeinfo --sysroot "$scratch/t"
expect 2 "node1/meminfo" freecell --sysroot "$scratch/t"
rm "$scratch/t/sys/devices/system/cpu/present"
expect 2 "cpu/present" nodecpumap --sysroot "$scratch/t"
printf 'garbage\n' >"$scratch/t/proc/meminfo"
expect 2 "no available memory line" nodememstats --sysroot "$scratch/t"
expect 2 "not a recorded tree" nodeinfo --sysroot "$scratch"
finish
