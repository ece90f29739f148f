# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""iis_log, device_log and probe end to end: real ansible-playbook runs against lab hosts, remote calls counted."""
from __future__ import annotations

import contextlib
import datetime
import os
import re
import shutil
import time
import urllib.error
import urllib.request

import pytest

from labrun import save

from ansible_collections.ndes.scep.plugins.module_utils._lab import faults as lab_faults
from ansible_collections.ndes.scep.plugins.module_utils._lab import layout, server

pytestmark = pytest.mark.integration

FIXTURES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "unit", "fixtures", "device")

IIS_LOG = """
- hosts: all
  gather_facts: false
  tasks:
    - name: Read the log window
      ndes.scep.iis_log:{args}
      register: logs
"""

PROBE = """
- hosts: all
  gather_facts: false
  tasks:
    - name: Probe the lab's HTTP face from the controller
      ndes.scep.probe:{args}
      register: probe
      ignore_errors: true
"""


def iis_log_play(args=""):
    return IIS_LOG.format(args=args) + save("logs")


def probe_play(args=""):
    return PROBE.format(args=args) + save("probe")


def _args(**kwargs):
    if not kwargs:
        return ""
    lines = []
    for key, value in kwargs.items():
        if isinstance(value, str):
            value = '"%s"' % value
        elif isinstance(value, bool):
            value = "true" if value else "false"
        lines.append("\n        %s: %s" % (key, value))
    return "".join(lines)


def _make(lab, name, faults=()):
    root = lab.add_host(name)
    lab_faults.create(root, list(faults))
    return root


@contextlib.contextmanager
def _served(*roots):
    started = []
    try:
        for root in roots:
            server.start(root)
            started.append(root)
        yield
    finally:
        for root in started:
            server.stop(root)


def _get(url):
    try:
        with urllib.request.urlopen(url, timeout=10) as resp:  # noqa: S310 - loopback lab face
            return resp.status
    except urllib.error.HTTPError as exc:
        return exc.code


def _iso(when):
    return when.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


# ------------------------------------------------------------------ iis_log
@pytest.mark.smoke
def test_iis_log_reads_the_window_in_one_call(lab):
    root = lab.add_host("lab1")
    created = lab.run("""
- hosts: all
  gather_facts: false
  tasks:
    - name: Create the lab NDES
      ndes.scep.lab:
        root: "{{ ndes_lab_root }}"
""")
    assert created.rc == 0, created.stdout + created.stderr
    assert os.path.isfile(os.path.join(root, "lab.json"))

    run = lab.run(iis_log_play())
    assert run.rc == 0, run.stdout + run.stderr
    assert run.calls("lab1") == 1
    logs = run.result("lab1", "logs")
    assert logs["ndes_remote_calls"] == 1
    assert logs["faults"] == []
    summary = logs["summary"]
    mscep = summary["w3c"]["mscep"]
    # the lab seeds 12 enrolments (GetCACaps, GetCACert, PKIOperation each) and one bare-URL check
    assert mscep["requests"] == 37
    assert mscep["by_operation"] == {"GetCACaps": 12, "GetCACert": 12, "PKIOperation": 12, "none": 1}
    assert mscep["by_status"] == {"200.0.0": 36, "403.0.0": 1}
    assert mscep["by_platform"] == {"windows": 12, "android": 12, "ios": 12, "other": 1}
    assert summary["w3c"]["certreg"]["requests"] == 24
    assert summary["no_mscep_requests"] is False
    assert summary["httperr"]["by_reason"] == {"Timer_ConnectionIdle": 1}
    assert sum(h["requests"] for h in logs["timeline"]) == 37
    assert {f["kind"] for f in logs["files"]} == {"w3c", "httperr"}
    assert all(not f["truncated"] and f["bytes_read"] == f["size"] for f in logs["files"])
    assert logs["parse"]["w3c"]["malformed_total"] == 0
    assert logs["parse"]["w3c"]["records"] == 61
    assert logs["site"]["id"] == 1
    assert logs["site"]["log_folder"] == "C:\\inetpub\\logs\\LogFiles\\W3SVC1"

    checked = lab.run(iis_log_play(), check=True)
    assert checked.rc == 0, checked.stdout + checked.stderr
    assert checked.calls("lab1") == 1
    assert checked.result("lab1", "logs")["summary"]["w3c"]["mscep"]["requests"] == 37


def test_iis_log_follows_the_site_id_and_log_directory(lab):
    root = _make(lab, "lab1")
    config = layout.win_to_lab(root, "C:\\Windows\\System32\\inetsrv\\config\\applicationHost.config")
    with open(config, encoding="utf-8") as handle:
        text = handle.read()
    text = text.replace('<site name="Default Web Site" id="1"', '<site name="Default Web Site" id="7"', 1)
    text, count = re.subn(r'(<logFile [^>]*directory=")[^"]*(")', r"\1D:\\IISLogs\2", text, count=1)
    assert count == 1
    with open(config, "w", encoding="utf-8") as handle:
        handle.write(text)
    target = layout.win_to_lab(root, "D:\\IISLogs\\W3SVC7")
    os.makedirs(os.path.dirname(target))
    shutil.move(layout.win_to_lab(root, "C:\\inetpub\\logs\\LogFiles\\W3SVC1"), target)

    run = lab.run(iis_log_play())
    assert run.rc == 0, run.stdout + run.stderr
    logs = run.result("lab1", "logs")
    assert logs["site"]["id"] == 7
    assert logs["site"]["log_folder"] == "D:\\IISLogs\\W3SVC7"
    assert logs["files"][0]["path"].startswith("D:\\IISLogs\\W3SVC7\\u_ex")
    assert logs["summary"]["w3c"]["mscep"]["requests"] == 37
    assert run.calls("lab1") == 1


def test_iis_log_unknown_site_fails_clearly(lab):
    _make(lab, "lab1")
    run = lab.run(iis_log_play(_args(site="NDES")))
    assert run.rc != 0
    assert "IIS site 'NDES' does not exist" in run.stdout
    assert "Default Web Site" in run.stdout
    assert run.calls("lab1") == 1


def test_iis_log_seeded_faults_map_to_fault_ids(lab):
    _make(lab, "imp", ["impersonate_right"])
    _make(lab, "pool", ["app_pool_stopped"])
    _make(lab, "httpsys", ["httpsys_limits"])
    _make(lab, "limits", ["request_limits"])
    run = lab.run(iis_log_play())
    assert run.rc == 0, run.stdout + run.stderr
    expected = {"imp": ("IMPERSONATE_RIGHT", "mscep_500_1346", 3), "pool": ("APP_POOL_STOPPED", "httperr_scep_pool_503", 3),
                "httpsys": ("HTTPSYS_LIMITS", "httperr_length_limit", 2),
                "limits": ("REQUEST_LIMITS", "request_filtering_404_14_15", 2)}
    for host, (fault, signal, count) in expected.items():
        logs = run.result(host, "logs")
        assert run.calls(host) == 1, host
        assert logs["faults"] == [fault], host
        hits = [s for s in logs["summary"]["signals"] if s["signal"] == signal]
        assert len(hits) == 1 and hits[0]["count"] == count, (host, logs["summary"]["signals"])
    assert run.result("imp", "logs")["summary"]["w3c"]["mscep"]["by_status"]["500.0.1346"] == 3


def test_impersonate_right_request_to_the_face_shows_500_1346(lab):
    root = _make(lab, "lab1", ["impersonate_right"])
    with _served(root):
        url = server.status(root)["scep_url"] + "?operation=GetCACert&message=default"
        before = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(seconds=2)
        assert _get(url) == 500
        time.sleep(1.1)
        run = lab.run(iis_log_play(_args(since=_iso(before))))
    assert run.rc == 0, run.stdout + run.stderr
    assert run.calls("lab1") == 1
    logs = run.result("lab1", "logs")
    # only the request just made is in the window (the seeded evidence is 10-20 minutes old)
    assert logs["faults"] == ["IMPERSONATE_RIGHT"]
    signal = logs["summary"]["signals"][0]
    assert signal["signal"] == "mscep_500_1346" and signal["count"] == 1
    assert signal["example"]["status"] == "500.0.1346"
    assert logs["summary"]["w3c"]["mscep"]["by_operation"] == {"GetCACert": 1}
    assert logs["summary"]["w3c"]["outside_window"] > 0


def test_iis_log_window_and_byte_limit(lab):
    _make(lab, "lab1")
    future = _iso(datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=1))
    run = lab.run(iis_log_play(_args(since=future)))
    assert run.rc == 0, run.stdout + run.stderr
    logs = run.result("lab1", "logs")
    # no file was modified since then: nothing read, and no mscep.dll request in the window
    assert logs["files"] == []
    assert logs["summary"]["no_mscep_requests"] is True
    assert logs["faults"] == ["NETWORK_BLOCKED"]

    run = lab.run(iis_log_play(_args(max_bytes=4096)))
    assert run.rc == 0, run.stdout + run.stderr
    logs = run.result("lab1", "logs")
    w3c_file = [f for f in logs["files"] if f["kind"] == "w3c"][0]
    assert w3c_file["truncated"] is True and w3c_file["bytes_read"] <= 4096
    # the tail starts after the file's #Fields header: the agent sent the file's head, whose header applies
    assert w3c_file["fields_from"] == "head" and w3c_file["assumed_fields"] is False
    assert logs["parse"]["w3c"]["malformed"]["no_fields"] == 0
    assert logs["parse"]["w3c"]["malformed_total"] == 0
    assert 0 < logs["summary"]["w3c"]["mscep"]["requests"] < 37
    assert "raise max_bytes" in run.stdout + run.stderr


# ------------------------------------------------------------------ device_log
def test_device_log_on_fixtures_costs_no_remote_call(lab):
    _make(lab, "lab1")
    run = lab.run("""
- hosts: all
  gather_facts: false
  tasks:
    - name: Android log with a 503
      ndes.scep.device_log:
        path: {fixtures}/android_omadm_503.log
      register: android
    - name: iOS log that times out on a custom domain
      ndes.scep.device_log:
        path: {fixtures}/ios_debug_timeout.log
        platform: ios
      register: ios
    - name: Windows events exported as XML
      ndes.scep.device_log:
        path: {fixtures}/windows_events_installed.xml
      register: windows
""".format(fixtures=FIXTURES) + save("android") + save("ios") + save("windows"))
    assert run.rc == 0, run.stdout + run.stderr
    assert run.calls("lab1") == 0
    android = run.result("lab1", "android")
    assert android["platform"] == "android" and android["stage_reached"] == "getcacaps"
    assert android["uses_msappproxy"] is True and android["last_status"] == 503
    assert android["findings_hint"][0] == "APP_POOL_STOPPED"
    assert android["ndes_remote_calls"] == 0
    ios = run.result("lab1", "ios")
    assert ios["ndes_url"] == "https://ndes.contoso.com/certsrv/mscep/mscep.dll"
    assert ios["uses_msappproxy"] is False
    assert ios["attempted"] is True and ios["responded"] is False and ios["network_error"] == "timeout"
    assert ios["findings_hint"] == ["APP_PROXY_URL", "NETWORK_BLOCKED"]
    windows = run.result("lab1", "windows")
    assert windows["stage_reached"] == "certificate_installed" and windows["findings_hint"] == []


# ------------------------------------------------------------------ probe
def test_probe_maps_lab_faults_and_costs_no_remote_call(lab):
    roots = [lab.add_host("healthy", lab_faults=[]), lab.add_host("limits", lab_faults=["request_limits"]),
             lab.add_host("httpsys", lab_faults=["httpsys_limits"]),
             lab.add_host("pool", lab_faults=["app_pool_stopped"])]
    try:
        created = lab.run("""
- hosts: all
  gather_facts: false
  tasks:
    - name: Create the lab NDES with its faults and start its HTTP face
      ndes.scep.lab:
        faults: "{{ lab_faults }}"
        server: started
""")
        assert created.rc == 0, created.stdout + created.stderr
        run = lab.run(probe_play(_args(timeout=5)))
    finally:
        for root in roots:
            server.stop(root)
    assert run.rc == 0, run.stdout + run.stderr
    for host in ("healthy", "limits", "httpsys", "pool"):
        assert run.calls(host) == 0, host
        assert run.result(host, "probe")["ndes_remote_calls"] == 0
        assert run.result(host, "probe")["reached"] is True
    healthy = run.result("healthy", "probe")
    assert healthy["signals"] == [] and healthy["healthy"] is True
    assert healthy["checks"]["bare_url"]["status"] == 403
    assert len(healthy["ra_certs"]) == 2 and len(healthy["ca_certs"]) == 1
    limits = run.result("limits", "probe")
    assert limits["signals"] == ["REQUEST_LIMITS"] and limits["signal_levels"] == {"REQUEST_LIMITS": "observed"}
    assert limits["checks"]["long_get"]["passed"] is False
    httpsys = run.result("httpsys", "probe")
    assert httpsys["signals"] == ["HTTPSYS_LIMITS"]
    assert httpsys["checks"]["long_get"]["layer"] == "httpsys"
    pool = run.result("pool", "probe")
    assert "APP_POOL_STOPPED" in pool["signals"]
    assert pool["signal_levels"]["APP_POOL_STOPPED"] == "observed"
    assert pool["checks"]["bare_url"]["status"] == 503 and pool["healthy"] is False
    assert not any(run.result(h, "probe").get("failed") for h in ("healthy", "limits", "httpsys", "pool"))


def test_probe_fail_on_signals_stops_only_the_faulty_host(lab):
    roots = [_make(lab, "healthy"), _make(lab, "pool", ["app_pool_stopped"])]
    with _served(*roots):
        run = lab.run(probe_play('\n        fail_on_signals: [APP_POOL_STOPPED, REQUEST_LIMITS]'
                                 '\n        long_get_bytes: 0'))
    assert run.rc == 0, run.stdout + run.stderr   # ignore_errors in the play
    assert run.result("healthy", "probe").get("failed") is not True
    assert run.result("healthy", "probe")["matched"] == []
    pool = run.result("pool", "probe")
    assert pool["failed"] is True and pool["matched"] == ["APP_POOL_STOPPED"]
    assert "APP_POOL_STOPPED" in pool["msg"]
    assert run.result("pool", "probe")["checks"]["long_get"]["verdict"] == "skipped"


def test_probe_app_proxy_front_and_unreachable_url(lab):
    root = _make(lab, "proxy", ["proxy_connector_down"])
    with _served(root):
        run = lab.run(probe_play(_args(expect_app_proxy=True, long_get_bytes=0)))
    assert run.rc == 0, run.stdout + run.stderr
    proxy = run.result("proxy", "probe")
    assert proxy["app_proxy"] is True
    assert proxy["signal_levels"]["PROXY_CONNECTOR_DOWN"] == "observed"
    # 127.0.0.1 is not under msappproxy.net: a warning, not an error
    assert proxy["signal_levels"]["APP_PROXY_URL"] == "warning"
    assert run.calls("proxy") == 0

    # the face is stopped now: nothing answers, which fails only a verification
    run = lab.run(probe_play('\n        url: "%s"\n        fail_on_signals: [any]'
                             '\n        timeout: 3' % proxy["url"]))
    down = run.result("proxy", "probe")
    assert down["reached"] is False and "NETWORK_BLOCKED" in down["signals"]
    assert down["failed"] is True and down["matched"] == ["NETWORK_BLOCKED"]


def test_probe_without_url_or_lab_fails_clearly(lab):
    lab.hosts["plain"] = {"ansible_connection": "local", "ansible_python_interpreter": __import__("sys").executable}
    run = lab.run(probe_play())
    probe = run.result("plain", "probe")
    assert probe["failed"] is True and "give url" in probe["msg"]
    _make(lab, "lab1")  # a lab whose face was never started
    run = lab.run(probe_play())
    assert "no lab server record" in run.result("lab1", "probe")["msg"]
