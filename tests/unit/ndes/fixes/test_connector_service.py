# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""connector_service: running + Automatic; absent = not installed here unless required."""
from __future__ import annotations

from fixes_helpers import args_of, ensures, healthy, ok, read_ok

from ansible_collections.ndes.scep.plugins.action.connector_service import ActionModule
from ansible_collections.ndes.scep.plugins.module_utils._ndes.fixes import connector_service as fix


def args(**given):
    return args_of(ActionModule.ARGUMENT_SPEC, **given)


def test_running_automatic_is_a_no_op():
    plan = fix.plan(args(), healthy(), {})
    assert plan.ops == [] and plan.fields["not_installed"] == []


def test_stopped_manual_service_is_started_and_set_automatic():
    facts = healthy()
    facts["services"]["WAPCSvc"].update(status="Stopped", start_mode="Manual")
    facts["services"]["WAPCUpdaterSvc"].update(start_mode="Automatic")      # already fine, other spelling
    assert ensures(fix.plan(args(), facts, {})) == [
        ("WAPCSvc", "service_state", {"name": "WAPCSvc", "state": "running", "start_mode": "auto"})]


def test_absent_service_is_not_installed_here_not_a_failure():
    facts = healthy()
    facts["services"]["WAPCSvc"] = {"exists": False}
    plan = fix.plan(args(), facts, {})
    assert plan.error is None and plan.fields["not_installed"] == ["WAPCSvc"]
    assert plan.fields["services"]["WAPCSvc"]["note"] == "not installed here"


def test_absent_service_fails_when_required():
    facts = healthy()
    facts["services"]["WAPCUpdaterSvc"] = {"exists": False}
    plan = fix.plan(args(required=True), facts, {})
    assert "WAPCUpdaterSvc is not installed" in plan.error and "another server" in plan.error


def test_certificate_connector_services_on_request():
    facts = healthy()
    facts["services"]["PFXCertificateConnectorSvc"].update(status="Stopped")
    assert fix.plan(args(), facts, {}).ops == []
    plan = fix.plan(args(certificate_connector=True), facts, {})
    assert [i for i, _k, _a in plan.ops] == ["PFXCertificateConnectorSvc"]
    assert plan.fields["not_installed"] == ["PKICertificateConnectorSvc"]


def test_services_missing_from_the_facts_are_read():
    facts = healthy()
    del facts["services"]["PKICertificateConnectorSvc"]
    a = args(certificate_connector=True)
    assert fix.reads(a, facts) == [("services", "services", {"names": ["PKICertificateConnectorSvc"]})]
    reads = {"services": read_ok("services", {"services": {"PKICertificateConnectorSvc": {
        "exists": True, "status": "Stopped", "start_mode": "Disabled"}}})}
    assert [i for i, _k, _a in fix.plan(a, facts, reads).ops] == ["PKICertificateConnectorSvc"]


def test_finish_reports_a_service_that_will_not_run():
    facts = healthy()
    facts["services"]["WAPCSvc"].update(status="Stopped")
    plan = fix.plan(args(), facts, {})
    bad = {"WAPCSvc": ok("service_state", {"status": "Stopped", "start_mode": "Auto"},
                         {"status": "Stopped", "start_mode": "Auto"})}
    assert "7000" in fix.finish(args(), plan, bad)[1]
    good = {"WAPCSvc": ok("service_state", {"status": "Stopped", "start_mode": "Auto"},
                          {"status": "Running", "start_mode": "Auto"})}
    assert fix.finish(args(), plan, good)[1] is None


def test_restarted_restarts_every_installed_service():
    facts = healthy()
    plan = fix.plan(args(state="restarted", certificate_connector=True), facts, {})
    assert [(i, a["state"]) for i, _k, a in plan.ops] == [
        ("WAPCSvc", "restarted"), ("WAPCUpdaterSvc", "restarted"), ("PFXCertificateConnectorSvc", "restarted")]
    assert plan.fields["not_installed"] == ["PKICertificateConnectorSvc"]
