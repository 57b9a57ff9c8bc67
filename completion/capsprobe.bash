# bash completion for capsprobe(1).  The commands and each command's options
# come from the program itself: `capsprobe --list-commands`, and
# `capsprobe --list-options [COMMAND]`, one line per option, "--NAME KIND",
# made from the command's option table (the same table as its --help), KIND
# saying what its argument is (dir, cache-dir, emulator, arch, virttype,
# machine, file, format-xml, format-text, text; none for an option without
# one).  The values offered: QEMU
# emulators in PATH for an emulator, libvirt's arch names, kvm|qemu,
# directories, and for a machine the machine types of the emulator on the
# line (or of qemu-system-<arch>), as `capsprobe emulators --machines PATH`
# lists them (from the probe cache when its entry is valid, else from a
# quick probe).
# Installed by `make install` into bash-completion's completions directory.

# libvirt's arch names (src/host/arch.c)
_capsprobe_arches="alpha armv6l armv7l armv7b aarch64 cris i686 ia64 lm32 loongarch64 m68k microblaze microblazeel mips mipsel mips64 mips64el openrisc parisc parisc64 ppc ppcle ppc64 ppc64le ppcemb riscv32 riscv64 s390 s390x sh4 sh4eb sparc sparc64 unicore32 x86_64 xtensa xtensaeb"

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
	local cmd= i w v emulator= arch= cachedir= list
	local bin=${COMP_WORDS[0]}
	local -A kind=()

	[ -x "$bin" ] || bin=capsprobe
	((COMP_CWORD > 0)) && prev=${COMP_WORDS[COMP_CWORD - 1]}
	# --opt=value is split at '=' by COMP_WORDBREAKS
	if [ "$cur" = "=" ]; then
		cur=
	elif [ "$prev" = "=" ] && ((COMP_CWORD > 1)); then
		prev=${COMP_WORDS[COMP_CWORD - 2]}
	fi
	COMPREPLY=()

	# the command: the first word that is no option
	for ((i = 1; i < COMP_CWORD; i++)); do
		w=${COMP_WORDS[i]}
		[ "${w#-}" = "$w" ] && [ "$w" != = ] && { cmd=$w; break; }
	done

	if [ -z "$cmd" ]; then
		if [ "${cur#-}" != "$cur" ]; then
			COMPREPLY=($(compgen -W "$("$bin" --list-options 2>/dev/null)" -- "$cur"))
		else
			COMPREPLY=($(compgen -W "$("$bin" --list-commands 2>/dev/null)" -- "$cur"))
		fi
		return 0
	fi
	# help's operand is a command
	if [ "$cmd" = help ] && [ "${cur#-}" = "$cur" ]; then
		((COMP_CWORD == i + 1)) &&
			COMPREPLY=($(compgen -W "$("$bin" --list-commands 2>/dev/null)" -- "$cur"))
		return 0
	fi

	# the command's options and what each one's argument is
	list=$("$bin" --list-options "$cmd" 2>/dev/null) || return 0
	while read -r w v; do
		[ -n "$w" ] && kind[$w]=${v:-none}
	done <<<"$list"

	# the options that decide what a machine type completes to
	for ((i = 1; i < COMP_CWORD; i++)); do
		w=${COMP_WORDS[i]}
		v=${COMP_WORDS[i + 1]:-}
		[ "$v" = "=" ] && v=${COMP_WORDS[i + 2]:-}
		[ -n "$w" ] || continue	# (an empty key is no subscript)
		case ${kind[$w]:-} in
		emulator) emulator=$v ;;
		arch) arch=$v ;;
		cache-dir) cachedir=$v ;;
		esac
	done

	v=
	[ -n "$prev" ] && v=${kind[$prev]:-}
	case $v in
	emulator)
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
	arch)
		COMPREPLY=($(compgen -W "$_capsprobe_arches" -- "$cur"))
		return 0
		;;
	virttype)
		COMPREPLY=($(compgen -W "kvm qemu" -- "$cur"))
		return 0
		;;
	format-xml)
		COMPREPLY=($(compgen -W "xml json" -- "$cur"))
		return 0
		;;
	format-text)
		COMPREPLY=($(compgen -W "text json" -- "$cur"))
		return 0
		;;
	dir | cache-dir)
		COMPREPLY=($(compgen -d -- "$cur"))
		return 0
		;;
	file)
		COMPREPLY=($(compgen -f -- "$cur"))
		return 0
		;;
	machine)
		if [ -z "$emulator" ]; then
			[ -n "$arch" ] || arch=$(uname -m)
			case $arch in i?86) arch=i686 ;; arm64) arch=aarch64 ;; esac
			emulator=$(type -P "qemu-system-$(_capsprobe_qemu_name "$arch")")
			[ -n "$emulator" ] || { [ -x /usr/libexec/qemu-kvm ] && emulator=/usr/libexec/qemu-kvm; }
		fi
		[ -n "$emulator" ] || return 0
		COMPREPLY=($(compgen -W "$("$bin" emulators --machines "$emulator" --timeout 10 \
			${cachedir:+--cache-dir "$cachedir"} 2>/dev/null)" -- "$cur"))
		return 0
		;;
	text)
		return 0
		;;
	esac

	if [ "${cur#-}" != "$cur" ]; then
		COMPREPLY=($(compgen -W "${!kind[*]}" -- "$cur"))
	elif [ "$cmd" = cache ]; then
		COMPREPLY=($(compgen -W "list clear" -- "$cur"))
	elif [ "$cmd" = record ]; then
		COMPREPLY=($(compgen -d -- "$cur"))
	elif [ "$cmd" = cpu-models ]; then
		COMPREPLY=($(compgen -W "$_capsprobe_arches" -- "$cur"))
	elif [ "$cmd" = cpu-baseline ] || [ "$cmd" = cpu-compare ] ||
	     [ "$cmd" = hypervisor-cpu-baseline ] || [ "$cmd" = hypervisor-cpu-compare ]; then
		COMPREPLY=($(compgen -f -- "$cur"))
	fi
	return 0
}
complete -F _capsprobe capsprobe
