# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Folder ACLs (state/acls.json, keyed by Windows path) and rights arithmetic for ACEs and key ACLs."""
from __future__ import annotations

import os

from ansible_collections.ndes.scep.plugins.module_utils._lab import accounts, layout, store

# Ordered weakest -> strongest; a stronger right implies the weaker ones.
RIGHTS_ORDER = ("read", "read_execute", "write", "modify", "full_control")
_SDDL = {"read": "FR", "read_execute": "FRFX", "write": "FW", "modify": "0x1301bf", "full_control": "FA"}
_SDDL_SIDS = {accounts.SYSTEM: "SY", accounts.ADMINISTRATORS: "BA", accounts.USERS: "BU",
              accounts.NETWORK_SERVICE: "NS", accounts.LOCAL_SERVICE: "LS", accounts.CREATOR_OWNER: "CO",
              accounts.EVERYONE: "WD", accounts.IIS_IUSRS: "IS"}


def implies(held, wanted):
    """Does a set of rights grant ``wanted``? (modify covers write, read, ...)."""
    rank = dict((r, i) for i, r in enumerate(RIGHTS_ORDER))
    if wanted in held:
        return True
    if wanted == "write":
        return any(r in ("modify", "full_control") for r in held)
    return any(rank.get(r, -1) >= rank[wanted] and r != "write" for r in held)


def load(root):
    return store.load(root, layout.ACLS, {})


def save(root, data):
    store.save(root, layout.ACLS, data)


def get(root, winpath):
    """The ``folder_acl`` read for a path, or None if the lab has no such folder."""
    data = load(root)
    entry = data.get(layout.norm_win(winpath))
    if entry is None:
        if not os.path.isdir(layout.win_to_lab(root, winpath)):
            return None
        # A folder without an explicit ACL inherits the usual defaults.
        entry = {"owner_sid": accounts.ADMINISTRATORS, "aces": [
            {"sid": accounts.SYSTEM, "rights": ["full_control"], "type": "allow", "inherited": True},
            {"sid": accounts.ADMINISTRATORS, "rights": ["full_control"], "type": "allow", "inherited": True},
            {"sid": accounts.USERS, "rights": ["read_execute"], "type": "allow", "inherited": True}]}
    return {"owner_sid": entry["owner_sid"], "aces": [dict(a) for a in entry["aces"]]}


def put(root, winpath, value):
    data = load(root)
    data[layout.norm_win(winpath)] = {"owner_sid": value["owner_sid"], "aces": value["aces"]}
    save(root, data)


def grant(aces, sid, right, explicit_fields=True):
    """A new ACE list where ``sid`` holds ``right`` (explicit allow); returns (aces, changed)."""
    held = set()
    for ace in aces:
        if ace["sid"] == sid and ace.get("type", "allow") == "allow":
            held.update(ace["rights"])
    if implies(held, right):
        return [dict(a) for a in aces], False
    out = [dict(a) for a in aces if not (a["sid"] == sid and not a.get("inherited") and a.get("type", "allow") == "allow")]
    ace = {"sid": sid, "rights": [right]}
    if not explicit_fields:
        out.insert(0, ace)
        return out, True
    ace.update({"type": "allow", "inherited": False})
    # FileSystemSecurity.AddAccessRule leaves the DACL canonical (CommonAcl.Canonicalize): explicit deny ACEs,
    # explicit allow ACEs, each group sorted by SecurityIdentifier.CompareTo, then the inherited ACEs as they were
    explicit = [a for a in out if not a.get("inherited")] + [ace]
    denied = sorted((a for a in explicit if a.get("type") == "deny"), key=lambda a: sid_order(a["sid"]))
    allowed = sorted((a for a in explicit if a.get("type") != "deny"), key=lambda a: sid_order(a["sid"]))
    return denied + allowed + [a for a in out if a.get("inherited")], True


def sid_order(sid):
    """SecurityIdentifier.CompareTo as a sort key: identifier authority, number of sub-authorities, each one."""
    parts = [int(x) for x in sid.split("-")[2:]]
    return (parts[0], len(parts) - 1, parts[1:])


def sddl(owner_sid, aces):
    """An SDDL rendering of an ACL, for backups a human can read."""
    def sid_text(sid):
        return _SDDL_SIDS.get(sid, sid)
    parts = []
    for ace in aces:
        flags = "OICI" + ("ID" if ace.get("inherited") else "")
        kind = "D" if ace.get("type") == "deny" else "A"
        strongest = max(ace["rights"], key=lambda r: RIGHTS_ORDER.index(r) if r in RIGHTS_ORDER else -1)
        parts.append("(%s;%s;%s;;;%s)" % (kind, flags, _SDDL.get(strongest, "FR"), sid_text(ace["sid"])))
    return "O:%sD:%s" % (sid_text(owner_sid), "".join(parts))
