# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The log window of ndes.scep.iis_log: what to read from the host (one request) and how to summarise it as it streams.

``window(hours=24, since=None, until=None, now=None) -> (since, until)``
    aware UTC datetimes; ``until`` None = open ended. ``since`` wins over
    ``hours``; without ``since`` the window is the ``hours`` before ``until``
    (or before ``now``). Raises ValueError with a message that says what to fix.

``max_files_for(since, until=None, now=None) -> int``
    files of each kind to read when the user gives none: one per day the window
    touches plus one (IIS rolls its W3C log daily by default), at most
    ``MAX_FILES_CAP``.

``log_ops(site, since, max_bytes, max_files, httperr_dir=HTTPERR_DIR) -> [(id, kind, args)]``
    the reads of ONE agent request: ``iis_sites`` (the site's id, log folder
    and format), the site's W3C folder through the ``@site_log_folder:``
    placeholder (the agent resolves the folder on the host: never a
    hard-coded ``W3SVC1``) and the HTTPERR folder, each a ``file_tail`` with
    ``since`` / ``max_bytes`` / ``max_files``.

``add_log_ops(ops, site, since, ...) -> [(id, kind, args)]``
    ``ops`` followed by those of ``log_ops`` (same arguments) whose ids they do
    not already hold (``iis_sites`` is also a facts read): one request for
    facts and log window (``diagnose``).

``summarize_results(results, site, since, until, scep_pool) -> dict``
    parses the file tails by their ``#Fields`` headers as they stream
    (``content`` is dropped from each file once read; no list of records is
    ever built) into ``log_summary.summarize_logs``. Returns ``{summary, files,
    parse, timeline, site, warnings, failed_reads}``; see plugins/modules/iis_log.py.
"""
from __future__ import annotations

import datetime as _dt
import math
import re

from ansible_collections.ndes.scep.plugins.module_utils._agent import contract
from ansible_collections.ndes.scep.plugins.module_utils._formats import w3c
from ansible_collections.ndes.scep.plugins.module_utils._ndes import log_summary

HTTPERR_DIR = "C:\\Windows\\System32\\LogFiles\\HTTPERR"
DEFAULT_HOURS = 24
DEFAULT_MAX_BYTES = 4 * 1024 * 1024
# The first bytes of a truncated file, for its directive block (#Software .. #Fields: a few hundred bytes).
HEAD_BYTES = 8192
MAX_FILES_CAP = 31
W3C_OP = "w3c_log"
HTTPERR_OP = "httperr_log"
SITES_OP = "iis_sites"
# W3C lines that can be NDES traffic (case-insensitive substrings); every other line is counted, not parsed.
W3C_PREFILTER = ("/mscep/mscep.dll", "/certificateregistrationsvc")
STAT_KEYS = ("lines", "records", "prefiltered", "blank", "directives", "header_blocks", "field_changes")
MAX_FIELD_LISTS = 8

_UTC = _dt.timezone.utc
_FIELDS_LINE = re.compile(r"^#Fields:[ \t]*(.*?)\r?$", re.MULTILINE)


def _utc(value, name):
    try:
        return log_summary.to_utc(value)
    except (TypeError, ValueError):
        raise ValueError("%s %r is not a date and time: give ISO-8601, e.g. 2026-11-25T08:00:00Z "
                         "(no zone = UTC)" % (name, value))


def window(hours=DEFAULT_HOURS, since=None, until=None, now=None):
    """(since, until) of the log window as aware UTC datetimes; see the module docstring."""
    now = _utc(now, "now") if now is not None else _dt.datetime.now(_UTC)
    until_dt = _utc(until, "until") if until not in (None, "") else None
    if since not in (None, ""):
        since_dt = _utc(since, "since")
    else:
        if hours is None or hours <= 0:
            raise ValueError("hours must be a positive number of hours (got %r), or give since" % (hours,))
        since_dt = (until_dt or now) - _dt.timedelta(hours=hours)
    if until_dt is not None and since_dt > until_dt:
        raise ValueError("the window is empty: since %s is after until %s" % (_iso(since_dt), _iso(until_dt)))
    return since_dt, until_dt


def max_files_for(since, until=None, now=None):
    """One file per day the window touches, plus one; at most MAX_FILES_CAP."""
    end = until or now or _dt.datetime.now(_UTC)
    days = max(0.0, (end - since).total_seconds()) / 86400.0
    return max(1, min(MAX_FILES_CAP, int(math.ceil(days)) + 1))


def _iso(value):
    return value.astimezone(_UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if value is not None else None


def log_ops(site, since, max_bytes=DEFAULT_MAX_BYTES, max_files=2, httperr_dir=HTTPERR_DIR):
    """The reads of one agent request: the site record, its W3C log tails and the HTTPERR tails."""
    common = {"max_bytes": int(max_bytes), "max_files": int(max_files), "head_bytes": HEAD_BYTES}
    if since is not None:
        common["since"] = _iso(since)
    w3c_args = dict(common, directory=contract.placeholder("site_log_folder", site), pattern="*.log")
    httperr_args = dict(common, directory=httperr_dir, pattern="httperr*.log")
    return [(SITES_OP, "iis_sites", {}), (W3C_OP, "file_tail", w3c_args), (HTTPERR_OP, "file_tail", httperr_args)]


def add_log_ops(ops, site, since, max_bytes=DEFAULT_MAX_BYTES, max_files=2, httperr_dir=HTTPERR_DIR):
    """``ops`` and the reads of ``log_ops`` they do not hold yet (an op id appears once in a request)."""
    have = {op[0] for op in ops}
    return list(ops) + [op for op in log_ops(site, since, max_bytes, max_files, httperr_dir) if op[0] not in have]


# ------------------------------------------------------------------ streaming parse
def _new_stats():
    out = dict.fromkeys(STAT_KEYS, 0)
    out.update(files=0, malformed={"field_count": 0, "bad_date": 0, "no_fields": 0}, malformed_total=0,
               kinds=[], fields=[], assumed_fields=0)
    return out


def _merge(agg, stats, assumed):
    agg["files"] += 1
    for key in STAT_KEYS:
        agg[key] += stats[key]
    for key, value in stats["malformed"].items():
        agg["malformed"][key] = agg["malformed"].get(key, 0) + value
    agg["malformed_total"] = sum(agg["malformed"].values())
    if stats["kind"] and stats["kind"] not in agg["kinds"]:
        agg["kinds"].append(stats["kind"])
    for header in stats["headers"]:
        fields = list(header["fields"] or [])
        if fields and fields not in agg["fields"] and len(agg["fields"]) < MAX_FIELD_LISTS:
            agg["fields"].append(fields)
    if assumed:
        agg["assumed_fields"] += 1


def _starts_with_data(content):
    """True when the text has a data line before its first directive (a tail cut after its header)."""
    for line in content.split("\n", 8):
        text = line.strip("\r\ufeff")
        if text:
            return not text.startswith("#")
    return False


def _first_fields(content):
    match = _FIELDS_LINE.search(content)
    return tuple(match.group(1).split()) if match else None


def _last_fields(content):
    fields = None
    for match in _FIELDS_LINE.finditer(content or ""):
        fields = tuple(match.group(1).split())
    return fields or None


def _file_entry(kind, item):
    return {"kind": kind, "path": item.get("path"), "size": item.get("size"), "modified": item.get("modified"),
            "offset": item.get("offset"), "truncated": bool(item.get("truncated")),
            "bytes_read": 0, "assumed_fields": False, "fields_from": None, "first_record": None}


def _stream(kind, items, agg, entries, prefilter):
    """Records of every file tail, oldest first; drops each file's content once it is read."""
    last_fields = None
    for item in items:
        entry = _file_entry(kind, item)
        entries.append(entry)
        content = item.pop("content", None) or ""
        fields = None
        head = item.pop("head", None)
        if content and _starts_with_data(content):
            # The header of this file is before the part read. Its own header (the agent sends the file's
            # first bytes as ``head``) comes first; else the field list in force at the end of the previous
            # file, else the next #Fields of this tail (IIS writes the same list each time logging restarts
            # unless the site's logging configuration changed).
            fields = _last_fields(head)
            entry["fields_from"] = "head" if fields else None
            if fields is None and last_fields:
                fields, entry["fields_from"] = last_fields, "previous_file"
            if fields is None:
                fields = _first_fields(content)
                entry["fields_from"] = "later_header" if fields else None
            entry["assumed_fields"] = entry["fields_from"] in ("previous_file", "later_header")
        data = content.encode("utf-8")
        entry["bytes_read"] = len(data)
        del content
        reader = w3c.W3CReader(data, prefilter=prefilter, fields=fields)
        first = None
        for record in reader:
            if first is None and record.timestamp is not None:
                first = record.timestamp
            yield record
        entry["first_record"] = _iso(first)
        del data
        stats = reader.stats.as_dict()
        _merge(agg, stats, entry["assumed_fields"])
        if stats["headers"] and stats["headers"][-1]["fields"]:
            last_fields = tuple(stats["headers"][-1]["fields"])
        elif fields:
            last_fields = fields


def _oldest_first(items):
    return sorted(items, key=lambda f: (f.get("modified") or "", f.get("path") or ""))


class _Timeline:
    """mscep.dll requests per UTC hour inside the window (tapped off the W3C stream)."""

    def __init__(self, since, until):
        self.since, self.until = since, until
        self.hours = {}

    def tap(self, records):
        for rec in records:
            ts = getattr(rec, "timestamp", None)
            if ts is not None and log_summary.is_mscep_path(rec.get("cs-uri-stem")) and \
                    (self.since is None or ts >= self.since) and (self.until is None or ts <= self.until):
                hour = ts.replace(minute=0, second=0, microsecond=0)
                bucket = self.hours.setdefault(hour, [0, 0])
                bucket[0] += 1
                try:
                    if int(rec.get("sc-status") or 0) >= 400:
                        bucket[1] += 1
                except ValueError:
                    pass
            yield rec

    def result(self):
        return [{"hour": _iso(hour), "requests": counts[0], "errors": counts[1]}
                for hour, counts in sorted(self.hours.items())]


def _site_record(results, site):
    data = (results.get(SITES_OP) or {}).get("data") or {}
    for record in data.get("sites") or []:
        if (record.get("name") or "").lower() == site.lower():
            return record
    return None


def _known_sites(results):
    data = (results.get(SITES_OP) or {}).get("data") or {}
    return sorted(s.get("name") for s in data.get("sites") or [] if s.get("name"))


def summarize_results(results, site, since, until, scep_pool="SCEP"):
    """Summary of the agent's answers to ``log_ops``; see the module docstring.

    ``failed_reads`` lists ``{id, code, message}`` of reads that failed; the
    caller decides which of them make the task fail (an unknown site does).
    """
    warnings, failed = [], []
    site_rec = _site_record(results, site)
    sources = {}
    for op_id in (W3C_OP, HTTPERR_OP):
        result = results.get(op_id) or {}
        if result.get("status") == contract.STATUS_OK:
            sources[op_id] = result.get("data") or {}
        else:
            error = result.get("error") or {"code": "not_run", "message": "no answer"}
            failed.append({"id": op_id, "code": error.get("code"), "message": error.get("message")})
            sources[op_id] = None
    if site_rec is not None and (site_rec.get("log_format") or "W3C").upper() != "W3C":
        warnings.append("site %s logs in the %s format, not W3C: its log cannot be summarised; set the site's "
                        "log format to W3C (IIS Manager > Logging)" % (site, site_rec.get("log_format")))
    for item in failed:
        what = "the W3C log of site %s" % site if item["id"] == W3C_OP else "the HTTPERR log"
        warnings.append("%s was not read (%s: %s)" % (what, item["code"], item["message"]))

    entries = []
    w3c_stats, httperr_stats = _new_stats(), _new_stats()
    timeline = _Timeline(since, until)
    w3c_records = httperr_records = None
    if sources[W3C_OP] is not None:
        w3c_records = timeline.tap(_stream("w3c", _oldest_first(sources[W3C_OP].get("files") or []),
                                           w3c_stats, entries, W3C_PREFILTER))
    if sources[HTTPERR_OP] is not None:
        httperr_records = _stream("httperr", _oldest_first(sources[HTTPERR_OP].get("files") or []),
                                  httperr_stats, entries, None)
    summary = log_summary.summarize_logs(
        w3c=w3c_records, httperr=httperr_records, since=since, until=until, scep_pool=scep_pool,
        w3c_stats=w3c_stats if w3c_records is not None else None,
        httperr_stats=httperr_stats if httperr_records is not None else None)

    for entry in entries:
        # a cut file matters only when the part read starts after the window does
        if entry["truncated"] and (since is None or entry["first_record"] is None or
                                   log_summary.to_utc(entry["first_record"]) > since):
            warnings.append("only the last %d bytes of %s (%d bytes) were read and they start at %s, after the "
                            "window starts: raise max_bytes to cover the whole window" % (
                                entry["bytes_read"], entry["path"], entry["size"] or 0,
                                entry["first_record"] or "no record"))
    for name, stats in (("W3C", w3c_stats), ("HTTPERR", httperr_stats)):
        if stats["malformed"]["no_fields"]:
            warnings.append("%d %s line(s) came before any #Fields header and were not read" % (
                stats["malformed"]["no_fields"], name))

    folder = ((sources[W3C_OP] or {}).get("resolved") or {}).get("directory")
    site_out = {"name": site, "id": site_rec.get("id") if site_rec else None,
                "log_folder": folder, "log_format": site_rec.get("log_format") if site_rec else None,
                "known_sites": _known_sites(results)}
    parse = {"w3c": w3c_stats if w3c_records is not None else None,
             "httperr": httperr_stats if httperr_records is not None else None}
    return {"summary": summary, "files": entries, "parse": parse, "timeline": timeline.result(),
            "site": site_out, "warnings": warnings, "failed_reads": failed}


def unknown_site(summary_result):
    """The failed W3C read when it failed because the site does not exist (placeholder not resolved)."""
    for item in summary_result["failed_reads"]:
        if item["id"] == W3C_OP and item["code"] == "not_found" and (item["message"] or "").startswith("placeholder"):
            return item
    return None
