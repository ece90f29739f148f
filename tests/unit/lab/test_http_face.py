# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The lab NDES HTTP face: sample bytes, layer order, logs, the daemon, a real lab behind it."""
from __future__ import annotations

import copy
import datetime
import os

import pytest

from ansible_collections.ndes.scep.plugins.module_utils._formats import w3c
from ansible_collections.ndes.scep.plugins.module_utils._lab import http_face as F
from ansible_collections.ndes.scep.plugins.module_utils._lab import responses as R
from ansible_collections.ndes.scep.plugins.module_utils._lab import weblogs

FIXTURES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "fixtures", "http")
MSCEP = "/certsrv/mscep/mscep.dll"
LONG = MSCEP + "?operation=PKIOperation&message=" + "A" * 20000


def sample(name):
    with open(os.path.join(FIXTURES, name), "rb") as handle:
        raw = handle.read()
    if name.endswith(".html"):
        return None, raw
    head, body = raw.split(b"\r\n\r\n", 1)
    lines = head.decode("latin-1").split("\r\n")
    return (lines[0], [tuple(x.strip() for x in line.split(":", 1)) for line in lines[1:]]), body


def header_names(resp):
    return [k for k, _v in resp.headers]


# ---------------------------------------------------------------- the bytes
@pytest.mark.parametrize("status,name", [
    (503, "httpsys-503-service-unavailable.http"),
    (400, "httpsys-400-request-too-long.http"),
    (414, "httpsys-414-request-url-too-long.http"),
])
def test_httpsys_pages_are_the_samples(status, name):
    (status_line, headers), body = sample(name)
    resp = R.httpsys_error(status)
    assert resp.body == body
    assert resp.to_bytes().split(b"\r\n", 1)[0].decode() == status_line
    assert header_names(resp) == [k for k, _v in headers]
    assert resp.header("Server") == "Microsoft-HTTPAPI/2.0"
    assert resp.header("Content-Length") == str(len(body)) == dict(headers)["Content-Length"]


@pytest.mark.parametrize("status,name", [
    (403, "iis10-403-custom-error-remote.http"),
    (404, "iis10-404-custom-error-remote.http"),
    (500, "iis10-500-custom-error-remote.http"),
])
def test_iis_custom_pages_are_the_samples(status, name):
    (status_line, headers), body = sample(name)
    resp = R.iis_error(status, 0)
    assert resp.body == body
    assert resp.to_bytes().split(b"\r\n", 1)[0].decode() == status_line
    assert header_names(resp) == [k for k, _v in headers]
    assert resp.header("Server") == "Microsoft-IIS/10.0"


@pytest.mark.parametrize("key,name", [
    ((403, 0), "iis10-403.0-detailed-error-local.http"),
    ((404, 15), "iis10-404.15-detailed-error-local.http"),
    ((404, 14), "iis10-404.14-detailed-error-local.http"),
])
def test_iis_detailed_pages_are_the_samples(key, name):
    (_status_line, headers), body = sample(name)
    resp = R.iis_error(key[0], key[1], detailed=True)
    assert resp.body == body
    assert header_names(resp) == [k for k, _v in headers]
    with_url = R.iis_error(key[0], key[1], detailed=True, requested_url="http://127.0.0.1:1/a?b<c")
    assert b"http://127.0.0.1:1/a?b&lt;c" in with_url.body


def test_detailed_generator_reproduces_the_real_501_capture():
    _head, body = sample("iis10-501.0-detailed-error-capture.http")
    fields = dict(
        reason="Not Implemented",
        h4="The page you are looking for cannot be displayed because a header value in the request "
           "does not match configuration settings.",
        causes=['The request contains the HTTP verb "TRACE" and the registry value to enable this '
                'method is not configured on the server.'],
        tries=['           If the server should allow the "TRACE" method, create a new DWORD registry '
               'parameter named "EnableTraceMethod" and set its value to 1 at the following location in '
               'the registry.<br></br><br></br>HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Services'
               '\\W3SVC\\Parameters         ', R._TRACING],
        module="ProtocolSupportModule", notification="ExecuteRequestHandler",
        handler="TRACEVerbHandler", error_code="0x00000000",
        requested_url="http://localhost:80/index.html",
        physical_path="C:\\inetpub\\wwwroot\\index.html", logon_method="Anonymous",
        logon_user="Anonymous",
        more="This error is returned only when the HTTP verb is Trace and the EnableTraceMethod "
             "registry value is not set to 1. If this error is occurring for another reason, the "
             "registry value is probably set by a third-party application. ",
        iis70error="501,0,0x00000000,17134")
    assert R.detailed_body(501, 0, fields) == body


def test_ndes_page_text_and_encoding():
    _none, page = sample("ndes-mscep-dll-default-page.html")
    assert R.ndes_page_text().encode("utf-8") == page
    resp = R.ndes_page("NDES01")
    assert resp.status == 200 and resp.body.startswith(b"\xff\xfe")
    assert "http://NDES01/CertSrv/mscep_admin" in resp.body[2:].decode("utf-16-le")


# ------------------------------------------------------------- layer order
def healthy_view(**over):
    view = {
        "host": "NDES01", "boot": "2026-11-24T21:00:00Z",
        "site": {"id": 1, "name": "Default Web Site",
                 "log_directory": "%SystemDrive%\\inetpub\\logs\\LogFiles"},
        "scep_path": "/certsrv/mscep",
        "app_proxy": {"connector_running": True},
        "httpsys": {"max_field_length": 65534, "max_request_bytes": 65534},
        "pool": {"name": "SCEP", "started": True, "queue_length": 1000},
        "crash_causes": [],
        "request_limits": {"max_url": 65534, "max_query_string": 65534},
        "error_mode": "DetailedLocalOnly",
        "connector_failed": False,
        "app_errors": [],
        "caps": list(R.DEFAULT_CAPS),
        "getcacert": {"der": b"0\x03\x02\x01\x01", "count": 3},
    }
    view.update(over)
    return view


def req(target, method="GET", headers=("Host: 127.0.0.1:8080", "User-Agent: test agent/1.0"),
        front=False, body=b""):
    return F.Request(method, target, "HTTP/1.1", list(headers), body=body,
                     client=("127.0.0.1", 50123), server=("127.0.0.1", 8080), front=front)


def answer(view, request):
    out = F.decide(view, request)
    return (out.response.status, out.response.substatus, out.response.win32_status,
            out.response.header("Server"), out.log, out.reason, out.fault)


def test_layer_order_with_every_fault_present():
    view = healthy_view(
        app_proxy={"connector_running": False},
        httpsys={"max_field_length": 16384, "max_request_bytes": 16384},
        pool={"name": "SCEP", "started": False, "queue_length": 1000},
        crash_causes=["ROOT_INTERMEDIATES"],
        request_limits={"max_url": 4096, "max_query_string": 2048},
        connector_failed=True,
        app_errors=[{"id": "IMPERSONATE_RIGHT", "win32_status": 1346},
                    {"id": "RA_CERT_EXPIRED", "win32_status": 0},
                    {"id": "SERVICE_ACCOUNT", "win32_status": 0}])
    iis = "Microsoft-IIS/10.0"
    steps = [
        # (what the admin fixed, request, expected answer)
        (None, req(LONG, front=True), (504, 0, 0, None, None, None, "PROXY_CONNECTOR_DOWN")),
        ("app_proxy", req(LONG, front=True),
         (414, 0, 0, "Microsoft-HTTPAPI/2.0", "httperr", "URL_Length", "HTTPSYS_LIMITS")),
        ("httpsys", req(LONG), (503, 0, 0, "Microsoft-HTTPAPI/2.0", "httperr", "AppOffline",
                                "APP_POOL_STOPPED")),
        ("crash_causes", req(LONG), (503, 0, 0, "Microsoft-HTTPAPI/2.0", "httperr", "Disabled",
                                     "APP_POOL_STOPPED")),
        ("pool", req(LONG), (404, 15, 0, iis, "w3c", None, "REQUEST_LIMITS")),
        ("request_limits", req(MSCEP), (200, 0, 0, iis, "w3c", None, "URL_NOT_403")),
        (None, req(MSCEP + "?operation=GetCACert&message=ca"),
         (500, 0, 1346, iis, "w3c", None, "IMPERSONATE_RIGHT")),
        ("connector_failed", req(MSCEP), (500, 0, 1346, iis, "w3c", None, "IMPERSONATE_RIGHT")),
        ("app_errors", req(MSCEP), (500, 0, 0, iis, "w3c", None, "RA_CERT_EXPIRED")),
        ("app_errors", req(MSCEP), (500, 0, 0, iis, "w3c", None, "SERVICE_ACCOUNT")),
        ("app_errors", req(MSCEP), (403, 0, 0, iis, "w3c", None, None)),
        (None, req(LONG), (500, 0, 0, iis, "w3c", None, None)),  # PKIOperation, no CA backend
    ]
    healthy = healthy_view()
    for fixed, request, expected in steps:
        if fixed == "app_errors":
            view["app_errors"] = view["app_errors"][1:]
        elif fixed:
            view[fixed] = copy.deepcopy(healthy[fixed])
        assert answer(view, request) == expected, (fixed, request.target[:60])


def test_front_forwards_when_the_connector_runs():
    assert answer(healthy_view(), req(MSCEP, front=True))[:2] == (403, 0)


def test_httpsys_field_and_request_length():
    view = healthy_view(httpsys={"max_field_length": 100, "max_request_bytes": 300})
    big_header = "X-Big: " + "b" * 120
    assert answer(view, req(MSCEP, headers=[big_header]))[5] == "FieldLength"
    many = ["X-H%d: %s" % (i, "c" * 60) for i in range(5)]
    assert answer(view, req(MSCEP, headers=many))[5] == "RequestLength"
    assert answer(view, req(MSCEP + "?" + "q" * 101))[:6] == (
        414, 0, 0, "Microsoft-HTTPAPI/2.0", "httperr", "URL_Length")
    assert answer(view, req(MSCEP))[0] == 403


def test_request_filtering_404_14_before_404_15():
    view = healthy_view(request_limits={"max_url": 4096, "max_query_string": 2048})
    long_path = MSCEP + "/" + "p" * 5000 + "?" + "q" * 3000
    assert answer(view, req(long_path))[:2] == (404, 14)
    assert answer(view, req(MSCEP + "?" + "q" * 2049))[:2] == (404, 15)
    assert answer(view, req(MSCEP + "?" + "q" * 2048))[:2] == (403, 0)


def test_detailed_error_mode_shows_substatus():
    view = healthy_view(request_limits={"max_url": 4096, "max_query_string": 2048},
                        error_mode="Detailed")
    out = F.decide(view, req(MSCEP + "?" + "q" * 3000))
    assert b"HTTP Error 404.15 - Not Found" in out.response.body
    assert out.response.header("Cache-Control") == "private"
    out = F.decide(healthy_view(), req(MSCEP + "?" + "q" * 3000))
    assert out.response.substatus == 0 and out.response.status == 403


def test_mscep_operations_and_routes():
    view = healthy_view()
    caps = F.decide(view, req(MSCEP + "/pkiclient.exe?operation=GetCACaps&message=default")).response
    assert caps.status == 200 and caps.body == b"POSTPKIOperation\nSHA-256\nSHA-1\nDES3"
    cert = F.decide(view, req(MSCEP + "?operation=GetCACert&message=SCEP%20Authority")).response
    assert cert.header("Content-Type") == "application/x-x509-ca-ra-cert"
    assert cert.body == view["getcacert"]["der"]
    assert answer(view, req("/"))[:2] == (404, 0)
    assert answer(view, req("/certsrv/mscep/other.dll"))[:2] == (404, 0)
    stopped = healthy_view(pool={"name": "SCEP", "started": False})
    assert answer(stopped, req("/"))[:2] == (404, 0)          # other pools still serve
    assert answer(stopped, req(MSCEP))[5] == "Disabled"
    post = F.decide(view, req(MSCEP + "?operation=PKIOperation", method="POST", body=b"\x30\x00"))
    assert post.action == "pki"


def test_queue_full():
    queue = F.QueueCounter()
    view = healthy_view(pool={"name": "SCEP", "started": True, "queue_length": 1})
    first = F.decide(view, req(MSCEP), queue)
    assert first.queued == "SCEP"
    second = F.decide(view, req(MSCEP), queue)
    assert (second.response.status, second.reason, second.queue) == (503, "QueueFull", "SCEP")
    queue.leave(first.queued)
    assert F.decide(view, req(MSCEP), queue).response.status == 403


def test_pki_message_decoding():
    der = bytes(range(256)) * 3
    import base64
    from urllib.parse import quote
    std = base64.b64encode(der).decode()
    for message in (quote(std, safe=""), std, base64.urlsafe_b64encode(der).decode().rstrip("=")):
        got = F.pki_message(req(MSCEP + "?operation=PKIOperation&message=" + message))
        assert got == der
    assert F.pki_message(req(MSCEP + "?operation=PKIOperation&message=%%%")) is None
    assert F.pki_message(req(MSCEP, method="POST", body=b"abc")) == b"abc"


class FakeBackend(object):
    def __init__(self, status=200):
        self.status = status
        self.seen = []

    def pki_operation(self, message):
        self.seen.append(message)
        return self.status, b"reply"


def test_run_pki_uses_the_backend():
    view = healthy_view()
    request = req(MSCEP + "?operation=PKIOperation", method="POST", body=b"\x30\x00")
    backend = FakeBackend()
    out = F.run_pki(view, request, F.decide(view, request), backend)
    assert (out.response.status, out.response.body) == (200, b"reply")
    assert out.response.header("Content-Type") == "application/x-pki-message"
    assert backend.seen == [b"\x30\x00"]
    out = F.run_pki(view, request, F.decide(view, request), FakeBackend(500))
    assert out.response.status == 500
    out = F.run_pki(view, request, F.decide(view, request), None)
    assert out.response.status == 500


# ------------------------------------------------------------------- logs
WHEN = datetime.datetime(2026, 11, 25, 21, 30, 5, tzinfo=datetime.timezone.utc)


def log_all(writer, view, requests, when=WHEN):
    files = set()
    for request in requests:
        out = F.decide(view, request)
        path = F.log_outcome(writer, view, request, out, when, 31)
        if path:
            files.add(path)
    return files


def test_logs_land_where_windows_writes_them(tmp_path):
    root = str(tmp_path)
    view = healthy_view(httpsys={"max_field_length": 16384, "max_request_bytes": 16384},
                        request_limits={"max_url": 4096, "max_query_string": 2048})
    writer = weblogs.LogWriter(root)
    files = log_all(writer, view, [
        req(MSCEP + "/pkiclient.exe?operation=GetCACaps&message=default"),
        req(MSCEP + "?" + "q" * 3000),
        req(LONG),
        req(MSCEP, headers=["X-Big: " + "b" * 17000]),
        req(MSCEP, front=True),
    ])
    w3c_file = os.path.join(root, "fs", "C", "inetpub", "logs", "LogFiles", "W3SVC1", "u_ex261125.log")
    httperr_file = os.path.join(root, "fs", "C", "Windows", "System32", "LogFiles", "HTTPERR",
                                "httperr1.log")
    assert files == {w3c_file, httperr_file}
    records, stats = w3c.read_records(w3c_file)
    assert stats["kind"] == "iis" and stats["header_blocks"] == 1
    assert stats["headers"][0]["software"] == "Microsoft Internet Information Services 10.0"
    assert stats["headers"][0]["date"] == "2026-11-25 21:30:05"
    assert [(r["sc-status"], r["sc-substatus"], r["sc-win32-status"]) for r in records] == [
        ("200", "0", "0"), ("404", "15", "0"), ("403", "0", "0")]
    first = records[0]
    assert first["cs-uri-stem"] == MSCEP + "/pkiclient.exe"
    assert first["cs-uri-query"] == "operation=GetCACaps&message=default"
    assert first.user_agent_decoded == "test agent/1.0"
    assert (first["date"], first["time"], first["c-ip"], first["s-port"]) == (
        "2026-11-25", "21:30:05", "127.0.0.1", "8080")
    assert len(records[1]["cs-uri-query"]) == 3000
    with open(w3c_file, "rb") as handle:
        assert handle.read().count(b"\r\n") == 4 + 3
    records, stats = w3c.read_records(httperr_file)
    assert stats["kind"] == "httperr"
    assert [(r["sc-status"], r["s-reason"], r["cs-uri"], r["s-queuename"]) for r in records] == [
        ("414", "URL_Length", None, None), ("400", "FieldLength", MSCEP, None)]
    assert records[0]["cs-version"] is None and records[1]["cs-version"] == "HTTP/1.1"


def test_httperr_503_carries_site_and_queue(tmp_path):
    writer = weblogs.LogWriter(str(tmp_path))
    view = healthy_view(pool={"name": "SCEP", "started": False})
    (path,) = log_all(writer, view, [req(MSCEP + "?operation=GetCACert&message=SCEP%20Authority")])
    (rec,), _stats = w3c.read_records(path)
    assert (rec["sc-status"], rec["s-siteid"], rec["s-reason"], rec["s-queuename"]) == (
        "503", "1", "Disabled", "SCEP")
    assert rec["cs-uri"] == MSCEP + "?operation=GetCACert&message=SCEP%20Authority"


def test_header_block_after_server_start_and_lab_boot(tmp_path):
    root = str(tmp_path)
    view = healthy_view()
    log_all(weblogs.LogWriter(root), view, [req(MSCEP), req(MSCEP)])
    writer = weblogs.LogWriter(root)                       # the server restarted
    log_all(writer, view, [req(MSCEP)])
    view["boot"] = "2026-11-25T21:40:00Z"                  # the lab booted
    path = list(log_all(writer, view, [req(MSCEP), req(MSCEP)]))[0]
    records, stats = w3c.read_records(path)
    assert stats["header_blocks"] == 3 and len(records) == 5
    assert [h["line_no"] for h in stats["headers"]] == [1, 7, 12]


def test_httperr_rolls_over_at_its_truncate_size(tmp_path, monkeypatch):
    monkeypatch.setattr(weblogs, "HTTPERR_TRUNCATE_SIZE", 400)
    writer = weblogs.LogWriter(str(tmp_path))
    view = healthy_view(pool={"name": "SCEP", "started": False})
    files = set()
    for _i in range(4):
        files |= log_all(writer, view, [req(MSCEP)])
    assert sorted(os.path.basename(f) for f in files) == ["httperr1.log", "httperr2.log"]


# ------------------------------------------------- a real lab behind the face
from ansible_collections.ndes.scep.plugins.module_utils._lab import (  # noqa: E402
    boot, faults, layout, pools, server, store)
from ansible_collections.ndes.scep.plugins.module_utils._ndes import probe  # noqa: E402

import http.client  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402


@pytest.fixture
def lab(tmp_path):
    root = str(tmp_path / "lab")
    faults.create(root)
    yield root
    server.stop(root)


def get(url_base, target, host=None):
    port = int(url_base.rsplit(":", 1)[1].split("/")[0])
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", target, headers={"User-Agent": "lab-test"})
    resp = conn.getresponse()
    body = resp.read()
    conn.close()
    return resp.status, dict((k.lower(), v) for k, v in resp.getheaders()), body


def w3c_path(root, when=None):
    when = when or datetime.datetime.now(datetime.timezone.utc)
    return os.path.join(root, "fs", "C", "inetpub", "logs", "LogFiles", "W3SVC1",
                        "u_ex%s.log" % when.strftime("%y%m%d"))


def httperr_path(root):
    return os.path.join(root, "fs", "C", "Windows", "System32", "LogFiles", "HTTPERR", "httperr1.log")


def tail_records(path, since_line=0):
    records, stats = w3c.read_records(path)
    return [r for r in records if r.line_no > since_line], stats


def line_count(path):
    if not os.path.exists(path):
        return 0
    with open(path, "rb") as handle:
        return handle.read().count(b"\n")


def test_daemon_start_stop_status(lab):
    assert server.status(lab) == {"running": False, "stale": False}
    first = server.start(lab)
    assert first["changed"] is True and first["running"] is True
    record = store.read_json(layout.path(lab, layout.SERVER_JSON))
    assert set(record) >= {"port", "pid", "base_url", "started"}
    assert record["base_url"] == "http://127.0.0.1:%d" % record["port"]
    assert record["scep_url"] == record["base_url"] + "/certsrv/mscep/mscep.dll"
    again = server.start(lab)
    assert again["changed"] is False and again["pid"] == first["pid"]
    assert server.status(lab)["running"] is True
    status, headers, _body = get(first["base_url"], "/certsrv/mscep/mscep.dll")
    assert (status, headers["server"]) == (403, "Microsoft-IIS/10.0")
    stopped = server.stop(lab)
    assert stopped["changed"] is True and stopped["pid"] == first["pid"]
    assert not os.path.exists(layout.path(lab, layout.SERVER_JSON))
    assert server.stop(lab)["changed"] is False
    with pytest.raises(OSError):
        get(first["base_url"], "/")


def test_stale_record_and_given_port(lab):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    store.write_json(layout.path(lab, layout.SERVER_JSON), {"pid": dead.pid, "port": 1})
    assert server.status(lab)["stale"] is True
    assert server.stop(lab) == {"changed": False, "running": False, "pid": dead.pid, "stale": True}
    store.write_json(layout.path(lab, layout.SERVER_JSON), {"pid": os.getpid(), "port": 1})
    assert server.status(lab)["stale"] is True          # a live pid that is not the face
    import socket
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    started = server.start(lab, port=port)
    assert started["changed"] and started["port"] == port and started["pid"] != os.getpid()
    with pytest.raises(server.LabServerError):
        server.start(str(os.path.join(lab, "nope")))


def test_port_in_use_is_a_clear_error(lab, tmp_path):
    other = str(tmp_path / "other")
    faults.create(other)
    try:
        used = server.start(other)["port"]
        with pytest.raises(server.LabServerError) as err:
            server.start(lab, port=used)
        assert "Address already in use" in str(err.value)
    finally:
        server.stop(other)


def test_healthy_lab_probes_clean_and_logs_real_traffic(lab):
    before = line_count(w3c_path(lab))
    face = server.start(lab)
    res = probe.probe(face["scep_url"], timeout=5)
    assert res["signals"] == [] and res["failures"] == []
    assert res["checks"]["bare_url"]["page"] == "iis_custom"      # loopback is treated as remote
    assert len(res["ra_certs"]) == 2 and len(res["ca_certs"]) == 1
    assert res["checks"]["long_get"]["passed"] is True
    records, stats = tail_records(w3c_path(lab), before)
    assert [r["sc-status"] for r in records] == ["403", "200", "200", "200", "200", "500"]
    assert stats["headers"][-1]["line_no"] == before + 1      # block written at server start
    assert all(r["s-port"] == str(face["port"]) and r["c-ip"] == "127.0.0.1" for r in records)
    assert records[-1]["cs-uri-query"].startswith("operation=PKIOperation&message=")


def test_answers_follow_the_state_at_request_time(lab):
    faults.create(lab, ["impersonate_right", "app_pool_stopped", "request_limits",
                        {"id": "httpsys_limits", "variant": "pending"}])
    face = server.start(lab)
    base = face["base_url"]
    long_target = LONG.replace("A" * 20000, "A" * 17000)
    err_before, w3c_before = line_count(httperr_path(lab)), line_count(w3c_path(lab))
    assert get(base, long_target)[0] == 414                    # HTTP.sys, values in effect
    status, headers, body = get(base, MSCEP + "?operation=GetCACaps&message=default")
    assert (status, headers["server"]) == (503, "Microsoft-HTTPAPI/2.0")
    pools.set_state(lab, "SCEP", "Started", store.utcnow())    # fixed while the face runs
    assert get(base, MSCEP + "?" + "q" * 3000)[0] == 404       # 404.15, remote page
    status, headers, body = get(base, MSCEP + "?operation=GetCACert&message=ca")
    assert status == 500
    boot.reboot(lab, store.utcnow())                           # values set become in effect
    assert get(base, long_target)[0] == 503                    # HTTP.sys passes it; autoStart=false
    pools.set_state(lab, "SCEP", "Started", store.utcnow())
    assert get(base, long_target)[0] == 404                    # request filtering stops it
    records, _stats = tail_records(httperr_path(lab), err_before)
    assert [(r["sc-status"], r["s-reason"], r["s-queuename"]) for r in records] == [
        ("414", "URL_Length", None), ("503", "Disabled", "SCEP"), ("503", "Disabled", "SCEP")]
    records, stats = tail_records(w3c_path(lab), w3c_before)
    assert [(r["sc-status"], r["sc-substatus"], r["sc-win32-status"]) for r in records] == [
        ("404", "15", "0"), ("500", "0", "1346"), ("404", "15", "0")]
    assert stats["headers"][-1]["line_no"] > stats["headers"][-2]["line_no"]  # block after the boot


def test_front_port_is_the_app_proxy(lab):
    faults.create(lab, [{"id": "proxy_connector_down", "variant": "stopped"}])
    face = server.start(lab)
    err_before, w3c_before = line_count(httperr_path(lab)), line_count(w3c_path(lab))
    res = probe.probe(face["app_proxy_url"], timeout=5, app_proxy=True, long_get_bytes=0,
                      platforms=("ios",))
    assert res["signals"] == ["PROXY_CONNECTOR_DOWN"]
    assert res["checks"]["bare_url"]["layer"] == "app_proxy"
    assert probe.probe(face["scep_url"], timeout=5, long_get_bytes=0)["signals"] == []
    assert line_count(httperr_path(lab)) == err_before         # the cloud front logs nothing here
    records, _stats = tail_records(w3c_path(lab), w3c_before)
    assert len(records) == 5                                    # only the direct probe


@pytest.mark.parametrize("fault,signals", [
    (None, []),
    ("url_not_403", ["URL_NOT_403"]),
    ("app_pool_stopped", ["APP_POOL_STOPPED", "ROOT_INTERMEDIATES", "CRL_UNREACHABLE",
                          "CRS_WINDOWS_AUTH", "POLICY_CERT_EXPIRED"]),
    ("crs_windows_auth", ["APP_POOL_STOPPED", "ROOT_INTERMEDIATES", "CRL_UNREACHABLE",
                          "CRS_WINDOWS_AUTH", "POLICY_CERT_EXPIRED"]),
    ("request_limits", ["REQUEST_LIMITS"]),
    ("httpsys_limits", ["HTTPSYS_LIMITS"]),
    ("impersonate_right", ["IMPERSONATE_RIGHT", "SERVICE_ACCOUNT", "RA_CERT_EXPIRED"]),
    ({"id": "ra_cert_expired", "variant": "expiring"}, ["RA_CERT_EXPIRED"]),
])
def test_probe_reads_each_fault_from_the_lab(tmp_path, fault, signals):
    root = str(tmp_path / "lab")
    faults.create(root, [fault] if fault else [])
    try:
        face = server.start(root)
        res = probe.probe(face["scep_url"], timeout=5)
    finally:
        server.stop(root)
    assert res["signals"] == signals
    if fault == "request_limits":
        assert res["checks"]["long_get"]["substatus_known"] is False
    if isinstance(fault, dict):
        assert {e["confidence"] for e in res["evidence"]} == {"warning"}


def test_detailed_error_mode_from_the_lab_config(lab):
    from ansible_collections.ndes.scep.plugins.module_utils._lab import iis
    faults.create(lab, ["request_limits"])
    iis.write(lab, "system.webServer/httpErrors", "Default Web Site", iis.APPHOST,
              {"errorMode": "Detailed"})
    face = server.start(lab)
    res = probe.probe(face["scep_url"], timeout=5, platforms=("ios",))
    assert res["checks"]["bare_url"]["substatus"] == 0
    assert (res["checks"]["long_get"]["substatus"], res["checks"]["long_get"]["page"]) == (15, "iis_detailed")
