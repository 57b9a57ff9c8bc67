#!/bin/bash
# The unprivileged part of the suite (issue 16): capsprobe run by a user who
# is not root, with a HOME of its own, through the fake emulator.
# - the probe cache lands in $XDG_CACHE_HOME/capsprobe when that is absolute,
#   else in $HOME/.cache/capsprobe (a relative or empty XDG_CACHE_HOME is
#   ignored), private (directories 0700, entries 0600, the user's), is used
#   on the next run, and nothing is written outside the user's directories;
# - without a usable home: the document, one warning, no cache;
# - `record` as the user records privileged=0 and no MSR value, and that
#   recording replays (as root) to the user's own document;
# - `host` differs from root's only by the dac security model (and the DMI
#   uuid when only root can read it); the TCG `domain` document is root's,
#   and a golden replay as the user is libvirt's;
# - what the user may not use (root's cache, a tree it cannot read, a
#   directory it cannot write) is one clear error or warning.
# Run as root, the checks drop to nobody (setpriv); run as another user,
# they run as that user; otherwise the script is skipped (77).
. "$(dirname "$0")/lib.sh" || exit 99

[ -x "${FAKE_QEMU:-}" ] || { echo "SKIP: no fake-qemu (set FAKE_QEMU)"; exit 77; }
if [ "$(id -u)" -eq 0 ]; then
	command -v setpriv >/dev/null || { echo "SKIP: running as root and no setpriv to become nobody"; exit 77; }
	user=nobody
	group=$(id -gn nobody 2>/dev/null) || { echo "SKIP: running as root and no user nobody"; exit 77; }
	setpriv --reuid=nobody --regid="$group" --clear-groups true 2>/dev/null ||
		{ echo "SKIP: running as root but setpriv cannot become nobody"; exit 77; }
	drop=1
else
	user=$(id -un)
	drop=
fi
uid=$(id -u "$user")

# the user's own area: a HOME, a TMPDIR, the binaries (the build tree may be
# unreadable to it)
u=$scratch/u
mkdir -p "$u/home" "$u/tmp" "$u/bin" "$u/work"
cp "$CAPSPROBE" "$u/capsprobe"
cp "$FAKE_QEMU" "$u/fake-qemu"
# both passes: a TCG document on a KVM host needs the TCG one too
cat "$FIXTURES/qemu/7.2.22-x86_64-kvm.replies" "$FIXTURES/qemu/7.2.22-x86_64-tcg.replies" >"$u/replies"
# the emulator logs each start: a cache hit is a run that starts none
cat >"$u/bin/qemu-system-x86_64" <<EOF
#!/bin/sh
echo start >>'$u/tmp/starts'
exec '$u/fake-qemu' "\$@"
EOF
chmod 755 "$scratch" "$u" "$u/bin" "$u/bin/qemu-system-x86_64" "$u/capsprobe" "$u/fake-qemu"
chmod 644 "$u/replies"
: >"$u/tmp/starts"
if [ -n "$drop" ]; then
	chown "$user" "$u/home" "$u/tmp" "$u/tmp/starts" "$u/work"
	as_user() { setpriv --reuid="$user" --regid="$group" --clear-groups "$@"; }
	wrap=	# valgrind as nobody cannot use the root-owned scratch directory
else
	as_user() { "$@"; }
	wrap=${CAPSPROBE_WRAPPER:-}
fi
starts() { wc -l <"$u/tmp/starts"; }
# user [VAR=VALUE]... -- ARGS...: capsprobe ARGS as the user, in $u/work,
# with only the environment given (HOME unless overridden); output in
# $scratch/out, stderr in $scratch/err, exit status in $rc
run_user() {
	local env=(HOME="$u/home" PATH="$u/bin" TMPDIR="$u/tmp" CAPSPROBE_FAKE_REPLIES="$u/replies")
	while [ "$1" != -- ]; do env+=("$1"); shift; done
	shift
	# shellcheck disable=SC2086
	(cd "$u/work" && as_user /usr/bin/env -i "${env[@]}" $wrap "$u/capsprobe" "$@") \
		>"$scratch/out" 2>"$scratch/err"
	rc=$?
}
err1() { head -1 "$scratch/err"; }
# entries DIR: the cache entries (*.json) in DIR
entries() { find "$1" -maxdepth 1 -name '*.json' 2>/dev/null | wc -l; }
home_files() { (cd "$u/home" && find . -mindepth 1 | sort); }
# mode_owner PATH: "MODE OWNER-UID" of PATH
mode_owner() { stat -c '%a %u' "$1"; }

echo "running as $user (uid $uid)${drop:+, dropped from root}"
check "the runs below are not root's" test "$uid" -ne 0

# ---- the cache directory ----
# an absolute XDG_CACHE_HOME: the cache is $XDG_CACHE_HOME/capsprobe
n0=$(starts)
run_user XDG_CACHE_HOME="$u/home/xdg" -- domain --virttype qemu
check "XDG_CACHE_HOME absolute: domain exits 0, quiet ($(err1))" test "$rc" -eq 0 -a ! -s "$scratch/err"
cp "$scratch/out" "$scratch/dom-cold.xml"
check "  the entry is in \$XDG_CACHE_HOME/capsprobe" test "$(entries "$u/home/xdg/capsprobe")" -ge 1
check "  nothing under \$HOME but it" test "$(home_files | tr '\n' ' ')" = \
	"./xdg ./xdg/capsprobe $(cd "$u/home" && find ./xdg/capsprobe -mindepth 1 | sort | tr '\n' ' ')"
check "  the directories it made are the user's, 0700" \
	test "$(mode_owner "$u/home/xdg") $(mode_owner "$u/home/xdg/capsprobe")" = "700 $uid 700 $uid"
bad_modes=$(find "$u/home/xdg/capsprobe" -type f \( -not -perm 600 -o -not -uid "$uid" \) 2>/dev/null)
check "  every entry is the user's, 0600 ($(ls "$u/home/xdg/capsprobe" | tr '\n' ' '))" \
	test -z "$bad_modes" -a -n "$(ls "$u/home/xdg/capsprobe")"
check "  the emulator ran ($(($(starts) - n0)) starts)" test "$(starts)" -gt "$n0"
n0=$(starts)
run_user XDG_CACHE_HOME="$u/home/xdg" -- domain --virttype qemu
check "  a second run is a hit: no emulator start, the same document" \
	eval 'test $rc -eq 0 && test "$(starts)" -eq $n0 && cmp -s "$scratch/out" "$scratch/dom-cold.xml"'
run_user XDG_CACHE_HOME="$u/home/xdg" -- cache list
check "  \`cache list\` as the user shows the entry ($(head -1 "$scratch/out"))" \
	eval 'test $rc -eq 0 && grep -q "^$u/bin/qemu-system-x86_64$(printf "\t")" "$scratch/out"'
run_user XDG_CACHE_HOME="$u/home/xdg" -- cache clear
check "  \`cache clear\` as the user empties it" \
	eval 'test $rc -eq 0 && test "$(entries "$u/home/xdg/capsprobe")" -eq 0'

# no XDG_CACHE_HOME, a relative one, an empty one: $HOME/.cache/capsprobe
for xdg in unset "rel/xdg" "" "./xdg"; do
	rm -rf "${u:?}/home/"* "$u/home/".[!.]* "${u:?}/work/"*
	if [ "$xdg" = unset ]; then
		run_user -- domain --virttype qemu
		what="XDG_CACHE_HOME unset"
	else
		run_user XDG_CACHE_HOME="$xdg" -- domain --virttype qemu
		what="XDG_CACHE_HOME='$xdg'"
	fi
	check "$what: exit 0, quiet ($(err1))" test "$rc" -eq 0 -a ! -s "$scratch/err"
	check "  the entry is in \$HOME/.cache/capsprobe" test "$(entries "$u/home/.cache/capsprobe")" -ge 1
	check "  \$HOME/.cache and its capsprobe are the user's, 0700" \
		test "$(mode_owner "$u/home/.cache") $(mode_owner "$u/home/.cache/capsprobe")" = "700 $uid 700 $uid"
	check "  nothing made relative to the working directory ($(ls -A "$u/work" | tr '\n' ' '))" \
		test -z "$(ls -A "$u/work")"
	check "  nothing else under \$HOME" test -z "$(home_files | grep -v '^\./\.cache\(/capsprobe\(/.*\)\?\)\?$')"
done

# leftover temporary files of killed runs: the user's own, a few minutes
# old, are swept when an entry is written; a fresh one (a run writing now)
# and one of another user's (root may write there) are not
rm -rf "${u:?}/home/".[!.]*
run_user -- domain --virttype qemu
c=$u/home/.cache/capsprobe
for f in old-mine new-mine old-root; do echo '{"format":' >"$c/.tmp-$f"; done
[ -z "$drop" ] || chown "$user" "$c/.tmp-old-mine" "$c/.tmp-new-mine"
touch -d '10 minutes ago' "$c/.tmp-old-mine" "$c/.tmp-old-root"
run_user -- domain --virttype qemu --refresh
check "temporary leftovers: a writing run exits 0 ($(err1))" test "$rc" -eq 0
check "  the user's old one swept" test ! -e "$c/.tmp-old-mine"
check "  the user's fresh one kept (a run may be writing it)" test -e "$c/.tmp-new-mine"
if [ -n "$drop" ]; then
	check "  root's old one kept" test -e "$c/.tmp-old-root"
else
	skip "another user's leftover kept (not root: cannot make one)"
fi

# an existing cache directory that others may write: refused, uncached
for mode in 777 770 757; do
	rm -rf "${u:?}/home/".[!.]*
	mkdir -p "$u/home/.cache/capsprobe"
	chmod "$mode" "$u/home/.cache/capsprobe"
	[ -z "$drop" ] || chown -R "$user" "$u/home/.cache"
	run_user -- domain --virttype qemu
	check "a cache directory of mode $mode: exit 0, the document ($(err1))" \
		eval 'test $rc -eq 0 && cmp -s "$scratch/out" "$scratch/dom-cold.xml"'
	check "  one warning, not using the cache" \
		test "$(wc -l <"$scratch/err")" -eq 1 -a -n "$(grep '^warning: .*writable by others.*not using the cache' "$scratch/err")"
	check "  nothing written there" test "$(entries "$u/home/.cache/capsprobe")" -eq 0
done
rm -rf "${u:?}/home/".[!.]*

# no home at all: nobody's passwd home is /nonexistent
pwhome=$(getent passwd "$user" | cut -d: -f6)
if [ -n "$drop" ] && [ ! -e "$pwhome" ]; then
	run_user HOME= -- domain --virttype qemu
	check "no HOME, no XDG_CACHE_HOME, passwd home $pwhome absent: exit 0, the document" \
		eval 'test $rc -eq 0 && cmp -s "$scratch/out" "$scratch/dom-cold.xml"'
	check "  one warning naming $pwhome ($(err1))" \
		test "$(wc -l <"$scratch/err")" -eq 1 -a -n "$(grep "^warning: .*$pwhome/.cache/capsprobe.*not using the cache" "$scratch/err")"
	check "  $pwhome still absent" test ! -e "$pwhome"
	run_user HOME=relative/home -- domain --virttype qemu
	check "a relative HOME is not used either (passwd home instead: $(err1))" \
		eval 'test $rc -eq 0 && grep -q "$pwhome/.cache/capsprobe" "$scratch/err" && test -z "$(ls -A "$u/work")"'
else
	skip "no usable home (needs a user whose passwd home is absent: nobody, dropped from root)"
fi

# ---- writes only in the user's own directories ----
strace=$(command -v strace) && why=$(as_user "$strace" -f -qq -o /dev/null true 2>&1) || why="${why:-no strace}"
if [ -n "$strace" ] && [ -z "$why" ]; then
	rm -rf "${u:?}/home/".[!.]* "$u/home/"*
	: >"$u/tmp/strace.log"
	for c in "host" "domain --virttype qemu" "emulators" "host --refresh" "cache clear"; do
		# shellcheck disable=SC2086
		(cd "$u/work" && as_user /usr/bin/env -i HOME="$u/home" PATH="$u/bin" TMPDIR="$u/tmp" \
			CAPSPROBE_FAKE_REPLIES="$u/replies" "$strace" -f -y -qq -o "$u/tmp/st" \
			-e trace=open,openat,creat,mkdir,mkdirat,rename,renameat,renameat2,unlink,unlinkat,rmdir,link,linkat,symlink,symlinkat,chmod,fchmodat,truncate \
			"$u/capsprobe" $c >/dev/null 2>&1)
		cat "$u/tmp/st" >>"$scratch/strace.log"
	done
	# calls that may change the file system (the fake emulator's own, after
	# its execve, write only its start log)
	writes=$(grep -v -e '= -1 ' "$scratch/strace.log" |
		grep -E 'O_WRONLY|O_RDWR|O_CREAT|O_TMPFILE|mkdir|rename|unlink|rmdir|link\(|linkat|symlink|chmod|truncate' |
		grep -v -E -e "[<\"]($u/home/.cache(/capsprobe)?|$u/tmp)[/>\"]" -e '"/dev/null"' -e '/proc/self/fd/')
	check "as the user, writes only in \$HOME/.cache/capsprobe and \$TMPDIR" test -z "$writes"
	[ -z "$writes" ] || head -5 <<<"$writes"
else
	skip "writes only in the user's directories (strace as $user: $(head -1 <<<"$why"))"
fi
# and nothing of the user's in root's cache or root's home
theirs=$(find /var/cache/capsprobe "$(getent passwd root | cut -d: -f6)/.cache/capsprobe" -uid "$uid" 2>/dev/null | head -3)
check "nothing of the user's in root's cache directories" test -z "$theirs"

# ---- documents ----
rm -rf "${u:?}/home/".[!.]*
run_user -- host --no-cache
check "host as the user: exit 0, quiet ($(err1))" test "$rc" -eq 0 -a ! -s "$scratch/err"
cp "$scratch/out" "$scratch/user-host.xml"
check "  no dac security model" eval '! grep -q "<model>dac</model>" "$scratch/user-host.xml"'
check "  complete" grep -q '^</capabilities>$' "$scratch/user-host.xml"
check "  no cache written (--no-cache)" test ! -e "$u/home/.cache"
run_user -- domain --virttype qemu --no-cache
check "domain --virttype qemu as the user: exit 0 ($(err1))" test "$rc" -eq 0
cp "$scratch/out" "$scratch/user-dom.xml"
if [ -n "$drop" ]; then
	as_root() {
		(cd "$u/work" && /usr/bin/env -i HOME="$scratch/roothome" PATH="$u/bin" TMPDIR="$u/tmp" \
			CAPSPROBE_FAKE_REPLIES="$u/replies" ${CAPSPROBE_WRAPPER:-} "$u/capsprobe" "$@")
	}
	as_root domain --virttype qemu --no-cache >"$scratch/root-dom.xml" 2>/dev/null
	check "  the TCG domain document is root's" \
		eval 'test -s "$scratch/root-dom.xml" && cmp -s "$scratch/user-dom.xml" "$scratch/root-dom.xml"'
	as_root host --no-cache >"$scratch/root-host.xml" 2>/dev/null
	# what needs privilege: the dac model; the DMI uuid when only root reads it
	nodac() { perl -0pe 's{\n *<secmodel>\n *<model>dac</model>.*?</secmodel>}{}s' "$1"; }
	nouuid=cat
	uuid=/sys/devices/virtual/dmi/id/product_uuid
	[ -r "$uuid" ] && ! as_user test -r "$uuid" && nouuid="grep -v <uuid>"
	# root's has the dac model when the host has a QEMU user and group to
	# label with, as libvirt's (Debian's libvirt-qemu, Fedora's qemu)
	qemu_ids() { getent passwd "$1" >/dev/null && getent group "$1" >/dev/null; }
	if grep -qE '^[[:space:]]*(user|group)[[:space:]]*=' /etc/libvirt/qemu.conf 2>/dev/null; then
		skip "host: root's dac model (qemu.conf names its own user)"
	elif qemu_ids libvirt-qemu || qemu_ids qemu; then
		check "host: root's has the dac model" grep -q '<model>dac</model>' "$scratch/root-host.xml"
	else
		check "host: root's has no dac model either (no QEMU user on this host)" \
			eval '! grep -q "<model>dac</model>" "$scratch/root-host.xml" && grep -q "<model>none</model>" "$scratch/root-host.xml"'
	fi
	check "host: the user's is root's but for what needs privilege" \
		cmp -s <(nodac "$scratch/root-host.xml" | $nouuid) <($nouuid "$scratch/user-host.xml")
	diff <(nodac "$scratch/root-host.xml" | $nouuid) <($nouuid "$scratch/user-host.xml") | head -5
else
	skip "the user's documents against root's (not root: cannot run as root)"
fi
# a golden replay as the user prints libvirt's document (as root's does)
t=$u/work/golden
cp -r "$FIXTURES/domain/host-x86_64-amd" "$t"
mkdir -p "$t/capsprobe/qemu/usr/bin/qemu-system-x86_64"
cp "$FIXTURES/qemu/7.2.22-x86_64"*.replies "$t/capsprobe/qemu/usr/bin/qemu-system-x86_64/"
chmod -R a+rX "$t"
run_user -- domain --sysroot "$t" --emulator /usr/bin/qemu-system-x86_64 --machine q35 --virttype qemu
check "golden replay as the user: libvirt's x86_64-q35-qemu document ($(err1))" \
	eval 'test $rc -eq 0 && cmp -s "$scratch/out" "$FIXTURES/domain/x86_64-q35-qemu.xml"'

# ---- a recording as the user ----
run_user -- record "$u/work/rec"
check "record as the user: exit 0 ($(err1))" test "$rc" -eq 0
check "  privileged recorded as 0" test "$(cat "$u/work/rec/capsprobe/privileged" 2>/dev/null)" = 0
check "  no MSR value recorded (the MSR device is root's)" \
	test -f "$u/work/rec/capsprobe/msr" -a -z "$(grep -v '^#' "$u/work/rec/capsprobe/msr" 2>/dev/null)"
bad_modes=$(find "$u/work/rec" \( -type f -not -perm 644 \) -o \( -type d -not -perm 755 \) -o -not -uid "$uid" | head -3)
check "  the tree is the user's, files 0644, directories 0755 ($bad_modes)" test -z "$bad_modes"
# replayed (by root when we are root), it is the user's live document
capsprobe host --sysroot "$u/work/rec" >"$scratch/rec-host.xml" 2>"$scratch/rec.err"
check "  replayed, it prints the user's live host document" cmp -s "$scratch/rec-host.xml" "$scratch/user-host.xml"
diff "$scratch/rec-host.xml" "$scratch/user-host.xml" | head -5
# the recorded privileged fact decides, not the replaying user: a root
# recording replayed as the user keeps its dac model, and privileged=0
# stated takes it away
# (a copy the user can reach: the checkout may sit under a directory of
# mode 0700, as check-asan's does)
fx=$scratch/milan
cp -r "$FIXTURES/host/x86-epyc-milan-kvm-2cpu" "$fx"
chmod -R a+rX "$fx"
run_user -- host --sysroot "$fx"
check "a root recording replayed as the user: its own document, dac included ($(err1))" \
	eval 'test $rc -eq 0 && cmp -s "$scratch/out" "$FIXTURES/host/x86-epyc-milan-kvm-2cpu.xml" && grep -q "<model>dac</model>" "$scratch/out"'
mkdir -p "$scratch/facts"
echo 0 >"$scratch/facts/privileged"
chmod -R a+rX "$scratch/facts"
run_user CAPSPROBE_FACTS="$scratch/facts" -- host --sysroot "$fx"
check "  with privileged=0 stated: no dac model ($(err1))" \
	eval 'test $rc -eq 0 && grep -q "<model>none</model>" "$scratch/out" && ! grep -q "<model>dac</model>" "$scratch/out"'

# ---- what the user may not use ----
# directories of mode 0 (root's when we are root, else the user's own: only
# a capability would let the user in)
locked=$scratch/locked
mkdir -p "$locked/cache" "$locked/tree"
cp -r "$FIXTURES/host/x86-epyc-milan-kvm-2cpu/." "$locked/tree/"
chmod 755 "$locked"
chmod 0 "$locked/cache" "$locked/tree"
if as_user test -w "$locked/cache" || as_user test -r "$locked/tree"; then
	skip "what the user may not use (the user can use a directory of mode 0: CAP_DAC_OVERRIDE?)"
else
	run_user -- domain --virttype qemu --cache-dir "$locked/cache"
	check "another user's cache directory: exit 0, the document" \
		eval 'test $rc -eq 0 && cmp -s "$scratch/out" "$scratch/dom-cold.xml"'
	check "  one warning naming it ($(err1))" \
		test "$(wc -l <"$scratch/err")" -eq 1 -a -n "$(grep "^warning: .*$locked/cache.*not using the cache" "$scratch/err")"
	empty_locked() { # (opened for a look: mode 0 hides its contents from us too)
		local r
		chmod 700 "$locked/cache"
		test -z "$(ls -A "$locked/cache")"
		r=$?
		chmod 0 "$locked/cache"
		return $r
	}
	check "  nothing written there" empty_locked
	run_user -- cache list --cache-dir "$locked/cache"
	check "\`cache list\` of another user's directory: exit 2, one error naming it ($(err1))" \
		eval 'test $rc -eq 2 && test "$(wc -l <"$scratch/err")" -eq 1 && grep -q "^error: .*$locked/cache" "$scratch/err"'
	run_user -- host --sysroot "$locked/tree"
	check "a recorded tree the user cannot read: exit 2, one error naming it, no output ($(err1))" \
		eval 'test $rc -eq 2 && test "$(wc -l <"$scratch/err")" -eq 1 && grep -q "^error: .*$locked/tree" "$scratch/err" && test ! -s "$scratch/out"'
	run_user -- record "$locked/cache/rec"
	check "record into a directory the user cannot write: exit 2, one error naming it ($(err1))" \
		eval 'test $rc -eq 2 && test "$(wc -l <"$scratch/err")" -eq 1 && grep -q "^error: .*$locked/cache" "$scratch/err"'
	run_user CAPSPROBE_FACTS="$locked/tree/capsprobe" -- host --no-guests
	check "stated facts the user cannot read: exit 2, one error naming them ($(err1))" \
		eval 'test $rc -eq 2 && test "$(wc -l <"$scratch/err")" -eq 1 && grep -q "^error: .*$locked/tree/capsprobe" "$scratch/err"'
fi
chmod 700 "$locked/cache" "$locked/tree"	# for the cleanup

# Firmware descriptors: a session daemon also reads the user's
# ~/.config/qemu/firmware (libvirt's qemuInteropFetchConfigs); its loader,
# which exists, is listed for the user (tests/qemu/firmware-session.sh
# checks the same rules with stated facts, root's run included).
if [ "$user" != nobody ] || [ "$(id -u)" -eq 0 ]; then
	fwd=$u/home/.config/qemu/firmware
	as_user mkdir -p "$fwd"
	as_user touch "$u/home/USER_CODE.fd"
	printf '%s\n' '{ "interface-types": [ "uefi" ], "mapping": { "device": "flash", "mode": "split",' \
		'  "executable": { "filename": "'"$u"'/home/USER_CODE.fd", "format": "raw" },' \
		'  "nvram-template": { "filename": "'"$u"'/home/USER_VARS.fd", "format": "raw" } },' \
		'  "targets": [ { "architecture": "x86_64", "machines": [ "pc-q35-*", "pc-i440fx-*" ] } ],' \
		'  "features": [ ] }' | as_user tee "$fwd/90-user.json" >/dev/null
	run_user -- domain --virttype qemu --machine q35
	check "the user's firmware descriptor is read: its loader listed ($(err1))" \
		eval 'test $rc -eq 0 && grep -q "<value>$u/home/USER_CODE.fd</value>" "$scratch/out"'
	as_user rm -rf "$u/home/.config"
fi

check "no emulator process left behind" none_left "$u/"
finish
