# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Issue 9.8: a rolling run stops at the node that fails verification; the next node is untouched.

Three lab nodes, each with a fixable fault (request_limits) and its HTTP face running, under the
remediate playbook (``serial: 1``, ``max_fail_percentage: 0``). The second node's SCEP URL is one no
module can repair: nothing answers there from the controller (its front is gone, as when the network
path to NDES is cut), and the probe after its fixes catches it. The play must stop at node 2: node 1
fixed and verified, node 2 ``verify_failed`` with its backups and the rollback hint, node 3 never
reached (no agent call, no backup, state digest unchanged).
"""
from __future__ import annotations

import socket

import pytest
from safety_lab import backup_runs, digests, make, reports, safety_figures

from ansible_collections.ndes.scep.plugins.module_utils._lab import server

pytestmark = pytest.mark.integration


def closed_port_url():
    """A loopback URL nothing listens on (the port was free a moment ago)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return "http://127.0.0.1:%d/certsrv/mscep/mscep.dll" % port


def test_rolling_run_stops_at_the_node_that_fails_verification(lab):
    roots = make(lab, {"node1": ["request_limits"], "node2": ["request_limits"], "node3": ["request_limits"]},
                 ndes_verify_certs=False)
    lab.hosts["node2"]["ndes_scep_url"] = closed_port_url()
    for root in roots.values():
        server.start(root)
    try:
        before = digests(roots)
        run = lab.run("ndes.scep.remediate")
    finally:
        for root in roots.values():
            server.stop(root)
    after = digests(roots)
    doc = reports(lab)[-1]
    status = dict((h["name"], h["status"]) for h in doc["hosts"])
    node2 = [h for h in doc["hosts"] if h["name"] == "node2"][0]
    checks = {
        "the play failed": run.rc != 0,
        "node1 fixed and verified": status.get("node1") == "changed" and after["node1"] != before["node1"],
        "node2 failed verification": status.get("node2") == "verify_failed",
        "node2 says why and how to roll back": "got no HTTP answer" in (node2.get("message") or "")
        and "rollback" in (node2.get("message") or ""),
        "node2's change is backed up": len(backup_runs(roots["node2"])) == 1 and bool(node2["changes"])
        and all(c["backup"] for c in node2["changes"]),
        "node3 not reached": status.get("node3") == "not_reached",
        "node3 had no agent call": run.calls("node3") == 0,
        "node3 has no backup": backup_runs(roots["node3"]) == [],
        "node3 state digest unchanged": after["node3"] == before["node3"],
    }
    failed = [name for name, ok in checks.items() if not ok]
    safety_figures.record(
        "8-rolling", "8", "Rolling farm: remediate playbook (serial 1) over 3 lab nodes, node 2's SCEP URL "
        "unreachable after its fixes",
        "3 nodes: the run stopped at node 2 (verify_failed, change backed up, rollback hint); node 3: 0 agent "
        "calls, no backup, state digest unchanged; %d checks" % len(checks),
        len(failed), {}, lost_what="checks that failed")
    assert not failed, "%s\n%s\n%s" % (failed, status, run.stdout[-3000:])
