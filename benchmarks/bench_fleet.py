# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fleet benchmark: ping floor, ndes.scep.diagnose and ndes.scep.remediate over N lab hosts with F forks.

Usage: ``python benchmarks/bench_fleet.py [--out FILE]``; the matrix comes from the environment:

* ``BENCH_FLEET_HOSTS`` (default ``10,50,200``), ``BENCH_FLEET_FORKS`` (``10,50``),
  ``BENCH_FLEET_REPEAT`` (``3``) and ``BENCH_FLEET_REPEAT_LARGE`` (``1``: runs of the cells with
  ``BENCH_FLEET_LARGE`` (``200``) hosts or more, minutes each on 2 cores),
  ``BENCH_FLEET_PLAYBOOKS`` (``ping,diagnose,remediate``),
* ``BENCH_LATENCY`` seconds slept by the lab agent per agent call (``1.0``; ``run/inject.json``
  ``latency`` of every lab, as the ``lab_inject`` ensure stores it),
* ``BENCH_FLEET_FAULTS`` faults of every lab host (default: section A without ``url_not_403``),
* ``BENCH_SERIAL`` the remediate playbook's ``ndes_serial`` (default ``100%``: forks bound the parallelism),
* ``BENCH_QUICK=1``: 10 hosts, forks 10, one repeat,
* ``BENCH_WAIT_QUIET=N``: before each run wait up to N s for the rest of the machine to go quiet
  (``_common.wait_quiet``; every run records ``other_cores`` anyway).

Labs: one lab per fault set is made with ``faults.create`` and copied (``shutil.copytree``) for every host
before each repeat (the labs are plain directories without absolute paths; only their location differs).
Every host's SCEP URL (``ndes_scep_url``) is one shared lab face (a healthy lab on 127.0.0.1), so the
controller-side probe runs for every host without 200 daemons. Lab creation, copies and the face are
lab-only and outside every measurement.

Each run goes through ``_common.measure`` (wall time, user+sys CPU of the ansible-playbook tree from
``RUSAGE_CHILDREN``, peak RSS/PSS sums sampled from /proc, largest process). Lab hosts use an interpreter
wrapper that records the CPU of every module run on the "target" (bash ``times``), so the tree CPU splits
into target-side module runs and controller-only work.
"""
from __future__ import annotations

import argparse
import glob
import math
import os
import shutil
import sys

import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _common as c  # noqa: E402  pylint: disable=wrong-import-position

SECTION_A_FAULTS = ["impersonate_right", "app_pool_stopped", "root_intermediates", "crl_unreachable",
                    "crs_windows_auth", "policy_cert_expired", "proxy_connector_down", "request_limits",
                    "httpsys_limits", "service_account", "ra_cert_expired"]
PING_PLAY = """---
- name: Ansible's own floor, one ping per host
  hosts: all
  gather_facts: false
  tasks:
    - name: Ping
      ansible.builtin.ping:
"""
WRAPPER = """#!/bin/bash
# Interpreter of the benchmark's lab hosts: the venv Python, plus the CPU of this module run.
"%s" "$@"
rc=$?
if [ -n "$NDES_BENCH_TARGET_DIR" ]; then
  times > "$NDES_BENCH_TARGET_DIR/$$-$RANDOM$RANDOM.t"
fi
exit $rc
"""


def config():
    quick = c.env_flag("BENCH_QUICK")
    faults = os.environ.get("BENCH_FLEET_FAULTS")
    return {
        "hosts": c.env_list("BENCH_FLEET_HOSTS", [10] if quick else [10, 50, 200]),
        "forks": c.env_list("BENCH_FLEET_FORKS", [10] if quick else [10, 50]),
        "repeat": int(os.environ.get("BENCH_FLEET_REPEAT") or (1 if quick else 3)),
        "repeat_large": int(os.environ.get("BENCH_FLEET_REPEAT_LARGE") or 1),
        "large": int(os.environ.get("BENCH_FLEET_LARGE") or 200),
        "playbooks": c.env_list("BENCH_FLEET_PLAYBOOKS", ["ping", "diagnose", "remediate"], str),
        "latency": float(os.environ.get("BENCH_LATENCY") or 1.0),
        "faults": [f for f in faults.split(",") if f] if faults is not None else list(SECTION_A_FAULTS),
        "serial": os.environ.get("BENCH_SERIAL") or "100%",
        "quick": quick,
    }


def target_cpu(directory):
    """Sum of user+sys seconds the interpreter wrapper recorded (children line of bash ``times``)."""
    total, runs = 0.0, 0
    for path in glob.glob(os.path.join(directory, "*.t")):
        with open(path, encoding="ascii") as handle:
            lines = handle.read().split("\n")
        if len(lines) < 2 or not lines[1].strip():
            continue
        for part in lines[1].split():
            minutes, seconds = part.rstrip("s").split("m")
            total += int(minutes) * 60 + float(seconds)
        runs += 1
    return total, runs


class Fleet(object):
    def __init__(self, base, cfg):
        c.use_collection()
        from ansible_collections.ndes.scep.plugins.module_utils._lab import faults, runctl, server
        self.faults, self.runctl, self.server = faults, runctl, server
        self.base, self.cfg = base, cfg
        if os.path.isdir(base):
            shutil.rmtree(base)
        os.makedirs(base)
        self.template = os.path.join(base, "template")
        faults.create(self.template, cfg["faults"])
        if cfg["latency"]:
            runctl.save_inject(self.template, {"latency": cfg["latency"]})
        self.face_root = os.path.join(base, "face")
        faults.create(self.face_root, [])
        self.face = server.start(self.face_root)
        self.wrapper = os.path.join(base, "python-wrapper.sh")
        with open(self.wrapper, "w", encoding="utf-8") as handle:
            handle.write(WRAPPER % sys.executable)
        os.chmod(self.wrapper, 0o755)
        self.ping = os.path.join(base, "ping.yml")
        with open(self.ping, "w", encoding="utf-8") as handle:
            handle.write(PING_PLAY)

    def close(self):
        self.server.stop(self.face_root)

    def labs(self, hosts):
        """Fresh copies of the template lab for hosts h001..; returns the inventory path."""
        labs = os.path.join(self.base, "labs")
        if os.path.isdir(labs):
            shutil.rmtree(labs)
        inventory = {}
        for index in range(1, hosts + 1):
            name = "h%03d" % index
            root = os.path.join(labs, name)
            shutil.copytree(self.template, root, symlinks=True)
            inventory[name] = {"ansible_connection": "local", "ansible_python_interpreter": self.wrapper,
                               "ndes_lab_root": root, "ndes_scep_url": self.face["scep_url"]}
        path = os.path.join(self.base, "inventory.yml")
        with open(path, "w", encoding="utf-8") as handle:
            yaml.safe_dump({"all": {"hosts": inventory}}, handle)
        return path

    def run(self, kind, inventory, hosts, forks):
        run_dir = os.path.join(self.base, "runs", "%s-%d-%d" % (kind, hosts, forks))
        if os.path.isdir(run_dir):
            shutil.rmtree(run_dir)
        target_dir = os.path.join(run_dir, "target-cpu")
        os.makedirs(target_dir)
        env = c.ansible_env(run_dir, {"NDES_BENCH_TARGET_DIR": target_dir, "ANSIBLE_FORKS": str(forks)})
        cmd = [os.path.join(c.BIN, "ansible-playbook"), "-i", inventory, "-f", str(forks)]
        if kind == "ping":
            cmd.append(self.ping)
        elif kind == "diagnose":
            cmd.append("ndes.scep.diagnose")
        else:
            cmd += ["ndes.scep.remediate", "-e", '{"ndes_serial": "%s"}' % self.cfg["serial"]]
        log = os.path.join(run_dir, "ansible-playbook.log")
        res = c.measure(cmd, env=env, cwd=run_dir, timeout=3600, log=log)
        counts = c.read_json(os.path.join(run_dir, "remote-calls.json"), {})
        per_host = counts.get("hosts", {})
        task_results = [len(t) for h, t in counts.get("tasks", {}).items() if h != "localhost"]
        calls = sum(n for h, n in per_host.items() if h != "localhost")
        tcpu, truns = target_cpu(target_dir)
        res.update({
            "remote_calls": calls,
            "calls_per_host": calls / float(hosts),
            "calls_per_host_max": max([n for h, n in per_host.items() if h != "localhost"] or [0]),
            "tasks_per_host": max(task_results or [0]),
            "target_cpu_s": tcpu, "target_module_runs": truns,
            "controller_only_cpu_s": res["cpu_s"] - tcpu,
        })
        if res["rc"] != 0:
            with open(log, encoding="utf-8", errors="replace") as handle:
                res["log_tail"] = handle.read()[-3000:]
        return res


def judge(hosts, forks, latency, cores, kind, runs):
    """Medians of one cell and its targets."""
    med = dict((key, c.stats([r[key] for r in runs])["median"]) for key in (
        "wall_s", "cpu_s", "controller_only_cpu_s", "target_cpu_s", "peak_rss_sum_mb", "peak_pss_sum_mb",
        "maxrss_mb", "remote_calls", "calls_per_host", "calls_per_host_max", "tasks_per_host", "main_cpu_s", "other_cores"))
    batches = math.ceil(hosts / float(forks))
    lat = latency if kind != "ping" else 0.0
    bound_latency = batches * med["calls_per_host_max"] * lat
    bound_cpu = med["cpu_s"] / cores
    out = {
        "hosts": hosts, "forks": forks, "playbook": kind, "repeats": len(runs), "rc": [r["rc"] for r in runs],
        "median": med,
        "wall_s": c.stats([r["wall_s"] for r in runs]),
        "cpu_per_host_s": med["cpu_s"] / hosts,
        "controller_only_cpu_per_host_s": med["controller_only_cpu_s"] / hosts,
        "cpu_per_call_s": med["cpu_s"] / med["remote_calls"] if med["remote_calls"] else None,
        "controller_only_cpu_per_call_s": (med["controller_only_cpu_s"] / med["remote_calls"]
                                           if med["remote_calls"] else None),
        "wall_bound_latency_s": bound_latency,
        "wall_bound_cpu_s": bound_cpu,
        "wall_target_s": 1.5 * max(bound_latency, bound_cpu),
    }
    out["wall_met"] = out["wall_s"]["median"] <= out["wall_target_s"]
    out["runs"] = [dict((k, v) for k, v in r.items() if k != "log_tail") for r in runs]
    if any(r["rc"] != 0 for r in runs):
        out["log_tail"] = [r.get("log_tail") for r in runs if r["rc"] != 0][0]
    return out


def compare(cells):
    """CPU per remote call of each cell against the ping floor at the same hosts and forks."""
    floor = dict(((x["hosts"], x["forks"]), x) for x in cells if x["playbook"] == "ping")
    for cell in cells:
        ping = floor.get((cell["hosts"], cell["forks"]))
        if cell["playbook"] == "ping" or ping is None or not cell["cpu_per_call_s"]:
            continue
        cell["cpu_per_call_vs_ping"] = cell["cpu_per_call_s"] / ping["cpu_per_call_s"]
        ctrl = cell["controller_only_cpu_per_call_s"]
        cell["controller_only_cpu_per_call_vs_ping"] = ctrl / ping["controller_only_cpu_per_call_s"]
        cell["cpu_per_call_met"] = cell["cpu_per_call_vs_ping"] <= 2.0
        cell["controller_only_cpu_per_call_met"] = cell["controller_only_cpu_per_call_vs_ping"] <= 2.0


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=os.path.join(c.WORK, "fleet.json"))
    args = parser.parse_args(argv)
    cfg = config()
    cores = os.cpu_count() or 1
    fleet = Fleet(os.path.join(c.WORK, "fleet"), cfg)
    cells = []
    try:
        for hosts in cfg["hosts"]:
            for forks in cfg["forks"]:
                runs = dict((k, []) for k in cfg["playbooks"])
                repeat = cfg["repeat_large"] if hosts >= cfg["large"] else cfg["repeat"]
                for rep in range(repeat):
                    inventory = fleet.labs(hosts)          # fresh faulty labs: remediate has work each time
                    for kind in cfg["playbooks"]:
                        quiet = c.wait_quiet()
                        res = fleet.run(kind, inventory, hosts, forks)
                        res["waited_for_quiet_s"] = quiet["waited_s"]
                        runs[kind].append(res)
                        print("fleet %-9s hosts=%-3d forks=%-2d rep=%d rc=%d wall=%.1fs cpu=%.1fs calls=%d" % (
                            kind, hosts, forks, rep + 1, res["rc"], res["wall_s"], res["cpu_s"], res["remote_calls"]),
                            file=sys.stderr, flush=True)
                for kind in cfg["playbooks"]:
                    cells.append(judge(hosts, forks, cfg["latency"], cores, kind, runs[kind]))
                compare(cells)
                c.write_json(args.out, {"config": cfg, "cells": cells, "partial": True})
    finally:
        fleet.close()
    c.write_json(args.out, {"config": cfg, "cells": cells, "partial": False})
    return 0


if __name__ == "__main__":
    sys.exit(main())
