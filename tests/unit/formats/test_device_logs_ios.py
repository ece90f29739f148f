# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""iOS/iPadOS debug log triage by the seed's key strings."""
from __future__ import annotations

from ansible_collections.ndes.scep.plugins.module_utils._formats.device_logs import analyze_device_log

from .device_fixtures import device_log


def test_seed_log_sends_csr_via_get_and_pkioperation():
    res = analyze_device_log(device_log("ios_debug_seed.log"))
    assert res["platform"] == "ios"
    assert res["stage_reached"] == "pkioperation"
    assert res["ndes_url"] == "https://<server>-contoso.msappproxy.net/certsrv/mscep/mscep.dll"
    assert res["uses_msappproxy"] is True
    assert [(e["kind"], e["stage"], e["operation"]) for e in res["events"]] == [
        ("request", "getcacert", "GetCACert"),
        ("request", "getcacaps", "GetCACaps"),
        ("enroll_attempt", "request_queued", None),
        ("csr_sent_get", "csr_sent_get", "PKIOperation"),
        ("request", "pkioperation", "PKIOperation")]
    assert res["events"][0]["time"] == "18:30:53.691033 -0500"
    # the PKIOperation line is tens of KB on a device: events keep it short
    assert all(len(e["text"]) <= 303 for e in res["events"])
    assert res["last_error"] is None


def test_custom_domain_timeout():
    res = analyze_device_log(device_log("ios_debug_timeout.log"))
    assert res["platform"] == "ios"
    assert res["stage_reached"] == "getcacert"
    assert res["ndes_url"] == "https://ndes.contoso.com/certsrv/mscep/mscep.dll"
    assert res["url_host"] == "ndes.contoso.com" and res["uses_msappproxy"] is False
    assert "NSURLErrorDomain Code=-1001" in res["last_error"]
    assert res["events"][-1]["kind"] == "error"


def test_unrelated_text_is_unknown_and_none():
    res = analyze_device_log("hello\nworld\n")
    assert res == {"platform": "unknown", "stage_reached": "none", "ndes_url": None, "url_host": None,
                   "uses_msappproxy": False, "last_error": None, "events": []}
