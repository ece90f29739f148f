# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""IIS log analysis at two file sizes: gen_w3c.py makes the files, bench_logs.py's child mode measures each run.

Usage: ``python benchmarks/bench_log_sizes.py [--out FILE]``; ``BENCH_LOG_SIZES`` (default ``256M,1G``;
``64M,256M`` with ``BENCH_QUICK=1``), ``BENCH_LOG_REPEAT`` (default 3), ``BENCH_LOG_MODES``
(default ``filter,filter_cs,full,baseline``; see bench_logs.py).

Every run is a fresh process (``bench_logs.py FILE --child MODE``): wall seconds of the parse, mscep.dll
records found, peak RSS of that process (``ru_maxrss``, interpreter and imports included). Figures are
medians over the repeats (bench_logs.py on its own reports the best run). The files are generated once
(same seed, so the same bytes) and reused while their size matches; they are read from the page cache
(the machine has far more memory than the files), so this measures parsing, not the disk. ``other_cores``:
how many cores the rest of the machine kept busy meanwhile (``_common.OtherLoad``).
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _common as c  # noqa: E402  pylint: disable=wrong-import-position

GEN = os.path.join(c.HERE, "gen_w3c.py")
BENCH = os.path.join(c.HERE, "bench_logs.py")
TARGET_MB_S = 200.0


def parse_size(text):
    sys.path.insert(0, c.HERE)
    from gen_w3c import parse_size as gen_parse_size
    return gen_parse_size(text)


def log_file(size_text):
    size = parse_size(size_text)
    path = os.path.join(c.WORK, "logs", "u_ex250611-%s.log" % size_text.upper())
    meta_path = path + ".json"
    meta = c.read_json(meta_path)
    if not (meta and os.path.exists(path) and os.path.getsize(path) == meta.get("bytes") and meta.get("target") == size):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        out = subprocess.run([sys.executable, GEN, "--size", size_text, "--out", path], check=True,
                             capture_output=True, text=True).stdout
        meta = json.loads(out)
        meta["target"] = size
        c.write_json(meta_path, meta)
    return path, meta


def run_mode(path, mode):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    load = c.OtherLoad()
    out = subprocess.run([sys.executable, BENCH, path, "--child", mode], check=True, capture_output=True,
                         text=True).stdout
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    res = json.loads(out)
    res.update(load.done(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime))
    return res


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=os.path.join(c.WORK, "logs.json"))
    args = parser.parse_args(argv)
    quick = c.env_flag("BENCH_QUICK")
    sizes = c.env_list("BENCH_LOG_SIZES", ["64M", "256M"] if quick else ["256M", "1G"], str)
    repeat = int(os.environ.get("BENCH_LOG_REPEAT") or 3)
    modes = c.env_list("BENCH_LOG_MODES", ["filter", "filter_cs", "full", "baseline"], str)
    files = []
    for size_text in sizes:
        path, meta = log_file(size_text)
        size_mb = meta["bytes"] / 1048576.0
        results = {}
        for mode in modes:
            c.wait_quiet()
            runs = [run_mode(path, mode) for dummy in range(repeat)]
            seconds = c.stats([r["seconds"] for r in runs])
            results[mode] = {
                "seconds": seconds,
                "mb_per_s": size_mb / seconds["median"],
                "records": runs[0]["records"],
                "peak_rss_mb": c.stats([r["peak_rss_mb"] for r in runs]),
                "other_cores": c.stats([r["other_cores"] for r in runs])["median"],
            }
            rate, rss = results[mode]["mb_per_s"], results[mode]["peak_rss_mb"]["median"]
            line = "logs %-5s %-9s %.0f MB/s, peak RSS %.1f MB" % (size_text, mode, rate, rss)
            print(line, file=sys.stderr, flush=True)
        files.append({"size": size_text, "bytes": meta["bytes"], "size_mb": size_mb, "lines": meta["lines"],
                      "mscep_lines": meta["mscep_lines"], "header_blocks": meta["header_blocks"],
                      "repeats": repeat, "results": results})
    out = {"files": files, "target_mb_s": TARGET_MB_S}
    if len(files) >= 2 and "filter" in files[0]["results"]:
        small, big = files[0]["results"]["filter"], files[-1]["results"]["filter"]
        growth = big["peak_rss_mb"]["median"] - small["peak_rss_mb"]["median"]
        out["memory_growth_mb"] = growth
        out["size_ratio"] = files[-1]["bytes"] / float(files[0]["bytes"])
        # flat: the larger file costs less than 10 % (or 5 MB) more peak memory although it is size_ratio x larger
        out["memory_flat"] = growth <= max(5.0, 0.1 * small["peak_rss_mb"]["median"])
    c.write_json(args.out, out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
