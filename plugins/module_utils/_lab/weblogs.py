# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Where the lab's web traffic is logged: the site's W3C log and HTTP.sys's HTTPERR log."""
from __future__ import annotations

import os
import threading

from ansible_collections.ndes.scep.plugins.module_utils._formats import w3c
from ansible_collections.ndes.scep.plugins.module_utils._lab import layout

# IIS 10 default W3C field set (logExtFileFlags default) and software line.
IIS_SOFTWARE = "Microsoft Internet Information Services 10.0"
IIS_FIELDS = ("date", "time", "s-ip", "cs-method", "cs-uri-stem", "cs-uri-query", "s-port",
              "cs-username", "c-ip", "cs(User-Agent)", "cs(Referer)", "sc-status",
              "sc-substatus", "sc-win32-status", "time-taken")
# HTTP.sys error log (samples/http/httperr1.log: real 2018 header).
HTTPERR_SOFTWARE = "Microsoft HTTP API 2.0"
HTTPERR_FIELDS = ("date", "time", "c-ip", "c-port", "s-ip", "s-port", "cs-version", "cs-method",
                  "cs-uri", "streamid", "sc-status", "s-siteid", "s-reason", "s-queuename")
HTTPERR_NAME = "httperr%d.log"
HTTPERR_TRUNCATE_SIZE = 1024 * 1024   # ErrorLogFileTruncateSize default (1 MB)
URI_LOG_LIMIT = 4096                  # HTTPERR cs-uri is cut at 4096 bytes (KB 820729)
EOL = "\r\n"


def w3c_file(root, log_directory, site_id, when):
    """Lab path of ``<log dir>\\W3SVC<id>\\u_exYYMMDD.log`` (UTC rollover, IIS default)."""
    folder = layout.expand(log_directory).rstrip("\\")
    winpath = "%s\\W3SVC%d\\u_ex%s.log" % (folder, site_id, when.strftime("%y%m%d"))
    return layout.win_to_lab(root, winpath)


def httperr_dir(root):
    return layout.win_to_lab(root, layout.HTTPERR_DIR)


def httperr_file(root):
    """The current httperrN.log: the highest N, next N once it passed the truncate size."""
    directory = httperr_dir(root)
    numbers = []
    if os.path.isdir(directory):
        for name in os.listdir(directory):
            low = name.lower()
            if low.startswith("httperr") and low.endswith(".log") and low[7:-4].isdigit():
                numbers.append(int(low[7:-4]))
    number = max(numbers) if numbers else 1
    path = os.path.join(directory, HTTPERR_NAME % number)
    if os.path.exists(path) and os.path.getsize(path) >= HTTPERR_TRUNCATE_SIZE:
        path = os.path.join(directory, HTTPERR_NAME % (number + 1))
    return path


def cut(text, limit=URI_LOG_LIMIT):
    if text is None:
        return None
    return text if len(text) <= limit else text[:limit]


class LogWriter(object):
    """Appends records; writes a directive block at a file's start, at the first
    write of this server process (a server start), and after each lab boot."""

    def __init__(self, root):
        self.root = root
        self._lock = threading.Lock()
        self._headed = {}   # path -> boot stamp its last directive block belongs to

    def _append(self, path, software, fields, when, boot, line):
        with self._lock:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            fresh = not os.path.exists(path) or os.path.getsize(path) == 0
            lines = []
            if fresh or self._headed.get(path, object()) != boot:
                lines += w3c.header_lines(software, fields, when)
                self._headed[path] = boot
            lines.append(line)
            with open(path, "a", encoding="utf-8", newline="") as handle:
                handle.write(EOL.join(lines) + EOL)
        return path

    def w3c(self, site, when, boot, **values):
        """One IIS site log record; ``site`` = {id, log_directory}. Returns the file."""
        values = dict(values)
        values["date"], values["time"] = w3c.format_datetime(when).split(" ")
        values["cs-uri-query"] = cut(values.get("cs-uri-query"))
        path = w3c_file(self.root, site["log_directory"], site["id"], when)
        return self._append(path, IIS_SOFTWARE, IIS_FIELDS, when, boot,
                            w3c.format_record(IIS_FIELDS, values))

    def httperr(self, when, boot, **values):
        """One HTTP.sys error record. Returns the file."""
        values = dict(values)
        values["date"], values["time"] = w3c.format_datetime(when).split(" ")
        values["cs-uri"] = cut(values.get("cs-uri"))
        return self._append(httperr_file(self.root), HTTPERR_SOFTWARE, HTTPERR_FIELDS, when, boot,
                            w3c.format_record(HTTPERR_FIELDS, values))
