# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Windows event 36 triage from wevtutil XML and JSON exports, by event id and EventData, never the Message."""
from __future__ import annotations

import json

from ansible_collections.ndes.scep.plugins.module_utils._formats.device_logs import analyze_device_log

from .device_fixtures import device_bytes


def test_wevtutil_xml_installed():
    res = analyze_device_log(device_bytes("windows_events_installed.xml"))
    assert res["platform"] == "windows"
    assert res["stage_reached"] == "certificate_installed"
    assert res["ndes_url"] == "https://ndes-contoso.msappproxy.net/certsrv/mscep/mscep.dll/pkiclient.exe"
    assert res["uses_msappproxy"] is True and res["last_error"] is None
    assert [(e["kind"], e["stage"]) for e in res["events"]] == [
        ("request_generated", "getcacert"), ("request_sent", "pkioperation"),
        ("response_received", "pkioperation"), ("certificate_installed", "certificate_installed")]
    ev36 = res["events"][0]
    assert ev36["time"] == "2025-06-12T07:40:01.1234567Z"
    assert "eku=1.3.6.1.5.5.7.3.2" in ev36["text"] and "ksp_setting=0x2" in ev36["text"]
    assert "store_location=0x1" in ev36["text"]


def test_xml_with_root_element_and_declaration():
    body = device_bytes("windows_events_installed.xml").decode("utf-8")
    wrapped = '<?xml version="1.0" encoding="utf-8"?>\n<Events>' + body + "</Events>"
    assert analyze_device_log(wrapped)["stage_reached"] == "certificate_installed"


def test_powershell_json_failure_ignores_localized_message():
    res = analyze_device_log(device_bytes("windows_events_failed.json"))
    assert res["platform"] == "windows"
    assert res["stage_reached"] == "getcacert"
    assert res["ndes_url"] == "https://ndes.contoso.com/certsrv/mscep/mscep.dll/pkiclient.exe"
    assert res["uses_msappproxy"] is False
    assert res["last_error"] == "event 32 enroll_failed: %1=0x80072ee2"
    failed = res["events"][1]
    assert failed["status"] == "0x80072ee2" and failed["error"] is True
    assert res["events"][0]["time"] == "2025-06-12T07:40:01.123000+00:00"
    assert all("registrazione" not in e["text"] for e in res["events"])


def test_named_eventdata_url_found_by_value_not_position():
    res = analyze_device_log(json.loads(device_bytes("windows_event36_named.json"))["events"])
    assert res["ndes_url"] == "https://NDES.Contoso.com:8443/certsrv/mscep/mscep.dll"
    assert res["url_host"] == "ndes.contoso.com"
    assert "ndes_url=https://NDES.Contoso.com:8443" in res["events"][0]["text"]
    # not in the documented order: the other values keep their own names
    assert "Value1=1.3.6.1.5.5.7.3.2" in res["events"][0]["text"] and "Value3=0x2" in res["events"][0]["text"]
    assert "eku=" not in res["events"][0]["text"]


def test_contract_event_records_and_other_ids_ignored():
    events = [{"id": 36, "provider": "Microsoft-Windows-DeviceManagement-Enterprise-Diagnostics-Provider",
               "log": "Microsoft-Windows-DeviceManagement-Enterprise-Diagnostics-Provider/Admin",
               "time": "2025-06-12T07:40:01Z", "record_id": 1, "level": 4,
               "properties": ["1.3.6.1.5.5.7.3.2", "https://ndes.contoso.com/certsrv/mscep/mscep.dll", "", "0x2", "0x1"]},
              {"id": 209, "provider": "Microsoft-Windows-DeviceManagement-Enterprise-Diagnostics-Provider",
               "time": "2025-06-12T07:41:00Z", "level": 4, "properties": ["0x0"]},
              {"id": 36, "provider": "Some-Other-Provider", "time": "2025-06-12T07:42:00Z", "level": 4,
               "properties": ["x", "https://elsewhere.example/"]}]
    res = analyze_device_log(events)
    assert res["stage_reached"] == "getcacert"
    assert len(res["events"]) == 1 and res["url_host"] == "ndes.contoso.com"


def test_empty_windows_input():
    res = analyze_device_log([], platform="windows")
    assert (res["platform"], res["stage_reached"], res["events"]) == ("windows", "none", [])
