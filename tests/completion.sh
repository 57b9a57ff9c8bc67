#!/bin/bash
# The bash completion (completion/capsprobe.bash), sourced into this shell:
# COMPREPLY for commands, options, values, emulators in PATH and an
# emulator's machine types (a fake emulator, through the private cache);
# its commands and option lists come from the program (--list-commands,
# --list-options: the tables --help is made from), its arch names agree
# with src/host/arch.c.
. "$(dirname "$0")/lib.sh" || exit 99
[ -d "${scratch:-}" ] || { echo "ERROR: no scratch directory"; exit 99; }

srcdir=$(cd "$FIXTURES/../.." && pwd)
# shellcheck source=/dev/null
. "$srcdir/completion/capsprobe.bash"

# complete WORD...: COMPREPLY for the line, the last word being completed,
# one entry per line
complete_line() {
	COMP_WORDS=("$CAPSPROBE" "$@")
	COMP_CWORD=$#
	COMP_LINE="${COMP_WORDS[*]}"
	COMPREPLY=()
	_capsprobe
	[ ${#COMPREPLY[@]} -eq 0 ] || printf '%s\n' "${COMPREPLY[@]}"
}
has() { complete_line "${@:2}" | grep -qx -- "$1"; }
# only "A B " WORD...: exactly these (in any order)
only() { test "$(complete_line "${@:2}" | LC_ALL=C sort | tr '\n' ' ')" = "$1"; }

check "registered for capsprobe" eval 'complete -p capsprobe | grep -q _capsprobe'
check "commands" only "cache cpu-baseline cpu-compare cpu-models domain emulators freecell freepages help host hypervisor-cpu-baseline hypervisor-cpu-compare hypervisor-cpu-models maxvcpus nodecpumap nodecpustats nodeinfo nodememstats nodesevinfo record sysinfo " ""
check "cpu-models ARCH: arch names" only "x86_64 " cpu-models x86_
check "cpu-baseline --arch: arch names" only "ppc64 ppc64le " cpu-baseline --arch ppc64
mkdir -p "$scratch/cpufiles" && : >"$scratch/cpufiles/a.xml"
check "cpu-baseline FILE: files" only "$scratch/cpufiles/a.xml " cpu-baseline "$scratch/cpufiles/a"
check "cpu-compare --host-cpu FILE: files" only "$scratch/cpufiles/a.xml " cpu-compare --host-cpu "$scratch/cpufiles/a"
check "hypervisor-cpu-compare FILE: files" only "$scratch/cpufiles/a.xml " hypervisor-cpu-compare "$scratch/cpufiles/a"
check "hypervisor-cpu-baseline FILE: files" only "$scratch/cpufiles/a.xml " hypervisor-cpu-baseline --features "$scratch/cpufiles/a"
check "hypervisor-cpu-baseline --virttype: the virt types" only "kvm qemu " hypervisor-cpu-baseline --virttype ""
check "help COMMAND" only "help host hypervisor-cpu-baseline hypervisor-cpu-compare hypervisor-cpu-models " help h
check "maxvcpus --type: the virt types" only "kvm qemu " maxvcpus --type ""
check "host --format: xml and json" only "json xml " host --format ""
check "nodeinfo --format: text and json" only "json text " nodeinfo --format ""
check "hypervisor-cpu-baseline --format: xml and json" only "json xml " hypervisor-cpu-baseline --format ""
check "hypervisor-cpu-compare --format: text and json" only "json text " hypervisor-cpu-compare --format ""
check "hypervisor-cpu-models --vi" only "--virttype " hypervisor-cpu-models --vi
check "help: one command" only "" help host ""
check "command prefix" only "host " ho
check "top-level options" only "--help --version " --
check "domain options: --vi" only "--virttype " domain --vi
check "host options: --st" only "--stable " host --st
check "record options include --emulator" has --emulator record --em
check "--virttype values" only "kvm qemu " domain --virttype ""
check "--virttype=value" only "qemu " domain --virttype = q
check "--arch values" only "x86_64 " domain --arch x86
check "cache actions" only "clear list " cache ""
mkdir -p "$scratch/dirs/sub1" "$scratch/dirs/sub2"
: >"$scratch/dirs/file"
check "--sysroot: directories" only "$scratch/dirs/sub1 $scratch/dirs/sub2 " host --sysroot "$scratch/dirs/s"
check "--sysroot: no files" eval '! has "$scratch/dirs/file" host --sysroot "$scratch/dirs/"'
check "record DIR: directories" has "$scratch/dirs/sub1" record "$scratch/dirs/s"
check "--timeout: nothing" only "" domain --timeout ""
check "after an empty word: options, and no error" \
	eval 'test "$(complete_line host "" --no-g 2>&1)" = --no-guests' 

# emulators: qemu-system-* in PATH, by path or by name
if [ -x "${FAKE_QEMU:-}" ]; then
	bin=$scratch/bin
	mkdir -p "$bin"
	printf '#!/bin/sh\nCAPSPROBE_FAKE_REPLIES=%s exec %s "$@"\n' \
		"'$FIXTURES/qemu/7.2.22-x86_64-kvm.replies'" "'$FAKE_QEMU'" >"$bin/qemu-system-x86_64"
	cp "$bin/qemu-system-x86_64" "$bin/qemu-system-aarch64"
	chmod +x "$bin"/*
	oldpath=$PATH
	PATH=$bin:$PATH
	check "--emulator: paths in PATH" has "$bin/qemu-system-x86_64" domain --emulator ""
	check "--emulator: a name completes to its path" only "$bin/qemu-system-aarch64 " \
		domain --emulator qemu-system-aa
	check "--emulator: a path prefix" only "$bin/qemu-system-x86_64 " domain --emulator "$bin/qemu-system-x"
	# machines: probed once (filling the cache), then from the cache
	complete_line domain --emulator "$bin/qemu-system-x86_64" --machine "" >"$scratch/m1"
	check "--machine: the emulator's machine types" grep -qx q35 "$scratch/m1"
	check "--machine: canonical names too" grep -qx 'pc-q35-7.2' "$scratch/m1"
	check "--machine: libvirt's order (preferred first)" test "$(head -1 "$scratch/m1")" = pc-i440fx-7.2
	capsprobe emulators --machines "$bin/qemu-system-x86_64" -v >"$scratch/m2" 2>"$scratch/m2.err"
	# (under valgrind the completion's own 10 s probe limit can expire, and
	# then nothing is cached: the cache itself is tested in cache-cli.sh)
	if [ -n "${CAPSPROBE_WRAPPER:-}" ]; then
		skip "--machines: from the cache the second time (under a wrapper)"
	else
		check "--machines: from the cache the second time" grep -q "answers from the cache" "$scratch/m2.err"
	fi
	check "--machines: the same list" test "$(sort "$scratch/m1")" = "$(sort "$scratch/m2")"
	complete_line domain --emulator "$bin/qemu-system-x86_64" --machine pc-q35-7 >"$scratch/m3"
	check "--machine: prefix" test "$(grep -c . "$scratch/m3")" -ge 2 -a "$(grep -vc '^pc-q35-7' "$scratch/m3")" -eq 0
	check "--machine: --emulator=PATH form" has q35 domain --emulator = "$bin/qemu-system-x86_64" --machine ""
	check "--machine: from --arch (qemu-system-<arch> in PATH)" has q35 domain --arch x86_64 --machine ""
	PATH=$oldpath
else
	skip "emulator and machine completion (no fake-qemu)"
fi
capsprobe emulators --machines "$scratch/none" >/dev/null 2>"$scratch/err"
check "--machines of a missing file: exit 2, one error line" \
	test $? -eq 2 -a "$(wc -l <"$scratch/err")" -eq 1

# the option lists are the program's: every option of --help completes,
# and what completes is what the command's table lists
for cmd in $(capsprobe --list-commands); do
	help=$(capsprobe "$cmd" --help | sed -n '/^Options:$/,/^$/p' | grep -o -- '--[a-z][a-z-]*' | sort -u)
	table=$(capsprobe --list-options "$cmd" | cut -d' ' -f1 | sort -u)
	completed=$(complete_line "$cmd" -- | sort -u)
	check "$cmd: every --help option completes" \
		test -n "$help" -a -z "$(comm -23 <(echo "$help") <(echo "$completed"))"
	check "$cmd: what completes is the table's --list-options" test "$completed" = "$table"
done
check "emulators --machines (no longer hidden) is in --help" \
	eval 'capsprobe emulators --help | grep -q -- "^      --machines PATH "'
# no typed-in copy: a program with another table completes that table
fake=$scratch/fakebin/capsprobe
mkdir -p "$scratch/fakebin"
cat >"$fake" <<'EOS'
#!/bin/sh
case "$1 $2" in
"--list-commands ") echo frob ;;
"--list-options frob") printf '%s\n' '--zap' '--into dir' '--vt virttype' ;;
*) exit 1 ;;
esac
EOS
chmod +x "$fake"
fake_line() { (CAPSPROBE=$fake; complete_line "$@"); }
check "a program's --list-commands is what completes" test "$(fake_line "")" = frob
check "a program's --list-options is what completes" \
	test "$(fake_line frob -- | sort | tr '\n' ' ')" = "--into --vt --zap "
check "  and its kinds decide the values (virttype)" test "$(fake_line frob --vt "" | tr '\n' ' ')" = "kvm qemu "
check "  (dir)" eval 'fake_line frob --into "$scratch/dirs/s" | grep -qx "$scratch/dirs/sub1"' 
check "the script lists no option of its own" \
	eval '! grep -q -- "--sysroot\|--no-guests\|--record-qmp\|--stable" "$srcdir/completion/capsprobe.bash"'
arches=$(grep -o '^	{ "[a-z0-9_]*"' "$srcdir/src/host/arch.c" | cut -d'"' -f2 | tr '\n' ' ')
check "arch names = src/host/arch.c's" test "$arches" = "$_capsprobe_arches "
finish
