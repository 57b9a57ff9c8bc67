#!/bin/bash
# The host commands on the live host against virsh 11.3's embedded driver
# on the same host: stable values byte for byte, moving ones (free memory,
# CPU times) within a tolerance.  Skips (77) without virsh.
. "$(dirname "$0")/../lib.sh" || exit 99

command -v virsh >/dev/null && virsh --version 2>/dev/null | grep -q '^11\.3\.' ||
	{ echo "SKIP: libvirt 11.3's virsh is not installed"; exit 77; }
mkdir -p "$scratch/embed"
v() { virsh -c "qemu:///embed?root=$scratch/embed" "$@" 2>"$scratch/virsh.err"; }

# stable: byte for byte
for cmd in nodeinfo nodecpumap "nodecpumap --pretty" "freepages --cellno 0 --pagesize 2M"; do
	# shellcheck disable=SC2086
	if ! v $cmd >"$scratch/want"; then
		skip "virsh $cmd failed here: $(head -1 "$scratch/virsh.err")"
		continue
	fi
	# shellcheck disable=SC2086
	capsprobe $cmd >"$scratch/got" 2>"$scratch/err"
	check "live '$cmd' is virsh's output" cmp "$scratch/want" "$scratch/got"
done

# moving: the same lines, each number within tol (relative) of virsh's
near() { # TOL FILE FILE: the texts without digits agree, and each number pair
	awk -v tol="$1" 'NR == FNR { a[FNR] = $0; next }
		{ x = a[FNR]; y = $0; gsub(/[0-9]+/, "#", x); gsub(/[0-9]+/, "#", y)
		  if (x != y) exit 1
		  n = split(a[FNR], p, /[^0-9]+/); split($0, q, /[^0-9]+/)
		  for (i = 1; i <= n; i++) if (p[i] != "" && (p[i] - q[i] > tol * p[i] + 1024 || q[i] - p[i] > tol * p[i] + 1024)) exit 1 }
		END { if (FNR != length(a)) exit 1 }' "$2" "$3"
}
for cmd in freecell "freecell --all" "freecell --cellno 0" "freepages --all" "freepages --cellno 0 --pagesize 4" \
	nodememstats "nodememstats --cell 0" nodecpustats "nodecpustats --cpu 0"; do
	# shellcheck disable=SC2086
	if ! v $cmd >"$scratch/want"; then
		skip "virsh $cmd failed here: $(head -1 "$scratch/virsh.err")"
		continue
	fi
	# shellcheck disable=SC2086
	capsprobe $cmd >"$scratch/got" 2>"$scratch/err"
	check "live '$cmd' is virsh's output within 5%" near 0.05 "$scratch/want" "$scratch/got"
done
# and the tolerance bites: a number 10x off is caught
far() { ! near "$@"; }
sed 's/[0-9][0-9]*/&0/' "$scratch/want" >"$scratch/off"
check "a number off by 10x is not within the tolerance" far 0.05 "$scratch/want" "$scratch/off"

# --percent: five shares that add up (live only)
capsprobe nodecpustats --percent >"$scratch/pct" 2>"$scratch/err"
check "nodecpustats --percent prints usage, user, system, idle, iowait" \
	test "$(awk '{ print $1 }' "$scratch/pct" | tr '\n' ' ')" = "usage: user: system: idle: iowait:  "
check "nodecpustats --percent: user + system + idle + iowait is 100%" \
	awk '/^(user|system|idle|iowait):/ { s += $2 } END { exit !(s > 99.5 && s < 100.5) }' "$scratch/pct"
finish
