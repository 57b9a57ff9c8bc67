#!/bin/bash
# Helper processes that misbehave (issue 11, items 2-4):
# - swtpm_setup that hangs, or whose child holds its output pipe: `domain`
#   ends within --timeout (a warning, the document still) and nothing of the
#   helper is left, also when capsprobe gets SIGINT or SIGKILL meanwhile;
# - swtpm_setup that fails: one warning, the document, and the failure is
#   not cached (the next run asks again);
# - an emulator that is a wrapper script running QEMU without exec: no QEMU
#   is left after a cold probe, nor after SIGINT, SIGTERM or SIGKILL of
#   capsprobe.
# The helpers are scripts in a scratch PATH (swtpm, swtpm_setup and
# swtpm_ioctl are looked up in PATH); their long-lived children are a copy
# of sleep under $hold, so that leftovers can be told from anything else.
. "$(dirname "$0")/../lib.sh"

[ -x "${FAKE_QEMU:-}" ] || { echo "SKIP: no fake-qemu (set FAKE_QEMU)"; exit 77; }
timeout_bin=$(command -v timeout) || { echo "SKIP: no timeout(1) to bound a hanging run"; exit 77; }
sleep_bin=$(command -v sleep) || { echo "SKIP: no sleep(1)"; exit 77; }
syspath=$PATH
# whatever a failing check leaves running goes with the scratch directory
trap 'for p in $(live "$scratch/"); do kill -KILL "$p" 2>/dev/null; done; rm -rf "$scratch"' EXIT
export TMPDIR=$scratch/tmp
bin=$scratch/bin	# PATH: the emulator and the swtpm tools
hold=$scratch/hold	# children that hold pipes
dumps=$scratch/dumps
cache=$scratch/cache-dom
mkdir -p "$TMPDIR" "$bin" "$hold" "$dumps"
cp "$FAKE_QEMU" "$bin/qemu-system-x86_64"
cp "$sleep_bin" "$hold/sleep"
fake=$bin/qemu-system-x86_64
export CAPSPROBE_FAKE_REPLIES=$FIXTURES/qemu/7.2.22-x86_64.replies
log=$scratch/setup.log
: >"$log"

# tool NAME BODY: a script in $bin (a new file each time, so that the swtpm
# cache key sees a new tool); capsprobe runs with PATH=$bin
tool() {
	printf '#!/bin/sh\nPATH=%s\n%s\n' "$syspath" "$2" >"$bin/.$1" && chmod 755 "$bin/.$1" &&
		mv "$bin/.$1" "$bin/$1"
}
tool swtpm 'exit 0'
tool swtpm_ioctl 'exit 0'
caps='{"type":"swtpm_setup","features":["tpm-2.0"],"version":"0.1"}'
runs() { wc -l <"$log"; }
wait_for_file() { # PATTERN: until a file matches (20 s at most)
	local i f
	for i in $(seq 400); do
		for f in $1; do [ -e "$f" ] && return 0; done
		sleep 0.05
	done
	return 1
}
# dom ARGS...: domain on the fake emulator, SIGKILLed if it runs past 120 s
# (exit 137): the hangs below must end by --timeout, long before that
dom() {
	PATH=$bin "$timeout_bin" --foreground -s KILL 120 ${CAPSPROBE_WRAPPER:-} "$CAPSPROBE" domain \
		--emulator "$fake" "$@" >"$scratch/out" 2>"$scratch/err"
}
versions() { xmllint --xpath "//tpm/enum[@name='backendVersion']/value/text()" "$scratch/out" 2>/dev/null; }
one_warning() { # PATTERN: stderr is one "warning: " line matching it
	test "$(wc -l <"$scratch/err")" -eq 1 && grep -Eq "^warning: $1" "$scratch/err"
}
is_doc() { grep -q '^<domainCapabilities>' "$scratch/out" && xmllint --noout "$scratch/out"; }

# ---- a working swtpm_setup (the control) ----
tool swtpm_setup "echo run >>'$log'; echo '$caps'"
dom --cache-dir "$cache"
check "working swtpm_setup: exit 0, quiet ($(head -1 "$scratch/err"))" test $? -eq 0 -a ! -s "$scratch/err"
check "working swtpm_setup: TPM 2.0 offered, swtpm_setup ran once" test "$(versions)" = 2.0 -a "$(runs)" -eq 1
check "working swtpm_setup: cached" test -s "$cache/swtpm.json"
dom --cache-dir "$cache"
check "working swtpm_setup: the second run takes the cache" test "$(runs)" -eq 1 -a "$(versions)" = 2.0

# ---- a failing swtpm_setup: warned, never cached ----
rm -f "$cache/swtpm.json"
tool swtpm_setup "echo run >>'$log'; echo '$caps'; echo 'swtpm_setup: no such TPM' >&2; exit 1"
for n in 1 2; do
	dom --cache-dir "$cache"
	rc=$?
	check "failing swtpm_setup, run $n: exit 0 ($(head -1 "$scratch/err"))" test $rc -eq 0
	check "failing swtpm_setup, run $n: the document" is_doc
	check "failing swtpm_setup, run $n: one warning with the reason ($(cat "$scratch/err"))" \
		one_warning "no TPM versions: .*$bin/swtpm_setup exited with status 1: swtpm_setup: no such TPM$"
	check "failing swtpm_setup, run $n: no TPM version offered" test -z "$(versions)"
	check "failing swtpm_setup, run $n: swtpm_setup ran (asked again, not cached)" test "$(runs)" -eq $((1 + n))
	check "failing swtpm_setup, run $n: no cache entry" test ! -e "$cache/swtpm.json"
done
# not JSON: a failure too
tool swtpm_setup "echo run >>'$log'; echo 'features: tpm-2.0'"
dom --cache-dir "$cache"
check "swtpm_setup printing no JSON: exit 0, one warning ($(head -1 "$scratch/err"))" \
	test $? -eq 0 -a -n "$(one_warning "no TPM versions: .*printed no JSON object" && echo y)"
check "swtpm_setup printing no JSON: not cached" test ! -e "$cache/swtpm.json" -a "$(runs)" -eq 4

# ---- a hanging swtpm_setup: --timeout holds (the QEMU probe is cached) ----
rm -f "$dumps"/*
tool swtpm_setup "touch '$dumps/hang.'\$\$; '$hold/sleep' 1000"
dom --cache-dir "$cache" --timeout 5
rc=$?
check "hanging swtpm_setup: ended by --timeout, not by the 120 s watchdog (exit $rc)" test $rc -ne 137
check "hanging swtpm_setup: it did start" wait_for_file "$dumps/hang.*"
check "hanging swtpm_setup: exit 0 with the document" test $rc -eq 0 -a -n "$(is_doc && echo y)"
check "hanging swtpm_setup: one warning, timed out ($(cat "$scratch/err"))" \
	one_warning "no TPM versions: .*$bin/swtpm_setup timed out after [0-9.]+ s$"
check "hanging swtpm_setup: not cached" test ! -e "$cache/swtpm.json"
check "hanging swtpm_setup: nothing of it left" none_left "$scratch/hold/"
check "hanging swtpm_setup: no swtpm_setup left" none_left "$bin/swtpm_setup"

# ---- swtpm_setup whose child holds the output pipe: its answer counts ----
tool swtpm_setup "'$hold/sleep' 1000 & echo '$caps'"
rm -f "$cache/swtpm.json"
dom --cache-dir "$cache" --timeout 60
rc=$?
check "child holding the pipe: ended, not by the watchdog (exit $rc)" test $rc -ne 137
check "child holding the pipe: exit 0, quiet ($(head -1 "$scratch/err"))" test $rc -eq 0 -a ! -s "$scratch/err"
check "child holding the pipe: TPM 2.0 offered" test "$(versions)" = 2.0
check "child holding the pipe: cached" test -s "$cache/swtpm.json"
check "child holding the pipe: the child is gone" none_left "$scratch/hold/"

# ---- signals while swtpm_setup hangs (its child holding the pipe) ----
# (capsprobe runs directly, not under CAPSPROBE_WRAPPER, so that the signal
# reaches it)
tool swtpm_setup "'$hold/sleep' 1000 & touch '$dumps/held.'\$!; wait"
for sig in INT KILL; do
	rm -f "$dumps"/* "$cache/swtpm.json"
	# job control: a background job of a script would ignore SIGINT (and
	# the signals back to their defaults: a suite started in the background
	# of a non-interactive shell inherits SIGINT ignored)
	set -m
	PATH=$bin /usr/bin/env --default-signal=INT,TERM,HUP "$CAPSPROBE" domain --emulator "$fake" --cache-dir "$cache" --timeout 60 \
		>"$scratch/out" 2>"$scratch/err" &
	pid=$!
	set +m
	check "SIG$sig during swtpm_setup: it started" wait_for_file "$dumps/held.*"
	kill -"$sig" "$pid"
	{ wait "$pid"; } 2>/dev/null
	rc=$?
	check "SIG$sig during swtpm_setup: capsprobe died of it (exit $rc)" test $rc -eq $((128 + $(kill -l $sig)))
	check "SIG$sig during swtpm_setup: its child is gone" none_left "$scratch/hold/"
	check "SIG$sig during swtpm_setup: swtpm_setup is gone" none_left "$bin/swtpm_setup"
	check "SIG$sig during swtpm_setup: no half document" test ! -s "$scratch/out"
done

# ---- a wrapper script that runs QEMU without exec ----
# The wrapper is the emulator capsprobe starts; the QEMU under it stays
# alive after QMP EOF as QEMU 7.2 does (CAPSPROBE_FAKE_LINGER).
wbin=$scratch/wbin
inner=$scratch/inner
mkdir -p "$wbin" "$inner"
cp "$FAKE_QEMU" "$inner/qemu-system-x86_64"
printf '#!/bin/sh\necho $$ >"%s"\n"%s" "$@"\necho "wrapper: QEMU exited with $?" >&2\n' \
	"$scratch/wrapper.pid" "$inner/qemu-system-x86_64" >"$wbin/qemu-system-x86_64"
chmod 755 "$wbin/qemu-system-x86_64"
wrapper=$wbin/qemu-system-x86_64
rm -f "$dumps"/*
CAPSPROBE_FAKE_LINGER=1 CAPSPROBE_FAKE_DUMP=$dumps PATH=$wbin \
	"$timeout_bin" --foreground -s KILL 120 ${CAPSPROBE_WRAPPER:-} "$CAPSPROBE" domain --no-cache \
	--emulator "$wrapper" >"$scratch/out" 2>"$scratch/err"
rc=$?
check "wrapper emulator, cold probe: exit 0 ($(head -1 "$scratch/err"))" test $rc -eq 0
check "wrapper emulator: the document names the wrapper" \
	test "$(xmllint --xpath 'string(/domainCapabilities/path)' "$scratch/out")" = "$wrapper"
# the control: QEMU ran as the wrapper's child, not in its place
first=$(ls "$dumps" | head -1)
check "wrapper emulator: QEMU ran under the wrapper" \
	test -n "$first" -a "$(sed -n 's/^ppid //p' "$dumps/$first" 2>/dev/null)" = "$(cat "$scratch/wrapper.pid")"
check "wrapper emulator, cold probe: no QEMU left" none_left "$inner/"
check "wrapper emulator, cold probe: no wrapper left" none_left "$wrapper -S"

for sig in INT TERM KILL; do
	rm -f "$dumps"/*
	set -m
	CAPSPROBE_FAKE_FAULT=hang CAPSPROBE_FAKE_LINGER=1 CAPSPROBE_FAKE_DUMP=$dumps PATH=$wbin \
		/usr/bin/env --default-signal=INT,TERM,HUP "$CAPSPROBE" domain --no-cache --emulator "$wrapper" --timeout 60 \
		>"$scratch/out" 2>"$scratch/err" &
	pid=$!
	set +m
	check "wrapper emulator, SIG$sig mid-probe: QEMU started" wait_for_file "$dumps/[0-9]*"
	kill -"$sig" "$pid"
	{ wait "$pid"; } 2>/dev/null
	rc=$?
	check "wrapper emulator, SIG$sig: capsprobe died of it (exit $rc)" test $rc -eq $((128 + $(kill -l $sig)))
	check "wrapper emulator, SIG$sig: no QEMU left" none_left "$inner/"
	check "wrapper emulator, SIG$sig: no wrapper left" none_left "$wrapper -S"
done

finish
