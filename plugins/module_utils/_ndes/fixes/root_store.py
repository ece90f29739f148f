# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""ROOT_INTERMEDIATES: move non-self-signed certificates from LocalMachine\\Root to LocalMachine\\CA."""
from __future__ import annotations

from ansible_collections.ndes.scep.plugins.module_utils._ndes.fixes import _common as c

SECTIONS = ("root_store",)


def reads(args, facts):
    del args, facts
    return []


def plan(args, facts, reads):
    del reads
    result = c.Plan()
    keep = {c.normalize_thumbprint(t) for t in args["exclude"] or []}
    moved, gpo, kept = [], [], []
    for cert in c.dig(facts, "root_store.non_self_signed", []):
        thumbprint = c.normalize_thumbprint(cert["thumbprint"])
        entry = {"thumbprint": thumbprint, "subject": cert.get("subject"), "issuer": cert.get("issuer")}
        if cert.get("gpo_placed"):
            gpo.append(entry)
        elif thumbprint in keep:
            kept.append(entry)
        else:
            moved.append(entry)
            result.ensure("move_%s" % thumbprint.lower(), "cert_move",
                          {"thumbprint": thumbprint, "from_store": "Root", "to_store": "CA"})
    result.fields.update({"moved": moved, "gpo_placed": gpo, "excluded": kept})
    if gpo:
        result.warnings.append(
            "%d non-self-signed certificate(s) in Root come from Group Policy and were left in place (a move would "
            "come back at the next policy refresh): %s. Remove them from the GPO's Trusted Root Certification "
            "Authorities and publish them under Intermediate Certification Authorities instead." % (
                len(gpo), ", ".join("%s (%s)" % (e["thumbprint"], e["subject"]) for e in gpo)))
    result.reboot_if_changed.append("Microsoft asks for a reboot after moving intermediate certificates out of "
                                    "the Trusted Root store")
    result.restarts.append(c.restart("app_pool", c.dig(facts, "settings.scep_pool", "SCEP"), "start",
                                     "the SCEP pool crashed on these certificates; start it after the reboot "
                                     "(ndes.scep.app_pool)"))
    return result


def finish(args, plan, results):
    errors = []
    for op_id, _kind, op_args in plan.ops:
        stores = [s.lower() for s in c.ensure_after(results, op_id).get("stores") or []]
        if "root" in stores or "ca" not in stores:
            errors.append("%s is in %s after the move (expected CA only)" % (op_args["thumbprint"], stores))
    if errors:
        return {}, "; ".join(errors) + ". If it came back, it is placed by Group Policy: fix the GPO, then rerun."
    return {}, None
