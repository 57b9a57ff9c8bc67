#!/bin/bash
# Goldens of the host commands: over every tree of tests/fixtures/host that
# has them, each command of tests/fixtures/host/node-commands must print
# libvirt's own output (TREE.<command>.txt, made by virsh over the tree:
# scripts/libvirt-node-goldens) byte for byte; where virsh failed
# (TREE.<command>.err), capsprobe must fail too: exit 2, nothing on
# standard output, one "error: " line.
. "$(dirname "$0")/../lib.sh" || exit 99

dir=$FIXTURES/host
n=0
for tree in "$dir"/*/; do
	name=$(basename "$tree")
	while read -r cmd; do
		case $cmd in '#'* | '') continue ;; esac
		base=$dir/$name.${cmd// /_}
		[ -f "$base.txt" ] || [ -f "$base.err" ] || continue
		n=$((n + 1))
		# shellcheck disable=SC2086
		capsprobe $cmd --sysroot "$tree" >"$scratch/out" 2>"$scratch/err"
		rc=$?
		if [ -f "$base.txt" ]; then
			if [ $rc -ne 0 ]; then
				bad "$name: '$cmd' failed ($rc): $(head -1 "$scratch/err")"
			elif cmp -s "$base.txt" "$scratch/out"; then
				ok "$name: '$cmd' is libvirt's output"
			else
				bad "$name: '$cmd' differs from libvirt's output"
				diff -u "$base.txt" "$scratch/out" | head -20
			fi
		else
			check "$name: '$cmd' fails as virsh does ($(head -1 "$base.err"))" \
				test $rc -eq 2 -a ! -s "$scratch/out" -a "$(wc -l <"$scratch/err")" -eq 1
			check "$name: '$cmd': its one line is an error line" grep -q '^error: ' "$scratch/err"
		fi
	done <"$dir/node-commands"
done
check "goldens of the host commands exist" test "$n" -gt 50
finish
