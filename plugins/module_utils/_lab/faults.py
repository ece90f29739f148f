# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The lab's fault catalogue (FAULTS.md ids in lower case, with variants) and lab creation."""
from __future__ import annotations

import datetime
import os
import re
import shutil

from ansible_collections.ndes.scep.plugins.module_utils._lab import (
    boot, events, fault_apply as fa, healthy, layout, store)

DEFAULT_HOSTNAME = "NDES01"
DEFAULT_FQDN = "ndes01.contoso.com"


class FaultError(ValueError):
    """An unknown fault id or variant; the message lists the valid ones."""


class Fault(object):
    def __init__(self, fid, section, variants, apply, fix_by, findings=None):
        self.id = fid
        self.section = section
        self.variants = variants          # first = default
        self.apply = apply
        self.fix_by = fix_by
        # variant -> finding ids that must appear (default: the fault's own id, upper case)
        self.findings = dict((v, [fid.upper()]) for v in variants)
        self.findings.update(findings or {})


# Order = the order faults are applied when several are asked for.
CATALOGUE = [Fault(*row) for row in (
    ("impersonate_right", "A", ("local", "gpo"), fa.impersonate_right, "user_right"),
    ("url_not_403", "A", ("default",), fa.url_not_403, "report; iis_restart"),
    ("app_pool_stopped", "A", ("default",), fa.app_pool_stopped, "app_pool"),
    ("root_intermediates", "A", ("local", "gpo"), fa.root_intermediates, "root_store"),
    ("crl_unreachable", "A", ("default",), fa.crl_unreachable, "report; capi2_log"),
    ("crs_windows_auth", "A", ("default",), fa.crs_windows_auth, "certreg_auth"),
    ("policy_cert_expired", "A", ("expired", "missing", "keyless", "no_client_auth_eku"),
     fa.policy_cert_expired, "policy_cert"),
    ("proxy_connector_down", "A", ("stopped", "absent"), fa.proxy_connector_down, "connector_service",
     {"absent": []}),
    ("request_limits", "A", ("apphost", "webconfig"), fa.request_limits, "request_limits"),
    ("httpsys_limits", "A", ("absent", "low", "pending"), fa.httpsys_limits, "request_limits + reboot",
     {"pending": ["PENDING_REBOOT"]}),
    ("service_account", "A", ("locked", "password_expired", "disabled", "unknown"), fa.service_account, "report"),
    ("ra_cert_expired", "A", ("expired", "missing", "expiring"), fa.ra_cert_expired, "ra_certs; ra_renew"),
    ("mscep_templates", "B", ("ipsec", "display_name"), fa.mscep_templates, "mscep_templates"),
    ("temp_acl", "B", ("default",), fa.temp_acl, "folder ACL grant (report)"),
    ("ra_key_acl", "B", ("default",), fa.ra_key_acl, "ra_certs"),
    ("ie_esc", "B", ("admin", "both"), fa.ie_esc, "registry (IsInstalled 0)"),
    ("host_role", "B", ("ca", "dc"), fa.host_role, "report"),
    ("connector_health", "B", ("stopped", "stale"), fa.connector_health, "connector_service; report"),
)]
BY_ID = dict((f.id, f) for f in CATALOGUE)
CRASH_CAUSES = ("root_intermediates", "crs_windows_auth", "policy_cert_expired", "crl_unreachable")
# Pairs that cannot both show: (id, variant or None = any, id, variant or None, why).
CONFLICTS = (
    ("url_not_403", None, "connector_health", None, "url_not_403 leaves the connector uninstalled, so its "
     "services cannot be unhealthy"),
    ("url_not_403", None, "crs_windows_auth", None, "url_not_403 never created the CertificateRegistrationSvc "
     "application whose authentication crs_windows_auth breaks"),
    ("crl_unreachable", None, "policy_cert_expired", "missing", "with the policy certificate missing there is no "
     "chain whose revocation check could fail"),
    ("ra_cert_expired", "expired", "ra_key_acl", None, "the RA key ACL of expired RA certificates is moot: they "
     "must be renewed (use ra_cert_expired expiring)"),
    ("ra_cert_expired", "missing", "ra_key_acl", None, "with the RA certificates missing there is no RA key "
     "whose ACL could lack the service account"),
)


def normalize(faults):
    """``[id | {id, variant}]`` -> ``[{id, variant}]`` in catalogue order; raise FaultError on anything unknown."""
    chosen = {}
    for item in faults or []:
        if isinstance(item, str):
            fid, variant = item, None
        elif isinstance(item, dict) and set(item) <= {"id", "variant"} and isinstance(item.get("id"), str):
            fid, variant = item["id"], item.get("variant")
        else:
            raise FaultError("a fault is an id or {id, variant}, got %r" % (item,))
        fid = fid.strip().lower()
        fault = BY_ID.get(fid)
        if fault is None:
            raise FaultError("unknown fault %r; valid ids: %s" % (fid, ", ".join(f.id for f in CATALOGUE)))
        variant = fault.variants[0] if variant in (None, "") else str(variant).strip().lower()
        if variant not in fault.variants:
            raise FaultError("fault %s has no variant %r; valid variants: %s"
                             % (fid, variant, ", ".join(fault.variants)))
        if fid in chosen:
            raise FaultError("fault %s is listed twice" % fid)
        chosen[fid] = variant
    for id_a, var_a, id_b, var_b, why in CONFLICTS:
        if id_a in chosen and id_b in chosen and var_a in (None, chosen[id_a]) and var_b in (None, chosen[id_b]):
            raise FaultError("faults %s and %s cannot be combined: %s" % (id_a, id_b, why))
    return [{"id": f.id, "variant": chosen[f.id]} for f in CATALOGUE if f.id in chosen]


_HOSTNAME_RE = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,13}[A-Za-z0-9])?")
_LABEL_RE = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?")


def check_names(hostname, fqdn):
    """Raise FaultError unless ``hostname`` is a NetBIOS computer name and ``fqdn`` an ASCII DNS name."""
    if not isinstance(hostname, str) or not _HOSTNAME_RE.fullmatch(hostname):
        raise FaultError("hostname %r is not a Windows computer name: 1 to 15 letters, digits or '-' "
                         "(e.g. NDES01)" % (hostname,))
    labels = fqdn.split(".") if isinstance(fqdn, str) else []
    if len(labels) < 2 or len(fqdn) > 253 or not all(_LABEL_RE.fullmatch(label) for label in labels):
        raise FaultError("fqdn %r is not a DNS name: dot-separated labels of letters, digits or '-' "
                         "(e.g. ndes01.contoso.com; write internationalized names in their xn-- form)" % (fqdn,))


def expected_findings(faults):
    """Sorted finding ids a correct diagnosis of a lab with these faults must report."""
    out = set()
    for item in normalize(faults):
        out.update(BY_ID[item["id"]].findings[item["variant"]])
    return sorted(out)


def is_lab_or_empty(root):
    """True for a path that is absent, empty, holds only run/, or holds a lab (lab.json)."""
    if not os.path.exists(root):
        return True
    if not os.path.isdir(root):
        return False
    names = os.listdir(root)
    return not names or names == [layout.RUN] or os.path.isfile(layout.path(root, layout.LAB_JSON))


def clear(root):
    """Remove a lab's contents except run/ (a running HTTP face keeps its records there)."""
    if not is_lab_or_empty(root):
        raise FaultError("%s is not a lab NDES (no lab.json) and not empty: refusing to replace it" % root)
    if not os.path.isdir(root):
        return
    for name in os.listdir(root):
        if name == layout.RUN:
            continue
        full = os.path.join(root, name)
        if os.path.isdir(full) and not os.path.islink(full):
            shutil.rmtree(full)
        else:
            os.unlink(full)


def create(root, faults=None, hostname=DEFAULT_HOSTNAME, fqdn=DEFAULT_FQDN, now=None):
    """Build a healthy lab at ``root`` and inject ``faults``; returns the lab record (lab.json)."""
    chosen = normalize(faults)
    check_names(hostname, fqdn)
    now = (now or store.utcnow()).replace(microsecond=0)
    clear(root)
    os.makedirs(layout.path(root, layout.RUN), exist_ok=True)
    info = healthy.build(root, hostname, fqdn, now)
    last_boot = now - datetime.timedelta(days=1)
    events.append(root, "System", "EventLog", 6005, [], last_boot, events.LEVEL_INFO)
    ctx = fa.Ctx(root, info, now)
    for item in chosen:
        BY_ID[item["id"]].apply(ctx, item["variant"])
    boot.record_boot(root, last_boot)
    for hook in ctx.after_boot:
        hook()
    ca_meta = fa.certs.ca_meta(root)
    record = {"schema": layout.SCHEMA, "hostname": info["hostname"], "fqdn": info["fqdn"], "domain": info["domain"],
              "netbios": info["netbios"], "service_account": info["service_account"],
              "scep_template": info["scep_template"], "ca_config": ca_meta["config"],
              "faults": chosen, "created": store.iso(now)}
    store.save(root, layout.LAB_JSON, record)
    return record


def read_lab(root):
    """lab.json, or None when ``root`` holds no lab."""
    try:
        return store.load(root, layout.LAB_JSON)
    except (FileNotFoundError, NotADirectoryError):
        return None
