#!/bin/bash
# The probe cache through the CLI: `host`, `domain` and `emulators` answer
# from it when nothing that could change QEMU's answers changed, probe again
# when something did, never read or write it with --no-cache, rewrite it
# with --refresh, survive corrupt entries and 16 concurrent runs, and keep
# it private (0700/0600).  `cache` lists and `cache clear` empties it.
#
# The *.so names beside the binary are memoized in the cache (modules.json)
# once that directory's times are 2 s old; entry() and the listings below
# count QEMU's entries, the memo is checked on its own.
#
# The emulator is a small script at $bin/qemu-system-x86_64 (a regular file:
# touching it changes its stat) that logs each start and runs tests/fake-qemu
# on a recorded conversation; so a hit is proved by the log not growing.
. "$(dirname "$0")/../lib.sh" || exit 99

# the KVM recordings replayed below were made where KVM worked
cache_test_setup
mkdir -p "$scratch/lib/qemu"
# run NAME ARGS...: capsprobe ARGS with PATH=$bin; output in $scratch/NAME,
# stderr in $scratch/NAME.err; sets $rc and $new (emulator starts it made)
run() {
	local name=$1 before; shift
	before=$(starts)
	PATH=$bin capsprobe "$@" >"$scratch/$name" 2>"$scratch/$name.err"
	rc=$?
	new=$(($(starts) - before))
}
# QEMU's entries (sha256 names), not the memo
entry() { ls "$cache"/*.json 2>/dev/null | grep -E '/[0-9a-f]{64}\.json$'; }
memo=$cache/modules.json
# `cache` output without the memo's line
unmemo() { grep -v "^$bin/\*\.so	"; }
host() { run "$1" host --cache-dir "$cache" "${@:2}"; }

# ---- host: cold, then warm ----
host cold
check "cold: exit 0 ($(head -1 "$scratch/cold.err"))" test "$rc" -eq 0
check "cold: the emulator was started ($new)" test "$new" -ge 1
check "cold: guests of the fake emulator" grep -q "<emulator>$emu</emulator>" "$scratch/cold"
check "cold: one entry written" test "$(entry | wc -l)" -eq 1
host warm -v
check "warm: exit 0" test "$rc" -eq 0
check "warm: no emulator started" test "$new" -eq 0
check "warm: --verbose says it came from the cache" \
	grep -q "^capsprobe: $emu: QEMU's answers from the cache$" "$scratch/warm.err"
check "warm: identical output" cmp -s "$scratch/cold" "$scratch/warm"
host quiet
check "warm, not verbose: nothing on stderr" test ! -s "$scratch/quiet.err"

# ---- permissions ----
check "cache directory 0700" test "$(stat -c %a "$cache")" = 700
check "entry 0600" test "$(stat -c %a "$(entry)")" = 600
check "no temporary file left in the cache" test -z "$(ls -A "$cache" | grep -v '\.json$')"

# ---- invalidation ----
sleep 0.01
touch "$emu"
host touched -v
check "touched binary: probed again ($new)" test "$new" -ge 1
check "touched binary: --verbose names the changed key" grep -q "stale: .* changed" "$scratch/touched.err"
check "touched binary: same output" cmp -s "$scratch/cold" "$scratch/touched"
host after-touch
check "touched binary: then a hit again" test "$new" -eq 0

# KVM usable or not is part of the key (QEMU answers differently): an entry
# probed without KVM is not reused once KVM works, and back
printf '0\n' >"$CAPSPROBE_FACTS/kvm"
host nokvm -v
check "KVM gone: probed again ($new)" test "$new" -ge 1
check "KVM gone: the kvm field is what changed" grep -q "stale: kvm changed" "$scratch/nokvm.err"
printf '1\n' >"$CAPSPROBE_FACTS/kvm"
host kvm-back -v
check "KVM back: probed again ($new)" test "$new" -ge 1
check "KVM back: the kvm field is what changed" grep -q "stale: kvm changed" "$scratch/kvm-back.err"
host after-kvm
check "KVM back: then a hit again" test "$new" -eq 0

echo 'not really a module' >"$scratch/lib/qemu/hw-display-new.so"
host module -v
check "module installed: probed again ($new)" test "$new" -ge 1
check "module installed: the module listing is what changed" \
	grep -q "stale: modules changed" "$scratch/module.err"
host after-module
check "module installed: then a hit again" test "$new" -eq 0
echo x >"$bin/accel-new.so"
host binmodule
check "module beside the binary: probed again ($new)" test "$new" -ge 1
rm "$bin/accel-new.so"
host binmodule-gone
check "module removed: probed again ($new)" test "$new" -ge 1

# ---- the memo of the *.so names beside the binary ----
echo img >"$bin/qemu-img"
host notmodule
check "a file beside the binary that is not a module: still a hit" test "$new" -eq 0
# a listing is memoized only once the directory's times are 2 s old
age=$(($(date +%s) - $(stat -c %Z "$bin")))
[ "$age" -ge 3 ] || sleep $((3 - age))
host memo1
check "memo: written once the directory is settled, a hit ($new)" test -f "$memo" -a "$new" -eq 0
check "memo: 0600" test "$(stat -c %a "$memo")" = 600
check "memo: names the binary's directory" grep -q "\"path\":\"$bin\"" "$memo"
memo_ino=$(stat -c %i "$memo")
host memo2
check "memo: a hit through it, the memo kept ($new)" test "$new" -eq 0 -a "$(stat -c %i "$memo")" = "$memo_ino"
echo x >"$bin/accel-new2.so"
host memomodule -v
check "memo: a module beside the binary: probed again ($new)" test "$new" -ge 1
check "memo: the module listing is what changed" grep -q "stale: modules changed" "$scratch/memomodule.err"
rm "$bin/accel-new2.so" "$bin/qemu-img"
host memomodule-gone
check "memo: the module removed: probed again ($new)" test "$new" -ge 1

CAPSPROBE_FAKE_HUGE_MB=1 PATH=$bin capsprobe host --cache-dir "$cache" -v >/dev/null 2>"$scratch/env.err"
check "another fake-qemu environment: not the cached entry" grep -q "stale: env changed" "$scratch/env.err"

# ---- --no-cache, --refresh ----
snap() { stat -c '%n %i %s %Y' "$cache"/*; }
before=$(snap)
host nocache --no-cache
check "--no-cache: probed ($new)" test "$new" -ge 1
check "--no-cache: same output" cmp -s "$scratch/cold" "$scratch/nocache"
check "--no-cache: cache untouched" test "$(snap)" = "$before"
run nocache-new host --cache-dir "$scratch/never" --no-cache
check "--no-cache: creates no cache directory" test ! -e "$scratch/never"
ino=$(stat -c %i "$(entry)")
host refresh --refresh -v
check "--refresh: probed ($new)" test "$new" -ge 1
check "--refresh: --verbose says why" grep -q "probing QEMU (--refresh)" "$scratch/refresh.err"
check "--refresh: entry rewritten" test "$(stat -c %i "$(entry)")" != "$ino"
check "--refresh: same output" cmp -s "$scratch/cold" "$scratch/refresh"
run both host --cache-dir "$cache" --no-cache --refresh
check "--no-cache with --refresh: usage error" test "$rc" -eq 1

# ---- corrupt entries ----
printf '{"format":2,' >"$(entry)"
host corrupt
check "truncated entry: exit 0, probed ($new)" test "$rc" -eq 0 -a "$new" -ge 1
check "truncated entry: no warning without --verbose" test ! -s "$scratch/corrupt.err"
check "truncated entry: same output" cmp -s "$scratch/cold" "$scratch/corrupt"
host rewritten
check "truncated entry: rewritten (a hit next time)" test "$new" -eq 0
head -c 3000 /dev/urandom >"$(entry)"
host garbage -v
check "garbage entry: probed ($new)" test "$new" -ge 1
check "garbage entry: --verbose says it was ignored" grep -q "ignored" "$scratch/garbage.err"
check "garbage entry: same output" cmp -s "$scratch/cold" "$scratch/garbage"

# ---- an unusable cache directory: a warning, then uncached ----
mkdir -p "$scratch/open"
chmod 777 "$scratch/open"
run unsafe host --cache-dir "$scratch/open"
check "world-writable cache directory: exit 0, same output" \
	eval 'test "$rc" -eq 0 && cmp -s "$scratch/cold" "$scratch/unsafe"'
check "world-writable cache directory: one warning" \
	test "$(grep -c "^warning: .*writable by others.*; not using the cache$" "$scratch/unsafe.err")" -eq 1 \
	-a "$(wc -l <"$scratch/unsafe.err")" -eq 1
check "world-writable cache directory: nothing written" test -z "$(ls -A "$scratch/open")"

# ---- CAPSPROBE_CACHE_DIR, and --sysroot never touches the cache ----
CAPSPROBE_CACHE_DIR=$scratch/envcache PATH=$bin capsprobe host >/dev/null 2>&1
check "CAPSPROBE_CACHE_DIR is the default directory" test -n "$(ls "$scratch/envcache"/*.json 2>/dev/null)"
# a recorded tree with guests: their conversations replay, the cache stays out
g=$FIXTURES/guests/epyc-milan-7-emulators
t=$scratch/tree
mkdir -p "$t"
cp -r "$FIXTURES/host/$(cat "$g/host-tree")/." "$t/"
cp -r "$g/capsprobe/." "$t/capsprobe/"
capsprobe host --sysroot "$t" --cache-dir "$scratch/sys" >"$scratch/sys.xml" 2>/dev/null
check "--sysroot: replayed guests" grep -q "<guest>" "$scratch/sys.xml"
check "--sysroot: no cache directory made" test ! -e "$scratch/sys"

# ---- domain ----
dom() { run "$1" domain --emulator "$emu" --machine q35 --virttype kvm --cache-dir "$cache" "${@:2}"; }
dom dcold -v
check "domain after host: exit 0 ($(grep -v '^capsprobe' "$scratch/dcold.err" | head -1))" test "$rc" -eq 0
check "domain after host: the light entry lacks answers, probed ($new)" \
	eval 'test "$new" -ge 1 && grep -q "lacks answers" "$scratch/dcold.err"'
dom dwarm -v
check "domain warm: no emulator started" test "$new" -eq 0
check "domain warm: from the cache" grep -q "QEMU's answers from the cache" "$scratch/dwarm.err"
check "domain warm: identical document" cmp -s "$scratch/dcold" "$scratch/dwarm"
dom dnocache --no-cache
check "domain --no-cache: same document" cmp -s "$scratch/dcold" "$scratch/dnocache"
host hostfull
check "host from the full entry: a hit, same output" \
	eval 'test "$new" -eq 0 && cmp -s "$scratch/cold" "$scratch/hostfull"'
host hostrefresh --refresh
check "host --refresh over the full entry: probed, same output" \
	eval 'test "$new" -ge 1 && cmp -s "$scratch/cold" "$scratch/hostrefresh"'
dom drefreshed -v
check "domain after host --refresh: still a hit (the refresh kept the full answers)" \
	eval 'test "$new" -eq 0 && grep -q "QEMU'"'"'s answers from the cache" "$scratch/drefreshed.err"'
check "domain after host --refresh: identical document" cmp -s "$scratch/dcold" "$scratch/drefreshed"
mkdir -p "$scratch/rec"
run drec domain --emulator "$emu" --machine q35 --virttype kvm --cache-dir "$cache" --record-qmp "$scratch/rec"
# (the recording asks more than this conversation answers: only the start counts)
check "domain --record-qmp: starts QEMU (never from the cache)" test "$new" -ge 1

# ---- cache / cache list / cache clear ----
run list cache --cache-dir "$cache"
size=$(stat -c %s "$(entry)")
check "cache: one line" test "$rc" -eq 0 -a "$(unmemo <"$scratch/list" | wc -l)" -eq 1
check "cache: the memo as the *.so files beside the binary, no version" \
	grep -Eq "^$bin/\*\.so	-	[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z	$(stat -c %s "$memo")$" "$scratch/list"
check "cache: emulator, version, ISO 8601 UTC time, size" \
	grep -Eq "^$emu	7\.2\.22	[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z	$size$" "$scratch/list"
run list2 cache list --cache-dir "$cache"
check "cache list = cache" cmp -s "$scratch/list" "$scratch/list2"
echo junk >"$cache/$(printf '%064d' 0).json"
echo mine >"$cache/notes.txt"
run list3 cache --cache-dir "$cache"
check "cache: an unreadable entry listed as such" grep -q "^(unreadable)	-	-	5$" "$scratch/list3"
run clear cache clear --cache-dir "$cache"
check "cache clear: exit 0" test "$rc" -eq 0
check "cache clear: no entry left" test -z "$(entry)"
check "cache clear: the memo removed" test ! -e "$memo"
check "cache clear: other files kept" test -e "$cache/notes.txt"
run list4 cache --cache-dir "$cache"
check "cache after clear: empty list" test "$rc" -eq 0 -a ! -s "$scratch/list4"
run list5 cache --cache-dir "$scratch/nowhere"
check "cache of a missing directory: empty, exit 0, not created" \
	test "$rc" -eq 0 -a ! -s "$scratch/list5" -a ! -e "$scratch/nowhere"
run clear2 cache clear --cache-dir "$scratch/nowhere"
check "cache clear of a missing directory: exit 0" test "$rc" -eq 0
CAPSPROBE_CACHE_DIR=$cache PATH=$bin capsprobe host >/dev/null 2>&1
check "cache honours CAPSPROBE_CACHE_DIR" test "$(CAPSPROBE_CACHE_DIR=$cache capsprobe cache | unmemo | wc -l)" -eq 1
run badaction cache frob --cache-dir "$cache"
check "cache frob: usage error" test "$rc" -eq 1
run cachehelp cache --help
check "cache --help mentions clear" grep -q "cache clear" "$scratch/cachehelp"

# ---- 16 concurrent runs sharing one cache ----
# (16 probes at once on a loaded machine can take a while: a limit far
# above that, so that what is checked is the cache, not the clock)
shared=$scratch/shared
for i in $(seq 16); do
	PATH=$bin capsprobe host --cache-dir "$shared" --timeout 600 >"$scratch/par$i" 2>"$scratch/par$i.err" &
done
wait
same=1
for i in $(seq 16); do
	cmp -s "$scratch/cold" "$scratch/par$i" || same=0
	[ -s "$scratch/par$i.err" ] && same=0
done
check "16 concurrent runs: identical outputs, no warning" test "$same" -eq 1
check "16 concurrent runs: one entry, no temporary file" \
	test "$(ls -A "$shared" | grep -vx modules.json | wc -l)" -eq 1 -a -n "$(ls "$shared"/*.json)"
before=$(starts)
PATH=$bin capsprobe host --cache-dir "$shared" -v >"$scratch/par-after" 2>"$scratch/par-after.err"
check "16 concurrent runs: the entry is valid (a hit)" \
	test "$(starts)" -eq "$before" -a -n "$(grep "from the cache" "$scratch/par-after.err")"
check "16 concurrent runs: the entry is whole (listed with its emulator and version)" \
	test "$(capsprobe cache --cache-dir "$shared" | unmemo | cut -f1,2)" = "$emu"$'\t'"7.2.22"
check "16 concurrent runs: the entry is the one a single run writes (but for its time)" \
	cmp -s <(sed 's/"written":[0-9]*//' "$(cache=$shared entry)") <(sed 's/"written":[0-9]*//' "$(entry)")

# ---- emulators ----
ecache=$scratch/ecache
tab=$(printf '\t')
run em1 emulators --cache-dir "$ecache"
check "emulators: exit 0" test "$rc" -eq 0
check "emulators: the fake emulator, probed" \
	test "$(cat "$scratch/em1")" = "$emu${tab}x86_64${tab}7.2.22${tab}yes${tab}no"
run em2 emulators --cache-dir "$ecache"
check "emulators again: from the cache, nothing started" \
	test "$new" -eq 0 -a "$(cat "$scratch/em2")" = "$emu${tab}x86_64${tab}7.2.22${tab}yes${tab}yes"
run em3 emulators --cache-dir "$ecache" --no-cache
check "emulators --no-cache: probed" test "$new" -ge 1 -a "$(cut -f5 "$scratch/em3")" = no
# several emulators, one failing, in libvirt's arch order
mixed=$scratch/mixed
mkdir -p "$mixed"
for a in aarch64 riscv64 s390x; do cp "$scratch/fake-qemu" "$mixed/qemu-system-$a"; done
cat >"$mixed/qemu-system-alpha" <<'EOF'
#!/bin/sh
exit 3
EOF
chmod +x "$mixed/qemu-system-alpha"
CAPSPROBE_FAKE_REPLIES=$FIXTURES/qemu/7.2.22-aarch64.replies PATH=$mixed \
	capsprobe emulators --cache-dir "$scratch/mcache" >"$scratch/mixed.out" 2>"$scratch/mixed.err"
rc=$?
check "emulators, one failing: exit 0" test "$rc" -eq 0
check "emulators: one line per binary, in arch order" \
	test "$(cut -f1 "$scratch/mixed.out" | xargs -n1 basename | tr '\n' ' ')" = \
	"qemu-system-alpha qemu-system-aarch64 qemu-system-riscv64 qemu-system-s390x "
check "emulators: the failing one as dashes" \
	grep -q "^$mixed/qemu-system-alpha${tab}-${tab}-${tab}-${tab}no$" "$scratch/mixed.out"
check "emulators: a warning for it" \
	test "$(grep -c "^warning: $mixed/qemu-system-alpha: " "$scratch/mixed.err")" -eq 1 \
	-a "$(wc -l <"$scratch/mixed.err")" -eq 1
check "emulators: five tab-separated fields" test "$(awk -F'\t' 'NF != 5' "$scratch/mixed.out" | wc -l)" -eq 0
run emhelp emulators --help
check "emulators --help documents the columns" grep -q "CACHED" "$scratch/emhelp"
run embad emulators --frob
check "emulators: unknown option is a usage error" test "$rc" -eq 1

check "no emulator process left behind" none_left "$scratch/"
check "no temporary file left behind" test -z "$(ls -A "$TMPDIR")"
finish
