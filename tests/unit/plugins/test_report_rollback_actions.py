# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the report and rollback action plugins decide on the controller (no agent involved)."""
from __future__ import annotations

from ansible_collections.ndes.scep.plugins.action import report as report_action
from ansible_collections.ndes.scep.plugins.action import rollback as rollback_action


class Catalogue(object):
    """Counts how often the rules are asked for (they are loaded only when a host needs them)."""

    def __init__(self):
        self.calls = 0

    def __call__(self):
        self.calls += 1
        return []


def test_host_data_reads_what_the_roles_left():
    hostvars = {"h1": {"ndes_findings": [{"id": "REQUEST_LIMITS"}], "ndes_changes": [], "ndes_backups": [],
                       "ndes_reboot_required": True, "ndes_host_role": "diagnose", "unrelated": 1}}
    data = report_action.host_data(hostvars, "h1", Catalogue(), "diagnose")
    assert data == {"findings": [{"id": "REQUEST_LIMITS"}], "changes": [], "backups": [], "reboot_required": True}


def test_hosts_without_results_or_with_the_other_roles_results_were_not_reached():
    hostvars = {"h1": {"ansible_host": "x"}, "h2": {"ndes_findings": [], "ndes_host_role": "diagnose"}}
    assert report_action.host_data(hostvars, "h1", Catalogue(), "remediate") is None
    assert report_action.host_data(hostvars, "h2", Catalogue(), "remediate") is None
    assert report_action.host_data(hostvars, "missing", Catalogue(), "remediate") is None


def test_null_findings_are_evaluated_from_the_facts_only_when_there_are_facts():
    catalogue = Catalogue()
    no_facts = {"h": {"ndes_findings": None, "ndes_changes": [], "ndes_host_role": "remediate"}}
    assert report_action.host_data(no_facts, "h", catalogue, "remediate")["findings"] == []
    assert catalogue.calls == 0
    with_facts = {"h": {"ndes_findings": None, "ndes_changes": [], "ndes_host_role": "remediate",
                        "ansible_facts": {"ndes": {"schema": 1}}}}
    assert report_action.host_data(with_facts, "h", catalogue, "remediate")["findings"] == []
    assert catalogue.calls == 1


def test_plain_unwraps_nested_values():
    class Tagged(str):
        pass
    value = report_action.plain({"a": (1, Tagged("x")), "b": {"c": None, "d": 1.5, "e": True}})
    assert value == {"a": [1, "x"], "b": {"c": None, "d": 1.5, "e": True}}
    assert not isinstance(value["a"][1], Tagged)


RUNS = [{"run_id": "R1", "created": "2026-11-24T10:00:00Z",
         "items": [{"id": "001-iis", "source": "C:\\Windows\\System32\\inetsrv\\config\\applicationHost.config"}]},
        {"run_id": "R2", "created": "2026-11-25T10:00:00Z",
         "items": [{"id": "001-max_field_length", "source": "HKLM\\SYSTEM\\CurrentControlSet\\Services\\HTTP\\Parameters"},
                   {"id": "002-iis", "source": "C:\\inetpub\\wwwroot\\web.config"}]}]


def test_runs_are_listed_newest_first_with_their_items():
    assert rollback_action.run_listing(RUNS) == [
        {"run_id": "R2", "created": "2026-11-25T10:00:00Z", "items": ["001-max_field_length", "002-iis"]},
        {"run_id": "R1", "created": "2026-11-24T10:00:00Z", "items": ["001-iis"]}]


def test_restored_httpsys_values_need_a_reboot():
    assert rollback_action.needs_reboot(RUNS[1], ["001-max_field_length"]) is True
    assert rollback_action.needs_reboot(RUNS[1], ["002-iis"]) is False
    assert rollback_action.needs_reboot(RUNS[0], ["001-iis"]) is False


def test_an_unknown_run_fails_naming_the_runs_that_exist():
    result = rollback_action.ActionModule._unknown_run("R9", rollback_action.run_listing(RUNS))
    assert result["failed"] is True and result["changed"] is False
    assert "no backups for run R9" in result["msg"]
    assert result["msg"].index("R2") < result["msg"].index("R1")
    empty = rollback_action.ActionModule._unknown_run("R9", [])
    assert "holds no backup runs at all" in empty["msg"]
