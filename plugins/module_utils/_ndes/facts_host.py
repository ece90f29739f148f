# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Facts about the Windows host around NDES: rights, services, events, connector, accounts, ACLs, registry flags."""
from __future__ import annotations

from ansible_collections.ndes.scep.plugins.module_utils._formats.setupmsi import parse_setupmsi
from ansible_collections.ndes.scep.plugins.module_utils._ndes import values as v
from ansible_collections.ndes.scep.plugins.module_utils._ndes.facts_reads import FAILED, MISSING, NOT_FOUND, OK, reason_of

AUTO_REQUIRED = ("WAPCSvc", "WAPCUpdaterSvc")
CONNECTOR_SERVICES = ("PFXCertificateConnectorSvc", "PKICertificateConnectorSvc", "NDESConnectorSvc")
REVOCATION_FLAGS = ("RevocationStatusUnknown", "OfflineRevocation")
WRITE_RIGHTS = frozenset(("full_control", "modify", "write", "write_data", "append_data", "create_files",
                          "generic_write", "generic_all"))
# SIDs whose ACEs apply to NETWORK SERVICE (it is an authenticated member of Users).
NETWORK_SERVICE_SIDS = frozenset((v.NETWORK_SERVICE, v.AUTHENTICATED_USERS, v.USERS, v.EVERYONE))
MAX_EVENTS = 10


def host(reads):
    state, data = reads.get("system", "host")
    if state != OK:
        return {"hostname": None, "fqdn": None, "domain_role": None, "is_domain_controller": None,
                "is_ca": None, "os_version": None, "last_boot": None, "installed_roles": None}
    roles = list(data.get("installed_roles") or [])
    role = v.as_int(data.get("domain_role"))
    return {"hostname": data.get("hostname"), "fqdn": data.get("fqdn"), "domain_role": role,
            "is_domain_controller": None if role is None else role in (4, 5),
            "is_ca": "ADCS-Cert-Authority" in roles, "os_version": data.get("os_version"),
            "last_boot": v.iso(v.parse_time(data.get("last_boot"))), "installed_roles": roles}


def impersonate(reads):
    out = {"holders": None, "iis_iusrs_holds": None, "gpo_defined": None, "gpo_holders": None,
           "gpo_source": None, "gpo_grants_iis_iusrs": None}
    state, data = reads.get("impersonate", "user_rights.impersonate")
    if state != OK:
        return out
    holders = sorted(set(filter(None, (v.sid(s) for s in data.get("holders") or []))))
    gpo_holders = sorted(set(filter(None, (v.sid(s) for s in data.get("gpo_holders") or []))))
    # gpo_defined None = unknown (the agent could not read RSOP): kept None, never "no GPO defines it"
    gpo = data.get("gpo_defined")
    gpo = None if gpo is None else bool(gpo)
    out.update(holders=holders, iis_iusrs_holds=v.IIS_IUSRS in holders, gpo_defined=gpo,
               gpo_holders=gpo_holders if gpo is not None else None, gpo_source=data.get("gpo_source"),
               gpo_grants_iis_iusrs=(v.IIS_IUSRS in gpo_holders) if gpo else None)
    # Not listed in ``unknown``: the holders were read, so IMPERSONATE_RIGHT is checked; its evidence carries
    # gpo_defined null, and the fix refuses to grant while it is unknown.
    return out


def _node(tree, name):
    for key, node in (tree or {}).items():
        if key.lower() == name.lower() and isinstance(node, dict):
            return node
    return None


def mscep(reads):
    """``(state, top values, NDESCertThumbprint value or None)`` from the recursive MSCEP read.

    State ``ok`` only when the value could be looked for; a read without its
    recursive ``tree`` gives ``failed`` for the thumbprint (the top values stay usable).
    """
    state, data = reads.get("mscep", "policy_cert", quiet=True)
    if state != OK:
        reason = reason_of("mscep", reads.results["mscep"]) if "mscep" in reads.results else \
            "not gathered: read 'mscep' was not in the request"
        reads.note("policy_cert", reason)
        reads.note("mscep_templates", reason)
        return state, None, None
    if not data.get("exists"):
        return OK, {}, None
    tree = data.get("tree")
    if tree is None and isinstance(data.get("subkeys"), dict):
        tree = data["subkeys"]                  # an agent that nests under subkeys
    policy = _node((_node(tree, "Modules") or {}).get("subkeys"), "NDESPolicy") if tree else None
    if tree is None:
        reads.note("policy_cert", "read mscep returned no recursive tree (recurse ignored?)")
        return FAILED, data.get("values") or {}, None
    _type, value = v.reg_value((policy or {}).get("values"), "NDESCertThumbprint")
    return OK, data.get("values") or {}, value if isinstance(value, str) and value.strip() else None


def mscep_templates(top_values, expected):
    names = (("signature_template", "SignatureTemplate"), ("encryption_template", "EncryptionTemplate"),
             ("general_purpose_template", "GeneralPurposeTemplate"))
    out = dict((key, None) for key, _n in names)
    out.update(expected=expected, all_default=None, display_names=None, values_ok=None)
    if top_values is None:
        return out
    for key, name in names:
        out[key] = v.reg_value(top_values, name)[1]
    found = [out[key] for key, _n in names]
    out["all_default"] = all((x or "").lower() == "ipsecintermediateoffline" for x in found)
    # A template *name* (its cn) has no blanks; "NDES Intune" is a display name (CA error 0x80094800).
    out["display_names"] = sorted(set(x for x in found if isinstance(x, str) and any(c.isspace() for c in x.strip())))
    ok = all(found) and not out["all_default"] and not out["display_names"]
    if expected:
        ok = ok and all(x.lower() == expected.lower() for x in found)
    out["values_ok"] = ok
    return out


def _service(name, record):
    if not record or not record.get("exists"):
        return {"exists": False, "status": None, "start_mode": None, "ok": None}
    status, mode = record.get("status"), record.get("start_mode")
    ok = (status or "").lower() == "running"
    if name in AUTO_REQUIRED:
        ok = ok and (mode or "").lower() in ("auto", "automatic")
    return {"exists": True, "status": status, "start_mode": mode, "ok": ok}


def services(reads, names):
    state, data = reads.get("services", "services")
    if state != OK:
        return dict((n, {"exists": None, "status": None, "start_mode": None, "ok": None}) for n in names)
    records = dict((k.lower(), r) for k, r in (data.get("services") or {}).items())
    return dict((n, _service(n, records.get(n.lower()))) for n in names)


def proxy_connector(svc, expected):
    main, updater = svc.get("WAPCSvc") or {}, svc.get("WAPCUpdaterSvc") or {}
    return {"present": main.get("exists"), "ok": main.get("ok"), "updater_present": updater.get("exists"),
            "updater_ok": updater.get("ok"), "expected": bool(expected)}


def _event(e):
    return {"id": e.get("id"), "provider": e.get("provider"), "time": e.get("time"),
            "properties": list(e.get("properties") or [])[:3]}


def _prop(e, index):
    props = e.get("properties") or []
    return props[index] if len(props) > index else None


def crashes(reads, pool_name):
    out = {"w3wp_count": None, "was_count": None, "exit_codes": [], "last": None, "events": []}
    picked = []
    state, data = reads.get("app_errors", "crashes")
    if state == OK:
        w3wp = [e for e in data.get("events") or [] if str(_prop(e, 0) or "").lower() == "w3wp.exe"]
        out["w3wp_count"] = len(w3wp)
        picked += w3wp
    state, data = reads.get("was_events", "crashes")
    if state == OK:
        was = [e for e in data.get("events") or [] if str(_prop(e, 0) or "").lower() == pool_name.lower()]
        out["was_count"] = len(was)
        codes = (v.as_int(_prop(e, 2)) for e in was if e.get("id") == 5009)
        out["exit_codes"] = sorted(set("0x%x" % c for c in codes if c is not None))
        picked += was
    picked.sort(key=lambda e: v.parse_time(e.get("time")) or v.parse_time("1970-01-01T00:00:00Z"))
    out["events"] = [_event(e) for e in picked[-MAX_EVENTS:]]
    out["last"] = picked[-1].get("time") if picked else None
    return out


def setup_msi(reads, directory):
    out = {"found": None, "path": None, "status": None, "success": None, "reboot_required": None}
    state, data = reads.get("setup_msi", "setup_msi", not_found_ok=True)
    if state == NOT_FOUND:
        out["found"] = False
        return out
    if state != OK:
        return out
    files = data.get("files") or []
    if not files:
        out["found"] = False
        return out
    last = files[-1]
    parsed = parse_setupmsi(last.get("content") or "")
    out.update(found=True, path=last.get("path") or directory + "\\SetupMsi.log", status=parsed["status"],
               success=parsed["success"], reboot_required=parsed["reboot_required"])
    return out


def _products(tree):
    out = []
    for key, node in sorted((tree or {}).items()):
        _t, name = v.reg_value((node or {}).get("values"), "DisplayName")
        if isinstance(name, str) and "intune" in name.lower() and "connector" in name.lower():
            out.append({"name": name, "version": v.reg_value(node.get("values"), "DisplayVersion")[1], "key": key})
    return out


def _last_connection(reads, out, now, stale_hours):
    state, data = reads.get("connector_status", "connector.last_connection")
    if state != OK or not data.get("exists"):
        return
    raw = v.reg_value(data.get("values"), "LastConnectionTime")[1]
    out["last_connection"] = raw
    when = v.parse_time(raw) if isinstance(raw, str) else None
    if raw is not None and when is None:
        reads.note("connector.last_connection", "LastConnectionTime %r is not an ISO-8601 time" % (raw,))
        return
    if when is not None:
        hours = (now - when).total_seconds() / 3600.0
        out["last_connection_hours"] = round(hours, 1)
        out["stale"] = hours > stale_hours


def connector(reads, svc, now=None, stale_hours=24):
    products, readable = [], True
    for op_id in ("uninstall", "uninstall_wow64"):
        state, data = reads.get(op_id, "connector")
        if state == OK:
            tree = data.get("tree")
            if tree is None and isinstance(data.get("subkeys"), dict):
                tree = data["subkeys"]
            products += _products(tree)
        else:
            readable = False
    present = [n for n in CONNECTOR_SERVICES if (svc.get(n) or {}).get("exists")]
    services_known = all((svc.get(n) or {}).get("exists") is not None for n in CONNECTOR_SERVICES)
    installed = True if (products or present) else (False if readable and services_known else None)
    out = {"installed": installed, "products": products, "services_present": present,
           "admin_log": None, "admin_errors": None, "admin_error_ids": [],
           "last_connection": None, "last_connection_hours": None, "stale": None}
    if now is not None:
        _last_connection(reads, out, now, stale_hours)
    state, data = reads.get("connector_events", "connector.admin_log")
    if state == OK:
        out["admin_log"] = bool(data.get("log_exists"))
        events = data.get("events") or []
        out["admin_errors"] = len(events) if out["admin_log"] else None
        out["admin_error_ids"] = sorted(set(e.get("id") for e in events if e.get("id") is not None))
    return out


def service_account(reads, settings, pool):
    """Who the SCEP pool runs as, and its AD state (``known`` | ``unknown`` | ``not_applicable``)."""
    configured = settings["service_account"]
    out = {"name": configured, "source": "settings" if configured else "scep_pool",
           "identity_type": pool.get("identity_type"), "status": "unknown", "reason": None,
           "locked": None, "password_expired": None, "disabled": None, "sid": None, "problem": None}
    if not configured:
        if pool.get("exists") is None:
            out["reason"] = "the SCEP pool could not be read"
            reads.note("service_account", out["reason"])
            return out
        if pool.get("exists") is False:
            out.update(status="not_applicable", reason="the %s application pool does not exist" % pool["name"])
            return out
        if (pool.get("identity_type") or "") != "SpecificUser":
            out.update(name="%s (%s)" % (pool["name"], pool.get("identity_type")), source="builtin",
                       status="not_applicable", sid=v.identity_sid(pool.get("identity_type"), pool["name"]),
                       reason="the SCEP pool runs as %s, not a domain account" % pool.get("identity_type"))
            return out
        out["name"] = pool.get("user_name")
    state, data = reads.get("service_account", "service_account", quiet=True)
    pstate, pdata = reads.get("service_principal", "service_account.sid", quiet=True)
    if pstate == OK:
        out["sid"] = v.sid(next(iter((pdata.get("principals") or {}).values()), None))
    if state == OK:
        out.update(status=data.get("status") or "unknown", reason=data.get("reason"), locked=data.get("locked"),
                   password_expired=data.get("password_expired"), disabled=data.get("disabled"))
        out["sid"] = v.sid(data.get("sid")) or out["sid"]
        out["name"] = out["name"] or (data.get("resolved") or {}).get("account")
    elif state == MISSING:
        out["reason"] = "not gathered: read 'service_account' was not in the request"
    else:
        error = data or {}
        out["reason"] = "read service_account failed: %s: %s" % (error.get("code"), error.get("message"))
    if out["status"] == "known":
        out["problem"] = bool(out["locked"] or out["password_expired"] or out["disabled"])
    else:
        reads.note("service_account", out["reason"] or "the AD state of %s is unknown" % out["name"])
    return out


def chain(reads, policy_problem):
    out = {"checked": False, "thumbprint": None, "revocation_unreachable": None, "revoked": None,
           "status": [], "urls": [], "elements": []}
    quiet = policy_problem in ("unset", "missing")
    state, data = reads.get("policy_chain", "chain", not_found_ok=quiet, quiet=quiet)
    if state != OK:
        return out
    statuses = set(data.get("status") or [])
    for element in data.get("elements") or []:
        statuses.update(element.get("status") or [])
    out.update(checked=True, thumbprint=v.thumbprint((data.get("resolved") or {}).get("thumbprint")),
               revocation_unreachable=any(flag in statuses for flag in REVOCATION_FLAGS),
               revoked="Revoked" in statuses, status=sorted(statuses), urls=list(data.get("urls") or []),
               elements=[{"thumbprint": e.get("thumbprint"), "subject": e.get("subject"),
                          "status": list(e.get("status") or [])} for e in data.get("elements") or []])
    return out


def capi2(reads):
    out = {"log_exists": None, "enabled": None, "errors": None}
    state, data = reads.get("capi2", "capi2")
    if state != OK:
        return out
    out["log_exists"] = bool(data.get("log_exists"))
    out["enabled"] = v.as_bool(data.get("log_enabled")) if out["log_exists"] else False
    out["errors"] = sum(1 for e in data.get("events") or [] if e.get("level") == 2)
    return out


def temp_acl(reads, path):
    out = {"path": path, "network_service_can_write": None, "network_service_explicit": None}
    state, data = reads.get("temp_acl", "temp_acl")
    if state != OK:
        return out
    allowed = denied = explicit = False
    for ace in data.get("aces") or []:
        sid = v.sid(ace.get("sid"))
        if sid not in NETWORK_SERVICE_SIDS:
            continue
        explicit = explicit or sid == v.NETWORK_SERVICE
        if not set(r.lower() for r in ace.get("rights") or []) & WRITE_RIGHTS:
            continue
        if "deny" in (ace.get("type") or "").lower():
            denied = True
        else:
            allowed = True
    out.update(network_service_can_write=allowed and not denied, network_service_explicit=explicit)
    return out


def ie_esc(reads):
    out = {}
    for key, op_id in (("admin_enabled", "ie_esc_admin"), ("user_enabled", "ie_esc_user")):
        state, data = reads.get(op_id, "ie_esc")
        if state != OK:
            out[key] = None
        elif not data.get("exists"):
            out[key] = False
        else:
            value = v.as_int(v.reg_value(data.get("values"), "IsInstalled")[1])
            out[key] = None if value is None else value == 1
    return out
