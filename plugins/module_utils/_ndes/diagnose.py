# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Facts + optional probe + optional log summary -> findings and a summary (counts, worst, fail).

``diagnose(facts, probe=None, logs=None, devices=None, rule_files=(), fail_on="critical")``

What is consumed (everything else in those documents is ignored, and all of
it stays reachable from rules as ``probe.*`` / ``logs.*``):

* ``probe``: the result of ``probe.probe()`` (``_ndes/probe.py``)::

      {url, host, app_proxy, checks: {bare_url: {status, substatus, layer, page, ...},
       getcacaps, getcacert: {windows, android, ios}, long_get: {status, layer, passed}},
       evidence: [{id, stage, confidence: observed|candidate|warning, detail}],
       failures: [{stage, class, detail}], signals: [id]}

  The rules see it with three lists and one value added (the "probe view"):
  ``observed`` / ``candidates`` / ``warned``: FAULTS ids by evidence confidence
  (``observed`` = the answer shows the fault; ``candidate`` = one possible cause;
  ``warning``), and ``network_error``: the failure class of the first stage that
  got no HTTP answer (dns, connect_refused, connect_timeout, ...) or null.

* ``logs``: the result of ``log_summary.summarize_logs()``::

      {window: {since, until}, w3c: {mscep: {requests, ...}, ...} | null,
       httperr: {...} | null, signals: [{signal, fault, count, ...}], faults: [id],
       no_mscep_requests: bool | null}

  The "log view" adds ``fault_counts`` ({FAULTS id: hits}, the no-request
  signal left out), ``mscep_requests`` (W3C mscep.dll requests in the window,
  null without a W3C log) and ``device_attempts``.

* ``devices``: device-log analyses (``_formats.device_logs.analyze_device_log``),
  ``[{stage_reached, ndes_url, ...}]``; ``device_attempts`` counts those that
  sent a request to NDES (stage past ``request_queued``). Given without
  ``logs``, a log view still carries ``device_attempts``.

Result: ``{findings: [...], summary: {counts, unknown, total, worst, fail,
fail_on, ids}, rule_errors: [...]}``.
"""
from __future__ import annotations

from ansible_collections.ndes.scep.plugins.module_utils._ndes import rules as rules_mod

NO_REQUEST_SIGNAL = "no_mscep_requests"
NOT_SENT = ("none", "request_queued", None)


def probe_view(probe):
    """The probe result plus ``observed``, ``candidates``, ``warned`` and ``network_error``."""
    if probe is None:
        return None
    if not isinstance(probe, dict):
        raise ValueError("probe: expected the result of ndes.scep.probe (a mapping), got %s" % type(probe).__name__)
    view = dict(probe)
    by_confidence = {"observed": [], "candidate": [], "warning": []}
    for item in probe.get("evidence") or []:
        bucket = by_confidence.get(item.get("confidence"))
        if bucket is not None and item.get("id") not in bucket:
            bucket.append(item.get("id"))
    view["observed"] = by_confidence["observed"]
    view["candidates"] = by_confidence["candidate"]
    view["warned"] = by_confidence["warning"]
    errors = [f.get("class") for f in probe.get("failures") or []
              if f.get("class") not in ("http_status", "content_type", "parse", "skipped")]
    view["network_error"] = errors[0] if errors else None
    return view


def _device_attempts(devices):
    if devices is None:
        return None
    if isinstance(devices, dict):
        devices = [devices]
    return sum(1 for d in devices if (d or {}).get("stage_reached") not in NOT_SENT)


def log_view(logs, devices=None):
    """The log summary plus ``fault_counts``, ``mscep_requests`` and ``device_attempts``."""
    if logs is None and devices is None:
        return None
    if logs is not None and not isinstance(logs, dict):
        raise ValueError("logs: expected the result of log_summary.summarize_logs (a mapping), got %s"
                         % type(logs).__name__)
    view = dict(logs or {})
    counts = {}
    for signal in view.get("signals") or []:
        if signal.get("signal") == NO_REQUEST_SIGNAL or not signal.get("fault"):
            continue
        counts[signal["fault"]] = counts.get(signal["fault"], 0) + int(signal.get("count") or 0)
    view["fault_counts"] = counts
    w3c = view.get("w3c")
    view["mscep_requests"] = ((w3c or {}).get("mscep") or {}).get("requests") if w3c else None
    view["device_attempts"] = _device_attempts(devices)
    return view


def summarize(findings, fail_on="critical", rule_errors=()):
    counts = dict((severity, 0) for severity in rules_mod.SEVERITIES)
    for finding in findings:
        counts[finding["severity"]] += 1
    worst = next((s for s in rules_mod.SEVERITIES if counts[s]), None)
    return {
        "counts": counts,
        "unknown": sum(1 for f in findings if f["status"] == "unknown"),
        "total": len(findings),
        "worst": worst,
        "fail_on": fail_on,
        "fail": rules_mod.should_fail(findings, fail_on),
        "ids": [f["id"] for f in findings],
        "rule_errors": len(rule_errors),
    }


def diagnose(facts, probe=None, logs=None, devices=None, rule_files=(), fail_on="critical", catalogue=None):
    """Findings for one host; see the module docstring. ``catalogue``: pre-loaded rules (else built-in + files)."""
    if not isinstance(facts, dict) or "schema" not in facts:
        raise ValueError("facts: expected the ndes facts of ndes.scep.info (a mapping with 'schema')")
    if fail_on not in rules_mod.FAIL_ON:
        raise ValueError("fail_on %r: expected one of %s" % (fail_on, ", ".join(rules_mod.FAIL_ON)))
    rules = catalogue if catalogue is not None else rules_mod.load_catalogue(rule_files)
    findings, errors = rules_mod.evaluate(rules, facts, probe_view(probe), log_view(logs, devices))
    return {"findings": findings, "summary": summarize(findings, fail_on, errors), "rule_errors": errors}


def report_lines(findings, lang="en"):
    """One line per finding: ``CRITICAL IMPERSONATE_RIGHT: <title> -> <next step>``."""
    lines = []
    for f in findings:
        title = f["title"].get(lang) or f["title"]["en"]
        step = f["next_step"].get(lang) or f["next_step"]["en"]
        lines.append("%s %s: %s -> %s" % (f["severity"].upper(), f["id"], title, step))
    return lines
