# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Issue 9.6: secrets never reach the output or the reports.

No module option takes a secret today (tests/unit/safety/test_safety_no_log.py keeps any future one
``no_log``). The secrets a run can come near are planted on a lab host and in its inventory:

* connection secrets: ``ansible_password``, ``ansible_become_password``, ``ansible_winrm_password``;
* the SCEP pool identity's password in applicationHost.config (``processModel password``; on Windows
  Microsoft.Web.Administration hands it out decrypted to whoever reads it);
* the lab SCEP server's enrolment challenge password (scepserver behind the lab's mscep.dll);
* private keys: the lab CA's key and the NDES policy certificate's key (a line of each PEM).

Then the lab, diagnose and remediate roles, a check-mode remediate, a rollback, and ``info`` with
``--diff`` run at ``-vvvv``; stdout, stderr, every report (JSON, Markdown, HTML), the saved
results and everything Ansible left in its temp directory are searched for each secret.
"""
from __future__ import annotations

import glob
import os

import pytest
from labrun import save
from safety_lab import MULTI_FIX, failure_text, make, safety_figures

from ansible_collections.ndes.scep.plugins.module_utils._lab import certstore, iis, iisxml, layout, server

pytestmark = pytest.mark.integration

SECRETS = {
    "ansible_password": "Conn-Secret-7f3a91e2",
    "ansible_become_password": "Become-Secret-b51c0d44",
    "ansible_winrm_password": "Winrm-Secret-9e2d7a10",
    "pool_password": "Pool-Secret-c0ffee42",
    "scep_challenge": "Challenge-Secret-5ab1e8d3",
}
PLAY = """
- name: Lab server with its challenge, diagnosis, remediation
  hosts: all
  gather_facts: false
  roles:
    - role: ndes.scep.diagnose
    - role: ndes.scep.remediate
  tasks:
    - name: Facts with diff
      ndes.scep.info:
      register: info
      diff: true
    - name: Roll back
      ndes.scep.rollback:
        run_id: "{{ ndes_run_id }}"
      register: rollback
""" + save("info") + save("rollback")
CHECK = """
- name: Drift report
  hosts: all
  gather_facts: false
  roles:
    - role: ndes.scep.remediate
"""


def plant_pool_password(root, password):
    path = layout.win_to_lab(root, layout.APPHOST_CONFIG)
    doc = iisxml.load(path, cached=False)
    for node in doc.root.iter("processModel"):
        if node.get("password") is not None:
            node.set("password", password)
    doc.save()
    iisxml._CACHE.clear()


def key_line(path):
    """The first base64 line of a PEM private key: enough to recognise the key anywhere."""
    with open(path, encoding="ascii") as handle:
        return handle.read().splitlines()[1]


def test_planted_secrets_do_not_leak(lab):
    roots = make(lab, {"sec": MULTI_FIX}, ndes_verify_certs=False, **dict(
        (k, v) for k, v in SECRETS.items() if k.startswith("ansible_")))
    root = roots["sec"]
    plant_pool_password(root, SECRETS["pool_password"])
    assert SECRETS["pool_password"] in iis.apphost(root, cached=False).to_bytes().decode("utf-8")
    secrets = dict(SECRETS)
    secrets["ca_private_key"] = key_line(layout.path(root, "ca/ca.key"))
    policy_keys = sorted(glob.glob(os.path.join(certstore.store_dir(root, "My"), "*.key")))
    secrets["certificate_private_key"] = key_line(policy_keys[0])
    backend = "scepserver" if os.path.exists("/usr/bin/scepserver") else None
    server.start(root, ca_backend=backend, challenge=SECRETS["scep_challenge"])
    try:
        runs = [lab.run(CHECK, check=True, verbosity=4), lab.run(PLAY, diff=True, verbosity=4)]
    finally:
        server.stop(root)
    for run in runs:
        assert run.rc == 0, failure_text(run)
    assert runs[1].result("sec", "rollback")["changed"] is True
    searched = {"stdout/stderr (-vvvv)": "".join(r.stdout + r.stderr for r in runs)}
    exclude = {os.path.join(lab.base, "inventory.yml")}
    for path in glob.glob(os.path.join(lab.base, "**", "*"), recursive=True):
        if os.path.isfile(path) and path not in exclude and not path.startswith(os.path.join(lab.base, "labs")):
            with open(path, "rb") as handle:
                searched[os.path.relpath(path, lab.base)] = handle.read().decode("utf-8", "replace")
    reports = [p for p in searched if p.endswith(("report.json", "report.md", "report.html"))]
    assert len(reports) >= 6, sorted(searched)
    # positive control: the search finds a planted secret where it legitimately is (the host's own backup
    # of applicationHost.config, as Windows keeps it under %ProgramData%)
    host_backups = glob.glob(os.path.join(root, "backups", "*", "*applicationHost.config"))
    assert host_backups and any(SECRETS["pool_password"] in open(p, encoding="utf-8").read() for p in host_backups)
    leaks = ["%s in %s" % (name, where) for name, secret in secrets.items()
             for where, text in searched.items() if secret in text]
    size = sum(len(t) for t in searched.values())
    safety_figures.record(
        "6-secrets", "6", "Secrets: connection passwords, the pool identity's password, the SCEP challenge, "
        "private keys planted; outputs searched",
        "%d secrets planted; searched %d outputs (%.1f MB: -vvvv stdout/stderr of a check-mode and a real run of "
        "the diagnose + remediate roles, info --diff and rollback; %d report files; saved results; Ansible temp); "
        "no module option takes a secret (no_log guard: tests/unit/safety)" % (
            len(secrets), len(searched), size / 1e6, len(reports)),
        len(leaks), {"secrets_planted": len(secrets)}, lost_what="secrets found in an output")
    assert not leaks, leaks
