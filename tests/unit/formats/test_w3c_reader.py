# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""W3C reader: records, field lists, malformed lines and stats on the sample and edge-case logs."""
from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pytest

from ansible_collections.ndes.scep.plugins.module_utils._formats import w3c

FIX = Path(__file__).resolve().parents[1] / "fixtures"
SAMPLE = FIX / "w3c" / "u_ex250611.log"
EDGE = FIX / "w3c" / "u_ex250612_edge.log"
LF = FIX / "w3c" / "u_ex250613_lf.log"
HTTPERR = FIX / "httperr" / "httperr1.log"
HTTPERR2 = FIX / "httperr" / "httperr2.log"
UTC = dt.timezone.utc


def test_sample_records_fields_and_values():
    records, stats = w3c.read_records(SAMPLE)
    assert len(records) == 7
    first = records[0]
    assert first["cs-uri-stem"] == "/certsrv/mscep/mscep.dll/pkiclient.exe"
    assert first["cs-uri-query"] == "operation=GetCACaps&message=default"
    assert first["cs-username"] is None and first["cs(Referer)"] is None  # '-' is empty
    assert first["time-taken"] == "186"
    assert first.line_no == 6
    assert first.timestamp == dt.datetime(2025, 6, 11, 8, 14, 2, tzinfo=UTC)
    assert [r["sc-status"] for r in records] == ["200", "200", "200", "201", "204", "500", "500"]
    assert records[5]["sc-win32-status"] == "1346"
    assert stats["kind"] == "iis"
    assert stats["lines"] == 12 and stats["directives"] == 5 and stats["records"] == 7
    assert stats["malformed"] == {"field_count": 0, "bad_date": 0, "no_fields": 0}
    assert stats["header_blocks"] == 1  # the #Remark before #Software belongs to the same block
    assert stats["headers"][0]["software"] == "Microsoft Internet Information Services 10.0"
    assert stats["headers"][0]["date"] == "2025-06-11 08:14:02"
    assert len(stats["headers"][0]["fields"]) == 15


def test_user_agent_raw_and_decoded():
    records, dummy = w3c.read_records(SAMPLE)
    assert records[0].user_agent == "Mozilla/4.0+(compatible;+Win32;+NDES+client)"
    assert records[0].user_agent_decoded == "Mozilla/4.0 (compatible; Win32; NDES client)"
    assert records[2].decoded("cs(User-Agent)") == "profiled/1.0 CFNetwork/975.0.3 Darwin/18.2.0"
    assert records[0].decoded("cs(Referer)") is None


def test_ipv6_zone_id_kept_and_split():
    records, dummy = w3c.read_records(SAMPLE)
    assert records[3]["c-ip"] == "fe80::f53d:89b8:c3e8:5fec%13"
    assert w3c.split_zone(records[3]["c-ip"]) == ("fe80::f53d:89b8:c3e8:5fec", "13")
    assert w3c.split_zone("10.0.0.50") == ("10.0.0.50", None)


def test_edge_bom_crlf_restarts_with_new_field_order():
    records, stats = w3c.read_records(EDGE)
    assert stats["bom"] is True
    assert [r.line_no for r in records] == [6, 7, 8, 15, 16, 23, 24]
    # second block: time first, date last, no s-ip / s-port
    ios = records[3]
    assert list(ios)[:2] == ["time", "c-ip"] and "s-ip" not in ios
    assert ios["sc-win32-status"] == "1346" and ios["c-ip"] == "10.5.14.22"
    assert ios.timestamp == dt.datetime(2025, 6, 12, 8, 0, 5, tzinfo=UTC)
    assert records[4]["c-ip"] == "fe80::1%7"
    # third block: back to the default field list
    assert records[5]["s-ip"] == "10.0.0.20" and records[6]["sc-substatus"] == "15"
    assert stats["header_blocks"] == 3
    assert stats["field_changes"] == 2
    assert [h["line_no"] for h in stats["headers"]] == [1, 11, 19]
    assert stats["headers"][1]["fields"][0] == "time"


def test_edge_malformed_lines_are_skipped_and_counted():
    dummy, stats = w3c.read_records(EDGE)
    # line 9 one field short, line 17 one field extra; line 10 month 13, line 18 time 8:0:7
    assert stats["malformed"] == {"field_count": 2, "bad_date": 2, "no_fields": 0}
    assert stats["records"] == 7
    assert stats["lines"] == 24 and stats["directives"] == 13


def test_lf_no_bom_data_before_fields_blank_and_unterminated_last_line():
    records, stats = w3c.read_records(LF)
    assert stats["bom"] is False
    assert stats["malformed"]["no_fields"] == 1
    assert stats["blank"] == 1
    assert stats["lines"] == 9
    assert [r.line_no for r in records] == [8, 9]
    assert records[-1]["time-taken"] == "640"  # the last line has no terminator
    assert records[-1]["cs-uri-query"].startswith("operation=PKIOperation&message=MIAGCSqGSIb3DQEH")


def test_httperr_fields_and_reasons():
    records, stats = w3c.read_records(HTTPERR)
    assert stats["kind"] == "httperr"
    assert [r["s-reason"] for r in records] == ["AppOffline", "Disabled", "AppPoolTimer", "QueueFull", "URL_Length",
                                                "FieldLength", "RequestLength", "Timer_ConnectionIdle"]
    assert records[0]["s-queuename"] == "SCEP" and records[0]["streamid"] is None
    path, query = w3c.uri_split(records[0]["cs-uri"])
    assert (path, query) == ("/certsrv/mscep/mscep.dll", "operation=GetCACert&message=SCEP%20Authority")
    assert records[4]["cs-uri"] is None and records[4]["cs-version"] is None
    assert records[7]["sc-status"] is None


def test_httperr_older_layout_after_restart():
    records, stats = w3c.read_records(HTTPERR2)
    assert stats["field_changes"] == 1 and stats["header_blocks"] == 2
    assert stats["malformed"] == {"field_count": 0, "bad_date": 1, "no_fields": 0}
    assert [r.line_no for r in records] == [6, 7, 12, 14]
    assert "streamid" in records[0] and "streamid" not in records[2]
    assert records[3]["s-queuename"] == "scep"


@pytest.mark.parametrize("chunk_size", [4096, 64, 1 << 20])
def test_same_result_for_path_bytes_lines_and_chunk_sizes(chunk_size):
    ref, ref_stats = w3c.read_records(EDGE)
    data = EDGE.read_bytes()
    for source in (data, io.BytesIO(data), data.decode("utf-8").splitlines(True),
                   io.StringIO(data.decode("utf-8"))):
        reader = w3c.W3CReader(source, chunk_size=chunk_size)
        got = list(reader)
        assert [dict(r) for r in got] == [dict(r) for r in ref]
        assert [r.line_no for r in got] == [r.line_no for r in ref]
        assert reader.stats.as_dict() == ref_stats


def test_iter_records_accepts_bytes_lines():
    lines = SAMPLE.read_bytes().splitlines()
    assert sum(1 for dummy in w3c.iter_records(lines)) == 7


def test_query_param_is_case_insensitive_and_raw():
    assert w3c.query_param("Operation=GetCACert&message=SCEP%20Authority", "operation") == "GetCACert"
    assert w3c.query_param("operation=GetCACert&message=SCEP%20Authority", "message") == "SCEP%20Authority"
    assert w3c.query_param(None, "operation") is None
    assert w3c.query_param("a=1", "operation") is None


def test_values_split_on_single_spaces_only():
    data = ("#Fields: date time cs(User-Agent) sc-status\r\n"
            "2025-06-11 08:00:00 Agent\u00a0With\u00a0NBSP 200\r\n"
            "2025-06-11 08:00:01 two  spaces 200\r\n").encode("utf-8")
    records, stats = w3c.read_records(data)
    assert [r["cs(User-Agent)"] for r in records] == ["Agent\u00a0With\u00a0NBSP"]
    assert stats["malformed"]["field_count"] == 1
