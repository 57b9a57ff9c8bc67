#!/bin/bash
# cpu-models, cpu-baseline and cpu-compare at the command line: the inputs
# virsh reads (several CPUs a file, capabilities, domain capabilities,
# standard input), the host CPU of a recorded tree, exit statuses, and bad
# input: one "error: ..." line, nothing on standard output, the documented
# status (1 usage, 2 failure, 3 incompatible).
. "$(dirname "$0")/../lib.sh"
data=$FIXTURES/libvirt/cputest-cmds
hosts=$FIXTURES/host

# exit status, stdout and stderr of one run
run() { capsprobe "$@" >"$scratch/out" 2>"$scratch/err"; echo $? >"$scratch/rc"; }
rc() { cat "$scratch/rc"; }
one_error() { # what, status
	check "$1: exit $2 (got $(rc))" test "$(rc)" -eq "$2"
	check "$1: nothing on standard output" test ! -s "$scratch/out"
	check "$1: one error line ($(head -c 200 "$scratch/err"))" \
		test "$(wc -l <"$scratch/err")" -eq 1 -a "$(grep -c '^error: ' "$scratch/err")" -eq 1
}

# cpu-models: the map's x86 models, any model on aarch64, errors
run cpu-models x86_64
check "cpu-models x86_64: exit 0" test "$(rc)" -eq 0
check "cpu-models x86_64 lists the x86 map's models in its order" \
	test "$(sed -n '1p;$p' "$scratch/out" | tr '\n' ' ')" = "486  " -a "$(grep -cx 'Skylake-Client-v4' "$scratch/out")" -eq 1
run cpu-models --arch ppc64le
check "cpu-models --arch ppc64le: POWER models" grep -qx POWER9 "$scratch/out"
run cpu-models aarch64
check "cpu-models aarch64: any model" test "$(cat "$scratch/out")" = "all CPU models are accepted"
run cpu-models x86-64
one_error "cpu-models x86-64 (no such arch)" 1
check "cpu-models x86-64 suggests x86_64" grep -q "did you mean 'x86_64'" "$scratch/err"
run cpu-models mips
one_error "cpu-models mips (no CPU driver)" 2
run cpu-models
one_error "cpu-models without an arch" 1

# cpu-baseline: a recorded host's capabilities is its own baseline's host;
# several files, standard input, a domain capabilities' host-model
run cpu-baseline "$hosts/x86-hmat.xml"
check "baseline of a capabilities document: exit 0, a guest <cpu>" \
	test "$(rc)" -eq 0 -a "$(head -1 "$scratch/out")" = "<cpu mode='custom' match='exact'>"
cp "$scratch/out" "$scratch/hmat-baseline.xml"
capsprobe cpu-compare --host-cpu "$hosts/x86-hmat.xml" "$scratch/hmat-baseline.xml" >"$scratch/cmp"
check "the host runs its own baseline (exit $?)" grep -q "identical\|superset" "$scratch/cmp"
run cpu-baseline - <"$hosts/x86-hmat.xml"
check "cpu-baseline - reads standard input" cmp -s "$scratch/out" "$scratch/hmat-baseline.xml"
run cpu-baseline "$hosts/x86-hmat.xml" "$hosts/x86-epyc-milan-kvm-2cpu.xml"
check "two files are one baseline (exit $(rc))" test "$(rc)" -eq 0 -a "$(grep -c '<model' "$scratch/out")" -eq 1
run cpu-baseline "$hosts/x86-hmat.xml" "$data/x86_64-host.xml"
one_error "baseline of an AMD and an Intel host" 2
check "... says the vendors differ" grep -q "CPU vendors do not match" "$scratch/err"
cat "$data/x86_64-cpuid-Xeon-E5-2609-v3-json.xml" "$data/x86_64-cpuid-Xeon-Gold-6148-json.xml" >"$scratch/two.xml"
run cpu-baseline --arch x86_64 "$scratch/two.xml"
check "two CPUs in one file are one baseline: libvirt's" \
	cmp -s <(sed '$ { /^$/d }' "$scratch/out") "$data/x86_64-cpuid-baseline-Haswell-noTSX-IBRS+Skylake.xml"
run cpu-baseline --arch x86_64 "$data/x86_64-cpuid-Xeon-E5-2609-v3-json.xml"
check "one guest CPU is its own baseline, its model kept (fallback='forbid')" \
	grep -q "<model fallback='forbid'>Haswell-noTSX-IBRS</model>" "$scratch/out"
# one input model is kept even where a newer one fits better (libvirt's
# single preferred model; virsh 11.3 prints Nehalem here too, Westmere is
# what the features alone would give)
printf "<cpu><arch>x86_64</arch><model>Nehalem</model><vendor>Intel</vendor><feature name='aes'/><feature name='pclmuldq'/><feature name='avx'/><feature name='xsave'/></cpu>" >"$scratch/pref.xml"
run cpu-baseline "$scratch/pref.xml"
check "a single input model is the baseline's model" grep -q "<model fallback='forbid'>Nehalem</model>" "$scratch/out"
dc=$FIXTURES/domain/x86_64-q35-kvm.xml
run cpu-baseline "$dc"
check "a domain capabilities' host-model is a CPU to baseline (exit $(rc))" test "$(rc)" -eq 0
check "... with its model" grep -q "<model fallback='forbid'>$(sed -n "/host-model' supported='yes'/,/<\/mode>/s/.*<model[^>]*>\(.*\)<\/model>.*/\1/p" "$dc")</model>" "$scratch/out"
run cpu-baseline --migratable "$hosts/x86-hmat.xml"
check "--migratable drops invtsc" test "$(rc)" -eq 0 -a "$(grep -c "'invtsc'" "$scratch/out")" -eq 0
check "... which the plain baseline has" grep -q "name='invtsc'" "$scratch/hmat-baseline.xml"

# cpu-compare: verdicts and statuses
run cpu-compare --host-cpu "$data/x86_64-host.xml" "$data/x86_64-host-worse.xml"
check "superset: exit 0, virsh's line" test "$(rc)" -eq 0 -a \
	"$(head -1 "$scratch/out")" = "Host CPU is a superset of CPU described in $data/x86_64-host-worse.xml"
run cpu-compare --host-cpu "$data/x86_64-host.xml" "$data/x86_64-host-better.xml"
check "incompatible: exit 3, virsh's line" test "$(rc)" -eq 3 -a \
	"$(head -1 "$scratch/out")" = "CPU described in $data/x86_64-host-better.xml is incompatible with host CPU"
run cpu-compare --error --host-cpu "$data/x86_64-host.xml" "$data/x86_64-host-better.xml"
one_error "incompatible with --error" 3
check "--error says which features are missing" grep -q "does not provide required features: " "$scratch/err"
run cpu-compare -v --host-cpu "$data/x86_64-host.xml" "$data/x86_64-strict.xml"
check "--verbose says why (strict match, extra features)" grep -q "Extra features" "$scratch/err"
run cpu-compare --host-cpu "$data/x86_64-host.xml" "$data/x86_64-bogus-model.xml"
one_error "an unknown model" 2
check "... named" grep -q "Unknown CPU model Bogus" "$scratch/err"
# the host CPU of a recorded tree: its own capabilities are identical to it
run cpu-compare --sysroot "$hosts/x86-hmat" "$hosts/x86-hmat.xml"
check "a recorded host is identical to its own capabilities' CPU" test "$(rc)" -eq 0 -a \
	"$(head -1 "$scratch/out")" = "CPU described in $hosts/x86-hmat.xml is identical to host CPU"
run cpu-compare --sysroot "$hosts/x86-hmat" "$data/x86_64-host.xml"
check "an Intel CPU is incompatible with an AMD host" test "$(rc)" -eq 3
run cpu-compare --sysroot "$hosts/x86-hmat" --host-cpu "$data/x86_64-host.xml" "$data/x86_64-host.xml"
one_error "--sysroot with --host-cpu" 1

# bad input
printf 'not xml <' >"$scratch/bad.xml"
run cpu-baseline "$scratch/bad.xml"
one_error "not XML" 2
check "... said so" grep -q "not a well-formed XML document" "$scratch/err"
: >"$scratch/empty.xml"
run cpu-compare "$scratch/empty.xml"
one_error "an empty file" 2
echo '<domain type="kvm"><name>x</name></domain>' >"$scratch/nocpu.xml"
run cpu-compare "$scratch/nocpu.xml"
one_error "no CPU" 2
check "... said as virsh says it" grep -q "does not contain any <cpu> element" "$scratch/err"
printf '<cpu><arch>x86_64</arch><model>Penryn</model>\0</cpu>' >"$scratch/nul.xml"
run cpu-baseline "$scratch/nul.xml"
one_error "a NUL byte" 2
printf '<cpu><arch>vax</arch><model>Penryn</model></cpu>' >"$scratch/arch.xml"
run cpu-baseline "$scratch/arch.xml"
one_error "an unknown arch" 2
printf '<cpu><arch>x86_64</arch><model>Penryn</model><feature name="sse"/><feature name="sse"/></cpu>' >"$scratch/dup.xml"
run cpu-baseline "$scratch/dup.xml"
one_error "a feature twice" 2
printf '<cpu><arch>aarch64</arch><model>cortex-a57</model></cpu>' >"$scratch/arm.xml"
run cpu-baseline "$scratch/arm.xml"
one_error "an aarch64 CPU (x86 only)" 2
run cpu-baseline "$scratch/missing.xml"
one_error "a missing file" 2
run cpu-baseline "$scratch"
one_error "a directory" 2
truncate -s 11M "$scratch/huge.xml"
run cpu-baseline "$scratch/huge.xml"
one_error "an 11 MiB file" 2
run cpu-baseline
one_error "no file" 1
run cpu-compare "$data/x86_64-host.xml" "$data/x86_64-host.xml"
one_error "two files to cpu-compare" 1
finish
