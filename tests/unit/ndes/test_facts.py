# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""build_facts: docs/facts.md from raw read results; precomputed values; failed reads become unknown."""
from __future__ import annotations

import base64
import copy
import os

import pytest
from cryptography import x509
from cryptography.x509.name import _ASN1Type
from cryptography.x509.oid import NameOID

from ansible_collections.ndes.scep.plugins.module_utils._ndes import facts as F
from ansible_collections.ndes.scep.plugins.module_utils._ndes import values

import facts_raw as R

FIXTURES = os.path.join(os.path.dirname(os.path.dirname(__file__)), "fixtures")
TOP_KEYS = {"schema", "agent", "collected_at", "settings", "host", "iis", "app_pools", "scep_pool", "httpsys",
            "user_rights", "policy_cert", "ra_certs", "root_store", "mscep_templates", "services",
            "proxy_connector", "crashes", "setup_msi", "connector", "service_account", "chain", "capi2",
            "temp_acl", "ie_esc", "pending_reboot", "log_window", "unknown"}


def build(results=None, settings=None):
    return F.build_facts(results if results is not None else R.healthy(), settings or {}, now=R.NOW)


def unknown_paths(facts):
    return sorted({u["path"] for u in facts["unknown"]})


# ------------------------------------------------------------------ healthy host
def test_healthy_host_has_every_section_and_nothing_unknown():
    f = build()
    assert set(f) == TOP_KEYS
    assert f["unknown"] == []
    assert f["schema"] == 1 and f["agent"] == "lab" and f["collected_at"] == "2026-11-25T21:00:00Z"
    assert f["host"] == {"hostname": "NDES01", "fqdn": "ndes01.contoso.com", "domain_role": 3,
                         "is_domain_controller": False, "is_ca": False, "os_version": "10.0.20348",
                         "last_boot": "2026-11-20T06:00:00Z",
                         "installed_roles": ["Web-Server", "ADCS-Device-Enrollment"]}
    assert f["pending_reboot"] is False and f["log_window"] is None


def test_healthy_iis_facts():
    iis = build()["iis"]
    site = iis["sites"][0]
    assert site["log_folder"] == "C:\\inetpub\\logs\\LogFiles\\W3SVC1"
    assert site["bindings"][1] == {"protocol": "https", "binding": "*:443:"}
    assert iis["scep_app"] == {"found": True, "site": "Default Web Site", "path": "/CertSrv/mscep", "pool": "SCEP"}
    assert iis["request_limits"] == {
        "location": "Default Web Site/certsrv/mscep", "max_url": 65534, "max_url_origin": "MACHINE/WEBROOT/APPHOST",
        "max_url_origin_location": "Default Web Site", "max_query_string": 65534,
        "max_query_string_origin": "MACHINE/WEBROOT/APPHOST", "max_query_string_origin_location": "Default Web Site",
        "required": 65534, "ok": True}
    assert iis["certreg_auth"] == {"location": "Default Web Site/CertificateRegistrationSvc", "present": True,
                                   "anonymous_enabled": True, "windows_enabled": False, "ok": True}


def test_healthy_pool_rights_and_services():
    f = build()
    assert f["scep_pool"]["started"] is True and f["scep_pool"]["user"] == "svc-ndes"
    assert f["scep_pool"]["identity_type"] == "SpecificUser"
    assert f["user_rights"]["impersonate"]["iis_iusrs_holds"] is True
    assert f["services"]["WAPCSvc"] == {"exists": True, "status": "Running", "start_mode": "Auto", "ok": True}
    assert f["services"]["WAS"]["ok"] is True                       # Manual start is WAS's normal mode
    assert f["services"]["NDESConnectorSvc"] == {"exists": False, "status": None, "start_mode": None, "ok": None}
    assert f["proxy_connector"] == {"present": True, "ok": True, "updater_present": True, "updater_ok": True,
                                    "expected": False}
    assert f["connector"]["installed"] is True
    assert f["connector"]["products"][0]["name"] == "Certificate Connector for Microsoft Intune"
    assert f["connector"]["admin_errors"] == 0
    assert f["setup_msi"]["found"] is False                         # new connector: no legacy SetupMsi.log
    assert f["service_account"]["status"] == "known" and f["service_account"]["sid"] == R.SVC_SID
    assert f["service_account"]["problem"] is False
    assert f["temp_acl"]["network_service_can_write"] is True       # through BUILTIN\Users
    assert f["ie_esc"] == {"admin_enabled": False, "user_enabled": False}
    assert f["capi2"] == {"log_exists": True, "enabled": False, "errors": 0}
    assert f["chain"]["checked"] is True and f["chain"]["revocation_unreachable"] is False
    assert f["chain"]["thumbprint"] == R.POLICY
    assert f["mscep_templates"]["values_ok"] is True and f["mscep_templates"]["all_default"] is False


def test_healthy_certificates():
    f = build()
    pc = f["policy_cert"]
    assert pc["problem"] == "none" and pc["found"] is True and pc["thumbprint"] == R.POLICY
    assert pc["stored_normalized"] is True and pc["days_left"] == 300 and pc["expiring_soon"] is False
    assert pc["has_client_auth_eku"] is True and pc["names_missing"] == [] and pc["candidates"] == []
    ra = f["ra_certs"]
    assert [(c["role"], c["thumbprint"]) for c in ra["certs"]] == [("encryption", R.RA_ENC), ("signing", R.RA_SIGN)]
    assert ra["roles"]["signing"] == {"status": "ok", "thumbprint": R.RA_SIGN, "days_left": 500}
    assert ra["min_days_left"] == 500 and ra["any_expired"] is False and ra["missing_roles"] == []
    assert all(c["service_account_can_read"] is True for c in ra["certs"])
    assert ra["acl_missing"] == [] and ra["acl_unknown"] == []
    assert f["root_store"] == {"non_self_signed": [], "count": 0, "gpo_placed_count": 0, "undecided": []}


# ------------------------------------------------------------------ precomputed values
def test_days_left_and_expiry():
    results, _s = R.faulty("policy_cert_expired")
    pc = build(results)["policy_cert"]
    assert pc["problem"] == "expired" and pc["days_left"] == -3 and pc["not_after"] == "2026-11-22T21:00:00Z"
    results = R.healthy()
    R.find(R.data(results, "store_my")["certs"], R.POLICY)["not_after"] = R.iso(0, 12)
    pc = build(results)["policy_cert"]
    assert pc["problem"] == "none" and pc["days_left"] == 0 and pc["expiring_soon"] is True
    results, _s = R.faulty("ra_cert_expired")
    ra = build(results)["ra_certs"]
    signing = next(c for c in ra["certs"] if c["role"] == "signing")
    assert signing["expired"] is True and signing["days_left"] == -1
    assert ra["roles"]["signing"]["status"] == "expired" and ra["any_expired"] is True
    assert ra["unusable_roles"] == ["signing"] and ra["min_days_left"] == -1


def _name(cn, string_type):
    return base64.b64encode(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn, _type=string_type)])
                            .public_bytes()).decode("ascii")


def test_self_signed_compares_raw_der_names_not_display_strings():
    results = R.healthy()
    same_text = R.cert("AB" * 20, "Contoso Root CA", issuer_cn="Contoso Root CA", key=False)
    # same display string, different DER (PrintableString vs UTF8String): not self-signed
    same_text["subject_der_b64"] = _name("Contoso Root CA", _ASN1Type.PrintableString)
    same_text["issuer_der_b64"] = _name("Contoso Root CA", _ASN1Type.UTF8String)
    odd_text = R.cert("CD" * 20, "Fabrikam Root", issuer_cn="Fabrikam Root (display differs)", key=False)
    odd_text["issuer_der_b64"] = odd_text["subject_der_b64"]       # same DER: self-signed
    R.data(results, "store_root")["certs"] += [same_text, odd_text]
    root = build(results)["root_store"]
    assert [c["thumbprint"] for c in root["non_self_signed"]] == ["AB" * 20]
    assert root["count"] == 1


def test_root_intermediates_say_where_they_come_from():
    results, _s = R.faulty("root_intermediates")
    R.data(results, "store_root")["certs"].append(R.cert("99" * 20, "GPO Sub CA", issuer_cn="Contoso Root CA",
                                                         key=False, gpo=True))
    root = build(results)["root_store"]
    assert root["non_self_signed"] == [
        {"thumbprint": "99" * 20, "subject": "CN=GPO Sub CA,O=Contoso", "issuer": "CN=Contoso Root CA,O=Contoso",
         "gpo_placed": True, "in_ca_store": False},
        {"thumbprint": R.ISSUING_CA, "subject": "CN=Contoso Issuing CA,O=Contoso",
         "issuer": "CN=Contoso Root CA,O=Contoso", "gpo_placed": False, "in_ca_store": True}]
    assert root["gpo_placed_count"] == 1


def test_ra_roles_by_template_name_else_key_usage():
    results = R.healthy()
    certs = R.data(results, "store_my")["certs"]
    for c in certs:
        if c["thumbprint"] in (R.RA_SIGN, R.RA_ENC):        # v2 copies: template OID only
            c["template_name"] = None
            c["template_oid"] = "1.3.6.1.4.1.311.21.8.99.1"
    certs.append(R.cert("77" * 20, "NDES01-DUAL", days=30, ekus=[R.CERT_REQUEST_AGENT],
                        key_usage=["digital_signature", "key_encipherment"], acl=R.ra_acl()))
    ra = build(results)["ra_certs"]
    roles = dict((c["thumbprint"], c["role"]) for c in ra["certs"])
    assert roles == {R.RA_SIGN: "signing", R.RA_ENC: "encryption", "77" * 20: "dual"}
    assert ra["roles"]["signing"]["thumbprint"] == R.RA_SIGN        # the longest-lived valid one per role


def test_ra_missing_and_keyless_roles():
    results, _s = R.faulty("ra_cert_missing")
    ra = build(results)["ra_certs"]
    assert ra["missing_roles"] == ["encryption"] and ra["encryption_found"] is False
    results = R.healthy()
    R.find(R.data(results, "store_my")["certs"], R.RA_SIGN)["has_private_key"] = False
    ra = build(results)["ra_certs"]
    assert ra["roles"]["signing"]["status"] == "keyless" and ra["unusable_roles"] == ["signing"]


def test_service_account_can_read_from_key_acl_sids():
    results, _s = R.faulty("ra_key_acl")
    f = build(results)
    enc = next(c for c in f["ra_certs"]["certs"] if c["role"] == "encryption")
    assert enc["service_account_can_read"] is False and enc["key_acl_sids"] == ["S-1-5-18", "S-1-5-32-544"]
    assert f["ra_certs"]["acl_missing"] == [R.RA_ENC]
    # an ACE for IIS_IUSRS (in every worker token) is enough, even without the account's SID
    results = copy.deepcopy(results)
    R.find(R.data(results, "store_my")["certs"], R.RA_ENC)["key_acl"].append({"sid": R.IIS_IUSRS, "rights": ["read"]})
    R.data(results, "service_account")["sid"] = None
    results["service_principal"] = R.failed("service_principal", "access_denied", "no")
    f = build(results)
    assert f["service_account"]["sid"] is None
    enc = next(c for c in f["ra_certs"]["certs"] if c["role"] == "encryption")
    sign = next(c for c in f["ra_certs"]["certs"] if c["role"] == "signing")
    assert enc["service_account_can_read"] is True and sign["service_account_can_read"] is None
    assert f["ra_certs"]["acl_unknown"] == [R.RA_SIGN]
    assert "ra_certs.acl" in unknown_paths(f)


@pytest.mark.parametrize("case, problem", [
    ("policy_cert_missing", "missing"), ("policy_cert_unset", "unset"), ("policy_cert_keyless", "keyless"),
    ("policy_cert_no_client_auth", "no_client_auth_eku"), ("policy_cert_expired", "expired"),
])
def test_policy_cert_problems(case, problem):
    results, _s = R.faulty(case)
    f = build(results)
    assert f["policy_cert"]["problem"] == problem
    assert f["unknown"] == []                 # the chain read failing on a missing cert is not "unknown"


def test_policy_cert_candidates_are_valid_replacements_naming_the_host():
    results, _s = R.faulty("policy_cert_expired")
    certs = R.data(results, "store_my")["certs"]
    certs += [
        R.cert("11" * 20, "NDES01", days=200, ekus=[R.CLIENT_AUTH], san=[]),                      # CN = hostname
        R.cert("12" * 20, "x", days=400, ekus=[R.CLIENT_AUTH], san=["*.contoso.com"]),             # wildcard SAN
        R.cert("13" * 20, "ndes01.contoso.com", days=-1, ekus=[R.CLIENT_AUTH]),                    # expired
        R.cert("14" * 20, "ndes01.contoso.com", days=100, key=False, ekus=[R.CLIENT_AUTH]),        # keyless
        R.cert("15" * 20, "ndes01.contoso.com", days=100, ekus=[R.SERVER_AUTH]),                   # no client auth
        R.cert("16" * 20, "other.contoso.com", days=100, ekus=[R.CLIENT_AUTH]),                    # another host
    ]
    pc = build(results)["policy_cert"]
    assert [c["thumbprint"] for c in pc["candidates"]] == ["12" * 20, "11" * 20]
    assert pc["candidates"][0]["days_left"] == 400 and pc["candidates"][0]["san_dns"] == ["*.contoso.com"]


def test_policy_thumbprint_copied_with_spaces_and_marks_is_normalised():
    results = R.healthy()
    spaced = "\u200e" + " ".join(R.POLICY[i:i + 2] for i in range(0, 40, 2)).lower()
    R.data(results, "mscep")["tree"]["Modules"]["subkeys"]["NDESPolicy"]["values"]["NDESCertThumbprint"] = \
        R.reg(spaced)
    pc = build(results)["policy_cert"]
    assert pc["thumbprint"] == R.POLICY and pc["found"] is True and pc["stored_normalized"] is False
    assert pc["value"] == spaced


def test_policy_cert_names_required_include_external_names():
    pc = build(settings={"external_names": ["scep.contoso.com", "ndes01.contoso.com"]})["policy_cert"]
    assert pc["names_required"] == ["ndes01.contoso.com", "scep.contoso.com", "ndes01.contoso.com"]
    assert pc["names_missing"] == ["scep.contoso.com"]


# ------------------------------------------------------------------ HTTP.sys in effect (inferred)
@pytest.mark.parametrize("last_write, values_, set_, in_effect, pending", [
    (R.BEFORE_BOOT, {"MaxFieldLength": 65534}, 65534, 65534, False),    # set before boot: in effect
    (R.AFTER_BOOT, {"MaxFieldLength": 65534}, 65534, 16384, True),      # written since boot: default assumed
    (R.BEFORE_BOOT, {}, None, 16384, False),                            # absent: the Windows default
    (R.AFTER_BOOT, {}, None, 16384, False),
    (R.BEFORE_BOOT, {"MaxFieldLength": 32768}, 32768, 32768, False),
])
def test_httpsys_set_versus_in_effect(last_write, values_, set_, in_effect, pending):
    results = R.healthy()
    data = R.data(results, "httpsys")
    data["last_write"] = last_write
    data["values"] = dict((k, R.reg(v, "REG_DWORD")) for k, v in values_.items())
    data["values"]["MaxRequestBytes"] = R.reg(65534, "REG_DWORD")
    h = build(results)["httpsys"]
    assert h["max_field_length"]["set"] == set_
    assert h["max_field_length"]["in_effect"] == in_effect
    assert h["max_field_length"]["set_ok"] is (set_ is not None and set_ >= 65534)
    assert h["in_effect_inferred"] is True
    assert h["max_request_bytes"]["in_effect"] == (16384 if last_write == R.AFTER_BOOT else 65534)
    assert h["pending_reboot"] is (pending or last_write == R.AFTER_BOOT)
    assert h["written_since_boot"] is (last_write == R.AFTER_BOOT)


def test_httpsys_absent_key_unknown_times_and_wrong_types():
    results = R.healthy()
    R.data(results, "httpsys").update(exists=False, last_write=None, values={})
    h = build(results)["httpsys"]
    assert h["max_field_length"] == {"set": None, "in_effect": 16384, "set_ok": False, "ok": False}
    assert h["pending_reboot"] is False
    results = R.healthy()
    R.data(results, "httpsys")["last_write"] = None
    f = build(results)
    assert f["httpsys"]["max_field_length"]["in_effect"] is None and f["pending_reboot"] is None
    assert unknown_paths(f) == ["httpsys.in_effect"]
    results = R.healthy()
    R.data(results, "httpsys")["values"]["MaxFieldLength"] = R.reg("65534", "REG_SZ")
    h = build(results)["httpsys"]
    assert h["max_field_length"]["set"] is None and h["max_field_length"]["ignored_type"] == "REG_SZ"


# ------------------------------------------------------------------ unknown, never healthy
def test_a_failed_read_is_unknown_not_healthy():
    results = R.healthy()
    results["impersonate"] = R.failed("impersonate", "access_denied", "LsaOpenPolicy: access denied")
    f = build(results)
    assert f["user_rights"]["impersonate"]["iis_iusrs_holds"] is None
    assert f["unknown"] == [{"path": "user_rights.impersonate",
                             "reason": "read impersonate (user_right) failed: access_denied: "
                                       "LsaOpenPolicy: access denied"}]


def test_every_read_failing_leaves_no_healthy_value():
    results = dict((op, R.failed(op, "internal", "boom")) for op in R.healthy())
    f = build(results)
    assert f["iis"]["request_limits"]["ok"] is None and f["iis"]["certreg_auth"]["ok"] is None
    assert f["policy_cert"]["problem"] is None and f["ra_certs"]["any_expired"] is None
    assert f["root_store"]["count"] is None and f["httpsys"]["set_ok"] is None
    assert f["service_account"]["status"] == "unknown" and f["temp_acl"]["network_service_can_write"] is None
    assert f["connector"]["installed"] is None and f["proxy_connector"]["ok"] is None
    assert {"host", "iis.sites", "iis.request_limits", "iis.certreg_auth", "app_pools", "scep_pool", "httpsys",
            "user_rights.impersonate", "policy_cert", "ra_certs", "root_store", "mscep_templates", "services",
            "crashes", "connector", "service_account", "chain", "capi2", "temp_acl", "ie_esc"} <= \
        set(unknown_paths(f))


def test_service_account_double_hop_is_unknown_but_the_sid_still_comes_from_lsa():
    results = R.healthy()
    results["service_account"] = R.ok("service_account", {
        "status": "unknown", "reason": "the domain could not be contacted (WinRM double hop?)",
        "resolved": {"account": "CONTOSO\\svc-ndes"}})
    f = build(results)
    sa = f["service_account"]
    assert sa["status"] == "unknown" and sa["problem"] is None and sa["sid"] == R.SVC_SID
    assert sa["name"] == "CONTOSO\\svc-ndes"
    assert f["unknown"] == [{"path": "service_account",
                             "reason": "the domain could not be contacted (WinRM double hop?)"}]
    assert f["ra_certs"]["acl_unknown"] == []


def test_builtin_pool_identity_has_no_domain_account_to_check():
    results = R.healthy()
    pool = R.data(results, "app_pools")["pools"][1]
    pool.update(identity_type="ApplicationPoolIdentity", user_name=None)
    results["service_account"] = R.failed("service_account", "not_found",
                                          "placeholder @pool_user:SCEP: the pool is not SpecificUser")
    results["service_principal"] = R.failed("service_principal", "not_found", "placeholder @pool_user:SCEP")
    f = build(results)
    sa = f["service_account"]
    assert sa["status"] == "not_applicable" and sa["source"] == "builtin"
    assert sa["sid"] == values.apppool_sid("SCEP") and sa["sid"].startswith("S-1-5-82-")
    assert f["unknown"] == []
    assert values.apppool_sid("DefaultAppPool") == "S-1-5-82-3006700770-424185619-1745488364-794895919-4004696415"


def test_agent_ignoring_recurse_makes_the_policy_cert_unknown():
    results = R.healthy()
    del R.data(results, "mscep")["tree"]
    f = build(results)
    assert f["policy_cert"]["problem"] is None and f["policy_cert"]["found"] is None
    assert f["mscep_templates"]["values_ok"] is True            # the top-level values were read
    assert unknown_paths(f) == ["policy_cert"]


# ------------------------------------------------------------------ events, files, ACLs, registry flags
def test_crashes_count_w3wp_and_scep_pool_was_events():
    results, _s = R.faulty("app_pool_stopped")
    R.data(results, "was_events")["events"] += [
        {"id": 5009, "provider": "Microsoft-Windows-WAS", "log": "System", "time": R.iso(-2), "record_id": 70,
         "level": 3, "properties": ["SCEP", "4242", "0x0000374"]},
        {"id": 5009, "provider": "Microsoft-Windows-WAS", "log": "System", "time": R.iso(-3), "record_id": 69,
         "level": 3, "properties": ["DefaultAppPool", "4243", "0xC0000005"]}]
    R.data(results, "app_errors")["events"].append(
        {"id": 1000, "provider": "Application Error", "log": "Application", "time": R.iso(-4), "record_id": 3,
         "level": 2, "properties": ["explorer.exe"]})
    c = build(results)["crashes"]
    assert c["w3wp_count"] == 1 and c["was_count"] == 2 and c["exit_codes"] == ["0x374"]
    assert c["last"] == R.iso(-1) and [e["id"] for e in c["events"]] == [5009, 1000, 5002]


def test_setup_msi_outcome_from_a_localized_log():
    with open(os.path.join(FIXTURES, "setupmsi", "SetupMsi_localized_it.log"), encoding="utf-8") as handle:
        content = handle.read()
    results = R.healthy()
    results["setup_msi"] = R.ok("setup_msi", {"files": [{
        "path": "C:\\NDESConnectorSetup\\SetupMsi.log", "size": len(content), "modified": R.BEFORE_BOOT,
        "offset": 0, "content": content, "truncated": False, "encoding": "utf-8"}]})
    s = build(results)["setup_msi"]
    assert s == {"found": True, "path": "C:\\NDESConnectorSetup\\SetupMsi.log", "status": 0, "success": True,
                 "reboot_required": False}
    results, _s = R.faulty("url_not_403_setup_failed")
    assert build(results)["setup_msi"]["status"] == 1603


def test_legacy_connector_product_is_recognised_and_absence_is_false():
    results, _s = R.faulty("url_not_403_no_connector")
    assert build(results)["connector"]["installed"] is False
    R.data(results, "uninstall_wow64")["tree"] = {"{LEGACY}": {"values": {
        "DisplayName": R.reg("Microsoft Intune Connector"), "DisplayVersion": R.reg("6.1711.4.0")}, "subkeys": {}}}
    connector = build(results)["connector"]
    assert connector["installed"] is True
    assert connector["products"] == [{"name": "Microsoft Intune Connector", "version": "6.1711.4.0",
                                      "key": "{LEGACY}"}]


def test_temp_acl_deny_wins_and_missing_write_is_false():
    results, _s = R.faulty("temp_acl")
    assert build(results)["temp_acl"]["network_service_can_write"] is False
    results = R.healthy()
    R.data(results, "temp_acl")["aces"].append({"sid": R.NETWORK_SERVICE, "rights": ["write"], "type": "deny",
                                                "inherited": False})
    t = build(results)["temp_acl"]
    assert t["network_service_can_write"] is False and t["network_service_explicit"] is True


def test_ie_esc_and_host_roles():
    results, _s = R.faulty("ie_esc")
    assert build(results)["ie_esc"] == {"admin_enabled": True, "user_enabled": False}
    R.data(results, "ie_esc_user")["exists"] = False
    assert build(results)["ie_esc"]["user_enabled"] is False
    results, _s = R.faulty("host_role_dc")
    assert build(results)["host"]["is_domain_controller"] is True


def test_log_window_records_the_resolved_folder():
    results = R.healthy()
    results["w3c_log"] = R.ok("w3c_log", {"files": [{"path": "C:\\inetpub\\logs\\LogFiles\\W3SVC1\\u_ex261125.log",
                                                     "size": 120, "modified": R.iso(), "offset": 0, "content": "",
                                                     "truncated": True, "encoding": "utf-8"}],
                                          "resolved": {"directory": "C:\\inetpub\\logs\\LogFiles\\W3SVC1"}})
    results["httperr_log"] = R.failed("httperr_log", "access_denied", "denied")
    f = build(results)
    assert f["log_window"]["w3c"]["folder"] == "C:\\inetpub\\logs\\LogFiles\\W3SVC1"
    assert f["log_window"]["w3c"]["files"][0]["truncated"] is True
    assert f["log_window"]["httperr"] == {"folder": None, "files": None}
    assert unknown_paths(f) == ["log_window.httperr"]


def test_clock_defaults_to_the_hosts_and_bad_now_is_refused():
    f = F.build_facts(R.healthy(), {})
    assert f["collected_at"] == "2026-11-25T21:00:00Z"
    with pytest.raises(ValueError, match="now"):
        F.build_facts(R.healthy(), {}, now="yesterday")
    with pytest.raises(ValueError, match="unknown NDES setting"):
        F.build_facts(R.healthy(), {"sitee": "x"})


def test_value_helpers():
    assert values.parse_time("2026-11-25T21:00:00.1234567Z") == values.parse_time("2026-11-25T21:00:00.123456+00:00")
    assert values.parse_time("\\/Date(1)\\/") is None
    assert values.parse_time("2026-11-25T21:00:00.12Z").microsecond == 120000          # Python 3.10 too
    assert values.thumbprint("\u200ea1 b2") == "A1B2" and values.thumbprint("  ") is None
    assert values.name_matches("*.contoso.com", "ndes01.contoso.com")
    assert not values.name_matches("*.contoso.com", "a.b.contoso.com")
    assert values.subject_cns("CN=a\\,b,O=x,CN=c") == ["a,b", "c"]
    assert values.account_user("svc-ndes@contoso.com") == "svc-ndes"
    assert values.as_int("0x374") == 884 and values.as_int(True) is None


def test_connector_last_connection_and_staleness():
    c = build()["connector"]
    assert c["stale"] is False and c["last_connection_hours"] == 0.1
    results, _s = R.faulty("connector_health_stale")
    c = build(results)["connector"]
    assert c["stale"] is True and c["last_connection_hours"] == 240.0
    assert build(results, {"connector_stale_hours": 300})["connector"]["stale"] is False
    R.data(results, "connector_status")["values"]["LastConnectionTime"] = R.reg("25/11/2026 21:00:00")
    f = build(results)
    assert f["connector"]["stale"] is None and f["connector"]["last_connection"] == "25/11/2026 21:00:00"
    assert unknown_paths(f) == ["connector.last_connection"]
    R.data(results, "connector_status").update(exists=False, values={})
    f = build(results)
    assert f["connector"]["last_connection"] is None and f["unknown"] == []


def test_template_display_names_are_not_template_names():
    results, _s = R.faulty("mscep_templates_display_name")
    t = build(results)["mscep_templates"]
    assert t["display_names"] == ["NDES Intune"] and t["all_default"] is False and t["values_ok"] is False
    t = build(settings={"scep_template": "scepintune"})["mscep_templates"]
    assert t["values_ok"] is True and t["expected"] == "scepintune"
    t = build(settings={"scep_template": "OtherTemplate"})["mscep_templates"]
    assert t["values_ok"] is False


# ------------------------------------------------------------------ user right: GPO definition unknown
def test_impersonate_gpo_definition_unknown_stays_none():
    results = R.healthy()
    R.data(results, "impersonate").update(gpo_defined=None, gpo_holders=[], gpo_source=None)   # RSOP unreadable
    f = build(results)
    imp = f["user_rights"]["impersonate"]
    assert imp["gpo_defined"] is None and imp["gpo_holders"] is None and imp["gpo_grants_iis_iusrs"] is None
    assert imp["iis_iusrs_holds"] is True                           # the holders were read all the same
    assert "user_rights.impersonate" not in unknown_paths(f)        # the right itself was checked


def test_impersonate_gpo_definition_read_is_kept_as_bool():
    results = R.healthy()
    R.data(results, "impersonate").update(gpo_defined=True, gpo_holders=["S-1-5-32-544"], gpo_source="Baseline")
    imp = build(results)["user_rights"]["impersonate"]
    assert imp["gpo_defined"] is True and imp["gpo_holders"] == ["S-1-5-32-544"]
    assert imp["gpo_grants_iis_iusrs"] is False
    assert build()["user_rights"]["impersonate"]["gpo_defined"] is False


def test_the_default_windows_temp_acl_lets_network_service_write():
    # Windows Server's own %windir%\Temp: no NETWORK SERVICE entry; BUILTIN\Users 0x100026 (CreateFiles,
    # AppendData, Traverse), which the Windows agent names special + create_files + append_data.
    results = R.healthy()
    aces = R.data(results, "temp_acl")["aces"]
    aces[:] = [a for a in aces if a["sid"] != R.NETWORK_SERVICE]
    users = [{"sid": "S-1-5-32-545", "rights": ["special", "create_files", "append_data"], "type": "allow",
              "inherited": False}]
    aces[:] = [a for a in aces if a["sid"] != "S-1-5-32-545"] + users
    t = build(results)["temp_acl"]
    assert t["network_service_can_write"] is True and t["network_service_explicit"] is False
    users[0]["rights"] = ["special"]                     # what the agent named that ACE before: no write seen
    aces[-1] = users[0]
    assert build(results)["temp_acl"]["network_service_can_write"] is False
