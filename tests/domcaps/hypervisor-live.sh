#!/bin/bash
# maxvcpus, hypervisor-cpu-models and nodesevinfo on the live host against
# virsh 11.3's embedded QEMU driver on the same host: the same output, or
# (where virsh fails) exit 2 and virsh's last error line.  Skips (77)
# without virsh or a QEMU for the host's arch.  (The domain command's own
# errors, an unknown machine say, keep that command's wording: not here.)
. "$(dirname "$0")/../lib.sh" || exit 99

command -v virsh >/dev/null && virsh --version 2>/dev/null | grep -q '^11\.3\.' ||
	{ echo "SKIP: libvirt 11.3's virsh is not installed"; exit 77; }
command -v "qemu-system-$(uname -m)" >/dev/null ||
	{ echo "SKIP: no qemu-system-$(uname -m) in PATH"; exit 77; }
mkdir -p "$scratch/embed"
for cmd in maxvcpus "maxvcpus --type qemu" "maxvcpus --type QEMU" "maxvcpus --type kvm" "maxvcpus --type xen" \
	nodesevinfo hypervisor-cpu-models "hypervisor-cpu-models --all" \
	"hypervisor-cpu-models --virttype qemu --machine pc"; do
	# shellcheck disable=SC2086
	virsh -c "qemu:///embed?root=$scratch/embed" $cmd >"$scratch/want" 2>"$scratch/want.err"
	vrc=$?
	# shellcheck disable=SC2086
	capsprobe $cmd --no-cache >"$scratch/got" 2>"$scratch/err"
	rc=$?
	if [ $vrc -eq 0 ]; then
		check "live '$cmd' is virsh's output" eval '[ $rc -eq 0 ] && cmp -s "$scratch/want" "$scratch/got"'
	else
		# virsh may say first what failed ("failed to get ..."), then libvirt's error
		want=$(tail -1 "$scratch/want.err")
		check "live '$cmd' fails as virsh does ($want)" eval \
			'[ $rc -eq 2 ] && [ ! -s "$scratch/got" ] && [ "$(cat "$scratch/err")" = "$want" ]'
	fi
done
finish
