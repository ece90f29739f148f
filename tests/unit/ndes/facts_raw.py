# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Hand-built raw read results in the contract's shapes: a healthy NDES host and one mutation per fault."""
from __future__ import annotations

import base64
import copy
import datetime

from cryptography import x509
from cryptography.x509.oid import NameOID

from ansible_collections.ndes.scep.plugins.module_utils._agent import contract
from ansible_collections.ndes.scep.plugins.module_utils._ndes import gather

NOW = datetime.datetime(2026, 11, 25, 21, 0, 0, tzinfo=datetime.timezone.utc)
BOOT = "2026-11-20T06:00:00Z"
BEFORE_BOOT = "2026-10-01T09:30:00Z"
AFTER_BOOT = "2026-11-24T10:15:00Z"

SVC_SID = "S-1-5-21-1111111111-2222222222-3333333333-1105"
SYSTEM, ADMINS, USERS, IIS_IUSRS, NETWORK_SERVICE = "S-1-5-18", "S-1-5-32-544", "S-1-5-32-545", \
    "S-1-5-32-568", "S-1-5-20"

POLICY = "A1" * 20
RA_SIGN = "B2" * 20
RA_ENC = "C3" * 20
OTHER_CLIENT = "D4" * 20
ROOT_CA = "E5" * 20
ISSUING_CA = "F6" * 20

CLIENT_AUTH = "1.3.6.1.5.5.7.3.2"
SERVER_AUTH = "1.3.6.1.5.5.7.3.1"
CERT_REQUEST_AGENT = "1.3.6.1.4.1.311.20.2.1"

NDES_POLICY_VALUE = POLICY.lower()      # stored as the seed says: lower case, no spaces
POLICY_PLACEHOLDER = contract.placeholder("registry", gather.NDES_POLICY_KEY + "\\NDESCertThumbprint")
POOL_PLACEHOLDER = contract.placeholder("pool_user", "SCEP")


def iso(days=0, hours=0):
    return (NOW + datetime.timedelta(days=days, hours=hours)).strftime("%Y-%m-%dT%H:%M:%SZ")


def name_der(cn, org="Contoso"):
    """Raw DER of a real X.501 Name, base64 (what the agents put in *_der_b64)."""
    name = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, org),
                      x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    return base64.b64encode(name.public_bytes()).decode("ascii")


def cert(thumb, cn, issuer_cn="Contoso Issuing CA", days=365, start=-30, key=True, ekus=(), key_usage=(),
         template_name=None, template_oid=None, san=(), acl=None, gpo=None):
    record = {
        "thumbprint": thumb, "subject": "CN=%s,O=Contoso" % cn, "issuer": "CN=%s,O=Contoso" % issuer_cn,
        "subject_der_b64": name_der(cn), "issuer_der_b64": name_der(issuer_cn),
        "serial": thumb[:16], "not_before": iso(start), "not_after": iso(days),
        "has_private_key": key, "key_provider": "Microsoft Software Key Storage Provider" if key else None,
        "ekus": list(ekus), "key_usage": list(key_usage), "template_oid": template_oid,
        "template_name": template_name, "san_dns": list(san),
        "key_acl": list(acl) if acl is not None else ([] if not key else
                                                      [{"sid": SYSTEM, "rights": ["full_control"]},
                                                       {"sid": ADMINS, "rights": ["full_control"]}]),
        "archived": False, "der_b64": base64.b64encode(thumb.encode("ascii")).decode("ascii"),
    }
    if gpo is not None:
        record["gpo_placed"] = gpo
    return record


def ra_acl():
    return [{"sid": SYSTEM, "rights": ["full_control"]}, {"sid": ADMINS, "rights": ["full_control"]},
            {"sid": SVC_SID, "rights": ["read"]}]


def my_store():
    return [
        cert(POLICY, "ndes01.contoso.com", days=300, ekus=[SERVER_AUTH, CLIENT_AUTH],
             key_usage=["digital_signature", "key_encipherment"], san=["ndes01.contoso.com"],
             template_oid="1.3.6.1.4.1.311.21.8.1.2.3.4.5.6.7"),
        cert(RA_SIGN, "NDES01-MSCEP-RA", days=500, ekus=[CERT_REQUEST_AGENT], key_usage=["digital_signature"],
             template_name="EnrollmentAgentOffline", acl=ra_acl()),
        cert(RA_ENC, "NDES01-MSCEP-RA", days=520, ekus=[CERT_REQUEST_AGENT], key_usage=["key_encipherment"],
             template_name="CEPEncryption", acl=ra_acl()),
    ]


def root_store():
    return [cert(ROOT_CA, "Contoso Root CA", issuer_cn="Contoso Root CA", days=3000, key=False, gpo=False),
            cert("0E" * 20, "Microsoft Root Certificate Authority 2011",
                 issuer_cn="Microsoft Root Certificate Authority 2011", days=3000, key=False, gpo=False)]


def ca_store():
    return [cert(ISSUING_CA, "Contoso Issuing CA", issuer_cn="Contoso Root CA", days=1500, key=False)]


def reg(value, vtype="REG_SZ"):
    return {"type": vtype, "value": value}


def svc(status="Running", mode="Auto", exists=True):
    if not exists:
        return {"exists": False}
    return {"exists": True, "status": status, "start_mode": mode, "image_path": "C:\\svc.exe",
            "account": "LocalSystem"}


def healthy_data():
    """op id -> data of a healthy NDES server (new Intune certificate connector, App Proxy connector here)."""
    return {
        "system": {"hostname": "NDES01", "fqdn": "ndes01.contoso.com", "domain_role": 3,
                   "os_version": "10.0.20348", "last_boot": BOOT, "now": iso(),
                   "installed_roles": ["Web-Server", "ADCS-Device-Enrollment"], "agent": "lab"},
        "iis_sites": {"sites": [{
            "id": 1, "name": "Default Web Site", "state": "Started",
            "log_directory": "%SystemDrive%\\inetpub\\logs\\LogFiles",
            "log_directory_expanded": "C:\\inetpub\\logs\\LogFiles", "log_format": "W3C",
            "bindings": [{"protocol": "http", "binding_information": "*:80:"},
                         {"protocol": "https", "binding_information": "*:443:"}],
            "applications": [
                {"path": "/", "pool": "DefaultAppPool", "physical_path": "%SystemDrive%\\inetpub\\wwwroot"},
                {"path": "/CertSrv/mscep", "pool": "SCEP", "physical_path": "C:\\Windows\\system32\\CertSrv\\mscep"},
                {"path": "/CertSrv/mscep_admin", "pool": "SCEP",
                 "physical_path": "C:\\Windows\\system32\\CertSrv\\mscep"},
                {"path": "/CertificateRegistrationSvc", "pool": "DefaultAppPool",
                 "physical_path": "C:\\Program Files\\Microsoft Intune\\CertificateRegistrationSvc"}]}]},
        "app_pools": {"pools": [
            {"name": "DefaultAppPool", "state": "Started", "auto_start": True, "start_mode": "OnDemand",
             "identity_type": "ApplicationPoolIdentity", "user_name": None},
            {"name": "SCEP", "state": "Started", "auto_start": True, "start_mode": "OnDemand",
             "identity_type": "SpecificUser", "user_name": "CONTOSO\\svc-ndes", "rapid_fail_protection": True}]},
        "request_limits": {"attributes": {"maxUrl": 65534, "maxQueryString": 65534},
                           "origin": {"maxUrl": {"path": "MACHINE/WEBROOT/APPHOST", "location": "Default Web Site",
                                                 "is_default": False},
                                      "maxQueryString": {"path": "MACHINE/WEBROOT/APPHOST",
                                                         "location": "Default Web Site", "is_default": False}},
                           "locked": False},
        "certreg_anonymous": {"attributes": {"enabled": True},
                              "origin": {"enabled": {"path": "MACHINE/WEBROOT/APPHOST", "is_default": False,
                                                     "location": "Default Web Site/CertificateRegistrationSvc"}},
                              "locked": True},
        "certreg_windows": {"attributes": {"enabled": False},
                            "origin": {"enabled": {"path": "MACHINE/WEBROOT/APPHOST", "is_default": False,
                                                   "location": "Default Web Site/CertificateRegistrationSvc"}},
                            "locked": True},
        "httpsys": {"exists": True, "last_write": BEFORE_BOOT,
                    "values": {"MaxFieldLength": reg(65534, "REG_DWORD"), "MaxRequestBytes": reg(65534, "REG_DWORD")},
                    "subkeys": []},
        "impersonate": {"holders": [ADMINS, "S-1-5-6", "S-1-5-19", NETWORK_SERVICE, IIS_IUSRS],
                        "gpo_defined": False, "gpo_holders": [], "gpo_source": None},
        "mscep": {"exists": True, "last_write": BEFORE_BOOT,
                  "values": {"SignatureTemplate": reg("SCEPIntune"), "EncryptionTemplate": reg("SCEPIntune"),
                             "GeneralPurposeTemplate": reg("SCEPIntune")},
                  "subkeys": ["CAInfo", "Modules"],
                  "tree": {"CAInfo": {"values": {"Configuration": reg("ca01.contoso.com\\Contoso Issuing CA")},
                                      "last_write": BEFORE_BOOT, "subkeys": {}},
                           "Modules": {"values": {}, "last_write": BEFORE_BOOT, "subkeys": {
                               "NDESPolicy": {"values": {"NDESCertThumbprint": reg(NDES_POLICY_VALUE)},
                                              "last_write": BEFORE_BOOT, "subkeys": {}}}}}},
        "store_my": {"certs": my_store()},
        "store_root": {"certs": root_store()},
        "store_ca": {"certs": ca_store()},
        "policy_chain": {"status": [], "urls": ["http://pki.contoso.com/crl/ContosoIssuingCA.crl",
                                                "http://pki.contoso.com/aia/ContosoIssuingCA.crt"],
                         "elements": [{"thumbprint": POLICY, "subject": "CN=ndes01.contoso.com", "status": []},
                                      {"thumbprint": ISSUING_CA, "subject": "CN=Contoso Issuing CA", "status": []},
                                      {"thumbprint": ROOT_CA, "subject": "CN=Contoso Root CA", "status": []}],
                         "resolved": {"thumbprint": POLICY}},
        "services": {"services": {"WAPCSvc": svc(), "WAPCUpdaterSvc": svc(), "W3SVC": svc(),
                                  "WAS": svc(mode="Manual"), "PFXCertificateConnectorSvc": svc(),
                                  "PKICertificateConnectorSvc": svc(), "NDESConnectorSvc": svc(exists=False)}},
        "app_errors": {"events": [], "log_exists": True, "log_enabled": True},
        "was_events": {"events": [], "log_exists": True, "log_enabled": True},
        "connector_events": {"events": [], "log_exists": True, "log_enabled": True},
        "capi2": {"events": [], "log_exists": True, "log_enabled": False},
        "uninstall": {"exists": True, "last_write": BEFORE_BOOT, "values": {}, "subkeys": ["{0A1B2C3D-0000-4000-8000-000000000001}"],
                      "tree": {"{0A1B2C3D-0000-4000-8000-000000000001}": {
                          "values": {"DisplayName": reg("Certificate Connector for Microsoft Intune"),
                                     "DisplayVersion": reg("6.2301.1.0"), "Publisher": reg("Microsoft Corporation")},
                          "last_write": BEFORE_BOOT, "subkeys": {}}}},
        "uninstall_wow64": {"exists": True, "last_write": BEFORE_BOOT, "values": {}, "subkeys": [], "tree": {}},
        "connector_status": {"exists": True, "last_write": iso(0, -0.07), "subkeys": [],
                             "values": {"LastConnectionTime": reg(iso(0, -0.07))}},
        "service_account": {"status": "known", "reason": None, "locked": False, "password_expired": False,
                            "disabled": False, "sid": SVC_SID, "resolved": {"account": "CONTOSO\\svc-ndes"}},
        "service_principal": {"principals": {POOL_PLACEHOLDER: SVC_SID},
                              "resolved": {"names": ["CONTOSO\\svc-ndes"]}},
        "temp_acl": {"owner_sid": SYSTEM, "aces": [
            {"sid": USERS, "rights": ["write_data", "append_data", "traverse"], "type": "allow", "inherited": False},
            {"sid": IIS_IUSRS, "rights": ["read"], "type": "allow", "inherited": False},
            {"sid": SYSTEM, "rights": ["full_control"], "type": "allow", "inherited": False},
            {"sid": ADMINS, "rights": ["full_control"], "type": "allow", "inherited": False}]},
        "ie_esc_admin": {"exists": True, "last_write": BEFORE_BOOT, "values": {"IsInstalled": reg(0, "REG_DWORD")},
                         "subkeys": []},
        "ie_esc_user": {"exists": True, "last_write": BEFORE_BOOT, "values": {"IsInstalled": reg(0, "REG_DWORD")},
                        "subkeys": []},
    }


def kinds():
    return dict((op_id, kind) for op_id, kind, _a in gather.info_ops({}, logs=True))


def ok(op_id, data):
    return {"id": op_id, "kind": kinds()[op_id], "status": "ok", "data": data}


def failed(op_id, code, message):
    return {"id": op_id, "kind": kinds()[op_id], "status": "failed", "error": {"code": code, "message": message}}


def healthy():
    """``{op id: result}`` of a healthy host; the legacy SetupMsi.log is absent (new connector)."""
    results = dict((op_id, ok(op_id, data)) for op_id, data in healthy_data().items())
    results["setup_msi"] = failed("setup_msi", "not_found", "C:\\NDESConnectorSetup does not exist")
    return results


def data(results, op_id):
    return results[op_id]["data"]


def find(certs, thumb):
    return next(c for c in certs if c["thumbprint"] == thumb)


# ------------------------------------------------------------------ one mutation per fault
def _impersonate(r):
    data(r, "impersonate")["holders"].remove(IIS_IUSRS)


def _setup_failed(r):
    r["setup_msi"] = ok("setup_msi", {"files": [{
        "path": "C:\\NDESConnectorSetup\\SetupMsi.log", "size": 400, "modified": BEFORE_BOOT, "offset": 0,
        "truncated": False, "encoding": "utf-16-le",
        "content": "MSI (s) (20:5C) [09:17:19:129]: Product: Microsoft Intune Connector -- Installation failed.\r\n"
                   "MSI (s) (20:5C) [09:17:19:130]: Windows Installer installed the product. Product Name: "
                   "Microsoft Intune Connector. Installation success or error status: 1603.\r\n"}]})


def _no_connector(r):
    data(r, "uninstall")["tree"] = {}
    data(r, "uninstall")["subkeys"] = []
    services = data(r, "services")["services"]
    for name in ("PFXCertificateConnectorSvc", "PKICertificateConnectorSvc"):
        services[name] = svc(exists=False)


def _pool_stopped(r):
    pool = data(r, "app_pools")["pools"][1]
    pool["state"] = "Stopped"
    data(r, "was_events")["events"] = [
        {"id": 5002, "provider": "Microsoft-Windows-WAS", "log": "System", "time": iso(-1), "record_id": 77,
         "level": 2, "properties": ["SCEP"]}]
    data(r, "app_errors")["events"] = [
        {"id": 1000, "provider": "Application Error", "log": "Application", "time": iso(-1, -1), "record_id": 12,
         "level": 2, "properties": ["w3wp.exe", "10.0.20348.1", "0x5215df96", "ntdll.dll"]}]


def _w3svc_stopped(r):
    data(r, "services")["services"]["W3SVC"] = svc(status="Stopped")


def _root_intermediate(r):
    data(r, "store_root")["certs"].append(cert(ISSUING_CA, "Contoso Issuing CA", issuer_cn="Contoso Root CA",
                                               days=1500, key=False, gpo=False))


def _crl(r):
    data(r, "policy_chain")["status"] = ["RevocationStatusUnknown", "OfflineRevocation"]


def _crs_windows(r):
    data(r, "certreg_windows")["attributes"]["enabled"] = True


def _policy_expired(r):
    find(data(r, "store_my")["certs"], POLICY)["not_after"] = iso(-3)


def _policy_missing(r):
    value = "ff" * 20
    data(r, "mscep")["tree"]["Modules"]["subkeys"]["NDESPolicy"]["values"]["NDESCertThumbprint"] = reg(value)
    r["policy_chain"] = failed("policy_chain", "not_found", "certificate %s not in LocalMachine\\My" % value.upper())


def _policy_unset(r):
    data(r, "mscep")["tree"]["Modules"]["subkeys"]["NDESPolicy"]["values"] = {}
    r["policy_chain"] = failed("policy_chain", "not_found", "placeholder @registry: value NDESCertThumbprint absent")


def _policy_keyless(r):
    find(data(r, "store_my")["certs"], POLICY)["has_private_key"] = False


def _policy_no_eku(r):
    find(data(r, "store_my")["certs"], POLICY)["ekus"] = [SERVER_AUTH]


def _policy_expiring(r):
    find(data(r, "store_my")["certs"], POLICY)["not_after"] = iso(10)


def _proxy_down(r):
    data(r, "services")["services"]["WAPCSvc"] = svc(status="Stopped", mode="Manual")


def _proxy_updater(r):
    data(r, "services")["services"]["WAPCUpdaterSvc"] = svc(status="Stopped", mode="Disabled")


def _request_limits(r):
    data(r, "request_limits")["attributes"] = {"maxUrl": 4096, "maxQueryString": 2048}
    data(r, "request_limits")["origin"] = {"maxUrl": {"path": "MACHINE/WEBROOT/APPHOST", "is_default": True},
                                           "maxQueryString": {"path": "MACHINE/WEBROOT/APPHOST", "is_default": True}}


def _request_limits_webconfig(r):
    data(r, "request_limits")["attributes"]["maxQueryString"] = 2048
    data(r, "request_limits")["origin"]["maxQueryString"] = {
        "path": "MACHINE/WEBROOT/APPHOST/Default Web Site", "is_default": False}


def _httpsys(r):
    del data(r, "httpsys")["values"]["MaxFieldLength"]


def _service_account_locked(r):
    data(r, "service_account")["locked"] = True


def _ra_expired(r):
    find(data(r, "store_my")["certs"], RA_SIGN)["not_after"] = iso(-1)


def _ra_missing(r):
    certs = data(r, "store_my")["certs"]
    certs.remove(find(certs, RA_ENC))


def _ra_expiring(r):
    find(data(r, "store_my")["certs"], RA_ENC)["not_after"] = iso(12)


def _templates(r):
    for name in ("SignatureTemplate", "EncryptionTemplate", "GeneralPurposeTemplate"):
        data(r, "mscep")["values"][name] = reg("IPSECIntermediateOffline")


def _templates_display_name(r):
    for name in ("SignatureTemplate", "EncryptionTemplate", "GeneralPurposeTemplate"):
        data(r, "mscep")["values"][name] = reg("NDES Intune")


def _connector_stale(r):
    data(r, "connector_status")["values"]["LastConnectionTime"] = reg(iso(-10))


def _temp_acl(r):
    data(r, "temp_acl")["aces"] = [a for a in data(r, "temp_acl")["aces"] if a["sid"] in (SYSTEM, ADMINS)]


def _ra_key_acl(r):
    find(data(r, "store_my")["certs"], RA_ENC)["key_acl"] = [
        {"sid": SYSTEM, "rights": ["full_control"]}, {"sid": ADMINS, "rights": ["full_control"]}]


def _pending_reboot(r):
    data(r, "httpsys")["last_write"] = AFTER_BOOT


def _host_role(r):
    data(r, "system")["domain_role"] = 5


def _host_ca(r):
    data(r, "system")["installed_roles"].append("ADCS-Cert-Authority")


def _ie_esc(r):
    data(r, "ie_esc_admin")["values"]["IsInstalled"] = reg(1, "REG_DWORD")


def _connector_stopped(r):
    data(r, "services")["services"]["PFXCertificateConnectorSvc"] = svc(status="Stopped")


def _connector_errors(r):
    data(r, "connector_events")["events"] = [
        {"id": 2001, "provider": "Microsoft-Intune-CertificateConnectors", "log": "Microsoft-Intune-CertificateConnectors/Admin",
         "time": iso(-2), "record_id": 5, "level": 2, "properties": []}]


# name -> (mutation, settings overrides, expected finding ids [(id, variant, severity)])
FAULT_CASES = {
    "impersonate_right": (_impersonate, {}, [("IMPERSONATE_RIGHT", None, "critical")]),
    "url_not_403_setup_failed": (_setup_failed, {}, [("URL_NOT_403", None, "critical")]),
    "url_not_403_no_connector": (_no_connector, {}, [("URL_NOT_403", None, "critical")]),
    "app_pool_stopped": (_pool_stopped, {}, [("APP_POOL_STOPPED", None, "critical")]),
    "app_pool_stopped_iis_down": (_w3svc_stopped, {}, [("APP_POOL_STOPPED", "iis_down", "critical")]),
    "root_intermediates": (_root_intermediate, {}, [("ROOT_INTERMEDIATES", None, "critical")]),
    "crl_unreachable": (_crl, {}, [("CRL_UNREACHABLE", None, "critical")]),
    "crs_windows_auth": (_crs_windows, {}, [("CRS_WINDOWS_AUTH", None, "critical")]),
    "policy_cert_expired": (_policy_expired, {}, [("POLICY_CERT_EXPIRED", None, "critical")]),
    "policy_cert_missing": (_policy_missing, {}, [("POLICY_CERT_EXPIRED", None, "critical")]),
    "policy_cert_unset": (_policy_unset, {}, [("POLICY_CERT_EXPIRED", None, "critical")]),
    "policy_cert_keyless": (_policy_keyless, {}, [("POLICY_CERT_EXPIRED", None, "critical")]),
    "policy_cert_no_client_auth": (_policy_no_eku, {}, [("POLICY_CERT_EXPIRED", None, "critical")]),
    "policy_cert_expiring": (_policy_expiring, {}, [("POLICY_CERT_EXPIRED", "expiring", "warning")]),
    "proxy_connector_down": (_proxy_down, {}, [("PROXY_CONNECTOR_DOWN", None, "critical")]),
    "proxy_connector_expected": (
        lambda r: data(r, "services")["services"].update(WAPCSvc=svc(exists=False), WAPCUpdaterSvc=svc(exists=False)),
        {"expect_proxy_connector": True}, [("PROXY_CONNECTOR_DOWN", None, "critical")]),
    "proxy_connector_updater": (_proxy_updater, {}, [("PROXY_CONNECTOR_DOWN", "updater", "warning")]),
    "request_limits": (_request_limits, {}, [("REQUEST_LIMITS", None, "critical")]),
    "request_limits_web_config": (_request_limits_webconfig, {}, [("REQUEST_LIMITS", None, "critical")]),
    "httpsys_limits": (_httpsys, {}, [("HTTPSYS_LIMITS", None, "critical")]),
    "service_account": (_service_account_locked, {}, [("SERVICE_ACCOUNT", None, "critical")]),
    "ra_cert_expired": (_ra_expired, {}, [("RA_CERT_EXPIRED", None, "critical")]),
    "ra_cert_missing": (_ra_missing, {}, [("RA_CERT_EXPIRED", None, "critical")]),
    "ra_cert_expiring": (_ra_expiring, {}, [("RA_CERT_EXPIRED", "expiring", "warning")]),
    "mscep_templates": (_templates, {}, [("MSCEP_TEMPLATES", None, "warning")]),
    "mscep_templates_display_name": (_templates_display_name, {}, [("MSCEP_TEMPLATES", None, "warning")]),
    "temp_acl": (_temp_acl, {}, [("TEMP_ACL", None, "critical")]),
    "ra_key_acl": (_ra_key_acl, {}, [("RA_KEY_ACL", None, "critical")]),
    "policy_cert_cn": (lambda r: None, {"external_names": ["scep.contoso.com"]}, [("POLICY_CERT_CN", None, "warning")]),
    "pending_reboot": (_pending_reboot, {}, [("PENDING_REBOOT", None, "warning")]),
    "host_role_dc": (_host_role, {}, [("HOST_ROLE", None, "warning")]),
    "host_role_ca": (_host_ca, {}, [("HOST_ROLE", None, "warning")]),
    "ie_esc": (_ie_esc, {}, [("IE_ESC", None, "info")]),
    "connector_health_service": (_connector_stopped, {}, [("CONNECTOR_HEALTH", None, "warning")]),
    "connector_health_events": (_connector_errors, {}, [("CONNECTOR_HEALTH", None, "warning")]),
    "connector_health_stale": (_connector_stale, {}, [("CONNECTOR_HEALTH", None, "warning")]),
}


def faulty(name):
    """``(results, settings)`` of one fault case."""
    mutate, settings, _expected = FAULT_CASES[name]
    results = copy.deepcopy(healthy())
    mutate(results)
    return results, dict(settings)


def response(results, ops):
    """A contract response for ``ops`` (same ids, same order) from ``results``."""
    return {"version": contract.CONTRACT_VERSION, "agent": "lab", "elapsed_ms": 5,
            "results": [results[op_id] for op_id, _k, _a in ops]}
