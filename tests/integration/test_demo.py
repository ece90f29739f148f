# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""`make demo` end to end (tests/tools/demo.py -> ansible-playbook ndes.scep.demo) on a fresh directory."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest
import yaml

from ansible_collections.ndes.scep.plugins.module_utils._lab import faults, server

pytestmark = pytest.mark.integration

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEMO = os.path.join(ROOT, "tests", "tools", "demo.py")
BUDGET_SECONDS = 180


def demo_faults():
    with open(os.path.join(ROOT, "playbooks", "demo.yml"), encoding="utf-8") as handle:
        return yaml.safe_load(handle)[0]["vars"]["ndes_lab_faults"]


def test_demo_injects_every_section_a_fault_that_combines():
    section_a = [f.id for f in faults.CATALOGUE if f.section == "A"]
    chosen = demo_faults()
    assert faults.normalize(chosen)                                  # the lab accepts the set
    assert sorted(set(section_a) - set(chosen)) == ["url_not_403"]   # the one that conflicts (crs_windows_auth)
    with pytest.raises(faults.FaultError):
        faults.normalize(chosen + ["url_not_403"])


@pytest.mark.slow
def test_make_demo_on_a_fresh_directory(tmp_path):
    output = str(tmp_path / "demo-output")
    env = dict(os.environ, PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""))
    start = time.monotonic()
    proc = subprocess.run([sys.executable, DEMO, "--output", output], capture_output=True, text=True,
                          timeout=600, env=env, cwd=str(tmp_path), check=False)
    elapsed = time.monotonic() - start
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    assert elapsed < BUDGET_SECONDS, "make demo took %.0f s" % elapsed
    for phase, mode in (("1-diagnose", "diagnose"), ("2-remediate", "remediate"), ("3-diagnose-again", "diagnose")):
        with open(os.path.join(output, "reports", phase, "report.json"), encoding="utf-8") as handle:
            assert json.load(handle)["mode"] == mode
        assert "demo: report %-17s %s" % (phase, os.path.join(output, "reports", phase, "report.html")) in proc.stdout
    with open(os.path.join(output, "reports", "1-diagnose", "report.json"), encoding="utf-8") as handle:
        found = {f["id"] for f in json.load(handle)["hosts"][0]["findings"]}
    assert found == set(faults.expected_findings(demo_faults()))
    with open(os.path.join(output, "reports", "3-diagnose-again", "report.json"), encoding="utf-8") as handle:
        left = {f["id"] for f in json.load(handle)["hosts"][0]["findings"]}
    assert left and left < found
    if os.path.exists("/usr/bin/scepclient"):
        assert os.path.isfile(os.path.join(output, "enrolment", "device-cert.pem"))
    else:
        assert "apt-get install scep" in proc.stdout
    assert not server.status(os.path.join(output, "lab")).get("running")
