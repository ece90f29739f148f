# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Measure W3C parsing throughput (MB/s) and peak RSS: our reader with the mscep.dll prefilter vs a plain baseline.

Usage: ``python benchmarks/bench_logs.py FILE [--repeat N] [--modes a,b,...]``
(make FILE with ``benchmarks/gen_w3c.py``).

Each measurement runs in its own child process (so peak RSS is that parser's
alone). Modes:

* ``filter``: ``W3CReader(path, prefilter="mscep.dll")`` (case-insensitive,
  binary chunks, only matching lines decoded and split);
* ``filter_cs``: the same, case-sensitive (no lowered copy of each chunk);
* ``full``: ``W3CReader(path)`` without prefilter (every line parsed);
* ``baseline``: a plain parser: text mode, ``split()`` of every line, a dict
  per record, mscep.dll picked afterwards.

Output (stdout, JSON)::

    {"file": str, "size_mb": float, "python": str, "repeat": int,
     "results": {mode: {"seconds": float (best of repeat), "mb_per_s": float,
                        "records": int (mscep.dll records found),
                        "peak_rss_mb": float}},
     "speedup_filter_vs_baseline": float}
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
MODES = ("filter", "filter_cs", "full", "baseline")


def _import_reader():
    coll = os.environ.get("NDES_COLLECTIONS_PATH") or os.path.join(ROOT, ".build", "collections")
    sys.path.insert(0, coll)
    from ansible_collections.ndes.scep.plugins.module_utils._formats.w3c import W3CReader
    return W3CReader


def run_filter(path, ignore_case=True):
    W3CReader = _import_reader()
    n = 0
    for rec in W3CReader(path, prefilter="mscep.dll", ignore_case=ignore_case):
        if "mscep.dll" in (rec.get("cs-uri-stem") or "").lower():
            n += 1
    return n


def run_full(path):
    W3CReader = _import_reader()
    n = 0
    for rec in W3CReader(path):
        if "mscep.dll" in (rec.get("cs-uri-stem") or "").lower():
            n += 1
    return n


def run_baseline(path):
    fields = None
    n = 0
    with open(path, "r", encoding="utf-8", errors="replace") as fh:
        for line in fh:
            if line.startswith("#"):
                if line.startswith("#Fields:"):
                    fields = line[8:].split()
                continue
            parts = line.split()
            if fields is None or len(parts) != len(fields):
                continue
            rec = dict(zip(fields, parts))
            if "mscep.dll" in rec.get("cs-uri-stem", "").lower():
                n += 1
    return n


def child(mode, path):
    t0 = time.perf_counter()
    if mode == "filter":
        n = run_filter(path)
    elif mode == "filter_cs":
        n = run_filter(path, ignore_case=False)
    elif mode == "full":
        n = run_full(path)
    elif mode == "baseline":
        n = run_baseline(path)
    else:
        raise SystemExit("unknown mode %s" % mode)
    seconds = time.perf_counter() - t0
    rss_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    json.dump({"seconds": seconds, "records": n, "peak_rss_mb": round(rss_kb / 1024.0, 1)}, sys.stdout)
    return 0


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("file")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--modes", default=",".join(MODES))
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        return child(args.child, args.file)
    size = os.path.getsize(args.file)
    size_mb = size / float(1 << 20)
    results = {}
    for mode in [m for m in args.modes.split(",") if m]:
        best = None
        for dummy in range(max(args.repeat, 1)):
            out = subprocess.run([sys.executable, os.path.abspath(__file__), args.file, "--child", mode],
                                 check=True, capture_output=True, text=True).stdout
            res = json.loads(out)
            if best is None or res["seconds"] < best["seconds"]:
                best = res
        best["mb_per_s"] = round(size_mb / best["seconds"], 1)
        best["seconds"] = round(best["seconds"], 3)
        results[mode] = best
    report = {"file": args.file, "size_mb": round(size_mb, 1), "python": sys.version.split()[0],
              "repeat": args.repeat, "results": results}
    if "filter" in results and "baseline" in results:
        report["speedup_filter_vs_baseline"] = round(results["baseline"]["seconds"] / results["filter"]["seconds"], 1)
    json.dump(report, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
