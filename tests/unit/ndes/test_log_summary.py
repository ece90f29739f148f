# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""NDES log summaries: SCEP traffic by operation/status/platform, time windows, FAULTS.md signals, file selection."""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from ansible_collections.ndes.scep.plugins.module_utils._formats import w3c
from ansible_collections.ndes.scep.plugins.module_utils._ndes import log_summary as ls

FIX = Path(__file__).resolve().parents[1] / "fixtures"
SAMPLE = FIX / "w3c" / "u_ex250611.log"
EDGE = FIX / "w3c" / "u_ex250612_edge.log"
HTTPERR = FIX / "httperr" / "httperr1.log"
HTTPERR2 = FIX / "httperr" / "httperr2.log"
UTC = dt.timezone.utc

TRAFFIC_KEYS = {"requests", "first", "last", "by_operation", "by_status", "by_platform", "by_operation_status",
                "by_path"}
SIGNAL_KEYS = {"signal", "fault", "source", "count", "first", "last", "example"}


def _records(path, **kw):
    return list(w3c.W3CReader(path, **kw))


def _signal(summary, name):
    hits = [s for s in summary["signals"] if s["signal"] == name]
    assert len(hits) <= 1
    return hits[0] if hits else None


def test_w3c_sample_traffic():
    s = ls.summarize_w3c(_records(SAMPLE))
    assert set(s) == {"source", "records", "outside_window", "untimed", "first", "last", "mscep", "certreg",
                      "signals", "no_mscep_requests", "parse"}
    assert s["records"] == 7 and s["first"] == "2025-06-11T08:14:02+00:00" and s["last"] == "2025-06-11T08:16:40+00:00"
    m = s["mscep"]
    assert set(m) == TRAFFIC_KEYS
    assert m["requests"] == 4
    assert m["by_operation"] == {"GetCACaps": 1, "GetCACert": 3}
    assert m["by_status"] == {"200.0.0": 3, "500.0.1346": 1}
    assert m["by_platform"] == {"windows": 2, "android": 0, "ios": 2, "other": 0}
    assert m["by_operation_status"] == {"GetCACaps": {"200.0.0": 1}, "GetCACert": {"200.0.0": 2, "500.0.1346": 1}}
    assert m["by_path"] == {"/certsrv/mscep/mscep.dll": 2, "/certsrv/mscep/mscep.dll/pkiclient.exe": 2}
    c = s["certreg"]
    assert c["requests"] == 3 and c["by_status"] == {"201.0.0": 1, "204.0.0": 1, "500.0.0": 1}
    assert c["by_path"] == {"/CertificateRegistrationSvc/Certificate/Notify": 1,
                            "/CertificateRegistrationSvc/Certificate/VerifyRequest": 2}
    assert c["by_platform"]["other"] == 3
    assert s["no_mscep_requests"] is False


def test_w3c_sample_impersonate_signal():
    s = ls.summarize_w3c(_records(SAMPLE))
    sig = _signal(s, "mscep_500_1346")
    assert set(sig) == SIGNAL_KEYS
    assert (sig["fault"], sig["source"], sig["count"]) == ("IMPERSONATE_RIGHT", "w3c", 1)
    assert sig["first"] == sig["last"] == "2025-06-11T08:15:10+00:00"
    assert sig["example"]["line_no"] == 11 and sig["example"]["status"] == "500.0.1346"
    assert sig["example"]["client"] == "10.5.14.22"
    assert sig["example"]["user_agent"] == "profiled/1.0+CFNetwork/811.5.4+Darwin/16.6.0"
    # the certreg 500 (win32 0) is not the impersonation signal
    assert [x["signal"] for x in s["signals"]] == ["mscep_500_1346"]


def test_window_since_until():
    s = ls.summarize_w3c(_records(SAMPLE), since=dt.datetime(2025, 6, 11, 8, 14, 3),
                         until="2025-06-11T08:15:10Z")
    assert s["records"] == 4 and s["outside_window"] == 3
    assert s["mscep"]["requests"] == 2 and s["mscep"]["by_status"] == {"200.0.0": 1, "500.0.1346": 1}
    assert s["first"] == "2025-06-11T08:14:03+00:00" and s["last"] == "2025-06-11T08:15:10+00:00"


def test_aware_since_is_converted_to_utc():
    cest = dt.timezone(dt.timedelta(hours=2))
    s = ls.summarize_w3c(_records(SAMPLE), since=dt.datetime(2025, 6, 11, 10, 16, 0, tzinfo=cest))
    assert s["records"] == 1 and s["certreg"]["requests"] == 1


def test_no_mscep_requests_in_window_is_a_signal():
    s = ls.summarize_w3c(_records(SAMPLE), since="2025-06-11T08:16:00+00:00")
    assert s["no_mscep_requests"] is True
    sig = _signal(s, "no_mscep_requests")
    assert (sig["fault"], sig["count"], sig["example"]) == ("NETWORK_BLOCKED", 0, None)
    assert s["mscep"]["requests"] == 0 and s["certreg"]["requests"] == 1


def test_edge_log_field_change_platforms_and_request_limits():
    reader = w3c.W3CReader(EDGE, prefilter=("mscep.dll", "CertificateRegistrationSvc"))
    s = ls.summarize_w3c(reader, parse_stats=None)
    m = s["mscep"]
    assert m["requests"] == 5
    assert m["by_platform"] == {"windows": 1, "android": 2, "ios": 2, "other": 0}
    assert m["by_status"] == {"200.0.0": 3, "404.15.0": 1, "500.0.1346": 1}
    assert s["certreg"]["requests"] == 1
    rl = _signal(s, "request_filtering_404_14_15")
    assert (rl["fault"], rl["count"], rl["example"]["line_no"]) == ("REQUEST_LIMITS", 1, 24)
    imp = _signal(s, "mscep_500_1346")
    assert imp["count"] == 1 and imp["example"]["line_no"] == 15 and imp["example"]["method"] == "GET"


def test_request_limits_counts_404_14_and_404_15_on_mscep_only():
    base = {"date": "2025-06-12", "cs-method": "GET", "sc-status": "404", "sc-win32-status": "0"}
    recs = [dict(base, time="07:00:01", **{"cs-uri-stem": "/certsrv/mscep/mscep.dll", "sc-substatus": "14"}),
            dict(base, time="07:00:02", **{"cs-uri-stem": "/certsrv/mscep/mscep.dll", "sc-substatus": "15"}),
            dict(base, time="07:00:03", **{"cs-uri-stem": "/owa/", "sc-substatus": "15"}),
            dict(base, time="07:00:04", **{"cs-uri-stem": "/certsrv/mscep/mscep.dll", "sc-substatus": "0"})]
    sig = _signal(ls.summarize_w3c(recs), "request_filtering_404_14_15")
    assert sig["count"] == 2
    assert (sig["first"], sig["last"]) == ("2025-06-12T07:00:01+00:00", "2025-06-12T07:00:02+00:00")
    assert sig["example"]["status"] == "404.14.0"


def test_httperr_sample_signals():
    s = ls.summarize_httperr(_records(HTTPERR))
    assert set(s) == {"source", "records", "outside_window", "untimed", "first", "last", "mscep", "by_reason",
                      "by_queue", "signals", "parse"}
    assert s["records"] == 8
    assert s["by_reason"] == {"AppOffline": 1, "AppPoolTimer": 1, "Disabled": 1, "FieldLength": 1, "QueueFull": 1,
                              "RequestLength": 1, "Timer_ConnectionIdle": 1, "URL_Length": 1}
    assert s["by_queue"] == {"-": 4, "SCEP": 4}
    assert s["mscep"]["requests"] == 6
    assert s["mscep"]["by_operation"] == {"GetCACaps": 2, "GetCACert": 2, "none": 2}
    assert s["mscep"]["by_status"] == {"400.-.-": 2, "503.-.-": 4}
    pool = _signal(s, "httperr_scep_pool_503")
    assert (pool["fault"], pool["source"], pool["count"]) == ("APP_POOL_STOPPED", "httperr", 4)
    assert pool["first"] == "2025-06-11T08:17:02+00:00" and pool["last"] == "2025-06-11T08:18:06+00:00"
    assert pool["example"]["reason"] == "AppOffline" and pool["example"]["queue"] == "SCEP"
    length = _signal(s, "httperr_length_limit")
    assert (length["fault"], length["count"]) == ("HTTPSYS_LIMITS", 3)
    assert length["example"]["reason"] == "URL_Length" and length["example"]["uri"] is None


def test_httperr_other_pool_and_queue_case():
    s = ls.summarize_httperr(_records(HTTPERR2))
    assert s["records"] == 4  # the bad-date line is not a record
    assert _signal(s, "httperr_scep_pool_503")["count"] == 2  # 'SCEP' and 'scep', not DefaultAppPool
    assert _signal(s, "httperr_length_limit")["count"] == 1
    other = ls.summarize_httperr(_records(HTTPERR2), scep_pool="NDESPool")
    assert _signal(other, "httperr_scep_pool_503") is None


def test_summarize_logs_combines_and_is_json():
    reader = w3c.W3CReader(SAMPLE, prefilter="mscep.dll")
    records = list(reader)
    out = ls.summarize_logs(w3c=records, httperr=_records(HTTPERR), w3c_stats=reader.stats.as_dict())
    assert set(out) == {"window", "w3c", "httperr", "signals", "faults", "no_mscep_requests"}
    assert out["faults"] == ["APP_POOL_STOPPED", "HTTPSYS_LIMITS", "IMPERSONATE_RIGHT"]
    assert [s["signal"] for s in out["signals"]] == ["httperr_scep_pool_503", "httperr_length_limit",
                                                     "mscep_500_1346"]
    assert out["no_mscep_requests"] is False
    assert out["w3c"]["parse"]["prefiltered"] == 3
    assert out["window"] == {"since": None, "until": None}
    assert json.loads(json.dumps(out)) == out


def test_summarize_logs_without_w3c_does_not_claim_no_requests():
    out = ls.summarize_logs(httperr=_records(HTTPERR))
    assert out["w3c"] is None and out["no_mscep_requests"] is None
    assert "NETWORK_BLOCKED" not in out["faults"]


def test_plain_dict_records_without_timestamp_attribute():
    recs = [{"date": "2025-06-11", "time": "08:00:00", "cs-uri-stem": "/certsrv/mscep/mscep.dll",
             "cs-uri-query": "operation=getcacert&message=x", "sc-status": "500", "sc-substatus": "0",
             "sc-win32-status": "1346", "cs(User-Agent)": "Dalvik/2.1.0 (Linux; U; Android 13)"},
            {"cs-uri-stem": "/certsrv/mscep/mscep.dll", "sc-status": "200"}]
    s = ls.summarize_w3c(recs)
    assert s["mscep"]["by_operation"] == {"GetCACert": 1, "none": 1}
    assert s["mscep"]["by_platform"]["android"] == 1
    assert s["mscep"]["by_status"] == {"200.-.-": 1, "500.0.1346": 1}
    windowed = ls.summarize_w3c(recs, since="2025-06-11T00:00:00Z")
    assert windowed["untimed"] == 1 and windowed["records"] == 1


def test_helpers():
    assert ls.classify_user_agent("Mozilla/4.0+(compatible;+Win32;+NDES+client)") == "windows"
    assert ls.classify_user_agent("Mozilla/4.0 (compatible; Win32; NDES client)") == "windows"
    assert ls.classify_user_agent("Dalvik/2.1.0+(Linux;+U;+Android+5.0;+P01M+Build/LRX21V)") == "android"
    assert ls.classify_user_agent("profiled/1.0+CFNetwork/975.0.3+Darwin/18.2.0") == "ios"
    assert ls.classify_user_agent("NDES_Plugin") == "other" and ls.classify_user_agent(None) == "other"
    assert ls.operation_of("message=x&OPERATION=PKIOperation") == "PKIOperation"
    assert ls.operation_of(None) == "none"
    assert ls.is_mscep_path("/CertSrv/MSCEP/mscep.dll/pkiclient.exe")
    assert not ls.is_mscep_path("/certsrv/mscep_admin/")


def _t(text):
    return dt.datetime.fromisoformat(text).replace(tzinfo=UTC)


LISTING = [
    {"path": "C:\\inetpub\\logs\\LogFiles\\W3SVC1\\u_ex250610.log", "modified": "2025-06-11T00:00:05Z", "size": 10},
    {"path": "C:\\inetpub\\logs\\LogFiles\\W3SVC1\\u_ex250611.log", "modified": "2025-06-11T23:59:59Z", "size": 20},
    {"path": "C:\\inetpub\\logs\\LogFiles\\W3SVC1\\u_ex250612.log", "modified": _t("2025-06-12T10:00:00")},
    {"path": "C:\\Windows\\System32\\LogFiles\\HTTPERR\\httperr1.log", "modified": "2025-06-10T12:00:00Z"},
    {"path": "C:\\Windows\\System32\\LogFiles\\HTTPERR\\httperr2.log", "modified": "2025-06-11T08:30:00Z"},
    {"name": "httperr3.log", "modified": _t("2025-06-12T10:00:00").timestamp()},
    {"path": "C:\\inetpub\\logs\\LogFiles\\W3SVC1\\notes.txt", "modified": "2025-06-11T08:30:00Z"},
]


def test_select_files_for_a_window():
    got = ls.select_log_files(LISTING, since="2025-06-11T08:00:00Z", until="2025-06-11T09:00:00Z")
    assert [(g["kind"], g["path"].split("\\")[-1]) for g in got] == [
        ("httperr", "httperr2.log"), ("httperr", "httperr3.log"), ("w3c", "u_ex250611.log")]
    assert got[0]["period_start"] == "2025-06-10T12:00:00+00:00" and got[0]["period_end"] == "2025-06-11T08:30:00+00:00"
    assert got[2]["period_start"] == "2025-06-11T00:00:00+00:00" and got[2]["size"] == 20


def test_select_files_slack_and_limits():
    late = ls.select_log_files(LISTING, since="2025-06-11T22:00:00Z", until="2025-06-11T23:00:00Z")
    # with the default 14 h slack the next day's file may hold local-time entries of the window
    assert [g["path"].split("\\")[-1] for g in late if g["kind"] == "w3c"] == ["u_ex250611.log", "u_ex250612.log"]
    strict = ls.select_log_files(LISTING, since="2025-06-11T22:00:00Z", until="2025-06-11T23:00:00Z", slack_hours=0)
    assert [g["path"].split("\\")[-1] for g in strict if g["kind"] == "w3c"] == ["u_ex250611.log"]
    everything = ls.select_log_files(LISTING)
    assert len(everything) == 6
    newest = ls.select_log_files(LISTING, max_files=1)
    assert [g["path"].split("\\")[-1] for g in newest] == ["httperr3.log", "u_ex250612.log"]


def test_select_files_weekly_name_extends_to_mtime():
    listing = [{"path": "u_ex250602.log", "modified": "2025-06-14T23:00:00Z"}]
    got = ls.select_log_files(listing, since="2025-06-12T00:00:00Z", until="2025-06-12T01:00:00Z", slack_hours=0)
    assert len(got) == 1 and got[0]["period_end"] == "2025-06-14T23:00:00+00:00"
