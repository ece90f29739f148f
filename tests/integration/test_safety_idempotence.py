# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Issue 9.4: a second run of every module and every role reports changed=0.

Modules: one playbook runs each module twice in a row on a lab with every fixable fault (fix modules
without facts, so each gathers for itself); the second result must say changed=false (the fix
modules with zero further agent calls beyond their read). ``iis_restart`` and ``connector_service``
``state: restarted`` are actions, not states: they change every time by design and are listed apart.
Roles: the lab, diagnose and remediate roles run in two ansible-playbook runs; the second run's
recap shows changed=0 and the remediate role costs one agent call (a compliant host).
"""
from __future__ import annotations

import os

import pytest
import yaml
from labrun import save
from safety_lab import MULTI_FIX, failure_text, make, safety_figures, safety_state, scenarios

from ansible_collections.ndes.scep.plugins.module_utils._lab import healthy

pytestmark = pytest.mark.integration

HERE = os.path.dirname(os.path.abspath(__file__))
DEVICE_LOG = os.path.join(os.path.dirname(HERE), "unit", "fixtures", "device", "android_omadm_503.log")
ALL_FIXABLE = ["impersonate_right", "app_pool_stopped", "root_intermediates", "crs_windows_auth",
               {"id": "policy_cert_expired", "variant": "expired"}, "proxy_connector_down", "request_limits",
               "httpsys_limits", "mscep_templates", "temp_acl", "ra_key_acl",
               {"id": "connector_health", "variant": "stopped"}]
RUN_ID = "20260101T000000Z-idem01"
# (module, args): each runs twice in a row; the second must report changed=false.
MODULES = [
    ("lab", {"faults": ALL_FIXABLE, "server": "started"}),
    ("ping", {}),
    ("info", {}),
    ("diagnose", {"validate_certs": False}),
    ("iis_log", {}),
    ("probe", {"lab_root": "{{ ndes_lab_root }}", "validate_certs": False}),
    ("device_log", {"path": DEVICE_LOG}),
    ("root_store", {}),
    ("certreg_auth", {}),
    ("policy_cert", {"auto": True}),
    ("request_limits", {}),
    ("user_right", {}),
    ("ra_certs", {}),
    ("connector_service", {"certificate_connector": True}),
    ("capi2_log", {"enabled": True}),
    ("mscep_templates", {"template": healthy.SCEP_TEMPLATE}),
    ("temp_acl", {}),
    ("app_pool", {}),
    ("reboot", {"only_if_required": True}),
    ("report", {"dest": "{{ playbook_dir }}/report-idem", "run_id": RUN_ID}),
]
# Last (after the actions below, which need the SCEP pool started): restore the run's backups, twice.
FINAL = [("rollback", {"run_id": RUN_ID})]
# Actions: they do something every time they run (restart, reset), so they always report a change.
ACTIONS = [("iis_restart", {"reset": True}), ("iis_restart", {"pools": ["SCEP"]}),
           ("connector_service", {"certificate_connector": True, "state": "restarted"})]


def _tasks(rows, suffix, start=0, attempts=("first", "second")):
    out = []
    for index, (module, args) in enumerate(rows, start):
        for attempt in attempts:
            task = {"name": "%s %s %d %s" % (module, suffix, index, attempt), "ndes.scep." + module: args,
                    "register": "%s_%d_%s" % (suffix, index, attempt)}
            text = yaml.safe_dump([task], default_flow_style=False, sort_keys=False)
            out.append("".join("    " + line + "\n" for line in text.splitlines()))
    return "".join(out)


def test_every_module_twice(lab):
    roots = make(lab, {"mods": ALL_FIXABLE}, ndes_run_id=RUN_ID)
    scenarios.renewed_policy_cert(roots["mods"])
    names = ["m_%d_%s" % (i, a) for i in range(len(MODULES)) for a in ("first", "second")] + \
            ["a_%d_%s" % (i, a) for i in range(len(ACTIONS)) for a in ("first", "second")] + \
            ["m_%d_first" % len(MODULES)]
    play = "\n- hosts: all\n  gather_facts: false\n  tasks:\n" + _tasks(MODULES, "m") + _tasks(ACTIONS, "a") + \
        _tasks(FINAL, "m", start=len(MODULES), attempts=("first",)) + """
    - name: Stop the lab server
      ndes.scep.lab:
        faults: %s
        server: stopped
    - name: Collect
      ansible.builtin.set_fact:
        results: {%s}
""" % (yaml.safe_dump(ALL_FIXABLE, default_flow_style=True).strip(),
       ", ".join("%s: \"{{ %s }}\"" % (n, n) for n in names)) + save("results")
    run = lab.run(play)
    assert run.rc == 0, failure_text(run)
    results = run.result("mods", "results")
    problems, first_changed = [], []
    # the rollback's second run is a playbook of its own, so that the lab can be compared around it
    view = safety_state.restorable_view(roots["mods"], processes=False)
    again = lab.run("\n- hosts: all\n  gather_facts: false\n  tasks:\n" + _tasks(FINAL, "m", start=len(MODULES),
                                                                                 attempts=("second",)) + """
    - name: Collect
      ansible.builtin.set_fact:
        results: {m_%d_second: "{{ m_%d_second }}"}
""" % (len(MODULES), len(MODULES)) + save("results"))
    assert again.rc == 0, failure_text(again)
    results.update(again.result("mods", "results"))
    moved = safety_state.differences(view, safety_state.restorable_view(roots["mods"], processes=False))
    if moved:
        problems.append("rollback: the second rollback of the same run moved the lab: %s" % moved)
    for index, (module, _args) in enumerate(MODULES + FINAL):
        first, second = results["m_%d_first" % index], results["m_%d_second" % index]
        if first.get("changed"):
            first_changed.append(module)
        if second.get("changed") is not False or second.get("failed"):
            problems.append("%s: second run changed=%s failed=%s %s%s" % (
                module, second.get("changed"), second.get("failed"), second.get("msg") or "",
                " (moved: %s)" % moved if module == "rollback" else ""))
    actions_changed = sum(1 for n in names if n.startswith("a_") and results[n].get("changed"))
    fixers = ["root_store", "certreg_auth", "policy_cert", "request_limits", "user_right", "ra_certs",
              "connector_service", "capi2_log", "mscep_templates", "temp_acl", "app_pool", "reboot", "rollback", "lab"]
    assert not [m for m in fixers if m not in first_changed], first_changed
    safety_figures.record(
        "4-idempotence-modules", "4a", "Idempotence: every module run twice in a row (fix modules on a lab with "
        "every fixable fault)",
        "%d modules twice: %d changed something on the first run, %d changed on the second (rollback of the same "
        "run included: it leaves items already restored alone); %d restart/reset actions change every time by "
        "design (iis_restart, connector_service state=restarted)" % (
            len(MODULES + FINAL), len(first_changed), len(problems), len(ACTIONS)),
        len(problems), {"modules_twice": len(MODULES + FINAL)}, lost_what="second runs that changed something")
    assert not problems, "\n".join(problems)
    assert actions_changed == 2 * len(ACTIONS)


ROLES = """
- name: Lab, diagnosis and remediation
  hosts: all
  gather_facts: false
  roles:
    - role: ndes.scep.lab
    - role: ndes.scep.diagnose
    - role: ndes.scep.remediate
"""


def test_every_role_twice(lab):
    lab.add_host("roles", ndes_lab_faults=MULTI_FIX, ndes_verify_certs=False, ndes_reboot_policy="if_required")
    first = lab.run(ROLES)
    assert first.rc == 0, failure_text(first)
    second = lab.run(ROLES)
    assert second.rc == 0, failure_text(second)
    recap = second.recap("roles")
    gather = [n for t, n in second.counts["tasks"]["roles"].items() if t.startswith("ndes.scep.remediate") and n]
    safety_figures.record(
        "4-idempotence-roles", "4b", "Idempotence: the lab, diagnose and remediate roles, two ansible-playbook runs",
        "3 roles: first run changed %s task(s); second run changed %s, remediate cost %d agent call(s)" % (
            first.recap("roles")["changed"], recap["changed"], sum(gather)),
        int(recap["changed"]), {"roles_twice": 3}, lost_what="tasks changed on the second run")
    assert int(first.recap("roles")["changed"]) > 5
    assert recap["changed"] == "0", second.stdout[-3000:]
    assert sum(gather) == 1
    lab.hosts["roles"]["ndes_lab_server"] = "stopped"
    lab.run(ROLES.replace("    - role: ndes.scep.diagnose\n    - role: ndes.scep.remediate\n", ""))
