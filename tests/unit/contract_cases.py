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
APPHOST = "MACHINE/WEBROOT/APPHOST"
IMPERSONATE = "SeImpersonatePrivilege"
CONNECTOR_SVC = "PKICertificateConnectorSvc"      # Certificate Connector for Microsoft Intune (PKI part)
TEMP = r"C:\Windows\Temp"
LIMIT_NAMES = ["maxQueryString", "maxUrl"]


class Case(object):
    """A request and its assertions.

    ``prepare``: read ops sent first (run id ``contract-<name>-prepare``) when the case's ops need a value
    of the host that differs between hosts (a thumbprint); ``ops`` is then ``ops(prepared results by id)``.
    ``restores``: the case rolls back every change it makes (a ``restore`` of its own run), so the host
    ends as it started (the lab test compares its state digest).
    """

    def __init__(self, name, ops, check, check_mode=False, agents=("lab", "windows"), mutates=False, lock=False,
                 prepare=None, restores=False):
        self.name, self._ops, self.check = name, ops, check
        self.check_mode, self.agents, self.mutates, self.lock = check_mode, agents, mutates, lock
        self.prepare, self.restores, self.prepared = prepare, restores, None

    @property
    def ops(self):
        if callable(self._ops):
            assert self.prepared is not None, "%s: send the prepare request first (run_case)" % self.name
            return self._ops(self.prepared)
        return self._ops

    def prepare_request(self):
        return make_request(self.prepare, False, run_id="contract-%s-prepare" % self.name)

    def request(self, run_id=None):
        return make_request(self.ops, self.check_mode, run_id=run_id or "contract-%s" % self.name, lock=self.lock)

    def __repr__(self):
        return "Case(%s)" % self.name


def run_case(case, send, run_id=None):
    if case.prepare:
        prepare = case.prepare_request()
        answer = send(prepare)
        validate_response(answer, prepare)
        case.prepared = dict((r["id"], r) for r in answer["results"])
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


# ------------------------------------------------------------------ ensure success paths (one kind each)
# Each "<kind>_change" case makes one change on a healthy host, reads it back, reads its backup record,
# rolls its own run back with ``restore`` and reads again: the host ends as it started (``restores``).
# Preconditions (a healthy NDES as Microsoft's guide sets it up; each case asserts its own):
#   iis_property_change      requestLimits maxUrl / maxQueryString are 65534 at the mscep application and
#                            applicationHost.config has no <location path="Default Web Site/certsrv/mscep">
#                            setting them (the case writes one there)
#   user_right_grant_change  IIS_IUSRS (S-1-5-32-568) holds SeImpersonatePrivilege and no GPO defines the
#                            right; the case first removes it (a real ensure) so that the grant runs on a
#                            host where it is missing
#   service_state_change     PKICertificateConnectorSvc is installed, Running, start mode Auto (the
#                            connector is stopped for the length of the request)
#   folder_acl_grant_change  IIS_IUSRS holds no allow ACE on C:\Windows\Temp (the Windows default ACL)
#   cert_move_change         the enterprise root CA certificate (the policy chain's last element) is in the
#                            LocalMachine\Root store itself, not placed by Group Policy; the CA store does
#                            not hold it
def _item_of(by_id, item_id):
    runs = ok(by_id, "runs")["runs"]
    assert [run["run_id"] for run in runs] == ["contract-" + by_id["_case"]]
    items = dict((item["id"], item) for item in runs[0]["items"])
    return items[item_id]


def _leaf(path):
    return re.split(r"[\\/]", path)[-1]


def _check_backup(by_id, op_id, item_id, suffix, kind, restore_kind):
    result = by_id[op_id]
    assert result["status"] == c.STATUS_OK and result["changed"] is True, result
    assert "contract-" + by_id["_case"] in result["backup"] and _leaf(result["backup"]) == item_id + suffix
    item = _item_of(by_id, item_id)
    assert item["file"] == item_id + suffix and item["kind"] == kind
    assert item["restore"]["kind"] == restore_kind
    return item


def _check_undone(by_id, item_ids, op_id="undo"):
    undo = by_id[op_id]
    assert undo["status"] == c.STATUS_OK and undo["changed"] is True and "backup" not in undo
    assert undo["before"] == {"restored": []}
    assert undo["after"] == {"restored": item_ids, "unchanged": []}


def _limits(by_id, op_id):
    data = ok(by_id, op_id)
    return dict((name, data["attributes"][name]) for name in LIMIT_NAMES)


def _check_iis_property_change(by_id):
    result = by_id["set"]
    assert result["before"] == {"attributes": {"maxQueryString": 65534, "maxUrl": 65534}}
    assert result["after"] == {"attributes": {"maxQueryString": 65535, "maxUrl": 65535}}
    assert not result.get("warnings")
    item = _check_backup(by_id, "set", "001-set", "-applicationHost.config", "file", "file_restore")
    assert item["restore"]["args"]["path"].lower().endswith("\\inetsrv\\config\\applicationhost.config")
    assert item["source"] == item["restore"]["args"]["path"]
    assert _limits(by_id, "changed") == {"maxQueryString": 65535, "maxUrl": 65535}
    for name in LIMIT_NAMES:       # written where the request said: applicationHost.config, <location> of mscep
        assert ok(by_id, "changed")["origin"][name] == {"path": APPHOST, "is_default": False, "location": MSCEP_LOC}
    _check_undone(by_id, ["001-set"])
    again = by_id["undo_again"]    # the file already holds the backed-up bytes: nothing to do
    assert again["changed"] is False and again["after"] == {"restored": ["001-set"], "unchanged": ["001-set"]}
    assert _limits(by_id, "restored") == {"maxQueryString": 65534, "maxUrl": 65534}
    assert ok(by_id, "restored")["origin"]["maxUrl"].get("location") != MSCEP_LOC


def _check_user_right_grant_change(by_id):
    revoke, grant = by_id["revoke"], by_id["grant"]
    holders = revoke["before"]["holders"]
    assert IIS_IUSRS in holders and ok(by_id, "before")["holders"] == holders and not ok(by_id, "before")["gpo_defined"]
    assert revoke["after"] == {"holders": [s for s in holders if s != IIS_IUSRS]}
    assert grant["before"] == revoke["after"]                   # the grant runs where the right is missing
    assert grant["after"] == {"holders": holders} and grant["changed"] is True
    assert grant["warnings"] and revoke["warnings"]             # the worker sees it after a recycle
    for op_id, item_id, add, remove in (("revoke", "001-revoke", [IIS_IUSRS], []),
                                        ("grant", "002-grant", [], [IIS_IUSRS])):
        item = _check_backup(by_id, op_id, item_id, ".json", "user_right", "user_right_grant")
        assert item["source"] == IMPERSONATE
        assert item["restore"]["args"] == {"right": IMPERSONATE, "add": add, "remove": remove, "override_gpo": True}
    assert ok(by_id, "granted")["holders"] == holders
    _check_undone(by_id, ["002-grant", "001-revoke"])          # newest first: remove the grant, add it back
    assert ok(by_id, "restored")["holders"] == holders


def _check_service_state_change(by_id):
    result = by_id["stop"]
    assert result["before"] == {"status": "Running", "start_mode": "Auto"}
    assert result["after"] == {"status": "Stopped", "start_mode": "Manual"}
    item = _check_backup(by_id, "stop", "001-stop", ".json", "service", "service_state")
    assert item["source"] == CONNECTOR_SVC
    assert item["restore"]["args"] == {"name": CONNECTOR_SVC, "state": "running", "start_mode": "auto"}
    svc = ok(by_id, "stopped")["services"][CONNECTOR_SVC]
    assert (svc["status"], svc["start_mode"]) == ("Stopped", "Manual")
    _check_undone(by_id, ["001-stop"])
    svc = ok(by_id, "restored")["services"][CONNECTOR_SVC]
    assert (svc["status"], svc["start_mode"]) == ("Running", "Auto")


def _sid_order(sid):
    parts = [int(x) for x in sid.split("-")[2:]]
    return (parts[0], len(parts) - 1, parts[1:])


def _aces_without(aces, sid):
    return sorted((a for a in aces if a["sid"] != sid), key=lambda a: (a["sid"], a["type"], a["inherited"]))


def _check_folder_acl_grant_change(by_id):
    result = by_id["grant"]
    before = result["before"]["aces"]
    assert before == ok(by_id, "before")["aces"] and not [a for a in before if a["sid"] == IIS_IUSRS]
    added = [a for a in result["after"]["aces"] if a["sid"] == IIS_IUSRS]
    assert added == [{"sid": IIS_IUSRS, "rights": ["read"], "type": "allow", "inherited": False}]
    assert _aces_without(result["after"]["aces"], IIS_IUSRS) == _aces_without(before, IIS_IUSRS)
    # AddAccessRule leaves the DACL canonical (.NET CommonAcl): explicit deny, explicit allow, inherited;
    # each explicit group in SecurityIdentifier.CompareTo order (authority, sub-authority count, values)
    explicit_allow = [a["sid"] for a in result["after"]["aces"] if not a["inherited"] and a["type"] == "allow"]
    assert explicit_allow == sorted(explicit_allow, key=_sid_order)
    item = _check_backup(by_id, "grant", "001-grant", ".acl.json", "folder_acl", "folder_acl_set")
    assert item["source"] == TEMP and item["restore"]["args"]["path"] == TEMP
    assert ok(by_id, "granted")["aces"] == result["after"]["aces"]
    _check_undone(by_id, ["001-grant"])
    assert ok(by_id, "restored")["aces"] == before


def _root_thumbprint(prepared):
    return ok(prepared, "chain")["elements"][-1]["thumbprint"]


def _check_cert_move_change(by_id):
    result = by_id["move"]
    tp = by_id["_thumbprint"]
    assert result["before"] == {"stores": ["Root"]} and result["after"] == {"stores": ["CA"]}
    item = _check_backup(by_id, "move", "001-move", ".cer", "certificate", "cert_move")
    assert item["source"] == "Root\\" + tp
    assert item["restore"]["args"] == {"thumbprint": tp, "from_store": "CA", "to_store": "Root"}
    assert tp in [x["thumbprint"] for x in ok(by_id, "ca")["certs"]]
    assert tp not in [x["thumbprint"] for x in ok(by_id, "root")["certs"]]
    _check_undone(by_id, ["001-move"])
    assert tp in [x["thumbprint"] for x in ok(by_id, "root_after")["certs"]]
    assert tp not in [x["thumbprint"] for x in ok(by_id, "ca_after")["certs"]]


def _check_ensures_in_check_mode(by_id):
    for op_id in ("iis", "revoke", "stop", "grant", "move"):
        result = by_id[op_id]
        assert result["status"] == c.STATUS_OK and result["changed"] is True and "backup" not in result, result
    assert by_id["iis"]["after"] == {"attributes": {"maxQueryString": 65535, "maxUrl": 65535}}
    assert _limits(by_id, "limits") == {"maxQueryString": 65534, "maxUrl": 65534}
    assert IIS_IUSRS not in by_id["revoke"]["after"]["holders"] and IIS_IUSRS in ok(by_id, "right")["holders"]
    assert by_id["revoke"]["before"]["holders"] == ok(by_id, "right")["holders"]
    assert by_id["stop"]["after"] == {"status": "Stopped", "start_mode": "Manual"}
    svc = ok(by_id, "services")["services"][CONNECTOR_SVC]
    assert (svc["status"], svc["start_mode"]) == ("Running", "Auto")
    assert [a for a in by_id["grant"]["after"]["aces"] if a["sid"] == IIS_IUSRS]
    assert not [a for a in ok(by_id, "acl")["aces"] if a["sid"] == IIS_IUSRS]
    assert by_id["move"]["before"] == {"stores": ["Root"]} and by_id["move"]["after"] == {"stores": ["CA"]}
    assert by_id["_thumbprint"] in [x["thumbprint"] for x in ok(by_id, "root")["certs"]]
    assert ok(by_id, "runs")["runs"] == []                      # no backup run was written


def _with_case(name, check, thumbprint=False):
    """The check, given the case name (and the prepared thumbprint) next to the results."""

    def run(by_id, case=None):
        extra = {"_case": name}
        if thumbprint:
            extra["_thumbprint"] = _root_thumbprint(CASE_BY_NAME[name].prepared)
        check(dict(by_id, **extra))
    return run


def _limits_set_op(op_id):
    return (op_id, "iis_property", {"section": LIMITS, "location": MSCEP_LOC, "commit_path": APPHOST,
                                    "commit_location": MSCEP_LOC, "attributes": {"maxUrl": 65535, "maxQueryString": 65535}})


def _limits_read(op_id):
    return (op_id, "iis_config", {"section": LIMITS, "location": MSCEP_LOC, "attributes": LIMIT_NAMES})


def _undo(op_id, name):
    return (op_id, "restore", {"run_id": "contract-" + name})


def _runs(name):
    return ("runs", "backups", {"run_id": "contract-" + name})


_PREPARE_ROOT = [("chain", "cert_chain", {"store": "My", "thumbprint": c.placeholder("registry", POLICY_VALUE)})]


def _store(op_id, name):
    return (op_id, "cert_store", {"store": name, "include_acl": False})


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
    Case("iis_property_change", [
        _limits_set_op("set"),
        _limits_read("changed"),
        _runs("iis_property_change"),
        _undo("undo", "iis_property_change"),
        _undo("undo_again", "iis_property_change"),
        _limits_read("restored"),
    ], _with_case("iis_property_change", _check_iis_property_change), mutates=True, lock=True, restores=True),
    Case("user_right_grant_change", [
        ("before", "user_right", {"right": IMPERSONATE}),
        ("revoke", "user_right_grant", {"right": IMPERSONATE, "remove": [IIS_IUSRS]}),
        ("grant", "user_right_grant", {"right": IMPERSONATE, "add": [IIS_IUSRS]}),
        ("granted", "user_right", {"right": IMPERSONATE}),
        _runs("user_right_grant_change"),
        _undo("undo", "user_right_grant_change"),
        ("restored", "user_right", {"right": IMPERSONATE}),
    ], _with_case("user_right_grant_change", _check_user_right_grant_change), mutates=True, lock=True, restores=True),
    Case("service_state_change", [
        ("stop", "service_state", {"name": CONNECTOR_SVC, "state": "stopped", "start_mode": "manual"}),
        ("stopped", "services", {"names": [CONNECTOR_SVC]}),
        _runs("service_state_change"),
        _undo("undo", "service_state_change"),
        ("restored", "services", {"names": [CONNECTOR_SVC]}),
    ], _with_case("service_state_change", _check_service_state_change), mutates=True, lock=True, restores=True),
    Case("folder_acl_grant_change", [
        ("before", "folder_acl", {"path": TEMP}),
        ("grant", "folder_acl_grant", {"path": TEMP, "sid": IIS_IUSRS, "rights": "read"}),
        ("granted", "folder_acl", {"path": TEMP}),
        _runs("folder_acl_grant_change"),
        _undo("undo", "folder_acl_grant_change"),
        ("restored", "folder_acl", {"path": TEMP}),
    ], _with_case("folder_acl_grant_change", _check_folder_acl_grant_change), mutates=True, lock=True, restores=True),
    Case("cert_move_change", lambda prepared: [
        ("move", "cert_move", {"thumbprint": _root_thumbprint(prepared), "from_store": "Root", "to_store": "CA"}),
        _store("root", "Root"), _store("ca", "CA"),
        _runs("cert_move_change"),
        _undo("undo", "cert_move_change"),
        _store("root_after", "Root"), _store("ca_after", "CA"),
    ], _with_case("cert_move_change", _check_cert_move_change, thumbprint=True), mutates=True, lock=True,
        prepare=_PREPARE_ROOT, restores=True),
    Case("ensures_in_check_mode_change_nothing", lambda prepared: [
        _limits_set_op("iis"),
        ("revoke", "user_right_grant", {"right": IMPERSONATE, "remove": [IIS_IUSRS]}),
        ("stop", "service_state", {"name": CONNECTOR_SVC, "state": "stopped", "start_mode": "manual"}),
        ("grant", "folder_acl_grant", {"path": TEMP, "sid": IIS_IUSRS, "rights": "read"}),
        ("move", "cert_move", {"thumbprint": _root_thumbprint(prepared), "from_store": "Root", "to_store": "CA"}),
        _limits_read("limits"),
        ("right", "user_right", {"right": IMPERSONATE}),
        ("services", "services", {"names": [CONNECTOR_SVC]}),
        ("acl", "folder_acl", {"path": TEMP}),
        _store("root", "Root"),
        _runs("ensures_in_check_mode_change_nothing"),
    ], _with_case("ensures_in_check_mode_change_nothing", _check_ensures_in_check_mode, thumbprint=True),
        check_mode=True, prepare=_PREPARE_ROOT),
]


CASE_BY_NAME = dict((case.name, case) for case in CASES)


def cases_for(agent):
    return [case for case in CASES if agent in case.agents]
