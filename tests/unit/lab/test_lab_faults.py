# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every fault and variant changes exactly what docs/lab-faults.md says, seen through the lab agent's reads."""
from __future__ import annotations

import datetime
import os
import re

import pytest

from ansible_collections.ndes.scep.plugins.module_utils._formats import setupmsi, w3c
from ansible_collections.ndes.scep.plugins.module_utils._lab import agent, faults, layout, store

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
IMP = "SeImpersonatePrivilege"
HTTP = r"HKLM\SYSTEM\CurrentControlSet\Services\HTTP\Parameters"
MSCEP = r"HKLM\SOFTWARE\Microsoft\Cryptography\MSCEP"
POLICY = MSCEP + r"\Modules\NDESPolicy\NDESCertThumbprint"
LIMITS = "system.webServer/security/requestFiltering/requestLimits"
CLIENT_AUTH = "1.3.6.1.5.5.7.3.2"


def read(root, kind, **args):
    result = agent.handle(root, {"version": 1, "check_mode": False, "ops": [{"id": "x", "kind": kind, "args": args}]})
    result = result["results"][0]
    assert result["status"] == "ok", result
    return result["data"]


def reg(root, path, name):
    return read(root, "registry_key", path=path)["values"].get(name)


def pool(root, name="SCEP"):
    return [p for p in read(root, "app_pools")["pools"] if p["name"] == name][0]


def service(root, name):
    return read(root, "services", names=[name])["services"][name]


def my_certs(root):
    return read(root, "cert_store", store="My", include_acl=True)["certs"]


def ra_certs(root):
    return [c for c in my_certs(root) if c["template_name"] in ("EnrollmentAgentOffline", "CEPEncryption")]


def policy_cert(root):
    value = reg(root, MSCEP + r"\Modules\NDESPolicy", "NDESCertThumbprint")["value"]
    return [c for c in my_certs(root) if c["thumbprint"] == value.upper()]


def days_left(cert):
    return (store.parse_iso(cert["not_after"]) - store.utcnow()).days


def events(root, log, ids, provider=None):
    return read(root, "events", log=log, ids=ids, provider=provider)["events"]


def crashes(root):
    return [e for e in events(root, "Application", [1000], "Application Error") if e["properties"][0] == "w3wp.exe"]


def w3c_rows(root):
    """Rows of the last 3 hours' daily logs (file_tail returns the newest file only; just after midnight UTC
    the healthy traffic of the last 2 hours is in yesterday's file too)."""
    now = datetime.datetime.now(datetime.timezone.utc)
    days = sorted({(now - datetime.timedelta(hours=h)).strftime("%y%m%d") for h in (0, 3)})
    rows = []
    for day in days:
        files = read(root, "file_tail", directory="@site_log_folder:Default Web Site", pattern="u_ex%s.log" % day,
                     max_bytes=10 ** 7)["files"]
        for found in files:
            rows += list(w3c.iter_records(found["content"].splitlines()))
    return rows


def httperr_reasons(root):
    tail = read(root, "file_tail", directory=layout.HTTPERR_DIR, pattern="httperr*.log")["files"][0]["content"]
    return [r["s-reason"] for r in w3c.iter_records(tail.splitlines())]


# ------------------------------------------------------------------ one check per (fault, variant)
def check_impersonate_right(root, variant):
    right = read(root, "user_right", right=IMP)
    assert "S-1-5-32-568" not in right["holders"]
    assert right["gpo_defined"] is (variant == "gpo")
    assert any((r["sc-status"], r["sc-win32-status"]) == ("500", "1346") for r in w3c_rows(root))


def check_url_not_403(root, variant):
    tail = read(root, "file_tail", directory=r"C:\NDESConnectorSetup", pattern="SetupMsi.log")["files"][0]
    assert tail["encoding"] == "utf-16-le"
    assert setupmsi.parse_setupmsi(tail["content"])["status"] == 1603
    uninstall = read(root, "registry_key", path=r"HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Uninstall",
                     recurse=True)["tree"]
    assert not any(k["values"].get("DisplayName", {}).get("value") == "Certificate Connector for Microsoft Intune"
                   for k in uninstall.values())
    assert service(root, "PFXCertificateConnectorSvc")["exists"] is False
    apps = read(root, "iis_sites")["sites"][0]["applications"]
    assert "/CertificateRegistrationSvc" not in [a["path"] for a in apps]


def check_app_pool_stopped(root, variant):
    assert (pool(root)["state"], pool(root)["auto_start"]) == ("Stopped", False)
    assert "AppOffline" in httperr_reasons(root)
    assert events(root, "System", [5002], "Microsoft-Windows-WAS")[0]["properties"] == ["SCEP"]
    assert crashes(root) == []


def check_crash_cause(root):
    assert pool(root)["state"] == "Started"
    assert len(crashes(root)) == 3
    assert all(e["properties"][0] == "SCEP" for e in events(root, "System", [5009], "Microsoft-Windows-WAS"))


def check_root_intermediates(root, variant):
    roots = read(root, "cert_store", store="Root")["certs"]
    inter = [c for c in roots if c["subject_der_b64"] != c["issuer_der_b64"]]
    assert len(inter) == 1 and inter[0]["gpo_placed"] is (variant == "gpo")
    check_crash_cause(root)


def check_crl_unreachable(root, variant):
    got = read(root, "cert_chain", store="My", thumbprint="@registry:" + POLICY)
    assert {"RevocationStatusUnknown", "OfflineRevocation"} <= set(got["status"])
    assert any(u.endswith(".crl") for u in got["urls"])
    check_crash_cause(root)


def check_crs_windows_auth(root, variant):
    got = read(root, "iis_config", section="system.webServer/security/authentication/windowsAuthentication",
               location="Default Web Site/CertificateRegistrationSvc")
    assert got["attributes"]["enabled"] is True
    assert got["origin"]["enabled"]["location"] == "Default Web Site/CertificateRegistrationSvc"
    check_crash_cause(root)


def check_policy_cert_expired(root, variant):
    value = reg(root, MSCEP + r"\Modules\NDESPolicy", "NDESCertThumbprint")["value"]
    assert value == value.lower() and " " not in value
    found = policy_cert(root)
    if variant == "missing":
        assert found == []
    else:
        cert = found[0]
        assert (days_left(cert) < 0) is (variant == "expired")
        assert cert["has_private_key"] is (variant != "keyless")
        assert (CLIENT_AUTH in cert["ekus"]) is (variant != "no_client_auth_eku")
    check_crash_cause(root)


def check_proxy_connector_down(root, variant):
    svc = service(root, "WAPCSvc")
    if variant == "absent":
        assert svc["exists"] is False and service(root, "WAPCUpdaterSvc")["exists"] is False
    else:
        assert (svc["status"], svc["start_mode"]) == ("Stopped", "Manual")
        assert service(root, "WAPCUpdaterSvc")["status"] == "Running"


def check_request_limits(root, variant):
    got = read(root, "iis_config", section=LIMITS, location="Default Web Site/certsrv/mscep")
    assert (got["attributes"]["maxUrl"], got["attributes"]["maxQueryString"]) == (4096, 2048)
    if variant == "apphost":
        assert got["origin"]["maxUrl"] == {"path": "MACHINE/WEBROOT/APPHOST", "is_default": False,
                                           "location": "Default Web Site"}
    else:
        assert got["origin"]["maxUrl"] == {"path": "MACHINE/WEBROOT/APPHOST/Default Web Site", "is_default": False}
        apphost = read(root, "iis_config", section=LIMITS, location="Default Web Site")
        assert apphost["attributes"]["maxUrl"] == 4096  # the web.config is at the site level too
    assert any((r["sc-status"], r["sc-substatus"]) == ("404", "15") for r in w3c_rows(root))


def check_httpsys_limits(root, variant):
    values = read(root, "registry_key", path=HTTP)
    boot = store.load(root, layout.BOOT)
    last_boot = read(root, "system")["last_boot"]
    if variant == "absent":
        assert "MaxFieldLength" not in values["values"] and "MaxRequestBytes" not in values["values"]
    elif variant == "low":
        assert values["values"]["MaxFieldLength"]["value"] == 16384
    else:
        assert values["values"]["MaxFieldLength"]["value"] == 65534
        assert values["last_write"] > last_boot   # set after the last boot: pending
    assert boot["httpsys_in_effect"] == {"MaxFieldLength": 16384, "MaxRequestBytes": 16384}
    assert {"URL_Length", "FieldLength"} <= set(httperr_reasons(root))


def check_service_account(root, variant):
    got = read(root, "ad_account", account="@pool_user:SCEP")
    if variant == "unknown":
        assert got["status"] == "unknown" and got["reason"] and got["locked"] is None
        return
    assert got["status"] == "known"
    assert (got["locked"], got["password_expired"], got["disabled"]) == (
        variant == "locked", variant == "password_expired", variant == "disabled")


def check_ra_cert_expired(root, variant):
    certs = ra_certs(root)
    if variant == "missing":
        assert certs == []
        return
    assert sorted(c["template_name"] for c in certs) == ["CEPEncryption", "EnrollmentAgentOffline"]
    for cert in certs:
        if variant == "expired":
            assert days_left(cert) < 0
        else:
            assert 13 <= days_left(cert) <= 15
        assert cert["subject"].startswith("CN=NDES01-MSCEP-RA")


def check_mscep_templates(root, variant):
    values = read(root, "registry_key", path=MSCEP)["values"]
    want = "IPSECIntermediateOffline" if variant == "ipsec" else "NDES Intune"
    assert [values[n]["value"] for n in ("SignatureTemplate", "EncryptionTemplate", "GeneralPurposeTemplate")] == [want] * 3


def check_temp_acl(root, variant):
    aces = read(root, "folder_acl", path=r"C:\Windows\Temp")["aces"]
    writers = [a["sid"] for a in aces if set(a["rights"]) & {"write", "modify", "full_control"}]
    assert not set(writers) & {"S-1-5-20", "S-1-5-32-545", "S-1-5-11", "S-1-1-0"}
    assert events(root, "System", [5009])[0]["properties"][2] == "0xc0000374"


def check_ra_key_acl(root, variant):
    for cert in ra_certs(root):
        assert not any(a["sid"].endswith("-1105") for a in cert["key_acl"])


def check_ie_esc(root, variant):
    base = r"HKLM\SOFTWARE\Microsoft\Active Setup\Installed Components"
    assert reg(root, base + r"\{A509B1A7-37EF-4b3f-8CFC-4F3A74704073}", "IsInstalled")["value"] == 1
    assert reg(root, base + r"\{A509B1A8-37EF-4b3f-8CFC-4F3A74704073}", "IsInstalled")["value"] == int(variant == "both")


def check_host_role(root, variant):
    system = read(root, "system")
    if variant == "dc":
        assert system["domain_role"] == 5 and "AD-Domain-Services" in system["installed_roles"]
    else:
        assert "ADCS-Cert-Authority" in system["installed_roles"] and service(root, "CertSvc")["status"] == "Running"


def check_connector_health(root, variant):
    last = reg(root, r"HKLM\SOFTWARE\Microsoft\MicrosoftIntune\NDESConnector\ConnectionStatus", "LastConnectionTime")
    age = store.utcnow() - store.parse_iso(last["value"])
    if variant == "stale":
        assert age > datetime.timedelta(days=9)
    else:
        assert age < datetime.timedelta(hours=1)
        assert service(root, "PFXCertificateConnectorSvc")["status"] == "Stopped"
        assert [e["id"] for e in events(root, "Microsoft-Intune-CertificateConnectors/Admin", [1001, 2001])]


CHECKS = dict((name[6:], fn) for name, fn in globals().items() if name.startswith("check_") and name != "check_crash_cause")
ALL = [(f.id, v) for f in faults.CATALOGUE for v in f.variants]


def test_every_fault_has_a_check():
    assert sorted(CHECKS) == sorted(f.id for f in faults.CATALOGUE)


@pytest.mark.parametrize("fid,variant", ALL, ids=["%s-%s" % p for p in ALL])
def test_fault_changes_the_state(make_lab, fid, variant):
    root = make_lab([{"id": fid, "variant": variant}])
    CHECKS[fid](root, variant)
    assert faults.read_lab(root)["faults"] == [{"id": fid, "variant": variant}]


def test_healthy_lab_has_none_of_the_faults(healthy_lab):
    failures = 0
    for fid, variant in ALL:
        try:
            CHECKS[fid](healthy_lab, variant)
        except AssertionError:
            failures += 1
            continue
        # a healthy lab must fail each fault's check, except the "absent" proxy variant's mirror
        raise AssertionError("healthy lab looks like %s/%s" % (fid, variant))
    assert failures == len(ALL)


def test_healthy_values(healthy_lab):
    assert reg(healthy_lab, HTTP, "MaxRequestBytes")["value"] == 65534
    assert store.load(healthy_lab, layout.BOOT)["httpsys_in_effect"] == {"MaxFieldLength": 65534,
                                                                         "MaxRequestBytes": 65534}
    assert all(300 < days_left(c) < 731 for c in ra_certs(healthy_lab))
    assert days_left(policy_cert(healthy_lab)[0]) > 300
    anon = read(healthy_lab, "iis_config", section="system.webServer/security/authentication/anonymousAuthentication",
                location="Default Web Site/CertificateRegistrationSvc")
    assert anon["attributes"]["enabled"] is True
    for name in ("WAPCSvc", "WAPCUpdaterSvc"):
        assert (service(healthy_lab, name)["status"], service(healthy_lab, name)["start_mode"]) == ("Running", "Auto")
    tail = read(healthy_lab, "file_tail", directory=r"C:\NDESConnectorSetup", pattern="*.log")["files"][0]["content"]
    assert setupmsi.parse_setupmsi(tail)["status"] == 0
    rows = w3c_rows(healthy_lab)
    assert sum(1 for r in rows if r["cs-uri-stem"] == "/certsrv/mscep/mscep.dll" and r["sc-status"] == "200") >= 30
    assert any(r["cs-uri-stem"] == "/certsrv/mscep/mscep.dll" and r["cs-uri-query"] is None and r["sc-status"] == "403"
               for r in rows)
    assert crashes(healthy_lab) == []


def test_unknown_ids_and_variants_list_the_valid_ones():
    with pytest.raises(faults.FaultError, match="valid ids: impersonate_right, url_not_403"):
        faults.normalize(["no_such_fault"])
    with pytest.raises(faults.FaultError, match="valid variants: apphost, webconfig"):
        faults.normalize([{"id": "request_limits", "variant": "registry"}])
    with pytest.raises(faults.FaultError, match="listed twice"):
        faults.normalize(["request_limits", {"id": "REQUEST_LIMITS"}])
    with pytest.raises(faults.FaultError, match="cannot be combined"):
        faults.normalize(["url_not_403", "connector_health"])
    assert faults.normalize(["HTTPSYS_LIMITS", "request_limits"]) == [
        {"id": "request_limits", "variant": "apphost"}, {"id": "httpsys_limits", "variant": "absent"}]


def test_expected_findings():
    assert faults.expected_findings([]) == []
    assert faults.expected_findings([{"id": "proxy_connector_down", "variant": "absent"}]) == []
    assert faults.expected_findings([{"id": "httpsys_limits", "variant": "pending"}, "request_limits"]) == [
        "PENDING_REBOOT", "REQUEST_LIMITS"]


def test_several_faults_at_once(make_lab):
    chosen = ["request_limits", "impersonate_right", "app_pool_stopped", {"id": "httpsys_limits", "variant": "pending"}]
    root = make_lab(chosen)
    for item in faults.normalize(chosen):
        CHECKS[item["id"]](root, item["variant"])


def _doc_matrix():
    with open(os.path.join(ROOT, "docs", "lab-faults.md"), encoding="utf-8") as handle:
        text = handle.read()
    rows = {}
    for line in text.splitlines():
        m = re.match(r"^\| `([a-z0-9_]+)` \| `([a-z0-9_]+)` \|(.*)\|\s*$", line)
        if m:
            cells = [c.strip() for c in m.group(3).split("|")]
            rows[(m.group(1), m.group(2))] = cells
    return rows


def test_docs_matrix_matches_the_catalogue():
    rows = _doc_matrix()
    assert sorted(rows) == sorted(ALL)
    for (fid, variant), cells in rows.items():
        findings = re.findall(r"`([A-Z_0-9]+)`", cells[2]) if cells[2] != "none" else []
        assert sorted(findings) == faults.expected_findings([{"id": fid, "variant": variant}]), (fid, variant)


def test_create_refuses_to_replace_a_directory_that_is_not_a_lab(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(faults.FaultError, match="not a lab NDES"):
        faults.create(str(tmp_path), [])
    assert (tmp_path / "notes.txt").read_text() == "mine"
