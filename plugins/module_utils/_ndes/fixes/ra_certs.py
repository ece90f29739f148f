# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""RA_CERT_EXPIRED / RA_KEY_ACL: report RA certificate validity; grant the service account Read on both RA keys."""
from __future__ import annotations

from ansible_collections.ndes.scep.plugins.module_utils._ndes import values as v
from ansible_collections.ndes.scep.plugins.module_utils._ndes.fixes import _common as c

SECTIONS = ("settings", "scep_pool", "service_account", "ra_certs")
ROLES = ("signing", "encryption")
# An ACE for one of these lets any worker identity read the key.
TOKEN_GROUPS = frozenset((v.EVERYONE, v.AUTHENTICATED_USERS, v.USERS, v.IIS_IUSRS))
STATUS_TEXT = {"expired": "expired", "missing": "missing", "keyless": "without its private key",
               "not_yet_valid": "not valid yet"}


def settings(args):
    out = {"warn_days": args["warn_days"]}
    if args.get("service_account") and not c.is_sid(args["service_account"]):
        out["service_account"] = args["service_account"]
    return out


def _account(args, facts):
    """(SID or None, name to resolve or None, where it came from)."""
    if args.get("service_account"):
        sids, names = c.split_principals([args["service_account"]])
        if sids:
            return sids[0], None, "option"
        gathered = c.dig(facts, "service_account", {})
        if gathered.get("source") == "settings" and (gathered.get("name") or "").lower() == names[0].lower():
            # facts gathered for this very name (settings(args)): they resolved it, or say why not
            return (c.norm_sid(gathered["sid"]) if gathered.get("sid") else None), names[0], "option"
        return None, names[0], "option"
    sid = c.dig(facts, "service_account.sid")
    if sid:
        return c.norm_sid(sid), None, "SCEP pool identity"
    pool = c.dig(facts, "scep_pool", {})
    if pool.get("identity_type") == "SpecificUser" and pool.get("user_name"):
        return None, pool["user_name"], "SCEP pool identity"
    return None, None, "SCEP pool identity"


def service_account(args, facts):
    """(SID or None, name to resolve or None, where it came from): O(service_account), else the SCEP pool identity."""
    return _account(args, facts)


def reads(args, facts):
    """A resolve_principal read when neither the option nor the facts give the account's SID."""
    if facts is None:  # gathered with settings(args): the facts resolve the account themselves
        return []
    _sid, name, _how = _account(args, facts)
    return [c.resolve_op([name])] if name else []


def _can_read(cert, sid, facts):
    """Whether ``sid`` reads the key: the facts' verdict for their own account, else the ACL's SIDs."""
    if sid == c.norm_sid(c.dig(facts, "service_account.sid", "")):
        return cert.get("service_account_can_read")
    acl = {c.norm_sid(s) for s in cert.get("key_acl_sids") or []}
    return bool(acl & (TOKEN_GROUPS | {sid}))


def plan(args, facts, reads):
    result = c.Plan()
    sid, name, how = _account(args, facts)
    if name and not sid and "resolve" not in (reads or {}) and how == "option":
        raise c.FixError("The service account %s was not found: %s. Check the spelling (DOMAIN\\user) or give its "
                         "SID (S-1-5-21-...)." % (name, c.dig(facts, "service_account.reason") or "it does not resolve"))
    if name and not sid:
        sid = c.resolved(reads, [name])[0]
    if not sid:
        raise c.FixError("Could not tell the NDES service account (the SCEP pool identity is unknown). Give "
                         "service_account (DOMAIN\\user or a SID).")
    ra = c.dig(facts, "ra_certs", {})
    if ra.get("certs") is None:
        raise c.FixError("The RA certificates could not be read (LocalMachine\\My); see the facts' unknown list, "
                         "fix the agent's access and rerun.")
    roles = ra.get("roles") or {}
    in_use = {r.get("thumbprint") for r in roles.values() if r.get("status") == "ok"}
    report = []
    for cert in ra["certs"]:
        readable = _can_read(cert, sid, facts)
        entry = {"role": cert.get("role"), "thumbprint": cert.get("thumbprint"), "subject": cert.get("subject"),
                 "template": cert.get("template_name") or cert.get("template_oid"),
                 "not_after": cert.get("not_after"), "days_left": cert.get("days_left"),
                 "expired": bool(cert.get("expired")), "in_use": cert.get("thumbprint") in in_use,
                 "has_private_key": cert.get("has_private_key"), "account_can_read": readable}
        report.append(entry)
        if entry["in_use"] and entry["has_private_key"] and readable is not True:
            result.ensure("acl_%s" % cert["thumbprint"].lower(), "key_acl_grant",
                          {"thumbprint": cert["thumbprint"], "store": "My", "sid": sid, "rights": "read"})
    unusable = {role: roles.get(role) or {"status": "missing"} for role in ROLES
                if (roles.get(role) or {}).get("status") != "ok"}
    soon = [(role, roles[role]) for role in ROLES if role not in unusable and
            roles[role].get("days_left") is not None and roles[role]["days_left"] <= args["warn_days"]]
    days = [r.get("days_left") for r in roles.values() if r.get("status") == "ok" and r.get("days_left") is not None]
    result.fields.update({
        "service_account_sid": sid, "service_account_from": how, "certs": report,
        "missing_roles": [role for role, r in unusable.items() if r.get("status") == "missing"],
        "expired": sorted(e["thumbprint"] for e in report if e["expired"]),
        "unusable_roles": sorted(unusable), "expiring_soon": [r["thumbprint"] for _role, r in soon],
        "min_days_left": min(days) if days else None})
    for role, state in soon:
        result.warnings.append("The RA %s certificate %s expires in %d day(s); renew it before then "
                               "(ndes.scep.ra_renew, or manually)." % (
                                   role, state["thumbprint"], state["days_left"]))
    if unusable:
        result.fail_after = (
            "The NDES RA certificates are not usable (%s), so NDES answers HTTP 500. Renew them: ndes.scep.ra_renew "
            "(the remediate role with ndes_renew_ra: true) or manually (certlm.msc > Personal > the Exchange Enrollment Agent (Offline request) "
            "and CEP Encryption certificates > Renew with same key, or reinstall the NDES role service), then "
            "iisreset and rerun this module." % "; ".join(
                "%s %s%s" % (role, STATUS_TEXT.get(r.get("status"), r.get("status")),
                             " (%s)" % r["thumbprint"] if r.get("thumbprint") else "")
                for role, r in sorted(unusable.items())))
    if result.ops:
        result.restarts.append(c.restart("app_pool", c.dig(facts, "settings.scep_pool", "SCEP"), "recycle",
                                         "the worker opens the RA keys when it starts"))
    return result


def finish(args, plan, results):
    errors = []
    sid = plan.fields["service_account_sid"]
    for op_id, _kind, op_args in plan.ops:
        acl = c.ensure_after(results, op_id).get("key_acl") or []
        ok = any(c.norm_sid(ace.get("sid", "")) == sid and set(ace.get("rights") or []) & {"read", "full_control"}
                 for ace in acl)
        for entry in plan.fields["certs"]:
            if entry["thumbprint"] == op_args["thumbprint"]:
                entry["account_can_read"] = ok
        if not ok:
            errors.append("%s still cannot read the key of %s after the grant; check the key's provider and the "
                          "agent's rights, then rerun." % (sid, op_args["thumbprint"]))
    return {"certs": plan.fields["certs"]}, (" ".join(errors) or None)
