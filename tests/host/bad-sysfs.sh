#!/bin/bash
# One malformed or missing file at a time in a copy of a good recorded tree
# (x86-2socket-2node-smt-resctrl): each run exits 0 with a well-formed
# document that leaves out exactly what the file fed, and says why (a
# warning, or with -v a verbose line).  The unmodified tree is the control:
# it has every element the cases take away.
. "$(dirname "$0")/../lib.sh" || exit 99

good=$FIXTURES/host/x86-2socket-2node-smt-resctrl
sys=sys/devices/system
rc_=sys/fs/resctrl/info

# case NAME EDIT GONE MESSAGE: copy the tree, run EDIT in it, run capsprobe
# -v; exit 0, GONE no longer in the document (while the control has it), and
# a stderr line containing MESSAGE
case_() {
	local name=$1 edit=$2 gone=$3 msg=$4 t=$scratch/tree rc
	rm -rf "$t"
	cp -a "$good" "$t"
	(cd "$t" && eval "$edit") || { bad "$name: cannot edit the copy"; return; }
	capsprobe host --no-guests --no-cache -v --sysroot "$t" >"$scratch/out" 2>"$scratch/err"
	rc=$?
	check "$name: exit 0 (rc $rc)" test $rc -eq 0
	check "  a whole document" eval "head -1 '$scratch/out' | grep -qx '<capabilities>' && tail -2 '$scratch/out' | grep -qx '</capabilities>'"
	check "  without $gone (the control has it)" eval "grep -qF -- \"$gone\" '$scratch/ref' && ! grep -qF -- \"$gone\" '$scratch/out'"
	check "  saying: $msg" grep -qF -- "$msg" "$scratch/err"
}

capsprobe host --no-guests --no-cache --sysroot "$good" >"$scratch/ref" 2>/dev/null
check "control: the good tree, exit 0" test $? -eq 0 -a -s "$scratch/ref"

# a thread list that is not a list (this crashed: a set freed uninitialized)
case_ "thread_siblings_list garbage" "echo x >$sys/cpu/cpu0/topology/thread_siblings_list" \
	"<topology sockets=" "warning: no thread siblings for CPU 0; left out: the host CPU's model"
case_ "resctrl L3 cbm_mask missing" "rm $rc_/L3/cbm_mask" \
	"<cache>" "no <cache>: cannot read /$rc_/L3/cbm_mask"
case_ "resctrl L3 min_cbm_bits missing" "rm $rc_/L3/min_cbm_bits" \
	"<cache>" "no <cache>: no /$rc_/L3/min_cbm_bits"
case_ "resctrl MB min_bandwidth missing" "rm $rc_/MB/min_bandwidth" \
	"<cache>" "no <cache>: incomplete /$rc_/MB"
case_ "resctrl L3_MON mon_features missing" "rm $rc_/L3_MON/mon_features" \
	"<cache>" "no <cache>: cannot read /$rc_/L3_MON/mon_features"
case_ "L2 cache size garbage" "echo 12X >$sys/cpu/cpu0/cache/index2/size" \
	"<cache>" "cache scan stopped: bad cache size '12X' in /$sys/cpu/cpu0/cache/index2"
case_ "NUMA node meminfo missing" "rm $sys/node/node0/meminfo" \
	"<cells num='2'>" "warning: no memory size for a NUMA node (No such file or directory); the NUMA <topology> is faked as a single cell"
finish
