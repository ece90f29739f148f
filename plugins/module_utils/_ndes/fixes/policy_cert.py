# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""POLICY_CERT_EXPIRED: NDESCertThumbprint names a valid certificate, stored lower-case without spaces.

With ``enroll: {ca, template}`` and no valid certificate to use, a new one is enrolled (subject and DNS SAN
the host's FQDN) and NDESCertThumbprint points at it, in ONE agent call: ``cert_enroll`` then
``registry_value`` whose value is ``@result:enroll.thumbprint|lower`` (the thumbprint the enrolment produced).
The template is checked first (one read call): it exists, the CA offers it, the NDES computer account may
Read and Enroll, it issues the Client Authentication EKU.
"""
from __future__ import annotations

from ansible_collections.ndes.scep.plugins.module_utils._agent import contract
from ansible_collections.ndes.scep.plugins.module_utils._ndes import certs
from ansible_collections.ndes.scep.plugins.module_utils._ndes.fixes import _common as c

SECTIONS = ("settings", "host", "policy_cert", "services")

POLICY_KEY = r"HKLM\SOFTWARE\Microsoft\Cryptography\MSCEP\Modules\NDESPolicy"
VALUE_NAME = "NDESCertThumbprint"
STORE_MY = "store_my"  # the gather op id, so the My store a gather read is reused
TEMPLATE_OP = "policy_template"
ENROLL_OP = "enroll"
DOUBLE_HOP = ("The agent must reach Active Directory and the CA from the NDES server: over WinRM that is the double "
              "hop; connect with CredSSP or Kerberos delegation, or use become (docs/windows-agent.md).")
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


def _may_enrol(args, facts):
    """Whether this run may have to enrol (so the template must be checked first)."""
    if not args.get("enroll") or args.get("thumbprint"):
        return False
    if facts is None:
        return True
    pc = c.dig(facts, "policy_cert", {})
    if pc.get("problem") == "none":
        return False
    return not (args["auto"] and pc.get("candidates") and not args.get("names"))


def reads(args, facts):
    """A My store read unless the facts already judge the certificate this run needs; the template read when
    the run may enrol.

    ``facts=None`` (gathered in the same call) includes the My store read itself.
    """
    out = []
    if _may_enrol(args, facts):
        out.append((TEMPLATE_OP, "template_access", {"templates": [args["enroll"]["template"]],
                                                     "ca": args["enroll"]["ca"]}))
    if facts is None or _facts_suffice(args, facts):
        return out
    return out + [(STORE_MY, "cert_store", {"store": "My", "location": "LocalMachine"})]


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
    if args.get("enroll") and args.get("thumbprint"):
        raise c.FixError("Give thumbprint or enroll, not both: enroll makes a new certificate when no valid one "
                         "is there.")
    now = c.now_of(facts, reads)
    stored = c.dig(facts, "policy_cert.value")
    current = c.dig(facts, "policy_cert.thumbprint")
    target = _target(args) or current
    if args["auto"]:
        view = _policy_view(args, facts, reads, stored, now)
        view = dict(view, names_host=_host_names(args, facts))
        chosen, count = _choose_auto(view)
        result.fields["auto_candidates"] = count
        if chosen is None and args.get("enroll"):
            return _plan_enrol(result, args, facts, reads, stored, "no valid certificate for this host")
        if chosen is None:
            raise c.FixError(
                "auto found no certificate in LocalMachine\\My that is in date, has its private key and the Client "
                "Authentication EKU (1.3.6.1.5.5.7.3.2) and names this host (%s) in its SAN or subject. Enrol one "
                "(a template with Client Authentication, SAN = the server's FQDN) and rerun, or give thumbprint."
                % (", ".join(_host_names(args, facts)) or "host name unknown"))
        target, problem, cert = chosen["thumbprint"], None, chosen
    elif target is None and args.get("enroll"):
        return _plan_enrol(result, args, facts, reads, stored, "%s is not set" % VALUE_NAME)
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
    if problem and args.get("enroll") and not args.get("thumbprint"):
        return _plan_enrol(result, args, facts, reads, stored, "certificate %s %s" % (
            target, PROBLEM_TEXT.get(problem, problem)))
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


def _template_problems(args, data):
    """Plain-words reasons the template cannot give the NDES server its policy certificate (empty = fine)."""
    name, ca = args["enroll"]["template"], args["enroll"]["ca"]
    if data.get("status") != "known":
        return ["Could not check template %s: %s. %s" % (name, data.get("reason") or "unknown reason", DOUBLE_HOP)]
    tmpl = (data.get("templates") or {}).get(name) or {"exists": False}
    if not tmpl.get("exists"):
        return ["Template %s does not exist in the forest (give the template's name, not its display name)." % name]
    problems = []
    if (data.get("ca") or {}).get("found") is False:
        problems.append("No enterprise CA named %r is published in Active Directory: give ca as host\\CA name." % ca)
    elif tmpl.get("offered") is False:
        problems.append("The CA %s does not offer template %s: publish it (Certification Authority console > "
                        "Certificate Templates > New > Certificate Template to Issue)." % (ca, name))
    access = (tmpl.get("access") or {}).get("machine") or {}
    missing = [r.title() for r in ("read", "enroll") if access.get(r) is not True]
    if missing:
        who = ((data.get("identities") or {}).get("machine") or {}).get("name") or "the NDES server's computer account"
        problems.append("%s lacks %s on template %s: grant Read and Enroll in the Certificate Templates console "
                        "(certtmpl.msc) > %s > Properties > Security." % (who, " and ".join(missing), name, name))
    if certs.CLIENT_AUTH not in (tmpl.get("ekus") or []):
        problems.append("Template %s does not issue the Client Authentication EKU (%s) NDES needs in its policy "
                        "certificate." % (name, certs.CLIENT_AUTH))
    return problems


def _plan_enrol(result, args, facts, reads, stored, why):
    """Enrol a certificate for this host and point NDESCertThumbprint at it, in one call."""
    data = c.read_data(reads, TEMPLATE_OP, "the certificate template (template_access)")
    problems = _template_problems(args, data)
    fqdn = c.dig(facts, "host.fqdn")
    if not args.get("names") and not fqdn:
        problems.append("The host's FQDN is unknown: give names (the DNS names the certificate must carry).")
    if problems:
        return result.refuse("Nothing was changed: no valid policy certificate (%s), and a new one cannot be enrolled "
                             "yet. %s" % (why, " ".join(problems)))
    names = list(args.get("names") or [fqdn])
    enroll = {"ca": args["enroll"]["ca"], "template": args["enroll"]["template"], "subject": "CN=%s" % names[0],
              "san_dns": names, "context": "machine", "exportable": False}
    result.ensure(ENROLL_OP, "cert_enroll", enroll)
    result.ensure("thumbprint", "registry_value", {"path": POLICY_KEY, "name": VALUE_NAME, "type": "REG_SZ",
                                                   "value": contract.result_ref(ENROLL_OP, "thumbprint", "lower")})
    tmpl = data["templates"][args["enroll"]["template"]]
    result.fields.update({"thumbprint": None, "stored_before": stored, "stored_after": None, "certificate": None,
                          "enrolled": {"reason": why, "ca": enroll["ca"], "template": enroll["template"],
                                       "subject": enroll["subject"], "san_dns": names,
                                       "validity_days": tmpl.get("validity_days"), "thumbprint": None,
                                       "not_after": None}})
    result.restarts.extend(_restarts(facts, changed_cert=True))
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
    if "enrolled" in plan.fields:
        return _finish_enrol(plan, results)
    value = c.ensure_after(results, "thumbprint").get("value")
    if value != plan.fields["stored_after"]:
        return {}, ("%s reads %r after writing %r; check the agent's access to %s and rerun." % (
            VALUE_NAME, value, plan.fields["stored_after"], POLICY_KEY))
    return {}, None


def _finish_enrol(plan, results):
    after = c.ensure_after(results, ENROLL_OP)
    thumb = after.get("thumbprint")
    enrolled = dict(plan.fields["enrolled"], thumbprint=thumb, not_after=after.get("not_after"))
    fields = {"enrolled": enrolled, "thumbprint": thumb, "stored_after": thumb.lower() if thumb else None,
              "certificate": {"thumbprint": thumb, "subject": enrolled["subject"], "not_after": after.get("not_after"),
                              "days_left": None, "san_dns": enrolled["san_dns"]} if thumb else None}
    written = (results or {}).get("thumbprint") or {}
    if thumb and written.get("status") == "ok" and (written.get("after") or {}).get("value") != thumb.lower():
        return fields, ("%s reads %r after writing the new certificate's thumbprint %s; check the agent's access to %s "
                        "and rerun." % (VALUE_NAME, (written.get("after") or {}).get("value"), thumb.lower(), POLICY_KEY))
    return fields, None
