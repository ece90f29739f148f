# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Seed traffic for a lab's logs: normal mscep.dll / CRP requests and the log lines each fault leaves."""
from __future__ import annotations

import base64
import datetime
import random
import urllib.parse

from ansible_collections.ndes.scep.plugins.module_utils._lab import logs

S_IP = "10.0.0.20"
IOS_UA = "profiled/1.0+CFNetwork/1335.0.3.4+Darwin/21.6.0"
ANDROID_UA = "Dalvik/2.1.0+(Linux;+U;+Android+13;+SM-G991B+Build/TP1A.220624.014)"
WIN_UA = "Mozilla/4.0+(compatible;+Win32;+NDES+client+10.0.22621.1/ni_release)"
CRP_UA = "NDES_Plugin"
MSCEP = "/certsrv/mscep/mscep.dll"


def _pkioperation(rng, size):
    """A GET PKIOperation query the size devices send (base64 CMS, URL-encoded)."""
    blob = base64.b64encode(bytes(rng.getrandbits(8) for _index in range(size))).decode("ascii")
    return "operation=PKIOperation&message=" + urllib.parse.quote(blob, safe="")


def _row(when, method, stem, query, c_ip, ua, status, sub=0, win32=0, taken=62):
    return {"_when": when, "s-ip": S_IP, "cs-method": method, "cs-uri-stem": stem, "cs-uri-query": query,
            "s-port": 443, "cs-username": None, "c-ip": c_ip, "cs(User-Agent)": ua, "cs(Referer)": None,
            "sc-status": status, "sc-substatus": sub, "sc-win32-status": win32, "time-taken": taken}


def enrolment(rng, when, c_ip, ua, result=(200, 0, 0), crp=True, csr_bytes=1800):
    """The requests of one device enrolment: GetCACaps, GetCACert, PKIOperation (+ CRP VerifyRequest/Notify)."""
    status, sub, win32 = result
    t = when
    rows = [_row(t, "GET", MSCEP, "operation=GetCACaps&message=default", c_ip, ua, *result, taken=15)]
    t += datetime.timedelta(seconds=1)
    rows.append(_row(t, "GET", MSCEP, "operation=GetCACert&message=default", c_ip, ua, *result, taken=31))
    if status != 200:
        return rows
    t += datetime.timedelta(seconds=1)
    if crp:
        rows.append(_row(t, "POST", "/CertificateRegistrationSvc/Certificate/VerifyRequest", None,
                         "fe80::f53d:89b8:c3e8:5fec%13", CRP_UA, 201, taken=875))
    rows.append(_row(t, "GET", MSCEP, _pkioperation(rng, csr_bytes), c_ip, ua, 200, taken=1204))
    if crp:
        t += datetime.timedelta(seconds=1)
        rows.append(_row(t, "POST", "/CertificateRegistrationSvc/Certificate/Notify", None,
                         "fe80::f53d:89b8:c3e8:5fec%13", CRP_UA, 204, taken=62))
    return rows


def seed_healthy(root, now, seed):
    """About two hours of healthy enrolments, ending 30 minutes ago."""
    rng = random.Random(seed)
    rows = []
    start = now - datetime.timedelta(hours=2)
    for index in range(12):
        when = start + datetime.timedelta(minutes=7 * index, seconds=rng.randint(0, 50))
        ua = (IOS_UA, ANDROID_UA, WIN_UA)[index % 3]
        rows.extend(enrolment(rng, when, "10.5.14.%d" % (20 + index), ua, csr_bytes=rng.randint(1400, 2600)))
    # The admin's check of the bare URL: 403.0 when NDES is installed right.
    rows.append(_row(start + datetime.timedelta(minutes=3), "GET", MSCEP, None, "10.0.0.5",
                     "Mozilla/5.0+(Windows+NT+10.0;+Win64;+x64)", 403, 0, 0, 4))
    logs.w3c_append(root, rows)
    logs.httperr_append(root, [{"_when": now - datetime.timedelta(minutes=50), "c-ip": "10.5.14.33",
                                "c-port": 50130, "s-ip": S_IP, "s-port": 443, "s-reason": "Timer_ConnectionIdle"}])


def recent(now, minutes):
    return now - datetime.timedelta(minutes=minutes)


def evidence_w3c(root, now, result, count=3, stem=MSCEP, query="operation=GetCACert&message=default",
                 method="GET", ua=IOS_UA):
    """Rows for a fault that IIS answers (logged in the site's W3C log) within the last 20 minutes."""
    status, sub, win32 = result
    rows = [_row(recent(now, 20 - 5 * i), method, stem, query, "10.5.14.%d" % (60 + i), ua, status, sub, win32,
                 taken=31) for i in range(count)]
    logs.w3c_append(root, rows)


def evidence_long_query(root, now, status, sub, size):
    """iOS PKIOperation GETs past a request-filtering limit (404.14 / 404.15)."""
    rng = random.Random(size)
    rows = [_row(recent(now, 15 - 5 * i), "GET", MSCEP, _pkioperation(rng, size), "10.5.14.%d" % (70 + i),
                 IOS_UA, status, sub, 0, taken=2) for i in range(2)]
    logs.w3c_append(root, rows)


def evidence_httperr(root, now, reasons, queue=None):
    """HTTP.sys rejections (not in the W3C log): AppOffline/Disabled 503s, URL_Length 414, FieldLength 400."""
    rows = []
    for index, reason in enumerate(reasons):
        status = {"URL_Length": 414, "FieldLength": 400, "RequestLength": 400}.get(reason, 503)
        row = {"_when": recent(now, 18 - 3 * index), "c-ip": "10.5.14.%d" % (80 + index), "c-port": 50200 + index,
               "s-ip": S_IP, "s-port": 443, "sc-status": status, "s-reason": reason}
        if status == 503:
            row.update({"cs-version": "HTTP/1.1", "cs-method": "GET",
                        "cs-uri": MSCEP + "?operation=GetCACert&message=default", "s-siteid": 1, "s-queuename": queue})
        elif status == 400:
            row.update({"cs-version": "HTTP/1.1", "cs-method": "GET", "cs-uri": MSCEP})
        rows.append(row)
    logs.httperr_append(root, rows)
