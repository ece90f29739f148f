# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Log files of the lab in their real formats: IIS W3C site logs, HTTP.sys HTTPERR logs, SetupMsi.log."""
from __future__ import annotations

import codecs
import os
from string import Template

from ansible_collections.ndes.scep.plugins.module_utils._formats import w3c
from ansible_collections.ndes.scep.plugins.module_utils._lab import iis, layout, templates

IIS_FIELDS = ("date", "time", "s-ip", "cs-method", "cs-uri-stem", "cs-uri-query", "s-port", "cs-username",
              "c-ip", "cs(User-Agent)", "cs(Referer)", "sc-status", "sc-substatus", "sc-win32-status",
              "time-taken")
HTTPERR_FIELDS = ("date", "time", "c-ip", "c-port", "s-ip", "s-port", "cs-version", "cs-method", "cs-uri",
                  "streamid", "sc-status", "s-siteid", "s-reason", "s-queuename")


def site_log_dir(root, site_id=1):
    """Windows path of a site's W3C log folder (``<logFile directory>\\W3SVC<id>``)."""
    for site in iis.sites(root):
        if site["id"] == site_id:
            return site["log_directory_expanded"].rstrip("\\") + "\\W3SVC%d" % site_id
    return layout.W3C_LOG_ROOT + "\\W3SVC%d" % site_id


def _append(filename, software, fields, records, when):
    """Append records; a new file starts with the directive block, as IIS and HTTP.sys do."""
    lines = []
    if not os.path.exists(filename):
        lines.extend(w3c.header_lines(software, fields, when))
    lines.extend(w3c.format_record(fields, r) for r in records)
    os.makedirs(os.path.dirname(filename), exist_ok=True)
    with open(filename, "ab") as handle:
        handle.write("".join(line + "\r\n" for line in lines).encode("utf-8"))
    return filename


def _stamp(record, when):
    record.setdefault("date", when.strftime("%Y-%m-%d"))
    record.setdefault("time", when.strftime("%H:%M:%S"))
    return record


def w3c_append(root, records, when=None, site_id=1):
    """Write IIS site log rows (dicts by field name; ``when`` in each or given) to u_exYYMMDD.log."""
    by_file = {}
    records = sorted(records, key=lambda r: r.get("_when") or when)
    for rec in records:
        at = rec.pop("_when", when)
        _stamp(rec, at)
        name = "u_ex%s.log" % at.strftime("%y%m%d")
        by_file.setdefault(name, (at, []))[1].append(rec)
    folder = layout.win_to_lab(root, site_log_dir(root, site_id))
    out = []
    for name, (first, recs) in sorted(by_file.items()):
        out.append(_append(os.path.join(folder, name), "Microsoft Internet Information Services 10.0",
                           IIS_FIELDS, recs, first))
    return out


def httperr_append(root, records, when=None):
    """Write HTTP.sys error rows to httperr1.log under %SystemRoot%\\System32\\LogFiles\\HTTPERR."""
    folder = layout.win_to_lab(root, layout.HTTPERR_DIR)
    recs = []
    first = None
    for rec in records:
        at = rec.pop("_when", when)
        first = first or at
        recs.append(_stamp(rec, at))
    return _append(os.path.join(folder, "httperr1.log"), "Microsoft HTTP API 2.0", HTTPERR_FIELDS, recs,
                   first or when)


def httperr_start(root, when):
    """A new directive block, as HTTP.sys writes after the HTTP service starts (boot)."""
    filename = os.path.join(layout.win_to_lab(root, layout.HTTPERR_DIR), "httperr1.log")
    os.makedirs(os.path.dirname(filename), exist_ok=True)
    with open(filename, "ab") as handle:
        handle.write("".join(line + "\r\n" for line in w3c.header_lines(
            "Microsoft HTTP API 2.0", HTTPERR_FIELDS, when)).encode("utf-8"))


def setupmsi_write(root, success, when):
    """SetupMsi.log of the legacy connector install: UTF-16LE with BOM, CRLF (msiexec /l*v)."""
    subst = {"date": when.strftime("%m/%d/%Y"), "time": "16:12:40"}
    lines = templates.SETUPMSI_HEAD + (templates.SETUPMSI_SUCCESS if success else templates.SETUPMSI_FAILURE)
    text = "".join(Template(line).safe_substitute(subst) + "\r\n" for line in lines)
    filename = layout.win_to_lab(root, layout.SETUPMSI_LOG)
    os.makedirs(os.path.dirname(filename), exist_ok=True)
    with open(filename, "wb") as handle:
        handle.write(codecs.BOM_UTF16_LE + text.encode("utf-16-le"))
    return filename
