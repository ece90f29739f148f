# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Backups of one run under <lab>/backups/<run_id>/: item files plus manifest.json with restore ops."""
from __future__ import annotations

import os
import random
import re

from ansible_collections.ndes.scep.plugins.module_utils._lab import layout, store

_RUN_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")


def new_run_id(now):
    return "%s-%04x" % (now.strftime("%Y%m%dT%H%M%SZ"), random.getrandbits(16))


def check_run_id(run_id):
    if not _RUN_ID_RE.match(run_id or ""):
        raise ValueError("run_id must be letters, digits, '.', '_' or '-' (at most 128), got %r" % run_id)
    return run_id


def run_dir(root, run_id):
    return os.path.join(layout.path(root, layout.BACKUPS), check_run_id(run_id))


def manifest(root, run_id):
    """The manifest of a run, or None."""
    try:
        return store.read_json(os.path.join(run_dir(root, run_id), "manifest.json"))
    except FileNotFoundError:
        return None


def runs(root, run_id=None):
    """The ``backups`` read: every run (or one), oldest first."""
    base = layout.path(root, layout.BACKUPS)
    names = [run_id] if run_id else (sorted(os.listdir(base)) if os.path.isdir(base) else [])
    out = []
    for name in names:
        data = manifest(root, name)
        if data is not None:
            out.append({"run_id": data["run_id"], "created": data["created"], "items": data["items"]})
    return out


class Backups(object):
    """Writer for one run; the run id is fixed on first use (given by the request or generated)."""

    def __init__(self, root, run_id, now):
        self.root = root
        self.run_id = check_run_id(run_id) if run_id else None
        self.now = now

    def add(self, op_id, kind, source, suffix, data, restore):
        """Write one backup item and its manifest entry; returns the item file's path."""
        if self.run_id is None:
            self.run_id = new_run_id(self.now)
        directory = run_dir(self.root, self.run_id)
        doc = manifest(self.root, self.run_id) or {"run_id": self.run_id, "created": store.iso(self.now), "items": []}
        item_id = "%03d-%s" % (len(doc["items"]) + 1, re.sub(r"[^A-Za-z0-9._-]", "_", op_id))
        filename = os.path.join(directory, item_id + suffix)
        store.write_bytes(filename, data)
        doc["items"].append({"id": item_id, "kind": kind, "source": source, "file": os.path.basename(filename),
                             "restore": restore, "created": store.iso(self.now)})
        store.write_json(os.path.join(directory, "manifest.json"), doc)
        return filename

    def json(self, op_id, kind, source, data, restore, suffix=".json"):
        return self.add(op_id, kind, source, suffix, store.dumps(data).encode("ascii"), restore)
