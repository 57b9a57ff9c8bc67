#!/bin/bash
# Golden tests: `capsprobe host --sysroot` over every recorded tree in
# tests/fixtures/host/<machine>/ must print tests/fixtures/host/<machine>.xml
# byte for byte.  Only `make regen-host-goldens` (this script with --regen)
# rewrites the expectations; CAPSPROBE_REGEN in the environment, which once
# did, is refused loudly so a test run never rewrites what it checks.
. "$(dirname "$0")/../lib.sh" || exit 99

regen=
case ${1:-} in
--regen) regen=1 ;;
'') ;;
*) echo "usage: $0 [--regen]" >&2; exit 99 ;;
esac
if [ -n "${CAPSPROBE_REGEN+set}" ]; then
	bad "CAPSPROBE_REGEN is set: ignored; goldens are rewritten only by 'make regen-host-goldens'"
fi

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
	if [ -n "$regen" ]; then
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
