#!/bin/bash
# The layout is the architecture (README, Layout): a file under src/ includes
# headers of its own folder and of the folders before it in the order below,
# and always as "folder/file.h"; the CLI (src/cli/, src/capsprobe.c) may
# include any.
. "$(dirname "$0")/lib.sh" || exit 99
src=$(cd "$(dirname "$0")/../src" && pwd)
order=(util model cpumap host cpu qmp probe cache domcaps guests xml text record cli)

rank() {
	local i
	for i in "${!order[@]}"; do
		[ "${order[$i]}" = "$1" ] && { echo "$i"; return; }
	done
	echo -1
}

bad=$scratch/bad
: >"$bad"
for d in "$src"/*/; do
	d=$(basename "$d")
	ls "$src/$d"/*.[ch] >/dev/null 2>&1 || continue	# build leftovers only
	[ "$(rank "$d")" -ge 0 ] || echo "src/$d/: a folder the layout does not name" >>"$bad"
done
for f in "$src"/*/*.[ch] "$src"/capsprobe.c; do
	rel=${f#"$src"/}
	here=${rel%%/*}
	[ "$here" = "$rel" ] && here=cli
	while read -r inc; do
		[ "$inc" = config.h ] && continue
		case $inc in
		*/*.h) ;;
		*) echo "$rel: \"$inc\" is not \"folder/file.h\"" >>"$bad"; continue ;;
		esac
		[ -e "$src/$inc" ] || { echo "$rel: \"$inc\" is not under src/" >>"$bad"; continue; }
		[ "$here" = cli ] && continue
		to=${inc%%/*}
		[ "$(rank "$to")" -le "$(rank "$here")" ] || echo "$rel includes $inc: $to/ is below $here/" >>"$bad"
	done < <(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$f")
done
check "every include is \"folder/file.h\" of the same layer or one above" test ! -s "$bad"
[ -s "$bad" ] && cat "$bad" >&2
finish
