# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""ndes.scep.probe: which URL, signal levels, when the task fails; the action against a replaying server."""
from __future__ import annotations

import json
import os
import socket
import socketserver
import threading
from pathlib import Path

import pytest
from ansible.errors import AnsibleActionFail
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.ndes.scep.plugins.action.probe import ActionModule
from ansible_collections.ndes.scep.plugins.module_utils._ndes import probe as scep_probe
from ansible_collections.ndes.scep.plugins.module_utils._ndes import probe_task

HTTP = Path(__file__).resolve().parents[1] / "fixtures" / "http"


def _doc(*evidence, status=403):
    return {"checks": {"bare_url": {"status": status}},
            "evidence": [{"id": i, "stage": s, "confidence": c, "detail": "d"} for i, s, c in evidence]}


# ------------------------------------------------------------------ decisions
def test_lab_url_from_server_json(tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    record = {"base_url": "http://127.0.0.1:4242", "scep_url": "http://127.0.0.1:4242/certsrv/mscep/mscep.dll",
              "app_proxy_url": "http://127.0.0.1:4343/certsrv/mscep/mscep.dll"}
    (run / "server.json").write_text(json.dumps(record))
    assert probe_task.lab_url(str(tmp_path)) == record["scep_url"]
    assert probe_task.lab_url(str(tmp_path), app_proxy=True) == record["app_proxy_url"]
    (run / "server.json").write_text(json.dumps({"base_url": "http://127.0.0.1:4242/"}))
    assert probe_task.lab_url(str(tmp_path)) == "http://127.0.0.1:4242/certsrv/mscep/mscep.dll"
    with pytest.raises(ValueError, match="no App Proxy front"):
        probe_task.lab_url(str(tmp_path), app_proxy=True)
    (run / "server.json").write_text("[]")
    with pytest.raises(ValueError, match="not a lab server record"):
        probe_task.lab_url(str(tmp_path))
    with pytest.raises(ValueError, match="no lab server record at .*server.json.*server=started"):
        probe_task.lab_url(str(tmp_path / "nowhere"))


def test_signal_levels_keep_the_strongest_confidence_in_catalogue_order():
    doc = _doc(("RA_CERT_EXPIRED", "getcacert", "warning"), ("APP_POOL_STOPPED", "bare_url", "candidate"),
               ("APP_POOL_STOPPED", "getcacaps", "observed"), ("APP_PROXY_URL", "url", "warning"))
    assert list(probe_task.signal_levels(doc).items()) == [
        ("APP_POOL_STOPPED", "observed"), ("APP_PROXY_URL", "warning"), ("RA_CERT_EXPIRED", "warning")]


@pytest.mark.parametrize("fail_on, expected", [
    ([], []),
    (["any"], ["APP_POOL_STOPPED", "CRS_WINDOWS_AUTH"]),
    (["CRS_WINDOWS_AUTH"], ["CRS_WINDOWS_AUTH"]),
    (["REQUEST_LIMITS"], []),
    (["APP_PROXY_URL", "RA_CERT_EXPIRED"], []),      # warnings never fail the task
])
def test_matched(fail_on, expected):
    doc = _doc(("APP_POOL_STOPPED", "bare_url", "observed"), ("CRS_WINDOWS_AUTH", "bare_url", "candidate"),
               ("APP_PROXY_URL", "url", "warning"), ("RA_CERT_EXPIRED", "getcacert", "warning"))
    assert probe_task.matched(doc, fail_on) == expected


def test_reached():
    assert probe_task.reached(_doc()) is True
    assert probe_task.reached(_doc(status=None)) is False
    assert probe_task.reached({}) is False


def test_fail_on_choices_are_the_probe_fault_ids():
    assert probe_task.FAIL_ON_CHOICES == ("any",) + tuple(scep_probe.FAULT_ORDER)


# ------------------------------------------------------------------ the action
class _Replay(socketserver.ThreadingTCPServer):
    """Answers every request with the same raw HTTP response (a sample from tests/unit/fixtures/http)."""
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, raw):
        socketserver.ThreadingTCPServer.__init__(self, ("127.0.0.1", 0), _Handler)
        self.raw = raw
        self.seen = []
        self.thread = threading.Thread(target=self.serve_forever, args=(0.05,), daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.shutdown()
        self.server_close()

    def url(self):
        return "http://127.0.0.1:%d/certsrv/mscep/mscep.dll" % self.server_address[1]


class _Handler(socketserver.BaseRequestHandler):
    def handle(self):
        data = b""
        self.request.settimeout(5)
        try:
            while b"\r\n\r\n" not in data:
                chunk = self.request.recv(65536)
                if not chunk:
                    return
                data += chunk
            self.server.seen.append(data.split(b" ", 2)[1].decode("latin-1"))
            self.request.sendall(self.server.raw)
        except (socket.timeout, OSError):
            return


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _act(task_vars=None, **given):
    validated = ArgumentSpecValidator(ActionModule.ARGUMENT_SPEC).validate(given)
    assert not validated.error_messages, validated.error_messages
    action = object.__new__(ActionModule)
    action._task_vars = task_vars or {}
    return action.act(validated.validated_parameters)


def test_pool_stopped_is_a_result_not_a_failure():
    with _Replay((HTTP / "httpsys-503-service-unavailable.http").read_bytes()) as srv:
        result = _act(url=srv.url(), timeout=5, platforms=["ios"])
    assert "failed" not in result
    assert result["signal_levels"]["APP_POOL_STOPPED"] == "observed"
    assert result["reached"] is True and result["healthy"] is False and result["matched"] == []
    assert result["checks"]["getcacert"].keys() == {"ios"}
    assert len(srv.seen) == 4   # bare URL, GetCACaps, GetCACert (ios), long GET


def test_fail_on_signals_fails_with_the_evidence():
    with _Replay((HTTP / "httpsys-503-service-unavailable.http").read_bytes()) as srv:
        result = _act(url=srv.url(), timeout=5, long_get_bytes=0, fail_on_signals=["APP_POOL_STOPPED"])
    assert result["failed"] is True and result["matched"] == ["APP_POOL_STOPPED"]
    assert result["msg"].startswith("%s still shows APP_POOL_STOPPED (bare_url: HTTP.sys answered 503" % srv.url())
    assert result["checks"]["long_get"]["verdict"] == "skipped"


def test_healthy_answer_with_an_unrelated_fail_on_list_passes():
    with _Replay((HTTP / "iis10-403-custom-error-remote.http").read_bytes()) as srv:
        result = _act(url=srv.url(), timeout=5, long_get_bytes=0, platforms=[], fail_on_signals=["any"])
    assert result["checks"]["bare_url"]["verdict"] == "ok"
    # GetCACaps answered 403 too: unexpected, but no FAULTS id -> not failed, not healthy
    assert result["signals"] == [] and "failed" not in result and result["healthy"] is False


def test_no_answer_fails_only_a_verification():
    url = "http://127.0.0.1:%d/certsrv/mscep/mscep.dll" % _free_port()
    result = _act(url=url, timeout=2, long_get_bytes=0)
    assert result["reached"] is False and "failed" not in result
    assert result["signal_levels"] == {"NETWORK_BLOCKED": "observed"}
    result = _act(url=url, timeout=2, long_get_bytes=0, fail_on_signals=["REQUEST_LIMITS"])
    assert result["failed"] is True and "gave no HTTP answer (connect_refused" in result["msg"]


def test_url_from_the_host_lab_and_expect_app_proxy(tmp_path):
    os.makedirs(str(tmp_path / "run"))
    with _Replay((HTTP / "iis10-403-custom-error-remote.http").read_bytes()) as srv:
        (tmp_path / "run" / "server.json").write_text(json.dumps({"base_url": srv.url().rsplit("/certsrv", 1)[0],
                                                                  "app_proxy_url": srv.url()}))
        result = _act(task_vars={"ndes_lab_root": str(tmp_path)}, long_get_bytes=0, platforms=[], timeout=5)
        assert result["url"] == srv.url() and result["app_proxy"] is False
        result = _act(lab_root=str(tmp_path), expect_app_proxy=True, long_get_bytes=0, platforms=[], timeout=5)
    assert result["app_proxy"] is True
    assert result["signal_levels"]["APP_PROXY_URL"] == "warning"


@pytest.mark.parametrize("given, message", [
    ({}, "give url"),
    ({"url": "ftp://x/mscep.dll"}, "cannot probe ftp://x/mscep.dll"),
    ({"url": "http://x", "timeout": 0}, "timeout must be a positive"),
    ({"url": "http://x", "long_get_bytes": -1}, "long_get_bytes must be 0"),
    ({"url": "https://x", "ca_bundle": "/nonexistent/ca.pem"}, "ca_bundle /nonexistent/ca.pem is not a file"),
])
def test_cannot_run_is_a_module_failure(given, message):
    with pytest.raises(AnsibleActionFail, match=message):
        _act(**given)
