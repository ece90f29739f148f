# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""SCEP clients and servers we did not write, against the lab NDES and the probe.

Peers (Debian 12): ``scep`` 2.1.0 (micromdm scepclient / scepserver) and
``certmonger`` (``/usr/lib/certmonger/scep-submit``). Everything binds to or
talks to 127.0.0.1; scepserver runs in a network namespace of its own when the
host allows it (see _lab/scep_ca.py).
"""
from __future__ import annotations

import http.client
import http.server
import os
import socketserver
import subprocess
import threading

import pytest

from ansible_collections.ndes.scep.plugins.module_utils._formats import w3c
from ansible_collections.ndes.scep.plugins.module_utils._lab import faults, scep_ca, server
from ansible_collections.ndes.scep.plugins.module_utils._ndes import probe, probe_certs

SCEPCLIENT = "/usr/bin/scepclient"
SCEPSERVER = "/usr/bin/scepserver"
SCEP_SUBMIT = "/usr/lib/certmonger/scep-submit"

pytestmark = pytest.mark.peers

need_scepclient = pytest.mark.skipif(not os.path.exists(SCEPCLIENT),
                                     reason="%s missing: apt-get install scep" % SCEPCLIENT)
need_scepserver = pytest.mark.skipif(not os.path.exists(SCEPSERVER),
                                     reason="%s missing: apt-get install scep" % SCEPSERVER)
need_scep_submit = pytest.mark.skipif(not os.path.exists(SCEP_SUBMIT),
                                      reason="%s missing: apt-get install certmonger" % SCEP_SUBMIT)


# --------------------------------------------------------------------- helpers
class Relay(socketserver.ThreadingMixIn, http.server.HTTPServer):
    """A loopback HTTP relay: ``upstream(method, target, body, user_agent) -> (status, headers, body)``,
    ``rewrite(target, status, headers, body)`` may change the answer; targets are recorded."""
    daemon_threads = True

    def __init__(self, upstream, rewrite=None):
        self.upstream = upstream
        self.rewrite = rewrite
        self.targets = []
        http.server.HTTPServer.__init__(self, ("127.0.0.1", 0), _RelayHandler)
        self.thread = threading.Thread(target=self.serve_forever, args=(0.05,), daemon=True)

    def url(self, path="/certsrv/mscep/mscep.dll"):
        return "http://127.0.0.1:%d%s" % (self.server_address[1], path)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.shutdown()
        self.server_close()


class _RelayHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def _relay(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        self.server.targets.append((self.command, self.path, body))
        status, headers, data = self.server.upstream(self.command, self.path, body,
                                                     self.headers.get("User-Agent"))
        if self.server.rewrite:
            status, headers, data = self.server.rewrite(self.path, status, headers, data)
        self.send_response(status)
        for key, value in headers:
            if key.lower() not in ("content-length", "connection", "server", "date", "transfer-encoding"):
                self.send_header(key, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = _relay

    def log_message(self, *args):
        pass


def http_upstream(port):
    def call(method, target, body, user_agent=None):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        headers = {"Content-Type": "application/octet-stream"} if body else {}
        if user_agent:
            headers["User-Agent"] = user_agent
        try:
            conn.request(method, target, body=body, headers=headers)
            resp = conn.getresponse()
            return resp.status, resp.getheaders(), resp.read()
        finally:
            conn.close()
    return call


def no_post_caps(target, status, headers, body):
    """Hide POSTPKIOperation: scepclient then sends PKIOperation as a GET, like iOS does."""
    if "operation=GetCACaps" in target and status == 200:
        keep = [c for c in body.decode().split("\n") if c not in ("POSTPKIOperation", "SCEPStandard")]
        body = "\n".join(keep).encode()
    return status, headers, body


def run_scepclient(workdir, url, cn="lab-device", extra=(), timeout=60):
    cmd = [SCEPCLIENT, "-server-url", url, "-private-key", os.path.join(workdir, "key.pem"),
           "-certificate", os.path.join(workdir, "cert.pem"), "-cn", cn] + list(extra)
    return subprocess.run(cmd, capture_output=True, timeout=timeout, cwd=workdir, check=False)


def load_pem(path):
    from cryptography import x509
    with open(path, "rb") as handle:
        return x509.load_pem_x509_certificate(handle.read())


def lab_ca(root):
    from ansible_collections.ndes.scep.plugins.module_utils._lab import certs
    return certs.load_ca(root)[0]


def w3c_records(root):
    folder = os.path.join(root, "fs", "C", "inetpub", "logs", "LogFiles", "W3SVC1")
    out = []
    for name in sorted(os.listdir(folder)):
        out += w3c.read_records(os.path.join(folder, name))[0]
    return out


def httperr_records(root):
    path = os.path.join(root, "fs", "C", "Windows", "System32", "LogFiles", "HTTPERR", "httperr1.log")
    return w3c.read_records(path)[0] if os.path.exists(path) else []


@pytest.fixture
def lab_root(tmp_path):
    root = str(tmp_path / "lab")
    faults.create(root)
    yield root
    server.stop(root)


# iOS sends the CSR in a GET of tens of KB; scepclient's request grows with its subject.
BIG_SUBJECT = ["-organization", "O" * 3000, "-ou", "U" * 3000, "-locality", "L" * 2000]


# ----------------------------------------------------------------- scepclient
@need_scepclient
@need_scepserver
def test_scepclient_enrols_through_mscep_dll(lab_root, tmp_path):
    face = server.start(lab_root, ca_backend="scepserver")
    assert face["ca_backend"]["kind"] == "scepserver"
    work = str(tmp_path / "client")
    os.makedirs(work)
    out = run_scepclient(work, face["scep_url"], cn="lab-device-1", extra=["-debug"])
    assert out.returncode == 0, out.stderr.decode()
    log = out.stderr.decode()
    assert "cacertlist count=3" in log          # GetCACert: CA + both RA certificates
    cert = load_pem(os.path.join(work, "cert.pem"))
    ca = lab_ca(lab_root)
    assert cert.issuer == ca.subject
    ca.public_key().verify(cert.signature, cert.tbs_certificate_bytes,
                           __import__("cryptography.hazmat.primitives.asymmetric.padding",
                                      fromlist=["PKCS1v15"]).PKCS1v15(), cert.signature_hash_algorithm)
    ops = [(r["cs-method"], r["cs-uri-query"], r["sc-status"]) for r in w3c_records(lab_root)
           if r.user_agent and r.user_agent.startswith("Go-http-client")]
    assert ops == [("GET", "operation=GetCACert", "200"), ("GET", "operation=GetCACaps", "200"),
                   ("POST", "operation=PKIOperation", "200")]
    # scepserver is reachable only through the lab face
    if face["ca_backend"]["mode"] == "netns":
        assert os.readlink("/proc/%d/ns/net" % face["ca_backend"]["pid"]) != os.readlink("/proc/self/ns/net")
    else:
        assert face["ca_backend"]["mode"] == "http-addr", face["ca_backend"]["warning"]


@need_scepclient
@need_scepserver
def test_scepclient_get_enrolment_of_ios_size(lab_root, tmp_path):
    """One real GET PKIOperation (scepclient with POST hidden): 414 with httpsys_limits,
    404.15 with only request_limits, a certificate once the lab is healthy."""
    face = server.start(lab_root, ca_backend="scepserver")
    results = {}
    for label, lab_faults in (("httpsys", ["httpsys_limits"]), ("filtering", ["request_limits"]),
                              ("healthy", [])):
        faults.create(lab_root, lab_faults)      # the running face answers from the new state
        work = str(tmp_path / label)
        os.makedirs(work)
        with Relay(http_upstream(face["port"]), rewrite=no_post_caps) as relay:
            out = run_scepclient(work, relay.url(), cn="ios-size-" + label, extra=BIG_SUBJECT)
        gets = [t for m, t, _b in relay.targets if "operation=PKIOperation" in t]
        assert len(gets) == 1 and all(m == "GET" for m, t, _b in relay.targets)
        # faults.create wipes the logs: read this round's evidence now
        errs = [(r["sc-status"], r["s-reason"]) for r in httperr_records(lab_root)
                if r["sc-status"] is not None and r["sc-status"] != "503"]
        # scepclient sends message= first; a long query is cut in the log, so not GetCA* = PKIOperation
        pki = [(r["sc-status"], r["sc-substatus"]) for r in w3c_records(lab_root)
               if r.user_agent and r.user_agent.startswith("Go-http-client")
               and "operation=GetCA" not in (r["cs-uri-query"] or "")]
        results[label] = (out, len(gets[0]), work, errs, pki)
    out, size, _work, errs, pki = results["httpsys"]
    assert size > 20000, size                          # tens of KB, like iOS
    assert out.returncode != 0 and b"414" in out.stderr
    assert errs[-1] == ("414", "URL_Length") and pki == []    # HTTP.sys: never reaches IIS
    out, _size, _work, errs, pki = results["filtering"]
    assert out.returncode != 0 and b"404" in out.stderr
    assert pki == [("404", "15")]
    out, _size, work, errs, pki = results["healthy"]
    assert out.returncode == 0, out.stderr.decode()
    assert load_pem(os.path.join(work, "cert.pem")).issuer == lab_ca(lab_root).subject
    assert pki == [("200", "0")]


# ------------------------------------------------------------------ certmonger
@need_scep_submit
def test_certmonger_scep_submit_reads_the_lab(lab_root):
    face = server.start(lab_root)
    caps = subprocess.run([SCEP_SUBMIT, "-u", face["scep_url"], "-c"], capture_output=True, timeout=30, check=False)
    assert caps.returncode == 0, caps.stderr.decode()
    assert "POSTPKIOperation" in caps.stdout.decode().split()
    certs = subprocess.run([SCEP_SUBMIT, "-u", face["scep_url"], "-C"], capture_output=True, timeout=30, check=False)
    assert certs.returncode == 0, certs.stderr.decode()
    from cryptography import x509
    printed = x509.load_pem_x509_certificates(certs.stdout)
    infos = [probe_certs.cert_info(c) for c in printed]
    # scep-submit prints the RA certificate, then the CA certificate, then the others
    assert [i["role"] for i in infos] == ["ra", "ca", "ra"]
    assert printed[1] == lab_ca(lab_root)
    assert {i["ra_kind"] for i in infos if i["role"] == "ra"} == {"signing", "encryption"}
    agents = [r.user_agent for r in w3c_records(lab_root) if r["cs-uri-query"] and
              r["cs-uri-query"].startswith("operation=GetCACert&message=0")]
    assert agents, "scep-submit's GetCACert is in the lab's W3C log"


@need_scep_submit
def test_certmonger_sees_the_pool_down(lab_root):
    faults.create(lab_root, ["app_pool_stopped"])
    face = server.start(lab_root)
    out = subprocess.run([SCEP_SUBMIT, "-u", face["scep_url"], "-C"], capture_output=True, timeout=30, check=False)
    assert out.returncode != 0
    assert [(r["sc-status"], r["s-reason"]) for r in httperr_records(lab_root)][-1] == ("503", "Disabled")


# ------------------------------------------------- the probe against scepserver
@need_scepserver
def test_probe_against_scepserver_behind_an_mscep_path(tmp_path):
    backend = scep_ca.ScepServer(str(tmp_path / "scepserver"))
    backend.init_own_ca()
    backend.start()
    try:
        def upstream(method, target, body, user_agent=None):
            path, _sep, query = target.partition("?")
            assert path.lower().startswith("/certsrv/mscep/mscep.dll")
            status, ctype, data = backend.request(method, "/scep" + ("?" + query if query else ""), body)
            return status, [("Content-Type", ctype)] if ctype else [], data
        with Relay(upstream) as relay:
            res = probe.probe(relay.url(), timeout=10)
    finally:
        backend.stop()
    gc = res["checks"]["getcacert"]
    assert all(gc[p]["verdict"] == "ok" and gc[p]["format"] == "der" for p in gc)
    assert len(res["ca_certs"]) == 1 and res["ra_certs"] == []
    assert res["ca_certs"][0]["subject"].endswith("O=ndes.scep lab,C=US")
    assert "POSTPKIOperation" in res["checks"]["getcacaps"]["caps"]
    assert res["checks"]["bare_url"]["layer"] == "other"        # not IIS: no NDES verdict
    assert res["checks"]["bare_url"]["verdict"] == "unexpected"
    assert res["checks"]["long_get"]["passed"] is True          # Go's server takes 40 KB URLs
    ids = {e["id"]: e["confidence"] for e in res["evidence"]}
    assert ids.get("RA_CERT_EXPIRED") == "candidate"            # a plain CA, no MSCEP-RA pair
    assert "HTTPSYS_LIMITS" not in ids and "REQUEST_LIMITS" not in ids


@need_scep_submit
@need_scepclient
@need_scepserver
def test_certmonger_scep_submit_enrols_through_the_lab(lab_root, tmp_path):
    """scep-submit -p with a real pkiMessage (made by scepclient, captured on its way) gets a
    certificate through the lab's mscep.dll from scepserver."""
    import base64
    face = server.start(lab_root, ca_backend="scepserver")
    work = str(tmp_path / "client")
    os.makedirs(work)
    with Relay(http_upstream(face["port"])) as relay:
        out = run_scepclient(work, relay.url(), cn="certmonger-device")
    assert out.returncode == 0, out.stderr.decode()
    message = [b for m, t, b in relay.targets if m == "POST"][0]
    msg_file = os.path.join(work, "request.pem")
    with open(msg_file, "wb") as handle:
        handle.write(b"-----BEGIN PKCS7-----\n" + base64.encodebytes(message) + b"-----END PKCS7-----\n")
    ca_file = os.path.join(work, "ca.pem")
    from cryptography.hazmat.primitives import serialization
    with open(ca_file, "wb") as handle:
        handle.write(lab_ca(lab_root).public_bytes(serialization.Encoding.PEM))
    # scepserver signs its CertRep with the CA key: the CA is the "RA" that signs responses
    sub = subprocess.run([SCEP_SUBMIT, "-u", face["scep_url"], "-r", ca_file, "-N", ca_file, "-p", msg_file],
                         capture_output=True, timeout=30, check=False)
    assert sub.returncode == 0, (sub.returncode, sub.stdout, sub.stderr)   # 0 = issued
    assert sub.stdout.startswith(b"-----BEGIN PKCS7-----")                  # the pkcsPKIEnvelope
    depot = os.path.join(lab_root, "run", "scepserver", "depot")
    with open(os.path.join(depot, "index.txt")) as handle:
        issued = [line for line in handle if "certmonger-device" in line]
    assert len(issued) == 2                        # scepclient's enrolment and scep-submit's
    pki = [(r["cs-method"], r["sc-status"]) for r in w3c_records(lab_root)
           if r["c-ip"] == "127.0.0.1" and "operation=PKIOperation" in (r["cs-uri-query"] or "")]
    # scepclient POSTs (POSTPKIOperation advertised); scep-submit -p without caps sends a GET
    assert pki == [("POST", "200"), ("GET", "200")]


@need_scepclient
@need_scepserver
def test_lab_ca_enforces_a_challenge_password(lab_root, tmp_path):
    face = server.start(lab_root, ca_backend="scepserver", challenge="lab-challenge-1")
    with open("/proc/%d/cmdline" % face["ca_backend"]["pid"], "rb") as handle:
        assert b"lab-challenge-1" not in handle.read()          # not on a command line
    denied = str(tmp_path / "denied")
    allowed = str(tmp_path / "allowed")
    os.makedirs(denied)
    os.makedirs(allowed)
    out = run_scepclient(denied, face["scep_url"], cn="no-challenge")
    assert out.returncode != 0 and not os.path.exists(os.path.join(denied, "cert.pem"))
    out = run_scepclient(allowed, face["scep_url"], cn="with-challenge",
                         extra=["-challenge", "lab-challenge-1"])
    assert out.returncode == 0, out.stderr.decode()
    assert load_pem(os.path.join(allowed, "cert.pem")).issuer == lab_ca(lab_root).subject
