# The fleet playbook's summing up, as filters: one place that knows the
# shape of the modules' results and of cpu-baseline's answers.

VERDICT_KEYS = ("runnable", "problems", "emulator", "arch", "machine", "virttype")


def _error_line(stderr):
    lines = [ln for ln in (stderr or "").splitlines() if ln.startswith("error: ")]
    return lines[-1][len("error: "):] if lines else (stderr or "").strip() or "no answer"


def pool(facts):
    """A host's migration pool: its arch, and its CPU vendor where it has
    one (x86_64-AMD, aarch64-ARM, s390x)."""
    return "-".join(x for x in (facts["arch"], facts.get("cpu_vendor")) if x)


def fleet_result(hostvars, asked, baselines, domain):
    """The report: each asked host's verdict (or why there is none) and
    each pool's baseline CPU (or cpu-baseline's error)."""
    hosts, errors, missing, pool_of = {}, {}, [], {}
    for name in asked:
        hv = hostvars[name] if name in hostvars else {}
        facts = hv.get("ansible_facts", {}).get("capsprobe")
        if not facts:
            missing.append(name)
            continue
        pool_of[name] = pool(facts)
        v = hv.get("fleet_verdict") or {}
        if v.get("failed") or "runnable" not in v:
            errors[name] = v.get("msg") or "no verdict"
            continue
        hosts[name] = {k: v.get(k) for k in VERDICT_KEYS}
    pools = {}
    for r in baselines:
        key = r["item"]
        members = sorted(n for n, p in pool_of.items() if p == key)
        if r.get("rc") == 0:
            pools[key] = {"hosts": members, "cpu": r["stdout"] + "\n"}
        else:
            pools[key] = {"hosts": members, "error": _error_line(r.get("stderr"))}
    return {"domain": domain, "hosts": hosts, "errors": errors, "no_answer": missing, "baselines": pools}


def fleet_report_lines(result):
    """The report as lines a person reads."""
    out = []
    for name, v in sorted(result["hosts"].items()):
        if v["runnable"]:
            out.append("%s: can run it (%s %s, %s)" % (name, v["arch"], v["machine"], v["virttype"]))
            continue
        out.append("%s: cannot run it" % name)
        for p in v["problems"]:
            out.append("  %s: %s" % (p.get("path"), p.get("reason")))
    for name, msg in sorted(result["errors"].items()):
        out.append("%s: no verdict: %s" % (name, msg))
    for name in result["no_answer"]:
        out.append("%s: no answer (unreachable, or capsprobe failed there)" % name)
    for key, b in sorted(result["baselines"].items()):
        if "cpu" in b:
            out.append("baseline of pool %s (%s):" % (key, ", ".join(b["hosts"])))
            out.extend("  " + ln for ln in b["cpu"].splitlines())
        else:
            out.append("baseline of pool %s (%s): none: %s" % (key, ", ".join(b["hosts"]), b["error"]))
    return out


class FilterModule(object):
    def filters(self):
        return {"pool": pool, "fleet_result": fleet_result, "fleet_report_lines": fleet_report_lines}
