# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Android OMADM log triage by the seed's key strings."""
from __future__ import annotations

from ansible_collections.ndes.scep.plugins.module_utils._formats.device_logs import analyze_device_log

from .device_fixtures import device_log


def test_seed_log_reaches_pkioperation_through_app_proxy():
    res = analyze_device_log(device_log("android_omadm_seed.log"))
    assert res["platform"] == "android"
    assert res["stage_reached"] == "pkioperation"
    assert res["ndes_url"] == "https://<server>.msappproxy.net/certsrv/mscep/mscep.dll"
    assert res["url_host"] == "<server>.msappproxy.net"
    assert res["uses_msappproxy"] is True
    assert res["last_error"] is None
    kinds = [(e["kind"], e["stage"], e["operation"]) for e in res["events"]]
    assert kinds == [("requests_pending", "request_queued", None),
                     ("enroll_attempt", "request_queued", None),
                     ("request", "getcacaps", "GetCACaps"),
                     ("response", "getcacaps", "GetCACaps"),
                     ("pkimessage_signed", "getcacert", None),
                     ("pkimessage_sent", "pkioperation", "PKIOperation")]
    response = res["events"][3]
    assert response["status"] == "200 OK" and response["time"] == "2018-02-27T05:16:14.6440000"
    assert response["n"] == 4 and response["error"] is False


def test_503_answer_stops_at_getcacaps_with_last_error():
    res = analyze_device_log(device_log("android_omadm_503.log").encode("utf-8"))
    assert res["platform"] == "android"
    assert res["stage_reached"] == "getcacaps"
    assert res["url_host"] == "ndes-contoso.msappproxy.net"
    assert res["last_error"].startswith("2025-06-12T07:16:14.6440000")
    assert "Received '503 Service Unavailable'" in res["last_error"]
    assert res["events"][-1]["status"] == "503 Service Unavailable" and res["events"][-1]["error"] is True


def test_zero_pending_requests_is_no_stage():
    line = ("2025-06-12T07:16:08.2500000  VERB  Event  com.microsoft.omadm.platforms.android.certmgr."
            "CertificateEnrollmentManager  18327    10  There are 0 requests")
    res = analyze_device_log([line])
    assert res["platform"] == "android" and res["stage_reached"] == "none"
    assert res["ndes_url"] is None and res["uses_msappproxy"] is False


def test_platform_can_be_forced():
    res = analyze_device_log(device_log("android_omadm_seed.log"), platform="android")
    assert res["stage_reached"] == "pkioperation"
