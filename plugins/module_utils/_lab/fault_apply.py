# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""How each fault changes a healthy lab's state (one function per fault id, taking a variant)."""
from __future__ import annotations

import datetime

from ansible_collections.ndes.scep.plugins.module_utils._lab import (
    accounts, acl, certinfo, certs, certstore, events, healthy, iis, iisxml, layout, logs, pools,
    registry, rights, services, store, traffic)

IMPERSONATE = "SeImpersonatePrivilege"


class Ctx(object):
    """What an applier needs: the lab root, its info, the creation time, work to do after the boot."""

    def __init__(self, root, info, now):
        self.root, self.info, self.now = root, info, now
        self.after_boot = []


def _days(n):
    return datetime.timedelta(days=n)


def crash_events(ctx, count=3, exit_code="0xe0434352"):
    """w3wp.exe crashes (Application 1000) and WAS 5009 for the SCEP pool; the pool stays Started."""
    for index in range(count):
        when = ctx.now - datetime.timedelta(minutes=40 - 10 * index)
        pid = 4100 + 16 * index
        events.append(ctx.root, "Application", "Application Error", 1000, [
            "w3wp.exe", "10.0.20348.1", "a3f1c2b4", "KERNELBASE.dll", "10.0.20348.2340", "6e7a90cb", "e0434352",
            "000000000003f19c", "0x%x" % pid, "01db%012x" % (0x1a2b3c4d5e + index),
            r"c:\windows\system32\inetsrv\w3wp.exe", r"C:\Windows\System32\KERNELBASE.dll",
            "5b0f1d3e-%04d-4c7a-9f51-2e6d0c8b7a41" % index, "", ""], when, events.LEVEL_ERROR)
        events.append(ctx.root, "System", "Microsoft-Windows-WAS", 5009,
                      ["SCEP", str(pid), exit_code], when, events.LEVEL_WARNING)


def _reissue(ctx, store_name, old_tp, template, **kwargs):
    """Replace a certificate in a store by a new one with the same subject; returns the new thumbprint."""
    old = certstore.get(ctx.root, store_name, old_tp)
    cert, key = certs.issue(ctx.root, old["cert"].subject, template, certinfo.san_dns(old["cert"]),
                            key=certs.new_key("re-" + template), now=ctx.now, **kwargs)
    certstore.remove(ctx.root, store_name, old_tp)
    return certstore.add(ctx.root, store_name, cert, key, dict(old["meta"]))


def ra_thumbprints(root):
    """{template name: thumbprint} of the RA certificates in My."""
    out = {}
    for entry in certstore.entries(root, "My"):
        _oid, name = certinfo.template(entry["cert"])
        if name in healthy.RA_TEMPLATES:
            out[name] = entry["thumbprint"]
    return out


def policy_thumbprint(root):
    reg = registry.load(root)
    return certstore.normalize_thumbprint(registry.get_value(reg, healthy.NDES_POLICY_KEY, "NDESCertThumbprint")["value"])


def _set_reg(ctx, path, name, kind, value, when=None):
    reg = registry.load(ctx.root)
    registry.set_value(reg, path, name, kind, value, store.iso(when or ctx.now))
    registry.save(ctx.root, reg)


def _services(ctx, fn):
    data = services.load(ctx.root)
    fn(data)
    services.save(ctx.root, data)


# ------------------------------------------------------------------ section A
def impersonate_right(ctx, variant):
    holders = [s for s in rights.holders(ctx.root, IMPERSONATE) if s != accounts.IIS_IUSRS]
    rights.set_holders(ctx.root, IMPERSONATE, holders)
    if variant == "gpo":
        rsop = store.load(ctx.root, layout.RSOP, {})
        rsop[IMPERSONATE] = {"holders": holders, "source": "NDES Server Baseline", "precedence": 1}
        store.save(ctx.root, layout.RSOP, rsop)
    traffic.evidence_w3c(ctx.root, ctx.now, (500, 0, 1346))


def url_not_403(ctx, variant):
    logs.setupmsi_write(ctx.root, False, ctx.now - _days(2))
    reg = registry.load(ctx.root)
    registry.delete_key(reg, healthy.UNINSTALL_CONNECTOR)
    registry.save(ctx.root, reg)
    _services(ctx, lambda d: [d.pop(n, None) for n in ("PFXCertificateConnectorSvc", "PKICertificateConnectorSvc")])
    # The failed install never created the CRP application (WriteIIS7ConfigChanges failed).
    doc = iis.apphost(ctx.root, cached=False)
    site = iisxml.find_path(doc.root, ["system.applicationHost", "sites", "site"])
    for app in iisxml.elements(site, "application"):
        if app.get("path", "").lower() == "/certificateregistrationsvc":
            site.remove(app)
    doc.save()
    traffic.evidence_w3c(ctx.root, ctx.now, (200, 0, 0), query=None, ua="Mozilla/5.0+(Windows+NT+10.0;+Win64;+x64)")


def app_pool_stopped(ctx, variant):
    pools.set_auto_start(ctx.root, "SCEP", False)
    pools.set_state(ctx.root, "SCEP", "Stopped", ctx.now)
    events.append(ctx.root, "System", "Microsoft-Windows-WAS", 5002, ["SCEP"], ctx.now - datetime.timedelta(minutes=25),
                  events.LEVEL_ERROR)
    traffic.evidence_httperr(ctx.root, ctx.now, ["AppOffline", "Disabled", "AppOffline"], queue="SCEP")


def root_intermediates(ctx, variant):
    subject = certs.name("%s Issuing CA 2" % ctx.info["netbios"], org=ctx.info["netbios"].title())
    cert, _key = certs.issue(ctx.root, subject, None, key=certs.new_key("intermediate"), is_ca=True,
                             valid_from=ctx.now - _days(90), valid_to=ctx.now + _days(1000))
    tp = certstore.add(ctx.root, "Root", cert, None, {"gpo_placed": variant == "gpo"})
    if variant == "gpo":
        _set_reg(ctx, r"HKLM\SOFTWARE\Policies\Microsoft\SystemCertificates\Root\Certificates" + "\\" + tp,
                 "Blob", "REG_BINARY", "")
    crash_events(ctx)


def crl_unreachable(ctx, variant):
    meta = certs.ca_meta(ctx.root)
    data = store.load(ctx.root, layout.NETWORK, {"unreachable_urls": []})
    data["unreachable_urls"] = sorted(set(data["unreachable_urls"]) | {meta["crl_url"], meta["aia_url"]})
    store.save(ctx.root, layout.NETWORK, data)
    crash_events(ctx)


def crs_windows_auth(ctx, variant):
    iis.write(ctx.root, "system.webServer/security/authentication/windowsAuthentication",
              "Default Web Site/CertificateRegistrationSvc", iis.APPHOST, {"enabled": True})
    crash_events(ctx)


def policy_cert_expired(ctx, variant):
    tp = policy_thumbprint(ctx.root)
    if variant == "keyless":
        certstore.remove(ctx.root, "My", tp, key_only=True)
    elif variant == "missing":
        certstore.remove(ctx.root, "My", tp)
    else:
        if variant == "expired":
            new_tp = _reissue(ctx, "My", tp, "NDESPolicyClientAuth", valid_from=ctx.now - _days(400),
                              valid_to=ctx.now - _days(35))
        else:  # no_client_auth_eku: issued with Server Authentication only
            new_tp = _reissue(ctx, "My", tp, "NDESPolicyClientAuth", valid_from=ctx.now - _days(60),
                              ekus=[certs.OID_SERVER_AUTH])
        _set_reg(ctx, healthy.NDES_POLICY_KEY, "NDESCertThumbprint", "REG_SZ", new_tp.lower(), ctx.now - _days(60))
    crash_events(ctx)


def proxy_connector_down(ctx, variant):
    def change(data):
        if variant == "absent":
            data.pop("WAPCSvc", None)
            data.pop("WAPCUpdaterSvc", None)
        else:
            data["WAPCSvc"].update(status="Stopped", start_mode="Manual")
    _services(ctx, change)


def request_limits(ctx, variant):
    section = "system.webServer/security/requestFiltering/requestLimits"
    commit = iis.APPHOST if variant == "apphost" else iis.APPHOST + "/Default Web Site"
    iis.write(ctx.root, section, "Default Web Site", commit, {"maxUrl": 4096, "maxQueryString": 2048})
    traffic.evidence_long_query(ctx.root, ctx.now, 404, 15, 2400)


def httpsys_limits(ctx, variant):
    reg = registry.load(ctx.root)
    for name in ("MaxFieldLength", "MaxRequestBytes"):
        if variant == "low":
            registry.set_value(reg, healthy.HTTP_PARAMS, name, "REG_DWORD", 16384, store.iso(ctx.now - _days(60)))
        else:
            registry.delete_value(reg, healthy.HTTP_PARAMS, name, store.iso(ctx.now - _days(60)))
    registry.save(ctx.root, reg)
    if variant == "pending":
        # Set to 65534 after the last boot: right in the registry, not yet in effect.
        def fix_after_boot():
            for name in ("MaxFieldLength", "MaxRequestBytes"):
                _set_reg(ctx, healthy.HTTP_PARAMS, name, "REG_DWORD", 65534, ctx.now - datetime.timedelta(hours=2))
        ctx.after_boot.append(fix_after_boot)
    traffic.evidence_httperr(ctx.root, ctx.now, ["URL_Length", "FieldLength"])


def service_account(ctx, variant):
    ad = accounts.load_ad(ctx.root)
    entry = ad["accounts"][healthy.SERVICE_USER]
    if variant == "locked":
        entry["msds_user_account_control_computed"] |= accounts.UF_LOCKOUT
        entry["lockout_time"] = store.iso(ctx.now - datetime.timedelta(minutes=50))
    elif variant == "password_expired":
        entry["msds_user_account_control_computed"] |= accounts.UF_PASSWORD_EXPIRED
    elif variant == "disabled":
        entry["user_account_control"] |= accounts.UF_ACCOUNTDISABLE
    else:  # unknown: the agent cannot reach AD (WinRM double hop); the account itself is fine
        ad["reachable"] = False
        ad["reason"] = ("no domain controller answered the LDAP bind (second hop over WinRM "
                        "without CredSSP/Kerberos delegation)")
    store.save(ctx.root, layout.AD, ad)
    if variant != "unknown":
        traffic.evidence_w3c(ctx.root, ctx.now, (500, 0, 0))


def ra_cert_expired(ctx, variant):
    for template, tp in sorted(ra_thumbprints(ctx.root).items()):
        if variant == "missing":
            certstore.remove(ctx.root, "My", tp)
        elif variant == "expiring":
            _reissue(ctx, "My", tp, template, valid_from=ctx.now - _days(715), valid_to=ctx.now + _days(15))
        else:
            _reissue(ctx, "My", tp, template, valid_from=ctx.now - _days(760), valid_to=ctx.now - _days(30))
    if variant != "expiring":
        traffic.evidence_w3c(ctx.root, ctx.now, (500, 0, 0))


# ------------------------------------------------------------------ section B
def mscep_templates(ctx, variant):
    value = "IPSECIntermediateOffline" if variant == "ipsec" else "NDES Intune"
    for name in ("SignatureTemplate", "EncryptionTemplate", "GeneralPurposeTemplate"):
        _set_reg(ctx, healthy.MSCEP_KEY, name, "REG_SZ", value, ctx.now - _days(60))


def temp_acl(ctx, variant):
    data = acl.load(ctx.root)
    entry = data[layout.norm_win(layout.WINDOWS_TEMP)]
    # A hardened Temp folder: no ACE of NETWORK SERVICE nor of a group it belongs to lets it write.
    groups = (accounts.NETWORK_SERVICE, accounts.USERS, accounts.EVERYONE, "S-1-5-11")
    entry["aces"] = [a for a in entry["aces"] if a["sid"] not in groups]
    entry["aces"].append({"sid": accounts.USERS, "rights": ["read_execute"], "type": "allow", "inherited": False})
    acl.save(ctx.root, data)
    for index in range(2):
        events.append(ctx.root, "System", "Microsoft-Windows-WAS", 5009, ["SCEP", str(5200 + index), "0xc0000374"],
                      ctx.now - datetime.timedelta(minutes=30 - 10 * index), events.LEVEL_WARNING)
    traffic.evidence_w3c(ctx.root, ctx.now, (500, 0, 0), stem="/CertificateRegistrationSvc/Certificate/VerifyRequest",
                         query=None, method="POST", ua=traffic.CRP_UA)


def ra_key_acl(ctx, variant):
    sid = ctx.info["service_sid"]
    for tp in ra_thumbprints(ctx.root).values():
        meta = certstore.get(ctx.root, "My", tp)["meta"]
        certstore.set_meta(ctx.root, "My", tp, key_acl=[a for a in meta["key_acl"] if a["sid"] != sid])


def ie_esc(ctx, variant):
    _set_reg(ctx, healthy.IE_ESC_ADMIN, "IsInstalled", "REG_DWORD", 1, ctx.now - _days(60))
    if variant == "both":
        _set_reg(ctx, healthy.IE_ESC_USER, "IsInstalled", "REG_DWORD", 1, ctx.now - _days(60))


def host_role(ctx, variant):
    system = store.load(ctx.root, layout.SYSTEM)
    if variant == "dc":
        system["domain_role"] = 5
        system["installed_roles"].append("AD-Domain-Services")
    else:
        system["installed_roles"].append("ADCS-Cert-Authority")
        _services(ctx, lambda d: d.__setitem__("CertSvc", {
            "status": "Running", "start_mode": "Auto", "image_path": r"C:\Windows\system32\certsrv.exe",
            "account": "LocalSystem"}))
    system["installed_roles"].sort()
    store.save(ctx.root, layout.SYSTEM, system)


def connector_health(ctx, variant):
    if variant == "stale":
        _set_reg(ctx, healthy.CONNECTION_STATUS, "LastConnectionTime", "REG_SZ", store.iso(ctx.now - _days(10)))
        return
    _services(ctx, lambda d: d["PFXCertificateConnectorSvc"].update(status="Stopped"))
    for index, event_id in enumerate((1001, 2001)):
        events.append(ctx.root, healthy.CONNECTOR_ADMIN_LOG, "Microsoft-Intune-CertificateConnectors", event_id,
                      ["PkiCreate", "0x80072ee7"],
                      ctx.now - datetime.timedelta(minutes=45 - 10 * index), events.LEVEL_ERROR)
