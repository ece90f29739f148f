# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""IMPERSONATE_RIGHT: grant a user right to principals by SID; report a GPO that defines it instead of fighting it."""
from __future__ import annotations

import re

from ansible_collections.ndes.scep.plugins.module_utils._ndes.fixes import _common as c

SECTIONS = ("settings", "user_rights")

# Rights the facts carry, by facts key.
FACTS_RIGHTS = {"SeImpersonatePrivilege": "impersonate"}
# A privilege or logon-right constant (SeImpersonatePrivilege, SeServiceLogonRight): never a display name.
_RIGHT_RE = re.compile(r"^Se[A-Za-z]{1,60}(Privilege|Right)$")


def _check_right(args):
    if not _RIGHT_RE.fullmatch(args["right"] or ""):
        raise c.FixError("right %r is not a user right constant: give its constant name, such as "
                         "SeImpersonatePrivilege or SeServiceLogonRight (not the localized display name)." % (
                             args["right"],))


def _from_facts(args, facts):
    key = FACTS_RIGHTS.get(args["right"])
    return c.dig(facts, "user_rights." + key) if key else None


def needs_facts(args):
    """Only SeImpersonatePrivilege is in the facts; other rights are read directly."""
    return args["right"] in FACTS_RIGHTS


def reads(args, facts):
    _check_right(args)
    ops = []
    _sids, names = c.split_principals(args["principals"])
    if names:
        ops.append(c.resolve_op(names))
    covered = args["right"] in FACTS_RIGHTS and (facts is None or _from_facts(args, facts) is not None)
    if not covered:
        ops.append(("right", "user_right", {"right": args["right"]}))
    return ops


def plan(args, facts, reads):
    _check_right(args)
    result = c.Plan()
    sids, names = c.split_principals(args["principals"])
    if not sids and not names:
        raise c.FixError("principals is empty: give at least one SID (S-1-5-32-568 is IIS_IUSRS) or account name.")
    if names:
        sids += [sid for sid in c.resolved(reads, names) if sid not in sids]
    state = _from_facts(args, facts)
    if state is None:
        state = c.read_data(reads, "right", "the holders of %s" % args["right"])
    holders = [c.norm_sid(s) for s in state.get("holders") or []]
    missing = [sid for sid in sids if sid not in holders]
    gpo_defined = state.get("gpo_defined")
    gpo_defined = None if gpo_defined is None else bool(gpo_defined)   # None: RSOP could not be read
    result.fields.update({
        "right": args["right"], "principals": sids, "holders": holders, "missing": missing,
        "gpo_defined": gpo_defined, "gpo_source": state.get("gpo_source"),
        "gpo_holders": [c.norm_sid(s) for s in state.get("gpo_holders") or []],
    })
    if not missing:
        return result
    if gpo_defined and not args["override_gpo"]:
        result.warnings.append(
            "%s is defined by a Group Policy (%s); %s would be reverted at the next policy refresh, so nothing was "
            "changed. Add %s to the right in that GPO (Computer Configuration > Windows Settings > Security "
            "Settings > Local Policies > User Rights Assignment), or rerun with override_gpo=true for a grant that "
            "lasts until the next refresh." % (args["right"], state.get("gpo_source") or "source unknown",
                                               "a local grant", ", ".join(missing)))
        result.fields["gpo_blocked"] = True
        return result
    if gpo_defined is None and not args["override_gpo"]:
        result.warnings.append(
            "Could not read the GPO definition of %s (RSOP), so nothing was changed: a Group Policy this run could "
            "not see may define the right and revert a local grant of %s. Rerun with rights to read "
            "root\\rsop\\computer (a local administrator), or set override_gpo=true to grant it anyway."
            % (args["right"], ", ".join(missing)))
        result.fields["gpo_blocked"] = True
        return result
    if gpo_defined is None:
        result.warnings.append("The GPO definition of %s could not be read (RSOP): if a Group Policy defines the "
                               "right, this local grant will be reverted at the next policy refresh." % args["right"])
    if gpo_defined:
        result.warnings.append("%s is defined by a Group Policy (%s): this local grant will be reverted at the next "
                               "policy refresh unless the GPO is changed too." % (
                                   args["right"], state.get("gpo_source") or "source unknown"))
    op_args = {"right": args["right"], "add": missing}
    if gpo_defined is not False:   # defined, or unknown: override_gpo was given
        op_args["override_gpo"] = True
    result.ensure("grant", "user_right_grant", op_args)
    result.restarts.append(c.restart(
        "app_pool", args["pool"], "recycle",
        "a worker process gets %s only in a new token; Microsoft says restart (an iisreset also does)" % args["right"]))
    return result


def finish(args, plan, results):
    holders = [c.norm_sid(s) for s in c.ensure_after(results, "grant").get("holders") or []]
    still = [sid for sid in plan.fields["principals"] if sid not in holders]
    fields = {"holders": holders, "missing": still}
    if still:
        return fields, ("%s still lacks %s after the grant; check that the agent runs as an administrator and that no "
                        "policy removes it, then rerun." % (", ".join(still), args["right"]))
    return fields, None
