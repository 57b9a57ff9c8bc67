#!/bin/bash
# The capsprobe.fleet Ansible collection (ansible/) over a fleet of six
# recorded hosts (tests/fixtures/fleet/hosts: x86 AMD with and without KVM,
# x86 Intel, aarch64, ppc64, s390x), each a local host replaying its tree:
# for each domain definition of tests/fixtures/fleet/domains, the playbook's
# report says exactly the hosts of its runs-on line can run it, each other
# host with its reasons, and every verdict is the one `capsprobe check`
# gives on that host itself; each arch's baseline is `capsprobe
# cpu-baseline`'s over that arch's hosts' documents (or its error).
# Baselines are per pool (arch and CPU vendor: libvirt refuses to baseline
# CPUs of different vendors, "CPU vendors do not match").
. "$(dirname "$0")/../lib.sh" || exit 99

command -v ansible-playbook >/dev/null ||
	{ echo "SKIP: ansible-playbook is missing (Debian: ansible-core)"; exit 77; }
need_python "python3 is needed to read the playbook's report"
fleet=$FIXTURES/fleet
collections=$(cd "$FIXTURES/../.." && pwd)/ansible
[ -d "$collections/ansible_collections/capsprobe/fleet" ] || { echo "ERROR: no collection under $collections"; exit 99; }

# the fleet's sysroots, as domcaps_sysroot makes the domain cases'
inv=$scratch/inventory.ini
echo "[fleet]" >"$inv"
hosts=()
while read -r name tree facts emu replies; do
	case $name in '' | '#'*) continue ;; esac
	r=$scratch/hosts/$name
	mkdir -p "$r"
	cp -r "$FIXTURES/$tree/." "$r/"
	mkdir -p "$r/capsprobe/qemu$emu"
	if [ "$facts" != - ]; then
		for f in ${facts//,/ }; do printf '%s\n' "${f#*=}" >"$r/capsprobe/${f%%=*}"; done
	fi
	cp "$FIXTURES/qemu/$replies"*.replies "$r/capsprobe/qemu$emu/"
	echo "$name ansible_connection=local capsprobe_sysroot=$r" >>"$inv"
	hosts+=("$name")
done <"$fleet/hosts"
check "the fleet has six hosts (${hosts[*]})" test "${#hosts[@]}" -eq 6
cat >>"$inv" <<EOI
[all:vars]
ansible_python_interpreter={{ ansible_playbook_python }}
capsprobe_bin=$CAPSPROBE
capsprobe_controller=$CAPSPROBE
EOI

# Ansible's own state stays in the scratch directory
export HOME=$scratch/home ANSIBLE_CONFIG=$scratch/ansible.cfg ANSIBLE_COLLECTIONS_PATH=$collections \
	ANSIBLE_LOCAL_TEMP=$scratch/ansible-tmp ANSIBLE_REMOTE_TEMP=$scratch/ansible-tmp ANSIBLE_NOCOLOR=1 \
	ANSIBLE_RETRY_FILES_ENABLED=0 ANSIBLE_DEPRECATION_WARNINGS=0
mkdir -p "$HOME"
: >"$ANSIBLE_CONFIG"

n=0
while read -r dom runs; do
	case $dom in '' | '#'*) continue ;; esac
	n=$((n + 1))
	xml=$fleet/domains/$dom.xml
	report=$scratch/report-$dom.json
	ansible-playbook -i "$inv" capsprobe.fleet.fleet -e "domain=$xml" -e fleet=fleet \
		-e "fleet_report=$report" >"$scratch/play-$dom.out" 2>&1
	rc=$?
	check "$dom: the playbook ran ($rc: $(grep -m1 -E 'ERROR|fatal' "$scratch/play-$dom.out"))" test $rc -eq 0
	[ -s "$report" ] || { bad "$dom: no report"; continue; }
	# the hosts that can run it, as the report says
	got=$("$PY" -c 'import json, sys
r = json.load(open(sys.argv[1]))
print(",".join(sorted(h for h, v in r["hosts"].items() if v["runnable"])) or "-")' "$report")
	want=$(tr , '\n' <<<"$runs" | sort | paste -sd, -)
	check "$dom: runnable on $want (report: $got)" test "$got" = "$want"
	for h in "${hosts[@]}"; do
		# the verdict of capsprobe check on that host, run directly
		capsprobe check "$xml" --sysroot "$scratch/hosts/$h" --format json >"$scratch/direct.json" 2>"$scratch/direct.err"
		drc=$?
		out=$("$PY" - "$report" "$h" "$scratch/direct.json" "$drc" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
h, drc = sys.argv[2], int(sys.argv[4])
v = r["hosts"].get(h)
if v is None:
    sys.exit("no verdict in the report (errors: %s)" % r.get("errors", {}).get(h))
d = json.load(open(sys.argv[3]))["check"]
if drc != (0 if d["runnable"] else 1):
    sys.exit("capsprobe check exited %d with runnable=%s" % (drc, d["runnable"]))
for k in ("runnable", "problems", "emulator", "arch", "machine", "virttype"):
    if v[k] != d.get(k):
        sys.exit("%s: report %r, capsprobe check %r" % (k, v[k], d.get(k)))
if not v["runnable"] and not all(p.get("path", "").startswith("/domain") and p.get("reason") for p in v["problems"] or [{}]):
    sys.exit("refused without a path and a reason for each problem: %r" % v["problems"])
PY
		) && ok "$dom on $h: the report's verdict is capsprobe check's, with a path and reason for each problem" ||
			bad "$dom on $h: $out"
	done
	# what a person reads: one line per host
	for h in "${hosts[@]}"; do
		if [[ ,$runs, == *",$h,"* ]]; then w="$h: can run it"; else w="$h: cannot run it"; fi
		check "$dom: the printed report says \"$w\"" grep -q "\"$w" "$scratch/play-$dom.out"
	done
done <"$fleet/domains/runs-on"
check "domain definitions run ($n)" test $n -ge 3

# the baselines, from the last report: each pool's (arch and vendor, as
# the host document names them), as cpu-baseline gives it over the
# documents of that pool's hosts
for h in "${hosts[@]}"; do
	capsprobe host --no-guests --sysroot "$scratch/hosts/$h" >"$scratch/$h.xml" || bad "$h: no document"
	p=$(sed -n 's|^ *<arch>\(.*\)</arch>|\1|p' "$scratch/$h.xml" | head -1)
	v=$(sed -n 's|^ *<vendor>\(.*\)</vendor>|\1|p' "$scratch/$h.xml" | head -1)
	p=$p${v:+-$v}
	mkdir -p "$scratch/pools/$p"
	cp "$scratch/$h.xml" "$scratch/pools/$p/$h.xml"
done
check "six pools but one: the two AMD hosts are one ($(ls "$scratch/pools" | paste -sd ' '))" \
	test "$(ls "$scratch/pools" | paste -sd ' ')" = "aarch64-ARM ppc64-IBM s390x x86_64-AMD x86_64-Intel" -a \
	"$(ls "$scratch/pools/x86_64-AMD" | paste -sd ' ')" = "amd-milan.xml amd-zen5.xml"
for d in "$scratch"/pools/*/; do
	p=$(basename "$d")
	capsprobe cpu-baseline "$d"*.xml >"$scratch/bl.xml" 2>"$scratch/bl.err"
	brc=$?
	[ "$p" = x86_64-AMD ] && cp "$scratch/bl.xml" "$scratch/bl-amd.xml"
	out=$("$PY" - "$report" "$p" "$scratch/bl.xml" "$scratch/bl.err" "$brc" "$d" <<'PY'
import json, os, re, sys
r = json.load(open(sys.argv[1]))
pool, brc = sys.argv[2], int(sys.argv[5])
b = r["baselines"].get(pool)
if b is None:
    sys.exit("no baseline for pool %s in the report" % pool)
members = sorted(f[:-4] for f in os.listdir(sys.argv[6]))
if b["hosts"] != members:
    sys.exit("hosts %r, want %r" % (b["hosts"], members))
if brc == 0:
    want = open(sys.argv[3]).read()
    if b.get("cpu") != want:
        sys.exit("cpu %r, cpu-baseline gives %r" % (b.get("cpu"), want))
else:
    # (the files are named differently: a path that leads the message goes)
    plain = lambda e: re.sub(r"^/\S*\.xml: ", "", e or "")
    err = [l for l in open(sys.argv[4]).read().splitlines() if l.startswith("error: ")][-1][7:]
    if plain(b.get("error")) != plain(err):
        sys.exit("error %r, cpu-baseline says %r" % (b.get("error"), err))
PY
	) && ok "baseline of pool $p: as cpu-baseline gives it ($( [ $brc -eq 0 ] && echo a CPU || head -1 "$scratch/bl.err"))" ||
		bad "baseline of pool $p: $out"
done
check "the AMD pool's baseline is a CPU with a model" grep -q '<model' "$scratch/bl-amd.xml"
check "the printed report gives the AMD pool's baseline" grep -q '"baseline of pool x86_64-AMD (amd-milan, amd-zen5):"' "$scratch/play-$dom.out"
finish
