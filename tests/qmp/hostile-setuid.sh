#!/bin/bash
# An emulator out of reach of the kernel's parent-death signal (issue 11,
# item 5): a user exec'ing a set-uid or file-capability program loses
# PR_SET_PDEATHSIG.  Run as nobody against such a copy of tests/fake-qemu,
# capsprobe must still leave no emulator behind: after a cold probe and
# after SIGKILL mid-probe.  Needs root (to make the copies) and setpriv (to
# run as nobody); file capabilities also need setcap.  capsprobe runs
# directly, not under CAPSPROBE_WRAPPER: it is SIGKILLed, and valgrind as
# nobody could not use the test's directories.
. "$(dirname "$0")/../lib.sh"

[ -x "${FAKE_QEMU:-}" ] || { echo "SKIP: no fake-qemu (set FAKE_QEMU)"; exit 77; }
[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root to make set-uid and file-capability emulators"; exit 77; }
command -v setpriv >/dev/null && setpriv --reuid=nobody --regid=nogroup --clear-groups true 2>/dev/null ||
	{ echo "SKIP: cannot run as nobody (setpriv)"; exit 77; }
trap 'for p in $(live "$scratch/"); do kill -KILL "$p" 2>/dev/null; done; rm -rf "$scratch"' EXIT
nb=$scratch/nb
mkdir -p "$nb/home" "$nb/dumps" "$nb/tmp"
cp "$CAPSPROBE" "$nb/capsprobe"
cp "$FIXTURES/qemu/7.2.22-x86_64.replies" "$nb/replies"
chmod 755 "$scratch" "$nb" "$nb/capsprobe"
chown nobody "$nb/home" "$nb/dumps" "$nb/tmp"
# "${as_nobody[@]}" [VAR=VALUE]... COMMAND...: a simple command, so that $!
# of a background one is the pid that becomes capsprobe
as_nobody=(setpriv --reuid=nobody --regid=nogroup --clear-groups env -i PATH=/usr/bin:/bin
	HOME="$nb/home" TMPDIR="$nb/tmp" CAPSPROBE_FAKE_REPLIES="$nb/replies"
	CAPSPROBE_FAKE_DUMP="$nb/dumps" CAPSPROBE_FAKE_LINGER=1)
wait_for_file() { # PATTERN: until a file matches (20 s at most)
	local i f
	for i in $(seq 400); do
		for f in $1; do [ -e "$f" ] && return 0; done
		sleep 0.05
	done
	return 1
}
status_field() { # PID FIELD: the values of FIELD in /proc/PID/status
	sed -n "s/^$2:[[:space:]]*//p" "/proc/$1/status" 2>/dev/null
}

ran=0
# attack KIND EMULATOR TEST-PRIVILEGED: SIGKILL capsprobe mid-probe; first
# make sure the emulator does run privileged (else skip: nosuid mount, no
# file capabilities here)
attack() {
	local kind=$1 emu=$2 privileged=$3 pid epid rc
	rm -f "$nb/dumps"/*
	"${as_nobody[@]}" CAPSPROBE_FAKE_FAULT=hang "$nb/capsprobe" domain --no-cache --emulator "$emu" --timeout 60 \
		>"$scratch/out" 2>"$scratch/err" &
	pid=$!
	if ! wait_for_file "$nb/dumps/[0-9]*"; then
		bad "$kind: the emulator never started ($(head -1 "$scratch/err"))"
		kill -KILL "$pid"
		wait "$pid"
		return
	fi
	epid=$(ls "$nb/dumps" | head -1)
	if ! $privileged "$epid"; then
		echo "SKIP: $kind: the emulator does not run privileged here (Uid: $(status_field "$epid" Uid)," \
			"CapEff: $(status_field "$epid" CapEff))"
		kill -KILL "$pid"
		wait "$pid"
		return
	fi
	ran=$((ran + 1))
	# the control: $pid is capsprobe, the emulator's parent
	check "$kind: the emulator is capsprobe's child" test "$(status_field "$epid" PPid)" = "$pid"
	kill -KILL "$pid"
	{ wait "$pid"; } 2>/dev/null
	rc=$?
	check "$kind, SIGKILL mid-probe: capsprobe died of it (exit $rc)" test $rc -eq 137
	check "$kind, SIGKILL mid-probe: no emulator left" none_left "$emu -S"

	# a cold probe to the end: stopped with its group
	rm -f "$nb/dumps"/*
	"${as_nobody[@]}" "$nb/capsprobe" domain --no-cache --emulator "$emu" >"$scratch/out" 2>"$scratch/err"
	check "$kind, cold probe: exit 0 ($(head -1 "$scratch/err"))" test $? -eq 0
	check "$kind, cold probe: the emulator ran" test -n "$(ls "$nb/dumps")"
	check "$kind, cold probe: no emulator left" none_left "$emu -S"
}

# ---- set-uid root ----
mkdir -p "$scratch/suid"
chmod 755 "$scratch/suid"
cp "$FAKE_QEMU" "$scratch/suid/qemu-system-x86_64"
chown root:root "$scratch/suid/qemu-system-x86_64"
chmod 4755 "$scratch/suid/qemu-system-x86_64"
# real uid nobody, effective root
setuid_root() { set -- $(status_field "$1" Uid); [ "${1:-0}" != 0 ] && [ "${2:-}" = 0 ]; }
attack "set-uid emulator" "$scratch/suid/qemu-system-x86_64" setuid_root

# ---- file capabilities ----
if command -v setcap >/dev/null; then
	mkdir -p "$scratch/fcap"
	chmod 755 "$scratch/fcap"
	cp "$FAKE_QEMU" "$scratch/fcap/qemu-system-x86_64"
	chmod 755 "$scratch/fcap/qemu-system-x86_64"
	if setcap cap_net_bind_service+ep "$scratch/fcap/qemu-system-x86_64" 2>"$scratch/setcap.err"; then
		has_caps() { local c; c=$(status_field "$1" CapEff); [ -n "$c" ] && [ $((16#$c)) -ne 0 ]; }
		attack "file-capability emulator" "$scratch/fcap/qemu-system-x86_64" has_caps
	else
		echo "SKIP: file capabilities: setcap failed: $(head -1 "$scratch/setcap.err")"
	fi
else
	echo "SKIP: file capabilities: no setcap"
fi

[ "$ran" -gt 0 ] || { echo "SKIP: no privileged emulator could be made here"; exit 77; }
finish
