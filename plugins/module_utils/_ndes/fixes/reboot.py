# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""PENDING_REBOOT: decide whether to reboot (always, or only when a reboot is pending)."""
from __future__ import annotations

from ansible_collections.ndes.scep.plugins.module_utils._ndes.fixes import _common as c

SECTIONS = ("host", "httpsys", "pending_reboot")


def needs_facts(args):
    """Facts are needed only to learn whether a reboot is pending."""
    return args["only_if_required"] and args.get("required") is None


def reads(args, facts):
    del args, facts
    return []


def pending(args, facts):
    """(reboot now?, why)."""
    if not args["only_if_required"]:
        return True, "asked to reboot"
    if args.get("required") is not None:
        return bool(args["required"]), "required=%s was given" % args["required"]
    if c.dig(facts, "pending_reboot") is None:
        raise c.FixError("only_if_required is set but the facts do not say whether a reboot is pending; pass the "
                         "facts of ndes.scep.info or required (e.g. the reboot_required of the fix tasks).")
    return bool(c.dig(facts, "pending_reboot")), "facts.pending_reboot=%s" % c.dig(facts, "pending_reboot")


def plan(args, facts, reads):
    del reads
    result = c.Plan()
    now, why = pending(args, facts)
    result.fields.update({"reboot_needed": now, "why": why, "last_boot_before": c.dig(facts, "host.last_boot")})
    if now:
        result.ensure("reboot", "reboot", {"reason": args["msg"]})
    return result


def finish(args, plan, results):
    del args, plan
    return {"last_boot": c.ensure_after(results, "reboot").get("last_boot")}, None
