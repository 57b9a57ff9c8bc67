#!/bin/bash
# Recordings and standard output in hostile surroundings (issue 11, items
# 1, 11 and 13):
# - as root, `host --record`, `domain --record`, `domain --record-qmp` and
#   `record` never write through a link another user planted, nor into a
#   directory another user controls: a DIR of nobody's full of links to a
#   root-only file, a DIR that is a link, a group-writable DIR are refused
#   with one error line; links in a DIR of our own are replaced, not
#   followed; and a watcher (nobody) that swaps a prepared tree of links in
#   for DIR while `record` runs never gets the root-only file written;
# - `ulimit -f` smaller than a cache entry: the document, one warning, exit
#   0 (SIGXFSZ no longer kills); a document, a recording past the limit: an
#   error or a warning saying so, never death by signal;
# - --help and --version into /dev/full: exit 2 and one error line.
. "$(dirname "$0")/lib.sh"
[ -d "${scratch:-}" ] || { echo "ERROR: no scratch directory"; exit 99; }

[ -x "${FAKE_QEMU:-}" ] || { echo "SKIP: no fake-qemu (set FAKE_QEMU)"; exit 77; }
[ -x "${EXCHANGE:-}" ] || { echo "SKIP: no tests/exchange (set EXCHANGE)"; exit 77; }
export TMPDIR=$scratch/tmp
mkdir -p "$TMPDIR"
bin=$scratch/bin
mkdir -p "$bin" "$scratch/nobin"
cp "$FAKE_QEMU" "$bin/qemu-system-x86_64"
fake=$bin/qemu-system-x86_64
# both passes: domain (TCG here, whatever /dev/kvm says) needs the second
cat "$FIXTURES/qemu/7.2.22-x86_64-kvm.replies" "$FIXTURES/qemu/7.2.22-x86_64-tcg.replies" >"$scratch/replies"
export CAPSPROBE_FAKE_REPLIES=$scratch/replies

# one_error FILE PATTERN: FILE is exactly one line, an error matching PATTERN
one_error() { [ "$(wc -l <"$1")" -eq 1 ] && grep -q "^error: $2" "$1"; }

# ---- --help and --version into a full device ----
if [ -w /dev/full ]; then
	for args in --help -h --version -V "host --help" "domain --help" "record --help" "cache --help"; do
		# shellcheck disable=SC2086
		capsprobe $args >"$scratch/out" 2>"$scratch/err"
		check "$args: exit 0, something printed (control)" test $? -eq 0 -a -s "$scratch/out"
		# shellcheck disable=SC2086
		capsprobe $args >/dev/full 2>"$scratch/err"
		rc=$?
		check "$args >/dev/full: exit 2 (rc $rc)" test $rc -eq 2
		check "$args >/dev/full: one error line ($(head -1 "$scratch/err"))" \
			one_error "$scratch/err" "cannot write output: No space left on device$"
	done
else
	bad "no writable /dev/full: the full-device checks cannot run"
fi

# ---- a file size limit (ulimit -f) ----
# The limit applies to files only: the document goes through a pipe.  The
# binary runs directly, not under CAPSPROBE_WRAPPER (whose logs are files).
limit=4	# KiB
PATH=$bin capsprobe host --no-cache >"$scratch/ref.xml" 2>"$scratch/ref.err"
check "reference: exit 0, quiet" test $? -eq 0 -a ! -s "$scratch/ref.err"
PATH=$bin capsprobe host --cache-dir "$scratch/big" >/dev/null 2>&1
entry=$(find "$scratch/big" -name '*.json' -size +${limit}k | head -1)
check "a cache entry is larger than the limit (else nothing is tried)" test -n "$entry"

(ulimit -f $limit && PATH=$bin exec "$CAPSPROBE" host --cache-dir "$scratch/fsz") 2>"$scratch/err" |
	cat >"$scratch/out"
rc=${PIPESTATUS[0]}
check "ulimit -f $limit, cache entry too large: exit 0, not killed (rc $rc)" test "$rc" -eq 0
check "ulimit -f: the whole document" cmp -s "$scratch/ref.xml" "$scratch/out"
check "ulimit -f: one warning ($(head -1 "$scratch/err"))" \
	test "$(wc -l <"$scratch/err")" -eq 1 -a \
	"$(grep -c "^warning: cannot write the probe cache entry for $fake in $scratch/fsz: File too large$" "$scratch/err")" -eq 1
check "ulimit -f: no entry, no temporary file left" \
	test -z "$(find "$scratch/fsz" -type f -size +${limit}k)$(find "$scratch/fsz" -name '.tmp*')"

(ulimit -f $limit && PATH=$bin exec "$CAPSPROBE" host --no-cache >"$scratch/out" 2>"$scratch/err")
rc=$?
check "ulimit -f: a document into a file past the limit: exit 2 (rc $rc)" test "$rc" -eq 2
check "  one error line ($(head -1 "$scratch/err"))" one_error "$scratch/err" "cannot write output: File too large$"

mkdir "$scratch/qfsz"
(ulimit -f $limit && PATH=$bin exec "$CAPSPROBE" domain --emulator "$fake" --virttype qemu --record-qmp "$scratch/qfsz" \
	>/dev/null 2>"$scratch/err")
rc=$?
check "ulimit -f: --record-qmp past the limit: exit 2, not killed (rc $rc)" test "$rc" -eq 2
check "  one error line ($(head -1 "$scratch/err"))" one_error "$scratch/err" "cannot write the recording of $fake .*: File too large$"
check "  no recording left, whole or half" test -z "$(ls -A "$scratch/qfsz")"

(ulimit -f $limit && PATH=$bin exec "$CAPSPROBE" host --record "$scratch/rfsz") 2>"$scratch/err" | cat >/dev/null
rc=${PIPESTATUS[0]}
check "ulimit -f: host --record past the limit: not killed (rc $rc)" test "$rc" -lt 128
check "  it says what was too large" grep -q "File too large" "$scratch/err"
check "  every line a warning or the one error" test "$(grep -vc '^warning: \|^error: ' "$scratch/err")" -eq 0

# ---- recording into hostile directories (root and nobody needed) ----
if [ "$(id -u)" -ne 0 ] || ! command -v setpriv >/dev/null || ! setpriv --reuid=nobody true 2>/dev/null; then
	echo "NOTE: not root or no setpriv: the hostile-directory checks need both"
	finish
	exit
fi
as_nobody() { setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"; }
chmod 755 "$scratch"
nb=$scratch/nb		# nobody's
mkdir "$nb"
chown nobody:nogroup "$nb"

# the file an attacker wants root to overwrite
target=$scratch/secret
state() { stat -c '%s %y %i %h' "$target"; cat "$target"; }
# (each part starts from a fresh one, so that each part can fail alone)
fresh_target() {
	rm -f "$target"
	printf 'root only\n' >"$target"
	chmod 600 "$target"
	before=$(state)
}
fresh_target
untouched() { [ "$(state)" = "$before" ]; }

# What a recording writes: the files and directories of one made as usual
# (every command into one tree), whose files an attacker makes links to the
# target in a tree of theirs.
layout=$scratch/layout
PATH=$scratch/nobin capsprobe record "$layout" >/dev/null 2>&1
PATH=$bin capsprobe host --record "$layout" >/dev/null 2>&1
PATH=$bin capsprobe domain --emulator "$fake" --virttype qemu --record "$layout" >/dev/null 2>&1
check "layout recorded (a few hundred files)" test "$(find "$layout" -type f | wc -l)" -gt 100
# trap DIR: as nobody, the layout's directories with every file a link
trap_tree() {
	as_nobody bash -c 'cd "$1" && find . -type d -print0 | (cd "$2" && xargs -0 mkdir -p) &&
		find . -type f -exec ln -s "$3" "$2/{}" \;' sh "$layout" "$1" "$target"
}
# links_intact DIR [SUB]: DIR holds a link for each file of the layout's
# SUB, and no file
links_intact() {
	[ "$(find "$1" -type l | wc -l)" -eq "$(find "$layout${2:+/$2}" -type f | wc -l)" ] && [ -z "$(find "$1" -type f)" ]
}

as_nobody mkdir "$nb/trap"
trap_tree "$nb/trap"
check "trap: nobody's, one link per recorded file" links_intact "$nb/trap"
check "trap: the links reach the target" test "$(readlink "$nb/trap/etc/machine-id")" = "$target"

run_refused() { # what, pattern, capsprobe args...: exit 2, one error line, no output
	local what=$1 pat=$2 rc
	shift 2
	fresh_target
	PATH=$bin capsprobe "$@" >"$scratch/out" 2>"$scratch/err"
	rc=$?
	check "$what: exit 2 (rc $rc)" test $rc -eq 2
	check "$what: one error line ($(head -1 "$scratch/err"))" one_error "$scratch/err" "$pat"
	check "$what: no document" test ! -s "$scratch/out"
	check "$what: the target is untouched" untouched
}
owned="is owned by another user (uid $(id -u nobody)): record into a new directory or one of your own$"
run_refused "host --record into nobody's trap" "$nb/trap $owned" host --record "$nb/trap"
run_refused "domain --record into nobody's trap" "$nb/trap $owned" \
	domain --emulator "$fake" --virttype qemu --record "$nb/trap"
run_refused "domain --record-qmp into nobody's trap" "$nb/trap $owned" \
	domain --emulator "$fake" --virttype qemu --record-qmp "$nb/trap"
check "the trap's links are all still there" links_intact "$nb/trap"
as_nobody mkdir "$nb/empty"
run_refused "record into an empty directory of nobody's" "$nb/empty $owned" record "$nb/empty"
check "  nothing written into it" test -z "$(ls -A "$nb/empty")"

# a DIR that is a link: to a directory of ours, to nobody's trap
mkdir "$scratch/real"
ln -s "$scratch/real" "$scratch/link"
as_nobody ln -s "$nb/trap" "$nb/link"
for l in "$scratch/link" "$nb/link" "$scratch/link/"; do
	run_refused "host --record into a link ($l)" "$l is a symbolic link: record into the directory itself$" \
		host --record "$l"
	run_refused "record into a link ($l)" "$l is a symbolic link: record into the directory itself$" record "$l"
done
check "the link's directory is still empty" test -z "$(ls -A "$scratch/real")"

# ours, but others may write it (as /tmp)
mkdir -m 1777 "$scratch/shared"
chmod 1777 "$scratch/shared"
run_refused "host --record into a world-writable directory" \
	"$scratch/shared is writable by other users (mode 1777): " host --record "$scratch/shared"

# Our own directory holding links (a stale tree, copied with its links)
# and a directory of nobody's: a link is replaced by the file, never
# followed; nothing is written below nobody's directory.
fresh_target
cp -a "$nb/trap" "$scratch/own"
chown -R -h root:root "$scratch/own"
rm -rf "$scratch/own/sys"
cp -a "$nb/trap/sys" "$scratch/own/sys"
check "our tree: nobody's sys inside" test "$(stat -c %U "$scratch/own/sys" "$scratch/own/etc")" = "nobody
root"
PATH=$bin capsprobe host --record "$scratch/own" >"$scratch/out" 2>"$scratch/err"
rc=$?
check "host --record into our tree of links: exit 0 (rc $rc: $(grep -m1 error: "$scratch/err"))" test $rc -eq 0
check "  the document is the live one" cmp -s "$scratch/out" "$scratch/ref.xml"
check "  the target is untouched" untouched
check "  etc/machine-id: a file now, not the link" test -f "$scratch/own/etc/machine-id" -a ! -L "$scratch/own/etc/machine-id"
# what host reads (but sys) is a file now, where the links were
PATH=$bin capsprobe host --record "$scratch/hostlayout" >/dev/null 2>&1
links_replaced() {
	local f n=0
	while read -r f; do
		n=$((n + 1))
		[ -f "$scratch/own/$f" ] && [ ! -L "$scratch/own/$f" ] || return 1
	done < <(cd "$scratch/hostlayout" && find . -path ./sys -prune -o -type f -print)
	[ $n -gt 10 ]
}
check "  each file host reads (but under sys): a file now, not a link" links_replaced
check "  nobody's sys: every link still there, no file" links_intact "$scratch/own/sys" sys
check "  nobody's sys: a warning per file, nothing else on stderr" \
	test "$(grep -c "^warning: cannot record /sys/.* in $scratch/own: a directory on the way is another user's or writable by others$" "$scratch/err")" -gt 0 -a \
	"$(grep -vc "^warning: cannot record /sys/" "$scratch/err")" -eq 0
PATH=$bin capsprobe domain --emulator "$fake" --virttype qemu --record "$scratch/own" >/dev/null 2>"$scratch/err"
check "domain --record into it: the target is untouched" untouched

# a link where the conversations go: refused, the link's directory empty
mkdir -p "$scratch/own2/capsprobe" "$scratch/elsewhere"
ln -s "$scratch/elsewhere" "$scratch/own2/capsprobe/qemu"
run_refused "domain --record with capsprobe/qemu a link" \
	"cannot create $scratch/own2/capsprobe/qemu$fake: something that is not a directory (a link?) is on the way$" \
	domain --emulator "$fake" --virttype qemu --record "$scratch/own2"
check "  nothing written through it" test -z "$(ls -A "$scratch/elsewhere")"

# ---- a watcher changing DIR during `record` ----
# nobody owns DIR's parent and, while `record DIR` runs, either
#   swap: exchanges root's fresh DIR with a prepared tree of links (one
#         atomic rename, tests/exchange), at any moment of the run, or
#   fill: made DIR (empty, so that it passes for a new one) and, once root
#         has started writing into it, copies the tree of links into it.
# Before, root wrote by path: either made it write through the links.
race=$nb/race
fresh_target
as_nobody mkdir "$race"
as_nobody cp -a "$nb/trap" "$race/tmpl"
cp "$EXCHANGE" "$scratch/exchange"
as_nobody bash -c '
	r=$1 exchange=$2
	: >"$r/ready"
	swaps=0 fills=0
	while [ ! -e "$r/stop" ]; do
		[ -d "$r/trap" ] || cp -a "$r/tmpl" "$r/trap"
		read -r mode 2>/dev/null <"$r/go" || continue
		owner=$(stat -c %U "$r/rec" 2>/dev/null)
		if [ "$mode" = swap ] && [ "$owner" = root ] && "$exchange" "$r/rec" "$r/trap" 2>/dev/null; then
			mv -T "$r/trap" "$r/stolen.$swaps"
			swaps=$((swaps + 1))
			echo "$swaps" >"$r/swaps"
		elif [ "$mode" = fill ] && [ "$owner" = nobody ] && [ -n "$(ls -A "$r/rec")" ]; then
			cp -a "$r/tmpl/." "$r/rec/" 2>/dev/null
			fills=$((fills + 1))
			echo "$fills" >"$r/fills"
		fi
	done' sh "$race" "$scratch/exchange" &
watcher=$!
for i in $(seq 200); do [ -e "$race/ready" ] && break; sleep 0.05; done
check "the watcher started" test -e "$race/ready"
runs=0 refused=0 recorded=0 other=0 fill_runs=0 fill_refused=0 start=$SECONDS
count() { cat "$race/$1" 2>/dev/null || echo 0; }
# Runs until the watcher has swapped a few times: how soon it catches a
# run depends on the scheduler, so the budget is generous (a busy machine).
while [ $runs -lt 300 ] && [ $((SECONDS - start)) -lt 300 ] &&
      { [ "$(count swaps)" -lt 5 ] || [ $runs -lt 10 ]; }; do
	rm -rf "$race/rec"
	if [ $((runs % 2)) -eq 0 ]; then
		mode=swap
	else
		mode=fill
		fill_runs=$((fill_runs + 1))
		as_nobody mkdir "$race/rec"
	fi
	echo $mode >"$race/go"
	PATH=$scratch/nobin "$CAPSPROBE" record "$race/rec" >"$scratch/out" 2>"$scratch/err"
	rc=$?
	rm -f "$race/go"
	runs=$((runs + 1))
	if [ $rc -eq 0 ]; then
		recorded=$((recorded + 1))
	elif [ $rc -eq 2 ] && [ "$(wc -l <"$scratch/err")" -eq 1 ]; then
		refused=$((refused + 1))
		[ $mode = fill ] && one_error "$scratch/err" "$race/rec $owned" && fill_refused=$((fill_refused + 1))
	else
		other=$((other + 1))
		echo "run $runs: rc $rc: $(head -3 "$scratch/err")"
	fi
	untouched || break
done
: >"$race/stop"
wait $watcher
echo "race: $runs runs, $(count swaps) swaps, $(count fills) fills, $recorded recorded, $refused refused"
# No swap at all means the race was never staged: nothing was tested, which
# is a skip (with the reason), never a pass.
if [ "$(count swaps)" -gt 0 ]; then
	ok "race: the watcher swapped DIR during the runs ($(count swaps) times in $runs runs)"
else
	skip "race: the watcher never caught a run in $runs runs ($((SECONDS - start)) s): the swap was not tested"
fi
check "race: the target is never written" untouched
check "race: each run recorded or was refused with one error line" test $other -eq 0
check "race: DIR nobody made was refused each time ($fill_refused of $fill_runs)" \
	test $fill_refused -eq $fill_runs -a $fill_runs -gt 0
# root's files are in root's directories (the stolen recordings) only
check "race: no file in any directory of nobody's (the links are all still there)" \
	test -z "$(find "$race" -mindepth 2 -type f -printf '%h\0' | sort -zu | xargs -0r stat -c %U | grep -vx root)"
finish
