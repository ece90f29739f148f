# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Probe a SCEP (NDES mscep.dll) URL from the network, the way devices do.

``probe(url, **options)`` runs these stages, one HTTP request each:

* ``bare_url``   GET <url>: NDES with the Intune policy module answers 403
  (IIS 403.0); 200 with the "Network Device Enrollment Service" page means
  the connector / policy module is missing (URL_NOT_403).
* ``getcacaps``  GET <url>/pkiclient.exe?operation=GetCACaps&message=default
  (the Windows client's request, as logged in the Intune article).
* ``getcacert``  one GET per platform with its message value:
  windows ``<url>/pkiclient.exe?operation=GetCACert&message=default``,
  android ``<url>?operation=GetCACert&message=ca``,
  ios ``<url>?operation=GetCACert&message=SCEP%20Authority``;
  bodies parsed by Content-Type (``application/x-x509-ca-cert``: one DER
  certificate; ``application/x-x509-ca-ra-cert``: degenerate PKCS#7).
* ``long_get``   GET <url>?operation=PKIOperation&message=<base64, URL-encoded>
  whose request target is ``long_get_bytes`` long (default 40000): what iOS
  sends. Catches HTTP.sys 414/400 (Server: Microsoft-HTTPAPI/2.0) and IIS
  request filtering 404.14/404.15 (Server: Microsoft-IIS/*) before devices do.

Result (JSON-serialisable; keys are stable)::

    {url, scheme, host, port, app_proxy: bool,
     checks: {bare_url: CHECK, getcacaps: CHECK, long_get: CHECK,
              getcacert: {windows: CHECK, android: CHECK, ios: CHECK}},
     ca_certs: [CERT], ra_certs: [CERT], other_certs: [CERT],
     signals: [FAULT id], evidence: [{id, stage, confidence, detail}],
     failures: [{stage, class, detail}], elapsed_ms}

CHECK: ``{stage, method, target (cut at 200 chars), target_length,
status (int|null), reason, server, content_type, content_length, layer,
substatus (int|null), substatus_known (bool), page, verdict, detail,
elapsed_ms, error ({class, detail}|null)}``, plus ``caps`` (getcacaps),
``platform, message, format, certs [thumbprint]`` (getcacert) and ``passed``
(long_get: true = the long request got past every length limit, false = a
limit stopped it, null = cannot tell).

* ``layer``: ``httpsys`` (Server: Microsoft-HTTPAPI/2.0), ``iis``
  (Server: Microsoft-IIS/*), ``app_proxy`` (504 at an App Proxy URL),
  ``other`` (another server or proxy answered), ``none`` (no HTTP answer).
* ``page``: ``httpsys_error``, ``iis_detailed`` (local view: sub-status
  shown), ``iis_custom`` (remote view: sub-status hidden, it is only in the
  W3C log's sc-substatus), ``ndes_page``, ``scep`` (a SCEP payload), ``other``,
  ``empty``.
* ``verdict``: ``ok``, ``fault`` (maps to a FAULTS.md id), ``unexpected``,
  ``error`` (no HTTP answer), ``skipped``.
* CERT: see ``probe_certs.cert_info`` (role ca|ra|other, ra_kind, thumbprint
  (SHA-1, upper hex), not_after, days_left, expired, ekus, template_name,
  template_oid, ...) plus ``seen_by`` [platform].
* ``evidence.confidence``: ``observed`` (the answer shows the fault),
  ``candidate`` (one of the possible causes of what was seen), ``warning``.
* ``failures.class``: dns, connect_refused, connect_timeout, unreachable,
  tls_verify, tls_hostname, tls_handshake, read_timeout, connection_reset,
  protocol, http_status, content_type, parse, skipped.

Pages are recognised by status code, Server header and locale-free markers
(the ``NNN.S`` numbers of IIS detailed pages, NDES's ``locMSCertSrv`` id),
never by translated text.
"""
from __future__ import annotations

import base64
import errno
import hashlib
import http.client
import re
import socket
import ssl
import time
from urllib.parse import quote, urlsplit

from ansible_collections.ndes.scep.plugins.module_utils._ndes import probe_certs

# FAULTS.md ids, in catalogue order (signals are reported in this order).
FAULT_ORDER = (
    "IMPERSONATE_RIGHT", "URL_NOT_403", "APP_POOL_STOPPED", "ROOT_INTERMEDIATES",
    "CRL_UNREACHABLE", "CRS_WINDOWS_AUTH", "POLICY_CERT_EXPIRED", "PROXY_CONNECTOR_DOWN",
    "REQUEST_LIMITS", "HTTPSYS_LIMITS", "APP_PROXY_URL", "SERVICE_ACCOUNT",
    "NETWORK_BLOCKED", "RA_CERT_EXPIRED", "POLICY_CERT_CN",
)
# A 503 from HTTP.sys: the SCEP pool is down; these make it crash (FAULTS.md A).
POOL_CRASH_CAUSES = ("ROOT_INTERMEDIATES", "CRL_UNREACHABLE", "CRS_WINDOWS_AUTH",
                     "POLICY_CERT_EXPIRED")
# An IIS 500 from mscep.dll (the seed's "500 - Internal server error" causes).
APP_ERROR_CAUSES = ("IMPERSONATE_RIGHT", "SERVICE_ACCOUNT", "RA_CERT_EXPIRED")

PLATFORMS = {
    # platform: (path suffix, message value as sent on the wire)
    "windows": ("/pkiclient.exe", "default"),
    "android": ("", "ca"),
    "ios": ("", "SCEP%20Authority"),
}
DEFAULT_LONG_GET_BYTES = 40000
DEFAULT_TIMEOUT = 10.0
MAX_BODY = 1024 * 1024
APP_PROXY_SUFFIX = ".msappproxy.net"
USER_AGENT = "ndes.scep-probe/1.0 (%s)"

_DETAILED_RE = re.compile(rb"IIS70Error=(\d{3}),(\d{1,3})|Detailed Error - (\d{3})\.(\d{1,3})")
_TITLE_NUM_RE = re.compile(rb"<title>[^<]*?\b(\d{3})\.(\d{1,3})\b", re.I)
_NDES_MARKER = b"locMSCertSrv"


class _StageError(Exception):
    def __init__(self, cls, detail):
        Exception.__init__(self, detail)
        self.cls = cls
        self.detail = detail


# ------------------------------------------------------------------ HTTP layer
def _ssl_context(validate_certs, ca_bundle):
    if not validate_certs:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        return ctx
    return ssl.create_default_context(cafile=ca_bundle)


def _classify_oserror(exc, phase):
    """(class, detail) of an exception raised while talking to the server."""
    if isinstance(exc, socket.gaierror):
        return "dns", "name resolution failed: %s" % exc
    if isinstance(exc, ssl.SSLCertVerificationError):
        code = getattr(exc, "verify_code", None)
        msg = getattr(exc, "verify_message", None) or str(exc)
        if code == 62 or "hostname" in str(msg).lower() or "match" in str(msg).lower():
            return "tls_hostname", "server certificate does not cover the host name: %s" % msg
        return "tls_verify", "server certificate not trusted: %s" % msg
    if isinstance(exc, ssl.SSLError):
        return "tls_handshake", "TLS handshake failed: %s" % exc
    if isinstance(exc, ConnectionRefusedError):
        return "connect_refused", "connection refused"
    if isinstance(exc, (socket.timeout, TimeoutError)):
        if phase in ("connect", "tls"):
            return "connect_timeout", "no answer within the connect timeout (%s)" % phase
        return "read_timeout", "connected, but no HTTP answer within the timeout"
    if isinstance(exc, (ConnectionResetError, BrokenPipeError, http.client.RemoteDisconnected,
                        ConnectionAbortedError)):
        return "connection_reset", "connection closed without an HTTP answer (%s)" % exc.__class__.__name__
    if isinstance(exc, http.client.HTTPException):
        return "protocol", "not an HTTP answer: %s" % exc
    unreachable = (errno.ENETUNREACH, errno.EHOSTUNREACH, errno.EADDRNOTAVAIL)
    if isinstance(exc, OSError) and exc.errno in unreachable:
        return "unreachable", "network unreachable: %s" % exc
    return "connect_refused" if phase == "connect" else "protocol", "%s: %s" % (
        exc.__class__.__name__, exc)


def http_get(scheme, host, port, target, *, timeout, connect_timeout, ssl_context,
             user_agent, host_header=None):
    """One GET. Returns (status, reason, headers {lower: value}, body bytes).

    Raises _StageError(class, detail) when no HTTP answer came back.
    """
    phase = "dns"
    sock = None
    try:
        infos = socket.getaddrinfo(host, port, 0, socket.SOCK_STREAM)
        phase = "connect"
        last = None
        for family, stype, proto, _cn, addr in infos:
            sock = socket.socket(family, stype, proto)
            sock.settimeout(connect_timeout)
            try:
                sock.connect(addr)
                last = None
                break
            except OSError as exc:
                last = exc
                sock.close()
                sock = None
        if sock is None:
            raise last or OSError(errno.EHOSTUNREACH, "no address")
        if scheme == "https":
            phase = "tls"
            sock = ssl_context.wrap_socket(sock, server_hostname=host)
        phase = "read"
        sock.settimeout(timeout)
        conn = http.client.HTTPConnection(host, port, timeout=timeout)
        conn.sock = sock
        conn.putrequest("GET", target, skip_host=True, skip_accept_encoding=True)
        default_port = 443 if scheme == "https" else 80
        conn.putheader("Host", host_header or (host if port == default_port else "%s:%d" % (host, port)))
        conn.putheader("User-Agent", user_agent)
        conn.putheader("Accept", "*/*")
        conn.putheader("Connection", "close")
        conn.endheaders()
        resp = conn.getresponse()
        body = resp.read(MAX_BODY)
        headers = {k.lower(): v for k, v in resp.getheaders()}
        status, reason = resp.status, resp.reason
        conn.close()
        return status, reason, headers, body
    except _StageError:
        raise
    except (OSError, http.client.HTTPException, ValueError) as exc:
        cls, detail = _classify_oserror(exc, phase)
        raise _StageError(cls, detail)
    finally:
        if sock is not None:
            try:
                sock.close()
            except OSError:
                pass


# --------------------------------------------------------------- page reading
def _decode_head(body):
    """Bytes to search for markers: UTF-16 pages (NDES) become ASCII."""
    head = body[:16384]
    if head[:2] in (b"\xff\xfe", b"\xfe\xff") or head[1:2] == b"\x00" or head[:1] == b"\x00":
        for enc in ("utf-16",) if head[:2] in (b"\xff\xfe", b"\xfe\xff") else ("utf-16-le", "utf-16-be"):
            try:
                text = head.decode(enc, "ignore")
            except UnicodeDecodeError:
                continue
            if "<" in text:
                return text.encode("ascii", "ignore")
    return head


def read_page(status, headers, body):
    """What answered and what it says: {layer, page, substatus, substatus_known, server}."""
    server = headers.get("server", "")
    ctype = probe_certs.media_type(headers.get("content-type"))
    head = _decode_head(body)
    if server.startswith("Microsoft-HTTPAPI"):
        layer = "httpsys"
    elif server.startswith("Microsoft-IIS"):
        layer = "iis"
    else:
        layer = "other"
    substatus = None
    page = "other"
    if not body:
        page = "empty"
    elif layer == "httpsys":
        page = "httpsys_error" if status >= 400 else "other"
    elif ctype in (probe_certs.CT_CA_CERT, probe_certs.CT_CA_RA_CERT, "application/x-pki-message"):
        page = "scep"
    elif _NDES_MARKER in head:
        page = "ndes_page"
    else:
        match = _DETAILED_RE.search(head) or _TITLE_NUM_RE.search(head)
        if match and status >= 400:
            nums = [g for g in match.groups() if g is not None]
            if int(nums[0]) == status:
                page = "iis_detailed"
                substatus = int(nums[1])
        elif layer == "iis" and status >= 400 and b"<fieldset>" in head:
            page = "iis_custom"
    return {"layer": layer, "page": page, "substatus": substatus,
            "substatus_known": substatus is not None, "server": server or None}


# --------------------------------------------------------------- the probe run
class _Run(object):
    def __init__(self, url, options):
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("probe url must be http(s)://host[:port]/path, got %r" % url)
        self.url = url
        self.scheme = parts.scheme
        self.host = parts.hostname
        self.port = parts.port or (443 if parts.scheme == "https" else 80)
        self.path = parts.path or "/"
        self.o = options
        self.ssl = _ssl_context(options["validate_certs"], options["ca_bundle"]) \
            if parts.scheme == "https" else None
        suffix = self.host.lower().endswith(APP_PROXY_SUFFIX)
        self.app_proxy = suffix if options["app_proxy"] is None else bool(options["app_proxy"])
        self.host_under_msappproxy = suffix
        self.evidence = []
        self.failures = []
        self.network_down = None

    # -- bookkeeping
    def signal(self, fid, stage, confidence, detail):
        for ev in self.evidence:
            if ev["id"] == fid and ev["stage"] == stage:
                return
        self.evidence.append({"id": fid, "stage": stage, "confidence": confidence,
                              "detail": detail})

    def fail(self, stage, cls, detail):
        self.failures.append({"stage": stage, "class": cls, "detail": detail})

    # -- one request
    def get(self, stage, target, platform="probe"):
        check = {"stage": stage, "method": "GET",
                 "target": target if len(target) <= 200 else target[:200] + "...",
                 "target_length": len(target), "status": None, "reason": None,
                 "server": None, "content_type": None, "content_length": None,
                 "layer": "none", "substatus": None, "substatus_known": False,
                 "page": "empty", "verdict": "error", "detail": None, "elapsed_ms": 0,
                 "error": None}
        if self.network_down is not None:
            check["verdict"] = "skipped"
            check["detail"] = "skipped: %s" % self.network_down
            self.fail(stage, "skipped", check["detail"])
            return check, b""
        start = time.monotonic()
        try:
            status, reason, headers, body = http_get(
                self.scheme, self.host, self.port, target,
                timeout=self.o["timeout"], connect_timeout=self.o["connect_timeout"],
                ssl_context=self.ssl, user_agent=_user_agent(self.o["user_agent"], platform),
                host_header=self.o["host_header"])
        except _StageError as exc:
            check["elapsed_ms"] = int((time.monotonic() - start) * 1000)
            check["error"] = {"class": exc.cls, "detail": exc.detail}
            check["detail"] = exc.detail
            self.fail(stage, exc.cls, exc.detail)
            self._network_signal(stage, exc.cls, exc.detail)
            return check, b""
        check["elapsed_ms"] = int((time.monotonic() - start) * 1000)
        check.update(status=status, reason=reason, content_type=headers.get("content-type"),
                     content_length=len(body))
        check.update(read_page(status, headers, body))
        if status == 504 and self.app_proxy:
            check["layer"] = "app_proxy"
        return check, body

    def _network_signal(self, stage, cls, detail):
        if cls in ("connect_refused", "connect_timeout", "unreachable"):
            self.signal("NETWORK_BLOCKED", stage, "observed",
                        "%s: the request never reached the web server" % detail)
            self.network_down = cls
        elif cls == "dns":
            self.network_down = cls
            if self.app_proxy or self.o["external"]:
                self.signal("APP_PROXY_URL", stage, "candidate",
                            "%s: check the SCEP external URL in the App Proxy configuration "
                            "(default domain <tenant>.msappproxy.net)" % detail)
        elif cls == "tls_hostname":
            self.network_down = cls
            self.signal("POLICY_CERT_CN", stage, "candidate", detail)
        elif cls in ("tls_verify", "tls_handshake"):
            self.network_down = cls

    # -- shared interpretation of failure statuses
    def common_status(self, check, stage):
        """Signals for answers that mean the same on every stage. True if handled."""
        status, layer = check["status"], check["layer"]
        if status == 503 and layer == "httpsys":
            check["verdict"] = "fault"
            check["detail"] = "HTTP.sys answered 503: the SCEP application pool is stopped or " \
                              "disabled (rapid-fail after w3wp crashes)"
            self.signal("APP_POOL_STOPPED", stage, "observed", check["detail"])
            for fid in POOL_CRASH_CAUSES:
                self.signal(fid, stage, "candidate", "a cause of SCEP pool crashes (503)")
            return True
        if status == 503:
            check["verdict"] = "unexpected"
            check["detail"] = "503 from %s, not from HTTP.sys: a proxy or load balancer in front " \
                              "of NDES is unavailable" % (check["server"] or "an unnamed server")
            self.fail(stage, "http_status", check["detail"])
            return True
        if status == 504:
            check["verdict"] = "fault" if self.app_proxy else "unexpected"
            if self.app_proxy:
                check["detail"] = "504 Gateway Timeout at the App Proxy URL: the application " \
                                  "proxy connector (WAPCSvc) is not running or not reachable"
                self.signal("PROXY_CONNECTOR_DOWN", stage, "observed", check["detail"])
            else:
                check["detail"] = "504 Gateway Timeout from a gateway in front of NDES"
                self.signal("PROXY_CONNECTOR_DOWN", stage, "candidate",
                            check["detail"] + " (an App Proxy on a custom domain?)")
                self.fail(stage, "http_status", check["detail"])
            return True
        if status == 500 and layer != "iis":
            check["verdict"] = "unexpected"
            check["detail"] = "500 from %s, not from IIS: not an NDES answer" % (
                check["server"] or "an unnamed server")
            self.fail(stage, "http_status", check["detail"])
            return True
        if status == 500:
            check["verdict"] = "fault"
            check["detail"] = "500 from %s: mscep.dll failed; look for sc-win32-status 1346 in " \
                              "the W3C log (impersonate right), expired RA certificates, a locked " \
                              "service account" % (check["server"] or "the server")
            for fid in APP_ERROR_CAUSES:
                self.signal(fid, stage, "candidate", "a cause of mscep.dll 500 answers")
            return True
        if status in (414, 400) and layer == "httpsys":
            check["verdict"] = "fault"
            check["detail"] = "HTTP.sys rejected the request (%d, HTTPERR reason %s): " \
                              "MaxFieldLength / MaxRequestBytes in effect are too small" % (
                                  status, "URL_Length" if status == 414 else
                                  "FieldLength or RequestLength")
            self.signal("HTTPSYS_LIMITS", stage, "observed", check["detail"])
            return True
        if status == 404 and layer == "iis" and check["substatus"] in (14, 15):
            check["verdict"] = "fault"
            check["detail"] = "IIS request filtering 404.%d (%s too long)" % (
                check["substatus"], "URL" if check["substatus"] == 14 else "query string")
            self.signal("REQUEST_LIMITS", stage, "observed", check["detail"])
            return True
        return False

    # -- stages
    def bare_url(self):
        check, body = self.get("bare_url", self.path)
        if check["status"] is None:
            return check
        if self.common_status(check, "bare_url"):
            return check
        status = check["status"]
        if status == 403:
            check["verdict"] = "ok"
            sub = check["substatus"]
            check["detail"] = "403%s: mscep.dll intercepts the request, NDES and its policy module " \
                              "are installed" % (".%s" % sub if sub is not None else
                                                 " (sub-status hidden by the remote error page)")
        elif status == 200:
            check["verdict"] = "fault"
            check["detail"] = "200 instead of 403%s: the Intune connector / NDES policy module is " \
                              "missing or not registered" % (
                                  " (Network Device Enrollment Service page)"
                                  if check["page"] == "ndes_page" else "")
            self.signal("URL_NOT_403", "bare_url", "observed", check["detail"])
        else:
            check["verdict"] = "unexpected"
            check["detail"] = "%s from %s%s" % (status, check["server"] or "an unnamed server",
                                                ": wrong path?" if status == 404 else "")
            self.signal("URL_NOT_403", "bare_url", "candidate", check["detail"])
            self.fail("bare_url", "http_status", check["detail"])
        return check

    def getcacaps(self):
        target = "%s%s?operation=GetCACaps&message=default" % (self.path, PLATFORMS["windows"][0])
        check, body = self.get("getcacaps", target, "windows")
        check["caps"] = []
        if check["status"] is None or self.common_status(check, "getcacaps"):
            return check
        if check["status"] == 200:
            text = body.decode("ascii", "replace")
            check["caps"] = [line.strip() for line in text.splitlines() if line.strip()]
            check["verdict"] = "ok"
            check["detail"] = "%d capabilities" % len(check["caps"])
        else:
            check["verdict"] = "unexpected"
            check["detail"] = "GetCACaps answered %d" % check["status"]
            self.fail("getcacaps", "http_status", check["detail"])
        return check

    def getcacert(self, platform, certs_out):
        suffix, message = PLATFORMS[platform]
        target = "%s%s?operation=GetCACert&message=%s" % (self.path, suffix, message)
        stage = "getcacert." + platform
        check, body = self.get(stage, target, platform)
        check.update(platform=platform, message=message.replace("%20", " "), format=None, certs=[])
        if check["status"] is None or self.common_status(check, stage):
            return check
        if check["status"] != 200:
            check["verdict"] = "unexpected"
            check["detail"] = "GetCACert answered %d" % check["status"]
            self.fail(stage, "http_status", check["detail"])
            return check
        try:
            fmt, certs = probe_certs.load_getcacert(check["content_type"], body)
        except probe_certs.CertParseError as exc:
            check["verdict"] = "unexpected"
            check["detail"] = str(exc)
            cls = "parse" if probe_certs.media_type(check["content_type"]) in (
                probe_certs.CT_CA_CERT, probe_certs.CT_CA_RA_CERT) else "content_type"
            self.fail(stage, cls, str(exc))
            return check
        check["format"] = fmt
        for cert in certs:
            info = probe_certs.cert_info(cert, now=self.o["now"])
            check["certs"].append(info["thumbprint"])
            known = certs_out.setdefault(info["thumbprint"], info)
            known.setdefault("seen_by", [])
            if platform not in known["seen_by"]:
                known["seen_by"].append(platform)
        check["verdict"] = "ok"
        check["detail"] = "%d certificate(s) (%s)" % (len(certs), fmt)
        return check

    def long_get(self, bare):
        size = int(self.o["long_get_bytes"])
        prefix = "%s?operation=PKIOperation&message=" % self.path
        need = max(size - len(prefix), 16)
        message = _long_message(need)
        target = prefix + message
        check, body = self.get("long_get", target, "ios")
        check["passed"] = None
        if check["status"] is None:
            if check["error"] and check["error"]["class"] == "connection_reset" and \
                    bare.get("status") is not None:
                check["detail"] = "the connection was cut on a %d-byte request but short requests " \
                                  "are answered: a proxy or firewall limits the URL length" % size
                check["passed"] = False
            return check
        status, layer = check["status"], check["layer"]
        if status == 500 and bare.get("status") != 500:
            # the application got the request and refused the synthetic message
            check["passed"] = True
            check["verdict"] = "ok"
            check["detail"] = "a %d-byte request reached the SCEP application (500 from %s: the " \
                              "probe's message is not a real PKCS#7 request)" % (
                                  size, check["server"] or "an unnamed server")
            return check
        if self.common_status(check, "long_get"):
            if status in (414, 400, 404):
                check["passed"] = False
            elif status == 500:
                check["passed"] = True  # it reached the application, past every length limit
            return check
        if status == 404 and layer == "iis" and bare.get("status") not in (None, 404):
            # remote custom error page: IIS does not tell 404.14 from 404.15
            check["verdict"] = "fault"
            check["passed"] = False
            check["detail"] = "404 from IIS on a %d-byte request while the short URL works: request " \
                              "filtering maxUrl (404.14) or maxQueryString (404.15); the sub-status " \
                              "is only in the W3C log (remote custom error page)" % size
            self.signal("REQUEST_LIMITS", "long_get", "observed", check["detail"])
            return check
        if status == 404:
            check["verdict"] = "unexpected"
            check["detail"] = "404 on the long request as on the bare URL: check the SCEP URL's path"
            self.fail("long_get", "http_status", check["detail"])
            return check
        if status in (414, 400, 431, 413):
            check["verdict"] = "fault"
            check["passed"] = False
            check["detail"] = "%s from %s (not HTTP.sys, not IIS): a proxy in front of NDES limits the " \
                              "request length; layer unknown" % (
                                  status, check["server"] or "an unnamed server")
            self.fail("long_get", "http_status", check["detail"])
            return check
        check["passed"] = True
        check["verdict"] = "ok"
        check["detail"] = "a %d-byte request got past HTTP.sys and request filtering (%s from %s)" % (
            size, status, check["server"] or "the server")
        return check

    def cert_signals(self, certs):
        ras = [c for c in certs.values() if c["role"] == "ra"]
        for cert in ras:
            if cert["expired"]:
                self.signal("RA_CERT_EXPIRED", "getcacert", "observed",
                            "RA certificate %s (%s) expired %s" % (
                                cert["thumbprint"], cert["ra_kind"], cert["not_after"]))
            elif cert["days_left"] <= self.o["warn_days"]:
                self.signal("RA_CERT_EXPIRED", "getcacert", "warning",
                            "RA certificate %s (%s) expires in %d days" % (
                                cert["thumbprint"], cert["ra_kind"], cert["days_left"]))
        if certs and not ras:
            self.signal("RA_CERT_EXPIRED", "getcacert", "candidate",
                        "GetCACert returned no RA certificate (NDES sends the CA and its two "
                        "MSCEP-RA certificates)")


def _user_agent(template, platform):
    return template % platform if "%s" in template else template


def _long_message(length):
    """A base64 SCEP-like message, URL-encoded as iOS does, exactly `length` chars."""
    out = []
    total = 0
    counter = 0
    while total < length:
        chunk = base64.b64encode(hashlib.sha512(b"ndes.scep-probe-%d" % counter).digest() * 3)
        enc = quote(chunk.decode("ascii"), safe="")
        out.append(enc)
        total += len(enc)
        counter += 1
    text = "".join(out)[:length]
    # never end in the middle of a %XX escape
    cut = text.rfind("%", len(text) - 2)
    if cut != -1:
        text = text[:cut] + "A" * (length - cut)
    return text


def probe(url, validate_certs=True, ca_bundle=None, timeout=DEFAULT_TIMEOUT,
          connect_timeout=None, long_get_bytes=DEFAULT_LONG_GET_BYTES,
          platforms=("windows", "android", "ios"), warn_days=30, app_proxy=None,
          external=False, host_header=None, user_agent=USER_AGENT, now=None):
    """Probe `url` (the SCEP URL of the Intune profile). See the module docstring.

    validate_certs / ca_bundle: TLS verification (ca_bundle: PEM file of trusted
    CAs). timeout: read timeout in seconds; connect_timeout: TCP + TLS timeout
    (default: timeout). long_get_bytes: length of the long PKIOperation request
    target (0 skips the stage). app_proxy: the URL is an Entra App Proxy URL
    (None: host under .msappproxy.net). external: the URL is the one devices use
    from the internet; then a host outside .msappproxy.net is an APP_PROXY_URL
    warning. host_header: send this Host (probing by IP). now: a datetime for
    days_left (tests).
    """
    for platform in platforms:
        if platform not in PLATFORMS:
            raise ValueError("unknown platform %r (expected one of %s)" % (
                platform, ", ".join(sorted(PLATFORMS))))
    options = {"validate_certs": validate_certs, "ca_bundle": ca_bundle,
               "timeout": float(timeout),
               "connect_timeout": float(connect_timeout if connect_timeout is not None else timeout),
               "long_get_bytes": long_get_bytes, "warn_days": int(warn_days),
               "app_proxy": app_proxy, "external": external, "host_header": host_header,
               "user_agent": user_agent, "now": now}
    start = time.monotonic()
    run = _Run(url, options)
    if external and not run.host_under_msappproxy:
        run.signal("APP_PROXY_URL", "url", "warning",
                   "%s is not under %s: fine for a custom App Proxy domain, otherwise use the "
                   "tenant's default domain" % (run.host, APP_PROXY_SUFFIX))
    checks = {"bare_url": run.bare_url()}
    checks["getcacaps"] = run.getcacaps()
    certs = {}
    checks["getcacert"] = {}
    for platform in platforms:
        checks["getcacert"][platform] = run.getcacert(platform, certs)
    run.cert_signals(certs)
    if long_get_bytes:
        checks["long_get"] = run.long_get(checks["bare_url"])
    else:
        checks["long_get"] = {"stage": "long_get", "verdict": "skipped", "passed": None,
                              "detail": "long_get_bytes is 0"}
    ordered = sorted(certs.values(), key=lambda c: (c["role"], c["ra_kind"] or "", c["thumbprint"]))
    ids = {ev["id"] for ev in run.evidence}
    return {
        "url": url,
        "scheme": run.scheme,
        "host": run.host,
        "port": run.port,
        "app_proxy": run.app_proxy,
        "checks": checks,
        "ca_certs": [c for c in ordered if c["role"] == "ca"],
        "ra_certs": [c for c in ordered if c["role"] == "ra"],
        "other_certs": [c for c in ordered if c["role"] == "other"],
        "signals": [fid for fid in FAULT_ORDER if fid in ids],
        "evidence": run.evidence,
        "failures": run.failures,
        "elapsed_ms": int((time.monotonic() - start) * 1000),
    }
