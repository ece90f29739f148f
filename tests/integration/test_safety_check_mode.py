# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Issue 9.3: the remediate playbook in check mode on every fault scenario changes no byte of the lab.

One lab host per scenario (every fault and variant of the lab catalogue, the healthy lab, section A
together, sections A and B together), all in ONE ``ansible-playbook --check`` run of
``ndes.scep.remediate`` (every fix enabled, reboot policy ``always``, the MSCEP template checked).
Each lab's ``state_digest`` (every state file; logs, run/ and backups/ aside) is the same before and
after, no backup is written, and the report is a drift report.
"""
from __future__ import annotations

import os

import pytest
from safety_lab import FORKS, backup_runs, digests, failure_text, make, reports, safety_figures, scenarios

from ansible_collections.ndes.scep.plugins.module_utils._lab import healthy

pytestmark = pytest.mark.integration


def test_remediate_in_check_mode_on_every_scenario(lab):
    cases = scenarios.all_scenarios()
    names = {}
    for index, (name, fault_list) in enumerate(cases):
        names["s%02d" % index] = name
    roots = make(lab, dict(("s%02d" % i, fault_list) for i, (_name, fault_list) in enumerate(cases)),
                 ndes_scep_template=healthy.SCEP_TEMPLATE, ndes_reboot_policy="always", ndes_fix_iis_restart=True)
    for host, name in names.items():
        if "policy_cert_expired" in name or name.startswith("section"):
            scenarios.renewed_policy_cert(roots[host])      # so policy_cert has a certificate to point at
    before = digests(roots)
    run = lab.run("ndes.scep.remediate", check=True, extra_vars={"ndes_serial": len(roots)}, env=FORKS)
    assert run.rc == 0, failure_text(run)
    changed = [names[h] for h in roots if digests({h: roots[h]})[h] != before[h]]
    with_backups = [names[h] for h in roots if backup_runs(roots[h])]
    doc = reports(lab)[-1]
    assert doc["mode"] == "check"
    drift = sorted(h["name"] for h in doc["hosts"] if h["status"] == "drift")
    fix_calls = sum(n for host in roots for task, n in run.counts.get("tasks", {}).get(host, {}).items()
                    if task.startswith("ndes.scep.remediate : ") and "Gather" not in task)
    safety_figures.record(
        "3-check-mode-role", "3b", "Check mode, the remediate playbook on every fault scenario (one "
        "ansible-playbook --check run, one lab host per scenario)",
        "%d scenarios (every fault and variant, healthy, section A together, A+B together); %d hosts showed "
        "drift; %d fix/restart calls in check mode; state digest of every lab compared" % (
            len(roots), len(drift), fix_calls),
        len(changed) + len(with_backups), {"scenarios": len(roots)}, lost_what="labs changed by check mode")
    assert changed == [], "check mode changed: %s" % changed
    assert with_backups == [], "check mode wrote backups: %s" % with_backups
    by_name = dict((name, host) for host, name in names.items())
    must_drift = ["impersonate_right-local", "app_pool_stopped-default", "root_intermediates-local",
                  "crs_windows_auth-default", "proxy_connector_down-stopped", "request_limits-apphost",
                  "request_limits-webconfig", "httpsys_limits-absent", "httpsys_limits-low", "mscep_templates-ipsec",
                  "temp_acl-default", "ra_key_acl-default", "section_a-without-url_not_403"]
    assert [n for n in must_drift if by_name[n] not in drift] == [], drift
    assert by_name["healthy"] not in drift
    assert all(os.path.isdir(root) for root in roots.values())
