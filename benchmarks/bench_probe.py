# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Latency of one full SCEP probe (``_ndes.probe.probe(url)``, what ndes.scep.probe runs) against a lab face.

Usage: ``python benchmarks/bench_probe.py [--out FILE]`` (``BENCH_PROBE_REPEAT``, default 20; 5 with
``BENCH_QUICK=1``).

For a healthy lab (403.0 on the bare URL, GetCACaps, three GetCACert, the 40 000-byte iOS GET) and a lab
with section A minus url_not_403 (the 503 path), the face runs on 127.0.0.1 as ``ndes.scep.lab`` starts it;
the probe runs in this process, one untimed warm-up call first (imports), then ``repeat`` timed calls.
The HTTP requests one probe makes are counted from the lines it adds to the lab's W3C and HTTPERR logs;
the CPU of the probe (this process) and of the face (from /proc) per probe are reported next to the latency,
and ``other_cores`` says how busy the rest of the machine was.

Alongside, on the faulty lab: the controller-side work of one ``ndes.scep.diagnose`` host, stage by stage,
in process (CPU seconds, mean over ``repeat`` after one uncounted round): the request, the lab agent's answer (target side, for
scale), the JSON round trip a module result takes, response validation, facts, log summary, probe, rules.
It is what the collection itself adds per host; the rest of a fleet run's controller CPU is Ansible's.
"""
from __future__ import annotations

import argparse
import glob
import json
import os
import shutil
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _common as c  # noqa: E402  pylint: disable=wrong-import-position

LABS = [
    ("healthy", []),
    ("faulty_a1", ["impersonate_right", "app_pool_stopped", "root_intermediates", "crl_unreachable",
                   "crs_windows_auth", "policy_cert_expired", "proxy_connector_down", "request_limits",
                   "httpsys_limits", "service_account", "ra_cert_expired"]),
]


def log_lines(root):
    total = 0
    for pattern in ("fs/C/inetpub/logs/LogFiles/*/*.log", "fs/C/Windows/System32/LogFiles/HTTPERR/*.log"):
        for path in glob.glob(os.path.join(root, pattern)):
            with open(path, "rb") as handle:
                total += sum(1 for line in handle if not line.startswith(b"#"))
    return total


def proc_cpu(pid):
    """user+sys seconds of a running process (the lab face) from /proc."""
    with open("/proc/%d/stat" % pid, "rb") as handle:
        rest = handle.read().rsplit(b")", 1)[1].split()
    return (int(rest[11]) + int(rest[12])) / float(c.TICK)


def bench_lab(base, name, fault_list, repeat):
    c.use_collection()
    from ansible_collections.ndes.scep.plugins.module_utils._lab import faults, server
    from ansible_collections.ndes.scep.plugins.module_utils._ndes import probe
    root = os.path.join(base, name)
    if os.path.isdir(root):
        shutil.rmtree(root)
    faults.create(root, fault_list)
    face = server.start(root)
    try:
        start = time.perf_counter()
        doc = probe.probe(face["scep_url"])
        cold = time.perf_counter() - start
        c.wait_quiet()
        before = log_lines(root)
        times = []
        face_cpu = proc_cpu(face["pid"])
        load = c.OtherLoad()
        own_cpu = c.self_cpu()
        for dummy in range(repeat):
            start = time.perf_counter()
            doc = probe.probe(face["scep_url"])
            times.append(time.perf_counter() - start)
        face_cpu = proc_cpu(face["pid"]) - face_cpu
        probe_cpu = c.self_cpu() - own_cpu
        other = load.done(face_cpu)
        requests = (log_lines(root) - before) / float(repeat)
    finally:
        server.stop(root)
    return {
        "lab": name, "faults": fault_list, "url": face["scep_url"], "repeats": repeat,
        "seconds": c.stats(times), "cold_first_call_s": cold,
        "http_requests_per_probe": requests, "signals": doc.get("signals"),
        "bare_url_status": doc["checks"]["bare_url"].get("status"),
        "probe_cpu_s": probe_cpu / repeat, "face_cpu_s": face_cpu / repeat, "other_cores": other["other_cores"],
    }


def diagnose_work(base, fault_list, repeat):
    """CPU seconds per stage of what the diagnose action plugin does for one host (see the module docstring)."""
    c.use_collection()
    from ansible_collections.ndes.scep.plugins.module_utils._agent.validate import make_request, validate_response
    from ansible_collections.ndes.scep.plugins.module_utils._lab import agent, faults, server
    from ansible_collections.ndes.scep.plugins.module_utils._ndes import diagnose, facts, gather, log_window, probe
    from ansible_collections.ndes.scep.plugins.plugin_utils._settings import SETTINGS_SPEC
    root = os.path.join(base, "diagnose-work")
    if os.path.isdir(root):
        shutil.rmtree(root)
    faults.create(root, fault_list)
    face = server.start(root)
    settings = dict((k, v.get("default")) for k, v in SETTINGS_SPEC.items())
    spent, order = {}, []

    def timed(stage, fn):
        start = time.process_time()
        out = fn()
        spent[stage] = spent.get(stage, 0.0) + time.process_time() - start
        if stage not in order:
            order.append(stage)
        return out
    try:
        for index in range(repeat + 1):                    # the first round (imports, caches) is not counted
            if index == 1:
                spent.clear()
            ops = gather.info_ops(settings)
            since, until = log_window.window(hours=24)
            ops = log_window.add_log_ops(ops, settings["site"], since)
            request = timed("request", lambda: make_request(ops, False))
            response = timed("lab agent answer (target side)", lambda: agent.handle(root, json.loads(json.dumps(request))))
            response = timed("JSON round trip of the module result", lambda: json.loads(json.dumps(response)))
            timed("response validation", lambda: validate_response(response, request))
            results = dict((r["id"], r) for r in response["results"])
            ndes = timed("facts", lambda: facts.build_facts(results, settings))
            logs = timed("log summary", lambda: log_window.summarize_results(results, settings["site"], since, until))
            doc = timed("probe (controller side)", lambda: probe.probe(face["scep_url"]))
            timed("rules", lambda: diagnose.diagnose(ndes, probe=doc, logs=logs["summary"], fail_on="never"))
    finally:
        server.stop(root)
    stages = [[k, spent[k] / repeat] for k in order]
    controller = sum(v for k, v in stages if "target side" not in k)
    return {"repeats": repeat, "faults": fault_list, "stages_cpu_s": stages, "controller_cpu_s": controller,
            "response_bytes": len(json.dumps(response))}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=os.path.join(c.WORK, "probe.json"))
    args = parser.parse_args(argv)
    repeat = int(os.environ.get("BENCH_PROBE_REPEAT") or (5 if c.env_flag("BENCH_QUICK") else 20))
    base = os.path.join(c.WORK, "probe")
    rows = [bench_lab(base, name, fault_list, repeat) for name, fault_list in LABS]
    work = diagnose_work(base, LABS[-1][1], repeat)
    for row in rows:
        print("probe %-10s median %.1f ms over %d" % (row["lab"], row["seconds"]["median"] * 1000, repeat),
              file=sys.stderr, flush=True)
    c.write_json(args.out, {"labs": rows, "diagnose_work": work})
    return 0


if __name__ == "__main__":
    sys.exit(main())
