# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The lab PKI: the enterprise CA (on "another server", <lab>/ca/) and the certificates it issues."""
from __future__ import annotations

import datetime
import os

from ansible_collections.ndes.scep.plugins.module_utils._formats import der
from ansible_collections.ndes.scep.plugins.module_utils._lab import layout, store

try:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID
except ImportError as exc:  # pragma: no cover - surfaced by require()
    CRYPTOGRAPHY_IMPORT_ERROR = exc
else:
    CRYPTOGRAPHY_IMPORT_ERROR = None

OID_CERT_REQUEST_AGENT = "1.3.6.1.4.1.311.20.2.1"
OID_CLIENT_AUTH = "1.3.6.1.5.5.7.3.2"
OID_SERVER_AUTH = "1.3.6.1.5.5.7.3.1"
OID_TEMPLATE_NAME = der.OID_TEMPLATE_NAME    # v1: BMPString
OID_TEMPLATE_INFO = der.OID_TEMPLATE_INFO    # v2: SEQUENCE {OID, major, minor}
_V2_BASE = "1.3.6.1.4.1.311.21.8.16187918.14945684.15749023.11519519.4925321.197"

# Legacy CryptoAPI CSPs, as version 1 templates list them in pKIDefaultCSPs (MS-CRTD 2.8; MS-WCCE
# 3.1.2.4.2.2.1.6: the client makes a v1 template's key with the first usable CSP of that list).
LEGACY_CSPS = ["Microsoft Enhanced Cryptographic Provider v1.0", "Microsoft Base Cryptographic Provider v1.0"]

# What the lab CA can issue: v1 templates carry their name, v2 templates their OID. ``subject``:
# the template's subject type (flags CT_FLAG_MACHINE_TYPE 0x40 set = computer, else user);
# ``exportable``: msPKI-Private-Key-Flag CT_FLAG_EXPORTABLE_KEY (v1 templates leave it to the
# request, as the enrolment wizard's "Make private key exportable" shows); ``days``: the
# validity period (pKIExpirationPeriod); ``providers``: pKIDefaultCSPs by priority.
TEMPLATES = {
    "EnrollmentAgentOffline": {"ekus": [OID_CERT_REQUEST_AGENT], "key_usage": ["digital_signature"], "days": 730,
                               "subject": "user", "exportable": True, "providers": LEGACY_CSPS},
    "CEPEncryption": {"ekus": [OID_CERT_REQUEST_AGENT], "key_usage": ["key_encipherment"], "days": 730,
                      "subject": "computer", "exportable": True, "providers": LEGACY_CSPS},
    "WebServer": {"ekus": [OID_SERVER_AUTH], "key_usage": ["digital_signature", "key_encipherment"], "days": 730,
                  "subject": "computer", "exportable": True, "providers": LEGACY_CSPS},
    "NDESPolicyClientAuth": {"oid": _V2_BASE + ".5834211", "major": 100, "minor": 4,
                             "ekus": [OID_CLIENT_AUTH], "key_usage": ["digital_signature", "key_encipherment"],
                             "days": 365, "subject": "computer", "exportable": False, "providers": []},
    "NDESIntune": {"oid": _V2_BASE + ".9412087", "major": 100, "minor": 2,
                   "ekus": [OID_CLIENT_AUTH], "key_usage": ["digital_signature", "key_encipherment"], "days": 365,
                   "subject": "user", "exportable": False, "providers": []},
}

# Extended right "Certificate-Enrollment" (MS-CRTD 2.5.1): an ACE for it, or for all extended rights.
ENROLL_RIGHT = "0e10c968-78fb-11d2-90d4-00c04f79dc55"
# Well-known and domain-relative SIDs of the template ACLs (MS-DTYP 2.4.2.4).
AUTHENTICATED_USERS = "S-1-5-11"
DOMAIN_ADMINS_RID, DOMAIN_COMPUTERS_RID, ENTERPRISE_ADMINS_RID = 512, 515, 519


def default_template_acl(domain_sid, computer_sid, service_sid):
    """Template ACLs of the lab CA's forest: the defaults, plus what an NDES setup needs.

    Microsoft's procedure wants Read and Enroll on both RA templates for the enrolling user and
    the NDES server; the device template lets the service account enrol; the policy template
    (a v2 client-authentication template) lets domain computers enrol.
    """
    admins = [{"sid": "%s-%d" % (domain_sid, rid), "rights": ["read", "write", "enroll"], "type": "allow"}
              for rid in (DOMAIN_ADMINS_RID, ENTERPRISE_ADMINS_RID)]
    everyone = [{"sid": AUTHENTICATED_USERS, "rights": ["read"], "type": "allow"}]
    ndes = [{"sid": computer_sid, "rights": ["read", "enroll"], "type": "allow"}]
    computers = [{"sid": "%s-%d" % (domain_sid, DOMAIN_COMPUTERS_RID), "rights": ["read", "enroll"], "type": "allow"}]
    return {
        "EnrollmentAgentOffline": everyone + admins + ndes,
        "CEPEncryption": everyone + admins + ndes,
        "WebServer": everyone + admins + ndes,
        "NDESPolicyClientAuth": everyone + admins + computers,
        "NDESIntune": everyone + admins + [{"sid": service_sid, "rights": ["read", "enroll"], "type": "allow"}],
    }


_KEY_USAGE_ARGS = ("digital_signature", "content_commitment", "key_encipherment", "data_encipherment",
                   "key_agreement", "key_cert_sign", "crl_sign", "encipher_only", "decipher_only")

_CA_CACHE = {}
_KEY_POOL = {}


class PkiError(Exception):
    """A certificate operation the lab CA refuses (unknown template, wrong CA)."""


def require():
    if CRYPTOGRAPHY_IMPORT_ERROR is not None:
        raise RuntimeError("the lab NDES needs the Python 'cryptography' package on the lab host "
                           "(pip install cryptography): %s" % CRYPTOGRAPHY_IMPORT_ERROR)


def new_key(slot=None):
    """A 2048-bit RSA key. With ``slot``, reuse one per process (lab creation speed only)."""
    require()
    if slot is None:
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    if slot not in _KEY_POOL:
        _KEY_POOL[slot] = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return _KEY_POOL[slot]


def key_pem(key):
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def cert_pem(cert):
    return cert.public_bytes(serialization.Encoding.PEM)


def load_cert(data):
    require()
    return x509.load_pem_x509_certificate(data)


def load_der_cert(data):
    require()
    return x509.load_der_x509_certificate(data)


def not_after(cert):
    value = getattr(cert, "not_valid_after_utc", None)
    return value if value is not None else cert.not_valid_after.replace(tzinfo=datetime.timezone.utc)


def not_before(cert):
    value = getattr(cert, "not_valid_before_utc", None)
    return value if value is not None else cert.not_valid_before.replace(tzinfo=datetime.timezone.utc)


def name(cn, org="Contoso", country="US", dc=None):
    require()
    attrs = [x509.NameAttribute(NameOID.DOMAIN_COMPONENT, part) for part in (dc or [])]
    if not dc:
        attrs += [x509.NameAttribute(NameOID.COUNTRY_NAME, country), x509.NameAttribute(NameOID.ORGANIZATION_NAME, org)]
    attrs.append(x509.NameAttribute(NameOID.COMMON_NAME, cn))
    return x509.Name(attrs)


def parse_name(text):
    """``CN=host, O=Contoso, C=US`` (RFC 4514 / Windows order, most specific first) -> x509.Name."""
    require()
    oids = {"CN": NameOID.COMMON_NAME, "O": NameOID.ORGANIZATION_NAME, "OU": NameOID.ORGANIZATIONAL_UNIT_NAME,
            "C": NameOID.COUNTRY_NAME, "L": NameOID.LOCALITY_NAME, "S": NameOID.STATE_OR_PROVINCE_NAME,
            "ST": NameOID.STATE_OR_PROVINCE_NAME, "DC": NameOID.DOMAIN_COMPONENT, "E": NameOID.EMAIL_ADDRESS}
    parts, current, escaped = [], "", False
    for char in text:
        if escaped:
            current, escaped = current + char, False
        elif char == "\\":
            escaped = True
        elif char == ",":
            parts.append(current)
            current = ""
        else:
            current += char
    parts.append(current)
    attrs = []
    for part in parts:
        if not part.strip():
            continue
        key, sep, value = part.partition("=")
        if not sep or key.strip().upper() not in oids:
            raise ValueError("cannot read subject %r: use CN=..., O=..., C=..." % text)
        attrs.append(x509.NameAttribute(oids[key.strip().upper()], value.strip()))
    if not attrs:
        raise ValueError("empty subject %r" % text)
    return x509.Name(list(reversed(attrs)))


# ---------------------------------------------------------------- the CA
def ca_paths(root):
    base = layout.path(root, layout.CA_DIR)
    return os.path.join(base, "ca.pem"), os.path.join(base, "ca.key"), os.path.join(base, "ca.json")


def create_ca(root, common_name, domain, ca_host, when):
    """Create the enterprise root CA of the lab. Returns its certificate."""
    key = new_key("ca")
    subject = name(common_name, dc=list(reversed(domain.split("."))))
    ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(when - datetime.timedelta(days=400))
            .not_valid_after(when + datetime.timedelta(days=3250))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(_key_usage(["digital_signature", "key_cert_sign", "crl_sign"]), critical=True)
            .add_extension(ski, critical=False)
            .sign(key, hashes.SHA256()))
    pem_path, key_path, meta_path = ca_paths(root)
    store.write_bytes(pem_path, cert_pem(cert))
    store.write_bytes(key_path, key_pem(key), mode=0o600)
    slug = common_name.replace(" ", "-")
    store.write_json(meta_path, {
        "common_name": common_name,
        "config": "%s\\%s" % (ca_host, common_name),
        "crl_url": "http://%s/CertEnroll/%s.crl" % (ca_host, slug),
        "aia_url": "http://%s/CertEnroll/%s.crt" % (ca_host, slug),
        "templates": sorted(TEMPLATES),
        "revoked": [],
    })
    return cert


def ca_matches(meta, ca):
    """Whether a CA config string (``host\\CA name``) or bare CA name names the lab CA."""
    return (ca or "").lower() in (meta["config"].lower(), meta["common_name"].lower())


def ca_meta(root):
    """ca.json of the lab CA (config string, CRL/AIA URLs, revoked serials) without loading the key."""
    return store.read_json(ca_paths(root)[2])


def save_template_acl(root, acls):
    """Write the templates' ACLs ({template: [{sid, rights: [read|write|enroll|autoenroll], type}]}) to ca.json."""
    meta_path = ca_paths(root)[2]
    meta = store.read_json(meta_path)
    meta["template_acl"] = acls
    store.write_json(meta_path, meta)


def set_template_rights(root, template, sid, rights, kind="allow"):
    """Replace one SID's ACE on a template (``rights=[]`` removes it): for tests and demos."""
    acls = ca_meta(root).get("template_acl") or {}
    aces = [a for a in acls.get(template, []) if not (a["sid"] == sid and a.get("type", "allow") == kind)]
    if rights:
        aces.append({"sid": sid, "rights": list(rights), "type": kind})
    acls[template] = aces
    save_template_acl(root, acls)


def template_access(aces, sids):
    """{read, enroll} for a token holding ``sids``: an allow ACE grants, a deny ACE for the same right wins."""
    sids = set(s.upper() for s in sids)
    out = {}
    for right in ("read", "enroll"):
        mine = [a for a in aces or [] if a["sid"].upper() in sids and right in a.get("rights", [])]
        allowed = any(a.get("type", "allow") == "allow" for a in mine)
        denied = any(a.get("type") == "deny" for a in mine)
        out[right] = allowed and not denied
    return out


def template_record(root, name, identities, meta=None):
    """What the ``template_access`` read says of one template (``exists: false`` when the forest has none)."""
    spec = TEMPLATES.get(name)
    if spec is None:
        return {"exists": False}
    meta = meta or ca_meta(root)
    aces = (meta.get("template_acl") or {}).get(name, [])
    return {
        "exists": True, "name": name, "oid": spec.get("oid"), "schema_version": 2 if "oid" in spec else 1,
        "subject_type": spec["subject"], "exportable_key": bool(spec["exportable"]),
        "providers": list(spec["providers"]), "validity_days": spec["days"], "ekus": list(spec["ekus"]),
        "key_usage": list(spec["key_usage"]),
        "access": dict((context, template_access(aces, ident["sids"])) for context, ident in identities.items()),
    }


def load_ca(root):
    """(cert, key, meta) of the lab CA; the parsed key is cached per file (mtime)."""
    require()
    pem_path, key_path, meta_path = ca_paths(root)
    stamp = (os.stat(key_path).st_mtime_ns, os.stat(pem_path).st_mtime_ns)
    cached = _CA_CACHE.get(key_path)
    if cached is None or cached[0] != stamp:
        key = serialization.load_pem_private_key(store.read_bytes(key_path), password=None)
        cached = (stamp, x509.load_pem_x509_certificate(store.read_bytes(pem_path)), key)
        _CA_CACHE[key_path] = cached
    return cached[1], cached[2], store.read_json(meta_path)


def _key_usage(names):
    flags = dict((n, n in names) for n in _KEY_USAGE_ARGS)
    return x509.KeyUsage(**flags)


def template_extension(template_name):
    """The template extension exactly as an enterprise CA writes it."""
    spec = TEMPLATES[template_name]
    if "oid" in spec:
        return x509.UnrecognizedExtension(x509.ObjectIdentifier(OID_TEMPLATE_INFO),
                                          der.template_info(spec["oid"], spec["major"], spec.get("minor")))
    return x509.UnrecognizedExtension(x509.ObjectIdentifier(OID_TEMPLATE_NAME), der.bmp_string(template_name))


def issue(root, subject, template, san_dns=(), key=None, valid_from=None, valid_to=None, ekus=None,
          is_ca=False, now=None):
    """Issue a certificate from the lab CA. Returns (certificate, private key)."""
    if template is not None and template not in TEMPLATES:
        raise PkiError("the lab CA does not offer template %r; it offers: %s" % (template, ", ".join(sorted(TEMPLATES))))
    ca_cert, ca_key, meta = load_ca(root)
    now = now or store.utcnow()
    spec = TEMPLATES.get(template, {"ekus": [], "key_usage": ["key_cert_sign", "crl_sign"], "days": 1825})
    key = key or new_key()
    valid_from = valid_from or (now - datetime.timedelta(minutes=10))
    valid_to = valid_to or (valid_from + datetime.timedelta(days=spec["days"]))
    builder = (x509.CertificateBuilder().subject_name(subject).issuer_name(ca_cert.subject)
               .public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(valid_from).not_valid_after(valid_to)
               .add_extension(x509.BasicConstraints(ca=is_ca, path_length=0 if is_ca else None), critical=True)
               .add_extension(_key_usage(spec["key_usage"]), critical=True)
               .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
               .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
               .add_extension(x509.CRLDistributionPoints([x509.DistributionPoint(
                   full_name=[x509.UniformResourceIdentifier(meta["crl_url"])], relative_name=None,
                   reasons=None, crl_issuer=None)]), critical=False)
               .add_extension(x509.AuthorityInformationAccess([x509.AccessDescription(
                   x509.oid.AuthorityInformationAccessOID.CA_ISSUERS,
                   x509.UniformResourceIdentifier(meta["aia_url"]))]), critical=False))
    eku_oids = spec["ekus"] if ekus is None else ekus
    if eku_oids:
        builder = builder.add_extension(x509.ExtendedKeyUsage([x509.ObjectIdentifier(o) for o in eku_oids]),
                                        critical=False)
    if san_dns:
        builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName(d) for d in san_dns]),
                                        critical=False)
    if template is not None:
        builder = builder.add_extension(template_extension(template), critical=False)
    return builder.sign(ca_key, hashes.SHA256()), key
