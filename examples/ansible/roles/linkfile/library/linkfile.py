#!/usr/bin/python
# An Ansible module that brings one machine's links in line with a linkfile manifest. It runs
# `linkfile plan --json`, then `linkfile apply --json` when something is to be done, and reports
# `changed` from the report's `changes`. On failure it says linkfile's message and hint.

DOCUMENTATION = r"""
module: linkfile
short_description: Make the links a linkfile manifest asks for
description:
  - Runs C(linkfile plan --json) and, when the plan is not all C(ok), C(linkfile apply --json).
  - C(changed) is true when the apply made changes (the report's C(changes) > 0).
  - In check mode it runs C(linkfile apply --dry-run --json) and changes nothing.
  - Fails with linkfile's message and hint, and each conflict's place and hint.
options:
  manifest:
    description: The manifest (linkfile.toml) on the managed machine.
    type: path
    required: true
  home:
    description: What C(~) means (C(--home)); unset, the home of the user the task runs as.
    type: path
  on_conflict:
    description: What to do with things in the way, for this run (overrides the manifest).
    type: str
    choices: [fail, backup, adopt]
  only:
    description: Only these tags or paths (C(--only)).
    type: list
    elements: str
    default: []
  exclude:
    description: Not these tags or paths (C(--except)).
    type: list
    elements: str
    default: []
  binary:
    description: The linkfile executable (a path, or a name looked up in PATH and ~/.cargo/bin).
    type: str
    default: linkfile
"""

import json
import os

from ansible.module_utils.basic import AnsibleModule


def global_args(module, binary):
    args = [binary, "--manifest", module.params["manifest"], "--color", "never"]
    if module.params["home"]:
        args += ["--home", module.params["home"]]
    return args


def selection_args(module):
    args = []
    for only in module.params["only"]:
        args += ["--only", only]
    for exclude in module.params["exclude"]:
        args += ["--except", exclude]
    return args


def parse_json(text):
    try:
        return json.loads(text)
    except ValueError:
        return None


def stderr_field(stderr, prefix):
    """The text after `error: ` or `hint: ` in linkfile's stderr, continuation lines included."""
    lines = []
    taking = False
    for line in stderr.splitlines():
        if line.startswith(prefix):
            taking = True
            lines.append(line[len(prefix):])
        elif taking and line.startswith(" "):
            lines.append(line.strip())
        else:
            taking = False
    return " ".join(lines)


def conflicts_of(report):
    return [
        {"at": e.get("at"), "reason": e.get("reason"), "hint": e.get("hint")}
        for e in (report or {}).get("entries", [])
        if e.get("action") == "conflict"
    ]


def fail(module, args, rc, stdout, stderr, plan=None):
    """Fails the task with what linkfile said: the JSON error object on stdout when it printed
    one, else the `error:` and `hint:` lines on stderr, plus each conflict of its report, or of
    `plan` when it printed none."""
    doc = parse_json(stdout)
    error = doc.get("error") if isinstance(doc, dict) else None
    if isinstance(error, dict):
        message = error.get("message") or stderr_field(stderr, "error: ")
        hint = error.get("hint")
        where = error.get("file")
        if where and error.get("line"):
            where = "%s:%s:%s" % (where, error.get("line"), error.get("column") or 1)
        if where:
            message = "%s: %s" % (where, message)
        report = None
    else:
        message = stderr_field(stderr, "error: ") or stderr.strip() or "linkfile exited %d" % rc
        hint = stderr_field(stderr, "hint: ") or None
        report = doc if isinstance(doc, dict) else None
    conflicts = conflicts_of(report or plan)
    lines = ["linkfile: " + message]
    for c in conflicts:
        lines.append("conflict at %s (%s): %s" % (c["at"], c["reason"], c["hint"]))
    if hint:
        lines.append("hint: " + hint)
    module.fail_json(
        msg="\n".join(lines),
        hint=hint,
        conflicts=conflicts,
        rc=rc,
        cmd=args,
        stderr=stderr,
        error=error,
    )


def run(module, args, plan=None):
    """Runs linkfile; returns its JSON report, or fails the task."""
    rc, stdout, stderr = module.run_command(args)
    report = parse_json(stdout)
    if rc != 0 or not isinstance(report, dict) or "error" in report:
        fail(module, args, rc, stdout, stderr, plan)
    return report


def exit_with(module, report, applied):
    module.exit_json(
        changed=report.get("changes", 0) > 0,
        applied=applied,
        changes=report.get("changes", 0),
        conflicts=report.get("conflicts", 0),
        entries=report.get("entries", []),
    )


def main():
    module = AnsibleModule(
        argument_spec=dict(
            manifest=dict(type="path", required=True),
            home=dict(type="path"),
            on_conflict=dict(type="str", choices=["fail", "backup", "adopt"]),
            only=dict(type="list", elements="str", default=[]),
            exclude=dict(type="list", elements="str", default=[]),
            binary=dict(type="str", default="linkfile"),
        ),
        supports_check_mode=True,
    )
    # `cargo install` puts linkfile in ~/.cargo/bin, which a non-interactive ssh login's PATH
    # often lacks.
    binary = module.get_bin_path(
        os.path.expanduser(module.params["binary"]),
        required=True,
        opt_dirs=[os.path.expanduser("~/.cargo/bin")],
    )
    base = global_args(module, binary)
    apply = base + ["apply", "--json"] + selection_args(module)
    if module.params["on_conflict"]:
        apply += ["--on-conflict", module.params["on_conflict"]]

    if module.check_mode:
        exit_with(module, run(module, apply + ["--dry-run"]), applied=False)

    plan = run(module, base + ["plan", "--json"] + selection_args(module))
    # An all-`ok` plan needs no apply (no lock taken); anything else, conflicts and releases
    # included, goes to apply, which resolves it or fails with linkfile's own message.
    if all(e.get("action") == "ok" for e in plan.get("entries", [])):
        exit_with(module, plan, applied=False)
    # The plan's conflicts name what an apply refusing with an error object (no report) refused
    # on; under backup or adopt there is no such refusal.
    refused = None if module.params["on_conflict"] in ("backup", "adopt") else plan
    exit_with(module, run(module, apply, refused), applied=True)


if __name__ == "__main__":
    main()
