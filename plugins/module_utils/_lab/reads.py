# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read kinds of the contract over the lab state; each returns the op's ``data``."""
from __future__ import annotations

import codecs
import datetime
import fnmatch
import os

from ansible_collections.ndes.scep.plugins.module_utils._lab import (
    accounts, acl, backup, boot, certs, certstore, chain, events, iis, layout, pools, registry, rights, services, store)
from ansible_collections.ndes.scep.plugins.module_utils._lab.errors import AgentError

DEFAULT_TAIL_BYTES = 65536


def system(ctx, args):
    sysinfo = store.load(ctx.root, layout.SYSTEM, {})
    return {"hostname": ctx.lab["hostname"], "fqdn": ctx.lab["fqdn"], "domain_role": sysinfo.get("domain_role", 3),
            "os_version": sysinfo.get("os_version", "10.0.20348"), "last_boot": boot.load(ctx.root).get("last_boot"),
            "now": store.iso(ctx.now), "installed_roles": list(sysinfo.get("installed_roles", [])), "agent": "lab"}


def registry_key(ctx, args):
    return registry.read_key(registry.load(ctx.root), args["path"], args.get("names"), bool(args.get("recurse")))


def iis_sites(ctx, args):
    out = []
    for site in iis.sites(ctx.root):
        site = dict(site)
        site["applications"] = [{"path": a["path"], "pool": a["pool"], "physical_path": a["physical_path"]}
                                for a in site["applications"]]
        out.append(site)
    return {"sites": out}


def iis_config(ctx, args):
    return iis.effective(ctx.root, args["section"], args["location"], args.get("attributes"))


def app_pools(ctx, args):
    return {"pools": pools.read(ctx.root, args.get("names"))}


def services_read(ctx, args):
    return {"services": services.read(ctx.root, args["names"])}


def cert_store(ctx, args):
    if args.get("location", "LocalMachine") != "LocalMachine":
        return {"certs": []}
    return {"certs": certstore.read(ctx.root, args["store"], bool(args.get("include_archived")),
                                    args.get("include_acl", True))}


def cert_chain(ctx, args):
    try:
        return chain.build(ctx.root, args["thumbprint"], args["store"], args.get("online", True), ctx.now)
    except KeyError as exc:
        raise AgentError("not_found", str(exc.args[0]))


def user_right(ctx, args):
    return rights.user_right(ctx.root, args["right"])


def events_read(ctx, args):
    return events.query(ctx.root, args["log"], args.get("provider"), args.get("ids"), args.get("since_hours"),
                        args.get("max"), ctx.now)


def _encoding(head):
    if head.startswith(codecs.BOM_UTF16_LE):
        return "utf-16-le", 2
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8", 3
    return "utf-8", 0


def _tail(filename, max_bytes):
    """(offset, text, truncated, encoding): the last max_bytes, cut forward to a line start."""
    size = os.path.getsize(filename)
    with open(filename, "rb") as handle:
        encoding, bom = _encoding(handle.read(3))
        start = max(bom, size - max_bytes)
        width = 2 if encoding == "utf-16-le" else 1
        start += (start - bom) % width
        handle.seek(start)
        data = handle.read()
    truncated = start > bom
    if truncated:
        newline = "\n".encode(encoding)
        cut = 0
        while True:
            cut = data.find(newline, cut)
            if cut < 0 or cut % width == 0:
                break
            cut += 1
        if cut < 0:
            data, cut = b"", len(data)
        else:
            data = data[cut + len(newline):]
            start += cut + len(newline)
    return start, data.decode(encoding, errors="replace"), truncated, encoding


def _head(filename, head_bytes):
    """The first head_bytes of a file (BOM dropped), cut back to the end of its last whole line."""
    with open(filename, "rb") as handle:
        encoding, bom = _encoding(handle.read(3))
        handle.seek(bom)
        data = handle.read(head_bytes)
    newline = "\n".encode(encoding)
    cut = data.rfind(newline)
    width = 2 if encoding == "utf-16-le" else 1
    while cut > 0 and cut % width:
        cut = data.rfind(newline, 0, cut)
    data = data[:cut + len(newline)] if cut >= 0 else b""
    return data.decode(encoding, errors="replace")


def file_tail(ctx, args):
    directory = args["directory"]
    try:
        folder = layout.win_to_lab(ctx.root, directory)
    except ValueError as exc:
        raise AgentError("invalid_request", str(exc))
    if not os.path.isdir(folder):
        raise AgentError("not_found", "directory %s does not exist" % directory)
    pattern = args["pattern"].lower()
    since = store.parse_iso(args["since"]).timestamp() if args.get("since") else None
    found = []
    for name in os.listdir(folder):
        full = os.path.join(folder, name)
        if fnmatch.fnmatchcase(name.lower(), pattern) and os.path.isfile(full):
            mtime = os.path.getmtime(full)
            if since is None or mtime >= since:
                found.append((mtime, name, full))
    found.sort()
    found = found[-max(1, args.get("max_files") or 1):]
    files = []
    for mtime, name, full in found:
        offset, content, truncated, encoding = _tail(full, args.get("max_bytes") or DEFAULT_TAIL_BYTES)
        record = {"path": layout.expand(directory).rstrip("\\") + "\\" + name, "size": os.path.getsize(full),
                  "modified": store.iso(datetime.datetime.fromtimestamp(mtime, datetime.timezone.utc)),
                  "offset": offset, "content": content, "truncated": truncated, "encoding": encoding}
        if truncated and args.get("head_bytes"):
            record["head"] = _head(full, args["head_bytes"])
        files.append(record)
    return {"files": files}


def folder_acl(ctx, args):
    data = acl.get(ctx.root, args["path"])
    if data is None:
        raise AgentError("not_found", "folder %s does not exist" % args["path"])
    return data


def ad_account(ctx, args):
    try:
        return accounts.ad_account(ctx.root, args["account"])
    except KeyError:
        raise AgentError("not_found", "account %s does not exist in the domain" % args["account"])


def resolve_principal(ctx, args):
    ad = accounts.load_ad(ctx.root)
    return {"principals": dict((n, accounts.resolve(ctx.root, n, ad)) for n in args["names"])}


def template_access(ctx, args):
    """The templates as the forest publishes them and the access of both enrolling identities."""
    ad = accounts.load_ad(ctx.root)
    if not ad.get("reachable"):
        return {"status": "unknown", "reason": "Active Directory could not be asked: %s" % (
            ad.get("reason") or "no domain controller could be reached"), "identities": {}, "templates": {}}
    meta = certs.ca_meta(ctx.root)
    who = accounts.identities(ctx.root, ctx.lab["hostname"], ad)
    out = {"status": "known", "reason": None, "identities": who, "templates": {}}
    found = None
    if args.get("ca"):
        found = certs.ca_matches(meta, args["ca"])
        out["ca"] = {"config": args["ca"], "found": found}
    for name in args["templates"]:
        record = certs.template_record(ctx.root, name, who, meta)
        if record["exists"]:
            record["offered"] = None if found is None else (found and name in meta.get("templates", []))
        out["templates"][name] = record
    return out


def backups(ctx, args):
    return {"runs": backup.runs(ctx.root, args.get("run_id"))}


READS = {
    "system": system, "registry_key": registry_key, "iis_sites": iis_sites, "iis_config": iis_config,
    "app_pools": app_pools, "services": services_read, "cert_store": cert_store, "cert_chain": cert_chain,
    "user_right": user_right, "events": events_read, "file_tail": file_tail, "folder_acl": folder_acl,
    "ad_account": ad_account, "resolve_principal": resolve_principal, "backups": backups,
    "template_access": template_access,
}
