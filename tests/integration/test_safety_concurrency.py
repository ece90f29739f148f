# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Issue 9.9: two remediate runs against the same host at the same time.

One lab host with several fixable faults; two ``ansible-playbook ndes.scep.remediate`` processes
(separate controllers, separate run ids) start together. Every agent call is slowed down (lab_inject
``latency``) so the two runs interleave, and a third party holds the host lock (run/agent.lock) for
the first seconds, so both runs must wait for it. The lab agent serialises the ensures per host: each
fix is applied by exactly one run (the other finds it done), both runs finish (or one fails saying
the host is locked), the host ends healthy, and a third run is one agent call with changed=0.
"""
from __future__ import annotations

import fcntl
import os
import threading
import time

import pytest
from labrun import Lab
from safety_lab import MULTI_FIX, failure_text, make, manifest, safety_figures

from ansible_collections.ndes.scep.plugins.module_utils._lab import layout, runctl, server

pytestmark = pytest.mark.integration
HOLD_SECONDS = 4.0
# Restart handlers may legitimately run in both runs; every fix ensure must change the host once.
HANDLER_ITEMS = ("recycle", "reset")


def test_two_runs_at_the_same_time(lab, tmp_path):
    roots = make(lab, {"ndes": MULTI_FIX}, ndes_verify_certs=False)
    root = roots["ndes"]
    other = Lab(tmp_path / "second-controller")
    os.makedirs(os.path.join(other.base, "tmp"), exist_ok=True)
    other.hosts["ndes"] = dict(lab.hosts["ndes"])
    lab.hosts["ndes"]["ndes_run_id"] = "20260101T000000Z-conc0a"
    other.hosts["ndes"]["ndes_run_id"] = "20260101T000000Z-conc0b"
    server.start(root)
    runctl.save_inject(root, {"latency": 0.4})
    os.makedirs(layout.path(root, layout.RUN), exist_ok=True)
    holder = open(layout.path(root, layout.AGENT_LOCK), "a+")
    fcntl.flock(holder.fileno(), fcntl.LOCK_EX)
    release = threading.Timer(HOLD_SECONDS, holder.close)
    runs = {}

    def go(name, controller):
        runs[name] = controller.run("ndes.scep.remediate")
    threads = [threading.Thread(target=go, args=("a", lab)), threading.Thread(target=go, args=("b", other))]
    started = time.monotonic()
    try:
        release.start()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(600)
    finally:
        release.cancel()
        holder.close()
        runctl.save_inject(root, {})
    elapsed = time.monotonic() - started
    try:
        for host_vars in (lab.hosts["ndes"], other.hosts["ndes"]):
            host_vars.pop("ndes_run_id")
        third = lab.run("ndes.scep.remediate")
    finally:
        server.stop(root)
    outcomes = {}
    for name, run in runs.items():
        if run.rc == 0:
            outcomes[name] = "ok"
        elif "host lock" in run.stdout:
            outcomes[name] = "failed clearly (locked)"
        else:
            outcomes[name] = "failed"
    items = []
    for run_id in ("20260101T000000Z-conc0a", "20260101T000000Z-conc0b"):
        items += [i["id"].split("-", 1)[1] for i in (manifest(root, run_id) or {}).get("items", [])]
    fix_items = [i for i in items if not i.startswith(HANDLER_ITEMS)]
    twice = sorted(set(i for i in fix_items if fix_items.count(i) > 1))
    checks = {
        "both runs finished or failed clearly": all(o in ("ok", "failed clearly (locked)") for o in outcomes.values())
        and len(outcomes) == 2,
        "they waited for the lock": elapsed >= HOLD_SECONDS,
        "each fix applied by one run only": twice == [],
        "the fixes were applied": len(set(fix_items)) >= 8,
        "a third run: one agent call, changed=0": third.rc == 0 and third.calls("ndes") == 1
        and third.recap("ndes")["changed"] == "0",
    }
    failed = [name for name, ok in checks.items() if not ok]
    safety_figures.record(
        "9-concurrency", "9", "Two remediate runs on the same host at the same time (agent latency 0.4 s, the host "
        "lock held by a third party for the first %gs)" % HOLD_SECONDS,
        "2 concurrent runs: %s; %d fix changes, none applied twice; third run 1 call, changed=%s; Windows: named "
        "mutex Global\\ndes.scep checked in the agent source (unit)" % (
            ", ".join("%s %s" % kv for kv in sorted(outcomes.items())), len(set(fix_items)),
            third.recap("ndes")["changed"]),
        len(failed), {}, lost_what="checks that failed")
    assert not failed, "%s %s %s\n%s\n%s" % (failed, outcomes, twice, failure_text(runs.get("a")),
                                             failure_text(runs.get("b")))
