#!/bin/bash
# hypervisor-cpu-compare and hypervisor-cpu-baseline over the replayed golden
# cases of tests/fixtures/domain: each rule of libvirt 11.3's QEMU driver
# (qemuConnectCompareHypervisorCPU, qemuConnectBaselineHypervisorCPU) checked
# on what libvirt's own document for the same request (NAME.xml) says: the
# usable models, the blockers of the unusable ones, the host-model CPU.
# Then the errors, and a live run through the fake emulator.  No libvirt,
# KVM or real QEMU is needed.
. "$(dirname "$0")/../lib.sh" || exit 99

command -v python3 >/dev/null || { echo "SKIP: python3 is needed to read libvirt's documents"; exit 77; }
dom=$FIXTURES/domain


# From libvirt's document: "usable NAME" lines for the custom models,
# "blockers NAME B1 B2 ..." for the unusable ones (document order), and
# "hostmodel MODEL" when host-model is supported.
facts() { # XML
	python3 - "$1" <<'PY'
import sys, xml.etree.ElementTree as ET
cpu = ET.parse(sys.argv[1]).getroot().find('cpu')
for mode in cpu.findall('mode'):
    if mode.get('name') == 'host-model' and mode.get('supported') == 'yes':
        print('hostmodel', mode.find('model').text)
    if mode.get('name') == 'custom':
        for m in mode.findall('model'):
            print('model', m.get('usable'), m.text)
        for b in mode.findall('blockers'):
            print('blockers', b.get('model'), ' '.join(f.get('name') for f in b.findall('feature')))
PY
}

superset_line() { printf 'The CPU provided by hypervisor on the host is a superset of CPU described in %s\n\n' "$1"; }
incompatible_line() { printf 'CPU described in %s is incompatible with the CPU provided by hypervisor on the host\n\n' "$1"; }

hv() { # ARGS...: capsprobe over the case's replay: rc, $scratch/got, $scratch/err
	# shellcheck disable=SC2086
	capsprobe "$@" --sysroot "$root" ${args_of[$name]} >"$scratch/got" 2>"$scratch/err"
	rc=$?
}

n=0
for name in x86_64-q35-kvm x86_64-q35-qemu x86_64-nokvm-q35 i686-pc-kvm i386-q35-qemu; do
	domcaps_sysroot "$name" || { bad "$name: no case"; continue; }
	facts "$dom/$name.xml" >"$scratch/doc.facts"
	usable=$(awk '$1 == "model" && $2 == "yes" { print $3; exit }' "$scratch/doc.facts")
	# an unusable model that QEMU checks by its blockers: a versioned one
	# (libvirt's map gives none of them <check partial='compat'/>)
	read -r _ unusable blockers < <(grep -E '^blockers [^ ]+-v[0-9]+ ' "$scratch/doc.facts" | head -1)
	# and an unversioned one, which a baseline may choose (versioned
	# models have <decode guest='off'>)
	read -r _ named nblockers < <(grep -E '^blockers [^ ]+ ' "$scratch/doc.facts" | grep -vE '^blockers [^ ]+-v[0-9]+ ' | head -1)
	check "$name: libvirt's document has a usable model ($usable) and blocked ones ($unusable: $blockers; $named: $nblockers)" \
		test -n "$usable" -a -n "$unusable" -a -n "$blockers" -a -n "$named" -a -n "$nblockers"
	n=$((n + 1))

	# compare: a usable model without features is a superset, whatever the host-model
	f=$scratch/usable.xml
	printf '<cpu><model>%s</model></cpu>\n' "$usable" >"$f"
	hv hypervisor-cpu-compare "$f"
	check "$name: usable $usable: exit 0 and virsh's superset line" \
		eval '[ $rc -eq 0 ] && cmp -s "$scratch/got" <(superset_line "$f")'
	# ... and with only disabled features
	printf '<cpu><model>%s</model><feature policy="disable" name="%s"/></cpu>\n' "$usable" \
		"${blockers%% *}" >"$f"
	hv hypervisor-cpu-compare "$f"
	check "$name: usable $usable, a feature disabled: still a superset" \
		eval '[ $rc -eq 0 ] && cmp -s "$scratch/got" <(superset_line "$f")'

	# ... but not with a required one the host-model lacks (a blocker of
	# another model that libvirt's host-model does not require)
	x=
	for b in $nblockers; do
		grep -q "<feature policy='require' name='$b'/>" "$dom/$name.xml" || { x=$b; break; }
	done
	printf '<cpu><model>%s</model><feature policy="require" name="%s"/></cpu>\n' "$usable" "$x" >"$f"
	hv hypervisor-cpu-compare "$f"
	check "$name: usable $usable requiring $x (not in the host-model): incompatible" \
		eval '[ -n "$x" ] && [ $rc -eq 3 ] && cmp -s "$scratch/got" <(incompatible_line "$f")'

	# a blocked model: incompatible, and --error names its blockers
	f=$scratch/blocked.xml
	printf '<cpu><model>%s</model></cpu>\n' "$unusable" >"$f"
	hv hypervisor-cpu-compare "$f"
	check "$name: blocked $unusable: exit 3 and virsh's incompatible line ($rc)" \
		eval '[ $rc -eq 3 ] && cmp -s "$scratch/got" <(incompatible_line "$f")'
	# (named in QEMU's order, which the document does not keep: libvirt
	# sorts its copy)
	hv hypervisor-cpu-compare --error "$f"
	prefix="error: the CPU described in $f is incompatible with the CPU provided by hypervisor on the host:"
	prefix="$prefix Host CPU does not provide required features: "
	named_in_err=$(sed -n "s/^$(sed 's/[][\/.*^$]/\\&/g' <<<"$prefix")//p" "$scratch/err" | sed 's/, /\n/g' | sort)
	check "$name: blocked $unusable --error: exit 3, nothing printed, one line naming its blockers" \
		eval '[ $rc -eq 3 ] && [ ! -s "$scratch/got" ] && [ "$(wc -l <"$scratch/err")" -eq 1 ] &&
			[ "$named_in_err" = "$(tr " " "\n" <<<"$blockers" | sort)" ]'
	# every blocker disabled: nothing blocks it any more
	{
		printf '<cpu><model>%s</model>\n' "$unusable"
		for b in $blockers; do printf '<feature policy="disable" name="%s"/>\n' "$b"; done
		printf '</cpu>\n'
	} >"$f"
	hv hypervisor-cpu-compare "$f"
	check "$name: blocked $unusable with every blocker disabled: a superset" \
		eval '[ $rc -eq 0 ] && cmp -s "$scratch/got" <(superset_line "$f")'

	# the host-model itself (libvirt's document as the file): identical
	hv hypervisor-cpu-compare "$dom/$name.xml"
	check "$name: its own host-model ($(sed -n 's/^hostmodel //p' "$scratch/doc.facts")) is identical" \
		eval '[ $rc -eq 0 ] && [ "$(head -1 "$scratch/got")" = "CPU described in $dom/$name.xml is identical to the CPU provided by hypervisor on the host" ]'

	# baseline of one usable model: that model, forbidding fallback, nothing required
	hv hypervisor-cpu-baseline --model "$usable"
	check "$name: baseline --model $usable is $usable, fallback forbid, no required feature" \
		eval '[ $rc -eq 0 ] && grep -qx "  <model fallback=.forbid.>$usable</model>" "$scratch/got" &&
			! grep -q "policy=.require." "$scratch/got" && head -1 "$scratch/got" | grep -qx "<cpu mode=.custom. match=.exact.>"'
	# of a blocked one: that model, each blocker disabled
	hv hypervisor-cpu-baseline --model "$named"
	missing=
	for b in $nblockers; do
		grep -qx "  <feature policy='disable' name='$b'/>" "$scratch/got" || missing="$missing $b"
	done
	check "$name: baseline --model $named disables every blocker (missing:$missing)" \
		eval '[ $rc -eq 0 ] && grep -qx "  <model fallback=.forbid.>$named</model>" "$scratch/got" && [ -z "$missing" ]'
	# --features: every feature of the model, by name
	hv hypervisor-cpu-baseline --features --model "$usable"
	names=$(sed -n "s/^  <feature policy='[a-z]*' name='\(.*\)'\/>$/\1/p" "$scratch/got")
	check "$name: baseline --features --model $usable lists features sorted by name" \
		eval '[ $rc -eq 0 ] && [ -n "$names" ] && [ "$names" = "$(sort <<<"$names")" ]'
	# a model of libvirt's map that this QEMU does not list is never the answer
	absent=$(comm -23 <(capsprobe cpu-models x86_64 | grep . | sort) \
		<(awk '$1 == "model" { print $3 }' "$scratch/doc.facts" | sort) | grep -v -- '-v[0-9]*$' | tail -1)
	hv hypervisor-cpu-baseline --model "$absent"
	got=$(sed -n "s/^  <model fallback='forbid'>\(.*\)<\/model>$/\1/p" "$scratch/got")
	check "$name: baseline --model $absent (not QEMU's): a model QEMU lists instead ($got)" \
		eval '[ $rc -eq 0 ] && [ -n "$absent" ] && [ -n "$got" ] && [ "$got" != "$absent" ] &&
			grep -qx "model [a-z]* $got" "$scratch/doc.facts"'
done
check "the x86 cases ran" test "$n" -eq 5

# the same baseline as cpu-baseline would give, less what QEMU lacks: a
# CPU whose model and features QEMU all knows comes back unchanged
name=x86_64-q35-qemu
domcaps_sysroot $name
printf '<cpu><model>%s</model></cpu>\n' qemu64 >"$scratch/q.xml"
hv hypervisor-cpu-baseline "$scratch/q.xml" "$scratch/q.xml"
check "baseline of the same model twice: that model" \
	grep -qx "  <model fallback='forbid'>qemu64</model>" "$scratch/got"

# only features QEMU knows: osxsave, which libvirt's map has and QEMU has no
# property for (none of the recording's expansions names it), is dropped
rec=$FIXTURES/qemu/7.2.22-x86_64.replies
printf '<cpu><model>qemu64</model><feature policy="require" name="osxsave"/><feature policy="require" name="pdpe1gb"/></cpu>\n' \
	>"$scratch/osx.xml"
hv hypervisor-cpu-baseline "$scratch/osx.xml"
check "baseline drops osxsave (QEMU has no such property), keeps pdpe1gb (it has)" \
	eval '! grep -q "\"osxsave\"" "$rec" && grep -q "\"pdpe1gb\"" "$rec" && [ $rc -eq 0 ] &&
		! grep -q osxsave "$scratch/got" && grep -qx "  <feature policy=.require. name=.pdpe1gb./>" "$scratch/got"'
capsprobe cpu-baseline --arch x86_64 "$scratch/osx.xml" >"$scratch/plain" 2>&1
check "(cpu-baseline, which asks no QEMU, keeps pdpe1gb too)" grep -q "name='pdpe1gb'" "$scratch/plain"

# <maxphysaddr limit>: the smallest, when every CPU has one (the KVM
# host-model has the host's)
name=x86_64-q35-kvm
domcaps_sysroot $name
limit=$(sed -n "s/^ *<maxphysaddr mode='passthrough' limit='\([0-9]*\)'\/>$/\1/p" "$dom/$name.xml")
hv hypervisor-cpu-baseline "$dom/$name.xml"
check "baseline of the KVM host-model keeps its limit ($limit)" \
	eval '[ $rc -eq 0 ] && [ -n "$limit" ] && grep -qx "  <maxphysaddr mode=.passthrough. limit=.$limit./>" "$scratch/got"'
sed "s/limit='$limit'/limit='$((limit - 9))'/" "$dom/$name.xml" >"$scratch/smaller.xml"
hv hypervisor-cpu-baseline "$dom/$name.xml" "$scratch/smaller.xml"
check "baseline of two limits: the smaller ($((limit - 9)))" \
	eval '[ $rc -eq 0 ] && grep -qx "  <maxphysaddr mode=.passthrough. limit=.$((limit - 9))./>" "$scratch/got"'
hv hypervisor-cpu-baseline "$dom/$name.xml" "$scratch/q.xml"
check "baseline with a CPU without a limit: none" eval '[ $rc -eq 0 ] && ! grep -q maxphysaddr "$scratch/got"'
sed "s/limit='$limit'/limit='0'/" "$dom/$name.xml" >"$scratch/zero.xml"
# errors: one line, nothing on standard output
err() { # DESCRIPTION STATUS PATTERN ARGS...
	local d=$1 st=$2 pat=$3
	shift 3
	capsprobe "$@" >"$scratch/got" 2>"$scratch/err"
	rc=$?
	check "$d: exit $st ($rc), nothing printed, one line '$(head -1 "$scratch/err")'" eval \
		'[ $rc -eq $st ] && [ ! -s "$scratch/got" ] && [ "$(wc -l <"$scratch/err")" -eq 1 ] && grep -Eq -- "^error: $pat" "$scratch/err"'
}
name=x86_64-q35-qemu
domcaps_sysroot $name
x86=$root
g=$scratch/qemu64.xml
printf '<cpu><model>qemu64</model></cpu>\n' >"$g"
for c in hypervisor-cpu-compare hypervisor-cpu-baseline; do
	err "$c: no file" 1 "no file given" $c --sysroot "$x86"
	err "$c: a missing file" 2 ".*nonexistent" $c --sysroot "$x86" "$scratch/nonexistent.xml"
	printf 'not xml\n' >"$scratch/text.xml"
	err "$c: not XML" 2 "" $c --sysroot "$x86" "$scratch/text.xml"
	err "$c: an unknown machine" 2 "the machine 'nosuch' is not supported by emulator" \
		$c --sysroot "$x86" --machine nosuch "$g"
	err "$c: an unknown virttype" 1 "unknown virttype" $c --sysroot "$x86" --virttype nosuch "$g"
	err "$c: an unknown arch" 1 "unknown architecture" $c --sysroot "$x86" --arch nosuch "$g"
	err "$c: an emulator not recorded" 2 "qemu-nosuch: no such emulator" $c --sysroot "$x86" --emulator qemu-nosuch "$g"
	err "$c: a stray option" 1 "" $c --sysroot "$x86" --bogus "$g"
done
err "compare: an unknown CPU model" 2 "failed to compare hypervisor CPU with .*: Unknown CPU model Nosuch" \
	hypervisor-cpu-compare --sysroot "$x86" <(printf '<cpu><model>Nosuch</model></cpu>\n')
err "baseline: --file and --model" 1 "Options --file and --model are mutually exclusive" \
	hypervisor-cpu-baseline --sysroot "$x86" --model qemu64 "$g"
err "baseline: a limit of 0" 2 ".*: Invalid value for attribute 'limit' in element 'maxphysaddr'" \
	hypervisor-cpu-baseline --sysroot "$x86" "$scratch/zero.xml"
err "baseline: an unknown CPU model" 2 "Unknown CPU model Nosuch" hypervisor-cpu-baseline --sysroot "$x86" --model Nosuch
# non-x86: QEMU reports no host-model there, and libvirt baselines x86 only
for name in aarch64-default s390x-default ppc64-default; do
	domcaps_sysroot $name
	# shellcheck disable=SC2086
	err "compare on $name" 2 "failed to compare hypervisor CPU with .*: QEMU '/usr/bin/qemu-system-[a-z0-9]*' does not support reporting CPU model for virttype 'qemu'" \
		hypervisor-cpu-compare --sysroot "$root" ${args_of[$name]} "$g"
	# shellcheck disable=SC2086
	err "baseline on $name" 2 "computing baseline hypervisor CPU is not supported for arch ${name%%-*}" \
		hypervisor-cpu-baseline --sysroot "$root" ${args_of[$name]} "$g"
done

# live, through the fake emulator replaying the KVM recording (with the
# KVM facts of the host it was made on): the answer the replay gives; a
# failing emulator is one error line, and no process is left
if [ -x "${FAKE_QEMU:-}" ]; then
	fake=$scratch/bin/qemu-system-x86_64
	mkdir -p "$scratch/bin" "$scratch/tmp"
	cp "$FAKE_QEMU" "$fake"
	name=x86_64-q35-kvm
	domcaps_sysroot $name
	printf '<cpu><model>%s</model></cpu>\n' "$named" >"$scratch/named.xml"
	hv hypervisor-cpu-baseline "$scratch/named.xml"
	cp "$scratch/got" "$scratch/replayed"
	(
		kvm_host || exit 99
		CAPSPROBE_FAKE_REPLIES=$FIXTURES/qemu/7.2.22-x86_64-kvm.replies TMPDIR=$scratch/tmp \
			capsprobe hypervisor-cpu-baseline --no-cache --emulator "$fake" --machine q35 --virttype kvm \
			"$scratch/named.xml"
	) >"$scratch/got" 2>"$scratch/err"
	check "live through the fake emulator: the replay's baseline ($(head -1 "$scratch/err"))" \
		eval '[ -s "$scratch/got" ] && cmp -s "$scratch/replayed" "$scratch/got"'
	for c in hypervisor-cpu-compare hypervisor-cpu-baseline; do
		TMPDIR=$scratch/tmp CAPSPROBE_FAKE_FAULT=crash capsprobe $c --no-cache --emulator "$fake" "$g" \
			>"$scratch/got" 2>"$scratch/err"
		rc=$?
		check "$c: an emulator that crashes: exit 2, one error line ($(head -1 "$scratch/err"))" eval \
			'[ $rc -eq 2 ] && [ ! -s "$scratch/got" ] && [ "$(wc -l <"$scratch/err")" -eq 1 ] && grep -q "^error: " "$scratch/err"'
	done
	check "no fake emulator left" none_left "$scratch/bin/"
	check "no temporary file left" test -z "$(ls -A "$scratch/tmp")"
else
	skip "no fake-qemu (set FAKE_QEMU): the live checks"
fi
finish
