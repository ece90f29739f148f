# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Build a healthy lab NDES: every value as Microsoft's Intune NDES guide wants it."""
from __future__ import annotations

import datetime
import os

from ansible_collections.ndes.scep.plugins.module_utils._lab import (
    accounts, certs, certstore, layout, logs, registry, store, templates, traffic)

MSCEP_KEY = r"HKLM\SOFTWARE\Microsoft\Cryptography\MSCEP"
NDES_POLICY_KEY = MSCEP_KEY + r"\Modules\NDESPolicy"
HTTP_PARAMS = r"HKLM\SYSTEM\CurrentControlSet\Services\HTTP\Parameters"
CONNECTOR_KEY = r"HKLM\SOFTWARE\Microsoft\MicrosoftIntune\NDESConnector"
CONNECTION_STATUS = CONNECTOR_KEY + r"\ConnectionStatus"
UNINSTALL_CONNECTOR = (r"HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Uninstall"
                       r"\{6C2F8C5E-0B4D-4E1A-9D0B-5C3E2A7F1B90}")
IE_ESC_ADMIN = r"HKLM\SOFTWARE\Microsoft\Active Setup\Installed Components\{A509B1A7-37EF-4b3f-8CFC-4F3A74704073}"
IE_ESC_USER = r"HKLM\SOFTWARE\Microsoft\Active Setup\Installed Components\{A509B1A8-37EF-4b3f-8CFC-4F3A74704073}"
CHANNELS = r"HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\WINEVT\Channels"
CAPI2_LOG = "Microsoft-Windows-CAPI2/Operational"
CONNECTOR_ADMIN_LOG = "Microsoft-Intune-CertificateConnectors/Admin"
SCEP_TEMPLATE = "NDESIntune"
DOMAIN_SID = "S-1-5-21-3623811015-3361044348-30300820"
SERVICE_USER = "svc-ndes"
RA_TEMPLATES = ("EnrollmentAgentOffline", "CEPEncryption")

_MS = r"C:\Program Files\Microsoft Entra private network connector"
_INTUNE = r"C:\Program Files\Microsoft Intune\PFXCertificateConnector"
SERVICES = {
    "W3SVC": ("Running", "Auto", r"C:\Windows\system32\svchost.exe -k iissvcs", "LocalSystem"),
    "WAS": ("Running", "Manual", r"C:\Windows\system32\svchost.exe -k iissvcs", "LocalSystem"),
    "WinRM": ("Running", "Auto", r"C:\Windows\System32\svchost.exe -k NetworkService -p",
              r"NT AUTHORITY\NetworkService"),
    "WAPCSvc": ("Running", "Auto", '"%s\\ApplicationProxyConnectorService.exe"' % _MS, r"NT SERVICE\WAPCSvc"),
    "WAPCUpdaterSvc": ("Running", "Auto", '"%s Updater\\ApplicationProxyConnectorUpdaterService.exe"' % _MS,
                       "LocalSystem"),
    "PFXCertificateConnectorSvc": ("Running", "Auto",
                                   '"%s\\PFXCertificateConnectorSvc\\PFXCertificateConnectorSvc.exe"' % _INTUNE,
                                   "LocalSystem"),
    "PKICertificateConnectorSvc": ("Running", "Auto",
                                   '"%s\\PKICertificateConnectorSvc\\PKICertificateConnectorSvc.exe"' % _INTUNE,
                                   "LocalSystem"),
}


def names(fqdn):
    """(domain, NetBIOS domain, CA host) from the host's FQDN."""
    domain = fqdn.split(".", 1)[1] if "." in fqdn else "contoso.com"
    return domain, domain.split(".")[0].upper()[:15], "ca01." + domain


def ra_key_acl(service_sid):
    return [{"sid": accounts.SYSTEM, "rights": ["full_control"]},
            {"sid": accounts.ADMINISTRATORS, "rights": ["full_control"]},
            {"sid": service_sid, "rights": ["read"]}]


def admin_key_acl():
    return [{"sid": accounts.SYSTEM, "rights": ["full_control"]},
            {"sid": accounts.ADMINISTRATORS, "rights": ["full_control"]}]


def _files(root, info):
    def put(winpath, data):
        store.write_bytes(layout.win_to_lab(root, winpath), data)
    put(layout.APPHOST_CONFIG, templates.APPHOST.substitute(templates.APPHOST_VALUES, hostname=info["hostname"],
                                                            netbios=info["netbios"]).encode("utf-8"))
    put(layout.SITE_ROOT + r"\web.config", templates.SITE_WEB_CONFIG.encode("utf-8"))
    put(layout.SITE_ROOT + r"\iisstart.htm", b"<!DOCTYPE html><html><head><title>IIS Windows Server</title>"
                                             b"</head><body></body></html>\r\n")
    for folder in (layout.MSCEP_DIR, layout.WINDOWS_TEMP, layout.HTTPERR_DIR, layout.W3C_LOG_ROOT + r"\W3SVC1",
                   r"C:\Program Files\Microsoft Intune\PFXCertificateConnector\CertificateRegistrationSvc",
                   r"C:\ProgramData\ndes.scep\backups"):
        os.makedirs(layout.win_to_lab(root, folder), exist_ok=True)


def _registry(root, info, policy_tp, installed):
    reg = {"keys": {}}
    when = store.iso(installed)

    def put(path, name, kind, value):
        registry.set_value(reg, path, name, kind, value, when)
    put(HTTP_PARAMS, "MaxFieldLength", "REG_DWORD", 65534)
    put(HTTP_PARAMS, "MaxRequestBytes", "REG_DWORD", 65534)
    for name in ("SignatureTemplate", "EncryptionTemplate", "GeneralPurposeTemplate"):
        put(MSCEP_KEY, name, "REG_SZ", SCEP_TEMPLATE)
    put(MSCEP_KEY + r"\CAType", "", "REG_DWORD", 1)
    put(MSCEP_KEY + r"\EnforcePassword", "EnforcePassword", "REG_DWORD", 0)
    put(MSCEP_KEY + r"\UseSinglePassword", "UseSinglePassword", "REG_DWORD", 0)
    put(MSCEP_KEY + r"\PasswordVDir", "", "REG_SZ", r"CertSrv\mscep_admin")
    put(NDES_POLICY_KEY, "NDESCertThumbprint", "REG_SZ", policy_tp.lower())
    put(CONNECTION_STATUS, "LastConnectionTime", "REG_SZ", store.iso(info["now"] - datetime.timedelta(minutes=4)))
    for name, value in (("DisplayName", "Certificate Connector for Microsoft Intune"),
                        ("DisplayVersion", "6.2406.0.1001"), ("Publisher", "Microsoft Corporation")):
        put(UNINSTALL_CONNECTOR, name, "REG_SZ", value)
    put(IE_ESC_ADMIN, "IsInstalled", "REG_DWORD", 0)
    put(IE_ESC_USER, "IsInstalled", "REG_DWORD", 0)
    put(CHANNELS + "\\" + CAPI2_LOG, "Enabled", "REG_DWORD", 0)
    put(CHANNELS + "\\" + CONNECTOR_ADMIN_LOG, "Enabled", "REG_DWORD", 1)
    registry.save(root, reg)


def _certs(root, info, installed):
    """The lab CA, its root in LocalMachine\\Root, the RA pair, the policy and SSL certificates."""
    ca = certs.create_ca(root, info["netbios"] + "-CA01-CA", info["domain"], info["ca_host"], info["now"])
    certs.save_template_acl(root, certs.default_template_acl(DOMAIN_SID, info["computer_sid"], info["service_sid"]))
    certstore.add(root, "Root", ca)
    os.makedirs(certstore.store_dir(root, "CA"), exist_ok=True)
    ra_subject = certs.name("%s-MSCEP-RA" % info["hostname"].upper(), org=info["netbios"].title())
    for template, slot in zip(RA_TEMPLATES, ("ra-sign", "ra-enc")):
        cert, key = certs.issue(root, ra_subject, template, key=certs.new_key(slot), valid_from=installed)
        certstore.add(root, "My", cert, key, {"key_provider": certstore.CSP, "key_acl": ra_key_acl(info["service_sid"])})
    host = certs.name(info["fqdn"], org=info["netbios"].title())
    policy, key = certs.issue(root, host, "NDESPolicyClientAuth", [info["fqdn"]], key=certs.new_key("policy"),
                              valid_from=installed)
    policy_tp = certstore.add(root, "My", policy, key, {"key_acl": admin_key_acl()})
    ssl, key = certs.issue(root, host, "WebServer", [info["fqdn"]], key=certs.new_key("ssl"), valid_from=installed)
    certstore.add(root, "My", ssl, key, {"key_acl": admin_key_acl()})
    return policy_tp


def _state(root, info):
    store.save(root, layout.SYSTEM, {
        "domain_role": 3, "os_version": "10.0.20348",
        "installed_roles": ["ADCS-Device-Enrollment", "Web-Server", "Web-WebServer", "Web-Filtering",
                            "Web-Windows-Auth", "Web-Asp-Net45", "NET-WCF-HTTP-Activation45"]})
    store.save(root, layout.SERVICES, dict(
        (name, {"status": s, "start_mode": m, "image_path": p, "account": a}) for name, (s, m, p, a) in SERVICES.items()))
    store.save(root, layout.APP_POOLS, {"DefaultAppPool": {"state": "Started"}, "SCEP": {"state": "Started"}})
    store.save(root, layout.AD, {
        "reachable": True, "reason": None, "netbios": info["netbios"], "dns": info["domain"],
        "domain_sid": DOMAIN_SID,
        # who enrols: the account the agent runs as (context user) and the host's computer account
        # (context machine), with the domain groups in their tokens
        "agent_user": "Administrator", "computer_account": info["hostname"] + "$",
        "accounts": {
            SERVICE_USER: {"sid": info["service_sid"], "user_account_control": 0x200,
                           "msds_user_account_control_computed": 0, "lockout_time": None,
                           "groups": [DOMAIN_SID + "-513"]},
            "Administrator": {"sid": DOMAIN_SID + "-500", "user_account_control": 0x200,
                              "msds_user_account_control_computed": 0, "lockout_time": None,
                              "groups": [DOMAIN_SID + "-512", DOMAIN_SID + "-513", DOMAIN_SID + "-519"]},
            info["hostname"] + "$": {"sid": info["computer_sid"], "user_account_control": 0x1000,
                                     "msds_user_account_control_computed": 0, "lockout_time": None,
                                     "groups": [DOMAIN_SID + "-515"]}}})
    store.save(root, layout.ACLS, {layout.norm_win(layout.WINDOWS_TEMP): {
        "owner_sid": accounts.SYSTEM,
        "aces": [{"sid": accounts.NETWORK_SERVICE, "rights": ["modify"], "type": "allow", "inherited": False},
                 {"sid": accounts.CREATOR_OWNER, "rights": ["full_control"], "type": "allow", "inherited": False},
                 {"sid": accounts.SYSTEM, "rights": ["full_control"], "type": "allow", "inherited": False},
                 {"sid": accounts.ADMINISTRATORS, "rights": ["full_control"], "type": "allow", "inherited": False},
                 {"sid": accounts.USERS, "rights": ["write"], "type": "allow", "inherited": False}]}})
    store.save(root, layout.NETWORK, {"unreachable_urls": []})
    store.save(root, layout.RSOP, {})
    store.write_bytes(layout.path(root, layout.RIGHTS_INF),
                      b"\xff\xfe" + templates.RIGHTS_INF.replace("\n", "\r\n").encode("utf-16-le"))
    os.makedirs(layout.path(root, layout.EVENTS), exist_ok=True)


def build(root, hostname, fqdn, now):
    """Write every artefact of a healthy lab; returns the lab info (also saved as lab.json)."""
    domain, netbios, ca_host = names(fqdn)
    installed = now - datetime.timedelta(days=60)
    info = {"schema": layout.SCHEMA, "hostname": hostname.upper(), "fqdn": fqdn.lower(), "domain": domain,
            "netbios": netbios, "ca_host": ca_host, "now": now,
            "service_account": "%s\\%s" % (netbios, SERVICE_USER), "service_sid": DOMAIN_SID + "-1105",
            "computer_sid": DOMAIN_SID + "-1106", "scep_template": SCEP_TEMPLATE}
    _files(root, info)
    _state(root, info)
    policy_tp = _certs(root, info, installed)
    _registry(root, info, policy_tp, installed)
    logs.setupmsi_write(root, True, installed)
    traffic.seed_healthy(root, now, hostname)
    return info
