# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Small I/O helpers for lab state: deterministic JSON, atomic writes, UTC time."""
from __future__ import annotations

import datetime
import json
import os
import tempfile

from ansible_collections.ndes.scep.plugins.module_utils._lab import layout


def utcnow():
    return datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)


def iso(when):
    """ISO-8601 UTC with a Z, seconds precision."""
    return when.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso(text):
    return datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc)


def write_bytes(filename, data, mode=None):
    """Write atomically (temp file + rename) so a reader never sees half a file."""
    directory = os.path.dirname(filename)
    os.makedirs(directory, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, filename)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def read_bytes(filename):
    with open(filename, "rb") as handle:
        return handle.read()


def dumps(data):
    return json.dumps(data, indent=1, sort_keys=True, ensure_ascii=True) + "\n"


def write_json(filename, data):
    write_bytes(filename, dumps(data).encode("ascii"))


def read_json(filename, default=None):
    try:
        with open(filename, "rb") as handle:
            return json.loads(handle.read().decode("utf-8"))
    except FileNotFoundError:
        if default is not None:
            return default
        raise


def load(root, rel, default=None):
    """Read a lab-relative JSON state file."""
    return read_json(layout.path(root, rel), default)


def save(root, rel, data):
    write_json(layout.path(root, rel), data)
