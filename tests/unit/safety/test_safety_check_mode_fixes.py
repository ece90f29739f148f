# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Issue 9.3 (every fix module): check mode on every fault scenario leaves the lab byte-identical.

Every fault and variant of the lab catalogue, section A together, and sections A and B together:
every fix module runs in check mode, once gathering its own facts and once handed the facts of
ndes.scep.info, on the Windows wire format (safety_harness). ``layout.state_digest`` (every state
file byte for byte; logs, run/ and backups/ aside) must not move, and no backup may be written.
"""
from __future__ import annotations

import os

import safety_figures
from safety_harness import changed_files, run_action, state_files
from scenarios import FIX_MODULES, all_scenarios, renewed_policy_cert

from ansible_collections.ndes.scep.plugins.module_utils._lab import layout


def test_every_fix_module_in_check_mode_on_every_scenario(lab_copy):
    problems, runs, predicted = [], 0, 0
    scenarios = all_scenarios()
    for name, fault_list in scenarios:
        root = lab_copy(fault_list)
        if any((f if isinstance(f, str) else f["id"]) == "policy_cert_expired" for f in fault_list):
            renewed_policy_cert(root)
        before, digest = state_files(root), layout.state_digest(root)
        facts = run_action("info", {}, root, check=True).result["ndes"]
        for module, args in FIX_MODULES:
            for given in (dict(args), dict(args, facts=facts)):
                if module == "iis_restart":
                    given.pop("facts", None)
                out = run_action(module, given, root, check=True)
                runs += 1
                predicted += 1 if out.result.get("changed") else 0
                if out.result.get("failed") and not out.result.get("msg"):
                    problems.append("%s %s: failed without a message" % (name, module))
                if out.result.get("backup"):
                    problems.append("%s %s: a backup in check mode" % (name, module))
                if layout.state_digest(root) != digest:
                    problems.append("%s %s: check mode changed %s" % (
                        name, module, changed_files(before, state_files(root))))
                    before, digest = state_files(root), layout.state_digest(root)
        if os.path.isdir(os.path.join(root, "backups")) and any(
                os.listdir(os.path.join(root, "backups", run)) for run in os.listdir(os.path.join(root, "backups"))):
            problems.append("%s: backups written in check mode" % name)
    safety_figures.record(
        "3-check-mode-fixes", "3a", "Check mode, every fix module (own facts and handed facts) on every fault "
        "scenario (in-process)",
        "%d scenarios (every fault and variant, healthy, section A together, A+B together) x %d fix module runs: "
        "%d runs, %d predicted a change; state digest compared after each" % (
            len(scenarios), 2 * len(FIX_MODULES), runs, predicted),
        len(problems), {"check_mode_runs": runs}, lost_what="runs that changed the lab")
    assert not problems, "\n".join(problems)
