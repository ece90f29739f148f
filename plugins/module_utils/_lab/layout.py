# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Where things live in a lab NDES directory, Windows path mapping, and the state digest."""
from __future__ import annotations

import hashlib
import os
import re

SCHEMA = 1

# Windows paths the lab knows by heart (the real locations on an NDES server).
APPHOST_CONFIG = r"C:\Windows\System32\inetsrv\config\applicationHost.config"
SITE_ROOT = r"C:\inetpub\wwwroot"
W3C_LOG_ROOT = r"C:\inetpub\logs\LogFiles"
HTTPERR_DIR = r"C:\Windows\System32\LogFiles\HTTPERR"
SETUPMSI_LOG = r"C:\NDESConnectorSetup\SetupMsi.log"
WINDOWS_TEMP = r"C:\Windows\Temp"
MSCEP_DIR = r"C:\Windows\System32\CertSrv\mscep"

ENV = {
    "systemroot": r"C:\Windows",
    "windir": r"C:\Windows",
    "systemdrive": "C:",
    "programdata": r"C:\ProgramData",
    "programfiles": r"C:\Program Files",
    "programfiles(x86)": r"C:\Program Files (x86)",
    "temp": r"C:\Windows\Temp",
    "tmp": r"C:\Windows\Temp",
}

# Relative to the lab root.
LAB_JSON = "lab.json"
STATE = "state"
REGISTRY = "state/registry.json"
RIGHTS_INF = "state/rights.inf"
RSOP = "state/rsop.json"
CERTS = "state/certs"
SERVICES = "state/services.json"
APP_POOLS = "state/app_pools.json"
EVENTS = "state/events"
AD = "state/ad.json"
BOOT = "state/boot.json"
SYSTEM = "state/system.json"
ACLS = "state/acls.json"
NETWORK = "state/network.json"
CA_DIR = "ca"
RUN = "run"
SERVER_JSON = "run/server.json"
AGENT_LOCK = "run/agent.lock"
INJECT = "run/inject.json"
BACKUPS = "backups"

# Not state: logs written by traffic, run control, backups.
_DIGEST_SKIP_DIRS = ("run", "backups", "fs/C/inetpub/logs", "fs/C/Windows/System32/LogFiles")

_ENV_RE = re.compile(r"%([^%]+)%")


def path(root, rel):
    """Absolute path of a lab-relative path (``state/registry.json``)."""
    return os.path.join(root, *rel.split("/"))


def expand(winpath):
    """Expand %SystemRoot%-style variables the way the lab's Windows would."""
    return _ENV_RE.sub(lambda m: ENV.get(m.group(1).lower(), m.group(0)), winpath)


def split_windows(winpath):
    """``C:\\a\\b`` -> ("C", ["a", "b"]); raise ValueError for a non drive-letter path."""
    text = expand(winpath).replace("/", "\\")
    match = re.match(r"^([A-Za-z]):(\\.*)?$", text)
    if not match:
        raise ValueError("not an absolute Windows path with a drive letter: %r" % winpath)
    parts = [p for p in (match.group(2) or "").split("\\") if p not in ("", ".")]
    out = []
    for part in parts:
        if part == "..":
            if out:
                out.pop()
        else:
            out.append(part)
    return match.group(1).upper(), out


def win_to_lab(root, winpath):
    """Map a Windows path to the lab fs, matching existing names case-insensitively."""
    drive, parts = split_windows(winpath)
    current = os.path.join(root, "fs", drive)
    for part in parts:
        candidate = os.path.join(current, part)
        if not os.path.exists(candidate) and os.path.isdir(current):
            low = part.lower()
            for name in os.listdir(current):
                if name.lower() == low:
                    candidate = os.path.join(current, name)
                    break
        current = candidate
    return current


def lab_to_win(root, labpath):
    """Inverse of win_to_lab for a path under ``<lab>/fs``."""
    rel = os.path.relpath(labpath, os.path.join(root, "fs"))
    parts = rel.split(os.sep)
    if parts[0] in ("..", ".") or len(parts[0]) != 1:
        raise ValueError("not under the lab fs: %r" % labpath)
    return parts[0] + ":\\" + "\\".join(parts[1:])


def norm_win(winpath):
    """A comparable form of a Windows path (expanded, backslashes, lower case)."""
    drive, parts = split_windows(winpath)
    return (drive + ":\\" + "\\".join(parts)).lower()


def state_digest(root):
    """SHA-256 over every state file (relative path + bytes); logs, run/ and backups/ excluded."""
    digest = hashlib.sha256()
    skip = tuple(os.path.join(root, *d.split("/")).lower() for d in _DIGEST_SKIP_DIRS)
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if os.path.join(dirpath, d).lower() not in skip)
        for name in sorted(filenames):
            full = os.path.join(dirpath, name)
            digest.update(os.path.relpath(full, root).replace(os.sep, "/").encode("utf-8") + b"\0")
            with open(full, "rb") as handle:
                digest.update(hashlib.sha256(handle.read()).digest())
    return digest.hexdigest()
