# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Remote calls per host of ndes.scep.diagnose / ndes.scep.remediate on lab hosts, next to the baseline playbooks.

Usage: ``python benchmarks/bench_calls.py [--out FILE]`` (``BENCH_CALLS_REPEAT``, default 3; 1 with
``BENCH_QUICK=1``).

Each scenario runs the collection's playbook (by FQCN) with ansible-playbook on one fresh lab host, its
HTTP face started, and reads the per-host count of the ``ndes.scep.remote_calls`` callback. Creating the
lab and starting its face are lab-only and done from Python before the run, so they are not in the count.
The baseline playbooks under ``benchmarks/baseline/`` are counted statically by ``baseline_count.py``.

Section A of FAULTS.md cannot be injected on one host: ``url_not_403`` (connector never installed) and
``crs_windows_auth`` (an application that connector creates) exclude each other, so "every section-A
fault" is two hosts: A1 = section A without ``url_not_403``, A2 = section A without ``crs_windows_auth``.
"""
from __future__ import annotations

import argparse
import glob
import json
import os
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _common as c  # noqa: E402  pylint: disable=wrong-import-position
import baseline_count  # noqa: E402  pylint: disable=wrong-import-position

SECTION_A = ["impersonate_right", "url_not_403", "app_pool_stopped", "root_intermediates", "crl_unreachable",
             "crs_windows_auth", "policy_cert_expired", "proxy_connector_down", "request_limits", "httpsys_limits",
             "service_account", "ra_cert_expired"]
A1 = [f for f in SECTION_A if f != "url_not_403"]
A2 = [f for f in SECTION_A if f != "crs_windows_auth"]
BASELINE = os.path.join(c.HERE, "baseline")
# Intermediate certificates the lab's root_intermediates fault puts in Root (the baseline loops over them).
ROOT_INTERMEDIATES_INJECTED = 1

# id, our playbook, lab faults, extra vars, what it shows
SCENARIOS = [
    ("diagnose_compliant", "diagnose", [], {}, "diagnose, compliant host"),
    ("diagnose_faulty_a1", "diagnose", A1, {}, "diagnose, host with section A minus url_not_403"),
    ("remediate_compliant", "remediate", [], {}, "remediate, compliant host"),
    ("remediate_faulty_a1", "remediate", A1, {}, "remediate, section A minus url_not_403 (reboot policy never)"),
    ("remediate_faulty_a1_reboot", "remediate", A1, {"ndes_reboot_policy": "if_required"},
     "remediate, section A minus url_not_403 (reboot policy if_required)"),
    ("remediate_faulty_a2", "remediate", A2, {}, "remediate, section A minus crs_windows_auth (reboot policy never)"),
]


def baseline(kind, faults):
    if kind == "diagnose":
        return baseline_count.count(os.path.join(BASELINE, "diagnose.yml"))
    dynamic = {"ndes_root_intermediates": ROOT_INTERMEDIATES_INJECTED if "root_intermediates" in faults else 0}
    return baseline_count.count(os.path.join(BASELINE, "remediate.yml"), faults, dynamic)


def run_once(base, kind, fault_list, extra):
    c.use_collection()
    from ansible_collections.ndes.scep.plugins.module_utils._lab import faults, server
    if os.path.isdir(base):
        shutil.rmtree(base)
    os.makedirs(base)
    root = os.path.join(base, "lab")
    faults.create(root, fault_list)                        # lab-only: not counted
    server.start(root)                                     # lab-only: not counted
    try:
        inventory = os.path.join(base, "inventory.json")
        with open(inventory, "w", encoding="utf-8") as handle:
            host = {"ansible_connection": "local", "ansible_python_interpreter": sys.executable, "ndes_lab_root": root}
            json.dump({"all": {"hosts": {"ndes01": host}}}, handle)
        cmd = [os.path.join(c.BIN, "ansible-playbook"), "-i", inventory, "ndes.scep." + kind]
        if extra:
            cmd += ["-e", json.dumps(extra)]
        c.wait_quiet()
        start = time.monotonic()
        proc = subprocess.run(cmd, env=c.ansible_env(base), cwd=base, check=False, capture_output=True, text=True,
                              timeout=900)
        wall = time.monotonic() - start
    finally:
        server.stop(root)
    counts = c.read_json(os.path.join(base, "remote-calls.json"), {})
    reports = sorted(glob.glob(os.path.join(base, "ndes-reports", "*", "report.json")), key=os.path.getmtime)
    report = c.read_json(reports[-1], {}) if reports else {}
    host = (report.get("hosts") or [{}])[0]
    changes = host.get("changes") or []
    return {
        "rc": proc.returncode,
        "wall_s": wall,
        "calls": counts.get("hosts", {}).get("ndes01", 0),
        "busy_tasks": dict((t.split(" : ", 1)[-1], n) for t, n in counts.get("tasks", {}).get("ndes01", {}).items() if n),
        # ndes.scep.reboot is a fix module too (the fix of HTTPSYS_LIMITS "pending", and what puts a Root
        # store move in effect): when it rebooted the host it is a fix applied, in a call of its own
        "fixes_applied": sorted(set(ch.get("module") for ch in changes if ch.get("module"))
                                | ({"ndes.scep.reboot"} if host.get("rebooted") else set())),
        "rebooted": host.get("rebooted"),
        "findings": sorted(set(f.get("id") for f in host.get("findings") or [] if isinstance(f, dict))),
        "log_tail": (proc.stdout + proc.stderr)[-8000:] if proc.returncode else None,
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=os.path.join(c.WORK, "calls.json"))
    args = parser.parse_args(argv)
    repeat = int(os.environ.get("BENCH_CALLS_REPEAT") or (1 if c.env_flag("BENCH_QUICK") else 3))
    rows = []
    for sid, kind, fault_list, extra, label in SCENARIOS:
        runs = [run_once(os.path.join(c.WORK, "calls", sid), kind, fault_list, extra) for dummy in range(repeat)]
        first = runs[0]
        base = baseline(kind, fault_list)
        calls = c.stats([r["calls"] for r in runs])["median"]
        row = {
            "id": sid, "label": label, "playbook": "ndes.scep." + kind, "faults": fault_list, "extra_vars": extra,
            "repeats": repeat, "rc": [r["rc"] for r in runs], "calls": calls,
            "calls_all_runs": [r["calls"] for r in runs], "deterministic": len(set(r["calls"] for r in runs)) == 1,
            "wall_s": c.stats([r["wall_s"] for r in runs]),
            "busy_tasks": first["busy_tasks"], "fixes_applied": first["fixes_applied"],
            "rebooted": first["rebooted"], "findings": first["findings"],
            "baseline": {k: v for k, v in base.items() if k != "rows"},
            "baseline_rows": base["rows"],
            "ratio": base["total"] / float(calls) if calls else None,
        }
        if kind == "diagnose":
            row["target"] = "1 call"
            row["met"] = calls == 1
        elif not fault_list:
            row["target"] = "1 call and >= 20x fewer than the baseline"
            row["met"] = calls == 1 and row["ratio"] >= 20
        else:
            limit = 1 + len(first["fixes_applied"])
            row["target"] = "<= 1 + fixes applied (%d) and fewer than the baseline (%d)" % (limit, base["total"])
            row["limit"] = limit
            row["met"] = calls <= limit and calls < base["total"]
        if any(r["rc"] for r in runs):
            row["met"] = False
            row["log_tail"] = [r["log_tail"] for r in runs if r["rc"]][0]
        rows.append(row)
        print("calls %-28s ours=%s baseline=%d rc=%s" % (sid, calls, base["total"], row["rc"]), file=sys.stderr,
              flush=True)
    c.write_json(args.out, {"scenarios": rows})
    return 0


if __name__ == "__main__":
    sys.exit(main())
