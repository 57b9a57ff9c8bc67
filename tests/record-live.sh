#!/bin/bash
# `capsprobe record DIR` with the real QEMU (skipped, exit 77, without
# qemu-system-x86_64 in PATH): the recording of this host and that emulator
# replays `host` and `domain` byte for byte.
. "$(dirname "$0")/lib.sh" || exit 99
[ -d "${scratch:-}" ] || { echo "ERROR: no scratch directory"; exit 99; }

qemu=$(command -v qemu-system-x86_64) || { echo "SKIP: no qemu-system-x86_64 in PATH"; exit 77; }
export TMPDIR=$scratch/tmp
mkdir -p "$TMPDIR"
dir=$scratch/rec

capsprobe record "$dir" --emulator "$qemu" >"$scratch/out" 2>"$scratch/err"
rc=$?
check "record: exit 0 (rc $rc: $(head -1 "$scratch/err"))" test "$rc" -eq 0
check "record: one emulator" grep -q "recorded the host, 1 emulator(s)" "$scratch/out"

capsprobe host --emulator "$qemu" --no-cache >"$scratch/host.live"
capsprobe host --sysroot "$dir" >"$scratch/host.replay"
check "replay: host = live" cmp -s "$scratch/host.live" "$scratch/host.replay"
cmp -s "$scratch/host.live" "$scratch/host.replay" || diff -u "$scratch/host.live" "$scratch/host.replay" | head -20
for args in "" "--virttype qemu" "--machine pc" "--arch i686"; do
	capsprobe domain --no-cache --emulator "$qemu" $args >"$scratch/d.live" 2>&1
	capsprobe domain --sysroot "$dir" --emulator "$qemu" $args >"$scratch/d.replay" 2>&1
	check "replay: domain $args = live" cmp -s "$scratch/d.live" "$scratch/d.replay"
done
finish
