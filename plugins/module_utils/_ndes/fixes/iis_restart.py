# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Handlers' restart: recycle named application pools, or reset IIS."""
from __future__ import annotations

from ansible_collections.ndes.scep.plugins.module_utils._ndes.fixes import _common as c

SECTIONS = ()


def reads(args, facts):
    del args, facts
    return []


def plan(args, facts, reads):
    del reads
    result = c.Plan()
    pools = [p for p in args["pools"] or [] if p]
    if not pools and not args["reset"]:
        raise c.FixError("Nothing to do: give pools (names to recycle) or reset=true (iisreset).")
    if pools and args["reset"]:
        raise c.FixError("Give pools or reset=true, not both: an iisreset already restarts every pool.")
    known = c.dig(facts, "app_pools")
    if known is not None and pools:
        names = {p.get("name", "").lower(): p.get("name") for p in known}
        unknown = [p for p in pools if p.lower() not in names]
        if unknown:
            raise c.FixError("No application pool named %s on this host. Existing pools: %s." % (
                ", ".join(unknown), ", ".join(sorted(n for n in names.values() if n)) or "none"))
        pools = [names[p.lower()] for p in pools]
    if args["reset"]:
        result.ensure("iisreset", "iis_reset", {})
    for index, pool in enumerate(pools):
        result.ensure("recycle_%d" % index, "app_pool_state", {"name": pool, "state": "recycled"})
    result.fields.update({"pools": pools, "reset": args["reset"]})
    return result


finish = c.finish_nothing
