# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Outcome of a Windows Installer verbose log such as the legacy Intune connector's SetupMsi.log.

Windows Installer ends a product install with a line built from a message
template, e.g. (English)::

    MSI (c) (28:54) [16:13:11:999]: Windows Installer installed the product. Product Name: ...
    Installation success or error status: 0.

The template text is localized, so the number is taken with a tolerant regex
on ``status: N`` at the end of the line (optional final ``.``). As a
locale-free fallback the engine's own debug line is used::

    MSI (s) (7C:D0) [17:24:15:870]: MainEngineThread is returning 1625

The last status line wins; without one, the last ``MainEngineThread is
returning N`` line. Lines such as ``CustomAction X returned actual error code
1603`` are intermediate results and are not the outcome.

``parse_setupmsi(data) -> dict`` (``data``: bytes in UTF-16LE/UTF-8 with or
without BOM, or ANSI; str; or an iterable of lines)::

    {"found": bool,                 # an outcome line was found
     "status": int | None,          # the Windows Installer exit code
     "success": bool | None,        # 0, 1641 or 3010 (None when not found)
     "reboot_required": bool | None,   # 1641 / 3010
     "source": "status_line" | "main_engine_thread" | None,
     "line_no": int | None,         # 1-based line of the outcome
     "line": str | None}            # that line (at most 500 characters)
"""
from __future__ import annotations

import codecs
import re

_STATUS_RE = re.compile(r"status:\s*(-?\d+)\s*\.?\s*$", re.IGNORECASE)
_ENGINE_RE = re.compile(r"MainEngineThread is returning\s+(-?\d+)")

# ERROR_SUCCESS, ERROR_SUCCESS_REBOOT_INITIATED, ERROR_SUCCESS_REBOOT_REQUIRED
SUCCESS_CODES = (0, 1641, 3010)
REBOOT_CODES = (1641, 3010)


def decode_log(data):
    """Text of an MSI log: UTF-16LE (BOM or NUL pattern), UTF-8 (BOM or valid), else cp1252."""
    if data.startswith(codecs.BOM_UTF16_LE):
        return data[2:].decode("utf-16-le", errors="replace")
    if data.startswith(codecs.BOM_UTF8):
        return data[3:].decode("utf-8", errors="replace")
    if len(data) >= 4 and data[1:2] == b"\x00" and data[3:4] == b"\x00":
        return data.decode("utf-16-le", errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _lines(data):
    if isinstance(data, (bytes, bytearray)):
        return decode_log(bytes(data)).splitlines()
    if isinstance(data, str):
        return data.lstrip("\ufeff").splitlines()
    out = []
    for item in data:
        if isinstance(item, (bytes, bytearray)):
            item = bytes(item).decode("utf-8", errors="replace")
        out.extend(item.splitlines() or [""])
    return out


def parse_setupmsi(data):
    """The installation outcome recorded in an MSI log; see the module docstring."""
    status_hit = engine_hit = None
    for n, line in enumerate(_lines(data), 1):
        m = _STATUS_RE.search(line)
        if m:
            status_hit = (n, int(m.group(1)), line)
            continue
        m = _ENGINE_RE.search(line)
        if m:
            engine_hit = (n, int(m.group(1)), line)
    if status_hit is not None:
        source, hit = "status_line", status_hit
    elif engine_hit is not None:
        source, hit = "main_engine_thread", engine_hit
    else:
        return {"found": False, "status": None, "success": None, "reboot_required": None,
                "source": None, "line_no": None, "line": None}
    n, status, line = hit
    return {"found": True, "status": status, "success": status in SUCCESS_CODES,
            "reboot_required": status in REBOOT_CODES, "source": source,
            "line_no": n, "line": line.strip()[:500]}
