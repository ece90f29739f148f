# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""APP_POOL_STOPPED: the SCEP pool started with autoStart on, but only once no known crash cause remains."""
from __future__ import annotations

from ansible_collections.ndes.scep.plugins.module_utils._ndes.fixes import _common as c

SECTIONS = ("settings", "app_pools", "root_store", "iis.certreg_auth", "policy_cert", "chain")


def _root_intermediates(facts):
    count = c.dig(facts, "root_store.count")
    if count is None:
        count = len(c.dig(facts, "root_store.non_self_signed", []))
    return count > 0


def _policy_cert_bad(facts):
    return c.dig(facts, "policy_cert.problem", "none") not in ("none",)


# (FAULTS.md id, test over the facts, fixing module)
CRASH_CAUSES = (
    ("ROOT_INTERMEDIATES", _root_intermediates, "ndes.scep.root_store (then ndes.scep.reboot)"),
    ("CRS_WINDOWS_AUTH", lambda f: c.dig(f, "iis.certreg_auth.ok") is False, "ndes.scep.certreg_auth"),
    ("POLICY_CERT_EXPIRED", _policy_cert_bad, "ndes.scep.policy_cert"),
    ("CRL_UNREACHABLE", lambda f: bool(c.dig(f, "chain.revocation_unreachable")),
     "the network path to the CRL/AIA URLs (report; ndes.scep.capi2_log shows the failing URLs)"),
)


def settings(args):
    return {"scep_pool": args["name"]}


def reads(args, facts):
    del args, facts
    return []


def refresh(args, facts):
    """Facts handed in by a play were gathered before the other fixes ran: re-read before refusing on them."""
    pool = next((p for p in c.dig(facts, "app_pools", []) if p.get("name", "").lower() == args["name"].lower()), {})
    needs_start = not (pool.get("state") == "Started" and pool.get("auto_start") is True)
    return needs_start and not args["force"] and bool(crash_causes(facts))


def crash_causes(facts):
    return [(fault, fixer) for fault, present, fixer in CRASH_CAUSES if present(facts)]


def plan(args, facts, reads):
    del reads
    result = c.Plan()
    pools = c.dig(facts, "app_pools", [])
    pool = next((p for p in pools if p.get("name", "").lower() == args["name"].lower()), None)
    if pool is None:
        raise c.FixError("There is no application pool %r on this host. Existing pools: %s. Give name= the pool "
                         "mscep.dll runs in (IIS Manager > Default Web Site > CertSrv > mscep > Basic Settings)." % (
                             args["name"], ", ".join(sorted(p.get("name", "?") for p in pools)) or "none"))
    causes = crash_causes(facts)
    result.fields.update({"name": pool["name"], "state_before": pool.get("state"),
                          "auto_start_before": pool.get("auto_start"),
                          "crash_causes": [fault for fault, _fixer in causes]})
    if pool.get("state") == "Started" and pool.get("auto_start") is True:
        return result
    if causes and not args["force"]:
        return result.refuse(
            "Not starting pool %s: known crash causes are still present, so it would stop again (rapid-fail "
            "protection). Fix them first: %s. Then rerun, or use force=true to start it anyway." % (
                pool["name"], "; ".join("%s with %s" % cause for cause in causes)))
    if causes:
        result.warnings.append("Starting pool %s although %s are present (force=true); expect it to crash again." % (
            pool["name"], ", ".join(fault for fault, _fixer in causes)))
    result.ensure("pool", "app_pool_state", {"name": pool["name"], "state": "started", "auto_start": True})
    return result


def finish(args, plan, results):
    after = c.ensure_after(results, "pool")
    fields = {"state_after": after.get("state"), "auto_start_after": after.get("auto_start")}
    if after.get("state") not in ("Started", "Starting") or after.get("auto_start") is not True:
        return fields, ("Pool %s is %s (autoStart %s) after starting it: it probably crashed at once. Look at the "
                        "Application log (event 1000, w3wp.exe) and WAS events 5002/5009, run ndes.scep.diagnose, "
                        "fix what it finds and rerun." % (args["name"], after.get("state"), after.get("auto_start")))
    return fields, None
