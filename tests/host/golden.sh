#!/bin/bash
# Golden tests: `capsprobe host --sysroot` over every recorded tree in
# tests/fixtures/host/<machine>/ must print tests/fixtures/host/<machine>.xml
# byte for byte.  CAPSPROBE_REGEN=1 rewrites the expectations on purpose.
. "$(dirname "$0")/../lib.sh"

n=0
for tree in "$FIXTURES"/host/*/; do
	[ -d "$tree" ] || continue
	name=$(basename "$tree")
	want="$FIXTURES/host/$name.xml"
	n=$((n + 1))
	if ! capsprobe host --no-guests --sysroot "$tree" >"$scratch/$name.xml" 2>"$scratch/$name.err"; then
		bad "$name: capsprobe failed: $(head -1 "$scratch/$name.err")"
		continue
	fi
	if [ -n "${CAPSPROBE_REGEN:-}" ]; then
		cp "$scratch/$name.xml" "$want"
		ok "$name: expectation regenerated"
		continue
	fi
	if [ ! -f "$want" ]; then
		bad "$name: no expected output $want"
	elif cmp -s "$want" "$scratch/$name.xml"; then
		ok "$name"
	else
		bad "$name: output differs"
		diff -u "$want" "$scratch/$name.xml" | head -40
	fi
done
check "at least one recorded host" test "$n" -gt 0
finish
