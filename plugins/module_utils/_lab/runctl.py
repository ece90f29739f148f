# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run control of the lab agent: the per-host lock (run/agent.lock) and failure injection (run/inject.json).

run/inject.json holds what ``lab_inject`` set (``fail_ensure``, ``drop_connection``, ``latency``). A test may
also write ``"scope": "run"`` there: ``fail_ensure`` k then counts the ensures of every request since, so
the k-th ensure of a whole multi-fix run fails (the count so far is kept as ``seen``).
"""
from __future__ import annotations

import os
import time

from ansible_collections.ndes.scep.plugins.module_utils._lab import layout, store

try:
    import fcntl
except ImportError:  # pragma: no cover - not a POSIX lab host
    fcntl = None

INJECT_KEYS = ("fail_ensure", "drop_connection", "latency")


class HostLock(object):
    """An exclusive flock on run/agent.lock, held for one request."""

    def __init__(self, root):
        self.path = layout.path(root, layout.AGENT_LOCK)
        self.handle = None

    def acquire(self, timeout):
        if fcntl is None:
            return True
        os.makedirs(os.path.dirname(self.path), exist_ok=True)
        self.handle = open(self.path, "a+")
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(self.handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                return True
            except OSError:
                if time.monotonic() >= deadline:
                    self.handle.close()
                    self.handle = None
                    return False
                time.sleep(min(0.05, max(0.0, deadline - time.monotonic())))

    def release(self):
        if self.handle is not None:
            fcntl.flock(self.handle.fileno(), fcntl.LOCK_UN)
            self.handle.close()
            self.handle = None


def load_inject(root):
    return store.read_json(layout.path(root, layout.INJECT), {})


def save_inject(root, data):
    if data:
        store.write_json(layout.path(root, layout.INJECT), data)
    elif os.path.exists(layout.path(root, layout.INJECT)):
        os.unlink(layout.path(root, layout.INJECT))


def note_seen(root, seen):
    """Scope "run": remember how many ensures the lab has run so far (so fail_ensure counts across requests)."""
    data = load_inject(root)
    if data.get("scope") == "run":
        data["seen"] = seen
        save_inject(root, data)


class DroppedConnection(ConnectionError):
    """Injected: the connection to the host drops in the middle of a request."""
