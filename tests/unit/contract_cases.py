# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Host-agent contract cases usable against ANY agent: a request plus assertions on its response.

Each case assumes a healthy NDES (a lab created without faults, or a Windows NDES set up as
Microsoft's Intune guide says) and names the agents it applies to. Run one with::

    by_id = run_case(case, send)       # send(request) -> response (lab: agent.handle; Windows: recorded/live)

``run_case`` validates the response against the contract, then runs the case's assertions.
Cases with ``mutates=True`` change the host: give them a fresh host each.

Every case applies to both agents (``agents=("lab", "windows")``) unless it says why not. The lab
runs them in tests/unit/lab/test_lab_contract_cases.py; the Windows agent runs them on recorded
responses (tests/unit/fixtures/windows/cases/<case>.json, built by make_fixtures.py) in
tests/unit/windows/test_recorded_responses.py, which matches each request against its recording:
change a case's ops and re-record its Windows answer from the agent's PowerShell.
"""
from __future__ import annotations

import re

from ansible_collections.ndes.scep.plugins.module_utils._agent import contract as c
from ansible_collections.ndes.scep.plugins.module_utils._agent.validate import make_request, validate_response

MSCEP_LOC = "Default Web Site/certsrv/mscep"
CRS_LOC = "Default Web Site/CertificateRegistrationSvc"
LIMITS = "system.webServer/security/requestFiltering/requestLimits"
HTTP_PARAMS = r"HKLM\SYSTEM\CurrentControlSet\Services\HTTP\Parameters"
POLICY_VALUE = r"HKLM\SOFTWARE\Microsoft\Cryptography\MSCEP\Modules\NDESPolicy\NDESCertThumbprint"
IIS_IUSRS = "S-1-5-32-568"
CRA_EKU = "1.3.6.1.4.1.311.20.2.1"
NO_SUCH_THUMBPRINT = "00" * 20


class Case(object):
    def __init__(self, name, ops, check, check_mode=False, agents=("lab", "windows"), mutates=False, lock=False):
        self.name, self.ops, self.check = name, ops, check
        self.check_mode, self.agents, self.mutates, self.lock = check_mode, agents, mutates, lock

    def request(self, run_id=None):
        return make_request(self.ops, self.check_mode, run_id=run_id or "contract-%s" % self.name, lock=self.lock)

    def __repr__(self):
        return "Case(%s)" % self.name


def run_case(case, send, run_id=None):
    request = case.request(run_id)
    response = send(request)
    validate_response(response, request)
    by_id = dict((r["id"], r) for r in response["results"])
    case.check(by_id)
    return by_id


def ok(by_id, op_id):
    result = by_id[op_id]
    assert result["status"] == c.STATUS_OK, "%s: %r" % (op_id, result.get("error"))
    return result.get("data", result)


# ------------------------------------------------------------------ read cases
ALL_READS = [
    ("system", "system", {}),
    ("registry", "registry_key", {"path": HTTP_PARAMS}),
    ("sites", "iis_sites", {}),
    ("limits", "iis_config", {"section": LIMITS, "location": MSCEP_LOC}),
    ("pools", "app_pools", {}),
    ("services", "services", {"names": ["W3SVC", "NoSuchService"]}),
    ("my", "cert_store", {"store": "My", "include_acl": True}),
    ("chain", "cert_chain", {"store": "My", "thumbprint": c.placeholder("registry", POLICY_VALUE)}),
    ("right", "user_right", {"right": "SeImpersonatePrivilege"}),
    ("events", "events", {"log": "System", "max": 5}),
    ("tail", "file_tail", {"directory": c.placeholder("site_log_folder", "Default Web Site"), "pattern": "u_ex*.log",
                           "max_bytes": 4096}),
    ("acl", "folder_acl", {"path": r"C:\Windows\Temp"}),
    ("account", "ad_account", {"account": c.placeholder("pool_user", "SCEP")}),
    ("principals", "resolve_principal", {"names": ["IIS_IUSRS", r"NT AUTHORITY\NETWORK SERVICE"]}),
    ("backups", "backups", {}),
]


def _check_all_reads(by_id):
    for op_id, _kind, _args in ALL_READS:
        ok(by_id, op_id)
    assert ok(by_id, "system")["agent"] in ("lab", "windows")
    assert ok(by_id, "services")["services"]["NoSuchService"]["exists"] is False
    assert ok(by_id, "services")["services"]["W3SVC"]["exists"] is True
    assert ok(by_id, "chain")["resolved"]["thumbprint"] == ok(by_id, "chain")["elements"][0]["thumbprint"]
    assert ok(by_id, "tail")["resolved"]["directory"].upper().endswith("\\W3SVC1")
    assert ok(by_id, "principals")["principals"] == {"IIS_IUSRS": IIS_IUSRS, r"NT AUTHORITY\NETWORK SERVICE": "S-1-5-20"}


def _check_healthy_values(by_id):
    limits = ok(by_id, "limits")
    assert limits["attributes"]["maxUrl"] == 65534 and limits["attributes"]["maxQueryString"] == 65534
    assert limits["origin"]["maxUrl"]["is_default"] is False
    crs = ok(by_id, "crs")
    assert crs["attributes"]["enabled"] is False and crs["locked"] is True
    assert IIS_IUSRS in ok(by_id, "right")["holders"]
    values = ok(by_id, "http")["values"]
    assert values["MaxFieldLength"] == {"type": "REG_DWORD", "value": 65534}


def _check_certs(by_id):
    certs = ok(by_id, "my")["certs"]
    for cert in certs:
        assert re.match(r"^[0-9A-F]{40}$", cert["thumbprint"])
        assert set(c.CERT_FIELDS) - {"gpo_placed", "key_acl_error"} <= set(cert)
        # a healthy host: every RA key ACL was read (null would mean "could not be read")
        assert isinstance(cert["key_acl"], list) and cert.get("key_acl_error") is None
    ra = [x for x in certs if CRA_EKU in x["ekus"]]
    roles = sorted((x["template_name"] or x["template_oid"], tuple(x["key_usage"])) for x in ra)
    assert [r[0] for r in roles] == ["CEPEncryption", "EnrollmentAgentOffline"]
    assert "key_encipherment" in roles[0][1] and "digital_signature" in roles[1][1]


def _check_unknowns(by_id):
    assert ok(by_id, "nokey") == {"exists": False, "last_write": None, "values": {}, "subkeys": []}
    failed = by_id["placeholder"]
    assert failed["status"] == c.STATUS_FAILED and failed["error"]["code"] == "not_found"
    assert failed["error"]["message"].startswith("placeholder")
    assert by_id["nocert"]["error"]["code"] == "not_found"


# ------------------------------------------------------------------ ensure cases
def _check_check_mode(by_id):
    result = by_id["set"]
    assert result["status"] == c.STATUS_OK and result["changed"] is True
    assert result["after"]["value"] == 1234 and "backup" not in result
    assert ok(by_id, "after")["values"]["MaxFieldLength"]["value"] == 65534


def _check_idempotent(by_id):
    assert by_id["same"]["changed"] is False and "backup" not in by_id["same"]
    assert by_id["same"]["before"]["value"] == by_id["same"]["after"]["value"] == 65534


def _check_failure_stops(by_id):
    assert by_id["bad"]["status"] == c.STATUS_FAILED and by_id["bad"]["error"]["code"] == "not_found"
    assert by_id["later"]["status"] == c.STATUS_NOT_RUN
    assert by_id["read_after"]["status"] == c.STATUS_OK


def _check_invalid(by_id):
    assert by_id["bad_dword"]["status"] == c.STATUS_FAILED
    assert by_id["bad_dword"]["error"]["code"] == "invalid_request"
    assert by_id["next"]["status"] == c.STATUS_NOT_RUN


def _check_change_backup(by_id):
    result = by_id["set"]
    assert result["changed"] is True and result["before"]["value"] == 65534 and result["after"]["value"] == 65535
    assert "contract-change_with_backup" in result["backup"]
    runs = ok(by_id, "runs")["runs"]
    assert runs and runs[0]["items"][0]["restore"]["kind"]


def _check_locked_write(by_id):
    assert by_id["webconfig"]["status"] == c.STATUS_FAILED and by_id["webconfig"]["error"]["code"] == "precondition"


def _check_template_access(by_id):
    data = ok(by_id, "templates")
    assert data["status"] in ("known", "unknown")
    if data["status"] == "unknown":       # AD out of reach (double hop): said, never guessed
        assert data["reason"] and data["templates"] == {}
        return
    for context in ("machine", "user"):
        who = data["identities"][context]
        assert re.match(r"^S-1-5-", who["sid"]) and who["sid"] in who["sids"] and "S-1-5-11" in who["sids"]
    templates = data["templates"]
    assert templates["NoSuchTemplate"] == {"exists": False}
    assert templates["EnrollmentAgentOffline"]["subject_type"] == "user"      # Microsoft: enrol in user context
    assert templates["CEPEncryption"]["subject_type"] == "computer"
    for name in ("EnrollmentAgentOffline", "CEPEncryption"):
        record = templates[name]
        assert record["exists"] is True and record["schema_version"] >= 1 and record["validity_days"] > 0
        assert CRA_EKU in record["ekus"]
        assert all(isinstance(record["access"][ctx][right], bool)
                   for ctx in ("machine", "user") for right in ("read", "enroll"))


def _check_result_reference(by_id):
    assert by_id["set"]["after"]["value"] == 1234
    copied = by_id["copy"]
    assert copied["status"] == c.STATUS_OK and copied["changed"] is True and copied["after"]["value"] == 1234
    bad = by_id["bad_ref"]
    assert bad["status"] == c.STATUS_FAILED and bad["error"]["code"] == "not_found"
    assert bad["error"]["message"].startswith("placeholder")
    assert by_id["later"]["status"] == c.STATUS_NOT_RUN


def _check_if_changed(by_id):
    assert by_id["same"]["changed"] is False and by_id["set"]["changed"] is True
    for op_id in ("after_none", "after_skipped"):    # nothing it names changed: skipped, not run
        assert by_id[op_id] == {"id": op_id, "kind": by_id[op_id]["kind"], "status": c.STATUS_OK, "changed": False,
                                "before": {}, "after": {}, "skipped": True}
    ran = by_id["after_set"]                         # one of the names would change: it runs (check mode: predicts)
    assert ran["status"] == c.STATUS_OK and ran["changed"] is True and "skipped" not in ran
    assert ran["after"]["value"] == 1


def _check_lab_inject_windows(by_id):
    assert by_id["inject"]["error"]["code"] == "unsupported"


CASES = [
    Case("all_reads", ALL_READS, _check_all_reads),
    Case("healthy_values", [
        ("limits", "iis_config", {"section": LIMITS, "location": MSCEP_LOC}),
        ("crs", "iis_config", {"section": "system.webServer/security/authentication/windowsAuthentication",
                               "location": CRS_LOC}),
        ("right", "user_right", {"right": "SeImpersonatePrivilege"}),
        ("http", "registry_key", {"path": HTTP_PARAMS}),
    ], _check_healthy_values),
    Case("ra_certs", [("my", "cert_store", {"store": "My"})], _check_certs),
    Case("unknowns", [
        ("nokey", "registry_key", {"path": r"HKLM\SOFTWARE\ndes.scep\NoSuchKey"}),
        ("placeholder", "ad_account", {"account": c.placeholder("pool_user", "DefaultAppPool")}),
        ("nocert", "cert_chain", {"store": "My", "thumbprint": NO_SUCH_THUMBPRINT}),
    ], _check_unknowns),
    Case("check_mode_changes_nothing", [
        ("set", "registry_value", {"path": HTTP_PARAMS, "name": "MaxFieldLength", "type": "REG_DWORD", "value": 1234}),
        ("after", "registry_key", {"path": HTTP_PARAMS}),
    ], _check_check_mode, check_mode=True),
    Case("idempotent_ensure", [
        ("same", "registry_value", {"path": HTTP_PARAMS, "name": "MaxFieldLength", "type": "REG_DWORD",
                                    "value": 65534}),
    ], _check_idempotent),
    Case("first_failure_stops_the_rest", [
        ("bad", "cert_archive", {"thumbprint": NO_SUCH_THUMBPRINT, "store": "My"}),
        ("later", "registry_value", {"path": HTTP_PARAMS, "name": "MaxFieldLength", "type": "REG_DWORD",
                                     "value": 1}),
        ("read_after", "registry_key", {"path": HTTP_PARAMS}),
    ], _check_failure_stops),
    Case("invalid_args_fail_the_op", [
        ("bad_dword", "registry_value", {"path": HTTP_PARAMS, "name": "X", "type": "REG_DWORD", "value": "abc"}),
        ("next", "iis_reset", {}),
    ], _check_invalid),
    Case("change_with_backup", [
        ("set", "registry_value", {"path": HTTP_PARAMS, "name": "MaxFieldLength", "type": "REG_DWORD",
                                   "value": 65535}),
        ("runs", "backups", {"run_id": "contract-change_with_backup"}),
    ], _check_change_backup, mutates=True, lock=True),
    Case("locked_section_not_in_web_config", [
        ("webconfig", "iis_property", {"section": "system.webServer/security/authentication/windowsAuthentication",
                                       "location": CRS_LOC, "commit_path": "MACHINE/WEBROOT/APPHOST/Default Web Site",
                                       "attributes": {"enabled": False}}),
    ], _check_locked_write, mutates=True),
    Case("template_access", [
        ("templates", "template_access", {"templates": ["EnrollmentAgentOffline", "CEPEncryption", "NoSuchTemplate"]}),
    ], _check_template_access),
    Case("result_reference", [
        ("set", "registry_value", {"path": HTTP_PARAMS, "name": "MaxFieldLength", "type": "REG_DWORD", "value": 1234}),
        ("copy", "registry_value", {"path": HTTP_PARAMS, "name": "NdesScepContractCase", "type": "REG_DWORD",
                                    "value": c.result_ref("set", "value")}),
        ("bad_ref", "registry_value", {"path": HTTP_PARAMS, "name": "NdesScepContractCase", "type": "REG_DWORD",
                                       "value": c.result_ref("nosuch", "value")}),
        ("later", "registry_value", {"path": HTTP_PARAMS, "name": "MaxFieldLength", "type": "REG_DWORD",
                                     "value": 1}),
    ], _check_result_reference, check_mode=True),
    Case("if_changed", [
        ("same", "registry_value", {"path": HTTP_PARAMS, "name": "MaxFieldLength", "type": "REG_DWORD", "value": 65534}),
        ("set", "registry_value", {"path": HTTP_PARAMS, "name": "MaxRequestBytes", "type": "REG_DWORD", "value": 1234}),
        ("after_none", "iis_reset", {}, ["same"]),
        ("after_set", "registry_value", {"path": HTTP_PARAMS, "name": "NdesScepContractCase", "type": "REG_DWORD",
                                         "value": 1}, ["same", "set"]),
        ("after_skipped", "iis_reset", {}, ["after_none"]),
    ], _check_if_changed, check_mode=True),
    # Windows only: the lab agent implements lab_inject (its failure injection), so "unsupported" holds
    # only for the Windows agent; the lab's injection is tested in tests/unit/lab.
    Case("lab_inject_is_lab_only", [("inject", "lab_inject", {"latency": 0})], _check_lab_inject_windows,
         agents=("windows",)),
]


def cases_for(agent):
    return [case for case in CASES if agent in case.agents]
