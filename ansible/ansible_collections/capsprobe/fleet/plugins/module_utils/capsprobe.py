# What both modules share: finding capsprobe, running one of its commands
# with --format json, and turning its documented exit statuses into module
# results (capsprobe(1), EXIT STATUS: the one "error:" line is the message).
import json

COMMON_OPTIONS = dict(
    capsprobe=dict(type="path"),
    sysroot=dict(type="path"),
)


def binary(module):
    """The capsprobe to run: the capsprobe option, else capsprobe in PATH."""
    if module.params.get("capsprobe"):
        return module.params["capsprobe"]
    return module.get_bin_path("capsprobe", required=True)


def sysroot_args(module):
    root = module.params.get("sysroot")
    return ["--sysroot", root] if root else []


def error_line(rc, err):
    lines = [ln for ln in (err or "").splitlines() if ln.startswith("error: ")]
    if lines:
        return lines[-1][len("error: "):]
    return "capsprobe exited with status %d" % rc


def run(module, args, statuses=(0,), fmt="json"):
    """Run capsprobe ARGS --format FMT; fail the task unless it exits with
    one of statuses.  Returns (status, output: parsed JSON or the text)."""
    cmd = [binary(module)] + list(args) + ["--format", fmt]
    rc, out, err = module.run_command(cmd)
    if rc not in statuses:
        module.fail_json(msg=error_line(rc, err), rc=rc, cmd=cmd, stderr=err)
    if fmt != "json":
        return rc, out
    try:
        return rc, json.loads(out)
    except ValueError as e:
        module.fail_json(msg="capsprobe printed no JSON document: %s" % e, rc=rc, cmd=cmd)
