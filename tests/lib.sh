# Shared helpers for the script tests (sourced).  Each script counts its own
# checks and ends with "N passed, N failed, N skipped"; exit 0 only when none
# failed.  A part that cannot run here is `skip REASON` (counted, and its
# "SKIP: REASON" line listed by scripts/test-summary), never a silent pass;
# a whole script that cannot run exits 77 after one "SKIP: REASON" line.
# Scripts source this with `|| exit 99`: going on without it would make
# every "$scratch/..." a path under / (fake emulators written into /bin).
: "${CAPSPROBE:=$(pwd)/capsprobe}"
: "${FIXTURES:=$(cd "$(dirname "$0")/.." && pwd)/tests/fixtures}"
# CAPSPROBE_WRAPPER runs the binary under a tool (scripts/check-valgrind).
capsprobe() { ${CAPSPROBE_WRAPPER:-} "$CAPSPROBE" "$@"; }
pass=0
fail=0
skipped=0
ok() { pass=$((pass + 1)); echo "PASS: $*"; }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
skip() { skipped=$((skipped + 1)); echo "SKIP: $*"; }
check() { # description, command...
	local what=$1; shift
	if "$@"; then ok "$what"; else bad "$what"; fi
}
# live PATTERN: pids of running (not zombie) processes whose command line
# has PATTERN, read from /proc (always there; pgrep is not on a minimal
# Debian, and a check that cannot look must not pass).  Builtins only: a
# fork per process made one look take a minute on a loaded machine.
live() {
	local d cmd state args IFS=" "
	[ -r /proc/self/cmdline ] || { echo "ERROR: no /proc to look for processes in" >&2; echo unknown; return; }
	for d in /proc/[0-9]*; do
		mapfile -d '' -t args 2>/dev/null <"$d/cmdline" || continue
		cmd="${args[*]}"
		case $cmd in *"$1"*) ;; *) continue ;; esac
		read -r state 2>/dev/null <"$d/stat" || continue
		state=${state##*) }	# the name in (...) may hold spaces
		[ "${state%% *}" = Z ] || echo "${d#/proc/}"
	done
}
# within_10s COMMAND...: COMMAND succeeds, tried every 0.1 s for up to 10 s
within_10s() {
	local i
	for i in $(seq 100); do
		"$@" && return 0
		sleep 0.1
	done
	return 1
}
# none_left PATTERN: no process with PATTERN runs, after giving dying ones
# (a SIGKILL in flight) up to 10 s to go
none_left() { within_10s none_running "$1"; }
none_running() { [ -z "$(live "$1")" ]; }
# appears PATTERN: a process with PATTERN runs, waiting up to 10 s for one
# just started (between fork and exec its command line is still the shell's)
appears() { within_10s running "$1"; }
running() { [ -n "$(live "$1")" ]; }
# need_python WHY [MODULE...]: $PY is a Python 3 that can import every
# MODULE, or the script skips (77) saying WHY
. "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib/python.sh" || exit 99
need_python() {
	local why=$1
	shift
	PY=$(cp_python "$@") || { echo "SKIP: $why"; exit 77; }
}
# kvm_host: state what the host the KVM recordings were made on says of
# KVM (usable, its vCPU limit), so that replaying them through fake
# emulators gives the same documents whatever this machine's /dev/kvm is
# (CAPSPROBE_FACTS, see the man page)
kvm_host() {
	local f
	mkdir -p "$scratch/facts"
	for f in kvm kvm-max-vcpus; do
		cp "$FIXTURES/domain/host-x86_64-amd/capsprobe/$f" "$scratch/facts/" || return 1
	done
	export CAPSPROBE_FACTS=$scratch/facts
}
# edit_reply REC CMD JSON OUT: the recorded conversation REC with the reply
# to CMD's first call replaced by {"return": JSON} (same id), into OUT;
# fails when REC has no CMD (needs perl)
edit_reply() {
	CMD=$2 NEW=$3 perl -00 -ne '
		if ($next) {
			my ($id) = /"id":\s*("[^"]*")/;
			$_ = "{\n  \"return\": $ENV{NEW},\n  \"id\": $id\n}\n\n";
			$next = 0; $done = 1;
		} elsif (!$done && /"execute":\s*"\Q$ENV{CMD}\E"/) {
			$next = 1;
		}
		print;
		END { exit($done ? 0 : 1) }' "$1" >"$4"
}
# logged_emulator PATH LOG: at PATH (a regular file, so touching it changes
# the cache key) an emulator that appends a line to LOG at each start and
# runs a copy of $FAKE_QEMU ($scratch/fake-qemu): a cache hit is a
# run that leaves LOG as it was
logged_emulator() {
	cp "$FAKE_QEMU" "$scratch/fake-qemu"
	printf '#!/bin/sh\necho start >>%s\nexec %s "$@"\n' "'$2'" "'$scratch/fake-qemu'" >"$1"
	chmod +x "$1"
	: >"$2"
}
# cache_test_setup: what the probe-cache tests share: TMPDIR in the scratch
# directory, the KVM facts of the host the recordings were made on
# (kvm_host), a logged_emulator $emu in $bin (log $log, see starts)
# replaying the x86_64 KVM recording, and the cache directory $cache (not
# made).  Exits 77 without fake-qemu, 99 without the facts.
cache_test_setup() {
	[ -x "${FAKE_QEMU:-}" ] || { echo "SKIP: no fake-qemu (set FAKE_QEMU)"; exit 77; }
	export TMPDIR=$scratch/tmp
	mkdir -p "$TMPDIR"
	kvm_host || { echo "ERROR: cannot state the KVM facts"; exit 99; }
	bin=$scratch/bin
	emu=$bin/qemu-system-x86_64
	log=$scratch/starts
	cache=$scratch/c
	mkdir -p "$bin"
	logged_emulator "$emu" "$log"
	export CAPSPROBE_FAKE_REPLIES=$FIXTURES/qemu/7.2.22-x86_64-kvm.replies
}
# starts: how many times the logged emulator has started
starts() { wc -l <"$log"; }
# conformance_run SCRIPT OUT ARGS...: run a conformance script (ARGS given
# to it) into OUT; sets rc to its status and cases, agreed and disagreed
# from its closing line "NAME: N cases, N agreed, N disagreed"
conformance_run() {
	local script=$1 out=$2 name
	shift 2
	name=$(basename "$script")
	"$script" "$@" >"$out" 2>&1
	rc=$?
	read -r cases agreed disagreed <<<"$(sed -n "s/^$name: \([0-9]*\) cases, \([0-9]*\) agreed, \([0-9]*\) disagreed\$/\1 \2 \3/p" "$out")"
}
# conformance SCRIPT OUT ARGS...: conformance_run, then show OUT and count
# each of its "ok   CASE" and "FAIL CASE" lines as a check (the caller
# exits 77 when rc is 77)
conformance() {
	local line
	conformance_run "$@"
	cat "$2"
	# a skip (77) says why, in the line scripts/test-summary counts
	[ "$rc" -ne 77 ] || echo "SKIP: $(sed -n 's/^[a-z-]*: SKIP: //p' "$2" | head -1)"
	while IFS= read -r line; do
		case $line in
		"ok   "*) ok "${line#ok   }" ;;
		"FAIL "*) bad "${line#FAIL }" ;;
		esac
	done <"$2"
}
finish() {
	echo "$pass passed, $fail failed, $skipped skipped"
	[ "$fail" -eq 0 ]
}
# Never go on without a scratch directory: every path below is "$scratch/..."
# and an empty value would point the tests at / itself.
scratch=$(mktemp -d "${TMPDIR:-/tmp}/capsprobe-test.XXXXXX") || scratch=$(mktemp -d /tmp/capsprobe-test.XXXXXX) || scratch=
case $scratch in
/?*/capsprobe-test.*) ;;
*) echo "ERROR: cannot make a scratch directory" >&2; exit 99 ;;
esac
[ -d "$scratch" ] || { echo "ERROR: no scratch directory" >&2; exit 99; }
# domcaps_sysroot NAME: the replay sysroot of line NAME of
# $FIXTURES/domain/cases in $root, as tests/domcaps/golden.sh makes it, and
# the case's capsprobe arguments in args_of[NAME]; 1 when there is no line
declare -A args_of
domcaps_sysroot() {
	local name host facts replies args emu f cases=$FIXTURES/domain
	read -r name host facts replies args < <(grep "^$1 " "$cases/cases")
	[ -n "$name" ] || return 1
	root=$scratch/$name
	if [ ! -d "$root" ]; then
		cp -r "$cases/$host" "$root"
		if [ "$facts" != - ]; then
			for f in ${facts//,/ }; do printf '%s\n' "${f#*=}" >"$root/capsprobe/${f%%=*}"; done
		fi
		emu=$(sed -n 's/.*--emulator \([^ ]*\).*/\1/p' <<<"$args")
		mkdir -p "$root/capsprobe/qemu$emu"
		cp "$FIXTURES/qemu/$replies"*.replies "$root/capsprobe/qemu$emu/"
	fi
	args_of[$1]=$args
}
# sev_sysroot FROM TO: a copy in TO of the replay sysroot FROM (of an
# x86_64 KVM case) where QEMU answers query-sev-capabilities (pdh PDHKEY,
# cert-chain CERTCHAIN, cpu0-id CPU0ID, cbitpos 47, reduced-phys-bits 1)
# instead of its recorded error, and CPUID 0x8000001F has ECX 509 ASIDs,
# EDX 100 the first non-ES one (libvirt's counts: ECX - EDX + 1 and
# EDX - 1); 1 when the recording is not as expected
sev_sysroot() {
	local r
	cp -r "$1" "$2" || return 1
	r=$(echo "$2"/capsprobe/qemu/usr/bin/qemu-system-x86_64/*-kvm.replies)
	"${PY:-python3}" - "$r" <<'PY' || return 1
import sys
p = sys.argv[1]
s = open(p).read()
old = '''  "error": {
    "class": "GenericError",
    "desc": "SEV is not enabled in KVM"
  }'''
new = '''  "return": {
    "pdh": "PDHKEY",
    "cert-chain": "CERTCHAIN",
    "cpu0-id": "CPU0ID",
    "cbitpos": 47,
    "reduced-phys-bits": 1
  }'''
assert s.count(old) == 1
open(p, 'w').write(s.replace(old, new))
PY
	printf '0x8000001f 0x00000000 0x0001000f 0x0000016f 0x%08x 0x%08x\n' 509 100 >"$2/capsprobe/cpuid"
}
bulk=
trap 'rm -rf "$scratch" ${bulk:+"$bulk"}' EXIT
# bulk_scratch: set $bulk to a directory for trees of 100,000s of files.
# On tmpfs where /dev/shm has 2 GiB free (the largest tree takes 0.6):
# making and removing such a tree on a disk took minutes here, and slowed
# every test running beside it.
bulk_scratch() {
	local avail
	avail=$(df -Pk /dev/shm 2>/dev/null | awk 'NR == 2 { print $4 }')
	if [ "${avail:-0}" -gt $((2 << 20)) ] && bulk=$(mktemp -d /dev/shm/capsprobe-test.XXXXXX 2>/dev/null); then
		return 0
	fi
	bulk=$scratch/bulk
	mkdir -p "$bulk"
}
# a private probe cache: a test never reads or fills the user's
export CAPSPROBE_CACHE_DIR=$scratch/cache
