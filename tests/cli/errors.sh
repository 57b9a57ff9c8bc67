#!/bin/bash
# Errors that help: a mistyped command, option, action, arch, virttype or
# machine is answered with the nearest valid name or all of them, in one
# error line, with the exit status of any usage error (1) or probe failure
# (2); `help [COMMAND]` prints what --help does; a --sysroot that is no
# recorded tree says what it lacks.
. "$(dirname "$0")/../lib.sh" || exit 99

run() { # expected-status, args...
	local want=$1; shift
	capsprobe "$@" >"$scratch/out" 2>"$scratch/err"
	[ $? -eq "$want" ]
}
one_error_line() { [ "$(wc -l <"$scratch/err")" -eq 1 ] && grep -q '^error: ' "$scratch/err" && [ ! -s "$scratch/out" ]; }
says() { grep -qF -- "$1" "$scratch/err" || { echo "  stderr: $(cat "$scratch/err")"; false; }; }
# usage CHECK WANT ARGS...: exit 1, one error line, holding WANT
usage() {
	local what=$1 want=$2; shift 2
	run 1 "$@"
	check "$what: exit 1" test $? -eq 0
	check "  one error line" one_error_line
	check "  saying: $want" says "$want"
}

# ---- commands ----
usage "a mistyped command" "unknown command 'hots'; did you mean 'host'? (see 'capsprobe --help')" hots
usage "a mistyped command (swap)" "did you mean 'domain'?" domian --arch x86_64
all=$(capsprobe --list-commands | paste -sd, | sed 's/,/, /g')
check "--list-commands lists host and help" eval 'capsprobe --list-commands | grep -qx host && capsprobe --list-commands | grep -qx help'
usage "an unknown command" "unknown command 'frobnicate'; the commands: $all" frobnicate
usage "a mistyped top-level option" "unknown option '--hlep'; did you mean '--help'?" --hlep

# ---- options ----
usage "a mistyped option" "unknown option '--sysrot'; did you mean '--sysroot'? (see 'capsprobe host --help')" \
	host --sysrot /x
usage "a mistyped option with =VALUE" "unknown option '--no-gusets'; did you mean '--no-guests'?" host --no-gusets=1
usage "another command's option" "unknown option '--xpath' for emulators (host, domain take it)" emulators --xpath /a
usage "an ambiguous abbreviation" "option '--re' is ambiguous: --record, --record-qmp, --refresh" domain --re /x
usage "an argument to an option that takes none" "option '--no-guests' takes no argument" host --no-guests=yes
usage "an unknown short option in a cluster" "unknown option '-x'" host -vx
usage "an option nothing is near" "unknown option '--frobnicate' (see 'capsprobe host --help')" host --frobnicate
# (getopt's abbreviations still work: --no-g is --no-guests)
tree=$FIXTURES/host/x86-epyc-milan-kvm-2cpu
check "an unambiguous abbreviation is the option" run 0 host --no-g --sysroot "$tree" --xpath 'count(//guest)'
check "  (no guest)" test "$(cat "$scratch/out")" = 0

# ---- actions, arches, virt types (before anything is probed) ----
usage "a mistyped cache action" "unknown action 'clera'; did you mean 'clear'?" cache clera
usage "a mistyped arch" "unknown architecture: x86-64; did you mean 'x86_64'?" domain --arch x86-64
usage "a mistyped arch (case)" "did you mean 'aarch64'?" domain --arch AArch64
arches=$(grep -o '^	{ "[a-z0-9_]*"' "$FIXTURES/../../src/host/arch.c" | cut -d'"' -f2 | paste -sd, | sed 's/,/, /g')
usage "an unknown arch: every arch, in libvirt's order" "unknown architecture: nios2; valid: $arches (see" \
	domain --arch nios2
usage "a mistyped virttype" "unknown virttype: kvmm; did you mean 'kvm'?" domain --virttype kvmm
usage "an unknown virttype" "unknown virttype: bar; valid: kvm, qemu (see" domain --virttype bar

# ---- machines: from the emulator (a replayed one) ----
root=$scratch/replay
cp -r "$FIXTURES/domain/host-x86_64-amd" "$root"
mkdir -p "$root/capsprobe/qemu/usr/bin/qemu-system-x86_64"
cp "$FIXTURES/qemu/7.2.22-x86_64"*.replies "$root/capsprobe/qemu/usr/bin/qemu-system-x86_64/"
run 2 domain --sysroot "$root" --emulator /usr/bin/qemu-system-x86_64 --machine q53
check "a mistyped machine: exit 2" test $? -eq 0
check "  one error line" one_error_line
check "  libvirt's message, then the nearest" \
	says "error: the machine 'q53' is not supported by emulator '/usr/bin/qemu-system-x86_64'; did you mean 'q35'?"
run 2 domain --sysroot "$root" --emulator /usr/bin/qemu-system-x86_64 --machine pc-q35-7
check "a machine's start: the machines it starts" \
	says "did you mean 'pc-q35-7.0', 'pc-q35-7.1' or 'pc-q35-7.2'?"
run 2 domain --sysroot "$root" --emulator /usr/bin/qemu-system-x86_64 --machine foo
check "an unknown machine: one error line" one_error_line
check "  every machine and alias the emulator has" \
	eval 'grep -q "; valid: .*, pc, .*, pc-q35-7.2, q35, " "$scratch/err" && ! grep -q "valid: .*none" "$scratch/err"'

# ---- help [COMMAND] ----
capsprobe --help >"$scratch/main-help"
check "help: exit 0" run 0 help
check "  what --help prints" cmp -s "$scratch/out" "$scratch/main-help"
check "  which lists help" grep -q '^  help ' "$scratch/out"
for cmd in $(capsprobe --list-commands); do
	capsprobe "$cmd" --help >"$scratch/cmd-help"
	check "help $cmd: what '$cmd --help' prints" eval 'run 0 help "$cmd" && test -s "$scratch/out" && cmp -s "$scratch/out" "$scratch/cmd-help"'
done
check "help --help: help's own help" eval 'run 0 help --help && grep -q "^Usage: capsprobe help \[COMMAND\]" "$scratch/out"'
usage "help of a mistyped command" "unknown command 'hots'; did you mean 'host'? (see 'capsprobe help --help')" help hots
usage "help with two commands" "unexpected argument 'domain'" help host domain

# ---- --sysroot that is no recorded tree ----
mkdir -p "$scratch/empty" "$scratch/bare/proc" "$scratch/bare/sys"
for cmd in host domain; do
	run 2 $cmd --sysroot "$scratch/empty"
	check "$cmd --sysroot EMPTY: exit 2" test $? -eq 0
	check "  one error line" one_error_line
	check "  saying it is no recorded tree, and what it lacks" \
		says "$scratch/empty is not a recorded tree: it has no capsprobe/ directory of recorded facts, nor proc/ or sys/"
done
run 2 host --sysroot "$scratch/bare"
check "--sysroot with proc/ and sys/ but no facts: what it lacks" \
	eval 'says "$scratch/bare is not a recorded tree: it has no capsprobe/ directory of recorded facts (make one with" && ! grep -q "nor" "$scratch/err"'
cp -r "$tree" "$scratch/nofacts"
rm -r "$scratch/nofacts/capsprobe"
mkdir -p "$scratch/facts"
cp "$tree/capsprobe/"* "$scratch/facts/"
check "facts stated through CAPSPROBE_FACTS stand in for capsprobe/" \
	eval 'CAPSPROBE_FACTS=$scratch/facts capsprobe host --no-guests --sysroot "$scratch/nofacts" --xpath "count(//cpu)" >"$scratch/out"'
run 2 host --sysroot /nonexistent/capsprobe
check "a missing --sysroot: still the path and the errno" says "cannot open sysroot /nonexistent/capsprobe: No such file or directory"
finish
