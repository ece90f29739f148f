# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""User rights (secedit INF round trip, RSOP) and certificates (template OIDs from raw DER, EKUs, thumbprints)."""
from __future__ import annotations

import base64
import codecs
import hashlib
import os

from cryptography import x509

from ansible_collections.ndes.scep.plugins.module_utils._formats import secedit_inf
from ansible_collections.ndes.scep.plugins.module_utils._lab import (
    certinfo, certs, certstore, chain, layout, rights, store)

FIXTURES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "fixtures")
IMP = "SeImpersonatePrivilege"


# ---------------------------------------------------------------- rights
def test_lab_inf_is_a_real_secedit_export(healthy_lab):
    raw = store.read_bytes(layout.path(healthy_lab, layout.RIGHTS_INF))
    assert raw.startswith(codecs.BOM_UTF16_LE)
    text = raw[2:].decode("utf-16-le")
    assert "\r\n" in text and "\n" not in text.replace("\r\n", "")
    assert text.startswith("[Unicode]\r\nUnicode=yes\r\n")
    assert "SeImpersonatePrivilege = *S-1-5-19,*S-1-5-20,*S-1-5-32-544,*S-1-5-32-568,*S-1-5-6\r\n" in text


def test_inf_round_trip_is_byte_exact(healthy_lab):
    path = layout.path(healthy_lab, layout.RIGHTS_INF)
    raw = store.read_bytes(path)
    rights.save_doc(healthy_lab, rights.load_doc(healthy_lab))
    assert store.read_bytes(path) == raw
    with open(os.path.join(FIXTURES, "secedit", "secedit_export.inf"), "rb") as handle:
        sample = handle.read()
    assert secedit_inf.dumps(secedit_inf.loads(sample)) == sample


def test_set_holders_rewrites_one_line_only(healthy_lab):
    path = layout.path(healthy_lab, layout.RIGHTS_INF)
    before = store.read_bytes(path)[2:].decode("utf-16-le").splitlines()
    rights.set_holders(healthy_lab, IMP, ["S-1-5-19", "S-1-5-20", "S-1-5-32-544", "S-1-5-6"])
    after = store.read_bytes(path)[2:].decode("utf-16-le").splitlines()
    changed = [(a, b) for a, b in zip(before, after) if a != b]
    assert len(before) == len(after) and len(changed) == 1
    assert changed[0][1] == "SeImpersonatePrivilege = *S-1-5-19,*S-1-5-20,*S-1-5-32-544,*S-1-5-6"
    assert rights.user_right(healthy_lab, IMP)["holders"] == ["S-1-5-19", "S-1-5-20", "S-1-5-32-544", "S-1-5-6"]


def test_bare_names_resolve_to_sids(healthy_lab):
    holders = rights.holders(healthy_lab, "SeAuditPrivilege")
    assert holders[:2] == ["S-1-5-19", "S-1-5-20"] and holders[2].startswith("S-1-5-82-")


def test_gpo_definition_comes_from_rsop(make_lab):
    root = make_lab([{"id": "impersonate_right", "variant": "gpo"}])
    got = rights.user_right(root, IMP)
    assert got["gpo_defined"] is True and got["gpo_source"] == "NDES Server Baseline"
    assert "S-1-5-32-568" not in got["gpo_holders"] and "S-1-5-32-568" not in got["holders"]


def test_unreadable_rsop_makes_the_gpo_definition_unknown(make_lab):
    root = make_lab([{"id": "impersonate_right", "variant": "gpo"}])
    rights.set_rsop_readable(root, False)
    got = rights.user_right(root, IMP)
    assert got["gpo_defined"] is None and got["gpo_holders"] == [] and got["gpo_source"] is None
    assert "S-1-5-32-568" not in got["holders"]                  # the holders are still read (LSA)
    rights.set_rsop_readable(root, True)
    assert rights.user_right(root, IMP)["gpo_defined"] is True


# ---------------------------------------------------------------- certificate records
def _by_template(root):
    out = {}
    for rec in certstore.read(root, "My", include_acl=True):
        out[rec["template_name"] or rec["template_oid"]] = rec
    return out


def test_ra_certificates_as_ndes_needs_them(healthy_lab):
    recs = _by_template(healthy_lab)
    sign, enc = recs["EnrollmentAgentOffline"], recs["CEPEncryption"]
    for rec in (sign, enc):
        assert rec["ekus"] == [certs.OID_CERT_REQUEST_AGENT]
        assert rec["template_oid"] is None and rec["has_private_key"] is True
        assert any(a["rights"] == ["read"] and a["sid"].endswith("-1105") for a in rec["key_acl"])
        assert rec["issuer"] == "CN=CONTOSO-CA01-CA,DC=contoso,DC=com"
    assert sign["key_usage"] == ["digital_signature"]
    assert enc["key_usage"] == ["key_encipherment"]
    # raw extension bytes are a BMPString
    cert = x509.load_der_x509_certificate(base64.b64decode(sign["der_b64"]))
    raw = cert.extensions.get_extension_for_oid(x509.ObjectIdentifier(certs.OID_TEMPLATE_NAME)).value.value
    assert raw[0] == 0x1E and raw[2:].decode("utf-16-be") == "EnrollmentAgentOffline"


def test_policy_and_ssl_certificates(healthy_lab):
    recs = _by_template(healthy_lab)
    policy = recs[certs.TEMPLATES["NDESPolicyClientAuth"]["oid"]]
    assert policy["ekus"] == [certs.OID_CLIENT_AUTH]
    assert policy["san_dns"] == ["ndes01.contoso.com"] and policy["subject"].startswith("CN=ndes01.contoso.com")
    assert recs["WebServer"]["ekus"] == [certs.OID_SERVER_AUTH]


def test_thumbprint_subject_der_and_dates(healthy_lab):
    for rec in certstore.read(healthy_lab, "My"):
        der_bytes = base64.b64decode(rec["der_b64"])
        assert rec["thumbprint"] == hashlib.sha1(der_bytes).hexdigest().upper()
        cert = x509.load_der_x509_certificate(der_bytes)
        assert base64.b64decode(rec["subject_der_b64"]) == cert.subject.public_bytes()
        assert rec["not_after"].endswith("Z") and rec["serial"] == "%X" % cert.serial_number
        assert os.stat(os.path.join(certstore.store_dir(healthy_lab, "My"), rec["thumbprint"] + ".key")).st_mode & 0o777 == 0o600


def test_root_store_records_gpo_placement(make_lab):
    root = make_lab([{"id": "root_intermediates", "variant": "gpo"}])
    recs = certstore.read(root, "Root")
    inter = [r for r in recs if r["subject_der_b64"] != r["issuer_der_b64"]]
    assert len(inter) == 1 and inter[0]["gpo_placed"] is True
    assert all(r["gpo_placed"] is False for r in recs if r is not inter[0])


def test_issue_from_the_lab_ca_and_subject_parsing(healthy_lab):
    name = certs.parse_name(r"CN=web\, one, O=Contoso, C=US")
    assert name.rfc4514_string() == r"CN=web\, one,O=Contoso,C=US"
    cert, _key = certs.issue(healthy_lab, name, "CEPEncryption", ["a.contoso.com"])
    assert certinfo.template(cert) == (None, "CEPEncryption")
    assert certinfo.key_usage(cert) == ["key_encipherment"] and certinfo.san_dns(cert) == ["a.contoso.com"]
    assert certinfo.urls(cert)[0].endswith(".crl")


def test_chain_flags(make_lab):
    root = make_lab(["crl_unreachable", {"id": "ra_cert_expired", "variant": "expired"}])
    for rec in certstore.read(root, "My"):
        got = chain.build(root, rec["thumbprint"], "My")
        assert "RevocationStatusUnknown" in got["status"] and "OfflineRevocation" in got["status"]
        assert got["elements"][-1]["status"] == []
        assert chain.build(root, rec["thumbprint"], "My", online=False)["status"] in ([], ["NotTimeValid"])
        if rec["template_name"] in ("EnrollmentAgentOffline", "CEPEncryption"):
            assert "NotTimeValid" in got["status"]
