# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The remediate role's decisions: which fixes a host needs, the restarts they carry, what they did, the verdict.

The role calls these through the ``ndes.scep`` filters (plugins/filter/remediate.py); each takes the host's
``ndes`` facts (ndes.scep.info) and the role settings (``settings()`` names them) and returns plain data.
A fix enters the plan only when the facts positively show its fault: an unknown value (None) never does.
"""
from __future__ import annotations

# The fixes in the order they run (crash causes of the SCEP pool first, the pool last), each with the
# restarts it may need when it changes something, in the vocabulary of the fix modules' ``restarts`` option
# (docs/fixes.md, "Restarts in the last fix's call"). root_store's "start the pool" is ndes.scep.app_pool's
# job (or the reboot's); connector reinstalls are manual: neither is a restart made here.
RESTART_MAP = {
    "root_store": [],
    "certreg_auth": ["iis_reset"],
    "policy_cert": ["iis_reset", "connector_restart"],
    "request_limits": ["recycle"],
    "user_right": ["recycle"],
    "ra_renew": ["iis_reset"],
    "ra_certs": ["recycle"],
    "connector_service": [],
    "capi2_log": [],
    "mscep_templates": ["iis_reset"],
    "temp_acl": ["recycle"],
    "app_pool": [],
}
FIXES = tuple(RESTART_MAP)

# Role variable (without the ndes_ prefix) -> default, for every setting the decisions read.
SETTINGS = {
    "fix_root_store": True, "root_store_exclude": [], "fix_certreg_auth": True, "fix_policy_cert": True,
    "policy_cert_thumbprint": "", "policy_cert_template": "", "fix_request_limits": True, "fix_user_right": True,
    "user_right_override_gpo": False, "renew_ra": False, "renew_ra_days": 30, "fix_ra_certs": True,
    "fix_connector_service": True, "connector_certificate": False, "fix_capi2_log": True,
    "fix_mscep_templates": True, "scep_template": "", "fix_temp_acl": True, "fix_app_pool": True,
    "fix_iis_restart": False, "reboot_policy": "never", "scep_pool": "SCEP",
}
CONNECTORS = ("WAPCSvc", "WAPCUpdaterSvc")
CERTIFICATE_CONNECTORS = ("PFXCertificateConnectorSvc", "PKICertificateConnectorSvc")
REBOOT_POLICIES = ("never", "if_required", "always")

# Fix -> the finding ids a probe may still show if that fix did not take effect.
VERIFIED_BY = (
    ("root_store", "ROOT_INTERMEDIATES", True),        # True: not while a reboot is still owed
    ("certreg_auth", "CRS_WINDOWS_AUTH", False),
    ("policy_cert", "POLICY_CERT_EXPIRED", False),
    ("ra_renew", "RA_CERT_EXPIRED", False),
    ("request_limits", "REQUEST_LIMITS", False),
    ("request_limits", "HTTPSYS_LIMITS", True),
    ("user_right", "IMPERSONATE_RIGHT", False),
    ("connector_service", "PROXY_CONNECTOR_DOWN", False),
    ("app_pool", "APP_POOL_STOPPED", False),
)


def settings(values):
    """The decision settings from ``values`` (keys with or without the ``ndes_`` prefix), defaults filled in."""
    values = values or {}
    out = {}
    for key, default in SETTINGS.items():
        value = values.get("ndes_" + key, values.get(key, default))
        out[key] = _coerce(value, default)
    if out["reboot_policy"] not in REBOOT_POLICIES:
        raise ValueError("ndes_reboot_policy must be one of %s, got %r" % (", ".join(REBOOT_POLICIES), out["reboot_policy"]))
    return out


def _coerce(value, default):
    if isinstance(default, bool):
        if isinstance(value, str):
            return value.strip().lower() in ("1", "true", "yes", "on")
        return bool(value)
    if isinstance(default, int):
        return int(value)
    if isinstance(default, list):
        return list(value or [])
    return "" if value is None else str(value)


def get(facts, path, default=None):
    """facts["a"]["b"]... or ``default`` when a step is missing or not a mapping."""
    node = facts
    for step in path.split("."):
        if not isinstance(node, dict) or step not in node:
            return default
        node = node[step]
    return node


def _list(value):
    return list(value) if isinstance(value, (list, tuple)) else []


# ------------------------------------------------------------------------------------------ the plan
def movable_roots(facts, exclude):
    """Thumbprints of the non-self-signed certificates in Root that a fix may move (not GPO-placed, not excluded)."""
    keep = {str(t).upper() for t in exclude}
    return [c["thumbprint"] for c in _list(get(facts, "root_store.non_self_signed"))
            if not c.get("gpo_placed") and str(c.get("thumbprint", "")).upper() not in keep]


def stopped_connectors(facts, certificate_connector):
    names = CONNECTORS + (CERTIFICATE_CONNECTORS if certificate_connector else ())
    services = get(facts, "services") or {}
    return [name for name, svc in services.items()
            if name in names and isinstance(svc, dict) and svc.get("exists") is True and svc.get("ok") is False]


def fix_plan(facts, values):
    """The fixes this host needs, in the order they run."""
    s = settings(values)
    facts = facts or {}
    plan = []
    if s["fix_root_store"] and movable_roots(facts, s["root_store_exclude"]):
        plan.append("root_store")
    if s["fix_certreg_auth"] and get(facts, "iis.certreg_auth.ok") is False:
        plan.append("certreg_auth")
    if s["fix_policy_cert"] and _policy_cert_fixable(facts, s):
        plan.append("policy_cert")
    if s["fix_request_limits"] and (get(facts, "iis.request_limits.ok") is False or get(facts, "httpsys.set_ok") is False):
        plan.append("request_limits")
    if (s["fix_user_right"] and get(facts, "user_rights.impersonate.iis_iusrs_holds") is False
            and (s["user_right_override_gpo"] or get(facts, "user_rights.impersonate.gpo_defined") is False)):
        # gpo_defined None (RSOP unreadable) is not "no GPO": only an override fights a GPO it could not see
        plan.append("user_right")
    if s["renew_ra"] and _ra_renewal_due(facts, s["renew_ra_days"]):
        plan.append("ra_renew")
    # Expired or missing RA certificates need renewing first (ra_renew, or by hand).
    if (s["fix_ra_certs"] and _list(get(facts, "ra_certs.acl_missing")) and not get(facts, "ra_certs.any_expired")
            and not _list(get(facts, "ra_certs.missing_roles"))):
        plan.append("ra_certs")
    if s["fix_connector_service"] and stopped_connectors(facts, s["connector_certificate"]):
        plan.append("connector_service")
    if s["fix_capi2_log"] and get(facts, "chain.revocation_unreachable") is True and get(facts, "capi2.enabled") is False:
        plan.append("capi2_log")
    if s["fix_mscep_templates"] and s["scep_template"] and get(facts, "mscep_templates.values_ok") is False:
        plan.append("mscep_templates")
    if s["fix_temp_acl"] and get(facts, "temp_acl.network_service_can_write") is False:
        plan.append("temp_acl")
    # The pool last, and only when no known crash cause is left once the fixes above ran.
    if s["fix_app_pool"] and not _crash_causes_left(facts, plan) and (
            get(facts, "scep_pool.started") is False or get(facts, "scep_pool.auto_start") is False):
        plan.append("app_pool")
    return plan


def _policy_cert_fixable(facts, s):
    problem = get(facts, "policy_cert.problem") or "unknown"
    broken = problem not in ("none", "unknown") or get(facts, "policy_cert.stored_normalized") is False
    has_target = (bool(s["policy_cert_thumbprint"]) or problem == "none"
                  or bool(_list(get(facts, "policy_cert.candidates"))) or bool(s["policy_cert_template"]))
    return broken and has_target


def _ra_renewal_due(facts, days):
    if _list(get(facts, "ra_certs.unusable_roles")):
        return True
    left = get(facts, "ra_certs.min_days_left")
    return isinstance(left, (int, float)) and not isinstance(left, bool) and left <= days


def _roots_left(facts, plan):
    return [c for c in _list(get(facts, "root_store.non_self_signed"))
            if "root_store" not in plan or c.get("gpo_placed")]


def _crash_causes_left(facts, plan):
    return bool(_roots_left(facts, plan)
                or (get(facts, "iis.certreg_auth.ok") is False and "certreg_auth" not in plan)
                or ((get(facts, "policy_cert.problem") or "none") != "none" and "policy_cert" not in plan)
                or get(facts, "chain.revocation_unreachable"))


def repaired_facts(facts, plan):
    """The facts as the fixes of ``plan`` before the pool leave them (app_pool decides on these, no second read)."""
    roots = _roots_left(facts, plan)
    out = {"root_store": {"non_self_signed": roots, "count": len(roots)}}
    if "certreg_auth" in plan:
        out["iis"] = {"certreg_auth": {"ok": True}}
    if "policy_cert" in plan:
        out["policy_cert"] = {"problem": "none"}
    return _merge(facts or {}, out)


def _merge(base, extra):
    out = dict(base)
    for key, value in extra.items():
        out[key] = _merge(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


# --------------------------------------------------------------------------------- restarts
def reboot_predicted(facts, plan, values, check_mode):
    """The reboot policy is about to reboot the host (a reboot replaces every restart).

    Predicted from the facts and the plan; the reboot task decides on what the fixes returned, so a wrong
    prediction costs a restart, never a missed one.
    """
    s = settings(values)
    if check_mode or s["reboot_policy"] == "never":
        return False
    if s["reboot_policy"] == "always":
        return True
    return bool(get(facts, "pending_reboot") or "root_store" in plan
                or ("request_limits" in plan and get(facts, "httpsys.set_ok") is False))


def last_fix_restarts(plan, results, facts, values, check_mode):
    """The ``restarts`` the LAST fix of the plan carries into its own agent call.

    What the fixes before it returned (when: always, they changed something), its own map entry (when:
    if_changed) and ndes_fix_iis_restart. A recycle of a stopped SCEP pool is dropped (it loads the new
    settings when it starts). None in check mode (restarts are predicted there) or when a reboot follows.
    """
    s = settings(values)
    plan = list(plan or [])
    if not plan or check_mode or reboot_predicted(facts, plan, s, check_mode):
        return []
    pool_stopped = get(facts, "scep_pool.started") is False
    out = []
    for fix in plan[:-1]:
        for r in _list((results or {}).get(fix, {}).get("restarts")):
            kind = option_kind(r)
            name = r.get("name") or ""
            if kind == "recycle" and pool_stopped and name.lower() == s["scep_pool"].lower():
                continue
            if kind == "recycle":
                out.append({"kind": kind, "name": name, "when": "always"})
            elif kind:
                out.append({"kind": kind, "when": "always"})
    if s["fix_iis_restart"]:
        out.append({"kind": "iis_reset", "when": "always"})
    for kind in RESTART_MAP.get(plan[-1], []):
        if kind != "recycle" or not pool_stopped:
            out.append({"kind": kind, "name": s["scep_pool"] if kind == "recycle" else None, "when": "if_changed"})
    return out


def option_kind(restart):
    """A fix result's restart entry in the vocabulary of the ``restarts`` option (None: not one we make)."""
    name = (restart.get("name") or "").lower()
    if restart.get("kind") == "iis" or (restart.get("kind") == "service" and name == "w3svc"):
        return "iis_reset"
    if restart.get("kind") == "service":
        return "connector_restart"
    if restart.get("kind") == "app_pool" and restart.get("action") == "recycle":
        return "recycle"
    return None


# ---------------------------------------------------------------------------------- outcome
def outcome(results, facts, values, extra_restarts, check_mode):
    """What the fixes did (or would do): changes, backups, restarts owed and made, reboot, fallback restarts.

    ``results`` maps each fix of this run's plan to its registered result (fixes not in the plan: absent
    or empty). The fallback restarts are the ones a fix asked for that no fix call made.
    """
    s = settings(values)
    results = results or {}
    ran = [(name, results[name]) for name in FIXES if isinstance(results.get(name), dict)]
    changes = [dict(change, module="ndes.scep." + name) for name, result in ran for change in _list(result.get("changes"))]
    asked = [r for _name, result in ran for r in _list(result.get("restarts"))]
    if s["fix_iis_restart"]:
        asked += _list(extra_restarts)
    done = [d for _name, result in ran for d in _list(result.get("restarts_done"))]
    pending = _pending(asked, done)
    pending_reboot = bool(get(facts, "pending_reboot"))
    reboot_required = any(result.get("reboot_required") for _name, result in ran) or pending_reboot
    reasons = [reason for _name, result in ran for reason in _list(result.get("reboot_reasons"))]
    if pending_reboot:
        reasons.append("values set earlier are not in effect until the next boot (facts: pending_reboot)")
    out = {
        "changes": changes,
        "backups": [result["backup"] for _name, result in ran if result.get("backup")],
        "pending": pending,
        "restarts": pending + _done_for_report(done),
        "reboot_required": reboot_required,
        "reboot_reasons": reasons,
        "host_status": "changed" if any(result.get("changed") for _name, result in ran) else "ok",
    }
    out.update(_fallback(pending, facts, s, reboot_required, check_mode))
    return out


def _pending(asked, done):
    """Restarts asked for and not covered by one a fix call made (an IIS reset covers W3SVC and the pool
    recycles; a connector_restart without a name covers every connector service)."""
    reset = any(d.get("kind") == "iis_reset" for d in done)
    recycled = {str(t).lower() for d in done if d.get("kind") == "recycle" for t in _list(d.get("targets"))}
    connectors = [d for d in done if d.get("kind") == "connector_restart"]
    connector_all = any(d.get("name") is None for d in connectors)
    connector_names = {str(t).lower() for d in connectors for t in _list(d.get("targets"))}
    out = []
    for r in asked:
        name = (r.get("name") or "").lower()
        recycle = r.get("kind") == "app_pool" and r.get("action") == "recycle"
        service = r.get("kind") == "service" and name != "w3svc"
        covered = ((reset and (r.get("kind") == "iis" or (r.get("kind") == "service" and name == "w3svc") or recycle))
                   or (recycle and name in recycled) or (service and (connector_all or name in connector_names)))
        if not covered:
            out.append(r)
    return out


def _done_for_report(done):
    out = []
    for d in done:
        reason = "made in the agent call of the last fix (%s)" % d.get("when")
        if d.get("kind") == "iis_reset":
            out.append({"kind": "iis", "name": None, "action": "reset", "done": True, "reason": reason})
            continue
        recycle = d.get("kind") == "recycle"
        for target in _list(d.get("targets")):
            out.append({"kind": "app_pool" if recycle else "service", "name": target,
                        "action": "recycle" if recycle else "restart", "done": True, "reason": reason})
    return out


def _fallback(pending, facts, s, reboot_required, check_mode):
    """The fallback restarts for the handlers: an IIS reset covers pool recycles; a coming reboot covers both."""
    reboot = not check_mode and (s["reboot_policy"] == "always" or (s["reboot_policy"] == "if_required" and reboot_required))
    wants_iis = any(r.get("kind") == "iis" or (r.get("kind") == "service" and r.get("name") == "W3SVC") for r in pending)
    pools = []
    if not (reboot or wants_iis):
        # a stopped SCEP pool cannot be recycled; it loads the new settings when it starts
        skip = [s["scep_pool"]] if get(facts, "scep_pool.started") is False else []
        for r in pending:
            name = r.get("name")
            if r.get("kind") == "app_pool" and r.get("action") == "recycle" and name and name not in pools + skip:
                pools.append(name)
    services = get(facts, "services") or {}
    installed = [name for name, svc in services.items() if isinstance(svc, dict) and svc.get("exists") is True]
    connector = not reboot and any(r.get("kind") == "service" and r.get("name") and r.get("name") != "W3SVC"
                                   and r.get("name") in installed for r in pending)
    return {"reboot_planned": reboot, "restart_iis": not reboot and wants_iis, "recycle_pools": pools,
            "restart_connector": connector}


# ---------------------------------------------------------------------------------- verdict
def fixed_ids(plan, reboot_required):
    """The finding ids this run's fixes should have cleared (HTTP.sys limits and Root moves need a reboot)."""
    out = []
    for fix, finding, after_reboot in VERIFIED_BY:
        if fix in plan and not (after_reboot and reboot_required) and finding not in out:
            out.append(finding)
    return out


def verification(probe, plan, reboot_required):
    """The verdict on a probe of the SCEP URL after the fixes.

    ``unexplained`` lists the probe stages whose every (non-warning) piece of evidence names a fault this
    run fixed: the fix did not take effect. Faults left for a person explain what they cause.
    """
    probe = probe or {}
    fixed = fixed_ids(plan, reboot_required)
    stages = {}
    for ev in _list(probe.get("evidence")):
        if ev.get("confidence") == "warning":
            continue
        stages.setdefault(ev.get("stage"), []).append(ev.get("id"))
    unexplained = []
    for stage in sorted(stages, key=str):
        ids = stages[stage]
        if all(i in fixed for i in ids):
            unexplained.append("%s=%s" % (stage, ",".join(sorted(set(ids), key=ids.index))))
    failures = _list(probe.get("failures"))
    return {
        "url": probe.get("url"),
        "reached": bool(probe.get("reached")),
        "bare_url_status": get(probe, "checks.bare_url.status"),
        "failure": failures[0].get("detail") if failures and isinstance(failures[0], dict) else None,
        "signals": _list(probe.get("signals")),
        "fixed": fixed,
        "unexplained": unexplained,
    }
