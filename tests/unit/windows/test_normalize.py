# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""normalize_response undoes Windows PowerShell 5.1 ConvertTo-Json quirks, driven by the contract tables."""
from __future__ import annotations

import json

import pytest

from ansible_collections.ndes.scep.plugins.module_utils._agent import normalize as N
from ansible_collections.ndes.scep.plugins.module_utils._agent.validate import ContractError, validate_response


def response(*results):
    return {"version": 1, "agent": "windows", "results": list(results)}


def read(op_id, kind, data):
    return {"id": op_id, "kind": kind, "status": "ok", "data": data}


def one(payload):
    return N.normalize_response(payload)["results"][0]


# ------------------------------------------------------------------ dates
@pytest.mark.parametrize("text, iso", [
    ("/Date(1732550400000)/", "2024-11-25T16:00:00Z"),
    ("\\/Date(1732550400000)\\/", "2024-11-25T16:00:00Z"),       # JSON text not decoded by a parser
    ("/Date(1732550400123)/", "2024-11-25T16:00:00.123Z"),
    ("/Date(1732550400000+0100)/", "2024-11-25T16:00:00Z"),      # offset suffix: ms are UTC anyway
    ("/Date(-86400000)/", "1969-12-31T00:00:00Z"),
])
def test_ms_date(text, iso):
    assert N.ms_date(text) == iso


@pytest.mark.parametrize("text", ["2024-11-25T16:00:00Z", "Date(1)", "/Date(abc)/", "", None, 17])
def test_not_a_ms_date(text):
    assert N.ms_date(text) is None


def test_dates_anywhere_in_the_response_json_text():
    # what PowerShell 5.1 writes: "\/Date(..)\/" in the JSON text, "/Date(..)/" once parsed
    text = ('{"version": 1, "results": [{"id": "sys", "kind": "system", "status": "ok", "data": {'
            '"hostname": "NDES01", "fqdn": "NDES01.contoso.com", "domain_role": 3, "os_version": "10.0.20348",'
            '"last_boot": "\\/Date(1795845600000)\\/", "now": "\\/Date(1796158800000)\\/",'
            '"installed_roles": "ADCS-Device-Enrollment", "agent": "windows"}}]}')
    payload = json.loads(text)
    assert payload["results"][0]["data"]["last_boot"] == "/Date(1795845600000)/"
    data = one(payload)["data"]
    assert data["last_boot"] == "2026-11-28T06:00:00Z" and data["now"] == "2026-12-01T21:00:00Z"
    assert data["installed_roles"] == ["ADCS-Device-Enrollment"]          # one-element array unwrapped


# ------------------------------------------------------------------ enums
@pytest.mark.parametrize("number, name", sorted(N.SERVICE_STATUS.items()))
def test_service_status_names(number, name):
    data = one(response(read("s", "services", {"services": {"W3SVC": {"exists": True, "status": number,
                                                                      "start_mode": 2}}})))["data"]
    assert data["services"]["W3SVC"]["status"] == name
    assert data["services"]["W3SVC"]["start_mode"] == "Auto"


@pytest.mark.parametrize("number, name", [(0, "Boot"), (1, "System"), (2, "Auto"), (3, "Manual"), (4, "Disabled")])
def test_service_start_mode_names(number, name):
    data = one(response(read("s", "services", {"services": {"X": {"exists": True, "status": 4,
                                                                  "start_mode": number}}})))["data"]
    assert data["services"]["X"]["start_mode"] == name


def test_start_mode_enum_name_automatic_becomes_auto():
    # [ServiceStartMode]::Automatic.ToString() is "Automatic"; the contract (Win32_Service) says "Auto"
    data = one(response(read("s", "services", {"services": {"X": {"exists": True, "status": "Running",
                                                                  "start_mode": "Automatic"}}})))["data"]
    assert data["services"]["X"]["start_mode"] == "Auto"


@pytest.mark.parametrize("number, name", sorted(N.OBJECT_STATE.items()))
def test_object_state_for_pools_and_sites(number, name):
    pools = one(response(read("p", "app_pools", {"pools": [{"name": "SCEP", "state": number, "auto_start": True,
                                                            "start_mode": "OnDemand",
                                                            "identity_type": "SpecificUser"}]})))["data"]["pools"]
    assert pools[0]["state"] == name
    sites = one(response(read("s", "iis_sites", {"sites": {"id": 1, "name": "Default Web Site", "state": number,
                                                           "bindings": [], "applications": []}})))["data"]["sites"]
    assert sites[0]["state"] == name                                    # and the lone site wrapped in a list


def test_unknown_enum_value_is_left_for_the_validator():
    data = one(response(read("s", "services", {"services": {"X": {"exists": True, "status": 42}}})))["data"]
    assert data["services"]["X"]["status"] == 42


def test_ensure_states_are_normalised_too():
    result = one(response({"id": "svc", "kind": "service_state", "status": "ok", "changed": True,
                           "before": {"status": 1, "start_mode": 3}, "after": {"status": 4, "start_mode": 2}}))
    assert result["before"] == {"status": "Stopped", "start_mode": "Manual"}
    assert result["after"] == {"status": "Running", "start_mode": "Auto"}
    pool = one(response({"id": "p", "kind": "app_pool_state", "status": "ok", "changed": False,
                         "before": {"state": 1, "auto_start": True}, "after": {"state": 1, "auto_start": True}}))
    assert pool["after"]["state"] == "Started"


# ------------------------------------------------------------------ one-element arrays
def test_one_element_lists_in_records_are_wrapped():
    cert = {"thumbprint": "AB" * 20, "ekus": "1.3.6.1.5.5.7.3.2", "key_usage": "digital_signature",
            "san_dns": "ndes01.contoso.com", "key_acl": {"sid": "S-1-5-18", "rights": "full_control"},
            "not_after": "/Date(1796158800000)/"}
    data = one(response(read("my", "cert_store", {"certs": cert})))["data"]
    got = data["certs"][0]
    assert got["ekus"] == ["1.3.6.1.5.5.7.3.2"] and got["key_usage"] == ["digital_signature"]
    assert got["san_dns"] == ["ndes01.contoso.com"]
    assert got["key_acl"] == [{"sid": "S-1-5-18", "rights": ["full_control"]}]
    assert got["not_after"] == "2026-12-01T21:00:00Z"


def test_required_list_null_becomes_empty_but_optional_stays_null():
    data = one(response(read("r", "user_right", {"holders": "S-1-5-32-568", "gpo_defined": False,
                                                 "gpo_holders": None, "gpo_source": None})))["data"]
    assert data == {"holders": ["S-1-5-32-568"], "gpo_defined": False, "gpo_holders": [], "gpo_source": None}


def test_unknown_key_acl_is_not_turned_into_an_empty_acl():
    # [] would read as "the service account may not read the key" (RA_KEY_ACL); null is "unknown"
    cert = {"thumbprint": "AB" * 20, "has_private_key": True, "key_acl": None, "ekus": None}
    got = one(response(read("my", "cert_store", {"certs": [cert]})))["data"]["certs"][0]
    assert got["key_acl"] is None and got["ekus"] == []


def test_missing_fields_are_not_invented():
    data = one(response(read("r", "user_right", {"gpo_defined": False})))["data"]
    assert data == {"gpo_defined": False}
    with pytest.raises(ContractError, match="holders"):
        validate_response(N.normalize_response(response(read("r", "user_right", {"gpo_defined": False}))))


def test_event_properties_and_chain_elements():
    event = {"id": 5002, "provider": "Microsoft-Windows-WAS", "log": "System", "time": "/Date(1796158800000)/",
             "record_id": 9, "level": 2, "properties": "SCEP"}
    data = one(response(read("e", "events", {"events": event, "log_exists": True, "log_enabled": True})))["data"]
    assert data["events"][0]["properties"] == ["SCEP"] and data["events"][0]["time"] == "2026-12-01T21:00:00Z"
    chain = one(response(read("c", "cert_chain", {
        "status": "OfflineRevocation", "urls": "http://ca01.contoso.com/CertEnroll/CA.crl",
        "elements": {"thumbprint": "AB" * 20, "subject": "CN=x", "status": "RevocationStatusUnknown"}})))["data"]
    assert chain["status"] == ["OfflineRevocation"]
    assert chain["urls"] == ["http://ca01.contoso.com/CertEnroll/CA.crl"]
    assert chain["elements"] == [{"thumbprint": "AB" * 20, "subject": "CN=x", "status": ["RevocationStatusUnknown"]}]


def test_list_str_given_an_object_is_not_wrapped():
    data = one(response(read("r", "user_right", {"holders": {"x": 1}, "gpo_defined": False,
                                                 "gpo_holders": []})))["data"]
    assert data["holders"] == {"x": 1}


def test_registry_multi_sz_tree_and_subkeys():
    data = one(response(read("k", "registry_key", {
        "exists": True, "last_write": "/Date(1796158800000)/", "subkeys": "Modules",
        "values": {"Names": {"type": "REG_MULTI_SZ", "value": "only"},
                   "Empty": {"type": "REG_MULTI_SZ", "value": None},
                   "Max": {"type": "REG_DWORD", "value": 65534}},
        "tree": {"Modules": {"values": None, "last_write": "/Date(0)/", "subkeys": {
            "NDESPolicy": {"values": {"L": {"type": "REG_MULTI_SZ", "value": "x"}}, "subkeys": None}}}}})))["data"]
    assert data["subkeys"] == ["Modules"] and data["last_write"] == "2026-12-01T21:00:00Z"
    assert data["values"]["Names"]["value"] == ["only"] and data["values"]["Empty"]["value"] == []
    assert data["values"]["Max"]["value"] == 65534
    modules = data["tree"]["Modules"]
    assert modules["values"] == {} and modules["last_write"] == "1970-01-01T00:00:00Z"
    assert modules["subkeys"]["NDESPolicy"]["values"]["L"]["value"] == ["x"]
    assert modules["subkeys"]["NDESPolicy"]["subkeys"] == {}


def test_lone_result_and_warnings_are_wrapped():
    payload = {"version": 1, "results": {"id": "x", "kind": "iis_reset", "status": "ok", "changed": True,
                                         "before": {"reset_at": None}, "after": {"reset_at": "/Date(0)/"},
                                         "warnings": "W3SVC was restarted"}}
    out = N.normalize_response(payload)
    assert out["results"][0]["warnings"] == ["W3SVC was restarted"]
    assert out["results"][0]["after"]["reset_at"] == "1970-01-01T00:00:00Z"
    validate_response(out)


def test_input_is_not_changed_and_failed_results_pass_through():
    failed = {"id": "acct", "kind": "ad_account", "status": "failed",
              "error": {"code": "access_denied", "message": "LDAP bind failed"}}
    payload = response(failed, read("s", "services", {"services": {"W3SVC": {"exists": True, "status": 4}}}))
    before = json.dumps(payload, sort_keys=True)
    out = N.normalize_response(payload)
    assert json.dumps(payload, sort_keys=True) == before
    assert out["results"][0] == failed and out["results"][1]["data"]["services"]["W3SVC"]["status"] == "Running"


def test_unknown_kind_and_non_dict_payload_are_left_alone():
    assert N.normalize_response(None) is None
    odd = {"id": "x", "kind": "no_such_kind", "status": "ok", "data": {"a": "/Date(0)/"}}
    assert one(response(odd))["data"] == {"a": "1970-01-01T00:00:00Z"}     # dates still fixed


def test_depth_truncation_is_left_for_the_validator():
    # ConvertTo-Json without -Depth writes nested objects as their type name: nothing to recover
    payload = response(read("p", "app_pools", {"pools": ["System.Collections.Hashtable"]}))
    with pytest.raises(ContractError, match=r"pools"):
        validate_response(N.normalize_response(payload))


def test_enum_tables_cover_the_contract_fields():
    # every record field the contract documents as an enum name has a table here
    assert set(N.ENUM_FIELDS) >= {("service", "status"), ("service", "start_mode"), ("pool", "state"),
                                  ("site", "state")}
    assert N.SERVICE_START_MODE[2] == "Auto" and N.OBJECT_STATE[1] == "Started" and N.SERVICE_STATUS[4] == "Running"
