# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fix modules' ``restarts`` option: restarts ride in the fix's own agent call (contract ``if_changed``)."""
from __future__ import annotations

import pytest

import lab_flow as lf

from ansible_collections.ndes.scep.plugins.module_utils._lab import boot, pools
from ansible_collections.ndes.scep.plugins.module_utils._ndes.fixes import _common, _restarts

RECYCLE = {"kind": "recycle", "name": None, "when": "if_changed"}


def resets(root):
    return boot.load(root).get("iis_resets", 0)


def recycles(root, pool="SCEP"):
    return pools.runtime(root).get(pool, {}).get("recycles", 0)


def ops_of(request):
    return [(op["id"], op["kind"], op.get("if_changed")) for op in request["ops"]]


# ------------------------------------------------------------------ pure planning
def test_merge_dedupes_and_lets_an_iis_reset_cover_the_recycles():
    assert _restarts.merge([{"kind": "recycle", "name": "SCEP", "when": "if_changed"},
                            {"kind": "recycle", "name": "scep", "when": "always"},
                            {"kind": "connector_restart", "name": None, "when": "if_changed"}]) == [
        {"kind": "recycle", "name": "SCEP", "when": "always"},
        {"kind": "connector_restart", "name": None, "when": "if_changed"}]
    # a recycle owed (always) and this fix's own IIS reset (if_changed): ONE reset, always
    assert _restarts.merge([{"kind": "recycle", "name": "SCEP", "when": "always"},
                            {"kind": "iis_reset", "name": None, "when": "if_changed"}]) == [
        {"kind": "iis_reset", "name": None, "when": "always"}]
    assert _restarts.merge([{"kind": "recycle", "name": "SCEP", "when": "if_changed"},
                            {"kind": "iis_reset", "when": "if_changed"}]) == [
        {"kind": "iis_reset", "name": None, "when": "if_changed"}]
    with pytest.raises(_common.FixError, match="kind must be one of"):
        _restarts.merge([{"kind": "reboot", "when": "always"}])


def test_plan_ops_conditions_on_the_fix_s_own_ensures_and_expands_the_connector_services():
    facts = {"settings": {"scep_pool": "NDESPool"},
             "services": {"PFXCertificateConnectorSvc": {"exists": True, "start_mode": "Auto"},
                          "PKICertificateConnectorSvc": {"exists": True, "start_mode": "Disabled"},
                          "NDESConnectorSvc": {"exists": False}}}
    entries = _restarts.merge([RECYCLE, {"kind": "connector_restart", "when": "always"}])
    planned, warnings = _restarts.plan_ops(entries, facts, ["grant"], taken=["grant"])
    assert _restarts.ops_of(planned) == [
        ("restart_recycle_NDESPool", "app_pool_state", {"name": "NDESPool", "state": "recycled"}, ["grant"]),
        ("restart_service_PFXCertificateConnectorSvc", "service_state",
         {"name": "PFXCertificateConnectorSvc", "state": "restarted"}, None)]
    assert warnings == ["PKICertificateConnectorSvc is disabled: not restarted (set its start mode, then restart it)."]
    # a fix that sends no ensure: its if_changed restarts can never be due
    planned, _w = _restarts.plan_ops(entries, facts, [])
    assert [e["kind"] for e, _ops in planned] == ["connector_restart"]


def test_what_a_done_restart_covers():
    reset = {"kind": "iis_reset", "name": None}
    recycle = {"kind": "recycle", "name": "SCEP", "targets": ["SCEP"]}
    connector = {"kind": "connector_restart", "name": None, "targets": ["PFXCertificateConnectorSvc"]}
    asked = [_common.restart("iis", None, "reset", "x"), _common.restart("service", "W3SVC", "restart", "x"),
             _common.restart("app_pool", "SCEP", "recycle", "x"), _common.restart("app_pool", "SCEP", "start", "x"),
             _common.restart("service", "PFXCertificateConnectorSvc", "restart", "x"),
             _common.restart("connector", None, "reinstall", "x")]
    assert [r["kind"] + "/" + r["action"] for r in _restarts.uncovered(asked, [reset])] == [
        "app_pool/start", "service/restart", "connector/reinstall"]
    assert len(_restarts.uncovered(asked, [recycle])) == 5
    assert [r["action"] for r in _restarts.uncovered(asked, [reset, connector])] == ["start", "reinstall"]


# ------------------------------------------------------------------ through the action, over a lab
def test_the_restart_rides_in_the_fix_s_call_and_is_cleared_from_what_it_reports(tmp_path):
    root = lf.make_lab(tmp_path / "lab", [{"id": "impersonate_right", "variant": "local"}])
    result, calls, requests = lf.run("user_right", root, facts=lf.info(root), restarts=[RECYCLE])
    assert calls == 1 and result["changed"] is True and not result.get("failed"), result
    assert ops_of(requests[0]) == [("grant", "user_right_grant", None),
                                   ("restart_recycle_SCEP", "app_pool_state", ["grant"])]
    assert result["restarts_done"] == [{"kind": "recycle", "name": None, "when": "if_changed",
                                        "ops": ["restart_recycle_SCEP"], "targets": ["SCEP"]}]
    assert result["restarts"] == [] and result["restart_required"] is False
    assert [c["id"] for c in result["changes"]] == ["grant"]          # the restart is not a change of the fix
    assert recycles(root) == 1
    # again: nothing to change, so no call and no restart
    result, calls, _r = lf.run("user_right", root, facts=lf.info(root), restarts=[RECYCLE])
    assert calls == 0 and result["changed"] is False and result["restarts_done"] == []
    assert recycles(root) == 1


def test_restarts_owed_by_earlier_tasks_run_even_when_this_fix_has_nothing_to_do(tmp_path):
    root = lf.make_lab(tmp_path / "lab")
    result, calls, requests = lf.run("temp_acl", root, facts=lf.info(root), restarts=[
        {"kind": "recycle", "name": "SCEP", "when": "always"}, {"kind": "connector_restart", "when": "always"},
        RECYCLE])
    assert calls == 1 and result["changed"] is True and result["changes"] == [], result
    assert ops_of(requests[0]) == [("restart_recycle_SCEP", "app_pool_state", None),
                                   ("restart_service_PFXCertificateConnectorSvc", "service_state", None),
                                   ("restart_service_PKICertificateConnectorSvc", "service_state", None)]
    assert [d["kind"] for d in result["restarts_done"]] == ["recycle", "connector_restart"]
    assert result["restarts_done"][1]["targets"] == ["PFXCertificateConnectorSvc", "PKICertificateConnectorSvc"]
    assert recycles(root) == 1 and resets(root) == 0


def test_one_iis_reset_covers_an_owed_recycle_and_the_fix_s_own_reset(tmp_path):
    root = lf.make_lab(tmp_path / "lab", ["crs_windows_auth"])
    result, calls, requests = lf.run("certreg_auth", root, facts=lf.info(root), restarts=[
        {"kind": "recycle", "name": "SCEP", "when": "always"}, {"kind": "iis_reset", "when": "if_changed"}])
    assert calls == 1 and not result.get("failed"), result
    assert [op[:2] for op in ops_of(requests[0])][-1] == ("restart_iis_reset", "iis_reset")
    assert ops_of(requests[0])[-1][2] is None                          # due anyway: the recycle was
    assert [d["kind"] for d in result["restarts_done"]] == ["iis_reset"]
    assert result["restarts"] == [] and result["restart_required"] is False
    assert resets(root) == 1 and recycles(root) == 0


def test_check_mode_predicts_restarts_and_sends_none(tmp_path):
    root = lf.make_lab(tmp_path / "lab", [{"id": "impersonate_right", "variant": "local"}])
    before = lf.digest(root)
    result, calls, requests = lf.run("user_right", root, check=True, facts=lf.info(root), restarts=[
        RECYCLE, {"kind": "iis_reset", "when": "always"}])
    assert calls == 1 and [op[0] for op in ops_of(requests[0])] == ["grant"]
    assert result["restarts_done"] == [] and result["restart_required"] is True
    assert [r["action"] for r in result["restarts"]] == ["recycle"]
    assert lf.digest(root) == before


def test_a_failed_restart_fails_the_task_after_the_fix_s_changes(tmp_path):
    root = lf.make_lab(tmp_path / "lab", ["app_pool_stopped", "temp_acl"])
    result, calls, _r = lf.run("temp_acl", root, facts=lf.info(root), restarts=[RECYCLE])
    assert calls == 1 and result["failed"] is True
    assert "The changes are made, but the restart restart_recycle_SCEP failed (precondition)" in result["msg"]
    assert [c["id"] for c in result["changes"]] == ["acl"] and result["restarts_done"] == []
    assert result["restart_required"] is True                           # still owed: not done


def test_without_the_option_nothing_changes_in_the_result(tmp_path):
    root = lf.make_lab(tmp_path / "lab", [{"id": "impersonate_right", "variant": "local"}])
    result, calls, requests = lf.run("user_right", root, facts=lf.info(root))
    assert calls == 1 and "restarts_done" not in result and result["restart_required"] is True
    assert [op[0] for op in ops_of(requests[0])] == ["grant"] and recycles(root) == 0


def test_the_windows_wire_carries_if_changed_and_the_skipped_result(tmp_path):
    """The Windows path of the action base (JSON request, win_powershell output, normalize, validate) with the
    lab answering: the conditional restart goes out with if_changed and its skipped answer comes back intact."""
    import os
    import sys
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                                    "safety"))
    import safety_harness
    root = lf.make_lab(tmp_path / "lab", [{"id": "impersonate_right", "variant": "local"}])
    facts = lf.info(root)
    out = safety_harness.run_action("user_right", {"facts": facts, "restarts": [RECYCLE]}, root, windows=True)
    assert out.result["changed"] is True and not out.result.get("failed"), out.result
    sent = out.requests()[0]["ops"][-1]
    assert sent["id"] == "restart_recycle_SCEP" and sent["if_changed"] == ["grant"]
    assert out.result["restarts_done"][0]["targets"] == ["SCEP"] and recycles(root) == 1
    # stale facts: the grant goes out again and changes nothing, so the agent skips the recycle; an owed
    # connector restart still runs, in the same call
    again = safety_harness.run_action("user_right", {"facts": facts, "restarts": [
        RECYCLE, {"kind": "connector_restart", "name": "PKICertificateConnectorSvc", "when": "always"}]}, root)
    assert len(again.windows_calls) == 1 and [op["id"] for op in again.requests()[0]["ops"]] == [
        "grant", "restart_recycle_SCEP", "restart_service_PKICertificateConnectorSvc"]
    assert [d["kind"] for d in again.result["restarts_done"]] == ["connector_restart"]
    assert again.result["changed"] is True and again.result["changes"] == []
    assert recycles(root) == 1
