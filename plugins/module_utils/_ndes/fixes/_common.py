# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What every fix shares: the Plan it returns, restart/reboot shaping, SIDs, thumbprints, fact lookups.

A fix is a pure-Python module under ``_ndes/fixes/`` with:

* ``SECTIONS``: the ``ndes`` facts sections it decides from (gathered in one read
  call when the task got no facts);
* ``settings(args)`` (optional): gather settings (site, pool...) for the facts it gathers itself;
* ``needs_facts(args)`` (optional): False when the facts sections are not needed for these args;
* ``reads(args, facts)``: reads the facts cannot answer (``[]`` almost always); ``facts=None``
  means "gathered in the same call with ``settings(args)``" (use the gather op ids to reuse them);
* ``refresh(args, facts)`` (optional): True when facts handed in must be gathered again
  before deciding (app_pool: before refusing on crash causes other fixes may have removed);
* ``plan(args, facts, reads) -> Plan``: the ensures to send, in order, and what to report;
* ``finish(args, plan, results) -> (fields, error)``: checks the ensure results
  (effective values after the change), returns extra result fields and an error
  message that says what to do next (or ``None``);
* ``explain_failure(args, plan, results) -> str`` (optional): appended to the message when the
  ensure call failed part-way (ra_renew: the old certificates are still in place).
"""
from __future__ import annotations

import datetime
import re

from ansible_collections.ndes.scep.plugins.module_utils._ndes import values as v

NETWORK_SERVICE = v.NETWORK_SERVICE

_SID_RE = re.compile(r"^S-1-\d+(-\d+)+$", re.IGNORECASE)
_THUMB_RE = re.compile(r"^[0-9A-F]{40}$")


class FixError(Exception):
    """A refusal or an argument problem; the message says what to do next."""


class Plan:
    """What a fix decided: ensures to send and what the result reports.

    ``ops``: ``(id, kind, args)`` in order; ensures, plus trailing reads that
    verify the outcome inside the same agent call.
    ``fields``: module result fields reported whether or not anything changes.
    ``restarts``: restarts needed when an ensure changes something.
    ``reboot_if_changed`` / ``reboot_pending``: reboot reasons (the second holds
    even when nothing changes, e.g. values set but not yet in effect).
    ``error``: a refusal; nothing is sent and the task fails with this message.
    ``fail_after``: the task fails with this message once the ensures (if any) ran
    (a state no ensure can fix, e.g. expired RA certificates).
    """

    def __init__(self):
        self.ops = []
        self.fields = {}
        self.warnings = []
        self.restarts = []
        self.reboot_if_changed = []
        self.reboot_pending = []
        self.error = None
        self.fail_after = None

    def ensure(self, op_id, kind, args):
        self.ops.append((op_id, kind, args))

    def read(self, op_id, kind, args):
        self.ops.append((op_id, kind, args))

    @property
    def has_ensures(self):
        from ansible_collections.ndes.scep.plugins.module_utils._agent import contract
        return any(not contract.is_read(kind) for _id, kind, _args in self.ops)

    def refuse(self, message):
        self.error = message
        self.ops = []
        return self


def restart(kind, name, action, reason):
    """A restart the result asks for: kind app_pool|service|iis|connector; action recycle|start|restart|reset|reinstall."""
    return {"kind": kind, "name": name, "action": action, "reason": reason}


def shape(plan, changed):
    """Result fields every fix returns: its own fields plus restart / reboot needs."""
    out = dict(plan.fields)
    restarts = list(plan.restarts) if changed else []
    reboot = list(plan.reboot_pending) + (list(plan.reboot_if_changed) if changed else [])
    out["restart_required"] = bool(restarts)
    out["restarts"] = restarts
    out["reboot_required"] = bool(reboot)
    out["reboot_reasons"] = reboot
    return out


def finish_nothing(args, plan, results):
    """Default ``finish``: nothing to verify beyond the ensures' own status."""
    del args, plan, results
    return {}, None


# ------------------------------------------------------------------ facts
def unwrap_facts(facts):
    """Accept the ``ndes`` facts, or ``ansible_facts`` / an info result holding them under ``ndes``."""
    if isinstance(facts, dict) and "schema" not in facts and isinstance(facts.get("ndes"), dict):
        return facts["ndes"]
    return facts


def dig(obj, dotted, default=None):
    """``dig(facts, "iis.request_limits.max_url")``; ``default`` when any step is missing or null."""
    for part in dotted.split("."):
        if not isinstance(obj, dict) or obj.get(part) is None:
            return default
        obj = obj[part]
    return obj


def read_data(reads, op_id, what):
    """The data of read ``op_id``; FixError saying what could not be read otherwise."""
    result = (reads or {}).get(op_id)
    if not result:
        raise FixError("Internal error: the read %r (%s) was not sent." % (op_id, what))
    if result.get("status") != "ok":
        error = result.get("error") or {}
        raise FixError("Could not read %s on the host (%s: %s). Fix that first, then rerun." % (
            what, error.get("code", "?"), error.get("message", "no message")))
    return result.get("data") or {}


def ensure_after(results, op_id):
    result = (results or {}).get(op_id) or {}
    return result.get("after") or {}


# ------------------------------------------------------------------ identities
def is_sid(text):
    return isinstance(text, str) and bool(_SID_RE.match(text.strip()))


def norm_sid(text):
    return v.sid(text) or ""


def split_principals(principals):
    """-> (SIDs, names to resolve), both de-duplicated in order."""
    sids, names = [], []
    for item in principals or []:
        item = (item or "").strip()
        if not item:
            continue
        if is_sid(item):
            sid = norm_sid(item)
            if sid not in sids:
                sids.append(sid)
        elif item not in names:
            names.append(item)
    return sids, names


def resolve_op(names):
    return ("resolve", "resolve_principal", {"names": list(names)})


def resolved(reads, names):
    """SIDs of ``names`` from the ``resolve`` read; FixError naming the ones that did not resolve."""
    data = read_data(reads, "resolve", "account names (resolve_principal)")
    principals = data.get("principals") or {}
    sids, missing = [], []
    for name in names:
        sid = principals.get(name)
        if sid and is_sid(sid):
            sids.append(norm_sid(sid))
        else:  # no SID, or something that is not one: never grant to it
            missing.append(name)
    if missing:
        raise FixError("These accounts do not exist on the host or its domain: %s. Check the spelling "
                       "(DOMAIN\\user or a local group name) or give the SID (S-1-5-...)." % ", ".join(missing))
    return sids


# ------------------------------------------------------------------ certificates
def normalize_thumbprint(text):
    """Any spacing, case, colons or hidden marks (U+200E ...) -> upper-case 40 hex digits; FixError otherwise."""
    clean = v.thumbprint(text) or ""
    stray = re.sub(r"[0-9A-Fa-f\s:\u200e\u200f\u200b\u200c\u200d\u2060\ufeff\u202a-\u202e]", "", text or "")
    if stray or not _THUMB_RE.match(clean):
        raise FixError("%r is not a certificate thumbprint: expected 40 hexadecimal digits (SHA-1), spaces "
                       "allowed. Copy it from the certificate's Details tab or from "
                       "Get-ChildItem Cert:\\LocalMachine\\My." % text)
    return clean


def now_of(facts, reads=None):
    """The host's clock as the facts or a ``system`` read saw it, else the controller's."""
    text = dig(facts, "collected_at") or dig((reads or {}).get("system"), "data.now")
    return v.parse_time(text) or datetime.datetime.now(v.UTC)
