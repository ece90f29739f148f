# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The lab CA's enrolment (cert_enroll both contexts), template_access and @result: references."""
from __future__ import annotations

import datetime

import pytest

from ansible_collections.ndes.scep.plugins.module_utils._agent import contract as c
from ansible_collections.ndes.scep.plugins.module_utils._agent.validate import make_request
from ansible_collections.ndes.scep.plugins.module_utils._lab import (
    accounts, agent, certinfo, certs, certstore, fault_apply, faults, healthy, layout)

RA_SUBJECT = "CN=NDES01-MSCEP-RA, O=Contoso, C=US"


def send(root, ops, check=False, run_id="t1"):
    return dict((r["id"], r) for r in agent.handle(root, make_request(ops, check, run_id=run_id))["results"])


def ra(root, template):
    return fault_apply.ra_thumbprints(root)[template]


def enroll_args(root, template, context, **extra):
    out = {"ca": faults.read_lab(root)["ca_config"], "template": template, "subject": RA_SUBJECT, "context": context}
    out.update(extra)
    return out


def test_template_access_answers_from_the_lab_state(healthy_lab):
    wanted = {"templates": ["EnrollmentAgentOffline", "CEPEncryption", "Nope"], "ca": "CONTOSO-CA01-CA"}
    data = send(healthy_lab, [("t", "template_access", wanted)])["t"]["data"]
    assert data["status"] == "known" and data["ca"] == {"config": "CONTOSO-CA01-CA", "found": True}
    assert data["identities"]["machine"]["sid"] == healthy.DOMAIN_SID + "-1106"
    assert healthy.DOMAIN_SID + "-515" in data["identities"]["machine"]["sids"]          # Domain Computers
    assert healthy.DOMAIN_SID + "-512" in data["identities"]["user"]["sids"]             # Domain Admins
    agent_template = data["templates"]["EnrollmentAgentOffline"]
    assert (agent_template["subject_type"], agent_template["schema_version"], agent_template["validity_days"]) == (
        "user", 1, 730)
    assert agent_template["access"] == {"machine": {"read": True, "enroll": True}, "user": {"read": True, "enroll": True}}
    assert agent_template["offered"] is True and agent_template["providers"][0].endswith("Cryptographic Provider v1.0")
    assert data["templates"]["CEPEncryption"]["subject_type"] == "computer"
    assert data["templates"]["Nope"] == {"exists": False}


def test_template_access_follows_acl_changes_and_deny_wins(healthy_lab):
    computer = healthy.DOMAIN_SID + "-1106"
    certs.set_template_rights(healthy_lab, "CEPEncryption", computer, ["read"])
    access = send(healthy_lab, [("t", "template_access", {"templates": ["CEPEncryption"]})])["t"]["data"]
    assert access["templates"]["CEPEncryption"]["access"]["machine"] == {"read": True, "enroll": False}
    assert access["templates"]["CEPEncryption"]["offered"] is None                     # no ca asked
    certs.set_template_rights(healthy_lab, "CEPEncryption", computer, ["read", "enroll"])
    certs.set_template_rights(healthy_lab, "CEPEncryption", accounts.AUTHENTICATED_USERS, ["enroll"], kind="deny")
    access = send(healthy_lab, [("t", "template_access", {"templates": ["CEPEncryption"]})])["t"]["data"]
    assert access["templates"]["CEPEncryption"]["access"]["machine"]["enroll"] is False


def test_template_access_is_unknown_without_ad(make_lab):
    root = make_lab([{"id": "service_account", "variant": "unknown"}])
    data = send(root, [("t", "template_access", {"templates": ["CEPEncryption"]})])["t"]["data"]
    assert data["status"] == "unknown" and "second hop" in data["reason"] and data["templates"] == {}


def test_machine_enrolment_is_the_template_as_the_ca_issues_it(healthy_lab):
    old = ra(healthy_lab, "CEPEncryption")
    wanted = enroll_args(healthy_lab, "CEPEncryption", "machine", replaces=old, provider=certstore.CSP)
    done = send(healthy_lab, [("e", "cert_enroll", wanted)])["e"]
    assert done["status"] == "ok", done
    entry = certstore.get(healthy_lab, "My", done["after"]["thumbprint"])
    original = certstore.get(healthy_lab, "My", old)
    record = certinfo.record(entry["cert"], True, entry["meta"], "My", True)
    before = certinfo.record(original["cert"], True, original["meta"], "My", True)
    for field in ("subject", "subject_der_b64", "issuer", "ekus", "key_usage", "template_name", "template_oid"):
        assert record[field] == before[field], field
    assert certs.not_after(entry["cert"]) - certs.not_before(entry["cert"]) == datetime.timedelta(days=730)
    assert done["after"]["not_after"] == record["not_after"] and done["after"]["provider"] == certstore.CSP
    assert entry["meta"]["key_provider"] == certstore.CSP and entry["meta"]["enrolled_as"] == "machine"


def test_user_template_needs_the_user_context_and_an_exportable_key(healthy_lab):
    args = enroll_args(healthy_lab, "EnrollmentAgentOffline", "machine")
    refused = send(healthy_lab, [("e", "cert_enroll", args)])["e"]
    assert refused["error"]["code"] == "precondition" and "subject type User" in refused["error"]["message"]
    args["context"] = "user"
    refused = send(healthy_lab, [("e", "cert_enroll", args)])["e"]
    assert refused["error"]["code"] == "precondition" and "exportable" in refused["error"]["message"]
    args["exportable"] = True
    done = send(healthy_lab, [("e", "cert_enroll", args)])["e"]
    assert done["status"] == "ok"
    entry = certstore.get(healthy_lab, "My", done["after"]["thumbprint"])
    assert entry["has_key"] and entry["meta"]["enrolled_as"] == "user" and entry["meta"]["exportable"] is True
    assert certinfo.template(entry["cert"])[1] == "EnrollmentAgentOffline"


@pytest.mark.parametrize("change,code,words", [
    (lambda root: certs.set_template_rights(root, "CEPEncryption", healthy.DOMAIN_SID + "-1106", []),
     "access_denied", "CERTSRV_E_TEMPLATE_DENIED"),
    (lambda root: None, "not_found", "does not offer template"),
])
def test_the_ca_refuses_like_adcs(healthy_lab, change, code, words):
    change(healthy_lab)
    template = "CEPEncryption" if code == "access_denied" else "NoSuchTemplate"
    before = layout.state_digest(healthy_lab)
    result = send(healthy_lab, [("e", "cert_enroll", enroll_args(healthy_lab, template, "machine"))], check=True)["e"]
    assert result["error"]["code"] == code and words in result["error"]["message"]      # also in check mode
    assert layout.state_digest(healthy_lab) == before


def test_result_reference_chains_enrol_grant_and_registry_in_one_request(healthy_lab):
    sid = healthy.DOMAIN_SID + "-1105"
    key = r"HKLM\SOFTWARE\ndes.scep\Test"
    ops = [("enroll", "cert_enroll", enroll_args(healthy_lab, "CEPEncryption", "machine", provider=certstore.CSP)),
           ("grant", "key_acl_grant", {"thumbprint": c.result_ref("enroll", "thumbprint"), "store": "My", "sid": sid,
                                       "rights": "read"}),
           ("value", "registry_value", {"path": key, "name": "Thumb", "type": "REG_SZ",
                                        "value": c.result_ref("enroll", "thumbprint", "lower")})]
    before = layout.state_digest(healthy_lab)
    predicted = send(healthy_lab, ops, check=True)
    assert predicted["enroll"]["changed"] is True and predicted["enroll"]["after"]["thumbprint"] is None
    assert predicted["grant"]["status"] == predicted["value"]["status"] == c.STATUS_NOT_RUN
    assert layout.state_digest(healthy_lab) == before
    done = send(healthy_lab, ops)
    tp = done["enroll"]["after"]["thumbprint"]
    assert {"sid": sid, "rights": ["read"]} in done["grant"]["after"]["key_acl"]
    assert done["value"]["after"]["value"] == tp.lower()


def test_result_reference_errors(healthy_lab):
    done = send(healthy_lab, [
        ("grant", "key_acl_grant", {"thumbprint": c.result_ref("later", "thumbprint"), "store": "My", "sid": "S-1-5-20",
                                    "rights": "read"}),
        ("later", "iis_reset", {})], check=True)
    assert done["grant"]["error"]["code"] == "not_found" and done["grant"]["error"]["message"].startswith("placeholder")
    assert done["later"]["status"] == c.STATUS_NOT_RUN
    bad = send(healthy_lab, [("v", "registry_value", {"path": r"HKLM\SOFTWARE\x", "name": "y", "type": "REG_SZ",
                                                      "value": "@result:nodot"})], check=True)["v"]
    assert bad["error"]["code"] == "invalid_request"


def test_split_result_ref():
    assert c.split_result_ref("enroll_signing.thumbprint|lower") == ("enroll_signing", "thumbprint", "lower")
    assert c.split_result_ref("a.b.c") == ("a.b", "c", None)
    for wrong in ("nodot", ".x", "x.", "a.b|upper"):
        with pytest.raises(ValueError):
            c.split_result_ref(wrong)
    with pytest.raises(ValueError):
        c.result_ref("a", "b", "upper")
