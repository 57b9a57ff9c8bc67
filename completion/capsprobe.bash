# bash completion for capsprobe(1): commands, each command's options, QEMU
# emulators for --emulator, libvirt's arch names for --arch, kvm|qemu for
# --virttype, directories where a directory is wanted, and for --machine the
# machine types of the emulator on the line (or of qemu-system-<arch>), as
# `capsprobe emulators --machines PATH` lists them (from the probe cache when
# its entry is valid, else from a quick probe).
# Installed by `make install` into bash-completion's completions directory.

_capsprobe_commands="host domain record emulators cache"
# libvirt's arch names (src/host/arch.c)
_capsprobe_arches="alpha armv6l armv7l armv7b aarch64 cris i686 ia64 lm32 loongarch64 m68k microblaze microblazeel mips mipsel mips64 mips64el openrisc parisc parisc64 ppc ppcle ppc64 ppc64le ppcemb riscv32 riscv64 s390 s390x sh4 sh4eb sparc sparc64 unicore32 x86_64 xtensa xtensaeb"

# _capsprobe_options COMMAND: its options, as its --help lists them
_capsprobe_options() {
	local cache="--cache-dir --no-cache --refresh"
	local query="--xpath --wrap"
	case $1 in
	host) echo "--sysroot --record --emulator --emulatorbin --no-guests --timeout $cache $query --stable --debug --verbose --help" ;;
	domain) echo "--emulator --emulatorbin --arch --machine --virttype --timeout --sysroot --record --record-qmp $cache $query --stable --debug --verbose --help" ;;
	record) echo "--emulator --emulatorbin --timeout --debug --verbose --help" ;;
	emulators) echo "--timeout $cache --machines --debug --verbose --help" ;;
	cache) echo "--cache-dir --verbose --help" ;;
	esac
}

# The qemu-system-* emulators in PATH, as absolute paths, each name once.
_capsprobe_emulator_paths() {
	local d f IFS=:
	local -A seen=()
	for d in $PATH; do
		[ -n "$d" ] && [ "${d#/}" != "$d" ] || continue
		for f in "$d"/qemu-system-*; do
			[ -f "$f" ] && [ -x "$f" ] || continue
			[ -n "${seen[${f##*/}]:-}" ] && continue
			seen[${f##*/}]=1
			printf '%s\n' "$f"
		done
	done
}

# _capsprobe_qemu_name ARCH: the qemu-system-<name> of a libvirt arch
_capsprobe_qemu_name() {
	case $1 in
	i686) echo i386 ;;
	armv6l | armv7l | armv7b) echo arm ;;
	openrisc) echo or1k ;;
	parisc | parisc64) echo hppa ;;
	ppcle) echo ppc ;;
	*) echo "$1" ;;
	esac
}

_capsprobe() {
	local cur=${COMP_WORDS[COMP_CWORD]} prev=
	local cmd= i w v emulator= arch= cachedir=
	local bin=${COMP_WORDS[0]}

	((COMP_CWORD > 0)) && prev=${COMP_WORDS[COMP_CWORD - 1]}
	# --opt=value is split at '=' by COMP_WORDBREAKS
	if [ "$cur" = "=" ]; then
		cur=
	elif [ "$prev" = "=" ] && ((COMP_CWORD > 1)); then
		prev=${COMP_WORDS[COMP_CWORD - 2]}
	fi
	COMPREPLY=()

	# the command, and the options that decide what --machine lists
	for ((i = 1; i < COMP_CWORD; i++)); do
		w=${COMP_WORDS[i]}
		v=${COMP_WORDS[i + 1]:-}
		[ "$v" = "=" ] && v=${COMP_WORDS[i + 2]:-}
		case $w in
		--emulator | --emulatorbin) emulator=$v ;;
		--arch) arch=$v ;;
		--cache-dir) cachedir=$v ;;
		esac
		[ -z "$cmd" ] && [ "${w#-}" = "$w" ] && cmd=$w
	done

	if [ -z "$cmd" ]; then
		if [ "${cur#-}" != "$cur" ]; then
			COMPREPLY=($(compgen -W "--help --version" -- "$cur"))
		else
			COMPREPLY=($(compgen -W "$_capsprobe_commands" -- "$cur"))
		fi
		return 0
	fi

	case $prev in
	--emulator | --emulatorbin | --machines)
		local paths
		paths=$(_capsprobe_emulator_paths)
		if [ -z "$cur" ] || [ "${cur#/}" != "$cur" ]; then
			COMPREPLY=($(compgen -W "$paths" -- "$cur"))
		else
			# a name: the emulators called so
			for w in $paths; do
				case ${w##*/} in "$cur"*) COMPREPLY+=("$w") ;; esac
			done
		fi
		# any other file the user points at (each once)
		[ "${cur#*/}" != "$cur" ] &&
			COMPREPLY=($(printf '%s\n' "${COMPREPLY[@]}" $(compgen -f -- "$cur") | sort -u))
		return 0
		;;
	--arch)
		COMPREPLY=($(compgen -W "$_capsprobe_arches" -- "$cur"))
		return 0
		;;
	--virttype)
		COMPREPLY=($(compgen -W "kvm qemu" -- "$cur"))
		return 0
		;;
	--sysroot | --record | --record-qmp | --cache-dir)
		COMPREPLY=($(compgen -d -- "$cur"))
		return 0
		;;
	--machine)
		if [ -z "$emulator" ]; then
			[ -n "$arch" ] || arch=$(uname -m)
			case $arch in i?86) arch=i686 ;; arm64) arch=aarch64 ;; esac
			emulator=$(type -P "qemu-system-$(_capsprobe_qemu_name "$arch")")
			[ -n "$emulator" ] || { [ -x /usr/libexec/qemu-kvm ] && emulator=/usr/libexec/qemu-kvm; }
		fi
		[ -n "$emulator" ] || return 0
		[ -x "$bin" ] || bin=capsprobe
		COMPREPLY=($(compgen -W "$("$bin" emulators --machines "$emulator" --timeout 10 \
			${cachedir:+--cache-dir "$cachedir"} 2>/dev/null)" -- "$cur"))
		return 0
		;;
	--timeout | --xpath)
		return 0
		;;
	esac

	if [ "${cur#-}" != "$cur" ]; then
		COMPREPLY=($(compgen -W "$(_capsprobe_options "$cmd")" -- "$cur"))
	elif [ "$cmd" = cache ]; then
		COMPREPLY=($(compgen -W "list clear" -- "$cur"))
	elif [ "$cmd" = record ]; then
		COMPREPLY=($(compgen -d -- "$cur"))
	fi
	return 0
}
complete -F _capsprobe capsprobe
