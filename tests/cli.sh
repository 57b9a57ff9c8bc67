#!/bin/bash
# The command line: help, version, usage errors and their exit statuses.
. "$(dirname "$0")/lib.sh" || exit 99

run() { # expected-status, args...
	local want=$1; shift
	capsprobe "$@" >"$scratch/out" 2>"$scratch/err"
	[ $? -eq "$want" ]
}
one_error_line() { [ "$(wc -l <"$scratch/err")" -eq 1 ] && grep -q '^error: ' "$scratch/err" && [ ! -s "$scratch/out" ]; }

check "--help exits 0" run 0 --help
check "--help lists host" grep -q '^  host ' "$scratch/out"
check "--help documents exit statuses" grep -q '^  2  probe failure' "$scratch/out"
check "--version" run 0 --version
check "--version prints the package version" grep -Eq '^capsprobe [0-9]+\.[0-9]+' "$scratch/out"
check "host --help" run 0 host --help
check "host --help lists --sysroot" grep -q -- '--sysroot DIR' "$scratch/out"
check "host --help lists --no-guests" grep -q -- '--no-guests' "$scratch/out"
check "no command is a usage error" run 1
check "  with one error line" one_error_line
check "unknown command" run 1 frobnicate
check "  with one error line" one_error_line
check "  naming it" grep -q "unknown command 'frobnicate'" "$scratch/err"
check "unknown global option" run 1 --frob
check "  with one error line" one_error_line
check "unknown host option" run 1 host --frob
check "  with one error line" one_error_line
check "missing option argument" run 1 host --sysroot
check "  with one error line" one_error_line
check "stray argument" run 1 host extra
check "missing sysroot is a probe failure" run 2 host --sysroot /nonexistent/capsprobe
check "  with one error line" one_error_line
check "  naming the path" grep -q '/nonexistent/capsprobe' "$scratch/err"
: >"$scratch/file"
check "a file as sysroot is a probe failure" run 2 host --sysroot "$scratch/file"
check "  with one error line" one_error_line
mkdir -p "$scratch/empty"
check "an empty sysroot is a probe failure" run 2 host --sysroot "$scratch/empty"
check "  with one error line" one_error_line

# --xpath and --wrap over a recorded host (values known from its document)
tree="$FIXTURES/host/x86-epyc-milan-kvm-2cpu"
check "--xpath selects nodes" run 0 host --no-guests --sysroot "$tree" --xpath '/capabilities/host/cpu/model'
check "  printed as virsh prints them" cmp -s "$scratch/out" <(printf '<model>kvm64-v1</model>\n\n')
check "--xpath number" run 0 host --no-guests --sysroot "$tree" --xpath 'count(//cpu/feature)'
check "  is the count, one line and no empty line after it" cmp -s "$scratch/out" <(printf '%s\n' "$(grep -c '<feature name' "$tree.xml")")
check "--xpath string" run 0 host --no-guests --sysroot "$tree" --xpath 'string(/capabilities/host/cpu/model)'
check "  is the value, one line" cmp -s "$scratch/out" <(printf 'kvm64-v1\n')
check "--xpath --wrap" run 0 host --no-guests --sysroot "$tree" --xpath '//bank[@level=3]' --wrap
check "  wraps in <nodes>" cmp -s "$scratch/out" <(printf '<nodes>\n  <bank id="0" level="3" type="both" size="32" unit="MiB" cpus="0-1"/>\n</nodes>\n\n')
check "invalid --xpath is a usage error" run 1 host --no-guests --sysroot "$tree" --xpath '//bogus['
check "  with one error line" one_error_line
check "--wrap without --xpath" run 1 host --no-guests --wrap
check "  with one error line" one_error_line
finish
