# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Safety bugs the safety suite found, one test each (they failed before the fix)."""
from __future__ import annotations

import os
import xml.etree.ElementTree as ET

import pytest
from safety_harness import run_action

from ansible_collections.ndes.scep.plugins.module_utils._formats import secedit_inf
from ansible_collections.ndes.scep.plugins.module_utils._lab import faults, layout, pools, rights, store

UNKNOWN_SID = "S-1-5-21-1111-2222-3333-4444"


def test_user_right_refuses_a_right_that_is_not_a_constant(lab_copy):
    """A newline in O(right) wrote a second line into the lab's rights INF (SeDebugPrivilege for Everyone)."""
    root = lab_copy([])
    digest = layout.state_digest(root)
    out = run_action("user_right", {"right": "SeBogusPrivilege\r\nSeDebugPrivilege = *S-1-1-0"}, root)
    assert out.result["failed"] is True
    assert "not a user right constant" in out.result["msg"] and "SeImpersonatePrivilege" in out.result["msg"]
    assert out.calls == []                                  # refused before any remote call
    assert layout.state_digest(root) == digest
    held = secedit_inf.privilege_rights(rights.load_doc(root))
    assert "S-1-1-0" not in " ".join(held.get("SeDebugPrivilege", []))
    # a real constant still works
    assert run_action("user_right", {"right": "SeServiceLogonRight", "principals": ["S-1-5-20"]},
                      root).result.get("failed") is not True


def test_an_iis_write_never_leaves_an_unreadable_configuration(lab_copy):
    """A NUL in O(app_path) was written raw into applicationHost.config, which then no longer parsed."""
    root = lab_copy([])
    digest = layout.state_digest(root)
    for check in (True, False):
        out = run_action("certreg_auth", {"app_path": "/Certificate\x00RegistrationSvc"}, root, check=check)
        assert out.result["failed"] is True
        assert "U+0000" in out.result["msg"] and "nothing was written" in out.result["msg"]
    assert layout.state_digest(root) == digest
    ET.parse(layout.win_to_lab(root, layout.APPHOST_CONFIG))            # still well-formed
    assert not os.path.isdir(os.path.join(root, "backups")) or all(
        not os.listdir(os.path.join(root, "backups", run)) for run in os.listdir(os.path.join(root, "backups")))


def test_ra_certs_resolves_an_account_name_given_without_facts(lab_copy):
    """O(service_account) as a name, without facts, failed with 'Internal error: the read resolve was not sent'."""
    root = lab_copy(["ra_key_acl"])
    account = faults.read_lab(root)["service_account"]
    digest = layout.state_digest(root)
    unknown = run_action("ra_certs", {"service_account": account + "-nobody"}, root)
    assert unknown.result["failed"] is True and "Internal error" not in unknown.result["msg"]
    assert "was not found" in unknown.result["msg"] and len(unknown.calls) == 1
    assert layout.state_digest(root) == digest
    fixed = run_action("ra_certs", {"service_account": account}, root)
    assert fixed.result.get("failed") is not True, fixed.result.get("msg")
    assert fixed.result["changed"] is True and len(fixed.calls) == 2     # one read call, one ensure call


@pytest.mark.parametrize("hostname, fqdn", [
    ("NDES01", 'ndes01.con"toso.com'),           # broke the applicationHost.config template (traceback)
    ("NDES01", "ndes01.contos\u00e8.com"),        # not an A-label: cryptography raised
    ("NDES01\r\n", "ndes01.contoso.com"),
    ("NDES-$(whoami)", "ndes01.contoso.com"),
    ("A" * 16, "ndes01.contoso.com"),
])
def test_lab_refuses_bad_names_before_touching_the_old_lab(lab_copy, hostname, fqdn):
    """A bad name failed half-way through building, after the old lab was cleared: neither lab was left."""
    root = lab_copy([])
    digest = layout.state_digest(root)
    with pytest.raises(faults.FaultError, match="(computer name|DNS name)"):
        faults.create(root, [], hostname=hostname, fqdn=fqdn)
    assert layout.state_digest(root) == digest and faults.read_lab(root) is not None


# ------------------------------------------------------------------ test facility: fail the k-th ensure of a run
def test_run_scope_counts_ensures_across_requests(lab_copy):
    """run/inject.json ``scope: run``: fail_ensure k fails the k-th ensure since it was set, whatever the request."""
    from ansible_collections.ndes.scep.plugins.module_utils._agent.validate import make_request
    from ansible_collections.ndes.scep.plugins.module_utils._lab import agent, runctl

    root = lab_copy([])
    key = r"HKLM\SYSTEM\CurrentControlSet\Services\HTTP\Parameters"

    def dword(op_id, value):
        return (op_id, "registry_value", {"path": key, "name": "MaxFieldLength", "type": "REG_DWORD", "value": value})

    runctl.save_inject(root, {"fail_ensure": 3, "scope": "run"})
    first = agent.handle(root, make_request([dword("a", 1), dword("b", 2)], False))["results"]
    second = agent.handle(root, make_request([dword("c", 3), dword("d", 4)], False))["results"]
    third = agent.handle(root, make_request([dword("e", 5)], False))["results"]
    assert [r["status"] for r in first + second + third] == ["ok", "ok", "failed", "not_run", "ok"]
    assert second[0]["error"]["code"] == "injected"
    assert runctl.load_inject(root)["seen"] == 4          # ensures that ran or failed; not_run ones do not count
    runctl.save_inject(root, {"fail_ensure": 1, "drop_connection": True, "scope": "run"})
    with pytest.raises(runctl.DroppedConnection):
        agent.handle(root, make_request([dword("f", 6)], False))
    runctl.save_inject(root, {})
    # without scope the count starts again at every request (the lab's documented behaviour)
    runctl.save_inject(root, {"fail_ensure": 2})
    assert [r["status"] for r in agent.handle(root, make_request([dword("g", 7), dword("h", 8)], False))["results"]] \
        == ["ok", "failed"]
    assert [r["status"] for r in agent.handle(root, make_request([dword("i", 9), dword("j", 10)], False))["results"]] \
        == ["ok", "failed"]


def test_user_right_never_grants_to_something_that_is_not_a_sid(lab_copy):
    """'S-1-5-x' (not a SID) went to resolve_principal as a name; the lab answered it back and it was granted."""
    root = lab_copy([])
    digest = layout.state_digest(root)
    out = run_action("user_right", {"principals": ["S-1-5-x"]}, root)
    assert out.result["failed"] is True and "do not exist" in out.result["msg"]
    assert layout.state_digest(root) == digest
    assert "S-1-5-X" not in rights.load_doc(root).sections.__repr__()


@pytest.mark.parametrize("option, value", [("max_field_length", 70000), ("max_field_length", 63),
                                           ("max_request_bytes", 16777217), ("max_request_bytes", 255)])
def test_httpsys_values_outside_their_range_are_refused(lab_copy, option, value):
    """HTTP.sys documents 64-65534 (MaxFieldLength) and 256-16777216 (MaxRequestBytes); 70000 was written."""
    root = lab_copy(["httpsys_limits"])
    digest = layout.state_digest(root)
    out = run_action("request_limits", {option: value}, root)
    assert out.result["failed"] is True and option in out.result["msg"] and "HTTP.sys" in out.result["msg"]
    assert layout.state_digest(root) == digest


def test_diagnose_with_a_zero_hour_window_fails_with_a_message(lab_copy):
    """log_hours: 0 raised ValueError out of the action plugin (a traceback, not a task failure)."""
    out = run_action("diagnose", {"log_hours": 0, "probe": False}, lab_copy([]))
    assert out.result["failed"] is True and "log_hours" in out.result["msg"] and out.calls == []


def test_rolling_back_the_same_run_twice_changes_nothing_the_second_time(lab_copy):
    """Restore replayed every manifest item newest first: a second rollback of the same run rewrote
    applicationHost.config through its intermediate states, started then stopped the pool the run had recycled,
    and reported changed (the end state was the same)."""
    root = lab_copy(["crs_windows_auth", "request_limits", "app_pool_stopped"])
    apphost = store.read_bytes(layout.win_to_lab(root, layout.APPHOST_CONFIG))
    variables = {"ndes_run_id": "20260101T000000Z-twice1"}
    for module, args in (("certreg_auth", {}), ("request_limits", {"scope": ["iis"]}), ("app_pool", {}),
                         ("iis_restart", {"pools": ["SCEP"]})):
        assert run_action(module, args, root, task_vars=variables).result["changed"] is True, module
    first = run_action("rollback", {"run_id": "20260101T000000Z-twice1"}, root).result
    assert first["changed"] is True and first.get("failed") is not True
    # the newer items of applicationHost.config and of the SCEP pool are superseded by the oldest one of each
    assert first["unchanged"] and set(first["unchanged"]) < set(first["restored"])
    assert store.read_bytes(layout.win_to_lab(root, layout.APPHOST_CONFIG)) == apphost
    assert pools.read(root, ["SCEP"])[0]["state"] == "Stopped"       # as the fault left it before the run
    after_first = layout.state_digest(root)
    again = run_action("rollback", {"run_id": "20260101T000000Z-twice1"}, root).result
    assert again["changed"] is False and again.get("failed") is not True
    assert again["unchanged"] == again["restored"] and again["restart_required"] is False
    assert layout.state_digest(root) == after_first


@pytest.mark.parametrize("module, args", [("user_right", {"principals": [UNKNOWN_SID]}),
                                          ("temp_acl", {"sid": UNKNOWN_SID})])
@pytest.mark.parametrize("check", [False, True])
def test_a_sid_that_names_no_account_is_refused(lab_copy, module, args, check):
    """A well-formed SID that names no account (S-1-5-21-...-4444) was granted the right / the folder ACE."""
    root = lab_copy(["impersonate_right", "temp_acl"])
    digest = layout.state_digest(root)
    out = run_action(module, args, root, check=check)
    assert out.result["failed"] is True and out.result["changed"] is False
    assert "names no account" in out.result["msg"] and UNKNOWN_SID in out.result["msg"]
    assert "service account" in out.result["msg"]
    assert layout.state_digest(root) == digest
    assert not os.path.isdir(os.path.join(root, layout.BACKUPS)) or not os.listdir(os.path.join(root, layout.BACKUPS))
    # the default principals (IIS_IUSRS, NetworkService: well-known SIDs) are still granted
    assert run_action(module, {}, root, check=check).result.get("failed") is not True


@pytest.mark.parametrize("path", ["%SystemRoot%\\..\\..\\Windows\\System32", "C:\\Windows\\System32",
                                  "C:\\Windows\\Temp\\..\\System32", "C:\\inetpub"])
def test_temp_acl_grants_only_on_the_windows_temp_folder(lab_copy, path):
    """temp_acl path accepted any folder: %SystemRoot%\\..\\..\\Windows\\System32 got NetworkService Modify."""
    root = lab_copy(["temp_acl"])
    digest = layout.state_digest(root)
    out = run_action("temp_acl", {"path": path}, root)
    assert out.result["failed"] is True and "not the Windows temporary folder" in out.result["msg"]
    assert out.calls == []                                  # refused before any remote call
    assert layout.state_digest(root) == digest
    for good in ("%SystemRoot%\\Temp", "c:/windows/temp"):
        assert run_action("temp_acl", {"path": good}, root, check=True).result.get("failed") is not True, good


def test_request_limits_reports_the_reboot_a_value_set_meanwhile_still_needs(lab_copy):
    """Two runs at once: run B set HTTP.sys values after run A read its facts; run A's ensure found them set
    and reported no reboot, so the remediate role took HTTPSYS_LIMITS as fixed and in effect, and its
    verification failed with "still sees what this run fixed"."""
    root = lab_copy(["httpsys_limits"])
    stale = run_action("info", {}, root).result["ndes"]
    other = run_action("request_limits", {"scope": ["httpsys"]}, root).result
    assert other["changed"] is True and other["reboot_required"] is True
    late = run_action("request_limits", {"scope": ["httpsys"], "facts": stale}, root).result
    assert late.get("failed") is not True and late["changed"] is False
    assert late["reboot_required"] is True
    assert any("in effect until the next reboot" in r for r in late["reboot_reasons"])
