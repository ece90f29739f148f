# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""certreg_auth: both sections committed to applicationHost.config in a location tag."""
from __future__ import annotations

from fixes_helpers import args_of, ensures, healthy, ok, read_ok

from ansible_collections.ndes.scep.plugins.action.certreg_auth import ActionModule
from ansible_collections.ndes.scep.plugins.module_utils._ndes.fixes import _common as c
from ansible_collections.ndes.scep.plugins.module_utils._ndes.fixes import certreg_auth as fix

LOC = "Default Web Site/CertificateRegistrationSvc"


def args(**given):
    return args_of(ActionModule.ARGUMENT_SPEC, **given)


def test_healthy_is_a_no_op():
    assert fix.plan(args(), healthy(), {}).ops == []


def test_windows_auth_on_is_turned_off_in_apphost():
    facts = healthy()
    facts["iis"]["certreg_auth"].update(windows_enabled=True, ok=False)
    plan = fix.plan(args(), facts, {})
    assert ensures(plan) == [("windowsAuthentication", "iis_property", {
        "section": "system.webServer/security/authentication/windowsAuthentication", "location": LOC,
        "commit_path": "MACHINE/WEBROOT/APPHOST", "commit_location": LOC, "attributes": {"enabled": False}})]
    assert c.shape(plan, changed=True)["restarts"][0]["kind"] == "iis"


def test_unknown_values_are_ensured_anyway():
    facts = healthy()
    facts["iis"]["certreg_auth"].update(anonymous_enabled=None, windows_enabled=None)
    assert [i for i, _k, _a in fix.plan(args(), facts, {}).ops] == ["anonymousAuthentication", "windowsAuthentication"]


def test_other_location_reads_first():
    a = args(app_path="/CRS2")
    ops = fix.reads(a, healthy())
    assert [o[2]["location"] for o in ops] == ["Default Web Site/CRS2"] * 2
    reads = {"anonymousAuthentication": read_ok("iis_config", {"attributes": {"enabled": False}, "origin": {}}),
             "windowsAuthentication": read_ok("iis_config", {"attributes": {"enabled": False}, "origin": {}})}
    plan = fix.plan(a, healthy(), reads)
    assert [(i, op["commit_location"]) for i, _k, op in plan.ops] == [("anonymousAuthentication", "Default Web Site/CRS2")]


def test_finish_flags_a_value_that_did_not_take():
    facts = healthy()
    facts["iis"]["certreg_auth"].update(windows_enabled=True)
    plan = fix.plan(args(), facts, {})
    results = {"windowsAuthentication": ok("iis_property", {"attributes": {"enabled": True}},
                                           {"attributes": {"enabled": True}}, changed=False)}
    _fields, error = fix.finish(args(), plan, results)
    assert "still enabled=True" in error
    results["windowsAuthentication"]["after"] = {"attributes": {"enabled": False}}
    assert fix.finish(args(), plan, results)[1] is None
