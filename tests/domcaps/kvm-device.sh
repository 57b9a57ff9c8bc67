#!/bin/bash
# The live /dev/kvm and MSR queries (src/util/hostdev.c) on a machine
# without KVM: in a private mount namespace /dev is replaced by a small tree
# where /dev/kvm (and /dev/cpu/0/msr) are /dev/null, a device that opens
# read-write and answers no ioctl.  What that must give:
# - KVM counts as usable (libvirt's test is that it opens read-write):
#   domain --virttype kvm works;
# - KVM's vCPU limit, unanswered, is libvirt's fallback of 4;
# - no TSC counter and no MSR feature is made up from a silent KVM: the host
#   document without guests is the one of a /dev without kvm;
# - without /dev/kvm, domain --virttype kvm is one error naming it.
# Needs root, unshare and mount (else 77).
. "$(dirname "$0")/../lib.sh" || exit 99

[ -x "${FAKE_QEMU:-}" ] || { echo "SKIP: no fake-qemu (set FAKE_QEMU)"; exit 77; }
command -v unshare >/dev/null || { echo "SKIP: no unshare"; exit 77; }
unshare -m --propagation private sh -c 'mount --bind /dev/null /dev/null' 2>/dev/null ||
	{ echo "SKIP: cannot bind-mount in a private mount namespace (needs root)"; exit 77; }
unset CAPSPROBE_FACTS
bin=$scratch/bin
emu=$bin/qemu-system-x86_64
mkdir -p "$bin"
cp "$FAKE_QEMU" "$scratch/fake-qemu"
printf '#!/bin/sh\nexec %s "$@"\n' "$scratch/fake-qemu" >"$emu"
chmod +x "$emu"
export CAPSPROBE_FAKE_REPLIES=$FIXTURES/qemu/7.2.22-x86_64-kvm.replies

# devrun KVM COMMAND...: COMMAND with /dev replaced; KVM=null makes /dev/kvm
# and /dev/cpu/0/msr the null device, KVM=none leaves both out
devrun() {
	local kvm=$1 d=$scratch/dev-$1; shift
	rm -rf "$d"
	mkdir -p "$d/cpu/0"
	unshare -m --propagation private "$BASH" -c '
		kvm=$1 d=$2; shift 2
		for n in null zero full random urandom; do
			[ -e "/dev/$n" ] || continue
			: >"$d/$n" && mount --bind "/dev/$n" "$d/$n" || exit 99
		done
		# a build or scratch tree under /dev/shm (TMPDIR=/dev/shm) stays reachable
		if [ -d /dev/shm ]; then mkdir "$d/shm" && mount --bind /dev/shm "$d/shm" || exit 99; fi
		if [ "$kvm" = null ]; then
			for n in kvm cpu/0/msr; do
				: >"$d/$n" && mount --bind /dev/null "$d/$n" || exit 99
			done
		fi
		mount --rbind "$d" /dev || exit 99
		exec "$@"' devrun "$kvm" "$d" "$@"
}

# ---- a /dev/kvm that opens and answers nothing ----
devrun null env PATH=$bin ${CAPSPROBE_WRAPPER:-} "$CAPSPROBE" domain --emulator "$emu" --machine q35 --virttype kvm --no-cache \
	>"$scratch/dom.xml" 2>"$scratch/dom.err"
rc=$?
check "silent /dev/kvm: domain --virttype kvm, exit 0 and quiet (rc $rc, $(head -1 "$scratch/dom.err"))" \
	test $rc -eq 0 -a ! -s "$scratch/dom.err"
check "  the document is KVM's" grep -q '<domain>kvm</domain>' "$scratch/dom.xml"
check "  its vCPU limit is libvirt's fallback of 4" grep -q "<vcpu max='4'/>" "$scratch/dom.xml"
# the recording's own limit is far higher: the 4 came from the device
mkdir -p "$scratch/facts"
printf '1\n' >"$scratch/facts/kvm"
printf '300\n' >"$scratch/facts/kvm-max-vcpus"
CAPSPROBE_FACTS=$scratch/facts PATH=$bin capsprobe domain --emulator "$emu" --machine q35 --virttype kvm --no-cache \
	>"$scratch/dom300.xml" 2>/dev/null
check "  (control: with the limit stated as 300 the document says so)" \
	grep -q "<vcpu max='[1-9][0-9][0-9]'/>" "$scratch/dom300.xml"

# ---- host: no more from a silent /dev/kvm than from none ----
devrun null env PATH=$bin ${CAPSPROBE_WRAPPER:-} "$CAPSPROBE" host --no-cache --no-guests >"$scratch/ng-null.xml" 2>/dev/null
devrun none env PATH=$bin ${CAPSPROBE_WRAPPER:-} "$CAPSPROBE" host --no-cache --no-guests >"$scratch/ng-none.xml" 2>/dev/null
check "  (control: host --no-guests, exit 0)" test -s "$scratch/ng-none.xml"
check "silent /dev/kvm adds no TSC counter, no MSR feature: host --no-guests as without /dev/kvm" \
	eval "[ -s '$scratch/ng-null.xml' ] && cmp -s '$scratch/ng-null.xml' '$scratch/ng-none.xml'"

devrun none env PATH=$bin ${CAPSPROBE_WRAPPER:-} "$CAPSPROBE" domain --emulator "$emu" --machine q35 --virttype kvm --no-cache \
	>"$scratch/domnk.xml" 2>"$scratch/domnk.err"
rc=$?
check "no /dev/kvm: domain --virttype kvm, exit 2 (rc $rc)" test $rc -eq 2
check "  one error naming /dev/kvm ($(head -1 "$scratch/domnk.err"))" \
	eval "[ \$(wc -l <'$scratch/domnk.err') -eq 1 ] && grep -q '^error: .*/dev/kvm' '$scratch/domnk.err'"
check "  no document" test ! -s "$scratch/domnk.xml"
finish
