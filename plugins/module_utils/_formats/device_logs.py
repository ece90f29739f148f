# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Triage of device-side SCEP logs (Android OMADM, iOS/iPadOS debug log, Windows event 36) by their key strings.

Inputs (``analyze_device_log(data, platform=None)``; ``data`` is bytes, str,
an iterable of lines, or parsed JSON ``dict`` / ``list``):

* Android: the Company Portal OMADM log. Key strings (Microsoft's "Troubleshoot
  device to NDES server communication" article): ``There are 1 requests``,
  ``Sending GetCACaps(ca) to <url>``, ``Received '200 OK' when sending
  GetCACaps(ca) to <url>``, ``Signing pkiMessage using key belonging to``,
  ``Sending org.<...>.cms.CMSSignedData@...``.
* iOS/iPadOS: the device debug log (``profiled``). Key strings:
  ``Performing synchronous URL request: <url>`` (with ``operation=GetCACert``,
  ``GetCACaps``, ``PKIOperation``), ``Attempting to retrieve issued
  certificate``, ``Sending CSR via GET``.
* Windows: events of Microsoft-Windows-DeviceManagement-Enterprise-Diagnostics-Provider
  (Admin), as ``wevtutil qe /f:xml`` output (``<Event>`` elements, with or
  without a root) or JSON (one event or a list; ``EventData`` / ``event_data``
  as ``{name: value}`` or ``{"Data": [...]}``, ``Properties`` / ``properties``
  as a list, ids in ``EventID`` / ``Id`` / ``id`` / ``System.EventID``).
  The localized ``Message`` is never read. Event ids and the order of their
  insertion strings come from the provider's message table
  (dmenterprisediagnostics.dll; message 0xB00000NN is event NN): 32 enroll
  failed (%1 Result), 36 request generated (%1 EKU, %2 NDES URL, %3 container
  name, %4 KSP setting, %5 store location), 37 request sent, 38 response
  received, 39 certificate installed, 301-305 and 307 CSP failures, 308
  failed to send server request (%1 ServerUrl, %2 Result). The names of the
  EventData fields are not documented, so values are taken by position, and the
  NDES URL is the value that holds an http(s) URL (position 2 otherwise).
  Windows builds the event-36 request after GetCACert (the SCEP message is
  encrypted for the RA certificate), so event 36 counts as stage ``getcacert``.

Output::

    {"platform": "android" | "ios" | "windows" | "unknown",
     "stage_reached": "none" | "request_queued" | "getcacaps" | "getcacert"
                      | "csr_sent_get" | "pkioperation" | "certificate_installed",
     "ndes_url": str | None,        # scheme://host[:port]/path of the last SCEP URL seen, no query
     "url_host": str | None,        # lower case
     "uses_msappproxy": bool,       # host ends with .msappproxy.net
     "last_error": str | None,      # the last error line (or a synthesized event line)
     "events": [{"n": int,          # line number (text) or event index (Windows), 1-based
                 "time": str | None, "kind": str, "stage": str | None,
                 "operation": str | None, "url": str | None, "status": str | None,
                 "error": bool, "text": str}]}   # text cut to 300 characters

``STAGES`` gives the order; ``stage_reached`` is the furthest step the log
shows the device attempting (a request sent counts; a non-2xx answer or an
error line sets ``last_error``). Device logs are written by the apps in English (not localized), so
their key strings are matched as text; Windows events are matched by id only.
"""
from __future__ import annotations

import datetime as _dt
import json
import re
import xml.etree.ElementTree as ET
from urllib.parse import urlsplit

STAGES = ("none", "request_queued", "getcacaps", "getcacert", "csr_sent_get", "pkioperation",
          "certificate_installed")
_RANK = {s: i for i, s in enumerate(STAGES)}

OPERATION_STAGE = {"getcacaps": "getcacaps", "getcacert": "getcacert", "getnextcacert": "getcacert",
                   "pkioperation": "pkioperation"}
_CANON_OP = {"getcacaps": "GetCACaps", "getcacert": "GetCACert", "getnextcacert": "GetNextCACert",
             "pkioperation": "PKIOperation"}

MSAPPPROXY_SUFFIX = ".msappproxy.net"
MAX_EVENTS = 1000
TEXT_MAX = 300

# ------------------------------------------------------------------ Android
_A_REQUESTS = re.compile(r"There are (\d+) requests")
_A_ENROLL = re.compile(r"Trying to enroll certificate request")
_A_SENDING = re.compile(r"Sending (GetCACaps|GetCACert|GetNextCACert|PKIOperation)\(([^)]*)\) to (\S+)")
_A_RECEIVED = re.compile(r"Received '(\d{3})([^']*)' when sending (\w+)\(([^)]*)\) to (\S+)")
_A_SIGNING = re.compile(r"Signing pkiMessage using key belonging to")
_A_SEND_CMS = re.compile(r"Sending org\.\S*CMSSignedData")
_A_TIME = re.compile(r"^\s*(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?)")

# ------------------------------------------------------------------ iOS
_I_URL = re.compile(r"Performing synchronous URL request:\s*(\S+)")
_I_RETRIEVE = re.compile(r"Attempting to retrieve issued certificate")
_I_CSR_GET = re.compile(r"Sending CSR via GET")
_I_TIME = re.compile(r"^\s*\w+\s+(\d{1,2}:\d{2}:\d{2}(?:\.\d+)?(?:\s+[-+]\d{4})?)")

_ERROR_RE = re.compile(r"\b(?:error|exception|failed|failure|fail)\b", re.IGNORECASE)
_HTTP_URL = re.compile(r"^https?://", re.IGNORECASE)

# ------------------------------------------------------------------ Windows
WINDOWS_PROVIDER = "Microsoft-Windows-DeviceManagement-Enterprise-Diagnostics-Provider"
EVENT_ENROLL_FAILED = 32
EVENT_REQUEST_GENERATED = 36
EVENT_REQUEST_SENT = 37
EVENT_RESPONSE_RECEIVED = 38
EVENT_INSTALLED = 39
EVENT_SEND_FAILED = 308
WINDOWS_EVENTS = {
    32: ("enroll_failed", None, True),
    36: ("request_generated", "getcacert", False),
    37: ("request_sent", "pkioperation", False),
    38: ("response_received", "pkioperation", False),
    39: ("certificate_installed", "certificate_installed", False),
    301: ("csp_create_instance_failed", None, True),
    302: ("csp_add_node_failed", None, True),
    303: ("csp_delete_child_failed", None, True),
    304: ("csp_get_value_failed", None, True),
    305: ("csp_set_value_failed", None, True),
    307: ("log_error", None, True),
    308: ("send_server_request_failed", None, True),
}
EVENT36_FIELDS = ("eku", "ndes_url", "container_name", "ksp_setting", "store_location")
_MS_DATE = re.compile(r"/Date\((-?\d+)")


def _cut(text):
    text = text.strip()
    return text if len(text) <= TEXT_MAX else text[:TEXT_MAX] + "..."


def _clean_url(url):
    # the seed's iOS lines end in a stray backslash (markdown line break)
    return url.rstrip("\\").rstrip(".,;)'\"")


def _url_parts(url):
    """(base URL without query, host, operation) of a SCEP URL."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return None, None, None
    if not parts.scheme or not parts.netloc:
        return None, None, None
    base = "%s://%s%s" % (parts.scheme.lower(), parts.netloc, parts.path)
    host = (parts.hostname or "").lower() or None
    op = None
    for item in parts.query.split("&"):
        key, dummy, value = item.partition("=")
        if key.lower() == "operation":
            op = value
            break
    return base, host, op


def _canon_op(op):
    if op is None:
        return None
    return _CANON_OP.get(op.lower(), op)


class _Triage:
    def __init__(self, platform):
        self.platform = platform
        self.stage = "none"
        self.url = None
        self.host = None
        self.last_error = None
        self.events = []

    def url_seen(self, url):
        base, host, op = _url_parts(url)
        if base:
            self.url, self.host = base, host
        return base, op

    def add(self, n, time, kind, stage=None, operation=None, url=None, status=None, error=False, text=""):
        if stage is not None and _RANK[stage] > _RANK[self.stage]:
            self.stage = stage
        if error:
            self.last_error = _cut(text)
        if len(self.events) >= MAX_EVENTS:
            del self.events[0]
        self.events.append({"n": n, "time": time, "kind": kind, "stage": stage, "operation": operation,
                            "url": url, "status": status, "error": error, "text": _cut(text)})

    def result(self):
        return {"platform": self.platform, "stage_reached": self.stage, "ndes_url": self.url,
                "url_host": self.host,
                "uses_msappproxy": bool(self.host and self.host.endswith(MSAPPPROXY_SUFFIX)),
                "last_error": self.last_error, "events": self.events}


# ------------------------------------------------------------------ text logs
def _android_line(t, n, line):
    m = _A_TIME.match(line)
    time = m.group(1) if m else None
    m = _A_RECEIVED.search(line)
    if m:
        code, reason, op, _arg, url = m.groups()
        base, dummy = t.url_seen(_clean_url(url))
        op = _canon_op(op)
        ok = code.startswith("2")
        stage = OPERATION_STAGE.get(op.lower()) if ok else None
        t.add(n, time, "response", stage, op, base, (code + reason).strip(), not ok, line)
        return
    m = _A_SENDING.search(line)
    if m:
        op, _arg, url = m.groups()
        base, dummy = t.url_seen(_clean_url(url))
        op = _canon_op(op)
        t.add(n, time, "request", OPERATION_STAGE.get(op.lower()), op, base, None, False, line)
        return
    m = _A_REQUESTS.search(line)
    if m:
        pending = int(m.group(1))
        t.add(n, time, "requests_pending", "request_queued" if pending else None, None, None,
              str(pending), False, line)
        return
    if _A_ENROLL.search(line):
        t.add(n, time, "enroll_attempt", "request_queued", None, None, None, False, line)
        return
    if _A_SIGNING.search(line):
        # the pkiMessage is enveloped for the RA certificate: GetCACert has answered
        t.add(n, time, "pkimessage_signed", "getcacert", None, None, None, False, line)
        return
    if _A_SEND_CMS.search(line):
        t.add(n, time, "pkimessage_sent", "pkioperation", "PKIOperation", None, None, False, line)
        return
    if _ERROR_RE.search(line):
        t.add(n, time, "error", None, None, None, None, True, line)


def _ios_line(t, n, line):
    m = _I_TIME.match(line)
    time = m.group(1) if m else None
    m = _I_URL.search(line)
    if m:
        base, op = t.url_seen(_clean_url(m.group(1)))
        op = _canon_op(op)
        stage = OPERATION_STAGE.get(op.lower()) if op else None
        t.add(n, time, "request", stage, op, base, None, False, line)
        return
    if _I_RETRIEVE.search(line):
        t.add(n, time, "enroll_attempt", "request_queued", None, None, None, False, line)
        return
    if _I_CSR_GET.search(line):
        t.add(n, time, "csr_sent_get", "csr_sent_get", "PKIOperation", None, None, False, line)
        return
    if _ERROR_RE.search(line):
        t.add(n, time, "error", None, None, None, None, True, line)


def _detect_text_platform(lines):
    android = ios = 0
    for line in lines:
        if ("com.microsoft.omadm" in line or "org.jscep" in line or _A_REQUESTS.search(line)
                or _A_SENDING.search(line)):
            android += 1
        if "Performing synchronous URL request" in line or " profiled " in line or "Sending CSR via GET" in line:
            ios += 1
    if android > ios:
        return "android"
    if ios > android:
        return "ios"
    return "unknown"


# ------------------------------------------------------------------ Windows events
def _local(tag):
    return tag.rsplit("}", 1)[-1]


def _xml_events(text):
    if "<!DOCTYPE" in text or "<!ENTITY" in text:
        raise ValueError("event XML with a DTD is not accepted")
    body = re.sub(r"^\s*<\?xml[^>]*\?>", "", text)
    root = ET.fromstring("<Events>%s</Events>" % body) if not body.lstrip().startswith("<Events") else ET.fromstring(body)
    out = []
    for ev in root.iter():
        if _local(ev.tag) != "Event":
            continue
        rec = {"id": None, "provider": None, "time": None, "level": None, "data": []}
        for el in ev.iter():
            name = _local(el.tag)
            if name == "Provider":
                rec["provider"] = el.get("Name")
            elif name == "EventID" and rec["id"] is None:
                rec["id"] = _int(el.text)
            elif name == "TimeCreated":
                rec["time"] = el.get("SystemTime")
            elif name == "Level" and rec["level"] is None:
                rec["level"] = _int(el.text)
            elif name == "EventData":
                rec["data"].extend((d.get("Name"), (d.text or "").strip())
                                   for d in el if _local(d.tag) == "Data")
        out.append(rec)
    return out


def _int(value):
    if isinstance(value, dict):
        value = value.get("#text", value.get("Value", value.get("value")))
    if value is None or isinstance(value, bool):
        return None
    text = str(value).strip()
    try:
        return int(text, 16) if text.lower().startswith("0x") else int(text)
    except ValueError:
        return None


def _first(d, *keys):
    for k in keys:
        if k in d and d[k] is not None:
            return d[k]
    return None


def _json_event(d):
    system = d.get("System") or d.get("system") or {}
    if not isinstance(system, dict):
        system = {}
    eid = _int(_first(d, "id", "Id", "EventID", "EventId", "event_id"))
    if eid is None:
        eid = _int(_first(system, "EventID", "event_id", "EventId"))
    provider = _first(d, "provider", "ProviderName", "Provider")
    if provider is None:
        provider = _first(system, "Provider", "provider")
    if isinstance(provider, dict):
        provider = _first(provider, "Name", "@Name", "name")
    time = _first(d, "time", "TimeCreated", "time_created")
    if time is None:
        time = _first(system, "TimeCreated", "time_created")
    if isinstance(time, dict):
        time = _first(time, "SystemTime", "@SystemTime")
    if isinstance(time, str):
        m = _MS_DATE.search(time)
        if m:  # Windows PowerShell 5.1 ConvertTo-Json writes dates as \/Date(ms)\/
            time = _dt.datetime.fromtimestamp(int(m.group(1)) / 1000.0, _dt.timezone.utc).isoformat()
    level = _int(_first(d, "level", "Level"))
    data = []
    ed = _first(d, "EventData", "event_data", "eventData")
    props = _first(d, "properties", "Properties")
    if isinstance(ed, dict) and "Data" in ed:
        ed = ed["Data"]
    if isinstance(ed, dict):
        data = [(k, _scalar(v)) for k, v in ed.items()]
    elif isinstance(ed, list):
        for item in ed:
            if isinstance(item, dict):
                data.append((_first(item, "Name", "@Name", "name"), _scalar(_first(item, "#text", "Value", "value", "text"))))
            else:
                data.append((None, _scalar(item)))
    elif isinstance(props, list):
        for item in props:
            data.append((None, _scalar(_first(item, "Value", "value") if isinstance(item, dict) else item)))
    return {"id": eid, "provider": provider, "time": time if isinstance(time, str) else None,
            "level": level, "data": data}


def _scalar(v):
    if v is None:
        return ""
    return v if isinstance(v, str) else str(v)


def _windows(events):
    t = _Triage("windows")
    for n, ev in enumerate(events, 1):
        eid = ev["id"]
        if eid not in WINDOWS_EVENTS:
            continue
        provider = ev.get("provider")
        if provider and "DeviceManagement-Enterprise-Diagnostics-Provider" not in provider:
            continue
        kind, stage, error = WINDOWS_EVENTS[eid]
        values = [v for dummy, v in ev["data"]]
        names = [k for k, dummy in ev["data"]]
        url_index = next((i for i, v in enumerate(values) if _HTTP_URL.match(v or "")), None)
        base = op = None
        if eid == EVENT_REQUEST_GENERATED:
            if url_index is None and len(values) > 1:
                url_index = 1
            if url_index is not None:
                base, op = t.url_seen(values[url_index])
        elif eid == EVENT_SEND_FAILED and url_index is not None:
            base, op = t.url_seen(values[url_index])
        # message-table labels only when the values are in the documented order (URL second)
        positional = eid == EVENT_REQUEST_GENERATED and url_index == 1
        fields = []
        for i, v in enumerate(values):
            if eid == EVENT_REQUEST_GENERATED and i == url_index:
                label = "ndes_url"
            elif positional and i < len(EVENT36_FIELDS):
                label = EVENT36_FIELDS[i]
            else:
                label = names[i] or "%%%d" % (i + 1)
            fields.append("%s=%s" % (label, v))
        text = "event %d %s%s" % (eid, kind, (": " + ", ".join(fields)) if fields else "")
        result = None
        if error and values:
            # the Result insertion string is the last one of these messages
            result = values[-1]
        t.add(n, ev.get("time"), kind, stage, _canon_op(op), base, result, error or ev.get("level") in (1, 2),
              text)
    return t.result()


# ------------------------------------------------------------------ entry point
def _to_text(data):
    if isinstance(data, (bytes, bytearray)):
        data = bytes(data)
        if data.startswith(b"\xff\xfe"):
            return data[2:].decode("utf-16-le", errors="replace")
        if len(data) >= 4 and data[1:2] == b"\x00" and data[3:4] == b"\x00":
            return data.decode("utf-16-le", errors="replace")
        return data.decode("utf-8-sig", errors="replace")
    return data


def _events_from(data):
    """Windows events from XML/JSON text or parsed JSON, or None when data is not events."""
    if isinstance(data, dict):
        return [_json_event(data)]
    if isinstance(data, list) and data and all(isinstance(x, dict) for x in data):
        return [_json_event(x) for x in data]
    if isinstance(data, str):
        s = data.lstrip("\ufeff").lstrip()
        if s.startswith("<"):
            return _xml_events(s)
        if s.startswith("{") or s.startswith("["):
            try:
                parsed = json.loads(s)
            except ValueError:
                return None
            if isinstance(parsed, dict) and isinstance(parsed.get("events"), list):
                parsed = parsed["events"]
            return _events_from(parsed) if isinstance(parsed, (dict, list)) else None
    return None


def analyze_device_log(data, platform=None):
    """Triage a device log; ``platform`` (android | ios | windows) skips detection."""
    data = _to_text(data)
    events = _events_from(data)
    if events is not None or platform == "windows":
        return _windows(events or [])
    if isinstance(data, str):
        lines = data.lstrip("\ufeff").splitlines()
    else:
        lines = [(_to_text(x) if isinstance(x, (bytes, bytearray)) else x).rstrip("\r\n") for x in data]
    if platform is None:
        platform = _detect_text_platform(lines)
    t = _Triage(platform)
    handler = _ios_line if platform == "ios" else _android_line if platform == "android" else None
    if handler is None:
        # unknown: try both key-string sets
        for n, line in enumerate(lines, 1):
            before = len(t.events)
            _android_line(t, n, line)
            if len(t.events) == before:
                _ios_line(t, n, line)
        return t.result()
    for n, line in enumerate(lines, 1):
        handler(t, n, line)
    return t.result()
