# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""ra_renew: when to renew, prerequisites in plain words, ensure order (enrol -> grant -> archive last), results;
then the whole flow over a real lab in-process, including a failure injected in the middle."""
from __future__ import annotations

import copy
import datetime

import pytest

import lab_flow as lf
from fixes_helpers import POOL_SID, RA_ENC, RA_SIGN, args_of, ensures, healthy, ok, read_ok

from ansible_collections.ndes.scep.plugins.action.ra_renew import ActionModule
from ansible_collections.ndes.scep.plugins.module_utils._agent import contract
from ansible_collections.ndes.scep.plugins.module_utils._lab import agent, certs, certstore, faults, healthy as lab_healthy
from ansible_collections.ndes.scep.plugins.module_utils._ndes.fixes import _common as c
from ansible_collections.ndes.scep.plugins.module_utils._ndes.fixes import ra_renew as fix

CA = "ca01.contoso.com\\CONTOSO-CA01-CA"
CRA = "1.3.6.1.4.1.311.20.2.1"
CSP = "Microsoft Enhanced Cryptographic Provider v1.0"
MACHINE_SID = "S-1-5-21-1-2-3-1106"
USER_SID = "S-1-5-21-1-2-3-500"


def args(**given):
    given.setdefault("ca", CA)
    return args_of(ActionModule.ARGUMENT_SPEC, **given)


def expired(facts=None, roles=("signing", "encryption")):
    facts = facts or healthy()
    for cert in facts["ra_certs"]["certs"]:
        if cert["role"] in roles:
            cert.update(expired=True, days_left=-30, not_after="2026-10-26T00:00:00Z")
    for role in roles:
        facts["ra_certs"]["roles"][role].update(status="expired", days_left=-30)
    facts["ra_certs"]["unusable_roles"] = sorted(roles)
    return facts


def template(subject_type, access=(True, True), exportable=True, schema=1, offered=True, ekus=(CRA,),
             providers=(CSP, "Microsoft Base Cryptographic Provider v1.0")):
    context = "user" if subject_type == "user" else "machine"
    grants = {"machine": {"read": True, "enroll": True}, "user": {"read": True, "enroll": True}}
    grants[context] = {"read": access[0], "enroll": access[1]}
    return {"exists": True, "name": "x", "oid": None, "schema_version": schema, "subject_type": subject_type,
            "exportable_key": exportable, "providers": list(providers), "validity_days": 730, "ekus": list(ekus),
            "key_usage": [], "offered": offered, "access": grants}


def template_data(**overrides):
    data = {"status": "known", "reason": None,
            "identities": {"machine": {"name": "CONTOSO\\NDES01$", "sid": MACHINE_SID, "sids": [MACHINE_SID]},
                           "user": {"name": "CONTOSO\\Administrator", "sid": USER_SID, "sids": [USER_SID]}},
            "templates": {"EnrollmentAgentOffline": template("user"), "CEPEncryption": template("computer")},
            "ca": {"config": CA, "found": True}}
    data.update(overrides)
    return data


def store(*entries):
    return {"certs": [{"thumbprint": tp, "key_provider": provider} for tp, provider in entries]}


def reads(data=None, my=None):
    return {fix.TEMPLATE_OP: read_ok("template_access", data or template_data()),
            fix.STORE_MY: read_ok("cert_store", my or store((RA_SIGN, CSP), (RA_ENC, CSP)))}


# ------------------------------------------------------------------ when
def test_healthy_needs_no_call_and_no_change():
    assert fix.reads(args(), healthy()) == []
    plan = fix.plan(args(), healthy(), {})
    assert plan.ops == [] and plan.error is None
    assert {r: s["renew"] for r, s in plan.fields["roles"].items()} == {"signing": False, "encryption": False}


def test_without_facts_the_template_check_rides_on_the_gather_call():
    ops = fix.reads(args(), None)
    assert ops == [(fix.TEMPLATE_OP, "template_access", {"templates": ["EnrollmentAgentOffline", "CEPEncryption"],
                                                         "ca": CA})]


def test_expired_pair_is_renewed_in_the_safe_order():
    a = args()
    assert [op[0] for op in fix.reads(a, expired())] == [fix.TEMPLATE_OP, fix.STORE_MY]
    plan = fix.plan(a, expired(), reads())
    assert plan.error is None
    assert [(i, k) for i, k, _a in ensures(plan)] == [
        ("enroll_signing", "cert_enroll"), ("acl_signing", "key_acl_grant"),
        ("enroll_encryption", "cert_enroll"), ("acl_encryption", "key_acl_grant"),
        ("archive_%s" % RA_SIGN.lower(), "cert_archive"), ("archive_%s" % RA_ENC.lower(), "cert_archive")]
    ops = dict((i, a) for i, _k, a in plan.ops)
    # the signing template's subject type is User: enrolled as a user, with an exportable key to move it
    assert ops["enroll_signing"] == {"ca": CA, "template": "EnrollmentAgentOffline", "subject": "CN=NDES01-MSCEP-RA",
                                     "context": "user", "provider": CSP, "exportable": True, "replaces": RA_SIGN}
    assert ops["enroll_encryption"]["context"] == "machine" and ops["enroll_encryption"]["exportable"] is False
    assert ops["enroll_encryption"]["replaces"] == RA_ENC
    # the grant names the thumbprint the enrolment will produce
    assert ops["acl_signing"] == {"thumbprint": "@result:enroll_signing.thumbprint", "store": "My", "sid": POOL_SID,
                                  "rights": "read"}
    assert contract.split_placeholder("key_acl_grant", "thumbprint", ops["acl_signing"]["thumbprint"]) == (
        "result", "enroll_signing.thumbprint")
    assert plan.fields["archived"] == [RA_SIGN, RA_ENC]
    assert [(r["role"], r["reason"]) for r in plan.fields["renewed"]] == [("signing", "expired"), ("encryption", "expired")]
    shaped = c.shape(plan, True)
    assert shaped["restart_required"] is True and shaped["restarts"][0]["kind"] == "iis"


@pytest.mark.parametrize("days,threshold,renewed", [(12, 30, True), (30, 30, True), (31, 30, False), (12, 10, False)])
def test_threshold_days(days, threshold, renewed):
    facts = healthy()
    facts["ra_certs"]["roles"]["encryption"]["days_left"] = days
    a = args(threshold_days=threshold)
    plan = fix.plan(a, facts, reads() if renewed else {})
    assert [r["role"] for r in plan.fields["renewed"]] == (["encryption"] if renewed else [])
    assert bool(fix.reads(a, facts)) is renewed
    if renewed:
        assert plan.fields["renewed"][0]["reason"] == "expiring" and "expires in %d day" % days in plan.warnings[0]
        assert plan.fields["archived"] == [RA_ENC]          # the signing certificate is left alone


def test_force_renews_a_healthy_pair():
    plan = fix.plan(args(force=True), healthy(), reads())
    assert [(r["role"], r["reason"]) for r in plan.fields["renewed"]] == [("signing", "forced"), ("encryption", "forced")]
    assert len(ensures(plan)) == 6


def test_missing_role_keeps_the_other_subject_and_takes_the_template_csp():
    facts = healthy()
    facts["ra_certs"]["certs"] = [x for x in facts["ra_certs"]["certs"] if x["role"] == "signing"]
    facts["ra_certs"]["roles"]["encryption"] = {"status": "missing", "thumbprint": None, "days_left": None}
    data = template_data()
    data["templates"]["CEPEncryption"]["providers"] = ["Microsoft Software Key Storage Provider", CSP]
    plan = fix.plan(args(), facts, reads(data, store((RA_SIGN, CSP))))
    enroll = dict((i, a) for i, _k, a in plan.ops)["enroll_encryption"]
    assert "replaces" not in enroll and enroll["subject"] == "CN=NDES01-MSCEP-RA"
    assert enroll["provider"] == CSP                       # first legacy CSP of the template, never a KSP
    assert plan.fields["archived"] == []


def test_no_certificate_at_all_gets_ndes_default_name_and_strong_csp():
    facts = healthy()
    facts["ra_certs"]["certs"] = []
    facts["ra_certs"]["roles"] = {r: {"status": "missing", "thumbprint": None, "days_left": None} for r in ("signing", "encryption")}
    data = template_data()
    for name in data["templates"]:
        data["templates"][name]["providers"] = []
    plan = fix.plan(args(), facts, reads(data, store()))
    enrols = [a for _i, k, a in plan.ops if k == "cert_enroll"]
    assert {e["subject"] for e in enrols} == {"CN=NDES01-MSCEP-RA"}
    assert {e["provider"] for e in enrols} == {fix.DEFAULT_CSP}


def test_superseded_certificate_is_archived_without_a_template_check():
    facts = healthy()
    old = copy.deepcopy(facts["ra_certs"]["certs"][1])
    old.update(thumbprint="5C2E0000000000000000000000000000000000AA", not_after="2026-10-01T00:00:00Z", expired=True)
    facts["ra_certs"]["certs"].append(old)
    assert fix.reads(args(), facts) == []
    plan = fix.plan(args(), facts, {})
    assert ensures(plan) == [("archive_5c2e0000000000000000000000000000000000aa", "cert_archive",
                              {"thumbprint": old["thumbprint"], "store": "My"})]


# ------------------------------------------------------------------ prerequisites
def _refusal(data):
    plan = fix.plan(args(), expired(), reads(data))
    assert plan.ops == [] and plan.error.startswith("Nothing was changed")
    return plan.error


def test_missing_enroll_for_the_user_is_refused_in_plain_words():
    data = template_data()
    data["templates"]["EnrollmentAgentOffline"] = template("user", access=(True, False))
    text = _refusal(data)
    assert "CONTOSO\\Administrator (user context: the account the agent runs as) lacks Enroll on template " \
           "EnrollmentAgentOffline" in text and "certtmpl.msc" in text


def test_missing_read_and_enroll_for_the_computer_account():
    data = template_data()
    data["templates"]["CEPEncryption"] = template("computer", access=(False, False))
    assert "CONTOSO\\NDES01$ (machine context: the NDES server's computer account) lacks Read and Enroll" in _refusal(data)


def test_unknown_access_names_the_double_hop():
    text = _refusal(template_data(status="unknown", reason="Active Directory could not be asked: 0x8007052E",
                                  identities={}, templates={}))
    assert "0x8007052E" in text and "double hop" in text and "become" in text


@pytest.mark.parametrize("change,words", [
    (lambda d: d["templates"].update(CEPEncryption={"exists": False}), "does not exist in the forest"),
    (lambda d: d["templates"]["CEPEncryption"].update(offered=False), "does not offer template CEPEncryption"),
    (lambda d: d.update(ca={"config": CA, "found": False}), "No enterprise CA named"),
    (lambda d: d["templates"].update(EnrollmentAgentOffline=template("user", exportable=False, schema=2)),
     "Allow private key to be exported"),
    (lambda d: d["templates"]["CEPEncryption"].update(ekus=["1.3.6.1.5.5.7.3.1"]), "Certificate Request Agent EKU"),
])
def test_each_prerequisite(change, words):
    data = template_data()
    change(data)
    assert words in _refusal(data)


def test_a_version_1_user_template_leaves_export_to_the_request():
    data = template_data()
    data["templates"]["EnrollmentAgentOffline"]["exportable_key"] = False     # v1: the request decides
    assert fix.plan(args(), expired(), reads(data)).error is None


# ------------------------------------------------------------------ results
def _results(plan, check=False):
    out = {}
    for op_id, kind, op_args in plan.ops:
        if kind == "cert_enroll":
            tp = None if check else ("AB" * 20 if "signing" in op_id else "CD" * 20)
            after = {"thumbprint": tp, "not_after": None if check else "2028-11-24T21:00:00Z"}
            out[op_id] = ok(kind, {"thumbprint": op_args.get("replaces")}, after)
        elif kind == "key_acl_grant":
            out[op_id] = {"kind": kind, "status": "not_run"} if check else ok(kind, {"key_acl": []}, {"key_acl": [
                {"sid": op_args["sid"], "rights": ["read"]}]})
        elif kind == "cert_archive":
            out[op_id] = ok(kind, {"archived": False}, {"archived": True})
    return out


def test_finish_reports_the_new_certificates():
    plan = fix.plan(args(), expired(), reads())
    fields, error = fix.finish(args(), plan, _results(plan))
    assert error is None
    assert [(r["role"], r["new_thumbprint"], r["new_not_after"]) for r in fields["renewed"]] == [
        ("signing", "AB" * 20, "2028-11-24T21:00:00Z"), ("encryption", "CD" * 20, "2028-11-24T21:00:00Z")]


def test_finish_in_check_mode_has_predictions_only():
    plan = fix.plan(args(), expired(), reads())
    fields, error = fix.finish(args(), plan, _results(plan, check=True))
    assert error is None and [r["new_thumbprint"] for r in fields["renewed"]] == [None, None]


def test_finish_fails_when_the_grant_did_not_take():
    plan = fix.plan(args(), expired(), reads())
    results = _results(plan)
    results["acl_encryption"]["after"]["key_acl"] = [{"sid": "S-1-5-18", "rights": ["full_control"]}]
    _fields, error = fix.finish(args(), plan, results)
    assert "still cannot read the key of the new encryption certificate" in error


def test_explain_failure_says_the_old_certificates_stay():
    plan = fix.plan(args(), expired(), reads())
    results = _results(plan)
    results["enroll_encryption"] = {"kind": "cert_enroll", "status": "failed", "error": {"code": "injected", "message": "x"}}
    for op_id in ("acl_encryption", "archive_%s" % RA_SIGN.lower(), "archive_%s" % RA_ENC.lower()):
        results[op_id] = {"kind": "x", "status": "not_run"}
    text = fix.explain_failure(args(), plan, results)
    assert "stay in place and usable (%s, %s)" % (RA_SIGN, RA_ENC) in text and "AB" * 20 in text


# ------------------------------------------------------------------ the lab, in-process
@pytest.fixture
def expired_lab(tmp_path):
    root = lf.make_lab(tmp_path / "lab", ["ra_cert_expired"])
    return root, faults.read_lab(root)["ca_config"]


def _ra(facts):
    return {r: (s["status"], s["thumbprint"]) for r, s in facts["ra_certs"]["roles"].items()}


def test_lab_renewal_check_mode_then_real_then_idempotent(expired_lab):
    root, ca = expired_lab
    facts = lf.info(root)
    before = lf.digest(root)
    predicted, calls, _req = lf.run("ra_renew", root, check=True, ca=ca, facts=facts)
    assert calls == 2 and predicted["changed"] is True and lf.digest(root) == before
    assert [(r["role"], r["reason"], r["new_thumbprint"]) for r in predicted["renewed"]] == [
        ("signing", "expired", None), ("encryption", "expired", None)]
    result, calls, _req = lf.run("ra_renew", root, ca=ca, facts=facts)
    assert calls == 2 and result["changed"] is True and not result.get("failed"), result.get("msg")
    after = lf.info(root)
    new = {r["role"]: r["new_thumbprint"] for r in result["renewed"]}
    assert _ra(after) == {"signing": ("ok", new["signing"]), "encryption": ("ok", new["encryption"])}
    for role, tp in new.items():
        entry = certstore.get(root, "My", tp)
        template = "EnrollmentAgentOffline" if role == "signing" else "CEPEncryption"
        assert certs.not_after(entry["cert"]) - certs.not_before(entry["cert"]) == datetime.timedelta(
            days=certs.TEMPLATES[template]["days"])
        assert entry["meta"]["key_provider"] == certstore.CSP                  # kept from the replaced certificate
        assert {"sid": lab_healthy.DOMAIN_SID + "-1105", "rights": ["read"]} in entry["meta"]["key_acl"]
    # the old certificates are archived, not deleted, each with a .cer backup
    for tp in result["archived"]:
        assert certstore.get(root, "My", tp)["meta"]["archived"] is True
    assert sum(1 for item in result["backup"]["items"] if item.endswith(".cer")) == 4
    again, calls, _req = lf.run("ra_renew", root, ca=ca, facts=after)
    assert calls == 0 and again["changed"] is False


def test_lab_failure_in_the_middle_leaves_the_old_certificates_usable(expired_lab):
    root, ca = expired_lab
    old = _ra(lf.info(root))
    # ensures: 1 enroll_signing, 2 acl_signing, 3 enroll_encryption (fails), 4.. not run
    agent.handle(root, {"version": 1, "check_mode": False, "ops": [
        {"id": "inj", "kind": "lab_inject", "args": {"fail_ensure": 3}}]})
    failed, _calls, _req = lf.run("ra_renew", root, ca=ca)
    assert failed["failed"] is True
    assert "enroll_encryption failed (injected)" in failed["msg"]
    assert "old RA certificates were not archived and stay in place and usable" in failed["msg"]
    for _role, (_status, tp) in old.items():
        assert certstore.get(root, "My", tp)["meta"].get("archived") is False
    agent.handle(root, {"version": 1, "check_mode": False, "ops": [
        {"id": "clear", "kind": "lab_inject", "args": {"clear": True}}]})
    # the rerun renews what is still due and archives what the new signing certificate superseded
    rerun, _calls, _req = lf.run("ra_renew", root, ca=ca)
    assert not rerun.get("failed"), rerun.get("msg")
    assert [r["role"] for r in rerun["renewed"]] == ["encryption"]
    assert sorted(rerun["archived"]) == sorted(tp for _s, tp in old.values())
    facts = lf.info(root)
    assert all(state == "ok" for state, _tp in _ra(facts).values())
    assert len(facts["ra_certs"]["certs"]) == 2
    final, calls, _req = lf.run("ra_renew", root, ca=ca, facts=facts)
    assert calls == 0 and final["changed"] is False


def test_lab_missing_permission_changes_nothing(expired_lab):
    root, ca = expired_lab
    admins = lab_healthy.DOMAIN_SID + "-512"
    enterprise = lab_healthy.DOMAIN_SID + "-519"
    for sid in (admins, enterprise):
        certs.set_template_rights(root, "EnrollmentAgentOffline", sid, ["read"])
    before = lf.digest(root)
    refused, calls, _req = lf.run("ra_renew", root, ca=ca)
    assert refused["failed"] is True and calls == 1 and lf.digest(root) == before
    assert "CONTOSO\\Administrator (user context" in refused["msg"] and "lacks Enroll" in refused["msg"]
