# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""CRL_UNREACHABLE helper: enable or disable the CAPI2 Operational log (it shows failing CRL/AIA fetches)."""
from __future__ import annotations

from ansible_collections.ndes.scep.plugins.module_utils._ndes.fixes import _common as c

SECTIONS = ("capi2",)
LOG = "Microsoft-Windows-CAPI2/Operational"


def reads(args, facts):
    del args, facts
    return []


def plan(args, facts, reads):
    del reads
    result = c.Plan()
    current = c.dig(facts, "capi2.enabled")
    result.fields.update({"log": LOG, "enabled_before": current, "enabled": args["enabled"]})
    if current is not args["enabled"]:
        result.ensure("capi2", "event_log_state", {"log": LOG, "enabled": args["enabled"]})
    return result


def finish(args, plan, results):
    after = c.ensure_after(results, "capi2").get("enabled")
    if after is not args["enabled"]:
        return {}, "%s is still enabled=%s; check the agent runs as an administrator (wevtutil sl needs it), then rerun." % (
            LOG, after)
    return {}, None
