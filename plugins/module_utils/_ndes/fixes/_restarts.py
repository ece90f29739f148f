# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Restarts that ride in a fix's agent call (the fix modules' ``restarts`` option).

The remediate role hands the LAST fix of its plan the restarts the run needs: the ones
earlier fixes asked for (``when: always``: they already changed something) and the
ones this fix asks for itself (``when: if_changed``: sent with the contract's
``if_changed`` on the fix's own ensures, so they run only when it changed something).
They are appended after the fix's ensures, so the restart costs no call of its own.

* ``merge(requested)``: one entry per restart; an IIS reset covers every pool recycle
  (and is then due ``always`` if one of them was);
* ``plan_ops(entries, facts, own_ids)``: the ensure ops, ``(id, kind, args, if_changed)``;
* ``done(planned, results, own_changed)``: what ran, for ``restarts_done``;
* ``uncovered(restarts, done)``: the fix's own reported restarts a done one does not cover.
"""
from __future__ import annotations

from ansible_collections.ndes.scep.plugins.module_utils._ndes.fixes import _common as c

KINDS = ("iis_reset", "recycle", "connector_restart")
WHEN = ("always", "if_changed")
# What a connector_restart without a name restarts: the connector services installed (policy_cert's list).
CONNECTOR_SERVICES = ("PFXCertificateConnectorSvc", "PKICertificateConnectorSvc", "NDESConnectorSvc")
ORDER = {"iis_reset": 0, "recycle": 1, "connector_restart": 2}


def _key(entry):
    return entry["kind"], (entry.get("name") or "").lower()


def merge(requested):
    """Requested restarts -> ordered, de-duplicated entries ``{kind, name, when}``."""
    merged = {}
    for item in requested or []:
        entry = {"kind": item["kind"], "name": item.get("name") or None, "when": item.get("when") or "if_changed"}
        if entry["kind"] not in KINDS or entry["when"] not in WHEN:
            raise c.FixError("restarts: kind must be one of %s and when one of %s, got %r." % (
                ", ".join(KINDS), ", ".join(WHEN), item))
        if entry["kind"] == "iis_reset":
            entry["name"] = None
        known = merged.get(_key(entry))
        if known is None:
            merged[_key(entry)] = entry
        elif entry["when"] == "always":
            known["when"] = "always"
    reset = merged.get(("iis_reset", ""))
    if reset is not None:  # an iisreset restarts every pool: no recycle next to it
        for key in [k for k in merged if k[0] == "recycle"]:
            if merged.pop(key)["when"] == "always":
                reset["when"] = "always"
    return sorted(merged.values(), key=lambda e: (ORDER[e["kind"]], e["name"] or ""))


def _connector_services(facts, warnings):
    services = c.dig(facts, "services", {}) or {}
    out = []
    for name in CONNECTOR_SERVICES:
        svc = services.get(name) or {}
        if svc.get("exists") is not True:
            continue
        if (svc.get("start_mode") or "").lower() == "disabled":
            warnings.append("%s is disabled: not restarted (set its start mode, then restart it)." % name)
            continue
        out.append(name)
    return out


def plan_ops(entries, facts, own_ids, taken=()):
    """-> (planned, warnings): planned = [(entry, [(id, kind, args, if_changed or None)])].

    ``own_ids``: the fix's ensure ids (what ``if_changed`` names). An ``if_changed`` entry of a fix
    that sends no ensure can never be due and is left out.
    """
    planned, warnings, used = [], [], set(taken)

    def op_id(base):
        new, count = base, 1
        while new in used:
            count += 1
            new = "%s_%d" % (base, count)
        used.add(new)
        return new

    for entry in entries:
        condition = None
        if entry["when"] == "if_changed":
            if not own_ids:
                continue
            condition = list(own_ids)
        ops = []
        if entry["kind"] == "iis_reset":
            ops.append((op_id("restart_iis_reset"), "iis_reset", {}, condition))
        elif entry["kind"] == "recycle":
            pool = entry["name"] or c.dig(facts, "settings.scep_pool", "SCEP")
            ops.append((op_id("restart_recycle_%s" % pool), "app_pool_state", {"name": pool, "state": "recycled"},
                        condition))
        else:
            names = [entry["name"]] if entry["name"] else _connector_services(facts, warnings)
            for name in names:
                ops.append((op_id("restart_service_%s" % name), "service_state", {"name": name, "state": "restarted"},
                            condition))
        planned.append((entry, ops))
    return planned, warnings


def ops_of(planned):
    return [op for _entry, ops in planned for op in ops]


def failed(planned, results):
    """The first restart op that failed (its result), or None."""
    for op in ops_of(planned):
        result = (results or {}).get(op[0]) or {}
        if result.get("status") == "failed":
            return result
    return None


def done(planned, results, own_changed):
    """``restarts_done``: ``{kind, name, when, ops}`` of each entry whose ops all ran (none skipped)."""
    out = []
    for entry, ops in planned:
        if not ops and not (entry["when"] == "always" or own_changed):
            continue
        states = [(results or {}).get(op[0]) or {} for op in ops]
        if all(r.get("status") == "ok" and not r.get("skipped") for r in states):
            item = dict(entry, ops=[op[0] for op in ops])
            if entry["kind"] != "iis_reset":
                item["targets"] = [op[2]["name"] for op in ops]
            out.append(item)
    return out


def covers(done_item, restart):
    """Whether a done restart covers one a fix reported (``{kind: app_pool|service|iis|connector, name, action}``)."""
    kind, name, action = restart.get("kind"), (restart.get("name") or "").lower(), restart.get("action")
    if done_item["kind"] == "iis_reset":
        return kind == "iis" or (kind == "service" and name == "w3svc") or (kind == "app_pool" and action == "recycle")
    targets = [t.lower() for t in done_item.get("targets") or []]
    if done_item["kind"] == "recycle":
        return kind == "app_pool" and action == "recycle" and name in targets
    # connector_restart: the services it restarted; without a name, every installed connector service was
    if kind != "service" or name == "w3svc":
        return False
    return name in targets or not done_item.get("name")


def uncovered(restarts, done_items):
    return [r for r in restarts or [] if not any(covers(d, r) for d in done_items)]
