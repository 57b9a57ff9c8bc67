#!/bin/bash
# Malformed recorded facts (capsprobe/<fact> in a recorded tree), one at a
# time in a copy of a good tree: a fact that is there but wrong is one
# error line naming the fact and what it should be (exit 2, no document);
# a fact that is missing leaves out what it fed (exit 0, said under -v);
# unknown words in the power fact are ignored.  The unedited tree is the
# control.
. "$(dirname "$0")/../lib.sh" || exit 99

good=$FIXTURES/host/x86-epyc-milan-kvm-2cpu
t=$scratch/tree
# edit SHELL: a fresh copy of the good tree, SHELL run inside it
edit() { rm -rf "$t" && cp -a "$good" "$t" && (cd "$t" && eval "$1"); }
run() { capsprobe host --no-guests --no-cache -v --sysroot "$t" >"$scratch/out" 2>"$scratch/err"; rc=$?; }
# refused SHELL TEXT: exit 2, no document, one error line containing TEXT
refused() {
	local msg=$2
	edit "$1" || { bad "$1: cannot edit the copy"; return; }
	run
	check "$1: exit 2 (rc $rc), no document" test $rc -eq 2 -a ! -s "$scratch/out"
	check "  one error line: $2 ($(grep '^error' "$scratch/err"))" \
		eval "[ \$(grep -c '^error: ' '$scratch/err') -eq 1 ] && [ \$(grep -vc '^capsprobe: ' '$scratch/err') -eq 1 ] &&
			grep -qF -- \"error: \$msg\" '$scratch/err'"
}

capsprobe host --no-guests --no-cache --sysroot "$good" >"$scratch/ref" 2>/dev/null
check "control: the good tree, exit 0" test $? -eq 0 -a -s "$scratch/ref"
check "control: it has a CPU model and a TSC counter" \
	eval "grep -q '<model>kvm64' '$scratch/ref' && grep -q \"<counter name='tsc'\" '$scratch/ref'"

tsc='the TSC fact (tsc) line 1: expected "HZ yes|no"'
refused 'echo abc >capsprobe/tsc' "$tsc"
refused 'echo "2000000000 maybe" >capsprobe/tsc' "$tsc"
refused 'echo "0 yes" >capsprobe/tsc' "$tsc"
refused 'printf "1 yes\n2 no\n" >capsprobe/tsc' "$tsc"
refused 'echo "0x1 zz" >capsprobe/cpuid' "the CPUID fact line 1: field 2 'zz' is not a 32-bit hex number"
refused 'echo garbage >capsprobe/msr' "the MSR fact line 1: field 1 'garbage' is not a 32-bit hex number"
refused 'echo zz >capsprobe/pagesize' "recorded /capsprobe/pagesize is not a page size"
refused 'echo maybe >capsprobe/privileged' "recorded /capsprobe/privileged is not 0 or 1"

edit 'rm capsprobe/cpuid'
run
check "no cpuid fact: exit 0 (rc $rc)" test $rc -eq 0
check "  no CPU model" eval "grep -q '<cpu>' '$scratch/out' && ! grep -q '<model>kvm64' '$scratch/out'"
check "  -v says why" grep -qxF "capsprobe: host CPU model unknown: no CPUID data (not an x86 build, or not recorded)" "$scratch/err"

edit 'rm capsprobe/tsc'
run
check "no tsc fact: exit 0, no TSC counter" eval "[ $rc -eq 0 ] && ! grep -q \"<counter name='tsc'\" '$scratch/out'"

edit 'echo "suspend_mem bogus suspend_diskette" >capsprobe/power'
run
check "power fact with unknown words: exit 0 (rc $rc)" test $rc -eq 0
check "  suspend to RAM kept, nothing else" \
	eval "[ \"\$(sed -n '/<power_management>/,/<\/power_management>/p' '$scratch/out' | grep -c '<suspend_')\" -eq 1 ] && grep -q '<suspend_mem/>' '$scratch/out'"
finish
