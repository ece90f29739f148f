# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""`make bench`: run every benchmark (each in its own process), then write benchmarks/results.md and results.json.

Usage: ``python benchmarks/run.py [--quick] [--only calls,fleet,logs,probe] [--fleet-hosts 10,50,200]
[--fleet-forks 10,50] [--latency 1.0] [--fleet-repeat 3]``. Options set the BENCH_* variables the
benchmarks read (see docs/benchmarks.md); a benchmark left out keeps its last figures from
benchmarks/work/<name>.json, marked with the time they were measured.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _common as c  # noqa: E402  pylint: disable=wrong-import-position
import results  # noqa: E402  pylint: disable=wrong-import-position

BENCHES = (("calls", "bench_calls.py"), ("fleet", "bench_fleet.py"), ("logs", "bench_log_sizes.py"),
           ("probe", "bench_probe.py"))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="short run (same as BENCH_QUICK=1)")
    parser.add_argument("--only", default=os.environ.get("BENCH_ONLY", ""), help="comma-separated: calls,fleet,logs,probe")
    parser.add_argument("--fleet-hosts")
    parser.add_argument("--fleet-forks")
    parser.add_argument("--fleet-repeat")
    parser.add_argument("--latency")
    args = parser.parse_args(argv)
    for option, var in (("fleet_hosts", "BENCH_FLEET_HOSTS"), ("fleet_forks", "BENCH_FLEET_FORKS"),
                        ("fleet_repeat", "BENCH_FLEET_REPEAT"), ("latency", "BENCH_LATENCY")):
        if getattr(args, option):
            os.environ[var] = getattr(args, option)
    if args.quick:
        os.environ["BENCH_QUICK"] = "1"
    only = [x for x in args.only.split(",") if x]
    os.makedirs(c.WORK, exist_ok=True)
    status = 0
    for name, script in BENCHES:
        if only and name not in only:
            continue
        out = os.path.join(c.WORK, name + ".json")
        print("bench: %s ..." % name, flush=True)
        start = time.monotonic()
        if os.path.exists(out + ".new"):
            os.unlink(out + ".new")
        proc = subprocess.run([sys.executable, os.path.join(c.HERE, script), "--out", out + ".new"], check=False)
        if os.path.exists(out + ".new"):      # a failed fleet run keeps the cells it finished (partial: true)
            doc = c.read_json(out + ".new")
            doc.update({"measured_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "duration_s": time.monotonic() - start,
                        "machine": c.machine(), "quick": c.env_flag("BENCH_QUICK"),
                        "env": dict((k, v) for k, v in sorted(os.environ.items()) if k.startswith("BENCH_"))})
            c.write_json(out, doc)
            os.unlink(out + ".new")
        if proc.returncode != 0:
            print("bench: %s FAILED (exit %s); what it finished is kept, else its previous figures" % (name, proc.returncode),
                  flush=True)
            status = 1
        print("bench: %s done in %.0f s" % (name, time.monotonic() - start), flush=True)
    md, js = results.write()
    print("bench: wrote %s and %s" % (md, js))
    return status


if __name__ == "__main__":
    sys.exit(main())
