#!/bin/bash
# Emulators whose answers attack capsprobe's memory or lie about their
# shape (tests/fake-qemu, CAPSPROBE_FAKE_FLOOD and hand-edited recordings):
# - a reply far larger in memory than on the wire ([{},{},...], [[],...],
#   tiny strings, deep-but-legal nesting, many keys) is one clear error,
#   and peak memory stays under the documented bound (1 GiB), for one
#   emulator (`domain`) and for many at once (`host`);
# - an answer of a type libvirt refuses is a failed probe naming the
#   question: `domain` exits 2, `host` warns and leaves that guest out.
# Recordings are TCG ones (--virttype qemu): no /dev/kvm needed.
. "$(dirname "$0")/../lib.sh"

[ -x "${FAKE_QEMU:-}" ] || { echo "SKIP: no fake-qemu (set FAKE_QEMU)"; exit 77; }
bin=$scratch/bin
mkdir -p "$bin"
fake=$bin/qemu-system-x86_64
cp "$FAKE_QEMU" "$fake"
export TMPDIR=$scratch/tmp
mkdir -p "$TMPDIR"
rec=$FIXTURES/qemu/7.2.22-x86_64.replies
export CAPSPROBE_FAKE_REPLIES=$rec
# generous: the machine may be busy; no check depends on time
timeout=--timeout=120
bound_kb=$((1024 * 1024))	# the documented bound: 1 GiB

# Peak memory needs GNU time; a sanitizer or wrapper inflates it.
measure=
if [ -n "${CAPSPROBE_WRAPPER:-}" ] || [ -n "${ASAN_OPTIONS:-}" ]; then
	skip "peak memory not measured under a wrapper or sanitizer"
elif /usr/bin/time -v true >/dev/null 2>&1; then
	measure=1
else
	skip "no GNU /usr/bin/time -v to measure peak memory"
fi

# run OUT ERR CMD...: capsprobe (with PATH=$run_path when set), its peak
# RSS (KiB) in $peak
run_path=
run() {
	local out=$1 err=$2 rc
	shift 2
	if [ -n "$measure" ]; then
		PATH=${run_path:-$PATH} /usr/bin/time -v -o "$scratch/time" "$CAPSPROBE" "$@" >"$out" 2>"$err"
		rc=$?
		peak=$(sed -n 's/^[[:space:]]*Maximum resident set size (kbytes): //p' "$scratch/time")
	else
		PATH=${run_path:-$PATH} capsprobe "$@" >"$out" 2>"$err"
		rc=$?
		peak=
	fi
	return $rc
}

# under_bound WHAT: the last run's peak is below the bound
under_bound() {
	if [ -z "$measure" ]; then
		skip "$1: peak memory not measured"
	elif [ -z "$peak" ]; then
		bad "$1: no peak memory reported"
	elif [ "$peak" -lt "$bound_kb" ]; then
		ok "$1: peak $((peak / 1024)) MiB < 1 GiB"
	else
		bad "$1: peak $((peak / 1024)) MiB"
	fi
}

# one_error WHAT PATTERN: the last run exited 2, printed nothing, and said
# exactly one line "error: PATTERN"
one_error() {
	if [ "$rc" -ne 2 ]; then
		bad "$1: exit $rc ($(head -c 300 "$scratch/err"))"
	elif [ -s "$scratch/out" ]; then
		bad "$1: printed a document"
	elif [ "$(wc -l <"$scratch/err")" -ne 1 ] || ! grep -Eq "^error: $2" "$scratch/err"; then
		bad "$1: stderr: $(head -c 300 "$scratch/err")"
	else
		ok "$1: $(head -c 200 "$scratch/err")"
	fi
}

domain() { run "$scratch/out" "$scratch/err" domain --no-cache "$timeout" --emulator "$fake" --virttype qemu "$@"; }

# ---- the recording itself is far inside every cap ----
domain
rc=$?
check "a real conversation: exit 0 (rc $rc)" test "$rc" -eq 0
check "a real conversation: machines" grep -q "^  <machine>pc-i440fx-7.2</machine>$" "$scratch/out"
under_bound "a real conversation"

# ---- memory: 15 MiB replies (under the 16 MiB text cap) of tiny values ----
deep=$(printf '%.0s[' {1..60})$(printf '%.0s]' {1..60})
keys=$(for k in a b c d e f g h i j k l m n o p q r s t u v w x y z; do printf '"%s":0,' $k; done)
keys="{${keys%,}}"
for item in '{}' '[]' '""' '0' 'null' "$deep" "$keys" '{"name":"m"}'; do
	CAPSPROBE_FAKE_FLOOD=query-machines CAPSPROBE_FAKE_FLOOD_KB=15360 CAPSPROBE_FAKE_FLOOD_ITEM="$item" domain
	rc=$?
	what="15 MiB of ${item:0:12}"
	one_error "$what" "the reply to query-machines from $fake would take more than 128 MiB of memory once parsed \([0-9]+ JSON values in [0-9]+ bytes so far\)$"
	under_bound "$what"
done
# a reply of long strings stops at the text cap
CAPSPROBE_FAKE_FLOOD=query-machines CAPSPROBE_FAKE_FLOOD_KB=61440 \
	CAPSPROBE_FAKE_FLOOD_ITEM="\"$(head -c 60000 /dev/zero | tr '\0' x)\"" domain
rc=$?
one_error "60 MiB of long strings" "QMP message from $fake is larger than 16777216 bytes"
under_bound "60 MiB of long strings"

# ---- memory: a conversation of replies each under the message cap ----
CAPSPROBE_FAKE_FLOOD=query-qmp-schema,qom-list-types,query-machines CAPSPROBE_FAKE_FLOOD_KB=900 \
	CAPSPROBE_FAKE_FLOOD_ITEM='{"name":"m"}' domain
rc=$?
one_error "three dear replies" \
	"the QMP conversation with $fake would take more than 256 MiB of memory once parsed \(at the reply to query-machines\)"
under_bound "three dear replies"

# ---- memory: many emulators at once, each with dear but legal answers ----
# Each light probe holds about 235 MiB (types and machines: 18,000 named
# objects with four empty objects each, the dearest shape in memory a
# legal answer may have); three fit in the process's 768 MiB, the others
# are told so.
many=$scratch/many
mkdir -p "$many"
for a in x86_64 i386 aarch64 riscv64 ppc64 s390x; do
	{
		echo '#!/bin/sh'
		echo "CAPSPROBE_FAKE_FLOOD=qom-list-types,query-machines CAPSPROBE_FAKE_FLOOD_KB=750 \\"
		echo "CAPSPROBE_FAKE_FLOOD_ITEM='{\"name\":\"m\",\"w\":{},\"x\":{},\"y\":{},\"z\":{}}' exec '$fake' \"\$@\""
	} >"$many/qemu-system-$a"
	chmod +x "$many/qemu-system-$a"
done
run_path=$many run "$scratch/out" "$scratch/err" host --no-cache "$timeout"
rc=$?
check "six dear emulators: exit 0 (rc $rc)" test "$rc" -eq 0
n=$(grep -c "<guest>" "$scratch/out")
check "six dear emulators: some guests, not all ($n)" test "$n" -ge 1 -a "$n" -lt 6
check "six dear emulators: a warning for each left out" \
	test "$(grep -c "does not fit in the 768 MiB of memory capsprobe allows" "$scratch/err")" -eq $((6 - n))
check "six dear emulators: nothing else on stderr" \
	test "$(grep -vc "^warning: no <guest> from " "$scratch/err")" -eq 0
under_bound "six dear emulators"

# ---- shapes: answers of types libvirt refuses ----
# bad EXECUTE RETURN: the recording with EXECUTE answered RETURN first
bad_rec() {
	awk -v ex="$1" -v ret="$2" '
		!done && NR > 1 && /^$/ {
			print; print "{\"execute\": \"" ex "\"}"; print ""; print "{\"return\": " ret "}"
			done = 1
		}
		{ print }' "$rec" >"$scratch/bad.replies"
}
shapes=(
	'query-machines|[[[]],[[]]]|return\[0\] is not an object'
	'query-machines|{}|return is not an array'
	'query-machines|[{"name": 5}]|return\[0\]\.name is not a string'
	'query-machines|[{"name": "pc", "cpu-max": "many"}]|return\[0\]\.cpu-max is not an unsigned 32-bit integer'
	'query-version|{"qemu": {"major": 7, "minor": 2, "micro": 22}}|return\.package is missing'
	'query-target|{"arch": ["x86_64"]}|return\.arch is not a string'
	'query-kvm|{"enabled": "no", "present": false}|return\.enabled is not a boolean'
	'query-qmp-schema|[{"name": "query-version"}, []]|return\[1\] is not an object'
	'qom-list-types|["tcg-accel"]|return\[0\] is not an object'
	'query-cpu-definitions|[{"name": "qemu64", "unavailable-features": [1]}]|return\[0\]\.unavailable-features\[0\] is not a string'
	'query-command-line-options|[{"option": "spice"}]|return\[0\]\.parameters is missing'
	'query-tpm-models|[1]|return\[0\] is not a string'
)
for s in "${shapes[@]}"; do
	IFS='|' read -r ex ret why <<<"$s"
	bad_rec "$ex" "$ret"
	CAPSPROBE_FAKE_REPLIES=$scratch/bad.replies domain
	rc=$?
	one_error "$ex answering $ret" "malformed QMP reply from $fake: $ex: $why$"
done

# host: the malformed emulator is left out with a warning, the good one stays
mixed=$scratch/mixed
mkdir -p "$mixed"
bad_rec query-machines '[[[]],[[]]]'
printf '#!/bin/sh\nCAPSPROBE_FAKE_REPLIES=%s exec %s "$@"\n' "'$scratch/bad.replies'" "'$fake'" \
	>"$mixed/qemu-system-aarch64"
printf '#!/bin/sh\nCAPSPROBE_FAKE_REPLIES=%s exec %s "$@"\n' "'$rec'" "'$fake'" >"$mixed/qemu-system-x86_64"
chmod +x "$mixed"/*
PATH=$mixed capsprobe host --no-cache "$timeout" >"$scratch/out" 2>"$scratch/err"
rc=$?
check "host with a malformed emulator: exit 0 (rc $rc)" test "$rc" -eq 0
check "host with a malformed emulator: its guest left out" \
	test "$(sed -n "s/^    <arch name='\(.*\)'>$/\1/p" "$scratch/out" | tr '\n' ' ')" = "i686 x86_64 "
check "host with a malformed emulator: one warning naming the question" \
	test "$(cat "$scratch/err")" = "warning: no <guest> from $mixed/qemu-system-aarch64 (aarch64): malformed QMP reply from $mixed/qemu-system-aarch64: query-machines: return[0] is not an object"

check "no emulator process left behind" none_left "$bin/"
check "no temporary file left behind" test -z "$(ls -A "$TMPDIR")"
finish
