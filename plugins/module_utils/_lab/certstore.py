# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""LocalMachine certificate stores of the lab: state/certs/<Store>/<THUMBPRINT>.pem + .key (0600) + .json."""
from __future__ import annotations

import os
import re

from ansible_collections.ndes.scep.plugins.module_utils._lab import certinfo, certs, layout, store

KNOWN_STORES = ("My", "Root", "CA", "TrustedPeople", "TrustedPublisher", "Disallowed", "REQUEST")
KSP = "Microsoft Software Key Storage Provider"
CSP = "Microsoft Enhanced Cryptographic Provider v1.0"

_PARSED = {}


def normalize_thumbprint(text):
    """Keep the hex digits only (drops spaces and the invisible U+200E MMC copies), upper case."""
    return re.sub(r"[^0-9A-Fa-f]", "", text or "").upper()


def store_name(name):
    for known in KNOWN_STORES:
        if known.lower() == name.lower():
            return known
    return name


def store_dir(root, name):
    return os.path.join(layout.path(root, layout.CERTS), store_name(name))


def _paths(root, store, tp):
    base = os.path.join(store_dir(root, store), normalize_thumbprint(tp))
    return base + ".pem", base + ".key", base + ".json"


def _parse(pem_path):
    stamp = os.stat(pem_path).st_mtime_ns
    cached = _PARSED.get(pem_path)
    if cached is None or cached[0] != stamp:
        cached = (stamp, certs.load_cert(store.read_bytes(pem_path)))
        _PARSED[pem_path] = cached
    return cached[1]


def add(root, store_, cert, key=None, meta=None):
    """Put a certificate (and its private key) in a store; returns its thumbprint."""
    tp = certinfo.thumbprint(cert)
    pem, key_path, meta_path = _paths(root, store_, tp)
    store.write_bytes(pem, certs.cert_pem(cert))
    if key is not None:
        store.write_bytes(key_path, certs.key_pem(key), mode=0o600)
    base = {"archived": False, "gpo_placed": False, "key_acl": [], "key_provider": KSP if key is not None else None}
    base.update(meta or {})
    store.write_json(meta_path, base)
    return tp


def get(root, store_, tp):
    """{thumbprint, store, cert, has_key, meta} or None."""
    pem, key_path, meta_path = _paths(root, store_, tp)
    if not os.path.exists(pem):
        return None
    return {"thumbprint": normalize_thumbprint(tp), "store": store_name(store_), "cert": _parse(pem),
            "has_key": os.path.exists(key_path), "meta": store.read_json(meta_path, {})}


def entries(root, store_, include_archived=True):
    directory = store_dir(root, store_)
    if not os.path.isdir(directory):
        return []
    out = []
    for fname in sorted(os.listdir(directory)):
        if fname.endswith(".pem"):
            entry = get(root, store_, fname[:-4])
            if include_archived or not entry["meta"].get("archived"):
                out.append(entry)
    return out


def find_anywhere(root, tp, stores=("My", "CA", "Root")):
    for name in stores:
        entry = get(root, name, tp)
        if entry is not None:
            return entry
    return None


def read(root, store_, include_archived=False, include_acl=True):
    """The ``cert_store`` read."""
    return [certinfo.record(e["cert"], e["has_key"], e["meta"], e["store"], include_acl)
            for e in entries(root, store_, include_archived)]


def set_meta(root, store_, tp, **changes):
    meta_path = _paths(root, store_, tp)[2]
    meta = store.read_json(meta_path, {})
    meta.update(changes)
    store.write_json(meta_path, meta)
    return meta


def move(root, tp, from_store, to_store):
    """Move the files of a certificate between stores (keeping key and metadata)."""
    src = _paths(root, from_store, tp)
    dst = _paths(root, to_store, tp)
    os.makedirs(os.path.dirname(dst[0]), exist_ok=True)
    for a, b in zip(src, dst):
        if os.path.exists(a):
            os.replace(a, b)


def import_cert(root, store_, der_bytes, meta=None):
    """Put back a certificate from a .cer export (public part only)."""
    return add(root, store_, certs.load_der_cert(der_bytes), None, meta)


def remove(root, store_, tp, key_only=False):
    pem, key_path, meta_path = _paths(root, store_, tp)
    for path in ((key_path,) if key_only else (pem, key_path, meta_path)):
        if os.path.exists(path):
            os.unlink(path)
    if key_only and os.path.exists(meta_path):
        set_meta(root, store_, tp, key_provider=None)
