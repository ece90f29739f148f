# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""POLICY_CERT_EXPIRED: NDESCertThumbprint names a valid certificate, stored lower-case without spaces."""
from __future__ import annotations

from ansible_collections.ndes.scep.plugins.module_utils._ndes import certs
from ansible_collections.ndes.scep.plugins.module_utils._ndes.fixes import _common as c

SECTIONS = ("settings", "host", "policy_cert", "services")

POLICY_KEY = r"HKLM\SOFTWARE\Microsoft\Cryptography\MSCEP\Modules\NDESPolicy"
VALUE_NAME = "NDESCertThumbprint"
STORE_MY = "store_my"  # the gather op id, so the My store a gather read is reused
CONNECTOR_SERVICES = ("PFXCertificateConnectorSvc", "PKICertificateConnectorSvc", "NDESConnectorSvc")
PROBLEM_TEXT = {
    "missing": "is not in LocalMachine\\My",
    "expired": "has expired",
    "not_yet_valid": "is not valid yet",
    "keyless": "has no private key on this host",
    "no_client_auth_eku": "lacks the Client Authentication EKU (1.3.6.1.5.5.7.3.2)",
    "unset": "is not set",
}


def settings(args):
    return {"external_names": list(args.get("names") or [])}


def _target(args):
    return c.normalize_thumbprint(args["thumbprint"]) if args.get("thumbprint") else None


def reads(args, facts):
    """A My store read unless the facts already judge the certificate this run needs.

    ``facts=None`` (gathered in the same call) includes the My store read itself.
    """
    if facts is None or _facts_suffice(args, facts):
        return []
    return [(STORE_MY, "cert_store", {"store": "My", "location": "LocalMachine"})]


def _facts_suffice(args, facts):
    pc = c.dig(facts, "policy_cert")
    if not pc or pc.get("problem") is None:
        return False
    if args["auto"]:  # the facts' candidates are for the host's own names
        return pc.get("candidates") is not None and not args.get("names") and bool(_host_names(args, facts))
    target = _target(args)
    if not target or target == pc.get("thumbprint"):
        return True
    return any(cand.get("thumbprint") == target for cand in pc.get("candidates") or [])


def _host_names(args, facts):
    if args.get("names"):
        return list(args["names"])
    return [n for n in (c.dig(facts, "host.fqdn"), c.dig(facts, "host.hostname")) if n]


def _policy_view(args, facts, reads, value, now):
    """``policy_cert`` facts for ``value``: recomputed from a My read when there is one, else the facts."""
    if reads and STORE_MY in reads:
        store = c.read_data(reads, STORE_MY, "LocalMachine\\My").get("certs") or []
        warn = c.dig(facts, "settings.warn_days", 30)
        return certs.policy_cert(value, store, now, _host_names(args, facts), [], warn)
    return c.dig(facts, "policy_cert", {})


def _choose_auto(view):
    """The newest (longest valid) qualifying certificate: the current one counts when valid and for this host."""
    pool = list(view.get("candidates") or [])
    names = [n.lower() for n in view.get("names_host") or []]
    if view.get("problem") == "none" and (not names or any(certs.covers(view, n) for n in names)):
        pool.append({"thumbprint": view["thumbprint"], "not_after": view.get("not_after"),
                     "subject": view.get("subject"), "san_dns": view.get("san_dns")})
    if not pool:
        return None, 0
    pool.sort(key=lambda cert: (cert.get("not_after") or "", cert.get("not_before") or "", cert["thumbprint"]))
    return pool[-1], len(pool)


def plan(args, facts, reads):
    result = c.Plan()
    if args["auto"] and args.get("thumbprint"):
        raise c.FixError("Give thumbprint or auto=true, not both.")
    now = c.now_of(facts, reads)
    stored = c.dig(facts, "policy_cert.value")
    current = c.dig(facts, "policy_cert.thumbprint")
    target = _target(args) or current
    if args["auto"]:
        view = _policy_view(args, facts, reads, stored, now)
        view = dict(view, names_host=_host_names(args, facts))
        chosen, count = _choose_auto(view)
        result.fields["auto_candidates"] = count
        if chosen is None:
            raise c.FixError(
                "auto found no certificate in LocalMachine\\My that is in date, has its private key and the Client "
                "Authentication EKU (1.3.6.1.5.5.7.3.2) and names this host (%s) in its SAN or subject. Enrol one "
                "(a template with Client Authentication, SAN = the server's FQDN) and rerun, or give thumbprint."
                % (", ".join(_host_names(args, facts)) or "host name unknown"))
        target, problem, cert = chosen["thumbprint"], None, chosen
    elif target is None:
        raise c.FixError("%s is not set under %s. Give thumbprint (a certificate in LocalMachine\\My with its key and "
                         "the Client Authentication EKU) or auto=true." % (VALUE_NAME, POLICY_KEY))
    else:
        view = _policy_view(args, facts, reads, target, now)
        if view.get("thumbprint") == target:
            problem, cert = view.get("problem"), view
        else:  # a candidate the facts list (valid by construction)
            cert = next((x for x in view.get("candidates") or [] if x.get("thumbprint") == target), None)
            problem = None if cert else "missing"
        problem = None if problem == "none" else problem
    result.fields.update({"thumbprint": target, "stored_before": stored, "certificate": _summary(target, cert)})
    if problem:
        hint = ("Give thumbprint of a valid certificate or auto=true." if not args.get("thumbprint") else
                "Renew it or enrol a new one (Client Authentication EKU, key on this host), or pick another one.")
        return result.refuse("Certificate %s %s, so it cannot be the NDES policy certificate; nothing was changed. %s"
                             % (target, PROBLEM_TEXT.get(problem, problem), hint))
    wanted = target.lower()
    result.fields["stored_after"] = wanted
    if stored == wanted:
        return result
    result.ensure("thumbprint", "registry_value", {"path": POLICY_KEY, "name": VALUE_NAME, "type": "REG_SZ",
                                                   "value": wanted})
    result.restarts.extend(_restarts(facts, changed_cert=current != target))
    return result


def _restarts(facts, changed_cert):
    if not changed_cert:
        return [c.restart("iis", None, "reset", "NDES reads the value when the SCEP pool starts")]
    services = c.dig(facts, "services", {})
    present = [n for n in CONNECTOR_SERVICES if (services.get(n) or {}).get("exists")] or [CONNECTOR_SERVICES[0]]
    out = [c.restart("service", name, "restart", "the Intune Certificate Connector reads the policy certificate at "
                     "start (Microsoft's current guidance)") for name in present]
    out.append(c.restart("service", "W3SVC", "restart", "the NDES policy module loads the certificate when IIS starts"))
    out.append(c.restart("connector", None, "reinstall", "Microsoft's 2025 guidance: if the connector still fails "
                         "after the restarts, reinstall the Certificate Connector for Microsoft Intune (manual)"))
    return out


def _summary(target, cert):
    cert = cert or {}
    return {"thumbprint": target, "subject": cert.get("subject"), "not_after": cert.get("not_after"),
            "days_left": cert.get("days_left"), "san_dns": cert.get("san_dns")}


def finish(args, plan, results):
    value = c.ensure_after(results, "thumbprint").get("value")
    if value != plan.fields["stored_after"]:
        return {}, ("%s reads %r after writing %r; check the agent's access to %s and rerun." % (
            VALUE_NAME, value, plan.fields["stored_after"], POLICY_KEY))
    return {}, None
