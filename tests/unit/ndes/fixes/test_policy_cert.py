# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""policy_cert: explicit (normalized) or auto choice, refusals, normalized storage, restarts."""
from __future__ import annotations

import pytest

from fixes_helpers import OTHER, POLICY, args_of, ensures, healthy, ok, read_ok

from ansible_collections.ndes.scep.plugins.action.policy_cert import ActionModule
from ansible_collections.ndes.scep.plugins.module_utils._ndes.fixes import _common as c
from ansible_collections.ndes.scep.plugins.module_utils._ndes.fixes import policy_cert as fix

NEWER = "BBBB1F0C9D8E7F6A5B4C3D2E1F0A9B8C7D6E5F4A"
CLIENT_AUTH = "1.3.6.1.5.5.7.3.2"


def args(**given):
    return args_of(ActionModule.ARGUMENT_SPEC, **given)


def cert(thumb, not_after="2027-06-01T00:00:00Z", key=True, ekus=(CLIENT_AUTH,), name="ndes01.contoso.com",
         not_before="2025-06-01T00:00:00Z"):
    return {"thumbprint": thumb, "subject": "CN=%s" % name, "issuer": "CN=Contoso CA", "not_before": not_before,
            "not_after": not_after, "has_private_key": key, "ekus": list(ekus), "san_dns": [name],
            "key_usage": ["digital_signature"], "archived": False}


def expired_policy():
    facts = healthy()
    facts["policy_cert"].update(problem="expired", not_after="2026-01-01T00:00:00Z", days_left=-328,
                                candidates=[{"thumbprint": OTHER, "subject": "CN=ndes01.contoso.com",
                                             "not_before": "2026-01-01T00:00:00Z", "not_after": "2027-01-01T00:00:00Z",
                                             "days_left": 36, "san_dns": ["ndes01.contoso.com"]}])
    return facts


def store(*certs):
    return {fix.STORE_MY: read_ok("cert_store", {"certs": list(certs)})}


def test_valid_and_normalized_is_a_no_op():
    plan = fix.plan(args(), healthy(), {})
    assert plan.ops == [] and plan.error is None
    assert fix.reads(args(), healthy()) == []


def test_stored_with_spaces_is_rewritten_lower_case_without_spaces():
    facts = healthy()
    facts["policy_cert"].update(value=" ".join(POLICY[i:i + 2] for i in range(0, 40, 2)), stored_normalized=False)
    plan = fix.plan(args(), facts, {})
    assert ensures(plan) == [("thumbprint", "registry_value", {
        "path": fix.POLICY_KEY, "name": "NDESCertThumbprint", "type": "REG_SZ", "value": POLICY.lower()})]
    # same certificate: an IIS reset is enough
    assert [r["kind"] for r in c.shape(plan, True)["restarts"]] == ["iis"]


@pytest.mark.parametrize("given", [
    "\u200e" + " ".join(OTHER[i:i + 2] for i in range(0, 40, 2)).lower(),
    OTHER.lower(),
    ":".join(OTHER[i:i + 2] for i in range(0, 40, 2)),
])
def test_explicit_thumbprint_in_any_form_is_stored_normalized(given):
    plan = fix.plan(args(thumbprint=given), expired_policy(), {})
    assert ensures(plan)[0][2]["value"] == OTHER.lower()
    kinds = [(r["kind"], r["name"], r["action"]) for r in c.shape(plan, True)["restarts"]]
    assert kinds == [("service", "PFXCertificateConnectorSvc", "restart"), ("service", "W3SVC", "restart"),
                     ("connector", None, "reinstall")]


def test_garbage_thumbprint_is_refused():
    with pytest.raises(c.FixError, match="40 hexadecimal"):
        fix.plan(args(thumbprint="not-a-thumbprint"), healthy(), {})
    with pytest.raises(c.FixError, match="40 hexadecimal"):
        fix.plan(args(thumbprint=OTHER[:-2]), healthy(), {})


def test_explicit_thumbprint_unknown_to_facts_reads_the_store():
    a = args(thumbprint=NEWER)
    assert fix.reads(a, expired_policy()) == [(fix.STORE_MY, "cert_store", {"store": "My", "location": "LocalMachine"})]
    plan = fix.plan(a, expired_policy(), store(cert(NEWER, name="other.contoso.com")))
    assert ensures(plan)[0][2]["value"] == NEWER.lower()


@pytest.mark.parametrize("bad,problem", [
    (cert(NEWER, not_after="2026-01-01T00:00:00Z"), "has expired"),
    (cert(NEWER, key=False), "has no private key"),
    (cert(NEWER, ekus=("1.3.6.1.5.5.7.3.1",)), "Client Authentication EKU"),
    (cert(OTHER), "is not in LocalMachine"),
])
def test_unusable_certificates_are_refused_with_the_reason(bad, problem):
    plan = fix.plan(args(thumbprint=NEWER), expired_policy(), store(bad))
    assert plan.ops == [] and problem in plan.error and "nothing was changed" in plan.error


def test_current_expired_without_choice_is_refused():
    plan = fix.plan(args(), expired_policy(), {})
    assert "has expired" in plan.error and "auto=true" in plan.error


def test_unset_without_choice_says_what_to_give():
    facts = healthy()
    facts["policy_cert"].update(value=None, thumbprint=None, problem="unset")
    with pytest.raises(c.FixError, match="not set.*auto=true"):
        fix.plan(args(), facts, {})


def test_auto_uses_the_facts_candidates():
    facts = expired_policy()
    assert fix.reads(args(auto=True), facts) == []
    plan = fix.plan(args(auto=True), facts, {})
    assert ensures(plan)[0][2]["value"] == OTHER.lower() and plan.fields["auto_candidates"] == 1


def test_auto_picks_the_newest_valid_for_this_host_from_the_store():
    reads = store(cert(POLICY, not_after="2026-01-01T00:00:00Z"),            # expired (current)
                  cert(OTHER, not_after="2027-01-01T00:00:00Z"),
                  cert(NEWER, not_after="2028-01-01T00:00:00Z"),
                  cert("C" * 40, not_after="2029-01-01T00:00:00Z", name="web.contoso.com"),   # other host
                  cert("D" * 40, not_after="2029-01-01T00:00:00Z", key=False),
                  cert("E" * 40, not_after="2029-01-01T00:00:00Z", ekus=()))
    plan = fix.plan(args(auto=True), expired_policy(), reads)
    assert ensures(plan)[0][2]["value"] == NEWER.lower()
    assert plan.fields["auto_candidates"] == 2


def test_auto_keeps_a_valid_current_certificate_when_it_is_the_newest():
    plan = fix.plan(args(auto=True), healthy(), {})
    assert plan.ops == [] and plan.fields["thumbprint"] == POLICY


def test_auto_without_candidates_says_how_to_get_one():
    facts = expired_policy()
    facts["policy_cert"]["candidates"] = []
    with pytest.raises(c.FixError, match="auto found no certificate.*ndes01.contoso.com"):
        fix.plan(args(auto=True), facts, {})


def test_auto_and_thumbprint_together_are_refused():
    with pytest.raises(c.FixError, match="not both"):
        fix.plan(args(auto=True, thumbprint=OTHER), healthy(), {})


def test_finish_checks_the_stored_value():
    plan = fix.plan(args(thumbprint=OTHER), expired_policy(), {})
    good = {"thumbprint": ok("registry_value", {"value": POLICY.lower()}, {"value": OTHER.lower()})}
    assert fix.finish(args(), plan, good) == ({}, None)
    bad = {"thumbprint": ok("registry_value", {"value": POLICY.lower()}, {"value": POLICY.lower()})}
    assert "reads" in fix.finish(args(), plan, bad)[1]
