# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""User rights of the lab: a secedit export INF (UTF-16LE, BOM, CRLF) plus GPO definitions (rsop.json)."""
from __future__ import annotations

from ansible_collections.ndes.scep.plugins.module_utils._formats import secedit_inf
from ansible_collections.ndes.scep.plugins.module_utils._lab import accounts, layout, store


def load_doc(root):
    return secedit_inf.loads(store.read_bytes(layout.path(root, layout.RIGHTS_INF)))


def save_doc(root, doc):
    store.write_bytes(layout.path(root, layout.RIGHTS_INF), secedit_inf.dumps(doc))


def privilege_rights(doc):
    return secedit_inf.privilege_rights(doc)


def _entry_sid(root, entry, ad):
    if entry.startswith("*"):
        return entry[1:].upper()
    sid = accounts.resolve(root, entry, ad)
    # secedit leaves virtual accounts (app pool identities) as bare names.
    return sid or accounts.app_pool_sid(entry)


def holders(root, right, doc=None):
    """SIDs holding a right, in file order (bare names resolved as LSA would)."""
    doc = doc if doc is not None else load_doc(root)
    ad = accounts.load_ad(root)
    return [_entry_sid(root, e, ad) for e in privilege_rights(doc).get(right, [])]


def canonical(sids):
    """The order secedit /export lists SIDs in (lexical), without duplicates."""
    return sorted(set(s.upper() for s in sids))


def set_holders(root, right, sids):
    """Write a right's holders as ``*SID`` entries, in secedit's order (what LsaAddAccountRights + export show)."""
    doc = load_doc(root)
    save_doc(root, secedit_inf.set_privilege_right(doc, right, ["*" + s for s in canonical(sids)]))


# rsop.json key of the lab's "RSOP unreadable" flag (the agent may not read root\rsop\computer, e.g. access
# denied): the user_right read answers gpo_defined null (unknown), as the Windows agent does.
RSOP_UNREADABLE = "_unreadable"


def set_rsop_readable(root, readable):
    """Make the lab's RSOP data readable again, or unreadable (any right's GPO definition becomes unknown)."""
    rsop = store.load(root, layout.RSOP, {})
    if readable:
        rsop.pop(RSOP_UNREADABLE, None)
    else:
        rsop[RSOP_UNREADABLE] = True
    store.save(root, layout.RSOP, rsop)


def gpo(root, right):
    """RSOP view: is the right defined by a GPO (precedence 1), for whom, by which GPO; None = RSOP unreadable."""
    rsop = store.load(root, layout.RSOP, {})
    if rsop.get(RSOP_UNREADABLE):
        return {"gpo_defined": None, "gpo_holders": [], "gpo_source": None}
    entry = rsop.get(right)
    if not entry:
        return {"gpo_defined": False, "gpo_holders": [], "gpo_source": None}
    return {"gpo_defined": True, "gpo_holders": list(entry.get("holders", [])),
            "gpo_source": entry.get("source")}


def user_right(root, right):
    """The ``user_right`` read."""
    data = {"holders": holders(root, right)}
    data.update(gpo(root, right))
    return data
