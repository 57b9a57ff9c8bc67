#!/bin/bash
# A warm `domain` (QEMU's answers from the cache) prints exactly what a cold
# one prints for the same host, and follows the host: the cache keeps QEMU's
# answers, never the document, so a host input the rules read (a firmware
# descriptor, a qemu-rdp helper in PATH) changes a warm answer
# without a probe.  An entry that does not hold what a probe keeps (the QMP
# schema as the probe reduces it, format 5) is refused and the emulator
# asked again: never printed from.
#
# Each comparison is with --no-cache under the same host inputs, so nothing
# typed in from this machine is expected.
. "$(dirname "$0")/../lib.sh" || exit 99

command -v perl >/dev/null || { echo "SKIP: no perl (to edit entries)"; exit 77; }
cache_test_setup
# firmware descriptors the rules read, from a directory of this test's own:
# an unprivileged run reads the user's (stated, as this suite runs as root)
export XDG_CONFIG_HOME=$scratch/config
mkdir -p "$XDG_CONFIG_HOME/qemu/firmware"
echo 0 >"$CAPSPROBE_FACTS/privileged"
# not COMMAND...: COMMAND fails
not() { ! "$@"; }

# dom NAME ARGS...: capsprobe domain (cached in $cache); output in
# $scratch/NAME; sets $rc and $new (emulator starts)
dom() {
	local name=$1 before; shift
	before=$(starts)
	PATH=$bin capsprobe domain --emulator "$emu" --machine q35 --cache-dir "$cache" "$@" \
		>"$scratch/$name" 2>"$scratch/$name.err"
	rc=$?
	new=$(($(starts) - before))
}
entry() { ls "$cache"/*.json 2>/dev/null | grep -E '/[0-9a-f]{64}\.json$'; }
# follows WHAT NAME: after a change of host input WHAT, a warm run (into
# $scratch/NAME) starts no emulator and prints what --no-cache prints
follows() {
	dom "$2"
	check "$1: exit 0, no emulator started ($new)" test "$rc" -eq 0 -a "$new" -eq 0
	dom "$2-nocache" --no-cache
	check "$1: warm = --no-cache" cmp -s "$scratch/$2" "$scratch/$2-nocache"
}

dom cold
check "cold: exit 0 ($(head -1 "$scratch/cold.err"))" test "$rc" -eq 0
check "cold: the emulator was asked ($new)" test "$new" -ge 1
check "cold: a whole document" grep -q '^</domainCapabilities>$' "$scratch/cold"
dom warm -v
check "warm: no emulator started" test "$new" -eq 0
check "warm: from the cache" grep -q "QEMU's answers from the cache" "$scratch/warm.err"
check "warm: byte-identical to cold" cmp -s "$scratch/cold" "$scratch/warm"
dom nocache --no-cache
check "--no-cache: byte-identical to warm" cmp -s "$scratch/warm" "$scratch/nocache"
e=$(entry)
check "one entry" test -n "$e" -a "$(entry | wc -l)" -eq 1
cp "$e" "$scratch/good-entry"

# the entry keeps the schema as the probe reduces it: command names and the
# rules' schema paths, not QEMU's 100s of KB of type definitions
check "entry: format 5" grep -q '^{"format":5,' "$e"
check "entry: the schema is a name set with the rules' paths" \
	grep -q '^{"p":1,"q":"schema","ret":\["[^{]*"query-display-options/ret-type/+sdl"' "$e"
check "entry: no schema object in it" test "$(grep -c '"meta-type"' "$e")" -eq 0

# ---- host inputs the rules read: a warm run follows them ----
# a firmware descriptor for q35 appears, with its image: <loader> lists it
mkdir -p "$scratch/images"
: >"$scratch/images/CODE.fd"
: >"$scratch/images/VARS.fd"
cat >"$XDG_CONFIG_HOME/qemu/firmware/50-test.json" <<EOF
{
  "description": "capsprobe test firmware",
  "interface-types": ["uefi"],
  "mapping": {
    "device": "flash",
    "mode": "split",
    "executable": { "filename": "$scratch/images/CODE.fd", "format": "raw" },
    "nvram-template": { "filename": "$scratch/images/VARS.fd", "format": "raw" }
  },
  "targets": [ { "architecture": "x86_64", "machines": ["pc-q35-*"] } ],
  "features": ["acpi-s3", "verbose-dynamic"],
  "tags": []
}
EOF
follows "new firmware" fw
check "new firmware: the warm answer lists it" grep -q "<value>$scratch/images/CODE.fd</value>" "$scratch/fw"
check "new firmware: the first did not" not grep -q "$scratch/images/CODE.fd" "$scratch/cold"
# its image goes (the descriptor stays): no longer listed
rm "$scratch/images/CODE.fd"
follows "firmware image gone" fw-noimage
check "firmware image gone: not listed" not grep -q "$scratch/images/CODE.fd" "$scratch/fw-noimage"
rm "$XDG_CONFIG_HOME/qemu/firmware/50-test.json"
follows "firmware gone" fw-gone
check "firmware gone: back to the first answer" cmp -s "$scratch/cold" "$scratch/fw-gone"

# a qemu-rdp helper appears in PATH (searched on every run, not part of
# the cache key): rdp is offered
printf '#!/bin/sh\nexit 0\n' >"$bin/qemu-rdp"
chmod +x "$bin/qemu-rdp"
follows "qemu-rdp in PATH" rdp
check "qemu-rdp in PATH: the warm answer offers rdp" grep -q "<value>rdp</value>" "$scratch/rdp"
check "qemu-rdp in PATH: the first did not" not grep -q "<value>rdp</value>" "$scratch/cold"
rm "$bin/qemu-rdp"
follows "qemu-rdp gone" rdp-gone
check "qemu-rdp gone: back to the first answer" cmp -s "$scratch/cold" "$scratch/rdp-gone"

# ---- entries that do not hold what a probe keeps: refused, asked again ----
# refused VERDICT PERL-EXPR: the good entry edited by PERL-EXPR (-p, per
# line), then a warm run must ask the emulator again, print the cold
# document and rewrite a good entry
refused() {
	local what=$1
	perl -pe "$2" "$scratch/good-entry" >"$e"
	cmp -s "$e" "$scratch/good-entry" && { bad "$what: the edit changed nothing"; return; }
	dom edited -v
	check "$what: the emulator asked again ($new)" test "$rc" -eq 0 -a "$new" -ge 1
	check "$what: said under --verbose" grep -q "probing QEMU (the cache entry is not usable)" "$scratch/edited.err"
	check "$what: the cold document" cmp -s "$scratch/cold" "$scratch/edited"
	check "$what: rewritten" cmp -s <(sed 1d "$e") <(sed 1d "$scratch/good-entry")
}
# a whole schema where the name set belongs (what format 4 stored)
refused "whole schema" 's/^\{"p":1,"q":"schema","ret":\[.*\]\}$/{"p":1,"q":"schema","ret":[{"name":"query-vnc","meta-type":"command"}]}/'
# a name in the schema set that is not a string
refused "schema name not a string" 's/"query-display-options\/ret-type\/\+sdl"/7/'
# the schema line cut short
refused "schema truncated" 's/^(\{"p":1,"q":"schema","ret":\[[^]]{20}).*/$1/'
# a format-4 header on today's lines
refused_format() {
	perl -pe 's/^\{"format":5,/{"format":4,/' "$scratch/good-entry" >"$e"
	dom old -v
	check "format 4: asked again ($new)" test "$rc" -eq 0 -a "$new" -ge 1
	check "format 4: said under --verbose" grep -q "another format" "$scratch/old.err"
	check "format 4: the cold document" cmp -s "$scratch/cold" "$scratch/old"
}
refused_format
dom last
check "after all that: a hit, the cold document" test "$new" -eq 0 -a "$rc" -eq 0
check "after all that: byte-identical" cmp -s "$scratch/cold" "$scratch/last"
check "no emulator left" none_left "$scratch/fake-qemu"

finish
