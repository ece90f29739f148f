# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The remediate / diagnose roles through their playbooks (by FQCN) against lab NDES hosts.

Remote calls are counted by the ndes.scep.remote_calls callback: a compliant host costs
exactly one agent call (the facts) and reports changed=0; a faulty one costs one call for
the facts plus one per fix that changed something (the restarts ride in the last fix's call;
a reboot, when the policy allows one, is a call of its own); check mode leaves the lab
byte-identical; a second run changes nothing; a rolling run stops at the first host whose
probe still sees what its fixes should have repaired.
"""
from __future__ import annotations

import glob
import json
import os

import pytest

from ansible_collections.ndes.scep.plugins.module_utils._lab import boot, faults, layout, pools, server

pytestmark = pytest.mark.integration

# Every fault the remediate role repairs on its own (FAULTS.md "fix by" a module, fixable variant).
FIXABLE = ["impersonate_right", "app_pool_stopped", "root_intermediates", "crs_windows_auth",
           "proxy_connector_down", "request_limits", "httpsys_limits", "temp_acl", "ra_key_acl"]
GATHER = "ndes.scep.remediate : Gather the NDES facts (one agent call)"
HANDLERS = ("ndes.scep.remediate : Reset IIS", "ndes.scep.remediate : Recycle the SCEP application pool",
            "ndes.scep.remediate : Restart the connector services")


def iis_resets(root):
    """How many IIS resets the lab saw (its iis_reset ensure counts them)."""
    return boot.load(root).get("iis_resets", 0)


def recycles(root, pool="SCEP"):
    """How many recycles the lab's pool saw."""
    return pools.runtime(root).get(pool, {}).get("recycles", 0)


@pytest.fixture
def labs(lab):
    """``make(host=[faults], ..., start=True)`` -> roots; lab servers are stopped afterwards."""
    roots = []

    def make(start=True, **hosts):
        out = {}
        for host, fault_list in hosts.items():
            root = lab.add_host(host)
            faults.create(root, fault_list)
            if start:
                server.start(root)
            roots.append(root)
            out[host] = root
        return out

    yield make
    for root in roots:
        server.stop(root)


def report_of(lab, run):
    """The JSON report the run wrote (ndes-reports/<run id>/report.json under the run's directory)."""
    paths = sorted(glob.glob(os.path.join(lab.base, "ndes-reports", "*", "report.json")), key=os.path.getmtime)
    assert paths, "no report written:\n" + run.stdout[-3000:]
    with open(paths[-1], encoding="utf-8") as handle:
        return json.load(handle)


def busy_tasks(run, host):
    """Tasks that made remote calls on ``host``, with their counts."""
    return {task: n for task, n in run.counts.get("tasks", {}).get(host, {}).items() if n}


@pytest.mark.smoke
def test_compliant_host_costs_one_call_and_changes_nothing(lab, labs):
    labs(lab1=[])
    run = lab.run("ndes.scep.remediate")
    assert run.rc == 0, run.stdout + run.stderr
    assert run.calls("lab1") == 1
    assert busy_tasks(run, "lab1") == {GATHER: 1}
    assert run.recap("lab1")["changed"] == "0"
    host = report_of(lab, run)["hosts"][0]
    assert host["status"] == "ok" and host["changes"] == [] and host["verify"]["reached"] is True


def test_faulty_host_costs_one_call_per_fix(lab, labs):
    roots = labs(lab1=FIXABLE)
    run = lab.run("ndes.scep.remediate", extra_vars={"ndes_reboot_policy": "if_required"})
    assert run.rc == 0, run.stdout + run.stderr
    busy = busy_tasks(run, "lab1")
    assert busy.pop(GATHER) == 1
    assert all(n == 1 for n in busy.values()), busy          # each fix, restart or reboot: one agent call
    doc = report_of(lab, run)
    host = doc["hosts"][0]
    fixes_applied = sorted({c["module"] for c in host["changes"]})
    assert fixes_applied == ["ndes.scep.app_pool", "ndes.scep.certreg_auth", "ndes.scep.connector_service",
                             "ndes.scep.ra_certs", "ndes.scep.request_limits", "ndes.scep.root_store",
                             "ndes.scep.temp_acl", "ndes.scep.user_right"]
    assert host["rebooted"] is True and host["reboot_required"] is False
    # facts + one per fix module that changed something + the reboot (it replaces every restart)
    assert run.calls("lab1") <= 1 + len(fixes_applied) + 1
    assert run.calls("lab1") == 1 + len(busy)
    assert host["verify"]["reached"] is True and host["verify"]["unexplained"] == []
    assert all(c["backup"] for c in host["changes"])
    assert os.path.isdir(os.path.join(roots["lab1"], "backups", doc["run_id"]))
    # the second run finds nothing to do
    again = lab.run("ndes.scep.remediate")
    assert again.rc == 0, again.stdout + again.stderr
    assert again.calls("lab1") == 1
    assert again.recap("lab1")["changed"] == "0"


def test_check_mode_changes_nothing_and_reports_the_drift(lab, labs):
    roots = labs(lab1=FIXABLE)
    before = layout.state_digest(roots["lab1"])
    run = lab.run("ndes.scep.remediate", check=True, extra_vars={"ndes_reboot_policy": "always"})
    assert run.rc == 0, run.stdout + run.stderr
    assert layout.state_digest(roots["lab1"]) == before
    doc = report_of(lab, run)
    assert doc["mode"] == "check"
    host = doc["hosts"][0]
    assert host["status"] == "drift"
    modules = {c["module"] for c in host["changes"]}
    assert modules >= {"ndes.scep.request_limits", "ndes.scep.user_right", "ndes.scep.app_pool"}
    assert not any(c["backup"] for c in host["changes"])
    assert not os.path.exists(os.path.join(roots["lab1"], "backups", doc["run_id"]))
    assert "Reboot the host" not in "".join(busy_tasks(run, "lab1"))


def test_reboot_policy_never_reports_the_reboot(lab, labs):
    labs(lab1=["httpsys_limits"])
    run = lab.run("ndes.scep.remediate")
    assert run.rc == 0, run.stdout + run.stderr
    host = report_of(lab, run)["hosts"][0]
    assert host["reboot_required"] is True and host["rebooted"] is False
    assert run.calls("lab1") == 2                          # facts + request_limits; no restart, no reboot
    again = lab.run("ndes.scep.remediate")                  # still pending: reported, nothing changed
    assert again.calls("lab1") == 1 and again.recap("lab1")["changed"] == "0"
    assert report_of(lab, again)["summary"]["reboot_required"] == ["lab1"]


def test_rolling_run_stops_at_the_first_host_that_fails_verification(lab, labs):
    roots = labs(lab1=["request_limits"], lab2=["request_limits"], witness=["request_limits"])
    # lab1's SCEP URL leads to a server that still has the fault lab1's run repairs: its probe fails.
    lab.hosts["lab1"]["ndes_scep_url"] = server.status(roots["witness"])["scep_url"]
    lab.hosts["witness"]["ndes_verify"] = False
    run = lab.run("ndes.scep.remediate", limit="lab1,lab2")
    assert run.rc != 0
    assert "still sees what this run fixed" in run.stdout
    assert run.calls("lab2") == 0                           # never reached
    doc = report_of(lab, run)
    status = {h["name"]: h["status"] for h in doc["hosts"]}
    assert status == {"lab1": "verify_failed", "lab2": "not_reached"}
    assert doc["summary"]["failed"] == ["lab1"]


def test_rollback_restores_a_run_and_lists_runs_when_unknown(lab, labs):
    roots = labs(lab1=["request_limits"])
    before = layout.state_digest(roots["lab1"])
    run = lab.run("ndes.scep.remediate")
    assert run.rc == 0, run.stdout + run.stderr
    run_id = report_of(lab, run)["run_id"]
    assert layout.state_digest(roots["lab1"]) != before
    wrong = lab.run("ndes.scep.rollback", extra_vars={"ndes_rollback_run_id": "19990101T000000Z-000000"})
    assert wrong.rc != 0
    assert "no backups for run 19990101T000000Z-000000" in wrong.stdout
    assert run_id in wrong.stdout                          # the runs that exist are listed
    bad_item = lab.run("ndes.scep.rollback", extra_vars={"ndes_rollback_run_id": run_id, "ndes_rollback_items": ["nope"]})
    assert bad_item.rc != 0 and "has no backup item(s) nope" in bad_item.stdout
    back = lab.run("ndes.scep.rollback", extra_vars={"ndes_rollback_run_id": run_id})
    assert back.rc == 0, back.stdout + back.stderr
    assert "001-iis_limits" in back.stdout, back.stdout
    again = lab.run("ndes.scep.remediate", check=True)     # the fault is back
    host = report_of(lab, again)["hosts"][0]
    assert [c["module"] for c in host["changes"]] == ["ndes.scep.request_limits"]


def test_diagnose_reports_every_host_and_finding_in_one_report(lab, labs):
    roots = labs(lab1=["request_limits", "impersonate_right"], lab2=[])
    run = lab.run("ndes.scep.diagnose")
    assert run.rc == 0, run.stdout + run.stderr
    assert run.calls("lab1") == 1 and run.calls("lab2") == 1      # facts and logs in one agent call each
    doc = report_of(lab, run)
    hosts = {h["name"]: h for h in doc["hosts"]}
    expected = faults.expected_findings(faults.read_lab(roots["lab1"])["faults"])
    assert sorted({f["id"] for f in hosts["lab1"]["findings"]}) == expected
    assert hosts["lab2"]["findings"] == [] and hosts["lab2"]["status"] == "ok"
    assert doc["summary"]["hosts_with_findings"] == ["lab1"]
    assert all(f["docs"] and f["fix"]["variable"] for f in hosts["lab1"]["findings"])
    failing = lab.run("ndes.scep.diagnose", extra_vars={"ndes_diagnose_fail_on": "critical"})
    assert failing.rc != 0 and "2 finding(s) of severity critical or worse" in failing.stdout
    assert {h["name"] for h in report_of(lab, failing)["hosts"]} == {"lab1", "lab2"}      # reported all the same
    assert failing.recap("lab2")["failed"] == "0"


def test_remediate_report_has_the_findings_it_started_from(lab, labs):
    labs(lab1=["request_limits"])
    run = lab.run("ndes.scep.remediate")
    assert run.rc == 0, run.stdout + run.stderr
    host = report_of(lab, run)["hosts"][0]
    assert [f["id"] for f in host["findings"]] == ["REQUEST_LIMITS"]          # evaluated from the facts
    assert [c["module"] for c in host["changes"]] == ["ndes.scep.request_limits"]


def test_new_policy_certificate_resets_iis_and_restarts_the_connector(lab, labs):
    from ansible_collections.ndes.scep.plugins.module_utils._lab import certs, certstore, healthy
    roots = labs(lab1=["policy_cert_expired"])
    fqdn = faults.read_lab(roots["lab1"])["fqdn"]
    # what an admin does first: enrol a new Client Authentication certificate for the server
    cert, key = certs.issue(roots["lab1"], certs.name(fqdn), "NDESPolicyClientAuth", [fqdn], key=certs.new_key())
    certstore.add(roots["lab1"], "My", cert, key, {"key_acl": healthy.admin_key_acl()})
    run = lab.run("ndes.scep.remediate")
    assert run.rc == 0, run.stdout + run.stderr
    busy = busy_tasks(run, "lab1")
    # policy_cert is the whole plan: the IIS reset and the connector restarts ride in its own call
    assert busy == {GATHER: 1,
                    "ndes.scep.remediate : Point NDESCertThumbprint at a valid certificate (POLICY_CERT_EXPIRED)": 1}
    assert iis_resets(roots["lab1"]) == 1
    host = report_of(lab, run)["hosts"][0]
    assert {(r["kind"], r["action"]) for r in host["restarts"]} >= {("service", "restart"), ("connector", "reinstall")}
    done = {(r["kind"], r["name"]) for r in host["restarts"] if r.get("done")}
    assert done == {("iis", None), ("service", "PFXCertificateConnectorSvc"), ("service", "PKICertificateConnectorSvc")}
    assert [r["kind"] for r in host["restarts"] if not r.get("done")] == ["connector"]   # the reinstall: manual
    assert host["verify"]["reached"] is True and host["verify"]["unexplained"] == []


def test_restarts_ride_in_the_last_fix_call_once(lab, labs):
    roots = labs(lab1=FIXABLE)
    root = roots["lab1"]
    run = lab.run("ndes.scep.remediate")                   # reboot policy never: the restarts are due
    assert run.rc == 0, run.stdout + run.stderr
    busy = busy_tasks(run, "lab1")
    assert not set(busy) & set(HANDLERS), busy              # no restart of its own
    host = report_of(lab, run)["hosts"][0]
    fixes_applied = sorted({c["module"] for c in host["changes"]})
    assert len(fixes_applied) == 8
    assert run.calls("lab1") == 1 + len(fixes_applied)
    assert all(n == 1 for n in busy.values()), busy
    # certreg_auth needs an IIS reset, which covers the recycles request_limits, user_right, ra_certs and
    # temp_acl ask for: ONE reset, made in the call of the last fix (app_pool), no recycle
    assert iis_resets(root) == 1 and recycles(root) == 0
    done = [r for r in host["restarts"] if r.get("done")]
    assert [(r["kind"], r["action"]) for r in done] == [("iis", "reset")]
    assert {r["kind"] for r in host["restarts"] if not r.get("done")} <= {"app_pool"}   # root_store's "start"
    assert host["verify"]["reached"] is True and host["verify"]["unexplained"] == []
    again = lab.run("ndes.scep.remediate")
    assert again.rc == 0, again.stdout + again.stderr
    assert again.calls("lab1") == 1 and again.recap("lab1")["changed"] == "0"
    assert iis_resets(root) == 1 and recycles(root) == 0


def test_a_recycle_rides_in_the_last_fix_call(lab, labs):
    roots = labs(lab1=["request_limits", "impersonate_right"])
    run = lab.run("ndes.scep.remediate")
    assert run.rc == 0, run.stdout + run.stderr
    assert busy_tasks(run, "lab1") == {
        GATHER: 1, "ndes.scep.remediate : Raise the IIS and HTTP.sys request limits (REQUEST_LIMITS, HTTPSYS_LIMITS)": 1,
        "ndes.scep.remediate : Grant IIS_IUSRS the impersonate right (IMPERSONATE_RIGHT)": 1}
    assert recycles(roots["lab1"]) == 1 and iis_resets(roots["lab1"]) == 0
    assert [(r["kind"], r["name"]) for r in report_of(lab, run)["hosts"][0]["restarts"] if r.get("done")] == [
        ("app_pool", "SCEP")]


def test_check_mode_makes_no_restart(lab, labs):
    roots = labs(lab1=FIXABLE)
    before = layout.state_digest(roots["lab1"])
    run = lab.run("ndes.scep.remediate", check=True)
    assert run.rc == 0, run.stdout + run.stderr
    assert layout.state_digest(roots["lab1"]) == before
    assert not set(busy_tasks(run, "lab1")) & set(HANDLERS)
    host = report_of(lab, run)["hosts"][0]
    assert host["restarts"] and not any(r.get("done") for r in host["restarts"])     # predicted, not made
    assert iis_resets(roots["lab1"]) == 0 and recycles(roots["lab1"]) == 0


def test_the_handlers_make_the_restarts_no_fix_call_made(lab, labs):
    roots = labs(lab1=["request_limits", "impersonate_right"])
    # the last fix of the plan carries no restart (as when a reboot was predicted that did not come): the
    # recycles both fixes asked for are left to the fallback handler, which makes one
    run = lab.run("ndes.scep.remediate", extra_vars={"__ndes_last_fix_restarts": [], "ndes_verify": False})
    assert run.rc == 0, run.stdout + run.stderr
    assert busy_tasks(run, "lab1") == {
        GATHER: 1, "ndes.scep.remediate : Raise the IIS and HTTP.sys request limits (REQUEST_LIMITS, HTTPSYS_LIMITS)": 1,
        "ndes.scep.remediate : Grant IIS_IUSRS the impersonate right (IMPERSONATE_RIGHT)": 1,
        "ndes.scep.remediate : Recycle the SCEP application pool": 1}
    assert recycles(roots["lab1"]) == 1 and iis_resets(roots["lab1"]) == 0
