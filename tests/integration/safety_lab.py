# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Shared pieces of the safety integration tests (tests/integration/test_safety_*.py)."""
from __future__ import annotations

import glob
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
for extra in (os.path.join(os.path.dirname(HERE), "tools"), os.path.join(os.path.dirname(HERE), "unit", "safety")):
    if extra not in sys.path:
        sys.path.insert(0, extra)

import safety_figures  # noqa: E402
import safety_state  # noqa: E402
import scenarios  # noqa: E402

from ansible_collections.ndes.scep.plugins.module_utils._lab import faults, layout  # noqa: E402

__all__ = ["FORKS", "MULTI_FIX", "backup_runs", "digests", "failure_text", "make", "manifest", "reports",
           "safety_figures", "safety_state", "scenarios"]

# Faults the remediate role repairs by itself (FAULTS.md "fix by" a module, a fixable variant), several
# fixes and every ensure kind a fix sends: cert_move, iis_property, registry_value, user_right_grant,
# key_acl_grant, service_state, folder_acl_grant, app_pool_state.
MULTI_FIX = ["impersonate_right", "app_pool_stopped", "root_intermediates", "crs_windows_auth",
             "proxy_connector_down", "request_limits", "httpsys_limits", "temp_acl", "ra_key_acl"]
# Forks for runs over many lab hosts (local connection: each host is a process on this machine).
FORKS = {"ANSIBLE_FORKS": "8"}


def make(lab, hosts, **hostvars):
    """``{host: [faults]}`` -> {host: lab root}; the labs are built directly with the _lab package."""
    roots = {}
    for host, fault_list in hosts.items():
        roots[host] = lab.add_host(host, **hostvars)
        faults.create(roots[host], fault_list)
    return roots


def digests(roots):
    return dict((host, layout.state_digest(root)) for host, root in roots.items())


def reports(lab):
    """Every report.json written under the run directory, oldest first."""
    out = []
    for path in sorted(glob.glob(os.path.join(lab.base, "**", "report.json"), recursive=True), key=os.path.getmtime):
        with open(path, encoding="utf-8") as handle:
            out.append(json.load(handle))
    return out


def backup_runs(root):
    base = os.path.join(root, "backups")
    return sorted(os.listdir(base)) if os.path.isdir(base) else []


def manifest(root, run_id):
    path = os.path.join(root, "backups", run_id, "manifest.json")
    if not os.path.exists(path):
        return None
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


def failure_text(run, limit=4000):
    return (run.stdout[-limit:] + "\n--- stderr ---\n" + run.stderr[-2000:])
