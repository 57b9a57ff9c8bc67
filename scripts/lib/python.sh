# Sourced.  cp_python [MODULE...]: print the path of a Python 3 interpreter
# that can import every MODULE: $CAPSPROBE_PYTHON, else python3 in PATH,
# else /usr/bin/python3 (Debian's packages, such as python3-jsonschema,
# land there, not in a pyenv Python); fail when none can.  The path printed
# is the interpreter itself (sys.executable), not a version manager's shim:
# pyenv's python3 shim costs half a second a start, and the suite starts
# Python hundreds of times.
cp_python() {
	local cand exe
	for cand in ${CAPSPROBE_PYTHON:-} python3 /usr/bin/python3; do
		command -v "$cand" >/dev/null 2>&1 || continue
		exe=$("$cand" -c 'import sys
for m in sys.argv[1:]:
    __import__(m)
print(sys.executable)' "$@" 2>/dev/null) || continue
		[ -x "$exe" ] && { echo "$exe"; return 0; }
	done
	return 1
}
