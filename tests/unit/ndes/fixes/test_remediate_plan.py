# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The remediate role's decisions (remediate_plan and the ndes.scep filters over it), without Ansible."""
from __future__ import annotations

import copy

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.ndes.scep.plugins.filter import remediate as filters
from ansible_collections.ndes.scep.plugins.module_utils._lab import healthy
from ansible_collections.ndes.scep.plugins.module_utils._ndes import remediate_plan as rp

import lab_flow as lf
from test_lab_flow import FIXABLE, IDS

ROWS = [(row[0], row[1], row[2], row[4]) for row in FIXABLE if row[2] in rp.RESTART_MAP]
ROW_IDS = [i for i, row in zip(IDS, FIXABLE) if row[2] in rp.RESTART_MAP]
SETTINGS = {"scep_template": healthy.SCEP_TEMPLATE, "connector_certificate": True}


@pytest.fixture(scope="module")
def healthy_facts(tmp_path_factory):
    return lf.info(lf.make_lab(tmp_path_factory.mktemp("healthy") / "lab", []))


def test_a_healthy_host_needs_no_fix(healthy_facts):
    assert rp.fix_plan(healthy_facts, SETTINGS) == []


@pytest.mark.parametrize("fid,variant,module,prepare", ROWS, ids=ROW_IDS)
def test_each_fixable_fault_plans_its_fix(tmp_path, fid, variant, module, prepare):
    root = lf.make_lab(tmp_path / "lab", [{"id": fid, "variant": variant} if variant else fid])
    if prepare:
        prepare(root)
    plan = rp.fix_plan(lf.info(root), SETTINGS)
    assert module in plan
    assert plan == [fix for fix in rp.FIXES if fix in plan]           # always in the run order


def test_a_switched_off_fix_is_not_planned(tmp_path):
    facts = lf.info(lf.make_lab(tmp_path / "lab", ["crs_windows_auth", "temp_acl"]))
    assert rp.fix_plan(facts, {}) == ["certreg_auth", "temp_acl"]
    assert rp.fix_plan(facts, {"ndes_fix_certreg_auth": False, "fix_temp_acl": "no"}) == []


def test_unknown_values_never_plan_a_fix(healthy_facts):
    unknown = copy.deepcopy(healthy_facts)
    unknown["iis"]["certreg_auth"]["ok"] = None
    unknown["temp_acl"]["network_service_can_write"] = None
    unknown["user_rights"]["impersonate"]["iis_iusrs_holds"] = None
    unknown["scep_pool"]["started"] = None
    assert rp.fix_plan(unknown, SETTINGS) == []
    assert rp.fix_plan({}, SETTINGS) == [] and rp.fix_plan(None, SETTINGS) == []


def test_a_gpo_defined_right_is_not_fought_unless_told(healthy_facts):
    facts = copy.deepcopy(healthy_facts)
    facts["user_rights"]["impersonate"].update(iis_iusrs_holds=False, gpo_defined=True)
    assert rp.fix_plan(facts, {}) == []
    assert rp.fix_plan(facts, {"user_right_override_gpo": True}) == ["user_right"]


def test_a_right_whose_gpo_definition_is_unknown_is_not_planned_unless_told(healthy_facts):
    facts = copy.deepcopy(healthy_facts)
    facts["user_rights"]["impersonate"].update(iis_iusrs_holds=False, gpo_defined=None)   # RSOP unreadable
    assert rp.fix_plan(facts, {}) == []
    assert rp.fix_plan(facts, {"user_right_override_gpo": True}) == ["user_right"]
    facts["user_rights"]["impersonate"]["gpo_defined"] = False                           # read: no GPO
    assert rp.fix_plan(facts, {}) == ["user_right"]


def roots(*certs):
    return {"non_self_signed": [dict(thumbprint=t, gpo_placed=g) for t, g in certs], "count": len(certs)}


def test_the_pool_starts_last_and_only_when_no_crash_cause_is_left(healthy_facts):
    facts = copy.deepcopy(healthy_facts)
    facts["scep_pool"]["started"] = False
    facts["root_store"] = roots(("AA" * 20, False))
    assert rp.fix_plan(facts, {}) == ["root_store", "app_pool"]
    assert rp.fix_plan(facts, {"fix_root_store": False}) == []            # the cause stays: not started
    assert rp.fix_plan(facts, {"root_store_exclude": ["aa" * 20]}) == []  # excluded by thumbprint, any case
    facts["root_store"] = roots(("BB" * 20, True))                         # placed by a GPO: not movable
    assert rp.fix_plan(facts, {}) == []
    facts["root_store"] = roots()
    facts["chain"]["revocation_unreachable"] = True                       # a cause no fix removes
    assert "app_pool" not in rp.fix_plan(facts, {})


def test_repaired_facts_show_what_the_fixes_before_the_pool_repaired(healthy_facts):
    facts = copy.deepcopy(healthy_facts)
    facts["root_store"] = roots(("AA" * 20, False), ("BB" * 20, True))
    facts["iis"]["certreg_auth"]["ok"] = False
    repaired = rp.repaired_facts(facts, ["root_store", "certreg_auth", "app_pool"])
    assert repaired["root_store"] == roots(("BB" * 20, True))
    assert repaired["iis"]["certreg_auth"]["ok"] is True
    assert repaired["iis"]["request_limits"] == facts["iis"]["request_limits"]   # merged, not replaced
    assert facts["iis"]["certreg_auth"]["ok"] is False                          # the input is not modified
    assert rp.repaired_facts(facts, ["app_pool"])["root_store"]["count"] == 2


@pytest.mark.parametrize("left,due", [(None, False), (0, True), (-3, True), (30, True), (31, False)])
def test_ra_renewal_is_due_by_days_left(healthy_facts, left, due):
    facts = copy.deepcopy(healthy_facts)
    facts["ra_certs"].update(min_days_left=left, unusable_roles=[])
    assert ("ra_renew" in rp.fix_plan(facts, {"renew_ra": True, "renew_ra_days": 30})) is due
    assert "ra_renew" not in rp.fix_plan(facts, {"renew_ra": False})


# ------------------------------------------------------------------------------------- restarts
POOL_RECYCLE = {"kind": "app_pool", "name": "SCEP", "action": "recycle"}
IIS = {"kind": "iis", "name": None, "action": "reset"}


def test_the_last_fix_carries_the_earlier_restarts_and_its_own(healthy_facts):
    results = {"request_limits": {"restarts": [POOL_RECYCLE]}, "certreg_auth": {"restarts": [IIS]}}
    out = rp.last_fix_restarts(["certreg_auth", "request_limits", "temp_acl"], results, healthy_facts, {}, False)
    assert out == [{"kind": "iis_reset", "when": "always"},
                   {"kind": "recycle", "name": "SCEP", "when": "always"},
                   {"kind": "recycle", "name": "SCEP", "when": "if_changed"}]
    with_reset = rp.last_fix_restarts(["temp_acl"], {}, healthy_facts, {"fix_iis_restart": True}, False)
    assert with_reset == [{"kind": "iis_reset", "when": "always"}, {"kind": "recycle", "name": "SCEP", "when": "if_changed"}]


def test_no_restart_rides_in_check_mode_before_a_reboot_or_for_a_stopped_pool(healthy_facts):
    plan, results = ["request_limits", "user_right"], {"request_limits": {"restarts": [POOL_RECYCLE]}}
    assert rp.last_fix_restarts(plan, results, healthy_facts, {}, True) == []
    assert rp.last_fix_restarts(plan, results, healthy_facts, {"reboot_policy": "always"}, False) == []
    assert rp.last_fix_restarts([], results, healthy_facts, {}, False) == []
    stopped = copy.deepcopy(healthy_facts)
    stopped["scep_pool"]["started"] = False
    assert rp.last_fix_restarts(plan, results, stopped, {}, False) == []


@pytest.mark.parametrize("policy,facts_patch,plan,expected", [
    ("never", {"pending_reboot": True}, ["root_store"], False),
    ("always", {}, [], True),
    ("if_required", {}, ["user_right"], False),
    ("if_required", {"pending_reboot": True}, ["user_right"], True),
    ("if_required", {}, ["root_store"], True),
    ("if_required", {"httpsys": {"set_ok": False}}, ["request_limits"], True),
    ("if_required", {"httpsys": {"set_ok": True}}, ["request_limits"], False),
])
def test_the_reboot_prediction(policy, facts_patch, plan, expected):
    assert rp.reboot_predicted(facts_patch, plan, {"reboot_policy": policy}, False) is expected
    assert rp.reboot_predicted(facts_patch, plan, {"reboot_policy": policy}, True) is False


# -------------------------------------------------------------------------------------- outcome
def test_outcome_collects_changes_backups_and_what_is_still_owed(healthy_facts):
    results = {
        "request_limits": {"changed": True, "changes": [{"item": "maxQueryString"}], "backup": {"run_id": "r1"},
                           "restarts": [POOL_RECYCLE], "restarts_done": []},
        "user_right": {"changed": True, "changes": [{"item": "SeImpersonatePrivilege"}], "backup": None,
                       "restarts": [POOL_RECYCLE],
                       "restarts_done": [{"kind": "recycle", "targets": ["SCEP"], "when": "always"}]},
        "temp_acl": {},
    }
    out = rp.outcome(results, healthy_facts, {}, [], False)
    assert out["changes"] == [{"item": "maxQueryString", "module": "ndes.scep.request_limits"},
                              {"item": "SeImpersonatePrivilege", "module": "ndes.scep.user_right"}]
    assert out["backups"] == [{"run_id": "r1"}]
    assert out["pending"] == []                                         # the recycle made covers both asks
    assert out["restarts"] == [{"kind": "app_pool", "name": "SCEP", "action": "recycle", "done": True,
                                "reason": "made in the agent call of the last fix (always)"}]
    assert out["host_status"] == "changed" and out["reboot_required"] is False
    assert (out["restart_iis"], out["recycle_pools"], out["restart_connector"]) == (False, [], False)


def test_the_fallback_restarts(healthy_facts):
    asked = {"request_limits": {"restarts": [POOL_RECYCLE, POOL_RECYCLE]}}
    assert rp.outcome(asked, healthy_facts, {}, [], False)["recycle_pools"] == ["SCEP"]   # once
    with_iis = {"request_limits": {"restarts": [POOL_RECYCLE]}, "certreg_auth": {"restarts": [IIS]}}
    out = rp.outcome(with_iis, healthy_facts, {}, [], False)
    assert (out["restart_iis"], out["recycle_pools"]) == (True, [])                     # a reset covers the recycle
    reboot = rp.outcome({"root_store": {"restarts": [IIS], "reboot_required": True, "reboot_reasons": ["roots"]}},
                        healthy_facts, {"reboot_policy": "if_required"}, [], False)
    assert (reboot["reboot_planned"], reboot["restart_iis"], reboot["reboot_reasons"]) == (True, False, ["roots"])
    stopped = copy.deepcopy(healthy_facts)
    stopped["scep_pool"]["started"] = False
    assert rp.outcome(asked, stopped, {}, [], False)["recycle_pools"] == []             # it loads them when it starts
    connector = {"connector_service": {"restarts": [{"kind": "service", "name": "WAPCSvc", "action": "restart"},
                                                    {"kind": "service", "name": "NoSuchSvc", "action": "restart"}]}}
    assert rp.outcome(connector, healthy_facts, {}, [], False)["restart_connector"] is True
    assert rp.outcome({"connector_service": {"restarts": connector["connector_service"]["restarts"][1:]}},
                      healthy_facts, {}, [], False)["restart_connector"] is False       # not installed


def test_ndes_fix_iis_restart_is_asked_only_when_set(healthy_facts):
    extra = [dict(IIS, reason="ndes_fix_iis_restart is true")]
    assert rp.outcome({}, healthy_facts, {}, extra, False)["restart_iis"] is False
    assert rp.outcome({}, healthy_facts, {"fix_iis_restart": True}, extra, False)["restart_iis"] is True
    assert rp.outcome({}, healthy_facts, {"fix_iis_restart": True}, extra, True)["pending"] == extra


def test_a_pending_reboot_in_the_facts_is_reported(healthy_facts):
    facts = dict(healthy_facts, pending_reboot=True)
    out = rp.outcome({}, facts, {}, [], False)
    assert out["reboot_required"] is True and "pending_reboot" in out["reboot_reasons"][0]
    assert out["host_status"] == "ok"


# --------------------------------------------------------------------------------- verification
def evidence(stage, fid, confidence="likely"):
    return {"stage": stage, "id": fid, "confidence": confidence}


def test_a_probe_stage_only_a_fixed_fault_explains_is_unexplained():
    probe = {"url": "https://ndes/certsrv/mscep/mscep.dll", "reached": True,
             "checks": {"bare_url": {"status": 500}}, "signals": ["IMPERSONATE_RIGHT"],
             "evidence": [evidence("bare_url", "IMPERSONATE_RIGHT"), evidence("bare_url", "IMPERSONATE_RIGHT"),
                          evidence("getcacaps", "IMPERSONATE_RIGHT"), evidence("getcacaps", "RA_CERT_EXPIRED"),
                          evidence("long_get", "REQUEST_LIMITS", "warning")]}
    out = rp.verification(probe, ["user_right", "request_limits"], False)
    assert out["unexplained"] == ["bare_url=IMPERSONATE_RIGHT"]      # getcacaps has another cause; warnings don't count
    assert out["fixed"] == ["REQUEST_LIMITS", "HTTPSYS_LIMITS", "IMPERSONATE_RIGHT"]
    assert (out["url"], out["reached"], out["bare_url_status"], out["failure"]) == (probe["url"], True, 500, None)
    assert rp.verification(probe, ["request_limits"], True)["fixed"] == ["REQUEST_LIMITS"]   # HTTP.sys after reboot
    assert rp.verification({"failures": [{"detail": "connect refused"}]}, [], False)["failure"] == "connect refused"


# ------------------------------------------------------------------------------------- settings
def test_settings_take_both_spellings_defaults_and_check_the_policy():
    s = rp.settings({"ndes_fix_app_pool": "false", "renew_ra_days": "12", "root_store_exclude": None})
    assert (s["fix_app_pool"], s["renew_ra_days"], s["root_store_exclude"], s["scep_pool"]) == (False, 12, [], "SCEP")
    with pytest.raises(ValueError, match="ndes_reboot_policy must be one of never, if_required, always"):
        rp.settings({"reboot_policy": "sometimes"})


def test_the_filters_report_bad_settings_as_filter_errors(healthy_facts):
    assert filters.FilterModule().filters()["fix_plan"] is filters.fix_plan
    with pytest.raises(AnsibleFilterError, match="ndes.scep.fix_plan: ndes_reboot_policy must be"):
        filters.fix_plan(healthy_facts, {"reboot_policy": "sometimes"})
    with pytest.raises(AnsibleFilterError, match="ndes.scep.fix_plan"):
        filters.fix_plan(healthy_facts, {"renew_ra_days": "many"})
