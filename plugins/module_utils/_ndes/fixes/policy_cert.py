# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""POLICY_CERT_EXPIRED: NDESCertThumbprint names a valid certificate, stored lower-case without spaces."""
from __future__ import annotations

import re

from ansible_collections.ndes.scep.plugins.module_utils._ndes.fixes import _common as c

SECTIONS = ("settings", "host", "policy_cert", "services")

POLICY_KEY = r"HKLM\SOFTWARE\Microsoft\Cryptography\MSCEP\Modules\NDESPolicy"
VALUE_NAME = "NDESCertThumbprint"
CLIENT_AUTH = "1.3.6.1.5.5.7.3.2"
STORE_MY = "store_my"  # the gather op id, so a gathered My store is reused
CONNECTOR_SERVICES = ("PFXCertificateConnectorSvc", "PKICertificateConnectorSvc", "NDESConnectorSvc")

_CN_RE = re.compile(r"(?:^|,)\s*CN=((?:[^,\\]|\\.)*)", re.IGNORECASE)


def _target(args):
    return c.normalize_thumbprint(args["thumbprint"]) if args.get("thumbprint") else None


def settings(args):
    return {"external_names": list(args.get("names") or [])}


def reads(args, facts):
    """A My store read unless the facts already judge the certificate(s) this run needs.

    ``facts=None`` (gathered in the same call) includes the My store read itself.
    """
    return [] if facts is None or _facts_suffice(args, facts) else [(STORE_MY, "cert_store", {"store": "My"})]


def _facts_suffice(args, facts):
    if not c.dig(facts, "policy_cert"):
        return False
    candidates = c.dig(facts, "policy_cert.candidates")
    if args["auto"]:
        return candidates is not None and bool(args.get("names") or c.dig(facts, "host.fqdn"))
    target = _target(args)
    if not target or target == c.dig(facts, "policy_cert.thumbprint"):
        return c.dig(facts, "policy_cert.problem") is not None
    return any((cand.get("thumbprint") or "").upper() == target for cand in candidates or [])


def problem_of(cert, now):
    """Why a certificate record (contract CERT_FIELDS) cannot be the policy certificate, or None."""
    if cert is None:
        return "missing"
    begin, end = c.parse_time(cert.get("not_before")), c.parse_time(cert.get("not_after"))
    if end is not None and end <= now:
        return "expired"
    if begin is not None and begin > now:
        return "not_yet_valid"
    if not cert.get("has_private_key"):
        return "keyless"
    if CLIENT_AUTH not in (cert.get("ekus") or []):
        return "no_client_auth_eku"
    return None


PROBLEM_TEXT = {
    "missing": "is not in LocalMachine\\My",
    "expired": "has expired",
    "not_yet_valid": "is not valid yet",
    "keyless": "has no private key on this host",
    "no_client_auth_eku": "lacks the Client Authentication EKU (1.3.6.1.5.5.7.3.2)",
    "unset": "is not set",
}


def names_of(cert):
    subject_cns = [m.group(1).strip() for m in _CN_RE.finditer(cert.get("subject") or "")]
    return {n.lower() for n in subject_cns + list(cert.get("san_dns") or [])}


def _host_names(args, facts, reads):
    if args.get("names"):
        return {n.lower() for n in args["names"]}
    host = c.dig(facts, "host") or c.dig((reads or {}).get("system"), "data") or {}
    return {n.lower() for n in (host.get("fqdn"), host.get("hostname")) if n}


def _choose_auto(args, facts, reads, now, store):
    names = _host_names(args, facts, reads)
    if store is not None:
        pool = [cert for cert in store if problem_of(cert, now) is None and names & names_of(cert)]
    else:
        pool = [cand for cand in c.dig(facts, "policy_cert.candidates", []) if names & names_of(cand)]
    if not pool:
        raise c.FixError(
            "auto found no certificate in LocalMachine\\My that is in date, has its private key and the Client "
            "Authentication EKU (1.3.6.1.5.5.7.3.2) and names this host (%s) in its subject or SAN. Enrol one "
            "(a template with Client Authentication, subject or SAN = the server's FQDN) and rerun, or give "
            "thumbprint." % (", ".join(sorted(names)) or "host name unknown"))
    pool.sort(key=lambda cert: (cert.get("not_before") or "", cert.get("not_after") or "", cert["thumbprint"]))
    return c.normalize_thumbprint(pool[-1]["thumbprint"]), len(pool)


def _judge(target, facts, now, store):
    """Problem of ``target`` (None = valid) and its record for the report."""
    if store is not None:
        cert = next((x for x in store if x["thumbprint"].upper() == target), None)
        return problem_of(cert, now), cert
    if target == c.dig(facts, "policy_cert.thumbprint"):
        problem = c.dig(facts, "policy_cert.problem")
        pc = c.dig(facts, "policy_cert", {})
        return (None if problem == "none" else problem), {k: pc.get(k) for k in ("subject", "not_after", "san_dns")}
    cand = next((x for x in c.dig(facts, "policy_cert.candidates", []) if x.get("thumbprint", "").upper() == target), None)
    return (None if cand else "missing"), cand


def plan(args, facts, reads):
    result = c.Plan()
    now = c.now_of(facts, reads)
    store = c.read_data(reads, STORE_MY, "LocalMachine\\My").get("certs") if reads and STORE_MY in reads else None
    if args["auto"] and args.get("thumbprint"):
        raise c.FixError("Give thumbprint or auto=true, not both.")
    stored = c.dig(facts, "policy_cert.value")
    current = c.dig(facts, "policy_cert.thumbprint")
    if args["auto"]:
        target, count = _choose_auto(args, facts, reads, now, store)
        result.fields["auto_candidates"] = count
    elif args.get("thumbprint"):
        target = _target(args)
    elif current:
        target = current
    else:
        raise c.FixError("%s is not set under %s. Give thumbprint (a certificate in LocalMachine\\My with its key and "
                         "the Client Authentication EKU) or auto=true." % (VALUE_NAME, POLICY_KEY))
    problem, cert = _judge(target, facts, now, store)
    result.fields.update({"thumbprint": target, "stored_before": stored,
                          "certificate": _summary(target, cert, now)})
    if problem:
        hint = ("Give thumbprint of a valid certificate or auto=true." if not args.get("thumbprint") and not args["auto"]
                else "Renew or enrol it (Client Authentication EKU, key on this host), or pick another one.")
        return result.refuse("Certificate %s %s, so it cannot be the NDES policy certificate. %s (ndes.scep.policy_cert "
                             "will enrol one from a template in a later release.)" % (
                                 target, PROBLEM_TEXT.get(problem, problem), hint))
    wanted = target.lower()
    result.fields["stored_after"] = wanted
    if stored == wanted:
        return result
    result.ensure("thumbprint", "registry_value", {"path": POLICY_KEY, "name": VALUE_NAME, "type": "REG_SZ",
                                                   "value": wanted})
    if current != target:
        for service in _connector_services(facts):
            result.restarts.append(c.restart("service", service, "restart",
                                             "the Intune Certificate Connector reads the policy certificate at start"))
        result.restarts.append(c.restart("service", "W3SVC", "restart",
                                         "the NDES policy module loads the certificate when IIS starts"))
        result.restarts.append(c.restart("connector", None, "reinstall",
                                         "Microsoft's 2025 guidance: if the connector still fails after the restarts, "
                                         "reinstall the Certificate Connector for Microsoft Intune (manual)"))
    else:
        result.restarts.append(c.restart("iis", None, "reset", "NDES reads the value when the pool starts"))
    return result


def _connector_services(facts):
    services = c.dig(facts, "services", {})
    present = [name for name in CONNECTOR_SERVICES if (services.get(name) or {}).get("exists")]
    return present or ["PFXCertificateConnectorSvc"]


def _summary(target, cert, now):
    cert = cert or {}
    return {"thumbprint": target, "subject": cert.get("subject"), "not_after": cert.get("not_after"),
            "days_left": c.days_left(cert.get("not_after"), now), "san_dns": cert.get("san_dns")}


def finish(args, plan, results):
    value = c.ensure_after(results, "thumbprint").get("value")
    if value != plan.fields["stored_after"]:
        return {}, ("%s reads %r after writing %r; check the agent's access to %s and rerun." % (
            VALUE_NAME, value, plan.fields["stored_after"], POLICY_KEY))
    return {}, None
