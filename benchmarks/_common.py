# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Shared helpers of the benchmarks: paths, machine description, medians, and measured ansible-playbook runs.

``measure(cmd, env, cwd)`` runs ``cmd`` in a fresh child of this interpreter
(``python _common.py --measure``) so that the child's ``RUSAGE_CHILDREN``
covers exactly the ansible-playbook process tree: ``cpu_user`` / ``cpu_sys``
are the user and system seconds of every process of that tree that was waited
for (``getrusage(RUSAGE_CHILDREN)`` after minus before), ``maxrss_mb`` the
largest single process of the tree (``ru_maxrss``). While the command runs, a
thread samples ``/proc`` every ``MEM_INTERVAL`` s and keeps the peak of the sum
of RSS (and of PSS, which counts pages shared by forked workers once) over the
tree.
"""
from __future__ import annotations

import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
WORK = os.path.join(HERE, "work")
COLLECTIONS = os.environ.get("NDES_COLLECTIONS_PATH") or os.path.join(ROOT, ".build", "collections")
BIN = os.path.dirname(sys.executable)
MEM_INTERVAL = 0.2
PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def use_collection():
    """Make ``ansible_collections.ndes.scep`` importable (the .build/collections symlink of `make collection`)."""
    if COLLECTIONS not in sys.path:
        sys.path.insert(0, COLLECTIONS)


def env_flag(name, default=False):
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() not in ("0", "false", "no", "off")


def env_list(name, default, cast=int):
    value = os.environ.get(name)
    if not value:
        return list(default)
    return [cast(x) for x in value.replace(" ", "").split(",") if x]


def cpu_model():
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                if line.lower().startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def machine():
    """The machine the figures were measured on."""
    try:
        from ansible.release import __version__ as ansible_core
    except ImportError:  # pragma: no cover - make bench runs in the venv
        ansible_core = "not installed"
    mem_gb = None
    try:
        with open("/proc/meminfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("MemTotal:"):
                    mem_gb = round(int(line.split()[1]) / 1048576.0, 1)
    except OSError:
        pass
    return {
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "memory_gb": mem_gb,
        "os": "%s %s" % (platform.system(), platform.release()),
        "python": platform.python_version(),
        "ansible_core": ansible_core,
    }


def stats(values):
    """{median, min, max, n, values} of a list of numbers (None for an empty list)."""
    values = [v for v in values if v is not None]
    if not values:
        return None
    return {"median": statistics.median(values), "min": min(values), "max": max(values), "n": len(values),
            "values": values}


def ansible_env(base, extra=None):
    """Environment of a benchmark's ansible-playbook: our collection, the remote_calls callback, quiet output."""
    env = dict(os.environ)
    env.update({
        "ANSIBLE_COLLECTIONS_PATH": COLLECTIONS,
        "ANSIBLE_CALLBACKS_ENABLED": "ndes.scep.remote_calls",
        "NDES_REMOTE_CALLS_FILE": os.path.join(base, "remote-calls.json"),
        "NDES_REMOTE_CALLS_SUMMARY": "0",
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_FORCE_COLOR": "0",
        "ANSIBLE_HOST_KEY_CHECKING": "0",
        "ANSIBLE_RETRY_FILES_ENABLED": "0",
        "ANSIBLE_LOCAL_TEMP": os.path.join(base, "tmp"),
        "ANSIBLE_REMOTE_TEMP": os.path.join(base, "tmp"),
        "PATH": BIN + os.pathsep + os.environ.get("PATH", ""),
    })
    env.update(extra or {})
    os.makedirs(os.path.join(base, "tmp"), exist_ok=True)
    return env


def read_json(path, default=None):
    try:
        with open(path, encoding="utf-8") as handle:
            return json.load(handle)
    except (OSError, ValueError):
        return default


def write_json(path, data):
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(data, handle, indent=2, sort_keys=True)
        handle.write("\n")


# ------------------------------------------------------------------ measured runs
def measure(cmd, env=None, cwd=None, timeout=None, log=None):
    """Run cmd in a measuring child; returns {rc, wall_s, cpu_user_s, cpu_sys_s, cpu_s, maxrss_mb, peak_rss_sum_mb,
    peak_pss_sum_mb, peak_procs, samples} (the command's output goes to ``log``, a path, or is discarded)."""
    spec = json.dumps({"cmd": cmd, "cwd": cwd, "timeout": timeout, "log": log})
    proc = subprocess.run([sys.executable, os.path.abspath(__file__), "--measure", spec], env=env, cwd=cwd,
                          check=False, capture_output=True, text=True)
    if proc.returncode != 0 or not proc.stdout.strip():
        raise RuntimeError("measuring child failed (%s): %s" % (proc.returncode, proc.stderr[-2000:]))
    return json.loads(proc.stdout)


TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def system_cpu():
    """(busy seconds, steal seconds) of the whole machine since boot, from /proc/stat (all cores summed)."""
    try:
        with open("/proc/stat", encoding="ascii") as handle:
            fields = [int(x) for x in handle.readline().split()[1:]]
    except (OSError, ValueError):
        return 0.0, 0.0
    user, nice, system, _idle, _iowait, irq, softirq = fields[:7]
    steal = fields[7] if len(fields) > 7 else 0
    return (user + nice + system + irq + softirq + steal) / float(TICK), steal / float(TICK)


class OtherLoad(object):
    """CPU the rest of the machine used while something ran: machine busy time minus ours (and steal)."""

    def __init__(self):
        self.busy, self.steal = system_cpu()
        self.own = self_cpu()
        self.start = time.monotonic()

    def done(self, ours):
        busy, steal = system_cpu()
        wall = time.monotonic() - self.start
        other = max(0.0, (busy - self.busy) - (steal - self.steal) - ours - (self_cpu() - self.own))
        return {"other_cpu_s": other, "other_cores": other / wall if wall else 0.0, "steal_s": steal - self.steal}


def wait_quiet():
    """With BENCH_WAIT_QUIET=N (seconds), wait up to N s until the rest of the machine uses under
    BENCH_QUIET_CORES (default 0.25) cores over 10 s; returns {waited_s, other_cores} (what was seen last)."""
    limit = float(os.environ.get("BENCH_WAIT_QUIET") or 0)
    threshold = float(os.environ.get("BENCH_QUIET_CORES") or 0.25)
    start = time.monotonic()
    other = None
    while limit > 0:
        load = OtherLoad()
        time.sleep(10)
        other = load.done(0.0)["other_cores"]
        if other < threshold or time.monotonic() - start >= limit:
            break
    return {"waited_s": time.monotonic() - start, "other_cores": other}


def self_cpu():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _proc_table():
    """{pid: (ppid, rss_bytes, cpu_seconds)} of every process."""
    table = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % name, "rb") as handle:
                data = handle.read()
        except OSError:
            continue
        rest = data[data.rfind(b")") + 2:].split()
        # fields after the command: state(3) ppid(4) ... rss(24) -> rest[0] is field 3
        try:
            table[int(name)] = (int(rest[1]), int(rest[21]) * PAGE, (int(rest[11]) + int(rest[12])) / float(TICK))
        except (IndexError, ValueError):
            continue
    return table


def _pss(pid):
    try:
        with open("/proc/%d/smaps_rollup" % pid, "rb") as handle:
            for line in handle:
                if line.startswith(b"Pss:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


class TreeSampler(threading.Thread):
    """Peak sum of RSS / PSS over the process tree under ``pid``."""

    def __init__(self, pid, interval=MEM_INTERVAL):
        super().__init__(daemon=True)
        self.pid, self.interval = pid, interval
        self.peak_rss = self.peak_pss = self.peak_procs = self.samples = 0
        self.main_cpu = 0.0
        self.stop = threading.Event()

    def sample(self):
        table = _proc_table()
        children = {}
        for pid, (ppid, _rss, _cpu) in table.items():
            children.setdefault(ppid, []).append(pid)
        tree, todo = [], [self.pid]
        while todo:
            pid = todo.pop()
            if pid in table:
                tree.append(pid)
            todo.extend(children.get(pid, ()))
        rss = sum(table[p][1] for p in tree)
        pss = sum(_pss(p) for p in tree)
        self.peak_rss = max(self.peak_rss, rss)
        self.peak_pss = max(self.peak_pss, pss)
        self.peak_procs = max(self.peak_procs, len(tree))
        if self.pid in table:
            self.main_cpu = table[self.pid][2]
        self.samples += 1

    def run(self):
        while not self.stop.wait(self.interval):
            self.sample()


def _measure_child(spec):
    spec = json.loads(spec)
    out = subprocess.DEVNULL
    if spec.get("log"):
        out = open(spec["log"], "wb")  # pylint: disable=consider-using-with
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    load = OtherLoad()
    start = time.monotonic()
    proc = subprocess.Popen(spec["cmd"], cwd=spec.get("cwd"), stdout=out, stderr=subprocess.STDOUT)
    sampler = TreeSampler(proc.pid)
    sampler.sample()
    sampler.start()
    try:
        rc = proc.wait(timeout=spec.get("timeout"))
    except subprocess.TimeoutExpired:
        proc.kill()
        rc = proc.wait()
    wall = time.monotonic() - start
    sampler.stop.set()
    sampler.join()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if out is not subprocess.DEVNULL:
        out.close()
    user, system = after.ru_utime - before.ru_utime, after.ru_stime - before.ru_stime
    other = load.done(user + system)
    other.update({"rc": rc, "wall_s": wall, "cpu_user_s": user, "cpu_sys_s": system, "cpu_s": user + system,
                  "maxrss_mb": after.ru_maxrss / 1024.0, "peak_rss_sum_mb": sampler.peak_rss / 1048576.0,
                  "peak_pss_sum_mb": sampler.peak_pss / 1048576.0, "peak_procs": sampler.peak_procs,
                  "main_cpu_s": sampler.main_cpu, "samples": sampler.samples})
    json.dump(other, sys.stdout)
    return 0


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--measure":
        sys.exit(_measure_child(sys.argv[2]))
    json.dump(machine(), sys.stdout, indent=2)
    sys.stdout.write("\n")
