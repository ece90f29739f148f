# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Chain building as X509Chain does it, reporting X509ChainStatusFlags names (never text)."""
from __future__ import annotations

from ansible_collections.ndes.scep.plugins.module_utils._lab import certinfo, certs, certstore, layout, store

FLAG_ORDER = ("NotTimeValid", "Revoked", "NotSignatureValid", "NotValidForUsage", "UntrustedRoot",
              "RevocationStatusUnknown", "PartialChain", "OfflineRevocation")
ISSUER_STORES = ("CA", "Root", "My")


def _issuer(root, cert):
    want = cert.issuer.public_bytes()
    for store_name in ISSUER_STORES:
        for entry in certstore.entries(root, store_name, include_archived=False):
            candidate = entry["cert"]
            if candidate.subject.public_bytes() != want:
                continue
            verify = getattr(cert, "verify_directly_issued_by", None)  # cryptography >= 40
            try:
                if verify is not None:
                    verify(candidate)
            except Exception:  # wrong key / not a CA: keep looking
                continue
            return entry
    return None


def build(root, thumbprint, store_name, online=True, now=None):
    """The ``cert_chain`` read; raises KeyError when the certificate is not in the store."""
    entry = certstore.get(root, store_name, thumbprint)
    if entry is None:
        raise KeyError("certificate %s not in LocalMachine\\%s" % (thumbprint, store_name))
    now = now or store.utcnow()
    unreachable = set(store.load(root, layout.NETWORK, {}).get("unreachable_urls", []))
    revoked = set(s.upper() for s in certs.ca_meta(root).get("revoked", []))
    chain = [entry]
    while len(chain) < 8 and not certinfo.is_self_signed(chain[-1]["cert"]):
        issuer = _issuer(root, chain[-1]["cert"])
        if issuer is None or any(issuer["thumbprint"] == c["thumbprint"] for c in chain):
            break
        chain.append(issuer)
    elements, urls, overall = [], [], set()
    top = chain[-1]["cert"]
    for index, item in enumerate(chain):
        cert, flags = item["cert"], set()
        if not certs.not_before(cert) <= now <= certs.not_after(cert):
            flags.add("NotTimeValid")
        for url in certinfo.urls(cert):
            if url not in urls:
                urls.append(url)
        if online and not certinfo.is_self_signed(cert):
            crls = certinfo.crl_urls(cert)
            if crls and all(u in unreachable for u in crls):
                flags.update(("RevocationStatusUnknown", "OfflineRevocation"))
            elif ("%X" % cert.serial_number) in revoked:
                flags.add("Revoked")
        if index == len(chain) - 1:
            if not certinfo.is_self_signed(top):
                flags.add("PartialChain")
            elif certstore.get(root, "Root", item["thumbprint"]) is None:
                flags.add("UntrustedRoot")
        overall.update(flags)
        elements.append({"thumbprint": item["thumbprint"], "subject": cert.subject.rfc4514_string(),
                         "status": [f for f in FLAG_ORDER if f in flags]})
    return {"status": [f for f in FLAG_ORDER if f in overall], "elements": elements, "urls": urls}
