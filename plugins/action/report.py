# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin for ndes.scep.report (controller only: gathers host results, writes the report)."""
from __future__ import annotations

import os

from ansible.errors import AnsibleActionFail
from ansible.module_utils.common.text.converters import to_text

from ansible_collections.ndes.scep.plugins.module_utils._ndes import diagnose, report
from ansible_collections.ndes.scep.plugins.module_utils._ndes import rules
from ansible_collections.ndes.scep.plugins.plugin_utils._action_base import NdesAction

# host variable -> key of the host's data in the report
HOST_VARS = {
    "ndes_findings": "findings",
    "ndes_changes": "changes",
    "ndes_backups": "backups",
    "ndes_reboot_required": "reboot_required",
    "ndes_host_status": "status",
    "ndes_restarts": "restarts",
    "ndes_rebooted": "rebooted",
    "ndes_verification": "verify",
    "ndes_host_message": "message",
    "ndes_host_role": "role",
}
MARKERS = ("ndes_findings", "ndes_changes", "ndes_host_status")


def plain(value):
    """A copy made of dict / list / str / int / float / bool / None only (templated and tagged values unwrapped)."""
    if isinstance(value, dict):
        return {to_text(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [plain(v) for v in value]
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, str):
        return str(value)
    return to_text(value)


def host_data(hostvars, host, catalogue=None, mode=None):
    """What the roles left on ``host``; None when the run did not reach it.

    A host the other role left its results on (``ndes_host_role`` is not ``mode``, e.g. an earlier
    diagnose play of the same playbook) was not reached by this run.

    A host whose ``ndes_findings`` is null but that has the ``ndes`` facts (the remediate role gathers
    with ndes.scep.info) gets the findings of the rules over those facts, evaluated here (no remote call).
    """
    try:
        variables = hostvars[host]
    except KeyError:
        return None
    found = {}
    for var, key in HOST_VARS.items():
        try:
            value = variables[var]
        except KeyError:
            continue
        found[key] = plain(value)
    if not any(var in found for var in (HOST_VARS[m] for m in MARKERS)):
        return None
    if mode and found.pop("role", None) not in (None, mode):
        return None
    if found.get("findings") is None:
        facts = _facts(variables)
        found["findings"] = diagnose.diagnose(facts, catalogue=catalogue())["findings"] if facts and catalogue else []
    return found


def _facts(variables):
    try:
        facts = variables["ansible_facts"]
    except KeyError:
        return None
    facts = plain((facts or {}).get("ndes"))
    return facts if isinstance(facts, dict) and "schema" in facts else None


class ActionModule(NdesAction):
    NEEDS_AGENT = False
    ARGUMENT_SPEC = {
        "dest": {"type": "path"},
        "run_id": {"type": "str"},
        "hosts": {"type": "list", "elements": "str"},
        "mode": {"type": "str", "choices": ["diagnose", "remediate"], "default": "diagnose"},
        "lang": {"type": "str", "choices": ["en", "it"], "default": "en"},
        "title": {"type": "str"},
        "rules_files": {"type": "list", "elements": "path", "default": []},
    }

    def act(self, args):
        task_vars = self._task_vars
        run_id = args["run_id"] or self.run_id
        self._rules_files = args["rules_files"]
        hostvars = task_vars.get("hostvars")
        if hostvars is None:
            raise AnsibleActionFail("Internal error: no hostvars in the task variables.")
        names = args["hosts"] if args["hosts"] is not None else list(task_vars.get("ansible_play_hosts_all") or [])
        mode = "check" if (args["mode"] == "remediate" and self.check_mode) else args["mode"]
        document = report.build(run_id, [(name, host_data(hostvars, name, self._catalogue, args["mode"])) for name in names],
                                mode=mode, lang=args["lang"], title=args["title"])
        dest = os.path.abspath(os.path.expanduser(args["dest"] or os.path.join("ndes-reports", run_id)))
        try:
            paths = report.write(document, dest)
        except OSError as exc:
            raise AnsibleActionFail("Could not write the report under %s: %s. Set ndes_report_dir (or dest) "
                                    "to a writable directory." % (dest, exc))
        return {"changed": False, "paths": paths, "dest": dest, "run_id": run_id, "summary": document["summary"]}

    def _catalogue(self):
        """The rules (built-in + rules_files), loaded once and only when a host needs its findings evaluated."""
        if getattr(self, "_rules", None) is None:
            try:
                self._rules = rules.load_catalogue(self._rules_files)
            except ValueError as exc:
                raise AnsibleActionFail("Could not load the rules to evaluate findings from facts: %s" % exc)
        return self._rules
