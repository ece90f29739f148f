# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Undo Windows PowerShell 5.1 serialisation quirks in a Windows agent response before it is validated.

``normalize_response(payload) -> payload`` (a new document; the argument is not changed).

The Windows agent is meant to emit the contract's shapes itself (ISO-8601
strings, enum names, real arrays, ``ConvertTo-Json -Depth`` large enough).
This is the defensive second line, driven by the contract tables
(``contract.KINDS`` / ``RECORDS``) so that it grows with them:

* **one-element arrays unwrapped**: a field the contract types as a list
  (``list``, ``list[str]``, ``list[dict]``...) that arrives as a single object
  or scalar is wrapped back into a one-element list; a *required* list that
  arrives as ``null`` (PowerShell's empty pipeline) becomes ``[]``, except where
  ``null`` means "could not be read" (``NULL_IS_UNKNOWN``: a certificate's
  ``key_acl``), which is left for the validator;
* **dates**: ``\\/Date(1732550400000)\\/`` (and ``/Date(ms+0100)/``) anywhere
  becomes ``2024-11-25T16:00:00Z`` (UTC; milliseconds kept when not zero);
* **enums as integers**: ``ServiceControllerStatus`` (service ``status``),
  ``ServiceStartMode`` (service ``start_mode``; ``Automatic`` also becomes the
  contract's ``Auto``) and Microsoft.Web.Administration ``ObjectState`` (site
  and pool ``state``), by the (record, field) table ``ENUM_FIELDS``;
* ``REG_MULTI_SZ`` data that arrives as one string becomes a one-element list.

Nothing here guesses: values it does not recognise are left for the
validator (``validate.validate_response``), which names the field. Depth
truncation (``"System.Collections.Hashtable"`` where an object belongs)
cannot be undone and is left to the validator as well.
"""
from __future__ import annotations

import copy
import datetime
import re

from ansible_collections.ndes.scep.plugins.module_utils._agent import contract as c

# System.ServiceProcess.ServiceControllerStatus
SERVICE_STATUS = {1: "Stopped", 2: "StartPending", 3: "StopPending", 4: "Running",
                  5: "ContinuePending", 6: "PausePending", 7: "Paused"}
# System.ServiceProcess.ServiceStartMode (names as the contract spells them: Win32_Service.StartMode)
SERVICE_START_MODE = {0: "Boot", 1: "System", 2: "Auto", 3: "Manual", 4: "Disabled"}
START_MODE_NAMES = {"automatic": "Auto"}
# Microsoft.Web.Administration.ObjectState (sites and application pools)
OBJECT_STATE = {0: "Starting", 1: "Started", 2: "Stopping", 3: "Stopped", 4: "Unknown"}

# (record, field) -> {int: name}; records are contract.RECORDS names or "<kind>.before_after".
ENUM_FIELDS = {
    ("service", "status"): SERVICE_STATUS,
    ("service", "start_mode"): SERVICE_START_MODE,
    ("site", "state"): OBJECT_STATE,
    ("pool", "state"): OBJECT_STATE,
    ("service_state", "status"): SERVICE_STATUS,
    ("service_state", "start_mode"): SERVICE_START_MODE,
    ("app_pool_state", "state"): OBJECT_STATE,
}
# String spellings mapped to the contract's (case-insensitive match on the key).
ENUM_ALIASES = {
    ("service", "start_mode"): START_MODE_NAMES,
    ("service_state", "start_mode"): START_MODE_NAMES,
}

# Where records sit inside read data / ensure states: (kind, field) -> (shape, record).
# shape "list": a list of records; "map": {name: record}.
NESTED = {
    ("cert_store", "certs"): ("list", "cert"),
    ("iis_sites", "sites"): ("list", "site"),
    ("app_pools", "pools"): ("list", "pool"),
    ("services", "services"): ("map", "service"),
    ("iis_config", "origin"): ("map", "iis_origin"),
    ("registry_key", "values"): ("map", "registry_value"),
    ("cert_chain", "elements"): ("list", "chain_element"),
    ("events", "events"): ("list", "event"),
    ("file_tail", "files"): ("list", "file"),
    ("folder_acl", "aces"): ("list", "ace"),
    ("backups", "runs"): ("list", "backup_run"),
    ("key_acl_grant", "key_acl"): ("list", "key_ace"),
    ("folder_acl_grant", "aces"): ("list", "ace"),
    ("cert", "key_acl"): ("list", "key_ace"),
}
# List fields where ``null`` means "could not be read", not "empty": left as they are (a
# key ACL that is unknown must not look like an ACL without the service account).
NULL_IS_UNKNOWN = {("cert", "key_acl")}
# Records the contract describes only in prose (contract.md), typed here for the list fields.
EXTRA_RECORDS = {
    "chain_element": {"thumbprint": "str", "subject": "str", "status": "list[str]"},
}

_DATE = re.compile(r"^\\?/Date\((-?\d+)([+-]\d{4})?\)\\?/$")
_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)


def ms_date(value):
    """``/Date(ms)/`` or ``\\/Date(ms+hhmm)\\/`` -> ISO-8601 UTC string; anything else -> None.

    The milliseconds count from the Unix epoch in UTC whatever the offset
    suffix says (the suffix only records the zone the value was in).
    """
    if not isinstance(value, str):
        return None
    match = _DATE.match(value.strip())
    if not match:
        return None
    when = _EPOCH + datetime.timedelta(milliseconds=int(match.group(1)))
    if when.microsecond:
        return when.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (when.microsecond // 1000)
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def _dates(value):
    """Every ``/Date(..)/`` string inside ``value`` (any depth) turned into ISO-8601."""
    if isinstance(value, dict):
        return dict((k, _dates(v)) for k, v in value.items())
    if isinstance(value, list):
        return [_dates(v) for v in value]
    iso = ms_date(value)
    return iso if iso is not None else value


def _is_list_spec(spec):
    spec = spec.rstrip("?")
    return spec == "list" or spec.startswith("list[")


def _as_list(value, spec):
    """A list field: wrap a lone item; ``null`` -> [] when required; a dict stays for list[str]."""
    optional = spec.endswith("?")
    if value is None:
        return None if optional else []
    if isinstance(value, list):
        return value
    inner = spec.rstrip("?")[5:-1] if spec.rstrip("?").startswith("list[") else "any"
    if inner in ("str", "int") and isinstance(value, (dict, list)):
        return value                    # not an unwrapped item: leave it for the validator
    return [value]


def _enum(record, field, value):
    table = ENUM_FIELDS.get((record, field))
    if table is not None and isinstance(value, int) and not isinstance(value, bool):
        return table.get(value, value)
    aliases = ENUM_ALIASES.get((record, field))
    if aliases is not None and isinstance(value, str):
        return aliases.get(value.lower(), value)
    return value


def _record(obj, record, spec):
    """Normalise one record (dict) by its field spec; nested records by ``NESTED``."""
    if not isinstance(obj, dict):
        return obj
    out = dict(obj)
    for field, fspec in spec.items():
        if field not in out:            # never invent a field: a missing one is the validator's to report
            continue
        value = out[field]
        if _is_list_spec(fspec) and not (value is None and (record, field) in NULL_IS_UNKNOWN):
            value = _as_list(value, fspec)
        value = _enum(record, field, value)
        nested = NESTED.get((record, field))
        if nested is not None:
            value = _nested(value, nested)
        out[field] = value
    if record == "registry_value":
        out = _registry_value(out)
    return out


def _spec_of(record):
    return c.RECORDS.get(record) or EXTRA_RECORDS.get(record) or {}


def _nested(value, nested):
    shape, record = nested
    spec = _spec_of(record)
    if shape == "list" and isinstance(value, list):
        return [_record(item, record, spec) for item in value]
    if shape == "map" and isinstance(value, dict):
        return dict((name, _record(item, record, spec)) for name, item in value.items())
    return value


def _registry_value(item):
    if item.get("type") == "REG_MULTI_SZ":
        value = item.get("value")
        if value is None:
            item["value"] = []
        elif isinstance(value, str):
            item["value"] = [value]
    return item


def _registry_tree(tree):
    """``registry_key.tree``: {name: {values, last_write, subkeys: {..same..}}}."""
    if not isinstance(tree, dict):
        return tree
    out = {}
    for name, node in tree.items():
        if isinstance(node, dict):
            node = dict(node)
            node["values"] = _nested(node.get("values") or {}, ("map", "registry_value"))
            if isinstance(node.get("subkeys"), dict):
                node["subkeys"] = _registry_tree(node["subkeys"])
            elif node.get("subkeys") is None:
                node["subkeys"] = {}
        out[name] = node
    return out


def _state(kind, state):
    """Read ``data`` or ensure ``before`` / ``after`` of ``kind``."""
    out = _record(state, kind, c.KINDS[kind][2])
    if kind == "registry_key" and isinstance(out, dict):
        if "values" in out and out["values"] is None:
            out["values"] = {}              # an empty hashtable that PowerShell turned into null
        if "tree" in out:
            out["tree"] = _registry_tree(out["tree"])
    return out


def normalize_result(result):
    """One result of the response (a new dict)."""
    if not isinstance(result, dict):
        return result
    out = dict(result)
    if "warnings" in out:
        out["warnings"] = _as_list(out["warnings"], "list[str]?")
    kind = out.get("kind")
    if kind not in c.KINDS:
        return out
    if c.is_read(kind):
        if isinstance(out.get("data"), dict):
            out["data"] = _state(kind, out["data"])
    else:
        for side in ("before", "after"):
            if isinstance(out.get(side), dict):
                out[side] = _state(kind, out[side])
    return out


def normalize_response(payload):
    """The Windows agent's response with PowerShell 5.1 quirks undone (see the module docstring)."""
    if not isinstance(payload, dict):
        return payload
    out = _dates(copy.deepcopy(payload))
    results = out.get("results")
    if isinstance(results, dict):
        results = [results]
    if isinstance(results, list):
        out["results"] = [normalize_result(r) for r in results]
    return out
