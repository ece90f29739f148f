# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The run report through ndes.scep.report (host variables -> files), read by a real browser.

Three hosts leave findings (titles, next steps and docs from the built-in catalogue),
changes and backups in their host variables; a fourth is never reached. The HTML is loaded
in headless Chromium: the DOM it builds has one row per host and finding, nothing is fetched
from outside, and a screenshot is saved to tests/output/report.png for people to look at.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
from html.parser import HTMLParser

import pytest
import yaml

pytestmark = pytest.mark.integration

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CATALOGUE = os.path.join(ROOT, "plugins", "module_utils", "_ndes", "rules", "catalogue.yml")
SCREENSHOT = os.path.join(ROOT, "tests", "output", "report.png")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]

need_chromium = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install -y chromium; "
                                                            ".ci/run installs it): the HTML report is not checked in a browser")

HOST_FINDINGS = {
    "ndes01": ["IMPERSONATE_RIGHT", "REQUEST_LIMITS", "HTTPSYS_LIMITS"],
    "ndes02": ["CRL_UNREACHABLE", "URL_NOT_403"],
    "ndes03": [],
}


def catalogue_findings(ids):
    """Findings shaped as ndes.scep.diagnose returns them, text taken from the built-in catalogue."""
    with open(CATALOGUE, encoding="utf-8") as handle:
        rules = {}
        for rule in yaml.safe_load(handle)["rules"]:
            rules.setdefault(rule["id"], rule)
    out = []
    for fid in ids:
        rule = rules[fid]
        out.append({"id": fid, "severity": rule["severity"], "section": rule.get("section"),
                    "title": rule["title"], "next_step": rule["next_step"],
                    "evidence": {"example": "<b>%s</b> & evidence" % fid.lower()}, "fix": rule["fix"],
                    "docs": rule.get("docs") or {"en": "https://learn.microsoft.com/troubleshoot/mem/intune/"}})
    return out


def play(findings):
    hostvars = {}
    for host, ids in findings.items():
        backup = "/srv/labs/%s/backups/RUN/001-iis_limits-applicationHost.config" % host
        changes = [{"module": "ndes.scep.request_limits", "id": "iis_limits", "kind": "iis_property",
                    "before": {"attributes": {"maxUrl": 4096}}, "after": {"attributes": {"maxUrl": 65534}},
                    "backup": backup}] if ids else []
        hostvars[host] = {"ndes_findings": catalogue_findings(ids), "ndes_changes": changes,
                          "ndes_backups": [{"run_id": "RUN", "items": [backup]}] if ids else [],
                          "ndes_reboot_required": "HTTPSYS_LIMITS" in ids}
    return """
- hosts: all
  gather_facts: false
  tasks:
    - name: Leave what the roles would leave
      ansible.builtin.set_fact:
        ndes_findings: "{{{{ (results[inventory_hostname] | default({{}})).ndes_findings | default(omit) }}}}"
        ndes_changes: "{{{{ (results[inventory_hostname] | default({{}})).ndes_changes | default(omit) }}}}"
        ndes_backups: "{{{{ (results[inventory_hostname] | default({{}})).ndes_backups | default(omit) }}}}"
        ndes_reboot_required: "{{{{ (results[inventory_hostname] | default({{}})).ndes_reboot_required | default(omit) }}}}"
      when: inventory_hostname in results
      vars:
        results: {results}
    - name: Report
      ndes.scep.report:
        dest: report
        mode: remediate
        run_id: RUN
      run_once: true
      register: written
""".format(results=json.dumps(hostvars))


class DomRows(HTMLParser):
    def __init__(self):
        HTMLParser.__init__(self)
        self.rows = []
        self.fetches = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "tr" and "data-host" in attrs:
            self.rows.append((attrs.get("class", ""), attrs["data-host"], attrs.get("data-finding")))
        if tag in ("script", "link", "img", "iframe") or attrs.get("src"):
            self.fetches.append(tag)


def chromium(tmp_path, *args):
    cmd = [CHROMIUM] + CHROMIUM_FLAGS + ["--user-data-dir=%s" % (tmp_path / "chromium-profile")] + list(args)
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)


@pytest.fixture
def html_report(lab, tmp_path):
    for host in list(HOST_FINDINGS) + ["ndes04"]:
        lab.hosts[host] = {"ansible_connection": "local", "ansible_python_interpreter": __import__("sys").executable}
    run = lab.run(play(HOST_FINDINGS))
    assert run.rc == 0, run.stdout + run.stderr
    path = os.path.join(lab.base, "report", "report.html")
    assert os.path.isfile(path)
    return path


@need_chromium
def test_browser_sees_one_row_per_host_and_finding(html_report, tmp_path):
    out = chromium(tmp_path, "--dump-dom", "file://" + html_report)
    assert out.returncode == 0, out.stderr[-2000:]
    dom = DomRows()
    dom.feed(out.stdout)
    findings = sorted((host, fid) for cls, host, fid in dom.rows if cls.startswith("finding"))
    assert findings == sorted((host, fid) for host, ids in HOST_FINDINGS.items() for fid in ids)
    assert [host for cls, host, _f in dom.rows if cls == "clean"] == ["ndes03"]
    assert [host for cls, host, _f in dom.rows if cls == "unreached"] == ["ndes04"]
    assert dom.fetches == []
    assert "&lt;b&gt;impersonate_right&lt;/b&gt; &amp; evidence" in out.stdout   # evidence stays text


@need_chromium
def test_screenshot_for_people(html_report, tmp_path):
    os.makedirs(os.path.dirname(SCREENSHOT), exist_ok=True)
    if os.path.exists(SCREENSHOT):
        os.remove(SCREENSHOT)
    out = chromium(tmp_path, "--screenshot=%s" % SCREENSHOT, "--window-size=1400,1000", "file://" + html_report)
    assert out.returncode == 0, out.stderr[-2000:]
    with open(SCREENSHOT, "rb") as handle:
        assert handle.read(8) == b"\x89PNG\r\n\x1a\n"
    assert os.path.getsize(SCREENSHOT) > 10000
