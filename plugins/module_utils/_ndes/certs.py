# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Certificate facts: the NDES policy certificate, the two MSCEP-RA certificates, intermediates in Root."""
from __future__ import annotations

from ansible_collections.ndes.scep.plugins.module_utils._ndes import values as v

CLIENT_AUTH = "1.3.6.1.5.5.7.3.2"
CERT_REQUEST_AGENT = "1.3.6.1.4.1.311.20.2.1"
# v1 template names (extension 1.3.6.1.4.1.311.20.2) of the MSCEP-RA certificates.
RA_TEMPLATE_ROLES = {"enrollmentagentoffline": "signing", "cepencryption": "encryption"}
RA_ROLES = ("signing", "encryption")
# Worker-process token groups: an ACE for one of these lets any pool identity in.
TOKEN_GROUPS = frozenset((v.EVERYONE, v.AUTHENTICATED_USERS, v.USERS, v.IIS_IUSRS))
READ_RIGHTS = frozenset(("read", "generic_read", "full_control", "generic_all", "modify",
                         "read_and_execute", "read_data"))


def validity(cert, now):
    """``(not_after datetime, days_left, expired, not_yet_valid)`` of a contract cert record."""
    not_before = v.parse_time(cert.get("not_before"))
    not_after = v.parse_time(cert.get("not_after"))
    expired = not_after is not None and now >= not_after
    early = not_before is not None and now < not_before
    return not_after, v.days_left(not_after, now), expired, early


def _live(certs):
    return [c for c in certs or [] if isinstance(c, dict) and not c.get("archived")]


def cert_names(cert):
    """DNS names a certificate covers: SAN dNSName entries, else its subject CNs."""
    sans = [n for n in cert.get("san_dns") or [] if n]
    return sans or v.subject_cns(cert.get("subject"))


def covers(cert, name):
    return any(v.name_matches(pattern, name) for pattern in cert_names(cert))


# ------------------------------------------------------------------ policy certificate
def _problem(cert, now):
    if cert is None:
        return "missing"
    _na, _days, expired, early = validity(cert, now)
    if expired:
        return "expired"
    if early:
        return "not_yet_valid"
    if not cert.get("has_private_key"):
        return "keyless"
    if CLIENT_AUTH not in (cert.get("ekus") or []):
        return "no_client_auth_eku"
    return None


def _candidate(cert, now, host_names):
    if _problem(cert, now) is not None:
        return False
    return any(covers(cert, name) for name in host_names if name)


def policy_cert(value, my_certs, now, host_names, required_names, warn_days):
    """The ``policy_cert`` facts. ``value``: NDESCertThumbprint as stored (None = unset)."""
    thumb = v.thumbprint(value) if value is not None else None
    by_thumb = dict((v.thumbprint(c.get("thumbprint")), c) for c in _live(my_certs))
    cert = by_thumb.get(thumb) if thumb else None
    out = {
        "value": value,
        "thumbprint": thumb,
        "stored_normalized": bool(value) and value == value.strip().lower() and value == (thumb or "").lower(),
        "found": cert is not None,
        "problem": "unset" if not thumb else (_problem(cert, now) or "none"),
        "not_after": None, "days_left": None, "expiring_soon": False,
        "has_private_key": None, "has_client_auth_eku": None,
        "subject": None, "san_dns": [],
        "names_required": [n for n in required_names if n],
        "names_missing": [],
    }
    if cert is not None:
        not_after, days, _expired, _early = validity(cert, now)
        out.update({
            "not_after": v.iso(not_after), "days_left": days,
            "expiring_soon": out["problem"] == "none" and days is not None and days <= warn_days,
            "has_private_key": bool(cert.get("has_private_key")),
            "has_client_auth_eku": CLIENT_AUTH in (cert.get("ekus") or []),
            "subject": cert.get("subject"), "san_dns": list(cert.get("san_dns") or []),
            "names_missing": [n for n in out["names_required"] if not covers(cert, n)],
        })
    candidates = []
    for other in _live(my_certs):
        other_thumb = v.thumbprint(other.get("thumbprint"))
        if other_thumb == thumb or not _candidate(other, now, host_names):
            continue
        not_after, days, _e, _y = validity(other, now)
        candidates.append({"thumbprint": other_thumb, "subject": other.get("subject"),
                           "not_before": other.get("not_before"), "not_after": v.iso(not_after),
                           "days_left": days, "san_dns": list(other.get("san_dns") or [])})
    candidates.sort(key=lambda c: (-(c["days_left"] or 0), c["thumbprint"]))
    out["candidates"] = candidates
    return out


# ------------------------------------------------------------------ RA certificates
def ra_role(cert):
    """signing | encryption | dual | unknown: template name first, else key usage."""
    role = RA_TEMPLATE_ROLES.get((cert.get("template_name") or "").lower())
    if role:
        return role
    usage = set(cert.get("key_usage") or [])
    sign = "digital_signature" in usage
    encrypt = "key_encipherment" in usage
    if sign and encrypt:
        return "dual"
    if sign:
        return "signing"
    if encrypt:
        return "encryption"
    return "unknown"


def can_read(cert, account_sid):
    """Whether the service account may read the private key: True / False / None (cannot tell)."""
    if not cert.get("has_private_key"):
        return None
    acl = cert.get("key_acl")
    if not isinstance(acl, list):
        return None
    readers = set()
    for ace in acl:
        rights = set(r.lower() for r in ace.get("rights") or [])
        if rights & READ_RIGHTS:
            readers.add(v.sid(ace.get("sid")))
    if readers & TOKEN_GROUPS:
        return True
    if not account_sid:
        return None
    return account_sid in readers


def _ra_entry(cert, now, account_sid):
    not_after, days, expired, early = validity(cert, now)
    return {
        "role": ra_role(cert),
        "thumbprint": v.thumbprint(cert.get("thumbprint")),
        "subject": cert.get("subject"),
        "template_name": cert.get("template_name"),
        "template_oid": cert.get("template_oid"),
        "not_after": v.iso(not_after),
        "days_left": days,
        "expired": expired,
        "not_yet_valid": early,
        "has_private_key": bool(cert.get("has_private_key")),
        "key_usage": list(cert.get("key_usage") or []),
        "key_acl_sids": sorted(set(v.sid(a.get("sid")) for a in cert.get("key_acl") or [] if a.get("sid"))),
        "service_account_can_read": can_read(cert, account_sid),
    }


def _role_state(entries, role):
    mine = [e for e in entries if e["role"] in (role, "dual")]
    valid = [e for e in mine if not e["expired"] and not e["not_yet_valid"] and e["has_private_key"]]
    if valid:
        best = max(valid, key=lambda e: (e["days_left"] or 0, e["thumbprint"]))
        return {"status": "ok", "thumbprint": best["thumbprint"], "days_left": best["days_left"]}
    if not mine:
        return {"status": "missing", "thumbprint": None, "days_left": None}
    newest = max(mine, key=lambda e: (e["days_left"] if e["days_left"] is not None else -10 ** 6,
                                      e["thumbprint"]))
    status = "expired" if newest["expired"] else ("keyless" if not newest["has_private_key"] else "not_yet_valid")
    return {"status": status, "thumbprint": newest["thumbprint"], "days_left": newest["days_left"]}


def ra_certs(my_certs, now, account_sid, warn_days):
    """The ``ra_certs`` facts (certificates with the Certificate Request Agent EKU in My)."""
    entries = [_ra_entry(c, now, account_sid) for c in _live(my_certs)
               if CERT_REQUEST_AGENT in (c.get("ekus") or [])]
    entries.sort(key=lambda e: (e["role"], e["thumbprint"] or ""))
    roles = dict((role, _role_state(entries, role)) for role in RA_ROLES)
    current = set(r["thumbprint"] for r in roles.values() if r["status"] == "ok")
    days = [r["days_left"] for r in roles.values() if r["days_left"] is not None]
    in_use = [e for e in entries if e["thumbprint"] in current]
    return {
        "certs": entries,
        "roles": roles,
        "signing_found": any(e["role"] in ("signing", "dual") for e in entries),
        "encryption_found": any(e["role"] in ("encryption", "dual") for e in entries),
        "any_expired": any(r["status"] == "expired" for r in roles.values()),
        "missing_roles": [role for role in RA_ROLES if roles[role]["status"] == "missing"],
        "unusable_roles": [role for role in RA_ROLES if roles[role]["status"] != "ok"],
        "min_days_left": min(days) if days else None,
        "expiring_soon": any(r["status"] == "ok" and r["days_left"] is not None and r["days_left"] <= warn_days
                             for r in roles.values()),
        "acl_missing": sorted(e["thumbprint"] for e in in_use if e["service_account_can_read"] is False),
        "acl_unknown": sorted(e["thumbprint"] for e in in_use if e["service_account_can_read"] is None),
    }


# ------------------------------------------------------------------ Root store
def is_self_signed(cert):
    """Raw DER subject == raw DER issuer (never the display strings); None when not comparable."""
    subject, issuer = v.der(cert.get("subject_der_b64")), v.der(cert.get("issuer_der_b64"))
    if subject is None or issuer is None:
        return None
    return subject == issuer


def root_store(root_certs, ca_certs):
    """The ``root_store`` facts: certificates in Root whose issuer is not their subject."""
    in_ca = set(v.thumbprint(c.get("thumbprint")) for c in _live(ca_certs)) if ca_certs is not None else None
    bad = []
    undecided = []
    for cert in _live(root_certs):
        verdict = is_self_signed(cert)
        thumb = v.thumbprint(cert.get("thumbprint"))
        if verdict is None:
            undecided.append(thumb)
        elif not verdict:
            bad.append({"thumbprint": thumb, "subject": cert.get("subject"), "issuer": cert.get("issuer"),
                        "gpo_placed": bool(cert.get("gpo_placed")),
                        "in_ca_store": None if in_ca is None else thumb in in_ca})
    bad.sort(key=lambda c: c["thumbprint"] or "")
    return {"non_self_signed": bad, "count": len(bad),
            "gpo_placed_count": sum(1 for c in bad if c["gpo_placed"]),
            "undecided": sorted(t for t in undecided if t)}
