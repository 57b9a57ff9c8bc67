#!/bin/bash
# The man page against the option tables, both ways: each command's options
# (as --help and --list-options make them from its table) are in the man
# page's SYNOPSIS line of that command and have an entry under OPTIONS;
# every option the SYNOPSIS gives a command, and every option OPTIONS
# describes, is in a table.  The page is written by hand; this keeps it
# honest.
. "$(dirname "$0")/../lib.sh" || exit 99

man=${MANPAGE:-$FIXTURES/../../man/capsprobe.1}
[ -r "$man" ] || { echo "ERROR: no man page at $man"; exit 99; }

# roff to plain option words: \- is -, fonts and quotes go
plain() { sed -e 's/\\-/-/g' -e 's/\\f[BIRP]//g' -e 's/"//g'; }
# the long and short options in text on stdin, one per line
options_in() { grep -oE -- '(^|[][ |,(])--?[a-zA-Z][a-z-]*' | sed 's/^[][ |,(]//' | sort -u; }

# SYNOPSIS: the lines from one ".B capsprobe CMD" to the next, per command
synopsis() { # COMMAND
	sed -n '/^\.SH SYNOPSIS/,/^\.SH /p' "$man" | plain |
		awk -v cmd="$1" '/^\.B capsprobe/ { on = ($3 == cmd) } on' | sed 's/^\.B capsprobe [a-z-]*//' | options_in
}
# OPTIONS: the tag line after each .TP
described=$(sed -n '/^\.SH OPTIONS/,/^\.SH /p' "$man" | awk 'tp { print; tp = 0 } /^\.TP/ { tp = 1 }' |
	plain | options_in)
all_table=

cmds=$(capsprobe --list-commands)
check "there are commands" test -n "$cmds"
for cmd in $cmds; do
	[ "$cmd" = help ] && continue
	# the table: every long option; --help shows the short ones and
	# leaves the aliases out
	table=$(capsprobe --list-options "$cmd" | cut -d' ' -f1 | sort -u)
	shown=$(capsprobe "$cmd" --help | sed -n '/^Options:$/,/^$/p' | grep -oE '^  -[a-zA-Z], --[a-z-]+|^      --[a-z-]+' |
		sed 's/^ *//')
	shorts=$(echo "$shown" | grep -oE '^-[a-zA-Z]' | sort -u)
	syn=$(synopsis "$cmd")
	all_table="$all_table $table $shorts"
	check "$cmd: the table has options" test -n "$table"
	check "$cmd: has a SYNOPSIS line" test -n "$syn"
	missing=
	while read -r line; do
		[ -n "$line" ] || continue
		long=${line##* }
		short=$(echo "$line" | grep -oE '^-[a-zA-Z]')
		[ "$long" = --help ] && continue	# in the SYNOPSIS of capsprobe itself
		echo "$syn" | grep -qx -- "$long" || { [ -n "$short" ] && echo "$syn" | grep -qx -- "$short"; } ||
			missing="$missing $long"
	done <<<"$shown"
	check "$cmd: every option of its table is in its SYNOPSIS (missing:$missing)" test -z "$missing"
	extra=$(comm -23 <(echo "$syn") <(printf '%s\n' $table $shorts | sort -u) | tr '\n' ' ')
	check "$cmd: every option its SYNOPSIS gives is in its table (extra: $extra)" test -z "$extra"
	undescribed=$(comm -23 <(printf '%s\n' $table $shorts | sort -u) <(echo "$described") | tr '\n' ' ')
	check "$cmd: every option (aliases too) has an entry under OPTIONS (missing: $undescribed)" \
		test -z "$undescribed"
done
# capsprobe's own options, then OPTIONS against every table
own=$(capsprobe --list-options; capsprobe --help | grep -oE '^  -[a-zA-Z]')
unknown=$(comm -13 <(printf '%s\n' $all_table $own | sort -u) <(echo "$described") | tr '\n' ' ')
check "OPTIONS describes no option that is in no table (extra: $unknown)" test -z "$unknown"
check "OPTIONS was read (--xpath is there)" eval 'echo "$described" | grep -qx -- --xpath'
finish
