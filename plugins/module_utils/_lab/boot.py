# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Values in effect since the last boot (state/boot.json) and what "booting" the lab does."""
from __future__ import annotations

from ansible_collections.ndes.scep.plugins.module_utils._lab import (
    events, layout, pools, registry, rights, services, store)

HTTP_PARAMS = r"HKLM\SYSTEM\CurrentControlSet\Services\HTTP\Parameters"
HTTPSYS_DEFAULTS = {"MaxFieldLength": 16384, "MaxRequestBytes": 16384}


def load(root):
    return store.load(root, layout.BOOT, {})


def save(root, data):
    store.save(root, layout.BOOT, data)


def httpsys_set(reg):
    """{name: value set in the registry, or None when absent}."""
    out = {}
    for name in HTTPSYS_DEFAULTS:
        value = registry.get_value(reg, HTTP_PARAMS, name)
        out[name] = value["value"] if value and value["type"] == "REG_DWORD" else None
    return out


def httpsys_effective(reg):
    """What HTTP.sys would use if it started now: set values, defaults for absent ones."""
    return dict((k, HTTPSYS_DEFAULTS[k] if v is None else v) for k, v in httpsys_set(reg).items())


def all_rights(root):
    doc = rights.load_doc(root)
    return dict((right, rights.holders(root, right, doc)) for right in rights.privilege_rights(doc))


def refresh_worker_rights(data, root):
    """A new worker process logon sees the rights as they are now (pool recycle, iisreset)."""
    data["rights_in_effect"] = all_rights(root)
    return data


def in_effect(root):
    data = load(root)
    return {"last_boot": data.get("last_boot"),
            "httpsys": dict(data.get("httpsys_in_effect", HTTPSYS_DEFAULTS)),
            "rights": dict(data.get("rights_in_effect", {}))}


def record_boot(root, when):
    """Make the current settings the ones in effect, with last boot = ``when``."""
    data = load(root)
    data["last_boot"] = store.iso(when)
    data["httpsys_in_effect"] = httpsys_effective(registry.load(root))
    refresh_worker_rights(data, root)
    save(root, data)


def reboot(root, when):
    """Boot the lab: values set become values in effect, Automatic services and autoStart pools start."""
    events.append(root, "System", "EventLog", 6006, [], when, events.LEVEL_INFO)
    record_boot(root, when)
    svc = services.load(root)
    for entry in svc.values():
        if entry["start_mode"] == "Auto":
            entry["status"] = "Running"
        elif entry["start_mode"] == "Disabled":
            entry["status"] = "Stopped"
    services.save(root, svc)
    for name, cfg in pools.configured(root).items():
        pools.set_state(root, name, "Started" if cfg["auto_start"] else "Stopped", when)
    events.append(root, "System", "EventLog", 6005, [], when, events.LEVEL_INFO)
    return store.iso(when)
