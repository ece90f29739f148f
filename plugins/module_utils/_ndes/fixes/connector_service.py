# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""PROXY_CONNECTOR_DOWN / CONNECTOR_HEALTH: connector services running with start mode Automatic, where installed."""
from __future__ import annotations

from ansible_collections.ndes.scep.plugins.module_utils._ndes.fixes import _common as c

SECTIONS = ("services",)

PROXY_SERVICES = ("WAPCSvc", "WAPCUpdaterSvc")
CERT_CONNECTOR_SERVICES = ("PFXCertificateConnectorSvc", "PKICertificateConnectorSvc")


def wanted(args):
    names = list(PROXY_SERVICES)
    if args["certificate_connector"]:
        names += CERT_CONNECTOR_SERVICES
    return names


def reads(args, facts):
    if facts is None:  # the gathered services read covers every name this module knows
        return []
    known = c.dig(facts, "services", {})
    missing = [name for name in wanted(args) if name not in known]
    return [("services", "services", {"names": missing})] if missing else []


def _running_auto(status, start_mode, starting_ok=False):
    running = ("running", "startpending") if starting_ok else ("running",)
    return (status or "").lower() in running and (start_mode or "").lower() in ("auto", "automatic")


def plan(args, facts, reads):
    result = c.Plan()
    services = dict(c.dig(facts, "services", {}))
    if reads and "services" in reads:
        services.update(c.read_data(reads, "services", "the connector services").get("services") or {})
    report, absent = {}, []
    for name in wanted(args):
        svc = services.get(name) or {}
        report[name] = {"exists": svc.get("exists"), "status": svc.get("status"), "start_mode": svc.get("start_mode")}
        if svc.get("exists") is False:
            report[name]["note"] = "not installed here"
            absent.append(name)
            continue
        if args["state"] == "restarted":
            result.ensure(name, "service_state", {"name": name, "state": "restarted", "start_mode": "auto"})
            continue
        if _running_auto(svc.get("status"), svc.get("start_mode")):
            continue
        result.ensure(name, "service_state", {"name": name, "state": "running", "start_mode": "auto"})
    result.fields.update({"services": report, "not_installed": absent})
    if absent and args["required"]:
        return result.refuse(
            "%s %s not installed on this host, and required=true. The connector often runs on another server: run "
            "this module against the hosts that carry it, or install the connector here." % (
                ", ".join(absent), "is" if len(absent) == 1 else "are"))
    if absent:
        result.warnings.append("%s: not installed here (the connector may run on another server; set required=true "
                               "to fail instead)." % ", ".join(absent))
    return result


def finish(args, plan, results):
    errors = []
    for op_id, _kind, _op_args in plan.ops:
        after = c.ensure_after(results, op_id)
        plan.fields["services"][op_id].update({"status_after": after.get("status"),
                                               "start_mode_after": after.get("start_mode")})
        if not _running_auto(after.get("status"), after.get("start_mode"), starting_ok=True):
            errors.append("%s is %s (start mode %s) after starting it; look at the System log (Service Control "
                          "Manager events 7000/7023/7031 for this service) and the connector's own log, then rerun."
                          % (op_id, after.get("status"), after.get("start_mode")))
    return {"services": plan.fields["services"]}, (" ".join(errors) or None)
