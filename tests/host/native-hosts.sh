#!/bin/bash
# The native aarch64, ppc64 and s390x trees of tests/fixtures/host (made by
# scripts/gen-native-hosts from libvirt 11.3's tests/virhostcpudata) against
# what libvirt's own tests derive from the same files, with no network:
# NAME.virhostcpu.expected (virHostCPUGetInfoPopulateLinux: CPUs, MHz, nodes,
# sockets, cores, threads) and NAME.virhostcpu.signature
# (virHostCPUReadSignature), verbatim copies.  Checked: capsprobe nodeinfo,
# the host <cpu><topology> of the golden NAME.xml (libvirt's document, which
# tests/host/golden.sh compares byte for byte) and capsprobe's, the CPU
# signature, and the ppc64 <model>/<vendor> (the lines libvirt-host-doc takes
# from capsprobe) against the PVR rows of libvirt's CPU map.
. "$(dirname "$0")/../lib.sh" || exit 99
sig=${CPU_SIGNATURE:-}
[ -x "$sig" ] || { echo "ERROR: CPU_SIGNATURE (tests/host/cpu-signature) is not set or not built"; exit 99; }
dir=$FIXTURES/host
map=$FIXTURES/libvirt/cpu_map

# nodeinfo's text as virhostcputest prints nodeinfo
as_expected() {
	awk -F': *' '
	/^CPU\(s\):/ { cpus = $2 } /^CPU frequency:/ { mhz = $2 + 0 } /^CPU socket\(s\):/ { s = $2 }
	/^Core\(s\) per socket:/ { c = $2 } /^Thread\(s\) per core:/ { t = $2 } /^NUMA cell\(s\):/ { n = $2 }
	END { printf "CPUs: %d/%d, MHz: %d, Nodes: %d, Sockets: %d, Cores: %d, Threads: %d\n",
		cpus, n * s * c * t, mhz, n, s, c, t }' "$1"
}
cpu_block() { awk '/^    <cpu>/ { on = 1 } on { print } /^    <\/cpu>/ { on = 0 }' "$1"; }
cpu_topology() { awk '/^    <cpu>/ { on = 1 } on && /^      <topology / { sub(/^ */, ""); print } /^    <\/cpu>/ { on = 0 }' "$1"; }

# verify TREE EXPECTED SIGNATURE GOLDEN LABEL: 0 when all agree, the
# differences on stdout otherwise
verify() {
	local tree=$1 expected=$2 signature=$3 golden=$4 want have topo
	want=$(head -1 "$expected")
	if capsprobe nodeinfo --sysroot "$tree" >"$scratch/ni" 2>"$scratch/ni.err"; then
		have=$(as_expected "$scratch/ni")
		[ "$have" = "$want" ] || echo "nodeinfo: libvirt $want; capsprobe $have"
	else
		echo "nodeinfo failed: $(head -1 "$scratch/ni.err")"
	fi
	topo=$(echo "$want" | sed -n "s/.*Sockets: \([0-9]*\), Cores: \([0-9]*\), Threads: \([0-9]*\)\$/<topology sockets='\1' dies='1' clusters='1' cores='\2' threads='\3'\/>/p")
	[ "$(cpu_topology "$golden")" = "$topo" ] || echo "golden <cpu> topology: $(cpu_topology "$golden"); virhostcpu's $topo"
	capsprobe host --no-guests --sysroot "$tree" >"$scratch/doc" 2>/dev/null
	[ "$(cpu_topology "$scratch/doc")" = "$topo" ] || echo "capsprobe's <cpu> topology: $(cpu_topology "$scratch/doc"); virhostcpu's $topo"
	want=$(cat "$signature" 2>/dev/null)
	have=$("$sig" "$tree" 2>&1)
	[ "$have" = "$want" ] || echo "signature: libvirt ${want:-(none)}; capsprobe ${have:-(none)}"
}

n=0 arches=
for expected in "$dir"/*.virhostcpu.expected; do
	[ -f "$expected" ] || continue
	name=$(basename "$expected" .virhostcpu.expected)
	tree=$dir/$name
	n=$((n + 1))
	arches="$arches $(cat "$tree/capsprobe/uname-machine")"
	verify "$tree" "$expected" "$dir/$name.virhostcpu.signature" "$dir/$name.xml" >"$scratch/diff"
	check "$name: nodeinfo, <cpu> topology and signature are virhostcputest's ($(head -1 "$expected"))" \
		test ! -s "$scratch/diff"
	sed 's/^/    /' "$scratch/diff"
done
check "the native trees are there: aarch64, ppc64 and s390x ($n:$arches)" \
	eval '[[ "$arches " == *" aarch64 "* && "$arches " == *" ppc64 "* && "$arches " == *" s390x "* ]]'

# The ppc64 model and vendor (capsprobe's lines in the golden): the CPU
# map's model whose PVR value/mask matches the tree's PVR, in map order.
tree=$dir/ppc64-power8-8247-22l
pvr=$(cat "$tree/capsprobe/pvr")
want=
for f in $(sed -n "/<arch name='ppc64'>/,/<\/arch>/s/.*<include filename='\(ppc64_[^']*\)'.*/\1/p" "$map/index.xml"); do
	[ -z "$want" ] || break
	[ "$f" = ppc64_vendors.xml ] && continue
	while read -r value mask; do
		if [ $((pvr & mask)) -eq $((value)) ]; then
			want="$(sed -n "s/.*<model name='\([^']*\)'.*/\1/p" "$map/$f") $(sed -n "s/.*<vendor name='\([^']*\)'.*/\1/p" "$map/$f")"
			break
		fi
	done < <(sed -n "s/.*<pvr value='\([^']*\)' mask='\([^']*\)'.*/\1 \2/p" "$map/$f")
done
cpu_block "$dir/ppc64-power8-8247-22l.xml" >"$scratch/ppc.cpu"
have="$(sed -n 's/^      <model>\(.*\)<\/model>$/\1/p' "$scratch/ppc.cpu") $(sed -n 's/^      <vendor>\(.*\)<\/vendor>$/\1/p' "$scratch/ppc.cpu")"
check "ppc64: the golden's model and vendor ($have) are the CPU map's for PVR $pvr ($want)" \
	test -n "$want" -a "$have" = "$want"
# aarch64: X-Gene's part number has no model in the map, so libvirt's
# getHost fails and prints none (capsprobe neither)
part=$(printf '0x%03x' $(( $(cat "$dir/aarch64-xgene1-moonshot/sys/devices/system/cpu/cpu0/regs/identification/midr_el1") >> 4 & 0xfff )))
check "aarch64: no model in the map for part $part, none in the golden" \
	eval '! grep -q "<pvr value=.$part./>" "$map"/arm_*.xml && ! cpu_block "$dir/aarch64-xgene1-moonshot.xml" | grep -q "<model>"'

# The comparison bites: each changed expectation fails.
bite() {
	local what=$1 file=$2 expr=$3
	mkdir -p "$scratch/bite"
	for f in expected signature; do cp "$dir/s390x-z13-2964.virhostcpu.$f" "$scratch/bite/$f"; done
	cp "$dir/s390x-z13-2964.xml" "$scratch/bite/xml"
	sed -i "$expr" "$scratch/bite/$file"
	verify "$dir/s390x-z13-2964" "$scratch/bite/expected" "$scratch/bite/signature" "$scratch/bite/xml" >"$scratch/bite.out"
	check "a changed $what is found ($(head -1 "$scratch/bite.out"))" test -s "$scratch/bite.out"
}
bite "frequency" expected 's/MHz: 5000/MHz: 4999/'
bite "core count" expected 's/Cores: 8/Cores: 4/'
bite "signature" signature 's/machine = 2964/machine = 2965/'
bite "golden topology" xml "s/cores='8'/cores='4'/"
finish
