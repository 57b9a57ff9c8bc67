#!/bin/bash
# Firmware descriptors as libvirt's two daemons read them
# (qemuInteropFetchConfigs): a privileged run (the system daemon) reads
# /usr/share/qemu/firmware and /etc/qemu/firmware only; an unprivileged one
# (a session daemon) also the user's $XDG_CONFIG_HOME/qemu/firmware, or
# ~/.config/qemu/firmware when XDG_CONFIG_HOME is unset or not absolute, its
# files overriding the system ones of the same name.  The run's privilege
# is stated (the fact "privileged"), so root and users see the same checks.
. "$(dirname "$0")/../lib.sh" || exit 99

tree=$scratch/tree
cp -r "$FIXTURES/domain/host-x86_64-amd" "$tree"
mkdir -p "$tree/capsprobe/qemu/usr/bin/qemu-system-x86_64"
cp "$FIXTURES/qemu/7.2.22-x86_64"*.replies "$tree/capsprobe/qemu/usr/bin/qemu-system-x86_64/"
kvm_host
dom=(domain --sysroot "$tree" --emulator /usr/bin/qemu-system-x86_64 --machine q35 --virttype kvm)
# a descriptor of the user's, for a loader no system descriptor names (the
# loader must exist to be listed, as in libvirt)
mkdir -p "$tree/home/u"
: >"$tree/home/u/MY_CODE.fd"
: >"$tree/home/u/XDG_CODE.fd"
user_fw() { # DIR (inside the tree)
	mkdir -p "$tree$1"
	sed 's|"filename": *"[^"]*OVMF_CODE[^"]*"|"filename": "/home/u/MY_CODE.fd"|' \
		"$tree/usr/share/qemu/firmware/60-edk2-x86_64.json" >"$tree$1/70-mine.json"
}
state() { echo "$1" >"$CAPSPROBE_FACTS/privileged"; }
check "the system descriptor the user's copies names OVMF_CODE" \
	grep -q '"filename": *"[^"]*OVMF_CODE' "$tree/usr/share/qemu/firmware/60-edk2-x86_64.json"

user_fw /home/u/.config/qemu/firmware
user_fw /home/u/xdg/qemu/firmware
sed -i 's|MY_CODE|XDG_CODE|' "$tree/home/u/xdg/qemu/firmware/70-mine.json"

state 1
HOME=/home/u XDG_CONFIG_HOME=/home/u/xdg capsprobe "${dom[@]}" >"$scratch/sys.xml" 2>"$scratch/sys.err"
check "privileged: exit 0 ($(head -1 "$scratch/sys.err"))" test $? -eq 0
check "privileged: the user's descriptors are not read" \
	eval '! grep -q "MY_CODE\|XDG_CODE" "$scratch/sys.xml" && grep -q "<loader supported=.yes.>" "$scratch/sys.xml"'

state 0
HOME=/home/u XDG_CONFIG_HOME=/home/u/xdg capsprobe "${dom[@]}" >"$scratch/xdg.xml" 2>"$scratch/xdg.err"
check "session, XDG_CONFIG_HOME set: exit 0 ($(head -1 "$scratch/xdg.err"))" test $? -eq 0
check "session, XDG_CONFIG_HOME set: its descriptor's loader is listed" \
	grep -q '<value>/home/u/XDG_CODE.fd</value>' "$scratch/xdg.xml"
check "session, XDG_CONFIG_HOME set: ~/.config is not read" eval '! grep -q MY_CODE "$scratch/xdg.xml"'

(unset XDG_CONFIG_HOME; HOME=/home/u capsprobe "${dom[@]}") >"$scratch/home.xml" 2>"$scratch/home.err"
check "session, no XDG_CONFIG_HOME: ~/.config/qemu/firmware is read" \
	grep -q '<value>/home/u/MY_CODE.fd</value>' "$scratch/home.xml"
HOME=/home/u XDG_CONFIG_HOME=relative/xdg capsprobe "${dom[@]}" >"$scratch/rel.xml" 2>/dev/null
check "session, a relative XDG_CONFIG_HOME: ignored for ~/.config" cmp -s "$scratch/home.xml" "$scratch/rel.xml"

# the user's file overrides the system one of the same name
cp "$tree/home/u/.config/qemu/firmware/70-mine.json" "$tree/home/u/.config/qemu/firmware/60-edk2-x86_64.json"
(unset XDG_CONFIG_HOME; HOME=/home/u capsprobe "${dom[@]}") >"$scratch/ovr.xml" 2>/dev/null
check "session: a user file of a system file's name replaces it" \
	eval 'grep -q "<value>/usr/share/OVMF/OVMF_CODE_4M.fd<" "$scratch/home.xml" && ! grep -q "<value>/usr/share/OVMF/OVMF_CODE_4M.fd<" "$scratch/ovr.xml"'
finish
