# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""TEMP_ACL: NetworkService (S-1-5-20) can write C:\\Windows\\Temp (Modify)."""
from __future__ import annotations

import re

from ansible_collections.ndes.scep.plugins.module_utils._ndes.fixes import _common as c

SECTIONS = ("temp_acl",)
RIGHT_RANK = {"read": 0, "modify": 1, "full_control": 2}
# The folder TEMP_ACL is about: the Windows temporary folder (%SystemRoot%\Temp), written as the agents
# expand it (environment variables) or as a drive path. Nothing else: the fix widens an ACL.
_TEMP_RE = re.compile(r"^(?:[A-Za-z]:\\Windows|%SystemRoot%|%windir%)\\Temp\\?$", re.IGNORECASE)


def check_path(path):
    """Refuse any folder but the Windows temporary folder, before any remote call."""
    text = (path or "").strip().replace("/", "\\")
    if not _TEMP_RE.match(text):
        raise c.FixError("path %r is not the Windows temporary folder: temp_acl fixes TEMP_ACL (NetworkService "
                         "cannot write C:\\Windows\\Temp) and grants only on that folder. Give C:\\Windows\\Temp "
                         "(or %%SystemRoot%%\\Temp when Windows is not on C:); grant on other folders by other means."
                         % (path,))
    return text


def settings(args):
    return {"temp_dir": args["path"]}


def _default_case(args):
    return c.norm_sid(args["sid"]) == c.NETWORK_SERVICE and args["rights"] == "modify"


def reads(args, facts):
    """The facts answer for NetworkService/Modify on their own folder; other SIDs, rights or folders read the ACL."""
    check_path(args["path"])
    if _default_case(args):
        if facts is None:
            return []
        if args["path"].lower() == c.dig(facts, "temp_acl.path", "").lower():
            return []
    return [("acl", "folder_acl", {"path": args["path"]})]


def _granted_by_facts(facts):
    """An explicit NetworkService ACE and write access: granted. Write access through Users alone is not
    what Microsoft's fix asks for, so the (idempotent) grant is sent; unknown facts send it too."""
    temp = c.dig(facts, "temp_acl", {})
    return temp.get("network_service_can_write") is True and temp.get("network_service_explicit") is True


def has_right(aces, sid, rights):
    want = RIGHT_RANK[rights]
    for ace in aces or []:
        if c.norm_sid(ace.get("sid", "")) == sid and (ace.get("type") or "allow").lower() == "allow":
            if any(RIGHT_RANK.get(r, -1) >= want for r in ace.get("rights") or []):
                return True
    return False


def plan(args, facts, reads):
    result = c.Plan()
    check_path(args["path"])
    if not c.is_sid(args["sid"]):
        raise c.FixError("sid %r is not a SID (S-1-5-20 is NetworkService)." % args["sid"])
    sid, path = c.norm_sid(args["sid"]), args["path"]
    if reads and "acl" in reads:
        granted = has_right(c.read_data(reads, "acl", "the ACL of %s" % path).get("aces"), sid, args["rights"])
    else:
        granted = _granted_by_facts(facts)
    result.fields.update({"path": path, "sid": sid, "rights": args["rights"], "granted_before": granted})
    if granted is not True:
        result.ensure("acl", "folder_acl_grant", {"path": path, "sid": sid, "rights": args["rights"]})
        result.restarts.append(c.restart("app_pool", c.dig(facts, "settings.scep_pool", "SCEP"), "recycle",
                                         "the pool crashed writing to the folder (WAS 5009); start it again"))
    return result


def finish(args, plan, results):
    aces = c.ensure_after(results, "acl").get("aces")
    if not has_right(aces, plan.fields["sid"], args["rights"]):
        return {}, "%s still lacks %s on %s after the grant; check the agent's rights on the folder and rerun." % (
            plan.fields["sid"], args["rights"], plan.fields["path"])
    return {}, None
