# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""NDES summaries of IIS W3C and HTTP.sys HTTPERR records: SCEP traffic, answers, and signals mapped to FAULTS.md ids.

Records are what ``_formats.w3c.W3CReader`` yields (``{field: str | None}``
with a ``timestamp`` attribute) or plain dicts with ``date`` / ``time``.
Summaries are accumulated record by record (constant memory), so any number of
files can be fed to one summary. Times are UTC ISO-8601 strings
(``2025-06-11T08:14:02+00:00``); ``since`` / ``until`` are ``datetime`` (naive
= UTC) or ISO strings, both inclusive.

Functions
---------
``summarize_w3c(records, since=None, until=None, parse_stats=None) -> dict``::

    {"source": "w3c",
     "records": int,                 # records seen in the window (after any prefilter)
     "outside_window": int, "untimed": int,
     "first": str | None, "last": str | None,     # records in the window
     "mscep": TRAFFIC,               # requests to /certsrv/mscep/mscep.dll[/pkiclient.exe]
     "certreg": TRAFFIC,             # requests to /CertificateRegistrationSvc/...
     "signals": [SIGNAL, ...],
     "no_mscep_requests": bool,      # no mscep.dll request in the window
     "parse": dict | None}           # the reader's stats.as_dict(), when given

``summarize_httperr(records, since=None, until=None, scep_pool="SCEP", parse_stats=None) -> dict``::

    {"source": "httperr", "records", "outside_window", "untimed", "first", "last",
     "mscep": TRAFFIC,               # HTTPERR lines whose cs-uri is mscep.dll
     "by_reason": {s-reason: int}, "by_queue": {s-queuename: int},
     "signals": [SIGNAL, ...], "parse": dict | None}

``summarize_logs(w3c=None, httperr=None, since=None, until=None, scep_pool="SCEP",
w3c_stats=None, httperr_stats=None) -> dict``::

    {"window": {"since": str | None, "until": str | None},
     "w3c": W3C summary | None, "httperr": HTTPERR summary | None,
     "signals": [SIGNAL, ...],       # both sources, ordered by fault then signal
     "faults": [fault id, ...],      # distinct, sorted
     "no_mscep_requests": bool | None}   # None when no W3C log was read

``TRAFFIC``::

    {"requests": int, "first": str | None, "last": str | None,
     "by_operation": {op: int},      # GetCACaps | GetCACert | PKIOperation | ... | "none"
     "by_status": {"500.0.1346": int},   # sc-status.sc-substatus.sc-win32-status, "-" when not logged
     "by_platform": {"windows": int, "android": int, "ios": int, "other": int},
     "by_operation_status": {op: {status: int}},
     "by_path": {cs-uri-stem: int}}  # at most MAX_KEYS distinct paths (then "(other)")

``SIGNAL`` (only signals that fired are listed)::

    {"signal": str, "fault": str, "source": "w3c" | "httperr", "count": int,
     "first": str | None, "last": str | None,
     "example": {"line_no", "time", "method", "uri", "status", "reason", "queue",
                 "client", "user_agent"} | None}

Signals:

* ``mscep_500_1346`` -> ``IMPERSONATE_RIGHT``: a 500 on mscep.dll with
  sc-win32-status 1346 (ERROR_BAD_IMPERSONATION_LEVEL).
* ``request_filtering_404_14_15`` -> ``REQUEST_LIMITS``: 404.14 (maxUrl) or
  404.15 (maxQueryString) on mscep.dll.
* ``httperr_scep_pool_503`` -> ``APP_POOL_STOPPED``: HTTPERR reason
  AppOffline / Disabled / AppPoolTimer / QueueFull with s-queuename = the SCEP
  pool (case-insensitive).
* ``httperr_length_limit`` -> ``HTTPSYS_LIMITS``: HTTPERR reason URL_Length /
  FieldLength / RequestLength (any URI: HTTP.sys does not log the URI of a
  URL_Length rejection).
* ``no_mscep_requests`` -> ``NETWORK_BLOCKED`` (count 0, no example): no
  mscep.dll request in the W3C window. Evidence only; the fault needs device or
  outside-probe attempts as well.

Reading HTTPERR logs, use no prefilter (URL_Length lines carry no URI).

``select_log_files(files, since=None, until=None, slack_hours=14, max_files=None) -> [dict]``:
which files to read for a window, from listings (contract ``file`` records or
``{"path" | "name", "modified", "size"?}``); see its docstring.

Helpers: ``classify_user_agent(ua)``, ``operation_of(query)``,
``status_key(record)``, ``is_mscep_path(path)``, ``is_certreg_path(path)``,
``to_utc(value)`` (datetime / ISO string / epoch seconds -> aware UTC).
"""
from __future__ import annotations

import datetime as _dt
import re

IMPERSONATE_RIGHT = "IMPERSONATE_RIGHT"
APP_POOL_STOPPED = "APP_POOL_STOPPED"
HTTPSYS_LIMITS = "HTTPSYS_LIMITS"
REQUEST_LIMITS = "REQUEST_LIMITS"
NETWORK_BLOCKED = "NETWORK_BLOCKED"

SIG_IMPERSONATE = "mscep_500_1346"
SIG_REQUEST_FILTERING = "request_filtering_404_14_15"
SIG_POOL_503 = "httperr_scep_pool_503"
SIG_LENGTH = "httperr_length_limit"
SIG_NO_MSCEP = "no_mscep_requests"

POOL_REASONS = ("AppOffline", "Disabled", "AppPoolTimer", "QueueFull")
LENGTH_REASONS = ("URL_Length", "FieldLength", "RequestLength")
PLATFORMS = ("windows", "android", "ios", "other")
KNOWN_OPERATIONS = {"getcacaps": "GetCACaps", "getcacert": "GetCACert", "getnextcacert": "GetNextCACert",
                    "pkioperation": "PKIOperation"}
MAX_KEYS = 200

_UTC = _dt.timezone.utc
_FRACTION = re.compile(r"\.(\d+)(?=[+-]\d{2}:?\d{2}$|$)")


# ------------------------------------------------------------------ helpers
def to_utc(value):
    """datetime (naive = UTC) or ISO string -> aware UTC datetime; None stays None."""
    if value is None:
        return None
    if isinstance(value, str):
        text = value.strip()
        if text.endswith("Z") or text.endswith("z"):
            text = text[:-1] + "+00:00"
        # .NET round-trip times carry 7 fractional digits; Python 3.10 takes 3 or 6
        text = _FRACTION.sub(lambda m: "." + (m.group(1) + "000000")[:6], text)
        value = _dt.datetime.fromisoformat(text)
    if isinstance(value, (int, float)):
        return _dt.datetime.fromtimestamp(value, _UTC)
    if value.tzinfo is None:
        return value.replace(tzinfo=_UTC)
    return value.astimezone(_UTC)


def _iso(value):
    return value.isoformat() if value is not None else None


def classify_user_agent(ua):
    """windows (NDES client) | android (Dalvik) | ios (CFNetwork / Darwin) | other; ``+`` or spaces alike."""
    if not ua:
        return "other"
    text = ua.replace("+", " ")
    if "NDES client" in text:
        return "windows"
    if "Dalvik" in text:
        return "android"
    if "CFNetwork" in text or "Darwin" in text:
        return "ios"
    return "other"


def operation_of(query):
    """The ``operation=`` value of a raw query (known names in canonical case), or ``"none"``."""
    if query:
        for part in query.split("&"):
            key, dummy, value = part.partition("=")
            if key.lower() == "operation":
                return KNOWN_OPERATIONS.get(value.lower(), value or "none")
    return "none"


def is_mscep_path(path):
    return bool(path) and "/mscep/mscep.dll" in path.lower()


def is_certreg_path(path):
    return bool(path) and path.lower().startswith("/certificateregistrationsvc")


def status_key(rec):
    """``sc-status.sc-substatus.sc-win32-status`` (``-`` for a field not logged or empty)."""
    return "%s.%s.%s" % (rec.get("sc-status") or "-", rec.get("sc-substatus") or "-",
                         rec.get("sc-win32-status") or "-")


def _timestamp(rec):
    ts = getattr(rec, "timestamp", None)
    if ts is not None:
        return ts
    d, t = rec.get("date"), rec.get("time")
    if not d or not t:
        return None
    try:
        return _dt.datetime.strptime("%s %s" % (d, t[:8]), "%Y-%m-%d %H:%M:%S").replace(tzinfo=_UTC)
    except ValueError:
        return None


def _bump(counter, key, n=1):
    if key not in counter and len(counter) >= MAX_KEYS:
        key = "(other)"
    counter[key] = counter.get(key, 0) + n


# ------------------------------------------------------------------ accumulators
class _Traffic:
    def __init__(self):
        self.requests = 0
        self.first = self.last = None
        self.by_operation = {}
        self.by_status = {}
        self.by_platform = dict.fromkeys(PLATFORMS, 0)
        self.by_operation_status = {}
        self.by_path = {}

    def add(self, ts, op, status, platform, path):
        self.requests += 1
        if ts is not None:
            if self.first is None or ts < self.first:
                self.first = ts
            if self.last is None or ts > self.last:
                self.last = ts
        _bump(self.by_operation, op)
        _bump(self.by_status, status)
        self.by_platform[platform] += 1
        if op not in self.by_operation_status and len(self.by_operation_status) >= MAX_KEYS:
            op = "(other)"
        _bump(self.by_operation_status.setdefault(op, {}), status)
        _bump(self.by_path, path or "-")

    def result(self):
        return {"requests": self.requests, "first": _iso(self.first), "last": _iso(self.last),
                "by_operation": dict(sorted(self.by_operation.items())),
                "by_status": dict(sorted(self.by_status.items())),
                "by_platform": dict(self.by_platform),
                "by_operation_status": {k: dict(sorted(v.items()))
                                        for k, v in sorted(self.by_operation_status.items())},
                "by_path": dict(sorted(self.by_path.items()))}


class _Signal:
    def __init__(self, signal, fault, source):
        self.signal, self.fault, self.source = signal, fault, source
        self.count = 0
        self.first = self.last = None
        self.example = None

    def hit(self, ts, example):
        self.count += 1
        if ts is not None:
            if self.first is None or ts < self.first:
                self.first = ts
            if self.last is None or ts > self.last:
                self.last = ts
        if self.example is None:
            self.example = example

    def result(self):
        return {"signal": self.signal, "fault": self.fault, "source": self.source, "count": self.count,
                "first": _iso(self.first), "last": _iso(self.last), "example": self.example}


def _example(rec, ts, uri, status):
    return {"line_no": getattr(rec, "line_no", None), "time": _iso(ts), "method": rec.get("cs-method"),
            "uri": (uri[:200] if uri else uri), "status": status, "reason": rec.get("s-reason"),
            "queue": rec.get("s-queuename"), "client": rec.get("c-ip"),
            "user_agent": rec.get("cs(User-Agent)")}


class _Window:
    def __init__(self, since, until):
        self.since = to_utc(since)
        self.until = to_utc(until)
        self.records = self.outside = self.untimed = 0
        self.first = self.last = None

    def admit(self, ts):
        """True when a record at ``ts`` is in the window (and counts it)."""
        if ts is None:
            if self.since is not None or self.until is not None:
                self.untimed += 1
                return False
        elif (self.since is not None and ts < self.since) or (self.until is not None and ts > self.until):
            self.outside += 1
            return False
        self.records += 1
        if ts is not None:
            if self.first is None or ts < self.first:
                self.first = ts
            if self.last is None or ts > self.last:
                self.last = ts
        return True

    def result(self):
        return {"records": self.records, "outside_window": self.outside, "untimed": self.untimed,
                "first": _iso(self.first), "last": _iso(self.last)}


# ------------------------------------------------------------------ summaries
def summarize_w3c(records, since=None, until=None, parse_stats=None):
    """Summary of IIS site-log records; see the module docstring."""
    win = _Window(since, until)
    mscep, certreg = _Traffic(), _Traffic()
    s1346 = _Signal(SIG_IMPERSONATE, IMPERSONATE_RIGHT, "w3c")
    s404 = _Signal(SIG_REQUEST_FILTERING, REQUEST_LIMITS, "w3c")
    for rec in records:
        ts = _timestamp(rec)
        if not win.admit(ts):
            continue
        path = rec.get("cs-uri-stem")
        if is_mscep_path(path):
            status = status_key(rec)
            query = rec.get("cs-uri-query")
            mscep.add(ts, operation_of(query), status,
                      classify_user_agent(rec.get("cs(User-Agent)")), path)
            code = rec.get("sc-status")
            if code == "500" and rec.get("sc-win32-status") == "1346":
                s1346.hit(ts, _example(rec, ts, path, status))
            elif code == "404" and rec.get("sc-substatus") in ("14", "15"):
                s404.hit(ts, _example(rec, ts, path, status))
        elif is_certreg_path(path):
            certreg.add(ts, operation_of(rec.get("cs-uri-query")), status_key(rec),
                        classify_user_agent(rec.get("cs(User-Agent)")), path)
    signals = [s.result() for s in (s1346, s404) if s.count]
    no_mscep = mscep.requests == 0
    if no_mscep:
        signals.append(_Signal(SIG_NO_MSCEP, NETWORK_BLOCKED, "w3c").result())
    out = {"source": "w3c"}
    out.update(win.result())
    out.update({"mscep": mscep.result(), "certreg": certreg.result(), "signals": signals,
                "no_mscep_requests": no_mscep, "parse": parse_stats})
    return out


def summarize_httperr(records, since=None, until=None, scep_pool="SCEP", parse_stats=None):
    """Summary of HTTP.sys HTTPERR records; see the module docstring."""
    win = _Window(since, until)
    mscep = _Traffic()
    by_reason, by_queue = {}, {}
    pool = (scep_pool or "").lower()
    s503 = _Signal(SIG_POOL_503, APP_POOL_STOPPED, "httperr")
    slen = _Signal(SIG_LENGTH, HTTPSYS_LIMITS, "httperr")
    for rec in records:
        ts = _timestamp(rec)
        if not win.admit(ts):
            continue
        reason = rec.get("s-reason") or "-"
        queue = rec.get("s-queuename")
        _bump(by_reason, reason)
        _bump(by_queue, queue or "-")
        uri = rec.get("cs-uri")
        path, dummy, query = (uri or "").partition("?")
        status = status_key(rec)
        if is_mscep_path(path):
            mscep.add(ts, operation_of(query), status, classify_user_agent(rec.get("cs(User-Agent)")), path)
        if reason in POOL_REASONS and queue is not None and queue.lower() == pool:
            s503.hit(ts, _example(rec, ts, uri, status))
        elif reason in LENGTH_REASONS:
            slen.hit(ts, _example(rec, ts, uri, status))
    out = {"source": "httperr"}
    out.update(win.result())
    out.update({"mscep": mscep.result(), "by_reason": dict(sorted(by_reason.items())),
                "by_queue": dict(sorted(by_queue.items())),
                "signals": [s.result() for s in (s503, slen) if s.count], "parse": parse_stats})
    return out


def summarize_logs(w3c=None, httperr=None, since=None, until=None, scep_pool="SCEP",
                   w3c_stats=None, httperr_stats=None):
    """Both summaries and their signals together; see the module docstring."""
    w = summarize_w3c(w3c, since, until, w3c_stats) if w3c is not None else None
    h = summarize_httperr(httperr, since, until, scep_pool, httperr_stats) if httperr is not None else None
    signals = (w["signals"] if w else []) + (h["signals"] if h else [])
    signals.sort(key=lambda s: (s["fault"], s["signal"]))
    return {"window": {"since": _iso(to_utc(since)), "until": _iso(to_utc(until))},
            "w3c": w, "httperr": h, "signals": signals,
            "faults": sorted({s["fault"] for s in signals}),
            "no_mscep_requests": w["no_mscep_requests"] if w else None}


# ------------------------------------------------------------------ file selection
_W3C_NAME = re.compile(r"^u?_?ex(\d{2})(\d{2})(\d{2})?(\d{2})?(?:_x)?\.log$", re.IGNORECASE)
_W3C_SIZE_NAME = re.compile(r"^u?_?extend(\d+)\.log$", re.IGNORECASE)
_HTTPERR_NAME = re.compile(r"^httperr(\d+)\.log$", re.IGNORECASE)


def _basename(path):
    return re.split(r"[\\/]", path)[-1]


def _name_period(name):
    """(start, end) UTC of a time-named IIS log, or None (size-rolled or unknown name)."""
    m = _W3C_NAME.match(name)
    if not m:
        return None
    yy, mm, dd, hh = m.groups()
    year, month = 2000 + int(yy), int(mm)
    try:
        if dd is None:
            start = _dt.datetime(year, month, 1, tzinfo=_UTC)
            end = _dt.datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=_UTC)
        elif hh is None:
            start = _dt.datetime(year, month, int(dd), tzinfo=_UTC)
            end = start + _dt.timedelta(days=1)
        else:
            start = _dt.datetime(year, month, int(dd), int(hh), tzinfo=_UTC)
            end = start + _dt.timedelta(hours=1)
    except ValueError:
        return None
    return start, end


def select_log_files(files, since=None, until=None, slack_hours=14, max_files=None):
    """Files to read for the window [since, until]: httperr files, then w3c files, each oldest first.

    ``files``: dicts with ``path`` (or ``name``) and ``modified`` (ISO string,
    datetime or epoch seconds), optionally ``size``. Rules:

    * ``u_exYYMMDD.log`` (daily), ``u_exYYMMDDHH.log`` (hourly), ``u_exYYMM.log``
      (monthly), also ``exYYMMDD.log``: the period in the name (UTC, widened by
      ``slack_hours`` for servers that name files in local time) must overlap
      the window, and the file must have been modified at or after ``since``
      (the period ends at the modification time when that is later: weekly
      ``u_exYYMMWW.log`` names have the same shape as daily ones);
    * ``httperrN.log`` and size-rolled ``u_extendN.log``: a file holds entries
      from the previous file's modification time (of the same kind) to its own:
      that span must overlap the window;
    * other names are left out.

    Returns ``[{"path", "kind": "w3c" | "httperr", "modified", "period_start",
    "period_end", "size"}]`` (times ISO UTC; ``period_start`` None when unknown);
    with ``max_files`` only the newest ``max_files`` of each kind are kept.
    """
    lo, hi = to_utc(since), to_utc(until)
    slack = _dt.timedelta(hours=slack_hours)
    chosen = []
    rolled = {"httperr": [], "w3c": []}
    for f in files:
        path = f.get("path") or f.get("name")
        if not path:
            continue
        name = _basename(path)
        modified = to_utc(f.get("modified"))
        entry = {"path": path, "kind": None, "modified": modified, "period_start": None,
                 "period_end": None, "size": f.get("size")}
        period = _name_period(name)
        if period is not None:
            # a file written after its named period (weekly u_exYYMMWW names look daily) ends at its mtime
            end = max(period[1], modified) if modified is not None else period[1]
            entry.update(kind="w3c", period_start=period[0], period_end=end)
            if hi is not None and period[0] - slack > hi:
                continue
            if lo is not None and end + slack < lo:
                continue
            if lo is not None and modified is not None and modified < lo:
                continue
            chosen.append(entry)
        elif _HTTPERR_NAME.match(name):
            entry["kind"] = "httperr"
            rolled["httperr"].append(entry)
        elif _W3C_SIZE_NAME.match(name):
            entry["kind"] = "w3c"
            rolled["w3c"].append(entry)
    epoch = _dt.datetime.min.replace(tzinfo=_UTC)
    for kind, entries in rolled.items():
        entries.sort(key=lambda e: (e["modified"] or epoch, e["path"]))
        prev = None
        for e in entries:
            e["period_start"] = prev
            e["period_end"] = e["modified"]
            prev = e["modified"]
            if lo is not None and e["modified"] is not None and e["modified"] < lo:
                continue
            if hi is not None and e["period_start"] is not None and e["period_start"] > hi:
                continue
            chosen.append(e)
    if max_files is not None:
        kept = []
        for kind in ("w3c", "httperr"):
            group = [e for e in chosen if e["kind"] == kind]
            group.sort(key=lambda e: (e["period_end"] or e["modified"] or epoch))
            kept.extend(group[-max_files:] if max_files > 0 else [])
        chosen = kept
    chosen.sort(key=lambda e: (e["kind"], e["period_start"] or epoch, e["modified"] or epoch, e["path"]))
    return [dict(e, modified=_iso(e["modified"]), period_start=_iso(e["period_start"]),
                 period_end=_iso(e["period_end"])) for e in chosen]
