# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Turn an X.509 certificate into the contract's cert record (CERT_FIELDS), decoding raw extension bytes."""
from __future__ import annotations

import base64
import hashlib

from ansible_collections.ndes.scep.plugins.module_utils._formats import der
from ansible_collections.ndes.scep.plugins.module_utils._lab import certs, store

try:
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
except ImportError:  # pragma: no cover - certs.require() reports it
    pass

KEY_USAGE_NAMES = ("digital_signature", "content_commitment", "key_encipherment", "data_encipherment",
                   "key_agreement", "key_cert_sign", "crl_sign", "encipher_only", "decipher_only")


def der_bytes(cert):
    return cert.public_bytes(serialization.Encoding.DER)


def thumbprint(cert):
    """Upper-case SHA-1 hex of the DER, as Windows shows it."""
    return hashlib.sha1(der_bytes(cert)).hexdigest().upper()


def _ext(cert, oid_cls_or_dotted):
    try:
        if isinstance(oid_cls_or_dotted, str):
            return cert.extensions.get_extension_for_oid(x509.ObjectIdentifier(oid_cls_or_dotted)).value
        return cert.extensions.get_extension_for_class(oid_cls_or_dotted).value
    except x509.ExtensionNotFound:
        return None


def key_usage(cert):
    usage = _ext(cert, x509.KeyUsage)
    if usage is None:
        return []
    out = []
    for attr in KEY_USAGE_NAMES:
        try:
            if getattr(usage, attr):
                out.append(attr)
        except ValueError:  # encipher_only/decipher_only without key_agreement
            continue
    return out


def ekus(cert):
    value = _ext(cert, x509.ExtendedKeyUsage)
    return [o.dotted_string for o in value] if value is not None else []


def _raw(cert, dotted):
    value = _ext(cert, dotted)
    if value is None:
        return None
    return getattr(value, "value", None) or value.public_bytes()


def template(cert):
    """(template_oid, template_name) decoded from the raw extension bytes (never Format() text)."""
    return der.decode_template(_raw(cert, certs.OID_TEMPLATE_NAME), _raw(cert, certs.OID_TEMPLATE_INFO))


def san_dns(cert):
    value = _ext(cert, x509.SubjectAlternativeName)
    return value.get_values_for_type(x509.DNSName) if value is not None else []


def urls(cert):
    """CDP and AIA URLs (what a chain build with online revocation fetches)."""
    out = []
    cdp = _ext(cert, x509.CRLDistributionPoints)
    for point in cdp or []:
        out.extend(n.value for n in point.full_name or [] if isinstance(n, x509.UniformResourceIdentifier))
    aia = _ext(cert, x509.AuthorityInformationAccess)
    for desc in aia or []:
        if isinstance(desc.access_location, x509.UniformResourceIdentifier):
            out.append(desc.access_location.value)
    return out


def crl_urls(cert):
    cdp = _ext(cert, x509.CRLDistributionPoints)
    return [n.value for p in cdp or [] for n in p.full_name or [] if isinstance(n, x509.UniformResourceIdentifier)]


def is_self_signed(cert):
    return cert.subject.public_bytes() == cert.issuer.public_bytes()


def record(cert, has_key, meta, store_name=None, include_acl=True):
    """The contract's cert record."""
    oid, tname = template(cert)
    rec = {
        "thumbprint": thumbprint(cert),
        "subject": cert.subject.rfc4514_string(),
        "issuer": cert.issuer.rfc4514_string(),
        "subject_der_b64": base64.b64encode(cert.subject.public_bytes()).decode("ascii"),
        "issuer_der_b64": base64.b64encode(cert.issuer.public_bytes()).decode("ascii"),
        "serial": "%X" % cert.serial_number,
        "not_before": store.iso(certs.not_before(cert)),
        "not_after": store.iso(certs.not_after(cert)),
        "has_private_key": bool(has_key),
        "key_provider": meta.get("key_provider") if has_key else None,
        "ekus": ekus(cert),
        "key_usage": key_usage(cert),
        "template_oid": oid,
        "template_name": tname,
        "san_dns": san_dns(cert),
        "key_acl": [dict(a) for a in meta.get("key_acl", [])] if has_key else [],
        "archived": bool(meta.get("archived", False)),
        "der_b64": base64.b64encode(der_bytes(cert)).decode("ascii"),
    }
    # A key ACL that could not be read is null with a reason code, never an empty list. The lab's
    # "unreadable key file": meta key_acl_error (one of contract.KEY_ACL_ERRORS).
    error = None
    if has_key and not include_acl:
        error = "not_requested"
    elif has_key and meta.get("key_acl_error"):
        error = meta["key_acl_error"]
    if error is not None:
        rec["key_acl"] = None
        rec["key_acl_error"] = error
    if store_name is not None and store_name.lower() == "root":
        rec["gpo_placed"] = bool(meta.get("gpo_placed", False))
    return rec
