#!/bin/bash
# Command-line misuse tests/cli.sh leaves out: empty option values, stray
# arguments after each command, options that exclude each other, a bad
# --timeout, an --xpath that compiles but fails when run, and output or
# recording places that cannot be used.  Each: its exit status (1 usage, 2
# probe failure), exactly one error line saying what, and no document.
. "$(dirname "$0")/../lib.sh" || exit 99

tree=$FIXTURES/host/x86-epyc-milan-kvm-2cpu
# want STATUS TEXT ARGS...: capsprobe ARGS exits STATUS, prints nothing on
# stdout and one error line on stderr matching TEXT
want() {
	local status=$1 text=$2 rc; shift 2
	capsprobe "$@" >"$scratch/out" 2>"$scratch/err"
	rc=$?
	check "capsprobe $*: exit $status (rc $rc), one error line: $text ($(head -1 "$scratch/err"))" \
		eval "[ $rc -eq $status ] && [ ! -s '$scratch/out' ] && [ \$(wc -l <'$scratch/err') -eq 1 ] &&
			grep -q -- '^error: '\"\$(printf '%s' \"\$text\" | sed 's/[][\\.*^\$]/\\\\&/g')\" '$scratch/err'"
}

want 1 "--cache-dir needs a directory" host --cache-dir=
want 1 "--emulator needs a path" domain --emulator=
want 1 "--machines needs a path" emulators --machines=
want 1 "--no-cache and --refresh exclude each other" host --no-cache --refresh
want 1 "invalid --timeout '0' (seconds, > 0)" host --timeout 0
want 1 "invalid --timeout 'abc' (seconds, > 0)" host --timeout abc
want 1 "invalid --timeout '1e300' (seconds, > 0)" domain --timeout 1e300
for cmd in "domain" "emulators" "record $scratch/rec" "cache list"; do
	# shellcheck disable=SC2086
	want 1 "unexpected argument 'extra'" $cmd extra
done
want 1 "unknown action 'frob' (list or clear)" cache frob
want 1 "no directory given" record
want 1 "unknown virttype: bogus" domain --virttype bogus
want 1 "unknown architecture: nosuch" domain --arch nosuch

# an expression that compiles but cannot be run is found only once the
# document exists: a probe failure, and the document is not printed
want 2 "invalid XPath expression 'nosuchfunction()'" host --no-guests --sysroot "$tree" --xpath 'nosuchfunction()'
want 2 "invalid XPath expression '\$undefined'" host --no-guests --sysroot "$tree" --xpath '$undefined'
# (control: the same run with a good expression prints)
capsprobe host --no-guests --sysroot "$tree" --xpath 'count(/capabilities)' >"$scratch/out" 2>/dev/null
check "  (control: a good --xpath on the same tree prints 1)" grep -qx 1 "$scratch/out"

: >"$scratch/file"
want 2 "cache directory $scratch/file: Not a directory" cache --cache-dir "$scratch/file" list
want 2 "cache directory $scratch/file: Not a directory" cache --cache-dir "$scratch/file" clear
want 2 "$scratch/file exists and is not a directory" host --no-guests --sysroot "$tree" --record "$scratch/file"
want 2 "cannot create $scratch/file/rec: Not a directory" host --no-guests --sysroot "$tree" --record "$scratch/file/rec"
check "  and left the file as it was" test -f "$scratch/file" -a ! -s "$scratch/file"
want 2 "$scratch/nonexistent: no such file" emulators --machines "$scratch/nonexistent"
finish
