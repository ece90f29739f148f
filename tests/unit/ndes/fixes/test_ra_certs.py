# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""ra_certs: days left, warnings, Read on both RA keys for the service account, failure when unusable."""
from __future__ import annotations

import pytest

from fixes_helpers import POOL_SID, RA_ENC, RA_SIGN, args_of, ensures, healthy, ok, read_ok

from ansible_collections.ndes.scep.plugins.action.ra_certs import ActionModule
from ansible_collections.ndes.scep.plugins.module_utils._ndes.fixes import _common as c
from ansible_collections.ndes.scep.plugins.module_utils._ndes.fixes import ra_certs as fix

SVC = "S-1-5-21-1-2-3-1105"


def args(**given):
    return args_of(ActionModule.ARGUMENT_SPEC, **given)


def no_acl(facts=None):
    facts = facts or healthy()
    for cert in facts["ra_certs"]["certs"]:
        cert.update(key_acl_sids=["S-1-5-18", "S-1-5-32-544"], service_account_can_read=False)
    return facts


def test_healthy_is_a_no_op_with_a_report():
    plan = fix.plan(args(), healthy(), {})
    assert plan.ops == [] and plan.fail_after is None and plan.warnings == []
    assert plan.fields["service_account_sid"] == POOL_SID and plan.fields["min_days_left"] == 730
    assert {e["role"]: e["days_left"] for e in plan.fields["certs"]} == {"signing": 730, "encryption": 730}


def test_read_is_granted_on_both_keys_to_the_pool_identity():
    plan = fix.plan(args(), no_acl(), {})
    assert sorted((a["thumbprint"], a["sid"], a["rights"], a["store"]) for _i, _k, a in ensures(plan)) == sorted([
        (RA_SIGN, POOL_SID, "read", "My"), (RA_ENC, POOL_SID, "read", "My")])
    assert c.shape(plan, True)["restarts"][0]["action"] == "recycle"


def test_explicit_account_name_is_resolved():
    a = args(service_account="CONTOSO\\svc-ndes")
    assert fix.reads(a, healthy()) == [("resolve", "resolve_principal", {"names": ["CONTOSO\\svc-ndes"]})]
    assert fix.reads(a, None) == [] and fix.settings(a)["service_account"] == "CONTOSO\\svc-ndes"
    plan = fix.plan(a, healthy(), {"resolve": read_ok("resolve_principal", {"principals": {"CONTOSO\\svc-ndes": SVC}})})
    assert {op["sid"] for _i, _k, op in plan.ops} == {SVC} and len(plan.ops) == 2


def test_explicit_sid_already_in_the_acl_is_a_no_op():
    facts = healthy()
    for cert in facts["ra_certs"]["certs"]:
        cert["key_acl_sids"].append(SVC)
    assert fix.plan(args(service_account=SVC.lower()), facts, {}).ops == []


def test_expiring_soon_warns_with_days_left():
    facts = healthy()
    facts["ra_certs"]["roles"]["signing"]["days_left"] = 12
    plan = fix.plan(args(), facts, {})
    assert "expires in 12 day(s)" in plan.warnings[0] and plan.fields["expiring_soon"] == [RA_SIGN]
    assert fix.plan(args(warn_days=10), facts, {}).warnings == []


@pytest.mark.parametrize("status", ["expired", "missing", "keyless"])
def test_unusable_role_fails_after_granting_and_names_the_next_step(status):
    facts = no_acl()
    facts["ra_certs"]["roles"]["encryption"] = {"status": status, "thumbprint": None if status == "missing" else RA_ENC,
                                                "days_left": -3 if status == "expired" else None}
    if status == "expired":
        facts["ra_certs"]["certs"][0].update(expired=True, days_left=-3)
    plan = fix.plan(args(), facts, {})
    assert [op["thumbprint"] for _i, _k, op in plan.ops] == [RA_SIGN]     # only keys in use get the ACL
    assert "encryption" in plan.fail_after and "ndes.scep.ra_renew" in plan.fail_after
    assert plan.fields["unusable_roles"] == ["encryption"]


def test_an_old_expired_cert_next_to_a_renewed_one_is_fine():
    facts = healthy()
    facts["ra_certs"]["certs"].append({"role": "signing", "thumbprint": "9" * 40, "expired": True, "days_left": -400,
                                       "has_private_key": True, "key_acl_sids": [], "service_account_can_read": False})
    plan = fix.plan(args(), facts, {})
    assert plan.ops == [] and plan.fail_after is None and plan.fields["expired"] == ["9" * 40]


def test_unknown_account_says_what_to_give():
    facts = healthy()
    facts["service_account"]["sid"] = None
    facts["scep_pool"]["identity_type"] = None
    with pytest.raises(c.FixError, match="service_account"):
        fix.plan(args(), facts, {})


def test_finish_checks_the_acl_after():
    plan = fix.plan(args(), no_acl(), {})
    results = {op_id: ok("key_acl_grant", {"key_acl": []}, {"key_acl": [{"sid": POOL_SID, "rights": ["read"]}]})
               for op_id, _k, _a in plan.ops}
    fields, error = fix.finish(args(), plan, results)
    assert error is None and all(e["account_can_read"] for e in fields["certs"])
