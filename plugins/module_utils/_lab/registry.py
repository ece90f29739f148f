# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The lab registry: HKLM keys as data in state/registry.json (case-insensitive paths)."""
from __future__ import annotations

import re

from ansible_collections.ndes.scep.plugins.module_utils._lab import layout, store

_HIVES = {"hklm": "HKLM", "hkey_local_machine": "HKLM", "hkcu": "HKCU", "hkey_current_user": "HKCU"}
DWORD_MAX = 0xFFFFFFFF


def normalize(path):
    """``HKLM:\\SOFTWARE\\X\\`` / ``HKEY_LOCAL_MACHINE\\...`` -> ``HKLM\\SOFTWARE\\X``."""
    parts = [p for p in re.split(r"[\\/]+", path.strip()) if p]
    if not parts or parts[0].rstrip(":").lower() not in _HIVES:
        raise ValueError("registry path must start with HKLM\\: %r" % path)
    return "\\".join([_HIVES[parts[0].rstrip(":").lower()]] + parts[1:])


def load(root):
    return store.load(root, layout.REGISTRY, {"keys": {}})


def save(root, data):
    store.save(root, layout.REGISTRY, data)


def _find(data, path):
    want = normalize(path).lower()
    for name in data["keys"]:
        if name.lower() == want:
            return name
    return None


def get_key(data, path):
    name = _find(data, path)
    return data["keys"][name] if name else None


def get_value(data, path, name, default=None):
    """The ``{type, value}`` of a value (names are case-insensitive), or default."""
    key = get_key(data, path)
    if key is None:
        return default
    for vname, val in key["values"].items():
        if vname.lower() == name.lower():
            return val
    return default


def coerce(reg_type, value):
    """Check a value against its registry type; raise ValueError with what is wrong."""
    if reg_type in ("REG_DWORD", "REG_QWORD"):
        if isinstance(value, str) and re.match(r"^(0x[0-9a-fA-F]+|\d+)$", value.strip()):
            value = int(value.strip(), 0)
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise ValueError("%s needs a non-negative integer, got %r" % (reg_type, value))
        if reg_type == "REG_DWORD" and value > DWORD_MAX:
            raise ValueError("REG_DWORD value %d exceeds 0xFFFFFFFF" % value)
        return value
    if reg_type == "REG_MULTI_SZ":
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ValueError("REG_MULTI_SZ needs a list of strings, got %r" % (value,))
        return list(value)
    if reg_type in ("REG_SZ", "REG_EXPAND_SZ", "REG_BINARY"):
        if not isinstance(value, str):
            raise ValueError("%s needs a string, got %r" % (reg_type, value))
        return value
    raise ValueError("unknown registry type %r" % reg_type)


def ensure_key(data, path, when):
    """Create a key and its parents; return its canonical name."""
    parts = normalize(path).split("\\")
    name = None
    for depth in range(2, len(parts) + 1):
        sub = "\\".join(parts[:depth])
        name = _find(data, sub)
        if name is None:
            name = sub
            data["keys"][name] = {"last_write": when, "values": {}}
    return name


def set_value(data, path, name, reg_type, value, when):
    key = data["keys"][ensure_key(data, path, when)]
    for vname in list(key["values"]):
        if vname.lower() == name.lower():
            del key["values"][vname]
    key["values"][name] = {"type": reg_type, "value": coerce(reg_type, value)}
    key["last_write"] = when


def delete_value(data, path, name, when):
    key = get_key(data, path)
    if key is None:
        return False
    for vname in list(key["values"]):
        if vname.lower() == name.lower():
            del key["values"][vname]
            key["last_write"] = when
            return True
    return False


def delete_key(data, path):
    """Remove a key and its subkeys."""
    name = _find(data, path)
    if name is None:
        return False
    prefix = name.lower() + "\\"
    for other in list(data["keys"]):
        if other == name or other.lower().startswith(prefix):
            del data["keys"][other]
    return True


def subkeys(data, path):
    prefix = normalize(path).lower() + "\\"
    out = set()
    for name in data["keys"]:
        if name.lower().startswith(prefix):
            out.add(name[len(prefix):].split("\\")[0])
    return sorted(out, key=str.lower)


def exists(data, path):
    return _find(data, path) is not None or bool(subkeys(data, path))


def read_key(data, path, names=None, recurse=False):
    """The ``registry_key`` read: exists, last_write, values, subkeys."""
    key = get_key(data, path)
    if key is None and not exists(data, path):
        return {"exists": False, "last_write": None, "values": {}, "subkeys": []}
    values = dict((key or {}).get("values", {}))
    if names is not None:
        want = set(n.lower() for n in names)
        values = dict((k, v) for k, v in values.items() if k.lower() in want)
    base = normalize(path)
    out = {"exists": True, "last_write": (key or {}).get("last_write"), "values": values,
           "subkeys": subkeys(data, base)}
    if recurse:
        # contract.py types ``subkeys`` as list[str]; the recursive view goes in ``tree``.
        out["tree"] = dict((s, _tree(data, base + "\\" + s)) for s in out["subkeys"])
    return out


def _tree(data, path):
    key = get_key(data, path) or {}
    return {"values": dict(key.get("values", {})), "last_write": key.get("last_write"),
            "subkeys": dict((s, _tree(data, path + "\\" + s)) for s in subkeys(data, path))}


def export_key(data, path):
    """A .reg-equivalent JSON export of one key (path, last_write, values)."""
    name = _find(data, path)
    key = data["keys"].get(name) if name else None
    return {"path": name or normalize(path), "exists": key is not None,
            "last_write": key["last_write"] if key else None,
            "values": dict(key["values"]) if key else {}}
