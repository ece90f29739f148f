# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""request_limits: where maxUrl/maxQueryString are written, HTTP.sys values, reboot needs, verification."""
from __future__ import annotations

import pytest

from fixes_helpers import args_of, ensures, healthy, ok, read_ok

from ansible_collections.ndes.scep.plugins.action.request_limits import ActionModule
from ansible_collections.ndes.scep.plugins.module_utils._ndes.fixes import _common as c
from ansible_collections.ndes.scep.plugins.module_utils._ndes.fixes import request_limits as fix

APPHOST = "MACHINE/WEBROOT/APPHOST"


def args(**given):
    return args_of(ActionModule.ARGUMENT_SPEC, **given)


def low_iis(facts, origin, location=None, max_url=4096, max_qs=2048):
    rl = facts["iis"]["request_limits"]
    rl.update(max_url=max_url, max_query_string=max_qs, ok=False,
              max_url_origin=origin, max_url_origin_location=location,
              max_query_string_origin=origin, max_query_string_origin_location=location)
    return facts


def test_healthy_facts_need_no_call():
    plan = fix.plan(args(), healthy(), {})
    assert plan.ops == []
    shaped = c.shape(plan, changed=False)
    assert shaped["reboot_required"] is False and shaped["restart_required"] is False


@pytest.mark.parametrize("origin,location,commit_path,commit_location", [
    ("default", None, APPHOST, "Default Web Site"),
    (APPHOST, None, APPHOST, ""),
    (APPHOST, "", APPHOST, ""),
    (APPHOST, "Default Web Site/certsrv/mscep", APPHOST, "Default Web Site/certsrv/mscep"),
    (APPHOST + "/Default Web Site", None, APPHOST + "/Default Web Site", None),
    (APPHOST + "/Default Web Site/certsrv/mscep", None, APPHOST + "/Default Web Site/certsrv/mscep", None),
])
def test_written_where_the_effective_value_comes_from(origin, location, commit_path, commit_location):
    plan = fix.plan(args(scope=["iis"]), low_iis(healthy(), origin, location), {})
    (op_id, kind, op_args), = ensures(plan)
    assert kind == "iis_property"
    assert op_args["location"] == "Default Web Site/certsrv/mscep"
    assert op_args["commit_path"] == commit_path
    assert op_args.get("commit_location") == commit_location
    assert op_args["attributes"] == {"maxUrl": 65534, "maxQueryString": 65534}
    # the verification read rides in the same call, after the ensure
    assert plan.ops[-1][0] == "iis_verify" and plan.ops[-1][1] == "iis_config"


def test_attributes_from_different_levels_give_two_ensures():
    facts = low_iis(healthy(), "default")
    facts["iis"]["request_limits"].update(max_query_string_origin=APPHOST + "/Default Web Site")
    plan = fix.plan(args(scope=["iis"]), facts, {})
    targets = {(a["commit_path"], a.get("commit_location")): a["attributes"] for _i, _k, a in ensures(plan)}
    assert targets == {(APPHOST, "Default Web Site"): {"maxUrl": 65534},
                       (APPHOST + "/Default Web Site", None): {"maxQueryString": 65534}}
    assert len({i for i, _k, _a in ensures(plan)}) == 2


def test_higher_values_are_left_alone():
    facts = low_iis(healthy(), APPHOST, "Default Web Site", max_url=4294967295, max_qs=2048)
    (_i, _k, op_args), = ensures(fix.plan(args(scope=["iis"]), facts, {}))
    assert op_args["attributes"] == {"maxQueryString": 65534}


def test_httpsys_absent_values_set_and_reboot_required_when_changed():
    facts = healthy()
    facts["httpsys"].update(max_field_length={"set": None, "in_effect": 16384},
                            max_request_bytes={"set": 16384, "in_effect": 16384})
    plan = fix.plan(args(scope=["httpsys"]), facts, {})
    assert [(a["name"], a["type"], a["value"], a["path"]) for _i, _k, a in ensures(plan)] == [
        ("MaxFieldLength", "REG_DWORD", 65534, fix.HTTP_PARAMETERS),
        ("MaxRequestBytes", "REG_DWORD", 65534, fix.HTTP_PARAMETERS)]
    assert c.shape(plan, changed=True)["reboot_required"] is True
    assert c.shape(plan, changed=False)["reboot_required"] is False


def test_httpsys_set_but_not_in_effect_is_a_pending_reboot_without_change():
    facts = healthy()
    facts["httpsys"]["max_field_length"] = {"set": 65534, "in_effect": 16384}
    plan = fix.plan(args(), facts, {})
    assert plan.ops == []
    shaped = c.shape(plan, changed=False)
    assert shaped["reboot_required"] is True
    assert "MaxFieldLength" in shaped["reboot_reasons"][0]


def test_scope_limits_the_work():
    facts = low_iis(healthy(), "default")
    facts["httpsys"]["max_field_length"] = {"set": None, "in_effect": 16384}
    assert {k for _i, k, _a in ensures(fix.plan(args(scope=["iis"]), facts, {}))} == {"iis_property"}
    assert {k for _i, k, _a in ensures(fix.plan(args(scope=["httpsys"]), facts, {}))} == {"registry_value"}


def test_facts_for_another_location_need_a_read():
    facts = healthy()
    assert fix.reads(args(), facts) == []
    assert fix.reads(args(), None) == []  # gathered with settings(args)
    ops = fix.reads(args(app_path="/other/mscep"), facts)
    assert ops[0][1] == "iis_config" and ops[0][2]["location"] == "Default Web Site/other/mscep"
    reads = {"iis": read_ok("iis_config", {
        "attributes": {"maxUrl": 4096, "maxQueryString": 65534},
        "origin": {"maxUrl": {"path": APPHOST, "is_default": False, "location": "Default Web Site/other"},
                   "maxQueryString": {"path": APPHOST, "is_default": False}}})}
    (_i, _k, op_args), = ensures(fix.plan(args(app_path="/other/mscep", scope=["iis"]), facts, reads))
    assert op_args["commit_location"] == "Default Web Site/other" and op_args["attributes"] == {"maxUrl": 65534}


def test_settings_follow_the_options():
    assert fix.settings(args(site="Web", app_path="/x")) == {"site": "Web", "scep_app_path": "/x"}


def test_finish_names_the_overriding_level():
    facts = low_iis(healthy(), APPHOST, "Default Web Site")
    plan = fix.plan(args(scope=["iis"]), facts, {})
    op_id = ensures(plan)[0][0]
    results = {
        op_id: ok("iis_property", {"attributes": {"maxUrl": 4096, "maxQueryString": 2048}},
                  {"attributes": {"maxUrl": 4096, "maxQueryString": 65534}}),
        "iis_verify": read_ok("iis_config", {"attributes": {"maxUrl": 4096}, "origin": {
            "maxUrl": {"path": APPHOST + "/Default Web Site/certsrv/mscep", "is_default": False}}}),
    }
    fields, error = fix.finish(args(scope=["iis"]), plan, results)
    assert "maxUrl is still 4096" in error
    assert "MACHINE/WEBROOT/APPHOST/Default Web Site/certsrv/mscep overrides it" in error
    assert "maxQueryString" not in error.split("overrides")[0]
    assert fields["iis"]["maxQueryString"]["effective_after"] == 65534


def test_finish_passes_when_effective_values_are_raised():
    facts = low_iis(healthy(), "default")
    facts["httpsys"]["max_request_bytes"] = {"set": None, "in_effect": 16384}
    plan = fix.plan(args(), facts, {})
    results = {}
    for op_id, kind, op_args in ensures(plan):
        if kind == "iis_property":
            results[op_id] = ok(kind, {"attributes": {"maxUrl": 4096, "maxQueryString": 2048}},
                                {"attributes": {"maxUrl": 65534, "maxQueryString": 65534}})
        else:
            results[op_id] = ok(kind, {"value": None}, {"value": 65534})
    fields, error = fix.finish(args(), plan, results)
    assert error is None
    assert fields["httpsys"]["MaxRequestBytes"]["set_after"] == 65534


def test_out_of_range_minimum_is_refused():
    with pytest.raises(c.FixError, match="DWORD"):
        fix.plan(args(max_url=0), healthy(), {})
