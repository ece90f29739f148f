# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""policy_cert with enroll: when it enrols, the template check, one call for enrol + registry, the lab flow."""
from __future__ import annotations

import pytest

import lab_flow as lf
from fixes_helpers import POLICY, args_of, ensures, healthy, ok, read_ok

from ansible_collections.ndes.scep.plugins.action.policy_cert import ActionModule
from ansible_collections.ndes.scep.plugins.module_utils._lab import faults
from ansible_collections.ndes.scep.plugins.module_utils._ndes.fixes import _common as c
from ansible_collections.ndes.scep.plugins.module_utils._ndes.fixes import policy_cert as fix

CA = "ca01.contoso.com\\CONTOSO-CA01-CA"
TEMPLATE = "NDESPolicyClientAuth"
CLIENT_AUTH = "1.3.6.1.5.5.7.3.2"
ENROLL = {"ca": CA, "template": TEMPLATE}


def args(**given):
    return args_of(ActionModule.ARGUMENT_SPEC, **given)


def expired_no_candidate():
    facts = healthy()
    facts["policy_cert"].update(problem="expired", days_left=-35, not_after="2026-10-21T00:00:00Z", candidates=[])
    return facts


def template_read(machine=(True, True), ekus=(CLIENT_AUTH,), offered=True, status="known"):
    data = {"status": status, "reason": None if status == "known" else "no DC (0x8007052E)",
            "identities": {"machine": {"name": "CONTOSO\\NDES01$", "sid": "S-1-5-21-1-2-3-1106", "sids": []}},
            "templates": {TEMPLATE: {"exists": True, "subject_type": "computer", "schema_version": 2,
                                     "exportable_key": False, "providers": [], "validity_days": 365,
                                     "ekus": list(ekus), "offered": offered,
                                     "access": {"machine": {"read": machine[0], "enroll": machine[1]}}}},
            "ca": {"config": CA, "found": True}}
    return {fix.TEMPLATE_OP: read_ok("template_access", data)}


def test_auto_with_a_candidate_does_not_enrol():
    facts = healthy()
    facts["policy_cert"].update(problem="expired", candidates=[{"thumbprint": "AA" * 20, "not_after": "2027-06-01T00:00:00Z",
                                                                "subject": "CN=ndes01.contoso.com", "san_dns": []}])
    a = args(auto=True, enroll=ENROLL)
    assert fix.reads(a, facts) == []
    assert [k for _i, k, _a in ensures(fix.plan(a, facts, {}))] == ["registry_value"]


def test_valid_certificate_needs_no_template_read():
    assert fix.reads(args(auto=True, enroll=ENROLL), healthy()) == []
    assert fix.plan(args(auto=True, enroll=ENROLL), healthy(), {}).ops == []


@pytest.mark.parametrize("given", [{"auto": True}, {}])
def test_no_valid_certificate_enrols_and_points_the_value_at_it_in_one_call(given):
    a = args(enroll=ENROLL, **given)
    assert fix.reads(a, expired_no_candidate()) == [
        (fix.TEMPLATE_OP, "template_access", {"templates": [TEMPLATE], "ca": CA})]
    plan = fix.plan(a, expired_no_candidate(), template_read())
    assert ensures(plan) == [
        ("enroll", "cert_enroll", {"ca": CA, "template": TEMPLATE, "subject": "CN=ndes01.contoso.com",
                                   "san_dns": ["ndes01.contoso.com"], "context": "machine", "exportable": False}),
        ("thumbprint", "registry_value", {"path": fix.POLICY_KEY, "name": "NDESCertThumbprint", "type": "REG_SZ",
                                          "value": "@result:enroll.thumbprint|lower"})]
    assert plan.fields["stored_before"] == POLICY.lower() and plan.fields["enrolled"]["validity_days"] == 365
    kinds = [r["kind"] for r in c.shape(plan, True)["restarts"]]
    assert "service" in kinds and "connector" in kinds            # a new certificate: the connector restarts


def test_names_become_the_san_and_subject():
    plan = fix.plan(args(enroll=ENROLL, names=["ndes.contoso.com", "ndes01.contoso.com"]), expired_no_candidate(),
                    template_read())
    enroll = ensures(plan)[0][2]
    assert enroll["subject"] == "CN=ndes.contoso.com" and enroll["san_dns"] == ["ndes.contoso.com", "ndes01.contoso.com"]


@pytest.mark.parametrize("kwargs,words", [
    ({"machine": (True, False)}, "CONTOSO\\NDES01$ lacks Enroll on template NDESPolicyClientAuth"),
    ({"ekus": ("1.3.6.1.5.5.7.3.1",)}, "does not issue the Client Authentication EKU"),
    ({"offered": False}, "does not offer template NDESPolicyClientAuth"),
    ({"status": "unknown"}, "double hop"),
])
def test_template_problems_refuse_before_any_change(kwargs, words):
    plan = fix.plan(args(enroll=ENROLL), expired_no_candidate(), template_read(**kwargs))
    assert plan.ops == [] and plan.error.startswith("Nothing was changed") and words in plan.error


def test_enroll_and_thumbprint_are_exclusive():
    with pytest.raises(c.FixError):
        fix.plan(args(enroll=ENROLL, thumbprint=POLICY), expired_no_candidate(), {})


def test_finish_takes_the_new_thumbprint_and_checks_the_value():
    plan = fix.plan(args(enroll=ENROLL), expired_no_candidate(), template_read())
    new = "7D" * 20
    results = {"enroll": ok("cert_enroll", {"thumbprint": None}, {"thumbprint": new, "not_after": "2027-11-25T00:00:00Z"}),
               "thumbprint": ok("registry_value", {"value": POLICY.lower()}, {"value": new.lower()})}
    fields, error = fix.finish(args(), plan, results)
    assert error is None and fields["thumbprint"] == new and fields["stored_after"] == new.lower()
    results["thumbprint"]["after"]["value"] = POLICY.lower()
    assert "reads" in fix.finish(args(), plan, results)[1]
    # check mode: the registry write waited for a thumbprint only a real run has
    predicted = {"enroll": ok("cert_enroll", {"thumbprint": None}, {"thumbprint": None}),
                 "thumbprint": {"kind": "registry_value", "status": "not_run"}}
    expected = {"enrolled": dict(plan.fields["enrolled"], thumbprint=None), "thumbprint": None, "stored_after": None,
                "certificate": None}
    assert fix.finish(args(), plan, predicted) == (expected, None)


def test_lab_enrols_a_policy_certificate_and_is_idempotent(tmp_path):
    root = lf.make_lab(tmp_path / "lab", ["policy_cert_expired"])
    ca = faults.read_lab(root)["ca_config"]
    facts = lf.info(root)
    assert facts["policy_cert"]["problem"] == "expired" and facts["policy_cert"]["candidates"] == []
    before = lf.digest(root)
    predicted, calls, _r = lf.run("policy_cert", root, check=True, auto=True, enroll={"ca": ca, "template": TEMPLATE},
                                  facts=facts)
    assert calls == 2 and predicted["changed"] is True and lf.digest(root) == before
    result, calls, requests = lf.run("policy_cert", root, auto=True, enroll={"ca": ca, "template": TEMPLATE}, facts=facts)
    assert calls == 2 and not result.get("failed"), result.get("msg")
    assert [op["kind"] for op in requests[-1]["ops"]] == ["cert_enroll", "registry_value"]    # one change call
    after = lf.info(root)
    assert after["policy_cert"]["problem"] == "none" and after["policy_cert"]["stored_normalized"] is True
    assert after["policy_cert"]["thumbprint"] == result["thumbprint"]
    assert after["policy_cert"]["san_dns"] == ["ndes01.contoso.com"]
    again, calls, _r = lf.run("policy_cert", root, auto=True, enroll={"ca": ca, "template": TEMPLATE}, facts=after)
    assert calls == 0 and again["changed"] is False
