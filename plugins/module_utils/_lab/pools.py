# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Application pools: configuration from applicationHost.config, runtime state from state/app_pools.json."""
from __future__ import annotations

from ansible_collections.ndes.scep.plugins.module_utils._lab import iis, iisxml, layout, store


def _pools_element(doc):
    return iisxml.find_path(doc.root, ["system.applicationHost", "applicationPools"])


def _bool(text, default):
    return default if text is None else text.strip().lower() == "true"


def configured(root):
    """{name: pool config} with applicationPoolDefaults and schema defaults applied."""
    pools_el = _pools_element(iis.apphost(root))
    defaults = iisxml.child(pools_el, "applicationPoolDefaults")
    d_model = iisxml.child(defaults, "processModel") if defaults is not None else None
    d_get = defaults.get if defaults is not None else (lambda k, v=None: v)
    out = {}
    for add in iisxml.elements(pools_el, "add"):
        model = iisxml.child(add, "processModel")
        failure = iisxml.child(add, "failure")
        identity = (model.get("identityType") if model is not None else None) or \
            (d_model.get("identityType") if d_model is not None else None) or "ApplicationPoolIdentity"
        out[add.get("name")] = {
            "name": add.get("name"),
            "auto_start": _bool(add.get("autoStart"), _bool(d_get("autoStart"), True)),
            "start_mode": add.get("startMode") or d_get("startMode") or "OnDemand",
            "identity_type": identity,
            "user_name": (model.get("userName") if model is not None else None) if identity == "SpecificUser" else None,
            "rapid_fail_protection": _bool(failure.get("rapidFailProtection") if failure is not None else None, True),
        }
    return out


def find(root, name):
    for pool_name in configured(root):
        if pool_name.lower() == name.lower():
            return pool_name
    return None


def runtime(root):
    return store.load(root, layout.APP_POOLS, {})


def save_runtime(root, data):
    store.save(root, layout.APP_POOLS, data)


def read(root, names=None):
    """The ``app_pools`` read."""
    state = runtime(root)
    out = []
    for name, cfg in configured(root).items():
        if names and name.lower() not in set(n.lower() for n in names):
            continue
        rec = dict(cfg)
        rec["state"] = state.get(name, {}).get("state", "Started" if cfg["auto_start"] else "Stopped")
        out.append(rec)
    return out


def set_state(root, name, state, when, recycled=False):
    data = runtime(root)
    entry = data.setdefault(name, {})
    entry["state"] = state
    if state == "Started":
        entry["worker_started"] = store.iso(when)
    if recycled:  # how many recycles this pool saw (tests count them)
        entry["recycles"] = int(entry.get("recycles") or 0) + 1
    save_runtime(root, data)


def set_auto_start(root, name, value):
    """Write autoStart on the pool's <add> in applicationHost.config; returns the lab file."""
    doc = iis.apphost(root, cached=False)
    for add in iisxml.elements(_pools_element(doc), "add"):
        if add.get("name", "").lower() == name.lower():
            add.set("autoStart", "true" if value else "false")
            doc.save()
            return doc.filename
    raise KeyError(name)
