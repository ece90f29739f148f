# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""GetCACert answers as data: certificates parsed, told apart (CA / RA) by OID."""
from __future__ import annotations

import datetime
import hashlib

from ansible_collections.ndes.scep.plugins.module_utils._formats import der

try:
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.serialization import pkcs7
    from cryptography.x509.oid import ExtensionOID
    CRYPTOGRAPHY_IMPORT_ERROR = None
except ImportError as e:  # pragma: no cover - exercised by ansible-test sanity
    x509 = serialization = pkcs7 = ExtensionOID = None
    CRYPTOGRAPHY_IMPORT_ERROR = e

# Content types of a GetCACert answer (RFC 8894, IANA registrations).
CT_CA_CERT = "application/x-x509-ca-cert"        # one DER certificate
CT_CA_RA_CERT = "application/x-x509-ca-ra-cert"  # degenerate PKCS#7 SignedData

OID_CERT_REQUEST_AGENT = "1.3.6.1.4.1.311.20.2.1"   # EKU on both MSCEP-RA certs
OID_TEMPLATE_NAME = der.OID_TEMPLATE_NAME          # v1 template name (BMPString)
OID_TEMPLATE_INFO = der.OID_TEMPLATE_INFO          # v2 template: SEQ {OID, major, minor}
# v1 template names of the two NDES RA certificates (names are not localized).
RA_SIGNING_TEMPLATES = ("EnrollmentAgentOffline",)
RA_ENCRYPTION_TEMPLATES = ("CEPEncryption",)


class CertParseError(ValueError):
    """The body does not hold what its Content-Type announces."""


def require_cryptography():
    if CRYPTOGRAPHY_IMPORT_ERROR is not None:
        raise RuntimeError("the SCEP probe needs the Python 'cryptography' library to parse "
                           "GetCACert answers: %s" % CRYPTOGRAPHY_IMPORT_ERROR)


def media_type(content_type):
    """'application/x-x509-ca-ra-cert; charset=x' -> 'application/x-x509-ca-ra-cert'."""
    return (content_type or "").split(";", 1)[0].strip().lower()


def load_getcacert(content_type, body):
    """Certificates of a GetCACert body, parsed as its Content-Type says.

    Returns ``(format, [x509.Certificate])`` with format ``der`` (one
    certificate) or ``pkcs7``. A body that does not match its Content-Type
    raises CertParseError naming what was found.
    """
    require_cryptography()
    mtype = media_type(content_type)
    if not body:
        raise CertParseError("empty GetCACert body")
    if mtype == CT_CA_CERT:
        try:
            return "der", [x509.load_der_x509_certificate(body)]
        except ValueError as exc:
            raise CertParseError("%s body is not one DER certificate: %s" % (CT_CA_CERT, exc))
    if mtype == CT_CA_RA_CERT:
        try:
            certs = pkcs7.load_der_pkcs7_certificates(body)
        except ValueError as exc:
            raise CertParseError("%s body is not a DER PKCS#7 SignedData: %s" % (CT_CA_RA_CERT, exc))
        if not certs:
            raise CertParseError("%s body holds no certificate" % CT_CA_RA_CERT)
        return "pkcs7", list(certs)
    raise CertParseError("unexpected GetCACert Content-Type %r (expected %s or %s)"
                         % (content_type, CT_CA_CERT, CT_CA_RA_CERT))


# ------------------------------------------------------------- certificate facts
_KEY_USAGE_NAMES = ("digital_signature", "content_commitment", "key_encipherment",
                    "data_encipherment", "key_agreement", "key_cert_sign", "crl_sign")


def _utc(dt):
    return dt if dt.tzinfo else dt.replace(tzinfo=datetime.timezone.utc)


def _not_valid(cert, which):
    value = getattr(cert, which + "_utc", None)  # cryptography >= 42
    if value is None:
        value = getattr(cert, which)
    return _utc(value)


def _ext(cert, oid):
    try:
        return cert.extensions.get_extension_for_oid(oid).value
    except x509.ExtensionNotFound:
        return None


def _raw_ext(cert, dotted):
    for ext in cert.extensions:
        if ext.oid.dotted_string == dotted:
            value = ext.value
            return getattr(value, "value", None) or value.public_bytes()
    return None


def cert_info(cert, now=None):
    """A JSON-ready record of one certificate, with its role: ca | ra | other.

    CA: basicConstraints CA=true. RA: the Certificate Request Agent EKU
    (1.3.6.1.4.1.311.20.2.1) or a certificate template extension; its
    ``ra_kind`` (signing | encryption | unknown) comes from the v1 template
    name, else from key usage. Names are never compared as display text.
    """
    now = _utc(now or datetime.datetime.now(datetime.timezone.utc))
    encoded = cert.public_bytes(serialization.Encoding.DER)
    not_before = _not_valid(cert, "not_valid_before")
    not_after = _not_valid(cert, "not_valid_after")
    bc = _ext(cert, ExtensionOID.BASIC_CONSTRAINTS)
    eku = _ext(cert, ExtensionOID.EXTENDED_KEY_USAGE)
    ku = _ext(cert, ExtensionOID.KEY_USAGE)
    ekus = [o.dotted_string for o in eku] if eku is not None else []
    key_usage = []
    if ku is not None:
        for name in _KEY_USAGE_NAMES:
            if getattr(ku, name):
                key_usage.append(name)
    template_oid, template_name = der.decode_template(_raw_ext(cert, OID_TEMPLATE_NAME),
                                                      _raw_ext(cert, OID_TEMPLATE_INFO))
    is_ca = bool(bc is not None and bc.ca)
    has_template = template_name is not None or template_oid is not None
    if is_ca:
        role = "ca"
    elif OID_CERT_REQUEST_AGENT in ekus or has_template:
        role = "ra"
    else:
        role = "other"
    ra_kind = None
    if role == "ra":
        if template_name in RA_SIGNING_TEMPLATES:
            ra_kind = "signing"
        elif template_name in RA_ENCRYPTION_TEMPLATES:
            ra_kind = "encryption"
        elif "key_encipherment" in key_usage and "digital_signature" not in key_usage:
            ra_kind = "encryption"
        elif "digital_signature" in key_usage and "key_encipherment" not in key_usage:
            ra_kind = "signing"
        else:
            ra_kind = "unknown"
    seconds_left = (not_after - now).total_seconds()
    return {
        "role": role,
        "ra_kind": ra_kind,
        "subject": cert.subject.rfc4514_string(),
        "issuer": cert.issuer.rfc4514_string(),
        "self_signed": cert.subject.public_bytes() == cert.issuer.public_bytes(),
        "serial": "%X" % cert.serial_number,
        "thumbprint": hashlib.sha1(encoded).hexdigest().upper(),
        "sha256": hashlib.sha256(encoded).hexdigest().upper(),
        "not_before": not_before.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "not_after": not_after.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "days_left": int(seconds_left // 86400),
        "expired": seconds_left < 0,
        "not_yet_valid": not_before > now,
        "ca": is_ca,
        "ekus": ekus,
        "key_usage": key_usage,
        "template_name": template_name,
        "template_oid": template_oid,
    }
