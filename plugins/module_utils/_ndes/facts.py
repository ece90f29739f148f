# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Build the ``ndes`` facts (docs/facts.md) from the raw read results of ONE agent call.

``build_facts(results_by_id, settings, now=None) -> dict``

``results_by_id``: ``{op id: contract result}`` for the ops of
``gather.info_ops`` (the same for the Windows and the lab agent). Pure
Python, no Ansible. A read that failed (or was not gathered) never looks
healthy: its facts are ``null`` and ``unknown`` lists ``{path, reason}``.
``now``: a datetime or ISO string (tests); default the host's clock as the
``system`` read saw it, else the controller's.
"""
from __future__ import annotations

import datetime

from ansible_collections.ndes.scep.plugins.module_utils._ndes import certs
from ansible_collections.ndes.scep.plugins.module_utils._ndes import facts_host as fh
from ansible_collections.ndes.scep.plugins.module_utils._ndes import facts_iis as fi
from ansible_collections.ndes.scep.plugins.module_utils._ndes import gather
from ansible_collections.ndes.scep.plugins.module_utils._ndes import values as v
from ansible_collections.ndes.scep.plugins.module_utils._ndes.facts_reads import OK, Reads

SCHEMA = 1


def _now(now, reads):
    if now is not None:
        parsed = v.parse_time(now)
        if parsed is None:
            raise ValueError("now: not an ISO-8601 time or datetime: %r" % (now,))
        return parsed
    result = reads.results.get("system") or {}
    host_now = v.parse_time((result.get("data") or {}).get("now")) if result.get("status") == OK else None
    return host_now or datetime.datetime.now(v.UTC)


def _agent(reads):
    result = reads.results.get("system") or {}
    return (result.get("data") or {}).get("agent") if result.get("status") == OK else None


def _store(reads, op_id, path):
    state, data = reads.get(op_id, path)
    return data.get("certs") or [] if state == OK else None


def _cert_facts(reads, settings, host, now, account_sid):
    my = _store(reads, "store_my", "policy_cert")
    state, top_values, policy_value = fh.mscep(reads)
    names = [n for n in (host["fqdn"], host["hostname"]) if n]
    required = [n for n in [host["fqdn"]] + list(settings["external_names"]) if n]
    if my is None or state != OK:
        policy = {"value": policy_value, "thumbprint": v.thumbprint(policy_value), "stored_normalized": None,
                  "found": None, "problem": None, "not_after": None, "days_left": None, "expiring_soon": None,
                  "has_private_key": None, "has_client_auth_eku": None, "subject": None, "san_dns": [],
                  "names_required": required, "names_missing": [], "candidates": None}
    else:
        policy = certs.policy_cert(policy_value, my, now, names, required, settings["warn_days"])
    if my is None:
        reads.note("ra_certs", "LocalMachine\\My could not be read")
        ra = {"certs": None, "roles": None, "signing_found": None, "encryption_found": None, "any_expired": None,
              "missing_roles": None, "unusable_roles": None, "min_days_left": None, "expiring_soon": None,
              "acl_missing": None, "acl_unknown": None}
    else:
        ra = certs.ra_certs(my, now, account_sid, settings["warn_days"])
        if ra["acl_unknown"]:
            # a key ACL the agent could not read is null with a reason code (contract KEY_ACL_ERRORS): name it
            unread = dict((v.thumbprint(cert.get("thumbprint")), cert.get("key_acl_error") or "not read")
                          for cert in my if cert.get("has_private_key") and cert.get("key_acl") is None)
            named = ["%s (%s)" % (tp, unread[tp]) for tp in ra["acl_unknown"] if tp in unread]
            rest = [tp for tp in ra["acl_unknown"] if tp not in unread]
            if named:
                reads.note("ra_certs.acl", "the private key ACL could not be read, so the service account's Read "
                                           "could not be checked: %s" % ", ".join(named))
            if rest:
                reads.note("ra_certs.acl", "cannot tell whether the service account may read the private key of %s "
                                           "(its SID or the key ACL is unknown)" % ", ".join(rest))
    root, ca = _store(reads, "store_root", "root_store"), _store(reads, "store_ca", "root_store.in_ca_store")
    if root is None:
        root_facts = {"non_self_signed": None, "count": None, "gpo_placed_count": None, "undecided": []}
    else:
        root_facts = certs.root_store(root, ca)
        if root_facts["undecided"]:
            reads.note("root_store", "no raw DER subject/issuer for %s" % ", ".join(root_facts["undecided"]))
    templates = fh.mscep_templates(top_values, settings["scep_template"])
    return policy, ra, root_facts, templates


def _log_window(reads):
    out = {}
    for key, op_id in (("w3c", "w3c_log"), ("httperr", "httperr_log")):
        if op_id not in reads.results:
            continue
        state, data = reads.get(op_id, "log_window." + key)
        if state != OK:
            out[key] = {"folder": None, "files": None}
            continue
        out[key] = {"folder": (data.get("resolved") or {}).get("directory"),
                    "files": [{"path": f.get("path"), "size": f.get("size"), "modified": f.get("modified"),
                               "truncated": f.get("truncated")} for f in data.get("files") or []]}
    return out or None


def build_facts(results_by_id, settings=None, now=None):
    """The ``ndes`` facts document; see docs/facts.md."""
    s = gather.normalize_settings(settings)
    reads = Reads(results_by_id)
    clock = _now(now, reads)
    host = fh.host(reads)
    last_boot = v.parse_time(host["last_boot"])
    sites = fi.sites(reads)
    pools = fi.app_pools(reads)
    pool = fi.scep_pool(pools, s, reads)
    svc = fh.services(reads, gather.SERVICES)
    account = fh.service_account(reads, s, pool)
    policy, ra, root, templates = _cert_facts(reads, s, host, clock, account["sid"])
    httpsys = fi.httpsys(reads, last_boot)
    facts = {
        "schema": SCHEMA,
        "agent": _agent(reads),
        "collected_at": v.iso(clock),
        "settings": s,
        "host": host,
        "iis": {
            "sites": sites,
            "scep_app": fi.scep_app(sites, s),
            "request_limits": fi.request_limits(reads, s),
            "certreg_auth": fi.certreg_auth(reads, s, sites),
        },
        "app_pools": pools,
        "scep_pool": pool,
        "httpsys": httpsys,
        "user_rights": {"impersonate": fh.impersonate(reads)},
        "policy_cert": policy,
        "ra_certs": ra,
        "root_store": root,
        "mscep_templates": templates,
        "services": svc,
        "proxy_connector": fh.proxy_connector(svc, s["expect_proxy_connector"]),
        "crashes": fh.crashes(reads, s["scep_pool"]),
        "setup_msi": fh.setup_msi(reads, s["setup_msi_dir"]),
        "connector": fh.connector(reads, svc, clock, s["connector_stale_hours"]),
        "service_account": account,
        "chain": fh.chain(reads, policy["problem"]),
        "capi2": fh.capi2(reads),
        "temp_acl": fh.temp_acl(reads, s["temp_dir"]),
        "ie_esc": fh.ie_esc(reads),
        "pending_reboot": httpsys["pending_reboot"],
        "log_window": _log_window(reads),
        "unknown": reads.unknown,
    }
    return facts
