# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The run report: document, JSON, Markdown and self-contained HTML."""
from __future__ import annotations

import json
import os
from html.parser import HTMLParser

from ansible_collections.ndes.scep.plugins.module_utils._ndes import report

DOCS = {"en": "https://learn.microsoft.com/en-us/troubleshoot/mem/intune/certificates/troubleshoot-scep-certificate-device-to-ndes",
        "it": "https://learn.microsoft.com/it-it/troubleshoot/mem/intune/certificates/troubleshoot-scep-certificate-device-to-ndes"}


def finding(fid, severity="error", module=None, auto=True, evidence=None, title=None):
    return {
        "id": fid, "severity": severity, "section": "A",
        "title": title or {"en": "%s title" % fid, "it": "titolo %s" % fid},
        "next_step": {"en": "do %s" % fid, "it": "fai %s" % fid},
        "evidence": evidence if evidence is not None else {"max_url": 4096, "origin": "MACHINE/WEBROOT/APPHOST"},
        "fix": {"module": module, "variable": "ndes_fix_%s" % module if module else None, "auto_fixable": auto},
        "docs": DOCS,
    }


CHANGE = {"module": "request_limits", "id": "max_url", "kind": "iis_property",
          "before": {"attributes": {"maxUrl": 4096}}, "after": {"attributes": {"maxUrl": 65534}},
          "backup": "/lab/backups/RUN/001-applicationHost.config"}


def hosts():
    return {
        "ndes01": {"findings": [finding("REQUEST_LIMITS", module="request_limits"),
                                finding("CRL_UNREACHABLE", "warning", module="capi2_log", auto=False),
                                finding("IMPERSONATE_RIGHT", "critical", module="user_right")],
                   "changes": [CHANGE],
                   "backups": [{"run_id": "RUN", "items": ["/lab/backups/RUN/001-applicationHost.config"]}],
                   "reboot_required": True},
        "ndes02": {"findings": [], "changes": [], "backups": [], "reboot_required": False},
        "ndes03": None,
    }


class Rows(HTMLParser):
    """Collects <tr> attributes and every tag / attribute that would load something."""

    def __init__(self):
        HTMLParser.__init__(self)
        self.rows = []
        self.loads = []
        self.text = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "tr":
            self.rows.append(attrs)
        if tag in ("script", "link", "img", "iframe", "object", "embed") or "src" in attrs:
            self.loads.append((tag, attrs))
        if tag == "a" and not attrs.get("href", "").startswith(("#", "https://", "http://")):
            self.loads.append((tag, attrs))

    def handle_data(self, data):
        self.text.append(data)


def parse(text):
    parser = Rows()
    parser.feed(text)
    return parser


def test_document_summary_counts_hosts_findings_and_changes():
    doc = report.build("RUN", hosts(), mode="remediate", generated="2026-11-25T21:00:00Z")
    s = doc["summary"]
    assert s["hosts"] == 3
    assert s["hosts_reached"] == 2
    assert s["findings"] == 3
    assert s["by_severity"] == {"critical": 1, "error": 1, "warning": 1}
    assert s["auto_fixable"] == 2
    assert s["changes"] == 1
    assert s["hosts_changed"] == ["ndes01"]
    assert s["reboot_required"] == ["ndes01"]
    assert s["not_reached"] == ["ndes03"]
    assert s["hosts_with_findings"] == ["ndes01"]
    # findings are ordered by severity, then id
    assert [f["id"] for f in doc["hosts"][0]["findings"]] == ["IMPERSONATE_RIGHT", "REQUEST_LIMITS", "CRL_UNREACHABLE"]
    assert doc["hosts"][0]["status"] == "changed"
    assert doc["hosts"][1]["status"] == "ok"
    assert doc["hosts"][2]["status"] == "not_reached"


def test_check_mode_marks_drift():
    doc = report.build("RUN", hosts(), mode="check")
    assert doc["hosts"][0]["status"] == "drift"
    html = report.render_html(doc)
    assert "What would change" in html
    assert "drift (check mode)" in html


def test_json_round_trips():
    doc = report.build("RUN", hosts(), mode="remediate")
    loaded = json.loads(report.render_json(doc))
    assert loaded["run_id"] == "RUN"
    assert loaded["summary"]["findings"] == 3
    assert loaded["hosts"][0]["changes"][0]["after"] == {"attributes": {"maxUrl": 65534}}
    assert loaded["hosts"][0]["findings"][0]["docs"] == [
        {"label": "Microsoft Learn (English)", "url": DOCS["en"]},
        {"label": "Microsoft Learn (italiano)", "url": DOCS["it"]}]


def test_html_has_one_row_per_host_and_finding():
    doc = report.build("RUN", hosts(), mode="remediate")
    parsed = parse(report.render_html(doc))
    findings = [(r["data-host"], r["data-finding"]) for r in parsed.rows if r.get("class", "").startswith("finding")]
    assert sorted(findings) == [("ndes01", "CRL_UNREACHABLE"), ("ndes01", "IMPERSONATE_RIGHT"), ("ndes01", "REQUEST_LIMITS")]
    assert [r["data-host"] for r in parsed.rows if r.get("class") == "clean"] == ["ndes02"]
    assert [r["data-host"] for r in parsed.rows if r.get("class") == "unreached"] == ["ndes03"]
    assert [r for r in parsed.rows if r.get("class") == "change"] == [{"class": "change"}]


def test_html_is_self_contained_and_escaped():
    evil = "<script>alert('x')</script>"
    data = {"h<1>": {"findings": [finding("REQUEST_LIMITS", module="request_limits", evidence={"value": evil},
                                          title={"en": "a & b \"quoted\""})],
                     "changes": [dict(CHANGE, before={"v": evil})], "backups": [], "reboot_required": False}}
    doc = report.build("RUN<x>", data, mode="remediate")
    text = report.render_html(doc)
    parsed = parse(text)
    assert parsed.loads == []          # no scripts, stylesheets, images or odd links
    assert "<script>" not in text
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in text
    assert 'data-host="h&lt;1&gt;"' in text
    assert "a &amp; b &quot;quoted&quot;" in text
    assert "RUN&lt;x&gt;" in text
    assert "<style>" in text


def test_only_web_urls_become_links():
    bad = finding("REQUEST_LIMITS", module="request_limits")
    bad["docs"] = ["javascript:alert(1)", "https://example.org/doc"]
    doc = report.build("RUN", {"h": {"findings": [bad]}}, mode="diagnose")
    text = report.render_html(doc)
    assert 'href="javascript' not in text
    assert 'href="https://example.org/doc"' in text
    assert "javascript:alert(1)" in text        # shown as text


def test_italian_titles():
    doc = report.build("RUN", hosts(), mode="diagnose", lang="it")
    text = report.render_html(doc)
    assert "titolo REQUEST_LIMITS" in text
    assert "fai REQUEST_LIMITS" in text
    assert 'lang="it"' in text


def test_markdown_table_cells_are_escaped():
    data = {"h|1": {"findings": [finding("REQUEST_LIMITS", module="request_limits", evidence={"a|b": "x|y"})]}}
    text = report.render_markdown(report.build("RUN", data, mode="diagnose"))
    rows = [line for line in text.splitlines() if line.startswith("| h")]
    assert len(rows) == 1
    # seven unescaped pipes: six columns
    assert rows[0].replace("\\|", "").count("|") == 7
    assert "h\\|1" in rows[0]
    assert "(https://learn.microsoft.com/en-us/" in rows[0]


def test_markdown_lists_changes_and_backups_per_host():
    text = report.render_markdown(report.build("RUN", hosts(), mode="remediate"))
    section = text.split("## What changed", 1)[1]
    assert "### ndes01 (changed)" in section
    assert "request\\_limits `max_url` (iis\\_property)" in section
    assert "backup `/lab/backups/RUN/001-applicationHost.config`" in section
    assert "Reboot required." in section
    assert "### ndes02 (ok)" in section and "Nothing changed." in section
    assert "### ndes03 (not reached)" in section


def test_backups_merge_by_run_and_accept_plain_paths():
    entries = report._backups([{"run_id": "R", "items": ["a"]}, {"run_id": "R", "items": ["a", "b"]}, "c", None])
    assert entries == [{"run_id": "R", "items": ["a", "b"]}, {"run_id": None, "items": ["c"]}]
    assert report._backups({"run_id": "R", "items": ["x"]}) == [{"run_id": "R", "items": ["x"]}]


def test_long_values_are_cut():
    text = report.compact({"k": "x" * 1000})
    assert len(text) == report.MAX_VALUE_CHARS
    assert text.endswith("\u2026")


def test_write_creates_the_three_files(tmp_path):
    doc = report.build("RUN", hosts(), mode="remediate")
    paths = report.write(doc, str(tmp_path / "out" / "RUN"))
    assert sorted(paths) == ["html", "json", "markdown"]
    for kind, path in paths.items():
        assert os.path.basename(path) == report.FILES[kind]
        with open(path, encoding="utf-8") as handle:
            assert handle.read() == report.RENDERERS[kind](doc)
    assert sorted(os.listdir(str(tmp_path / "out" / "RUN"))) == ["report.html", "report.json", "report.md"]


def test_verification_and_restarts_are_told_per_host():
    data = hosts()
    data["ndes01"]["verify"] = {"url": "http://127.0.0.1:1/certsrv/mscep/mscep.dll", "reached": True,
                                "bare_url_status": 503, "signals": ["APP_POOL_STOPPED", "CRL_UNREACHABLE"],
                                "unexplained": []}
    data["ndes01"]["restarts"] = [{"kind": "app_pool", "name": "SCEP", "action": "recycle"},
                                  {"kind": "app_pool", "name": "SCEP", "action": "recycle"},
                                  {"kind": "iis", "name": None, "action": "reset"}]
    data["ndes02"]["verify"] = {"url": "http://127.0.0.1:2/x", "reached": False}
    doc = report.build("RUN", data, mode="remediate")
    text = report.render_markdown(doc)
    assert "Restarts asked for: recycle SCEP, reset iis." in text
    assert "answered 503; the probe still sees APP\\_POOL\\_STOPPED, CRL\\_UNREACHABLE (explained by faults" in text
    assert "http://127.0.0.1:2/x gave no HTTP answer." in report.render_html(doc)
    failed = dict(data["ndes01"]["verify"], unexplained=["long_get=REQUEST_LIMITS"])
    assert "not taken effect: long_get=REQUEST_LIMITS" in report.verify_text(failed)
    assert report.verify_text(None) == ""
