#!/bin/bash
# Hostile surroundings, the smaller attacks (issue 11, items 7, 8, 10, 12):
# - a host tree without a readable /proc/cpuinfo (missing, or denied through
#   capsprobe/denied): the document without the CPU definition, exit 0, and
#   one warning naming the file, the error and what is left out; the
#   recorded trees of tests/fixtures/host, which lack nothing, warn nothing;
# - an emulator whose error text holds escape sequences, C1 controls,
#   invalid UTF-8 and a newline that would forge an "error:" line: every
#   message stays one flat line, on host, emulators and domain, and so do
#   usage and probe errors that quote an argument;
# - capsprobe's own descriptors (ulimit -n) or processes (ulimit -u, as
#   nobody) running out while it probes ten emulators: the whole document
#   or one error with exit 2, never a partial document with exit 0;
# - --xpath nested 50,000 deep: a usage error (exit 1), no crash.
. "$(dirname "$0")/lib.sh"

[ -x "${FAKE_QEMU:-}" ] || { echo "SKIP: no fake-qemu (set FAKE_QEMU)"; exit 77; }
export TMPDIR=$scratch/tmp
mkdir -p "$TMPDIR"
rec=$FIXTURES/qemu

# lines FILE: its line count
lines() { wc -l <"$1"; }
# flat FILE: no control character but the newlines ending lines, no C1
# control, only well-formed UTF-8
flat() {
	! LC_ALL=C grep -q '[[:cntrl:]]' "$1" &&
		! LC_ALL=C grep -q "$(printf '\302[\200-\237]')" "$1" &&
		iconv -f UTF-8 -t UTF-8 "$1" >/dev/null 2>&1
}
command -v iconv >/dev/null || { echo "ERROR: iconv is needed to check UTF-8" >&2; exit 99; }

# ---- 7. /proc/cpuinfo unreadable ----
for tree in "$FIXTURES"/host/*/; do
	name=$(basename "$tree")
	capsprobe host --no-guests --sysroot "$tree" -v >"$scratch/fx.xml" 2>"$scratch/fx.err"
	rc=$?
	check "fixture $name: exit 0 ($rc), no warning ($(grep -m1 '^warning' "$scratch/fx.err"))" \
		eval '[ $rc -eq 0 ] && ! grep -q "^warning: " "$scratch/fx.err"'
done

base=x86-epyc-milan-kvm-2cpu
cp -r "$FIXTURES/host/$base" "$scratch/nocpuinfo"
rm "$scratch/nocpuinfo/proc/cpuinfo"
capsprobe host --no-guests --sysroot "$scratch/nocpuinfo" >"$scratch/nc.xml" 2>"$scratch/nc.err"
rc=$?
check "no /proc/cpuinfo: exit 0 (documented), the document ($rc)" \
	eval '[ $rc -eq 0 ] && grep -q "^</capabilities>$" "$scratch/nc.xml"'
check "  without the CPU vendor and topology the full tree has" \
	eval 'grep -q "<vendor>" "$FIXTURES/host/$base.xml" && ! grep -q "<vendor>\|<topology sockets=" "$scratch/nc.xml"'
check "  one warning line ($(cat "$scratch/nc.err"))" test "$(lines "$scratch/nc.err")" -eq 1
check "  naming the file, the error and what is left out" \
	grep -q "^warning: cannot read /proc/cpuinfo: No such file or directory; left out: the host CPU's model" \
	"$scratch/nc.err"

cp -r "$FIXTURES/host/$base" "$scratch/denied"
mkdir -p "$scratch/denied/capsprobe"
echo "EACCES /proc/cpuinfo" >>"$scratch/denied/capsprobe/denied"
capsprobe host --no-guests --sysroot "$scratch/denied" >"$scratch/dn.xml" 2>"$scratch/dn.err"
rc=$?
check "denied /proc/cpuinfo: exit 0, no CPU vendor ($rc)" \
	eval '[ $rc -eq 0 ] && grep -q "^</capabilities>$" "$scratch/dn.xml" && ! grep -q "<vendor>" "$scratch/dn.xml"'
check "  one warning: the file, Permission denied, what is left out ($(cat "$scratch/dn.err"))" \
	eval '[ $(lines "$scratch/dn.err") -eq 1 ] &&
	      grep -q "^warning: cannot read /proc/cpuinfo: Permission denied; left out: the host CPU" "$scratch/dn.err"'

# without a NUMA node directory the fake NUMA cell needs nodeinfo too
cp -r "$FIXTURES/host/x86-no-numa-dir" "$scratch/nonuma"
rm "$scratch/nonuma/proc/cpuinfo"
capsprobe host --no-guests --sysroot "$scratch/nonuma" >"$scratch/nn.xml" 2>"$scratch/nn.err"
rc=$?
check "no /proc/cpuinfo, no NUMA directory: exit 0, no <topology> ($rc)" \
	eval '[ $rc -eq 0 ] && grep -q "<topology>" "$FIXTURES/host/x86-no-numa-dir.xml" && ! grep -q "<topology>" "$scratch/nn.xml"'
check "  the warning says the NUMA <topology> is left out too ($(cat "$scratch/nn.err"))" \
	eval '[ $(lines "$scratch/nn.err") -eq 1 ] && grep -q "/proc/cpuinfo.*left out: .*the NUMA <topology>" "$scratch/nn.err"'

# live: /proc/cpuinfo replaced by something unreadable in a private mount
# namespace (needs unshare and the right to mount)
if command -v unshare >/dev/null && unshare -m sh -c 'mount --bind /dev/null /proc/cpuinfo' 2>/dev/null; then
	unshare -m sh -c 'mount --bind /dev/null /proc/cpuinfo && exec "$0" host --no-guests' \
		"$CAPSPROBE" >"$scratch/live.xml" 2>"$scratch/live.err"
	rc=$?
	check "live, /proc/cpuinfo not a file: exit 0, one warning naming it ($(cat "$scratch/live.err"))" \
		eval '[ $rc -eq 0 ] && [ $(grep -c "^warning: " "$scratch/live.err") -eq 1 ] &&
		      grep -q "^warning: cannot read /proc/cpuinfo: .*; left out: " "$scratch/live.err"'
else
	skip "live /proc/cpuinfo check (no unshare -m with mount rights)"
fi

# ---- 8. emulator text flattened ----
fake=$scratch/fake-qemu
cp "$FAKE_QEMU" "$fake"
# emulator DIR NAME REPLIES: DIR/qemu-system-NAME, a working fake
emulator() {
	mkdir -p "$1"
	printf '#!/bin/sh\nCAPSPROBE_FAKE_REPLIES=%s exec %s "$@"\n' "$3" "$fake" >"$1/qemu-system-$2"
	chmod 755 "$1/qemu-system-$2"
}
esc=$scratch/esc
emulator "$esc" riscv64 "$rec/7.2.22-riscv64.replies"
# ESC sequences, a forged error line, a C1 CSI, an invalid byte, a tab
cat >"$esc/qemu-system-x86_64" <<'EOF'
#!/bin/sh
printf 'bad \033[31mred\033[0m\nerror: forged\n\302\233 c1 \377 \t end\n' >&2
exit 1
EOF
chmod 755 "$esc/qemu-system-x86_64"
PATH=$esc capsprobe host --no-cache >"$scratch/e.xml" 2>"$scratch/e.err"
rc=$?
check "hostile error text, host: exit 0, the working emulator's guest ($rc)" \
	eval '[ $rc -eq 0 ] && grep -q "<arch name=.riscv64.>" "$scratch/e.xml"'
check "  one warning line, nothing forged ($(cat "$scratch/e.err"))" \
	eval '[ $(lines "$scratch/e.err") -eq 1 ] && grep -q "^warning: no <guest> from .*red.*error: forged.* end" "$scratch/e.err"'
check "  no control character, no invalid UTF-8" flat "$scratch/e.err"
PATH=$esc capsprobe emulators --no-cache >"$scratch/el.out" 2>"$scratch/el.err"
rc=$?
check "hostile error text, emulators: exit 0, one warning line ($(cat "$scratch/el.err"))" \
	eval '[ $rc -eq 0 ] && [ $(lines "$scratch/el.err") -eq 1 ] && grep -q "^warning: .*error: forged" "$scratch/el.err"'
check "  no control character, no invalid UTF-8" flat "$scratch/el.err"
capsprobe domain --no-cache --emulator "$esc/qemu-system-x86_64" >"$scratch/ed.out" 2>"$scratch/ed.err"
rc=$?
check "hostile error text, domain: exit 2, one flat error line ($(cat "$scratch/ed.err"))" \
	eval '[ $rc -eq 2 ] && [ $(lines "$scratch/ed.err") -eq 1 ] && grep -q "^error: " "$scratch/ed.err" && flat "$scratch/ed.err"'
PATH=$esc capsprobe host --no-cache -v >/dev/null 2>"$scratch/ev.err"
check "  -v: every line one of ours, flat" \
	eval '! grep -qv "^\(warning\|capsprobe\): " "$scratch/ev.err" && flat "$scratch/ev.err"'
# machine names are the emulator's too: `emulators --machines` lists them
# one per line (for completion), flat
mkdir -p "$scratch/mach"
sed 's/"name": "spike"/"name": "spi\\u001b[2Jke\\nerror: forged\\u009b"/' \
	"$rec/7.2.22-riscv64.replies" >"$scratch/mach/r.replies"
emulator "$scratch/mach" riscv64 "$scratch/mach/r.replies"
capsprobe emulators --no-cache --machines "$scratch/mach/qemu-system-riscv64" >"$scratch/m.out" 2>"$scratch/m.err"
rc=$?
check "hostile machine name, emulators --machines: exit 0, one line for it, flat ($rc)" \
	eval '[ $rc -eq 0 ] && [ $(grep -c "spi.*ke" "$scratch/m.out") -eq 1 ] && ! grep -q "^error" "$scratch/m.out" && flat "$scratch/m.out"'
# text from the command line, quoted back in usage and probe errors
capsprobe host --timeout "$(printf '\033[2J1\nerror: forged')" >/dev/null 2>"$scratch/u.err"
rc=$?
check "usage error quoting a hostile argument: exit 1, one flat line ($(cat "$scratch/u.err"))" \
	eval '[ $rc -eq 1 ] && [ $(lines "$scratch/u.err") -eq 1 ] && flat "$scratch/u.err"'
capsprobe host --no-guests --sysroot "$scratch/$(printf 'no\033]0;title\007such\nerror: forged')" \
	>/dev/null 2>"$scratch/s.err"
rc=$?
check "probe error quoting a hostile path: exit 2, one flat line ($(cat "$scratch/s.err"))" \
	eval '[ $rc -eq 2 ] && [ $(lines "$scratch/s.err") -eq 1 ] && flat "$scratch/s.err"'

# ---- 10. capsprobe's own resources ----
many=$scratch/many
# (the replies in the scratch directory: nobody reads them below, and the
# source tree may be private, as scripts/check-asan's copy is)
mkdir -p "$scratch/replies"
cp "$rec"/7.2.22-*.replies "$scratch/replies/"
for n in alpha aarch64 i386 m68k ppc64 riscv64 s390x sh4 sh4eb x86_64; do
	case $n in
	aarch64) r=7.2.22-aarch64 ;; i386) r=7.2.22-i686-kvm ;; ppc64) r=7.2.22-ppc64 ;;
	s390x) r=7.2.22-s390x ;; x86_64) r=7.2.22-x86_64-kvm ;; *) r=7.2.22-riscv64 ;;
	esac
	emulator "$many" "$n" "$scratch/replies/$r.replies"
done
PATH=$many capsprobe host --no-cache >"$scratch/ref.xml" 2>"$scratch/ref.err"
rc=$?
check "ten emulators, no limit: exit 0, no warning" eval '[ $rc -eq 0 ] && [ ! -s "$scratch/ref.err" ]'
nguests=$(grep -c '^  <guest>$' "$scratch/ref.xml")
check "  guests from all ten ($nguests)" test "$nguests" -ge 10
PATH=$many capsprobe emulators --no-cache >"$scratch/ref.list" 2>/dev/null

# whole RC OUT ERR REF: the whole document (exit 0, REF's guests, no
# warning) or capsprobe's error (exit 2, nothing on stdout, one error line)
whole() {
	case $1 in
	0) cmp -s "$2" "$4" && [ ! -s "$3" ] ;;
	2) [ ! -s "$2" ] && [ "$(lines "$3")" -eq 1 ] && grep -q '^error: ' "$3" ;;
	*) false ;;
	esac
}
for lim in 12 11; do
	(ulimit -n $lim && PATH=$many exec "$CAPSPROBE" host --no-cache) >"$scratch/n.xml" 2>"$scratch/n.err"
	rc=$?
	check "ulimit -n $lim, host: the whole document or an error, exit $rc ($(head -1 "$scratch/n.err"))" \
		whole $rc "$scratch/n.xml" "$scratch/n.err" "$scratch/ref.xml"
	(ulimit -n $lim && PATH=$many exec "$CAPSPROBE" emulators --no-cache) >"$scratch/n.list" 2>"$scratch/n.err"
	rc=$?
	check "ulimit -n $lim, emulators: the whole list or an error, exit $rc ($(head -1 "$scratch/n.err"))" \
		whole $rc "$scratch/n.list" "$scratch/n.err" "$scratch/ref.list"
done
# with the cache on too (more descriptors: its directory and entries)
(ulimit -n 12 && PATH=$many exec "$CAPSPROBE" host) >"$scratch/nc12.xml" 2>"$scratch/nc12.err"
rc=$?
[ $rc -eq 0 ] && ! cmp -s "$scratch/nc12.xml" "$scratch/ref.xml" && diff "$scratch/ref.xml" "$scratch/nc12.xml" | head -20
case $rc in
0) check "ulimit -n 12, cached host: the whole document (warnings allowed: the cache) ($(head -1 "$scratch/nc12.err"))" \
	cmp -s "$scratch/nc12.xml" "$scratch/ref.xml" ;;
*) check "ulimit -n 12, cached host: exit 2 and one error ($rc)" whole $rc "$scratch/nc12.xml" "$scratch/nc12.err" x ;;
esac

# processes: only nobody is held to RLIMIT_NPROC.  capsprobe runs
# min(CPUs, 10) probe threads; a limit of one more lets one emulator live
# at a time, so the other threads' forks fail (EAGAIN) while it runs.
if [ -z "${CAPSPROBE_WRAPPER:-}" ] && [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null &&
   setpriv --reuid=nobody true 2>/dev/null; then
	mkdir -p "$scratch/nbtmp"
	cp "$CAPSPROBE" "$scratch/capsprobe-nb"
	chmod 755 "$scratch" "$many" "$fake" "$scratch/capsprobe-nb" "$scratch/replies"
	chmod 644 "$scratch"/replies/*
	chmod 1777 "$scratch/nbtmp"
	cpus=$(nproc)
	[ "$cpus" -gt 10 ] && cpus=10
	nb() { # LIMIT COMMAND...: as nobody under ulimit -u LIMIT
		local lim=$1; shift
		# (LeakSanitizer, under scripts/check-asan, needs a thread of its
		# own at exit: no leak check where no process is left to make one)
		setpriv --reuid=nobody --regid=nogroup --clear-groups \
			env ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" PATH="$many" TMPDIR="$scratch/nbtmp" CAPSPROBE_CACHE_DIR="$scratch/nbtmp/cache" \
			"$BASH" -c 'ulimit -u "$0" && exec "$@"' "$lim" "$scratch/capsprobe-nb" "$@"
	}
	nb 1000 host --no-cache >"$scratch/nbref.xml" 2>/dev/null
	for lim in $((cpus + 1)) $((cpus + 2)); do
		nb $lim host --no-cache >"$scratch/u.xml" 2>"$scratch/u.err"
		rc=$?
		check "nobody, ulimit -u $lim, host: the whole document or an error, exit $rc ($(head -1 "$scratch/u.err"))" \
			whole $rc "$scratch/u.xml" "$scratch/u.err" "$scratch/nbref.xml"
		nb $lim emulators --no-cache >"$scratch/u.list" 2>"$scratch/u.err"
		rc=$?
		check "nobody, ulimit -u $lim, emulators: the whole list or an error, exit $rc ($(head -1 "$scratch/u.err"))" \
			whole $rc "$scratch/u.list" "$scratch/u.err" "$scratch/ref.list"
	done
	# one process only: no emulator can ever start, and that is our error
	nb 1 host --no-cache >"$scratch/u1.xml" 2>"$scratch/u1.err"
	rc=$?
	check "nobody, ulimit -u 1: exit 2, the fork named ($(cat "$scratch/u1.err"))" \
		eval '[ $rc -eq 2 ] && [ ! -s "$scratch/u1.xml" ] && [ $(lines "$scratch/u1.err") -eq 1 ] && grep -q "^error: .*fork" "$scratch/u1.err"'
else
	skip "ulimit -u checks (need root and setpriv)"
fi

# ---- 12. --xpath nested deep ----
deep() { printf "%${1}s" | tr ' ' '('; printf 1; printf "%${1}s" | tr ' ' ')'; }
capsprobe host --no-guests --sysroot "$FIXTURES/host/$base" --xpath "$(deep 50000)" >"$scratch/x.out" 2>"$scratch/x.err"
rc=$?
check "--xpath 50,000 deep: exit 1, one usage error, nothing printed ($rc: $(cat "$scratch/x.err"))" \
	eval '[ $rc -eq 1 ] && [ ! -s "$scratch/x.out" ] && [ $(lines "$scratch/x.err") -eq 1 ] && grep -q "^error: " "$scratch/x.err"'
capsprobe host --no-guests --sysroot "$FIXTURES/host/$base" --xpath "count($(deep 5000))" >"$scratch/x.out" 2>"$scratch/x.err"
rc=$?
check "--xpath 5,000 deep (10 KB): exit 1, the depth named ($rc: $(cat "$scratch/x.err"))" \
	eval '[ $rc -eq 1 ] && [ ! -s "$scratch/x.out" ] && grep -q "^error: .*deeper than" "$scratch/x.err"'
capsprobe host --no-guests --sysroot "$FIXTURES/host/$base" --xpath "$(deep 200)" >"$scratch/x.out" 2>"$scratch/x.err"
rc=$?
check "--xpath 200 deep still works" eval '[ $rc -eq 0 ] && [ "$(head -1 "$scratch/x.out")" = 1 ]'
capsprobe host --no-guests --sysroot "$FIXTURES/host/$base" \
	--xpath "string-length('$(printf '%3000s' | tr ' ' '(')')" >"$scratch/x.out" 2>"$scratch/x.err"
rc=$?
check "--xpath: parentheses inside a string literal do not count" \
	eval '[ $rc -eq 0 ] && [ "$(head -1 "$scratch/x.out")" = 3000 ]'

check "no emulator process left behind" none_left "$scratch/"
finish
