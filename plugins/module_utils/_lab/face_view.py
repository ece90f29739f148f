# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the lab's HTTP face needs to answer a request, computed from the lab state at that moment.

The view comes from the same place a diagnosis does: the lab agent's reads
(``agent.handle``) of ``gather.info_ops`` and the facts builder
(``facts.build_facts``), so the face's answer and the findings about the same
state cannot disagree. Two things the facts cannot know come from the lab's
own records: the values IN EFFECT since the lab's last boot (HTTP.sys limits
and the user rights a worker process logged on with, ``state/boot.json``) and
the certificates GetCACert returns (the lab CA and the RA certificates the
facts name, as DER). See http_face.py for the view's keys.
"""
from __future__ import annotations

from ansible_collections.ndes.scep.plugins.module_utils._agent import contract
from ansible_collections.ndes.scep.plugins.module_utils._lab import (
    agent, boot, certs, certstore, iis, layout, responses, store)
from ansible_collections.ndes.scep.plugins.module_utils._ndes import facts as ndes_facts
from ansible_collections.ndes.scep.plugins.module_utils._ndes import gather

try:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.serialization import pkcs7
except ImportError:  # pragma: no cover - surfaced by certs.require()
    serialization = pkcs7 = None

IMPERSONATE = "SeImpersonatePrivilege"
IIS_IUSRS = "S-1-5-32-568"
ERROR_BAD_IMPERSONATION_LEVEL = 1346
SECTIONS = ("host", "iis", "scep_pool", "user_rights", "policy_cert", "ra_certs", "root_store",
            "services", "setup_msi", "connector", "service_account", "chain")
HTTP_ERRORS = "system.webServer/httpErrors"


def settings(root):
    """The settings the lab is read with: the defaults (the lab is built with them)."""
    return gather.normalize_settings({})


def scep_path(root):
    return settings(root)["scep_app_path"]


def gather_facts(root, s=None):
    """(facts, results_by_id) of one agent request over the lab."""
    s = s or settings(root)
    ops = [{"id": op_id, "kind": kind, "args": args}
           for op_id, kind, args in gather.info_ops(s, sections=list(SECTIONS))]
    response = agent.handle(root, {"version": contract.CONTRACT_VERSION, "check_mode": True,
                                   "lock": False, "ops": ops})
    results = dict((r["id"], r) for r in response["results"])
    return ndes_facts.build_facts(results, s), results


def crash_causes(facts):
    """FAULTS.md ids whose presence makes w3wp crash until rapid-fail stops the SCEP pool."""
    out = []
    if (facts["root_store"].get("count") or 0) > 0:
        out.append("ROOT_INTERMEDIATES")
    if facts["chain"].get("revocation_unreachable"):
        out.append("CRL_UNREACHABLE")
    if facts["iis"]["certreg_auth"].get("ok") is False:
        out.append("CRS_WINDOWS_AUTH")
    if facts["policy_cert"].get("problem") not in (None, "none"):
        out.append("POLICY_CERT_EXPIRED")
    return out


def app_errors(facts, rights_in_effect):
    """mscep.dll's 500 causes, in the order the face reports them."""
    out = []
    holders = rights_in_effect.get(IMPERSONATE)
    if holders is None:
        holds = facts["user_rights"]["impersonate"].get("iis_iusrs_holds")
    else:
        holds = IIS_IUSRS in [h.upper() for h in holders]
    if holds is False:
        out.append({"id": "IMPERSONATE_RIGHT", "win32_status": ERROR_BAD_IMPERSONATION_LEVEL})
    if facts["ra_certs"].get("unusable_roles"):
        out.append({"id": "RA_CERT_EXPIRED", "win32_status": 0})
    if facts["service_account"].get("problem"):
        out.append({"id": "SERVICE_ACCOUNT", "win32_status": 0})
    return out


def connector_failed(facts):
    return facts["setup_msi"].get("success") is False or facts["connector"].get("installed") is False


def connector_running(facts):
    """The App Proxy connector works: WAPCSvc running here, or not on this host (another server runs it)."""
    svc = facts["services"].get("WAPCSvc") or {}
    return svc.get("exists") is False or svc.get("status") == "Running"


def getcacert_bundle(root, facts):
    """{der, count}: degenerate PKCS#7 of the lab CA and the RA certificates in use, or None."""
    certs.require()
    ca_cert, _key, _meta = certs.load_ca(root)
    chosen = [ca_cert]
    roles = facts["ra_certs"].get("roles") or {}
    seen = set()
    for role in ("signing", "encryption"):
        tp = (roles.get(role) or {}).get("thumbprint")
        if tp and tp not in seen:
            entry = certstore.get(root, "My", tp)
            if entry is not None:
                chosen.append(entry["cert"])
                seen.add(tp)
    return {"der": pkcs7.serialize_certificates(chosen, serialization.Encoding.DER), "count": len(chosen)}


def _site(facts, s):
    for site in facts["iis"].get("sites") or []:
        if (site.get("name") or "").lower() == s["site"].lower():
            return {"id": site["id"], "name": site["name"], "log_directory": site["log_directory"]}
    return {"id": 1, "name": s["site"], "log_directory": layout.W3C_LOG_ROOT}


def error_mode(root, s):
    try:
        attrs = iis.effective(root, HTTP_ERRORS, s["site"] + s["scep_app_path"], ["errorMode"])
        return attrs["attributes"]["errorMode"] or "DetailedLocalOnly"
    except (OSError, ValueError, KeyError):
        return "DetailedLocalOnly"


def view_from_facts(facts, in_effect, s, host=None):
    """The view (http_face.py) from the facts and the values in effect since the last boot."""
    pool = facts["scep_pool"]
    limits = facts["iis"]["request_limits"]
    httpsys = in_effect.get("httpsys") or {}
    return {
        "host": host or facts["host"].get("hostname") or "ndes-server",
        "boot": in_effect.get("last_boot"),
        "site": _site(facts, s),
        "scep_path": s["scep_app_path"],
        "app_proxy": {"connector_running": connector_running(facts)},
        "httpsys": {"max_field_length": int(httpsys.get("MaxFieldLength", boot.HTTPSYS_DEFAULTS["MaxFieldLength"])),
                    "max_request_bytes": int(httpsys.get("MaxRequestBytes",
                                                         boot.HTTPSYS_DEFAULTS["MaxRequestBytes"]))},
        "pool": {"name": pool.get("name") or s["scep_pool"], "started": bool(pool.get("started")),
                 "queue_length": 1000},
        "crash_causes": crash_causes(facts),
        "request_limits": {"max_url": limits.get("max_url") or 4096,
                           "max_query_string": limits.get("max_query_string") or 2048},
        "error_mode": "DetailedLocalOnly",
        "connector_failed": connector_failed(facts),
        "app_errors": app_errors(facts, in_effect.get("rights") or {}),
        "caps": list(responses.DEFAULT_CAPS),
        "getcacert": None,
    }


def build(root):
    """The view of the lab at ``root`` now."""
    s = settings(root)
    facts, _results = gather_facts(root, s)
    view = view_from_facts(facts, boot.in_effect(root), s)
    view["error_mode"] = error_mode(root, s)
    view["getcacert"] = getcacert_bundle(root, facts)
    lab = store.load(root, layout.LAB_JSON, {})
    view["host"] = lab.get("hostname") or view["host"]
    return view
