# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Decisions of ndes.scep.probe around ``probe.probe()``: which URL, how strong each signal is, when to fail.

``lab_url(lab_root, app_proxy=False) -> str``
    the SCEP URL of a lab's HTTP face from ``<lab>/run/server.json``
    (``scep_url``, else ``base_url`` + ``/certsrv/mscep/mscep.dll``; with
    ``app_proxy`` its App Proxy front, ``app_proxy_url``). ValueError when the
    lab has no server record.
``signal_levels(doc) -> {id: observed | candidate | warning}``: the strongest
    confidence of each signal's evidence.
``reached(doc) -> bool``: the bare URL got an HTTP answer.
``matched(doc, fail_on) -> [id]``: signals named by ``fail_on`` (ids, or
    ``any``) whose evidence is stronger than a warning.
"""
from __future__ import annotations

import json
import os

from ansible_collections.ndes.scep.plugins.module_utils._ndes.probe import FAULT_ORDER

SERVER_JSON = os.path.join("run", "server.json")
DEFAULT_SCEP_PATH = "/certsrv/mscep/mscep.dll"
ANY = "any"
# The ids the probe can signal (probe.FAULT_ORDER), spelled out: the module documentation lists them.
FAIL_ON_CHOICES = (ANY, "IMPERSONATE_RIGHT", "URL_NOT_403", "APP_POOL_STOPPED", "ROOT_INTERMEDIATES",
                   "CRL_UNREACHABLE", "CRS_WINDOWS_AUTH", "POLICY_CERT_EXPIRED", "PROXY_CONNECTOR_DOWN",
                   "REQUEST_LIMITS", "HTTPSYS_LIMITS", "APP_PROXY_URL", "SERVICE_ACCOUNT", "NETWORK_BLOCKED",
                   "RA_CERT_EXPIRED", "POLICY_CERT_CN")
_RANK = {"warning": 0, "candidate": 1, "observed": 2}


def lab_url(lab_root, app_proxy=False):
    """The URL a lab's HTTP face answers on (see the module docstring)."""
    path = os.path.join(os.path.expanduser(lab_root), SERVER_JSON)
    try:
        with open(path, encoding="utf-8") as handle:
            record = json.load(handle)
    except (OSError, ValueError) as exc:
        raise ValueError("no lab server record at %s (%s): start the lab's HTTP face (ndes.scep.lab with "
                         "server=started) or give url" % (path, exc.__class__.__name__))
    if not isinstance(record, dict):
        raise ValueError("%s is not a lab server record; give url" % path)
    if app_proxy:
        url = record.get("app_proxy_url")
        if not url:
            raise ValueError("the lab server at %s has no App Proxy front (app_proxy_url); give url or set "
                             "expect_app_proxy=false" % path)
        return url
    url = record.get("scep_url")
    if not url and record.get("base_url"):
        url = record["base_url"].rstrip("/") + DEFAULT_SCEP_PATH
    if not url:
        raise ValueError("%s names no base_url; give url" % path)
    return url


def signal_levels(doc):
    levels = {}
    for item in doc.get("evidence") or []:
        fid, confidence = item.get("id"), item.get("confidence")
        if fid is None or confidence not in _RANK:
            continue
        if fid not in levels or _RANK[confidence] > _RANK[levels[fid]]:
            levels[fid] = confidence
    return dict((fid, levels[fid]) for fid in FAULT_ORDER if fid in levels)


def reached(doc):
    return ((doc.get("checks") or {}).get("bare_url") or {}).get("status") is not None


def matched(doc, fail_on):
    """Signals that make the task fail: named (or ``any``), with observed or candidate evidence."""
    wanted = set(fail_on or ())
    if not wanted:
        return []
    levels = signal_levels(doc)
    return [fid for fid, level in levels.items()
            if level != "warning" and (ANY in wanted or fid in wanted)]
