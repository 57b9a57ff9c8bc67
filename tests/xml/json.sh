#!/bin/bash
# --format json on every command that prints a document or a report, over
# the recorded inputs the other tests use (host trees, replayed emulators,
# the CPU fixtures; never this machine's values): the output is JSON that
# its schema under man/schemas/ accepts, and it holds the same facts as the
# default output (the XML document, fact for fact, or the text report, line
# for line), so a dropped or invented fact fails; and each XML printer's
# shape table agrees with its schema.  Also: the default output
# is unchanged by --format xml/text, a bad --format is one usage error line
# naming the valid values, --xpath refuses --format json, errors and exit
# statuses do not change with it, and hostile strings (controls, quotes,
# invalid UTF-8 from the SMBIOS tables) still make valid JSON.
. "$(dirname "$0")/../lib.sh" || exit 99

# a python3 with the jsonschema module (scripts/lib/python.sh: Debian's
# python3-jsonschema is in /usr/bin/python3, not in a pyenv Python)
need_python "no python3 with the jsonschema module (tried \$CAPSPROBE_PYTHON, python3 in PATH and /usr/bin/python3; Debian: python3-jsonschema)" jsonschema
py=$PY
python3() { "$py" "$@"; }
echo "python3 with jsonschema: $py"
jc=$(dirname "$0")/json_check.py
schemas=$FIXTURES/../../man/schemas
[ -d "$schemas" ] || { echo "ERROR: no schemas at $schemas"; exit 99; }

# The Python checks are queued and run in one json_check.py batch at the end
# (one interpreter and one compiled schema each, not one start a check: that
# was two thirds of this test's time).  A queued check's files under $scratch
# are copied when it is queued, as the loops below reuse their names.
mkdir "$scratch/q"
jobs=0
declare -a job_pass job_fail
# queue PASS-TEXT FAIL-TEXT CHECK ARGS...: json_check.py CHECK ARGS, later
queue() {
	local f line n=0
	jobs=$((jobs + 1))
	job_pass[jobs]=$1 job_fail[jobs]=$2
	shift 2
	line=$1
	shift
	for f; do
		case $f in
		"$scratch"/*) n=$((n + 1)); cp "$f" "$scratch/q/$jobs.$n" || bad "cannot keep $f"; f=$scratch/q/$jobs.$n ;;
		esac
		line+=$'\t'$f
	done
	printf '%s\n' "$line" >>"$scratch/q/jobs"
}
# run_queued: the queued checks' verdicts, in the order they were queued;
# a check the batch did not answer fails
run_queued() {
	local n st why seen=0
	[ "$jobs" -gt 0 ] || return 0
	while IFS=$'\t' read -r n st why; do
		[ "$n" = $((seen + 1)) ] || { bad "json_check.py batch: answer '$n' out of order"; break; }
		seen=$n
		if [ "$st" = 0 ]; then ok "${job_pass[n]}"; else bad "${job_fail[n]}: $why"; fi
	done < <(python3 "$jc" batch "$scratch/q/jobs" 2>&1)
	[ "$seen" -eq "$jobs" ] || bad "json_check.py batch answered $seen of $jobs queued checks"
}
# valid SCHEMA FILE WHAT: FILE is JSON its schema accepts
valid() {
	queue "$3: valid $1 JSON" "$3: not valid $1 JSON" validate "$schemas/$1.schema.json" "$2"
}
# same_xml XML JSON WHAT / same_text CMD TEXT JSON WHAT: the same facts
same_xml() {
	queue "$3: the XML's facts" "$3: facts differ" xml "$1" "$2"
}
same_text() {
	queue "$4: the text's facts" "$4: facts differ" text "$1" "$2" "$3"
}
# json NAME ARGS...: capsprobe ARGS --format json into $scratch/NAME.json
# (status in $rc, stderr in $scratch/NAME.err)
json() {
	local name=$1
	shift
	capsprobe "$@" --format json >"$scratch/$name.json" 2>"$scratch/$name.err"
	rc=$?
	[ $rc -eq 0 ] || [ $rc -eq 3 ] || bad "$name: failed ($rc): $(head -1 "$scratch/$name.err")"
}

# ---- each printer's shape table against its schema (which children are
# always arrays, which text elements always objects), both ways ----
src=$FIXTURES/../../src
for d in capabilities:caps domainCapabilities:domcaps cpu:cpu sysinfo:sysinfo; do
	queue "${d%%:*}: src/xml/${d##*:}.c's shape table is the schema's" \
		"${d%%:*}: shape table and schema differ" shapes "$schemas/${d%%:*}.schema.json" "$src/xml/${d##*:}.c"
done

n=0
# ---- host: every recorded tree, against libvirt's document ----
for tree in "$FIXTURES"/host/*/ "$FIXTURES"/host-handmade/*/; do
	name=$(basename "$tree")
	xml=${tree%/}.xml
	[ -f "$xml" ] || continue
	n=$((n + 1))
	json "host-$name" host --no-guests --sysroot "$tree" || continue
	valid capabilities "$scratch/host-$name.json" "host $name"
	same_xml "$xml" "$scratch/host-$name.json" "host $name"
done
check "host trees ran" test "$n" -gt 3

# ---- domain: every golden case, replayed; and host with its guests ----
dom=$FIXTURES/domain
n=0
while read -r name _; do
	case $name in '' | '#'*) continue ;; esac
	n=$((n + 1))
	domcaps_sysroot "$name" || { bad "$name: no case"; continue; }
	# shellcheck disable=SC2154 # (lib.sh's)
	args=${args_of[$name]}
	# shellcheck disable=SC2086
	json "domain-$name" domain --sysroot "$root" $args || continue
	valid domainCapabilities "$scratch/domain-$name.json" "domain $name"
	same_xml "$dom/$name.xml" "$scratch/domain-$name.json" "domain $name"
	# shellcheck disable=SC2086
	capsprobe hypervisor-cpu-models --sysroot "$root" $args --all >"$scratch/hcm.txt" 2>/dev/null &&
		json "hcm-$name" hypervisor-cpu-models --sysroot "$root" $args --all && {
		valid hypervisor-cpu-models "$scratch/hcm-$name.json" "hypervisor-cpu-models $name"
		same_text hypervisor-cpu-models "$scratch/hcm.txt" "$scratch/hcm-$name.json" "hypervisor-cpu-models $name"
	}
done <"$dom/cases"
check "domain cases ran" test "$n" -gt 5
g=$FIXTURES/guests/epyc-milan-7-emulators
t=$scratch/guests-tree
mkdir -p "$t"
cp -r "$FIXTURES/host/$(cat "$g/host-tree")/." "$t/"
cp -r "$g/capsprobe/." "$t/capsprobe/"
capsprobe host --sysroot "$t" >"$scratch/guests.xml" 2>"$scratch/guests.err" || bad "host with guests: $(head -1 "$scratch/guests.err")"
check "host with guests: its golden document" cmp -s "$g.xml" "$scratch/guests.xml"
json host-guests host --sysroot "$t"
valid capabilities "$scratch/host-guests.json" "host with guests"
same_xml "$g.xml" "$scratch/host-guests.json" "host with guests"
check "host with guests: guests and machines are arrays, a machine an object, wordsize a number" python3 -c '
import json, sys
g = json.load(open(sys.argv[1]))["capabilities"]["guest"]
m = g[0]["arch"]["machine"]
assert isinstance(g, list) and len(g) > 1 and isinstance(m, list) and all(isinstance(x["#text"], str) for x in m)
assert all(isinstance(x["arch"]["wordsize"], int) for x in g)' "$scratch/host-guests.json"

# ---- hypervisor-cpu-compare and -baseline over one case of each kind
# (KVM and TCG, q35 and pc, a host without KVM, i386, and a non-x86 one,
# which has no host-model CPU: an error); tests/domcaps/hypervisor-cpu.sh
# runs every case, this is about the JSON form.  The CPUs: libvirt's
# document of the case (its host-model CPU: identical), its first usable
# model bare (a superset) and libvirt's test host CPU "better" (more than
# these hosts have: incompatible); each verdict's JSON as its text says,
# whichever it is ----
data=$FIXTURES/libvirt/cputest-cmds
results='' n=0 err=''
for name in x86_64-q35-kvm x86_64-pc-qemu x86_64-nokvm-q35 i386-q35-qemu aarch64-virt-qemu; do
	domcaps_sysroot "$name" || { bad "$name: no case"; continue; }
	args=${args_of[$name]}
	model=$(sed -n "s/^ *<model usable='yes'[^>]*>\([^<]*\)<.*/\1/p" "$dom/$name.xml" | head -1)
	printf '<cpu><model>%s</model></cpu>\n' "$model" >"$scratch/usable.xml"
	for f in "$dom/$name.xml" "$scratch/usable.xml" "$data/x86_64-host-better.xml"; do
		w="hypervisor-cpu-compare $name $(basename "$f")"
		# shellcheck disable=SC2086
		capsprobe hypervisor-cpu-compare --sysroot "$root" $args "$f" >"$scratch/hc.txt" 2>"$scratch/hc.err"
		want=$?
		# shellcheck disable=SC2086
		capsprobe hypervisor-cpu-compare --sysroot "$root" $args "$f" --format json >"$scratch/hc.json" 2>"$scratch/hc-json.err"
		rc=$?
		check "$w: the same exit status with --format json ($want)" test "$rc" -eq "$want"
		if [ $want -eq 2 ]; then
			err=$name
			check "$w: an error: the same one error line with --format json, nothing printed" \
				test ! -s "$scratch/hc.json" -a "$(wc -l <"$scratch/hc-json.err")" -eq 1 -a \
				"$(grep -c '^error: ' "$scratch/hc-json.err")" -eq 1 -a "$(cat "$scratch/hc.err")" = "$(cat "$scratch/hc-json.err")"
			break
		fi
		n=$((n + 1))
		results="$results $(sed -n 's/^  "result": "\(.*\)"$/\1/p' "$scratch/hc.json")"
		valid hypervisor-cpu-compare "$scratch/hc.json" "$w"
		same_text hypervisor-cpu-compare "$scratch/hc.txt" "$scratch/hc.json" "$w"
		if [ $want -eq 3 ]; then
			# shellcheck disable=SC2086
			json hc-error hypervisor-cpu-compare --error --sysroot "$root" $args "$f"
			check "$w --error: exit 3, nothing on standard output, one error line" \
				test "$rc" -eq 3 -a ! -s "$scratch/hc-error.json" -a \
				"$(wc -l <"$scratch/hc-error.err")" -eq 1 -a "$(grep -c '^error: ' "$scratch/hc-error.err")" -eq 1
		fi
	done
	[ "$err" = "$name" ] && continue
	# the baselines of the case's host-model CPU, and of "better" with every feature
	for o in "" --features; do
		f=$dom/$name.xml
		[ -z "$o" ] || f=$data/x86_64-host-better.xml
		w="hypervisor-cpu-baseline $name $o $(basename "$f")"
		# shellcheck disable=SC2086
		capsprobe hypervisor-cpu-baseline --sysroot "$root" $args $o "$f" >"$scratch/hb.xml" 2>"$scratch/hb.err" ||
			{ bad "$w: $(head -1 "$scratch/hb.err")"; continue; }
		# shellcheck disable=SC2086
		json hb hypervisor-cpu-baseline --sysroot "$root" $args $o "$f"
		valid cpu "$scratch/hb.json" "$w"
		same_xml "$scratch/hb.xml" "$scratch/hb.json" "$w"
	done
done
missing=
for v in identical superset incompatible; do
	[[ " $results " == *" $v "* ]] || missing="$missing $v"
done
check "hypervisor-cpu-compare: cases ran ($n), every verdict came (missing:$missing), and an error ($err)" \
	test "$n" -eq 12 -a -z "$missing" -a "$err" = aarch64-virt-qemu
domcaps_sysroot x86_64-q35-kvm || bad "no case x86_64-q35-kvm"
args=${args_of[x86_64-q35-kvm]}
model=$(sed -n "s/^ *<model usable='yes'[^>]*>\([^<]*\)<.*/\1/p" "$dom/x86_64-q35-kvm.xml" | head -1)
# shellcheck disable=SC2086
capsprobe hypervisor-cpu-baseline --model "$model" --sysroot "$root" $args >"$scratch/hb.xml"
# shellcheck disable=SC2086
json hb hypervisor-cpu-baseline --model "$model" --sysroot "$root" $args
valid cpu "$scratch/hb.json" "hypervisor-cpu-baseline --model $model"
same_xml "$scratch/hb.xml" "$scratch/hb.json" "hypervisor-cpu-baseline --model $model"
# an unreadable file: the same error with --format json, nothing printed
for c in hypervisor-cpu-compare hypervisor-cpu-baseline; do
	# shellcheck disable=SC2086
	capsprobe $c --sysroot "$root" $args "$scratch/none.xml" >/dev/null 2>"$scratch/e1"
	r1=$?
	# shellcheck disable=SC2086
	capsprobe $c --sysroot "$root" $args "$scratch/none.xml" --format json >"$scratch/out" 2>"$scratch/e2"
	r2=$?
	check "$c, no such file: exit 2 and the same one error line with --format json, nothing printed" \
		test $r1 -eq 2 -a $r2 -eq 2 -a ! -s "$scratch/out" -a "$(wc -l <"$scratch/e2")" -eq 1 -a \
		"$(cat "$scratch/e1")" = "$(cat "$scratch/e2")"
done

# ---- maxvcpus (the default request and the driver's answer) ----
for r in x86_64-default x86_64-nokvm-default; do
	[ -d "$scratch/$r" ] || continue
	capsprobe maxvcpus --sysroot "$scratch/$r" >"$scratch/mv.txt" 2>/dev/null
	json "maxvcpus-$r" maxvcpus --sysroot "$scratch/$r" && {
		valid maxvcpus "$scratch/maxvcpus-$r.json" "maxvcpus $r"
		same_text maxvcpus "$scratch/mv.txt" "$scratch/maxvcpus-$r.json" "maxvcpus $r"
	}
done
capsprobe maxvcpus --sysroot "$scratch/x86_64-default" --type QEMU >"$scratch/mv.txt"
json maxvcpus-driver maxvcpus --sysroot "$scratch/x86_64-default" --type QEMU
same_text maxvcpus "$scratch/mv.txt" "$scratch/maxvcpus-driver.json" "maxvcpus --type QEMU (the driver's)"

# ---- nodesevinfo: the recording answers query-sev-capabilities ----
sev=$scratch/sev
sev_sysroot "$scratch/x86_64-default" "$sev" || bad "could not edit the recording"
capsprobe nodesevinfo --sysroot "$sev" >"$scratch/sev.txt" 2>"$scratch/sev.err" || bad "nodesevinfo: $(head -1 "$scratch/sev.err")"
json nodesevinfo nodesevinfo --sysroot "$sev"
valid nodesevinfo "$scratch/nodesevinfo.json" "nodesevinfo"
same_text nodesevinfo "$scratch/sev.txt" "$scratch/nodesevinfo.json" "nodesevinfo"

# ---- the host commands over every tree that has their goldens ----
n=0
for tree in "$FIXTURES"/host/*/; do
	name=$(basename "$tree")
	while read -r cmd; do
		case $cmd in '#'* | '') continue ;; esac
		base=$FIXTURES/host/$name.${cmd// /_}
		[ -f "$base.txt" ] || continue
		n=$((n + 1))
		c=${cmd%% *}
		# shellcheck disable=SC2086
		json "$name.${cmd// /_}" $cmd --sysroot "$tree" || continue
		valid "$c" "$scratch/$name.${cmd// /_}.json" "$name: $cmd"
		if [ "$c" = sysinfo ]; then
			same_xml "$base.txt" "$scratch/$name.${cmd// /_}.json" "$name: $cmd"
		else
			same_text "$c" "$base.txt" "$scratch/$name.${cmd// /_}.json" "$name: $cmd"
		fi
	done <"$FIXTURES/host/node-commands"
done
check "host command goldens ran" test "$n" -gt 50
# --percent samples the live host twice (no --sysroot): only its form
json cpustats-percent nodecpustats --percent
valid nodecpustats "$scratch/cpustats-percent.json" "nodecpustats --percent (live)"
check "nodecpustats --percent: shares are numbers, with usage" python3 -c '
import json, sys
j = json.load(open(sys.argv[1]))
assert list(j) == ["usage", "user", "system", "idle", "iowait"] and all(isinstance(v, (int, float)) for v in j.values())' \
	"$scratch/cpustats-percent.json"

# ---- cpu-models, cpu-baseline, cpu-compare ----
for a in x86_64 aarch64 ppc64le; do
	capsprobe cpu-models "$a" >"$scratch/cm.txt"
	json "cpu-models-$a" cpu-models "$a"
	valid cpu-models "$scratch/cpu-models-$a.json" "cpu-models $a"
	same_text cpu-models "$scratch/cm.txt" "$scratch/cpu-models-$a.json" "cpu-models $a"
done
data=$FIXTURES/libvirt/cputest-cmds
for f in "$FIXTURES/host/x86-hmat.xml" "$data/x86_64-host.xml" "$dom/x86_64-q35-kvm.xml"; do
	capsprobe cpu-baseline "$f" >"$scratch/bl.xml" 2>/dev/null || continue
	json baseline cpu-baseline "$f"
	valid cpu "$scratch/baseline.json" "cpu-baseline $(basename "$f")"
	same_xml "$scratch/bl.xml" "$scratch/baseline.json" "cpu-baseline $(basename "$f")"
	capsprobe cpu-baseline --features "$f" >"$scratch/bl.xml" 2>/dev/null
	json baseline cpu-baseline --features "$f"
	valid cpu "$scratch/baseline.json" "cpu-baseline --features $(basename "$f")"
	same_xml "$scratch/bl.xml" "$scratch/baseline.json" "cpu-baseline --features $(basename "$f")"
done
for f in x86_64-host-worse x86_64-host-better x86_64-host; do
	capsprobe cpu-compare --host-cpu "$data/x86_64-host.xml" "$data/$f.xml" >"$scratch/cc.txt"
	want=$?
	json "cc-$f" cpu-compare --host-cpu "$data/x86_64-host.xml" "$data/$f.xml"
	check "cpu-compare $f: the same exit status ($want)" test "$rc" -eq "$want"
	valid cpu-compare "$scratch/cc-$f.json" "cpu-compare $f"
	same_text cpu-compare "$scratch/cc.txt" "$scratch/cc-$f.json" "cpu-compare $f"
done
json cc-error cpu-compare --error --host-cpu "$data/x86_64-host.xml" "$data/x86_64-host-better.xml"
check "cpu-compare --error, incompatible: exit 3, nothing on standard output, one error line" \
	test "$rc" -eq 3 -a ! -s "$scratch/cc-error.json" -a "$(grep -c '^error: ' "$scratch/cc-error.err")" -eq 1

# ---- emulators and cache list: fake emulators in PATH ----
kvm_host || { echo "ERROR: cannot state the KVM facts"; exit 99; }
bin=$scratch/bin
mkdir -p "$bin"
cp "$FAKE_QEMU" "$bin/qemu-system-x86_64"
printf '#!/bin/sh\nexit 3\n' >"$bin/qemu-system-alpha"
chmod +x "$bin/qemu-system-alpha"
export CAPSPROBE_FAKE_REPLIES=$FIXTURES/qemu/7.2.22-x86_64-kvm.replies
PATH=$bin capsprobe emulators --cache-dir "$scratch/ec" >/dev/null 2>&1
PATH=$bin capsprobe emulators --cache-dir "$scratch/ec" >"$scratch/em.txt" 2>/dev/null
PATH=$bin json emulators emulators --cache-dir "$scratch/ec"
valid emulators "$scratch/emulators.json" "emulators (one cached, one failing)"
same_text emulators "$scratch/em.txt" "$scratch/emulators.json" "emulators (one cached, one failing)"
PATH=$bin capsprobe emulators --machines qemu-system-x86_64 --cache-dir "$scratch/ec" >"$scratch/ma.txt"
PATH=$bin json machines emulators --machines qemu-system-x86_64 --cache-dir "$scratch/ec"
valid machines "$scratch/machines.json" "emulators --machines"
same_text machines "$scratch/ma.txt" "$scratch/machines.json" "emulators --machines"
json cache cache list --cache-dir "$scratch/ec"
valid cache "$scratch/cache.json" "cache list"
check "cache list: the entry's emulator and size, as the text says" python3 -c '
import json, sys
e = json.load(open(sys.argv[1]))["entries"]
t = [l.split("\t") for l in open(sys.argv[2]).read().splitlines()]
assert len(e) == len(t) >= 1, (e, t)
for j, l in zip(e, t):
    # null is what the text says "(unreadable)" and "-" for
    got = (j["emulator"] or "(unreadable)", j["qemuVersion"] or "-", j["written"] or "-", str(j["size"]))
    assert got == tuple(l), (got, l)' \
	"$scratch/cache.json" <(capsprobe cache list --cache-dir "$scratch/ec")
json nocache cache list --cache-dir "$scratch/none"
check "cache list with no directory: an empty list" \
	python3 -c 'import json, sys; assert json.load(open(sys.argv[1])) == {"entries": []}' "$scratch/nocache.json"
unset CAPSPROBE_FAKE_REPLIES

# ---- the defaults are unchanged ----
tree=$FIXTURES/host/x86-hmat
check "host --format xml is the default document" \
	cmp -s <(capsprobe host --no-guests --sysroot "$tree") <(capsprobe host --no-guests --sysroot "$tree" --format xml)
check "nodeinfo --format text is the default text" \
	cmp -s <(capsprobe nodeinfo --sysroot "$tree") <(capsprobe nodeinfo --sysroot "$tree" --format text)
domcaps_sysroot x86_64-q35-kvm || bad "no case x86_64-q35-kvm"
args=${args_of[x86_64-q35-kvm]}
for c in "hypervisor-cpu-baseline xml $dom/x86_64-q35-kvm.xml" "hypervisor-cpu-compare text $dom/x86_64-q35-kvm.xml" \
	"hypervisor-cpu-compare text $data/x86_64-host-better.xml"; do
	read -r cmd def f <<<"$c"
	# shellcheck disable=SC2086
	capsprobe "$cmd" --sysroot "$root" $args "$f" >"$scratch/d1"
	# shellcheck disable=SC2086
	capsprobe "$cmd" --sysroot "$root" $args "$f" --format "$def" >"$scratch/d2"
	check "$cmd --format $def is the default output ($(basename "$f"))" \
		eval '[ -s "$scratch/d1" ] && cmp -s "$scratch/d1" "$scratch/d2"'
done

# ---- option errors ----
n=0
for cmd in $(capsprobe --list-commands); do
	kind=$(capsprobe --list-options "$cmd" | sed -n 's/^--format //p')
	[ -n "$kind" ] || continue
	n=$((n + 1))
	def=${kind#format-}
	capsprobe "$cmd" --format yaml >"$scratch/out" 2>"$scratch/err"
	rc=$?
	check "$cmd --format yaml: exit 1, nothing on standard output" test $rc -eq 1 -a ! -s "$scratch/out"
	check "$cmd --format yaml: one error line naming $def and json ($(head -1 "$scratch/err"))" \
		test "$(wc -l <"$scratch/err")" -eq 1 -a \
		"$(head -1 "$scratch/err")" = "error: invalid --format 'yaml' ($def or json) (see 'capsprobe $cmd --help')"
	capsprobe "$cmd" --help | grep -q -- "--format FORMAT" || bad "$cmd --help: no --format"
done
check "every document and report command takes --format (got $n)" test "$n" -eq 19
for cmd in host domain; do
	capsprobe "$cmd" --sysroot "$scratch/x86_64-q35-kvm" --xpath //arch --format json >"$scratch/out" 2>"$scratch/err"
	rc=$?
	check "$cmd --xpath with --format json: refused, exit 1, one line ($(head -1 "$scratch/err"))" \
		test $rc -eq 1 -a ! -s "$scratch/out" -a "$(wc -l <"$scratch/err")" -eq 1 -a \
		"$(grep -c -- '--xpath.*--format json' "$scratch/err")" -eq 1
done
# a failure is the same with --format json
capsprobe nodememstats --cell 1 --sysroot "$FIXTURES/host/x86-no-numa-dir" >/dev/null 2>"$scratch/e1"
r1=$?
capsprobe nodememstats --cell 1 --sysroot "$FIXTURES/host/x86-no-numa-dir" --format json >"$scratch/out" 2>"$scratch/e2"
r2=$?
check "a failure: the same status ($r1) and error line with --format json, nothing printed" \
	test $r1 -eq 2 -a $r2 -eq $r1 -a ! -s "$scratch/out" -a "$(cat "$scratch/e1")" = "$(cat "$scratch/e2")"

# ---- hostile strings: the BIOS vendor of the SMBIOS tables becomes
# quotes, backslashes, control characters and invalid UTF-8 (same length,
# so the table stays whole) ----
cp -a "$FIXTURES/host/x86-smbios-fixture" "$scratch/smbios"
dmi=$scratch/smbios/sys/firmware/dmi/tables/DMI
python3 - "$dmi" <<'PY' || bad "could not edit the SMBIOS table"
import sys
p = sys.argv[1]
d = open(p, "rb").read()
old = b"Fixture BIOS & Co <fw>"
new = b'q"b\\\x01\x1f\x1b\xff\xc0\xaf\xed\xa0\x80\xf4\x90\x80\x80\xc3\xa9\xe2\x82Z'
assert d.count(old) == 1 and len(new) == len(old)
open(p, "wb").write(d.replace(old, new))
PY
json hostile sysinfo --sysroot "$scratch/smbios"
capsprobe sysinfo --sysroot "$scratch/smbios" >"$scratch/hostile.xml"
valid sysinfo "$scratch/hostile.json" "hostile SMBIOS strings"
check "hostile SMBIOS strings: every byte of the output is printable ASCII or valid UTF-8, controls escaped" \
	python3 -c '
import sys
b = open(sys.argv[1], "rb").read()
b.decode("utf-8")
assert not any(c < 0x20 and c not in (0x0a, 0x20) for c in b), "a raw control character"' "$scratch/hostile.json"
check "hostile SMBIOS strings: the vendor as the XML has it, each ill-formed UTF-8 sequence one U+FFFD" \
	python3 -c '
import html, json, re, sys
j = json.load(open(sys.argv[1]))
v = [e["#text"] for e in j["sysinfo"]["bios"]["entry"] if e["name"] == "vendor"]
x = re.search(rb"<entry name=.vendor.>(.*?)</entry>", open(sys.argv[2], "rb").read(), re.S).group(1)
want = html.unescape(x.decode("utf-8", "replace"))
assert len(v) == 1 and v[0] == want and "\ufffd" in want and "\u00e9" in want, (ascii(v), ascii(want))' \
	"$scratch/hostile.json" "$scratch/hostile.xml"
# control characters: a machine type QEMU names with them (the QMP
# client takes any JSON string; the XML drops controls, JSON escapes them)
hostile=$(printf '4\001"\\8\0336\303\251\177<&>'"'"'\t\n/')
root=$scratch/hostile-root
cp -r "$scratch/x86_64-q35-kvm" "$root"
python3 - "$root"/capsprobe/qemu/usr/bin/qemu-system-x86_64/*.replies <<'PY' || bad "could not edit the recordings"
import sys
for p in sys.argv[1:]:
    d = open(p, "rb").read()
    assert d.count(b'"name": "pc-i440fx-2.4"') == 1
    d = d.replace(b'"name": "pc-i440fx-2.4"', b'"name": "4\\u0001\\"\\\\8\\u001b6\xc3\xa9\\u007f<&>\'\\t\\n/"')
    open(p, "wb").write(d)
PY
json hostile-machine domain --sysroot "$root" --emulator /usr/bin/qemu-system-x86_64 --machine "$hostile"
valid domainCapabilities "$scratch/hostile-machine.json" "a machine named with control characters"
check "a machine named with control characters: escaped, read back whole" python3 -c '
import json, sys
b = open(sys.argv[1], "rb").read()
assert not any(c < 0x20 and c not in (0x0a, 0x20) for c in b), "a raw control character"
m = json.loads(b.decode("utf-8"))["domainCapabilities"]["machine"]
assert m == sys.argv[2], (ascii(m), ascii(sys.argv[2]))' "$scratch/hostile-machine.json" "$hostile"
run_queued
finish
