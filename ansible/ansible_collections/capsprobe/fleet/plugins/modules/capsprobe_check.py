#!/usr/bin/python
# Will this libvirt domain definition run on the managed host?  capsprobe
# check's verdict, every reason at once.

DOCUMENTATION = r"""
module: capsprobe_check
short_description: Whether a libvirt domain definition can run on the host
description:
  - Runs C(capsprobe check) on the managed host over a libvirt domain
    definition and returns its verdict and every problem found, each with
    the path of the element in the definition, what it asks and what the
    host and emulator support.  No libvirt daemon is needed.
  - A definition that cannot run is not a task failure (see I(runnable));
    an error (unreadable definition, a probe that fails) is.
  - Read-only; supports check mode.
options:
  domain:
    description: Path of the domain definition on the managed host.
      Exactly one of I(domain) and I(domain_xml) is given.
    type: path
  domain_xml:
    description: The domain definition itself (written to a temporary file
      on the managed host, removed afterwards).
    type: str
  capsprobe:
    description: Path of the capsprobe binary (default capsprobe in PATH).
    type: path
  sysroot:
    description: A recorded host tree (with its recorded emulators) to
      check against instead of the live host.
    type: path
  capabilities:
    description: A saved <capabilities> document to check against (with
      I(domcapabilities)), instead of probing.
    type: path
  domcapabilities:
    description: The saved <domainCapabilities> document for the
      definition's emulator, machine, arch and virt type.
    type: path
"""

EXAMPLES = r"""
- name: Can this host run the VM?
  capsprobe.fleet.capsprobe_check:
    domain_xml: "{{ lookup('ansible.builtin.file', 'vm.xml') }}"
  register: verdict
- ansible.builtin.debug:
    msg: "{{ verdict.problems | map(attribute='reason') | list }}"
  when: not verdict.runnable
"""

RETURN = r"""
runnable:
  description: Whether the host can run the definition.
  returned: always
  type: bool
problems:
  description: What stops it, each with path, asked, supported and reason.
  returned: always
  type: list
  elements: dict
emulator:
  description: The emulator the definition resolves to.
  returned: always
  type: str
arch:
  description: The guest arch.
  returned: always
  type: str
machine:
  description: The canonical machine type.
  returned: always
  type: str
virttype:
  description: kvm or qemu.
  returned: always
  type: str
"""

import os
import tempfile

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.capsprobe.fleet.plugins.module_utils import capsprobe

# capsprobe check's exit statuses (capsprobe(1)): 0 runnable, 1 not, 2 error
RUNNABLE, NOT_RUNNABLE = 0, 1


def main():
    module = AnsibleModule(
        argument_spec=dict(
            capsprobe.COMMON_OPTIONS,
            domain=dict(type="path"),
            domain_xml=dict(type="str"),
            capabilities=dict(type="path"),
            domcapabilities=dict(type="path"),
        ),
        required_one_of=[("domain", "domain_xml")],
        mutually_exclusive=[("domain", "domain_xml"), ("sysroot", "capabilities")],
        required_together=[("capabilities", "domcapabilities")],
        supports_check_mode=True,
    )
    p = module.params
    tmp = None
    path = p["domain"]
    if path is None:
        fd, tmp = tempfile.mkstemp(prefix="capsprobe-check.", suffix=".xml")
        with os.fdopen(fd, "w") as f:
            f.write(p["domain_xml"])
        path = tmp
    args = ["check", path] + capsprobe.sysroot_args(module)
    if p["capabilities"]:
        args += ["--capabilities", p["capabilities"], "--domcapabilities", p["domcapabilities"]]
    try:
        rc, doc = capsprobe.run(module, args, statuses=(RUNNABLE, NOT_RUNNABLE))
    finally:
        if tmp:
            os.unlink(tmp)
    verdict = doc.get("check", {})
    if verdict.get("runnable") != (rc == RUNNABLE):
        module.fail_json(msg="capsprobe check's exit status %d and its verdict disagree" % rc)
    module.exit_json(
        changed=False,
        runnable=verdict["runnable"],
        problems=verdict.get("problems", []),
        emulator=verdict.get("emulator"),
        arch=verdict.get("arch"),
        machine=verdict.get("machine"),
        virttype=verdict.get("virttype"),
    )


if __name__ == "__main__":
    main()
