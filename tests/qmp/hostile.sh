#!/bin/bash
# Faults and a hostile environment through the CLI (issue 6):
# - SIGINT, SIGTERM or SIGKILL of capsprobe mid-probe leave no emulator, no
#   temporary file and no partial cache entry; an emulator killed in the
#   middle of the conversation is one clean error;
# - a full or read-only cache file system: the document still, one warning;
# - emulator paths with spaces and XML-special bytes, a symlinked emulator,
#   a PATH with relative, missing, non-directory and locked entries;
# - a flooded firmware directory and a descriptor that is not JSON; a
#   recorded tree pointing at /dev/zero or holding a 16 GiB file;
# - QEMU sees a clean environment and no descriptor of ours; capsprobe
#   writes nowhere but its cache (strace); a cache-directory symlink owned
#   by another user is not followed;
# - as nobody (root and setpriv needed): every command works, /dev/kvm
#   present but unusable means TCG only, and nothing differs from root's
#   output but what needs privilege.
# The emulator is tests/fake-qemu (CAPSPROBE_FAKE_DUMP says what it got,
# CAPSPROBE_FAKE_LINGER keeps it alive after QMP EOF as QEMU 7.2 does).
. "$(dirname "$0")/../lib.sh" || exit 99

[ -x "${FAKE_QEMU:-}" ] || { echo "SKIP: no fake-qemu (set FAKE_QEMU)"; exit 77; }
export TMPDIR=$scratch/tmp
mkdir -p "$TMPDIR"
# the KVM recordings replayed below were made where KVM worked
kvm_host || { echo "ERROR: cannot state the KVM facts"; exit 99; }
bin=$scratch/bin
mkdir -p "$bin"
cp "$FAKE_QEMU" "$bin/qemu-system-x86_64"
fake=$bin/qemu-system-x86_64
export CAPSPROBE_FAKE_REPLIES=$FIXTURES/qemu/7.2.22-x86_64-kvm.replies
dumps=$scratch/dumps
mkdir -p "$dumps"
tab=$(printf '\t')

# wait_stalled: until an emulator says (CAPSPROBE_FAKE_DUMP's handshake)
# that capsprobe waits on it for an answer that never comes, its pid then in
# $stalled; a minute at most, far more than a start takes on a loaded machine
wait_stalled() {
	local i f
	stalled=
	for i in $(seq 600); do
		for f in "$dumps"/*.stalled; do
			[ -e "$f" ] && { f=${f##*/}; stalled=${f%.stalled}; return 0; }
		done
		sleep 0.1
	done
	return 1
}

# A reference document (uncached) for the comparisons below.
PATH=$bin capsprobe host --no-cache >"$scratch/ref.xml" 2>"$scratch/ref.err"
check "reference run: exit 0, quiet" test $? -eq 0 -a ! -s "$scratch/ref.err"

# ---- signals mid-probe ----
# The emulator hangs after its greeting; capsprobe is killed once it waits
# for an answer (the emulator says so).  (capsprobe runs directly, not under
# CAPSPROBE_WRAPPER, so that the signal reaches it.)
for cmd in host domain; do
	for sig in INT TERM KILL; do
		rm -rf "${dumps:?}"/* "$scratch/sc"
		if [ $cmd = host ]; then
			args=(host --cache-dir "$scratch/sc" --timeout 60)
		else
			args=(domain --emulator "$fake" --cache-dir "$scratch/sc" --timeout 60)
		fi
		# job control: a background job of a script would ignore SIGINT
		set -m
		# (and SIGINT back to its default: a suite started in the background
		# of a non-interactive shell inherits it ignored, and so would we)
		CAPSPROBE_FAKE_FAULT=hang CAPSPROBE_FAKE_LINGER=1 CAPSPROBE_FAKE_DUMP=$dumps PATH=$bin \
			/usr/bin/env --default-signal=INT,TERM,HUP "$CAPSPROBE" "${args[@]}" >"$scratch/sig.out" 2>"$scratch/sig.err" &
		pid=$!
		set +m
		check "$cmd $sig: capsprobe waits on the emulator" wait_stalled
		kill -"$sig" "$pid"
		{ wait "$pid"; } 2>/dev/null
		rc=$?
		check "$cmd, SIG$sig mid-probe: died of it (exit $rc)" test "$rc" -eq $((128 + $(kill -l "$sig")))
		check "$cmd, SIG$sig: no emulator left" none_left "$bin/"
		check "$cmd, SIG$sig: no temporary file left" test -z "$(ls -A "$TMPDIR")"
		# (but for the key's memo of *.so names, written whole before the probe)
		check "$cmd, SIG$sig: no cache entry, no temporary file in the cache" \
			test -z "$(ls -A "$scratch/sc" 2>/dev/null | grep -vx modules.json)"
		check "$cmd, SIG$sig: no half document" test ! -s "$scratch/sig.out"
	done
done

# ---- the emulator killed in the middle of the conversation ----
for cmd in host domain; do
	rm -rf "${dumps:?}"/*
	if [ $cmd = host ]; then
		args=(host --no-cache --timeout 60)
	else
		args=(domain --no-cache --emulator "$fake" --timeout 60)
	fi
	CAPSPROBE_FAKE_FAULT=hang CAPSPROBE_FAKE_DUMP=$dumps PATH=$bin \
		capsprobe "${args[@]}" >"$scratch/k.out" 2>"$scratch/k.err" &
	pid=$!
	if wait_stalled; then
		kill -KILL "$stalled"
	else
		bad "$cmd: the emulator never had capsprobe waiting"
		kill -KILL "$pid"
	fi
	wait "$pid"
	rc=$?
	check "$cmd, emulator SIGKILLed mid-conversation: exit 2 ($(head -1 "$scratch/k.err"))" test "$rc" -eq 2
	# domain: one error; host: a warning for the emulator, then the error
	check "$cmd, emulator SIGKILLed: said so, naming the emulator" \
		grep -q "$fake was killed by signal 9" "$scratch/k.err"
	check "$cmd, emulator SIGKILLed: one error line, last" \
		test "$(grep -c '^error: ' "$scratch/k.err")" -eq 1 -a -n "$(tail -1 "$scratch/k.err" | grep '^error: ')" \
		-a "$(wc -l <"$scratch/k.err")" -eq $([ $cmd = host ] && echo 2 || echo 1)
	check "$cmd, emulator SIGKILLed: no document" test ! -s "$scratch/k.out"
done
nothing_left() { none_left "$bin/" && test -z "$(ls -A "$TMPDIR")"; }
check "killed emulators: nothing left" nothing_left

# ---- full and read-only cache file systems (root: a private mount) ----
if [ "$(id -u)" -eq 0 ] && unshare -m true 2>/dev/null; then
	mkdir -p "$scratch/full" "$scratch/ro"
	# through the wrapper, as ref.xml was (valgrind's CPUID is not the host's)
	cat >"$scratch/mounts.sh" <<EOF
mount -t tmpfs -o size=16k,mode=0700 tmpfs '$scratch/full' || exit 99
PATH='$bin' ${CAPSPROBE_WRAPPER:-} $CAPSPROBE host --cache-dir '$scratch/full' >'$scratch/full.xml' 2>'$scratch/full.err'
echo \$? >'$scratch/full.rc'
ls -A '$scratch/full' >'$scratch/full.ls'
chmod 700 '$scratch/ro'
mount --bind '$scratch/ro' '$scratch/ro' && mount -o remount,bind,ro '$scratch/ro' || exit 99
PATH='$bin' ${CAPSPROBE_WRAPPER:-} $CAPSPROBE host --cache-dir '$scratch/ro' >'$scratch/ro.xml' 2>'$scratch/ro.err'
echo \$? >'$scratch/ro.rc'
EOF
	unshare -m sh "$scratch/mounts.sh"
	if [ $? -eq 99 ]; then
		skip "full and read-only file systems (cannot mount here)"
	else
		check "full disk: exit 0" test "$(cat "$scratch/full.rc")" -eq 0
		check "full disk: the same document" cmp -s "$scratch/ref.xml" "$scratch/full.xml"
		check "full disk: one warning ($(head -1 "$scratch/full.err"))" \
			test "$(wc -l <"$scratch/full.err")" -eq 1 -a \
			-n "$(grep '^warning: cannot write the probe cache entry .*: No space left on device$' "$scratch/full.err")"
		# (the key's small memo of *.so names may fit)
		check "full disk: nothing left in the cache" test -z "$(grep -vx modules.json "$scratch/full.ls")"
		check "read-only cache: exit 0" test "$(cat "$scratch/ro.rc")" -eq 0
		check "read-only cache: the same document" cmp -s "$scratch/ref.xml" "$scratch/ro.xml"
		check "read-only cache: one warning ($(head -1 "$scratch/ro.err"))" \
			test "$(wc -l <"$scratch/ro.err")" -eq 1 -a -n "$(grep '^warning: .*Read-only file system' "$scratch/ro.err")"
	fi
else
	skip "full and read-only file systems (need root and unshare)"
fi

# ---- odd emulator paths ----
odd="$scratch/odd dir <&>'\"é"
mkdir -p "$odd"
cp "$FAKE_QEMU" "$odd/qemu-system-x86_64"
PATH=$odd capsprobe host --no-cache >"$scratch/odd.xml" 2>"$scratch/odd.err"
check "odd PATH entry: exit 0, quiet" test $? -eq 0 -a ! -s "$scratch/odd.err"
check "odd PATH entry: well-formed" xmllint --noout "$scratch/odd.xml"
check "odd PATH entry: the path printed exactly" \
	test "$(xmllint --xpath 'string(//guest[1]/arch/emulator)' "$scratch/odd.xml")" = "$odd/qemu-system-x86_64"
capsprobe domain --no-cache --emulator "$odd/qemu-system-x86_64" >"$scratch/oddd.xml" 2>"$scratch/oddd.err"
check "odd --emulator: exit 0" test $? -eq 0
check "odd --emulator: the path printed exactly" \
	test "$(xmllint --xpath 'string(/domainCapabilities/path)' "$scratch/oddd.xml")" = "$odd/qemu-system-x86_64"
# paths XML cannot carry (a control character; bytes that are not UTF-8):
# that emulator is left out with a warning, never printed wrong or broken
for what in control utf8; do
	if [ $what = control ]; then bad="$scratch/c$(printf '\001')d"; else bad="$scratch/a$(printf '\377')b"; fi
	mkdir -p "$bad"
	cp "$FAKE_QEMU" "$bad/qemu-system-i386"
	PATH="$bad:$bin" capsprobe host --no-cache >"$scratch/bad.xml" 2>"$scratch/bad.err"
	check "$what in an emulator path: host exits 0" test $? -eq 0
	check "$what in an emulator path: one warning, naming the reason" \
		test "$(wc -l <"$scratch/bad.err")" -eq 1 -a -n "$(LC_ALL=C grep -a '^warning: .*cannot be printed in XML$' "$scratch/bad.err")"
	check "$what in an emulator path: well-formed, its guests left out, the others kept" \
		test "$(xmllint --xpath 'count(//guest[starts-with(arch/emulator, "'"$scratch/"'c") or contains(arch/emulator, "'"$scratch/a"'")])' "$scratch/bad.xml")" = 0 \
		-a "$(xmllint --xpath "count(//guest/arch/emulator[text()='$bin/qemu-system-x86_64'])" "$scratch/bad.xml")" -ge 1
	PATH="$bad:$bin" capsprobe emulators --no-cache >"$scratch/bade.out" 2>"$scratch/bade.err"
	check "$what in an emulator path: emulators warns once, lists only the others" \
		test $? -eq 0 -a "$(wc -l <"$scratch/bade.err")" -eq 1 -a "$(wc -l <"$scratch/bade.out")" -ge 1 \
		-a -z "$(LC_ALL=C grep -a -v "^$bin/" "$scratch/bade.out")"
	capsprobe domain --no-cache --emulator "$bad/qemu-system-i386" >"$scratch/badd.xml" 2>"$scratch/badd.err"
	check "$what in an emulator path: domain exits 2 with one error line, no document" \
		test $? -eq 2 -a "$(wc -l <"$scratch/badd.err")" -eq 1 -a ! -s "$scratch/badd.xml" \
		-a -n "$(LC_ALL=C grep -a '^error: .*cannot be printed in XML$' "$scratch/badd.err")"
done

# ---- a symlinked emulator ----
mkdir -p "$scratch/lnk"
ln -s "$fake" "$scratch/lnk/qemu-system-x86_64"
PATH=$scratch/lnk capsprobe host --no-cache >"$scratch/lnk.xml" 2>&1
check "symlinked emulator: probed, printed under the name found" \
	grep -q "<emulator>$scratch/lnk/qemu-system-x86_64</emulator>" "$scratch/lnk.xml"
check "symlinked emulator: same guests otherwise" \
	cmp -s <(sed "s|$scratch/lnk/|$bin/|" "$scratch/lnk.xml") "$scratch/ref.xml"
ln -s loop1 "$scratch/lnk/loop2"
ln -s loop2 "$scratch/lnk/loop1"
capsprobe domain --emulator "$scratch/lnk/loop1" >"$scratch/loop.out" 2>"$scratch/loop.err"
rc=$?
check "symlink loop as --emulator: exit 2, one error line ($(cat "$scratch/loop.err"))" \
	test $rc -eq 2 -a "$(wc -l <"$scratch/loop.err")" -eq 1 -a ! -s "$scratch/loop.out"

# ---- a PATH with relative, missing, non-directory and locked entries ----
mkdir -p "$scratch/cwd/bin" "$scratch/locked"
for d in "$scratch/cwd" "$scratch/cwd/bin" "$scratch/locked"; do
	printf '#!/bin/sh\necho ran >>"%s/trap.log"\nexit 1\n' "$scratch" >"$d/qemu-system-x86_64"
	chmod 755 "$d/qemu-system-x86_64"
done
chmod 000 "$scratch/locked"
: >"$scratch/afile"
(cd "$scratch/cwd" && PATH=".:bin::$scratch/nowhere:$scratch/afile:$scratch/locked/..x:$bin" \
	capsprobe host --no-cache >"$scratch/path.xml" 2>"$scratch/path.err")
check "odd PATH: exit 0" test $? -eq 0
check "odd PATH: relative entries never run" test ! -e "$scratch/trap.log"
check "odd PATH: the absolute entry's emulator" cmp -s "$scratch/ref.xml" "$scratch/path.xml"
chmod 755 "$scratch/locked"

# ---- firmware descriptors: a flood, and one that is not JSON ----
tree=$scratch/fwtree
cp -r "$FIXTURES/domain/host-x86_64-amd" "$tree"
mkdir -p "$tree/capsprobe/qemu/usr/bin/qemu-system-x86_64"
cp "$FIXTURES/qemu/7.2.22-x86_64"*.replies "$tree/capsprobe/qemu/usr/bin/qemu-system-x86_64/"
fw=$tree/usr/share/qemu/firmware
dom=(domain --sysroot "$tree" --emulator /usr/bin/qemu-system-x86_64 --machine q35 --virttype kvm)
capsprobe "${dom[@]}" >"$scratch/fw0.xml" 2>/dev/null
echo 'this is { not JSON' >"$fw/10-not-json.json"
capsprobe "${dom[@]}" >"$scratch/fw1.xml" 2>"$scratch/fw1.err"
rc=$?
check "descriptor not JSON: exit 0, same document" eval '[ $rc -eq 0 ] && cmp -s "$scratch/fw0.xml" "$scratch/fw1.xml"'
check "descriptor not JSON: one warning naming it ($(cat "$scratch/fw1.err"))" \
	test "$(wc -l <"$scratch/fw1.err")" -eq 1 -a -n "$(grep "^warning: skipping firmware descriptor /usr/share/qemu/firmware/10-not-json.json:1:" "$scratch/fw1.err")"
rm "$fw/10-not-json.json"
for i in $(seq -w 1 5000); do : >"$fw/90-flood-$i.json"; done
# (every file is read, as libvirt reads them; empty ones mask their name
# and are not parsed; timeout only guards against a hang)
start=$(date +%s%N)
timeout 300 ${CAPSPROBE_WRAPPER:-} "$CAPSPROBE" "${dom[@]}" >"$scratch/fw2.xml" 2>"$scratch/fw2.err"
rc=$?
ms=$((($(date +%s%N) - start) / 1000000))
check "5007 descriptor files: exit 0 ($ms ms)" test "$rc" -eq 0
check "5007 descriptor files: no warning (none is capped) ($(head -1 "$scratch/fw2.err"))" \
	test ! -s "$scratch/fw2.err"
check "5007 descriptor files: the real ones come first, same document" cmp -s "$scratch/fw0.xml" "$scratch/fw2.xml"

# ---- a recorded tree pointing outside itself, or never ending ----
t=$scratch/zero
cp -r "$(ls -d "$FIXTURES"/host/*/ | head -1)" "$t"
rm -f "$t/proc/cpuinfo" "$t/proc/meminfo"
ln -s /dev/zero "$t/proc/cpuinfo"
truncate -s 16G "$t/proc/meminfo"
# (reads stop at a cap: check_faults' sysroot_escapes_and_endless_files
# shows EFBIG; here timeout only guards against a hang)
start=$(date +%s%N)
timeout 300 "$CAPSPROBE" host --no-guests --sysroot "$t" >"$scratch/zero.xml" 2>"$scratch/zero.err"
rc=$?
ms=$((($(date +%s%N) - start) / 1000000))
check "/dev/zero symlink and a 16 GiB file in a tree: a clean outcome in $ms ms (exit $rc)" \
	eval '{ [ $rc -eq 0 ] && xmllint --noout "$scratch/zero.xml"; } || { [ $rc -eq 2 ] && [ ! -s "$scratch/zero.xml" ] && [ "$(wc -l <"$scratch/zero.err")" -eq 1 ]; }'
check "  ended by itself, not by the 300 s guard" test "$rc" -ne 124

# ---- what the emulator is given ----
rm -rf "${dumps:?}"/*
exec 7</dev/null 8>"$scratch/leak"
CAPSPROBE_TEST_SECRET=1 LD_LIBRARY_PATH=/nowhere CAPSPROBE_FAKE_DUMP=$dumps PATH=$bin \
	capsprobe domain --no-cache --emulator "$fake" --machine q35 --virttype kvm >/dev/null 2>&1
exec 7<&- 8>&-
d=$(cat "$dumps"/* 2>/dev/null)
check "emulator environment: LC_ALL=C, PATH, HOME and the test's own only" \
	test "$(grep '^env ' <<<"$d" | cut -d= -f1 | sort | tr '\n' ' ')" = \
	"env CAPSPROBE_FAKE_DUMP env CAPSPROBE_FAKE_REPLIES env HOME env LC_ALL env PATH "
check "emulator descriptors: 0-2 and the QMP socket only" \
	test "$(grep '^fd ' <<<"$d" | cut -d' ' -f2 | tr '\n' ' ')" = "0 1 2 3 "
check "emulator stdin is /dev/null" grep -qx 'fd 0 /dev/null' <<<"$d"

# ---- writes nowhere but the cache ----
if strace=$(command -v strace); then
	home=$scratch/home
	mkdir -p "$home"
	: >"$scratch/strace.log"
	for c in "host" "domain --emulator $fake --machine q35" "emulators" "host --refresh"; do
		# shellcheck disable=SC2086
		(cd "$home" && HOME=$home CAPSPROBE_CACHE_DIR=$home/cache PATH=$bin "$strace" -f -y -qq -o "$scratch/st" \
			-e trace=open,openat,creat,mkdir,mkdirat,rename,renameat,renameat2,unlink,unlinkat,rmdir,link,linkat,symlink,symlinkat,chmod,fchmodat,truncate \
			"$CAPSPROBE" $c >/dev/null 2>&1)
		cat "$scratch/st" >>"$scratch/strace.log"
	done
	# calls that may change the file system, by the capsprobe process
	# (the emulator's own calls come after its execve and are not ours;
	# under scripts/coverage, the counts libgcov writes are not ours either)
	writes=$(grep -v -e '= -1 ' "$scratch/strace.log" |
		grep -E 'O_WRONLY|O_RDWR|O_CREAT|O_TMPFILE|mkdir|rename|unlink|rmdir|link\(|linkat|symlink|chmod|truncate' |
		grep -v -e "$home/cache" -e '"/dev/null"' -e '"/dev/kvm"' -e '/proc/self/fd/' \
			${GCOV_PREFIX:+-e "\"$GCOV_PREFIX/"} ${GCOV_ERROR_FILE:+-e "\"$GCOV_ERROR_FILE\""})
	check "writes only inside the cache directory" test -z "$writes"
	[ -z "$writes" ] || head -5 <<<"$writes"
	check "  and did write there" test -n "$(ls "$home/cache"/*.json 2>/dev/null)"
	check "  nothing else in HOME" test "$(cd "$home" && find . -mindepth 1 -not -path './cache/*')" = ./cache
else
	skip "writes nowhere but the cache (strace not installed)"
fi

# ---- as nobody ----
# (not under a wrapper: valgrind running as nobody cannot use this test's
# root-owned temporary directory)
if [ -z "${CAPSPROBE_WRAPPER:-}" ] && [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null &&
   setpriv --reuid=nobody true 2>/dev/null; then
	nb=$scratch/nobody
	mkdir -p "$nb/home" "$nb/bin"
	cp "$CAPSPROBE" "$nb/capsprobe"
	cp "$FAKE_QEMU" "$nb/bin/qemu-system-x86_64"
	# both passes: a TCG document on a KVM host needs the TCG one too
	cat "$CAPSPROBE_FAKE_REPLIES" "$FIXTURES/qemu/7.2.22-x86_64-tcg.replies" >"$nb/replies"
	chmod 755 "$scratch" "$nb" "$nb/bin"
	chown -R nobody "$nb/home"
	as_nobody() {
		setpriv --reuid=nobody --regid=nogroup --clear-groups env HOME="$nb/home" PATH="$nb/bin" \
			CAPSPROBE_CACHE_DIR="$nb/home/cache" CAPSPROBE_FAKE_REPLIES="$nb/replies" \
			${CAPSPROBE_WRAPPER:-} "$nb/capsprobe" "$@"
	}
	as_root() {
		PATH="$nb/bin" CAPSPROBE_FAKE_REPLIES="$nb/replies" capsprobe "$@"
	}
	for c in host emulators cache "domain --virttype qemu"; do
		# shellcheck disable=SC2086
		as_nobody $c >"$scratch/nb.out" 2>"$scratch/nb.err"
		rc=$?
		check "as nobody: $c: exit 0 ($(head -1 "$scratch/nb.err"))" test "$rc" -eq 0
	done
	as_nobody domain --virttype qemu --no-cache >"$scratch/nb-dom.xml" 2>/dev/null
	as_root domain --virttype qemu --no-cache >"$scratch/root-dom.xml" 2>/dev/null
	check "as nobody: the TCG domain document is root's" \
		eval 'test -s "$scratch/nb-dom.xml" && cmp -s "$scratch/nb-dom.xml" "$scratch/root-dom.xml"' 
	as_nobody host --no-cache >"$scratch/nb-host.xml" 2>/dev/null
	as_root host --no-cache >"$scratch/root-host.xml" 2>/dev/null
	guests() { sed -n '/^  <guest>/,/^  <\/guest>/p' "$1" | grep -v "<domain type='kvm'"; }
	check "as nobody: the guests are root's" cmp -s <(guests "$scratch/nb-host.xml") <(guests "$scratch/root-host.xml")
	# a user's own cache directory: $XDG_CACHE_HOME/capsprobe when that is
	# absolute, else ~/.cache/capsprobe (the XDG spec ignores relative ones)
	mkdir -p "$nb/home/work"
	chown nobody "$nb/home/work"
	user_cache() { # XDG_CACHE_HOME
		(cd "$nb/home/work" && setpriv --reuid=nobody --regid=nogroup --clear-groups \
			env -u CAPSPROBE_CACHE_DIR HOME="$nb/home" XDG_CACHE_HOME="$1" PATH="$nb/bin" \
			CAPSPROBE_FAKE_REPLIES="$nb/replies" "$nb/capsprobe" emulators >/dev/null 2>&1)
	}
	user_cache "$nb/home/xdg"
	check "as nobody: an absolute XDG_CACHE_HOME holds the cache" \
		test -n "$(ls "$nb/home/xdg/capsprobe/"*.json 2>/dev/null)"
	check "as nobody: the cache directory is the user's, 0700" \
		test "$(stat -c '%U %a' "$nb/home/xdg/capsprobe")" = "nobody 700"
	user_cache "rel/xdg"
	check "as nobody: a relative XDG_CACHE_HOME is ignored: ~/.cache/capsprobe" \
		test -n "$(ls "$nb/home/.cache/capsprobe/"*.json 2>/dev/null)" -a ! -e "$nb/home/work/rel"
	diff <(guests "$scratch/nb-host.xml") <(guests "$scratch/root-host.xml") | head -5
	# /dev/kvm present but unusable: only a real QEMU finds out (the
	# fake's recorded answers say KVM works)
	qemu=/usr/bin/qemu-system-x86_64
	if [ -c /dev/kvm ] && [ -x $qemu ] && ! setpriv --reuid=nobody --regid=nogroup --clear-groups sh -c ': <>/dev/kvm' 2>/dev/null; then
		mkdir -p "$nb/qbin"
		ln -s $qemu "$nb/qbin/qemu-system-x86_64"
		chmod 755 "$nb/qbin"
		as_nobody_q() {
			setpriv --reuid=nobody --regid=nogroup --clear-groups env HOME="$nb/home" PATH="$nb/qbin" \
				${CAPSPROBE_WRAPPER:-} "$nb/capsprobe" "$@"
		}
		as_nobody_q host --no-cache >"$scratch/nbq.xml" 2>"$scratch/nbq.err"
		rc=$?
		check "/dev/kvm unusable: host exits 0 ($(head -1 "$scratch/nbq.err"))" test $rc -eq 0
		check "  no KVM guest domain" bash -c "! grep -q \"<domain type='kvm'\" '$scratch/nbq.xml'"
		check "  but the TCG one" grep -q "<domain type='qemu'/>" "$scratch/nbq.xml"
		as_nobody_q domain --no-cache >"$scratch/nb-def.xml" 2>/dev/null
		check "  domain picks TCG by itself" grep -q '^  <domain>qemu</domain>$' "$scratch/nb-def.xml"
		as_nobody_q domain --no-cache --virttype kvm >"$scratch/nb-kvm.xml" 2>"$scratch/nb-kvm.err"
		rc=$?
		check "  --virttype kvm: exit 2, one error ($(cat "$scratch/nb-kvm.err"))" \
			test $rc -eq 2 -a "$(wc -l <"$scratch/nb-kvm.err")" -eq 1 -a ! -s "$scratch/nb-kvm.xml"
	else
		skip "/dev/kvm unusable by nobody (/dev/kvm absent or usable by nobody, or no $qemu)"
	fi
	# a cache directory that is a symlink owned by somebody else
	mkdir -p "$scratch/target"
	ln -s "$scratch/target" "$scratch/foreign"
	chown -h nobody "$scratch/foreign"
	PATH=$bin capsprobe host --cache-dir "$scratch/foreign" >"$scratch/fl.xml" 2>"$scratch/fl.err"
	rc=$?
	check "cache dir a symlink of another user's: exit 0, the document" \
		eval '[ $rc -eq 0 ] && cmp -s "$scratch/ref.xml" "$scratch/fl.xml"'
	check "  one warning ($(cat "$scratch/fl.err"))" \
		test "$(wc -l <"$scratch/fl.err")" -eq 1 -a -n "$(grep "not using the cache" "$scratch/fl.err")"
	check "  nothing written through it" test -z "$(ls -A "$scratch/target")"
else
	skip "as nobody (need root and setpriv, and no wrapper)"
fi

check "no emulator process left behind" none_left "$scratch/"
check "no temporary file left behind" test -z "$(ls -A "$TMPDIR")"
finish
