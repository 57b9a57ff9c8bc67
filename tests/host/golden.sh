#!/bin/bash
# Golden tests: `capsprobe host --sysroot` over every recorded tree in
# tests/fixtures/host/<machine>/ must print tests/fixtures/host/<machine>.xml
# byte for byte.  Every expectation is libvirt's own document for the tree
# (tests/fixtures/host/README.md says how each was made; `make
# regen-host-goldens` remakes them with libvirt, never from capsprobe).
# CAPSPROBE_REGEN, which once rewrote them from our output, is refused.
. "$(dirname "$0")/../lib.sh" || exit 99

if [ -n "${CAPSPROBE_REGEN+set}" ]; then
	bad "CAPSPROBE_REGEN is set: ignored; goldens come from libvirt ('make regen-host-goldens')"
fi

# trees DIR WHAT: each tree in DIR against its DIR/<tree>.xml
n=0
trees() {
	local tree name want
	for tree in "$1"/*/; do
		[ -d "$tree" ] || continue
		name=$(basename "$tree")
		want="$1/$name.xml"
		n=$((n + 1))
		if ! capsprobe host --no-guests --sysroot "$tree" >"$scratch/$name.xml" 2>"$scratch/$name.err"; then
			bad "$name: capsprobe failed: $(head -1 "$scratch/$name.err")"
			continue
		fi
		if [ ! -f "$want" ]; then
			bad "$name: no expected output $want"
		elif cmp -s "$want" "$scratch/$name.xml"; then
			ok "$name ($2)"
		else
			bad "$name: output differs from $2"
			diff -u "$want" "$scratch/$name.xml" | head -40
		fi
	done
}
trees "$FIXTURES/host" "libvirt's document"
check "at least one recorded host" test "$n" -gt 0
finish
