# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run real ansible-playbook processes against lab hosts (helpers for the integration tests)."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
COLLECTIONS = os.environ.get("NDES_COLLECTIONS_PATH") or os.path.join(ROOT, ".build", "collections")
BIN = os.path.dirname(sys.executable)


class PlaybookRun:
    def __init__(self, proc, counts, results):
        self.rc = proc.returncode
        self.stdout = proc.stdout
        self.stderr = proc.stderr
        self.counts = counts
        self.results = results

    def calls(self, host):
        return self.counts.get("hosts", {}).get(host, 0)

    def result(self, host, name):
        """The registered result a playbook saved with the `save` helper task."""
        return self.results.get(host, {}).get(name)

    def recap(self, host):
        for line in self.stdout.splitlines():
            if line.startswith(host + " ") and "ok=" in line:
                return dict(part.split("=") for part in line.split(":", 1)[1].split())
        raise AssertionError("no recap line for %s in:\n%s" % (host, self.stdout[-3000:]))


class Lab:
    """A directory of lab hosts with an inventory, and a way to run playbooks on them."""

    def __init__(self, base):
        self.base = str(base)
        self.hosts = {}

    def add_host(self, name, **hostvars):
        root = os.path.join(self.base, "labs", name)
        self.hosts[name] = dict(
            ansible_connection="local",
            ansible_python_interpreter=sys.executable,
            ndes_lab_root=root,
            **hostvars,
        )
        return root

    def root(self, name):
        return self.hosts[name]["ndes_lab_root"]

    def inventory(self):
        path = os.path.join(self.base, "inventory.yml")
        with open(path, "w", encoding="utf-8") as handle:
            yaml.safe_dump({"all": {"hosts": self.hosts}}, handle)
        return path

    def run(self, playbook, check=False, diff=False, extra_vars=None, verbosity=0, env=None, limit=None):
        if not os.path.isabs(playbook) and not playbook.startswith("ndes.scep."):
            text, playbook = playbook, os.path.join(self.base, "play-%d.yml" % len(os.listdir(self.base)))
            with open(playbook, "w", encoding="utf-8") as handle:
                handle.write(text)
        counts_file = os.path.join(self.base, "remote-calls.json")
        results_dir = os.path.join(self.base, "results")
        if os.path.exists(counts_file):
            os.remove(counts_file)
        for host in list(self.hosts) + ["localhost"]:
            os.makedirs(os.path.join(results_dir, host), exist_ok=True)
        cmd = [os.path.join(BIN, "ansible-playbook"), "-i", self.inventory(), playbook]
        if check:
            cmd.append("--check")
        if diff:
            cmd.append("--diff")
        if verbosity:
            cmd.append("-" + "v" * verbosity)
        if limit:
            cmd += ["--limit", limit]
        if extra_vars:
            cmd += ["-e", json.dumps(extra_vars)]
        run_env = dict(os.environ)
        run_env.update({
            "ANSIBLE_COLLECTIONS_PATH": COLLECTIONS,
            "ANSIBLE_CALLBACKS_ENABLED": "ndes.scep.remote_calls",
            "NDES_REMOTE_CALLS_FILE": counts_file,
            "NDES_TEST_RESULTS_DIR": results_dir,
            "ANSIBLE_NOCOLOR": "1",
            "ANSIBLE_HOST_KEY_CHECKING": "0",
            "ANSIBLE_RETRY_FILES_ENABLED": "0",
            "ANSIBLE_LOCAL_TEMP": os.path.join(self.base, "tmp"),
            "ANSIBLE_REMOTE_TEMP": os.path.join(self.base, "tmp"),
            "PATH": BIN + os.pathsep + run_env.get("PATH", ""),
        })
        run_env.update(env or {})
        proc = subprocess.run(cmd, check=False, capture_output=True, text=True, env=run_env, cwd=self.base, timeout=600)
        counts = {}
        if os.path.exists(counts_file):
            with open(counts_file, encoding="utf-8") as handle:
                counts = json.load(handle)
        results = {}
        if os.path.isdir(results_dir):
            for host in os.listdir(results_dir):
                results[host] = {}
                for name in os.listdir(os.path.join(results_dir, host)):
                    with open(os.path.join(results_dir, host, name), encoding="utf-8") as handle:
                        results[host][name[:-5]] = json.load(handle)
        return PlaybookRun(proc, counts, results)


# A task snippet playbooks use to hand a registered result to the test.
SAVE = """
    - name: Save {name} for the test
      ansible.builtin.copy:
        content: "{{{{ {name} | to_json }}}}"
        dest: "{{{{ lookup('env', 'NDES_TEST_RESULTS_DIR') }}}}/{{{{ inventory_hostname }}}}/{name}.json"
        mode: "0644"
      delegate_to: localhost
      check_mode: false
"""


def save(name):
    return SAVE.format(name=name)
