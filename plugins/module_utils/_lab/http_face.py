# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""How the lab NDES answers one HTTP request, layer by layer, and where Windows would log it.

A request meets, in this order (the first layer that refuses it answers):

1. App Proxy front (only for requests on the front port): 504 while the
   connector service WAPCSvc is not running (or absent). Not logged on the
   NDES host (the App Proxy is a cloud service).
2. HTTP.sys, with the values IN EFFECT since the lab's last boot: a request
   target longer than MaxFieldLength -> 414 (HTTPERR ``URL_Length``); request
   line + headers beyond MaxRequestBytes -> 400 (``RequestLength``); one header
   line beyond MaxFieldLength -> 400 (``FieldLength``). Server: Microsoft-HTTPAPI/2.0,
   logged only in HTTPERR.
3. Worker process (requests for the SCEP application): a pool crash cause
   present -> 503 ``AppOffline`` (rapid-fail protection took the pool offline);
   the pool stopped -> 503 ``Disabled``; more requests in flight than the pool's
   queueLength -> 503 ``QueueFull``. HTTP.sys answers, HTTPERR logs with the
   site id and queue name.
4. IIS request filtering, EFFECTIVE values at the mscep path: URL path longer
   than maxUrl -> 404.14; query string longer than maxQueryString -> 404.15.
   From here on IIS answers (Server: Microsoft-IIS/10.0) and the site's W3C
   log records status, sub-status and win32 status.
5. NDES page: the bare mscep.dll URL answers 200 "Network Device Enrollment
   Service" while the Intune connector install failed.
6. Application errors (mscep.dll): 500 for a missing impersonate right
   (sc-win32-status 1346), expired/missing RA certificates, a locked or expired
   service account, in that order.
7. mscep.dll: the bare URL (no known operation) -> 403.0; GetCACaps; GetCACert
   (degenerate PKCS#7: CA + both RA certificates); PKIOperation (GET message
   or POST body) passed to the lab's CA backend, 500 when none is configured.

Error pages: IIS sends the detailed page to local clients and the custom
(custerr) page to remote ones under the default errorMode DetailedLocalOnly.
The lab face stands in for the network path between a device and NDES, so it
treats its (loopback) clients as REMOTE: custom pages, sub-status only in the
W3C log. With ``errorMode="Detailed"`` in the lab's IIS configuration it sends
the detailed pages (sub-status visible); ``Custom`` gives the custom pages.

The VIEW is everything the layers need, computed from the lab state at request
time (see face_view.py)::

    {host, boot, site: {id, name, log_directory}, scep_path,
     app_proxy: {connector_running},
     httpsys: {max_field_length, max_request_bytes},          # in effect
     pool: {name, started, queue_length}, crash_causes: [FAULT ids],
     request_limits: {max_url, max_query_string}, error_mode,
     connector_failed, app_errors: [{id, win32_status}],
     caps: [str], getcacert: {der, count} | None}
"""
from __future__ import annotations

import base64
import binascii
import threading
from urllib.parse import unquote

from ansible_collections.ndes.scep.plugins.module_utils._lab import responses

OPERATIONS = ("GetCACaps", "GetCACert", "PKIOperation")


class Request(object):
    """A parsed request as HTTP.sys sees it on the wire."""

    def __init__(self, method, target, version, header_lines, body=b"", client=("127.0.0.1", 0),
                 server=("127.0.0.1", 0), front=False, host=None):
        self.method = method
        self.target = target
        self.version = version
        self.header_lines = list(header_lines)     # raw "Name: value" strings
        self.body = body
        self.client = client
        self.server = server
        self.front = front
        path, sep, query = target.partition("?")
        self.path = path
        self.query = query if sep else None
        self.headers = {}
        for line in self.header_lines:
            name, _sep, value = line.partition(":")
            self.headers[name.strip().lower()] = value.strip()
        self.host = host or self.headers.get("host") or "%s:%d" % server

    @property
    def request_line(self):
        return "%s %s %s" % (self.method, self.target, self.version)

    def param(self, name):
        for part in (self.query or "").split("&"):
            key, _sep, value = part.partition("=")
            if key.lower() == name.lower():
                return value
        return None


class Outcome(object):
    """The answer and where it is logged: ``log`` = w3c | httperr | None."""

    def __init__(self, response, log, reason=None, queue=None, action=None, fault=None):
        self.response = response
        self.log = log
        self.reason = reason      # HTTPERR s-reason
        self.queue = queue        # HTTPERR s-queuename
        self.action = action      # "pki": hand PKIOperation to the CA backend
        self.fault = fault        # FAULTS.md id that decided the answer (None = healthy)
        self.queued = None        # pool whose queue slot the caller must release


class QueueCounter(object):
    """Requests in flight per application pool (HTTP.sys request queue)."""

    def __init__(self):
        self._lock = threading.Lock()
        self._count = {}

    def enter(self, pool, limit):
        with self._lock:
            current = self._count.get(pool, 0)
            if current >= limit:
                return False
            self._count[pool] = current + 1
            return True

    def leave(self, pool):
        with self._lock:
            self._count[pool] = max(self._count.get(pool, 1) - 1, 0)


def _lower(path):
    return path.rstrip("/").lower()


def in_scep_app(view, path):
    app = _lower(view["scep_path"])
    low = path.lower()
    return low == app or low.startswith(app + "/")


def is_mscep(view, path):
    dll = _lower(view["scep_path"]) + "/mscep.dll"
    low = path.lower().rstrip("/")
    return low == dll or low.startswith(dll + "/")


def _detailed(view):
    return view.get("error_mode") == "Detailed"


def _iis_error(view, req, status, substatus=0):
    url = "http://%s%s" % (req.host, req.path)
    return responses.iis_error(status, substatus, detailed=_detailed(view), requested_url=url)


def httpsys_layer(view, req):
    """(status, reason) when HTTP.sys refuses the request, else None."""
    limits = view["httpsys"]
    field, total = int(limits["max_field_length"]), int(limits["max_request_bytes"])
    if len(req.target) > field:
        return 414, "URL_Length"
    used = len(req.request_line) + 2
    if used > total:
        return 400, "RequestLength"
    for line in req.header_lines:
        if len(line) > field:
            return 400, "FieldLength"
        used += len(line) + 2
        if used > total:
            return 400, "RequestLength"
    return None


def decide(view, req, queue=None):
    """The Outcome of one request (see the module docstring for the layer order).

    ``queue``: a QueueCounter; when the outcome's ``queued`` names a pool the
    caller releases it with ``queue.leave(outcome.queued)`` once answered.
    """
    # 1. App Proxy front
    if req.front and not view["app_proxy"]["connector_running"]:
        return Outcome(responses.gateway_timeout(), None, fault="PROXY_CONNECTOR_DOWN")
    # 2. HTTP.sys
    refused = httpsys_layer(view, req)
    if refused:
        status, reason = refused
        return Outcome(responses.httpsys_error(status), "httperr", reason=reason,
                       fault="HTTPSYS_LIMITS")
    # 3. worker process of the SCEP pool
    pool = view["pool"]
    queued = None
    if in_scep_app(view, req.path):
        if view["crash_causes"]:
            return Outcome(responses.httpsys_error(503), "httperr", reason="AppOffline",
                           queue=pool["name"], fault="APP_POOL_STOPPED")
        if not pool["started"]:
            return Outcome(responses.httpsys_error(503), "httperr", reason="Disabled",
                           queue=pool["name"], fault="APP_POOL_STOPPED")
        if queue is not None:
            if not queue.enter(pool["name"], int(pool.get("queue_length") or 1000)):
                return Outcome(responses.httpsys_error(503), "httperr", reason="QueueFull",
                               queue=pool["name"], fault="APP_POOL_STOPPED")
            queued = pool["name"]
    outcome = _iis(view, req)
    outcome.queued = queued
    return outcome


def _iis(view, req):
    # 4. request filtering
    limits = view["request_limits"]
    if len(req.path) > int(limits["max_url"]):
        return Outcome(_iis_error(view, req, 404, 14), "w3c", fault="REQUEST_LIMITS")
    if req.query is not None and len(req.query) > int(limits["max_query_string"]):
        return Outcome(_iis_error(view, req, 404, 15), "w3c", fault="REQUEST_LIMITS")
    if not is_mscep(view, req.path):
        return Outcome(_iis_error(view, req, 404, 0), "w3c")
    operation = req.param("operation")
    if operation not in OPERATIONS:
        operation = None
    # 5. NDES page
    if operation is None and view["connector_failed"]:
        return Outcome(responses.ndes_page(view["host"]), "w3c", fault="URL_NOT_403")
    # 6. application errors
    if view["app_errors"]:
        err = view["app_errors"][0]
        out = Outcome(_iis_error(view, req, 500, 0), "w3c", fault=err["id"])
        out.response.win32_status = int(err.get("win32_status") or 0)
        return out
    # 7. mscep.dll
    if operation is None:
        return Outcome(_iis_error(view, req, 403, 0), "w3c")
    if operation == "GetCACaps":
        return Outcome(responses.getcacaps(view["caps"]), "w3c")
    if operation == "GetCACert":
        certs = view.get("getcacert")
        if not certs:
            return Outcome(_iis_error(view, req, 500, 0), "w3c", fault="RA_CERT_EXPIRED")
        return Outcome(responses.getcacert(certs["der"], certs["count"]), "w3c")
    # PKIOperation: the CA backend answers (run_pki); this 500 stands if it cannot
    return Outcome(_iis_error(view, req, 500, 0), "w3c", action="pki")


def pki_message(req):
    """The DER PKCS#7 of a PKIOperation: POST body, or the GET ``message`` (base64,
    URL-encoded; URL-safe alphabet and missing padding tolerated). None if unreadable."""
    if req.method == "POST":
        return req.body or None
    raw = req.param("message")
    if not raw:
        return None
    text = unquote(raw)  # a literal "+" is base64, not a space
    text = "".join(text.split())
    text += "=" * (-len(text) % 4)
    try:
        data = text.encode("ascii")
    except UnicodeEncodeError:
        return None
    if b"-" in data or b"_" in data:
        data = data.replace(b"-", b"+").replace(b"_", b"/")
    try:
        return base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        return None


def run_pki(view, req, outcome, backend):
    """Replace a ``pki`` outcome's answer with the CA backend's (500 without one)."""
    if backend is None:
        return outcome
    message = pki_message(req)
    if message is None:
        return outcome
    try:
        status, body = backend.pki_operation(message)
    except Exception:  # backend down: NDES cannot reach its CA
        return outcome
    if status != 200:
        return outcome
    outcome.response = responses.pki_message(body)
    return outcome


def log_outcome(writer, view, req, outcome, when, time_taken_ms):
    """Write the request where Windows would log it; returns the file or None."""
    resp = outcome.response
    if outcome.log == "httperr":
        url_length = outcome.reason == "URL_Length"
        return writer.httperr(
            when, view["boot"],
            **{"c-ip": req.client[0], "c-port": req.client[1], "s-ip": req.server[0],
               "s-port": req.server[1], "cs-version": None if url_length else req.version,
               "cs-method": req.method, "cs-uri": None if url_length else req.target,
               "streamid": None, "sc-status": resp.status,
               "s-siteid": view["site"]["id"] if outcome.queue else None,
               "s-reason": outcome.reason, "s-queuename": outcome.queue})
    if outcome.log == "w3c":
        return writer.w3c(
            view["site"], when, view["boot"],
            **{"s-ip": req.server[0], "cs-method": req.method, "cs-uri-stem": req.path,
               "cs-uri-query": req.query, "s-port": req.server[1], "cs-username": None,
               "c-ip": req.client[0], "cs(User-Agent)": req.headers.get("user-agent"),
               "cs(Referer)": req.headers.get("referer"), "sc-status": resp.status,
               "sc-substatus": resp.substatus, "sc-win32-status": resp.win32_status,
               "time-taken": int(time_taken_ms)})
    return None
