# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""RA_CERT_EXPIRED: renew both NDES RA certificates from the CA without reinstalling NDES."""
from __future__ import annotations

from ansible_collections.ndes.scep.plugins.module_utils._agent import contract
from ansible_collections.ndes.scep.plugins.module_utils._ndes import certs
from ansible_collections.ndes.scep.plugins.module_utils._ndes import values as v
from ansible_collections.ndes.scep.plugins.module_utils._ndes.fixes import _common as c
from ansible_collections.ndes.scep.plugins.module_utils._ndes.fixes import ra_certs

# Microsoft's manual procedure (the seed, "500 - Internal server error", cause 2) in one agent call:
#   steps 1, 11 (exportable key)    -> prerequisites, checked in a read call BEFORE anything changes
#   steps 2-7 (CEP Encryption)       -> cert_enroll, context machine, subject of the old certificate
#   steps 8-14 (Exchange Enrollment  -> cert_enroll, context user (the template's subject type is User):
#   Agent (Offline request))            the agent enrols as its user and moves certificate + key to LocalMachine\My
#   step 15 (Read for the service    -> key_acl_grant on the new key (@result: of the enrolment)
#   account on the private keys)
#   old certificates                 -> cert_archive (after a .cer backup), LAST: a failure before leaves them usable
#   step 16 (iisreset)               -> restart_required; the remediate role's handler resets IIS
SECTIONS = ("settings", "host", "scep_pool", "service_account", "ra_certs")
ROLES = ("signing", "encryption")
TEMPLATE_OP = "templates"
STORE_MY = "store_my"          # the gather op id, reused when the facts are gathered in the same call
# NDES loads its RA keys through CryptoAPI: keep the provider of the certificate replaced; else the
# template's first legacy CSP; else the CSP Microsoft's Install-AdcsNetworkDeviceEnrollmentService
# example names for both RA keys.
DEFAULT_CSP = "Microsoft Strong Cryptographic Provider"
KSP_SUFFIX = "Key Storage Provider"
RA_NAME_SUFFIX = "-MSCEP-RA"   # NDES names its RA <COMPUTERNAME>-MSCEP-RA unless told otherwise
REASON_TEXT = {"expired": "expired", "missing": "missing", "keyless": "without its private key",
               "not_yet_valid": "not valid yet", "expiring": "expires within threshold_days", "forced": "force"}
DOUBLE_HOP = ("The agent must reach Active Directory and the CA from the NDES server: over WinRM that is the double "
              "hop; connect with CredSSP or Kerberos delegation, or run the task with become (docs/windows-agent.md, "
              "Certificate renewal on Windows).")


def settings(args):
    out = {}
    if args.get("service_account") and not c.is_sid(args["service_account"]):
        out["service_account"] = args["service_account"]
    return out


def _template_of(args, role):
    return args["signing_template"] if role == "signing" else args["encryption_template"]


def _live_of_role(ra, role):
    return [cert for cert in ra.get("certs") or [] if cert.get("role") == role]


def _due(args, ra):
    """{role: reason} of the roles to renew now."""
    out = {}
    for role in ROLES:
        state = (ra.get("roles") or {}).get(role) or {"status": "missing"}
        status = state.get("status")
        if args["force"]:
            out[role] = "forced"
        elif status != "ok":
            out[role] = status or "missing"
        elif state.get("days_left") is not None and state["days_left"] <= args["threshold_days"]:
            out[role] = "expiring"
    return out


def _superseded(ra, due):
    """Certificates of a role not renewed now that an in-use, longer-valid certificate of that role replaced."""
    out = []
    roles = ra.get("roles") or {}
    for role in ROLES:
        state = roles.get(role) or {}
        if role in due or state.get("status") != "ok":
            continue
        current = next((x for x in _live_of_role(ra, role) if x.get("thumbprint") == state.get("thumbprint")), None)
        if current is None:
            continue
        for cert in _live_of_role(ra, role):
            if cert is not current and (cert.get("not_after") or "") < (current.get("not_after") or ""):
                out.append(cert["thumbprint"])
    return out


def _ra_facts(facts):
    ra = c.dig(facts, "ra_certs", {})
    if ra.get("certs") is None:
        raise c.FixError("The RA certificates could not be read (LocalMachine\\My); see the facts' unknown list, fix "
                         "the agent's access and rerun.")
    return ra


def reads(args, facts):
    """template_access (+ the My store for the old keys' provider) when something is due; nothing otherwise.

    ``facts=None``: gathered in the same call, so always ask (the gather's own ``store_my`` is reused).
    """
    templates = [args["signing_template"]]
    if args["encryption_template"] not in templates:
        templates.append(args["encryption_template"])
    template_op = (TEMPLATE_OP, "template_access", {"templates": templates, "ca": args["ca"]})
    if facts is None:
        return [template_op]
    if not _due(args, _ra_facts(facts)):
        return []
    ops = [template_op, (STORE_MY, "cert_store", {"store": "My", "location": "LocalMachine", "include_acl": False})]
    _sid, name, _how = ra_certs.service_account(args, facts)
    if name and not _sid:
        ops.append(c.resolve_op([name]))
    return ops


def _account_sid(args, facts, reads):
    sid, name, how = ra_certs.service_account(args, facts)
    if name and not sid:
        sid = c.resolved(reads, [name])[0]
    if not sid:
        raise c.FixError("Could not tell the NDES service account (the SCEP pool identity is unknown). Give "
                         "service_account (DOMAIN\\user or a SID): it must read the new RA private keys.")
    return sid, how


def _my_certs(reads):
    if STORE_MY not in (reads or {}):
        return {}
    data = c.read_data(reads, STORE_MY, "LocalMachine\\My")
    return dict((v.thumbprint(cert.get("thumbprint")), cert) for cert in data.get("certs") or [])


def _provider(old, template):
    if old and old.get("key_provider"):
        return old["key_provider"]
    for name in template.get("providers") or []:
        if name and not name.endswith(KSP_SUFFIX):
            return name
    return DEFAULT_CSP


def _subject(role, ra, facts):
    """The subject the new certificate keeps: the replaced one's, else the other RA certificate's, else NDES's default."""
    state = (ra.get("roles") or {}).get(role) or {}
    mine = [x for x in _live_of_role(ra, role) if x.get("thumbprint") == state.get("thumbprint")]
    others = [x for x in ra.get("certs") or [] if x.get("subject")]
    for cert in mine + others:
        if cert.get("subject"):
            return cert["subject"]
    host = (c.dig(facts, "host.hostname") or "NDES").upper()
    return "CN=%s%s" % (host, RA_NAME_SUFFIX)


def _prerequisites(args, data, due):
    """(per-template report, problems in plain words)."""
    if data.get("status") != "known":
        reason = data.get("reason") or "unknown reason"
        return {}, ["Could not check the template permissions: %s. %s" % (reason, DOUBLE_HOP)]
    problems, report = [], {}
    ca_info = data.get("ca") or {}
    if ca_info and ca_info.get("found") is False:
        problems.append("No enterprise CA named %r is published in Active Directory (Enrollment Services): give ca as "
                        "the CA config string host\\CA name (certutil -dump on the CA shows it)." % args["ca"])
    for role in ROLES:
        if role not in due:
            continue
        name = _template_of(args, role)
        tmpl = (data.get("templates") or {}).get(name) or {"exists": False}
        if not tmpl.get("exists"):
            problems.append("Template %s (the %s RA certificate) does not exist in the forest: check signing_template / "
                            "encryption_template (the template's name, not its display name)." % (name, role))
            continue
        context = "user" if tmpl.get("subject_type") == "user" else "machine"
        who = (data.get("identities") or {}).get(context) or {}
        access = (tmpl.get("access") or {}).get(context) or {}
        report[name] = {"role": role, "context": context, "identity": who.get("name"), "identity_sid": who.get("sid"),
                        "read": access.get("read"), "enroll": access.get("enroll"), "offered": tmpl.get("offered"),
                        "subject_type": tmpl.get("subject_type"), "exportable_key": tmpl.get("exportable_key"),
                        "schema_version": tmpl.get("schema_version"), "validity_days": tmpl.get("validity_days"),
                        "providers": tmpl.get("providers") or []}
        if tmpl.get("offered") is False:
            problems.append("The CA %s does not offer template %s: publish it (Certification Authority console > "
                            "Certificate Templates > New > Certificate Template to Issue)." % (args["ca"], name))
        missing = [right for right in ("read", "enroll") if access.get(right) is not True]
        if missing:
            problems.append("%s (%s context: %s) lacks %s on template %s: grant Read and Enroll in the Certificate "
                            "Templates console (certtmpl.msc) > %s > Properties > Security." % (
                                who.get("name") or "the enrolling identity",
                                context, "the NDES server's computer account" if context == "machine"
                                else "the account the agent runs as", " and ".join(r.title() for r in missing),
                                name, name))
        if context == "user" and (tmpl.get("schema_version") or 1) >= 2 and not tmpl.get("exportable_key"):
            problems.append("Template %s has subject type User, so the certificate is enrolled as a user and moved with "
                            "its key to LocalMachine\\My, which needs an exportable key; the template does not allow it: "
                            "tick 'Allow private key to be exported' on its Request Handling tab." % name)
        ekus = tmpl.get("ekus") or []
        if ekus and certs.CERT_REQUEST_AGENT not in ekus:
            problems.append("Template %s does not issue the Certificate Request Agent EKU (%s) an NDES RA certificate "
                            "needs: pick the right template." % (name, certs.CERT_REQUEST_AGENT))
    return report, problems


def plan(args, facts, reads):
    result = c.Plan()
    ra = _ra_facts(facts)
    roles = ra.get("roles") or {}
    due = _due(args, ra)
    superseded = _superseded(ra, due)
    report_roles = {}
    for role in ROLES:
        state = roles.get(role) or {"status": "missing"}
        report_roles[role] = {"status": state.get("status"), "thumbprint": state.get("thumbprint"),
                              "days_left": state.get("days_left"), "template": _template_of(args, role),
                              "renew": role in due, "reason": due.get(role)}
    result.fields.update({"roles": report_roles, "renewed": [], "archived": [], "prerequisites": {},
                          "threshold_days": args["threshold_days"]})
    if not due and not superseded:
        return result
    olds = []
    if due:
        sid, how = _account_sid(args, facts, reads)
        result.fields.update(service_account_sid=sid, service_account_from=how)
        data = c.read_data(reads, TEMPLATE_OP, "the certificate templates (template_access)")
        report, problems = _prerequisites(args, data, due)
        result.fields["prerequisites"] = report
        if problems:
            return result.refuse("Nothing was changed: the RA certificates cannot be renewed yet. " + " ".join(problems))
        my = _my_certs(reads)
        for role in ROLES:
            if role not in due:
                continue
            name = _template_of(args, role)
            tmpl = data["templates"][name]
            context = report[name]["context"]
            state = roles.get(role) or {}
            current = next((x for x in _live_of_role(ra, role) if state.get("thumbprint") and
                            x.get("thumbprint") == state.get("thumbprint")), None)
            replaces = current["thumbprint"] if current else None
            old = my.get(v.thumbprint(replaces)) if replaces else None
            enroll = {"ca": args["ca"], "template": name, "subject": _subject(role, ra, facts), "context": context,
                      "provider": _provider(old, tmpl), "exportable": context == "user"}
            if replaces:
                enroll["replaces"] = replaces
            result.ensure("enroll_%s" % role, "cert_enroll", enroll)
            result.ensure("acl_%s" % role, "key_acl_grant", {
                "thumbprint": contract.result_ref("enroll_%s" % role, "thumbprint"), "store": "My", "sid": sid,
                "rights": "read"})
            result.fields["renewed"].append({
                "role": role, "template": name, "context": context, "provider": enroll["provider"],
                "reason": due[role], "subject": enroll["subject"], "replaces": replaces,
                "old_not_after": (current or {}).get("not_after"),
                "old_days_left": state.get("days_left"), "validity_days": tmpl.get("validity_days"),
                "new_thumbprint": None, "new_not_after": None})
            both = all(r in due for r in ROLES)
            olds += [x["thumbprint"] for x in ra.get("certs") or []
                     if x.get("role") == role or (x.get("role") == "dual" and both)]
    for thumb in olds + superseded:
        if thumb and thumb not in result.fields["archived"]:
            result.fields["archived"].append(thumb)
            result.ensure("archive_%s" % thumb.lower(), "cert_archive", {"thumbprint": thumb, "store": "My"})
    result.restarts.append(c.restart("iis", None, "reset", "NDES loads its RA certificates when IIS starts "
                                     "(Microsoft's procedure ends with iisreset)"))
    for entry in result.fields["renewed"]:
        if entry["reason"] == "expiring":
            result.warnings.append("Renewing the %s RA certificate: it expires in %s day(s) (threshold_days %d)." % (
                entry["role"], entry["old_days_left"], args["threshold_days"]))
    return result


def finish(args, plan, results):
    """The new thumbprints and expiry dates; checks the grants and the archiving that ran (check mode: predictions)."""
    del args
    errors = []
    sid = plan.fields.get("service_account_sid")
    for entry in plan.fields["renewed"]:
        enrolled = (results or {}).get("enroll_%s" % entry["role"]) or {}
        after = enrolled.get("after") or {}
        entry["new_thumbprint"] = after.get("thumbprint")
        entry["new_not_after"] = after.get("not_after")
        grant = (results or {}).get("acl_%s" % entry["role"]) or {}
        if grant.get("status") == contract.STATUS_OK:
            acl = (grant.get("after") or {}).get("key_acl") or []
            if not any(c.norm_sid(ace.get("sid", "")) == sid and set(ace.get("rights") or []) & {"read", "full_control"}
                       for ace in acl):
                errors.append("%s still cannot read the key of the new %s certificate %s; check the key's provider and "
                              "rerun ndes.scep.ra_certs." % (sid, entry["role"], entry["new_thumbprint"]))
    for thumb in plan.fields["archived"]:
        archived = (results or {}).get("archive_%s" % thumb.lower()) or {}
        if archived.get("status") == contract.STATUS_OK and not (archived.get("after") or {}).get("archived"):
            errors.append("Certificate %s is still not archived; archive it by hand (certlm.msc) or rerun." % thumb)
    return {"renewed": plan.fields["renewed"]}, (" ".join(errors) or None)


def explain_failure(args, plan, results):
    """What a failed call left behind: the old certificates stay in place (they are archived last)."""
    del args
    kept = [t for t in plan.fields.get("archived") or []
            if ((results or {}).get("archive_%s" % t.lower()) or {}).get("status") != contract.STATUS_OK]
    new = [((results or {}).get("enroll_%s" % e["role"]) or {}).get("after", {}).get("thumbprint")
           for e in plan.fields.get("renewed") or []]
    new = [t for t in new if t]
    text = "The old RA certificates were not archived and stay in place and usable (%s)." % (", ".join(kept) or "none")
    if new:
        text += (" Already enrolled: %s; they stay in LocalMachine\\My and a rerun reuses them (it renews only what is "
                 "still due and then archives the superseded certificates)." % ", ".join(new))
    return text
