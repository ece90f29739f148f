# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a device log points at: FAULTS.md ids derived from ``device_logs.analyze_device_log`` output.

``triage(analysis) -> dict`` adds to the analysis::

    {"attempted": bool,        # the device sent a request to the NDES URL
     "responded": bool | None, # the log shows an answer from the server (None: nothing was attempted)
     "last_status": int | None,  # HTTP status of the last answer the log shows (Android; Windows HRESULT 0x8019xxxx)
     "network_error": str | None,  # timeout | connect | dns | tls | connection_lost (from locale-free codes)
     "hints": [{"id", "confidence": observed | candidate | warning, "detail"}],
     "findings_hint": [FAULTS id]}   # ids of hints, in catalogue order

Rules (the device's side of FAULTS.md):

* attempted, and no answer at all, or a network error code -> NETWORK_BLOCKED
  (the request did not reach NDES: compare with the IIS log window);
* a DNS failure -> NETWORK_BLOCKED and APP_PROXY_URL (candidate: the external URL);
* a TLS failure -> POLICY_CERT_CN (candidate);
* an HTTP error answer (the last one the log shows) -> the causes the same answer has in
  FAULTS.md, as candidates (the log does not say which server answered): 503 APP_POOL_STOPPED
  and the pool crash causes (ROOT_INTERMEDIATES, CRL_UNREACHABLE, CRS_WINDOWS_AUTH,
  POLICY_CERT_EXPIRED), 500 IMPERSONATE_RIGHT / SERVICE_ACCOUNT / RA_CERT_EXPIRED, 504 PROXY_CONNECTOR_DOWN,
  414 REQUEST_LIMITS / HTTPSYS_LIMITS, 400 on PKIOperation HTTPSYS_LIMITS,
  404 on PKIOperation REQUEST_LIMITS;
* the NDES URL's host is not under ``.msappproxy.net`` -> APP_PROXY_URL (warning: a custom
  App Proxy domain is legitimate).

Error codes, never messages: iOS ``NSURLErrorDomain Code=-1001`` etc., Windows HRESULTs
(WinHTTP 0x80072EE2 ..., HTTP_E_STATUS 0x8019xxxx), Java exception class names on Android.
"""
from __future__ import annotations

import re

from ansible_collections.ndes.scep.plugins.module_utils._ndes.probe import (
    APP_ERROR_CAUSES, FAULT_ORDER, POOL_CRASH_CAUSES)

NOT_ATTEMPTED = ("none", "request_queued")
MSAPPPROXY_SUFFIX = ".msappproxy.net"

# iOS NSURLError codes (Foundation NSURLError.h)
IOS_CODES = {
    -1001: "timeout", -1004: "connect", -1005: "connection_lost", -1009: "connect", -1003: "dns",
    -1006: "dns", -1200: "tls", -1201: "tls", -1202: "tls", -1203: "tls", -1204: "tls", -1206: "tls",
}
# WinHTTP / WinINet errors as HRESULTs (winhttp.h: ERROR_WINHTTP_* = 12000 + n, HRESULT 0x80070000 | code)
WINDOWS_CODES = {
    0x80072EE2: "timeout", 0x80072EFD: "connect", 0x80072EFE: "connection_lost", 0x80072EFF: "connection_lost",
    0x80072EE7: "dns", 0x80072F8F: "tls", 0x80072F0D: "tls", 0x80072F06: "tls", 0x80072F05: "tls",
    0x80072F7D: "tls",
}
HTTP_E_STATUS_BASE = 0x80190000
# Android: Java exception class names
ANDROID_EXCEPTIONS = (
    ("SocketTimeoutException", "timeout"), ("ConnectTimeoutException", "timeout"),
    ("UnknownHostException", "dns"), ("NoRouteToHostException", "connect"), ("ConnectException", "connect"),
    ("SSLHandshakeException", "tls"), ("SSLPeerUnverifiedException", "tls"), ("CertPathValidatorException", "tls"),
    ("SocketException", "connection_lost"),
)
# The device log does not say which server answered (HTTP.sys, IIS or a proxy): every cause is a candidate.
HTTP_CAUSES = {
    503: tuple((fid, "candidate") for fid in ("APP_POOL_STOPPED",) + POOL_CRASH_CAUSES),
    500: tuple((fid, "candidate") for fid in APP_ERROR_CAUSES),
    504: (("PROXY_CONNECTOR_DOWN", "candidate"),),
    414: (("REQUEST_LIMITS", "candidate"), ("HTTPSYS_LIMITS", "candidate")),
}
PKI_ONLY_CAUSES = {
    400: (("HTTPSYS_LIMITS", "candidate"),),
    404: (("REQUEST_LIMITS", "candidate"),),
}

_IOS_CODE = re.compile(r"NSURLErrorDomain\s+Code=(-?\d+)")
_HEX = re.compile(r"0x[0-9a-fA-F]{8}")
_STATUS = re.compile(r"^\s*(\d{3})")


def _network_error(analysis):
    """Class of the last network error the log shows (from codes), or None."""
    platform = analysis.get("platform")
    found = None
    for event in analysis.get("events") or []:
        if not event.get("error"):
            continue
        text = event.get("text") or ""
        if platform == "windows":
            for code in _HEX.findall(text):
                value = int(code, 16)
                if value in WINDOWS_CODES:
                    found = WINDOWS_CODES[value]
        match = _IOS_CODE.search(text)
        if match and int(match.group(1)) in IOS_CODES:
            found = IOS_CODES[int(match.group(1))]
        for name, cls in ANDROID_EXCEPTIONS:
            if name in text:
                found = cls
                break
    return found


def _responses(analysis):
    """(responded, last HTTP status, operation of that answer) from the events."""
    platform = analysis.get("platform")
    events = analysis.get("events") or []
    responded = False
    last_status = last_op = None
    seen_request = False
    for event in events:
        kind = event.get("kind")
        if kind == "response":
            responded = True
            match = _STATUS.match(event.get("status") or "")
            if match:
                last_status, last_op = int(match.group(1)), event.get("operation")
        elif platform == "windows":
            if kind in ("request_generated", "response_received", "certificate_installed"):
                responded = True
            if event.get("error"):
                for code in _HEX.findall(event.get("text") or ""):
                    value = int(code, 16)
                    if value & 0xFFFF0000 == HTTP_E_STATUS_BASE:
                        responded = True
                        last_status, last_op = value & 0xFFFF, event.get("operation")
        elif platform != "android":
            # iOS (and unknown text logs): a later step after a request means the request was answered
            if kind in ("request", "csr_sent_get", "enroll_attempt") and seen_request and not event.get("error"):
                responded = True
            if kind == "request":
                seen_request = True
    return responded, last_status, last_op


def triage(analysis):
    """The analysis with ``attempted``, ``responded``, ``last_status``, ``network_error``, ``hints``, ``findings_hint``."""
    out = dict(analysis)
    hints = []

    def hint(fid, confidence, detail):
        if not any(h["id"] == fid for h in hints):
            hints.append({"id": fid, "confidence": confidence, "detail": detail})

    attempted = analysis.get("stage_reached") not in NOT_ATTEMPTED or any(
        e.get("kind") == "send_server_request_failed" for e in analysis.get("events") or [])
    responded, last_status, last_op = _responses(analysis)
    network = _network_error(analysis)
    url = analysis.get("ndes_url") or "the NDES URL"
    if network in ("timeout", "connect", "connection_lost"):
        hint("NETWORK_BLOCKED", "observed", "the device's request to %s failed (%s) before NDES answered: check the "
             "network path (firewall, proxy, App Proxy connector reachability) and whether the IIS log has the "
             "request" % (url, network))
    elif network == "dns":
        hint("NETWORK_BLOCKED", "candidate", "the device could not resolve the host of %s" % url)
        hint("APP_PROXY_URL", "candidate", "the device could not resolve the host of %s: check the SCEP URL of the "
             "Intune profile and the App Proxy external URL" % url)
    elif network == "tls":
        hint("POLICY_CERT_CN", "candidate", "the TLS handshake with %s failed: the server certificate does not cover "
             "the name the device uses, or the device does not trust it" % url)
    if attempted and not responded and network is None:
        hint("NETWORK_BLOCKED", "candidate", "the device sent requests to %s and the log shows no answer: look for "
             "them in the IIS log window (ndes.scep.iis_log); none there means the network blocks them" % url)
    if last_status is not None and last_status >= 400:
        causes = HTTP_CAUSES.get(last_status) or ()
        if not causes and (last_op or "").lower() == "pkioperation":
            causes = PKI_ONLY_CAUSES.get(last_status) or ()
        for fid, confidence in causes:
            hint(fid, confidence, "the server answered %d to %s%s" % (
                last_status, last_op or "a request", " at %s" % url if analysis.get("ndes_url") else ""))
    host = analysis.get("url_host")
    if host and not host.endswith(MSAPPPROXY_SUFFIX):
        hint("APP_PROXY_URL", "warning", "the device uses %s, not a *.msappproxy.net App Proxy URL: fine for a "
             "custom App Proxy domain or a published NDES, otherwise use the tenant's default domain" % host)
    out.update(attempted=bool(attempted), responded=bool(responded) if attempted else None,
               last_status=last_status, network_error=network, hints=hints,
               findings_hint=[fid for fid in FAULT_ORDER if any(h["id"] == fid for h in hints)])
    return out
