# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Windows services of the lab (state/services.json), looked up by service name."""
from __future__ import annotations

from ansible_collections.ndes.scep.plugins.module_utils._lab import layout, store

START_MODES = {"auto": "Auto", "manual": "Manual", "disabled": "Disabled"}


def load(root):
    return store.load(root, layout.SERVICES, {})


def save(root, data):
    store.save(root, layout.SERVICES, data)


def find(data, name):
    """Canonical key of a service (names are case-insensitive), or None."""
    for key in data:
        if key.lower() == name.lower():
            return key
    return None


def record(data, name):
    """The contract's service record (``exists: false`` for a service not installed)."""
    key = find(data, name)
    if key is None:
        return {"exists": False, "status": None, "start_mode": None, "image_path": None, "account": None}
    svc = data[key]
    return {"exists": True, "status": svc["status"], "start_mode": svc["start_mode"],
            "image_path": svc.get("image_path"), "account": svc.get("account")}


def read(root, names):
    data = load(root)
    return dict((name, record(data, name)) for name in names)
