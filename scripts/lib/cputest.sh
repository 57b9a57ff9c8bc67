# Sourced.  dump_to_facts DUMP FACTSDIR: libvirt's CPUID/MSR dump (its
# tests/cputestdata x86_64-cpuid-NAME.xml format) as capsprobe's cpuid and
# msr facts in FACTSDIR (the format of cp_cpuid_parse/cp_msr_parse).  Any
# line that is neither a <cpuid>/<msr> item nor the wrapper is an error:
# nothing is dropped quietly.
dump_to_facts() { # dump, factsdir
	awk -v cpuid="$2/cpuid" -v msr="$2/msr" '
	function attr(name,   m) {
		if (!match($0, " " name "='\''0x[0-9a-fA-F]+'\''")) return ""
		return substr($0, RSTART + length(name) + 3, RLENGTH - length(name) - 4)
	}
	function hex(s,   v, i, c) {
		s = tolower(s); v = 0
		for (i = 3; i <= length(s); i++) {
			c = index("0123456789abcdef", substr(s, i, 1)) - 1
			v = v * 16 + c
		}
		return v
	}
	BEGIN { print "# leaf subleaf eax ebx ecx edx" > cpuid; print "# index value" > msr }
	/^[ \t]*<cpuid / {
		if (attr("eax_in") == "") { print FILENAME ": line " NR ": <cpuid> without eax_in" > "/dev/stderr"; bad = 1; next }
		printf "0x%08x 0x%08x 0x%08x 0x%08x 0x%08x 0x%08x\n", hex(attr("eax_in")), hex(attr("ecx_in")),
			hex(attr("eax")), hex(attr("ebx")), hex(attr("ecx")), hex(attr("edx")) > cpuid
		next
	}
	/^[ \t]*<msr / {
		if (attr("index") == "" || attr("eax") == "" || attr("edx") == "") {
			print FILENAME ": line " NR ": <msr> without index, eax or edx" > "/dev/stderr"; bad = 1; next
		}
		printf "0x%08x 0x%08x%08x\n", hex(attr("index")), hex(attr("edx")), hex(attr("eax")) > msr
		next
	}
	/^[ \t]*(<cpudata arch='\''x86'\''>|<\/cpudata>|<!--.*-->)?[ \t]*$/ { next }
	{ print FILENAME ": line " NR ": unexpected: " $0 > "/dev/stderr"; bad = 1 }
	END { exit bad }' "$1"
}
