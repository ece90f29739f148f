# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Event logs of the lab: one JSON-lines file per log, channel state in the registry (WINEVT\\Channels)."""
from __future__ import annotations

import datetime
import json
import os

from ansible_collections.ndes.scep.plugins.module_utils._lab import layout, registry, store

CHANNELS = r"HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\WINEVT\Channels"
CLASSIC = ("Application", "System", "Security", "Setup")

LEVEL_CRITICAL, LEVEL_ERROR, LEVEL_WARNING, LEVEL_INFO = 1, 2, 3, 4


def log_file(root, log):
    # Windows names the .evtx of "A/B" "A%4B"; the lab does the same.
    return os.path.join(layout.path(root, layout.EVENTS), log.replace("/", "%4") + ".jsonl")


def channel_state(root, log, reg=None):
    """(exists, enabled) of a log. Classic logs always exist and are enabled."""
    if log.lower() in (c.lower() for c in CLASSIC):
        return True, True
    reg = reg if reg is not None else registry.load(root)
    key = registry.get_key(reg, CHANNELS + "\\" + log)
    if key is None:
        return os.path.exists(log_file(root, log)), None
    enabled = registry.get_value(reg, CHANNELS + "\\" + log, "Enabled", {"value": 0})["value"]
    return True, bool(enabled)


def _load(root, log):
    try:
        with open(log_file(root, log), "rb") as handle:
            return [json.loads(line) for line in handle.read().decode("utf-8").splitlines() if line.strip()]
    except FileNotFoundError:
        return []


def append(root, log, provider, event_id, properties, when, level=LEVEL_ERROR):
    """Add one event (record ids count up per log). Returns the event."""
    entries = _load(root, log)
    event = {"id": int(event_id), "provider": provider, "log": log, "time": store.iso(when),
             "record_id": (entries[-1]["record_id"] + 1) if entries else 1,
             "level": level, "properties": list(properties)}
    entries.append(event)
    data = "".join(json.dumps(e, sort_keys=True) + "\n" for e in entries).encode("utf-8")
    store.write_bytes(log_file(root, log), data)
    return event


def query(root, log, provider=None, ids=None, since_hours=None, max_events=None, now=None):
    """The ``events`` read: newest first, as Get-WinEvent returns them."""
    exists, enabled = channel_state(root, log)
    entries = _load(root, log)
    if provider:
        entries = [e for e in entries if e["provider"].lower() == provider.lower()]
    if ids:
        wanted = set(ids)
        entries = [e for e in entries if e["id"] in wanted]
    if since_hours is not None:
        cutoff = store.iso((now or store.utcnow()) - datetime.timedelta(hours=since_hours))
        entries = [e for e in entries if e["time"] >= cutoff]
    entries.sort(key=lambda e: (e["time"], e["record_id"]), reverse=True)
    if max_events is not None:
        entries = entries[:max_events]
    return {"events": entries, "log_exists": exists or bool(entries), "log_enabled": enabled}
