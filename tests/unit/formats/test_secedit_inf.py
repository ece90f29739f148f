# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""secedit /export INF: encodings, [Privilege Rights] as SIDs and names, exact round trip, edits."""
from __future__ import annotations

from pathlib import Path

import pytest

from ansible_collections.ndes.scep.plugins.module_utils._formats import secedit_inf as inf

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "secedit"
UTF16 = FIX / "secedit_export.inf"
UTF8 = FIX / "secedit_export.utf8.inf"
SECTIONS = ["Unicode", "System Access", "Event Audit", "Registry Values", "Privilege Rights", "Version"]


@pytest.mark.parametrize("path,encoding,bom,newline", [(UTF16, "utf-16-le", True, "\r\n"),
                                                       (UTF8, "utf-8", False, "\n")])
def test_encoding_detected_and_round_trip_is_exact(path, encoding, bom, newline):
    data = path.read_bytes()
    doc = inf.loads(data)
    assert (doc.encoding, doc.bom, doc.newline) == (encoding, bom, newline)
    assert doc.section_names() == SECTIONS
    assert inf.dumps(doc) == data


def test_utf16_without_bom_and_utf8_with_bom_are_read():
    text = UTF16.read_bytes()[2:]
    assert inf.loads(text).encoding == "utf-16-le" and inf.loads(text).bom is False
    doc = inf.loads(b"\xef\xbb\xbf" + UTF8.read_bytes())
    assert doc.encoding == "utf-8" and doc.bom is True
    assert inf.privilege_rights(doc) == inf.privilege_rights(inf.load(UTF16))


def test_privilege_rights_entries_as_written():
    rights = inf.privilege_rights(inf.load(UTF16))
    assert len(rights) == 30
    assert rights["SeImpersonatePrivilege"] == ["*S-1-5-19", "*S-1-5-20", "SQLServerDTSUser$WIN-GGIJGO1UO32",
                                                "*S-1-5-32-544", "*S-1-5-32-568", "*S-1-5-6"]
    assert rights["SeAuditPrivilege"] == ["*S-1-5-19", "*S-1-5-20", "Classic .NET AppPool", "DefaultAppPool"]
    assert "SeTcbPrivilege" not in rights  # nobody holds it: absent


def test_holders_split_sids_and_names():
    doc = inf.load(UTF16)
    assert inf.holders(doc, "SeImpersonatePrivilege") == {
        "sids": ["S-1-5-19", "S-1-5-20", "S-1-5-32-544", "S-1-5-32-568", "S-1-5-6"],
        "names": ["SQLServerDTSUser$WIN-GGIJGO1UO32"]}
    assert inf.holders(doc, "SeTcbPrivilege") == {"sids": [], "names": []}
    assert inf.split_entries(["*S-1-5-80-0", "*notasid", "IIS_IUSRS"]) == {
        "sids": ["S-1-5-80-0"], "names": ["*notasid", "IIS_IUSRS"]}


def test_other_sections_read_as_values():
    doc = inf.load(UTF16)
    assert doc.values("System Access")["NewAdministratorName"] == '"Administrator"'
    assert doc.values("Version") == {"signature": '"$CHICAGO$"', "Revision": "1"}
    assert doc.values("Registry Values")["MACHINE\\System\\CurrentControlSet\\Control\\Lsa\\NoLMHash"] == "4,1"


def test_set_right_rewrites_one_line_and_keeps_everything_else():
    data = UTF16.read_bytes()
    doc = inf.loads(data)
    inf.set_privilege_right(doc, "SeImpersonatePrivilege", ["S-1-5-19", "*S-1-5-20", "S-1-5-32-568", "S-1-5-32-568"])
    out = inf.dumps(doc)
    assert out[:2] == b"\xff\xfe"
    before = data.decode("utf-16").split("\r\n")
    after = out.decode("utf-16").split("\r\n")
    changed = [(a, b) for a, b in zip(before, after) if a != b]
    assert len(before) == len(after) and len(changed) == 1
    assert changed[0][1] == "SeImpersonatePrivilege = *S-1-5-19,*S-1-5-20,*S-1-5-32-568"


def test_add_and_remove_rights():
    doc = inf.load(UTF8)
    inf.set_privilege_right(doc, "SeTcbPrivilege", ["S-1-5-18", "Some Account"])
    inf.set_privilege_right(doc, "SeUndockPrivilege", [])
    again = inf.loads(inf.dumps(doc))
    rights = inf.privilege_rights(again)
    assert rights["SeTcbPrivilege"] == ["*S-1-5-18", "Some Account"]
    assert "SeUndockPrivilege" not in rights
    assert again.lines("Privilege Rights")[-1] == "SeTcbPrivilege = *S-1-5-18,Some Account"
    assert again.section_names() == SECTIONS


def test_new_document_is_a_real_format_export():
    doc = inf.new_document()
    inf.set_privilege_right(doc, "SeImpersonatePrivilege", ["S-1-5-32-568"])
    data = inf.dumps(doc)
    assert data.startswith(b"\xff\xfe[\x00U\x00")
    assert b"\r\x00\n\x00" in data
    text = data.decode("utf-16")
    assert text.split("\r\n")[:4] == ["[Unicode]", "Unicode=yes", "[Privilege Rights]",
                                      "SeImpersonatePrivilege = *S-1-5-32-568"]
    assert inf.holders(data, "SeImpersonatePrivilege")["sids"] == ["S-1-5-32-568"]


def test_section_created_before_version_when_missing():
    doc = inf.loads("[Unicode]\r\nUnicode=yes\r\n[Version]\r\nsignature=\"$CHICAGO$\"\r\nRevision=1\r\n")
    inf.set_privilege_right(doc, "SeServiceLogonRight", ["*S-1-5-80-0"])
    assert doc.section_names() == ["Unicode", "Privilege Rights", "Version"]
