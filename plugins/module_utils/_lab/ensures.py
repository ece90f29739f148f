# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Ensure kinds of the contract over the lab state.

Every handler computes before / predicted after first; in check mode it stops there. Otherwise
it writes its backup item (manifest entry with the ``restore`` op) and only then changes state.
"""
from __future__ import annotations

import os

from ansible_collections.ndes.scep.plugins.module_utils._lab import (
    accounts, acl, boot, certinfo, certs, certstore, events, iis, iisxml, layout, logs, pools, registry, rights,
    runctl, services, store)
from ansible_collections.ndes.scep.plugins.module_utils._lab.errors import AgentError

RECYCLE_NOTE = "a worker process sees a user-right change after an app pool recycle or iis_reset"


def _result(changed, before, after, backup=None, warnings=None):
    out = {"changed": bool(changed), "before": before, "after": after}
    if backup:
        out["backup"] = backup
    if warnings:
        out["warnings"] = warnings
    return out


# ------------------------------------------------------------------ registry
def registry_value(ctx, args):
    path, name, kind = args["path"], args["name"], args["type"]
    absent = args.get("state", "present") == "absent"
    reg = registry.load(ctx.root)
    try:
        path = registry.normalize(path)
        want = None if absent else registry.coerce(kind, args.get("value"))
    except ValueError as exc:
        raise AgentError("invalid_request", str(exc))
    cur = registry.get_value(reg, path, name)
    before = {"value": cur["value"] if cur else None, "type": cur["type"] if cur else None}
    after = {"value": want, "type": None if absent else kind}
    changed = (cur is not None) if absent else (cur is None or cur["type"] != kind or cur["value"] != want)
    if not changed or ctx.check:
        return _result(changed, before, after if changed else before)
    if cur is None:
        undo = {"path": path, "name": name, "type": kind, "value": "", "state": "absent"}
    else:
        undo = {"path": path, "name": name, "type": cur["type"], "value": cur["value"]}
    restore = {"kind": "registry_value", "args": undo}
    saved = ctx.backup_json("registry_key", path, registry.export_key(reg, path), restore, ".reg.json")
    when = store.iso(ctx.now)
    if absent:
        registry.delete_value(reg, path, name, when)
    else:
        registry.set_value(reg, path, name, kind, want, when)
    registry.save(ctx.root, reg)
    return _result(True, before, after, saved)


# ------------------------------------------------------------------ IIS
def iis_property(ctx, args):
    section, location, attrs = args["section"], args["location"], args["attributes"]
    if not attrs:
        raise AgentError("invalid_request", "attributes: give at least one attribute to set")
    if location.strip("/") and iis.physical_path(ctx.root, location) is None:
        raise AgentError("not_found", "no IIS site at location %r" % location)
    names = sorted(attrs)
    try:
        before = {"attributes": iis.effective(ctx.root, section, location, names)["attributes"]}
        doc, explicit = iis.edit(ctx.root, section, location, args["commit_path"], attrs, args.get("commit_location"))
    except iis.IisError as exc:
        raise AgentError(exc.code, str(exc))
    want = dict((a, iis.from_xml(section, a, iis.to_xml(v))) for a, v in attrs.items())
    changed = any(explicit.get(a) != want[a] for a in names)
    with iisxml.overlay({doc.filename: doc}):
        after = {"attributes": iis.effective(ctx.root, section, location, names)["attributes"]}
    warnings = ["%s at %s stays %r: a deeper configuration level sets it" % (a, location, after["attributes"][a])
                for a in names if after["attributes"][a] != want[a]]
    if changed:
        doc.check()  # a value the file cannot hold fails here (check mode too), before any backup or write
    if not changed or ctx.check:
        return _result(changed, before, after if changed else before, warnings=warnings)
    winpath = layout.lab_to_win(ctx.root, doc.filename)
    if iisxml.exists(doc.filename):
        saved = ctx.backup_bytes("file", winpath, "-" + winpath.rsplit("\\", 1)[-1], store.read_bytes(doc.filename),
                                 {"kind": "file_restore", "args": {"path": winpath}})
    else:
        saved = ctx.backup_json("file", winpath, {"path": winpath, "absent": True},
                                {"kind": "file_restore", "args": {"path": winpath, "absent": True}})
    doc.save()
    after = {"attributes": iis.effective(ctx.root, section, location, names)["attributes"]}
    return _result(True, before, after, saved, warnings)


def app_pool_state(ctx, args):
    name = pools.find(ctx.root, args["name"])
    if name is None:
        raise AgentError("not_found", "application pool %r does not exist" % args["name"])
    pool = pools.read(ctx.root, [name])[0]
    before = {"state": pool["state"], "auto_start": pool["auto_start"]}
    after = dict(before)
    state = args.get("state")
    recycle = state == "recycled"
    if recycle and pool["state"] != "Started":
        raise AgentError("precondition", "pool %s is %s: start it instead of recycling" % (name, pool["state"]))
    if state in ("started", "stopped"):
        after["state"] = "Started" if state == "started" else "Stopped"
    if args.get("auto_start") is not None:
        after["auto_start"] = bool(args["auto_start"])
    changed = recycle or after != before
    if not changed or ctx.check:
        return _result(changed, before, after)
    saved = ctx.backup_json("app_pool", name, before, {"kind": "app_pool_state", "args": {
        "name": name, "state": before["state"].lower() if before["state"] in ("Started", "Stopped") else "started",
        "auto_start": before["auto_start"]}})
    if after["auto_start"] != before["auto_start"]:
        pools.set_auto_start(ctx.root, name, after["auto_start"])
    if recycle or after["state"] != before["state"]:
        pools.set_state(ctx.root, name, after["state"], ctx.now, recycled=recycle)
        if after["state"] == "Started":
            _refresh_worker_rights(ctx)
    return _result(True, before, after, saved)


def _refresh_worker_rights(ctx):
    data = boot.load(ctx.root)
    boot.refresh_worker_rights(data, ctx.root)
    boot.save(ctx.root, data)


def iis_reset(ctx, args):
    before = {"reset_at": boot.load(ctx.root).get("iis_reset_at")}
    if ctx.check:
        return _result(True, before, {"reset_at": None})
    when = store.iso(ctx.now)
    svc = services.load(ctx.root)
    for name in ("WAS", "W3SVC"):
        key = services.find(svc, name)
        if key:
            svc[key]["status"] = "Running"
    services.save(ctx.root, svc)
    for name, cfg in pools.configured(ctx.root).items():
        pools.set_state(ctx.root, name, "Started" if cfg["auto_start"] else "Stopped", ctx.now)
    data = boot.refresh_worker_rights(boot.load(ctx.root), ctx.root)
    data["iis_reset_at"] = when
    data["iis_resets"] = int(data.get("iis_resets") or 0) + 1   # how many resets this lab saw (tests count them)
    boot.save(ctx.root, data)
    return _result(True, before, {"reset_at": when})


# ------------------------------------------------------------------ rights, services
def _check_mapped(ctx, sids):
    """A grant to a SID that names no account fails before any backup or change (check mode too).

    Not for restore replays (``ctx.backups`` is None): putting back a holder the run removed must work
    even when its account has been deleted since.
    """
    if ctx.backups is None:
        return
    ad = accounts.load_ad(ctx.root)
    for sid in sids:
        if accounts.account_of_sid(ctx.root, sid, ad) is None:
            raise AgentError("not_found", accounts.unmapped_sid_message(sid))


def user_right_grant(ctx, args):
    right = args["right"]
    add = [s.upper() for s in args.get("add") or []]
    remove = set(s.upper() for s in args.get("remove") or [])
    current = rights.user_right(ctx.root, right)
    holders = current["holders"]
    _check_mapped(ctx, [s for s in add if s not in holders])
    new = rights.canonical([s for s in holders if s not in remove] + add)
    changed = set(new) != set(holders)
    before, after = {"holders": holders}, {"holders": new}
    if changed and current["gpo_defined"] and not args.get("override_gpo"):
        raise AgentError("precondition", "%s is defined by the GPO %r: a local change is reverted at the next "
                         "policy refresh; change the GPO (or pass override_gpo)" % (right, current["gpo_source"]))
    if changed and current["gpo_defined"] is None and not args.get("override_gpo"):
        raise AgentError("precondition", "could not read the GPO definition of %s (RSOP): nothing was changed; "
                         "rerun with rights to read root\\rsop\\computer or pass override_gpo" % right)
    if not changed or ctx.check:
        return _result(changed, before, after if changed else before, warnings=[RECYCLE_NOTE] if changed else None)
    added = [s for s in new if s not in holders]
    removed = [s for s in holders if s not in new]
    saved = ctx.backup_json("user_right", right, before, {"kind": "user_right_grant", "args": {
        "right": right, "add": removed, "remove": added, "override_gpo": True}})
    rights.set_holders(ctx.root, right, new)
    return _result(True, before, after, saved, [RECYCLE_NOTE])


def service_state(ctx, args):
    data = services.load(ctx.root)
    key = services.find(data, args["name"])
    if key is None:
        raise AgentError("not_found", "service %r is not installed on this host" % args["name"])
    svc = data[key]
    before = {"status": svc["status"], "start_mode": svc["start_mode"]}
    after = dict(before)
    if args.get("start_mode"):
        after["start_mode"] = services.START_MODES[args["start_mode"]]
    state = args.get("state")
    if state in ("running", "restarted") and after["start_mode"] == "Disabled":
        raise AgentError("precondition", "service %s is Disabled: set start_mode first" % key)
    if state in ("running", "restarted"):
        after["status"] = "Running"
    elif state == "stopped":
        after["status"] = "Stopped"
    changed = state == "restarted" or after != before
    if not changed or ctx.check:
        return _result(changed, before, after)
    saved = ctx.backup_json("service", key, before, {"kind": "service_state", "args": {
        "name": key, "state": "running" if before["status"] == "Running" else "stopped",
        "start_mode": before["start_mode"].lower() if before["start_mode"].lower() in services.START_MODES else "manual"}})
    svc.update(after)
    services.save(ctx.root, data)
    return _result(True, before, after, saved)


def event_log_state(ctx, args):
    log = args["log"]
    exists, enabled = events.channel_state(ctx.root, log)
    if not exists:
        raise AgentError("not_found", "event log %r does not exist" % log)
    if log.lower() in (c.lower() for c in events.CLASSIC):
        if not args["enabled"]:
            raise AgentError("unsupported", "classic log %s cannot be disabled" % log)
        return _result(False, {"enabled": True}, {"enabled": True})
    before, after = {"enabled": bool(enabled)}, {"enabled": bool(args["enabled"])}
    changed = before != after
    if not changed or ctx.check:
        return _result(changed, before, after)
    reg = registry.load(ctx.root)
    path = events.CHANNELS + "\\" + log
    saved = ctx.backup_json("registry_key", path, registry.export_key(reg, path),
                            {"kind": "event_log_state", "args": {"log": log, "enabled": before["enabled"]}}, ".reg.json")
    registry.set_value(reg, path, "Enabled", "REG_DWORD", 1 if after["enabled"] else 0, store.iso(ctx.now))
    registry.save(ctx.root, reg)
    return _result(True, before, after, saved)


# ------------------------------------------------------------------ ACLs
def key_acl_grant(ctx, args):
    entry = _cert(ctx, args["thumbprint"], args["store"])
    if not entry["has_key"]:
        raise AgentError("precondition", "certificate %s has no private key to grant access to" % entry["thumbprint"])
    unreadable = entry["meta"].get("key_acl_error")
    if unreadable:
        # the lab's unreadable key file: the grant fails as the Windows agent's would
        code = unreadable if unreadable in ("access_denied", "io_error") else "not_found"
        raise AgentError(code, "the private key ACL of certificate %s cannot be read (%s)" % (entry["thumbprint"], unreadable))
    current = entry["meta"].get("key_acl", [])
    new, changed = acl.grant(current, args["sid"].upper(), args["rights"], explicit_fields=False)
    if changed:
        _check_mapped(ctx, [args["sid"].upper()])
    before, after = {"key_acl": current}, {"key_acl": new}
    if not changed or ctx.check:
        return _result(changed, before, after if changed else before)
    saved = ctx.backup_json("key_acl", "%s\\%s" % (entry["store"], entry["thumbprint"]),
                            {"key_acl": current, "sddl": acl.sddl(accounts.SYSTEM, current)},
                            {"kind": "key_acl_set", "args": {"thumbprint": entry["thumbprint"], "store": entry["store"],
                                                             "key_acl": current}}, ".acl.json")
    certstore.set_meta(ctx.root, entry["store"], entry["thumbprint"], key_acl=new)
    return _result(True, before, after, saved)


def folder_acl_grant(ctx, args):
    path = args["path"]
    current = acl.get(ctx.root, path)
    if current is None:
        raise AgentError("not_found", "folder %s does not exist" % path)
    new, changed = acl.grant(current["aces"], args["sid"].upper(), args["rights"])
    if changed:
        _check_mapped(ctx, [args["sid"].upper()])
    before, after = {"aces": current["aces"]}, {"aces": new}
    if not changed or ctx.check:
        return _result(changed, before, after if changed else before)
    saved = ctx.backup_json("folder_acl", path, {"owner_sid": current["owner_sid"], "aces": current["aces"],
                                                 "sddl": acl.sddl(current["owner_sid"], current["aces"])},
                            {"kind": "folder_acl_set", "args": {"path": path, "owner_sid": current["owner_sid"],
                                                                "aces": current["aces"]}}, ".acl.json")
    acl.put(ctx.root, path, {"owner_sid": current["owner_sid"], "aces": new})
    return _result(True, before, after, saved)


# ------------------------------------------------------------------ certificates
def _cert(ctx, thumbprint, store_name):
    entry = certstore.get(ctx.root, store_name, thumbprint)
    if entry is None:
        raise AgentError("not_found", "certificate %s is not in LocalMachine\\%s" % (thumbprint, store_name))
    return entry


def _stores_of(ctx, tp):
    return [s for s in certstore.KNOWN_STORES if certstore.get(ctx.root, s, tp) is not None]


def cert_move(ctx, args):
    tp = certstore.normalize_thumbprint(args["thumbprint"])
    src, dst = certstore.store_name(args["from_store"]), certstore.store_name(args["to_store"])
    stores = _stores_of(ctx, tp)
    before = {"stores": stores}
    if src not in stores:
        if dst in stores:
            return _result(False, before, before)
        raise AgentError("not_found", "certificate %s is not in LocalMachine\\%s" % (tp, src))
    entry = certstore.get(ctx.root, src, tp)
    if entry["meta"].get("gpo_placed"):
        raise AgentError("precondition", "certificate %s in %s was placed by Group Policy "
                         "(HKLM\\SOFTWARE\\Policies\\Microsoft\\SystemCertificates): it comes back at the next "
                         "policy refresh; remove it from the GPO" % (tp, src))
    order = dict((name, index) for index, name in enumerate(certstore.KNOWN_STORES))
    after = {"stores": sorted(set(stores) - {src} | {dst}, key=lambda name: (order.get(name, 99), name))}
    # as X509Store.Open with OpenExistingOnly on Windows: a missing target store fails, check mode too
    if dst not in certstore.KNOWN_STORES and not os.path.isdir(certstore.store_dir(ctx.root, dst)):
        raise AgentError("not_found", "certificate store LocalMachine\\%s does not exist" % dst)
    if ctx.check:
        return _result(True, before, after)
    saved = ctx.backup_bytes("certificate", "%s\\%s" % (src, tp), ".cer", certinfo.der_bytes(entry["cert"]),
                             {"kind": "cert_move", "args": {"thumbprint": tp, "from_store": dst, "to_store": src}})
    certstore.move(ctx.root, tp, src, dst)
    return _result(True, before, after, saved)


def cert_archive(ctx, args):
    entry = _cert(ctx, args["thumbprint"], args["store"])
    before = {"archived": bool(entry["meta"].get("archived"))}
    if before["archived"] or ctx.check:
        return _result(not before["archived"], before, {"archived": True})
    saved = ctx.backup_bytes("certificate", "%s\\%s" % (entry["store"], entry["thumbprint"]), ".cer",
                             certinfo.der_bytes(entry["cert"]),
                             {"kind": "cert_unarchive", "args": {"thumbprint": entry["thumbprint"],
                                                                 "store": entry["store"]}})
    certstore.set_meta(ctx.root, entry["store"], entry["thumbprint"], archived=True)
    return _result(True, before, {"archived": True}, saved)


def _enrolling_identity(ctx, context):
    """{name, sid, sids} of who asks the CA: the computer account (machine) or the agent's user (user)."""
    ad = accounts.load_ad(ctx.root)
    if not ad.get("reachable"):
        raise AgentError("access_denied", "the CA could not be asked with the agent's credentials (%s): the WinRM "
                         "double hop; connect with CredSSP or Kerberos delegation, or use become"
                         % (ad.get("reason") or "no domain controller could be reached"))
    return accounts.identities(ctx.root, ctx.lab["hostname"], ad)[context]


def cert_enroll(ctx, args):
    """Enrol from the lab CA as certreq would: template offered, Read + Enroll for the requester, subject type.

    context user: the request runs as the agent's user, the certificate lands in its CurrentUser\\My and is
    moved with its (exportable) key to LocalMachine\\My, as Microsoft's procedure does for the Exchange
    Enrollment Agent (Offline request) template. The validity, key usage, EKU and template extension are
    the template's (certs.issue).
    """
    context = args["context"]
    meta = certs.ca_meta(ctx.root)
    if not certs.ca_matches(meta, args["ca"]):
        raise AgentError("not_found", "CA %r is not known here; the lab CA is %r" % (args["ca"], meta["config"]))
    template = args["template"]
    if template not in certs.TEMPLATES or template not in meta.get("templates", []):
        raise AgentError("not_found", "CA %s does not offer template %r (CERTSRV_E_UNSUPPORTED_CERT_TYPE 0x80094800); "
                         "it offers %s" % (meta["config"], template, ", ".join(meta.get("templates", []))))
    spec = certs.TEMPLATES[template]
    if context == "machine" and spec["subject"] == "user":
        raise AgentError("precondition", "template %s has subject type User: enrol it with context user (as the "
                         "account the agent runs as); the agent then moves it to LocalMachine\\My" % template)
    exportable = bool(args.get("exportable"))
    if context == "user" and not exportable:
        raise AgentError("precondition", "context user: the new key must be exportable (exportable: true) to move it "
                         "from the user's store to LocalMachine\\My")
    if context == "user" and "oid" in spec and not spec["exportable"]:
        raise AgentError("precondition", "template %s does not allow exporting the private key "
                         "(msPKI-Private-Key-Flag without CT_FLAG_EXPORTABLE_KEY 0x10)" % template)
    who = _enrolling_identity(ctx, context)
    access = certs.template_access((meta.get("template_acl") or {}).get(template, []), who["sids"])
    if not (access["read"] and access["enroll"]):
        missing = " and ".join(r.title() for r in ("read", "enroll") if not access[r])
        raise AgentError("access_denied", "the CA denied the request (CERTSRV_E_TEMPLATE_DENIED 0x80094012): %s has "
                         "no %s permission on template %s" % (who["name"], missing, template))
    san = list(args.get("san_dns") or [])
    try:
        subject = certs.parse_name(args["subject"])
    except ValueError as exc:
        raise AgentError("invalid_request", str(exc))
    if args.get("replaces"):
        old = _cert(ctx, args["replaces"], "My")
        subject = old["cert"].subject
        san = san or certinfo.san_dns(old["cert"])
    provider = args.get("provider") or certstore.KSP
    before = {"thumbprint": args.get("replaces")}
    if ctx.check:
        return _result(True, before, {"thumbprint": None, "not_after": None, "provider": provider})
    cert, key = certs.issue(ctx.root, subject, template, san, now=ctx.now)
    tp = certinfo.thumbprint(cert)
    saved = ctx.backup_bytes("certificate", "My\\" + tp, ".cer", certinfo.der_bytes(cert),
                             {"kind": "cert_archive", "args": {"thumbprint": tp, "store": "My"}})
    certstore.add(ctx.root, "My", cert, key, {
        "key_provider": provider, "exportable": exportable, "enrolled_as": context,
        "key_acl": [{"sid": accounts.SYSTEM, "rights": ["full_control"]},
                    {"sid": accounts.ADMINISTRATORS, "rights": ["full_control"]}]})
    return _result(True, before, {"thumbprint": tp, "not_after": store.iso(certs.not_after(cert)), "provider": provider},
                   saved)


# ------------------------------------------------------------------ lab: boot, injection
def reboot(ctx, args):
    before = {"last_boot": boot.load(ctx.root).get("last_boot") or ""}
    after = {"last_boot": store.iso(ctx.now)}
    if ctx.check:
        return _result(True, before, after)
    boot.reboot(ctx.root, ctx.now)
    logs.httperr_start(ctx.root, ctx.now)
    return _result(True, before, after)


def lab_inject(ctx, args):
    current = runctl.load_inject(ctx.root)
    new = {} if args.get("clear") else dict(current)
    for key in runctl.INJECT_KEYS:
        if args.get(key) is not None:
            new[key] = args[key]
    latency = new.get("latency")
    if latency is not None and (isinstance(latency, bool) or not isinstance(latency, (int, float)) or latency < 0):
        raise AgentError("invalid_request", "latency must be a number of seconds >= 0, got %r" % (latency,))
    if "fail_ensure" in new and new["fail_ensure"] < 1:
        raise AgentError("invalid_request", "fail_ensure counts ensures from 1")
    changed = new != current
    if changed and not ctx.check:
        runctl.save_inject(ctx.root, new)
    return _result(changed, {"inject": current}, {"inject": new})


# ------------------------------------------------------------------ restore-only kinds (from manifests)
def file_restore(ctx, args):
    filename = layout.win_to_lab(ctx.root, args["path"])
    if args.get("absent"):
        changed = iisxml.exists(filename)
        if changed and not ctx.check:
            os.unlink(filename)
        return _result(changed, {}, {})
    data = store.read_bytes(ctx.item_file)
    changed = not iisxml.exists(filename) or store.read_bytes(filename) != data
    if changed and not ctx.check:
        store.write_bytes(filename, data)
    return _result(changed, {}, {})


def key_acl_set(ctx, args):
    entry = _cert(ctx, args["thumbprint"], args["store"])
    changed = entry["meta"].get("key_acl", []) != args["key_acl"]
    if changed and not ctx.check:
        certstore.set_meta(ctx.root, entry["store"], entry["thumbprint"], key_acl=args["key_acl"])
    return _result(changed, {}, {})


def folder_acl_set(ctx, args):
    current = acl.get(ctx.root, args["path"])
    changed = current is None or current["aces"] != args["aces"] or current["owner_sid"] != args["owner_sid"]
    if changed and not ctx.check:
        acl.put(ctx.root, args["path"], {"owner_sid": args["owner_sid"], "aces": args["aces"]})
    return _result(changed, {}, {})


def cert_unarchive(ctx, args):
    entry = _cert(ctx, args["thumbprint"], args["store"])
    changed = bool(entry["meta"].get("archived"))
    if changed and not ctx.check:
        certstore.set_meta(ctx.root, entry["store"], entry["thumbprint"], archived=False)
    return _result(changed, {}, {})


ENSURES = {
    "registry_value": registry_value, "iis_property": iis_property, "user_right_grant": user_right_grant,
    "app_pool_state": app_pool_state, "service_state": service_state, "cert_move": cert_move,
    "key_acl_grant": key_acl_grant, "folder_acl_grant": folder_acl_grant, "event_log_state": event_log_state,
    "iis_reset": iis_reset, "cert_enroll": cert_enroll, "cert_archive": cert_archive, "reboot": reboot,
    "lab_inject": lab_inject,
}
RESTORE_ONLY = {"file_restore": file_restore, "key_acl_set": key_acl_set, "folder_acl_set": folder_acl_set,
                "cert_unarchive": cert_unarchive}
