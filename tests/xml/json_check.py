#!/usr/bin/env python3
"""json_check.py: what tests/xml/json.sh asks of --format json output.

  json_check.py validate SCHEMA JSON...   each JSON file is valid JSON that
                                          the schema (draft 2020-12) accepts
  json_check.py xml XML JSON              the JSON form holds the XML
                                          document's facts, no more, no fewer
  json_check.py text CMD TEXT JSON        the JSON report holds the facts of
                                          the command's text output
  json_check.py shapes SCHEMA PRINTER.c   the printer's shape table (which
                                          children are arrays, which text
                                          elements objects) and the schema
                                          say the same, both ways
  json_check.py batch JOBS                each line of JOBS is one of the
                                          above, its words tab-separated;
                                          prints "N<TAB>0" or "N<TAB>1<TAB>why"
                                          for line N (one Python start and
                                          one compiled schema for them all)

Exit 0 when the check holds, 1 when not (saying why), 77 when the
jsonschema module is missing (validate only).
"""
import json
import re
import sys
import xml.etree.ElementTree as ET
from collections import Counter


def load(path):
    with open(path, "rb") as f:
        raw = f.read()
    # RFC 8259: UTF-8, and nothing after the one value but whitespace
    return json.loads(raw.decode("utf-8"))


validators = {}


def validator(schema_path):
    try:
        import jsonschema
    except ImportError:
        print("SKIP: the python3 jsonschema module is missing (Debian: python3-jsonschema)")
        sys.exit(77)
    if schema_path not in validators:
        schema = load(schema_path)
        jsonschema.Draft202012Validator.check_schema(schema)
        validators[schema_path] = jsonschema.Draft202012Validator(schema)
    return validators[schema_path]


def validate(schema_path, paths):
    v = validator(schema_path)
    bad = 0
    for p in paths:
        for e in v.iter_errors(load(p)):
            print("%s: %s at /%s" % (p, e.message, "/".join(map(str, e.absolute_path))))
            bad += 1
    return bad == 0


# A fact is (path, value): an element with attributes or children is
# (path, "{}"), each attribute (path/name, value), the text of such an
# element (path/#text, text), an element with only text (path, text).
def xml_facts(el, path, out):
    p = path + "/" + el.tag
    kids = list(el)
    text = el.text or ""
    if not el.attrib and not kids:
        out.append((p, text if text else "{}"))
        return
    out.append((p, "{}"))
    for k, v in el.attrib.items():
        out.append((p + "/" + k, v))
    if not kids and text:
        out.append((p + "/#text", text))
    for k in kids:
        xml_facts(k, p, out)


def scalar(v):
    if isinstance(v, bool) or v is None:
        raise ValueError("a %r where the XML has text" % (v,))
    return str(v)


def json_facts(v, p, out):
    if isinstance(v, dict):
        if list(v) == ["#text"]:
            out.append((p, scalar(v["#text"])))
            return
        out.append((p, "{}"))
        for k, x in v.items():
            if isinstance(x, list):
                for i in x:
                    json_facts(i, p + "/" + k, out)
            else:
                json_facts(x, p + "/" + k, out)
    elif isinstance(v, list):
        raise ValueError("an array of arrays at " + p)
    else:
        out.append((p, scalar(v)))


def compare(want, got):
    w, g = Counter(want), Counter(got)
    missing, extra = w - g, g - w
    for f in list(missing)[:10]:
        print("missing from the JSON: %s = %r" % f)
    for f in list(extra)[:10]:
        print("not in the XML: %s = %r" % f)
    return not missing and not extra and len(want) > 0


def xml_check(xml_path, json_path):
    want, got = [], []
    xml_facts(ET.parse(xml_path).getroot(), "", want)
    doc = load(json_path)
    if not isinstance(doc, dict) or len(doc) != 1:
        print("the top value is not an object of one member")
        return False
    json_facts(doc, "", got)
    got = got[1:]  # the top object itself is no element
    return compare(want, got)


# ---- text reports: the (label, value) pairs of each command's lines ----

def lines(text):
    return [l for l in text.split("\n") if l.strip()]


def text_facts(cmd, t):
    out = []
    if cmd == "nodeinfo":
        keys = {"CPU model": "model", "CPU(s)": "cpus", "CPU frequency": "mhz", "CPU socket(s)": "sockets",
                "Core(s) per socket": "cores", "Thread(s) per core": "threads", "NUMA cell(s)": "nodes",
                "Memory size": "memoryKiB"}
        for l in lines(t):
            k, v = l.split(":", 1)
            out.append((keys[k], re.sub(r" (MHz|KiB)$", "", v.strip())))
    elif cmd == "nodecpumap":
        d = dict(l.split(":", 1) for l in lines(t))
        m = d["CPU map"].strip()
        if re.fullmatch(r"[y-]*", m):
            ids = [i for i, c in enumerate(m) if c == "y"]
        else:
            # --pretty: a CPU list, "0-3,5"
            ids = []
            for r in m.split(","):
                a, _, b = r.partition("-")
                ids += range(int(a), int(b or a) + 1)
        out = [("present", d["CPUs present"].strip()), ("online", d["CPUs online"].strip()),
               ("map", ",".join(map(str, ids)))]
    elif cmd == "freecell":
        for l in lines(t):
            m = re.match(r"^\s*(\S+):\s+(\d+) KiB$", l)
            if m:
                out.append((m.group(1), m.group(2)))
            elif not l.startswith("---"):
                raise ValueError("a line freecell does not print: " + l)
    elif cmd == "freepages":
        node = None
        for l in lines(t):
            m = re.match(r"^Node (-?\d+):$", l)
            if m:
                node = m.group(1)
                continue
            m = re.match(r"^(\d+)KiB: (\d+)$", l)
            out.append((node, m.group(1), m.group(2)))
    elif cmd == "nodememstats":
        for l in lines(t):
            m = re.match(r"^(.*?)\s*:\s+(\d+) KiB$", l)
            # virsh's unfilled slots (no name, 0) are no fact
            if m.group(1) or m.group(2) != "0":
                out.append((m.group(1), m.group(2)))
    elif cmd == "nodecpustats":
        for l in lines(t):
            k, v = l.split(":", 1)
            out.append((k, v.strip().rstrip("%")))
    elif cmd == "maxvcpus":
        out = [("maxvcpus", t.strip())]
    elif cmd == "nodesevinfo":
        for l in lines(t):
            k, v = l.split(":", 1)
            out.append((k.strip(), v.strip()))
    elif cmd in ("hypervisor-cpu-models", "machines"):
        out = [("model", l) for l in lines(t)]
    elif cmd == "cpu-models":
        ls = lines(t)
        out = [("all", str(bool(ls) and ls[0] == "all CPU models are accepted"))]
        out += [("model", l) for l in ls if l != "all CPU models are accepted"]
    elif cmd in ("cpu-compare", "hypervisor-cpu-compare"):
        # virsh's name for the CPU compared with
        other = "host CPU" if cmd == "cpu-compare" else "the CPU provided by hypervisor on the host"
        o = re.escape(other)
        m = re.match(r"^(?:CPU described in (.*) is (identical to|incompatible with) %s|"
                     r"%s is a (superset) of CPU described in (.*))$" % (o, o[0].upper() + o[1:]), lines(t)[0])
        out = [("file", m.group(1) or m.group(4)),
               ("result", {"identical to": "identical", "incompatible with": "incompatible"}.get(m.group(2), m.group(3)))]
    elif cmd == "emulators":
        for l in lines(t):
            f = l.split("\t")
            if f[1] == "-":
                out.append((f[0], "cached", "False"))
            else:
                out.append((f[0], f[1], f[2], str(f[3] == "yes"), str(f[4] == "yes")))
    else:
        raise ValueError("no text parser for " + cmd)
    return out


def json_report_facts(cmd, j):
    out = []
    if cmd == "nodeinfo":
        out = [(k, str(v)) for k, v in j.items()]
    elif cmd == "nodecpumap":
        out = [("present", str(j["present"])), ("online", str(j["online"])),
               ("map", ",".join(str(i) for i in j["map"]))]
    elif cmd == "freecell":
        out = [(str(c["id"]), str(c["freeKiB"])) for c in j.get("cells", [])]
        if "totalKiB" in j:
            out.append(("Total", str(j["totalKiB"])))
    elif cmd == "freepages":
        if "pages" in j:
            out = [(None, str(p["sizeKiB"]), str(p["free"])) for p in j["pages"]]
        for c in j.get("cells", []):
            out += [(str(c["id"]), str(p["sizeKiB"]), str(p["free"])) for p in c["pages"]]
    elif cmd == "nodememstats":
        out = [(k, str(v)) for k, v in j.items()]
    elif cmd == "nodecpustats":
        out = [(k, ("%.1f" % v) if isinstance(v, float) else str(v)) for k, v in j.items()]
    elif cmd == "maxvcpus":
        out = [("maxvcpus", str(j["maxvcpus"]))]
    elif cmd == "nodesevinfo":
        out = [(k, str(v)) for k, v in j.items()]
    elif cmd == "hypervisor-cpu-models":
        out = [("model", m) for m in j["models"]]
    elif cmd == "machines":
        out = [("model", m) for m in j["machines"]]
    elif cmd == "cpu-models":
        out = [("all", str(j["allAccepted"]))] + [("model", m) for m in j["models"]]
    elif cmd in ("cpu-compare", "hypervisor-cpu-compare"):
        out = [("file", j["file"]), ("result", j["result"])]
    elif cmd == "emulators":
        for e in j["emulators"]:
            if "arch" not in e:
                out.append((e["path"], "cached", str(e["cached"])))
            else:
                out.append((e["path"], e["arch"], e["version"], str(e["kvm"]), str(e["cached"])))
    return out


def text_check(cmd, text_path, json_path):
    with open(text_path, encoding="utf-8") as f:
        want = text_facts(cmd, f.read())
    got = json_report_facts(cmd, load(json_path))
    if want != got:
        print("text: %r" % (want[:12],))
        print("JSON: %r" % (got[:12],))
        return False
    return True


# ---- a printer's shape table against its schema ----

def resolve(schema, node):
    while "$ref" in node:
        node = schema["$defs"][node["$ref"].rsplit("/", 1)[1]]
    return node


def schema_members(schema, node, parent, out):
    """(parent tag, member, kind, schema of the value or item) of every
    member the schema allows, kind 'array', 'object' or 'scalar'"""
    node = resolve(schema, node)
    for k, v in node.get("properties", {}).items():
        if k == "#text":
            continue
        v = resolve(schema, v)
        kind = v.get("type")
        if kind == "array":
            item = resolve(schema, v["items"])
            out.append((parent, k, "array", item))
            schema_members(schema, item, k, out)
        elif kind == "object":
            out.append((parent, k, "object", v))
            schema_members(schema, v, k, out)
        else:
            out.append((parent, k, "scalar", v))


def shapes_check(schema_path, c_path):
    schema = load(schema_path)
    src = open(c_path).read()
    m = re.search(r"const struct cp_xml_shape cp_\w+_shape\[\] = \{(.*?)\n\};", src, re.S)
    if not m:
        print("no shape table in " + c_path)
        return False
    table = [(p, set(f.replace(" ", "").split("|")))
             for p, f in re.findall(r'\{ "([^"]+)", ([A-Z_ |]+) \}', m.group(1))]
    members = []
    schema_members(schema, schema, "", members)
    ok = bool(table)

    def flags(parent, child):
        for path, f in table:
            p, c = path.split("/")
            if c == child and p in ("*", parent):
                return f
        return set()

    for parent, child, kind, item in members:
        f = flags(parent, child)
        if ("CP_XML_ARRAY" in f) != (kind == "array"):
            print("%s/%s: the table says %s, the schema %s" % (parent, child, sorted(f) or "one member", kind))
            ok = False
        text_obj = item.get("type") == "object" and "#text" in item.get("properties", {})
        if "CP_XML_OBJECT" in f and not text_obj:
            print("%s/%s: the table says an object with #text, the schema does not" % (parent, child))
            ok = False
        # an object with #text that need have no attribute is one only
        # when the table says so
        if text_obj and set(item.get("required", [])) == {"#text"} and "CP_XML_OBJECT" not in f:
            print("%s/%s: the schema says an object with #text, the table does not" % (parent, child))
            ok = False
    for path, f in table:
        p, c = path.split("/")
        if not any(c == child and p in ("*", parent) for parent, child, _, _ in members):
            print("%s: in the table, not in the schema" % path)
            ok = False
    return ok


def batch(jobs_path):
    import contextlib
    import io
    with open(jobs_path) as f:
        jobs = f.read().splitlines()
    for n, job in enumerate(jobs, 1):
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            ok = run(["json_check.py"] + job.split("\t"))
        why = " | ".join(out.getvalue().splitlines()[:6])
        print("%d\t0" % n if ok else "%d\t1\t%s" % (n, why))
    return True


def run(argv):
    try:
        if argv[1] == "validate":
            ok = validate(argv[2], argv[3:])
        elif argv[1] == "xml":
            ok = xml_check(argv[2], argv[3])
        elif argv[1] == "text":
            ok = text_check(argv[2], argv[3], argv[4])
        elif argv[1] == "shapes":
            ok = shapes_check(argv[2], argv[3])
        else:
            print("unknown check %r" % argv[1])
            return False
    except (ValueError, KeyError, AttributeError, IndexError, TypeError, ET.ParseError, OSError) as e:
        print("%s: %s" % (type(e).__name__, e))
        ok = False
    return ok


def main(argv):
    if len(argv) < 2:
        print(__doc__)
        return 2
    if argv[1] == "batch":
        return 0 if batch(argv[2]) else 1
    return 0 if run(argv) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
