# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The playbooks as AWX / AAP runs them: ansible-runner against a lab inventory.

Checks the runner's artifacts: status and rc, the playbook_on_stats event (per-host
counts and the set_stats data the roles publish), and that no secret of the inventory
leaks into the ``command`` artifact, which records the job's environment.
"""
from __future__ import annotations

import glob
import json
import os
import secrets
import subprocess
import sys

import pytest
import yaml

from ansible_collections.ndes.scep.plugins.module_utils._lab import faults, layout, server

pytestmark = pytest.mark.integration

BIN = os.path.dirname(sys.executable)
RUNNER = os.path.join(BIN, "ansible-runner")
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
COLLECTIONS = os.environ.get("NDES_COLLECTIONS_PATH") or os.path.join(ROOT, ".build", "collections")


class RunnerDir:
    """An ansible-runner private data directory with one lab host."""

    def __init__(self, base, lab_faults):
        self.base = str(base)
        self.lab_root = os.path.join(self.base, "labs", "lab1")
        self.secret = "not-an-env-var-" + secrets.token_hex(8)
        faults.create(self.lab_root, lab_faults)
        server.start(self.lab_root)
        for sub in ("inventory", "env", "project"):
            os.makedirs(os.path.join(self.base, sub), exist_ok=True)
        # Secrets live in the inventory (AWX: credentials / vault), never in env/envvars.
        self._yaml("inventory/hosts.yml", {"all": {"hosts": {"lab1": {
            "ansible_connection": "local", "ansible_python_interpreter": sys.executable,
            "ndes_lab_root": self.lab_root, "ansible_password": self.secret}}}})
        self.counts = os.path.join(self.base, "remote-calls.json")
        self._yaml("env/envvars", {
            "ANSIBLE_COLLECTIONS_PATH": COLLECTIONS,
            "ANSIBLE_CALLBACKS_ENABLED": "ndes.scep.remote_calls",
            "NDES_REMOTE_CALLS_FILE": self.counts,
            "ANSIBLE_LOCAL_TEMP": os.path.join(self.base, "tmp"),
        })

    def _yaml(self, rel, data):
        with open(os.path.join(self.base, rel), "w", encoding="utf-8") as handle:
            yaml.safe_dump(data, handle)

    def run(self, playbook, ident, cmdline=None):
        cmd = [RUNNER, "run", self.base, "-p", playbook, "--ident", ident]
        if cmdline:
            cmd.append("--cmdline=%s" % cmdline)
        env = dict(os.environ, PATH=BIN + os.pathsep + os.environ.get("PATH", ""))
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600, env=env, check=False)
        return Artifacts(os.path.join(self.base, "artifacts", ident), proc)

    def calls(self):
        with open(self.counts, encoding="utf-8") as handle:
            return json.load(handle)["hosts"]


class Artifacts:
    def __init__(self, path, proc):
        self.path = path
        self.proc = proc

    def read(self, name):
        with open(os.path.join(self.path, name), encoding="utf-8") as handle:
            return handle.read().strip()

    def events(self):
        out = []
        for name in glob.glob(os.path.join(self.path, "job_events", "*.json")):
            with open(name, encoding="utf-8") as handle:
                out.append(json.load(handle))
        return sorted(out, key=lambda e: e.get("counter", 0))

    def stats(self):
        found = [e for e in self.events() if e.get("event") == "playbook_on_stats"]
        assert len(found) == 1, self.proc.stdout[-3000:]
        return found[0]["event_data"]


@pytest.fixture
def runner_dir(tmp_path):
    if not os.path.exists(RUNNER):
        pytest.skip("ansible-runner is not installed in %s (make venv installs it)" % BIN)
    made = []

    def make(lab_faults):
        made.append(RunnerDir(tmp_path / ("job%d" % len(made)), lab_faults))
        return made[-1]

    yield make
    for item in made:
        server.stop(item.lab_root)


def test_diagnose_under_ansible_runner(runner_dir):
    job = runner_dir(["request_limits", "impersonate_right"])
    art = job.run("ndes.scep.diagnose", "diagnose")
    assert art.proc.returncode == 0, art.proc.stdout[-3000:] + art.proc.stderr[-2000:]
    assert art.read("status") == "successful" and art.read("rc") == "0"
    stats = art.stats()
    assert stats["ok"]["lab1"] > 0 and stats["failures"] == {} and stats["changed"] == {}
    report = stats["artifact_data"]["ndes_report"]
    assert report["hosts"] == 1 and report["mode"] == "diagnose"
    assert {"REQUEST_LIMITS", "IMPERSONATE_RIGHT"} <= set(report["by_id"])
    assert os.path.isfile(report["paths"]["html"])
    assert job.calls()["lab1"] == 1 and sum(job.calls().values()) == 1
    command = art.read("command")
    assert job.secret not in command
    assert "ANSIBLE_COLLECTIONS_PATH" in json.loads(command)["env"]


def test_remediate_under_ansible_runner_then_drift_check(runner_dir):
    job = runner_dir(["request_limits", "crs_windows_auth"])
    art = job.run("ndes.scep.remediate", "remediate")
    assert art.proc.returncode == 0, art.proc.stdout[-3000:] + art.proc.stderr[-2000:]
    assert art.read("status") == "successful"
    stats = art.stats()
    assert stats["changed"]["lab1"] >= 2 and stats["failures"] == {}
    report = stats["artifact_data"]["ndes_report"]
    assert report["mode"] == "remediate" and report["hosts_changed"] == ["lab1"] and report["changes"] >= 2
    assert job.calls()["lab1"] <= 1 + 2 + 1               # facts, two fixes, one IIS reset
    assert job.secret not in art.read("command")
    # the scheduled drift job: check mode, nothing left to change, nothing written
    before = layout.state_digest(job.lab_root)
    drift = job.run("ndes.scep.remediate", "drift", cmdline="--check")
    assert drift.proc.returncode == 0, drift.proc.stdout[-3000:]
    stats = drift.stats()
    assert stats["changed"] == {}
    assert stats["artifact_data"]["ndes_report"]["mode"] == "check"
    assert stats["artifact_data"]["ndes_report"]["changes"] == 0
    assert layout.state_digest(job.lab_root) == before
    assert job.calls()["lab1"] == 1 and sum(job.calls().values()) == 1
