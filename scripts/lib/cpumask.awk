# cpumask(list, bits): the mask the kernel prints beside a CPU or node list
# ("0-3,8" -> "00000000,0000010f"): 32-bit hex words, most significant first,
# separated by commas, bits wide (0: as wide as the list's highest id, which
# is what a script that only has the list can do).  Shared by the scripts
# that write sysfs trees (awk -f scripts/lib/cpumask.awk -f PROGRAM).
function cpumask(list, bits,   parts, np, i, k, r, lo, hi, c, set, top, words, wd, b, v, o) {
	np = split(list, parts, ",")
	top = 0
	for (i = 1; i <= np; i++) {
		if (parts[i] == "") continue
		k = split(parts[i], r, "-"); lo = r[1] + 0; hi = (k > 1 ? r[2] : r[1]) + 0
		for (c = lo; c <= hi; c++) { set[c] = 1; if (c + 1 > top) top = c + 1 }
	}
	if (bits > 0) top = bits
	words = int((top + 31) / 32); if (words < 1) words = 1
	o = ""
	for (wd = words - 1; wd >= 0; wd--) {
		v = 0
		for (b = 31; b >= 0; b--) v = v * 2 + ((wd * 32 + b) in set ? 1 : 0)
		o = o sprintf("%08x", v) (wd ? "," : "")
	}
	return o
}
