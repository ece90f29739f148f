# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A private key ACL that could not be read is ``null`` + a reason code, and never becomes RA_KEY_ACL."""
from __future__ import annotations

import copy
import json
import os
import re

import pytest

from ansible_collections.ndes.scep.plugins.module_utils._agent import contract
from ansible_collections.ndes.scep.plugins.module_utils._agent.normalize import normalize_response
from ansible_collections.ndes.scep.plugins.module_utils._agent.validate import (
    ContractError, make_request, validate_response)
from ansible_collections.ndes.scep.plugins.module_utils._lab import agent, certstore, faults
from ansible_collections.ndes.scep.plugins.module_utils._lab.fault_apply import ra_thumbprints
from ansible_collections.ndes.scep.plugins.module_utils._ndes import diagnose as diag
from ansible_collections.ndes.scep.plugins.module_utils._ndes import facts as facts_mod
from ansible_collections.ndes.scep.plugins.module_utils._ndes import gather

UNIT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURES = os.path.join(UNIT, "fixtures", "windows")
AGENT = os.path.join(os.path.dirname(UNIT), "..", "plugins", "plugin_utils", "windows_agent", "35_certs.ps1")
CRA_EKU = "1.3.6.1.4.1.311.20.2.1"


def info_request():
    return make_request(gather.info_ops(None, logs=True), check_mode=False)


def findings(response):
    req = info_request()
    validate_response(response, req)
    facts = facts_mod.build_facts(dict((r["id"], r) for r in response["results"]), {})
    return facts, diag.diagnose(facts)["findings"]


def by_id(found, fid):
    return [f for f in found if f["id"] == fid]


def read_my(root, include_acl=True):
    req = {"version": 1, "check_mode": False,
           "ops": [{"id": "my", "kind": "cert_store", "args": {"store": "My", "include_acl": include_acl}}]}
    response = agent.handle(root, req)
    validate_response(response, req)
    return response["results"][0]["data"]["certs"]


@pytest.fixture(name="lab_root")
def _lab_root(tmp_path):
    root = str(tmp_path / "lab")
    faults.create(root, [])
    return root


def _unreadable(root, reason="access_denied"):
    tps = sorted(ra_thumbprints(root).values())
    for tp in tps:
        certstore.set_meta(root, "My", tp, key_acl_error=reason)
    return tps


# ------------------------------------------------------------------ lab agent
def test_lab_agent_reports_an_unreadable_key_acl_as_null_with_a_reason(lab_root):
    tps = _unreadable(lab_root, "access_denied")
    certs = dict((c["thumbprint"], c) for c in read_my(lab_root))
    for tp in tps:
        assert certs[tp]["key_acl"] is None and certs[tp]["key_acl_error"] == "access_denied"
    others = [c for t, c in certs.items() if t not in tps and c["has_private_key"]]
    assert others and all(isinstance(c["key_acl"], list) and "key_acl_error" not in c for c in others)


def test_lab_agent_include_acl_false_is_not_requested_not_empty(lab_root):
    for cert in read_my(lab_root, include_acl=False):
        if cert["has_private_key"]:
            assert cert["key_acl"] is None and cert["key_acl_error"] == "not_requested"
        else:
            assert cert["key_acl"] == [] and "key_acl_error" not in cert


def test_lab_key_acl_grant_on_an_unreadable_key_fails_instead_of_guessing(lab_root):
    tp = _unreadable(lab_root, "access_denied")[0]
    req = {"version": 1, "check_mode": False, "ops": [{"id": "g", "kind": "key_acl_grant", "args": {
        "thumbprint": tp, "store": "My", "sid": "S-1-5-20", "rights": "read"}}]}
    result = agent.handle(lab_root, req)["results"][0]
    assert result["status"] == "failed" and result["error"]["code"] == "access_denied"


# ------------------------------------------------------------------ validator
def _cert_response(**fields):
    cert = {"thumbprint": "AB" * 20, "subject": "CN=x", "issuer": "CN=x", "subject_der_b64": "MA==",
            "issuer_der_b64": "MA==", "serial": "1", "not_before": "2026-01-01T00:00:00Z",
            "not_after": "2027-01-01T00:00:00Z", "has_private_key": True, "key_provider": None, "ekus": [],
            "key_usage": [], "template_oid": None, "template_name": None, "san_dns": [], "key_acl": [],
            "archived": False, "der_b64": "MA=="}
    cert.update(fields)
    return {"version": 1, "results": [{"id": "my", "kind": "cert_store", "status": "ok", "data": {"certs": [cert]}}]}


@pytest.mark.parametrize("reason", contract.KEY_ACL_ERRORS)
def test_validator_accepts_a_null_key_acl_with_each_reason(reason):
    validate_response(_cert_response(key_acl=None, key_acl_error=reason))


def test_validator_accepts_a_null_key_acl_without_a_reason_and_a_read_one():
    validate_response(_cert_response(key_acl=None))
    validate_response(_cert_response(key_acl=[{"sid": "S-1-5-18", "rights": ["full_control"]}]))


@pytest.mark.parametrize("fields, where", [
    ({"key_acl": None, "key_acl_error": "Zugriff verweigert"}, "key_acl_error"),     # localized text, not a code
    ({"key_acl": [], "key_acl_error": "access_denied"}, "key_acl_error"),          # a reason needs a null ACL
    ({"key_acl": [{"sid": "S-1-5-18", "rights": "read"}]}, "key_acl[0].rights"),
    ({"key_acl": "S-1-5-18"}, "key_acl"),
])
def test_validator_rejects_inconsistent_key_acl_fields(fields, where):
    with pytest.raises(ContractError, match=re.escape(where)):
        validate_response(_cert_response(**fields))


# ------------------------------------------------------------------ facts and rules
def test_unknown_key_acl_gives_no_ra_key_acl_fault_but_a_could_not_check(lab_root):
    _unreadable(lab_root, "access_denied")
    req = info_request()
    facts, found = findings(agent.handle(lab_root, req))
    assert facts["ra_certs"]["acl_missing"] == []
    assert sorted(facts["ra_certs"]["acl_unknown"]) == sorted(ra_thumbprints(lab_root).values())
    ra = by_id(found, "RA_KEY_ACL")
    assert [(f["status"], f["auto_fixable"]) for f in ra] == [("unknown", False)]
    reasons = " ".join(u["reason"] for u in ra[0]["evidence"]["unknown"])
    assert "access_denied" in reasons and all(u["path"] == "ra_certs.acl" for u in ra[0]["evidence"]["unknown"])
    assert "could not be read" in ra[0]["next_step"]["en"]


def test_a_real_missing_grant_still_gives_ra_key_acl(tmp_path):
    root = str(tmp_path / "lab")
    faults.create(root, ["ra_key_acl"])
    facts, found = findings(agent.handle(root, info_request()))
    assert facts["ra_certs"]["acl_unknown"] == []
    assert [(f["status"], f["auto_fixable"]) for f in by_id(found, "RA_KEY_ACL")] == [("fault", True)]


def test_one_unreadable_and_one_missing_grant_still_fires(tmp_path):
    root = str(tmp_path / "lab")
    faults.create(root, ["ra_key_acl"])
    tps = sorted(ra_thumbprints(root).values())
    certstore.set_meta(root, "My", tps[0], key_acl_error="no_key_file")
    facts, found = findings(agent.handle(root, info_request()))
    assert facts["ra_certs"]["acl_missing"] == [tps[1]] and facts["ra_certs"]["acl_unknown"] == [tps[0]]
    assert [f["status"] for f in by_id(found, "RA_KEY_ACL")] == ["fault"]


# ------------------------------------------------------------------ a Windows PowerShell 5.1 response
def test_ps51_recorded_response_with_unreadable_ra_keys():
    """The healthy PS 5.1 recording (dates as \\/Date(ms)\\/, unwrapped lists) with the RA key ACLs unread,
    as the agent writes them: ``"key_acl": null, "key_acl_error": "cng_key_not_found"``."""
    with open(os.path.join(FIXTURES, "healthy_ps51.json"), encoding="ascii") as handle:
        raw = json.load(handle)["response"]
    raw = copy.deepcopy(raw)
    store_my = [r for r in raw["results"] if r["id"] == "store_my"][0]
    unread = []
    for cert in store_my["data"]["certs"]:
        ekus = cert["ekus"] if isinstance(cert["ekus"], list) else [cert["ekus"]]     # unwrapped by PS 5.1
        if CRA_EKU in ekus:
            cert["key_acl"] = None
            cert["key_acl_error"] = "cng_key_not_found"
            unread.append(cert["thumbprint"])
    assert len(unread) == 2
    text = json.dumps(raw, ensure_ascii=True)
    assert text.count('"key_acl": null') == 2 and text.count('"key_acl_error": "cng_key_not_found"') == 2
    normalized = normalize_response(json.loads(text))
    certs = [r for r in normalized["results"] if r["id"] == "store_my"][0]["data"]["certs"]
    assert [c["key_acl"] for c in certs if c["thumbprint"] in unread] == [None, None]    # not turned into []
    facts, found = findings(normalized)
    assert facts["ra_certs"]["acl_missing"] == [] and sorted(facts["ra_certs"]["acl_unknown"]) == sorted(unread)
    assert [f["status"] for f in by_id(found, "RA_KEY_ACL")] == ["unknown"]
    assert [f["id"] for f in found if f["status"] == "fault"] == []


# ------------------------------------------------------------------ the PowerShell agent's codes
def test_windows_agent_emits_only_contract_reason_codes():
    with open(AGENT, encoding="utf-8") as handle:
        text = handle.read()
    body = text[text.index("function Get-AgentKeyAclError"):text.index("# ------------------------------------------------------------------ stores")]
    record = text[text.index("function ConvertTo-AgentCertRecord"):text.index("function Read-AgentCertStore")]
    codes = set(re.findall(r"return '([a-z_]+)'", body))
    codes |= set(re.findall(r"(?:\$aclError|\$info\['reason'\]) = '([a-z_]+)'", body + record))
    assert codes == set(contract.KEY_ACL_ERRORS)
    assert "key_acl_error" in record and ".Message" not in body + record
