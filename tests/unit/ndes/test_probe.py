# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The SCEP probe against a tiny server that replays the sample responses."""
from __future__ import annotations

import json
import socket
import time

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import ObjectIdentifier
from cryptography import x509

from ansible_collections.ndes.scep.plugins.module_utils._ndes import probe as P
from ansible_collections.ndes.scep.plugins.module_utils._ndes import probe_certs as PC

import probe_helpers as H

CAPS = b"POSTPKIOperation\nSHA-256\nSHA-1\nDES3"
PATH = "/certsrv/mscep/mscep.dll"


def split_target(target):
    path, _sep, query = target.partition("?")
    params = dict(p.split("=", 1) for p in query.split("&") if "=" in p)
    return path, params


class Ndes(object):
    """A route table: what each layer answers; None = the healthy NDES answer."""

    def __init__(self, certs_body=None, certs_ctype="application/x-x509-ca-ra-cert",
                 bare=None, every=None, long=None, long_threshold=4096):
        self.pki = H.make_pki()
        self.certs_body = certs_body if certs_body is not None else H.pkcs7_certs(
            [self.pki[0], self.pki[2], self.pki[3]])
        self.certs_ctype = certs_ctype
        self.bare = bare if bare is not None else H.sample("iis10-403-custom-error-remote.http")
        self.every = every
        self.long = long
        self.long_threshold = long_threshold

    def __call__(self, target):
        if self.every is not None:
            return self.every
        if len(target) > self.long_threshold and self.long is not None:
            return self.long
        path, params = split_target(target)
        if not path.startswith(PATH):
            return H.sample("iis10-404-custom-error-remote.http")
        op = params.get("operation")
        if op == "GetCACaps":
            return H.iis_ok("text/plain", CAPS)
        if op == "GetCACert":
            return H.iis_ok(self.certs_ctype, self.certs_body)
        if op == "PKIOperation":
            return H.sample("iis10-500-custom-error-remote.http")
        return self.bare


def run(route, **kw):
    kw.setdefault("now", H.NOW)
    kw.setdefault("timeout", 5)
    with H.SampleServer(route) as srv:
        result = P.probe(srv.url(), **kw)
        result["_seen"] = list(srv.seen)
    json.dumps(result)  # always JSON-serialisable
    return result


# ------------------------------------------------------------ healthy server
def test_healthy_remote_view():
    res = run(Ndes())
    assert res["signals"] == []
    assert res["failures"] == []
    bare = res["checks"]["bare_url"]
    assert (bare["status"], bare["layer"], bare["page"], bare["verdict"]) == (403, "iis", "iis_custom", "ok")
    assert bare["substatus"] is None and bare["substatus_known"] is False
    assert res["checks"]["getcacaps"]["caps"] == ["POSTPKIOperation", "SHA-256", "SHA-1", "DES3"]
    for platform in ("windows", "android", "ios"):
        chk = res["checks"]["getcacert"][platform]
        assert chk["verdict"] == "ok" and chk["format"] == "pkcs7" and len(chk["certs"]) == 3
    assert [c["role"] for c in res["ca_certs"]] == ["ca"]
    assert sorted(c["ra_kind"] for c in res["ra_certs"]) == ["encryption", "signing"]
    assert all(c["seen_by"] == ["windows", "android", "ios"] for c in res["ra_certs"])
    lg = res["checks"]["long_get"]
    assert lg["passed"] is True and lg["target_length"] == P.DEFAULT_LONG_GET_BYTES
    assert lg["status"] == 500 and lg["verdict"] == "ok"
    assert set(res) >= {"url", "checks", "ca_certs", "ra_certs", "signals", "failures", "elapsed_ms"}


def test_each_platform_sends_its_message():
    res = run(Ndes())
    seen = res["_seen"]
    assert PATH in seen
    assert PATH + "/pkiclient.exe?operation=GetCACaps&message=default" in seen
    assert PATH + "/pkiclient.exe?operation=GetCACert&message=default" in seen
    assert PATH + "?operation=GetCACert&message=ca" in seen
    assert PATH + "?operation=GetCACert&message=SCEP%20Authority" in seen
    assert res["checks"]["getcacert"]["ios"]["message"] == "SCEP Authority"
    long_targets = [t for t in seen if "PKIOperation" in t]
    assert len(long_targets) == 1 and len(long_targets[0]) == P.DEFAULT_LONG_GET_BYTES
    assert "%2B" in long_targets[0] or "%2F" in long_targets[0]


def test_healthy_local_view_shows_substatus_403_0():
    res = run(Ndes(bare=H.sample("iis10-403.0-detailed-error-local.http")))
    bare = res["checks"]["bare_url"]
    assert (bare["page"], bare["substatus"], bare["verdict"]) == ("iis_detailed", 0, "ok")


# ---------------------------------------------------------------- bare URL
@pytest.mark.parametrize("encoding", ["utf-16", "utf-8"])
def test_ndes_page_is_url_not_403(encoding):
    with open(H.FIXTURES + "/ndes-mscep-dll-default-page.html", encoding="utf-8") as handle:
        page = handle.read().encode(encoding)
    res = run(Ndes(bare=H.iis_ok("text/html", page)))
    bare = res["checks"]["bare_url"]
    assert (bare["status"], bare["page"], bare["verdict"]) == (200, "ndes_page", "fault")
    assert res["signals"] == ["URL_NOT_403"]
    assert res["evidence"][0]["confidence"] == "observed"


def test_pool_stopped_503_from_httpsys():
    res = run(Ndes(every=H.sample("httpsys-503-service-unavailable.http")))
    bare = res["checks"]["bare_url"]
    assert (bare["layer"], bare["server"], bare["verdict"]) == ("httpsys", "Microsoft-HTTPAPI/2.0", "fault")
    observed = {e["id"] for e in res["evidence"] if e["confidence"] == "observed"}
    candidates = {e["id"] for e in res["evidence"] if e["confidence"] == "candidate"}
    assert observed == {"APP_POOL_STOPPED"}
    assert candidates == set(P.POOL_CRASH_CAUSES)
    assert res["checks"]["long_get"]["passed"] is None
    assert res["ca_certs"] == [] and res["ra_certs"] == []


def test_app_error_500_gives_candidates():
    res = run(Ndes(every=H.sample("iis10-500-custom-error-remote.http")))
    assert res["checks"]["bare_url"]["verdict"] == "fault"
    cand = {e["id"] for e in res["evidence"] if e["stage"] == "bare_url"}
    assert cand == {"IMPERSONATE_RIGHT", "SERVICE_ACCOUNT", "RA_CERT_EXPIRED"}
    assert all(e["confidence"] == "candidate" for e in res["evidence"])
    assert res["checks"]["long_get"]["passed"] is True


def test_500_from_another_server_is_not_an_ndes_fault():
    plain = H.raw_response("HTTP/1.1 500 Internal Server Error", [("Content-Type", "text/plain")],
                           b"operation not implemented\n")
    res = run(Ndes(bare=plain, long=plain))
    assert res["signals"] == []
    assert res["checks"]["bare_url"]["verdict"] == "unexpected"
    assert res["checks"]["long_get"]["passed"] is True


def test_504_at_app_proxy_is_connector_down():
    gw = H.raw_response("HTTP/1.1 504 Gateway Timeout", [("Content-Type", "text/html")], b"<html/>")
    res = run(Ndes(every=gw), app_proxy=True)
    bare = res["checks"]["bare_url"]
    assert (bare["layer"], bare["verdict"]) == ("app_proxy", "fault")
    assert res["signals"] == ["PROXY_CONNECTOR_DOWN"]
    assert res["evidence"][0]["confidence"] == "observed"
    res = run(Ndes(every=gw))  # not an App Proxy URL: only a candidate
    assert res["checks"]["bare_url"]["layer"] == "other"
    assert {e["confidence"] for e in res["evidence"]} == {"candidate"}


def test_external_url_outside_msappproxy_warns():
    res = run(Ndes(), external=True)
    assert res["signals"] == ["APP_PROXY_URL"]
    assert res["evidence"][0]["confidence"] == "warning"


# ---------------------------------------------------------------- long GET
@pytest.mark.parametrize("sample,layer,substatus,known,fid", [
    ("httpsys-414-request-url-too-long.http", "httpsys", None, False, "HTTPSYS_LIMITS"),
    ("httpsys-400-request-too-long.http", "httpsys", None, False, "HTTPSYS_LIMITS"),
    ("iis10-404.15-detailed-error-local.http", "iis", 15, True, "REQUEST_LIMITS"),
    ("iis10-404.14-detailed-error-local.http", "iis", 14, True, "REQUEST_LIMITS"),
    ("iis10-404-custom-error-remote.http", "iis", None, False, "REQUEST_LIMITS"),
])
def test_long_get_layer(sample, layer, substatus, known, fid):
    res = run(Ndes(long=H.sample(sample)))
    lg = res["checks"]["long_get"]
    assert (lg["layer"], lg["substatus"], lg["substatus_known"]) == (layer, substatus, known)
    assert lg["passed"] is False and lg["verdict"] == "fault"
    assert res["signals"] == [fid]
    assert res["checks"]["bare_url"]["verdict"] == "ok"
    if not known and layer == "iis":
        assert "W3C log" in lg["detail"]


def test_long_get_414_from_unknown_proxy():
    res = run(Ndes(long=H.raw_response("HTTP/1.1 414 Request-URI Too Large",
                                       [("Server", "nginx"), ("Content-Type", "text/html")], b"x")))
    lg = res["checks"]["long_get"]
    assert (lg["layer"], lg["passed"]) == ("other", False)
    assert res["signals"] == []
    assert res["failures"][0]["stage"] == "long_get"


def test_long_get_cut_connection():
    route = Ndes()
    res = run(lambda t: None if len(t) > 4096 else route(t))
    lg = res["checks"]["long_get"]
    assert lg["error"]["class"] == "connection_reset" and lg["passed"] is False


def test_long_get_size_is_configurable():
    res = run(Ndes(long=H.sample("httpsys-414-request-url-too-long.http"), long_threshold=20000),
              long_get_bytes=10000)
    assert res["checks"]["long_get"]["target_length"] == 10000
    assert res["checks"]["long_get"]["passed"] is True
    res = run(Ndes(), long_get_bytes=0)
    assert res["checks"]["long_get"]["verdict"] == "skipped"


# ---------------------------------------------------------------- GetCACert
def test_single_der_ca_cert():
    route = Ndes(certs_ctype="application/x-x509-ca-cert")
    route.certs_body = H.der(route.pki[0])
    res = run(route)
    chk = res["checks"]["getcacert"]["windows"]
    assert chk["format"] == "der" and len(chk["certs"]) == 1
    assert res["ra_certs"] == [] and len(res["ca_certs"]) == 1
    ev = [e for e in res["evidence"] if e["id"] == "RA_CERT_EXPIRED"]
    assert ev and ev[0]["confidence"] == "candidate"


@pytest.mark.parametrize("ra_days,confidence", [((-400, -2), "observed"), ((-300, 10), "warning")])
def test_ra_cert_dates(ra_days, confidence):
    ca, ca_key, _s, _e = H.make_pki()
    sig, _key = H.make_cert("RA", ca, ca_key, ra="signing", days=ra_days)
    enc, _key = H.make_cert("RA", ca, ca_key, ra="encryption", days=ra_days)
    res = run(Ndes(certs_body=H.pkcs7_certs([ca, sig, enc])))
    assert res["signals"] == ["RA_CERT_EXPIRED"]
    assert {e["confidence"] for e in res["evidence"]} == {confidence}
    days = ra_days[1]
    assert all(c["days_left"] == days for c in res["ra_certs"])
    assert all(c["expired"] is (days < 0) for c in res["ra_certs"])


def test_getcacert_garbage_and_wrong_type():
    res = run(Ndes(certs_body=b"not a certificate"))
    assert {f["class"] for f in res["failures"]} == {"parse"}
    res = run(Ndes(certs_ctype="text/html"))
    assert {f["class"] for f in res["failures"]} == {"content_type"}
    assert res["checks"]["getcacert"]["ios"]["verdict"] == "unexpected"


def test_cert_info_ca_vs_ra_by_oid():
    ca, ca_key, sig, enc = H.make_pki()
    info = PC.cert_info(ca, now=H.NOW)
    assert (info["role"], info["ca"], info["self_signed"]) == ("ca", True, True)
    sig_info = PC.cert_info(sig, now=H.NOW)
    assert sig_info["role"] == "ra" and sig_info["ra_kind"] == "signing"
    assert sig_info["template_name"] == "EnrollmentAgentOffline"
    assert PC.OID_CERT_REQUEST_AGENT in sig_info["ekus"]
    assert PC.cert_info(enc, now=H.NOW)["ra_kind"] == "encryption"
    # an RA known only by its v2 template extension (no EKU, no name)
    body = bytes([0x06, 0x09]) + bytes.fromhex("2b0601040182371507")
    ext = bytes([0x30, len(body) + 6]) + body + bytes([2, 1, 100, 2, 1, 4])
    key = sig.public_key()
    cert, _key = H.make_cert("tpl", ca, ca_key)
    builder = (x509.CertificateBuilder().subject_name(cert.subject).issuer_name(ca.subject)
               .public_key(key).serial_number(7).not_valid_before(cert.not_valid_before_utc)
               .not_valid_after(cert.not_valid_after_utc)
               .add_extension(x509.UnrecognizedExtension(
                   ObjectIdentifier("1.3.6.1.4.1.311.21.7"), ext), False))
    from cryptography.hazmat.primitives import hashes
    tpl = builder.sign(ca_key, hashes.SHA256())
    tinfo = PC.cert_info(tpl, now=H.NOW)
    assert tinfo["role"] == "ra" and tinfo["template_oid"] == "1.3.6.1.4.1.311.21.7"


def test_pkcs7_loader_and_content_types():
    ca, _k, sig, enc = H.make_pki()
    fmt, certs = PC.load_getcacert("application/x-x509-ca-ra-cert", H.pkcs7_certs([ca, sig, enc]))
    assert fmt == "pkcs7" and len(certs) == 3
    fmt, certs = PC.load_getcacert("application/x-x509-ca-cert; charset=binary", H.der(ca))
    assert fmt == "der" and certs[0] == ca
    with pytest.raises(PC.CertParseError):
        PC.load_getcacert("application/x-x509-ca-cert", H.pkcs7_certs([ca]))
    with pytest.raises(PC.CertParseError):
        PC.load_getcacert(None, H.der(ca))


# ------------------------------------------------------------ page reading
@pytest.mark.parametrize("name,layer,page,sub", [
    ("httpsys-503-service-unavailable.http", "httpsys", "httpsys_error", None),
    ("httpsys-414-request-url-too-long.http", "httpsys", "httpsys_error", None),
    ("iis10-403-custom-error-remote.http", "iis", "iis_custom", None),
    ("iis10-403.0-detailed-error-local.http", "iis", "iis_detailed", 0),
    ("iis10-404.15-detailed-error-local.http", "iis", "iis_detailed", 15),
    ("iis10-404.14-detailed-error-local.http", "iis", "iis_detailed", 14),
    ("iis10-501.0-detailed-error-capture.http", "iis", "iis_detailed", 0),
    ("iis10-500-custom-error-remote.http", "iis", "iis_custom", None),
])
def test_read_page_on_samples(name, layer, page, sub):
    raw = H.sample(name)
    head, body = raw.split(b"\r\n\r\n", 1)
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {k.lower(): v.strip() for k, v in (l.split(":", 1) for l in lines[1:])}
    assert int(headers["content-length"]) == len(body)
    got = P.read_page(status, headers, body)
    assert (got["layer"], got["page"], got["substatus"]) == (layer, page, sub)


# ----------------------------------------------------------- network errors
def test_dns_failure_skips_the_rest():
    res = P.probe("http://ndes.nonexistent.invalid/certsrv/mscep/mscep.dll", timeout=3,
                  external=True)
    classes = [f["class"] for f in res["failures"]]
    assert classes[0] == "dns" and set(classes[1:]) == {"skipped"}
    assert res["checks"]["getcacert"]["ios"]["verdict"] == "skipped"
    assert set(res["signals"]) == {"APP_PROXY_URL"}


def test_connect_refused_is_network_blocked():
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    res = P.probe("http://127.0.0.1:%d%s" % (port, PATH), timeout=2)
    assert res["failures"][0]["class"] == "connect_refused"
    assert res["signals"] == ["NETWORK_BLOCKED"]
    assert res["checks"]["bare_url"]["layer"] == "none"


def test_read_timeout():
    def slow(target):
        time.sleep(1.5)
        return H.sample("iis10-403-custom-error-remote.http")
    with H.SampleServer(slow) as srv:
        res = P.probe(srv.url(), timeout=0.5, platforms=("ios",), long_get_bytes=0)
    assert res["checks"]["bare_url"]["error"]["class"] == "read_timeout"
    assert "NETWORK_BLOCKED" not in res["signals"]


def test_classify_connect_timeout_and_unreachable():
    assert P._classify_oserror(socket.timeout("x"), "connect")[0] == "connect_timeout"
    assert P._classify_oserror(socket.timeout("x"), "read")[0] == "read_timeout"
    import errno
    assert P._classify_oserror(OSError(errno.ENETUNREACH, "x"), "connect")[0] == "unreachable"


@pytest.fixture
def tls_files(tmp_path):
    cert, key = H.make_cert("ndes.lab.test", san=["ndes.lab.test", "localhost"],
                            days=(-1, 90))
    cert_file = tmp_path / "tls.pem"
    key_file = tmp_path / "tls.key"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return str(cert_file), str(key_file)


def test_tls_verification(tls_files):
    cert_file, key_file = tls_files
    with H.SampleServer(Ndes(), tls_cert=cert_file, tls_key=key_file) as srv:
        ok = P.probe(srv.url(host="localhost"), ca_bundle=cert_file, timeout=3, now=H.NOW)
        untrusted = P.probe(srv.url(host="localhost"), timeout=3, long_get_bytes=0)
        wrong_name = P.probe(srv.url(host="127.0.0.1"), ca_bundle=cert_file, timeout=3,
                             long_get_bytes=0)
        unchecked = P.probe(srv.url(host="127.0.0.1"), validate_certs=False, timeout=3,
                            long_get_bytes=0, now=H.NOW)
    assert ok["signals"] == [] and ok["failures"] == [] and len(ok["ra_certs"]) == 2
    assert untrusted["failures"][0]["class"] == "tls_verify"
    assert wrong_name["failures"][0]["class"] == "tls_hostname"
    assert wrong_name["signals"] == ["POLICY_CERT_CN"]
    assert unchecked["failures"] == [] and unchecked["checks"]["bare_url"]["verdict"] == "ok"


def test_bad_url_and_platform():
    with pytest.raises(ValueError):
        P.probe("ftp://x/y")
    with pytest.raises(ValueError):
        P.probe("http://x/y", platforms=("blackberry",))


def test_wrong_path_is_not_a_length_limit():
    res = run(Ndes(bare=H.sample("iis10-404-custom-error-remote.http"),
                   long=H.sample("iis10-404-custom-error-remote.http")))
    assert res["checks"]["long_get"]["passed"] is None
    assert "REQUEST_LIMITS" not in res["signals"]
    assert {e["confidence"] for e in res["evidence"]} == {"candidate"}    # URL_NOT_403 candidate
