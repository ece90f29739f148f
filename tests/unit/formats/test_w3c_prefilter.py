# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""W3C reader fast path: the prefilter skips lines before decoding, yet directives and field changes still apply."""
from __future__ import annotations

from pathlib import Path

import pytest

from ansible_collections.ndes.scep.plugins.module_utils._formats import w3c

FIX = Path(__file__).resolve().parents[1] / "fixtures"
SAMPLE = FIX / "w3c" / "u_ex250611.log"
EDGE = FIX / "w3c" / "u_ex250612_edge.log"


def test_prefilter_keeps_only_matching_lines():
    records, stats = w3c.read_records(SAMPLE, prefilter="mscep.dll")
    assert [r.line_no for r in records] == [6, 7, 8, 11]
    assert all("mscep.dll" in r["cs-uri-stem"] for r in records)
    assert stats["prefiltered"] == 3       # the three CertificateRegistrationSvc lines
    assert stats["lines"] == 12 and stats["directives"] == 5


def test_prefilter_is_case_insensitive_by_default():
    lines = ["#Fields: date time cs-uri-stem sc-status",
             "2025-06-11 08:00:00 /certsrv/mscep/MSCEP.DLL 200",
             "2025-06-11 08:00:01 /certsrv/mscep/mscep.dll 200",
             "2025-06-11 08:00:02 /other 200"]
    data = ("\r\n".join(lines) + "\r\n").encode()
    assert len(w3c.read_records(data, prefilter="mscep.dll")[0]) == 2
    records, stats = w3c.read_records(data, prefilter="mscep.dll", ignore_case=False)
    assert [r["cs-uri-stem"] for r in records] == ["/certsrv/mscep/mscep.dll"]
    assert stats["prefiltered"] == 2


def test_prefilter_any_of_several_substrings():
    records, stats = w3c.read_records(SAMPLE, prefilter=("mscep.dll", b"CertificateRegistrationSvc"))
    assert len(records) == 7 and stats["prefiltered"] == 0


def test_prefilter_follows_field_changes_and_still_counts_malformed_matches():
    records, stats = w3c.read_records(EDGE, prefilter="mscep.dll")
    # line 8 (GET /) and line 23 (CertificateRegistrationSvc) are skipped unread
    assert [r.line_no for r in records] == [6, 7, 15, 16, 24]
    assert records[2]["time"] == "08:00:05" and "s-ip" not in records[2]
    assert stats["prefiltered"] == 2
    assert stats["malformed"] == {"field_count": 2, "bad_date": 2, "no_fields": 0}
    assert stats["field_changes"] == 2


@pytest.mark.parametrize("chunk_size", [64, 4096])
def test_prefilter_same_on_chunks_and_lines(chunk_size):
    data = EDGE.read_bytes()
    by_chunks = w3c.W3CReader(data, prefilter="mscep.dll", chunk_size=chunk_size)
    by_lines = w3c.W3CReader(data.decode("utf-8").splitlines(True), prefilter="mscep.dll")
    a, b = list(by_chunks), list(by_lines)
    assert [(r.line_no, dict(r)) for r in a] == [(r.line_no, dict(r)) for r in b]
    assert by_chunks.stats.as_dict() == by_lines.stats.as_dict()


def test_prefilter_never_decodes_skipped_lines():
    # an undecodable byte on a skipped line costs nothing and shows nowhere
    data = (b"#Fields: date time cs-uri-stem\n"
            b"2025-06-11 08:00:00 /caf\xe9\xff\n"
            b"2025-06-11 08:00:01 /certsrv/mscep/mscep.dll\n")
    records, stats = w3c.read_records(data, prefilter="mscep.dll", errors="strict")
    assert len(records) == 1 and stats["prefiltered"] == 1
