#!/bin/bash
# What the probe cache does with entries and leftovers it did not expect:
# - temporary files of killed runs: removed once older than a minute, a
#   fresh one (another run's work in progress) and non-files left alone;
# - an entry that is a symbolic link, a directory, another user's file, a
#   file past the size limit, or JSON of another format: ignored (said under
#   --verbose), the emulator asked again, the same document printed.
. "$(dirname "$0")/../lib.sh" || exit 99

cache_test_setup
# host NAME ARGS...: capsprobe host (cached in $cache); sets $rc and $new
host() {
	local name=$1 before; shift
	before=$(starts)
	PATH=$bin capsprobe host --cache-dir "$cache" "$@" >"$scratch/$name" 2>"$scratch/$name.err"
	rc=$?
	new=$(($(starts) - before))
}
entry() { ls "$cache"/*.json 2>/dev/null | grep -E '/[0-9a-f]{64}\.json$'; }

host cold
check "cold: exit 0, the emulator asked ($new)" test "$rc" -eq 0 -a "$new" -ge 1
e=$(entry)
check "cold: one entry" test -n "$e" -a "$(entry | wc -l)" -eq 1
cp "$e" "$scratch/good-entry"

# ---- leftovers of killed runs ----
printf 'half' >"$cache/.tmp-00000000dead"
touch -d '-2 minutes' "$cache/.tmp-00000000dead"
printf 'in progress' >"$cache/.tmp-00000000beef"
mkdir "$cache/.tmp-0000000d1r00"
touch -d '-2 minutes' "$cache/.tmp-0000000d1r00"
ln -s "$scratch/good-entry" "$cache/.tmp-00000011ink0"
: >"$cache/.tmp-"
touch -d '-2 minutes' "$cache/.tmp-"
rm -f "$e"
host sweep
check "a write after a killed run: exit 0 ($new started)" test "$rc" -eq 0 -a "$new" -ge 1
check "  the stale temporary file is removed" test ! -e "$cache/.tmp-00000000dead"
check "  a fresh one (another run's) is left" test -f "$cache/.tmp-00000000beef"
check "  a directory and a link of that name are left" test -d "$cache/.tmp-0000000d1r00" -a -L "$cache/.tmp-00000011ink0"
check "  '.tmp-' alone is not a temporary name: left" test -e "$cache/.tmp-"
check "  same document" cmp -s "$scratch/cold" "$scratch/sweep"

# ---- entries that are not what we wrote ----
# bad NAME: after the entry was made odd, a run re-asks the emulator, says
# so under -v, and prints the same document
bad_entry() {
	host "$1" -v
	check "$1: exit 0, the emulator asked again ($new)" test "$rc" -eq 0 -a "$new" -ge 1
	check "  --verbose says the entry was ignored ($(grep -o ': [^:]*, ignored$' "$scratch/$1.err"))" \
		grep -q "^capsprobe: cache entry $e for $emu: .*, ignored$" "$scratch/$1.err"
	check "  same document" cmp -s "$scratch/cold" "$scratch/$1"
}
e=$(entry)
rm -f "$e" && ln -s "$scratch/good-entry" "$e"
bad_entry symlink
rm -rf "$e" && mkdir "$e"
bad_entry directory
rm -rf "$e" && sed 's/"format":[0-9]*/"format":1/' "$scratch/good-entry" >"$e" && chmod 600 "$e"
check "(the edit made another format)" eval "! cmp -s '$e' '$scratch/good-entry'"
bad_entry "other format"
rm -rf "$e" && cp "$scratch/good-entry" "$e" && truncate -s 33M "$e"
bad_entry "past the size limit"
if [ "$(id -u)" -eq 0 ]; then
	rm -rf "$e" && cp "$scratch/good-entry" "$e" && chown 65534 "$e"
	bad_entry "another user's"
else
	skip "another user's entry: needs root to make one"
fi
finish
