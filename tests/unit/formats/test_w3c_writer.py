# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""W3C writer helpers: directive block and data lines in the real format, read back by the reader."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from ansible_collections.ndes.scep.plugins.module_utils._formats import w3c

FIX = Path(__file__).resolve().parents[1] / "fixtures"
FIELDS = ("date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) "
          "cs(Referer) sc-status sc-substatus sc-win32-status time-taken").split()


def test_header_lines_match_the_sample_layout():
    lines = w3c.header_lines("Microsoft Internet Information Services 10.0", FIELDS,
                             dt.datetime(2025, 6, 11, 8, 14, 2))
    text = (FIX / "w3c" / "u_ex250611.log").read_text()
    sample = [line for line in text.splitlines() if not line.startswith("#Remark")]
    assert lines == sample[:4]


def test_header_date_is_written_in_utc():
    cet = dt.timezone(dt.timedelta(hours=2))
    assert w3c.header_lines("x", ["date"], dt.datetime(2025, 6, 11, 10, 0, 0, tzinfo=cet))[2] == "#Date: 2025-06-11 08:00:00"


def test_format_record_reproduces_a_sample_line():
    values = {"date": "2025-06-11", "time": "08:15:10", "s-ip": "10.0.0.20", "cs-method": "GET",
              "cs-uri-stem": "/certsrv/mscep/mscep.dll", "cs-uri-query": "operation=GetCACert&message=SCEP%20Authority",
              "s-port": 443, "cs-username": None, "c-ip": "10.5.14.22",
              "cs(User-Agent)": "profiled/1.0 CFNetwork/811.5.4 Darwin/16.6.0", "cs(Referer)": "",
              "sc-status": 500, "sc-substatus": 0, "sc-win32-status": 1346, "time-taken": 31}
    line = w3c.format_record(FIELDS, values)
    assert line in (FIX / "w3c" / "u_ex250611.log").read_text().splitlines()


def test_format_record_by_position_and_encoding():
    assert w3c.format_record(["a", "b", "c"], ["x y\tz", None, ""]) == "x+y+z - -"
    with pytest.raises(ValueError):
        w3c.format_record(["a", "b"], ["only one"])


def test_written_log_reads_back():
    when = dt.datetime(2025, 6, 11, 9, 0, 0, tzinfo=dt.timezone.utc)
    rows = [{"date": "2025-06-11", "time": "09:00:0%d" % i, "cs-method": "GET",
             "cs-uri-stem": "/certsrv/mscep/mscep.dll", "cs-uri-query": "operation=GetCACaps&message=x",
             "c-ip": "fe80::1%13", "cs(User-Agent)": "Mozilla/4.0 (compatible; Win32; NDES client)",
             "sc-status": 200, "sc-substatus": 0, "sc-win32-status": 0} for i in range(3)]
    text = "\r\n".join(w3c.header_lines("Microsoft Internet Information Services 10.0", FIELDS, when)
                       + [w3c.format_record(FIELDS, r) for r in rows]) + "\r\n"
    records, stats = w3c.read_records(text.encode("utf-8"))
    assert stats["malformed"] == {"field_count": 0, "bad_date": 0, "no_fields": 0}
    assert len(records) == 3
    assert records[2].user_agent_decoded == "Mozilla/4.0 (compatible; Win32; NDES client)"
    assert records[2]["s-ip"] is None and records[2]["c-ip"] == "fe80::1%13"
    assert records[2].timestamp == dt.datetime(2025, 6, 11, 9, 0, 2, tzinfo=dt.timezone.utc)
