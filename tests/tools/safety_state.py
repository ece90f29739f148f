# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What "the lab is back as it was" means for the safety tests.

``layout.state_digest`` covers every state file byte for byte (logs, run/ and backups/ aside): check
mode and rejected input must leave it identical. A rollback cannot give back three kinds of runtime
metadata that Windows itself changes on any write or restart, so ``restorable_view`` compares the same
files with exactly these left out (and nothing else):

* ``last_write`` of registry keys (Windows updates a key's LastWriteTime on every write, a restore too);
* ``worker_started`` of application pools (a pool started or recycled has a new w3wp process);
* ``iis_reset_at`` and ``iis_resets`` in boot.json (an iisreset that happened cannot un-happen);
* folder ACLs compared as the lab reads them (an explicit entry equal to the inherited default that
  ``acl.get`` gives a folder without one is the same ACL).
"""
from __future__ import annotations

import hashlib
import json
import os

from ansible_collections.ndes.scep.plugins.module_utils._lab import accounts, layout

RUNTIME_ONLY = {
    "state/registry.json": "last_write of each key",
    "state/app_pools.json": "worker_started of each pool",
    "state/boot.json": "iis_reset_at, iis_resets",
}
# boot.json keys that record restarts that happened (when, how many): history, not configuration.
BOOT_RUNTIME = ("iis_reset_at", "iis_resets")


def _files(root):
    skip = tuple(os.path.join(root, *d.split("/")).lower() for d in layout._DIGEST_SKIP_DIRS)
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if os.path.join(dirpath, d).lower() not in skip)
        for name in sorted(filenames):
            full = os.path.join(dirpath, name)
            yield os.path.relpath(full, root).replace(os.sep, "/"), full


def _drop(obj, key):
    if isinstance(obj, dict):
        return dict((k, _drop(v, key)) for k, v in obj.items() if k != key)
    if isinstance(obj, list):
        return [_drop(v, key) for v in obj]
    return obj


def _is_inherited_default(entry):
    """An entry equal to what ``acl.get`` gives a folder that has none (every ACE inherited, the defaults)."""
    default = {"owner_sid": accounts.ADMINISTRATORS, "aces": [
        {"sid": accounts.SYSTEM, "rights": ["full_control"], "type": "allow", "inherited": True},
        {"sid": accounts.ADMINISTRATORS, "rights": ["full_control"], "type": "allow", "inherited": True},
        {"sid": accounts.USERS, "rights": ["read_execute"], "type": "allow", "inherited": True}]}
    return {"owner_sid": entry.get("owner_sid"), "aces": entry.get("aces")} == default


def restorable_view(root, processes=True):
    """``{relative path: digest}`` of the state files, runtime-only metadata left out (see module doc).

    ``processes=False`` also leaves out state/boot.json whole: what running processes carry (the rights
    in the worker's token since its last start, the HTTP.sys values in effect since the last boot).
    """
    out = {}
    for rel, full in _files(root):
        if rel == "state/boot.json" and not processes:
            continue
        with open(full, "rb") as handle:
            data = handle.read()
        if rel == "state/registry.json":
            data = json.dumps(_drop(json.loads(data), "last_write"), sort_keys=True).encode()
        elif rel == "state/app_pools.json":
            data = json.dumps(_drop(json.loads(data), "worker_started"), sort_keys=True).encode()
        elif rel == "state/boot.json":
            doc = json.loads(data)
            for key in BOOT_RUNTIME:
                doc.pop(key, None)
            data = json.dumps(doc, sort_keys=True).encode()
        elif rel == "state/acls.json":
            entries = json.loads(data)
            data = json.dumps(dict((path, entry) for path, entry in entries.items()
                                   if not _is_inherited_default(entry)), sort_keys=True).encode()
        out[rel] = hashlib.sha256(data).hexdigest()
    return out


def restorable_digest(root):
    digest = hashlib.sha256()
    for rel, value in sorted(restorable_view(root).items()):
        digest.update(rel.encode("utf-8") + b"\0" + value.encode("ascii"))
    return digest.hexdigest()


def differences(before, after):
    """Paths whose restorable content differs between two ``restorable_view`` results."""
    return sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
