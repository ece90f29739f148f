# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""IIS configuration of the lab: inheritance, origins, web.config overrides, locked sections, faithful writes."""
from __future__ import annotations

import os

import pytest

from ansible_collections.ndes.scep.plugins.module_utils._lab import iis, iisxml, layout, store

LIMITS = "system.webServer/security/requestFiltering/requestLimits"
WINAUTH = "system.webServer/security/authentication/windowsAuthentication"
ANON = "system.webServer/security/authentication/anonymousAuthentication"
MSCEP = "Default Web Site/certsrv/mscep"
SITE_PATH = iis.APPHOST + "/Default Web Site"
SAMPLE = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "fixtures", "iis",
                      "applicationHost.ndes-excerpt.config")


def put(root, winpath, text):
    store.write_bytes(layout.win_to_lab(root, winpath), text.encode("utf-8"))


def web_config(body):
    return '<?xml version="1.0" encoding="UTF-8"?>\n<configuration>\n%s\n</configuration>\n' % body


LIMITS_XML = ('<system.webServer><security><requestFiltering><requestLimits %s /></requestFiltering>'
              '</security></system.webServer>')


def test_effective_values_and_origins_in_a_healthy_lab(healthy_lab):
    got = iis.effective(healthy_lab, LIMITS, MSCEP)
    assert got["attributes"] == {"maxUrl": 65534, "maxQueryString": 65534, "maxAllowedContentLength": 50000000}
    assert got["origin"]["maxUrl"] == {"path": "MACHINE/WEBROOT/APPHOST", "is_default": False,
                                       "location": "Default Web Site"}
    assert got["origin"]["maxAllowedContentLength"] == {"path": "MACHINE/WEBROOT/APPHOST", "is_default": False}
    assert got["locked"] is False
    win = iis.effective(healthy_lab, WINAUTH, MSCEP, ["enabled"])
    assert win["attributes"] == {"enabled": False}
    assert win["origin"]["enabled"] == {"path": "default", "is_default": True}
    assert win["locked"] is True


def test_schema_defaults_when_nothing_sets_them(healthy_lab):
    doc = iis.apphost(healthy_lab, cached=False)
    for loc in iisxml.elements(doc.root, "location"):
        if loc.get("path") == "Default Web Site":
            doc.root.remove(loc)
    doc.save()
    got = iis.effective(healthy_lab, LIMITS, MSCEP, ["maxUrl", "maxQueryString"])
    assert got["attributes"] == {"maxUrl": 4096, "maxQueryString": 2048}
    assert all(o["is_default"] for o in got["origin"].values())


def test_site_web_config_overrides_applicationhost(healthy_lab):
    put(healthy_lab, r"C:\inetpub\wwwroot\web.config", web_config(LIMITS_XML % 'maxUrl="4096" maxQueryString="2048"'))
    got = iis.effective(healthy_lab, LIMITS, MSCEP)
    assert got["attributes"]["maxUrl"] == 4096 and got["attributes"]["maxQueryString"] == 2048
    assert got["origin"]["maxUrl"] == {"path": SITE_PATH, "is_default": False}
    # the apphost value is still there, one level up
    assert iis.effective(healthy_lab, LIMITS, "")["attributes"]["maxUrl"] == 4096  # schema default at server level


def test_application_web_config_is_deeper_than_the_site(healthy_lab):
    put(healthy_lab, r"C:\inetpub\wwwroot\web.config", web_config(LIMITS_XML % 'maxUrl="4096"'))
    put(healthy_lab, r"C:\Windows\System32\CertSrv\mscep\web.config", web_config(LIMITS_XML % 'maxUrl="8192"'))
    got = iis.effective(healthy_lab, LIMITS, MSCEP)
    assert got["attributes"]["maxUrl"] == 8192
    assert got["origin"]["maxUrl"]["path"] == SITE_PATH + "/certsrv/mscep"
    assert iis.effective(healthy_lab, LIMITS, "Default Web Site")["attributes"]["maxUrl"] == 4096


def test_location_tag_inside_a_web_config(healthy_lab):
    put(healthy_lab, r"C:\inetpub\wwwroot\web.config",
        web_config('<location path="certsrv/mscep">%s</location>' % (LIMITS_XML % 'maxQueryString="1000"')))
    assert iis.effective(healthy_lab, LIMITS, MSCEP)["attributes"]["maxQueryString"] == 1000
    assert iis.effective(healthy_lab, LIMITS, MSCEP)["origin"]["maxQueryString"] == {
        "path": SITE_PATH, "is_default": False, "location": "certsrv/mscep"}
    assert iis.effective(healthy_lab, LIMITS, "Default Web Site")["attributes"]["maxQueryString"] == 65534


def test_locations_match_case_insensitively(healthy_lab):
    got = iis.effective(healthy_lab, WINAUTH, "default web site/CERTIFICATEREGISTRATIONSVC")
    assert got["origin"]["enabled"]["location"] == "Default Web Site/CertificateRegistrationSvc"


def test_locked_section_cannot_go_to_a_web_config(healthy_lab):
    before = store.read_bytes(layout.win_to_lab(healthy_lab, r"C:\inetpub\wwwroot\web.config"))
    with pytest.raises(iis.IisError) as err:
        iis.write(healthy_lab, WINAUTH, "Default Web Site/CertificateRegistrationSvc", SITE_PATH, {"enabled": True})
    assert err.value.code == "precondition"
    assert 'overrideModeDefault="Deny"' in str(err.value)
    assert store.read_bytes(layout.win_to_lab(healthy_lab, r"C:\inetpub\wwwroot\web.config")) == before


def test_override_mode_allow_in_a_location_unlocks(healthy_lab):
    doc = iis.apphost(healthy_lab, cached=False)
    iisxml.append(doc.root, doc.root, "location", {"path": "Default Web Site", "overrideMode": "Allow"})
    doc.save()
    assert iis.is_locked(healthy_lab, ANON, MSCEP) is False
    iis.write(healthy_lab, ANON, MSCEP, SITE_PATH, {"enabled": False})
    got = iis.effective(healthy_lab, ANON, MSCEP, ["enabled"])
    assert got["attributes"]["enabled"] is False and got["origin"]["enabled"]["path"] == SITE_PATH


def test_write_changes_only_the_attribute(healthy_lab):
    filename = layout.win_to_lab(healthy_lab, layout.APPHOST_CONFIG)
    before = store.read_bytes(filename).decode("utf-8")
    iis.write(healthy_lab, LIMITS, "Default Web Site", iis.APPHOST, {"maxUrl": 4096})
    after = store.read_bytes(filename).decode("utf-8")
    assert after == before.replace('maxUrl="65534" maxQueryString', 'maxUrl="4096" maxQueryString')
    assert "<!--" in after


def test_write_creates_a_location_tag_like_appcmd(healthy_lab):
    iis.write(healthy_lab, LIMITS, MSCEP, iis.APPHOST, {"maxQueryString": 30000})
    got = iis.effective(healthy_lab, LIMITS, MSCEP)
    assert got["attributes"]["maxQueryString"] == 30000
    assert got["origin"]["maxQueryString"]["location"] == MSCEP
    text = store.read_bytes(layout.win_to_lab(healthy_lab, layout.APPHOST_CONFIG)).decode("utf-8")
    assert '    <location path="Default Web Site/certsrv/mscep">\n        <system.webServer>' in text
    assert text.rstrip().endswith("</location>\n</configuration>")


def test_commit_location_empty_writes_the_global_section(healthy_lab):
    iis.write(healthy_lab, LIMITS, MSCEP, iis.APPHOST, {"maxAllowedContentLength": 123}, commit_location="")
    got = iis.effective(healthy_lab, LIMITS, MSCEP)
    assert got["attributes"]["maxAllowedContentLength"] == 123
    assert got["origin"]["maxAllowedContentLength"] == {"path": iis.APPHOST, "is_default": False}


def test_write_to_a_new_web_config_at_an_application(healthy_lab):
    iis.write(healthy_lab, LIMITS, MSCEP, SITE_PATH + "/certsrv/mscep", {"maxUrl": 20000})
    assert os.path.isfile(layout.win_to_lab(healthy_lab, r"C:\Windows\System32\CertSrv\mscep\web.config"))
    assert iis.effective(healthy_lab, LIMITS, MSCEP)["origin"]["maxUrl"]["path"] == SITE_PATH + "/certsrv/mscep"


@pytest.mark.parametrize("commit", ["MACHINE/WEBROOT", "MACHINE/WEBROOT/APPHOST/Other Site",
                                    "MACHINE/WEBROOT/APPHOST/Default Web Site/certsrv/mscep/deeper"])
def test_bad_commit_paths_are_refused(healthy_lab, commit):
    with pytest.raises(iis.IisError) as err:
        iis.plan_write(healthy_lab, LIMITS, MSCEP, commit)
    assert err.value.code == "invalid_request"


def test_sites_applications_and_log_folder(healthy_lab):
    site = iis.sites(healthy_lab)[0]
    assert (site["id"], site["name"], site["log_format"]) == (1, "Default Web Site", "W3C")
    assert site["log_directory"] == r"%SystemDrive%\inetpub\logs\LogFiles"
    assert site["log_directory_expanded"] == r"C:\inetpub\logs\LogFiles"
    apps = dict((a["path"], (a["pool"], a["physical_path"])) for a in site["applications"])
    assert apps["/certsrv/mscep"] == ("SCEP", r"C:\Windows\system32\CertSrv\mscep")
    assert apps["/"][0] == "DefaultAppPool" and "/CertificateRegistrationSvc" in apps
    assert iis.physical_path(healthy_lab, "Default Web Site/certsrv") == r"C:\inetpub\wwwroot\certsrv"
    doc = iis.apphost(healthy_lab, cached=False)
    site_el = iisxml.find_path(doc.root, ["system.applicationHost", "sites", "site"])
    iisxml.append(doc.root, site_el, "logFile", {"directory": r"D:\IISLogs"})
    doc.save()
    assert iis.sites(healthy_lab)[0]["log_directory_expanded"] == r"D:\IISLogs"


def test_the_shared_sample_round_trips_and_reads(healthy_lab):
    with open(SAMPLE, "rb") as handle:
        raw = handle.read()
    doc = iisxml.ConfigDoc("x", raw.decode("utf-8"))
    assert doc.to_bytes() == raw
    store.write_bytes(layout.win_to_lab(healthy_lab, layout.APPHOST_CONFIG), raw)
    got = iis.effective(healthy_lab, LIMITS, "Default Web Site/CertSrv/mscep")
    assert got["attributes"]["maxUrl"] == 65534
    admin = iis.effective(healthy_lab, WINAUTH, "Default Web Site/CertSrv/mscep_admin", ["enabled"])
    assert admin["attributes"]["enabled"] is True
