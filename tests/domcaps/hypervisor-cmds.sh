#!/bin/bash
# maxvcpus, hypervisor-cpu-models and nodesevinfo over the replayed golden
# cases of tests/fixtures/domain: what each prints must be what virsh 11.3
# takes from libvirt's own document for the same request (the golden
# NAME.xml), or, where virsh asks the QEMU driver instead, what the driver
# answers (qemuConnectGetMaxVcpus: 16 for no type or qemu, KVM's limit for
# kvm, "unknown type" else).
. "$(dirname "$0")/../lib.sh" || exit 99

need_python "python3 is needed to read libvirt's documents"
dom=$FIXTURES/domain


# virsh's selection from a domain capabilities document: the custom-mode
# models (//cpu//model with a usable attribute), usable='yes' unless --all.
models() { # XML [all]
	"$PY" - "$@" <<'PY'
import sys, xml.etree.ElementTree as ET
cpu = ET.parse(sys.argv[1]).getroot().find('cpu')
for m in (cpu.iter('model') if cpu is not None else []):
    u = m.get('usable')
    if u is not None and (len(sys.argv) > 2 or u == 'yes'):
        print(m.text or '')
print()
PY
}
vcpu_max() { "$PY" -c 'import sys, xml.etree.ElementTree as ET; print(ET.parse(sys.argv[1]).getroot().find("vcpu").get("max"))' "$1"; }
domain_type() { "$PY" -c 'import sys, xml.etree.ElementTree as ET; print(ET.parse(sys.argv[1]).getroot().findtext("domain"))' "$1"; }

# hypervisor-cpu-models: every case, with and without --all
n=0
while read -r name _; do
	case $name in ''|'#'*) continue ;; esac
	domcaps_sysroot "$name" || { bad "$name: no case"; continue; }
	for all in "" --all; do
		n=$((n + 1))
		models "$dom/$name.xml" $all >"$scratch/want"
		# shellcheck disable=SC2086
		if ! capsprobe hypervisor-cpu-models --sysroot "$root" ${args_of[$name]} $all >"$scratch/got" 2>"$scratch/err"; then
			bad "$name: hypervisor-cpu-models $all failed: $(head -1 "$scratch/err")"
		elif cmp -s "$scratch/want" "$scratch/got"; then
			ok "$name: hypervisor-cpu-models $all: libvirt's models ($(($(wc -l <"$scratch/want") - 1)))"
		else
			bad "$name: hypervisor-cpu-models $all differs from libvirt's document"
			diff -u "$scratch/want" "$scratch/got" | head -10
		fi
	done
done <"$dom/cases"
check "hypervisor-cpu-models: cases ran" test "$n" -gt 20
check "some case has usable and unusable models" \
	eval '[ "$(models "$dom/x86_64-q35-kvm.xml" | wc -l)" -gt 2 ] && [ "$(models "$dom/x86_64-q35-kvm.xml" all | wc -l)" -gt "$(models "$dom/x86_64-q35-kvm.xml" | wc -l)" ]'
root=$scratch/x86_64-q35-kvm
out=$(capsprobe hypervisor-cpu-models --sysroot "$root" --machine foo 2>&1 >/dev/null)
check "hypervisor-cpu-models: an unknown machine, the domain command's error ($out)" \
	eval 'case $out in "error: the machine '"'foo'"' is not supported by emulator"*) ;; *) false ;; esac'
out=$(capsprobe hypervisor-cpu-models --sysroot "$root" --virttype xen 2>&1 >/dev/null)
dout=$(capsprobe domain --sysroot "$root" --virttype xen 2>&1 >/dev/null)
check "hypervisor-cpu-models: a virttype QEMU cannot run, the domain command's one error line ($out)" \
	eval '[ "$(wc -l <<<"$out")" -eq 1 ] && case $out in "error: "*) ;; *) false ;; esac && [ "$out" = "$dout" ]'

# maxvcpus: virsh passes no emulator, arch or machine, so the default
# request's <vcpu max> (the *-default goldens)
domcaps_sysroot x86_64-default
kvmroot=$root
domcaps_sysroot x86_64-nokvm-default
nokvmroot=$root
check "the goldens are a kvm and a qemu document" \
	test "$(domain_type "$dom/x86_64-default.xml") $(domain_type "$dom/x86_64-nokvm-default.xml")" = "kvm qemu"
mvc() { # DESCRIPTION WANT ARGS...: stdout WANT and an empty line
	local d=$1 want=$2
	shift 2
	printf '%s\n\n' "$want" >"$scratch/want"
	if capsprobe maxvcpus "$@" >"$scratch/got" 2>"$scratch/err" && cmp -s "$scratch/want" "$scratch/got"; then
		ok "maxvcpus $d: $want"
	else
		bad "maxvcpus $d: want $want, got '$(head -1 "$scratch/got")' $(head -1 "$scratch/err")"
	fi
}
want=$(vcpu_max "$dom/x86_64-default.xml")
mvc "KVM host, no type" "$want" --sysroot "$kvmroot"
mvc "KVM host, --type kvm" "$want" --sysroot "$kvmroot" --type kvm
want=$(vcpu_max "$dom/x86_64-nokvm-default.xml")
mvc "no KVM, no type" "$want" --sysroot "$nokvmroot"
mvc "no KVM, --type qemu" "$want" --sysroot "$nokvmroot" --type qemu
# a KVM limit below the machine's: libvirt takes the smaller
mkdir -p "$scratch/facts"
printf '7\n' >"$scratch/facts/kvm-max-vcpus"
CAPSPROBE_FACTS=$scratch/facts mvc "KVM limit 7 stated" 7 --sysroot "$kvmroot" --type kvm
# no domain capabilities: the driver's answer
mkdir "$scratch/bare"
cp -r "$dom/host-x86_64-amd/." "$scratch/bare/"
mvc "no emulator, no type" 16 --sysroot "$scratch/bare"
mvc "no emulator, --type qemu" 16 --sysroot "$scratch/bare" --type qemu
# the driver compares without case; the domain capabilities do not know QEMU
mvc "--type QEMU" 16 --sysroot "$kvmroot" --type QEMU
mvc "no emulator, --type kvm: KVM's own limit" "$(cat "$dom/host-x86_64-amd/capsprobe/kvm-max-vcpus")" \
	--sysroot "$scratch/bare" --type kvm
mvc "--type KVM: KVM's own limit" "$(cat "$dom/host-x86_64-amd/capsprobe/kvm-max-vcpus")" \
	--sysroot "$kvmroot" --type KVM
rm "$scratch/bare/capsprobe/kvm-max-vcpus"
err() { # DESCRIPTION WANT ARGS...: exit 2, no output, the one error line WANT
	local d=$1 want=$2
	shift 2
	capsprobe "$@" >"$scratch/got" 2>"$scratch/err"
	rc=$?
	check "$d: exit 2 ($rc), nothing printed, '$want'" eval \
		'[ $rc -eq 2 ] && [ ! -s "$scratch/got" ] && [ "$(cat "$scratch/err")" = "$want" ]'
}
err "maxvcpus --type kvm without /dev/kvm" "error: Unable to open /dev/kvm: No such file or directory" \
	maxvcpus --sysroot "$scratch/bare" --type kvm
err "maxvcpus --type xen" "error: invalid argument: unknown type 'xen'" maxvcpus --sysroot "$kvmroot" --type xen
err "maxvcpus --type ''" "error: invalid argument: unknown type ''" maxvcpus --sysroot "$kvmroot" --type ''

# nodesevinfo: this QEMU answered query-sev-capabilities with an error
err "nodesevinfo without SEV" "error: Operation not supported: QEMU does not support SEV guest" \
	nodesevinfo --sysroot "$kvmroot"
err "nodesevinfo with no emulator" "error: unable to find any emulator to serve 'x86_64' architecture" \
	nodesevinfo --sysroot "$scratch/bare"
# with SEV: the recorded error answered instead, virsh's "%-18s: %s" lines
# in the driver's order (qemuGetSEVInfoToParams)
sev=$scratch/sev
sev_sysroot "$kvmroot" "$sev" || bad "could not edit the recording"
if capsprobe nodesevinfo --sysroot "$sev" >"$scratch/got" 2>"$scratch/err"; then
	g=$((509 - 100 + 1)) e=$((100 - 1))
	printf '%-18s: %s\n' pdh PDHKEY cert-chain CERTCHAIN cpu0-id CPU0ID cbitpos 47 reduced-phys-bits 1 \
		max-guests "$g" max-es-guests "$e" >"$scratch/want"
	echo >>"$scratch/want"
	check "nodesevinfo with SEV: virsh's lines" cmp "$scratch/want" "$scratch/got"
	check "the domain document says SEV too, with the same counts" test \
		"$(capsprobe domain --sysroot "$sev" --xpath 'concat(//sev/maxGuests, " ", //sev/maxESGuests)')" = "$g $e"
else
	bad "nodesevinfo with SEV failed: $(head -1 "$scratch/err")"
fi
finish
