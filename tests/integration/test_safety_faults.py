# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Issue 9.5: faults in the middle of a change lose nothing.

A lab with several fixable faults (MULTI_FIX: eight fixes, every ensure kind a fix sends) is
remediated by the remediate role. A first run on one lab counts the ensures of the whole run (N).
Then one lab host per injected fault, all in the same ansible-playbook runs:

* ``fail k`` for k = 1..N: the lab agent fails the k-th ensure of the run (run/inject.json
  ``scope: run``, counting across the requests of the run's modules and handlers);
* ``drop k`` for k = 1 and N: the connection drops just before the k-th ensure;
* ``drop after``: the connection drops after the first fix's ensures ran, before its answer (the
  changes are made and the controller never hears of them).

For each: the interrupted run fails that host; every file it changed is covered by an item of the
run's backup manifest; a rerun converges (a third run is one agent call and changed=0); rolling back
the rerun and then the interrupted run with playbooks/rollback.yml gives the lab back as it was
before the first change (safety_state.restorable_view: every state byte but runtime metadata).
"""
from __future__ import annotations

import pytest
from safety_lab import FORKS, MULTI_FIX, failure_text, make, manifest, safety_figures, safety_state

from ansible_collections.ndes.scep.plugins.module_utils._lab import layout, runctl

pytestmark = pytest.mark.integration

PLAY = """
- hosts: all
  gather_facts: false
  roles:
    - role: ndes.scep.remediate
"""
QUIET = {"ndes_verify": False, "ndes_report": False}
GATHER = "ndes.scep.remediate : Gather the NDES facts (one agent call)"
# Which manifest item kinds can account for a change to which lab file.
COVERS = {
    "state/registry.json": ("registry_key",),
    "state/rights.inf": ("user_right",),
    "state/services.json": ("service",),
    "state/acls.json": ("folder_acl",),
    "state/app_pools.json": ("app_pool",),
    "fs/C/Windows/System32/inetsrv/config/applicationHost.config": ("file", "app_pool"),
    "fs/C/inetpub/wwwroot/web.config": ("file",),
}
# Runtime records a restart writes (what w3wp and the boot carry); nothing to back up.
RUNTIME = ("state/boot.json",)


def uncovered(changed, items):
    """Changed files no item of the manifest accounts for."""
    kinds = set(i["kind"] for i in items)
    out = []
    for path in changed:
        if path in RUNTIME:
            continue
        if path.startswith("state/certs/"):
            if not kinds & {"certificate", "key_acl"}:
                out.append(path)
        elif not kinds & set(COVERS.get(path, ())):
            out.append(path)
    return out


def count_ensures(lab):
    """N: the ensures a full remediate run of a MULTI_FIX lab sends (its modules and handlers)."""
    roots = make(lab, {"counter": MULTI_FIX}, **QUIET)
    runctl.save_inject(roots["counter"], {"scope": "run", "fail_ensure": 10 ** 6})
    run = lab.run(PLAY)
    assert run.rc == 0, failure_text(run)
    seen = runctl.load_inject(roots["counter"])["seen"]
    del lab.hosts["counter"]
    return seen


def test_interrupted_runs_converge_and_roll_back(lab):
    total = count_ensures(lab)
    assert 10 <= total <= 40, total
    cases = dict(("fail%02d" % k, {"scope": "run", "fail_ensure": k}) for k in range(1, total + 1))
    for k in sorted({1, total}):
        cases["drop%02d" % k] = {"scope": "run", "fail_ensure": k, "drop_connection": True}
    cases["drop_after"] = {"scope": "run", "drop_connection": True}
    roots = make(lab, dict((host, MULTI_FIX) for host in cases), **QUIET)
    before = dict((host, safety_state.restorable_view(root)) for host, root in roots.items())
    exact = dict((host, layout.state_digest(root)) for host, root in roots.items())
    for host, inject in cases.items():
        runctl.save_inject(roots[host], inject)
        lab.hosts[host]["ndes_run_id"] = "20260101T000000Z-a%s" % host.replace("_", "")

    # 1. the interrupted run
    first = lab.run(PLAY, env=FORKS)
    problems = []
    missing = []
    for host, root in roots.items():
        if first.recap(host)["failed"] != "1":
            problems.append("%s: the interrupted run did not fail the host" % host)
        run_id = lab.hosts[host]["ndes_run_id"]
        doc = manifest(root, run_id)
        changed = safety_state.differences(before[host], safety_state.restorable_view(root))
        left = uncovered(changed, doc["items"] if doc else [])
        if left:
            missing.append("%s: changed without a backup item: %s" % (host, left))
        runctl.save_inject(root, {})
    interrupted_with_changes = [h for h, r in roots.items() if manifest(r, lab.hosts[h]["ndes_run_id"])]

    # 2. the rerun converges; 3. a third run finds nothing to do (one call, changed=0)
    for host in cases:
        lab.hosts[host]["ndes_run_id"] = "20260101T000000Z-b%s" % host.replace("_", "")
    second = lab.run(PLAY, env=FORKS)
    for host in cases:
        lab.hosts[host].pop("ndes_run_id")
    third = lab.run(PLAY, env=FORKS)
    not_converged = []
    for host in cases:
        if second.recap(host)["failed"] != "0" or third.recap(host)["changed"] != "0" or third.calls(host) != 1:
            not_converged.append("%s: rerun %s, third run %s with %d call(s)" % (
                host, second.recap(host), third.recap(host), third.calls(host)))

    # 4. roll back the rerun, then the interrupted run (newest first; a run that changed nothing has no backups)
    for host in cases:
        lab.hosts[host]["ndes_rollback_run_id"] = "20260101T000000Z-b%s" % host.replace("_", "")
    rerun_with_changes = [h for h, r in roots.items() if manifest(r, lab.hosts[h]["ndes_rollback_run_id"])]
    back_b = lab.run("ndes.scep.rollback", extra_vars={"ndes_serial": len(cases)}, env=FORKS,
                     limit=",".join(rerun_with_changes))
    for host in cases:
        lab.hosts[host]["ndes_rollback_run_id"] = "20260101T000000Z-a%s" % host.replace("_", "")
    back_a = lab.run("ndes.scep.rollback", extra_vars={"ndes_serial": len(cases)}, env=FORKS,
                     limit=",".join(interrupted_with_changes)) if interrupted_with_changes else None
    not_restored, runtime_only = [], 0
    for host, root in roots.items():
        left = safety_state.differences(before[host], safety_state.restorable_view(root))
        if left:
            not_restored.append("%s: %s" % (host, left))
        elif layout.state_digest(root) != exact[host]:
            runtime_only += 1

    lost = len(missing) + len(not_converged) + len(not_restored)
    safety_figures.record(
        "5-faults", "5", "Faults in the middle of a remediate run (lab agent fails the k-th ensure of the run, or "
        "drops the connection), rerun, rollback of both runs",
        "%d injected faults on a run fixing %d faults with %d ensures: fail k=1..%d, drop before k=%s, drop after the first "
        "answer; %d interrupted runs had changed something; %d reruns converged (third run: 1 call, changed=0); "
        "%d labs restored by rollback (%d differ only in runtime metadata: key write times, worker start, "
        "iisreset time)" % (
            len(cases), len(MULTI_FIX), total, total, ",".join(str(k) for k in sorted({1, total})),
            len(interrupted_with_changes), len(cases) - len(not_converged), len(cases) - len(not_restored),
            runtime_only),
        lost, {"injected_faults": len(cases)},
        lost_what="changes without backup, runs that did not converge or restore")
    assert back_b.rc == 0, failure_text(back_b)
    assert back_a is None or back_a.rc == 0, failure_text(back_a)
    assert not problems, "\n".join(problems)
    assert not missing, "\n".join(missing)
    assert not not_converged, "\n".join(not_converged)
    assert not not_restored, "\n".join(not_restored)
    assert len(interrupted_with_changes) >= total - 1
