#!/usr/bin/python
# Gather a host's <capabilities> (and its nodeinfo) with capsprobe as facts.

DOCUMENTATION = r"""
module: capsprobe_facts
short_description: The host's libvirt capabilities, from capsprobe, as facts
description:
  - Runs C(capsprobe host) and C(capsprobe nodeinfo) on the managed host (no
    libvirt daemon is needed there) and returns the C(<capabilities>)
    document as JSON (capsprobe's schema capabilities.schema.json) and as the
    XML virsh prints, which C(capsprobe cpu-baseline) reads.
  - Read-only; supports check mode.
options:
  capsprobe:
    description: Path of the capsprobe binary on the managed host (default
      capsprobe in PATH).
    type: path
  sysroot:
    description: A recorded host tree to read instead of the live host
      (capsprobe --sysroot).
    type: path
  guests:
    description: Probe the installed QEMU emulators for the <guest>
      elements (each probe runs the emulator once; answers are cached).
    type: bool
    default: true
"""

EXAMPLES = r"""
- name: Gather capsprobe facts
  capsprobe.fleet.capsprobe_facts:
    guests: false
- ansible.builtin.debug:
    msg: "{{ ansible_facts.capsprobe.arch }} {{ ansible_facts.capsprobe.cpu_model }}"
"""

RETURN = r"""
ansible_facts:
  description: Facts under the key capsprobe.
  returned: always
  type: dict
  contains:
    capsprobe:
      description: capabilities (the document as JSON), capabilities_xml
        (as XML), nodeinfo (JSON), arch, cpu_vendor and cpu_model (none
        where the host CPU has none, e.g. s390x), guest_arches (the arches
        of the <guest> elements).
      type: dict
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.capsprobe.fleet.plugins.module_utils import capsprobe


def text_of(v):
    """An element's text, whether it has attributes (an object) or not."""
    return v.get("#text") if isinstance(v, dict) else v


def main():
    module = AnsibleModule(
        argument_spec=dict(capsprobe.COMMON_OPTIONS, guests=dict(type="bool", default=True)),
        supports_check_mode=True,
    )
    args = ["host"] + capsprobe.sysroot_args(module)
    if not module.params["guests"]:
        args.append("--no-guests")
    _, caps = capsprobe.run(module, args)
    # the same document twice: as XML for cpu-baseline (answers are cached,
    # so the second run probes nothing again)
    _, caps_xml = capsprobe.run(module, args, fmt="xml")
    _, nodeinfo = capsprobe.run(module, ["nodeinfo"] + capsprobe.sysroot_args(module))
    doc = caps.get("capabilities", {})
    cpu = doc.get("host", {}).get("cpu", {})
    guests = doc.get("guest", [])
    facts = dict(
        capabilities=doc,
        capabilities_xml=caps_xml,
        nodeinfo=nodeinfo,
        arch=cpu.get("arch"),
        cpu_vendor=cpu.get("vendor"),
        cpu_model=text_of(cpu.get("model")),
        guest_arches=sorted({g.get("arch", {}).get("name") for g in guests if g.get("arch")}),
    )
    module.exit_json(changed=False, ansible_facts=dict(capsprobe=facts))


if __name__ == "__main__":
    main()
